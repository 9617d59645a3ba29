//! Garbage SDP, SDP without audio and unknown codecs give clear errors, never a panic,
//! and the session stays usable; RTP of a payload type nobody negotiated stops at our
//! socket (the stack logged an error for every such packet).

use dialtone_core::media::MediaError;
use dialtone_e2e::{Peer, connect};
use std::time::Duration;

/// The CAMARA spec's own example offer: AMR-WB and telephone-event/16000 only.
const CAMARA_AMR_WB: &str = "v=0\r\no=- 4576312012535546667 4 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 47510 RTP/SAVPF 102 113\r\nc=IN IP4 127.0.0.1\r\nb=AS:64\r\na=rtcp:9 IN IP4 0.0.0.0\r\na=rtpmap:102 AMR-WB/16000\r\na=fmtp:102 octet-align=0; mode-set=0,1,2; mode-change-capability=2\r\na=rtpmap:113 telephone-event/16000\r\na=ptime:20\r\n";

const VIDEO_ONLY: &str = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\na=sendrecv\r\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_offers_are_refused_with_clear_errors_and_the_session_survives() {
    let mut a = Peer::new("A", 1000.0).await;
    let mut b = Peer::new("B", 2000.0).await;

    for garbage in [
        "",
        "hello",
        "v=0\r\nm=audio banana RTP/AVP 0\r\n",
        "v=0\r\nm=audio 9 RTP/AVP 0\r\na=rtpmap:x\r\n",
        "\u{0}\u{1}\u{2}",
    ] {
        let err = b
            .session
            .accept_offer(garbage)
            .await
            .expect_err("garbage accepted");
        assert!(matches!(err, MediaError::BadSdp(_)), "{garbage:?}: {err}");
    }
    // Oversized: megabytes of attributes, or a thousand media sections, are refused before
    // anything is rewritten or handed to the stack.
    let huge = format!(
        "{CAMARA_AMR_WB}{}",
        "a=x-padding:0123456789abcdef\r\n".repeat(200_000)
    );
    let many = format!(
        "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n{}",
        "m=video 0 UDP/TLS/RTP/SAVPF 96\r\n".repeat(1000)
    );
    for (what, sdp) in [("6 MB", huge), ("1000 m= lines", many)] {
        let err = b.session.accept_offer(&sdp).await.expect_err(what);
        assert!(matches!(err, MediaError::BadSdp(_)), "{what}: {err}");
        assert!(err.to_string().contains("at most"), "{what}: {err}");
    }
    let err = b.session.accept_offer(VIDEO_ONLY).await.expect_err("video only");
    assert!(matches!(err, MediaError::NoAudio), "{err}");
    assert!(err.to_string().contains("no audio"));
    let err = b
        .session
        .accept_offer(CAMARA_AMR_WB)
        .await
        .expect_err("AMR-WB only");
    assert!(err.to_string().contains("no common audio codec"), "{err}");
    assert!(
        err.to_string().contains("AMR-WB/16000"),
        "the message names what was offered: {err}"
    );
    // A stack-level failure (valid to us, not to the stack) is an error too, not a panic.
    let odd =
        "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
    let _ = b.session.accept_offer(odd).await;

    // After all that, a real call still connects.
    connect(&mut a, &mut b).await;
    assert!(b.wait_to_hear(1000.0, Duration::from_secs(3)).await.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rtp_of_a_payload_type_nobody_negotiated_stops_at_our_socket() {
    let a = Peer::new("A", 1000.0).await;
    let b = Peer::new("B", 2000.0).await;
    let offer = a.session.create_offer().await.expect("offer");
    let answer = b.session.accept_offer(&offer).await.expect("answer");
    // A far end that renumbers Opus in its answer: A sends Opus as 96, which B never
    // offered, and expects 96 from B, which sends 111.
    let renumbered = answer.replace(" 111", " 96").replace(":111 ", ":96 ");
    a.session.accept_answer(&renumbered).await.expect("apply");
    tokio::time::sleep(Duration::from_secs(2)).await;
    for p in [&a, &b] {
        let s = p.session.stats().await;
        assert!(s.rtp_unnegotiated_dropped > 20, "{}: {s:?}", p.name);
        assert_eq!(
            s.frames_played, 0,
            "{}: played what it could not decode: {s:?}",
            p.name
        );
    }
}
