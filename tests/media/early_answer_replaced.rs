//! An answer given early (Alexa's CallInProgress) is replaced by a later one to the same
//! offer (CallAccepted with a different SDP): the later one takes effect. Here the early
//! answer says the far end only sends (a ringback), so we stay silent; the final one is
//! two-way, and the far end hears us.

use dialtone_core::media::Direction;
use dialtone_e2e::{Peer, rtp_received_over};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_final_answer_replaces_the_early_one_and_two_way_audio_follows() {
    let a = Peer::new("A", 1000.0).await;
    let b = Peer::new("B", 2000.0).await;
    let offer = a.session.create_offer().await.expect("offer");
    let answer = b.session.accept_offer(&offer).await.expect("answer");
    assert!(answer.contains("a=sendrecv"), "{answer}");
    let early = answer.replace("a=sendrecv", "a=sendonly");
    assert_eq!(
        a.session.accept_answer(&early).await.expect("early answer"),
        Direction::RecvOnly
    );
    assert!(
        a.wait_to_hear(2000.0, Duration::from_secs(5)).await.is_some(),
        "no early media"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        rtp_received_over(&b, Duration::from_millis(500)).await,
        0,
        "A sent during early media"
    );

    assert_eq!(
        a.session.replace_answer(&answer).await.expect("final answer"),
        Direction::SendRecv
    );
    assert!(
        b.wait_to_hear(1000.0, Duration::from_secs(3)).await.is_some(),
        "B never heard A after the final answer"
    );
    assert!(a.wait_to_hear(2000.0, Duration::from_secs(1)).await.is_some());
    // Nothing is pending: a hold works as after any answer.
    assert!(a.session.hold().await.is_ok());
}
