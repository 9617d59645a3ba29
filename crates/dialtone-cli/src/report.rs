//! `--report out.html|out.json`: the call report (`dialtone-report`), collected while the
//! call runs and written when it ends. The file is opened before the call, so a path that
//! cannot be written stops the run before anything is dialled.

use dialtone_core::call::LineEvent;
use dialtone_report::{Collector, Facts, Format, WireTap};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

/// How often the sandbox's far end is asked what reached it.
const FAR_END_EVERY: Duration = Duration::from_millis(100);

/// The collector, shared by the tasks that feed it.
pub type Shared = Arc<Mutex<Collector>>;

pub fn lock(c: &Shared) -> std::sync::MutexGuard<'_, Collector> {
    c.lock().unwrap_or_else(|p| p.into_inner())
}

/// The transcript's tap: one per process, as the logging it is part of.
pub fn tap() -> &'static WireTap {
    static TAP: std::sync::OnceLock<WireTap> = std::sync::OnceLock::new();
    TAP.get_or_init(WireTap::default)
}

/// What the line and the arguments say about the call, for the report's facts.
pub fn facts(line: &dialtone_phone::Line, args: &crate::CallArgs, remote: &str, outgoing: bool) -> Facts {
    Facts {
        network: format!("{:?}", line.network).to_lowercase(),
        account: match &line.source {
            dialtone_phone::LineSource::EmbeddedSandbox { .. } => "the built-in sandbox".into(),
            dialtone_phone::LineSource::Sandbox { url } => format!("the sandbox at {url}"),
            dialtone_phone::LineSource::Account { name } => format!("account '{name}'"),
        },
        remote: remote.to_owned(),
        local: line.own_number(),
        outgoing,
        impairment: args.impair.as_ref().map(|i| i.describe()),
        ..Default::default()
    }
}

/// Writes the report, if one was asked for, after the call: the run's outcome, or a
/// failure to write (exit 1: what was asked for is missing).
pub fn write(
    report: Option<Report>,
    facts: Facts,
    out: &crate::output::Reporter,
    outcome: Result<(), String>,
) -> Result<(), String> {
    let Some(report) = report else { return outcome };
    match report.finish(facts) {
        Ok(path) => {
            out.note(&format!("call report written to {}", path.display()));
            outcome
        }
        Err(e) => outcome.and(Err(e)),
    }
}

/// A report on its way: the file waiting for it and what feeds it.
pub struct Report {
    path: PathBuf,
    file: File,
    format: Format,
    collector: Shared,
    tap: WireTap,
    started: time::OffsetDateTime,
    tasks: Vec<JoinHandle<()>>,
}

impl Report {
    /// The report `path` asks for, if any: opened for writing now (an error is the
    /// caller's exit 2, before anything is dialled).
    pub fn open(path: Option<&Path>) -> Result<Option<Report>, String> {
        path.map(|p| Report::create(p, tap().clone())).transpose()
    }

    fn create(path: &Path, tap: WireTap) -> Result<Report, String> {
        let file = File::create(path).map_err(|e| {
            format!(
                "cannot write the report to '{}': {e}; choose a path in a directory you can write to",
                path.display()
            )
        })?;
        Ok(Report {
            path: path.to_owned(),
            file,
            format: Format::of(path),
            collector: Arc::new(Mutex::new(Collector::new(Instant::now()))),
            tap,
            started: time::OffsetDateTime::now_utc(),
            tasks: Vec::new(),
        })
    }

    pub fn collector(&self) -> Shared {
        self.collector.clone()
    }

    /// Follows the line's events, and the sandbox's far end when the line is on the
    /// embedded sandbox.
    pub fn follow(&mut self, line: &dialtone_phone::Line) {
        let c = self.collector.clone();
        let mut rx: broadcast::Receiver<LineEvent> = line.call.subscribe_line();
        self.tasks.push(tokio::spawn(async move {
            loop {
                match rx.recv().await {
                    Ok(e) => lock(&c).event(Instant::now(), e.call, &e.event),
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => break,
                }
            }
        }));
        if let Some(sandbox) = line.embedded_sandbox().cloned() {
            let c = self.collector.clone();
            self.tasks.push(tokio::spawn(async move {
                // The first session the far end sees is this run's first call.
                let mut session: Option<String> = None;
                let mut tick = tokio::time::interval(FAR_END_EVERY);
                loop {
                    tick.tick().await;
                    let status = sandbox.status().await;
                    let s = match &session {
                        Some(id) => status.sessions.iter().find(|s| &s.media_session_id == id),
                        None => status.sessions.first(),
                    };
                    if let Some(s) = s {
                        session.get_or_insert_with(|| s.media_session_id.clone());
                        lock(&c).far_end(Instant::now(), s.far_end_rtp_received, s.far_end_rtp_sent);
                    }
                }
            }));
        }
    }

    /// Writes the report; `facts` are what the caller knows of the call. A failure is
    /// returned as a sentence (the call itself is over by now).
    pub fn finish(mut self, mut facts: Facts) -> Result<PathBuf, String> {
        for t in self.tasks.drain(..) {
            t.abort();
        }
        let (messages, dropped) = self.tap.take();
        let collector = Arc::try_unwrap(self.collector)
            .map(|m| m.into_inner().unwrap_or_else(|p| p.into_inner()))
            .unwrap_or_else(|shared| {
                // A meter task still holds it: take what it has.
                let mut c = lock(&shared);
                std::mem::replace(&mut *c, Collector::new(Instant::now()))
            });
        let mut collector = collector;
        collector.messages(messages, dropped);
        facts.started = self
            .started
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let report = collector.finish(Instant::now(), facts);
        let text = report.render(self.format);
        self.file
            .write_all(text.as_bytes())
            .and_then(|()| self.file.flush())
            .map_err(|e| {
                format!(
                    "the report could not be written to '{}': {e}",
                    self.path.display()
                )
            })?;
        Ok(self.path)
    }
}
