//! No sound server when the call starts: the devices fail to open with a clear error,
//! the call connects and goes on without audio, and the pipeline retries; once PulseAudio
//! is up, audio flows without anything else being done.
//!
//! One test in its own binary: it points `XDG_RUNTIME_DIR` at a directory of its own
//! before any thread starts, and starts PulseAudio there itself halfway through.

use dialtone_core::audio::{AudioBackend, AudioEvent, DeviceBackend, DeviceKind};
use dialtone_core::call::Command;
use dialtone_e2e::line::sandbox;
use dialtone_e2e::pulse;
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_pulse(runtime: &Path) -> Server {
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/pulse-null.pa");
    let child = std::process::Command::new("pulseaudio")
        .args(["-n", "-F"])
        .arg(config)
        .args([
            "--exit-idle-time=-1",
            "--disallow-exit",
            "--daemonize=no",
            "--log-target=stderr",
        ])
        .env("XDG_RUNTIME_DIR", runtime)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("pulseaudio");
    let server = Server(child);
    for _ in 0..100 {
        if runtime.join("pulse/native").exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}

#[test]
fn without_a_sound_server_the_call_goes_on_and_audio_comes_back_when_it_starts() {
    let scratch = std::env::temp_dir().join(format!("dialtone-nosound-{}", std::process::id()));
    let runtime = scratch.join("runtime");
    std::fs::create_dir_all(&runtime).expect("runtime dir");
    // SAFETY: the only test in this binary, before any other thread exists.
    unsafe {
        std::env::set_var("XDG_RUNTIME_DIR", &runtime);
        std::env::set_var("PULSE_COOKIE", scratch.join("cookie"));
        std::env::remove_var("PULSE_SERVER");
    }
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let sandbox = sandbox(Default::default()).await;
        let backend = Arc::new(DeviceBackend::new(None, None));
        let mut events = backend.subscribe();
        let a = pulse::echo_call(&sandbox, backend.clone()).await;
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let mut failed = Vec::new();
        while let Ok(e) = events.try_recv() {
            if let AudioEvent::OpenFailed { kind, message } = e {
                failed.push((kind, message));
            }
        }
        for kind in [DeviceKind::Input, DeviceKind::Output] {
            let n = failed.iter().filter(|(k, _)| *k == kind).count();
            // At least two attempts in 2.5 s: it retries.
            assert!(n >= 2, "{kind}: {failed:?}");
        }
        assert!(failed.iter().all(|(_, m)| m.contains("device")), "{failed:?}");
        assert_eq!(a.call.state().name(), "Connected", "the call did not go on");

        let _server = start_pulse(&runtime);
        let started = Instant::now();
        let mut opened = Vec::new();
        while opened.len() < 2 && started.elapsed() < Duration::from_secs(10) {
            while let Ok(e) = events.try_recv() {
                if let AudioEvent::Opened { kind, .. } = e {
                    opened.push(kind);
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(
            opened.contains(&DeviceKind::Input) && opened.contains(&DeviceKind::Output),
            "{opened:?}"
        );
        let _mic = pulse::play_tone("mic", 600.0, 0.4, 10.0);
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert_eq!(
            pulse::speaker_tone(&[440.0, 600.0, 1000.0]).await,
            Some(600.0),
            "no audio after the sound server came up"
        );
        a.call.command(Command::Hangup).await.expect("hangup");
        a.wait("Ended", Duration::from_secs(5)).await;
    });
    let _ = std::fs::remove_dir_all(&scratch);
}
