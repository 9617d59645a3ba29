//! RFC 4733 telephone events: the payload format, a sender that paces one digit into
//! packets, and a receiver that turns packets back into digits.

use std::collections::VecDeque;

/// Volume sent with every event, in -dBm0 (RFC 4733 §2.3.2; 10 is a common choice).
const VOLUME: u8 = 10;
/// End packets are sent three times (RFC 4733 §2.5.1.4).
const END_REPEATS: u8 = 3;

/// One telephone-event payload (RFC 4733 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventPayload {
    pub event: u8,
    pub end: bool,
    pub volume: u8,
    /// In timestamp units of the event's clock.
    pub duration: u16,
}

impl EventPayload {
    pub fn to_bytes(self) -> [u8; 4] {
        let d = self.duration.to_be_bytes();
        [
            self.event,
            (u8::from(self.end) << 7) | (self.volume & 0x3F),
            d[0],
            d[1],
        ]
    }

    pub fn parse(b: &[u8]) -> Option<Self> {
        if b.len() < 4 {
            return None;
        }
        Some(Self {
            event: b[0],
            end: b[1] & 0x80 != 0,
            volume: b[1] & 0x3F,
            duration: u16::from_be_bytes([b[2], b[3]]),
        })
    }
}

pub use dialtone_call::dtmf::{digit_to_event, event_to_digit};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DtmfError {
    #[error("'{0}' is not a DTMF digit: use 0-9, *, # or A-D")]
    InvalidDigit(char),
    #[error("the peer did not negotiate telephone-event, so DTMF cannot be sent")]
    NotNegotiated,
    #[error("the call is not sending audio (on hold?), so DTMF cannot be sent now")]
    NotSending,
}

impl From<dialtone_call::dtmf::InvalidDigit> for DtmfError {
    fn from(e: dialtone_call::dtmf::InvalidDigit) -> Self {
        DtmfError::InvalidDigit(e.0)
    }
}

/// Checks a digit string before anything is queued.
pub fn validate_digits(digits: &str) -> Result<Vec<u8>, DtmfError> {
    Ok(dialtone_call::dtmf::validate_digits(digits)?)
}

/// One RTP packet's worth of event, decided by [`DtmfSender::next_packet`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventPacket {
    pub payload: EventPayload,
    /// Marker bit: set on the first packet of an event.
    pub marker: bool,
    /// Frame index (in frames since the start of the stream) at which the event began;
    /// every packet of one event carries that timestamp.
    pub start_frame: u64,
}

#[derive(Debug)]
struct Active {
    event: u8,
    start_frame: u64,
    frames_sent: u32,
    end_sent: u8,
}

/// Paces queued digits into RFC 4733 packets, one call per media frame.
#[derive(Debug)]
pub struct DtmfSender {
    queue: VecDeque<u8>,
    active: Option<Active>,
    /// Frames per digit (tone duration).
    tone_frames: u32,
    /// Silent frames between digits.
    gap_frames: u32,
    gap_left: u32,
}

impl DtmfSender {
    /// `tone_ms` and `gap_ms` are rounded to whole `frame_ms` frames.
    pub fn new(tone_ms: u32, gap_ms: u32, frame_ms: u32) -> Self {
        Self {
            queue: VecDeque::new(),
            active: None,
            tone_frames: (tone_ms / frame_ms).max(2),
            gap_frames: gap_ms / frame_ms,
            gap_left: 0,
        }
    }

    pub fn enqueue(&mut self, events: &[u8]) {
        self.queue.extend(events);
    }

    /// True while an event is being sent: audio packets are suppressed then.
    pub fn is_busy(&self) -> bool {
        self.active.is_some()
    }

    pub fn pending(&self) -> usize {
        self.queue.len() + usize::from(self.active.is_some())
    }

    pub fn clear(&mut self) {
        self.queue.clear();
        self.active = None;
        self.gap_left = 0;
    }

    /// Called once per frame with the current frame index; `samples_per_frame` is the
    /// event clock's samples in one frame. Returns the packet to send this frame, if any.
    pub fn next_packet(&mut self, frame: u64, samples_per_frame: u32) -> Option<EventPacket> {
        if self.active.is_none() {
            if self.gap_left > 0 {
                self.gap_left -= 1;
                return None;
            }
            let event = self.queue.pop_front()?;
            self.active = Some(Active {
                event,
                start_frame: frame,
                frames_sent: 0,
                end_sent: 0,
            });
        }
        let a = self.active.as_mut()?;
        let first = a.frames_sent == 0;
        if a.frames_sent < self.tone_frames {
            a.frames_sent += 1;
        }
        let ending = a.frames_sent >= self.tone_frames;
        let duration = (a.frames_sent * samples_per_frame).min(u32::from(u16::MAX)) as u16;
        let pkt = EventPacket {
            payload: EventPayload {
                event: a.event,
                end: ending,
                volume: VOLUME,
                duration,
            },
            marker: first,
            start_frame: a.start_frame,
        };
        if ending {
            a.end_sent += 1;
            if a.end_sent >= END_REPEATS {
                self.active = None;
                self.gap_left = self.gap_frames;
            }
        }
        Some(pkt)
    }
}

/// A digit decoded from received telephone-event packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceivedDigit {
    pub digit: char,
    /// Duration in milliseconds, when known from an end packet.
    pub duration_ms: Option<u32>,
}

/// Turns RFC 4733 packets back into digits, once per event despite retransmitted
/// and repeated end packets.
#[derive(Debug, Default)]
pub struct DtmfReceiver {
    /// RTP timestamp of the last event reported.
    last_reported_ts: Option<u32>,
}

impl DtmfReceiver {
    /// Reports a digit on the first packet seen of a new event (its timestamp differs
    /// from the last one), so a lost start packet still yields the digit.
    pub fn on_packet(&mut self, timestamp: u32, payload: &[u8], clock_rate: u32) -> Option<ReceivedDigit> {
        let p = EventPayload::parse(payload)?;
        let digit = event_to_digit(p.event)?;
        if self.last_reported_ts == Some(timestamp) {
            return None;
        }
        self.last_reported_ts = Some(timestamp);
        let duration_ms = p.end.then(|| u32::from(p.duration) * 1000 / clock_rate.max(1));
        Some(ReceivedDigit { digit, duration_ms })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_keypad_symbol_maps_both_ways() {
        for d in "0123456789*#ABCD".chars() {
            let e = digit_to_event(d).expect("digit");
            assert_eq!(event_to_digit(e), Some(d));
        }
        assert_eq!(digit_to_event('a'), Some(12));
        assert_eq!(digit_to_event('x'), None);
        assert_eq!(validate_digits("12x"), Err(DtmfError::InvalidDigit('x')));
    }

    #[test]
    fn payload_round_trips() {
        let p = EventPayload {
            event: 11,
            end: true,
            volume: 10,
            duration: 1600,
        };
        assert_eq!(EventPayload::parse(&p.to_bytes()), Some(p));
        assert_eq!(EventPayload::parse(&[1, 2]), None);
    }

    #[test]
    fn one_digit_is_start_with_marker_growing_duration_and_three_ends() {
        let mut s = DtmfSender::new(100, 60, 20);
        s.enqueue(&[5]);
        let pkts: Vec<_> = (0..20).filter_map(|f| s.next_packet(f, 960)).collect();
        assert_eq!(
            pkts.len(),
            5 + 2,
            "5 tone frames (last is the first end) + 2 more ends"
        );
        assert!(pkts[0].marker);
        assert!(pkts[1..].iter().all(|p| !p.marker));
        assert!(pkts.iter().all(|p| p.start_frame == 0 && p.payload.event == 5));
        let durations: Vec<u16> = pkts.iter().map(|p| p.payload.duration).collect();
        assert_eq!(durations, [960, 1920, 2880, 3840, 4800, 4800, 4800]);
        assert_eq!(pkts.iter().filter(|p| p.payload.end).count(), 3);
        assert!(!s.is_busy());
    }

    #[test]
    fn digits_are_separated_by_the_gap() {
        let mut s = DtmfSender::new(40, 40, 20);
        s.enqueue(&[1, 2]);
        let frames: Vec<Option<u8>> = (0..12)
            .map(|f| s.next_packet(f, 160).map(|p| p.payload.event))
            .collect();
        // 2 tone frames (2nd is an end) + 2 repeats, 2 gap frames, then the second digit.
        assert_eq!(&frames[..4], &[Some(1); 4]);
        assert_eq!(&frames[4..6], &[None, None]);
        assert_eq!(frames[6], Some(2));
    }

    #[test]
    fn receiver_reports_each_event_once() {
        let mut r = DtmfReceiver::default();
        let start = EventPayload {
            event: 10,
            end: false,
            volume: 10,
            duration: 160,
        }
        .to_bytes();
        let end = EventPayload {
            event: 10,
            end: true,
            volume: 10,
            duration: 800,
        }
        .to_bytes();
        assert_eq!(r.on_packet(1000, &start, 8000).map(|d| d.digit), Some('*'));
        assert_eq!(r.on_packet(1000, &end, 8000), None);
        assert_eq!(r.on_packet(1000, &end, 8000), None);
        // Next event with only its end packets surviving.
        let d = r.on_packet(5000, &end, 8000).expect("digit");
        assert_eq!(
            d,
            ReceivedDigit {
                digit: '*',
                duration_ms: Some(100)
            }
        );
    }
}
