//! `make bench`, audio latency: mouth-to-ear through the sandbox's echo far end with
//! real devices, on a private PulseAudio server (`scripts/with-pulse.sh`; the bench
//! re-runs itself there). A click is played into the `mic` null sink (Dialtone's
//! microphone is its monitor) and timed when it comes out of Dialtone's speaker
//! (`speaker.monitor`). The reference, measured in the same run, is the rig's own loop:
//! the same click heard straight from `mic.monitor`.
//!
//! The trip is also cut in two where our code sees the click: capture → packet (the
//! microphone frame that carries it is handed to the encoder) and packet → playout (our
//! jitter buffer's hold, reported by the call, plus decoded frame → heard).

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use dialtone_core::audio::{DeviceBackend, VoiceSettings};
use dialtone_core::call::CallEvent;
use dialtone_core::media::{AudioSink, AudioSource};
use dialtone_e2e::bench::{median, ms, report};
use dialtone_e2e::chrome_reference;
use dialtone_e2e::chromium::Chromium;
use dialtone_e2e::line::sandbox;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CLICKS: usize = 20;
const EVERY: Duration = Duration::from_millis(400);

fn pulse() -> cpal::Host {
    cpal::host_from_id(cpal::HostId::PulseAudio)
        .expect("a PulseAudio server (run inside scripts/with-pulse.sh)")
}

fn device(host: &cpal::Host, output: bool, id: &str) -> cpal::Device {
    let mut all: Vec<cpal::Device> = if output {
        host.output_devices().expect("devices").collect()
    } else {
        host.input_devices().expect("devices").collect()
    };
    let i = all
        .iter()
        .position(|d| d.id().map(|x| x.to_string()) == Ok(format!("pulseaudio:{id}")))
        .unwrap_or_else(|| panic!("no device {id}"));
    all.swap_remove(i)
}

fn config(d: &cpal::Device, output: bool) -> cpal::StreamConfig {
    let c = if output {
        d.default_output_config()
    } else {
        d.default_input_config()
    }
    .expect("config");
    cpal::StreamConfig {
        channels: c.channels(),
        sample_rate: c.sample_rate(),
        buffer_size: cpal::BufferSize::Fixed(c.sample_rate() / 200),
    }
}

type Times = Arc<Mutex<Vec<Instant>>>;

/// Notes when a click shows up in 20 ms frames (loud after 100 ms of quiet).
#[derive(Default)]
struct Onsets {
    times: Times,
    quiet: usize,
}

impl Onsets {
    fn see(&mut self, pcm: &[i16]) {
        if pcm.iter().any(|s| s.unsigned_abs() > 3000) {
            if self.quiet >= 5 {
                self.times.lock().expect("onsets").push(Instant::now());
            }
            self.quiet = 0;
        } else {
            self.quiet += 1;
        }
    }
}

/// The microphone as the encoder sees it.
struct TimedSource(Box<dyn AudioSource>, Onsets);

impl AudioSource for TimedSource {
    fn read(&mut self, clock_rate: u32, out: &mut [i16]) {
        self.0.read(clock_rate, out);
        self.1.see(out);
    }
}

/// Decoded audio on its way to the speaker.
struct TimedSink(Box<dyn AudioSink>, Onsets);

impl AudioSink for TimedSink {
    fn write(&mut self, clock_rate: u32, pcm: &[i16]) {
        self.1.see(pcm);
        self.0.write(clock_rate, pcm);
    }
}

/// For each `from` instant, the first `to` instant after it (within one click period).
fn pair(from: &[Instant], to: &[Instant]) -> Vec<(Instant, Instant)> {
    from.iter()
        .filter_map(|t| {
            to.iter()
                .find(|h| **h >= *t && h.duration_since(*t) < EVERY)
                .map(|h| (*t, *h))
        })
        .collect()
}

fn gaps(pairs: &[(Instant, Instant)]) -> Vec<f64> {
    pairs.iter().map(|(a, b)| ms(b.duration_since(*a))).collect()
}

/// Plays `CLICKS` 5 ms bursts into `sink` and times their arrival on `source`.
fn clicks(sink: &str, source: &str) -> Vec<f64> {
    let (sent, heard) = click_times(sink, source);
    gaps(&pair(&sent, &heard))
}

/// When each click was played, and when onsets were heard.
fn click_times(sink: &str, source: &str) -> (Vec<Instant>, Vec<Instant>) {
    let (out_host, in_host) = (pulse(), pulse());
    let (out_dev, in_dev) = (device(&out_host, true, sink), device(&in_host, false, source));
    let (oc, ic) = (config(&out_dev, true), config(&in_dev, false));
    let sent: Arc<Mutex<Vec<Instant>>> = Arc::default();
    let heard: Arc<Mutex<Vec<Instant>>> = Arc::default();
    let (s, h) = (sent.clone(), heard.clone());
    let rate = oc.sample_rate as usize;
    let (out_ch, in_ch) = (usize::from(oc.channels), usize::from(ic.channels));
    let burst = rate / 200;
    let period = rate * EVERY.as_millis() as usize / 1000;
    let mut pos = 0usize;
    let start_after = rate; // a second of silence while the streams settle
    // Each click 7 ms later in the 20 ms frame than the last (7 and 20 share no factor):
    // the clicks cover every phase of the frame clock, so the median is a typical click's
    // wait for its frame, not one phase's.
    let starts: Vec<usize> = (0..CLICKS)
        .map(|i| start_after + i * period + (i * 7 % 20) * rate / 1000)
        .collect();
    let output = out_dev
        .build_output_stream::<f32, _, _>(
            oc,
            move |data: &mut [f32], _| {
                let now = Instant::now();
                for frame in data.chunks_exact_mut(out_ch) {
                    let click = starts.iter().find(|&&s| pos >= s && pos < s + burst);
                    if click == Some(&pos) {
                        s.lock().expect("sent").push(now);
                    }
                    let v = match click {
                        Some(s) => {
                            0.6 * (std::f32::consts::TAU * 1000.0 * (pos - s) as f32 / rate as f32).sin()
                        }
                        None => 0.0,
                    };
                    frame.fill(v);
                    pos += 1;
                }
            },
            |e| eprintln!("output: {e}"),
            None,
        )
        .expect("output stream");
    let mut quiet = 0usize;
    let input = in_dev
        .build_input_stream::<f32, _, _>(
            ic,
            move |data: &[f32], _| {
                let now = Instant::now();
                for frame in data.chunks_exact(in_ch) {
                    if frame[0].abs() > 0.1 {
                        if quiet > rate / 10 {
                            h.lock().expect("heard").push(now);
                        }
                        quiet = 0;
                    } else {
                        quiet += 1;
                    }
                }
            },
            |e| eprintln!("input: {e}"),
            None,
        )
        .expect("input stream");
    output.play().expect("play");
    input.play().expect("record");
    std::thread::sleep(
        Duration::from_secs(1) + (EVERY + Duration::from_millis(20)) * CLICKS as u32 + Duration::from_secs(1),
    );
    drop((output, input));
    let sent = sent.lock().expect("sent").clone();
    let heard = heard.lock().expect("heard").clone();
    (sent, heard)
}

const REMAPPED: &str = "mic_for_browsers";
const REMAPPED_LABEL: &str = "MicForBrowsers";

/// `mic`'s monitor as a source of its own, for as long as this lives.
struct Remap(Option<String>);

impl Remap {
    fn load() -> Remap {
        let out = std::process::Command::new("pactl")
            .args([
                "load-module",
                "module-remap-source",
                "master=mic.monitor",
                &format!("source_name={REMAPPED}"),
                &format!("source_properties=device.description={REMAPPED_LABEL}"),
            ])
            .output()
            .expect("pactl");
        assert!(
            out.status.success(),
            "pactl: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Remap(Some(String::from_utf8_lossy(&out.stdout).trim().to_owned()))
    }
}

impl Drop for Remap {
    fn drop(&mut self) {
        if let Some(module) = self.0.take() {
            let _ = std::process::Command::new("pactl")
                .args(["unload-module", &module])
                .status();
        }
    }
}

/// One Dialtone call through the sandbox's echo with real devices: prints the trip and its
/// breakdown, returns the mouth-to-ear median.
fn dialtone_trip(rt: &tokio::runtime::Runtime, reference: f64, voice: VoiceSettings) -> f64 {
    let (encoder, decoder): (Times, Times) = Default::default();
    let (sent, heard, buffer) = rt.block_on(async {
        let sandbox = sandbox(Default::default()).await;
        let devices = DeviceBackend::new(None, None);
        devices.voice().set(voice);
        let (enc, dec) = (encoder.clone(), decoder.clone());
        let audio = dialtone_core::audio::FnBackend::shared(move || {
            let (source, sink) = dialtone_core::audio::open_or_silence(&devices);
            let source = TimedSource(
                source,
                Onsets {
                    times: enc.clone(),
                    quiet: 0,
                },
            );
            let sink = TimedSink(
                sink,
                Onsets {
                    times: dec.clone(),
                    quiet: 0,
                },
            );
            (
                Box::new(source) as Box<dyn AudioSource>,
                Box::new(sink) as Box<dyn AudioSink>,
            )
        });
        let a = dialtone_e2e::line::line_with_audio(
            dialtone_e2e::line::provider(&sandbox, Duration::from_secs(5)),
            audio,
            dialtone_core::media::io::RecordingSink::new(),
        );
        a.dial("+15550100").await;
        a.wait("Connected", Duration::from_secs(10)).await;
        // Both device streams take about 2 s to start on null devices.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let skip = a.events().len();
        let (sent, heard) = tokio::task::spawn_blocking(|| click_times("mic", "speaker.monitor"))
            .await
            .expect("clicks");
        let buffer: Vec<f64> = a.events()[skip..]
            .iter()
            .filter_map(|e| match e {
                CallEvent::Stats { jitter_buffer_ms, .. } => Some(*jitter_buffer_ms),
                _ => None,
            })
            .collect();
        a.call
            .command(dialtone_core::call::Command::Hangup)
            .await
            .expect("hangup");
        a.wait("Ended", Duration::from_secs(5)).await;
        (sent, heard, buffer)
    });
    let through = report(
        "mouth-to-ear through the echo far end",
        "ms",
        gaps(&pair(&sent, &heard)),
    );
    println!(
        "{:<44} {:>15.1} ms     (mouth-to-ear minus the rig's loop)",
        "dialtone's share (2 ends, 2 jitter buffers)",
        through - reference
    );
    let encoder = encoder.lock().expect("encoder").clone();
    let decoder = decoder.lock().expect("decoder").clone();
    let to_encoder = pair(&sent, &encoder);
    report("capture → packet (click → encoder)", "ms", gaps(&to_encoder));
    // The echo's copy of each click: the first decoded onset after it reached the encoder.
    let decoded: Vec<Instant> = to_encoder.iter().map(|(_, e)| *e).collect();
    let back = pair(&decoded, &decoder);
    let decoded_at: Vec<Instant> = back.iter().map(|(_, d)| *d).collect();
    let to_ear = report("decoded frame → heard", "ms", gaps(&pair(&decoded_at, &heard)));
    let hold = median(buffer);
    println!(
        "{:<44} {:>15.1} ms     (arrival → playout as measured, median of 1 s reports)",
        "jitter buffer hold", hold
    );
    println!(
        "{:<44} {:>15.1} ms     (jitter buffer + decoded → heard)",
        "packet → playout",
        hold + to_ear
    );
    println!(
        "{:<44} {:>15.1} ms     (capture → packet + packet → playout; goal <= 50 ms)",
        "one end of Dialtone",
        median(gaps(&to_encoder)) + hold + to_ear
    );
    through
}

fn main() {
    if std::env::var_os("DIALTONE_IN_PULSE_SESSION").is_none() {
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/with-pulse.sh");
        let exe = std::env::current_exe().expect("bench binary");
        let status = std::process::Command::new(script)
            .arg(exe)
            .status()
            .expect("with-pulse.sh");
        std::process::exit(status.code().unwrap_or(1));
    }
    println!("audio: mouth-to-ear with devices ({CLICKS} clicks, PulseAudio null devices, release)");
    let reference = report(
        "reference: the rig's own loop (mic → monitor)",
        "ms",
        clicks("mic", "mic.monitor"),
    );
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    println!("Dialtone, voice processing on (as calls run)");
    let through = dialtone_trip(&rt, reference, VoiceSettings::ON);
    println!("Dialtone, voice processing off (its share of the above)");
    dialtone_trip(&rt, reference, VoiceSettings::OFF);

    // Chrome on the same devices, its far end echoing as the sandbox's does. Chrome lists
    // no monitor source as a microphone: `mic`'s monitor is remapped into one for it, and
    // that remap's own delay is measured and taken off Chrome's figure.
    let remap = Remap::load();
    let remap_loop = report(
        "reference: the rig's loop for Chrome (remapped)",
        "ms",
        clicks("mic", REMAPPED),
    );
    let chrome = rt.block_on(async {
        let chrome = Chromium::start_on_devices(chrome_reference::PAGE).await;
        let call = chrome.run("echoCall", serde_json::json!([REMAPPED_LABEL])).await;
        assert_eq!(
            call["connected"], true,
            "Chrome's echo call did not connect: {call}"
        );
        tokio::time::sleep(Duration::from_secs(3)).await;
        let (sent, heard) = tokio::task::spawn_blocking(|| click_times("mic", "speaker.monitor"))
            .await
            .expect("clicks");
        chrome.run("close", serde_json::json!([])).await;
        gaps(&pair(&sent, &heard))
    });
    drop(remap);
    let n = chrome.len();
    let chrome = report("Chrome: mouth-to-ear through its echo", "ms", chrome);
    if n == 0 {
        println!("Chrome: no click came back (is its audio on the sound server?)");
    }
    // Each side less its rig's own loop: what the two stacks add.
    let (ours, theirs) = (through - reference, chrome - remap_loop);
    println!(
        "{:<44} {:>9.2} {:>9.2} ms {:>6.2}x  goal <= 0.8x: {}",
        "mouth-to-ear less the rig, Dialtone vs Chrome",
        ours,
        theirs,
        ours / theirs,
        if ours / theirs <= 0.8 { "met" } else { "MISSED" }
    );
}
