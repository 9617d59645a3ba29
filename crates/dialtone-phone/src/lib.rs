//! One phone line, as the CLI and the desktop app open it: the signaling provider (an
//! operator account, or the sandbox run in-process when none is configured), the call
//! driver, the audio backend, and the call history.

pub mod call_files;
mod history;
mod line;
pub mod links;
mod networks;
pub mod preflight;

pub use call_files::{CallFiles, LineFacts, RecordingNews};
pub use history::{HistoryRecorder, SavedCall};
pub use line::{AudioChoice, Line, LineError, LineOptions, LineSource, Network};
pub use links::{LinkOffer, LinkPrefs};
pub use networks::{Calls, DirectoryEntry};

/// The next event on `rx`, skipping what a slow reader missed; `None` once it closed.
pub async fn next_event<T: Clone>(rx: &mut tokio::sync::broadcast::Receiver<T>) -> Option<T> {
    loop {
        match rx.recv().await {
            Ok(e) => return Some(e),
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
        }
    }
}
