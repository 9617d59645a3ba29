//! ICE with several host candidates each side, as on a machine with several interfaces,
//! still finds a working pair with the tuned check pacing, including when the far end's
//! best-ranked candidate answers nothing. Loopback stands in for the interfaces (Linux
//! routes all of 127.0.0.0/8 there), so traffic never leaves the machine.

use dialtone_core::media::MediaConfig;
use dialtone_e2e::{Peer, rtp_received_over};
use std::time::{Duration, Instant};

fn bound_to(addrs: &[&str]) -> MediaConfig {
    MediaConfig {
        bind_addrs: addrs.iter().map(|a| (*a).to_owned()).collect(),
        ..MediaConfig::loopback()
    }
}

fn candidates(sdp: &str) -> Vec<&str> {
    sdp.lines().filter(|l| l.starts_with("a=candidate:")).collect()
}

/// A host candidate of the highest priority, at an address where nothing listens.
fn with_dead_candidate_first(sdp: &str) -> String {
    let mut out = String::new();
    let mut added = false;
    for line in sdp.split_inclusive('\n') {
        if !added && line.starts_with("a=candidate:") {
            out.push_str("a=candidate:999 1 udp 2130706431 127.0.0.9 9 typ host\r\n");
            added = true;
        }
        out.push_str(line);
    }
    out
}

async fn audio_both_ways(a: &Peer, b: &Peer) {
    assert!(
        b.wait_to_hear(1000.0, Duration::from_secs(3)).await.is_some(),
        "B never heard A"
    );
    assert!(
        a.wait_to_hear(2000.0, Duration::from_secs(3)).await.is_some(),
        "A never heard B"
    );
    assert!(rtp_received_over(b, Duration::from_millis(500)).await >= 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_host_candidates_each_side_connect_with_audio_both_ways() {
    let mut a = Peer::with_config(
        "A",
        1000.0,
        bound_to(&["127.0.0.1:0", "127.0.0.2:0", "127.0.0.3:0"]),
    )
    .await;
    let mut b = Peer::with_config("B", 2000.0, bound_to(&["127.0.0.1:0", "127.0.0.4:0"])).await;
    let started = Instant::now();
    let offer = a.session.create_offer().await.expect("offer");
    assert!(
        candidates(&offer).len() >= 3,
        "one candidate per address: {offer}"
    );
    let answer = b.session.accept_offer(&offer).await.expect("answer");
    assert!(
        candidates(&answer).len() >= 2,
        "one candidate per address: {answer}"
    );
    a.session.accept_answer(&answer).await.expect("apply answer");
    for p in [&mut a, &mut b] {
        p.wait_event(Duration::from_secs(10), |e| {
            *e == dialtone_core::media::MediaEvent::Connected
        })
        .await
        .unwrap_or_else(|| panic!("{} never connected", p.name));
    }
    eprintln!("six pairs: offer → connected in {:?}", started.elapsed());
    audio_both_ways(&a, &b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_candidate_ranked_first_is_passed_over() {
    let mut a = Peer::with_config("A", 1000.0, bound_to(&["127.0.0.1:0", "127.0.0.2:0"])).await;
    let mut b = Peer::new("B", 2000.0).await;
    let offer = a.session.create_offer().await.expect("offer");
    let answer = b.session.accept_offer(&offer).await.expect("answer");
    a.session
        .accept_answer(&with_dead_candidate_first(&answer))
        .await
        .expect("apply answer");
    for p in [&mut a, &mut b] {
        p.wait_event(Duration::from_secs(10), |e| {
            *e == dialtone_core::media::MediaEvent::Connected
        })
        .await
        .unwrap_or_else(|| panic!("{} never connected", p.name));
    }
    audio_both_ways(&a, &b).await;
}
