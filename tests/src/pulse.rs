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
    let n = (f64::from(RATE) * secs) as usize;
    std::thread::spawn(move || {
        let bytes: Vec<u8> = (0..n)
            .flat_map(|i| {
                let v = (amplitude
                    * (std::f64::consts::TAU * freq * i as f64 / f64::from(RATE)).sin()
                    * 32767.0) as i16;
                v.to_le_bytes()
            })
            .collect();
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

/// Unplugs a device: unloads its module.
pub fn remove_module(index: &str) {
    let out = Command::new("pactl")
        .args(["unload-module", index])
        .output()
        .expect("pactl");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

pub const SETTLE: Duration = Duration::from_millis(300);

/// A call to the sandbox's echo (+15550100) on `backend`'s devices, connected.
pub async fn echo_call(
    sandbox: &dialtone_sandbox::Sandbox,
    backend: std::sync::Arc<dialtone_core::audio::DeviceBackend>,
) -> crate::line::Line {
    let audio = dialtone_core::audio::factory(backend);
    let a = crate::line::line_with_audio(
        crate::line::provider(sandbox, Duration::from_secs(5)),
        audio,
        dialtone_core::media::io::RecordingSink::new(),
    );
    a.dial("+15550100").await;
    a.wait("Connected", Duration::from_secs(10)).await;
    a
}

/// The strongest of `candidates` in a second of what the speaker plays.
pub async fn speaker_tone(candidates: &'static [f64]) -> Option<f64> {
    let heard = tokio::task::spawn_blocking(|| record("speaker.monitor", 1.0))
        .await
        .ok()?;
    dialtone_core::media::analysis::dominant_frequency(&heard, RATE, candidates).map(|(f, _)| f)
}
