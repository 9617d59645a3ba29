//! Call statistics: our own counters plus what the stack measures (RTCP-derived
//! loss, jitter and round-trip time).

use super::direction::Direction;
use super::jitter::JitterStats;
use super::loss_adapt::LossAdapter;
use super::pipeline::Shared;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use webrtc::peer_connection::{PeerConnection, RTCStatsReportEntry, StatsSelector};

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct MediaStats {
    pub codec: Option<String>,
    pub direction: Option<Direction>,
    pub rtp_sent: u64,
    pub bytes_sent: u64,
    pub rtp_received: u64,
    pub bytes_received: u64,
    pub dtmf_packets_sent: u64,
    /// Packets the stack refused to send (not connected, or no sender any more).
    pub rtp_write_errors: u64,
    /// RTP of a payload type the far end never negotiated, dropped at our socket.
    pub rtp_unnegotiated_dropped: u64,
    /// Packets the far end never delivered, from sequence numbers (stack's inbound stats).
    pub packets_lost: i64,
    /// Fraction of our packets the far end reports lost (RTCP RR), 0..1.
    pub remote_fraction_lost: f64,
    /// The loss our encoder is told to expect (and so protects against with FEC), percent.
    pub expected_loss_pct: u8,
    /// Interarrival jitter of what we receive, in ms (RFC 3550).
    pub jitter_ms: f64,
    /// Round-trip time from RTCP, in ms, once measured.
    pub rtt_ms: Option<f64>,
    pub frames_played: u64,
    pub frames_concealed: u64,
    pub frames_recovered_fec: u64,
    pub late_packets: u64,
    pub jitter_target_ms: f64,
    /// How long what we play waited in the jitter buffer, measured (arrival → playout).
    pub jitter_hold_ms: Option<f64>,
}

impl MediaStats {
    /// Percentage of expected packets lost on the way to us.
    pub fn loss_pct(&self) -> f64 {
        let expected = self.rtp_received as f64 + self.packets_lost.max(0) as f64;
        if expected <= 0.0 {
            0.0
        } else {
            100.0 * self.packets_lost.max(0) as f64 / expected
        }
    }
}

pub(crate) async fn collect(pc: &dyn PeerConnection, shared: &Shared) -> MediaStats {
    let c = &shared.counters;
    let negotiated = shared.negotiated();
    let mut s = MediaStats {
        codec: negotiated.as_ref().map(|n| n.codec.to_string()),
        direction: negotiated.as_ref().map(|n| n.direction),
        rtp_sent: c.rtp_sent.load(Ordering::Relaxed),
        bytes_sent: c.bytes_sent.load(Ordering::Relaxed),
        rtp_received: c.rtp_received.load(Ordering::Relaxed),
        bytes_received: c.bytes_received.load(Ordering::Relaxed),
        dtmf_packets_sent: c.dtmf_sent.load(Ordering::Relaxed),
        rtp_write_errors: c.write_errors.load(Ordering::Relaxed),
        rtp_unnegotiated_dropped: shared.payload_filter.get().map_or(0, |f| f.dropped()),
        frames_played: c.frames_played.load(Ordering::Relaxed),
        frames_recovered_fec: c.fec_recovered.load(Ordering::Relaxed),
        expected_loss_pct: shared.expected_loss.load(Ordering::Relaxed),
        remote_fraction_lost: shared.remote_reports.latest().1,
        ..Default::default()
    };
    if let Some((j, target, jitter, hold)) = shared.jitter_stats() {
        apply_jitter(&mut s, j, target);
        s.jitter_ms = jitter.as_secs_f64() * 1000.0;
        s.jitter_hold_ms = hold.map(|h| h.as_secs_f64() * 1000.0);
    }
    let report = pc.get_stats(Instant::now(), StatsSelector::None).await;
    for entry in report.iter() {
        match entry {
            RTCStatsReportEntry::InboundRtp(i) => {
                // The stack's jitter figure is not in seconds as documented; ours is.
                s.packets_lost = i.received_rtp_stream_stats.packets_lost;
            }
            RTCStatsReportEntry::RemoteInboundRtp(r)
                if r.round_trip_time_measurements > 0 && r.round_trip_time > 0.0 =>
            {
                s.rtt_ms = Some(r.round_trip_time * 1000.0);
            }
            RTCStatsReportEntry::IceCandidatePair(p)
                if s.rtt_ms.is_none() && p.current_round_trip_time > 0.0 =>
            {
                s.rtt_ms = Some(p.current_round_trip_time * 1000.0);
            }
            _ => {}
        }
    }
    s
}

/// Every second, a new report from the far end of our loss sets what the encoder expects.
pub(crate) async fn adapt_loop(shared: Arc<Shared>) {
    let mut adapter = LossAdapter::default();
    let mut seen = 0;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if shared.closed.load(Ordering::Relaxed) {
            return;
        }
        if !shared.connected.load(Ordering::Relaxed) {
            continue;
        }
        let (count, fraction, _) = shared.remote_reports.latest();
        if count == seen {
            continue;
        }
        seen = count;
        let percent = adapter.observe(fraction, Instant::now());
        let before = shared.expected_loss.swap(percent, Ordering::Relaxed);
        if before != percent {
            tracing::debug!(before, percent, "encoder's expected loss");
        }
    }
}

fn apply_jitter(s: &mut MediaStats, j: JitterStats, target: Duration) {
    s.frames_concealed = j.concealed;
    s.late_packets = j.late;
    s.jitter_target_ms = target.as_secs_f64() * 1000.0;
}
