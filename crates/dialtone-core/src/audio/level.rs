//! Level meters: the loudest 10 ms RMS of the last 100 ms, in dBFS, shared lock-free
//! between the audio path (writer) and whoever reports levels (reader).

use crate::media::{AudioSink, AudioSource};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

/// The floor we report for silence.
pub const SILENCE_DBFS: f32 = -100.0;

/// One direction's meter. Cheap to clone (shared).
#[derive(Debug, Clone)]
pub struct LevelMeter {
    /// f32 bits of the running maximum since the last `take`.
    peak: Arc<AtomicU32>,
}

impl Default for LevelMeter {
    fn default() -> Self {
        Self {
            peak: Arc::new(AtomicU32::new(SILENCE_DBFS.to_bits())),
        }
    }
}

/// RMS of full-scale-normalised samples, in dBFS.
pub fn rms_dbfs(samples: &[f32]) -> f32 {
    if samples.is_empty() {
        return SILENCE_DBFS;
    }
    let mean_sq = samples.iter().map(|s| s * s).sum::<f32>() / samples.len() as f32;
    if mean_sq <= 1e-10 {
        return SILENCE_DBFS;
    }
    (10.0 * mean_sq.log10()).max(SILENCE_DBFS)
}

impl LevelMeter {
    /// Records one block's level.
    pub fn record(&self, samples: &[f32]) {
        self.record_level(rms_dbfs(samples));
    }

    pub fn record_level(&self, level: f32) {
        let _ = self
            .peak
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |bits| {
                (level > f32::from_bits(bits)).then_some(level.to_bits())
            });
    }

    /// The loudest level since the last call, and a reset.
    pub fn take(&self) -> f32 {
        f32::from_bits(self.peak.swap(SILENCE_DBFS.to_bits(), Ordering::Relaxed))
    }
}

/// The level of 16-bit PCM in dBFS, floored at [`SILENCE_DBFS`].
pub fn pcm_dbfs(pcm: &[i16]) -> f32 {
    (crate::media::analysis::rms_dbfs(pcm) as f32).max(SILENCE_DBFS)
}

/// Any source with its level measured (what we send, after the device and resampler).
pub struct MeteredSource<S> {
    pub inner: S,
    pub meter: LevelMeter,
}

impl<S: AudioSource> AudioSource for MeteredSource<S> {
    fn read(&mut self, clock_rate: u32, out: &mut [i16]) {
        self.inner.read(clock_rate, out);
        self.meter.record_level(pcm_dbfs(out));
    }
}

/// Any sink with the level of what it plays measured.
pub struct MeteredSink<S> {
    pub inner: S,
    pub meter: LevelMeter,
}

impl<S: AudioSink> AudioSink for MeteredSink<S> {
    fn write(&mut self, clock_rate: u32, pcm: &[i16]) {
        self.meter.record_level(pcm_dbfs(pcm));
        self.inner.write(clock_rate, pcm);
    }
}

/// Both directions' meters.
#[derive(Debug, Clone, Default)]
pub struct Levels {
    pub input: LevelMeter,
    pub output: LevelMeter,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_scale_sine_reads_minus_3_dbfs_and_silence_the_floor() {
        let sine: Vec<f32> = (0..480)
            .map(|i| (std::f32::consts::TAU * 1000.0 * i as f32 / 48_000.0).sin())
            .collect();
        assert!((rms_dbfs(&sine) + 3.01).abs() < 0.05, "{}", rms_dbfs(&sine));
        assert_eq!(rms_dbfs(&[0.0; 480]), SILENCE_DBFS);
        let m = LevelMeter::default();
        m.record(&[0.0; 480]);
        m.record(&sine);
        m.record(&[0.0; 480]);
        assert!((m.take() + 3.01).abs() < 0.05);
        assert_eq!(m.take(), SILENCE_DBFS);
    }
}
