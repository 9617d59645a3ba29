//! WAV files as microphone and speaker, so the same pipeline runs headless.

use super::AudioError;
use crate::media::{AudioSink, AudioSource};
use std::path::Path;

fn wav_error(path: &Path, why: impl ToString) -> AudioError {
    AudioError::Wav {
        path: path.display().to_string(),
        why: why.to_string(),
    }
}

/// Plays a WAV file (mono or the first channel, 16-bit or float) at whatever rate the
/// codec asks for, then silence. Resampling here is linear: test audio, not music.
pub struct WavSource {
    samples: Vec<f32>,
    rate: u32,
    pos: f64,
}

impl WavSource {
    pub fn open(path: &Path) -> Result<Self, AudioError> {
        let mut reader = hound::WavReader::open(path).map_err(|e| wav_error(path, e))?;
        let spec = reader.spec();
        let channels = usize::from(spec.channels.max(1));
        let all: Vec<f32> = match spec.sample_format {
            hound::SampleFormat::Float => reader
                .samples::<f32>()
                .collect::<Result<_, _>>()
                .map_err(|e| wav_error(path, e))?,
            hound::SampleFormat::Int => {
                let scale = (1u64 << (spec.bits_per_sample.clamp(1, 32) - 1)) as f32;
                reader
                    .samples::<i32>()
                    .map(|s| s.map(|v| v as f32 / scale))
                    .collect::<Result<_, _>>()
                    .map_err(|e| wav_error(path, e))?
            }
        };
        let samples = all.into_iter().step_by(channels).collect();
        Ok(Self {
            samples,
            rate: spec.sample_rate,
            pos: 0.0,
        })
    }
}

impl AudioSource for WavSource {
    fn read(&mut self, clock_rate: u32, out: &mut [i16]) {
        let step = f64::from(self.rate) / f64::from(clock_rate.max(1));
        for o in out.iter_mut() {
            let i = self.pos as usize;
            let frac = (self.pos - i as f64) as f32;
            let v = match (self.samples.get(i), self.samples.get(i + 1)) {
                (Some(a), Some(b)) => a + (b - a) * frac,
                (Some(a), None) => *a,
                _ => 0.0,
            };
            *o = (v.clamp(-1.0, 1.0) * f32::from(i16::MAX)) as i16;
            self.pos += step;
        }
    }
}

/// Records what the far end sends, at the codec rate, to a WAV file.
pub struct WavSink {
    path: std::path::PathBuf,
    writer: Option<hound::WavWriter<std::io::BufWriter<std::fs::File>>>,
}

impl WavSink {
    pub fn create(path: &Path) -> Result<Self, AudioError> {
        // Fail early on an unwritable path; the file is (re)written once the rate is known.
        std::fs::File::create(path).map_err(|e| wav_error(path, e))?;
        Ok(Self {
            path: path.to_owned(),
            writer: None,
        })
    }
}

impl AudioSink for WavSink {
    fn write(&mut self, clock_rate: u32, pcm: &[i16]) {
        if self.writer.is_none() {
            let spec = hound::WavSpec {
                channels: 1,
                sample_rate: clock_rate,
                bits_per_sample: 16,
                sample_format: hound::SampleFormat::Int,
            };
            match hound::WavWriter::create(&self.path, spec) {
                Ok(w) => self.writer = Some(w),
                Err(e) => {
                    tracing::error!(error = %e, path = %self.path.display(), "cannot write the recording");
                    return;
                }
            }
        }
        if let Some(w) = self.writer.as_mut() {
            for &s in pcm {
                if w.write_sample(s).is_err() {
                    break;
                }
            }
        }
    }
}

impl Drop for WavSink {
    fn drop(&mut self) {
        if let Some(w) = self.writer.take()
            && let Err(e) = w.finalize()
        {
            tracing::error!(error = %e, "finishing the recording");
        }
    }
}
