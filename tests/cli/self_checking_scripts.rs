//! Scripts that check themselves, and `verify-hold`: expectations judged from what the
//! sandbox's far end counted and heard, `repeat` blocks, a failed expectation that exits 1
//! and names its step (and its round), and the standard hold check with distinct tones
//! each way, which fails where it cannot tell the far end's audio from ours or where
//! audio does not come back.

use dialtone_e2e::cli::{Cli, json_lines, states};

fn cli() -> Cli {
    Cli::new(env!("CARGO_BIN_EXE_dialtone"))
}

fn script(number: &str, steps: &str) -> std::process::Output {
    cli().run(&["call", number, "--json", "--audio", "tone", "--script", steps])
}

/// The error the run ended with (the last JSON line with a code).
fn error_of(out: &std::process::Output) -> String {
    json_lines(&out.stdout)
        .iter()
        .rfind(|e| e["code"] == "SCRIPT")
        .and_then(|e| e["message"].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("no script error: {}", String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn a_script_expects_audio_and_silence_through_repeated_holds_and_names_the_step_that_fails() {
    let out = script(
        "+15550101",
        "expect audio; repeat 3 { hold; expect held; expect silence; resume; expect audio within 2s }; hangup",
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let held = states(&json_lines(&out.stdout))
        .iter()
        .filter(|s| *s == "Held")
        .count();
    assert_eq!(held, 3, "three rounds, three holds");

    // Not held, our audio goes on reaching the far end: silence is not what it hears.
    let out = script("+15550101", "wait 1s; expect silence within 500ms");
    assert_eq!(out.status.code(), Some(1));
    let e = error_of(&out);
    assert!(e.starts_with("script step 2 (Expect(Silence"), "{e}");
    assert!(e.contains("our audio still reached the far end"), "{e}");

    // A block names its round and its step.
    let out = script("+15550101", "repeat 2 { hold; resume; expect held within 300ms }");
    assert_eq!(out.status.code(), Some(1));
    let e = error_of(&out);
    assert!(
        e.starts_with("script step 1, round 1 of 2, step 3 (Expect(State(\"Held\")"),
        "{e}"
    );
    assert!(e.contains("the call is Connected"), "{e}");
}

/// The verdict line of a `verify-hold` run.
fn verdict(out: &std::process::Output) -> serde_json::Value {
    json_lines(&out.stdout)
        .into_iter()
        .rfind(|e| e["event"] == "verdict")
        .unwrap_or_else(|| panic!("no verdict: {}", String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn verify_hold_passes_each_cycle_on_the_tone_far_end_by_ear_both_ways() {
    let out = cli().run(&["verify-hold", "+15550101", "--cycles", "2", "--hold-for", "500ms"]);
    let v = verdict(&out);
    assert_eq!(out.status.code(), Some(0), "{v}");
    assert_eq!(v["pass"], true, "{v}");
    assert_eq!(v["far_end_sends_hz"], 440.0, "{v}");
    assert_eq!(v["far_end_checked"], true);
    let checks = v["checks"].as_array().expect("checks");
    let what: Vec<_> = checks.iter().map(|c| c["what"].as_str().unwrap_or("")).collect();
    assert_eq!(what, ["two-way", "hold", "resume", "hold", "resume"]);
    for c in &checks[1..] {
        let ms = c["within_ms"].as_u64().expect("timed");
        assert!(ms < 1000, "{c}");
    }
}

#[test]
fn verify_hold_fails_on_an_echo_and_where_audio_does_not_come_back() {
    // An echo sends our own tone back: its audio cannot be told from ours.
    let out = cli().run(&["verify-hold", "+15550100", "--cycles", "1"]);
    assert_eq!(out.status.code(), Some(1));
    let v = verdict(&out);
    assert_eq!(v["pass"], false);
    assert!(
        v["checks"][0]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("our own tone")),
        "{v}"
    );
    // Everything lost from 3 s on: the first resume after that finds no audio.
    let out = cli().run(&[
        "verify-hold",
        "+15550101",
        "--cycles",
        "3",
        "--impair",
        "blackout=3s",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v = verdict(&out);
    let failed = v["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["pass"] == false))
        .unwrap_or_else(|| panic!("no failed check: {v}"));
    assert_eq!(failed["what"], "resume", "{v}");
    assert!(
        failed["detail"]
            .as_str()
            .is_some_and(|d| d.contains("heard nothing")),
        "{v}"
    );
}
