//! `dialtone` with real devices (`scripts/with-pulse.sh`: the microphone is `mic.monitor`,
//! the speaker `speaker`): an echo call with `--audio devices` plays back what went into
//! the microphone, the JSON carries levels and device events, and the choices are
//! remembered.

use dialtone_core::media::analysis::dominant_frequency;
use dialtone_e2e::cli::{Cli, json_lines};
use dialtone_e2e::pulse;
use dialtone_e2e::session::{Wrapper, inside};

#[test]
fn an_echo_call_on_devices_plays_back_what_the_microphone_heard() {
    if !inside(
        Wrapper::Pulse,
        "an_echo_call_on_devices_plays_back_what_the_microphone_heard",
    ) {
        return;
    }
    let cli = Cli::new(env!("CARGO_BIN_EXE_dialtone"));
    let listed = json_lines(&cli.run(&["devices", "--json"]).stdout);
    let names: Vec<&str> = listed.iter().filter_map(|d| d["name"].as_str()).collect();
    assert!(
        names.contains(&"Monitor of Mic") && names.contains(&"Speaker"),
        "{names:?}"
    );

    let _mic = pulse::play_tone("mic", 600.0, 0.4, 30.0);
    let child = cli
        .cmd()
        .args([
            "call",
            "+15550100",
            "--audio",
            "devices",
            // A steady test tone is what noise suppression removes, and once the echo
            // plays it back the canceller takes it for echo: test the pipeline without them.
            "--voice-processing",
            "off",
            "--json",
            "--script",
            "wait 6s; hangup",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("dialtone");
    // Devices take about 2 s to start on null sinks; listen once they have.
    std::thread::sleep(std::time::Duration::from_secs(4));
    let heard = pulse::record("speaker.monitor", 1.5);
    let out = child.wait_with_output().expect("dialtone");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let (freq, share) = dominant_frequency(&heard, 48_000, &[440.0, 600.0, 1000.0]).expect("audio");
    assert_eq!(freq, 600.0, "the speaker played {freq} Hz");
    assert!(share > 0.8, "share {share:.2}");
    let events = json_lines(&out.stdout);
    let opened: Vec<(&str, &str)> = events
        .iter()
        .filter(|e| e["event"] == "audio" && e["what"] == "opened")
        .filter_map(|e| Some((e["kind"].as_str()?, e["device"].as_str()?)))
        .collect();
    assert!(opened.contains(&("input", "Monitor of Mic")), "{opened:?}");
    assert!(opened.contains(&("output", "Speaker")), "{opened:?}");
    let loud = events
        .iter()
        .filter(|e| e["event"] == "level")
        .filter(|e| e["input_dbfs"].as_f64().is_some_and(|v| v > -30.0))
        .filter(|e| e["output_dbfs"].as_f64().is_some_and(|v| v > -30.0))
        .count();
    let levels: Vec<String> = events
        .iter()
        .filter(|e| e["event"] == "level")
        .map(|e| format!("{}/{}", e["input_dbfs"], e["output_dbfs"]))
        .collect();
    assert!(
        loud >= 10,
        "level events with both sides loud: {loud}: {levels:?}"
    );

    let saved: serde_json::Value = serde_json::from_slice(
        &std::fs::read(cli.config_dir().join("dialtone/audio.json")).expect("audio.json"),
    )
    .expect("json");
    assert_eq!(
        saved["voice"],
        serde_json::json!({"echo_cancellation": false, "noise_suppression": false, "gain_control": false})
    );
    let bad = cli.run(&["call", "+15550100", "--voice-processing", "reverb"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("aec, ns, agc"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}
