//! `dialtone sandbox --camara r2.2|wip|next` and `dialtone call --sandbox URL` against it,
//! each a process of its own: the caller finds which CAMARA version the sandbox speaks
//! (nothing tells it) and completes a call with hold and resume. Then the mismatch: a
//! client told the wrong version gets one error that names the right one.

use dialtone_e2e::cli::{Cli, json_lines, states, text};
use std::process::{Child, Stdio};

fn cli() -> Cli {
    Cli::new(env!("CARGO_BIN_EXE_dialtone"))
}

/// A `dialtone sandbox` process, stopped by PID when dropped.
struct SandboxProcess {
    child: Child,
    url: String,
}

impl SandboxProcess {
    fn start(cli: &Cli, camara: &str) -> SandboxProcess {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let listen = format!("127.0.0.1:{port}");
        // Its output goes to a file: a pipe closed early would make its next line fail.
        let log = std::env::temp_dir().join(format!("dialtone-sandbox-{port}.log"));
        let child = cli
            .cmd()
            .args(["sandbox", "--listen", &listen, "--camara", camara])
            .stdout(std::fs::File::create(&log).expect("log"))
            .stderr(Stdio::null())
            .spawn()
            .expect("dialtone sandbox");
        let start = std::time::Instant::now();
        let banner = loop {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if text.contains("CAMARA APIs") || start.elapsed() > std::time::Duration::from_secs(20) {
                break text;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        };
        assert!(banner.contains(&format!("speaking CAMARA {camara}")), "{banner}");
        SandboxProcess {
            child,
            url: format!("http://{listen}"),
        }
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_call_with_hold_and_resume_completes_on_a_sandbox_of_each_camara_version() {
    let cli = cli();
    for camara in ["r2.2", "wip", "next"] {
        let sandbox = SandboxProcess::start(&cli, camara);
        let out = cli.run(&[
            "call",
            "+15550100",
            "--sandbox",
            &sandbox.url,
            "--json",
            "--script",
            "wait 1s; hold; wait 1s; resume; wait 1s; hangup",
        ]);
        assert!(out.status.success(), "{camara}: {}", text(&out));
        assert!(
            text(&out).contains(&format!("the sandbox speaks CAMARA {camara}")),
            "{camara}: {}",
            text(&out)
        );
        let key: Vec<String> = states(&json_lines(&out.stdout))
            .into_iter()
            .filter(|s| ["Connected", "Held", "Ended"].contains(&s.as_str()))
            .collect();
        assert_eq!(key, ["Connected", "Held", "Connected", "Ended"], "{camara}");
    }
}

#[test]
fn a_client_told_the_wrong_version_is_told_which_one_the_operator_speaks() {
    let cli = cli();
    let sandbox = SandboxProcess::start(&cli, "r2.2");
    let out = cli.run(&[
        "call",
        "+15550100",
        "--sandbox",
        &sandbox.url,
        "--camara",
        "wip",
        "--json",
        "--script",
        "hangup",
    ]);
    assert!(!out.status.success(), "{}", text(&out));
    let all = text(&out);
    assert!(
        all.contains("answered like CAMARA r2.2, not CAMARA wip") && all.contains("--camara r2.2"),
        "{all}"
    );
}
