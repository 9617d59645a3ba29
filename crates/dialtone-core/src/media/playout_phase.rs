//! When within the frame clock the playout tick falls.
//!
//! The playout loop pulls a frame every 20 ms from a timer that started with the call, and
//! packets arrive on the far end's 20 ms clock: the two phases are unrelated, so a packet
//! waited anywhere from 0 to 20 ms for its tick (measured: 10.4 ms in one call, and a
//! different figure in the next). This moves the tick earlier, towards the arrivals, while
//! every packet of the last second would still have been in time with `MARGIN` to spare.
//! Whole frames of delay stay the jitter buffer's business (its target and shedding): a
//! step here is less than a frame. A packet that comes late after all is concealed in
//! place by the buffer, which moves the phase a frame later by itself.
//!
//! Sans-IO: fed each tick's outcome, returns how far to bring the next tick forward.

use std::time::Duration;

/// What the slowest packet of a window keeps between its arrival and its tick.
const MARGIN: Duration = Duration::from_millis(4);
/// Frames played in a row before a decision: a second of 20 ms frames.
const WINDOW: u32 = 50;
/// Steps smaller than this are not worth a discontinuity in the tick.
const MIN_STEP: Duration = Duration::from_millis(1);

#[derive(Debug)]
pub struct PlayoutPhase {
    frame: Duration,
    played: u32,
    least_hold: Option<Duration>,
}

impl PlayoutPhase {
    pub fn new(frame: Duration) -> Self {
        Self {
            frame,
            played: 0,
            least_hold: None,
        }
    }

    /// One tick: `held` is how long the frame it played waited since its packet arrived,
    /// `None` when it played none (concealed, silence). Returns how much earlier the next
    /// tick should come.
    pub fn on_tick(&mut self, held: Option<Duration>) -> Option<Duration> {
        let Some(held) = held else {
            // A gap or a late packet: what the window saw no longer holds.
            self.played = 0;
            self.least_hold = None;
            return None;
        };
        self.least_hold = Some(self.least_hold.map_or(held, |l| l.min(held)));
        self.played += 1;
        if self.played < WINDOW {
            return None;
        }
        let least = self.least_hold.take().unwrap_or_default();
        self.played = 0;
        let step = least.saturating_sub(MARGIN).min(self.frame / 2);
        (step >= MIN_STEP).then_some(step)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: Duration = Duration::from_millis(20);
    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn a_tick_that_waits_for_no_one_comes_earlier_after_a_second_of_frames() {
        let mut p = PlayoutPhase::new(F);
        let mut steps = Vec::new();
        for i in 0..WINDOW {
            // Every packet waited 9 to 13 ms for its tick.
            steps.push(p.on_tick(Some(MS * (9 + i % 5))));
        }
        assert!(steps[..steps.len() - 1].iter().all(Option::is_none));
        assert_eq!(
            steps.last().copied().flatten(),
            Some(MS * 5),
            "9 ms less the 4 ms margin"
        );
    }

    #[test]
    fn one_gap_in_the_window_starts_it_over() {
        let mut p = PlayoutPhase::new(F);
        for _ in 0..WINDOW - 1 {
            assert_eq!(p.on_tick(Some(MS * 15)), None);
        }
        assert_eq!(p.on_tick(None), None);
        for _ in 0..WINDOW - 1 {
            assert_eq!(p.on_tick(Some(MS * 15)), None);
        }
        assert_eq!(p.on_tick(Some(MS * 15)), Some(MS * 10));
    }

    #[test]
    fn steps_stay_under_a_frame_and_small_slack_is_left_alone() {
        let mut p = PlayoutPhase::new(F);
        let last = (0..WINDOW).map(|_| p.on_tick(Some(MS * 45))).last().flatten();
        assert_eq!(last, Some(F / 2), "a deep buffer is the jitter buffer's to shed");
        let last = (0..WINDOW).map(|_| p.on_tick(Some(MS * 9 / 2))).last().flatten();
        assert_eq!(last, None, "half a millisecond above the margin");
    }
}
