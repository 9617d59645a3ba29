//! `dialtone preflight [NUMBER]`: is everything in place for a demo? It opens the line
//! (token, registration, subscription), places a short call (the sandbox's echo by
//! default), and times each phase from the signaling transcript and the media's
//! milestones, on one clock from the start:
//!
//! token → registration → subscription → session created → ICE connected → DTLS connected
//! → first audio received → first audio at the far end (when the far end says) → audio
//! round trip (when the far end is an echo: a click we send, timed until we hear it).
//!
//! The first phase that did not happen is the failure, with a sentence on what to do;
//! the phases after it were not reached. Exit 0 when every check passed, 1 otherwise.

mod clicks;
mod judge;

use crate::args::CallArgs;
use crate::output::Reporter;
use crate::{line, report, steps, usage_error};
use clicks::Clicks;
use dialtone_core::call::{Address, CallState, Command};
use judge::{Heard, Steps, judge, table};
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// The sandbox's echo: it sends back what it hears.
pub const ECHO: &str = "+15550100";

/// The run: open the line, call, listen for `listen_for`, hang up, judge.
pub(crate) async fn run(
    number: Option<String>,
    listen_for: Duration,
    mut args: CallArgs,
) -> anyhow::Result<ExitCode> {
    let mut out = Reporter::new(args.json);
    let number = number.unwrap_or_else(|| ECHO.to_owned());
    let address = match Address::parse(&number) {
        Ok(n) => n,
        Err(e) => return usage_error(&out, "INVALID_NUMBER", e.to_string()),
    };
    if let Err((code, e)) = args.refuse_own_audio("preflight places its own call with its own clicks") {
        return usage_error(&out, code, e);
    }
    let network = args
        .network
        .map_or_else(|| dialtone_phone::Network::for_address(&address), Into::into);
    if network == dialtone_phone::Network::Lex {
        return usage_error(
            &out,
            "INVALID_ARGUMENT",
            "preflight checks phone and Alexa lines; a bot call has no WebRTC media to check".into(),
        );
    }
    // Everything is timed from here, the token included.
    let start = Instant::now();
    drop(report::tap().take());
    let (report, mut watch) = match args.prepare(&mut out, None) {
        Ok(r) => r,
        Err((code, e)) => return usage_error(&out, code, e),
    };
    let clicks = Clicks::default();
    let mut heard = Heard::default();
    let line = match line::open_with(&args, &out, network, Some(clicks.audio()), watch.capture()).await {
        Ok(line) => Some(line),
        Err(e) => {
            heard.error = Some(format!("{e:#}"));
            None
        }
    };
    let mut facts = None;
    if let Some(line) = &line {
        heard.echo = number == ECHO && line.source.is_sandbox();
        heard.far_end_reports = line.embedded_sandbox().is_some();
        watch.follow(line);
        facts = Some(report::facts(line, &args, &number, true));
        let printer = out.follow(line.call.subscribe_line());
        if let Err(e) = line.call.command(Command::Dial(address)).await {
            heard.error = Some(e.to_string());
        }
        let up = line
            .call
            .wait_state(Duration::from_secs(30), |s| {
                *s == CallState::Connected || matches!(s, CallState::Ended(_))
            })
            .await;
        match up {
            Some(CallState::Connected) => {
                heard.far_end_first_audio = listen(line, listen_for).await;
                heard.round_trip = clicks.round_trip();
                let _ = steps::hang_up_all(line).await;
            }
            Some(s) => heard.error = heard.error.take().or(Some(format!("the call ended: {s}"))),
            None => heard.error = Some("the call was not set up within 30 s".into()),
        }
        printer.finish().await;
    }
    if let Some(line) = line {
        line.close().await;
    }
    // Read, not taken: the report wants the transcript too.
    let messages = report::tap().messages();
    let verdict = judge(&number, start, &messages, &Steps::of(network), &heard);
    if args.json {
        println!("{}", serde_json::to_string(&verdict).unwrap_or_default());
    } else {
        print!("{}", table(&verdict));
    }
    let facts = facts.unwrap_or_else(|| dialtone_report::Facts {
        remote: number.clone(),
        outgoing: true,
        ..Default::default()
    });
    if let Err(e) = report::write(report, watch, facts, &out, Ok(())) {
        out.error("REPORT", &e);
    }
    Ok(if verdict.pass {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Listens for `how_long`; on the embedded sandbox, when its far end first counted our audio.
async fn listen(line: &dialtone_phone::Line, how_long: Duration) -> Option<Instant> {
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
