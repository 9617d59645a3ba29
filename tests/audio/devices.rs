//! Real sound devices through cpal on a private PulseAudio server with null devices
//! (`scripts/with-pulse.sh`: the microphone is `mic.monitor`, the speaker `speaker`).

use dialtone_core::audio::{AudioBackend, AudioEvent, DeviceBackend, DeviceKind, DeviceSink, DeviceSource};
use dialtone_core::call::Command;
use dialtone_core::media::analysis::dominant_frequency;
use dialtone_core::media::{AudioSink, AudioSource};
use dialtone_e2e::line::sandbox;
use dialtone_e2e::pulse;
use dialtone_e2e::session::{Wrapper, inside};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio::sync::broadcast;

/// Drives a source and a sink like the engine does: 20 ms at 48 kHz, on a clock.
async fn pump(source: &mut DeviceSource, sink: &mut DeviceSink, for_: Duration) {
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let mut frame = vec![0i16; 960];
    let start = Instant::now();
    while start.elapsed() < for_ {
        tick.tick().await;
        source.read(48_000, &mut frame);
        sink.write(48_000, &frame);
    }
}

/// The streams open at the rate PulseAudio runs the devices at (no hidden resampling in
/// the server) and both run. The frames/s over wall time are printed, not asserted: a
/// loaded machine delays the null devices' timers (CI once measured 37 k/s on capture).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_open_at_the_device_rate_and_run() {
    if !inside(Wrapper::Pulse, "streams_open_at_the_device_rate_and_run") {
        return;
    }
    let events = broadcast::channel(64).0;
    let mut log = events.subscribe();
    let mut source = DeviceSource::open(None, events.clone(), None).expect("capture");
    let mut sink = DeviceSink::open(None, events.clone(), None).expect("playback");
    // A null sink takes about 2 s to start.
    pump(&mut source, &mut sink, Duration::from_secs(3)).await;
    let mut opened = Vec::new();
    while let Ok(e) = log.try_recv() {
        if let AudioEvent::Opened {
            kind, sample_rate, ..
        } = e
        {
            opened.push((kind, sample_rate));
        }
    }
    let (mic, speaker) = (pulse::sample_rate("mic.monitor"), pulse::sample_rate("speaker"));
    assert!(
        opened.contains(&(DeviceKind::Input, mic)),
        "opened {opened:?}, mic at {mic} Hz"
    );
    assert!(
        opened.contains(&(DeviceKind::Output, speaker)),
        "opened {opened:?}, speaker at {speaker} Hz"
    );
    let (cin, cout) = (
        source.device_thread().current_health(),
        sink.device_thread().current_health(),
    );
    let (in0, out0, t0) = (
        cin.frames.load(Ordering::Relaxed),
        cout.frames.load(Ordering::Relaxed),
        Instant::now(),
    );
    pump(&mut source, &mut sink, Duration::from_secs(2)).await;
    let secs = t0.elapsed().as_secs_f64();
    let (din, dout) = (
        cin.frames.load(Ordering::Relaxed) - in0,
        cout.frames.load(Ordering::Relaxed) - out0,
    );
    eprintln!(
        "capture {:.0} frames/s, playback {:.0} frames/s over {secs:.1} s",
        din as f64 / secs,
        dout as f64 / secs
    );
    assert!(
        din > 0 && dout > 0,
        "a stream stalled: capture {din} frames, playback {dout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tone_played_into_the_microphone_comes_back_from_the_echo_far_end() {
    if !inside(
        Wrapper::Pulse,
        "a_tone_played_into_the_microphone_comes_back_from_the_echo_far_end",
    ) {
        return;
    }
    let sandbox = sandbox(Default::default()).await;
    let backend = pulse::tone_devices(None, None);
    let mut events = backend.subscribe();
    let a = pulse::echo_call(&sandbox, backend.clone()).await;
    let _mic = pulse::play_tone("mic", 600.0, 0.4, 10.0);
    tokio::time::sleep(Duration::from_millis(800)).await;
    let heard = tokio::task::spawn_blocking(|| pulse::record("speaker.monitor", 1.5))
        .await
        .expect("record");
    let levels = backend.levels();
    let (input_dbfs, output_dbfs) = (levels.input.take(), levels.output.take());
    a.call.command(Command::Hangup).await.expect("hangup");
    a.wait("Ended", Duration::from_secs(5)).await;
    let (freq, share) = dominant_frequency(&heard, 48_000, &[440.0, 600.0, 1000.0, 2000.0]).expect("audio");
    assert_eq!(freq, 600.0, "the speaker played {freq} Hz (share {share:.2})");
    assert!(share > 0.8, "share {share:.2}");
    assert!(
        input_dbfs > -20.0 && output_dbfs > -20.0,
        "levels in {input_dbfs} out {output_dbfs}"
    );
    let mut opened = Vec::new();
    while let Ok(e) = events.try_recv() {
        if let AudioEvent::Opened { kind, device, .. } = e {
            opened.push((kind, device));
        }
    }
    assert!(
        opened.contains(&(DeviceKind::Input, "Monitor of Mic".into())),
        "{opened:?}"
    );
    assert!(
        opened.contains(&(DeviceKind::Output, "Speaker".into())),
        "{opened:?}"
    );
}

fn drain(events: &mut broadcast::Receiver<AudioEvent>) -> Vec<AudioEvent> {
    let mut out = Vec::new();
    while let Ok(e) = events.try_recv() {
        out.push(e);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unplugged_speaker_is_replaced_by_the_default_and_taken_back_when_it_returns() {
    if !inside(
        Wrapper::Pulse,
        "an_unplugged_speaker_is_replaced_by_the_default_and_taken_back_when_it_returns",
    ) {
        return;
    }
    let headset = pulse::add_sink("headset");
    let sandbox = sandbox(Default::default()).await;
    let backend = pulse::tone_devices(None, Some("headset"));
    let mut events = backend.subscribe();
    let a = pulse::echo_call(&sandbox, backend.clone()).await;
    let _mic = pulse::play_tone("mic", 600.0, 0.4, 20.0);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let before = drain(&mut events);
    assert!(
        before.iter().any(|e| matches!(e, AudioEvent::Opened { kind: DeviceKind::Output, device, .. } if device == "headset")),
        "{before:?}"
    );
    // Unplug: the module goes away with the sink.
    let unplugged = Instant::now();
    pulse::remove_module(&headset);
    let mut replaced = None;
    while unplugged.elapsed() < Duration::from_secs(10) && replaced.is_none() {
        for e in drain(&mut events) {
            if let AudioEvent::Opened {
                kind: DeviceKind::Output,
                device,
                ..
            } = &e
            {
                replaced = Some((device.clone(), unplugged.elapsed()));
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (device, after) = replaced.expect("the speaker was not replaced");
    eprintln!(
        "speaker replaced by '{device}' {} ms after the unplug",
        after.as_millis()
    );
    assert_eq!(device, "Speaker");
    // The call never noticed, and the echo now plays on the default speaker.
    assert_eq!(a.call.state().name(), "Connected");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(pulse::speaker_tone(&[440.0, 600.0, 1000.0]).await, Some(600.0));

    // Plugged in again: the call moves back to the chosen speaker.
    drain(&mut events);
    let replugged = Instant::now();
    let _headset = pulse::add_sink("headset");
    let mut back = None;
    while replugged.elapsed() < Duration::from_secs(10) && back.is_none() {
        for e in drain(&mut events) {
            if matches!(&e, AudioEvent::Opened { kind: DeviceKind::Output, device, .. } if device == "headset")
            {
                back = Some(replugged.elapsed());
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let back = back.expect("the chosen speaker was not taken back");
    eprintln!("back on 'headset' {} ms after it returned", back.as_millis());
    assert_eq!(a.call.state().name(), "Connected");
    a.call.command(Command::Hangup).await.expect("hangup");
    a.wait("Ended", Duration::from_secs(5)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_device_falls_back_to_the_default_and_says_so() {
    if !inside(
        Wrapper::Pulse,
        "a_missing_device_falls_back_to_the_default_and_says_so",
    ) {
        return;
    }
    let backend = DeviceBackend::new(Some("USB Headset".into()), None);
    let mut events = backend.subscribe();
    let (mut source, _sink) = backend.open().expect("open");
    let mut frame = vec![0i16; 960];
    let start = Instant::now();
    let mut seen = Vec::new();
    while start.elapsed() < Duration::from_secs(3) {
        source.read(48_000, &mut frame);
        seen.extend(drain(&mut events));
        if seen.iter().any(|e| {
            matches!(
                e,
                AudioEvent::Opened {
                    kind: DeviceKind::Input,
                    ..
                }
            )
        }) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        seen.iter().any(|e| matches!(e, AudioEvent::Fallback { kind: DeviceKind::Input, wanted, using } if wanted == "USB Headset" && using == "Monitor of Mic")),
        "{seen:?}"
    );
}
