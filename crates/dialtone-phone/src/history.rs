//! Every call a line places or takes is recorded in the shared history.

use crate::CallFiles;
use dialtone_core::call::{CallEvent, CallId, LINE, LineEvent};
use dialtone_core::history::{History, Tracker};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

/// The outcome of saving one ended call: its row id, or why it was not saved.
pub type SavedCall = Result<i64, String>;

/// Follows a line's events into the history, each call on the line apart.
pub struct HistoryRecorder {
    /// For the next call the call list cannot name (a bot call, or set by `dialing`).
    next: Arc<Mutex<Option<Tracker>>>,
    task: JoinHandle<()>,
}

/// The tracker for a call first seen now: named by the call list if it is there.
fn tracker_for(next: &Mutex<Option<Tracker>>, listed: Option<&dialtone_core::call::LineCall>) -> Tracker {
    match listed {
        Some(c) if c.incoming => Tracker::incoming(),
        Some(c) if !c.remote.is_empty() => Tracker::outgoing(&c.remote),
        _ => next
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .unwrap_or_else(Tracker::incoming),
    }
}

impl HistoryRecorder {
    /// Records each call that ends on `rx` (with `once`, until no call is left after one
    /// ended). `first` tracks a call the line does not name (a bot call). With `files`,
    /// each call's report (and recording) is kept and named in its row. A history that
    /// cannot be written is reported to `saved`, never a failed call.
    pub fn start(
        first: Tracker,
        mut rx: broadcast::Receiver<LineEvent>,
        once: bool,
        files: Option<Arc<CallFiles>>,
        saved: impl Fn(SavedCall) + Send + 'static,
    ) -> Self {
        let next = Arc::new(Mutex::new(Some(first)));
        let n = next.clone();
        let task = tokio::spawn(async move {
            let mut calls: BTreeMap<CallId, Tracker> = BTreeMap::new();
            while let Some(LineEvent { call: id, event }) = crate::next_event(&mut rx).await {
                if id == LINE {
                    if let CallEvent::Calls { calls: listed, .. } = &event {
                        for c in listed {
                            calls.entry(c.call).or_insert_with(|| tracker_for(&n, Some(c)));
                        }
                    }
                    continue;
                }
                if let Some(f) = &files {
                    f.event(id, &event);
                }
                let tracker = calls.entry(id).or_insert_with(|| tracker_for(&n, None));
                let Some(call) = tracker.on_event(&event) else {
                    continue;
                };
                calls.remove(&id);
                let call = match &files {
                    Some(f) => f.finish(id, call).await,
                    None => call,
                };
                let result = tokio::task::spawn_blocking(move || History::open_default()?.record(&call))
                    .await
                    .map_err(|e| e.to_string())
                    .and_then(|r| r.map_err(|e| e.to_string()));
                saved(result);
                if once && calls.is_empty() {
                    break;
                }
            }
        });
        Self { next, task }
    }

    /// The next call is one we place to `number`.
    pub fn dialing(&self, number: &str) {
        *self.next.lock().unwrap_or_else(PoisonError::into_inner) = Some(Tracker::outgoing(number));
    }

    /// Waits until the recorder has stopped (with `once`, after the first call).
    pub async fn finish(self) {
        let _ = self.task.await;
    }
}
