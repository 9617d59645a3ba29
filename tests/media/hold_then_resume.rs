//! A holds B with `a=recvonly`: A stops sending while B's audio still reaches A; resume
//! restores two-way audio within a second.

use dialtone_core::media::Direction;
use dialtone_e2e::{
    Peer, connect, hold, resume, rtp_received_over, rtp_sent_over, sdp_direction, wait_silence,
};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hold_then_resume_restores_two_way_audio() {
    let mut a = Peer::new("A", 1000.0).await;
    let mut b = Peer::new("B", 2000.0).await;
    connect(&mut a, &mut b).await;
    assert!(b.wait_to_hear(1000.0, Duration::from_secs(3)).await.is_some());
    assert!(a.wait_to_hear(2000.0, Duration::from_secs(3)).await.is_some());

    let (offer, answer) = hold(&a, &b).await;
    assert_eq!(
        sdp_direction(&offer),
        Some(Direction::RecvOnly),
        "hold offer:\n{offer}"
    );
    assert_eq!(
        sdp_direction(&answer),
        Some(Direction::SendOnly),
        "hold answer:\n{answer}"
    );
    assert_eq!(a.session.direction(), Some(Direction::RecvOnly));
    assert_eq!(b.session.direction(), Some(Direction::SendOnly));

    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        rtp_sent_over(&a, Duration::from_secs(1)).await,
        0,
        "A sent RTP while holding"
    );
    // A's last packet before the hold, read once A has sent nothing for a second: what
    // was in flight has landed even on a loaded machine (100 ms was once too little).
    let last_before_hold = *b.session.received_headers().last().expect("B received A");
    assert!(
        rtp_received_over(&a, Duration::from_millis(500)).await >= 20,
        "B's audio stopped reaching A"
    );
    assert!(
        a.wait_to_hear(2000.0, Duration::from_millis(500)).await.is_some(),
        "A no longer hears B"
    );
    assert!(
        wait_silence(&b, Duration::from_secs(1)).await.is_some(),
        "B still hears A while held"
    );

    let (offer, answer) = resume(&a, &b).await;
    assert_eq!(sdp_direction(&offer), Some(Direction::SendRecv));
    assert_eq!(sdp_direction(&answer), Some(Direction::SendRecv));
    assert_eq!(a.session.direction(), Some(Direction::SendRecv));
    // Read A's first packet after the resume before the header log (64 packets) rolls on.
    let mut first_after = None;
    for _ in 0..100 {
        first_after = b
            .session
            .received_headers()
            .into_iter()
            .find(|h| h.at > last_before_hold.at + Duration::from_millis(500));
        if first_after.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let back = b.wait_to_hear(1000.0, Duration::from_secs(1)).await;
    assert!(back.is_some(), "B did not hear A within 1 s of the resume");

    // On the wire: same SSRC, the sequence carries on without a gap (nothing was sent
    // while held), the marker bit opens the new talk spurt, and the RTP clock advanced
    // with wall-clock time across the hold.
    let first_after = first_after.expect("packets after the resume");
    assert_eq!(first_after.ssrc, last_before_hold.ssrc);
    assert_eq!(
        first_after.sequence,
        last_before_hold.sequence.wrapping_add(1),
        "sequence gap across hold"
    );
    assert!(
        first_after.marker,
        "no marker bit on the first packet after resume"
    );
    let rtp_elapsed = f64::from(first_after.timestamp.wrapping_sub(last_before_hold.timestamp)) / 48_000.0;
    let wall_elapsed = (first_after.at - last_before_hold.at).as_secs_f64();
    assert!(
        (rtp_elapsed - wall_elapsed).abs() < 0.1,
        "RTP clock drifted across the hold: {rtp_elapsed:.3} s of timestamps for {wall_elapsed:.3} s of wall time"
    );
    assert!(a.wait_to_hear(2000.0, Duration::from_secs(1)).await.is_some());
}
