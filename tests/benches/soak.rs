//! `make soak`: what hours of use do to Dialtone, compressed. Not in `make test`; each part
//! prints its figures, and the run fails (exit 1) on a failed cycle, a dropped call, or
//! growth beyond `Growth::NOISE` between the warmed-up figures and the last.
//!
//! - `hold`: 1000 hold/resume cycles in one call with Chromium as the far end. Every
//!   cycle, Chromium's own view is checked: its transceiver's negotiated direction
//!   (`sendonly` on hold, `sendrecv` on resume), its packet count of ours standing still
//!   while held, and its ear hearing our tone again after the resume.
//! - `cli`: 200 calls one after another in one `dialtone call` process (a script), with
//!   the process's memory, descriptors, threads and tasks before and after.
//! - `app`: 50 calls in the app's window (WebDriver), the same figures from the app.
//! - `concurrent`: 100 echo calls at once from this process on a sandbox in another
//!   process: how many dropped, and both processes' CPU.
//!
//! `make soak` (`SOAK="hold cli"` for some parts) builds the CLI and the app as `make test`
//! and `make run` do, then runs `cargo test -p dialtone-e2e --bench soak -- [hold] [cli]
//! [app] [concurrent]` under a private sound server and desktop: the builds that are
//! tested, not a release build of its own.

use dialtone_core::call::Address;
use dialtone_core::media::analysis::rms_dbfs;
use dialtone_core::process::ProcessFigures;
use dialtone_e2e::bench::{SandboxProcess, cpu_time, ms, runtime, tree_cpu};
use dialtone_e2e::chromium::Chromium;
use dialtone_e2e::cli::{Cli, json_lines};
use dialtone_e2e::desk::{self, Desk};
use dialtone_e2e::webdriver::Theme;
use dialtone_e2e::{Peer, line};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::{Duration, Instant};

const HOLD_CYCLES: usize = 1000;
const CLI_CALLS: usize = 200;
const APP_CALLS: usize = 50;
const CONCURRENT_CALLS: usize = 100;

/// The codec of the concurrent calls (`SOAK_CODEC=opus`; PCMU unless told): 100 Opus
/// calls encode and decode 200 streams at Chrome's complexity, more than two cores do.
fn concurrent_codec() -> Result<dialtone_core::media::CodecName, String> {
    let name = std::env::var("SOAK_CODEC").unwrap_or_else(|_| "PCMU".into());
    dialtone_core::media::CodecName::parse(&name).map_err(|e| format!("SOAK_CODEC: {e}"))
}

/// `SOAK_CONCURRENT=20` runs that many concurrent calls instead, to find where a machine
/// stops keeping up.
fn concurrent_count() -> usize {
    std::env::var("SOAK_CONCURRENT")
        .ok()
        .and_then(|n| n.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(CONCURRENT_CALLS)
}
/// How long the concurrent calls are watched (CPU, and that none drops).
const CONCURRENT_WINDOW: Duration = Duration::from_secs(30);
/// How long after the last call the figures are read: what closes a call finishes
/// within about 10 s.
const SETTLE: Duration = Duration::from_secs(15);
const OURS: f64 = 1000.0;
const THEIRS: f64 = 2000.0;
/// The sandbox's echo.
const ECHO: &str = "+15550100";

fn main() {
    if SandboxProcess::serve_if_child() {
        return;
    }
    let asked: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let wants = |part: &str| asked.is_empty() || asked.iter().any(|a| a == part);
    let mut failures = Vec::new();
    let rt = runtime();
    if wants("hold") {
        failures.extend(rt.block_on(hold_cycles()).err());
    }
    if wants("cli") {
        failures.extend(cli_calls().err());
    }
    if wants("app") {
        failures.extend(rt.block_on(app_calls()).err());
    }
    if wants("concurrent") {
        failures.extend(rt.block_on(concurrent_calls()).err());
    }
    if failures.is_empty() {
        println!("\nsoak: every part passed");
    } else {
        for f in &failures {
            eprintln!("soak FAILED: {f}");
        }
        std::process::exit(1);
    }
}

/// How much a figure may grow between the warmed-up reading and the last one and still
/// count as noise: the allocator keeps freed pages, Tokio's blocking pool grows and
/// shrinks, a connection pool keeps a few sockets.
struct Growth;

impl Growth {
    const NOISE: (u64, u64, u64, u64) = (16 * 1024, 8, 4, 8);

    /// Prints before, after and growth; Err names what grew beyond noise.
    fn judge(what: &str, before: &ProcessFigures, after: &ProcessFigures) -> Result<(), String> {
        let (rss, fds, threads, tasks) = Self::NOISE;
        println!("  {what}");
        println!(
            "  {:<26} {:>12} {:>12} {:>10}  noise up to",
            "", "warmed up", "after", "growth"
        );
        let mut grew = Vec::new();
        let mut row = |name: &str, b: u64, a: u64, noise: u64| {
            let growth = a as i64 - b as i64;
            println!("  {name:<26} {b:>12} {a:>12} {growth:>+10}  {noise}");
            if growth > noise as i64 {
                grew.push(format!("{name} grew by {growth}"));
            }
        };
        row("resident memory (KiB)", before.rss_kib, after.rss_kib, rss);
        row("open file descriptors", before.fds, after.fds, fds);
        row("threads", before.threads, after.threads, threads);
        match (before.tasks, after.tasks) {
            (Some(b), Some(a)) => row("Tokio tasks", b, a, tasks),
            _ => println!("  {:<26} not counted (no runtime in reach)", "Tokio tasks"),
        }
        if grew.is_empty() {
            Ok(())
        } else {
            Err(format!("{what}: {}", grew.join(", ")))
        }
    }
}

/// What a process's descriptors point at, by kind (`socket`, `pipe`, `anon_inode:[eventfd]`,
/// a file's path), so growth says what leaked.
fn descriptor_kinds(pid: u32) -> std::collections::BTreeMap<String, i64> {
    let mut kinds = std::collections::BTreeMap::new();
    for fd in std::fs::read_dir(format!("/proc/{pid}/fd"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let Ok(target) = std::fs::read_link(fd.path()) else {
            continue;
        };
        let target = target.display().to_string();
        let kind = match target.split_once(":[") {
            Some((kind, _)) if kind != "anon_inode" => kind.to_owned(),
            _ => target,
        };
        *kinds.entry(kind).or_insert(0) += 1;
    }
    kinds
}

/// Prints which kinds of descriptor grew between two readings.
fn print_descriptor_growth(
    before: &std::collections::BTreeMap<String, i64>,
    after: &std::collections::BTreeMap<String, i64>,
) {
    for (kind, n) in after {
        let grew = n - before.get(kind).copied().unwrap_or(0);
        if grew != 0 {
            println!("    descriptors {kind}: {grew:+}");
        }
    }
}

fn figures_from(v: &Value) -> Option<ProcessFigures> {
    Some(ProcessFigures {
        pid: v["pid"].as_u64()? as u32,
        rss_kib: v["rss_kib"].as_u64()?,
        fds: v["fds"].as_u64()?,
        threads: v["threads"].as_u64()?,
        tasks: v["tasks"].as_u64(),
    })
}

fn percentile(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(((v.len() as f64 - 1.0) * p).round() as usize)
        .copied()
        .unwrap_or(f64::NAN)
}

/// Our packets Chromium received over 300 ms, once those sent before the hold landed.
async fn chromium_still_receiving(chrome: &Chromium) -> (u64, u64) {
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = chrome.hearing().await.packets_received;
    tokio::time::sleep(Duration::from_millis(300)).await;
    (before, chrome.hearing().await.packets_received)
}

/// What the harness's recording of everything `p` heard holds (it keeps every frame to
/// judge the call by ear): the test's memory, not the engine's.
fn recording_kib(p: &Peer) -> u64 {
    let frames = p.heard.snapshot().frames;
    let bytes: usize = frames
        .iter()
        .map(|f| f.capacity() * 2 + std::mem::size_of::<Vec<i16>>())
        .sum();
    (bytes / 1024) as u64
}

/// Our re-offer to Chromium, its answer applied; Err unless Chromium's transceiver then
/// reports `want` as its negotiated direction. Ok: the sizes of the offer and of Chromium's
/// answer, which must not grow cycle after cycle.
async fn reoffer(us: &Peer, chrome: &Chromium, offer: &str, want: &str) -> Result<(usize, usize), String> {
    let answer = chrome.answer(offer).await;
    us.session
        .accept_answer(&answer)
        .await
        .map_err(|e| e.to_string())?;
    let direction = chrome.current_direction().await;
    if direction.as_deref() == Some(want) {
        Ok((offer.len(), answer.len()))
    } else {
        Err(format!("Chromium's direction is {direction:?}, not {want}"))
    }
}

async fn hold_cycles() -> Result<(), String> {
    // `SOAK_CYCLES=50` for a shorter run.
    let cycles = std::env::var("SOAK_CYCLES")
        .ok()
        .and_then(|n| n.parse().ok())
        .filter(|n| *n >= 10)
        .unwrap_or(HOLD_CYCLES);
    println!("\n== hold: {cycles} hold/resume cycles in one call, Dialtone holding Chromium");
    let chrome = Chromium::start().await;
    chrome.new_call(THEIRS, &[]).await;
    let us = Peer::new("Dialtone", OURS).await;
    let offer = us.session.create_offer().await.map_err(|e| e.to_string())?;
    let answer = chrome.answer(&offer).await;
    us.session
        .accept_answer(&answer)
        .await
        .map_err(|e| e.to_string())?;
    if chrome.wait_to_hear(OURS, Duration::from_secs(5)).await.is_none()
        || us.wait_to_hear(THEIRS, Duration::from_secs(5)).await.is_none()
    {
        return Err("hold: no two-way audio with Chromium to start with".into());
    }
    let started = Instant::now();
    let cpu0 = cpu_time();
    let mut warm = None;
    let mut back = Vec::new();
    let mut sizes = Vec::new();
    for cycle in 1..=cycles {
        let fail = |what: String| format!("hold: cycle {cycle}: {what}");
        let offer = us.session.hold().await.map_err(|e| fail(e.to_string()))?;
        reoffer(&us, &chrome, &offer, "sendonly").await.map_err(fail)?;
        let (before, after) = chromium_still_receiving(&chrome).await;
        if after > before + 1 {
            return Err(fail(format!(
                "held, Chromium still received our packets: {before} → {after}"
            )));
        }
        let offer = us.session.resume().await.map_err(|e| fail(e.to_string()))?;
        let t0 = Instant::now();
        sizes.push(reoffer(&us, &chrome, &offer, "sendrecv").await.map_err(fail)?);
        if chrome.wait_to_hear(OURS, Duration::from_secs(2)).await.is_none() {
            return Err(fail(format!(
                "Chromium did not hear us within 2 s of the resume: {:?}",
                chrome.hearing().await
            )));
        }
        back.push(ms(t0.elapsed()));
        if cycle == 10 {
            warm = ProcessFigures::now().ok().map(|f| (f, recording_kib(&us)));
        }
        if cycle % 100 == 0 {
            println!(
                "  {cycle:>5} cycles, {:>5.0} s; the last 100: Chromium heard us again after {:.0} ms median",
                started.elapsed().as_secs_f64(),
                percentile(back[back.len() - 100..].to_vec(), 0.5)
            );
        }
    }
    if us.wait_to_hear(THEIRS, Duration::from_secs(2)).await.is_none() {
        return Err("hold: after the last cycle we no longer hear Chromium".into());
    }
    let stats = us.session.stats().await;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "  {cycles} cycles in {secs:.0} s: every one held (Chromium sendonly, our packets stopped) and resumed (Chromium sendrecv, hearing our tone)"
    );
    if let (Some(first), Some(last)) = (sizes.first(), sizes.last()) {
        println!(
            "  the resume's offer and Chromium's answer: {} and {} bytes at cycle 1, {} and {} at the last",
            first.0, first.1, last.0, last.1
        );
    }
    println!(
        "  Chromium heard us again after the resume: median {:.0} ms, p95 {:.0} ms, slowest {:.0} ms",
        percentile(back.clone(), 0.5),
        percentile(back.clone(), 0.95),
        percentile(back, 1.0)
    );
    println!(
        "  this process's CPU over the cycles: {:.1} % of one core; RTP write errors: {}",
        (cpu_time() - cpu0).as_secs_f64() / secs * 100.0,
        stats.rtp_write_errors
    );
    let after = ProcessFigures::now().map_err(|e| e.to_string())?;
    chrome.hang_up().await;
    let (warm, heard_then) = warm.ok_or("hold: no figures after 10 cycles")?;
    // The harness records everything we hear (48 kHz, 2 bytes a sample) to judge it by ear:
    // that memory is the test's, not the engine's.
    let recorded_kib = recording_kib(&us).saturating_sub(heard_then);
    println!(
        "  (the harness's recording of what we heard grew by {recorded_kib} KiB: taken off the growth below)"
    );
    let mut after = after;
    after.rss_kib = after.rss_kib.saturating_sub(recorded_kib);
    let judged = Growth::judge("Dialtone's process (cycle 10 → the last)", &warm, &after);
    if stats.rtp_write_errors > 0 {
        return Err(format!("hold: {} RTP writes failed", stats.rtp_write_errors));
    }
    judged
}

/// The CLI or the app built beside this benchmark (`target/debug/deps/..`).
fn built_binary(name: &str) -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let path = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(|dir| dir.join(name))
        .ok_or("no target directory")?;
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "{} is not built: make soak builds it (cargo build -p dialtone-cli -p dialtone-app)",
            path.display()
        ))
    }
}

fn cli_calls() -> Result<(), String> {
    println!("\n== cli: {CLI_CALLS} calls one after another in one `dialtone call` process");
    let bin = built_binary("dialtone")?;
    // Call 1 is dialled by `call`; each later one by the script once the one before ended.
    // The figures are read once a call's closing tasks (its peer connection's, the
    // embedded sandbox's far end's) have finished: they linger a few seconds.
    let mut script = String::from("expect audio within 5s; hangup 1; wait 2s; process");
    for n in 2..=CLI_CALLS {
        script.push_str(&format!("; call {ECHO}; expect audio within 5s; hangup {n}"));
    }
    script.push_str(&format!("; wait {}s; process", SETTLE.as_secs()));
    let started = Instant::now();
    let cli = Cli::new(bin.to_str().ok_or("path")?);
    let out = cli.run(&["call", ECHO, "--json", "--audio", "tone", "--script", &script]);
    let secs = started.elapsed().as_secs_f64();
    let events = json_lines(&out.stdout);
    let ended = events
        .iter()
        .filter(|e| e["event"] == "ended" && e["reason"] == "Hangup")
        .count();
    let figures: Vec<ProcessFigures> = events
        .iter()
        .filter(|e| e["event"] == "process")
        .filter_map(figures_from)
        .collect();
    println!(
        "  {ended} of {CLI_CALLS} calls had audio both ways and were hung up, in {secs:.0} s (exit {:?})",
        out.status.code()
    );
    if !out.status.success() || ended != CLI_CALLS {
        let errors: Vec<&Value> = events.iter().filter(|e| e["event"] == "error").collect();
        return Err(format!("cli: {ended} of {CLI_CALLS} calls completed: {errors:?}"));
    }
    let [warm, last] = figures.as_slice() else {
        return Err(format!("cli: expected two process events, got {figures:?}"));
    };
    Growth::judge("the CLI (call 1 → call 200)", warm, last)
}

async fn app_figures(desk: &Desk) -> Result<ProcessFigures, String> {
    let v = desk.w.invoke("process_figures", json!({})).await;
    figures_from(&v).ok_or_else(|| format!("the app's figures: {v}"))
}

async fn app_calls() -> Result<(), String> {
    println!("\n== app: {APP_CALLS} calls in the app's window, one after another");
    let app = built_binary("dialtone-app")?;
    let desk = Desk::open(&app, Theme::Light).await;
    let started = Instant::now();
    let mut warm = None;
    for n in 1..=APP_CALLS {
        desk::dial_echo(&desk.w).await;
        // The far end must get our audio before the call counts.
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let status = desk::status(&desk.url).await;
            if status.sessions.iter().any(|s| s.far_end_rtp_received > 25) {
                break;
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "app: call {n}: the echo received none of our audio: {:?}",
                    status.sessions
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        desk::hang_up(&desk.w).await;
        // Warmed up after 10 calls: the first ones start what then stays (WebKit's memory
        // pressure monitor opens /proc and cgroup files, the audio devices open).
        if n == 10 {
            tokio::time::sleep(Duration::from_secs(2)).await;
            let f = app_figures(&desk).await?;
            warm = Some((f, descriptor_kinds(f.pid)));
        }
    }
    println!(
        "  {APP_CALLS} calls placed, heard at the far end and hung up, in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    tokio::time::sleep(SETTLE).await;
    let after = app_figures(&desk).await?;
    let (warm, warm_fds) = warm.ok_or("app: no figures")?;
    let judged = Growth::judge("the app (call 10 → call 50)", &warm, &after);
    print_descriptor_growth(&warm_fds, &descriptor_kinds(after.pid));
    judged
}

async fn concurrent_calls() -> Result<(), String> {
    let calls = concurrent_count();
    let codec = concurrent_codec()?;
    println!(
        "\n== concurrent: {calls} echo calls on {codec} at once from this process, the sandbox in another"
    );
    let sandbox = SandboxProcess::start();
    let control_token = dialtone_sandbox::SandboxConfig::default().control_token;
    let mut options = line::options_at(sandbox.url.clone(), None, dialtone_phone::Network::Camara);
    options.codecs = Some(vec![codec]);
    let echo = Address::parse(ECHO).map_err(|e| e.to_string())?;
    let t0 = Instant::now();
    let lines = futures::future::join_all((0..calls).map(|_| line::open(&options, OURS))).await;
    let opened = t0.elapsed();
    for l in &lines {
        l.call
            .command(dialtone_core::call::Command::Dial(echo.clone()))
            .await
            .map_err(|e| format!("concurrent: dial: {e}"))?;
    }
    let up = futures::future::join_all(lines.iter().map(|l| {
        l.call
            .wait_state(Duration::from_secs(60), |s| s.name() == "Connected")
    }))
    .await;
    let connected = up.iter().filter(|s| s.is_some()).count();
    println!(
        "  {} lines opened in {:.1} s; {connected} calls connected {:.1} s after the first dial",
        lines.len(),
        opened.as_secs_f64(),
        (t0.elapsed() - opened).as_secs_f64()
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    let ours0 = cpu_time();
    let theirs0 = tree_cpu(sandbox.child.id());
    let w0 = Instant::now();
    let marks: Vec<usize> = lines.iter().map(|l| l.heard.len()).collect();
    let far0 = desk::status_with(&sandbox.url, &control_token).await;
    tokio::time::sleep(CONCURRENT_WINDOW).await;
    let far1 = desk::status_with(&sandbox.url, &control_token).await;
    let window = w0.elapsed().as_secs_f64();
    let ours = (cpu_time() - ours0).as_secs_f64() / window * 100.0;
    let theirs = (tree_cpu(sandbox.child.id()) - theirs0).as_secs_f64() / window * 100.0;
    let figures = ProcessFigures::now().map_err(|e| e.to_string())?;

    let mut dropped = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let state = l.call.state();
        let (rate, heard) = l.heard.samples_since(marks[i]);
        let last_second = &heard[heard.len().saturating_sub(rate as usize)..];
        if state.name() != "Connected" {
            dropped.push(format!("call {}: {state}", i + 1));
        } else if heard.len() < rate as usize * (CONCURRENT_WINDOW.as_secs() as usize - 2)
            || rms_dbfs(last_second) < -40.0
        {
            dropped.push(format!(
                "call {}: heard {:.1} s of the echo, the last second at {:.0} dBFS",
                i + 1,
                heard.len() as f64 / rate.max(1) as f64,
                rms_dbfs(last_second)
            ));
        }
    }
    let rose = far1
        .sessions
        .iter()
        .filter(|s| {
            far0.sessions.iter().any(|b| {
                b.media_session_id == s.media_session_id
                    && s.far_end_rtp_received > b.far_end_rtp_received + 40 * CONCURRENT_WINDOW.as_secs()
            })
        })
        .count();
    println!(
        "  over {window:.0} s: {} of {calls} calls stayed up and heard their echo; the sandbox's far ends received our audio on {rose} of {} sessions",
        calls - dropped.len(),
        far1.sessions.len()
    );
    println!(
        "  CPU, % of one core: this process (the {calls} calls) {ours:.0} %, {:.2} % a call; the sandbox (their far ends) {theirs:.0} %, {:.2} % a call",
        ours / calls as f64,
        theirs / calls as f64
    );
    println!(
        "  this process: {} KiB resident, {} descriptors, {} threads, {} tasks",
        figures.rss_kib,
        figures.fds,
        figures.threads,
        figures.tasks.unwrap_or(0)
    );
    for l in lines {
        let _ = l.call.command(dialtone_core::call::Command::Hangup).await;
        l.phone.close().await;
    }
    drop(sandbox);
    if !dropped.is_empty() || connected < calls || rose < calls {
        return Err(format!(
            "concurrent: {} dropped ({}), {connected} connected, far ends receiving on {rose}",
            dropped.len(),
            dropped.iter().take(5).cloned().collect::<Vec<_>>().join("; ")
        ));
    }
    Ok(())
}
