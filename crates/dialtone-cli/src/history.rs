//! Call history for the CLI: every call it places or takes is recorded (the same rows
//! the app shows), and `dialtone history` lists them.

use crate::output::Reporter;
use dialtone_core::call::LineEvent;
use dialtone_core::history::{History, Tracker};
use dialtone_phone::HistoryRecorder;
use std::process::ExitCode;
use tokio::sync::broadcast;

/// Records each call that ends on `rx` (only the first with `once`); a history that
/// cannot be written is a note.
pub fn record(
    tracker: Tracker,
    rx: broadcast::Receiver<LineEvent>,
    out: Reporter,
    once: bool,
) -> HistoryRecorder {
    HistoryRecorder::start(tracker, rx, once, None, move |saved| {
        if let Err(e) = saved {
            out.note(&format!("the call was not saved to the history: {e}"));
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
        let number = dialtone_core::call::Address::parse(&call.number)
            .map_or_else(|_| call.number.clone(), |n| n.pretty());
        let codec = call
            .codec
            .as_deref()
            .map(|c| format!("  {c}"))
            .unwrap_or_default();
        println!("{when}  {arrow} {number}  {talked}  {}{codec}", call.outcome);
    }
    Ok(ExitCode::SUCCESS)
}
