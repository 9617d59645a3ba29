//! The desktop window under WebDriver: tauri-driver (which runs WebKitWebDriver) on
//! loopback, a W3C client on reqwest, and the app in a home directory of its own.
//! Run inside `scripts/with-desktop.sh` (a D-Bus session and Xvfb).

use serde_json::{Value, json};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One tauri-driver, stopped by PID when dropped.
pub struct Driver {
    child: Child,
    url: String,
    /// The app's HOME and XDG directories (history, settings, webview data).
    pub home: PathBuf,
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn tauri_driver() -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_default();
    let installed = home.join("bin/tauri-driver");
    if installed.exists() {
        installed
    } else {
        PathBuf::from("tauri-driver")
    }
}

/// The environment the app runs in: its own home, so tests never touch the user's.
pub fn app_env(home: &Path) -> Vec<(String, PathBuf)> {
    vec![
        ("HOME".into(), home.to_path_buf()),
        ("XDG_DATA_HOME".into(), home.join("data")),
        ("XDG_CONFIG_HOME".into(), home.join("config")),
        ("XDG_CACHE_HOME".into(), home.join("cache")),
        // The embedded sandbox's control routes want a bearer; the scenarios read its
        // status with this one (crate::desk::status).
        (
            "DIALTONE_SANDBOX_CONTROL_TOKEN".into(),
            PathBuf::from(control_token()),
        ),
    ]
}

/// The control token the app's embedded sandbox is given in these scenarios: this test
/// process's own.
pub fn control_token() -> &'static str {
    static TOKEN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TOKEN.get_or_init(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        format!("window-tests-{}-{nanos}", std::process::id())
    })
}

/// The desktop's colour scheme, as GTK (and so WebKitGTK's `prefers-color-scheme`) reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Theme {
    Light,
    Dark,
}

impl Theme {
    pub fn name(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }
}

impl Driver {
    pub async fn start() -> Driver {
        Driver::start_in(Theme::Light).await
    }

    /// tauri-driver, and the app it opens, on a desktop set to `theme`.
    pub async fn start_in(theme: Theme) -> Driver {
        assert!(
            std::env::var_os("DISPLAY").is_some(),
            "no DISPLAY: run the window tests through scripts/with-desktop.sh (make app-test)"
        );
        let home =
            std::env::temp_dir().join(format!("dialtone-window-{}-{}", std::process::id(), free_port()));
        std::fs::create_dir_all(&home).expect("app home");
        let (port, native) = (free_port(), free_port());
        // A process group of its own: WebKitWebDriver and the app go with it, even
        // when a failed test never ends its session.
        let child = Command::new(tauri_driver())
            .process_group(0)
            .args(["--port", &port.to_string(), "--native-port", &native.to_string()])
            .envs(app_env(&home))
            .env(
                "GTK_THEME",
                match theme {
                    Theme::Light => "Adwaita",
                    Theme::Dark => "Adwaita:dark",
                },
            )
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("tauri-driver runs (scripts/setup.sh test installs it)");
        let driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
            home,
        };
        wait_until_up(&driver.url, "tauri-driver").await;
        driver
    }

    /// Opens the app (`args` after the binary) and a WebDriver session on its window.
    pub async fn open(&self, app: &Path, args: &[&str]) -> Window {
        let caps = json!({
            "browserName": "wry",
            "tauri:options": {"application": app, "args": args}
        });
        let (http, base) = new_session(&self.url, caps).await;
        Window { http, base }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        stop_group(&mut self.child);
        let _ = std::fs::remove_dir_all(&self.home);
    }
}

/// Waits up to 20 s for a WebDriver server's `/status`.
pub(crate) async fn wait_until_up(url: &str, what: &str) {
    let http = reqwest::Client::new();
    let until = Instant::now() + Duration::from_secs(20);
    while Instant::now() < until {
        if http
            .get(format!("{url}/status"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what} did not come up on {url}");
}

/// A W3C session with `capabilities`; returns the client and the session's URL.
pub(crate) async fn new_session(url: &str, capabilities: Value) -> (reqwest::Client, String) {
    let http = reqwest::Client::new();
    let reply: Value = http
        .post(format!("{url}/session"))
        .json(&json!({"capabilities": {"alwaysMatch": capabilities}}))
        .send()
        .await
        .expect("new session")
        .json()
        .await
        .expect("session json");
    let id = reply["value"]["sessionId"]
        .as_str()
        .unwrap_or_else(|| panic!("no session: {reply}"))
        .to_owned();
    (http, format!("{url}/session/{id}"))
}

/// Stops a driver started in a process group of its own, with what it started.
pub(crate) fn stop_group(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", "--", &format!("-{}", child.id())])
        .status();
    let _ = child.kill();
    let _ = child.wait();
}

/// The WebDriver keys for Enter, Escape and Tab.
pub const ENTER: &str = "\u{E007}";
pub const ESCAPE: &str = "\u{E00C}";
pub const TAB: &str = "\u{E004}";

/// A W3C session on the app's window.
pub struct Window {
    http: reqwest::Client,
    base: String,
}

impl Window {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let reply: Value = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"))
            .json()
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        // W3C errors are `{error: "<code>", message, stacktrace}`.
        if reply["value"]["error"].is_string() && reply["value"]["message"].is_string() {
            panic!("{path}: {}", reply["value"]);
        }
        reply["value"].clone()
    }

    async fn element(&self, css: &str) -> String {
        let v = self
            .call(
                reqwest::Method::POST,
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        v.as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("no element {css}: {v}"))
            .to_owned()
    }

    pub async fn click(&self, css: &str) {
        let id = self.element(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/click"),
            Some(json!({})),
        )
        .await;
    }

    /// Types `text` (WebDriver key codes included) into the element.
    pub async fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/value"),
            Some(json!({"text": text})),
        )
        .await;
    }

    /// Types `text` into whatever has the focus.
    pub async fn type_active(&self, text: &str) {
        let v = self.call(reqwest::Method::GET, "/element/active", None).await;
        let id = v
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("nothing has the focus: {v}"))
            .to_owned();
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/value"),
            Some(json!({"text": text})),
        )
        .await;
    }

    /// Runs `script` in the page (a returned promise is awaited).
    pub async fn execute(&self, script: &str, args: Value) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": args})),
        )
        .await
    }

    /// Calls one of the app's commands as the page does; errors come back as `{error}`.
    pub async fn invoke(&self, cmd: &str, args: Value) -> Value {
        self.execute(
            "return window.__TAURI__.core.invoke(arguments[0], arguments[1]).catch((e) => ({error: e}));",
            json!([cmd, args]),
        )
        .await
    }

    pub async fn text(&self, css: &str) -> String {
        self.execute(
            "const e = document.querySelector(arguments[0]); return e ? e.textContent : null;",
            json!([css]),
        )
        .await
        .as_str()
        .unwrap_or_default()
        .trim()
        .to_owned()
    }

    /// Whether the element is shown (not hidden, laid out).
    pub async fn shown(&self, css: &str) -> bool {
        self.execute(
            "const e = document.querySelector(arguments[0]); return !!e && !e.closest('[hidden]') && e.getClientRects().length > 0;",
            json!([css]),
        )
        .await
        .as_bool()
        .unwrap_or(false)
    }

    /// Waits until `check` holds, or panics with what `describe` says of the page.
    pub async fn wait_for(&self, what: &str, within: Duration, check: &str) {
        if let Err(shown) = self.try_wait_for(within, check).await {
            panic!("waited {within:?} for {what}; {shown}");
        }
    }

    /// Waits until `check` holds; if it never does, says what the window shows.
    pub async fn try_wait_for(&self, within: Duration, check: &str) -> Result<(), String> {
        let until = Instant::now() + within;
        while Instant::now() < until {
            if self.execute(check, json!([])).await.as_bool() == Some(true) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let state = self.text("#state").await;
        let error = self.text("#error").await;
        let peer = self.text("#peer").await;
        Err(format!(
            "the window shows state '{state}' ({peer}), error '{error}'"
        ))
    }

    /// Waits until the status line shows `label`.
    pub async fn wait_state(&self, label: &str, within: Duration) {
        let check = format!(
            "return document.getElementById('state').textContent.trim() === {};",
            json!(label)
        );
        self.wait_for(&format!("the state '{label}'"), within, &check)
            .await;
    }

    pub async fn set_size(&self, width: u32, height: u32) {
        self.call(
            reqwest::Method::POST,
            "/window/rect",
            Some(json!({"width": width, "height": height})),
        )
        .await;
    }

    /// Saves a PNG of the window, once the page has painted its latest state.
    pub async fn screenshot(&self, path: &Path) {
        self.execute(
            "return new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 300))));",
            json!([]),
        )
        .await;
        // From the X server, not WebDriver: WebKitWebDriver's snapshot never answers when
        // the app runs WebKit without compositing, as it does (decisions §16).
        let rect = self.call(reqwest::Method::GET, "/window/rect", None).await;
        let n = |k: &str| rect[k].as_f64().unwrap_or_default().round() as i64;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("screenshot dir");
        }
        let status = Command::new("import")
            .args(["-window", "root", "-crop"])
            .arg(format!(
                "{}x{}+{}+{}",
                n("width"),
                n("height"),
                n("x").max(0),
                n("y").max(0)
            ))
            .arg(path)
            .status()
            .expect("ImageMagick's import (scripts/setup.sh test installs it)");
        assert!(status.success(), "import could not grab the window");
    }

    /// Ends the session; the app exits.
    pub async fn close(&self) {
        let _ = self.http.delete(&self.base).send().await;
    }
}

/// Watches the session bus for desktop notifications (`Notify` calls), whether or not a
/// notification daemon answers them. Stopped by PID when dropped.
pub struct NotificationWatch {
    child: Child,
    seen: std::sync::Arc<std::sync::Mutex<String>>,
}

impl NotificationWatch {
    pub fn start() -> NotificationWatch {
        let mut child = Command::new("dbus-monitor")
            .args([
                "--session",
                "type='method_call',interface='org.freedesktop.Notifications',member='Notify'",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-monitor runs (package dbus-bin)");
        let seen = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        if let Some(out) = child.stdout.take() {
            let seen = seen.clone();
            std::thread::spawn(move || {
                use std::io::BufRead;
                for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                    if let Ok(mut s) = seen.lock() {
                        s.push_str(&line);
                        s.push('\n');
                    }
                }
            });
        }
        NotificationWatch { child, seen }
    }

    /// Waits until a notification carrying `text` was sent.
    pub async fn wait_for(&self, text: &str, within: Duration) -> bool {
        let until = Instant::now() + within;
        while Instant::now() < until {
            if self.seen.lock().is_ok_and(|s| s.contains(text)) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }
}

impl Drop for NotificationWatch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
