//! The PulseAudio side of audio scenarios (inside `scripts/with-pulse.sh`): play a tone
//! into a null sink, record from a monitor, add and remove devices. Uses pacat/pactl.

use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const RATE: u32 = 48_000;

/// A tone playing into `sink` (mono 48 kHz) until dropped.
pub struct Playing(Child);

impl Drop for Playing {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn play_tone(sink: &str, freq: f64, amplitude: f64, secs: f64) -> Playing {
    let n = (f64::from(RATE) * secs) as usize;
    let samples = (0..n)
        .map(|i| {
            (amplitude * (std::f64::consts::TAU * freq * i as f64 / f64::from(RATE)).sin() * 32767.0) as i16
        })
        .collect();
    play(sink, samples)
}

/// Something like a talker for `secs`: drifting partials in 3 Hz syllables.
pub fn voice_like(secs: f64) -> Vec<i16> {
    let n = (f64::from(RATE) * secs) as usize;
    (0..n)
        .map(|i| {
            let t = i as f64 / f64::from(RATE);
            let env = (0.5 + 0.5 * (std::f64::consts::TAU * 3.0 * t).sin()).powi(2);
            let v: f64 = [180.0f64, 360.0, 720.0, 1100.0, 2300.0]
                .iter()
                .enumerate()
                .map(|(k, f)| {
                    let drift = 1.0 + 0.05 * (std::f64::consts::TAU * 0.7 * t + k as f64).sin();
                    (std::f64::consts::TAU * f * drift * t).sin() / (k + 1) as f64
                })
                .sum();
            (0.2 * env * v * 32767.0) as i16
        })
        .collect()
}

/// Mono 48 kHz samples playing into `sink` until dropped.
pub fn play(sink: &str, samples: Vec<i16>) -> Playing {
    let mut child = Command::new("pacat")
        .args([
            "--playback",
            "-d",
            sink,
            "--format=s16le",
            "--rate=48000",
            "--channels=1",
            "--latency-msec=20",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("pacat (package pulseaudio-utils)");
    let mut stdin = child.stdin.take().expect("stdin");
    std::thread::spawn(move || {
        let bytes: Vec<u8> = samples.iter().flat_map(|v| v.to_le_bytes()).collect();
        let _ = stdin.write_all(&bytes);
    });
    Playing(child)
}

/// Records `secs` of mono 48 kHz from `source`.
pub fn record(source: &str, secs: f64) -> Vec<i16> {
    let mut child = Command::new("parec")
        .args([
            "-d",
            source,
            "--format=s16le",
            "--rate=48000",
            "--channels=1",
            "--latency-msec=20",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("parec (package pulseaudio-utils)");
    let mut out = child.stdout.take().expect("stdout");
    let want = (f64::from(RATE) * secs) as usize * 2;
    let mut bytes = vec![0u8; want];
    let mut got = 0;
    while got < want {
        match out.read(&mut bytes[got..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => got += n,
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    bytes[..got]
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect()
}

/// Adds a null sink; returns its module index.
pub fn add_sink(name: &str) -> String {
    let out = Command::new("pactl")
        .args([
            "load-module",
            "module-null-sink",
            &format!("sink_name={name}"),
            "rate=48000",
        ])
        .arg(format!("sink_properties=device.description={name}"))
        .output()
        .expect("pactl");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// The sample rate PulseAudio runs `device` (a sink or source name) at, from `pactl list short`.
pub fn sample_rate(device: &str) -> u32 {
    for what in ["sinks", "sources"] {
        let out = Command::new("pactl")
            .args(["list", "short", what])
            .output()
            .expect("pactl");
        let text = String::from_utf8_lossy(&out.stdout);
        let rate = text
            .lines()
            .filter(|l| l.split('\t').nth(1) == Some(device))
            .flat_map(|l| l.split_whitespace())
            .find_map(|w| w.strip_suffix("Hz")?.parse().ok());
        if let Some(rate) = rate {
            return rate;
        }
    }
    panic!("PulseAudio has no device {device}")
}

/// Unplugs a device: unloads its module.
pub fn remove_module(index: &str) {
    let out = Command::new("pactl")
        .args(["unload-module", index])
        .output()
        .expect("pactl");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

pub const SETTLE: Duration = Duration::from_millis(300);

/// Devices for scenarios that send a steady test tone: without voice processing, which
/// suppresses a steady tone as noise and, once the echo far end plays it back, takes it
/// for echo.
pub fn tone_devices(
    input: Option<&str>,
    output: Option<&str>,
) -> std::sync::Arc<dialtone_core::audio::DeviceBackend> {
    let b = dialtone_core::audio::DeviceBackend::new(input.map(Into::into), output.map(Into::into));
    b.voice().set(dialtone_core::audio::VoiceSettings::OFF);
    std::sync::Arc::new(b)
}

/// A call to the sandbox's echo (+15550100) on `backend`'s devices, connected.
pub async fn echo_call(
    sandbox: &dialtone_sandbox::Sandbox,
    backend: std::sync::Arc<dialtone_core::audio::DeviceBackend>,
) -> crate::line::Line {
    call(sandbox, backend, "+15550100").await
}

/// A connected call to `number` on `backend`'s devices.
pub async fn call(
    sandbox: &dialtone_sandbox::Sandbox,
    backend: std::sync::Arc<dialtone_core::audio::DeviceBackend>,
    number: &str,
) -> crate::line::Line {
    let audio: std::sync::Arc<dyn dialtone_core::audio::AudioBackend> = backend;
    let a = crate::line::line_with_audio(
        crate::line::provider(sandbox, Duration::from_secs(5)),
        audio,
        dialtone_core::media::io::RecordingSink::new(),
    );
    a.dial(number).await;
    a.wait("Connected", Duration::from_secs(10)).await;
    a
}

/// The loudest 10 ms of `backend`'s input (what we send) over `window`, in dBFS.
pub async fn input_level_over(backend: &dialtone_core::audio::DeviceBackend, window: Duration) -> f32 {
    use dialtone_core::audio::AudioBackend;
    let levels = backend.levels();
    levels.input.take();
    tokio::time::sleep(window).await;
    levels.input.take()
}

/// The strongest of `candidates` in a second of what the speaker plays.
pub async fn speaker_tone(candidates: &'static [f64]) -> Option<f64> {
    let heard = tokio::task::spawn_blocking(|| record("speaker.monitor", 1.0))
        .await
        .ok()?;
    dialtone_core::media::analysis::dominant_frequency(&heard, RATE, candidates).map(|(f, _)| f)
}

/// How many connections this process holds to the sound server: cpal names each
/// `cpal-pulseaudio-<pid>`.
pub fn our_connections() -> usize {
    let name = format!("application.name = \"cpal-pulseaudio-{}\"", std::process::id());
    let out = Command::new("pactl")
        .args(["list", "clients"])
        .output()
        .expect("pactl");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.trim() == name)
        .count()
}
