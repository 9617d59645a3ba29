//! `make bench`: media engine figures, as medians over repeated runs on loopback.
//! Printed, never asserted: machines are noisy. CPU is quoted against a reference
//! (libopus encode+decode of the same audio) measured in the same run.

use dialtone_core::media::MediaEvent;
use dialtone_core::media::analysis::rms_dbfs;
use dialtone_e2e::bench::{ms, report, runtime};
use dialtone_e2e::{Peer, connect, hold, resume, wait_silence};
use std::time::{Duration, Instant};

const RUNS: usize = 20;

/// Process CPU time (user + system) from /proc.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks: u64 = fields.get(11).and_then(|u| u.parse().ok()).unwrap_or(0)
        + fields.get(12).and_then(|s| s.parse::<u64>().ok()).unwrap_or(0);
    Duration::from_millis(ticks * 10) // CLK_TCK is 100 on Linux
}

fn rss_kib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix("VmRSS:")
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(f64::NAN)
}

/// Index of the first frame from `from` on that carries sound.
fn onset(p: &Peer, from: usize) -> Option<usize> {
    p.heard
        .snapshot()
        .frames
        .iter()
        .skip(from)
        .position(|f| rms_dbfs(f) > -40.0)
        .map(|i| i + from)
}

async fn connect_times() {
    let (mut first_audio, mut connected) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let mut a = Peer::new("A", 1000.0).await;
        let b = Peer::new("B", 2000.0).await;
        let t0 = Instant::now();
        let offer = a.session.create_offer().await.expect("offer");
        let answer = b.session.accept_offer(&offer).await.expect("answer");
        a.session.accept_answer(&answer).await.expect("apply");
        let mut got_connected = None;
        loop {
            match a
                .wait_event(Duration::from_secs(10), |e| {
                    matches!(e, MediaEvent::Connected | MediaEvent::FirstAudio)
                })
                .await
            {
                Some(MediaEvent::Connected) => got_connected = Some(t0.elapsed()),
                Some(MediaEvent::FirstAudio) => {
                    first_audio.push(ms(t0.elapsed()));
                    break;
                }
                _ => break,
            }
        }
        if let Some(c) = got_connected {
            connected.push(ms(c));
        }
        a.session.close().await;
        b.session.close().await;
    }
    report("connect: offer created -> ICE+DTLS connected", "ms", connected);
    report("connect: offer created -> first decoded audio", "ms", first_audio);
}

async fn hold_resume_times() {
    let mut a = Peer::new("A", 1000.0).await;
    let mut b = Peer::new("B", 2000.0).await;
    connect(&mut a, &mut b).await;
    b.wait_to_hear(1000.0, Duration::from_secs(3)).await;
    let (mut holds, mut resumes, mut back) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let t = Instant::now();
        hold(&a, &b).await;
        holds.push(ms(t.elapsed()));
        wait_silence(&b, Duration::from_secs(2)).await;
        let from = b.heard.len();
        let t = Instant::now();
        resume(&a, &b).await;
        resumes.push(ms(t.elapsed()));
        let deadline = Instant::now() + Duration::from_secs(2);
        while onset(&b, from).is_none() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        // Frames are written every 20 ms from `from`: the onset frame index gives the time.
        if let Some(i) = onset(&b, from) {
            back.push(((i - from) as f64 + 1.0) * 20.0);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    report("hold: re-offer (recvonly) -> answer applied", "ms", holds);
    report("resume: re-offer (sendrecv) -> answer applied", "ms", resumes);
    report("resume: -> far end plays our audio (20ms res)", "ms", back);
}

/// libopus alone: encode and decode `secs` of the same tone, one 20 ms frame at a time.
fn opus_reference(secs: u32) -> Duration {
    dialtone_e2e::bench::opus_round_trip(secs, cpu_time)
}

async fn cpu_and_memory() {
    let secs = RUNS as u32;
    let idle_start = (cpu_time(), Instant::now());
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle = (cpu_time() - idle_start.0).as_secs_f64() / idle_start.1.elapsed().as_secs_f64() * 100.0;

    let mut a = Peer::new("A", 1000.0).await;
    let mut b = Peer::new("B", 2000.0).await;
    connect(&mut a, &mut b).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut samples = Vec::new();
    for _ in 0..secs {
        let (c0, t0) = (cpu_time(), Instant::now());
        tokio::time::sleep(Duration::from_secs(1)).await;
        // Two ends of the call run in this process: one end is half.
        samples.push((cpu_time() - c0).as_secs_f64() / t0.elapsed().as_secs_f64() * 100.0 / 2.0);
    }
    a.session.close().await;
    b.session.close().await;
    let per_end = report("cpu: one call end, % of one core (1 s samples)", "%", samples);
    let reference = opus_reference(secs).as_secs_f64() / f64::from(secs) * 100.0;
    println!(
        "{:<44} {reference:>15.2} %      (libopus encode+decode of the same audio)",
        "cpu: reference"
    );
    println!(
        "{:<44} {:>15.1} x      (engine / libopus alone; idle process {idle:.2} %)",
        "cpu: ratio",
        per_end / reference
    );

    // Each call opened one by one; the RSS it adds, once its audio runs.
    let start = rss_kib();
    let mut before = start;
    let mut peers = Vec::new();
    let mut per_call = Vec::new();
    for _ in 0..RUNS {
        let mut a = Peer::new("A", 1000.0).await;
        let mut b = Peer::new("B", 2000.0).await;
        connect(&mut a, &mut b).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        peers.push((a, b));
        let now = rss_kib();
        // Two ends of the call live in this process: one end is half.
        per_call.push((now - before) / 2.0);
        before = now;
    }
    report("rss: added per call end (KiB)", "KiB", per_call);
    println!(
        "{:<44} {:>15.0} KiB    (from {start:.0} KiB with no call; {RUNS} calls, {} ends, up at once)",
        "rss: process total",
        before,
        RUNS * 2
    );
    for (a, b) in &peers {
        a.session.close().await;
        b.session.close().await;
    }
}

fn main() {
    let rt = runtime();
    println!("Dialtone media engine benchmark (loopback, Opus 20 ms, {RUNS} runs per figure)");
    rt.block_on(async {
        connect_times().await;
        hold_resume_times().await;
        cpu_and_memory().await;
    });
}
