//! A registration left behind by a killed process: the operator answers the next POST
//! registration with 409 `ALREADY_EXISTS` (one per device and number, as the spec says),
//! and Dialtone recovers the spec's way (GET `?deviceId=`, DELETE, POST) so the next call
//! connects instead of failing until the old registration expires. An operator account
//! keeps its device id across runs, which is what makes the old registration collide.

use dialtone_e2e::cli::{Cli, in_keyring_session, json_lines, states};
use dialtone_e2e::line::sandbox;
use dialtone_sandbox::SandboxConfig;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

#[test]
fn a_call_after_a_killed_process_recovers_its_registration_and_connects() {
    if !in_keyring_session("a_call_after_a_killed_process_recovers_its_registration_and_connects") {
        return;
    }
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = rt.block_on(sandbox(SandboxConfig::default()));
    let root = sb.base_url();
    let token_url = sb.credentials().token_url;
    let cli = Cli::new(env!("CARGO_BIN_EXE_dialtone"));
    let out = cli.add_account("lab", &root, &token_url, "sandbox-secret\n");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let mut listener = cli
        .cmd()
        .args(["listen", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn dialtone listen");
    let stdout = listener.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let registered = BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .any(|l| l.contains("\"registered\""));
        let _ = tx.send(registered);
    });
    let registered = rx.recv_timeout(Duration::from_secs(20));
    if registered != Ok(true) {
        let _ = listener.kill();
        panic!("listen did not register within 20 s: {registered:?}");
    }
    let stale = rt.block_on(sb.status()).registrations;
    assert_eq!(stale.len(), 1, "{stale:?}");
    // SIGKILL: no chance to unregister.
    listener.kill().expect("kill");
    listener.wait().expect("reap");
    assert_eq!(rt.block_on(sb.status()).registrations.len(), 1);

    let out = cli.run(&["call", "+15550100", "--json", "--script", "wait 500ms; hangup"]);
    let events = json_lines(&out.stdout);
    assert!(
        out.status.success(),
        "{}\n{events:?}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(states(&events).iter().any(|s| s == "Connected"), "{events:?}");
    // The stale registration is gone (and ours was removed when the call's line closed).
    let left = rt.block_on(sb.status()).registrations;
    assert!(
        left.iter().all(|r| r.registration_id != stale[0].registration_id),
        "{left:?}"
    );
}
