//! `make bench`, speech quality: PESQ (P.862, wide-band and narrow-band) of a spoken
//! passage sent through an echo and back, Dialtone beside Chromium in the same run.
//!
//! - Dialtone: a call to the sandbox echo (+15550100, Dialtone's engine at the far end),
//!   the passage as the microphone (`WavSource`), the call recorded (`WavSink`), the
//!   impairment on Dialtone's own sockets (`--impair`): each direction meets it once.
//! - Chromium: one page with a caller and an echo peer connection (the echo sends back
//!   what it decodes, encoded again), their SDP routed over a relay that applies the same
//!   impairment (`tests/src/relay.rs`): each direction meets it once.
//!
//! Speech and scoring: `dialtone_e2e::speech`; 2.5 s of silence lead the passage so it
//! starts once media flows. Printed, never asserted.

use dialtone_core::audio::FnBackend;
use dialtone_core::audio::{WavSink, WavSource};
use dialtone_core::call::{Address, CallDriver, Command};
use dialtone_core::media::MediaConfig;
use dialtone_e2e::bench::{median, runtime};
use dialtone_e2e::chromium::Chromium;
use dialtone_e2e::line::{provider, sandbox};
use dialtone_e2e::relay::{Relay, connect_page_peers};
use dialtone_e2e::speech;
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

const RUNS: u64 = 3;
const LEAD_S: f64 = 2.5;
const CONDITIONS: [(&str, &str); 3] = [
    ("clean", ""),
    ("5 % loss", "loss=5%"),
    ("5 % loss, 20 ± 30 ms", "loss=5%,delay=20ms,jitter=30ms"),
];

fn spec_with_seed(spec: &str, seed: u64) -> String {
    if spec.is_empty() {
        String::new()
    } else {
        format!("{spec},seed={seed}")
    }
}

/// One Dialtone call through the sandbox echo; the recording goes to `out`.
async fn dialtone_once(sb: &dialtone_sandbox::Sandbox, input: &Path, out: &Path, spec: &str, secs: f64) {
    let mut config = MediaConfig::loopback();
    if !spec.is_empty() {
        config.impairment = Some(dialtone_core::media::impair::ImpairmentDial::new(
            spec.parse().expect("impairment"),
        ));
    }
    let (i, o) = (input.to_owned(), out.to_owned());
    let audio = FnBackend::shared(move || {
        (
            Box::new(WavSource::open(&i).expect("input")),
            Box::new(WavSink::create(&o).expect("recording")),
        )
    });
    let call = CallDriver::spawn(
        Arc::new(provider(sb, Duration::from_secs(5))),
        config,
        audio,
        false,
        None,
    );
    call.command(Command::Dial(Address::parse("+15550100").expect("echo")))
        .await
        .expect("dial");
    call.wait_state(Duration::from_secs(10), |s| s.name() == "Connected")
        .await
        .expect("connected");
    tokio::time::sleep(Duration::from_secs_f64(secs)).await;
    let _ = call.command(Command::Hangup).await;
    call.wait_state(Duration::from_secs(5), |s| s.name() == "Ended")
        .await;
    call.shutdown().await;
    // The sink writes its header when the session lets go of it.
    tokio::time::sleep(Duration::from_millis(300)).await;
}

/// Serves the page and the passage on 127.0.0.1.
fn serve_page(input: &Path) -> u16 {
    dialtone_e2e::chromium::serve(vec![
        (
            "/",
            "text/html; charset=utf-8",
            include_str!("../src/pesq_page.html").as_bytes().to_vec(),
        ),
        ("/speech.wav", "audio/wav", std::fs::read(input).expect("input")),
    ])
}

/// One Chromium-to-Chromium echo call over the relay; the recording goes to `out`.
async fn chromium_once(chrome: &Chromium, page: &str, out: &Path, spec: &str) -> Result<(), String> {
    chrome.open(page).await;
    chrome.eval("await dt.setup('/speech.wav');").await;
    let mut relay = Relay::new(spec.parse().map_err(|e| format!("{e}"))?);
    connect_page_peers(chrome, &mut relay).await;
    let started = Instant::now();
    while chrome.eval("return await dt.flowing();").await != Value::Bool(true) {
        if started.elapsed() > Duration::from_secs(10) {
            return Err("media never flowed both ways".into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let secs = chrome.eval("return dt.play();").await.as_f64().unwrap_or(15.0);
    tokio::time::sleep(Duration::from_secs_f64(secs + 1.0)).await;
    let b64 = chrome.eval("return dt.recording16();").await;
    chrome.eval("dt.close();").await;
    let bytes = base64_decode(b64.as_str().unwrap_or_default());
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 48_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(out, spec).map_err(|e| e.to_string())?;
    for pair in bytes.chunks_exact(2) {
        w.write_sample(i16::from_le_bytes([pair[0], pair[1]]))
            .map_err(|e| e.to_string())?;
    }
    w.finalize().map_err(|e| e.to_string())
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .unwrap_or_default()
}

fn main() {
    let rt = runtime();
    rt.block_on(async {
        let dir = speech::work_dir();
        let (reference, input, secs) = speech::make(&dir, LEAD_S);
        println!(
            "speech quality: PESQ of {:.1} s of speech through an echo and back, median of {RUNS} seeded runs (release)",
            secs - LEAD_S - 1.0
        );
        let sb = sandbox(Default::default()).await;
        let chrome = Chromium::start().await;
        let page = format!("http://127.0.0.1:{}/", serve_page(&input));
        println!(
            "{:<22} {:>10} {:>10} {:>7}   {:>10} {:>10} {:>7}",
            "condition", "Dialtone WB", "Chrome WB", "ratio", "Dialtone NB", "Chrome NB", "ratio"
        );
        for (name, spec) in CONDITIONS {
            let (mut ours, mut theirs) = (Vec::new(), Vec::new());
            for seed in 1..=RUNS {
                let spec = spec_with_seed(spec, seed);
                let d = dir.join(format!("dialtone-{}-{seed}.wav", name.len()));
                dialtone_once(&sb, &input, &d, &spec, secs).await;
                if let Some(s) = speech::score(&reference, &d) {
                    ours.push(s);
                }
                let c = dir.join(format!("chromium-{}-{seed}.wav", name.len()));
                match chromium_once(&chrome, &page, &c, &spec).await {
                    Ok(()) => theirs.extend(speech::score(&reference, &c)),
                    Err(e) => eprintln!("  Chromium run {seed} of '{name}': {e}"),
                }
            }
            let m = |v: &[(f64, f64)], wb: bool| median(v.iter().map(|s| if wb { s.0 } else { s.1 }).collect());
            let (dw, cw, dn, cn) = (m(&ours, true), m(&theirs, true), m(&ours, false), m(&theirs, false));
            println!(
                "{name:<22} {dw:>10.2} {cw:>10.2} {:>6.2}×   {dn:>10.2} {cn:>10.2} {:>6.2}×",
                dw / cw,
                dn / cn
            );
            println!(
                "{:<22} runs WB ours {:?} Chrome {:?}",
                "",
                ours.iter().map(|s| s.0).collect::<Vec<_>>(),
                theirs.iter().map(|s| s.0).collect::<Vec<_>>()
            );
        }
    });
}
