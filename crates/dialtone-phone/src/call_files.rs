//! What the app keeps of each call: its report (`<data dir>/reports/`, the newest
//! [`KEEP_REPORTS`]) and, when the user asks, its recording (`<data dir>/recordings/`).
//! The call's history row names both. The CLI writes its reports where `--report` says
//! instead, so only the app's line has one of these.

use crate::{Line, LineSource};
use dialtone_core::audio::record::StereoRecorder;
use dialtone_core::call::{CallEvent, CallHandle, CallId};
use dialtone_core::history::EndedCall;
use dialtone_report::{Collector, Facts, Format, WireTap};
use dialtone_sandbox::Sandbox;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

/// How many reports the data directory keeps; older ones are removed as new ones come.
pub const KEEP_REPORTS: usize = 50;

/// How often the embedded sandbox's far end is asked what reached it.
const FAR_END_EVERY: Duration = Duration::from_millis(100);

/// What was said shortly before a call's first event (the invitation that rang, the
/// request that placed it) belongs in its transcript.
const SAID_BEFORE: Duration = Duration::from_secs(5);

/// What every report of the line says about it.
#[derive(Debug, Clone, Default)]
pub struct LineFacts {
    pub network: String,
    pub account: String,
    pub local: Option<String>,
    pub impairment: Option<String>,
}

impl LineFacts {
    /// What `line` is, with the impairment its media carries (as given: `3g`, `loss=5%`).
    pub fn of(line: &Line, impairment: Option<String>) -> LineFacts {
        LineFacts {
            network: format!("{:?}", line.network).to_lowercase(),
            account: match &line.source {
                LineSource::EmbeddedSandbox { .. } => "the built-in sandbox".into(),
                LineSource::Sandbox { url } => format!("the sandbox at {url}"),
                LineSource::Account { name } => format!("account '{name}'"),
            },
            local: line.own_number(),
            impairment,
        }
    }
}

/// What happened to a recording, for the window.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordingNews {
    /// Whether a recording is running now.
    pub recording: bool,
    pub path: String,
    /// Once it stopped: how long it is.
    pub seconds: Option<f64>,
    /// Why it stopped before it was asked to (a full disk); the call goes on.
    pub failed: Option<String>,
}

struct Watched {
    collector: Collector,
    /// The embedded sandbox's session of this call, once seen.
    session: Option<String>,
    /// Sessions the sandbox had before this call began: not this call's.
    earlier: Vec<String>,
}

struct Recording {
    recorder: StereoRecorder,
    path: PathBuf,
}

/// The line's calls being watched for their reports, and the recording if one runs.
pub struct CallFiles {
    dir: PathBuf,
    facts: Mutex<LineFacts>,
    tap: WireTap,
    call: CallHandle,
    calls: Mutex<BTreeMap<CallId, Watched>>,
    /// Calls already reported: what is said of them after their end starts nothing.
    finished: Mutex<Vec<CallId>>,
    /// The sandbox sessions at the last poll.
    sessions: Mutex<Vec<String>>,
    recording: Mutex<Option<Recording>>,
    news: Arc<dyn Fn(RecordingNews) + Send + Sync>,
}

fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl CallFiles {
    /// Keeps the calls of `call`'s line in `dir` (the data directory). With `sandbox`
    /// (the embedded one), its far end's counts go into the reports. `news` hears of
    /// every recording that starts or stops.
    pub fn start(
        dir: PathBuf,
        facts: LineFacts,
        tap: WireTap,
        call: CallHandle,
        sandbox: Option<Arc<Sandbox>>,
        news: impl Fn(RecordingNews) + Send + Sync + 'static,
    ) -> Arc<CallFiles> {
        let files = Arc::new(CallFiles {
            dir,
            facts: Mutex::new(facts),
            tap,
            call,
            calls: Mutex::new(BTreeMap::new()),
            finished: Mutex::new(Vec::new()),
            sessions: Mutex::new(Vec::new()),
            recording: Mutex::new(None),
            news: Arc::new(news),
        });
        if let Some(sandbox) = sandbox {
            tokio::spawn(follow_far_end(Arc::downgrade(&files), sandbox));
        }
        files
    }

    /// Our number, once registration gave it.
    pub fn set_own_number(&self, number: Option<String>) {
        locked(&self.facts).local = number;
    }

    /// One of the line's events about `call`.
    pub fn event(&self, call: CallId, e: &CallEvent) {
        let now = Instant::now();
        if locked(&self.finished).contains(&call) {
            return;
        }
        let mut calls = locked(&self.calls);
        if calls.is_empty() {
            // Nothing older can be in a report any more.
            self.tap
                .forget_before(now.checked_sub(SAID_BEFORE).unwrap_or(now));
        }
        let earlier = locked(&self.sessions).clone();
        calls
            .entry(call)
            .or_insert_with(|| Watched {
                collector: Collector::new(now),
                session: None,
                earlier,
            })
            .collector
            .event(now, call, e);
    }

    /// The level meters' reading (dBFS), for every call up.
    pub fn levels(&self, sent_dbfs: f32, heard_dbfs: f32) {
        let now = Instant::now();
        for w in locked(&self.calls).values_mut() {
            w.collector.levels(now, sent_dbfs, heard_dbfs);
        }
    }

    /// Starts recording the call that is up, into the data directory; the file's path.
    pub fn start_recording(&self) -> Result<PathBuf, String> {
        {
            let recording = locked(&self.recording);
            match recording.as_ref() {
                Some(r) if r.recorder.is_recording() => return Ok(r.path.clone()),
                // One that stopped on its own (a full disk) is closed before a new one.
                Some(_) => {
                    drop(recording);
                    self.stop_recording();
                }
                None => {}
            }
        }
        let dir = self.dir.join("recordings");
        dialtone_core::files::private_dir(&dir)
            .map_err(|e| format!("cannot keep recordings in {}: {e}", dir.display()))?;
        let path = dir.join(format!("call-{}.wav", stamp(time::OffsetDateTime::now_utc())));
        let shown = path.display().to_string();
        let news = self.news.clone();
        let failed_path = shown.clone();
        let recorder = StereoRecorder::start(&path, move |why| {
            news(RecordingNews {
                recording: false,
                path: failed_path.clone(),
                seconds: None,
                failed: Some(why),
            });
        })
        .map_err(|e| e.to_string())?;
        self.call.set_tap(Some(recorder.tap()));
        (self.news)(RecordingNews {
            recording: true,
            path: shown,
            seconds: None,
            failed: None,
        });
        *locked(&self.recording) = Some(Recording {
            recorder,
            path: path.clone(),
        });
        Ok(path)
    }

    /// Stops the recording, if one runs; the file's path.
    pub fn stop_recording(&self) -> Option<PathBuf> {
        let r = locked(&self.recording).take()?;
        self.call.set_tap(None);
        let done = r.recorder.finish();
        (self.news)(RecordingNews {
            recording: false,
            path: done.path.display().to_string(),
            seconds: Some((done.seconds * 10.0).round() / 10.0),
            failed: done.failed,
        });
        Some(done.path)
    }

    pub fn is_recording(&self) -> bool {
        locked(&self.recording)
            .as_ref()
            .is_some_and(|r| r.recorder.is_recording())
    }

    /// `ended` (the call `call`) with its report written and its recording stopped. A
    /// report that cannot be written is logged; the call's row is saved without one.
    pub async fn finish(&self, call: CallId, mut ended: EndedCall) -> EndedCall {
        ended.recording = self.stop_recording().map(|p| p.display().to_string());
        {
            let mut finished = locked(&self.finished);
            if finished.len() >= 32 {
                finished.remove(0);
            }
            finished.push(call);
        }
        let Some(watched) = locked(&self.calls).remove(&call) else {
            return ended;
        };
        let mut collector = watched.collector;
        let from = collector_start(&collector);
        collector.messages(self.tap.since(from, call), 0);
        let started =
            time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ended.started_at_ms) * 1_000_000)
                .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        let line = locked(&self.facts).clone();
        let facts = Facts {
            network: line.network,
            account: line.account,
            remote: ended.number.clone(),
            local: line.local,
            outgoing: !ended.incoming,
            impairment: line.impairment,
            started: started
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            ..Default::default()
        };
        let report = collector.finish(Instant::now(), facts);
        let html = report.render(Format::Html);
        let dir = self.dir.join("reports");
        let name = format!("report-{}-{call}.html", stamp(started));
        let written = tokio::task::spawn_blocking(move || keep_report(&dir, &name, &html)).await;
        match written {
            Ok(Ok(path)) => ended.report = Some(path.display().to_string()),
            Ok(Err(e)) => tracing::warn!(error = %e, "the call's report was not kept"),
            Err(e) => tracing::warn!(error = %e, "the call's report was not kept"),
        }
        ended
    }
}

/// When the collector's clock started, as an instant for the transcript's window.
fn collector_start(c: &Collector) -> Instant {
    let now = Instant::now();
    let start = now.checked_sub(Duration::from_millis(c.t_ms(now))).unwrap_or(now);
    start.checked_sub(SAID_BEFORE).unwrap_or(start)
}

/// `20261130-221500`: file names that sort by time.
fn stamp(t: time::OffsetDateTime) -> String {
    format!(
        "{:04}{:02}{:02}-{:02}{:02}{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Writes `name` into `dir` and removes the oldest reports beyond [`KEEP_REPORTS`].
fn keep_report(dir: &Path, name: &str, text: &str) -> Result<PathBuf, String> {
    dialtone_core::files::private_dir(dir)
        .map_err(|e| format!("cannot keep reports in {}: {e}", dir.display()))?;
    let path = dir.join(name);
    dialtone_core::files::write_private(&path, text.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    prune(dir, KEEP_REPORTS);
    Ok(path)
}

/// Keeps the newest `keep` reports in `dir` (their names sort by time).
fn prune(dir: &Path, keep: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut reports: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("report-") && n.ends_with(".html"))
        })
        .collect();
    reports.sort();
    let excess = reports.len().saturating_sub(keep);
    for old in &reports[..excess] {
        if let Err(e) = std::fs::remove_file(old) {
            tracing::warn!(path = %old.display(), error = %e, "an old report was not removed");
        }
    }
}

/// Copies a kept report into `to_dir` under a name of its own (never over a file
/// there); the copy's path.
pub fn export_report(report: &Path, to_dir: &Path) -> Result<PathBuf, String> {
    if !report.is_file() {
        return Err(
            "this call's report is no longer kept (the newest 50 are); place the call again for a new one"
                .into(),
        );
    }
    let name = report.file_stem().and_then(|n| n.to_str()).unwrap_or("report");
    std::fs::create_dir_all(to_dir).map_err(|e| {
        format!(
            "cannot save the report in {}: {e}; choose a folder you can write to",
            to_dir.display()
        )
    })?;
    let mut to = to_dir.join(format!("dialtone-{name}.html"));
    let mut n = 1;
    while to.exists() {
        n += 1;
        to = to_dir.join(format!("dialtone-{name}-{n}.html"));
    }
    std::fs::copy(report, &to).map_err(|e| {
        format!(
            "cannot save the report to {}: {e}; choose a folder you can write to",
            to.display()
        )
    })?;
    Ok(to)
}

/// Where an exported report goes by default: the Downloads folder, or home.
pub fn export_dir() -> Result<PathBuf, String> {
    let dirs = directories::UserDirs::new().ok_or("there is no home directory to save the report in")?;
    Ok(dirs.download_dir().unwrap_or_else(|| dirs.home_dir()).to_owned())
}

/// Asks the embedded sandbox what reached its far ends, for the calls being watched.
async fn follow_far_end(files: Weak<CallFiles>, sandbox: Arc<Sandbox>) {
    let mut tick = tokio::time::interval(FAR_END_EVERY);
    loop {
        tick.tick().await;
        let Some(files) = files.upgrade() else { return };
        let status = sandbox.status().await;
        let now = Instant::now();
        let mut calls = locked(&files.calls);
        let mut claimed: Vec<String> = calls.values().filter_map(|w| w.session.clone()).collect();
        for w in calls.values_mut() {
            if w.session.is_none() {
                w.session = status
                    .sessions
                    .iter()
                    .map(|s| &s.media_session_id)
                    .find(|id| !w.earlier.contains(id) && !claimed.contains(id))
                    .cloned();
                claimed.extend(w.session.clone());
            }
            let seen = status
                .sessions
                .iter()
                .find(|s| Some(&s.media_session_id) == w.session.as_ref());
            if let Some(s) = seen {
                w.collector
                    .far_end(now, s.far_end_rtp_received, s.far_end_rtp_sent);
            }
        }
        drop(calls);
        *locked(&files.sessions) = status.sessions.into_iter().map(|s| s.media_session_id).collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "dialtone-files-{}-{}",
            std::process::id(),
            Instant::now().elapsed().as_nanos()
        ));
        std::fs::create_dir_all(&dir).expect("dir");
        dir
    }

    #[test]
    fn only_the_newest_reports_are_kept_and_other_files_are_left_alone() {
        let dir = temp_dir().join("reports");
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(dir.join("notes.txt"), "mine").expect("write");
        for i in 0..(KEEP_REPORTS + 3) {
            keep_report(&dir, &format!("report-20261130-{i:06}-1.html"), "<html>").expect("kept");
        }
        let mut left: Vec<String> = std::fs::read_dir(&dir)
            .expect("dir")
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .collect();
        left.sort();
        assert_eq!(left.len(), KEEP_REPORTS + 1, "{left:?}");
        assert_eq!(left[0], "notes.txt");
        assert_eq!(left[1], "report-20261130-000003-1.html", "the three oldest went");
        let _ = std::fs::remove_dir_all(dir.parent().expect("parent"));
    }

    #[test]
    fn an_export_never_overwrites_and_a_pruned_report_says_why() {
        let dir = temp_dir();
        let kept =
            keep_report(&dir.join("reports"), "report-20261130-101010-1.html", "<html>one").expect("kept");
        let out = dir.join("out");
        std::fs::create_dir_all(&out).expect("out");
        let first = export_report(&kept, &out).expect("exported");
        let second = export_report(&kept, &out).expect("exported again");
        assert_ne!(first, second);
        assert_eq!(std::fs::read_to_string(&second).expect("read"), "<html>one");
        std::fs::remove_file(&kept).expect("remove");
        let gone = export_report(&kept, &out).expect_err("gone");
        assert!(gone.contains("no longer kept"), "{gone}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
