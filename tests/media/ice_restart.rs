//! An ICE restart mid-call: new credentials, and audio carries on both ways.

use dialtone_e2e::{Peer, connect, ice_ufrag, rtp_received_over};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ice_restart_keeps_audio_flowing() {
    let mut a = Peer::new("A", 1000.0).await;
    let mut b = Peer::new("B", 2000.0).await;
    connect(&mut a, &mut b).await;
    assert!(b.wait_to_hear(1000.0, Duration::from_secs(3)).await.is_some());
    let before = ice_ufrag(&a.session.local_description().await.expect("local")).expect("ufrag");

    let offer = a.session.restart_ice().await.expect("restart offer");
    let after = ice_ufrag(&offer).expect("ufrag");
    assert_ne!(before, after, "an ICE restart must change the credentials");
    assert!(
        offer.contains("a=candidate"),
        "vanilla ICE: the offer carries its candidates"
    );
    let answer = b.session.accept_offer(&offer).await.expect("answer");
    a.session.accept_answer(&answer).await.expect("apply");

    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        rtp_received_over(&b, Duration::from_secs(1)).await >= 40,
        "A→B stalled after the restart"
    );
    assert!(
        rtp_received_over(&a, Duration::from_secs(1)).await >= 40,
        "B→A stalled after the restart"
    );
    assert!(b.wait_to_hear(1000.0, Duration::from_secs(1)).await.is_some());
    assert!(a.wait_to_hear(2000.0, Duration::from_secs(1)).await.is_some());
}
