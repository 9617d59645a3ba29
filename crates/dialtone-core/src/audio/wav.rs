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

/// The rate every recording is written at, whatever the codecs of the call: one rate
/// for the whole file, so the header always matches the samples.
pub const RECORDING_RATE: u32 = 48_000;

/// Plays a WAV file (mono or the first channel, 16-bit or float) at whatever rate the
/// codec asks for, then silence. The file is resampled with rubato (band-limited, as on
/// the device path), once per codec rate: a 16 kHz file into an 8 kHz codec is low-passed,
/// not decimated.
pub struct WavSource {
    path: std::path::PathBuf,
    samples: Vec<f32>,
    rate: u32,
    /// The file at the rate last asked for.
    at_rate: Option<(u32, Vec<f32>)>,
    /// Seconds of the file already played, so a codec change mid-call keeps its place.
    played_s: f64,
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
        if spec.sample_rate == 0 {
            return Err(wav_error(path, "its sample rate is 0"));
        }
        let samples = all.into_iter().step_by(channels).collect();
        Ok(Self {
            path: path.to_owned(),
            samples,
            rate: spec.sample_rate,
            at_rate: None,
            played_s: 0.0,
        })
    }

    fn at(&mut self, rate: u32) -> &[f32] {
        if self.at_rate.as_ref().is_none_or(|(r, _)| *r != rate) {
            let resampled = match super::resample::resample_whole(&self.samples, self.rate, rate) {
                Ok(r) => r,
                Err(e) => {
                    tracing::error!(error = %e, path = %self.path.display(), "cannot resample the file; sending silence");
                    Vec::new()
                }
            };
            self.at_rate = Some((rate, resampled));
        }
        self.at_rate.as_ref().map_or(&[], |(_, s)| s.as_slice())
    }
}

impl AudioSource for WavSource {
    fn read(&mut self, clock_rate: u32, out: &mut [i16]) {
        let rate = clock_rate.max(1);
        let start = (self.played_s * f64::from(rate)).round() as usize;
        let samples = self.at(rate);
        for (i, o) in out.iter_mut().enumerate() {
            let v = samples.get(start + i).copied().unwrap_or(0.0);
            *o = (v.clamp(-1.0, 1.0) * f32::from(i16::MAX)) as i16;
        }
        self.played_s += out.len() as f64 / f64::from(rate);
    }
}

/// Records what the far end sends to a WAV file at [`RECORDING_RATE`]: audio at another
/// codec rate (G.711's 8 kHz) is resampled, 10 ms at a time, before it is written.
pub struct WavSink {
    path: std::path::PathBuf,
    writer: Option<hound::WavWriter<std::io::BufWriter<std::fs::File>>>,
    resampler: Option<super::resample::BlockResampler>,
    /// Samples at the codec rate waiting for a whole 10 ms block.
    pending: Vec<f32>,
    block: Vec<f32>,
}

impl WavSink {
    pub fn create(path: &Path) -> Result<Self, AudioError> {
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: RECORDING_RATE,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let writer = hound::WavWriter::create(path, spec).map_err(|e| wav_error(path, e))?;
        Ok(Self {
            path: path.to_owned(),
            writer: Some(writer),
            resampler: None,
            pending: Vec::new(),
            block: Vec::new(),
        })
    }

    fn put(&mut self, samples: impl IntoIterator<Item = f32>) {
        if let Some(w) = self.writer.as_mut() {
            for s in samples {
                let v = (s.clamp(-1.0, 1.0) * f32::from(i16::MAX)) as i16;
                if let Err(e) = w.write_sample(v) {
                    tracing::error!(error = %e, path = %self.path.display(), "cannot write the recording");
                    self.writer = None;
                    return;
                }
            }
        }
    }
}

impl AudioSink for WavSink {
    fn write(&mut self, clock_rate: u32, pcm: &[i16]) {
        let as_f32 = pcm.iter().map(|&s| f32::from(s) / f32::from(i16::MAX));
        if clock_rate == RECORDING_RATE {
            self.put(as_f32);
            return;
        }
        if self.resampler.as_ref().is_none_or(|r| r.rates().0 != clock_rate) {
            match super::resample::BlockResampler::new(clock_rate, RECORDING_RATE) {
                Ok(r) => {
                    self.block = vec![0.0; r.output_block()];
                    self.resampler = Some(r);
                    self.pending.clear();
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot record audio at this rate");
                    return;
                }
            }
        }
        self.pending.extend(as_f32);
        let Some(r) = self.resampler.as_mut() else {
            return;
        };
        let n = r.input_block();
        let whole = self.pending.len() / n * n;
        let mut out = Vec::with_capacity(whole / n * self.block.len());
        for chunk in self.pending[..whole].chunks_exact(n) {
            if let Err(e) = r.process(chunk, &mut self.block) {
                tracing::error!(error = %e, "resampling the recording");
                return;
            }
            out.extend_from_slice(&self.block);
        }
        self.pending.drain(..whole);
        self.put(out);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::resample::sine_snr_db;

    fn tone(rate: u32, freq: f64, seconds: f64) -> Vec<i16> {
        (0..(f64::from(rate) * seconds) as usize)
            .map(|i| {
                ((std::f64::consts::TAU * freq * i as f64 / f64::from(rate)).sin() * 0.5 * 32767.0) as i16
            })
            .collect()
    }

    fn write_wav(path: &Path, rate: u32, samples: &[i16]) {
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(path, spec).expect("create");
        for &s in samples {
            w.write_sample(s).expect("write");
        }
        w.finalize().expect("finalize");
    }

    fn rms(x: &[i16]) -> f64 {
        (x.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / x.len().max(1) as f64).sqrt()
    }

    #[test]
    fn a_g711_recording_has_the_rate_its_header_says() {
        let path = std::env::temp_dir().join(format!("dialtone-rec-{}.wav", uuid::Uuid::new_v4()));
        {
            let mut sink = WavSink::create(&path).expect("create");
            // Silence at 48 kHz before the answer, then one second of a G.711 call.
            sink.write(48_000, &[0; 960]);
            for frame in tone(8_000, 1_000.0, 1.0).chunks(160) {
                sink.write(8_000, frame);
            }
        }
        let mut reader = hound::WavReader::open(&path).expect("open");
        assert_eq!(reader.spec().sample_rate, RECORDING_RATE);
        let samples: Vec<f32> = reader
            .samples::<i16>()
            .map(|s| f32::from(s.expect("sample")) / 32767.0)
            .collect();
        std::fs::remove_file(&path).ok();
        // 20 ms of silence and about a second of tone, at 48 kHz: the tone is 1 kHz in
        // the file, not 6 kHz (8 kHz samples under a 48 kHz header would be).
        assert!((48_000..49_920).contains(&samples.len()), "{}", samples.len());
        let snr = sine_snr_db(&samples[4_800..40_000], RECORDING_RATE, 1_000.0);
        assert!(snr > 30.0, "1 kHz SNR {snr:.1} dB");
    }

    #[test]
    fn a_16k_file_into_an_8k_codec_keeps_1k_and_does_not_alias_6k() {
        let path = std::env::temp_dir().join(format!("dialtone-src-{}.wav", uuid::Uuid::new_v4()));
        let mut both = tone(16_000, 1_000.0, 1.0);
        write_wav(&path, 16_000, &both);
        let read_at = |path: &Path| {
            let mut src = WavSource::open(path).expect("open");
            let mut out = Vec::new();
            let mut frame = [0i16; 160];
            for _ in 0..50 {
                src.read(8_000, &mut frame);
                out.extend_from_slice(&frame);
            }
            out
        };
        let at_8k: Vec<f32> = read_at(&path).iter().map(|&s| f32::from(s) / 32767.0).collect();
        let snr = sine_snr_db(&at_8k[800..7_200], 8_000, 1_000.0);
        assert!(snr > 30.0, "1 kHz through 16k→8k: SNR {snr:.1} dB");

        // 6 kHz is above 8 kHz's Nyquist: decimation would fold it to 2 kHz at full level.
        both = tone(16_000, 6_000.0, 1.0);
        write_wav(&path, 16_000, &both);
        let aliased = read_at(&path);
        std::fs::remove_file(&path).ok();
        let level = rms(&aliased[800..7_200]) / rms(&both);
        assert!(
            level < 0.01,
            "6 kHz leaked into the 8 kHz band at {:.1} dB",
            20.0 * level.log10()
        );
    }
}
