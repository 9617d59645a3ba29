//! Prism in proxy mode in front of the sandbox: every request and response on the way
//! is validated against one CAMARA spec, and with `--errors` a violation turns into an
//! error response; or in mock mode, answering from the spec's examples and validating
//! what it is sent. Installed by `scripts/setup.sh test` into `tests/contract/`.

use dialtone_core::signaling::camara::Dialect;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Prism {
    child: Child,
    port: u16,
    log: PathBuf,
}

fn contract_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("contract")
}

/// The spec file of `dialect` for an API: `webrtc-registration`, `webrtc-call-handling`
/// or `webrtc-events` (in next, `webrtc-events-subscriptions`).
pub fn spec(dialect: Dialect, api: &str) -> PathBuf {
    let file = match (dialect, api) {
        (Dialect::Next, "webrtc-events") => "webrtc-events-subscriptions",
        _ => api,
    };
    contract_dir()
        .join("specs")
        .join(dialect.name())
        .join(format!("{file}.yaml"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Prism {
    /// Proxies `spec` to `upstream` (the sandbox's base path for that API).
    pub fn proxy(spec: &Path, upstream: &str) -> Prism {
        Prism::start(&["proxy", "--errors"], spec, Some(upstream), None)
    }

    /// Answers from `spec`'s examples, refusing (422) what does not validate. It also
    /// calls the callbacks a subscription names (the event sink) with the examples, so it
    /// is given the certificate of the sink it must trust.
    pub fn mock(spec: &Path, sink_certificate: &Path) -> Prism {
        Prism::start(&["mock", "--errors"], spec, None, Some(sink_certificate))
    }

    fn start(mode: &[&str], spec: &Path, upstream: Option<&str>, ca: Option<&Path>) -> Prism {
        let bin = contract_dir().join("node_modules/.bin/prism");
        assert!(
            bin.exists(),
            "Prism is not installed: run `scripts/setup.sh test` (make test does)"
        );
        let port = free_port();
        let log = std::env::temp_dir().join(format!("dialtone-prism-{port}.log"));
        let out = std::fs::File::create(&log).expect("prism log");
        let err = out.try_clone().expect("prism log");
        let mut command = Command::new(bin);
        if let Some(ca) = ca {
            command.env("NODE_EXTRA_CA_CERTS", ca);
        }
        let child = command
            .args(mode)
            .args(["-h", "127.0.0.1", "-p", &port.to_string()])
            .arg(spec)
            .args(upstream)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("start prism");
        let mut p = Prism { child, port, log };
        p.wait_ready();
        p
    }

    fn wait_ready(&mut self) {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(60) {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("prism exited ({status}):\n{}", self.log_text());
            }
            if self.log_text().contains("Prism is listening") {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("prism did not start in 60 s:\n{}", self.log_text());
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn log_text(&self) -> String {
        let mut s = String::new();
        if let Ok(mut f) = std::fs::File::open(&self.log) {
            let _ = f.read_to_string(&mut s);
        }
        s
    }

    /// Requests Prism has received (and validated) so far.
    pub fn requests(&self) -> usize {
        self.log_text()
            .lines()
            .filter(|l| l.contains("Request received"))
            .count()
    }

    /// Prism's complaints about requests or responses so far.
    pub fn violations(&self) -> Vec<String> {
        self.log_text()
            .lines()
            .filter(|l| l.contains("Violation") || l.contains("✖"))
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}
