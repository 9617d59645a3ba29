//! `make bench`, call setup when one DTLS handshake datagram is lost: from the offer to
//! packets flowing both ways, the Nth DTLS datagram of the call (either direction)
//! dropped once. Dialtone to Dialtone (the drop on the offerer's sockets) beside Chromium
//! to Chromium (the same drop on the relay between its two peer connections), in the
//! same run. Printed, never asserted.

use dialtone_core::media::MediaConfig;
use dialtone_core::media::socket::MediaRuntime;
use dialtone_e2e::Peer;
use dialtone_e2e::bench::{median, ms, runtime};
use dialtone_e2e::chromium::{Chromium, serve};
use dialtone_e2e::relay::{Relay, connect_page_peers};
use serde_json::Value;
use std::time::{Duration, Instant};

const RUNS: usize = 5;
const GIVE_UP: Duration = Duration::from_secs(10);

async fn dialtone_once(spec: &str) -> Option<Duration> {
    let mut config = MediaConfig::loopback();
    if !spec.is_empty() {
        config.runtime = Some(MediaRuntime::new(Some(spec.parse().expect("impairment"))));
    }
    let a = Peer::with_config("A", 1000.0, config).await;
    let b = Peer::new("B", 2000.0).await;
    let t0 = Instant::now();
    let offer = a.session.create_offer().await.ok()?;
    let answer = b.session.accept_offer(&offer).await.ok()?;
    a.session.accept_answer(&answer).await.ok()?;
    let took = loop {
        if a.session.packets_received() > 0 && b.session.packets_received() > 0 {
            break Some(t0.elapsed());
        }
        if t0.elapsed() > GIVE_UP {
            break None;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    a.session.close().await;
    b.session.close().await;
    took
}

async fn chromium_once(chrome: &Chromium, page: &str, spec: &str) -> Option<Duration> {
    chrome.open(page).await;
    chrome.eval("await dt.setup('/silence.wav');").await;
    let mut relay = Relay::new(spec.parse().expect("impairment"));
    let t0 = Instant::now();
    connect_page_peers(chrome, &mut relay).await;
    let took = loop {
        if chrome.eval("return await dt.flowing();").await == Value::Bool(true) {
            break Some(t0.elapsed());
        }
        if t0.elapsed() > GIVE_UP {
            break None;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    chrome.eval("dt.close();").await;
    took
}

/// 0.2 s of silence as a WAV file: the page wants something to decode.
fn silence() -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 16_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    if let Ok(mut w) = hound::WavWriter::new(&mut out, spec) {
        for _ in 0..3200 {
            let _ = w.write_sample(0i16);
        }
        let _ = w.finalize();
    }
    out.into_inner()
}

fn summary(v: &[Option<Duration>]) -> (f64, usize) {
    let ok: Vec<f64> = v.iter().flatten().map(|d| ms(*d)).collect();
    let failed = v.len() - ok.len();
    (median(ok), failed)
}

fn main() {
    let rt = runtime();
    rt.block_on(async {
        let chrome = Chromium::start().await;
        let port = serve(vec![
            (
                "/",
                "text/html; charset=utf-8",
                include_str!("../src/pesq_page.html").as_bytes().to_vec(),
            ),
            ("/silence.wav", "audio/wav", silence()),
        ]);
        let page = format!("http://127.0.0.1:{port}/");
        println!("setup with one DTLS datagram lost: offer → packets both ways, median of {RUNS} (release)");
        println!(
            "{:<26} {:>12} {:>12} {:>8}",
            "dropped", "Dialtone ms", "Chrome ms", "ours/Chrome (lower is faster)"
        );
        for (name, spec) in [
            ("nothing", ""),
            ("DTLS datagram 1", "drop=dtls:1"),
            ("DTLS datagram 2", "drop=dtls:2"),
            ("DTLS datagram 3", "drop=dtls:3"),
            ("DTLS datagram 4", "drop=dtls:4"),
        ] {
            let (mut ours, mut theirs) = (Vec::new(), Vec::new());
            for _ in 0..RUNS {
                ours.push(dialtone_once(spec).await);
                theirs.push(chromium_once(&chrome, &page, spec).await);
            }
            let ((d, d_failed), (c, c_failed)) = (summary(&ours), summary(&theirs));
            let failed = if d_failed + c_failed > 0 {
                format!("  (no media within 10 s: Dialtone {d_failed}, Chrome {c_failed})")
            } else {
                String::new()
            };
            println!("{name:<26} {d:>12.0} {c:>12.0} {:>7.2}×{failed}", d / c);
        }
    });
}
