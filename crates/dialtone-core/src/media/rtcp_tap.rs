//! What the far end reports about the audio we send, read from its RTCP on the way in.
//!
//! webrtc-rs 0.21 updates its `remote-inbound-rtp` stats from Receiver Reports only. A
//! far end that is itself sending (every call that is not on hold, Chromium included)
//! puts its reception report in a Sender Report, so the stack's `fraction_lost` stays 0
//! for the whole call. This interceptor reads the report blocks of both kinds and leaves
//! every packet as it found it (see docs/decisions.md, "stack defects").

use rtc::interceptor::{Interceptor, Packet, StreamInfo, TaggedPacket};
use rtc::rtcp::receiver_report::ReceiverReport;
use rtc::rtcp::reception_report::ReceptionReport;
use rtc::rtcp::sender_report::SenderReport;
use rtc::sansio::Protocol;
use rtc::shared::error::Error;
use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Instant;

/// The latest report about our stream, shared with the session.
#[derive(Debug, Default)]
pub struct RemoteReports {
    /// Reports received so far (a new one is worth acting on).
    count: AtomicU64,
    /// Fraction lost of the last report, in 1/256 (RFC 3550 §6.4.1).
    fraction_lost: AtomicU32,
    /// Cumulative packets lost of the last report.
    total_lost: AtomicU32,
}

impl RemoteReports {
    /// (reports so far, fraction lost 0..1 in the last one, cumulative lost).
    pub fn latest(&self) -> (u64, f64, u32) {
        (
            self.count.load(Ordering::Relaxed),
            f64::from(self.fraction_lost.load(Ordering::Relaxed)) / 256.0,
            self.total_lost.load(Ordering::Relaxed),
        )
    }

    fn record(&self, r: &ReceptionReport) {
        self.fraction_lost
            .store(u32::from(r.fraction_lost), Ordering::Relaxed);
        self.total_lost.store(r.total_lost, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }
}

pub struct RtcpTap {
    reports: Arc<RemoteReports>,
    /// Our sending SSRCs: report blocks about anything else are not about us.
    ours: HashSet<u32>,
    read: VecDeque<TaggedPacket>,
    write: VecDeque<TaggedPacket>,
}

impl RtcpTap {
    pub fn new(reports: Arc<RemoteReports>) -> Self {
        Self {
            reports,
            ours: HashSet::new(),
            read: VecDeque::new(),
            write: VecDeque::new(),
        }
    }

    fn observe(&self, packets: &[Box<dyn rtc::rtcp::Packet>]) {
        for p in packets {
            let any = p.as_any();
            let blocks = if let Some(sr) = any.downcast_ref::<SenderReport>() {
                &sr.reports
            } else if let Some(rr) = any.downcast_ref::<ReceiverReport>() {
                &rr.reports
            } else {
                continue;
            };
            for b in blocks.iter().filter(|b| self.ours.contains(&b.ssrc)) {
                self.reports.record(b);
            }
        }
    }
}

impl Protocol<TaggedPacket, TaggedPacket, ()> for RtcpTap {
    type Rout = TaggedPacket;
    type Wout = TaggedPacket;
    type Eout = ();
    type Error = Error;
    type Time = Instant;

    fn handle_read(&mut self, msg: TaggedPacket) -> Result<(), Self::Error> {
        if let Packet::Rtcp(packets) = &msg.message.packet {
            self.observe(packets);
        }
        self.read.push_back(msg);
        Ok(())
    }

    fn poll_read(&mut self) -> Option<Self::Rout> {
        self.read.pop_front()
    }

    fn handle_write(&mut self, msg: TaggedPacket) -> Result<(), Self::Error> {
        self.write.push_back(msg);
        Ok(())
    }

    fn poll_write(&mut self) -> Option<Self::Wout> {
        self.write.pop_front()
    }

    fn handle_timeout(&mut self, _now: Instant) -> Result<(), Self::Error> {
        Ok(())
    }

    fn poll_timeout(&mut self) -> Option<Self::Time> {
        None
    }
}

impl Interceptor for RtcpTap {
    fn bind_local_stream(&mut self, info: &StreamInfo) {
        self.ours.insert(info.ssrc);
    }
    fn unbind_local_stream(&mut self, info: &StreamInfo) {
        self.ours.remove(&info.ssrc);
    }
    fn bind_remote_stream(&mut self, _info: &StreamInfo) {}
    fn unbind_remote_stream(&mut self, _info: &StreamInfo) {}
}
