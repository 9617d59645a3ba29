//! Whether audio really arrives, so a call without it is never reported as fine
//! (sans-IO: the driver feeds it the packet counter a few times a second).
//!
//! A call can be `Connected` in signaling while no packet flows: a DTLS handshake that
//! never completed, a path that died. While the far end should be sending (our direction
//! receives, and it has not put us on hold), no packet for [`MediaWatchConfig::no_media`]
//! raises `no_media`; none for [`MediaWatchConfig::restart`] asks for an ICE restart (again
//! every [`RESTART_AGAIN`] while it lasts); packets again clear it; none for
//! [`MediaWatchConfig::timeout`] ends the call with `MediaTimeout`.

use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaWatchConfig {
    pub no_media: Duration,
    pub restart: Duration,
    pub timeout: Duration,
}

/// A restart that did not bring audio back is tried again this much later: a path can
/// come back at any time, and ICE that failed never recovers without one.
pub const RESTART_AGAIN: Duration = Duration::from_secs(10);

impl Default for MediaWatchConfig {
    fn default() -> Self {
        Self {
            no_media: Duration::from_secs(2),
            restart: Duration::from_secs(5),
            timeout: Duration::from_secs(30),
        }
    }
}

/// What changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaVerdict {
    /// Nothing has arrived for `silent` although the far end should be sending.
    NoMedia { silent: Duration },
    /// Packets arrive again after `silent` without.
    Restored { silent: Duration },
    /// Still nothing: time for an ICE restart.
    Stalled { silent: Duration },
    /// Nothing for the whole timeout: the call cannot go on.
    Timeout { silent: Duration },
}

#[derive(Debug)]
pub struct MediaWatch {
    config: MediaWatchConfig,
    last_count: u64,
    /// Since when nothing has arrived while expected.
    silent_since: Option<Instant>,
    warned: bool,
    /// The silence after which the next restart is due.
    next_restart: Duration,
    timed_out: bool,
}

impl MediaWatch {
    pub fn new(config: MediaWatchConfig) -> Self {
        Self {
            config,
            last_count: 0,
            silent_since: None,
            warned: false,
            next_restart: config.restart,
            timed_out: false,
        }
    }

    /// `received`: packets received so far in the call; `expected`: whether the far end
    /// should be sending now.
    pub fn observe(&mut self, now: Instant, received: u64, expected: bool) -> Option<MediaVerdict> {
        let arrived = received > self.last_count;
        self.last_count = received;
        if arrived || !expected {
            let since = self.silent_since.take();
            self.next_restart = self.config.restart;
            if self.warned {
                self.warned = false;
                return Some(MediaVerdict::Restored {
                    silent: since.map_or(Duration::ZERO, |s| now.duration_since(s)),
                });
            }
            return None;
        }
        let since = *self.silent_since.get_or_insert(now);
        let silent = now.duration_since(since);
        if silent >= self.config.timeout && !self.timed_out {
            self.timed_out = true;
            return Some(MediaVerdict::Timeout { silent });
        }
        if silent >= self.config.no_media && !self.warned {
            self.warned = true;
            return Some(MediaVerdict::NoMedia { silent });
        }
        if silent >= self.next_restart {
            self.next_restart = silent + RESTART_AGAIN;
            return Some(MediaVerdict::Stalled { silent });
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn silence_warns_after_two_seconds_and_packets_clear_it() {
        let t0 = Instant::now();
        let mut w = MediaWatch::new(MediaWatchConfig::default());
        assert_eq!(w.observe(t0, 0, true), None);
        assert_eq!(w.observe(t0 + 1_999 * MS, 0, true), None);
        assert_eq!(
            w.observe(t0 + 2_000 * MS, 0, true),
            Some(MediaVerdict::NoMedia { silent: 2_000 * MS })
        );
        assert_eq!(w.observe(t0 + 2_500 * MS, 0, true), None);
        assert_eq!(
            w.observe(t0 + 3_000 * MS, 5, true),
            Some(MediaVerdict::Restored { silent: 3_000 * MS })
        );
    }

    #[test]
    fn no_packets_for_the_whole_timeout_ends_once() {
        let t0 = Instant::now();
        let mut w = MediaWatch::new(MediaWatchConfig {
            no_media: 2_000 * MS,
            restart: 10_000 * MS,
            timeout: 5_000 * MS,
        });
        w.observe(t0, 10, true);
        w.observe(t0 + 100 * MS, 10, true);
        assert!(matches!(
            w.observe(t0 + 2_200 * MS, 10, true),
            Some(MediaVerdict::NoMedia { .. })
        ));
        assert_eq!(
            w.observe(t0 + 5_100 * MS, 10, true),
            Some(MediaVerdict::Timeout { silent: 5_000 * MS })
        );
        assert_eq!(w.observe(t0 + 9_000 * MS, 10, true), None);
    }

    #[test]
    fn silence_the_far_end_announced_is_not_a_fault() {
        let t0 = Instant::now();
        let mut w = MediaWatch::new(MediaWatchConfig::default());
        // Held by the far end (it sends nothing): the clock does not run.
        for s in 0..40 {
            assert_eq!(w.observe(t0 + Duration::from_secs(s), 0, false), None);
        }
        assert_eq!(w.observe(t0 + Duration::from_secs(41), 0, true), None);
        assert!(matches!(
            w.observe(t0 + Duration::from_secs(43), 0, true),
            Some(MediaVerdict::NoMedia { .. })
        ));
    }

    #[test]
    fn a_long_silence_asks_for_an_ice_restart_and_again_while_it_lasts() {
        let t0 = Instant::now();
        let mut w = MediaWatch::new(MediaWatchConfig::default());
        let mut verdicts = Vec::new();
        for ms in (0..=21_000).step_by(250) {
            if let Some(v) = w.observe(t0 + ms * MS, 7, true) {
                verdicts.push(v);
            }
        }
        assert_eq!(
            verdicts,
            [
                MediaVerdict::NoMedia { silent: 2_000 * MS },
                MediaVerdict::Stalled { silent: 5_000 * MS },
                MediaVerdict::Stalled { silent: 15_000 * MS },
            ]
        );
        // Audio back: the next silence starts counting from scratch.
        assert!(matches!(
            w.observe(t0 + 21_250 * MS, 8, true),
            Some(MediaVerdict::Restored { .. })
        ));
        let mut later = Vec::new();
        for ms in (21_500..=27_000).step_by(250) {
            if let Some(v) = w.observe(t0 + ms * MS, 8, true) {
                later.push(v);
            }
        }
        assert!(matches!(
            later[..],
            [MediaVerdict::NoMedia { .. }, MediaVerdict::Stalled { .. }]
        ));
    }
}
