//! A preflight: is everything in place for a demo? It opens a line (token,
//! registration, subscription), places a short call (the sandbox's echo by default), and
//! times each phase from the signaling transcript and the media's milestones, on one
//! clock from the start:
//!
//! token → registration → subscription → session created → ICE connected → DTLS connected
//! → first audio received → first audio at the far end (when the far end says) → audio
//! round trip (when the far end is an echo: a click we send, timed until we hear it).
//!
//! The first phase that did not happen is the failure, with a sentence on what to do;
//! the phases after it were not reached. `dialtone preflight` and the window's Preflight
//! button both run it.

mod clicks;
mod judge;

pub use clicks::Clicks;
pub use judge::{Heard, Phase, Preflight, Steps, judge, table};

use crate::{Line, LineOptions, Network};
use dialtone_core::call::{Address, CallState, Command};
use dialtone_report::WireTap;
use std::time::{Duration, Instant};

/// The sandbox's echo: it sends back what it hears.
pub const ECHO: &str = "+15550100";

/// How long the call has to come up.
const SETUP: Duration = Duration::from_secs(30);

/// Why a preflight was not run.
#[derive(Debug, thiserror::Error)]
pub enum PreflightError {
    #[error("{0}")]
    InvalidNumber(String),
    #[error("{0}")]
    NotApplicable(&'static str),
}

/// Why a preflight cannot be run at all (the caller's usage error).
pub fn refuse(network: Network) -> Option<&'static str> {
    (network == Network::Lex)
        .then_some("preflight checks phone and Alexa lines; a bot call has no WebRTC media to check")
}

/// The whole preflight on a line of its own opened as `options` say (their audio is
/// replaced by the clicks): what the window runs. `tap` is the process's transcript.
pub async fn run(
    options: &LineOptions,
    number: &str,
    listen_for: Duration,
    tap: &WireTap,
) -> Result<Preflight, PreflightError> {
    let address = Address::parse(number).map_err(|e| PreflightError::InvalidNumber(e.to_string()))?;
    let network = Network::for_address(&address);
    if let Some(why) = refuse(network) {
        return Err(PreflightError::NotApplicable(why));
    }
    let options = LineOptions {
        network,
        ..options.clone()
    };
    let start = Instant::now();
    let clicks = Clicks::default();
    let mut heard = Heard::default();
    match Line::open_with_audio(&options, clicks.audio()).await {
        Ok(line) => {
            call_and_listen(&line, address, number, &clicks, listen_for, &mut heard).await;
            line.close().await;
        }
        Err(e) => heard.error = Some(e.to_string()),
    }
    let messages: Vec<_> = tap
        .messages()
        .into_iter()
        .filter(|(at, _)| *at >= start)
        .collect();
    Ok(judge(number, start, &messages, &Steps::of(network), &heard))
}

/// Places the call to `address` on `line` (whose audio is `clicks`), listens for
/// `listen_for` and hangs up, noting in `heard` what the far end and our ears said.
pub async fn call_and_listen(
    line: &Line,
    address: Address,
    number: &str,
    clicks: &Clicks,
    listen_for: Duration,
    heard: &mut Heard,
) {
    heard.echo = number == ECHO && line.source.is_sandbox();
    heard.far_end_reports = line.embedded_sandbox().is_some();
    if let Err(e) = line.call.command(Command::Dial(address)).await {
        heard.error = Some(e.to_string());
    }
    let up = line
        .call
        .wait_state(SETUP, |s| {
            *s == CallState::Connected || matches!(s, CallState::Ended(_))
        })
        .await;
    match up {
        Some(CallState::Connected) => {
            heard.far_end_first_audio = listen(line, listen_for).await;
            heard.round_trip = clicks.round_trip();
            if line.call.command(Command::Hangup).await.is_ok() {
                let _ = line
                    .call
                    .wait_state(Duration::from_secs(5), |s| matches!(s, CallState::Ended(_)))
                    .await;
            }
        }
        Some(s) => heard.error = heard.error.take().or(Some(format!("the call ended: {s}"))),
        None => heard.error = Some(format!("the call was not set up within {} s", SETUP.as_secs())),
    }
}

/// Listens for `how_long`; on the embedded sandbox, when its far end first counted our audio.
async fn listen(line: &Line, how_long: Duration) -> Option<Instant> {
    let until = Instant::now() + how_long;
    let mut first = None;
    while Instant::now() < until {
        if first.is_none()
            && let Some(sandbox) = line.embedded_sandbox()
            && sandbox
                .status()
                .await
                .sessions
                .first()
                .is_some_and(|s| s.far_end_rtp_received > 0)
        {
            first = Some(Instant::now());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first
}
