//! A gateway's offer with a rejected `m=video 0` line (no direction attribute) first:
//! our answer keeps both m-lines in order (webrtc-rs/rtc#66), and re-offers still work.

use dialtone_core::media::Direction;
use dialtone_core::media::MediaEvent;
use dialtone_e2e::{Peer, sdp_direction, sections, with_rejected_video_first, without_first_section};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answer_keeps_m_line_order_with_a_rejected_video_line() {
    let mut a = Peer::new("A", 1000.0).await;
    let b = Peer::new("B", 2000.0).await;
    // B sits behind a gateway that adds a rejected video section.
    let offer = with_rejected_video_first(&b.session.create_offer().await.expect("offer"));
    let answer = a.session.accept_offer(&offer).await.expect("answer");
    let s = sections(&answer);
    assert_eq!(s.len(), 2, "answer lost an m-line:\n{answer}");
    assert_eq!(
        (s[0].0.as_str(), s[0].1),
        ("video", 0),
        "the video line must stay first and rejected"
    );
    assert_eq!(s[1].0, "audio");
    b.session
        .accept_answer(&without_first_section(&answer))
        .await
        .expect("apply");
    a.wait_event(Duration::from_secs(10), |e| *e == MediaEvent::Connected)
        .await
        .expect("connected");
    assert!(a.wait_to_hear(2000.0, Duration::from_secs(3)).await.is_some());

    // The gateway's hold re-offer has the same layout.
    let offer = with_rejected_video_first(&b.session.hold().await.expect("hold"));
    let answer = a.session.accept_offer(&offer).await.expect("answer to re-offer");
    let s = sections(&answer);
    assert_eq!(
        s.iter().map(|x| x.0.as_str()).collect::<Vec<_>>(),
        ["video", "audio"]
    );
    assert_eq!(sdp_direction(&answer), Some(Direction::SendOnly));
    b.session
        .accept_answer(&without_first_section(&answer))
        .await
        .expect("apply");
    assert_eq!(a.session.direction(), Some(Direction::SendOnly));
}
