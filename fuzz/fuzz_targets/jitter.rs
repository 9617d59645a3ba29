//! The jitter buffer under whatever the far end sends: any sequence numbers, timestamps
//! (on and off the frame grid, wrapping, jumping), payload sizes, markers and arrival times,
//! with playout ticks in between. After every step the buffer's invariants hold
//! (`JitterBuffer::check_invariants`): within its bounds, and nothing kept behind the
//! playout point, which would be held for good.
#![no_main]

use arbitrary::Arbitrary;
use dialtone_wire::jitter::{JitterBuffer, JitterConfig};
use libfuzzer_sys::fuzz_target;
use std::time::{Duration, Instant};

#[derive(Arbitrary, Debug)]
enum Step {
    Push {
        seq: u16,
        ts: u32,
        pt: u8,
        marker: bool,
        len: u16,
        after_us: u16,
    },
    Pop {
        after_us: u16,
    },
    /// A run of ticks, as playout does while nothing arrives (hold, a dead link): up to
    /// 31, past the idle reset (200 ms: ten ticks of 20 ms).
    Ticks {
        count: u8,
    },
}

#[derive(Arbitrary, Debug)]
struct Input {
    opus: bool,
    frame_ms: u8,
    steps: Vec<Step>,
}

fuzz_target!(|input: Input| {
    let clock_rate = if input.opus { 48_000 } else { 8_000 };
    let frame = Duration::from_millis(u64::from(input.frame_ms % 60).max(1));
    let mut now = Instant::now();
    let mut buffer = JitterBuffer::new(JitterConfig::default(), clock_rate, frame, now);
    for step in input.steps {
        match step {
            Step::Push {
                seq,
                ts,
                pt,
                marker,
                len,
                after_us,
            } => {
                now += Duration::from_micros(u64::from(after_us));
                buffer.push(seq, ts, pt, marker, vec![0; usize::from(len % 1600)], now);
            }
            Step::Pop { after_us } => {
                now += Duration::from_micros(u64::from(after_us));
                let _ = buffer.pop(now);
            }
            Step::Ticks { count } => {
                for _ in 0..count % 32 {
                    now += frame;
                    let _ = buffer.pop(now);
                }
            }
        }
        if let Err(broken) = buffer.check_invariants() {
            panic!("{broken}");
        }
    }
});
