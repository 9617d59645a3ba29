//! Stopping our sender without losing the packet that was on its way.
//!
//! `write_rtp` only queues a packet for the stack's driver task; the driver looks the
//! sender up when it gets to it, and a sender whose direction no longer sends is gone by
//! then ("unknown sender id"). A packet queued just before a hold's `set_direction` was
//! therefore dropped after it had taken a sequence number, and the far end saw a loss
//! across every such hold. Closing the gate, waiting for the send loop's current turn and
//! then for the stack to have sent everything we queued puts the last packet on the wire
//! before the sender goes.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, MutexGuard};
use webrtc::peer_connection::{PeerConnection, RTCStatsReportEntry, StatsSelector};

/// Past this, the stack is not sending (ICE lost, DTLS down) and nothing we wait for will
/// change that: the direction changes anyway, as it did before this wait existed.
const DRAIN_LIMIT: Duration = Duration::from_millis(100);

#[derive(Default)]
pub struct SendGate {
    /// Our latest offer (or an answer being made) does not send: stop now, not when the
    /// far end's answer comes.
    paused: AtomicBool,
    /// Held by the send loop from its decision to send until its packet is queued.
    turn: Mutex<()>,
}

impl SendGate {
    pub fn is_paused(&self) -> bool {
        self.paused.load(Ordering::Acquire)
    }

    /// Opening needs no wait: the sender exists before the loop can see the gate open.
    pub fn set_paused(&self, paused: bool) {
        self.paused.store(paused, Ordering::Release);
    }

    /// The send loop's turn: decide, encode and queue under it.
    pub async fn turn(&self) -> MutexGuard<'_, ()> {
        self.turn.lock().await
    }

    /// Closes the gate and returns once every packet the send loop queued (`queued`
    /// counts them) has left through the stack for the stream `ssrc`.
    pub async fn close_and_drain(&self, pc: &dyn PeerConnection, ssrc: u32, queued: impl Fn() -> u64) {
        self.set_paused(true);
        // The loop reads the gate under its turn: once we have had a turn, it has either
        // queued its packet or will see the gate closed.
        drop(self.turn.lock().await);
        let queued = queued();
        let deadline = Instant::now() + DRAIN_LIMIT;
        let mut polls = 0u32;
        loop {
            let sent = sent_by_stack(pc, ssrc).await;
            if sent >= queued {
                return;
            }
            if Instant::now() >= deadline {
                tracing::debug!(
                    queued,
                    sent,
                    "the stack did not send all we queued before the direction change"
                );
                return;
            }
            polls += 1;
            // The driver runs on another worker and usually needs a yield, not a tick.
            if polls < 8 {
                tokio::task::yield_now().await;
            } else {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
    }
}

/// RTP packets the stack has sent on the stream `ssrc` (RTP and telephone events alike).
async fn sent_by_stack(pc: &dyn PeerConnection, ssrc: u32) -> u64 {
    let report = pc.get_stats(Instant::now(), StatsSelector::None).await;
    report
        .iter()
        .find_map(|entry| match entry {
            RTCStatsReportEntry::OutboundRtp(o) if o.sent_rtp_stream_stats.rtp_stream_stats.ssrc == ssrc => {
                Some(o.sent_rtp_stream_stats.packets_sent)
            }
            _ => None,
        })
        .unwrap_or(0)
}
