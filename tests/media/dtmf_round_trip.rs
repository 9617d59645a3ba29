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

/// Our offer lists telephone-event at both clock rates with distinct payload types (the
/// stack used to collapse them into two identical /48000 lines); a G.711-only answerer
/// keeps the 8 kHz one, and DTMF goes on its payload type at 8 kHz, both ways.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_offer_answered_with_g711_carries_dtmf_at_8000_on_its_own_payload_type() {
    let mut a = Peer::new("A", 1000.0).await;
    let mut b = Peer::with_config(
        "B",
        2000.0,
        MediaConfig::loopback().with_codecs(&[CodecName::Pcmu]),
    )
    .await;
    let offer = a.session.create_offer().await.expect("offer");
    let events = |sdp: &str| {
        sdp.lines()
            .filter(|l| l.contains("telephone-event"))
            .map(|l| l.trim().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        events(&offer),
        [
            "a=rtpmap:110 telephone-event/48000",
            "a=rtpmap:126 telephone-event/8000"
        ],
        "{offer}"
    );
    let answer = b.session.accept_offer(&offer).await.expect("answer");
    assert_eq!(events(&answer), ["a=rtpmap:126 telephone-event/8000"], "{answer}");
    a.session.accept_answer(&answer).await.expect("apply answer");
    assert_eq!(a.session.codec(), Some(CodecName::Pcmu));
    a.wait_event(Duration::from_secs(5), |e| matches!(e, MediaEvent::Connected))
        .await
        .expect("connected");

    a.session.send_dtmf("7").expect("send");
    assert_eq!(collect_digits(&mut b, 1, Duration::from_secs(3)).await, "7");
    // The digit is known from its first packet; let the rest of the event arrive.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let events_on_wire: Vec<_> = b
        .session
        .received_headers()
        .into_iter()
        .filter(|h| h.payload_type == 126)
        .collect();
    assert!(events_on_wire.len() >= 3, "{events_on_wire:?}");
    // One digit: its packets (start, updates, three ends) share one start timestamp.
    assert!(
        events_on_wire
            .windows(2)
            .all(|w| w[0].timestamp == w[1].timestamp),
        "{events_on_wire:?}"
    );
    b.session.send_dtmf("3").expect("send back");
    assert_eq!(collect_digits(&mut a, 1, Duration::from_secs(3)).await, "3");
}
