//! The app's window on its embedded sandbox, for the window scenarios (`tests/app/`): one
//! window at a time, the sandbox's view of the calls, and the steps most scenarios take.

use crate::webdriver::{Driver, ENTER, Theme, Window};
use dialtone_sandbox::SandboxStatus;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub const SETUP: Duration = Duration::from_secs(20);
pub const STEP: Duration = Duration::from_secs(10);

/// One window at a time: the app is single-instance.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Where a scenario's screenshot `name` goes: `target/app-screenshots/<name>.png`.
pub fn screenshot(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../target/app-screenshots")
        .join(format!("{name}.png"))
}

/// The app open on its embedded sandbox, with the sandbox's URL. Fields drop in order:
/// the driver (and the app with it) goes before the next scenario may start.
pub struct Desk {
    pub w: Window,
    pub url: String,
    pub driver: Driver,
    _one: tokio::sync::MutexGuard<'static, ()>,
}

impl Desk {
    /// Opens `app` on a desktop set to `theme` and waits for its line.
    pub async fn open(app: &Path, theme: Theme) -> Desk {
        let one = ONE_AT_A_TIME.lock().await;
        let driver = Driver::start_in(theme).await;
        let w = driver.open(app, &[]).await;
        w.wait_state("Ready", SETUP).await;
        let info = w.invoke("line_info", json!({})).await;
        assert_eq!(info["source"]["kind"], "embedded_sandbox", "{info}");
        let url = info["source"]["url"].as_str().expect("sandbox url").to_owned();
        Desk {
            w,
            url,
            driver,
            _one: one,
        }
    }
}

/// What the app's embedded sandbox at `url` shows of its calls.
pub async fn status(url: &str) -> SandboxStatus {
    status_with(url, crate::webdriver::control_token()).await
}

/// The same for any sandbox, given its control token.
pub async fn status_with(url: &str, control_token: &str) -> SandboxStatus {
    reqwest::Client::new()
        .get(format!("{url}{}", dialtone_sandbox::STATUS_PATH))
        .bearer_auth(control_token)
        .send()
        .await
        .expect("sandbox status")
        .json()
        .await
        .expect("status json")
}

/// Has the sandbox call the app.
pub async fn call_me(url: &str) {
    let r = reqwest::Client::new()
        .post(format!("{url}/sandbox/v1/call-me"))
        .bearer_auth(crate::webdriver::control_token())
        .json(&json!({}))
        .send()
        .await
        .expect("call me");
    assert!(r.status().is_success(), "call-me: {}", r.status());
}

/// Waits until the element shows a running clock (m:ss).
pub async fn wait_clock(w: &Window, id: &str) {
    let check = format!("return /^\\d+:\\d\\d$/.test(document.getElementById('{id}').textContent);");
    w.wait_for(&format!("a clock in #{id}"), STEP, &check).await;
}

/// Types the echo's number, presses Enter, and waits for the call to come up.
pub async fn dial_echo(w: &Window) {
    dial(w, "+15550100").await;
}

/// Types `number` in the emptied field, presses Enter, and waits for the call to come up.
pub async fn dial(w: &Window, number: &str) {
    // The field keeps the last number dialled; this one is typed over it.
    w.execute("document.getElementById('number').value = '';", json!([]))
        .await;
    w.type_into("#number", number).await;
    let typed = format!(
        "return document.getElementById('number').value.replace(/\\s/g, '') === {};",
        json!(number.replace(' ', ""))
    );
    if let Err(shown) = w.try_wait_for(STEP, &typed).await {
        let value = w
            .execute("return document.getElementById('number').value;", json!([]))
            .await;
        panic!("typed {number}, the number field shows {value} ({shown})");
    }
    w.type_into("#number", ENTER).await;
    w.wait_state("Connected", SETUP).await;
}

/// Waits until the history lists `n` calls.
pub async fn wait_history(w: &Window, n: usize) {
    let check = format!("return document.querySelectorAll('#history li').length === {n};");
    w.wait_for(&format!("{n} history rows"), STEP, &check).await;
}

pub async fn history_rows(w: &Window) -> usize {
    w.execute(
        "return document.querySelectorAll('#history li').length;",
        json!([]),
    )
    .await
    .as_u64()
    .unwrap_or(0) as usize
}

pub async fn hang_up(w: &Window) {
    w.click("#hangup").await;
    w.wait_state("Call ended", STEP).await;
}

/// Hangs up with the button and closes the window.
pub async fn hang_up_and_close(w: &Window) {
    hang_up(w).await;
    w.close().await;
}

/// Settings: clicks `css` (a checkbox, say) once the lists are filled, saves, and waits for
/// "Saved".
pub async fn change_setting(w: &Window, css: &str) {
    w.click("#tab-settings").await;
    w.wait_for(
        "the settings",
        STEP,
        "return document.getElementById('settings').getAttribute('aria-busy') === 'false';",
    )
    .await;
    w.click(css).await;
    w.click("#settings button[type=submit]").await;
    w.wait_for(
        "the settings saved",
        STEP,
        "return document.getElementById('settings-note').textContent.startsWith('Saved');",
    )
    .await;
}
