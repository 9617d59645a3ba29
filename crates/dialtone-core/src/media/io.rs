//! Where the engine's audio comes from and goes to, one frame at a time at the codec
//! rate. Devices and WAV files plug in here (the audio pipeline); these are the
//! simple sources and sinks the engine, its tests and the sandbox far ends use.

use std::f64::consts::TAU;
use std::sync::{Arc, Mutex};

/// Supplies one frame of mono 16-bit PCM at `clock_rate` per call.
pub trait AudioSource: Send + 'static {
    fn read(&mut self, clock_rate: u32, out: &mut [i16]);
    /// Adds audio that goes out with ours but is not ours (the other far ends of a
    /// three-way call): called after mute, which silences only what `read` gave.
    fn mix_in(&mut self, _clock_rate: u32, _pcm: &mut [i16]) {}
}

/// Receives decoded (or concealed) mono 16-bit PCM at `clock_rate`.
pub trait AudioSink: Send + 'static {
    fn write(&mut self, clock_rate: u32, pcm: &[i16]);
}

impl AudioSource for Box<dyn AudioSource> {
    fn read(&mut self, clock_rate: u32, out: &mut [i16]) {
        (**self).read(clock_rate, out);
    }
    fn mix_in(&mut self, clock_rate: u32, pcm: &mut [i16]) {
        (**self).mix_in(clock_rate, pcm);
    }
}

impl AudioSink for Box<dyn AudioSink> {
    fn write(&mut self, clock_rate: u32, pcm: &[i16]) {
        (**self).write(clock_rate, pcm);
    }
}

/// A sine tone whose frequency can be changed while it plays.
#[derive(Debug, Clone)]
pub struct ToneSource {
    freq: Arc<Mutex<f64>>,
    amplitude: f64,
    phase: f64,
}

impl ToneSource {
    pub fn new(freq_hz: f64, amplitude: f64) -> Self {
        Self {
            freq: Arc::new(Mutex::new(freq_hz)),
            amplitude,
            phase: 0.0,
        }
    }

    /// A handle to change the frequency from elsewhere (e.g. a far end that changes tone on hold).
    pub fn frequency_handle(&self) -> Arc<Mutex<f64>> {
        self.freq.clone()
    }
}

impl AudioSource for ToneSource {
    fn read(&mut self, clock_rate: u32, out: &mut [i16]) {
        let freq = self.freq.lock().map(|f| *f).unwrap_or(0.0);
        let step = TAU * freq / f64::from(clock_rate);
        for s in out.iter_mut() {
            *s = (self.phase.sin() * self.amplitude * f64::from(i16::MAX)) as i16;
            self.phase = (self.phase + step) % TAU;
        }
    }
}

/// Silence.
#[derive(Debug, Default, Clone, Copy)]
pub struct SilenceSource;

impl AudioSource for SilenceSource {
    fn read(&mut self, _clock_rate: u32, out: &mut [i16]) {
        out.fill(0);
    }
}

/// Discards what it is given.
#[derive(Debug, Default, Clone, Copy)]
pub struct NullSink;

impl AudioSink for NullSink {
    fn write(&mut self, _clock_rate: u32, _pcm: &[i16]) {}
}

/// Keeps every frame written, for analysis. Cloning shares the recording.
#[derive(Debug, Clone, Default)]
pub struct RecordingSink {
    inner: Arc<Mutex<Recording>>,
}

#[derive(Debug, Default, Clone)]
pub struct Recording {
    pub clock_rate: u32,
    /// One entry per write (one playout frame).
    pub frames: Vec<Vec<i16>>,
}

impl RecordingSink {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn snapshot(&self) -> Recording {
        self.inner.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// Number of frames written so far.
    pub fn len(&self) -> usize {
        self.inner.lock().map(|r| r.frames.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The samples written from frame `from` on, concatenated.
    pub fn samples_since(&self, from: usize) -> (u32, Vec<i16>) {
        match self.inner.lock() {
            Ok(r) => (
                r.clock_rate,
                r.frames.iter().skip(from).flatten().copied().collect(),
            ),
            Err(_) => (0, Vec::new()),
        }
    }
}

impl AudioSink for RecordingSink {
    fn write(&mut self, clock_rate: u32, pcm: &[i16]) {
        if let Ok(mut r) = self.inner.lock() {
            r.clock_rate = clock_rate;
            r.frames.push(pcm.to_vec());
        }
    }
}

/// Keeps the last stretch of what it is written (a far end's ears): bounded, so a call
/// of any length costs the same. Cloning shares it.
#[derive(Debug, Clone)]
pub struct TailSink {
    inner: Arc<Mutex<(u32, std::collections::VecDeque<i16>)>>,
    keep: std::time::Duration,
}

impl TailSink {
    pub fn new(keep: std::time::Duration) -> Self {
        Self {
            inner: Arc::default(),
            keep,
        }
    }

    /// The last `d` of audio (less if less was written), with its rate.
    pub fn tail(&self, d: std::time::Duration) -> (u32, Vec<i16>) {
        match self.inner.lock() {
            Ok(g) => {
                let n = (u128::from(g.0) * d.as_millis() / 1000) as usize;
                let skip = g.1.len().saturating_sub(n);
                (g.0, g.1.iter().skip(skip).copied().collect())
            }
            Err(_) => (0, Vec::new()),
        }
    }
}

impl AudioSink for TailSink {
    fn write(&mut self, clock_rate: u32, pcm: &[i16]) {
        if let Ok(mut g) = self.inner.lock() {
            if g.0 != clock_rate {
                g.1.clear();
                g.0 = clock_rate;
            }
            g.1.extend(pcm.iter().copied());
            let max = (u128::from(clock_rate) * self.keep.as_millis() / 1000) as usize;
            let excess = g.1.len().saturating_sub(max);
            g.1.drain(..excess);
        }
    }
}

/// Plays back what it hears: the sink half stores decoded audio, the source half reads
/// it out. Used by the sandbox's echo far ends. Holds at most one second.
#[derive(Debug, Clone, Default)]
pub struct EchoBridge {
    buffer: Arc<Mutex<std::collections::VecDeque<i16>>>,
}

impl EchoBridge {
    pub fn new() -> Self {
        Self::default()
    }
}

impl AudioSink for EchoBridge {
    fn write(&mut self, clock_rate: u32, pcm: &[i16]) {
        if let Ok(mut b) = self.buffer.lock() {
            b.extend(pcm);
            // Two frames at most: an echo adds no latency of its own beyond one tick's phase.
            let cap = clock_rate as usize / 25;
            while b.len() > cap {
                b.pop_front();
            }
        }
    }
}

impl AudioSource for EchoBridge {
    fn read(&mut self, _clock_rate: u32, out: &mut [i16]) {
        let mut b = match self.buffer.lock() {
            Ok(b) => b,
            Err(_) => {
                out.fill(0);
                return;
            }
        };
        for s in out.iter_mut() {
            *s = b.pop_front().unwrap_or(0);
        }
    }
}
