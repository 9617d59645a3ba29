//! Our outgoing RTP stream: one SSRC, one sequence space for audio and telephone
//! events, and timestamps derived from the frame clock so they stay true across gaps.

use bytes::Bytes;
use rtc::rtp;

#[derive(Debug)]
pub struct RtpStream {
    ssrc: u32,
    seq: u16,
    ts_base: u32,
    /// Set after a gap (hold, DTMF) so the next audio packet carries the marker bit.
    gap: bool,
}

impl RtpStream {
    pub fn new(ssrc: u32) -> Self {
        Self {
            ssrc,
            seq: rand::random(),
            ts_base: rand::random(),
            gap: true,
        }
    }

    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// The RTP timestamp of frame `frame` (frames counted since the stream began,
    /// including frames that were never sent).
    pub fn timestamp(&self, frame: u64, samples_per_frame: u32) -> u32 {
        self.ts_base
            .wrapping_add((frame.wrapping_mul(u64::from(samples_per_frame))) as u32)
    }

    /// Notes that a frame was not sent, so the next audio packet starts a talk spurt.
    pub fn mark_gap(&mut self) {
        self.gap = true;
    }

    /// An audio packet for frame `frame`.
    pub fn audio(&mut self, pt: u8, frame: u64, samples_per_frame: u32, payload: Bytes) -> rtp::Packet {
        let marker = std::mem::take(&mut self.gap);
        let ts = self.timestamp(frame, samples_per_frame);
        self.packet(pt, marker, ts, payload)
    }

    /// A telephone-event packet; all packets of one event share the start timestamp.
    pub fn event(&mut self, pt: u8, marker: bool, ts: u32, payload: Bytes) -> rtp::Packet {
        self.gap = true;
        self.packet(pt, marker, ts, payload)
    }

    fn packet(&mut self, pt: u8, marker: bool, timestamp: u32, payload: Bytes) -> rtp::Packet {
        let sequence_number = self.seq;
        self.seq = self.seq.wrapping_add(1);
        rtp::Packet {
            header: rtp::header::Header {
                version: 2,
                marker,
                payload_type: pt,
                sequence_number,
                timestamp,
                ssrc: self.ssrc,
                ..Default::default()
            },
            payload,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_is_shared_and_timestamps_follow_the_frame_clock_across_gaps() {
        let mut s = RtpStream::new(42);
        let a = s.audio(111, 0, 960, Bytes::from_static(b"a"));
        assert!(a.header.marker, "first packet starts a talk spurt");
        let b = s.audio(111, 1, 960, Bytes::from_static(b"b"));
        assert!(!b.header.marker);
        // Frames 2..=51 not sent (held for one second).
        s.mark_gap();
        let c = s.audio(111, 52, 960, Bytes::from_static(b"c"));
        assert!(c.header.marker);
        assert_eq!(c.header.timestamp.wrapping_sub(a.header.timestamp), 52 * 960);
        let e = s.event(101, true, s.timestamp(53, 960), Bytes::from_static(&[1, 0, 0, 0]));
        assert_eq!(b.header.sequence_number, a.header.sequence_number.wrapping_add(1));
        assert_eq!(c.header.sequence_number, b.header.sequence_number.wrapping_add(1));
        assert_eq!(e.header.sequence_number, c.header.sequence_number.wrapping_add(1));
        assert!(
            [a.header.ssrc, b.header.ssrc, c.header.ssrc, e.header.ssrc]
                .iter()
                .all(|&x| x == 42)
        );
    }
}
