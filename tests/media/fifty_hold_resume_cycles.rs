//! Fifty hold/resume cycles in one call; two-way audio comes back every time, and no
//! packet is written into a sender the hold has already taken away (the stack logged an
//! error for each, and they never left).

use dialtone_core::media::Direction;
use dialtone_e2e::{Peer, connect, hold, resume, wait_silence};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_hold_resume_cycles_restore_two_way_audio_every_time() {
    let mut a = Peer::new("A", 1000.0).await;
    let mut b = Peer::new("B", 2000.0).await;
    connect(&mut a, &mut b).await;
    assert!(b.wait_to_hear(1000.0, Duration::from_secs(3)).await.is_some());
    let mut slowest = Duration::ZERO;
    for cycle in 1..=50 {
        hold(&a, &b).await;
        assert_eq!(a.session.direction(), Some(Direction::RecvOnly), "cycle {cycle}");
        // B must go quiet, so hearing A again below proves the resume, not old audio.
        assert!(
            wait_silence(&b, Duration::from_secs(2)).await.is_some(),
            "cycle {cycle}: B still hears A on hold"
        );
        let heard_b_before = a.rtp_received().await;
        resume(&a, &b).await;
        let t = b.wait_to_hear(1000.0, Duration::from_secs(1)).await;
        let t = t.unwrap_or_else(|| panic!("cycle {cycle}: B did not hear A within 1 s of resume"));
        slowest = slowest.max(t);
        assert!(
            a.wait_to_hear(2000.0, Duration::from_secs(1)).await.is_some(),
            "cycle {cycle}: A lost B"
        );
        assert!(
            a.rtp_received().await > heard_b_before,
            "cycle {cycle}: B's RTP stopped reaching A"
        );
    }
    for p in [&a, &b] {
        let s = p.session.stats().await;
        assert_eq!(s.rtp_write_errors, 0, "{}: {s:?}", p.name);
    }
    eprintln!("slowest audio return after resume: {slowest:?}");
}
