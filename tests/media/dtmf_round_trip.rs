//! Every DTMF digit sent as RFC 4733 events arrives as the same digit, with Opus
//! (telephone-event/48000) and with G.711 (telephone-event/8000).

use dialtone_core::media::{CodecName, MediaConfig, MediaEvent};
use dialtone_e2e::{Peer, connect, hold};
use std::time::Duration;

async fn collect_digits(p: &mut Peer, n: usize, within: Duration) -> String {
    let mut got = String::new();
    let deadline = tokio::time::Instant::now() + within;
    while got.len() < n {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match p.wait_event(left, |e| matches!(e, MediaEvent::Dtmf(_))).await {
            Some(MediaEvent::Dtmf(d)) => got.push(d.digit),
            _ => break,
        }
    }
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_dtmf_digit_round_trips_over_opus() {
    let mut a = Peer::new("A", 1000.0).await;
    let mut b = Peer::new("B", 2000.0).await;
    connect(&mut a, &mut b).await;
    let all = "0123456789*#ABCD";
    a.session.send_dtmf(all).expect("send");
    assert_eq!(
        collect_digits(&mut b, all.len(), Duration::from_secs(10)).await,
        all
    );
    b.session.send_dtmf("#9").expect("send back");
    assert_eq!(collect_digits(&mut a, 2, Duration::from_secs(3)).await, "#9");
    assert!(a.session.stats().await.dtmf_packets_sent >= 16 * 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dtmf_round_trips_over_g711_and_is_refused_when_invalid_or_held() {
    let cfg = MediaConfig::loopback().with_codecs(&[CodecName::Pcmu]);
    let mut a = Peer::with_config("A", 1000.0, cfg.clone()).await;
    let mut b = Peer::with_config("B", 2000.0, cfg).await;
    connect(&mut a, &mut b).await;
    assert_eq!(a.session.codec(), Some(CodecName::Pcmu));
    a.session.send_dtmf("*5#").expect("send");
    assert_eq!(collect_digits(&mut b, 3, Duration::from_secs(3)).await, "*5#");
    let err = a.session.send_dtmf("12x").expect_err("invalid digit");
    assert!(err.to_string().contains("'x' is not a DTMF digit"), "{err}");
    hold(&a, &b).await;
    assert!(
        a.session.send_dtmf("1").is_err(),
        "DTMF while not sending must be refused"
    );
}
