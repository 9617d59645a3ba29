//! Chromium as a far end: Debian's headless Chromium under chromedriver (W3C WebDriver),
//! on loopback only (the flags of `../shared/reference/test-rigs.md` §5), with a page of
//! our own whose `RTCPeerConnection` the test drives: offers and answers go back and forth
//! as strings, so no signaling server of ours stands between the two stacks.
//!
//! The page sends a tone from an oscillator (no microphone), plays what it receives, and
//! measures it with an analyser, so both directions are checked by the ear of the other
//! stack: Dialtone's decoder hears Chromium's tone, Chromium's hears Dialtone's.

use crate::webdriver::{free_port, new_session, stop_group, wait_until_up};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Keeps Chromium on loopback: no background traffic, no DNS, loopback ICE candidates.
pub const FLAGS: &[&str] = &[
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--allow-loopback-in-peer-connection",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    "--disable-features=WebRtcHideLocalIpsWithMdns,OptimizationHints,MediaRouter,DialMediaRouteProvider,Translate,AutofillServerCommunication,CertificateTransparencyComponentUpdater",
    "--no-default-browser-check",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--metrics-recording-only",
    "--disable-default-apps",
];

const PAGE: &str = include_str!("chromium_page.html");

/// Serves `files` (path, content type, body) on 127.0.0.1 until the process ends; any
/// other path gets the first. A page from 127.0.0.1 is a secure context, as a real one.
pub fn serve(files: Vec<(&'static str, &'static str, Vec<u8>)>) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the page server");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 2048];
            let n = s.read(&mut buf).unwrap_or(0);
            let request = String::from_utf8_lossy(&buf[..n]);
            let path = request.split(' ').nth(1).unwrap_or("/");
            let Some((_, kind, body)) = files.iter().find(|f| f.0 == path).or(files.first()) else {
                continue;
            };
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\ncontent-type: {kind}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = s.write_all(body);
        }
    });
    port
}

/// chromedriver with one Chromium, stopped by PID (their process group) when dropped.
pub struct Chromium {
    child: Child,
    http: reqwest::Client,
    session: String,
    profile: std::path::PathBuf,
}

impl Chromium {
    /// Starts the browser on the far-end page; panics with the reason when the rig is missing.
    pub async fn start() -> Chromium {
        Self::start_on(PAGE).await
    }

    /// chromedriver's PID: Chromium's processes descend from it.
    pub fn driver_pid(&self) -> u32 {
        self.child.id()
    }

    /// Starts the browser on `page` (HTML served from 127.0.0.1).
    pub async fn start_on(page: &'static str) -> Chromium {
        Self::launch(page, FLAGS.iter().copied()).await
    }

    /// The same, with the sound server's devices as microphone and speaker instead of
    /// Chromium's fake ones.
    pub async fn start_on_devices(page: &'static str) -> Chromium {
        Self::launch(
            page,
            FLAGS
                .iter()
                .copied()
                .filter(|f| *f != "--use-fake-device-for-media-stream"),
        )
        .await
    }

    async fn launch(page: &'static str, flags: impl Iterator<Item = &'static str>) -> Chromium {
        let port = free_port();
        let profile = std::env::temp_dir().join(format!("dialtone-chromium-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&profile).expect("profile dir");
        let child = Command::new("chromedriver")
            .process_group(0)
            .args([format!("--port={port}"), "--allowed-ips=127.0.0.1".into()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver runs (scripts/setup.sh test installs chromium-driver)");
        let base = format!("http://127.0.0.1:{port}");
        wait_until_up(&base, "chromedriver").await;
        let mut args: Vec<String> = flags.map(str::to_owned).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args}
        });
        let (http, session) = new_session(&base, caps).await;
        let c = Chromium {
            child,
            http,
            session,
            profile,
        };
        let page = serve(vec![("/", "text/html; charset=utf-8", page.as_bytes().to_vec())]);
        c.call("/url", json!({"url": format!("http://127.0.0.1:{page}/")}))
            .await;
        c
    }

    async fn call(&self, path: &str, body: Value) -> Value {
        let reply: Value = self
            .http
            .post(format!("{}{path}", self.session))
            .json(&body)
            .send()
            .await
            .expect("webdriver request")
            .json()
            .await
            .expect("webdriver json");
        reply["value"].clone()
    }

    /// Opens `url` in place of the test page (the sandbox's browser phone).
    pub async fn open(&self, url: &str) {
        self.call("/url", json!({"url": url})).await;
    }

    /// Runs `body` (an async function body: `return` a value) in the current page;
    /// a rejection panics with its message.
    pub async fn eval(&self, body: &str) -> Value {
        let script = format!(
            "return (async () => {{ {body} }})().then(v => v === undefined ? null : v, e => ({{error: String(e)}}));"
        );
        let v = self
            .call("/execute/sync", json!({"script": script, "args": []}))
            .await;
        if let Some(e) = v.get("error") {
            panic!("{body} failed in Chromium: {e}");
        }
        v
    }

    /// Runs `dt.<function>(...args)` in the page and returns its (awaited) result;
    /// a rejected promise comes back as `{"error": message}`.
    pub async fn run(&self, function: &str, args: Value) -> Value {
        let script = format!(
            "return dt.{function}(...arguments).then(v => v === undefined ? null : v, e => ({{error: String(e)}}));"
        );
        let v = self
            .call("/execute/sync", json!({"script": script, "args": args}))
            .await;
        if let Some(e) = v.get("error") {
            panic!("dt.{function} failed in Chromium: {e}");
        }
        v
    }

    /// A fresh peer connection sending a `tone_hz` tone; `codecs` (such as `["PCMU"]`)
    /// restricts and orders what it negotiates, empty for Chromium's defaults.
    pub async fn new_call(&self, tone_hz: f64, codecs: &[&str]) {
        self.run("newCall", json!([tone_hz, codecs])).await;
    }

    pub async fn offer(&self) -> String {
        self.run("offer", json!([]))
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub async fn answer(&self, offer: &str) -> String {
        self.run("answer", json!([offer]))
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// A re-offer with `direction` (`recvonly` to hold us, `sendrecv` to resume).
    pub async fn reoffer(&self, direction: &str) -> String {
        self.run("reoffer", json!([direction]))
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub async fn accept(&self, answer: &str) {
        self.run("accept", json!([answer])).await;
    }

    /// What Chromium hears now: (dominant frequency in Hz, level in dBFS) over the last
    /// analyser window, and its inbound RTP packet count.
    pub async fn hearing(&self) -> Hearing {
        let v = self.run("hearing", json!([])).await;
        Hearing {
            freq: v["freq"].as_f64().unwrap_or(0.0),
            dbfs: v["dbfs"].as_f64().unwrap_or(-200.0),
            packets_received: v["packetsReceived"].as_u64().unwrap_or(0),
            packets_sent: v["packetsSent"].as_u64().unwrap_or(0),
            codec: v["codec"].as_str().unwrap_or_default().to_owned(),
        }
    }

    /// Waits until Chromium hears a tone near `freq` (within 30 Hz, above -50 dBFS).
    pub async fn wait_to_hear(&self, freq: f64, within: Duration) -> Option<Duration> {
        let start = Instant::now();
        while start.elapsed() < within {
            let h = self.hearing().await;
            if (h.freq - freq).abs() < 30.0 && h.dbfs > -50.0 {
                return Some(start.elapsed());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        None
    }

    /// The direction Chromium's audio transceiver negotiated (`currentDirection`:
    /// `sendonly` while we hold it), or None before any.
    pub async fn current_direction(&self) -> Option<String> {
        self.eval("return dt.tx ? dt.tx.currentDirection : null;")
            .await
            .as_str()
            .map(str::to_owned)
    }

    /// RFC 4733 digits from Chromium's `RTCDTMFSender`.
    pub async fn send_dtmf(&self, digits: &str) {
        self.run("dtmf", json!([digits])).await;
    }

    pub async fn hang_up(&self) {
        self.run("hangUp", json!([])).await;
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Hearing {
    pub freq: f64,
    pub dbfs: f64,
    pub packets_received: u64,
    pub packets_sent: u64,
    pub codec: String,
}

impl Drop for Chromium {
    fn drop(&mut self) {
        stop_group(&mut self.child);
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}
