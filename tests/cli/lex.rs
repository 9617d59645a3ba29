//! `dialtone call lex:<botId>`: the scripted bot call, ids refused before anything
//! is sent, and a Lex account whose secret key lives in the OS keyring.

use dialtone_e2e::cli::{Cli, json_lines, states};
use dialtone_e2e::line::sandbox;

fn texts(events: &[serde_json::Value], kind: &str) -> Vec<String> {
    events
        .iter()
        .filter(|e| e["event"] == kind)
        .filter_map(|e| e["text"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn the_scripted_bot_call_prints_the_greeting_the_intent_and_the_reply() {
    let cli = Cli::new(env!("CARGO_BIN_EXE_dialtone"));
    let out = cli.run(&[
        "call",
        "lex:DEMOBOT001",
        "--audio",
        "tone",
        "--script",
        "wait 2s; dtmf 1; text book a room; wait 3s; hangup",
        "--json",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let events = json_lines(&out.stdout);
    let bot = texts(&events, "bot_text");
    assert!(
        bot[0].starts_with("Welcome to the Dialtone demo hotel"),
        "{bot:?}"
    );
    assert!(bot.iter().any(|t| t.contains("Which city")), "{bot:?}");
    let intents: Vec<_> = events.iter().filter(|e| e["event"] == "intent").collect();
    assert_eq!(intents[0]["name"], "BookRoom");
    assert_eq!(intents[0]["input_mode"], "DTMF");
    assert_eq!(intents[1]["input_mode"], "Text");
    assert_eq!(texts(&events, "transcript"), ["1", "book a room"]);
    assert!(
        events
            .iter()
            .any(|e| e["event"] == "prompt" && e["playing"] == true)
    );
    assert!(
        events
            .iter()
            .any(|e| e["event"] == "interrupted" && e["reason"] == "DTMF_START_DETECTED")
    );
    assert_eq!(states(&events), ["Dialing", "Connected", "Ending", "Ended"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("built-in sandbox's demo bot"));
}

#[test]
fn bad_bot_ids_and_text_on_a_phone_call_are_refused_with_the_rule() {
    let cli = Cli::new(env!("CARGO_BIN_EXE_dialtone"));
    let out = cli.run(&["call", "lex:SHORT", "--json"]);
    assert_eq!(out.status.code(), Some(2));
    let events = json_lines(&out.stdout);
    assert_eq!(events[0]["code"], "INVALID_NUMBER");
    assert!(
        events[0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("not a Lex bot id"),
        "{events:?}"
    );
    let out = cli.run(&["call", "lex:DEMOBOT001", "--script", "text", "--json"]);
    assert_eq!(out.status.code(), Some(2));
    let out = cli.run(&[
        "call",
        "+15550100",
        "--audio",
        "tone",
        "--script",
        "text hello",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("typed text goes to bot calls"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_lex_account_keeps_its_secret_key_in_the_keyring_and_calls_the_bot_in_text_mode() {
    if !dialtone_e2e::cli::in_keyring_session(
        "a_lex_account_keeps_its_secret_key_in_the_keyring_and_calls_the_bot_in_text_mode",
    ) {
        return;
    }
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = rt.block_on(sandbox(Default::default()));
    let c = sb.credentials();
    let cli = Cli::new(env!("CARGO_BIN_EXE_dialtone"));
    let added = cli.run_with_stdin(
        &[
            "accounts",
            "add-lex",
            "bots",
            "--region",
            "us-east-1",
            "--access-key-id",
            &c.lex_access_key_id,
            "--endpoint-url",
            &format!("{}/lex", sb.base_url()),
        ],
        &format!("{}\n", c.lex_secret_access_key),
    );
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    assert_eq!(
        dialtone_e2e::cli::keyring_lookup("bots/client-secret").as_deref(),
        Some(c.lex_secret_access_key.as_str())
    );
    // Another kind of account under the same name is refused before it touches the keyring.
    let clash = cli.run_with_stdin(
        &[
            "accounts",
            "add-alexa",
            "bots",
            "--client-id",
            "cid",
            "--relay",
            "http://127.0.0.1:9/alexa/relay",
        ],
        "other-secret\n",
    );
    assert!(!clash.status.success());
    assert!(String::from_utf8_lossy(&clash.stderr).contains("exists already"));
    assert_eq!(
        dialtone_e2e::cli::keyring_lookup("bots/client-secret").as_deref(),
        Some(c.lex_secret_access_key.as_str()),
        "the Lex account's secret is untouched"
    );
    let book = std::fs::read_to_string(cli.config_dir().join("dialtone/accounts.json")).unwrap_or_default();
    assert!(
        !book.contains(&c.lex_secret_access_key),
        "the book never holds the secret"
    );
    let listed = json_lines(&cli.run(&["accounts", "list", "--json"]).stdout);
    assert!(
        listed
            .iter()
            .any(|a| a["name"] == "bots" && a["network"] == "lex"),
        "{listed:?}"
    );

    let out = cli.run(&[
        "call",
        "lex:DEMOBOT001",
        "--account",
        "bots",
        "--lex-mode",
        "text",
        "--script",
        "text book a room; wait 1s; hangup",
        "--json",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("using the account 'bots'"));
    assert!(
        texts(&json_lines(&out.stdout), "bot_text")
            .iter()
            .any(|t| t.contains("Which city"))
    );
    let v = &sb.lex_conversations()[0];
    assert_eq!(v.mode, "TEXT");
    assert_eq!(
        v.received[..2],
        ["ConfigurationEvent", "TextInputEvent:book a room"]
    );

    let removed = cli.run(&["accounts", "remove", "bots"]);
    assert!(
        removed.status.success(),
        "{}",
        String::from_utf8_lossy(&removed.stderr)
    );
    assert_eq!(dialtone_e2e::cli::keyring_lookup("bots/client-secret"), None);
}
