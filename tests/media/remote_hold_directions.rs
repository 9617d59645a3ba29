//! The far end holds us with `sendonly`, then `inactive`, then resumes with `sendrecv`;
//! each re-offer is answered with the right direction and media follows it.

use dialtone_core::media::Direction;
use dialtone_e2e::{Peer, connect, rtp_sent_over, sdp_direction};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_hold_sendonly_inactive_then_sendrecv_is_answered_right() {
    let mut a = Peer::new("A", 1000.0).await;
    let mut b = Peer::new("B", 2000.0).await;
    connect(&mut a, &mut b).await;
    assert!(a.wait_to_hear(2000.0, Duration::from_secs(3)).await.is_some());

    // B plays music on hold: it sends, we only listen.
    let offer = b
        .session
        .hold_with(Direction::SendOnly)
        .await
        .expect("sendonly offer");
    assert_eq!(sdp_direction(&offer), Some(Direction::SendOnly));
    let answer = a.session.accept_offer(&offer).await.expect("answer");
    assert_eq!(sdp_direction(&answer), Some(Direction::RecvOnly));
    b.session.accept_answer(&answer).await.expect("apply");
    assert_eq!(a.session.direction(), Some(Direction::RecvOnly));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        rtp_sent_over(&a, Duration::from_millis(600)).await,
        0,
        "A sent while held sendonly"
    );
    assert!(rtp_sent_over(&b, Duration::from_millis(300)).await > 0);
    assert!(a.wait_to_hear(2000.0, Duration::from_secs(1)).await.is_some());
    let last_before_hold = *b
        .session
        .received_headers()
        .last()
        .expect("B heard A before the hold");

    let offer = b
        .session
        .hold_with(Direction::Inactive)
        .await
        .expect("inactive offer");
    assert_eq!(sdp_direction(&offer), Some(Direction::Inactive));
    let answer = a.session.accept_offer(&offer).await.expect("answer");
    assert_eq!(sdp_direction(&answer), Some(Direction::Inactive));
    b.session.accept_answer(&answer).await.expect("apply");
    assert_eq!(a.session.direction(), Some(Direction::Inactive));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(rtp_sent_over(&a, Duration::from_millis(500)).await, 0);
    assert_eq!(rtp_sent_over(&b, Duration::from_millis(500)).await, 0);

    let offer = b.session.resume().await.expect("resume offer");
    let answer = a.session.accept_offer(&offer).await.expect("answer");
    assert_eq!(sdp_direction(&answer), Some(Direction::SendRecv));
    b.session.accept_answer(&answer).await.expect("apply");
    assert_eq!(a.session.direction(), Some(Direction::SendRecv));
    assert!(
        b.wait_to_hear(1000.0, Duration::from_secs(1)).await.is_some(),
        "B does not hear A after resume"
    );
    assert!(
        a.wait_to_hear(2000.0, Duration::from_secs(1)).await.is_some(),
        "A does not hear B after resume"
    );
    // Answering the hold took A's sender away for a moment; the packet A had queued
    // then still went out, so A's sequence carries on across the hold without a gap.
    let first_after = b
        .session
        .received_headers()
        .into_iter()
        .find(|h| h.at > last_before_hold.at + Duration::from_millis(500))
        .expect("A's packets after the resume");
    assert_eq!(first_after.ssrc, last_before_hold.ssrc);
    assert_eq!(
        first_after.sequence,
        last_before_hold.sequence.wrapping_add(1),
        "A's sequence has a gap across the far end's hold"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_recvonly_hold_keeps_us_sending() {
    let mut a = Peer::new("A", 1000.0).await;
    let mut b = Peer::new("B", 2000.0).await;
    connect(&mut a, &mut b).await;
    let offer = b.session.hold().await.expect("recvonly offer");
    let answer = a.session.accept_offer(&offer).await.expect("answer");
    assert_eq!(sdp_direction(&answer), Some(Direction::SendOnly));
    b.session.accept_answer(&answer).await.expect("apply");
    assert_eq!(a.session.direction(), Some(Direction::SendOnly));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(rtp_sent_over(&a, Duration::from_millis(300)).await > 0);
    assert_eq!(rtp_sent_over(&b, Duration::from_millis(500)).await, 0);
    assert!(b.wait_to_hear(1000.0, Duration::from_secs(1)).await.is_some());
}
