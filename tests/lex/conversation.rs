//! Bot calls end to end: Dialtone's Lex driver on the official SDK, against the
//! sandbox's Lex runtime and its demo bot (`lex:DEMOBOT001`).

use dialtone_core::call::{CallEvent, Command};
use dialtone_core::signaling::lex::{LexClient, Mode};
use dialtone_e2e::lex::{BOT, GREETING, barge_in, bot_said, connected, hang_up};
use dialtone_e2e::line::{Line, quiet_audio, sandbox};
use dialtone_sandbox::SandboxConfig;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_configuration_goes_first_and_once_then_the_spoken_greeting_plays_and_completes() {
    let sb = sandbox(SandboxConfig::default()).await;
    let line = connected(&sb, Mode::Audio, quiet_audio()).await;
    line.wait_event(Duration::from_secs(5), bot_said(GREETING)).await;
    line.wait_event(Duration::from_secs(5), |e| {
        *e == CallEvent::Prompt { playing: true }
    })
    .await;
    // The greeting is about 5 s of speech, played in real time.
    line.wait_event(Duration::from_secs(15), |e| {
        *e == CallEvent::Prompt { playing: false }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    hang_up(&line).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let v = &sb.lex_conversations()[0];
    assert_eq!(v.received[0], "ConfigurationEvent", "{:?}", v.received);
    assert_eq!(
        v.received.iter().filter(|r| *r == "ConfigurationEvent").count(),
        1
    );
    let config = v.configuration.as_ref().expect("configuration");
    assert_eq!(config["responseContentType"], "audio/pcm; sample-rate=8000");
    assert!(
        v.received.contains(&"PlaybackCompletionEvent".to_owned()),
        "{:?}",
        v.received
    );
    assert_eq!(
        v.received.last().map(String::as_str),
        Some("DisconnectionEvent"),
        "{:?}",
        v.received
    );
    assert!(v.sent.contains(&"AudioResponseEvent".to_owned()));
    assert!(v.sent.contains(&"HeartbeatEvent".to_owned()));
    assert_eq!(v.mode, "AUDIO");
    assert!(
        dialtone_core::signaling::lex::check_session_id(&v.session_id).is_ok()
            && v.session_id.starts_with("dialtone-")
    );
    let states = line.states();
    assert_eq!(states, ["Dialing", "Connected", "Ending", "Ended"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dtmf_1_gives_the_book_room_intent_and_typed_text_gets_the_reply() {
    let sb = sandbox(SandboxConfig::default()).await;
    let line = connected(&sb, Mode::Audio, quiet_audio()).await;
    line.wait_event(Duration::from_secs(5), bot_said(GREETING)).await;
    line.call.command(Command::Dtmf("1".into())).await.expect("dtmf");
    let intent = line
        .wait_event(Duration::from_secs(5), |e| matches!(e, CallEvent::Intent { .. }))
        .await;
    assert_eq!(
        intent,
        CallEvent::Intent {
            name: "BookRoom".into(),
            state: Some("InProgress".into()),
            input_mode: Some("DTMF".into())
        }
    );
    line.wait_event(Duration::from_secs(5), bot_said("Which city"))
        .await;
    // The key came in during the greeting: the bot stopped it.
    line.wait_event(Duration::from_secs(5), |e| {
        *e == CallEvent::Interrupted {
            reason: "DTMF_START_DETECTED".into(),
        }
    })
    .await;
    line.call
        .command(Command::Text("Lisbon".into()))
        .await
        .expect("text");
    line.wait_event(
        Duration::from_secs(5),
        |e| matches!(e, CallEvent::Transcript { text } if text == "Lisbon"),
    )
    .await;
    line.wait_event(Duration::from_secs(5), bot_said("a room in Lisbon is booked"))
        .await;
    let fulfilled = line
        .wait_event(
            Duration::from_secs(5),
            |e| matches!(e, CallEvent::Intent { state, .. } if state.as_deref() == Some("Fulfilled")),
        )
        .await;
    assert!(matches!(fulfilled, CallEvent::Intent { input_mode: Some(m), .. } if m == "Text"));
    hang_up(&line).await;
    let v = &sb.lex_conversations()[0];
    assert!(
        v.received.contains(&"DTMFInputEvent:1".to_owned()),
        "{:?}",
        v.received
    );
    assert!(
        v.received.contains(&"TextInputEvent:Lisbon".to_owned()),
        "{:?}",
        v.received
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_welcome_message_and_disable_playback_go_in_the_one_configuration_event() {
    let sb = sandbox(SandboxConfig::default()).await;
    let mut config = sb.credentials().lex_config(&sb.base_url(), Mode::Audio);
    config.welcome = Some("Hello from Dialtone QA".into());
    config.disable_playback = true;
    let line = Line::lex(LexClient::new(config).expect("client"), quiet_audio());
    line.dial(BOT).await;
    line.wait("Connected", Duration::from_secs(10)).await;
    line.wait_event(Duration::from_secs(5), bot_said("Hello from Dialtone QA"))
        .await;
    line.wait_event(Duration::from_secs(15), |e| {
        *e == CallEvent::Prompt { playing: false }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    hang_up(&line).await;
    let v = &sb.lex_conversations()[0];
    let c = v.configuration.as_ref().expect("configuration");
    assert_eq!(c["welcomeMessages"][0]["content"], "Hello from Dialtone QA");
    assert_eq!(c["welcomeMessages"][0]["contentType"], "PlainText");
    assert_eq!(c["sessionState"]["dialogAction"]["type"], "ElicitIntent");
    assert_eq!(c["disablePlayback"], true);
    assert!(
        !v.received.contains(&"PlaybackCompletionEvent".to_owned()),
        "no completion with disablePlayback: {:?}",
        v.received
    );
    // The welcome comes before the bot's own greeting.
    let texts: Vec<String> = line
        .events()
        .into_iter()
        .filter_map(|e| match e {
            CallEvent::BotText { text } => Some(text),
            _ => None,
        })
        .collect();
    assert!(
        texts[0].contains("Hello from Dialtone QA") && texts[1].starts_with(GREETING),
        "{texts:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_text_mode_conversation_sends_no_audio_and_gets_text_replies() {
    let sb = sandbox(SandboxConfig::default()).await;
    let line = connected(&sb, Mode::Text, quiet_audio()).await;
    line.wait_event(Duration::from_secs(5), bot_said(GREETING)).await;
    line.call
        .command(Command::Text("book a room".into()))
        .await
        .expect("text");
    line.wait_event(Duration::from_secs(5), bot_said("Which city"))
        .await;
    let intent = line
        .wait_event(Duration::from_secs(5), |e| matches!(e, CallEvent::Intent { .. }))
        .await;
    assert!(matches!(intent, CallEvent::Intent { name, .. } if name == "BookRoom"));
    tokio::time::sleep(Duration::from_millis(500)).await;
    hang_up(&line).await;
    assert!(
        !line
            .events()
            .iter()
            .any(|e| matches!(e, CallEvent::Prompt { .. }))
    );
    let v = &sb.lex_conversations()[0];
    assert_eq!(v.mode, "TEXT");
    assert_eq!(v.audio_events, 0);
    assert_eq!(
        v.configuration.as_ref().map(|c| c["responseContentType"].clone()),
        Some("text/plain; charset=utf-8".into())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn barging_in_with_voice_stops_the_prompt_within_100_ms() {
    let sb = sandbox(SandboxConfig::default()).await;
    let (line, b) = barge_in(&sb).await;
    assert!(
        b.loud_before > 10,
        "the greeting was playing before the barge-in ({} loud frames)",
        b.loud_before
    );
    println!(
        "barge-in: the prompt stopped {:?} after the bot sent PlaybackInterruptionEvent",
        b.stopped_after
    );
    assert!(
        b.stopped_after <= Duration::from_millis(100),
        "the prompt played on for {:?}",
        b.stopped_after
    );
    // The prompt was playing (waited for above), so the barge-in reported it stopped.
    assert!(line.events().contains(&CallEvent::Prompt { playing: false }));
    hang_up(&line).await;
    let v = &sb.lex_conversations()[0];
    assert!(
        !v.received.contains(&"PlaybackCompletionEvent".to_owned()),
        "an interrupted prompt is not reported as completed: {:?}",
        v.received
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_the_line_mid_bot_call_says_goodbye_to_the_bot_and_ends_the_call() {
    let sb = sandbox(SandboxConfig::default()).await;
    let line = connected(&sb, Mode::Text, quiet_audio()).await;
    line.wait_event(Duration::from_secs(5), bot_said(GREETING)).await;

    line.call.shutdown().await;
    let states = line.states();
    assert_eq!(states, ["Dialing", "Connected", "Ending", "Ended"]);
    assert!(
        line.events()
            .iter()
            .any(|e| matches!(e, CallEvent::Ended { reason } if reason == "Hangup")),
        "{:?}",
        line.events()
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let v = &sb.lex_conversations()[0];
    assert_eq!(
        v.received.last().map(String::as_str),
        Some("DisconnectionEvent"),
        "{:?}",
        v.received
    );
}
