//! What the CLI watches while a call runs (`Watch`: the call's events, our level meters
//! and, on the embedded sandbox, what its far end counted), for a script's expectations
//! and for `--report out.html|out.json` (`Report`), written when the call ends. The
//! report's file is opened before the call, so a path that cannot be written stops the
//! run before anything is dialled.

use crate::output::Reporter;
use dialtone_core::audio::record::StereoRecorder;
use dialtone_core::call::LineEvent;
use dialtone_core::media::capture::PacketCapture;
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
    WireTap::global()
}

/// A call watched: its collector and the tasks that feed it, and its recording.
pub struct Watch {
    collector: Shared,
    tasks: Vec<JoinHandle<()>>,
    recorder: Option<StereoRecorder>,
    capture: Option<PacketCapture>,
    out: Reporter,
}

impl Watch {
    /// Starts watching; with `record` and `pcap`, their files are created now (an error is
    /// the caller's exit 2, before anything is dialled).
    pub fn new(
        out: &Reporter,
        record: Option<&Path>,
        pcap: Option<&Path>,
    ) -> Result<Watch, (&'static str, String)> {
        let recorder = match record {
            Some(path) => {
                let said = out.clone();
                let r = StereoRecorder::start(path, move |why| {
                    said.recording(
                        "failed",
                        serde_json::json!({"message": why}),
                        &format!("warning: {why}"),
                    );
                })
                .map_err(|e| ("INVALID_RECORDING", e.to_string()))?;
                out.recording("started", serde_json::json!({"path": path}), "");
                Some(r)
            }
            None => None,
        };
        let capture = match pcap {
            Some(path) => {
                let said = out.clone();
                let c = PacketCapture::create(path, move |why| {
                    said.capture(
                        "failed",
                        serde_json::json!({"message": why}),
                        &format!("warning: {why}"),
                    );
                })
                .map_err(|e| ("INVALID_CAPTURE", e.to_string()))?;
                out.capture("started", serde_json::json!({"path": path}), "");
                Some(c)
            }
            None => None,
        };
        Ok(Watch {
            collector: Arc::new(Mutex::new(Collector::new(Instant::now()))),
            tasks: Vec::new(),
            recorder,
            capture,
            out: out.clone(),
        })
    }

    /// Says what changed, on stderr and in the report's transcript.
    pub fn note(&self, text: &str) {
        lock(&self.collector).note(Instant::now(), text);
        self.out.note(text);
    }

    /// `process`: the process's figures, as an event and a note in the report.
    pub fn process(&self) -> Result<(), String> {
        let f = dialtone_core::process::ProcessFigures::now().map_err(|e| e.to_string())?;
        lock(&self.collector).note(Instant::now(), &format!("process: {f:?}"));
        self.out.process(&f);
        Ok(())
    }

    /// `record start` / `record stop`.
    pub fn set_recording(&self, on: bool) -> Result<(), String> {
        let r = self
            .recorder
            .as_ref()
            .ok_or("there is no recording: give --record FILE")?;
        r.set_recording(on);
        self.out
            .recording(if on { "resumed" } else { "paused" }, serde_json::json!({}), "");
        Ok(())
    }

    /// The capture the line's calls write to, when `--pcap` asked for one.
    pub fn capture(&self) -> Option<PacketCapture> {
        self.capture.clone()
    }

    pub fn collector(&self) -> Shared {
        self.collector.clone()
    }

    /// Follows the line's events, and the sandbox's far end when the line is on the
    /// embedded sandbox.
    pub fn follow(&mut self, line: &dialtone_phone::Line) {
        if let Some(r) = &self.recorder {
            line.call.set_tap(Some(r.tap()));
        }
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
                // One far end at a time: the first session the sandbox shows, then, once it
                // has ended (the sandbox drops it), the next new one, so calls placed one
                // after another are each judged. The counts run on across them, so a
                // new call's first packets read as a rise, never as a fall.
                let mut follow = FarEndFollower::default();
                let mut tick = tokio::time::interval(FAR_END_EVERY);
                loop {
                    tick.tick().await;
                    let status = sandbox.status().await;
                    if let Some((received, sent)) = follow.counts(&status.sessions) {
                        lock(&c).far_end(Instant::now(), received, sent);
                    }
                }
            }));
        }
    }

    /// Stops watching (and recording) and hands over what was collected.
    fn stop(mut self) -> Collector {
        for t in self.tasks.drain(..) {
            t.abort();
        }
        if let Some(r) = self.recorder.take() {
            let done = r.finish();
            let seconds = (done.seconds * 10.0).round() / 10.0;
            let said = match &done.failed {
                None => format!("recording saved to {} ({seconds} s)", done.path.display()),
                Some(_) => format!(
                    "the first {seconds} s of the call are in {} (the recording stopped early)",
                    done.path.display()
                ),
            };
            self.out.recording(
                "saved",
                serde_json::json!({"path": done.path, "seconds": seconds, "failed": done.failed}),
                &said,
            );
        }
        if let Some(c) = self.capture.take() {
            let done = c.finish();
            let said = match &done.failed {
                None => format!(
                    "decrypted capture saved to {} ({} packets; 'tshark -o rtp.heuristic_rtp:TRUE -r {0} -q -z rtp,streams' lists its RTP)",
                    done.path.display(),
                    done.packets
                ),
                Some(_) => format!(
                    "the capture in {} stopped early ({} packets)",
                    done.path.display(),
                    done.packets
                ),
            };
            self.out.capture(
                "saved",
                serde_json::json!({"path": done.path, "packets": done.packets, "missed": done.missed, "failed": done.failed}),
                &said,
            );
        }
        // The level meters' task may still hold a clone: take the collector out of it.
        std::mem::replace(&mut *lock(&self.collector), Collector::new(Instant::now()))
    }
}

/// What the line and the arguments say about the call, for the report's facts.
pub fn facts(line: &dialtone_phone::Line, args: &crate::CallArgs, remote: &str, outgoing: bool) -> Facts {
    let impairment = args
        .impair
        .as_ref()
        .filter(|i| **i != Default::default())
        .map(|i| i.describe());
    let l = dialtone_phone::LineFacts::of(line, impairment);
    Facts {
        network: l.network,
        account: l.account,
        remote: remote.to_owned(),
        local: l.local,
        outgoing,
        impairment: l.impairment,
        ..Default::default()
    }
}

/// Writes the report, if one was asked for, after the call: the run's outcome, or a
/// failure to write (exit 1: what was asked for is missing).
pub fn write(
    report: Option<Report>,
    watch: Watch,
    facts: Facts,
    out: &Reporter,
    outcome: Result<(), String>,
) -> Result<(), String> {
    let collector = watch.stop();
    let Some(report) = report else { return outcome };
    match report.finish(collector, facts) {
        Ok(path) => {
            out.note(&format!("call report written to {}", path.display()));
            outcome
        }
        Err(e) => outcome.and(Err(e)),
    }
}

/// A report's file, waiting for the call to end.
pub struct Report {
    path: PathBuf,
    file: File,
    format: Format,
    started: time::OffsetDateTime,
}

impl Report {
    /// The report `path` asks for, if any: opened for writing now (an error is the
    /// caller's exit 2, before anything is dialled).
    pub fn open(path: Option<&Path>) -> Result<Option<Report>, String> {
        let Some(path) = path else { return Ok(None) };
        let file = File::create(path).map_err(|e| {
            format!(
                "cannot write the report to '{}': {e}; choose a path in a directory you can write to",
                path.display()
            )
        })?;
        Ok(Some(Report {
            path: path.to_owned(),
            file,
            format: Format::of(path),
            started: time::OffsetDateTime::now_utc(),
        }))
    }

    fn finish(mut self, mut collector: Collector, mut facts: Facts) -> Result<PathBuf, String> {
        let (messages, dropped) = tap().take();
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

/// The sandbox's far end a run's expectations are judged by (see `Watch::follow`).
#[derive(Default)]
struct FarEndFollower {
    session: Option<String>,
    seen: std::collections::HashSet<String>,
    /// Packets received and sent by far ends followed before this one.
    before: (u64, u64),
    last: (u64, u64),
}

impl FarEndFollower {
    /// The running counts of our packets the far ends received and of theirs they sent.
    fn counts(&mut self, sessions: &[dialtone_sandbox::SessionView]) -> Option<(u64, u64)> {
        let current = self
            .session
            .as_ref()
            .and_then(|id| sessions.iter().find(|s| &s.media_session_id == id));
        let s = match current {
            Some(s) => s,
            None => {
                let next = sessions
                    .iter()
                    .find(|s| !self.seen.contains(&s.media_session_id))?;
                if self.session.is_some() {
                    self.before = (self.before.0 + self.last.0, self.before.1 + self.last.1);
                    self.last = (0, 0);
                }
                self.seen.insert(next.media_session_id.clone());
                self.session = Some(next.media_session_id.clone());
                next
            }
        };
        self.last = (s.far_end_rtp_received, s.far_end_rtp_sent);
        Some((self.before.0 + self.last.0, self.before.1 + self.last.1))
    }
}
