//! Running the `dialtone` binary in the scenarios: each `Cli` has its own config and
//! data directories (so a developer's accounts and history never leak in either way),
//! and JSON-lines output parsing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub struct Cli {
    bin: PathBuf,
    config: PathBuf,
}

impl Cli {
    /// `bin` is `env!("CARGO_BIN_EXE_dialtone")`.
    pub fn new(bin: &str) -> Self {
        let config = std::env::temp_dir().join(format!("dialtone-cli-{}", uuid_like()));
        std::fs::create_dir_all(&config).ok();
        Self {
            bin: PathBuf::from(bin),
            config,
        }
    }

    pub fn cmd(&self) -> Command {
        let mut c = Command::new(&self.bin);
        c.env("XDG_CONFIG_HOME", &self.config)
            .env("XDG_DATA_HOME", self.data_dir())
            .stdin(Stdio::null());
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().expect("run dialtone")
    }

    /// Runs with `input` on stdin.
    pub fn run_with_stdin(&self, args: &[&str], input: &str) -> Output {
        use std::io::Write;
        let mut child = self
            .cmd()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn dialtone");
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(input.as_bytes()).expect("write stdin");
        }
        child.wait_with_output().expect("wait dialtone")
    }

    /// `dialtone accounts add` (see [`account_add_args`]) with `stdin` as what is typed.
    pub fn add_account(&self, name: &str, root: &str, token_url: &str, stdin: &str) -> Output {
        self.run_with_stdin(&account_add_args(name, root, token_url), stdin)
    }

    pub fn config_dir(&self) -> &Path {
        &self.config
    }

    pub fn data_dir(&self) -> PathBuf {
        self.config.join("data")
    }
}

impl Drop for Cli {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.config);
    }
}

/// `accounts add NAME` for an operator at `root` with the sandbox's client id; the client
/// secret is read from stdin.
pub fn account_add_args<'a>(name: &'a str, root: &'a str, token_url: &'a str) -> Vec<&'a str> {
    vec![
        "accounts",
        "add",
        name,
        "--api-root",
        root,
        "--token-url",
        token_url,
        "--client-id",
        "dialtone-sandbox",
    ]
}

fn uuid_like() -> String {
    use rand::Rng;
    format!("{:016x}", rand::rng().random::<u64>())
}

/// When a JSON-lines event happened: its `t_ms`, ms since the command started.
pub fn t_ms(e: &serde_json::Value) -> u64 {
    e["t_ms"].as_u64().unwrap_or(0)
}

pub fn json_lines(out: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(out)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// The `state` names in order.
/// Stdout and stderr together, for assertion messages and searches.
pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

pub fn states(events: &[serde_json::Value]) -> Vec<String> {
    events
        .iter()
        .filter(|e| e["event"] == "state")
        .filter_map(|e| e["state"].as_str().map(str::to_owned))
        .collect()
}

/// True inside `scripts/with-keyring.sh`; otherwise re-runs test `name` there.
pub fn in_keyring_session(name: &str) -> bool {
    crate::session::inside(crate::session::Wrapper::Keyring, name)
}

/// What `secret-tool` finds in the session's keyring for one of our entries.
pub fn keyring_lookup(user: &str) -> Option<String> {
    let out = Command::new("secret-tool")
        .args(["lookup", "service", "dev.dialtone.app", "username", user])
        .output()
        .expect("run secret-tool (package libsecret-tools)");
    let s = String::from_utf8_lossy(&out.stdout).to_string();
    (out.status.success() && !s.is_empty()).then_some(s)
}
