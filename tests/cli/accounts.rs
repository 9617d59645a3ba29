//! Operator accounts through the `dialtone` binary and the real OS keyring (gnome-keyring
//! over the Secret Service, in a private D-Bus session): the secret goes to the keyring and
//! never to the config file, a call on the account works and caches its token there, and a
//! keyring that is missing gives a clear error and changes nothing.

use dialtone_e2e::cli::{
    Cli, account_add_args, in_keyring_session, json_lines, keyring_lookup, states, text,
};
use dialtone_e2e::line::sandbox;
use dialtone_sandbox::SandboxConfig;

fn cli() -> Cli {
    Cli::new(env!("CARGO_BIN_EXE_dialtone"))
}

#[test]
fn an_account_keeps_its_secret_in_the_keyring_and_places_calls() {
    if !in_keyring_session("an_account_keeps_its_secret_in_the_keyring_and_places_calls") {
        return;
    }
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = rt.block_on(sandbox(SandboxConfig::default()));
    let root = sb.base_url();
    let token_url = sb.credentials().token_url;
    let cli = cli();

    let out = cli.add_account("lab", &root, &token_url, "sandbox-secret\n");
    assert!(out.status.success(), "{}", text(&out));
    let book = std::fs::read_to_string(cli.config_dir().join("dialtone/accounts.json")).expect("book");
    assert!(book.contains("\"lab\""), "{book}");
    assert!(
        !book.contains("sandbox-secret"),
        "the secret leaked into the config file: {book}"
    );
    assert_eq!(
        keyring_lookup("lab/client-secret").as_deref(),
        Some("sandbox-secret")
    );

    let out = cli.run(&["accounts", "list", "--json"]);
    let listed = json_lines(&out.stdout);
    assert_eq!(listed.len(), 1, "{}", text(&out));
    assert_eq!(listed[0]["name"], "lab");
    assert_eq!(listed[0]["default"], true);
    assert_eq!(listed[0]["secret"], "in keyring");
    assert!(!text(&out).contains("sandbox-secret"));

    // The default account carries the call: no built-in sandbox is started.
    let call = ["call", "+15550100", "--json", "--script", "wait 1s; hangup"];
    let out = cli.run(&call);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("using the account 'lab'"), "{}", text(&out));
    let seen = states(&json_lines(&out.stdout));
    assert!(
        seen.contains(&"Connected".to_owned()) && seen.last().map(String::as_str) == Some("Ended"),
        "{seen:?}"
    );
    let status = rt.block_on(sb.status());
    assert_eq!(status.tokens_issued, 1);
    let cached = keyring_lookup("lab/access-token").expect("the token is cached in the keyring");
    assert!(
        cached.contains("sbx-") && !cached.contains("sandbox-secret"),
        "{cached}"
    );

    // A second run takes the cached token instead of asking the token server again.
    let out = cli.run(&call);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(rt.block_on(sb.status()).tokens_issued, 1);

    // `--account sandbox` still reaches the built-in sandbox.
    let out = cli.run(&["call", "+15550100", "--account", "sandbox", "--script", "hangup"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("built-in sandbox"), "{}", text(&out));

    let out = cli.run(&["accounts", "remove", "lab"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(keyring_lookup("lab/client-secret"), None);
    assert_eq!(keyring_lookup("lab/access-token"), None);
    let out = cli.run(&["accounts", "list"]);
    assert!(text(&out).contains("no accounts"), "{}", text(&out));
    rt.block_on(sb.stop());
}

#[test]
fn a_wrong_secret_or_unknown_account_is_a_clear_error() {
    if !in_keyring_session("a_wrong_secret_or_unknown_account_is_a_clear_error") {
        return;
    }
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = rt.block_on(sandbox(SandboxConfig::default()));
    let root = sb.base_url();
    let token_url = sb.credentials().token_url;
    let cli = cli();

    let out = cli.add_account("wrong", &root, &token_url, "not-the-secret");
    assert!(out.status.success(), "{}", text(&out));
    let out = cli.run(&[
        "call",
        "+15550100",
        "--account",
        "wrong",
        "--json",
        "--script",
        "hangup",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("refused the client credentials"),
        "{}",
        text(&out)
    );
    assert!(rt.block_on(sb.status()).sessions.is_empty());

    let out = cli.run(&["call", "+15550100", "--account", "nobody", "--script", "hangup"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("no account named 'nobody'"), "{}", text(&out));

    // Bad input to `add` changes nothing.
    let out = cli.add_account("wrong", &root, &token_url, "x");
    assert!(
        !out.status.success() && text(&out).contains("exists already"),
        "{}",
        text(&out)
    );
    let out = cli.add_account("plain", "http://op.example.com", &token_url, "x");
    assert!(
        !out.status.success() && text(&out).contains("must use https"),
        "{}",
        text(&out)
    );
    let out = cli.add_account("empty", &root, &token_url, "");
    assert!(
        !out.status.success() && text(&out).contains("secret is empty"),
        "{}",
        text(&out)
    );
    assert_eq!(keyring_lookup("empty/client-secret"), None);
    let out = cli.run(&["accounts", "list", "--json"]);
    assert_eq!(json_lines(&out.stdout).len(), 1, "{}", text(&out));
    assert_eq!(
        keyring_lookup("wrong/client-secret").as_deref(),
        Some("not-the-secret")
    );

    let out = cli.run(&["accounts", "remove", "wrong"]);
    assert!(out.status.success(), "{}", text(&out));
    rt.block_on(sb.stop());
}

#[test]
fn without_a_keyring_adding_an_account_fails_clearly_and_saves_nothing() {
    let cli = cli();
    let out = cli
        .cmd()
        .args(account_add_args(
            "lab",
            "http://127.0.0.1:9",
            "http://127.0.0.1:9/token",
        ))
        // No session bus: the Secret Service cannot be reached.
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        .stdin(std::process::Stdio::piped())
        .output()
        .expect("run dialtone");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("OS keyring is not available"),
        "{}",
        text(&out)
    );
    assert!(!cli.config_dir().join("dialtone/accounts.json").exists());
}
