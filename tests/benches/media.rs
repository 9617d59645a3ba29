//! `make bench`: media engine figures, as medians over repeated runs on loopback, each
//! beside Chrome's from the same run (`dialtone_e2e::chrome_reference`) with the ratio.
//! Printed, never asserted: machines are noisy. CPU is also quoted against libopus
//! encode+decode of the same audio, measured in the same run.

use dialtone_core::media::MediaEvent;
use dialtone_core::media::analysis::rms_dbfs;
use dialtone_e2e::bench::{cpu_time, ms, report, runtime, versus};
use dialtone_e2e::chrome_reference::{self, ChromeFigures};
use dialtone_e2e::{Peer, connect, hold, resume, wait_silence};
use std::time::{Duration, Instant};

const RUNS: usize = 20;

fn rss_kib() -> f64 {
    dialtone_core::process::ProcessFigures::now().map_or(f64::NAN, |f| f.rss_kib as f64)
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

async fn connect_times() -> (f64, f64) {
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
    (
        report("connect: offer created -> ICE+DTLS connected", "ms", connected),
        report("connect: offer created -> first decoded audio", "ms", first_audio),
    )
}

async fn hold_resume_times() -> (f64, f64, f64, f64) {
    let mut a = Peer::new("A", 1000.0).await;
    let mut b = Peer::new("B", 2000.0).await;
    connect(&mut a, &mut b).await;
    b.wait_to_hear(1000.0, Duration::from_secs(3)).await;
    let (mut holds, mut resumes, mut back, mut packets) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let t = Instant::now();
        hold(&a, &b).await;
        holds.push(ms(t.elapsed()));
        wait_silence(&b, Duration::from_secs(2)).await;
        let from = b.heard.len();
        let received = b.session.stats().await.rtp_received;
        let t = Instant::now();
        // The far end's first packet, watched while the resume is under way.
        let first_packet = async {
            while b.session.stats().await.rtp_received <= received && t.elapsed() < Duration::from_secs(2) {
                tokio::time::sleep(Duration::from_micros(500)).await;
            }
            ms(t.elapsed())
        };
        let resumed = async {
            resume(&a, &b).await;
            ms(t.elapsed())
        };
        let (resumed, first_packet) = tokio::join!(resumed, first_packet);
        resumes.push(resumed);
        packets.push(first_packet);
        // The far end's speaker gets a frame per playout tick: the first with sound in it,
        // seen within a millisecond.
        let deadline = Instant::now() + Duration::from_secs(2);
        while onset(&b, from).is_none() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        if onset(&b, from).is_some() {
            back.push(ms(t.elapsed()));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    (
        report("hold: re-offer (recvonly) -> answer applied", "ms", holds),
        report("resume: re-offer (sendrecv) -> answer applied", "ms", resumes),
        report("resume: -> far end plays our audio", "ms", back),
        report("resume: -> far end's first packet", "ms", packets),
    )
}

/// libopus alone: encode and decode `secs` of the same tone, one 20 ms frame at a time.
fn opus_reference(secs: u32) -> Duration {
    dialtone_e2e::bench::opus_round_trip(secs, cpu_time)
}

async fn cpu_and_memory() -> f64 {
    let secs = RUNS as u32;
    let idle_start = (cpu_time(), Instant::now());
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle = (cpu_time() - idle_start.0).as_secs_f64() / idle_start.1.elapsed().as_secs_f64() * 100.0;

    let mut a = Peer::new("A", 1000.0).await;
    let mut b = Peer::new("B", 2000.0).await;
    connect(&mut a, &mut b).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut samples = Vec::new();
    let (c_all, t_all) = (cpu_time(), Instant::now());
    for _ in 0..secs {
        let (c0, t0) = (cpu_time(), Instant::now());
        tokio::time::sleep(Duration::from_secs(1)).await;
        // Two ends of the call run in this process: one end is half.
        samples.push((cpu_time() - c0).as_secs_f64() / t0.elapsed().as_secs_f64() * 100.0 / 2.0);
    }
    // Over the whole window: 1 s samples only resolve 0.5 % (10 ms ticks, halved).
    let per_end = (cpu_time() - c_all).as_secs_f64() / t_all.elapsed().as_secs_f64() * 100.0 / 2.0;
    a.session.close().await;
    b.session.close().await;
    report("cpu: one call end, % of one core (1 s samples)", "%", samples);
    println!(
        "{:<44} {per_end:>15.2} %      (over all {secs} s)",
        "cpu: one call end, % of one core"
    );
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
    per_end
}

fn main() {
    let rt = runtime();
    println!("Chrome, the reference (the same figures, same machine, same run)");
    let chrome: ChromeFigures = rt.block_on(chrome_reference::measure(RUNS, RUNS / 2));
    let c = [
        ("connect: offer -> connected", &chrome.connected),
        ("connect: offer -> first decoded audio", &chrome.first_audio),
        ("hold: re-offer -> answer applied", &chrome.hold),
        ("resume: re-offer -> answer applied", &chrome.resume),
        ("resume: -> far end plays our audio", &chrome.back),
    ]
    .map(|(name, v)| report(&format!("{} {name}", chrome.version), "", v.clone()));
    let rounds: Vec<String> = chrome.cpu_rounds.iter().map(|c| format!("{c:.2}")).collect();
    println!(
        "{:<44} {:>15.2} %      (its process tree over {} s of a call less idle around it, halved; median of [{}])",
        format!("{} cpu: one call end", chrome.version),
        chrome.cpu_per_end,
        RUNS / 2,
        rounds.join(", ")
    );
    println!(
        "{:<44} {:>15.2} %      (the page idle, subtracted above)",
        "cpu: Chrome's process tree idle", chrome.cpu_idle
    );

    println!("\nDialtone media engine (loopback, Opus 20 ms, {RUNS} runs per figure)");
    let ((connected, first_audio), (hold, resume, back, _), cpu) = rt.block_on(async {
        (
            connect_times().await,
            hold_resume_times().await,
            cpu_and_memory().await,
        )
    });

    println!(
        "\n{:<44} {:>9} {:>9} {:<4} {:>7}",
        "Dialtone vs Chrome (medians)", "Dialtone", "Chrome", "", "ratio"
    );
    versus("offer -> ICE+DTLS connected", "ms", connected, c[0], Some(0.3));
    versus("offer -> first decoded audio", "ms", first_audio, c[1], Some(0.5));
    versus("hold renegotiation", "ms", hold, c[2], None);
    versus("resume renegotiation", "ms", resume, c[3], None);
    // Both: from the resume's start to the first frame the far end plays (Chrome's: its
    // receiver's sources; libwebrtc's getStats, cached for 50 ms, cannot time a packet).
    versus("resume -> far end plays our audio", "ms", back, c[4], Some(0.7));
    versus("cpu of one call end", "%", cpu, chrome.cpu_per_end, Some(0.3));
}
