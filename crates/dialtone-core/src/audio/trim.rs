//! Keeps a device queue as short as the audio's own timing allows.
//!
//! Between a device and our 20 ms frames sits a ring. Whatever stands in it after start-up
//! (a stream that began before the call, a burst after a stall, the two clocks drifting)
//! stayed there for the whole call as delay: measured, the microphone's ring alone held
//! anywhere from 5 to 40 ms from one call to the next. This watches the least the ring
//! held beyond what each turn took over half a second and drops what stands above a small
//! margin. The margin grows when the queue runs dry, so a jittery scheduler earns
//! headroom instead of crackling.
//!
//! Sans-IO: counts in samples, no clock.

/// Half a second of turns between two decisions.
const WINDOW_MS: usize = 500;
/// Headroom added each time the queue runs dry.
const STEP_MS: usize = 2;

#[derive(Debug)]
pub struct Trim {
    window: usize,
    step: usize,
    margin: usize,
    max_margin: usize,
    seen: usize,
    low: Option<usize>,
}

impl Trim {
    pub fn new(rate: u32, margin_ms: usize, max_margin_ms: usize) -> Self {
        let per_ms = rate as usize / 1000;
        Self {
            window: WINDOW_MS * per_ms,
            step: STEP_MS * per_ms,
            margin: margin_ms * per_ms,
            max_margin: max_margin_ms.max(margin_ms) * per_ms,
            seen: 0,
            low: None,
        }
    }

    /// One turn took `taken` samples and left `slack` in the queue. Returns how many of
    /// the oldest samples to drop now.
    pub fn observe(&mut self, slack: usize, taken: usize) -> usize {
        self.low = Some(self.low.map_or(slack, |l| l.min(slack)));
        self.seen += taken;
        if self.seen < self.window {
            return 0;
        }
        let low = self.low.take().unwrap_or(0);
        self.seen = 0;
        low.saturating_sub(self.margin)
    }

    /// The queue could not give a whole turn: keep more from now on, and start a new window
    /// (what stood before the gap says nothing about what stands after it).
    pub fn ran_dry(&mut self) {
        self.margin = (self.margin + self.step).min(self.max_margin);
        self.seen = 0;
        self.low = None;
    }

    #[cfg(test)]
    fn margin(&self) -> usize {
        self.margin
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: u32 = 48_000;

    #[test]
    fn a_standing_queue_is_cut_to_the_margin_after_half_a_second() {
        let mut t = Trim::new(RATE, 2, 10);
        let turn = 960; // 20 ms
        let mut dropped = 0;
        for _ in 0..24 {
            dropped += t.observe(1920, turn); // 40 ms standing
        }
        assert_eq!(dropped, 0, "nothing before the window is full");
        dropped += t.observe(1920, turn);
        assert_eq!(dropped, 1920 - 96, "down to 2 ms");
    }

    #[test]
    fn the_least_slack_of_the_window_decides_so_bursts_are_not_cut() {
        let mut t = Trim::new(RATE, 2, 10);
        let mut dropped = 0;
        // 20 ms bursts into a queue drained 5 ms at a time: slack swings 15 → 0 ms.
        for i in 0..100 {
            dropped += t.observe((3 - i % 4) * 240, 240);
        }
        assert_eq!(dropped, 0);
    }

    #[test]
    fn running_dry_buys_headroom_up_to_the_limit() {
        let mut t = Trim::new(RATE, 2, 5);
        t.ran_dry();
        assert_eq!(t.margin(), 4 * 48);
        t.ran_dry();
        t.ran_dry();
        assert_eq!(t.margin(), 5 * 48);
        let mut dropped = 0;
        for _ in 0..25 {
            dropped += t.observe(960, 960);
        }
        assert_eq!(dropped, 960 - 240);
    }
}
