//! How much loss the Opus encoder should expect, from what the far end reports in RTCP.
//!
//! In-band FEC costs bits the primary encoding would otherwise get: libopus only adds it
//! when told to expect loss. A fixed 10 % from the first packet made clean calls sound
//! worse than Chrome's (PESQ-WB 0.89×), so, as libwebrtc does, the expectation follows
//! the receiver reports: none on a clean path, quickly up when loss appears, slowly back
//! down once it goes (a burst is often followed by another).

use std::time::{Duration, Instant};

/// Loss rises into the estimate within about a second of reports...
const ATTACK: Duration = Duration::from_secs(1);
/// ...and leaves it over about ten.
const RELEASE: Duration = Duration::from_secs(10);
/// Below this the path is clean: no FEC.
const CLEAN_BELOW: f64 = 0.01;
/// libwebrtc's ceiling too: beyond it FEC cannot keep up and only starves the encoding.
const MAX_PERCENT: u8 = 20;

#[derive(Debug, Clone, Default)]
pub struct LossAdapter {
    smoothed: f64,
    last: Option<Instant>,
}

impl LossAdapter {
    /// Feeds one reading of the fraction the far end lost (0..1, RTCP RR) and returns the
    /// expected loss, in percent, the encoder should use from now on.
    pub fn observe(&mut self, fraction_lost: f64, now: Instant) -> u8 {
        let reading = if fraction_lost.is_finite() {
            fraction_lost.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let elapsed = self
            .last
            .map_or(Duration::from_secs(1), |t| now.saturating_duration_since(t));
        self.last = Some(now);
        let tau = if reading > self.smoothed { ATTACK } else { RELEASE };
        let keep = (-elapsed.as_secs_f64() / tau.as_secs_f64()).exp();
        self.smoothed = keep * self.smoothed + (1.0 - keep) * reading;
        self.percent()
    }

    pub fn percent(&self) -> u8 {
        if self.smoothed < CLEAN_BELOW {
            0
        } else {
            ((self.smoothed * 100.0).ceil() as u8).min(MAX_PERCENT)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(a: &mut LossAdapter, t0: Instant, from_s: u64, to_s: u64, loss: f64) -> u8 {
        let mut p = a.percent();
        for s in from_s..to_s {
            p = a.observe(loss, t0 + Duration::from_secs(s));
        }
        p
    }

    #[test]
    fn a_clean_path_asks_for_no_fec() {
        let t0 = Instant::now();
        let mut a = LossAdapter::default();
        assert_eq!(feed(&mut a, t0, 0, 60, 0.0), 0);
        // A stray lost packet (0.4 % of a 5 s report) stays below the threshold.
        assert_eq!(feed(&mut a, t0, 60, 61, 0.004), 0);
    }

    #[test]
    fn loss_turns_fec_on_within_seconds_and_it_fades_after() {
        let t0 = Instant::now();
        let mut a = LossAdapter::default();
        feed(&mut a, t0, 0, 10, 0.0);
        let p = feed(&mut a, t0, 10, 13, 0.05);
        assert!((4..=6).contains(&p), "after 3 s of 5 % loss: {p}");
        let p = feed(&mut a, t0, 13, 40, 0.05);
        assert_eq!(p, 5);
        // Three seconds clean: still protected.
        assert!(feed(&mut a, t0, 40, 43, 0.0) >= 3);
        // A minute clean: back to none.
        assert_eq!(feed(&mut a, t0, 43, 103, 0.0), 0);
    }

    #[test]
    fn heavy_or_nonsense_readings_are_bounded() {
        let t0 = Instant::now();
        let mut a = LossAdapter::default();
        assert_eq!(feed(&mut a, t0, 0, 20, 0.9), MAX_PERCENT);
        let mut b = LossAdapter::default();
        assert_eq!(b.observe(f64::NAN, t0), 0);
        assert_eq!(b.observe(-3.0, t0 + Duration::from_secs(1)), 0);
    }
}
