//! `--report`: a call's report, read back as a person or a tool would. The page of a call
//! held twice shades both holds where the script held, judges each hold and resume from
//! what the sandbox's far end counted, and shows what each re-offer changed; a token the
//! server echoes back never reaches the report; a path that cannot be written stops the
//! run before anything is dialled.

use dialtone_e2e::cli::{Cli, json_lines, t_ms};
use dialtone_sandbox::{FaultKind, SandboxConfig};
use scraper::{Html, Selector};
use std::path::Path;
use std::process::Output;

fn cli() -> Cli {
    Cli::new(env!("CARGO_BIN_EXE_dialtone"))
}

fn select<'a>(page: &'a Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    let s = Selector::parse(css).unwrap_or_else(|e| panic!("selector {css}: {e:?}"));
    page.select(&s).collect()
}

fn ms(e: &scraper::ElementRef<'_>, attr: &str) -> u64 {
    e.value()
        .attr(attr)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {attr} on {}", e.html()))
}

/// When each event of `state` happened, by the run's JSON lines.
fn times_of(events: &[serde_json::Value], state: &str) -> Vec<u64> {
    events
        .iter()
        .filter(|e| e["event"] == "state" && e["state"] == state && e["call"] == 1)
        .map(t_ms)
        .collect()
}

fn close(a: u64, b: u64, within: u64) -> bool {
    a.abs_diff(b) <= within
}

#[test]
fn a_report_of_two_holds_shades_them_where_they_were_and_judges_each_from_the_far_end() {
    let cli = cli();
    let path = cli.data_dir().join("two-holds.html");
    std::fs::create_dir_all(cli.data_dir()).expect("data dir");
    let out = cli.run(&[
        "call",
        "+15550100",
        "--json",
        "--audio",
        "tone",
        "--report",
        path.to_str().expect("utf-8 path"),
        "--script",
        "wait 2s; hold; wait 2s; resume; wait 2s; hold; wait 2s; resume; wait 1s; hangup",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let events = json_lines(&out.stdout);
    let (held, resumed) = (times_of(&events, "Holding"), times_of(&events, "Resuming"));
    assert_eq!((held.len(), resumed.len()), (2, 2), "{events:?}");

    let page = Html::parse_document(&std::fs::read_to_string(&path).expect("the report"));
    // The plot: both holds shaded at the times the script held, across the panels.
    let holds = select(&page, "svg.timeline rect.hold.ours");
    assert_eq!(holds.len(), 2, "two holds shaded");
    for (i, h) in holds.iter().enumerate() {
        let (start, end) = (ms(h, "data-start-ms"), ms(h, "data-end-ms"));
        assert!(
            close(start, held[i], 150),
            "hold {i} shaded from {start}, held at {}",
            held[i]
        );
        assert!(
            close(end, resumed[i], 150),
            "hold {i} shaded to {end}, resumed at {}",
            resumed[i]
        );
        assert!(select(&page, "svg.timeline rect.hold title").len() >= 2);
    }
    for series in ["sent", "received", "we send", "we hear", "RTT", "jitter", "loss"] {
        let line = select(&page, &format!("svg.timeline polyline[data-series=\"{series}\"]"));
        let points = line.first().and_then(|l| l.value().attr("points")).unwrap_or("");
        assert!(
            points.split(' ').count() >= 5,
            "the {series} series has too few points: {points}"
        );
    }
    // Every message is a tick with a title, and a row in the transcript.
    let ticks = select(&page, "svg.timeline line.tick");
    let rows = select(&page, "table.transcript tr.message");
    assert!(ticks.len() >= 10, "{} ticks", ticks.len());
    assert_eq!(ticks.len(), rows.len());
    assert!(
        ticks.iter().all(|t| t.children().count() == 1),
        "each tick carries its title"
    );

    // The verdicts, from what the far end counted.
    let verdicts = select(&page, "ul.verdicts li.verdict");
    let what: Vec<_> = verdicts
        .iter()
        .map(|v| v.value().attr("data-what").unwrap_or(""))
        .collect();
    assert_eq!(what, ["hold", "resume", "hold", "resume"]);
    for v in &verdicts {
        let text = v.text().collect::<String>();
        assert!(
            v.value()
                .has_class("pass", scraper::CaseSensitivity::CaseSensitive),
            "{text}"
        );
        assert!(text.contains("judged from far end"), "{text}");
    }
    // Each hold's offer against the one before: sendrecv gone, recvonly in.
    let diffs = select(&page, "table.transcript div.diff");
    assert!(diffs.len() >= 4, "{} SDP diffs", diffs.len());
    let changed = |tag: &str| -> Vec<String> {
        select(&page, &format!("div.diff span.{tag}"))
            .iter()
            .map(|s| s.text().collect::<String>())
            .collect()
    };
    assert!(
        changed("added").iter().any(|l| l == "a=recvonly"),
        "{:?}",
        changed("added")
    );
    assert!(
        changed("removed").iter().any(|l| l == "a=sendrecv"),
        "{:?}",
        changed("removed")
    );
    screenshot(&path, "report-two-holds");
}

/// The page as a browser draws it, for people to look at (`target/app-screenshots/`).
fn screenshot(page: &Path, name: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/app-screenshots");
    let _ = std::fs::create_dir_all(&dir);
    let png = dir.join(format!("{name}.png"));
    let profile = page.with_extension("profile");
    let out = std::process::Command::new("chromium")
        .args(dialtone_e2e::chromium::FLAGS)
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg("--window-size=1000,1500")
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(
        png.exists(),
        "no screenshot: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn run(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || cli().cmd().args(&args).output().expect("run dialtone"))
        .await
        .expect("join")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_the_server_echoes_back_never_reaches_the_report() {
    let sandbox = dialtone_e2e::line::sandbox(SandboxConfig::default()).await;
    // The hold's request (the session's status) is answered with our bearer in the text.
    sandbox.inject_fault_on(FaultKind::ServerErrorEchoingToken, 1, "/sessions/");
    let dir = std::env::temp_dir().join(format!("dialtone-report-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("echoed-token.json");
    let out = run(vec![
        "call".into(),
        "+15550100".into(),
        "--json".into(),
        "--audio".into(),
        "tone".into(),
        "--sandbox".into(),
        sandbox.base_url(),
        "--report".into(),
        path.display().to_string(),
        "--script".into(),
        "wait 1s; hold; wait 1s; hangup".into(),
    ])
    .await;
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("no report ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    let report: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let refused = report["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .find(|m| m["kind"] == "response" && m["status"] == 500)
        .unwrap_or_else(|| panic!("the 500 is in the transcript: {text}"));
    let body = refused["body"].as_str().unwrap_or("");
    assert!(body.contains("request had [redacted] attached"), "{body}");
    // No sandbox token anywhere (they are `sbx-` and 32 hex digits).
    assert!(!text.contains("sbx-"), "a token in the report");
    assert_eq!(report["schema"], 1);
    assert_eq!(report["facts"]["remote"], "+15550100");
    let _ = std::fs::remove_dir_all(&dir);
    sandbox.stop().await;
}

#[test]
fn a_report_path_that_cannot_be_written_stops_the_run_before_any_call() {
    let out = cli().run(&[
        "call",
        "+15550100",
        "--json",
        "--report",
        "/nonexistent-dir/for/sure/report.html",
        "--script",
        "hangup",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let events = json_lines(&out.stdout);
    assert_eq!(events.len(), 1, "nothing but the error: {events:?}");
    assert_eq!(events[0]["code"], "INVALID_REPORT");
    assert!(
        events[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("cannot write the report")),
        "{events:?}"
    );
}
