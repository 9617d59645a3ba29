//! `dialtone preflight [NUMBER]`: is everything in place for a demo? The checks and the
//! verdict are `dialtone_phone::preflight`'s (the window runs them too); this is the
//! command: the line from the arguments, the output, `--report` and `--pcap`. Exit 0
//! when every check passed, 1 otherwise.

use crate::args::CallArgs;
use crate::output::Reporter;
use crate::{line, report, usage_error};
use dialtone_core::call::Address;
use dialtone_phone::preflight::{Clicks, ECHO, Heard, Steps, call_and_listen, judge, refuse, table};
use std::process::ExitCode;
use std::time::{Duration, Instant};

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
    if let Some(why) = refuse(network) {
        return usage_error(&out, "INVALID_ARGUMENT", why.into());
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
        watch.follow(line);
        facts = Some(report::facts(line, &args, &number, true));
        let printer = out.follow(line.call.subscribe_line());
        call_and_listen(line, address, &number, &clicks, listen_for, &mut heard).await;
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
