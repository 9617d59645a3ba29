//! Dialtone against a stack it did not write: Chromium (libwebrtc), driven headless on
//! loopback. Each side checks the other by ear: Dialtone's decoder hears Chromium's
//! 2 kHz tone, Chromium's analyser hears Dialtone's 1 kHz tone.
//!
//! The scenarios share the machine's two cores, so they run one after another.

use dialtone_core::media::impair::{ImpairmentCounters, Way};
use dialtone_core::media::socket::MediaRuntime;
use dialtone_core::media::{CodecName, MediaConfig, MediaEvent};
use dialtone_e2e::Peer;
use dialtone_e2e::chromium::Chromium;
use std::time::{Duration, Instant};

static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const OURS: f64 = 1000.0;
const THEIRS: f64 = 2000.0;

async fn both_hear(us: &Peer, chrome: &Chromium, within: Duration) -> Result<Duration, String> {
    let started = Instant::now();
    let (we_hear, they_hear) =
        tokio::join!(us.wait_to_hear(THEIRS, within), chrome.wait_to_hear(OURS, within));
    match (we_hear, they_hear) {
        (Some(_), Some(_)) => Ok(started.elapsed()),
        _ => Err(format!(
            "Dialtone hears Chromium: {we_hear:?}; Chromium hears Dialtone: {they_hear:?} ({:?})",
            chrome.hearing().await
        )),
    }
}

/// Dialtone offers (and so is the DTLS server); Chromium answers. Returns the answer.
async fn dialtone_calls(chrome: &Chromium, us: &Peer) -> String {
    let offer = us.session.create_offer().await.expect("our offer");
    let answer = chrome.answer(&offer).await;
    us.session
        .accept_answer(&answer)
        .await
        .expect("Chromium's answer");
    answer
}

/// A packet counter of Chromium's over 600 ms, once packets sent before the change have
/// landed and its stats (cached for about 50 ms) have caught up.
async fn packets_still(
    chrome: &Chromium,
    counter: fn(&dialtone_e2e::chromium::Hearing) -> u64,
) -> (u64, u64) {
    tokio::time::sleep(Duration::from_millis(250)).await;
    let before = counter(&chrome.hearing().await);
    tokio::time::sleep(Duration::from_millis(600)).await;
    (before, counter(&chrome.hearing().await))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dialtone_and_chromium_hold_and_resume_each_other_and_audio_comes_back_each_time() {
    let _one = ONE_AT_A_TIME.lock().await;
    let chrome = Chromium::start().await;
    chrome.new_call(THEIRS, &[]).await;
    let mut us = Peer::new("Dialtone", OURS).await;
    dialtone_calls(&chrome, &us).await;
    let setup = both_hear(&us, &chrome, Duration::from_secs(5))
        .await
        .expect("two-way audio");
    println!("Dialtone → Chromium: two-way audio {setup:?} after the answer");

    let mut resumes = Vec::new();
    for cycle in 0..10 {
        // Dialtone holds Chromium: recvonly, so Chromium keeps sending and we stop.
        let offer = us.session.hold().await.expect("hold offer");
        assert!(offer.contains("a=recvonly"), "{offer}");
        let answer = chrome.answer(&offer).await;
        assert!(answer.contains("a=sendonly"), "cycle {cycle}: {answer}");
        us.session.accept_answer(&answer).await.expect("hold answer");
        let (before, after) = packets_still(&chrome, |h| h.packets_received).await;
        assert!(
            after <= before + 1,
            "cycle {cycle}: Chromium still received {before} → {after} while held"
        );
        assert!(
            us.wait_to_hear(THEIRS, Duration::from_secs(1)).await.is_some(),
            "cycle {cycle}: we stopped hearing Chromium while holding"
        );

        let offer = us.session.resume().await.expect("resume offer");
        let answer = chrome.answer(&offer).await;
        us.session.accept_answer(&answer).await.expect("resume answer");
        let back = chrome
            .wait_to_hear(OURS, Duration::from_secs(1))
            .await
            .unwrap_or_else(|| panic!("cycle {cycle}: Chromium did not hear us within 1 s of the resume"));
        resumes.push(back);
    }
    println!("Dialtone resumes, Chromium hears us again after: {resumes:?}");

    let mut resumes = Vec::new();
    for cycle in 0..10 {
        // Chromium holds Dialtone.
        let offer = chrome.reoffer("recvonly").await;
        let answer = us
            .session
            .accept_offer(&offer)
            .await
            .expect("our answer to Chromium's hold");
        assert!(answer.contains("a=sendonly"), "cycle {cycle}: {answer}");
        chrome.accept(&answer).await;
        us.wait_event(Duration::from_secs(2), |e| {
            matches!(e, MediaEvent::DirectionChanged(_))
        })
        .await;
        let sent = us.rtp_sent().await;
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert!(
            us.rtp_sent().await > sent + 10,
            "cycle {cycle}: we stopped sending while only held"
        );
        let (before, after) = packets_still(&chrome, |h| h.packets_sent).await;
        assert!(
            after <= before + 1,
            "cycle {cycle}: Chromium sent {before} → {after} while holding us"
        );

        let offer = chrome.reoffer("sendrecv").await;
        let answer = us
            .session
            .accept_offer(&offer)
            .await
            .expect("our answer to Chromium's resume");
        assert!(answer.contains("a=sendrecv"), "cycle {cycle}: {offer}\n{answer}");
        chrome.accept(&answer).await;
        let Some(back) = us.wait_to_hear(THEIRS, Duration::from_secs(1)).await else {
            panic!(
                "cycle {cycle}: we did not hear Chromium within 1 s of its resume: {:?}, {:?}, {:?}",
                us.session.stats().await,
                chrome.hearing().await,
                us.hearing(Duration::from_millis(200))
            );
        };
        resumes.push(back);
    }
    println!("Chromium resumes, Dialtone hears it again after: {resumes:?}");
    chrome.hang_up().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_calls_dialtone_on_pcmu_and_dtmf_goes_both_ways_at_8000() {
    let _one = ONE_AT_A_TIME.lock().await;
    let chrome = Chromium::start().await;
    chrome.new_call(THEIRS, &["PCMU"]).await;
    let (mut us, wire) = counted_peer().await;
    let offer = chrome.offer().await;
    let answer = us.session.accept_offer(&offer).await.expect("our answer");
    assert!(answer.contains("telephone-event/8000"), "{answer}");
    assert!(!answer.contains("telephone-event/48000"), "{answer}");
    chrome.accept(&answer).await;
    assert_eq!(us.session.codec(), Some(CodecName::Pcmu));
    both_hear(&us, &chrome, Duration::from_secs(5))
        .await
        .expect("two-way audio");
    assert_eq!(chrome.hearing().await.codec, "audio/PCMU/8000");

    // Chromium's RTCDTMFSender → our decoder.
    assert_eq!(digits_from(&chrome, &mut us, "159#").await, "159#");
    // Ours → Chromium: seen leaving our socket on the payload type its offer gave
    // telephone-event/8000 (a page cannot see received DTMF; over PCMU the events
    // round-trip between two Dialtones in `dtmf_round_trip`).
    let te = telephone_event_pt(&offer, 8_000).expect("Chromium offers telephone-event/8000");
    us.session.send_dtmf("7").expect("DTMF over PCMU");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(us.session.stats().await.dtmf_packets_sent >= 5);
    assert!(
        wire.rtp_of_type(Way::Out, te) >= 5,
        "no telephone-event/8000 on the wire"
    );
    chrome.hang_up().await;
}

/// Dialtone with an impairment that drops nothing, for its per-payload-type counters of
/// what really leaves our socket.
async fn counted_peer() -> (Peer, std::sync::Arc<ImpairmentCounters>) {
    let rt = MediaRuntime::new(Some("loss=0%".parse().expect("impairment")));
    let wire = rt.counters();
    let mut config = MediaConfig::loopback();
    config.runtime = Some(rt);
    (Peer::with_config("Dialtone", OURS, config).await, wire)
}

/// `digits` from Chromium's `RTCDTMFSender`, as our decoder heard them within 5 s.
async fn digits_from(chrome: &Chromium, us: &mut Peer, digits: &str) -> String {
    chrome.send_dtmf(digits).await;
    let mut got = String::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while got.len() < digits.len() && Instant::now() < deadline {
        let left = deadline.saturating_duration_since(Instant::now());
        if let Some(MediaEvent::Dtmf(d)) = us.wait_event(left, |e| matches!(e, MediaEvent::Dtmf(_))).await {
            got.push(d.digit);
        }
    }
    got
}

/// The telephone-event payload type at `rate` in `sdp`.
fn telephone_event_pt(sdp: &str, rate: u32) -> Option<u8> {
    sdp.lines().find_map(|l| {
        let rest = l.strip_prefix("a=rtpmap:")?;
        let (pt, name) = rest.split_once(' ')?;
        (name.trim() == format!("telephone-event/{rate}")).then(|| pt.parse().ok())?
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dialtone_calls_chromium_on_opus_and_dtmf_goes_both_ways_at_48000() {
    let _one = ONE_AT_A_TIME.lock().await;
    let chrome = Chromium::start().await;
    chrome.new_call(THEIRS, &[]).await;
    let (mut us, wire) = counted_peer().await;
    let answer = dialtone_calls(&chrome, &us).await;
    assert_eq!(us.session.codec(), Some(CodecName::Opus));
    let te = telephone_event_pt(&answer, 48_000)
        .unwrap_or_else(|| panic!("Chromium kept no telephone-event/48000: {answer}"));
    both_hear(&us, &chrome, Duration::from_secs(5))
        .await
        .expect("two-way audio");

    assert_eq!(digits_from(&chrome, &mut us, "3*8").await, "3*8");
    // Ours → Chromium, seen leaving our socket on the type Chromium's answer gave
    // telephone-event/48000, and Chromium's audio going on around them.
    let before = chrome.hearing().await.packets_received;
    us.session.send_dtmf("7").expect("DTMF over Opus");
    tokio::time::sleep(Duration::from_millis(600)).await;
    let events_out = wire.rtp_of_type(Way::Out, te);
    assert!(
        events_out >= 5,
        "{events_out} telephone-event packets on the wire"
    );
    assert!(chrome.hearing().await.packets_received > before + 10);
    chrome.hang_up().await;
}

/// One call from a Dialtone whose sockets suffer `impairment`: how long from the offer
/// until both hear each other (or why not), and how often our DTLS flight was sent again.
async fn impaired_call(
    chrome: &Chromium,
    impairment: &str,
    within: Duration,
) -> (Result<Duration, String>, u32) {
    chrome.new_call(THEIRS, &[]).await;
    let rt = MediaRuntime::new(Some(impairment.parse().expect("impairment")));
    let mut config = MediaConfig::loopback();
    config.runtime = Some(rt.clone());
    let us = Peer::with_config("Dialtone", OURS, config).await;
    let started = Instant::now();
    dialtone_calls(chrome, &us).await;
    let heard = both_hear(&us, chrome, within).await.map(|_| started.elapsed());
    us.session.close().await;
    chrome.hang_up().await;
    (heard, rt.dtls_resends())
}

/// The defect Chromium found: Dialtone as DTLS server loses its ServerHello flight,
/// Chromium repeats its ClientHello, and webrtc-rs alone never answered again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_dtls_flight_to_chromium_is_sent_again_and_media_flows_within_3_s() {
    let _one = ONE_AT_A_TIME.lock().await;
    let chrome = Chromium::start().await;
    let mut times = Vec::new();
    for n in 1..=3 {
        let (heard, resent) =
            impaired_call(&chrome, &format!("drop=dtls-out:{n}"), Duration::from_secs(8)).await;
        let took = heard
            .unwrap_or_else(|e| panic!("DTLS datagram {n} lost: {e}; our flight sent again {resent} times"));
        assert!(
            took <= Duration::from_secs(3),
            "DTLS datagram {n} lost: two-way audio only after {took:?}"
        );
        times.push((n, took, resent));
    }
    println!("our n-th DTLS datagram lost → two-way audio after (n, time, flights sent again): {times:?}");
}

/// Chromium found 2 silent calls in 6 at 5 % loss on every packet (the DTLS flight that
/// was never sent again). Twenty calls, each with its own seed, all get two-way audio.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_calls_at_5_percent_loss_on_every_packet_all_get_two_way_audio() {
    let _one = ONE_AT_A_TIME.lock().await;
    let chrome = Chromium::start().await;
    let mut setups = Vec::new();
    let mut resent = 0;
    for seed in 1..=20 {
        let (heard, again) =
            impaired_call(&chrome, &format!("loss=5%,seed={seed}"), Duration::from_secs(10)).await;
        resent += again;
        setups.push(heard.unwrap_or_else(|e| panic!("call {seed} of 20 at 5 % loss: {e}")));
    }
    setups.sort();
    println!(
        "20 calls at 5 % loss: two-way audio after median {:?}, worst {:?}; our DTLS flights sent again {resent} times",
        setups[10], setups[19]
    );
}
