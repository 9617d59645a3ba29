//! Voice processing: WebRTC's echo canceller, noise suppressor and gain control, as
//! PulseAudio packages them (libwebrtc-audio-processing), at 48 kHz in 10 ms frames.
//! The microphone's frames are cleaned; what the speaker's callback actually played is
//! the echo canceller's reference, fed just before each microphone frame.

use super::AudioError;
use super::resample::BlockResampler;
use ringbuf::HeapCons;
use ringbuf::traits::{Consumer, Observer};
use std::str::FromStr;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use webrtc_audio_processing as apm;

/// The only rate the library processes.
pub const RATE: u32 = 48_000;
/// Samples in one 10 ms frame at [`RATE`].
pub const FRAME: usize = apm::NUM_SAMPLES_PER_FRAME as usize;

/// Which processing runs on the microphone. All on by default.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VoiceSettings {
    pub echo_cancellation: bool,
    pub noise_suppression: bool,
    pub gain_control: bool,
}

impl Default for VoiceSettings {
    fn default() -> Self {
        Self::ON
    }
}

impl VoiceSettings {
    pub const ON: Self = Self {
        echo_cancellation: true,
        noise_suppression: true,
        gain_control: true,
    };
    pub const OFF: Self = Self {
        echo_cancellation: false,
        noise_suppression: false,
        gain_control: false,
    };

    pub fn any(self) -> bool {
        self.echo_cancellation || self.noise_suppression || self.gain_control
    }

    fn bits(self) -> u8 {
        u8::from(self.echo_cancellation)
            | u8::from(self.noise_suppression) << 1
            | u8::from(self.gain_control) << 2
    }

    fn from_bits(b: u8) -> Self {
        Self {
            echo_cancellation: b & 1 != 0,
            noise_suppression: b & 2 != 0,
            gain_control: b & 4 != 0,
        }
    }

    fn config(self) -> apm::Config {
        apm::Config {
            echo_cancellation: self.echo_cancellation.then_some(apm::EchoCancellation {
                suppression_level: apm::EchoCancellationSuppressionLevel::High,
                // The delay from speaker to microphone is unknown (device and server
                // buffers): let the canceller find it, over a longer filter.
                enable_extended_filter: true,
                enable_delay_agnostic: true,
                stream_delay_ms: None,
            }),
            noise_suppression: self.noise_suppression.then_some(apm::NoiseSuppression {
                suppression_level: apm::NoiseSuppressionLevel::High,
            }),
            // Chrome's settings: aim for -3 dBFS with up to 9 dB of gain, and a limiter.
            gain_control: self.gain_control.then_some(apm::GainControl {
                mode: apm::GainControlMode::AdaptiveDigital,
                target_level_dbfs: 3,
                compression_gain_db: 9,
                enable_limiter: true,
            }),
            voice_detection: None,
            enable_transient_suppressor: false,
            enable_high_pass_filter: self.any(),
        }
    }
}

impl std::fmt::Display for VoiceSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if !self.any() {
            return f.write_str("off");
        }
        let names = [
            (self.echo_cancellation, "aec"),
            (self.noise_suppression, "ns"),
            (self.gain_control, "agc"),
        ];
        let on: Vec<&str> = names.iter().filter(|(on, _)| *on).map(|(_, n)| *n).collect();
        f.write_str(&on.join(","))
    }
}

/// `on`, `off`, or a comma-separated choice of `aec`, `ns` and `agc`.
impl FromStr for VoiceSettings {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "on" | "all" => return Ok(Self::ON),
            "off" | "none" => return Ok(Self::OFF),
            _ => {}
        }
        let mut v = Self::OFF;
        for part in s.split(',').map(str::trim) {
            match part {
                "aec" => v.echo_cancellation = true,
                "ns" => v.noise_suppression = true,
                "agc" => v.gain_control = true,
                other => {
                    return Err(format!(
                        "unknown voice processing '{other}': use on, off, or a list of aec, ns, agc"
                    ));
                }
            }
        }
        Ok(v)
    }
}

/// The settings, shared with the calls in progress: a change applies from the next frame.
#[derive(Debug, Clone)]
pub struct VoiceControl(Arc<AtomicU8>);

impl VoiceControl {
    pub fn new(settings: VoiceSettings) -> Self {
        Self(Arc::new(AtomicU8::new(settings.bits())))
    }

    pub fn get(&self) -> VoiceSettings {
        VoiceSettings::from_bits(self.0.load(Ordering::Relaxed))
    }

    pub fn set(&self, settings: VoiceSettings) {
        self.0.store(settings.bits(), Ordering::Relaxed);
    }
}

impl Default for VoiceControl {
    fn default() -> Self {
        Self::new(VoiceSettings::ON)
    }
}

/// What the speaker played, at the device rate, on its way to the echo canceller.
struct Reference {
    samples: HeapCons<f32>,
    to_48k: BlockResampler,
    block: Vec<f32>,
    frame: Vec<f32>,
}

/// One call's processor. Clones share it: the microphone side calls [`capture`], the
/// speaker side hands over what it plays with [`set_reference`].
///
/// [`capture`]: VoiceProcessor::capture
/// [`set_reference`]: VoiceProcessor::set_reference
#[derive(Clone)]
pub struct VoiceProcessor {
    processor: apm::Processor,
    control: VoiceControl,
    applied: Option<VoiceSettings>,
    failed: bool,
    reference: Arc<Mutex<Option<Reference>>>,
}

impl VoiceProcessor {
    pub fn new(control: VoiceControl) -> Result<Self, AudioError> {
        let processor = apm::Processor::new(&apm::InitializationConfig {
            num_capture_channels: 1,
            num_render_channels: 1,
            ..Default::default()
        })
        .map_err(|e| AudioError::Processing(e.to_string()))?;
        Ok(Self {
            processor,
            control,
            applied: None,
            failed: false,
            reference: Arc::default(),
        })
    }

    /// The speaker's played samples at `rate` (a new stream replaces the old one).
    pub fn set_reference(&self, samples: HeapCons<f32>, rate: u32) {
        let to_48k = match BlockResampler::new(rate, RATE) {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "no echo reference at this speaker rate");
                return;
            }
        };
        let r = Reference {
            samples,
            block: vec![0.0; to_48k.input_block()],
            frame: vec![0.0; FRAME],
            to_48k,
        };
        if let Ok(mut slot) = self.reference.lock() {
            *slot = Some(r);
        }
    }

    /// Feeds the echo canceller everything played since the last microphone frame (or
    /// drops it when echo cancellation is off, so it never goes stale).
    fn feed_reference(&mut self, aec: bool) {
        let slot = self.reference.clone();
        let Ok(mut slot) = slot.lock() else { return };
        let Some(r) = slot.as_mut() else { return };
        if !aec {
            r.samples.clear();
            return;
        }
        while r.samples.occupied_len() >= r.block.len() {
            r.samples.pop_slice(&mut r.block);
            if r.to_48k.process(&r.block, &mut r.frame).is_err() {
                continue;
            }
            let res = self.processor.process_render_frame(&mut r.frame);
            self.check(res);
        }
    }

    fn settings(&mut self) -> VoiceSettings {
        let now = self.control.get();
        if self.applied != Some(now) {
            self.processor.set_config(now.config());
            self.applied = Some(now);
            tracing::debug!(settings = %now, "voice processing");
        }
        now
    }

    fn check(&mut self, r: Result<(), apm::Error>) {
        if let Err(e) = r
            && !std::mem::replace(&mut self.failed, true)
        {
            tracing::warn!(error = %e, "voice processing failed; audio passes through unprocessed");
        }
    }

    /// Cleans one microphone frame ([`FRAME`] samples at 48 kHz) in place.
    pub fn capture(&mut self, frame: &mut [f32]) {
        let settings = self.settings();
        self.feed_reference(settings.echo_cancellation);
        if frame.len() != FRAME || !settings.any() {
            return;
        }
        let r = self.processor.process_capture_frame(frame);
        self.check(r);
    }
}

/// Deterministic speech-like sound at 48 kHz for measuring voice processing without a
/// recording: five drifting partials under a syllable envelope (3 Hz). `seed` shifts the
/// phases and raises the pitch by a tenth per unit, so two seeds are two talkers.
pub fn speech_like(n: usize, seed: f32) -> Vec<f32> {
    (0..n)
        .map(|i| {
            let t = i as f32 / RATE as f32;
            let env = (0.5 + 0.5 * (std::f32::consts::TAU * 3.0 * t + seed).sin()).powi(2);
            let tone: f32 = [180.0f32, 360.0, 720.0, 1100.0, 2300.0]
                .iter()
                .enumerate()
                .map(|(k, f)| {
                    let drift = 1.0 + 0.05 * (std::f32::consts::TAU * 0.7 * t + k as f32 + seed).sin();
                    (std::f32::consts::TAU * f * (1.0 + 0.1 * seed) * drift * t).sin() / (k + 1) as f32
                })
                .sum();
            0.2 * env * tone
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_parse_and_print_the_same_way() {
        for (text, want) in [
            ("on", VoiceSettings::ON),
            ("off", VoiceSettings::OFF),
            (
                "aec",
                VoiceSettings {
                    echo_cancellation: true,
                    ..VoiceSettings::OFF
                },
            ),
            (
                "ns,agc",
                VoiceSettings {
                    noise_suppression: true,
                    gain_control: true,
                    ..VoiceSettings::OFF
                },
            ),
        ] {
            let v: VoiceSettings = text.parse().expect(text);
            assert_eq!(v, want);
            assert_eq!(v.to_string().parse::<VoiceSettings>().expect("round trip"), v);
        }
        assert_eq!(VoiceSettings::ON.to_string(), "aec,ns,agc");
        let err = "aec,reverb".parse::<VoiceSettings>().expect_err("unknown");
        assert!(err.contains("reverb") && err.contains("aec, ns, agc"), "{err}");
    }

    #[test]
    fn control_changes_reach_every_clone() {
        let c = VoiceControl::default();
        let d = c.clone();
        d.set(VoiceSettings::OFF);
        assert_eq!(c.get(), VoiceSettings::OFF);
    }

    fn energy_db(x: &[f32]) -> f32 {
        super::super::level::rms_dbfs(x)
    }

    /// The far end's voice leaks from speaker to microphone 40 ms late at -6 dB; the
    /// echo canceller, given the speaker frames, removes most of it from what we send.
    fn residual_echo(settings: VoiceSettings) -> (f32, f32) {
        use ringbuf::traits::{Producer, Split};
        let mut p = VoiceProcessor::new(VoiceControl::new(settings)).expect("processor");
        let (mut speaker, played) = ringbuf::HeapRb::<f32>::new(RATE as usize).split();
        p.set_reference(played, RATE);
        let far = speech_like(RATE as usize * 8, 0.0);
        let delay = RATE as usize * 40 / 1000;
        let (mut before, mut after) = (Vec::new(), Vec::new());
        for (k, frame) in far.chunks_exact(FRAME).enumerate() {
            speaker.push_slice(frame);
            let start = k * FRAME;
            let mut mic: Vec<f32> = (start..start + FRAME)
                .map(|i| if i >= delay { 0.5 * far[i - delay] } else { 0.0 })
                .collect();
            // Judge the last 3 s, once the canceller has converged.
            if start >= RATE as usize * 5 {
                before.extend_from_slice(&mic);
            }
            p.capture(&mut mic);
            if start >= RATE as usize * 5 {
                after.extend_from_slice(&mic);
            }
        }
        (energy_db(&before), energy_db(&after))
    }

    #[test]
    fn echo_cancellation_removes_the_far_end_from_the_microphone() {
        let aec = VoiceSettings {
            echo_cancellation: true,
            ..VoiceSettings::OFF
        };
        let (before, after) = residual_echo(aec);
        eprintln!("echo {before:.1} dBFS → {after:.1} dBFS");
        assert!(before - after > 20.0, "echo {before:.1} dBFS → {after:.1} dBFS");
        let (before, after) = residual_echo(VoiceSettings::OFF);
        assert!(
            (before - after).abs() < 0.01,
            "off must pass through: {before} → {after}"
        );
    }

    /// The level of the frames from `judge_from` on, before and after processing.
    fn before_after(
        settings: VoiceSettings,
        frames: impl Iterator<Item = Vec<f32>>,
        judge_from: usize,
    ) -> (f32, f32) {
        let mut p = VoiceProcessor::new(VoiceControl::new(settings)).expect("processor");
        let (mut before, mut after) = (Vec::new(), Vec::new());
        for (k, mut frame) in frames.enumerate() {
            if k >= judge_from {
                before.extend_from_slice(&frame);
            }
            p.capture(&mut frame);
            if k >= judge_from {
                after.extend_from_slice(&frame);
            }
        }
        (energy_db(&before), energy_db(&after))
    }

    #[test]
    fn noise_suppression_lowers_steady_noise() {
        let ns = VoiceSettings {
            noise_suppression: true,
            ..VoiceSettings::OFF
        };
        let mut seed = 12345u32;
        let noise = (0..300).map(|_| {
            (0..FRAME)
                .map(|_| {
                    seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    (seed >> 8) as f32 / (1u32 << 24) as f32 * 0.1 - 0.05
                })
                .collect()
        });
        let (b, a) = before_after(ns, noise, 200);
        eprintln!("noise {b:.1} dBFS → {a:.1} dBFS");
        assert!(b - a > 10.0, "noise {b:.1} dBFS → {a:.1} dBFS");
    }

    #[test]
    fn gain_control_lifts_a_quiet_talker() {
        let agc = VoiceSettings {
            gain_control: true,
            ..VoiceSettings::OFF
        };
        let quiet: Vec<f32> = speech_like(RATE as usize * 6, 1.0)
            .iter()
            .map(|s| s * 0.05)
            .collect();
        let (b, a) = before_after(agc, quiet.chunks_exact(FRAME).map(<[f32]>::to_vec), 400);
        eprintln!("quiet talker {b:.1} dBFS → {a:.1} dBFS");
        assert!(a - b > 3.0, "quiet talker {b:.1} dBFS → {a:.1} dBFS");
    }

    #[test]
    fn switching_off_mid_call_passes_audio_through() {
        let control = VoiceControl::default();
        let mut p = VoiceProcessor::new(control.clone()).expect("processor");
        let mut f = speech_like(FRAME, 2.0);
        p.capture(&mut f);
        control.set(VoiceSettings::OFF);
        let orig = speech_like(FRAME, 2.0);
        let mut g = orig.clone();
        p.capture(&mut g);
        assert_eq!(g, orig);
    }
}
