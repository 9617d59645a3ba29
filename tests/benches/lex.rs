//! `make bench`, bot calls: Dialtone's Lex driver (the official SDK) against the
//! sandbox's demo bot, on loopback. Printed, never asserted. References measured in the
//! same run: a WebRTC call to the sandbox's echo number (call setup), and a bare HTTP
//! GET to the same sandbox (request round trips).

use dialtone_core::call::{CallEvent, Command};
use dialtone_core::signaling::lex::Mode;
use dialtone_e2e::bench::{ms, report, runtime};
use dialtone_e2e::lex::{BOT, barge_in, bot_said, connected, hang_up};
use dialtone_e2e::line::{lex_line, line, quiet_audio, sandbox};
use dialtone_sandbox::Sandbox;
use std::time::{Duration, Instant};
use tokio::sync::broadcast;

const RUNS: usize = 10;
const BARGE_INS: usize = 5;

/// Time from `start` until `rx` carries an event `pred` picks.
async fn until(
    rx: &mut broadcast::Receiver<CallEvent>,
    start: Instant,
    pred: impl Fn(&CallEvent) -> bool,
) -> Duration {
    let deadline = start + Duration::from_secs(10);
    loop {
        match tokio::time::timeout_at(deadline.into(), rx.recv()).await {
            Ok(Ok(e)) if pred(&e) => return start.elapsed(),
            Ok(Ok(_)) | Ok(Err(broadcast::error::RecvError::Lagged(_))) => continue,
            _ => panic!("the event never came"),
        }
    }
}

async fn setup_times(sb: &Sandbox) {
    let (mut bot, mut webrtc) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let l = lex_line(sb, Mode::Text, quiet_audio()).await;
        let started = Instant::now();
        l.dial(BOT).await;
        l.wait("Connected", Duration::from_secs(10)).await;
        bot.push(ms(started.elapsed()));
        hang_up(&l).await;

        let p = line(sb, 1000.0).await;
        let started = Instant::now();
        p.dial("+15550100").await;
        p.wait("Connected", Duration::from_secs(10)).await;
        webrtc.push(ms(started.elapsed()));
        p.call.command(Command::Hangup).await.expect("hang up");
        p.wait("Ended", Duration::from_secs(5)).await;
        p.call.shutdown().await;
    }
    let b = report("bot call: dial -> Connected", "ms", bot);
    let w = report("reference: WebRTC call to echo -> Connected", "ms", webrtc);
    println!("{:<44} {:>8.2} x", "  bot setup / WebRTC setup", b / w);
}

async fn round_trips(sb: &Sandbox) {
    let http = reqwest::Client::new();
    let status = format!("{}/sandbox/v1/status", sb.base_url());
    let control = sb.credentials().control_token;
    let (mut get, mut text, mut key) = (Vec::new(), Vec::new(), Vec::new());
    // Audio mode: the demo bot takes keys only there.
    let l = connected(sb, Mode::Audio, quiet_audio()).await;
    let mut rx = l.call.subscribe();
    for _ in 0..RUNS {
        // Start each figure with nothing in flight: the previous reply has come, and
        // nothing is left unread.
        tokio::time::sleep(Duration::from_millis(100)).await;
        while rx.try_recv().is_ok() {}
        let started = Instant::now();
        http.get(&status)
            .bearer_auth(&control)
            .send()
            .await
            .expect("status")
            .bytes()
            .await
            .expect("body");
        get.push(ms(started.elapsed()));

        let started = Instant::now();
        let sending = l.call.command(Command::Text("book a room".into()));
        let (sent, took) = tokio::join!(sending, until(&mut rx, started, bot_said("Which city")));
        sent.expect("text");
        text.push(ms(took));
        tokio::time::sleep(Duration::from_millis(100)).await;
        while rx.try_recv().is_ok() {}

        let started = Instant::now();
        let sending = l.call.command(Command::Dtmf("1".into()));
        let (sent, took) = tokio::join!(
            sending,
            until(
                &mut rx,
                started,
                |e| matches!(e, CallEvent::Intent { input_mode, .. } if input_mode.as_deref() == Some("DTMF"))
            )
        );
        sent.expect("key");
        key.push(ms(took));
    }
    hang_up(&l).await;
    let g = report("reference: HTTP GET to the sandbox", "ms", get);
    let t = report("bot call: text -> the bot's reply", "ms", text);
    let k = report("bot call: key 1 -> the intent", "ms", key);
    println!("{:<44} {:>8.2} x", "  text round trip / HTTP round trip", t / g);
    println!("{:<44} {:>8.2} x", "  key round trip / HTTP round trip", k / g);
}

async fn barge_ins(sb: &Sandbox) {
    let mut stopped = Vec::new();
    for _ in 0..BARGE_INS {
        let (l, b) = barge_in(sb).await;
        stopped.push(ms(b.stopped_after));
        hang_up(&l).await;
    }
    let m = report("barge-in: interruption -> prompt silent", "ms", stopped);
    println!(
        "{:<44} {:>8.2} x  (one 20 ms frame: {:.2} x)",
        "  barge-in / the 100 ms goal",
        m / 100.0,
        m / 20.0
    );
}

fn main() {
    let rt = runtime();
    println!("Dialtone bot-call benchmark (Lex demo bot on the sandbox, {RUNS} runs per figure)");
    rt.block_on(async {
        let sb = sandbox(Default::default()).await;
        setup_times(&sb).await;
        round_trips(&sb).await;
        barge_ins(&sb).await;
    });
}
