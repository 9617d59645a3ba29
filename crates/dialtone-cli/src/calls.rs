//! The runs that place or take calls: `call`, `verify-hold` and `listen`, each from its
//! arguments to its exit code.

use crate::args::CallArgs;
use crate::output::Reporter;
use crate::script::{self, Step};
use crate::{line, report, steps, usage_error, verify};
use anyhow::Context;
use dialtone_core::call::{Address, CallEvent, CallState, Command};
use std::process::ExitCode;
use std::time::Duration;

pub(crate) async fn call(
    number: String,
    mut args: CallArgs,
    emergency: bool,
    location: Option<String>,
) -> anyhow::Result<ExitCode> {
    let mut out = Reporter::new(args.json);
    let number = match Address::parse(&number) {
        Ok(n) => n,
        Err(e) => return usage_error(&out, "INVALID_NUMBER", e.to_string()),
    };
    let steps = match args.script.as_deref().map(script::parse).transpose() {
        Ok(s) => s,
        Err(e) => return usage_error(&out, "INVALID_SCRIPT", e.to_string()),
    };
    let location = match location
        .map(|l| serde_json::from_str::<serde_json::Value>(&l))
        .transpose()
    {
        Ok(l) => l,
        Err(e) => return usage_error(&out, "INVALID_LOCATION", format!("--location is not JSON: {e}")),
    };
    let (report, mut watch) = match args.prepare(&mut out, steps.as_deref()) {
        Ok(r) => r,
        Err((code, e)) => return usage_error(&out, code, e),
    };
    let network = args
        .network
        .map_or_else(|| dialtone_phone::Network::for_address(&number), Into::into);
    let line = line::open(&args, &out, network, watch.capture()).await?;
    line.set_call_options(emergency, location);
    watch.follow(&line);
    let facts = report::facts(&line, &args, &number.to_string(), true);
    let printer = out.follow(line.call.subscribe_line());
    let recorder = crate::history::record(
        dialtone_core::history::Tracker::outgoing(&number.to_string()),
        line.call.subscribe_line(),
        out.clone(),
        true,
    );
    let meters = out.follow_audio(line.audio.clone());
    line.call
        .command(Command::Dial(number))
        .await
        .map_err(|e| anyhow::anyhow!(e))?;
    let outcome = run_call(&line, &out, steps.as_deref(), true, &watch).await;
    line.close().await;
    meters.abort();
    printer.finish().await;
    // The Ended event is already out; saving it is a moment's work.
    let _ = tokio::time::timeout(Duration::from_secs(5), recorder.finish()).await;
    let outcome = report::write(report, watch, facts, &out, outcome);
    finish(&out, outcome)
}

pub(crate) async fn verify_hold(
    number: String,
    cycles: u32,
    hold_for: Duration,
    mut args: CallArgs,
) -> anyhow::Result<ExitCode> {
    let mut out = Reporter::new(args.json);
    let address = match Address::parse(&number) {
        Ok(n) => n,
        Err(e) => return usage_error(&out, "INVALID_NUMBER", e.to_string()),
    };
    if let Err((code, e)) = args.refuse_own_audio("verify-hold runs its own steps with its own tones") {
        return usage_error(&out, code, e);
    }
    let (report, mut watch) = match args.prepare(&mut out, None) {
        Ok(r) => r,
        Err((code, e)) => return usage_error(&out, code, e),
    };
    let network = args
        .network
        .map_or_else(|| dialtone_phone::Network::for_address(&address), Into::into);
    let (audio, ears) = verify::audio();
    let line = line::open_with(&args, &out, network, Some(audio), watch.capture()).await?;
    watch.follow(&line);
    let facts = report::facts(&line, &args, &address.to_string(), true);
    let printer = out.follow(line.call.subscribe_line());
    let meters = out.follow_audio(line.audio.clone());
    line.call
        .command(Command::Dial(address))
        .await
        .map_err(|e| anyhow::anyhow!(e))?;
    let up = line
        .call
        .wait_state(Duration::from_secs(120), |s| {
            *s == CallState::Connected || matches!(s, CallState::Ended(_))
        })
        .await;
    let outcome = match up {
        Some(CallState::Connected) => {
            let verdict = verify::run(&line, &watch.collector(), &ears, &number, cycles, hold_for).await;
            let _ = steps::hang_up_all(&line).await;
            println!("{}", serde_json::to_string(&verdict).unwrap_or_default());
            if verdict.pass {
                Ok(())
            } else {
                Err("the hold check failed: see the verdict's checks".to_owned())
            }
        }
        Some(s) => Err(format!("the call did not connect: {s}")),
        None => Err("the call was not set up in time".to_owned()),
    };
    line.close().await;
    meters.abort();
    printer.finish().await;
    let outcome = report::write(report, watch, facts, &out, outcome);
    finish(&out, outcome)
}

fn finish(out: &Reporter, outcome: Result<(), String>) -> anyhow::Result<ExitCode> {
    match outcome {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(message) => {
            out.error("SCRIPT", &message);
            Ok(ExitCode::from(1))
        }
    }
}

/// Waits for the call to come up, runs the script, and hangs up at its end.
async fn run_call(
    line: &dialtone_phone::Line,
    out: &Reporter,
    steps: Option<&[Step]>,
    outgoing: bool,
    watch: &report::Watch,
) -> Result<(), String> {
    let setup = if outgoing {
        Duration::from_secs(120)
    } else {
        Duration::from_secs(30)
    };
    let state = line
        .call
        .wait_state(setup, |s| {
            *s == CallState::Connected || matches!(s, CallState::Ended(_))
        })
        .await
        .ok_or("the call was not set up in time")?;
    if let CallState::Ended(reason) = state {
        return Err(format!("the call did not connect: {reason}"));
    }
    let Some(steps) = steps else {
        // No script: stay on the call until it ends or Ctrl-C.
        tokio::select! {
            _ = line.call.wait_state(Duration::MAX, |s| matches!(s, CallState::Ended(_))) => {}
            _ = tokio::signal::ctrl_c() => {
                out.note("hanging up (Ctrl-C)");
                steps::hang_up_all(line).await?;
            }
        }
        return Ok(());
    };
    steps::run(line, steps, watch).await
}

pub(crate) async fn listen(
    mut args: CallArgs,
    auto_answer: bool,
    decline: bool,
    calls: Option<u32>,
    call_me_after: Option<String>,
) -> anyhow::Result<ExitCode> {
    let mut out = Reporter::new(args.json);
    let steps = match args.script.as_deref().map(script::parse).transpose() {
        Ok(s) => s,
        Err(e) => return usage_error(&out, "INVALID_SCRIPT", e.to_string()),
    };
    let (report, mut watch) = match args.prepare(&mut out, steps.as_deref()) {
        Ok(r) => r,
        Err((code, e)) => return usage_error(&out, code, e),
    };
    let call_me_after = match call_me_after
        .as_deref()
        .map(|d| script::parse_duration(d).ok_or(d))
        .transpose()
    {
        Ok(d) => d,
        Err(d) => {
            return usage_error(
                &out,
                "INVALID_DURATION",
                format!("'{d}' is not a duration such as 5s"),
            );
        }
    };
    let network = args.network.map_or_else(Default::default, Into::into);
    let line = line::open(&args, &out, network, watch.capture()).await?;
    watch.follow(&line);
    let mut facts = report::facts(&line, &args, "", false);
    let printer = out.follow(line.call.subscribe_line());
    let meters = out.follow_audio(line.audio.clone());
    let _recorder = crate::history::record(
        dialtone_core::history::Tracker::incoming(),
        line.call.subscribe_line(),
        out.clone(),
        false,
    );
    let mut events = line.call.subscribe();
    line.call
        .command(Command::Register)
        .await
        .map_err(|e| anyhow::anyhow!(e))?;
    line.call
        .wait_state(Duration::from_secs(30), |s| {
            *s == CallState::Idle || matches!(s, CallState::Ended(_))
        })
        .await
        .context("registration took too long")?;
    if let CallState::Ended(reason) = line.call.state() {
        line.close().await;
        printer.finish().await;
        return finish(&out, Err(format!("could not register: {reason}")));
    }
    out.registered(line.own_number().as_deref());
    if let Some(after) = call_me_after {
        line.call_me_after(after)?;
    }
    let mut handled = 0u32;
    let mut outcome = Ok(());
    loop {
        let incoming = tokio::select! {
            e = events.recv() => e,
            _ = tokio::signal::ctrl_c() => break,
        };
        let Ok(CallEvent::Incoming { from }) = incoming else {
            continue;
        };
        if facts.remote.is_empty() {
            facts.remote = from;
        }
        if decline {
            let _ = line.call.command(Command::Decline).await;
        } else if auto_answer {
            let _ = line.call.command(Command::Answer).await;
        } else {
            out.note("incoming call: run with --auto-answer or --decline to take it without a prompt");
            let _ = line.call.command(Command::Decline).await;
        }
        if !decline {
            outcome = run_call(&line, &out, steps.as_deref(), false, &watch).await;
        }
        handled += 1;
        if calls.is_some_and(|n| handled >= n) || outcome.is_err() {
            break;
        }
    }
    line.close().await;
    meters.abort();
    printer.finish().await;
    let outcome = report::write(report, watch, facts, &out, outcome);
    finish(&out, outcome)
}
