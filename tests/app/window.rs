//! The desktop window in a real WebView (WebKitGTK under WebDriver), on the sandbox it
//! runs in-process: dial, hold and resume with the far end's view checked, mute, DTMF,
//! incoming calls, an invalid number, a `tel:` link that asks before it dials, and the
//! layout at phone and desktop sizes. Screenshots go to `target/app-screenshots/`.

use dialtone_e2e::desk::{
    Desk, SETUP, STEP, call_me, change_setting, dial, dial_echo, hang_up, hang_up_and_close, history_rows,
    screenshot, status, wait_clock, wait_history,
};
use dialtone_e2e::webdriver::{ENTER, ESCAPE, NotificationWatch, TAB, Theme, Window, app_env};
use dialtone_sandbox::SandboxStatus;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const APP: &str = env!("CARGO_BIN_EXE_dialtone-app");

async fn desk() -> Desk {
    Desk::open(Path::new(APP), Theme::Light).await
}

/// Clicks `css`, which must place a call to the echo, checks the sandbox saw it, hangs up.
async fn echo_call_from(w: &Window, url: &str, css: &str) {
    w.click(css).await;
    w.wait_state("Connected", SETUP).await;
    assert_eq!(status(url).await.sessions[0].number, "+15550100");
    hang_up(w).await;
}

/// Settings → Provider → `value` → Save, then waits for the line that says `line`.
async fn switch_provider(w: &Window, value: &str, line: &str) {
    w.click("#tab-settings").await;
    let offered = format!(
        "return document.getElementById('settings').getAttribute('aria-busy') === 'false' && [...document.getElementById('account').options].some((o) => o.value === {value:?});"
    );
    w.wait_for("the provider picker", STEP, &offered).await;
    w.execute(
        "document.getElementById('account').value = arguments[0];",
        json!([value]),
    )
    .await;
    w.click("#settings button[type=submit]").await;
    let opened = format!("return document.getElementById('line').textContent.startsWith({line:?});");
    w.wait_for(line, SETUP, &opened).await;
    w.wait_state("Ready", STEP).await;
    // The picker shows the provider in use, also after Settings is opened again.
    w.click("#tab-history").await;
    w.click("#tab-settings").await;
    let shown = format!("return document.getElementById('account').value === {value:?};");
    w.wait_for("the picker showing the provider in use", STEP, &shown)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dialling_the_echo_number_holds_and_resumes_with_the_far_end_view_checked_recorded_and_reported() {
    let desk = desk().await;
    let (w, url) = (&desk.w, desk.url.as_str());
    w.screenshot(&screenshot("idle")).await;
    assert!(
        w.text("#line").await.contains("Built-in sandbox"),
        "the UI says the sandbox is in use"
    );

    dial_echo(w).await;
    assert!(w.text("#peer").await.contains("+15550100"));
    wait_clock(w, "duration").await;
    // Record: a REC badge with its own clock stays in view until it stops.
    assert!(!w.shown("#rec").await);
    w.click("#record").await;
    wait_clock(w, "rec-timer").await;
    assert!(w.shown("#rec").await, "no REC badge while recording");
    assert_eq!(w.text("#record").await, "Stop recording");
    w.screenshot(&screenshot("in-call")).await;

    w.click("#hold").await;
    w.wait_state("Held", STEP).await;
    assert!(w.shown("#hold-badge").await, "'On hold' is not shown");
    assert!(w.text("#hold-badge").await.starts_with("On hold"));
    assert_eq!(w.text("#hold").await, "Resume");
    let s = status(url).await;
    assert_eq!(
        s.sessions[0].client_direction,
        Some(dialtone_core::media::Direction::RecvOnly),
        "the sandbox sees us holding: {s:?}"
    );
    wait_clock(w, "hold-timer").await;
    w.screenshot(&screenshot("held")).await;

    // H on the keyboard resumes.
    w.type_into("#number", "h").await;
    w.wait_state("Connected", STEP).await;
    assert!(!w.shown("#hold-badge").await);
    let s = status(url).await;
    assert_eq!(
        s.sessions[0].client_direction,
        Some(dialtone_core::media::Direction::SendRecv)
    );
    let before = s.sessions[0].far_end_rtp_received;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = status(url).await.sessions[0].far_end_rtp_received;
    assert!(
        after > before,
        "no audio reached the far end after resume ({before} → {after})"
    );

    // Esc hangs up, the recording stops with the call, and the call lands in the history
    // with its recording and its report.
    w.type_into("#number", ESCAPE).await;
    w.wait_state("Call ended", STEP).await;
    wait_history(w, 1).await;
    assert!(w.text("#history li").await.contains("+15550100"));
    assert!(status(url).await.sessions.is_empty());
    w.wait_for(
        "the REC badge gone",
        STEP,
        "return document.getElementById('rec').hidden;",
    )
    .await;
    assert!(w.text("#history li").await.contains("recorded"));
    let row = w.invoke("history", json!({"limit": 1})).await;
    let recording = row[0]["recording"].as_str().expect("a recording in the row");
    assert!(Path::new(recording).starts_with(&desk.driver.home), "{recording}");

    // The ended call offers its report; Export saves a copy where the user can find it.
    w.wait_for(
        "Export report",
        STEP,
        "return !document.getElementById('after-call').hidden;",
    )
    .await;
    w.screenshot(&screenshot("after-call")).await;
    w.click("#export-last").await;
    w.wait_for(
        "the report saved",
        STEP,
        "return document.getElementById('export-note').textContent.startsWith('Report saved to ');",
    )
    .await;
    let note = w.text("#export-note").await;
    let copy = PathBuf::from(note.trim_start_matches("Report saved to ").trim());
    assert!(copy.starts_with(&desk.driver.home), "{note}");
    let page = std::fs::read_to_string(&copy).expect("the exported report");
    assert!(page.contains(r#"<rect class="hold ours""#), "the hold is shaded");
    assert!(
        w.shown("#history li button.export").await,
        "the history row offers it too"
    );
    w.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mute_and_dtmf_from_the_keypad_and_keyboard_reach_the_far_end() {
    let desk = desk().await;
    let (w, url) = (&desk.w, desk.url.as_str());
    dial_echo(w).await;

    w.type_into("#number", "m").await;
    w.wait_for(
        "Mute pressed",
        STEP,
        "return document.getElementById('mute').getAttribute('aria-pressed') === 'true';",
    )
    .await;
    assert_eq!(w.text("#mute").await, "Unmute");
    assert!(w.shown("#mute-badge").await, "mute shows in the call's state");
    w.click("#mute").await;
    w.wait_for(
        "Mute released",
        STEP,
        "return document.getElementById('mute').getAttribute('aria-pressed') === 'false';",
    )
    .await;

    assert!(!w.shown("#mute-badge").await);

    // In a call the keypad sends tones: two clicks, '#' typed on the page, and '3'
    // typed into the number field, which keeps the call's number.
    let number = || async {
        w.execute("return document.getElementById('number').value;", json!([]))
            .await
    };
    let before = number().await;
    // In the call screen the keypad waits behind its button.
    assert!(!w.shown("#keypad").await, "the keypad covers the call screen");
    w.click("#keypad-toggle").await;
    assert!(w.shown("#keypad").await, "Keypad did not open the keypad");
    w.click("#keypad [data-key='1']").await;
    w.click("#keypad [data-key='2']").await;
    w.type_into("#keypad [data-key='2']", "#").await;
    w.type_into("#number", "3").await;
    let until = Instant::now() + STEP;
    let heard = loop {
        let heard = status(url).await.sessions[0].far_end_dtmf.clone();
        if heard.len() >= 4 || Instant::now() > until {
            break heard;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(heard, "12#3", "the far end heard these digits");
    // Esc closes the keypad; the call goes on (the next Esc would hang up).
    w.type_into("#keypad [data-key='2']", ESCAPE).await;
    assert!(!w.shown("#keypad").await, "Esc left the keypad open");
    assert_eq!(w.text("#state").await, "Connected");
    assert_eq!(
        number().await,
        before,
        "tones in a call are not typed into the number"
    );
    w.wait_for(
        "the call's quality",
        STEP,
        "return /^\\d\\.\\d$/.test(document.getElementById('q-mos').textContent);",
    )
    .await;
    hang_up(w).await;

    // The next call starts clean: nothing of the last one's quality or tones, and how it
    // ended in words.
    w.execute("document.getElementById('number').value = '';", json!([]))
        .await;
    w.type_into("#number", "+15550108").await;
    w.type_into("#number", ENTER).await;
    w.wait_state("Ringing…", SETUP).await;
    assert_eq!(w.text("#q-mos").await, "measuring…");
    assert_eq!(w.text("#dtmf-sent").await, "");
    hang_up(w).await;
    assert!(
        w.text("#peer").await.ends_with("You hung up"),
        "{}",
        w.text("#peer").await
    );
    assert_eq!(
        w.text("#q-mos").await,
        "–",
        "a call never measured shows no figure"
    );
    w.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incoming_call_is_answered_and_the_next_one_declined() {
    let desk = desk().await;
    let (w, url) = (&desk.w, desk.url.as_str());

    let notifications = NotificationWatch::start();
    // Scrolled down to the history, as a user may be when a call comes in.
    w.execute("window.scrollTo(0, document.body.scrollHeight);", json!([]))
        .await;
    call_me(url).await;
    w.wait_for(
        "the incoming panel",
        SETUP,
        "return !document.getElementById('incoming').hidden;",
    )
    .await;
    assert!(w.text("#caller").await.starts_with('+'), "the caller is shown");
    assert!(
        notifications.wait_for("Incoming call", STEP).await,
        "no desktop notification was sent for the incoming call"
    );
    w.screenshot(&screenshot("incoming")).await;
    // The panel is in view with the focus on Answer: Enter answers.
    let focused = w
        .execute(
            "return document.activeElement && document.activeElement.id;",
            json!([]),
        )
        .await;
    assert_eq!(focused, "answer");
    let in_view = "const r = document.getElementById('incoming').getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight;";
    assert_eq!(
        w.execute(in_view, json!([])).await,
        true,
        "the incoming panel is off-screen"
    );
    w.type_active(ENTER).await;
    w.wait_state("Connected", STEP).await;
    assert!(!w.shown("#incoming").await);
    let state_in_view = "const r = document.getElementById('state').getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight;";
    assert_eq!(
        w.execute(state_in_view, json!([])).await,
        true,
        "'Connected' is off-screen"
    );
    let s = status(url).await;
    assert!(s.sessions[0].incoming);
    w.type_into("#number", ESCAPE).await;
    w.wait_state("Call ended", STEP).await;

    call_me(url).await;
    w.wait_for(
        "the incoming panel",
        SETUP,
        "return !document.getElementById('incoming').hidden;",
    )
    .await;
    w.click("#decline").await;
    w.wait_state("Call ended", STEP).await;
    wait_history(w, 2).await;
    assert!(status(url).await.sessions.is_empty());
    let rows = w.invoke("history", json!({"limit": 5})).await;
    assert_eq!(rows[0]["incoming"], true);
    assert_eq!(rows[0]["outcome"], "Rejected", "{rows}");
    assert!(w.text("#peer").await.ends_with("You declined"));
    assert!(w.text("#history li").await.contains("You declined"));
    assert_eq!(rows[1]["outcome"], "Hangup", "{rows}");
    w.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_number_is_explained_once_beside_the_field_and_sends_nothing() {
    let desk = desk().await;
    let (w, url) = (&desk.w, desk.url.as_str());
    let requests = status(url).await.requests;

    w.type_into("#number", "555-0100").await;
    w.wait_for(
        "the field marked invalid",
        STEP,
        "return document.getElementById('number').getAttribute('aria-invalid') === 'true';",
    )
    .await;
    assert!(w.text("#number-hint").await.contains("international format"));
    w.type_into("#number", ENTER).await;
    // The refusal is said once, beside the field, not again as an error.
    w.wait_for(
        "the refusal beside the field",
        STEP,
        "return document.getElementById('number-hint').textContent.includes('international format') && document.activeElement.id === 'number';",
    )
    .await;
    assert!(!w.shown("#error").await, "{}", w.text("#error").await);
    assert_eq!(w.text("#state").await, "Ready");
    let s = status(url).await;
    assert_eq!(s.requests, requests, "nothing was sent to the network");
    assert!(s.sessions.is_empty());
    assert_eq!(history_rows(w).await, 0);
    w.close().await;
}

/// What the desktop does with a link: runs the app again with it; the running app takes it
/// and the second one exits.
fn hand_over(desk: &Desk, link: &str) -> Duration {
    let started = Instant::now();
    let second = std::process::Command::new(APP)
        .arg(link)
        .envs(app_env(&desk.driver.home))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("the second instance runs");
    assert!(second.success(), "the second instance exits cleanly: {second}");
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tel_link_fills_in_the_number_and_asks_and_one_enter_dials_it() {
    let desk = desk().await;
    let (w, url) = (&desk.w, desk.url.as_str());
    let requests = status(url).await.requests;

    // A premium-rate number: shown as the UK writes it, flagged, and not dialled.
    let handed_over = hand_over(&desk, "tel:+44-909-879-0000");
    w.wait_for(
        "the link's offer",
        STEP,
        "return !document.getElementById('link-offer').hidden && document.activeElement.id === 'call';",
    )
    .await;
    assert_eq!(w.text("#link-number").await, "+44 909 879 0000");
    assert!(
        w.text("#link-caution").await.contains("premium-rate"),
        "{}",
        w.text("#link-caution").await
    );
    let field = w
        .execute("return document.getElementById('number').value;", json!([]))
        .await;
    assert_eq!(field, "+44 909 879 0000");
    w.screenshot(&screenshot("link-offer")).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let s = status(url).await;
    assert_eq!(s.requests, requests, "a link alone sends nothing to the network");
    assert!(s.sessions.is_empty(), "{s:?}");
    assert_eq!(w.text("#state").await, "Ready");
    // Not now: the offer and its number go.
    w.click("#link-dismiss").await;
    assert!(!w.shown("#link-offer").await);
    let field = w
        .execute("return document.getElementById('number').value;", json!([]))
        .await;
    assert_eq!(field, "");

    // The sandbox's echo: one Enter on the focused Call dials it.
    hand_over(&desk, "tel:+1-555-0100;ext=1");
    w.wait_for(
        "the second link's offer",
        STEP,
        "return document.getElementById('link-number').textContent === '+15550100' && document.activeElement.id === 'call';",
    )
    .await;
    // The sandbox's fictional numbers are in no numbering plan, and the prompt says so.
    assert!(
        w.text("#link-caution").await.contains("numbering plan"),
        "{}",
        w.text("#link-caution").await
    );
    let started = Instant::now();
    w.type_active(ENTER).await;
    w.wait_state("Connected", SETUP).await;
    let connected = started.elapsed();
    assert!(!w.shown("#link-offer").await, "the offer is answered");
    assert_eq!(status(url).await.sessions[0].number, "+15550100");
    hang_up(w).await;

    // Settings → Links → dial at once: the next link dials without asking.
    change_setting(w, "#dial-links-at-once").await;
    assert_eq!(w.invoke("link_prefs", json!({})).await["dial_at_once"], true);
    hand_over(&desk, "callto:+15550100");
    w.wait_state("Connected", SETUP).await;
    assert!(!w.shown("#link-offer").await, "nothing asked");
    println!(
        "tel: link: second instance handed over and exited in {} ms; Enter to Connected {} ms",
        handed_over.as_millis(),
        connected.as_millis()
    );
    hang_up_and_close(w).await;
}

/// Every control has a name a screen reader can read.
const UNNAMED: &str = r#"
return [...document.querySelectorAll('button, input, select, meter')]
  .filter((e) => e.getClientRects().length > 0)
  .filter((e) => {
    const label = e.id && document.querySelector(`label[for="${e.id}"]`);
    const name = (e.getAttribute('aria-label') || e.textContent || (label && label.textContent) || (e.closest('label') && e.closest('label').textContent) || '').trim();
    return name === '';
  })
  .map((e) => e.outerHTML.slice(0, 80));
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_fits_phone_and_desktop_sizes_and_works_from_the_keyboard() {
    let desk = desk().await;
    let w = &desk.w;
    for (width, height) in [(360, 640), (1280, 800)] {
        w.set_size(width, height).await;
        w.wait_for(
            "the new size",
            STEP,
            &format!("return Math.abs(window.innerWidth - {width}) < 40;"),
        )
        .await;
        let overflow = w
            .execute(
                "return document.documentElement.scrollWidth - window.innerWidth;",
                json!([]),
            )
            .await;
        assert!(
            overflow.as_i64().is_some_and(|o| o <= 0),
            "{width}×{height}: scrolls sideways by {overflow}"
        );
        w.screenshot(&screenshot(&format!("{width}x{height}"))).await;
    }
    let unnamed = w.execute(UNNAMED, json!([])).await;
    assert_eq!(unnamed, json!([]), "controls without an accessible name");

    // Tab order: from the number field, the keypad, then Call.
    let mut order = Vec::new();
    w.click("#number").await;
    for _ in 0..13 {
        w.type_active(TAB).await;
        let id = w
            .execute(
                "const a = document.activeElement; return a.id || a.dataset.key || a.tagName;",
                json!([]),
            )
            .await;
        order.push(id.as_str().unwrap_or_default().to_owned());
    }
    assert_eq!(
        order,
        ["1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#", "call"],
        "Tab walks the keypad, then reaches Call"
    );
    w.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_echo_call_on_the_default_devices_moves_both_level_meters() {
    assert!(
        std::env::var_os("DIALTONE_IN_PULSE_SESSION").is_some(),
        "run through scripts/with-pulse.sh (make app-test does): this scenario needs sound devices"
    );
    let desk = desk().await;
    let w = &desk.w;
    assert_eq!(w.invoke("line_info", json!({})).await["audio"], "devices");
    // Someone talks into the default microphone (the `mic` null sink's monitor).
    let _talker = dialtone_e2e::pulse::play_tone("mic", 600.0, 0.3, 20.0);
    dial_echo(w).await;
    // The meters span -60..0 dBFS; -60 is silence.
    w.wait_for(
        "both meters above -40 dBFS",
        STEP,
        "return document.getElementById('mic-level').value > -40 && document.getElementById('speaker-level').value > -40;",
    )
    .await;
    hang_up_and_close(w).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_rows_and_directory_entries_dial_settings_are_saved_and_the_preflight_passes() {
    let desk = desk().await;
    let (w, url) = (&desk.w, desk.url.as_str());

    // The directory lists the sandbox's numbers; a click dials one.
    w.click("#tab-directory").await;
    echo_call_from(w, url, "#directory li:first-child button").await;

    // The history row of that call dials it again.
    w.click("#tab-history").await;
    wait_history(w, 1).await;
    echo_call_from(w, url, "#history li:first-child button").await;

    // Voice processing switched off in Settings is remembered.
    change_setting(w, "#ns").await;
    let devices = w.invoke("devices", json!({})).await;
    assert_eq!(devices["voice"]["noise_suppression"], false, "{devices}");
    assert_eq!(devices["voice"]["echo_cancellation"], true, "{devices}");

    // G.711 µ-law only: saved, the line reopens, and the next call is a PCMU call.
    w.execute(
        "document.getElementById('codecs-pref').value = 'pcmu';",
        json!([]),
    )
    .await;
    w.click("#settings button[type=submit]").await;
    w.wait_for(
        "the line reopened",
        SETUP,
        "return document.getElementById('settings-note').textContent.startsWith('Saved');",
    )
    .await;
    w.wait_state("Ready", SETUP).await;
    let devices = w.invoke("devices", json!({})).await;
    assert_eq!(devices["codecs"], "pcmu", "{devices}");
    // The last redial left its number in the field.
    w.execute("document.getElementById('number').value = '';", json!([]))
        .await;
    dial_echo(w).await;
    hang_up(w).await;
    let rows = w.invoke("history", json!({"limit": 1})).await;
    assert_eq!(rows[0]["codec"], "PCMU/8000", "{rows}");

    // Before a demo: the preflight times each step on a line of its own.
    w.click("#tab-settings").await;
    w.click("#preflight").await;
    w.wait_for(
        "the preflight's verdict",
        SETUP,
        "return document.getElementById('preflight-verdict').textContent.startsWith('Everything is in place.');",
    )
    .await;
    let passed = w
        .execute(
            "return document.querySelectorAll('#preflight-phases tr[data-result=pass]').length;",
            json!([]),
        )
        .await;
    assert!(passed.as_u64().is_some_and(|n| n >= 8), "{passed} steps passed");
    w.execute(
        "document.getElementById('preflight').scrollIntoView();",
        json!([]),
    )
    .await;
    w.screenshot(&screenshot("preflight")).await;
    w.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_whose_network_drops_out_says_so_reconnects_and_clears() {
    let desk = desk().await;
    let w = &desk.w;
    dial(w, "+15550110").await;
    let shown = |text: &str| {
        format!(
            "const n = document.getElementById('no-media'); return !n.hidden && n.textContent.includes({text:?});"
        )
    };
    // The far end's path drops out 3 s into the call, for 8 s.
    w.wait_for(
        "the no-audio notice",
        STEP,
        &shown("No audio from the other side"),
    )
    .await;
    w.wait_for("the reconnect notice", STEP, &shown("reconnecting"))
        .await;
    w.wait_for(
        "the notice gone with the audio back",
        STEP,
        "return document.getElementById('no-media').hidden;",
    )
    .await;
    hang_up_and_close(w).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_provider_picker_opens_the_sandboxs_alexa_where_a_device_call_holds_and_resumes() {
    let desk = desk().await;
    let w = &desk.w;
    switch_provider(w, "alexa:sandbox", "Alexa on the Built-in sandbox").await;
    let info = w.invoke("line_info", json!({})).await;
    assert_eq!(info["network"], "alexa", "{info}");
    let url = info["source"]["url"].as_str().expect("url").to_owned();
    assert_ne!(url, desk.url, "the switch opened a new embedded sandbox");

    w.click("#tab-directory").await;
    assert!(w.text("#directory li").await.starts_with("alexa:kitchen"));
    dial(w, "alexa:kitchen").await;
    let direction = |s: &SandboxStatus| s.alexa_calls.first().and_then(|c| c.client_direction);
    let s = status(&url).await;
    assert_eq!(s.alexa_calls[0].device, "alexa:kitchen", "{s:?}");
    w.click("#hold").await;
    w.wait_state("Held", STEP).await;
    assert_eq!(
        direction(&status(&url).await),
        Some(dialtone_core::media::Direction::RecvOnly)
    );
    w.click("#hold").await;
    w.wait_state("Connected", STEP).await;
    assert_eq!(
        direction(&status(&url).await),
        Some(dialtone_core::media::Direction::SendRecv)
    );
    let log = &status(&url).await.alexa_calls[0].log;
    assert_eq!(
        log.iter().filter(|m| *m == "→CallUpdateAck").count(),
        2,
        "{log:?}"
    );
    hang_up_and_close(w).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bot_call_shows_the_conversation_and_takes_typed_text_beside_the_call_controls() {
    let desk = desk().await;
    let w = &desk.w;
    switch_provider(w, "lex:sandbox", "Lex bots on the Built-in sandbox").await;
    w.click("#tab-directory").await;
    assert!(w.text("#directory li").await.starts_with("lex:DEMOBOT001"));
    dial(w, "lex:DEMOBOT001").await;
    let turn = |who: &str, words: &str| {
        format!(
            "return [...document.querySelectorAll('#turns li[data-who={who}]')].some((li) => li.textContent.includes({words:?}));"
        )
    };
    w.wait_for(
        "the greeting",
        STEP,
        &turn("bot", "Welcome to the Dialtone demo hotel"),
    )
    .await;
    w.wait_for(
        "the prompt playing",
        STEP,
        "return document.getElementById('prompt-state').textContent.includes('speaking');",
    )
    .await;
    // Typing "book a room" must not mute (m) or hold (h): the letters are text here.
    w.type_into("#bot-text", "book a room").await;
    w.type_into("#bot-text", ENTER).await;
    w.wait_for("the transcript", STEP, &turn("you", "book a room"))
        .await;
    w.wait_for("the intent", STEP, &turn("intent", "Intent BookRoom"))
        .await;
    w.wait_for("the reply", STEP, &turn("bot", "Which city")).await;
    assert_eq!(w.text("#mute").await, "Mute", "typing did not toggle mute");
    assert_eq!(w.text("#state").await, "Connected");
    assert_eq!(
        w.execute("return document.getElementById('bot-text').value;", json!([]))
            .await,
        ""
    );
    // The same call controls: hold and resume.
    w.click("#hold").await;
    w.wait_state("Held", STEP).await;
    w.click("#hold").await;
    w.wait_state("Connected", STEP).await;
    w.screenshot(&screenshot("bot-conversation")).await;
    hang_up_and_close(w).await;
}

/// The state of call `n` in the window's call list ("" when it is not listed).
async fn listed(w: &Window, n: u32) -> String {
    w.execute(
        "const li = document.querySelector(`#call-list li[data-call='${arguments[0]}']`); return li ? li.dataset.state : '';",
        json!([n]),
    )
    .await
    .as_str()
    .unwrap_or_default()
    .to_owned()
}

/// Waits until the call list shows exactly `want` (call, state).
async fn list_shows(w: &Window, want: &[(u32, &str)]) {
    let wanted: Vec<String> = want.iter().map(|(c, s)| format!("{c}:{s}")).collect();
    let check = format!(
        "return JSON.stringify([...document.querySelectorAll('#call-list li')].map((li) => `${{li.dataset.call}}:${{li.dataset.state}}`)) === {:?};",
        serde_json::to_string(&wanted).expect("json")
    );
    w.wait_for(&format!("the call list {wanted:?}"), STEP, &check)
        .await;
}

/// The sandbox's view of the client's direction towards `number`.
async fn client_direction(url: &str, number: &str) -> Option<dialtone_core::media::Direction> {
    status(url)
        .await
        .sessions
        .into_iter()
        .find(|s| s.number == number)
        .and_then(|s| s.client_direction)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_call_is_answered_then_swapped_merged_split_and_hung_up_from_the_call_list() {
    use dialtone_core::media::Direction;
    let desk = desk().await;
    let (w, url) = (&desk.w, desk.url.as_str());
    // +15550111 answers, then calls back from +15550112 three seconds later.
    dial(w, "+15550111").await;
    w.wait_for(
        "the call-waiting panel",
        SETUP,
        "return !document.getElementById('incoming').hidden;",
    )
    .await;
    assert_eq!(w.text("#incoming-title").await, "Call waiting");
    assert_eq!(w.text("#caller").await, "+15550112");
    assert_eq!(
        w.text("#state").await,
        "Connected",
        "the active call stays in front"
    );
    w.screenshot(&screenshot("call-waiting")).await;

    w.click("#answer").await;
    list_shows(w, &[(1, "Held"), (2, "Connected")]).await;
    assert_eq!(
        client_direction(url, "+15550111").await,
        Some(Direction::RecvOnly)
    );
    assert!(!w.shown("#incoming").await);
    w.screenshot(&screenshot("two-calls")).await;

    // S swaps: call 2 is held, call 1 resumed; the controls follow call 1.
    w.type_into("#hold", "s").await;
    list_shows(w, &[(1, "Connected"), (2, "Held")]).await;
    assert_eq!(
        client_direction(url, "+15550112").await,
        Some(Direction::RecvOnly)
    );
    assert_eq!(
        client_direction(url, "+15550111").await,
        Some(Direction::SendRecv)
    );
    assert!(
        w.text("#peer").await.contains("+15550111"),
        "{}",
        w.text("#peer").await
    );

    w.click("#call-list li[data-call='2'] button[data-action='merge']")
        .await;
    list_shows(w, &[(1, "Connected"), (2, "Connected")]).await;
    assert!(w.shown("#merged-badge").await && w.shown("#split").await);
    w.screenshot(&screenshot("merged")).await;

    w.click("#split").await;
    list_shows(w, &[(1, "Connected"), (2, "Held")]).await;
    assert!(!w.shown("#merged-badge").await);

    w.click("#call-list li[data-call='2'] button[data-action='hangup']")
        .await;
    w.wait_for(
        "the list gone with one call left",
        STEP,
        "return document.getElementById('calls').hidden;",
    )
    .await;
    assert_eq!(listed(w, 2).await, "");
    assert_eq!(w.text("#state").await, "Connected");
    hang_up(w).await;
    wait_history(w, 2).await;
    assert!(status(url).await.sessions.is_empty());
    w.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bot_called_during_a_call_holds_it_shows_the_conversation_and_swaps_back_from_the_list() {
    use dialtone_core::media::Direction;
    let desk = desk().await;
    let (w, url) = (&desk.w, desk.url.as_str());
    dial(w, "+15550101").await;
    assert!(
        !w.shown("#conversation").await,
        "a phone call shows no conversation"
    );
    // The next address is typed over the call's number: its M is a letter, not mute.
    w.execute("document.getElementById('number').value = '';", json!([]))
        .await;
    w.type_into("#number", "lex:DEMOBOT001").await;
    assert_eq!(
        w.execute("return document.getElementById('number').value;", json!([]))
            .await,
        "lex:DEMOBOT001"
    );
    assert_eq!(w.text("#mute").await, "Mute", "typing the address toggled mute");
    w.type_into("#number", ENTER).await;
    list_shows(w, &[(1, "Held"), (2, "Connected")]).await;
    assert_eq!(
        client_direction(url, "+15550101").await,
        Some(Direction::RecvOnly)
    );
    w.wait_for(
        "the conversation beside the held call",
        STEP,
        "return !document.getElementById('conversation').hidden && [...document.querySelectorAll('#turns li[data-who=bot]')].some((li) => li.textContent.includes('Welcome'));",
    )
    .await;
    w.type_into("#bot-text", "book a room").await;
    w.type_into("#bot-text", ENTER).await;
    w.wait_for(
        "the intent",
        STEP,
        "return [...document.querySelectorAll('#turns li[data-who=intent]')].some((li) => li.textContent.includes('BookRoom'));",
    )
    .await;
    assert!(
        !w.shown("#call-list li[data-call='2'] button[data-action='merge']")
            .await
            && !w
                .shown("#call-list li[data-call='1'] button[data-action='merge']")
                .await,
        "a bot call was offered a merge"
    );
    w.screenshot(&screenshot("bot-beside-a-call")).await;

    w.click("#call-list li[data-call='1'] button[data-action='resume']")
        .await;
    list_shows(w, &[(1, "Connected"), (2, "Held")]).await;
    assert_eq!(
        client_direction(url, "+15550101").await,
        Some(Direction::SendRecv)
    );
    w.wait_for(
        "the conversation hidden behind the phone call",
        STEP,
        "return document.getElementById('conversation').hidden;",
    )
    .await;
    w.click("#call-list li[data-call='2'] button[data-action='hangup']")
        .await;
    w.wait_for(
        "the list gone with the phone call left",
        STEP,
        "return document.getElementById('calls').hidden;",
    )
    .await;
    assert_eq!(w.text("#state").await, "Connected");
    hang_up(w).await;
    wait_history(w, 2).await;
    w.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_network_menu_impairs_the_line_in_sight_until_set_back_to_clean() {
    let desk = desk().await;
    let w = &desk.w;
    assert!(!w.shown("#impaired").await, "a clean line says nothing");
    let pick = async |value: &str| {
        w.click("#tab-settings").await;
        let offered = format!(
            "return document.getElementById('settings').getAttribute('aria-busy') === 'false' && [...document.getElementById('impair-pref').options].some((o) => o.value === {value:?});"
        );
        w.wait_for("the network menu", STEP, &offered).await;
        // A network's long description once widened the form past the window's edge.
        let overflow = w
            .execute(
                "return document.documentElement.scrollWidth - innerWidth;",
                json!([]),
            )
            .await;
        assert_eq!(overflow, json!(0), "Settings is wider than the window");
        w.execute(
            "document.getElementById('impair-pref').value = arguments[0];",
            json!([value]),
        )
        .await;
        w.click("#settings button[type=submit]").await;
    };
    pick("3g").await;
    w.wait_for(
        "the footer naming the network",
        SETUP,
        "return !document.getElementById('impaired').hidden && document.getElementById('impairment').textContent === '3g';",
    )
    .await;
    w.wait_state("Ready", SETUP).await;
    dial_echo(w).await;
    // 250 ms each way: the round trip shown is about half a second.
    w.wait_for(
        "a 3G round trip",
        SETUP,
        "return parseInt(document.getElementById('q-rtt').textContent, 10) > 450;",
    )
    .await;
    w.screenshot(&screenshot("network-3g")).await;
    hang_up(w).await;
    pick("").await;
    w.wait_for(
        "the footer clear",
        SETUP,
        "return document.getElementById('impaired').hidden;",
    )
    .await;
    w.close().await;
}
