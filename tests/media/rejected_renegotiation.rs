//! A renegotiation that is rejected or fails leaves the call exactly as it was: a refused
//! hold sends audio again.

use dialtone_core::media::{CodecName, Direction, MediaError};
use dialtone_e2e::{Peer, connect, hold, rtp_sent_over, wait_silence};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_hold_leaves_the_call_as_it_was() {
    let mut a = Peer::new("A", 1000.0).await;
    let mut b = Peer::new("B", 2000.0).await;
    connect(&mut a, &mut b).await;
    assert!(b.wait_to_hear(1000.0, Duration::from_secs(3)).await.is_some());

    // Signaling refuses the hold: the offer never reaches B.
    let _offer = a.session.hold().await.expect("hold offer");
    assert!(a.session.has_pending_offer().await);
    // The negotiated direction waits for an answer, but our audio stops at once: the
    // user asked for it, and the stack has already dropped the sender (what we wrote
    // in between never left, and was once counted as sent).
    assert_eq!(a.session.direction(), Some(Direction::SendRecv));
    assert!(
        rtp_sent_over(&a, Duration::from_millis(300)).await <= 1,
        "still sending with a hold out"
    );
    a.session.cancel_offer().await.expect("cancel");
    assert!(!a.session.has_pending_offer().await);
    assert_eq!(a.session.direction(), Some(Direction::SendRecv));
    assert!(rtp_sent_over(&a, Duration::from_millis(300)).await > 10);
    assert!(b.wait_to_hear(1000.0, Duration::from_millis(500)).await.is_some());

    // A garbage answer is refused and rolled back.
    let _offer = a.session.hold().await.expect("hold offer");
    let err = a
        .session
        .accept_answer("this is not SDP")
        .await
        .expect_err("garbage answer");
    assert!(matches!(err, MediaError::BadSdp(_)), "{err}");
    // An answer with no common codec is refused and rolled back.
    let _offer = a.session.hold().await.expect("hold offer again");
    let amr = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 102\r\na=rtpmap:102 AMR-WB/16000\r\na=sendonly\r\n";
    let err = a.session.accept_answer(amr).await.expect_err("no common codec");
    assert!(err.to_string().contains("no common audio codec"), "{err}");
    assert_eq!(a.session.direction(), Some(Direction::SendRecv));
    assert_eq!(a.session.codec(), Some(CodecName::Opus));
    assert!(b.wait_to_hear(1000.0, Duration::from_millis(500)).await.is_some());

    // And the call can still be held for real afterwards.
    hold(&a, &b).await;
    assert_eq!(a.session.direction(), Some(Direction::RecvOnly));
    assert!(wait_silence(&b, Duration::from_secs(1)).await.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn illegal_moves_are_refused_without_changing_state() {
    let mut a = Peer::new("A", 1000.0).await;
    let mut b = Peer::new("B", 2000.0).await;
    assert!(
        matches!(a.session.hold().await, Err(MediaError::InvalidState { .. })),
        "hold before connect"
    );
    assert!(matches!(
        a.session.accept_answer("v=0\r\n").await,
        Err(MediaError::InvalidState { .. })
    ));
    connect(&mut a, &mut b).await;
    assert!(
        matches!(a.session.resume().await, Err(MediaError::InvalidState { .. })),
        "resume when not held"
    );
    assert!(matches!(
        a.session.create_offer().await,
        Err(MediaError::InvalidState { .. })
    ));
    let _ = a.session.hold().await.expect("hold");
    let glare = a
        .session
        .accept_offer(&b.session.hold().await.expect("b hold"))
        .await;
    assert!(
        matches!(glare, Err(MediaError::InvalidState { .. })),
        "glare must be refused: {glare:?}"
    );
    assert!(
        matches!(a.session.hold().await, Err(MediaError::InvalidState { .. })),
        "second hold while pending"
    );
    assert_eq!(a.session.direction(), Some(Direction::SendRecv));
}
