//! `make bench`, voice processing: what the echo canceller, noise suppressor and gain
//! control do to a call's microphone, on one synthetic echo scene (48 kHz, 10 ms frames):
//!
//! - 0–2 s the near end talks alone: the delay processing adds to it (the lag that lines
//!   the output up best with the microphone);
//! - 2–10 s far-end speech leaks from the speaker into the microphone over two paths
//!   (40 ms at -6 dB, 55 ms at -14 dB), all above a -60 dBFS noise floor: the time until
//!   every later 100 ms with echo in it stays 10 dB below the echo, and the echo return
//!   loss enhancement once converged (7–10 s);
//! - 10–12 s both talk (double talk): how much of the near end's level is left.
//!
//! CPU per 10 ms frame is with everything on.
//!
//! Each processor under test is one `Apm`: libwebrtc-audio-processing 0.3 (the system
//! library, as Dialtone used it) and sonora (a pure-Rust port of today's WebRTC AEC3, NS
//! and AGC2).

use dialtone_core::audio::voice::speech_like;
use std::time::Instant;

const RATE: usize = 48_000;
const FRAME: usize = RATE / 100;
const SECS: usize = 12;
const NEAR_ALONE: std::ops::Range<usize> = 0..2 * RATE;
const FAR_ALONE: std::ops::Range<usize> = 2 * RATE..10 * RATE;
const DOUBLE_TALK: std::ops::Range<usize> = 10 * RATE..12 * RATE;

trait Apm {
    fn render(&mut self, frame: &[f32]);
    fn capture(&mut self, frame: &mut [f32]);
}

#[derive(Clone, Copy, PartialEq)]
enum Parts {
    EchoOnly,
    All,
}

struct Legacy(webrtc_audio_processing::Processor);

impl Legacy {
    fn new(parts: Parts) -> Self {
        use webrtc_audio_processing as w;
        let mut p = w::Processor::new(&w::InitializationConfig {
            num_capture_channels: 1,
            num_render_channels: 1,
            ..Default::default()
        })
        .expect("libwebrtc-audio-processing");
        // As `dialtone_core::audio::voice` configures it.
        p.set_config(w::Config {
            echo_cancellation: Some(w::EchoCancellation {
                suppression_level: w::EchoCancellationSuppressionLevel::High,
                enable_extended_filter: true,
                enable_delay_agnostic: true,
                stream_delay_ms: None,
            }),
            noise_suppression: (parts == Parts::All).then_some(w::NoiseSuppression {
                suppression_level: w::NoiseSuppressionLevel::High,
            }),
            gain_control: (parts == Parts::All).then_some(w::GainControl {
                mode: w::GainControlMode::AdaptiveDigital,
                target_level_dbfs: 3,
                compression_gain_db: 9,
                enable_limiter: true,
            }),
            voice_detection: None,
            enable_transient_suppressor: false,
            enable_high_pass_filter: true,
        });
        Self(p)
    }
}

impl Apm for Legacy {
    fn render(&mut self, frame: &[f32]) {
        let mut f = frame.to_vec();
        self.0.process_render_frame(&mut f).expect("render");
    }
    fn capture(&mut self, frame: &mut [f32]) {
        self.0.process_capture_frame(frame).expect("capture");
    }
}

struct Sonora(sonora::AudioProcessing, Vec<f32>);

impl Sonora {
    fn new(parts: Parts) -> Self {
        use sonora::config::{
            AdaptiveDigital, EchoCanceller, GainController2, HighPassFilter, NoiseSuppression,
            NoiseSuppressionLevel,
        };
        let all = parts == Parts::All;
        let config = sonora::Config {
            high_pass_filter: Some(HighPassFilter::default()),
            echo_canceller: Some(EchoCanceller::default()),
            noise_suppression: all.then(|| NoiseSuppression {
                level: NoiseSuppressionLevel::High,
                ..Default::default()
            }),
            gain_controller2: all.then(|| GainController2 {
                adaptive_digital: Some(AdaptiveDigital::default()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let apm = sonora::AudioProcessing::builder()
            .config(config)
            .capture_config(sonora::StreamConfig::new(RATE as u32, 1))
            .render_config(sonora::StreamConfig::new(RATE as u32, 1))
            .build();
        Self(apm, vec![0.0; FRAME])
    }
}

impl Apm for Sonora {
    fn render(&mut self, frame: &[f32]) {
        self.0
            .process_render_f32(&[frame], &mut [&mut self.1[..]])
            .expect("render");
    }
    fn capture(&mut self, frame: &mut [f32]) {
        self.1.copy_from_slice(frame);
        self.0
            .process_capture_f32(&[&self.1[..]], &mut [frame])
            .expect("capture");
    }
}

struct Scene {
    far: Vec<f32>,
    echo: Vec<f32>,
    near: Vec<f32>,
    noise: Vec<f32>,
}

fn scene() -> Scene {
    let n = SECS * RATE;
    let speech = speech_like(n, 0.0);
    let far: Vec<f32> = (0..n)
        .map(|i| if i >= FAR_ALONE.start { speech[i] } else { 0.0 })
        .collect();
    let (d1, d2) = (RATE * 40 / 1000, RATE * 55 / 1000);
    let echo = (0..n)
        .map(|i| {
            let a = if i >= d1 { 0.5 * far[i - d1] } else { 0.0 };
            let b = if i >= d2 { 0.2 * far[i - d2] } else { 0.0 };
            a + b
        })
        .collect();
    let talk = speech_like(n, 2.0);
    let near = (0..n)
        .map(|i| {
            if NEAR_ALONE.contains(&i) || DOUBLE_TALK.contains(&i) {
                0.8 * talk[i]
            } else {
                0.0
            }
        })
        .collect();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let noise = (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            ((state >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.002
        })
        .collect();
    Scene {
        far,
        echo,
        near,
        noise,
    }
}

/// The microphone through `apm`, the speaker fed first as a device would.
fn run(apm: &mut dyn Apm, s: &Scene) -> Vec<f32> {
    let mut out = Vec::with_capacity(s.far.len());
    let mut mic = [0.0f32; FRAME];
    for start in (0..s.far.len()).step_by(FRAME) {
        apm.render(&s.far[start..start + FRAME]);
        for (i, m) in mic.iter_mut().enumerate() {
            let k = start + i;
            *m = s.echo[k] + s.near[k] + s.noise[k];
        }
        apm.capture(&mut mic);
        out.extend_from_slice(&mic);
    }
    out
}

fn energy(x: &[f32]) -> f64 {
    x.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / x.len().max(1) as f64
}

fn db(ratio: f64) -> f64 {
    10.0 * ratio.max(1e-12).log10()
}

/// ERLE over `range`: echo in the microphone against what is left of it.
fn erle(s: &Scene, out: &[f32], range: std::ops::Range<usize>) -> f64 {
    db(energy(&s.echo[range.clone()]) / energy(&out[range]))
}

/// Time since the far end began talking from which every 100 ms window with echo in it
/// (20 dB above the noise floor) stays 10 dB below the echo, until the double talk.
fn convergence_ms(s: &Scene, out: &[f32]) -> Option<f64> {
    let win = RATE / 10;
    let floor = energy(&s.noise);
    let windows: Vec<bool> = (FAR_ALONE.start / win..FAR_ALONE.end / win)
        .map(|w| {
            let r = w * win..(w + 1) * win;
            energy(&s.echo[r.clone()]) < 100.0 * floor || erle(s, out, r) >= 10.0
        })
        .collect();
    match windows.iter().rposition(|ok| !ok) {
        None => Some(0.0),
        Some(i) if i + 1 < windows.len() => Some(((i + 1) * 100) as f64),
        Some(_) => None,
    }
}

/// The near end talking alone: the lag (up to 30 ms) at which the output matches the
/// microphone best, gain aside.
fn delay_ms(s: &Scene, out: &[f32]) -> f64 {
    // After the first half second, once gain control has settled.
    let range = NEAR_ALONE.start + RATE / 2..NEAR_ALONE.end - RATE * 30 / 1000;
    let near = &s.near[range.clone()];
    let norm = |x: &[f32]| x.iter().map(|a| f64::from(*a).powi(2)).sum::<f64>().sqrt();
    let best = (0..=RATE * 30 / 1000).max_by(|&a, &b| {
        let score = |lag: usize| {
            let o = &out[range.start + lag..range.end + lag];
            let dot: f64 = near
                .iter()
                .zip(o)
                .map(|(x, y)| f64::from(*x) * f64::from(*y))
                .sum();
            dot / (norm(near) * norm(o)).max(1e-12)
        };
        score(a).total_cmp(&score(b))
    });
    best.unwrap_or(0) as f64 * 1000.0 / RATE as f64
}

/// The near end's level in the output during double talk against its level in the
/// microphone (the residual echo is 30 dB down and does not count).
fn double_talk_db(s: &Scene, out: &[f32]) -> f64 {
    let range = DOUBLE_TALK.start + RATE / 2..DOUBLE_TALK.end;
    db(energy(&out[range.clone()]) / energy(&s.near[range]))
}

fn cpu_us_per_frame(make: &dyn Fn() -> Box<dyn Apm>, s: &Scene) -> f64 {
    let runs: Vec<f64> = (0..5)
        .map(|_| {
            let mut apm = make();
            let t = Instant::now();
            std::hint::black_box(run(apm.as_mut(), s));
            t.elapsed().as_secs_f64() * 1e6 / (s.far.len() / FRAME) as f64
        })
        .collect();
    dialtone_e2e::bench::median(runs)
}

fn main() {
    let s = scene();
    println!("voice processing: one echo scene, {SECS} s at 48 kHz (release)");
    println!(
        "{:<28} {:>8} {:>10} {:>11} {:>11} {:>9}",
        "", "ERLE dB", "converged", "double talk", "delay ms", "µs/frame"
    );
    type Make = Box<dyn Fn(Parts) -> Box<dyn Apm>>;
    let candidates: [(&str, Make); 2] = [
        (
            "libwebrtc-audio-processing",
            Box::new(|p| Box::new(Legacy::new(p))),
        ),
        ("sonora", Box::new(|p| Box::new(Sonora::new(p)))),
    ];
    for (name, make) in &candidates {
        let out = run(make(Parts::EchoOnly).as_mut(), &s);
        let erle = erle(&s, &out, 7 * RATE..FAR_ALONE.end);
        let converged = convergence_ms(&s, &out).map_or("never".to_owned(), |ms| format!("{ms:.0} ms"));
        let dt = double_talk_db(&s, &out);
        let delay = delay_ms(&s, &out);
        let delay_all = delay_ms(&s, &run(make(Parts::All).as_mut(), &s));
        let cpu = cpu_us_per_frame(&|| make(Parts::All), &s);
        println!(
            "{name:<28} {erle:>8.1} {converged:>10} {:>11} {:>11} {cpu:>9.1}",
            format!("{dt:+.1} dB"),
            format!("{delay:.1}/{delay_all:.1}")
        );
    }
    println!("(ERLE, convergence and double talk with the echo canceller alone; delay with it alone/all");
    println!(" on; CPU with echo canceller, noise suppression, gain control and high-pass filter on)");
}
