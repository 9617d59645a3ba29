//! Every call a line places or takes is recorded in the shared history.

use dialtone_core::call::CallEvent;
use dialtone_core::history::{History, Tracker};
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

/// The outcome of saving one ended call: its row id, or why it was not saved.
pub type SavedCall = Result<i64, String>;

/// Follows a line's events into the history.
pub struct HistoryRecorder {
    tracker: Arc<Mutex<Tracker>>,
    task: JoinHandle<()>,
}

impl HistoryRecorder {
    /// Records each call that ends on `rx` (only the first with `once`). A history that
    /// cannot be written is reported to `saved`, never a failed call.
    pub fn start(
        tracker: Tracker,
        mut rx: broadcast::Receiver<CallEvent>,
        once: bool,
        saved: impl Fn(SavedCall) + Send + 'static,
    ) -> Self {
        let tracker = Arc::new(Mutex::new(tracker));
        let t = tracker.clone();
        let task = tokio::spawn(async move {
            while let Some(event) = crate::next_event(&mut rx).await {
                let ended = t.lock().unwrap_or_else(PoisonError::into_inner).on_event(&event);
                let Some(call) = ended else { continue };
                let result = tokio::task::spawn_blocking(move || History::open_default()?.record(&call))
                    .await
                    .map_err(|e| e.to_string())
                    .and_then(|r| r.map_err(|e| e.to_string()));
                saved(result);
                if once {
                    break;
                }
            }
        });
        Self { tracker, task }
    }

    /// The next call is one we place to `number`.
    pub fn dialing(&self, number: &str) {
        *self.tracker.lock().unwrap_or_else(PoisonError::into_inner) = Tracker::outgoing(number);
    }

    /// Waits until the recorder has stopped (with `once`, after the first call).
    pub async fn finish(self) {
        let _ = self.task.await;
    }
}
