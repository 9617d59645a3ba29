//! Several calls on one line, over the sandbox's CAMARA APIs (HTTP, CloudEvents) run in a
//! child process, so this process holds only the line: what a swap takes (the active call
//! held, then the other resumed; median of 20) beside the same line's hold and resume of
//! one call, and the CPU of a three-way call beside one call's, same run.
//! Printed, never asserted.

use dialtone_core::audio::FnBackend;
use dialtone_core::call::{CallId, Command, LineCall, LineCommand};
use dialtone_core::media::io::{NullSink, ToneSource};
use dialtone_e2e::bench::{SandboxProcess, cpu_time, ms, report, runtime, versus};
use dialtone_phone::{Line, Network};
use std::time::{Duration, Instant};

const SWAPS: usize = 20;
const CPU_WINDOW: Duration = Duration::from_secs(10);

async fn until(line: &Line, want: &[(CallId, &str)]) {
    let found = line
        .call
        .wait_calls(Duration::from_secs(20), |calls| LineCall::are(calls, want))
        .await;
    assert!(found.is_some(), "calls never {want:?}: {:?}", line.call.calls());
}

async fn state(line: &Line, name: &str) {
    let found = line
        .call
        .wait_state(Duration::from_secs(20), |s| s.name() == name)
        .await;
    assert!(found.is_some(), "never {name}: {}", line.call.state());
}

/// This process's CPU over `window`, % of one core.
async fn cpu_over(window: Duration) -> f64 {
    let (c0, t0) = (cpu_time(), Instant::now());
    tokio::time::sleep(window).await;
    (cpu_time() - c0).as_secs_f64() / t0.elapsed().as_secs_f64() * 100.0
}

struct Figures {
    swaps: Vec<f64>,
    hold_resume: Vec<f64>,
    idle: f64,
    one_call: f64,
    three_way: f64,
}

async fn measure(url: String) -> Figures {
    let options = dialtone_e2e::line::options_at(url, None, Network::Camara);
    // A tone into each call, what it plays dropped: the media work of a call, no device.
    let audio = FnBackend::shared(|| (Box::new(ToneSource::new(1000.0, 0.3)), Box::new(NullSink)));
    let line = Line::open_with_audio(&options, audio).await.expect("line");
    let idle = cpu_over(Duration::from_secs(3)).await;

    // +15550111 calls back as call 2; answering it holds call 1.
    let to = |n: &str| dialtone_core::call::Address::parse(n).expect("number");
    line.call
        .command(Command::Dial(to("+15550111")))
        .await
        .expect("dial");
    until(&line, &[(1, "Connected")]).await;
    until(&line, &[(1, "Connected"), (2, "Alerting")]).await;
    line.call.line(LineCommand::Answer(2)).await.expect("answer");
    until(&line, &[(1, "Held"), (2, "Connected")]).await;
    let mut swaps = Vec::new();
    for i in 0..SWAPS {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let (to, want) = if i % 2 == 0 {
            (1, [(1, "Connected"), (2, "Held")])
        } else {
            (2, [(1, "Held"), (2, "Connected")])
        };
        let t0 = Instant::now();
        line.call.line(LineCommand::Resume(to)).await.expect("swap");
        until(&line, &want).await;
        swaps.push(ms(t0.elapsed()));
    }
    // One call alone: its hold and its resume, each to its state, summed.
    line.call.line(LineCommand::Hangup(2)).await.expect("hang up 2");
    until(&line, &[(1, "Held")]).await;
    line.call.line(LineCommand::Resume(1)).await.expect("resume 1");
    until(&line, &[(1, "Connected")]).await;
    let mut hold_resume = Vec::new();
    for _ in 0..SWAPS {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let t0 = Instant::now();
        line.call.command(Command::Hold).await.expect("hold");
        state(&line, "Held").await;
        line.call.command(Command::Resume).await.expect("resume");
        state(&line, "Connected").await;
        hold_resume.push(ms(t0.elapsed()));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let one_call = cpu_over(CPU_WINDOW).await;

    // +15550112 dialled (call 1 held first), then call 1 merged in.
    let third = line
        .call
        .line(LineCommand::Dial(to("+15550112")))
        .await
        .expect("dial")
        .expect("an id");
    until(&line, &[(1, "Held"), (third, "Connected")]).await;
    line.call.line(LineCommand::Merge(1)).await.expect("merge");
    until(&line, &[(1, "Connected"), (third, "Connected")]).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let three_way = cpu_over(CPU_WINDOW).await;
    line.close().await;
    Figures {
        swaps,
        hold_resume,
        idle,
        one_call,
        three_way,
    }
}

fn main() {
    if SandboxProcess::serve_if_child() {
        return;
    }
    let sandbox = SandboxProcess::start();
    let url = sandbox.url.clone();
    println!("Several calls on one line: the sandbox at {url} in its own process; this process is the line");
    let f = runtime().block_on(measure(url));
    let swap = report("swap: hold one call, resume the other", "ms", f.swaps);
    let single = report("one call: hold, then resume", "ms", f.hold_resume);
    println!(
        "{:<44} {:>15.2} %      (the line open, no call)",
        "cpu: idle line", f.idle
    );
    println!(
        "{:<44} {:>15.2} %      (over {} s)",
        "cpu: one call",
        f.one_call,
        CPU_WINDOW.as_secs()
    );
    println!(
        "{:<44} {:>15.2} %      (over {} s: two legs, each sent us and the other)",
        "cpu: three-way call",
        f.three_way,
        CPU_WINDOW.as_secs()
    );
    println!(
        "\n{:<44} {:>9} {:>9} {:<4} {:>7}",
        "Dialtone vs the named anchor", "figure", "anchor", "", "ratio"
    );
    versus("swap vs one call's hold + resume", "ms", swap, single, None);
    versus(
        "three-way cpu vs one call's cpu",
        "%",
        f.three_way,
        f.one_call,
        None,
    );
    drop(sandbox);
}
