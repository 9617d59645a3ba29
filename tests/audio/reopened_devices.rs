//! The sound devices, opened and closed call after call, leave nothing behind. Each open
//! used to connect to PulseAudio afresh, and a dropped connection's reactor thread (with
//! its socket, epoll and eventfd) lingered until the server next wrote to it
//! (pulseaudio-rs #6): in the app, a thread and three descriptors every dozen calls
//! (`make soak`). Now one connection serves the process.

use dialtone_core::audio::{AudioEvent, DeviceSink, DeviceSource};
use dialtone_core::process::ProcessFigures;
use dialtone_e2e::pulse;
use dialtone_e2e::session::{Wrapper, inside};
use std::time::{Duration, Instant};
use tokio::sync::broadcast;

const CALLS: usize = 10;

/// Threads started by the device threads, which carry their names (a thread takes its
/// creator's name on Linux unless given one): live streams' and the sound server
/// connection's.
fn device_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("comm")).ok())
        .filter(|name| name.starts_with("dialtone-in") || name.starts_with("dialtone-out"))
        .count()
}

/// Opens the microphone and the speaker as a call does, waits until both run, closes
/// both; how many connections to the sound server the process held with both open.
async fn one_call(events: &broadcast::Sender<AudioEvent>) -> usize {
    let mut log = events.subscribe();
    let source = DeviceSource::open(None, events.clone(), None).expect("capture");
    let sink = DeviceSink::open(None, events.clone(), None).expect("playback");
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut opened = 0;
    while opened < 2 {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, log.recv()).await {
            Ok(Ok(AudioEvent::Opened { .. })) => opened += 1,
            Ok(Ok(AudioEvent::OpenFailed { message, .. })) => panic!("a device did not open: {message}"),
            Ok(_) => {}
            Err(_) => panic!("the devices did not both open within 10 s"),
        }
    }
    let connections = pulse::our_connections();
    drop(source);
    drop(sink);
    connections
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_call_opens_its_devices_on_one_sound_server_connection_and_leaves_nothing_behind() {
    if !inside(
        Wrapper::Pulse,
        "every_call_opens_its_devices_on_one_sound_server_connection_and_leaves_nothing_behind",
    ) {
        return;
    }
    let events = broadcast::channel(64).0;
    // The first call opens what stays: the one connection to the sound server.
    assert_eq!(
        one_call(&events).await,
        1,
        "the microphone and the speaker share one connection"
    );
    let before = ProcessFigures::now().expect("figures");
    let threads_before = device_threads();
    for call in 1..=CALLS {
        assert_eq!(
            one_call(&events).await,
            1,
            "call {call}: connections to the sound server"
        );
    }
    // What a closed stream's driver still has to finish.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = ProcessFigures::now().expect("figures");
    assert!(
        threads_before <= 1 && device_threads() <= threads_before,
        "device threads: {threads_before} after the first call, {} after {CALLS} more (each left-over \
         one is a connection to the sound server nobody uses)",
        device_threads()
    );
    assert!(
        after.fds <= before.fds + 1,
        "{CALLS} calls' devices left {} descriptors open: {before:?} → {after:?}",
        after.fds as i64 - before.fds as i64
    );
}
