//! `make bench`, audio part: the resampler's throughput (× realtime) and SNR, and the
//! cost of voice processing, quoted against libopus encode+decode of the same audio
//! measured in the same run.

use dialtone_core::audio::resample::{BlockResampler, sine_snr_db};
use dialtone_core::audio::voice::{FRAME, VoiceControl, VoiceProcessor, VoiceSettings};
use dialtone_e2e::bench::{opus_round_trip, report};
use ringbuf::traits::{Producer, Split};
use std::time::{Duration, Instant};

const RUNS: usize = 20;
const SECS: u32 = 10;

fn sine(rate: u32, secs: u32) -> Vec<f32> {
    (0..rate * secs)
        .map(|i| (0.5 * (std::f64::consts::TAU * 1000.0 * f64::from(i) / f64::from(rate)).sin()) as f32)
        .collect()
}

fn wall() -> Duration {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    START.get_or_init(Instant::now).elapsed()
}

fn resample(from: u32, to: u32, input: &[f32]) -> (Vec<f32>, BlockResampler) {
    let mut r = BlockResampler::new(from, to).expect("rates");
    let mut out = Vec::with_capacity(input.len() * to as usize / from as usize + 1);
    r.process_all(input, &mut out).expect("resample");
    (out, r)
}

fn main() {
    println!("audio: resampler ({SECS} s of 1 kHz per run, 10 ms blocks, {RUNS} runs, release)");
    let opus: Vec<f64> = (0..RUNS)
        .map(|_| opus_round_trip(SECS, wall).as_secs_f64())
        .collect();
    let opus_x = report(
        "reference: libopus enc+dec, × realtime",
        "x",
        opus.iter().map(|t| f64::from(SECS) / t).collect(),
    );
    for (from, to) in [
        (48_000, 8_000),
        (8_000, 48_000),
        (44_100, 48_000),
        (48_000, 44_100),
        (48_000, 16_000),
    ] {
        let input = sine(from, SECS);
        let times: Vec<f64> = (0..RUNS)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(resample(from, to, &input));
                t.elapsed().as_secs_f64()
            })
            .collect();
        let x = report(
            &format!(
                "resample {}k→{}k, × realtime",
                f64::from(from) / 1000.0,
                f64::from(to) / 1000.0
            ),
            "x",
            times.iter().map(|t| f64::from(SECS) / t).collect(),
        );
        let blocks = f64::from(SECS) * 100.0;
        report(
            "  µs per 10 ms block",
            "µs",
            times.iter().map(|t| t / blocks * 1e6).collect(),
        );
        println!(
            "{:<44} {:>15.1}        (resampling is that many times faster than Opus)",
            "  ratio to libopus enc+dec",
            x / opus_x
        );
    }
    // SNR of a 1 kHz tone, after the resampler's delay.
    let input = sine(48_000, 2);
    let (mid, down) = resample(48_000, 8_000, &input);
    let (back, up) = resample(8_000, 48_000, &mid);
    let skip = 6 * down.delay() + up.delay() + 480;
    let snr = sine_snr_db(&back[skip..back.len() - 480], 48_000, 1000.0);
    println!("{:<44} {snr:>15.1} dB", "snr: 1 kHz 48k→8k→48k");
    let input = sine(44_100, 2);
    let (out, r) = resample(44_100, 48_000, &input);
    let snr = sine_snr_db(&out[r.delay() + 480..out.len() - 480], 48_000, 1000.0);
    println!("{:<44} {snr:>15.1} dB", "snr: 1 kHz 44.1k→48k");
    voice_processing(opus_x);
}

/// Echo cancellation, noise suppression and gain control on the microphone, with the
/// speaker's reference fed as in a call: × realtime per setting.
fn voice_processing(opus_x: f64) {
    let input = sine(48_000, SECS);
    for settings in [
        VoiceSettings::ON,
        VoiceSettings {
            echo_cancellation: true,
            ..VoiceSettings::OFF
        },
    ] {
        let times: Vec<f64> = (0..RUNS)
            .map(|_| {
                let mut p = VoiceProcessor::new(VoiceControl::new(settings)).expect("processor");
                let (mut speaker, played) = ringbuf::HeapRb::<f32>::new(48_000).split();
                p.set_reference(played, 48_000);
                let mut frame = [0.0f32; FRAME];
                let t = Instant::now();
                for block in input.chunks_exact(FRAME) {
                    speaker.push_slice(block);
                    frame.copy_from_slice(block);
                    p.capture(&mut frame);
                }
                std::hint::black_box(frame);
                t.elapsed().as_secs_f64()
            })
            .collect();
        let x = report(
            &format!("voice processing {settings}, × realtime"),
            "x",
            times.iter().map(|t| f64::from(SECS) / t).collect(),
        );
        println!(
            "{:<44} {:>15.2}        (voice processing is that many times faster than Opus)",
            "  ratio to libopus enc+dec",
            x / opus_x
        );
    }
}
