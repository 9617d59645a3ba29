//! RTP of a payload type we never agreed to stops at our socket.
//!
//! webrtc-rs 0.21 logs an ERROR for every such packet ("Failed to get track_remote … for
//! RtpPacket": about 90 lines a second from a far end that renumbered its codec) and
//! drops it. We drop it before the stack sees it, count it, and say so once.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct PayloadFilter {
    /// Set once a negotiation has said what the far end may send.
    active: AtomicBool,
    /// Payload types 0-63 and 64-127, one bit each.
    low: AtomicU64,
    high: AtomicU64,
    dropped: AtomicU64,
    warned: AtomicBool,
}

impl PayloadFilter {
    /// From now on only `types` pass (a new negotiation replaces the set).
    pub fn allow(&self, types: impl IntoIterator<Item = u8>) {
        let (mut low, mut high) = (0u64, 0u64);
        for pt in types {
            match pt {
                0..=63 => low |= 1 << pt,
                64..=127 => high |= 1 << (pt - 64),
                _ => {}
            }
        }
        self.low.store(low, Ordering::Relaxed);
        self.high.store(high, Ordering::Relaxed);
        self.active.store(true, Ordering::Relaxed);
    }

    pub fn active(&self) -> bool {
        self.active.load(Ordering::Relaxed)
    }

    /// Whether an RTP datagram may go on to the stack (`false` is counted as dropped).
    pub fn admits(&self, rtp: &[u8]) -> bool {
        if !self.active() {
            return true;
        }
        let Some(&b) = rtp.get(1) else { return true };
        let pt = b & 0x7f;
        let allowed = if pt < 64 {
            self.low.load(Ordering::Relaxed) & (1 << pt) != 0
        } else {
            self.high.load(Ordering::Relaxed) & (1 << (pt - 64)) != 0
        };
        if !allowed {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            if !self.warned.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    payload_type = pt,
                    "the far end sends RTP of a payload type it did not negotiate: dropped"
                );
            }
        }
        allowed
    }

    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rtp(pt: u8) -> [u8; 12] {
        [0x80, pt, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]
    }

    #[test]
    fn only_negotiated_types_pass_once_there_is_a_negotiation() {
        let f = PayloadFilter::default();
        assert!(f.admits(&rtp(96)), "nothing negotiated yet: everything passes");
        f.allow([111, 0, 110]);
        assert!(f.admits(&rtp(111)));
        assert!(f.admits(&rtp(0)));
        assert!(
            f.admits(&rtp(110 | 0x80)),
            "the marker bit is not part of the type"
        );
        assert!(!f.admits(&rtp(96)));
        assert!(!f.admits(&rtp(8)));
        assert_eq!(f.dropped(), 2);
        f.allow([8]);
        assert!(f.admits(&rtp(8)));
        assert!(!f.admits(&rtp(111)));
    }
}
