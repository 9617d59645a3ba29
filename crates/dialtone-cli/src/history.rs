//! Call history for the CLI: every call it places or takes is recorded (the same rows
//! the app shows), and `dialtone history` lists them.

use crate::output::Reporter;
use dialtone_core::call::CallEvent;
use dialtone_core::history::{History, Tracker};
use std::process::ExitCode;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

/// Records each call that ends on `rx` (only the first with `once`). A history that
/// cannot be written is a note, never a failed call.
pub fn record(
    mut tracker: Tracker,
    mut rx: broadcast::Receiver<CallEvent>,
    out: Reporter,
    once: bool,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let event = match rx.recv().await {
                Ok(e) => e,
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => break,
            };
            let Some(call) = tracker.on_event(&event) else {
                continue;
            };
            let saved = tokio::task::spawn_blocking(move || History::open_default()?.record(&call))
                .await
                .map_err(|e| e.to_string())
                .and_then(|r| r.map_err(|e| e.to_string()));
            if let Err(e) = saved {
                out.note(&format!("the call was not saved to the history: {e}"));
            }
            if once {
                break;
            }
        }
    })
}

pub fn list(json: bool, limit: usize, clear: bool) -> anyhow::Result<ExitCode> {
    let history = History::open_default()?;
    if clear {
        history.clear()?;
        return Ok(ExitCode::SUCCESS);
    }
    for call in history.recent(limit)? {
        if json {
            println!("{}", serde_json::to_value(&call)?);
            continue;
        }
        let when =
            time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(call.started_at_ms) * 1_000_000)
                .ok()
                .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
                .unwrap_or_default();
        let arrow = if call.incoming { "from" } else { "to" };
        let talked = call.connected_ms.map_or("not connected".to_owned(), |ms| {
            format!("{:.0} s", ms as f64 / 1000.0)
        });
        let number = dialtone_core::call::PhoneNumber::parse(&call.number)
            .map_or_else(|_| call.number.clone(), |n| n.pretty());
        println!("{when}  {arrow} {number}  {talked}  {}", call.outcome);
    }
    Ok(ExitCode::SUCCESS)
}
