//! One `dialtone call` process places calls one after another (`call` once every call has
//! ended), as `make soak` does 200 times: each call's expectations are judged by that
//! call's far end, not by the first call's, and `process` reports what the process holds.

use dialtone_e2e::cli::{Cli, json_lines};

#[test]
fn calls_placed_one_after_another_are_each_judged_by_their_own_far_end() {
    let out = Cli::new(env!("CARGO_BIN_EXE_dialtone")).run(&[
        "call",
        "+15550101",
        "--json",
        "--audio",
        "tone",
        "--script",
        "expect audio within 5s; hangup 1; wait 500ms; process; \
         call +15550101; expect audio within 5s; hold; expect silence within 2s; hangup 2; process",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let events = json_lines(&out.stdout);
    let ended: Vec<u64> = events
        .iter()
        .filter(|e| e["event"] == "ended" && e["reason"] == "Hangup")
        .filter_map(|e| e["call"].as_u64())
        .collect();
    assert_eq!(ended, [1, 2], "{stderr}");
    let process: Vec<&serde_json::Value> = events.iter().filter(|e| e["event"] == "process").collect();
    assert_eq!(process.len(), 2, "{events:?}");
    for p in process {
        for field in ["pid", "rss_kib", "fds", "threads", "tasks"] {
            assert!(p[field].as_u64().is_some_and(|v| v > 0), "{field} in {p}");
        }
    }
}
