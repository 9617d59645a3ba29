//! `--record`: one stereo WAV, our audio left and the far end's right, on one clock
//! through a hold (nothing sent while held, the far end's hold tone heard), paused by
//! `record stop`; a path that cannot be written stops the run before any call, and a disk
//! that fills mid-call stops the recording with a warning while the call goes on.

use dialtone_core::media::analysis::{peak_frequency, rms_dbfs};
use dialtone_e2e::cli::{Cli, json_lines, t_ms};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn cli() -> Cli {
    Cli::new(env!("CARGO_BIN_EXE_dialtone"))
}

fn wav_path(cli: &Cli, name: &str) -> PathBuf {
    std::fs::create_dir_all(cli.data_dir()).expect("data dir");
    cli.data_dir().join(name)
}

fn record(cli: &Cli, path: &Path, script: &str) -> (Vec<Value>, std::process::Output) {
    let out = cli.run(&[
        "call",
        "+15550101",
        "--json",
        "--audio",
        "tone",
        "--record",
        path.to_str().expect("utf-8"),
        "--script",
        script,
    ]);
    (json_lines(&out.stdout), out)
}

/// The two channels, 48 kHz.
fn channels(path: &Path) -> (Vec<i16>, Vec<i16>) {
    let mut r = hound::WavReader::open(path).expect("a WAV");
    let spec = r.spec();
    assert_eq!(
        (spec.channels, spec.sample_rate, spec.bits_per_sample),
        (2, 48_000, 16)
    );
    let s: Vec<i16> = r.samples::<i16>().map(|s| s.expect("sample")).collect();
    s.chunks(2).map(|c| (c[0], c[1])).unzip()
}

fn when(events: &[Value], pred: impl Fn(&Value) -> bool, what: &str) -> u64 {
    events
        .iter()
        .find(|e| pred(e))
        .map(t_ms)
        .unwrap_or_else(|| panic!("no {what} in {events:?}"))
}

fn state_at(events: &[Value], state: &str) -> u64 {
    when(
        events,
        |e| e["event"] == "state" && e["state"] == state && e["call"] == 1,
        state,
    )
}

/// (peak Hz, dBFS) of `ch` between `from` and `to` ms of the recording.
fn tone(ch: &[i16], from: u64, to: u64) -> (f64, f64) {
    let (a, b) = (from as usize * 48, (to as usize * 48).min(ch.len()));
    assert!(
        b > a + 4800,
        "window {from}..{to} ms is outside the recording ({} ms)",
        ch.len() / 48
    );
    let w = &ch[a..b];
    (peak_frequency(w, 48_000, 200.0, 2000.0), rms_dbfs(w))
}

#[test]
fn our_tone_is_left_and_theirs_right_on_one_clock_through_a_hold() {
    let cli = cli();
    let path = wav_path(&cli, "held.wav");
    let (events, out) = record(&cli, &path, "wait 2s; hold; wait 2s; resume; wait 2s; hangup");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let t0 = when(
        &events,
        |e| e["event"] == "recording" && e["state"] == "started",
        "the start",
    );
    let at = |state: &str| state_at(&events, state) - t0;
    let (connected, held, resuming, ending) = (at("Connected"), at("Held"), at("Resuming"), at("Ending"));
    let (left, right) = channels(&path);

    let (hz, _) = tone(&left, connected + 500, held - 300);
    assert_eq!(hz, 1000.0, "we sent our 1000 Hz");
    let (hz, _) = tone(&right, connected + 500, held - 300);
    assert_eq!(hz, 440.0, "we heard the far end's 440 Hz");

    let (_, db) = tone(&left, held + 300, resuming - 100);
    assert!(
        db < -60.0,
        "nothing was sent while held, yet the left channel has {db:.0} dBFS"
    );
    let (hz, db) = tone(&right, held + 300, resuming - 100);
    assert!(
        hz == 880.0 && db > -40.0,
        "the far end's hold tone: {hz} Hz at {db:.0} dBFS"
    );

    assert_eq!(tone(&left, resuming + 500, ending - 200).0, 1000.0);
    assert_eq!(tone(&right, resuming + 500, ending - 200).0, 440.0);

    let saved = when(
        &events,
        |e| e["event"] == "recording" && e["state"] == "saved",
        "saved",
    );
    let length_ms = (left.len() / 48) as u64;
    assert!(
        length_ms.abs_diff(saved - t0) < 500,
        "{length_ms} ms recorded over {} ms",
        saved - t0
    );
}

#[test]
fn record_stop_pauses_without_leaving_a_gap_and_record_needs_a_file() {
    let cli = cli();
    let path = wav_path(&cli, "paused.wav");
    let (events, out) = record(
        &cli,
        &path,
        "wait 1s; record stop; wait 2s; record start; wait 1s; hangup",
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let t0 = when(
        &events,
        |e| e["state"] == "started" && e["event"] == "recording",
        "start",
    );
    let saved = when(
        &events,
        |e| e["state"] == "saved" && e["event"] == "recording",
        "saved",
    );
    let (left, _) = channels(&path);
    let length_ms = (left.len() / 48) as u64;
    let expected = saved - t0 - 2000;
    assert!(
        length_ms.abs_diff(expected) < 400,
        "{length_ms} ms recorded, {expected} ms expected"
    );

    let out = cli.run(&["call", "+15550101", "--script", "record start; hangup"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("need --record FILE"));
}

#[test]
fn an_unwritable_path_stops_the_run_and_a_full_disk_only_the_recording() {
    let out = cli().run(&[
        "call",
        "+15550101",
        "--json",
        "--record",
        "/nonexistent/dir/r.wav",
        "--script",
        "hangup",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let events = json_lines(&out.stdout);
    assert_eq!(events.len(), 1, "nothing but the error: {events:?}");
    assert_eq!(events[0]["code"], "INVALID_RECORDING");

    // /dev/full takes the file's creation and refuses every byte after it.
    let out = cli().run(&[
        "call",
        "+15550101",
        "--json",
        "--audio",
        "tone",
        "--record",
        "/dev/full",
        "--script",
        "wait 2s; hangup",
    ]);
    assert!(
        out.status.success(),
        "the call goes on: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events = json_lines(&out.stdout);
    let failed = events
        .iter()
        .find(|e| e["event"] == "recording" && e["state"] == "failed")
        .unwrap_or_else(|| panic!("no warning: {events:?}"));
    assert!(
        failed["message"]
            .as_str()
            .is_some_and(|m| m.contains("No space left")),
        "{failed}"
    );
    assert!(
        events
            .iter()
            .any(|e| e["event"] == "ended" && e["reason"] == "Hangup"),
        "{events:?}"
    );
}
