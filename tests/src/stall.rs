//! Tells a machine hiccup from a bug: a thread that wakes every 5 ms notes each time the
//! process was not run on time. A gap in the audio that coincides with such a stall says
//! nothing about concealment; one without a stall does.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TICK: Duration = Duration::from_millis(5);

pub struct StallWatch {
    stop: Arc<AtomicBool>,
    /// When each late wake-up happened, and how late it was.
    stalls: Arc<Mutex<Vec<(Instant, Duration)>>>,
}

impl StallWatch {
    pub fn start() -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let stalls = Arc::new(Mutex::new(Vec::new()));
        let (s, v) = (stop.clone(), stalls.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                let before = Instant::now();
                std::thread::sleep(TICK);
                let late = before.elapsed().saturating_sub(TICK);
                if late >= Duration::from_millis(20)
                    && let Ok(mut v) = v.lock()
                {
                    v.push((Instant::now(), late));
                }
            }
        });
        Self { stop, stalls }
    }

    /// The longest stall since `from`.
    pub fn longest_since(&self, from: Instant) -> Duration {
        self.stalls
            .lock()
            .map(|v| {
                v.iter()
                    .filter(|(at, _)| *at >= from)
                    .map(|(_, late)| *late)
                    .max()
                    .unwrap_or_default()
            })
            .unwrap_or_default()
    }
}

impl Drop for StallWatch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}
