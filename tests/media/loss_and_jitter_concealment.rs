//! 5 % random loss and 30 ms jitter between the peers: the jitter buffer reorders and
//! concealment (Opus FEC and PLC) keeps the decoded stream continuous.

use dialtone_core::media::analysis::rms_dbfs;
use dialtone_core::media::impair::{Impairment, PacketClass, Way};
use dialtone_core::media::socket::MediaRuntime;
use dialtone_core::media::{CodecName, MediaConfig};
use dialtone_e2e::stall::StallWatch;
use dialtone_e2e::{Peer, connect};
use std::time::{Duration, Instant};

/// Longest run of silent output frames after playout first starts.
fn longest_gap(frames: &[Vec<i16>]) -> (usize, usize) {
    let Some(start) = frames.iter().position(|f| rms_dbfs(f) > -40.0) else {
        return (usize::MAX, 0);
    };
    let (mut longest, mut run) = (0, 0);
    for f in &frames[start..] {
        if rms_dbfs(f) < -40.0 {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    (longest, frames.len() - start)
}

async fn impaired_call(codec: CodecName) {
    // On A's socket, both ways: each direction meets 5 % loss and 0-30 ms of jitter once.
    // Media only: what is measured here is concealment, not the handshake (for which see
    // the DTLS scenarios).
    let impairment: Impairment = "loss=5%,jitter=30ms,only=rtp+rtcp".parse().expect("impairment");
    let rt_a = MediaRuntime::new(Some(impairment));
    let counters = rt_a.counters();
    let mut cfg_a = MediaConfig::loopback().with_codecs(&[codec]);
    cfg_a.runtime = Some(rt_a);
    let watch = StallWatch::start();
    let mut a = Peer::with_config("A", 1000.0, cfg_a).await;
    let mut b = Peer::with_config("B", 2000.0, MediaConfig::loopback().with_codecs(&[codec])).await;
    let started = Instant::now();
    connect(&mut a, &mut b).await;
    tokio::time::sleep(Duration::from_secs(6)).await;

    let (sent, dropped) = counters.get(Way::Out, PacketClass::Rtp);
    assert!(
        dropped > 5 && sent > 250,
        "the impairment did not bite: {dropped}/{sent}"
    );
    let stats = b.session.stats().await;
    assert!(
        stats.frames_concealed > 0,
        "{codec}: loss went unnoticed: {stats:?}"
    );
    let (mut gap, frames) = longest_gap(&b.heard.snapshot().frames);
    assert!(frames > 200, "{codec}: too little audio played ({frames} frames)");
    // A gap while the machine did not run us is not concealment's doing: measure again,
    // over a fresh window, at most twice.
    let mut window = started;
    for _ in 0..2 {
        let stalled = watch.longest_since(window);
        if gap <= 1 || stalled < Duration::from_millis(40) {
            break;
        }
        eprintln!("{codec}: a gap of {gap} frames while the process stalled {stalled:?}; measuring again");
        window = Instant::now();
        let from = b.heard.len();
        tokio::time::sleep(Duration::from_secs(4)).await;
        gap = longest_gap(&b.heard.snapshot().frames[from..]).0;
    }
    assert!(
        gap <= 1,
        "{codec}: a gap of {gap} frames in the output (longest stall of the process {:?}); {stats:?}",
        watch.longest_since(window)
    );
    assert!(b.wait_to_hear(1000.0, Duration::from_secs(1)).await.is_some());
    eprintln!(
        "{codec}: dropped {dropped}/{sent}, concealed {} (FEC {}), late {}, target {:.0} ms",
        stats.frames_concealed, stats.frames_recovered_fec, stats.late_packets, stats.jitter_target_ms
    );
    // Whether that concealment came from FEC depends on the sender expecting loss, which
    // follows RTCP and a tone's voice activity: proven in `fec_follows_reported_loss.rs`.
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loss_and_jitter_are_concealed_with_opus_fec_and_plc() {
    impaired_call(CodecName::Opus).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loss_and_jitter_are_concealed_with_g711_repeat_and_fade() {
    impaired_call(CodecName::Pcma).await;
}
