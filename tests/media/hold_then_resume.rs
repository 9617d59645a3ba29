//! A holds B with `a=recvonly`: A stops sending while B's audio still reaches A; resume
//! restores two-way audio within a second.

use dialtone_core::media::Direction;
use dialtone_e2e::{Peer, connect, hold, resume, rtp_received_over, rtp_sent_over, sdp_direction, wait_silence};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hold_then_resume_restores_two_way_audio() {
    let mut a = Peer::new("A", 1000.0).await;
    let mut b = Peer::new("B", 2000.0).await;
    connect(&mut a, &mut b).await;
    assert!(b.wait_to_hear(1000.0, Duration::from_secs(3)).await.is_some());
    assert!(a.wait_to_hear(2000.0, Duration::from_secs(3)).await.is_some());

    let (offer, answer) = hold(&a, &b).await;
    assert_eq!(sdp_direction(&offer), Some(Direction::RecvOnly), "hold offer:\n{offer}");
    assert_eq!(sdp_direction(&answer), Some(Direction::SendOnly), "hold answer:\n{answer}");
    assert_eq!(a.session.direction(), Some(Direction::RecvOnly));
    assert_eq!(b.session.direction(), Some(Direction::SendOnly));

    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(rtp_sent_over(&a, Duration::from_secs(1)).await, 0, "A sent RTP while holding");
    assert!(rtp_received_over(&a, Duration::from_millis(500)).await >= 20, "B's audio stopped reaching A");
    assert!(a.wait_to_hear(2000.0, Duration::from_millis(500)).await.is_some(), "A no longer hears B");
    assert!(wait_silence(&b, Duration::from_secs(1)).await.is_some(), "B still hears A while held");

    let (offer, answer) = resume(&a, &b).await;
    assert_eq!(sdp_direction(&offer), Some(Direction::SendRecv));
    assert_eq!(sdp_direction(&answer), Some(Direction::SendRecv));
    assert_eq!(a.session.direction(), Some(Direction::SendRecv));
    let back = b.wait_to_hear(1000.0, Duration::from_secs(1)).await;
    assert!(back.is_some(), "B did not hear A within 1 s of the resume");
    assert!(a.wait_to_hear(2000.0, Duration::from_secs(1)).await.is_some());
}
