//! Every Lex exception, as an HTTP error and as an exception frame in the stream, comes
//! back as its name and the advice for it; bad ids never leave the machine.

use dialtone_core::call::{Address, CallEvent, CallState, Command, EndReason};
use dialtone_core::signaling::lex::error::{EXCEPTIONS, advice};
use dialtone_core::signaling::lex::{LexBot, LexClient, Mode};
use dialtone_e2e::line::{lex_line, quiet_audio, sandbox};
use dialtone_sandbox::SandboxConfig;
use dialtone_sandbox::lex::Strike;
use std::time::Duration;

async fn failed_call(sb: &dialtone_sandbox::Sandbox, address: &str) -> (String, String, CallState) {
    let line = lex_line(sb, Mode::Audio, quiet_audio()).await;
    line.dial(address).await;
    let end = line.wait("Ended", Duration::from_secs(10)).await;
    let error = line
        .wait_event(Duration::from_secs(1), |e| matches!(e, CallEvent::Error { .. }))
        .await;
    let CallEvent::Error { code, message } = error else {
        unreachable!()
    };
    (code, message, end)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_exception_as_http_error_or_stream_frame_is_named_with_its_advice() {
    let sb = sandbox(SandboxConfig::default()).await;
    for strike in [Strike::Http, Strike::Stream] {
        for name in EXCEPTIONS {
            sb.lex_fault(name, strike);
            let (code, message, end) = failed_call(&sb, "lex:DEMOBOT001").await;
            assert_eq!(code, name, "{strike:?}: {message}");
            let step = match strike {
                Strike::Http => "the bot refused the call",
                Strike::Stream => "the bot ended the conversation",
            };
            assert!(message.starts_with(&format!("{step}: {name}")), "{message}");
            assert!(message.contains(advice(name)), "{message}");
            assert!(matches!(end, CallState::Ended(EndReason::Failed(_))), "{end:?}");
        }
    }
    // The sandbox is fine afterwards, and so is a new call on it.
    let line = lex_line(&sb, Mode::Audio, quiet_audio()).await;
    line.dial("lex:DEMOBOT001").await;
    line.wait("Connected", Duration::from_secs(10)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_runtimes_own_refusals_name_the_missing_bot_alias_or_locale_and_a_bad_key() {
    let sb = sandbox(SandboxConfig::default()).await;
    for (address, words) in [
        ("lex:NOSUCHBOT1", "Bot NOSUCHBOT1 does not exist"),
        ("lex:DEMOBOT001/ALIAS00001/en_US", "Alias ALIAS00001"),
        ("lex:DEMOBOT001/TSTALIASID/fr_FR", "Locale fr_FR"),
    ] {
        let (code, message, _) = failed_call(&sb, address).await;
        assert_eq!(code, "ResourceNotFoundException", "{address}");
        assert!(message.contains(words), "{message}");
    }
    let mut config = sb.credentials().lex_config(&sb.base_url(), Mode::Audio);
    config.access_key_id = "AKIANOTTHESANDBOX111".into();
    let client = LexClient::new(config).expect("client");
    let line = dialtone_e2e::line::Line::lex(client, quiet_audio());
    line.dial("lex:DEMOBOT001").await;
    line.wait("Ended", Duration::from_secs(10)).await;
    assert!(line.events().iter().any(
        |e| matches!(e, CallEvent::Error { code, message } if code == "AccessDeniedException" && message.contains("security token"))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_bot_and_session_ids_are_refused_before_anything_is_sent() {
    let sb = sandbox(SandboxConfig::default()).await;
    for bad in [
        "lex:SHORT",
        "lex:DEMOBOT0011",
        "lex:DEMO-BOT01",
        "lex:DEMOBOT001/x/en_US",
        "lex:DEMOBOT001/TSTALIASID/english",
    ] {
        assert!(Address::parse(bad).is_err(), "{bad}");
    }
    let config = sb.credentials().lex_config(&sb.base_url(), Mode::Audio);
    let client = LexClient::new(config).expect("client");
    let bot = LexBot::parse("DEMOBOT001").expect("bot");
    let first = client.configuration().expect("configuration");
    for session in ["x", "has space", &"a".repeat(101)] {
        let (_tx, rx) = futures::channel::mpsc::channel(1);
        let e = client
            .start(&bot, session, first.clone(), rx)
            .await
            .err()
            .expect("refused");
        assert!(e.to_string().contains("not a Lex session id"), "{e}");
    }
    let mut config = sb.credentials().lex_config(&sb.base_url(), Mode::Audio);
    config.region = "Mars".into();
    assert!(
        LexClient::new(config)
            .err()
            .expect("bad region")
            .to_string()
            .contains("not an AWS region")
    );
    assert_eq!(sb.status().await.requests, 0, "nothing reached the sandbox");
    assert!(sb.lex_conversations().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_runtime_ends_the_call_with_what_to_check() {
    let sb = sandbox(SandboxConfig::default()).await;
    let mut config = sb.credentials().lex_config(&sb.base_url(), Mode::Audio);
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    config.endpoint_url = Some(format!("http://127.0.0.1:{port}/lex"));
    let line = dialtone_e2e::line::Line::lex(LexClient::new(config).expect("client"), quiet_audio());
    line.dial("lex:DEMOBOT001").await;
    line.wait("Ended", Duration::from_secs(15)).await;
    assert!(line.events().iter().any(
        |e| matches!(e, CallEvent::Error { code, message } if code == "LEX_UNREACHABLE" && message.contains("endpoint URL"))
    ), "{:?}", line.events());
    // The line takes the next call.
    line.call
        .command(Command::Dial(Address::parse("lex:DEMOBOT001").expect("bot")))
        .await
        .expect("a new call after a failed one");
}
