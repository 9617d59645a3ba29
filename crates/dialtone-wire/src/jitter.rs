//! An adaptive jitter buffer keyed on RTP timestamps. Sans-IO: the caller passes the
//! arrival time with each packet and pulls one frame per playout tick.
//!
//! Target delay follows the spread of recent transit times (arrival − media time), so it
//! grows with network jitter and shrinks again when the network calms down; excess depth
//! is shed one frame at a time.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
pub struct JitterConfig {
    /// Delay used until enough packets have been seen to measure the jitter.
    pub initial_delay: Duration,
    pub min_delay: Duration,
    pub max_delay: Duration,
    /// Silence on the wire this long means the sender stopped (hold, mute with DTX): the
    /// buffer stops concealing and waits for a new stream.
    pub idle_reset: Duration,
}

impl Default for JitterConfig {
    fn default() -> Self {
        Self {
            // One frame: playout starts with the first packet on a clean link, and the
            // delay grows (a frame concealed in place) when a packet comes late.
            initial_delay: Duration::from_millis(20),
            min_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(300),
            idle_reset: Duration::from_millis(200),
        }
    }
}

/// What the playout tick should do for the next frame.
#[derive(Debug, PartialEq, Eq)]
pub enum Playout {
    /// Decode this payload (RTP payload type and bytes).
    Frame { pt: u8, payload: Vec<u8> },
    /// The frame was lost; the next packet may carry FEC for it.
    Recover { pt: u8, next_payload: Vec<u8> },
    /// The frame was lost; invent something (PLC).
    Conceal,
    /// Nothing is playing: output silence.
    Silence,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct JitterStats {
    pub packets: u64,
    pub duplicates: u64,
    pub late: u64,
    pub played: u64,
    pub concealed: u64,
    /// Lost frames whose next packet was at hand (Opus can rebuild them from its FEC).
    pub recovered: u64,
    /// Frames dropped to bring latency back to target.
    pub shed: u64,
    /// Frames concealed in place while waiting for a late packet (the delay grew).
    pub stretched: u64,
    pub resets: u64,
    /// Packets refused or evicted because the buffer was full (a flood, or a peer
    /// sending timestamps we never play).
    pub overflow: u64,
}

#[derive(Debug)]
struct Entry {
    pt: u8,
    /// RTP marker: the first packet of a talk spurt (e.g. after a hold).
    marker: bool,
    payload: Vec<u8>,
    arrived: Instant,
}

/// Transit samples kept for the target-delay estimate (about 2 s of 20 ms packets).
const WINDOW: usize = 100;
/// Transit samples needed before the measured target replaces the initial delay.
const MIN_SAMPLES: usize = 10;
/// Consecutive frames concealed in place before a missing packet is given up.
const MAX_STRETCH: u32 = 3;
/// Consecutive over-target ticks before a frame is shed.
const SHED_AFTER: u32 = 25;
/// A timestamp this far (in seconds) from the playout point is a new stream.
const DISCONTINUITY_S: u64 = 3;
/// Hard bounds on what the buffer holds, whatever the far end sends: about 5 s of 20 ms
/// frames, far beyond `max_delay`, and at most 1500-byte packets for all of them.
pub const MAX_ENTRIES: usize = 256;
pub const MAX_BYTES: usize = MAX_ENTRIES * 1500;

#[derive(Debug)]
pub struct JitterBuffer {
    config: JitterConfig,
    clock_rate: u32,
    frame_ts: u64,
    packets: BTreeMap<u64, Entry>,
    /// Payload bytes held in `packets`.
    bytes: usize,
    last_ext_ts: Option<u64>,
    last_seq: Option<u16>,
    next_ts: Option<u64>,
    epoch: Instant,
    transit: VecDeque<f64>,
    /// Reused for the percentile, so a packet costs no allocation.
    sorted: Vec<f64>,
    target_ms: f64,
    first_arrival: Option<Instant>,
    last_arrival: Option<Instant>,
    over_target_ticks: u32,
    stretch_in_row: u32,
    /// RFC 3550 interarrival jitter, in seconds, and the last (arrival, media time).
    jitter_s: f64,
    last_transit: Option<f64>,
    /// How long played packets waited between arrival and playout, smoothed (ms).
    hold_ms: Option<f64>,
    /// The wait of the frame the last `pop` played, if it played one.
    last_hold: Option<Duration>,
    stats: JitterStats,
}

impl JitterBuffer {
    pub fn new(config: JitterConfig, clock_rate: u32, frame: Duration, now: Instant) -> Self {
        Self {
            config,
            clock_rate,
            frame_ts: u64::from(clock_rate) * frame.as_millis() as u64 / 1000,
            packets: BTreeMap::new(),
            bytes: 0,
            last_ext_ts: None,
            last_seq: None,
            next_ts: None,
            epoch: now,
            transit: VecDeque::with_capacity(WINDOW),
            sorted: Vec::with_capacity(WINDOW),
            target_ms: config.initial_delay.as_secs_f64() * 1000.0,
            first_arrival: None,
            last_arrival: None,
            over_target_ticks: 0,
            stretch_in_row: 0,
            jitter_s: 0.0,
            last_transit: None,
            hold_ms: None,
            last_hold: None,
            stats: JitterStats::default(),
        }
    }

    pub fn clock_rate(&self) -> u32 {
        self.clock_rate
    }

    /// Samples in one frame at the stream's clock rate.
    pub fn frame_samples(&self) -> usize {
        self.frame_ts as usize
    }

    pub fn stats(&self) -> JitterStats {
        self.stats
    }

    /// Interarrival jitter as RFC 3550 §6.4.1 defines it.
    pub fn interarrival_jitter(&self) -> Duration {
        Duration::from_secs_f64(self.jitter_s)
    }

    pub fn target_delay(&self) -> Duration {
        Duration::from_secs_f64(self.target_ms / 1000.0)
    }

    /// How long the packets we play wait here, measured from their arrival (smoothed over
    /// about 16 frames); `None` before the first has played.
    pub fn hold(&self) -> Option<Duration> {
        self.hold_ms.map(|h| Duration::from_secs_f64(h / 1000.0))
    }

    /// How long the frame the last `pop` played had waited; `None` if it played none.
    pub fn last_hold(&self) -> Option<Duration> {
        self.last_hold
    }

    /// Buffered media ahead of the playout point.
    pub fn depth(&self) -> Duration {
        let Some((&newest, _)) = self.packets.last_key_value() else {
            return Duration::ZERO;
        };
        let start = self
            .next_ts
            .or_else(|| self.packets.keys().next().copied())
            .unwrap_or(newest);
        let ticks = (newest + self.frame_ts).saturating_sub(start);
        Duration::from_secs_f64(ticks as f64 / f64::from(self.clock_rate))
    }

    fn unwrap_ts(&mut self, ts: u32) -> u64 {
        let ext = match self.last_ext_ts {
            None => u64::from(ts) + (1 << 32),
            Some(last) => {
                let last32 = last as u32;
                let delta = ts.wrapping_sub(last32) as i32;
                last.saturating_add_signed(i64::from(delta))
            }
        };
        if self.last_ext_ts.is_none_or(|l| ext > l) {
            self.last_ext_ts = Some(ext);
        }
        ext
    }

    /// Packets held, and their payload bytes.
    pub fn held(&self) -> (usize, usize) {
        (self.packets.len(), self.bytes)
    }

    /// What must hold after every push and pop, whatever the far end sent; the fuzz target
    /// (`fuzz/fuzz_targets/jitter.rs`) checks it after each step. Within [`MAX_ENTRIES`] and
    /// [`MAX_BYTES`], the byte count true, and nothing behind the playout point: a packet
    /// there is never popped, so it would be held for good.
    pub fn check_invariants(&self) -> Result<(), String> {
        let bytes: usize = self.packets.values().map(|e| e.payload.len()).sum();
        if bytes != self.bytes {
            return Err(format!("byte count {} but {bytes} held", self.bytes));
        }
        if self.packets.len() > MAX_ENTRIES || self.bytes > MAX_BYTES {
            return Err(format!(
                "{} packets, {} bytes held",
                self.packets.len(),
                self.bytes
            ));
        }
        if let (Some(next), Some((&first, _))) = (self.next_ts, self.packets.first_key_value())
            && first < next
        {
            return Err(format!("packet at {first} held behind the playout point {next}"));
        }
        Ok(())
    }

    fn take(&mut self, ts: u64) -> Option<Entry> {
        let e = self.packets.remove(&ts)?;
        self.bytes -= e.payload.len();
        Some(e)
    }

    /// Moves the playout point, freeing everything before it: packets whose timestamp
    /// is off the frame grid are never popped, and would otherwise stay for good.
    fn advance_to(&mut self, next: u64) {
        self.next_ts = Some(next);
        while let Some((&ts, _)) = self.packets.first_key_value()
            && ts < next
        {
            self.take(ts);
        }
    }

    fn reset(&mut self) {
        self.packets.clear();
        self.bytes = 0;
        self.next_ts = None;
        self.transit.clear();
        self.last_transit = None;
        self.first_arrival = None;
        self.last_ext_ts = None;
        self.last_seq = None;
        self.over_target_ticks = 0;
        self.stats.resets += 1;
    }

    pub fn push(&mut self, seq: u16, ts: u32, pt: u8, marker: bool, payload: Vec<u8>, now: Instant) {
        let mut ext = self.unwrap_ts(ts);
        if let Some(next) = self.next_ts
            && ext.abs_diff(next) > DISCONTINUITY_S * u64::from(self.clock_rate)
        {
            self.reset();
            ext = self.unwrap_ts(ts);
        }
        self.stats.packets += 1;
        if let Some(next) = self.next_ts
            && ext < next
        {
            self.stats.late += 1;
            return;
        }
        if self.packets.contains_key(&ext) {
            self.stats.duplicates += 1;
            return;
        }
        if let (Some(last_seq), Some(prev)) = (self.last_seq, self.packets.range(..ext).next_back())
            && seq == last_seq.wrapping_add(1)
        {
            let delta = ext - prev.0;
            if delta > 0 && delta <= u64::from(self.clock_rate) / 8 {
                self.frame_ts = delta;
            }
        }
        self.last_seq = Some(seq);
        self.bytes += payload.len();
        self.packets.insert(
            ext,
            Entry {
                pt,
                marker,
                payload,
                arrived: now,
            },
        );
        // Over the bounds: evict from the far end of the buffer (the newest timestamps),
        // which are the furthest from being played.
        while self.packets.len() > MAX_ENTRIES || self.bytes > MAX_BYTES {
            let Some((&newest, _)) = self.packets.last_key_value() else {
                break;
            };
            self.take(newest);
            self.stats.overflow += 1;
        }
        self.first_arrival.get_or_insert(now);
        self.last_arrival = Some(now);
        self.observe_transit(ext, now);
    }

    fn observe_transit(&mut self, ext: u64, now: Instant) {
        let arrival_ms = now.duration_since(self.epoch).as_secs_f64() * 1000.0;
        let media_ms = ext as f64 * 1000.0 / f64::from(self.clock_rate);
        if self.transit.len() == WINDOW {
            self.transit.pop_front();
        }
        let transit = arrival_ms - media_ms;
        self.transit.push_back(transit);
        if let Some(prev) = self.last_transit {
            let d = (transit - prev).abs() / 1000.0;
            self.jitter_s += (d - self.jitter_s) / 16.0;
        }
        self.last_transit = Some(transit);
        if self.transit.len() < MIN_SAMPLES {
            return;
        }
        self.sorted.clear();
        self.sorted.extend(self.transit.iter().copied());
        self.sorted.sort_by(f64::total_cmp);
        let min = self.sorted[0];
        let p95 = self.sorted[(self.sorted.len() - 1) * 95 / 100];
        let frame_ms = self.frame_ts as f64 * 1000.0 / f64::from(self.clock_rate);
        // Jitter spread plus half a frame for the playout tick's own phase.
        let want = p95 - min + frame_ms / 2.0;
        self.target_ms = want.clamp(
            self.config.min_delay.as_secs_f64() * 1000.0,
            self.config.max_delay.as_secs_f64() * 1000.0,
        );
    }

    /// Decides the next frame. Call once per frame duration.
    pub fn pop(&mut self, now: Instant) -> Playout {
        self.last_hold = None;
        let Some(next) = self.next_ts else {
            return self.try_start(now);
        };
        if let Some(entry) = self.take(next) {
            let held = now.saturating_duration_since(entry.arrived);
            self.last_hold = Some(held);
            let held = held.as_secs_f64() * 1000.0;
            self.hold_ms = Some(self.hold_ms.map_or(held, |h| h + (held - h) / 16.0));
            self.advance_to(next + self.frame_ts);
            self.stretch_in_row = 0;
            self.stats.played += 1;
            self.shed_excess();
            return Playout::Frame {
                pt: entry.pt,
                payload: entry.payload,
            };
        }
        // Jump to the next packet rather than conceal through the gap before it when it
        // starts a new talk spurt (marker), when it is off our frame grid (the sender's
        // timing moved, as Chromium's does after a hold: waiting for `next` would conceal
        // frame by frame through the whole gap), or when the gap is longer than any delay
        // we would wait for.
        if let Some((&first, entry)) = self.packets.first_key_value()
            && first > next
        {
            let gap = first - next;
            let beyond = gap as f64 * 1000.0 / f64::from(self.clock_rate)
                > self.config.max_delay.as_secs_f64() * 1000.0;
            if entry.marker || !gap.is_multiple_of(self.frame_ts) || beyond {
                self.advance_to(first);
                return self.pop(now);
            }
        }
        if self.packets.is_empty() {
            let idle = self
                .last_arrival
                .is_none_or(|t| now.duration_since(t) >= self.config.idle_reset);
            if idle {
                self.reset();
                self.stats.resets -= 1; // an ended talk spurt is not a fault
                return Playout::Silence;
            }
        }
        self.stats.concealed += 1;
        // Below target the packet may just be late: conceal in place and wait for it,
        // which also grows the delay towards the target.
        if self.depth() < self.target_delay() && self.stretch_in_row < MAX_STRETCH {
            self.stretch_in_row += 1;
            self.stats.stretched += 1;
            return Playout::Conceal;
        }
        self.stretch_in_row = 0;
        self.advance_to(next + self.frame_ts);
        match self.packets.get(&(next + self.frame_ts)) {
            Some(e) => {
                self.stats.recovered += 1;
                Playout::Recover {
                    pt: e.pt,
                    next_payload: e.payload.clone(),
                }
            }
            None => Playout::Conceal,
        }
    }

    fn try_start(&mut self, now: Instant) -> Playout {
        let Some(first) = self.first_arrival else {
            return Playout::Silence;
        };
        let target = self.target_delay();
        if self.depth() < target && now.duration_since(first) < target {
            return Playout::Silence;
        }
        let Some(&first) = self.packets.keys().next() else {
            return Playout::Silence;
        };
        self.advance_to(first);
        self.pop(now)
    }

    /// Drops one frame when the buffer has stayed well above target for a while.
    fn shed_excess(&mut self) {
        let limit = self.target_delay()
            + Duration::from_secs_f64(3.0 * self.frame_ts as f64 / f64::from(self.clock_rate));
        if self.depth() > limit {
            self.over_target_ticks += 1;
        } else {
            self.over_target_ticks = 0;
        }
        if self.over_target_ticks >= SHED_AFTER
            && let Some(next) = self.next_ts
        {
            self.take(next);
            self.advance_to(next + self.frame_ts);
            self.stats.shed += 1;
            self.over_target_ticks = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: Duration = Duration::from_millis(20);

    #[test]
    fn hold_is_measured_from_each_packets_arrival_to_its_playout() {
        let t0 = Instant::now();
        let mut b = jb(t0);
        assert_eq!(b.hold(), None, "nothing has played yet");
        // Packets arrive 7 ms before each playout tick.
        for i in 0..40u32 {
            b.push(i as u16, i * 160, 0, false, vec![1], t0 + F * i);
            b.pop(t0 + F * i + Duration::from_millis(7));
        }
        let hold = b.hold().expect("measured").as_secs_f64() * 1000.0;
        assert!((hold - 7.0).abs() < 0.5, "hold {hold} ms");
    }

    fn jb(t0: Instant) -> JitterBuffer {
        let config = JitterConfig {
            initial_delay: Duration::from_millis(20),
            ..Default::default()
        };
        JitterBuffer::new(config, 8000, F, t0)
    }

    fn frame_of(p: &Playout) -> Option<u8> {
        match p {
            Playout::Frame { payload, .. } => Some(payload[0]),
            _ => None,
        }
    }

    #[test]
    fn reorders_packets_by_timestamp() {
        let t0 = Instant::now();
        let mut b = jb(t0);
        b.push(2, 320, 0, false, vec![2], t0);
        b.push(0, 0, 0, false, vec![0], t0);
        b.push(1, 160, 0, false, vec![1], t0);
        let out: Vec<_> = (0..3).map(|i| frame_of(&b.pop(t0 + F * i))).collect();
        assert_eq!(out, [Some(0), Some(1), Some(2)]);
    }

    #[test]
    fn waits_for_target_depth_before_playing() {
        let t0 = Instant::now();
        let mut b = jb(t0);
        b.push(0, 0, 0, false, vec![0], t0);
        // One 20 ms frame buffered meets the 20 ms minimum.
        assert!(matches!(b.pop(t0), Playout::Frame { .. }));
        let mut b = JitterBuffer::new(
            JitterConfig {
                initial_delay: Duration::from_millis(60),
                ..Default::default()
            },
            8000,
            F,
            t0,
        );
        b.push(0, 0, 0, false, vec![0], t0);
        assert_eq!(b.pop(t0), Playout::Silence);
        b.push(1, 160, 0, false, vec![1], t0 + F);
        b.push(2, 320, 0, false, vec![2], t0 + F * 2);
        assert_eq!(frame_of(&b.pop(t0 + F * 2)), Some(0));
    }

    #[test]
    fn a_lost_frame_is_recovered_from_the_next_packet_or_concealed() {
        let t0 = Instant::now();
        let mut b = jb(t0);
        b.push(0, 0, 0, false, vec![0], t0);
        b.push(2, 320, 0, false, vec![2], t0);
        b.push(4, 640, 0, false, vec![4], t0);
        b.push(5, 800, 0, false, vec![5], t0);
        assert_eq!(frame_of(&b.pop(t0)), Some(0));
        assert_eq!(
            b.pop(t0 + F),
            Playout::Recover {
                pt: 0,
                next_payload: vec![2]
            }
        );
        assert_eq!(frame_of(&b.pop(t0 + F * 2)), Some(2));
        // Frame 3 lost and frame 4 present: recover from 4.
        assert!(matches!(b.pop(t0 + F * 3), Playout::Recover { .. }));
        assert_eq!(frame_of(&b.pop(t0 + F * 4)), Some(4));
        let s = b.stats();
        assert_eq!((s.played, s.concealed, s.recovered), (3, 2, 2));
    }

    #[test]
    fn a_late_packet_below_target_is_waited_for_not_skipped() {
        let t0 = Instant::now();
        let config = JitterConfig {
            initial_delay: Duration::from_millis(40),
            ..Default::default()
        };
        let mut b = JitterBuffer::new(config, 8000, F, t0);
        b.push(0, 0, 0, false, vec![0], t0);
        b.push(1, 160, 0, false, vec![1], t0);
        assert_eq!(frame_of(&b.pop(t0)), Some(0));
        assert_eq!(frame_of(&b.pop(t0 + F)), Some(1));
        // Packet 2 is late: the buffer conceals in place instead of skipping it.
        assert_eq!(b.pop(t0 + F * 2), Playout::Conceal);
        b.push(2, 320, 0, false, vec![2], t0 + F * 2 + Duration::from_millis(5));
        assert_eq!(frame_of(&b.pop(t0 + F * 3)), Some(2));
        assert_eq!((b.stats().stretched, b.stats().late), (1, 0));
    }

    #[test]
    fn a_marked_talk_spurt_is_played_at_once_after_a_gap() {
        let t0 = Instant::now();
        let mut b = jb(t0);
        b.push(0, 0, 0, false, vec![0], t0);
        assert_eq!(frame_of(&b.pop(t0)), Some(0));
        // The sender paused for five frames and resumed with the marker bit.
        b.push(1, 160 * 6, 0, true, vec![6], t0 + F * 6);
        assert_eq!(frame_of(&b.pop(t0 + F * 6)), Some(6));
    }

    #[test]
    fn late_packets_are_dropped_and_counted() {
        let t0 = Instant::now();
        let mut b = jb(t0);
        for i in 0..4u16 {
            if i != 1 {
                b.push(i, u32::from(i) * 160, 0, false, vec![i as u8], t0);
            }
        }
        b.pop(t0);
        // Depth (60 ms) is above the 20 ms target, so frame 1 is given up at once.
        assert!(matches!(b.pop(t0 + F), Playout::Recover { .. }));
        b.push(1, 160, 0, false, vec![1], t0 + F * 2);
        assert_eq!(b.stats().late, 1);
        assert_eq!(frame_of(&b.pop(t0 + F * 2)), Some(2));
    }

    #[test]
    fn short_underrun_conceals_and_long_silence_stops_playout() {
        let t0 = Instant::now();
        let mut b = jb(t0);
        b.push(0, 0, 0, false, vec![0], t0);
        b.pop(t0);
        assert_eq!(b.pop(t0 + F), Playout::Conceal);
        assert_eq!(b.pop(t0 + Duration::from_millis(400)), Playout::Silence);
        // A new stream (after a hold, say) starts cleanly.
        b.push(9, 48_000, 0, true, vec![9], t0 + Duration::from_millis(420));
        assert_eq!(frame_of(&b.pop(t0 + Duration::from_millis(420))), Some(9));
    }

    #[test]
    fn timestamps_wrap_around() {
        let t0 = Instant::now();
        let mut b = jb(t0);
        let start = u32::MAX - 159;
        b.push(0, start, 0, false, vec![0], t0);
        b.push(1, start.wrapping_add(160), 0, false, vec![1], t0);
        b.push(2, start.wrapping_add(320), 0, false, vec![2], t0);
        let out: Vec<_> = (0..3).map(|i| frame_of(&b.pop(t0 + F * i))).collect();
        assert_eq!(out, [Some(0), Some(1), Some(2)]);
    }

    #[test]
    fn target_delay_grows_with_jitter_and_excess_depth_is_shed() {
        let t0 = Instant::now();
        let mut b = jb(t0);
        for i in 0..100u32 {
            let jitter = Duration::from_millis(u64::from(i * 7 % 31));
            b.push(i as u16, i * 160, 0, false, vec![0], t0 + F * i + jitter);
        }
        let target = b.target_delay();
        assert!(target >= Duration::from_millis(35), "target {target:?}");
        // 2 s of audio is buffered, far above target: playout sheds frames.
        let now = t0 + F * 100;
        for i in 0..60 {
            b.pop(now + F * i);
        }
        assert!(b.stats().shed >= 2, "{:?}", b.stats());
    }

    #[test]
    fn the_target_comes_back_down_once_the_jitter_is_gone() {
        let t0 = Instant::now();
        let mut b = jb(t0);
        for i in 0..100u32 {
            let jitter = Duration::from_millis(u64::from(i * 7 % 31));
            b.push(i as u16, i * 160, 0, false, vec![0], t0 + F * i + jitter);
            b.pop(t0 + F * i);
        }
        let high = b.target_delay();
        assert!(high >= Duration::from_millis(35), "target {high:?}");
        // Three seconds of a steady path: the window forgets the jitter.
        for i in 100..250u32 {
            b.push(i as u16, i * 160, 0, false, vec![0], t0 + F * i);
            b.pop(t0 + F * i);
        }
        let low = b.target_delay();
        assert!(
            low <= Duration::from_millis(21),
            "target stayed at {low:?} (was {high:?})"
        );
    }

    #[test]
    fn a_stream_that_comes_back_off_the_grid_or_far_ahead_plays_at_once() {
        for (ts, marker) in [(160 * 40 + 37, false), (160 * 40, false), (160 * 5 + 80, false)] {
            let t0 = Instant::now();
            let mut b = jb(t0);
            b.push(0, 0, 0, false, vec![0], t0);
            b.push(1, 160, 0, false, vec![1], t0);
            assert_eq!(frame_of(&b.pop(t0)), Some(0));
            assert_eq!(frame_of(&b.pop(t0 + F)), Some(1));
            // The sender paused and came back without a marker: off the grid, or on it
            // but 800 ms on (beyond the 300 ms we would ever wait).
            b.push(2, ts, 0, marker, vec![9], t0 + F * 2);
            b.push(3, ts + 160, 0, marker, vec![10], t0 + F * 2);
            assert_eq!(frame_of(&b.pop(t0 + F * 2)), Some(9), "ts {ts}");
            assert_eq!(frame_of(&b.pop(t0 + F * 3)), Some(10), "ts {ts}");
        }
    }

    #[test]
    fn off_grid_packets_ahead_of_playout_are_freed_once_passed() {
        let t0 = Instant::now();
        let mut b = jb(t0);
        for i in 0..10u32 {
            b.push(i as u16, i * 160, 0, false, vec![0; 10], t0 + F * i);
            // A hostile peer's extra packet, between two frames of the grid.
            b.push(1000 + i as u16, i * 160 + 7, 0, false, vec![0; 10], t0 + F * i);
        }
        for i in 0..10 {
            b.pop(t0 + F * (10 + i));
        }
        assert_eq!(b.held(), (0, 0), "{:?}", b.stats());
    }
}

#[cfg(test)]
mod bounded {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever the far end sends (a flood of timestamps on and off the frame grid,
        /// duplicates, big payloads), the buffer never holds more than its bounds, and
        /// nothing behind the playout point stays.
        #[test]
        fn the_buffer_stays_bounded_under_any_flood(
            packets in prop::collection::vec((any::<u16>(), 0u32..200_000, 0usize..1500, any::<bool>()), 1..3000),
            pops_every in 1usize..20,
        ) {
            let t0 = Instant::now();
            let mut b = JitterBuffer::new(JitterConfig::default(), 48_000, Duration::from_millis(20), t0);
            let mut now = t0;
            for (i, (seq, ts, len, marker)) in packets.into_iter().enumerate() {
                now += Duration::from_micros(500);
                b.push(seq, ts, 111, marker, vec![0; len], now);
                prop_assert_eq!(b.check_invariants(), Ok(()));
                if i % pops_every == 0 {
                    b.pop(now);
                    prop_assert_eq!(b.check_invariants(), Ok(()));
                }
            }
        }
    }
}
