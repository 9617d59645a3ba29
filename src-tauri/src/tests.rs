//! The commands through Tauri's IPC on the mock runtime: what the window sends, what it
//! gets back, and a whole call on the embedded sandbox.

use crate::phone::Phone;
use serde_json::{Value, json};
use std::time::Duration;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder, mock_context, noop_assets};
use tauri::webview::InvokeRequest;
use tauri::{Manager, WebviewWindow};

/// History and settings go to a directory of this test binary's own.
fn isolate() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let dir = std::env::temp_dir().join(format!("dialtone-app-test-{}", std::process::id()));
        // SAFETY: every test calls this first, and `Once` makes the others wait.
        unsafe {
            std::env::set_var("XDG_DATA_HOME", dir.join("data"));
            std::env::set_var("XDG_CONFIG_HOME", dir.join("config"));
        }
        // As the app's logging does: the transcript goes into each call's report.
        use tracing_subscriber::layer::SubscriberExt;
        use tracing_subscriber::util::SubscriberInitExt;
        let tap = dialtone_report::WireTap::global().layer(dialtone_core::net::wire::TARGET);
        let _ = tracing_subscriber::registry().with(tap).try_init();
    });
}

pub(crate) fn window() -> (tauri::App<MockRuntime>, WebviewWindow<MockRuntime>) {
    isolate();
    let app = super::app(mock_builder())
        .build(mock_context(noop_assets()))
        .expect("app");
    let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .expect("webview");
    (app, webview)
}

/// Invokes `cmd` as the window would; the answer or the error as JSON.
pub(crate) fn invoke(webview: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
    get_ipc_response(
        webview,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().expect("url"),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|r| r.deserialize::<Value>().expect("json"))
}

pub(crate) fn error_code(e: Result<Value, Value>) -> String {
    let e = e.expect_err("the command was refused");
    e["code"].as_str().unwrap_or_default().to_owned()
}

#[test]
fn app_info_command_reports_the_core_version() {
    let (_app, w) = window();
    let info = invoke(&w, "app_info", json!({})).expect("app_info answers");
    assert_eq!(info["version"], env!("CARGO_PKG_VERSION"));
    assert!(info["codecs"].as_array().is_some_and(|c| !c.is_empty()));
}

#[test]
fn the_number_field_is_formatted_and_checked_by_the_core() {
    let (_app, w) = window();
    let uk = invoke(&w, "check_number", json!({"input": "+442079460000"})).expect("check");
    assert_eq!(uk["formatted"], "+44 20 7946 0000");
    assert_eq!(uk["e164"], "+442079460000");
    assert_eq!(uk["error"], Value::Null);
    // A letter is left out of the field, and the one message says so and what is wrong
    // with what is left.
    let letter = invoke(&w, "check_number", json!({"input": "+1c"})).expect("check");
    assert_eq!(letter["formatted"], "+1");
    let said = letter["error"].as_str().unwrap_or_default();
    assert!(
        said.starts_with("'c' was left out") && said.contains("'+1'"),
        "{said}"
    );
    let bad = invoke(&w, "check_number", json!({"input": "555-0100"})).expect("check");
    assert_eq!(bad["e164"], Value::Null);
    assert!(
        bad["error"]
            .as_str()
            .is_some_and(|e| e.contains("international format")),
        "{bad}"
    );
}

#[test]
fn an_invalid_number_is_refused_before_anything_is_sent() {
    let (_app, w) = window();
    for input in ["", "5550100", "+1555x0100", "+0123456"] {
        let code = error_code(invoke(&w, "dial", json!({"number": input})));
        assert_eq!(code, "INVALID_NUMBER", "{input}");
    }
}

#[test]
fn call_commands_before_the_line_is_open_say_so() {
    let (_app, w) = window();
    for cmd in ["hangup", "hold", "resume", "answer", "decline"] {
        assert_eq!(error_code(invoke(&w, cmd, json!({}))), "LINE_NOT_READY", "{cmd}");
    }
    assert_eq!(
        error_code(invoke(&w, "dial", json!({"number": "+15550100"}))),
        "LINE_NOT_READY"
    );
}

#[test]
fn commands_missing_their_arguments_are_refused() {
    let (_app, w) = window();
    assert!(invoke(&w, "mute", json!({})).is_err());
    assert!(invoke(&w, "set_audio", json!({"voice": "loud"})).is_err());
}

/// The payloads of the `event`s the window gets, as JSON.
pub(crate) fn window_events(app: &tauri::App<MockRuntime>, event: &str) -> std::sync::mpsc::Receiver<Value> {
    use tauri::Listener;
    let (tx, rx) = std::sync::mpsc::channel::<Value>();
    app.listen_any(event, move |e| {
        if let Ok(v) = serde_json::from_str::<Value>(e.payload()) {
            let _ = tx.send(v);
        }
    });
    rx
}

/// The history events the window gets: `{"id": N}` for each call saved.
fn saved_calls(app: &tauri::App<MockRuntime>) -> std::sync::mpsc::Receiver<Value> {
    window_events(app, crate::phone::events::HISTORY)
}

/// The history row of the next call saved. The tests share one history database, so a
/// call's row is found by the id the window is told, not by being the newest.
fn history_row(w: &WebviewWindow<MockRuntime>, saved: &std::sync::mpsc::Receiver<Value>) -> Value {
    let event = saved
        .recv_timeout(Duration::from_secs(5))
        .expect("the window is told the call was saved");
    let id = event["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("saved without an id: {event}"));
    let rows = invoke(w, "history", json!({"limit": 100})).expect("history");
    rows.as_array()
        .and_then(|r| r.iter().find(|row| row["id"] == id))
        .cloned()
        .unwrap_or_else(|| panic!("row {id} is not in the history: {rows}"))
}

/// Polls the call state through the `call_state` command.
pub(crate) fn wait_state(w: &WebviewWindow<MockRuntime>, want: &str, within: Duration) {
    let until = std::time::Instant::now() + within;
    let mut last = Value::Null;
    while std::time::Instant::now() < until {
        if let Ok(s) = invoke(w, "call_state", json!({})) {
            if s["state"] == want {
                return;
            }
            last = s;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the call did not reach {want} (last {last})");
}

/// Opens the line on the embedded sandbox, as the app does with no account.
pub(crate) fn open_sandbox(app: &tauri::App<MockRuntime>) -> crate::phone::LineInfo {
    let handle = app.handle().clone();
    tauri::async_runtime::block_on(async move {
        let phone = handle.state::<Phone>();
        phone
            .open(&handle, Some("sandbox".into()), Default::default())
            .await
    })
    .expect("the embedded sandbox line opens")
}

/// Hangs up and closes the line, as the app does when it quits.
pub(crate) fn close(app: &tauri::App<MockRuntime>) {
    let handle = app.handle().clone();
    tauri::async_runtime::block_on(async move { handle.state::<Phone>().close().await });
}

#[test]
fn a_call_on_the_embedded_sandbox_holds_resumes_sends_dtmf_and_lands_in_the_history() {
    let (app, w) = window();
    let saved = saved_calls(&app);
    let info = open_sandbox(&app);
    assert!(info.source.is_some_and(|s| s.is_sandbox()));
    let directory = invoke(&w, "directory", json!({})).expect("directory");
    assert!(
        directory
            .as_array()
            .is_some_and(|d| d.iter().any(|e| e["number"] == "+15550100"))
    );

    let dialled = invoke(&w, "dial", json!({"number": "tel:+1-555-0100"})).expect("dial");
    assert_eq!(dialled, "+15550100");
    wait_state(&w, "Connected", Duration::from_secs(15));
    // Call-list actions the line cannot do are refused and leave the call as it is.
    assert_eq!(
        error_code(invoke(&w, "call_action", json!({"call": 9, "action": "hold"}))),
        "NO_SUCH_CALL"
    );
    assert_eq!(
        error_code(invoke(&w, "call_action", json!({"call": 1, "action": "merge"}))),
        "LINE_BUSY"
    );
    assert!(invoke(&w, "call_action", json!({"call": 1, "action": "jump"})).is_err());
    invoke(&w, "hold", json!({})).expect("hold");
    wait_state(&w, "Held", Duration::from_secs(5));
    assert_eq!(
        error_code(invoke(&w, "dtmf", json!({"digits": "1"}))),
        "ILLEGAL_COMMAND",
        "DTMF while held"
    );
    invoke(&w, "resume", json!({})).expect("resume");
    wait_state(&w, "Connected", Duration::from_secs(5));
    invoke(&w, "mute", json!({"muted": true})).expect("mute");
    invoke(&w, "mute", json!({"muted": false})).expect("unmute");
    assert_eq!(
        error_code(invoke(&w, "dtmf", json!({"digits": "12x"}))),
        "ILLEGAL_COMMAND"
    );
    invoke(&w, "dtmf", json!({"digits": "12#"})).expect("dtmf");
    invoke(&w, "hangup", json!({})).expect("hang up");
    wait_state(&w, "Ended", Duration::from_secs(5));

    let row = history_row(&w, &saved);
    assert_eq!(row["number"], "+15550100", "{row}");
    assert_eq!(row["incoming"], false);
    assert_eq!(row["outcome"], "Hangup");
    assert!(row["connected_ms"].as_i64().is_some_and(|ms| ms > 0));

    close(&app);
}

#[test]
fn a_recorded_call_with_a_hold_leaves_a_report_and_a_recording_in_its_history_row() {
    let (app, w) = window();
    let saved = saved_calls(&app);
    let news = window_events(&app, crate::phone::events::RECORDING);
    open_sandbox(&app);
    assert_eq!(
        error_code(invoke(&w, "record", json!({"on": true}))),
        "NO_CALL",
        "nothing to record before a call"
    );

    // Someone talks, so the resume can be judged by what comes back: under the test's sound
    // server (make app-test) into its default microphone; without one the line sends its
    // test tone.
    let _talker = std::env::var_os("DIALTONE_IN_PULSE_SESSION")
        .map(|_| dialtone_e2e::pulse::play_tone("mic", 600.0, 0.3, 30.0));
    invoke(&w, "dial", json!({"number": "+15550100"})).expect("dial");
    wait_state(&w, "Connected", Duration::from_secs(15));
    let recording = invoke(&w, "record", json!({"on": true})).expect("record");
    let recording = recording.as_str().expect("the recording's path").to_owned();
    assert!(
        recording.ends_with(".wav") && recording.contains("recordings"),
        "{recording}"
    );
    let started = news.recv_timeout(Duration::from_secs(2)).expect("recording news");
    assert_eq!(
        (started["recording"].clone(), started["path"].clone()),
        (json!(true), json!(recording))
    );
    std::thread::sleep(Duration::from_millis(1500));
    invoke(&w, "hold", json!({})).expect("hold");
    wait_state(&w, "Held", Duration::from_secs(5));
    std::thread::sleep(Duration::from_millis(1500));
    invoke(&w, "resume", json!({})).expect("resume");
    wait_state(&w, "Connected", Duration::from_secs(5));
    std::thread::sleep(Duration::from_millis(1500));
    invoke(&w, "hangup", json!({})).expect("hang up");

    // The call's end stops the recording.
    let stopped = news.recv_timeout(Duration::from_secs(5)).expect("recording news");
    assert_eq!(stopped["recording"], false, "{stopped}");
    assert!(stopped["seconds"].as_f64().is_some_and(|s| s > 3.0), "{stopped}");
    let row = history_row(&w, &saved);
    assert_eq!(row["recording"], json!(recording), "{row}");
    let wav = hound::WavReader::open(&recording).expect("a WAV file");
    assert_eq!(wav.spec().channels, 2);

    let report = row["report"]
        .as_str()
        .unwrap_or_else(|| panic!("no report: {row}"));
    let page = std::fs::read_to_string(report).expect("the report is kept");
    assert!(page.contains(r#"<rect class="hold ours""#), "the hold is shaded");
    for what in ["hold", "resume"] {
        assert!(
            page.contains(&format!(r#"class="verdict pass" data-what="{what}""#)),
            "a passing {what} verdict"
        );
    }
    assert!(
        page.contains("a=recvonly"),
        "the hold's offer is in the transcript"
    );
    assert!(page.contains("+15550100"));

    // Export copies it, never over an earlier copy.
    let out = std::env::temp_dir().join(format!("dialtone-app-export-{}", std::process::id()));
    std::fs::create_dir_all(&out).expect("out");
    let to = json!({"id": row["id"], "to": out});
    let first = invoke(&w, "export_report", to.clone()).expect("export");
    let second = invoke(&w, "export_report", to).expect("export again");
    assert_ne!(first, second);
    let copy = std::fs::read_to_string(first.as_str().expect("path")).expect("the copy");
    assert_eq!(copy, page);
    assert_eq!(
        error_code(invoke(&w, "export_report", json!({"id": -5, "to": out}))),
        "NO_SUCH_CALL"
    );
    let _ = std::fs::remove_dir_all(&out);

    close(&app);
}

#[test]
fn a_preflight_from_the_window_passes_on_the_sandbox_and_waits_for_a_call_to_end() {
    let (app, w) = window();
    open_sandbox(&app);
    let p = invoke(&w, "preflight", json!({})).expect("preflight");
    assert_eq!(p["pass"], true, "{p}");
    assert_eq!(p["number"], "+15550100");
    let phases: Vec<(String, String)> = p["phases"]
        .as_array()
        .expect("phases")
        .iter()
        .map(|ph| {
            (
                ph["phase"].as_str().unwrap_or_default().to_owned(),
                ph["result"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    for phase in [
        "registration",
        "ICE connected",
        "DTLS connected",
        "audio round trip",
    ] {
        assert!(
            phases
                .iter()
                .any(|(name, result)| name == phase && result == "pass"),
            "{phase}: {phases:?}"
        );
    }
    assert!(
        p["round_trip_ms"].as_u64().is_some_and(|ms| ms > 0 && ms < 600),
        "{p}"
    );

    assert_eq!(
        error_code(invoke(&w, "preflight", json!({"number": "lex:DEMOBOT001"}))),
        "INVALID_ARGUMENT"
    );
    assert_eq!(
        error_code(invoke(&w, "preflight", json!({"number": "555"}))),
        "INVALID_NUMBER"
    );
    invoke(&w, "dial", json!({"number": "+15550100"})).expect("dial");
    wait_state(&w, "Connected", Duration::from_secs(15));
    assert_eq!(error_code(invoke(&w, "preflight", json!({}))), "LINE_BUSY");
    invoke(&w, "hangup", json!({})).expect("hang up");
    wait_state(&w, "Ended", Duration::from_secs(5));
    close(&app);
}

/// Opens the line as the Settings panel does; its info.
fn open_line(w: &WebviewWindow<MockRuntime>, network: &str) -> Value {
    let started = std::time::Instant::now();
    let info = invoke(w, "open_line", json!({"account": "sandbox", "network": network})).expect("open_line");
    eprintln!("open_line {network}: {} ms", started.elapsed().as_millis());
    info
}

#[test]
fn switching_between_the_sandboxs_camara_and_alexa_reopens_the_line_each_time() {
    let (app, w) = window();
    let saved = saved_calls(&app);
    let first = open_line(&w, "camara");
    assert_eq!(first["ready"], true, "{first}");
    invoke(&w, "dial", json!({"number": "+15550100"})).expect("dial");
    wait_state(&w, "Connected", Duration::from_secs(15));

    // Mid-call: the switch hangs up, and the call still lands in the history.
    let alexa = open_line(&w, "alexa");
    let row = history_row(&w, &saved);
    assert_eq!(
        (row["number"].clone(), row["outcome"].clone()),
        (json!("+15550100"), json!("Hangup")),
        "{row}"
    );
    assert_eq!(
        (alexa["ready"].clone(), alexa["network"].clone()),
        (json!(true), json!("alexa"))
    );
    assert_ne!(
        alexa["source"]["url"], first["source"]["url"],
        "a new embedded sandbox"
    );
    let check = invoke(&w, "check_number", json!({"input": "alexa:kitchen"})).expect("check");
    assert_eq!(check["e164"], "alexa:kitchen");
    invoke(&w, "dial", json!({"number": "alexa:kitchen"})).expect("dial alexa");
    wait_state(&w, "Connected", Duration::from_secs(15));
    invoke(&w, "hold", json!({})).expect("hold");
    wait_state(&w, "Held", Duration::from_secs(5));
    invoke(&w, "hangup", json!({})).expect("hang up");
    wait_state(&w, "Ended", Duration::from_secs(5));

    let back = open_line(&w, "camara");
    assert_eq!(back["network"], "camara");
    invoke(&w, "dial", json!({"number": "+15550100"})).expect("dial again");
    wait_state(&w, "Connected", Duration::from_secs(15));
    close(&app);
}

#[test]
fn a_bot_call_on_the_sandboxs_lex_takes_keys_and_text_and_the_window_gets_the_conversation() {
    let (app, w) = window();
    let rx = window_events(&app, crate::phone::events::CALL);
    let lex = open_line(&w, "lex");
    assert_eq!(
        (lex["ready"].clone(), lex["network"].clone()),
        (json!(true), json!("lex"))
    );
    let directory = invoke(&w, "directory", json!({})).expect("directory");
    assert_eq!(directory[0]["number"], "lex:DEMOBOT001", "{directory}");
    invoke(&w, "dial", json!({"number": "lex:DEMOBOT001"})).expect("dial the bot");
    wait_state(&w, "Connected", Duration::from_secs(15));
    // Keys and text go to the bot; an empty text is refused with the rule.
    assert_eq!(
        error_code(invoke(&w, "send_text", json!({"text": "  "}))),
        "ILLEGAL_COMMAND"
    );
    invoke(&w, "dtmf", json!({"digits": "1"})).expect("a key");
    invoke(&w, "send_text", json!({"text": "Lisbon"})).expect("text");
    let mut seen = Vec::new();
    let until = std::time::Instant::now() + Duration::from_secs(10);
    while !seen
        .iter()
        .any(|e: &Value| e["event"] == "bot_text" && e["text"].as_str().is_some_and(|t| t.contains("Lisbon")))
    {
        assert!(std::time::Instant::now() < until, "no reply; events {seen:?}");
        if let Ok(e) = rx.recv_timeout(Duration::from_millis(100)) {
            seen.push(e);
        }
    }
    let kinds: Vec<&str> = seen.iter().filter_map(|e| e["event"].as_str()).collect();
    for kind in ["bot_text", "prompt", "interrupted", "transcript", "intent"] {
        assert!(kinds.contains(&kind), "no {kind} event: {kinds:?}");
    }
    invoke(&w, "hangup", json!({})).expect("hang up");
    wait_state(&w, "Ended", Duration::from_secs(5));

    // On a phone line, text is refused and says where it goes.
    open_line(&w, "camara");
    invoke(&w, "dial", json!({"number": "+15550100"})).expect("dial");
    wait_state(&w, "Connected", Duration::from_secs(15));
    let refused = invoke(&w, "send_text", json!({"text": "hello"})).expect_err("text on a phone call");
    assert!(
        refused["message"]
            .as_str()
            .is_some_and(|m| m.contains("bot calls")),
        "{refused}"
    );
    close(&app);
}

#[test]
fn a_named_network_from_settings_impairs_the_next_line_and_a_bad_name_changes_nothing() {
    let (app, w) = window();
    let rx = window_events(&app, crate::phone::events::CALL);
    let presets = invoke(&w, "network_presets", json!({})).expect("presets");
    assert!(
        presets
            .as_array()
            .is_some_and(|p| p.iter().any(|p| p["name"] == "3g" && p["delay_ms"] == 250)),
        "{presets}"
    );
    let bad = invoke(
        &w,
        "open_line",
        json!({"account": "sandbox", "network": "camara", "impair": "5g"}),
    );
    assert_eq!(error_code(bad), "INVALID_IMPAIRMENT");
    let info = invoke(
        &w,
        "open_line",
        json!({"account": "sandbox", "network": "camara", "impair": "3g"}),
    )
    .expect("a 3G line");
    assert_eq!(info["impairment"], "3g", "{info}");
    assert!(
        info["notes"].as_array().is_some_and(|n| n
            .iter()
            .any(|n| n.as_str().is_some_and(|n| n.contains("as '3g'")))),
        "the line does not say it is impaired: {info}"
    );
    invoke(&w, "dial", json!({"number": "+15550100"})).expect("dial");
    wait_state(&w, "Connected", Duration::from_secs(15));
    // 250 ms each way: the round trip the call measures is about half a second.
    let until = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        assert!(
            std::time::Instant::now() < until,
            "no round trip of a 3G network measured"
        );
        if let Ok(e) = rx.recv_timeout(Duration::from_millis(200))
            && e["event"] == "stats"
            && e["rtt_ms"].as_f64().is_some_and(|r| r > 450.0)
        {
            break;
        }
    }
    invoke(&w, "hangup", json!({})).expect("hang up");
    wait_state(&w, "Ended", Duration::from_secs(5));
    // A clean network again, as Settings → Network → Clean asks.
    let clean = invoke(
        &w,
        "open_line",
        json!({"account": "sandbox", "network": "camara", "impair": ""}),
    )
    .expect("a clean line");
    assert_eq!(clean["impairment"], Value::Null, "{clean}");
    close(&app);
}
