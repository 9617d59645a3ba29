//! The audio round trip on an echo: a click a second out, each timed until it comes back.

use dialtone_core::media::analysis::rms_dbfs;
use dialtone_core::media::io::{AudioSink, AudioSource};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A click every this long, on the echo.
const CLICK_EVERY: Duration = Duration::from_millis(1000);
const CLICK_LENGTH: Duration = Duration::from_millis(60);
const CLICK_HZ: f64 = 1000.0;
/// Louder than this is a click coming back; quieter is silence.
const HEARD_DBFS: f64 = -35.0;

/// Click times, shared by the source that sends them and the sink that hears them back.
#[derive(Clone, Default)]
pub struct Clicks {
    sent: Arc<Mutex<Vec<Instant>>>,
    heard: Arc<Mutex<Vec<Instant>>>,
}

impl Clicks {
    /// The line's audio: clicks out, our ears in.
    pub fn audio(&self) -> Arc<dyn dialtone_core::audio::AudioBackend> {
        let clicks = self.clone();
        dialtone_core::audio::FnBackend::metered(move || {
            (
                Box::new(ClickSource {
                    clicks: clicks.clone(),
                    position: Duration::ZERO,
                    phase: 0.0,
                }),
                Box::new(ClickEars {
                    clicks: clicks.clone(),
                    quiet: Duration::ZERO,
                }),
            )
        })
    }

    /// The median of each click heard back after the click sent before it (within one
    /// click period); None when none came back.
    pub fn round_trip(&self) -> Option<Duration> {
        let sent = self.sent.lock().map(|s| s.clone()).unwrap_or_default();
        let heard = self.heard.lock().map(|h| h.clone()).unwrap_or_default();
        let mut trips: Vec<Duration> = heard
            .iter()
            .filter_map(|h| {
                let s = sent.iter().rev().find(|s| *s <= h)?;
                let d = h.saturating_duration_since(*s);
                (d < CLICK_EVERY).then_some(d)
            })
            .collect();
        trips.sort();
        trips.get(trips.len() / 2).copied()
    }
}

struct ClickSource {
    clicks: Clicks,
    /// Where in the click period the next sample is.
    position: Duration,
    phase: f64,
}

impl AudioSource for ClickSource {
    fn read(&mut self, clock_rate: u32, out: &mut [i16]) {
        if clock_rate == 0 {
            return;
        }
        let frame = Duration::from_secs_f64(out.len() as f64 / f64::from(clock_rate));
        if self.position.is_zero()
            && let Ok(mut s) = self.clicks.sent.lock()
        {
            s.push(Instant::now());
        }
        let on = self.position < CLICK_LENGTH;
        let step = std::f64::consts::TAU * CLICK_HZ / f64::from(clock_rate);
        for s in out.iter_mut() {
            *s = if on {
                (self.phase.sin() * 0.5 * f64::from(i16::MAX)) as i16
            } else {
                0
            };
            self.phase = (self.phase + step) % std::f64::consts::TAU;
        }
        self.position += frame;
        if self.position >= CLICK_EVERY {
            self.position = Duration::ZERO;
        }
    }
}

struct ClickEars {
    clicks: Clicks,
    /// How long it has been quiet: a click is sound after a quiet spell.
    quiet: Duration,
}

impl AudioSink for ClickEars {
    fn write(&mut self, clock_rate: u32, pcm: &[i16]) {
        if clock_rate == 0 || pcm.is_empty() {
            return;
        }
        let frame = Duration::from_secs_f64(pcm.len() as f64 / f64::from(clock_rate));
        if rms_dbfs(pcm) > HEARD_DBFS {
            if self.quiet >= CLICK_EVERY / 2
                && let Ok(mut h) = self.clicks.heard.lock()
            {
                h.push(Instant::now());
            }
            self.quiet = Duration::ZERO;
        } else {
            self.quiet += frame;
        }
    }
}
