//! `dialtone call` scripts that address calls: the sandbox's +15550111 calls back while
//! up; the script answers that call (the first is held), swaps, merges, splits and hangs
//! up one call then the other. Every JSON event names its call.

use dialtone_e2e::cli::{Cli, json_lines};

/// The settled states call `call` went through (ringing, up, held, ended), in order.
fn states_of(events: &[serde_json::Value], call: u64) -> Vec<String> {
    events
        .iter()
        .filter(|e| e["event"] == "state" && e["call"] == call)
        .filter_map(|e| e["state"].as_str().map(str::to_owned))
        .filter(|s| ["Alerting", "Connected", "Held", "Ended"].contains(&s.as_str()))
        .collect()
}

#[test]
fn a_script_answers_a_waiting_call_swaps_merges_splits_and_hangs_up_each_call_by_number() {
    let out = Cli::new(env!("CARGO_BIN_EXE_dialtone")).run(&[
        "call",
        "+15550111",
        "--json",
        "--script",
        "answer; wait 1s; swap; wait 1s; merge; wait 1s; split; hangup 1; wait 500ms; hangup",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let events = json_lines(&out.stdout);
    let states = |call| states_of(&events, call);
    // Call 1: up, held for the answer, resumed by the swap; it was the active call when
    // the calls merged, so the split keeps it up; then hung up.
    assert_eq!(
        states(1),
        ["Connected", "Held", "Connected", "Ended"],
        "{events:?}"
    );
    // Call 2: rings, answered, held by the swap, resumed to join the merge, held by the
    // split, hung up by the last step.
    assert_eq!(
        states(2),
        ["Alerting", "Connected", "Held", "Connected", "Held", "Ended"],
        "{events:?}"
    );
    assert!(
        events
            .iter()
            .filter(|e| ["state", "media", "stats", "ended"].contains(&e["event"].as_str().unwrap_or("")))
            .all(|e| e["call"].as_u64().is_some_and(|c| c == 1 || c == 2)),
        "an event without its call: {events:?}"
    );
    let merged: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["event"] == "calls" && e["merged"].as_array().is_some_and(|m| m.len() == 2))
        .collect();
    assert!(!merged.is_empty(), "the call list never showed the merge");
    let listed = &merged[0]["calls"];
    assert_eq!(
        (&listed[0]["remote"], &listed[0]["incoming"]),
        (&serde_json::json!("+15550111"), &serde_json::json!(false)),
        "{listed}"
    );
    assert_eq!(
        (&listed[1]["remote"], &listed[1]["incoming"]),
        (&serde_json::json!("+15550112"), &serde_json::json!(true)),
        "{listed}"
    );
    assert!(
        events
            .iter()
            .any(|e| e["event"] == "incoming" && e["call"] == 2 && e["from"] == "+15550112"),
        "{events:?}"
    );
}

#[test]
fn a_script_calls_a_bot_while_a_call_is_held_types_to_it_and_swaps_back() {
    let out = Cli::new(env!("CARGO_BIN_EXE_dialtone")).run(&[
        "call",
        "+15550101",
        "--json",
        "--script",
        "call lex:DEMOBOT001; dtmf 1; text book a room; wait 1s; resume 1; wait 300ms; hangup 2; hangup",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let events = json_lines(&out.stdout);
    let states = |call| states_of(&events, call);
    // The phone call is held for the bot, resumed by the swap, hung up last.
    assert_eq!(
        states(1),
        ["Connected", "Held", "Connected", "Ended"],
        "{events:?}"
    );
    // The bot conversation: up, held by the swap, hung up while held.
    assert_eq!(states(2), ["Connected", "Held", "Ended"], "{events:?}");
    let modes: Vec<&str> = events
        .iter()
        .filter(|e| e["event"] == "intent" && e["call"] == 2)
        .filter_map(|e| e["input_mode"].as_str())
        .collect();
    assert_eq!(
        modes,
        ["DTMF", "Text"],
        "the digit and the text reach the bot: {events:?}"
    );
    assert!(
        events.iter().any(|e| e["event"] == "bot_text" && e["call"] == 2),
        "{events:?}"
    );
    // The test tone is the phone calls' microphone; the bot hears silence, so it never
    // takes the tone for a caller talking over its prompt.
    assert!(
        !events
            .iter()
            .any(|e| e["event"] == "interrupted" && e["reason"] == "VOICE_START_DETECTED"),
        "{events:?}"
    );
    let listed = events
        .iter()
        .filter(|e| e["event"] == "calls")
        .find_map(|e| e["calls"].as_array().and_then(|c| c.get(1)).cloned())
        .expect("the call list showed the bot");
    assert_eq!(listed["remote"], "lex:DEMOBOT001", "{listed}");
}
