//! The line's audio between calls, at 48 kHz: what each call of a merged (three-way)
//! call sends is us plus what the other calls' far ends say, never the far end's own
//! voice; a held call is not heard while another call is up; the call-waiting tone plays
//! into the active call. Each call's media gets a [`MixPort`] that wraps its source and
//! sink; the line driver sets the [`MixBus`] as the calls change.

use super::io::{AudioSink, AudioSource};
use crate::call::CallId;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::{Arc, Mutex};

/// The rate the calls' audio meets at: every codec rate divides it.
pub const MIX_RATE: u32 = 48_000;
/// At most this much of a far end's audio waits for the others' send clocks; older audio
/// is dropped, so a clock that runs slow cannot build up delay.
const MAX_QUEUED: usize = (MIX_RATE / 10) as usize;
/// Call waiting: 440 Hz at about -24 dBFS, two 200 ms beeps every 4 s (ITU-T E.180's
/// call-waiting tone is 400-450 Hz, short bursts; this is the North American cadence).
const TONE_HZ: f64 = 440.0;
const TONE_AMPLITUDE: f64 = 2000.0;
const TONE_CYCLE_MS: u64 = 4000;
const TONE_ON: [(u64, u64); 2] = [(0, 200), (400, 600)];

/// Hears what each call sends (after our mute, with the merged calls mixed in: what is
/// encoded) and what it plays, at the codec's rate: a recording of the line.
pub trait MixTap: Send + Sync {
    fn sent(&self, call: CallId, clock_rate: u32, pcm: &[i16]);
    fn heard(&self, call: CallId, clock_rate: u32, pcm: &[i16]);
}

#[derive(Default)]
struct Bus {
    tap: Option<Arc<dyn MixTap>>,
    merged: Vec<CallId>,
    muted_playout: BTreeSet<CallId>,
    waiting_tone: Option<CallId>,
    /// Audio from one far end (`.1`) waiting to be sent to another call (`.0`), 48 kHz.
    queues: BTreeMap<(CallId, CallId), VecDeque<i16>>,
}

impl std::fmt::Debug for Bus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bus")
            .field("tap", &self.tap.is_some())
            .field("merged", &self.merged)
            .field("muted_playout", &self.muted_playout)
            .field("waiting_tone", &self.waiting_tone)
            .finish_non_exhaustive()
    }
}

/// How the line's calls are joined; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct MixBus(Arc<Mutex<Bus>>);

impl MixBus {
    fn bus(&self) -> std::sync::MutexGuard<'_, Bus> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The port for `call`'s media.
    pub fn port(&self, call: CallId) -> MixPort {
        MixPort {
            bus: self.clone(),
            call,
        }
    }

    /// Mixes these calls (each far end hears us and the others); empty: none.
    pub fn set_merged(&self, calls: &[CallId]) {
        let mut bus = self.bus();
        bus.merged = calls.to_vec();
        bus.queues.clear();
    }

    /// The calls whose far ends we do not hear (held while another call is up).
    pub fn set_unheard(&self, calls: impl IntoIterator<Item = CallId>) {
        self.bus().muted_playout = calls.into_iter().collect();
    }

    /// The call that plays the call-waiting tone, if any.
    pub fn set_waiting_tone(&self, call: Option<CallId>) {
        self.bus().waiting_tone = call;
    }

    pub fn merged(&self) -> Vec<CallId> {
        self.bus().merged.clone()
    }

    /// Who hears the calls' audio besides the far ends and the speaker (a recording).
    pub fn set_tap(&self, tap: Option<Arc<dyn MixTap>>) {
        self.bus().tap = tap;
    }
}

/// One call's place on the bus.
#[derive(Debug, Clone)]
pub struct MixPort {
    bus: MixBus,
    call: CallId,
}

impl MixPort {
    /// A port on a bus of its own: the call is never joined to another.
    pub fn alone() -> Self {
        MixBus::default().port(1)
    }

    pub fn source(&self, inner: Box<dyn AudioSource>) -> Box<dyn AudioSource> {
        Box::new(MixSource {
            inner,
            port: self.clone(),
        })
    }

    pub fn sink(&self, inner: Box<dyn AudioSink>) -> Box<dyn AudioSink> {
        Box::new(MixSink {
            inner,
            port: self.clone(),
            played: 0,
        })
    }
}

/// How many 48 kHz samples one sample at `rate` is; `None` for a rate that does not
/// divide 48 kHz (no mixing then).
fn factor(rate: u32) -> Option<usize> {
    (rate > 0 && MIX_RATE.is_multiple_of(rate)).then(|| (MIX_RATE / rate) as usize)
}

struct MixSource {
    inner: Box<dyn AudioSource>,
    port: MixPort,
}

impl AudioSource for MixSource {
    fn read(&mut self, clock_rate: u32, out: &mut [i16]) {
        self.inner.read(clock_rate, out);
    }

    /// Adds what the other merged calls' far ends said (after our mute, which is ours
    /// alone: the others still hear each other).
    fn mix_in(&mut self, clock_rate: u32, pcm: &mut [i16]) {
        let me = self.port.call;
        let tap = {
            let mut bus = self.port.bus.bus();
            mix_others(&mut bus, me, clock_rate, pcm);
            bus.tap.clone()
        };
        // Called only for what is encoded: while held or muted, nothing (or silence) is.
        if let Some(t) = tap {
            t.sent(me, clock_rate, pcm);
        }
    }
}

/// Adds what the other merged calls' far ends said to `me`'s audio.
fn mix_others(bus: &mut Bus, me: CallId, clock_rate: u32, pcm: &mut [i16]) {
    let Some(k) = factor(clock_rate) else {
        return;
    };
    if !bus.merged.contains(&me) {
        return;
    }
    let others: Vec<CallId> = bus.merged.iter().copied().filter(|c| *c != me).collect();
    for from in others {
        let Some(q) = bus.queues.get_mut(&(me, from)) else {
            continue;
        };
        for s in pcm.iter_mut() {
            if q.is_empty() {
                break;
            }
            // Down to the codec rate by averaging (a box filter against aliasing).
            let n = k.min(q.len());
            let sum: i32 = q.drain(..n).map(i32::from).sum();
            let v = sum / n as i32;
            *s = (i32::from(*s) + v).clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16;
        }
    }
}

struct MixSink {
    inner: Box<dyn AudioSink>,
    port: MixPort,
    /// Samples played so far at 48 kHz, the waiting tone's clock.
    played: u64,
}

impl AudioSink for MixSink {
    fn write(&mut self, clock_rate: u32, pcm: &[i16]) {
        let me = self.port.call;
        let (heard, tone, tap) = {
            let mut bus = self.port.bus.bus();
            if let Some(k) = factor(clock_rate)
                && bus.merged.contains(&me)
            {
                let others: Vec<CallId> = bus.merged.iter().copied().filter(|c| *c != me).collect();
                for to in others {
                    let q = bus.queues.entry((to, me)).or_default();
                    // Up to 48 kHz by repeating samples; the far end's codec band-limits.
                    for s in pcm {
                        q.extend(std::iter::repeat_n(*s, k));
                    }
                    let excess = q.len().saturating_sub(MAX_QUEUED);
                    q.drain(..excess);
                }
            }
            (
                !bus.muted_playout.contains(&me),
                bus.waiting_tone == Some(me),
                bus.tap.clone(),
            )
        };
        let k = factor(clock_rate).unwrap_or(1) as u64;
        let start = self.played;
        self.played += pcm.len() as u64 * k;
        if heard && !tone {
            self.inner.write(clock_rate, pcm);
            if let Some(t) = tap {
                t.heard(me, clock_rate, pcm);
            }
            return;
        }
        let mut out: Vec<i16> = if heard { pcm.to_vec() } else { vec![0; pcm.len()] };
        if tone {
            for (i, s) in out.iter_mut().enumerate() {
                let t48 = start + i as u64 * k;
                let ms = (t48 * 1000 / u64::from(MIX_RATE)) % TONE_CYCLE_MS;
                if TONE_ON.iter().any(|(on, off)| (*on..*off).contains(&ms)) {
                    let t = t48 as f64 / f64::from(MIX_RATE);
                    let v = (std::f64::consts::TAU * TONE_HZ * t).sin() * TONE_AMPLITUDE;
                    *s = (f64::from(*s) + v).clamp(f64::from(i16::MIN), f64::from(i16::MAX)) as i16;
                }
            }
        }
        self.inner.write(clock_rate, &out);
        if let Some(t) = tap {
            t.heard(me, clock_rate, &out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::analysis::goertzel_power;
    use crate::media::io::{RecordingSink, SilenceSource, ToneSource};

    fn tone(hz: f64, rate: u32, n: usize) -> Vec<i16> {
        let mut t = ToneSource::new(hz, 0.3);
        let mut out = vec![0; n];
        t.read(rate, &mut out);
        out
    }

    /// Relative power of `hz` in `pcm` (0 = absent).
    fn has(pcm: &[i16], rate: u32, hz: f64) -> bool {
        goertzel_power(pcm, rate, hz) > 0.01 * goertzel_power(&tone(hz, rate, pcm.len()), rate, hz)
    }

    #[test]
    fn each_merged_call_sends_us_and_the_others_but_never_its_own_far_end() {
        let bus = MixBus::default();
        bus.set_merged(&[1, 2, 3]);
        let ports: Vec<MixPort> = (1..=3).map(|c| bus.port(c)).collect();
        let mut sinks: Vec<_> = ports
            .iter()
            .map(|p| p.sink(Box::new(RecordingSink::new())))
            .collect();
        let mut sources: Vec<_> = ports.iter().map(|p| p.source(Box::new(SilenceSource))).collect();
        // Far end 1 says 500 Hz (Opus, 48 kHz), 2 says 1000 Hz (G.711, 8 kHz), 3 says 2000 Hz.
        let rates = [48_000, 8_000, 16_000];
        let said = [500.0, 1000.0, 2000.0];
        for (i, sink) in sinks.iter_mut().enumerate() {
            sink.write(rates[i], &tone(said[i], rates[i], (rates[i] / 50) as usize));
        }
        for (i, source) in sources.iter_mut().enumerate() {
            let mut pcm = vec![0; (rates[i] / 50) as usize];
            source.read(rates[i], &mut pcm);
            source.mix_in(rates[i], &mut pcm);
            for (j, hz) in said.iter().enumerate() {
                if *hz * 2.0 >= f64::from(rates[i]) {
                    continue; // above what this call's codec carries
                }
                assert_eq!(
                    has(&pcm, rates[i], *hz),
                    i != j,
                    "call {} hearing far end {}",
                    i + 1,
                    j + 1
                );
            }
        }
    }

    #[test]
    fn unmerged_calls_share_nothing_and_a_held_call_is_not_heard_while_another_is_up() {
        let bus = MixBus::default();
        let (a, b) = (bus.port(1), bus.port(2));
        let heard_b = RecordingSink::new();
        let mut sink_a = a.sink(Box::new(RecordingSink::new()));
        let mut sink_b = b.sink(Box::new(heard_b.clone()));
        let mut source_b = b.source(Box::new(SilenceSource));
        sink_a.write(48_000, &tone(500.0, 48_000, 960));
        let mut pcm = vec![0; 960];
        source_b.mix_in(48_000, &mut pcm);
        assert!(
            pcm.iter().all(|s| *s == 0),
            "audio crossed between unmerged calls"
        );
        bus.set_unheard([2]);
        sink_b.write(48_000, &tone(880.0, 48_000, 960));
        let (_, got) = heard_b.samples_since(0);
        assert!(
            !got.is_empty() && got.iter().all(|s| *s == 0),
            "the held call was played"
        );
    }

    #[test]
    fn the_waiting_tone_beeps_at_440_hz_into_the_active_call_only() {
        let bus = MixBus::default();
        bus.set_waiting_tone(Some(1));
        let (heard_a, heard_b) = (RecordingSink::new(), RecordingSink::new());
        let mut a = bus.port(1).sink(Box::new(heard_a.clone()));
        let mut b = bus.port(2).sink(Box::new(heard_b.clone()));
        for _ in 0..10 {
            a.write(48_000, &[0; 960]);
            b.write(48_000, &[0; 960]);
        }
        let (_, got) = heard_a.samples_since(0);
        assert!(has(&got[..9600], 48_000, TONE_HZ), "no beep in the first 200 ms");
        assert!(heard_b.samples_since(0).1.iter().all(|s| *s == 0));
        bus.set_waiting_tone(None);
        let from = heard_a.len();
        a.write(48_000, &[0; 960]);
        assert!(
            heard_a.samples_since(from).1.iter().all(|s| *s == 0),
            "the tone went on"
        );
    }
}
