//! The Opus encoder spends bits on in-band FEC only when the far end reports loss: on a
//! clean path it expects none (every bit goes to the voice); once RTCP reports loss it
//! protects against it, and the far end rebuilds lost frames from that FEC.

use dialtone_core::media::socket::MediaRuntime;
use dialtone_core::media::{MediaConfig, MediaStats};
use dialtone_e2e::{Peer, connect};
use std::time::{Duration, Instant};

/// Polls A's stats until `done` holds or `within` passes.
async fn stats_until(p: &Peer, within: Duration, done: impl Fn(&MediaStats) -> bool) -> MediaStats {
    let until = Instant::now() + within;
    loop {
        let s = p.session.stats().await;
        if done(&s) || Instant::now() > until {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_path_gets_no_fec_and_a_lossy_one_gets_fec_that_the_far_end_uses() {
    let mut a = Peer::new("A", 1000.0).await;
    let mut b = Peer::new("B", 2000.0).await;
    connect(&mut a, &mut b).await;
    assert!(b.wait_to_hear(1000.0, Duration::from_secs(3)).await.is_some());
    // Several receiver reports' worth of a clean path.
    tokio::time::sleep(Duration::from_secs(4)).await;
    for p in [&a, &b] {
        let s = p.session.stats().await;
        assert_eq!(s.expected_loss_pct, 0, "{}: FEC on a clean path: {s:?}", p.name);
        assert_eq!(s.frames_recovered_fec, 0, "{}: {s:?}", p.name);
    }
    a.session.close().await;
    b.session.close().await;

    // 20 % of RTP lost each way (on A's socket); RTCP gets through, so both report it.
    // From 10 % expected loss libopus codes FEC into every packet; below that only into
    // those its voice activity detector finds active, and a steady test tone soon is not.
    let rt = MediaRuntime::new(Some("loss=20%,only=rtp,seed=3".parse().expect("impairment")));
    let mut cfg = MediaConfig::loopback();
    cfg.runtime = Some(rt);
    let mut a = Peer::with_config("A", 1000.0, cfg).await;
    let mut b = Peer::new("B", 2000.0).await;
    connect(&mut a, &mut b).await;
    assert!(b.wait_to_hear(1000.0, Duration::from_secs(3)).await.is_some());
    let s = stats_until(&a, Duration::from_secs(10), |s| s.expected_loss_pct >= 10).await;
    assert!(
        s.expected_loss_pct >= 10,
        "A's encoder ignores the loss B reports ({:.1} %): {s:?}",
        s.remote_fraction_lost * 100.0
    );
    let b_stats = stats_until(&b, Duration::from_secs(6), |s| s.frames_recovered_fec > 0).await;
    assert!(
        b_stats.frames_recovered_fec > 0,
        "B never rebuilt a frame from A's FEC: {b_stats:?}"
    );
    eprintln!(
        "A expects {} % loss (B reports {:.1} %); B rebuilt {} frames from FEC, concealed {}",
        s.expected_loss_pct,
        s.remote_fraction_lost * 100.0,
        b_stats.frames_recovered_fec,
        b_stats.frames_concealed
    );
}
