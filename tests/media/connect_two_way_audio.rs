//! Two engine peers connect over loopback and each hears the other's tone.

use dialtone_e2e::{Peer, connect};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_gives_two_way_audio_at_the_right_frequencies() {
    let mut a = Peer::new("A", 1000.0).await;
    let mut b = Peer::new("B", 2000.0).await;
    connect(&mut a, &mut b).await;
    assert!(
        b.wait_to_hear(1000.0, Duration::from_secs(3)).await.is_some(),
        "B never heard A's 1 kHz: {:?}",
        b.hearing(Duration::from_millis(200))
    );
    assert!(
        a.wait_to_hear(2000.0, Duration::from_secs(3)).await.is_some(),
        "A never heard B's 2 kHz: {:?}",
        a.hearing(Duration::from_millis(200))
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    let sa = a.session.stats().await;
    assert_eq!(sa.codec.as_deref(), Some("opus/48000"));
    // One second at 20 ms packets is 50 each way.
    assert!(sa.rtp_sent >= 45 && sa.rtp_received >= 45, "{sa:?}");
    assert_eq!(sa.direction, Some(dialtone_core::media::Direction::SendRecv));
}
