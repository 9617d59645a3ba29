//! StartConversation: the request's checks, then one task per conversation that reads
//! the client's frames, lets the demo bot decide, and streams the bot's events back.
//! Prompt audio goes out at 4× real time in 320-byte chunks, an empty chunk marking the
//! end of a prompt.

use super::demo_bot::{self, Action, DemoBot};
use super::frames::{self, Inbound};
use super::{HEARTBEAT, LexConversationView, Strike, status_of};
use crate::state::{Sandbox, lock};
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use futures_util::StreamExt;
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// 20 ms of 8 kHz audio per AudioResponseEvent, one every 5 ms.
const CHUNK: usize = 160;
const PACE: Duration = Duration::from_millis(5);
const MAX_AUDIO: usize = 60 * 8000;

pub fn routes() -> axum::Router<Arc<Sandbox>> {
    axum::Router::new().route(
        "/lex/bots/{bot}/botAliases/{alias}/botLocales/{locale}/sessions/{session}/conversation",
        axum::routing::post(converse),
    )
}

fn refuse(exception: &str, message: &str) -> Response {
    let status = StatusCode::from_u16(status_of(exception)).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [
            ("x-amzn-errortype", exception),
            ("content-type", "application/json"),
        ],
        json!({ "message": message }).to_string(),
    )
        .into_response()
}

/// `AWS4-HMAC-SHA256 Credential=<key>/<yyyymmdd>/<region>/lex/aws4_request,
/// SignedHeaders=<…>, Signature=<64 hex>`: the access key, or why the header is wrong.
fn signed_by(headers: &HeaderMap) -> Result<String, String> {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .ok_or("Missing Authentication Token: sign the request with SigV4")?;
    let rest = auth
        .strip_prefix("AWS4-HMAC-SHA256 ")
        .ok_or("Authorization is not AWS4-HMAC-SHA256")?;
    let mut credential = None;
    let mut signed = None;
    let mut signature = None;
    for part in rest.split(',').map(str::trim) {
        if let Some(v) = part.strip_prefix("Credential=") {
            credential = Some(v);
        } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
            signed = Some(v);
        } else if let Some(v) = part.strip_prefix("Signature=") {
            signature = Some(v);
        }
    }
    let scope: Vec<&str> = credential
        .ok_or("Authorization has no Credential")?
        .split('/')
        .collect();
    let [key, date, _region, service, "aws4_request"] = scope.as_slice() else {
        return Err("the Credential scope is not <key>/<date>/<region>/<service>/aws4_request".into());
    };
    if date.len() != 8 || !date.chars().all(|c| c.is_ascii_digit()) || *service != "lex" {
        return Err(format!(
            "the credential scope names {date} and service {service}; Lex signs as lex"
        ));
    }
    let signed = signed.ok_or("Authorization has no SignedHeaders")?;
    if !signed.split(';').any(|h| h == "host") || !signed.split(';').any(|h| h == "x-amz-date") {
        return Err("SignedHeaders must include host and x-amz-date".into());
    }
    let signature = signature.ok_or("Authorization has no Signature")?;
    if signature.len() != 64 || !signature.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err("the Signature is not 64 hex digits".into());
    }
    if headers.get("x-amz-date").is_none() {
        return Err("x-amz-date is missing".into());
    }
    Ok((*key).to_owned())
}

async fn converse(
    State(s): State<Arc<Sandbox>>,
    Path((bot, alias, locale, session)): Path<(String, String, String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match signed_by(&headers) {
        Err(why) => return refuse("AccessDeniedException", &why),
        Ok(key) if key != s.config.lex_access_key_id => {
            return refuse(
                "AccessDeniedException",
                "The security token included in the request is invalid.",
            );
        }
        Ok(_) => {}
    }
    let content_type = headers.get("content-type").and_then(|v| v.to_str().ok());
    if content_type != Some("application/vnd.amazon.eventstream") {
        return refuse(
            "ValidationException",
            "Content-Type must be application/vnd.amazon.eventstream",
        );
    }
    let strike = lock(&s.lex.fault).take();
    if let Some((name, Strike::Http)) = &strike {
        return refuse(name, "injected by the sandbox");
    }
    if bot != demo_bot::BOT_ID {
        return refuse("ResourceNotFoundException", &format!("Bot {bot} does not exist."));
    }
    if alias != demo_bot::ALIAS_ID {
        return refuse(
            "ResourceNotFoundException",
            &format!("Alias {alias} does not exist for bot {bot}."),
        );
    }
    if locale != demo_bot::LOCALE_ID {
        return refuse(
            "ResourceNotFoundException",
            &format!("Locale {locale} is not built for bot {bot}."),
        );
    }
    if dialtone_core::signaling::lex::check_session_id(&session).is_err() {
        return refuse("ValidationException", "1 validation error detected: sessionId");
    }
    let mode = headers
        .get("x-amz-lex-conversation-mode")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("AUDIO")
        .to_owned();
    if mode != "AUDIO" && mode != "TEXT" {
        return refuse(
            "ValidationException",
            "x-amz-lex-conversation-mode is AUDIO or TEXT",
        );
    }
    if !lock(&s.lex.live).insert(session.clone()) {
        return refuse(
            "ConflictException",
            &format!("Session {session} is already in a conversation."),
        );
    }
    let view = Arc::new(Mutex::new(LexConversationView {
        session_id: session.clone(),
        bot_id: bot,
        mode: mode.clone(),
        ..Default::default()
    }));
    lock(&s.lex.conversations).push(view.clone());
    let (tx, rx) = mpsc::channel::<Bytes>(512);
    let stream_fault = strike.map(|(name, _)| name);
    let state = s.clone();
    tokio::spawn(async move {
        run(view.clone(), body, tx, mode == "TEXT", stream_fault).await;
        lock(&view).ended = true;
        lock(&state.lex.live).remove(&session);
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<_, std::io::Error>(b), rx))
    });
    // Headers go out now: the SDK returns from send() only once it has them.
    (
        [("content-type", "application/vnd.amazon.eventstream")],
        Body::from_stream(stream),
    )
        .into_response()
}

/// The conversation's state beside the bot: the prompt being streamed.
struct Speaking {
    pcm: Arc<Vec<i16>>,
    at: usize,
}

struct Conversation {
    view: Arc<Mutex<LexConversationView>>,
    tx: mpsc::Sender<Bytes>,
    bot: DemoBot,
    audio_out: bool,
    /// The client reports each played prompt (no `disablePlayback`).
    waits_for_playback: bool,
    speaking: Option<Speaking>,
}

impl Conversation {
    async fn send(&mut self, name: &'static str, body: serde_json::Value) -> bool {
        {
            let mut v = lock(&self.view);
            if name != "AudioResponseEvent" || v.sent.last().map(String::as_str) != Some(name) {
                v.sent.push(name.to_owned());
            }
        }
        self.tx.send(frames::event(name, &body)).await.is_ok()
    }

    async fn fail(&mut self, exception: &str, message: &str) {
        lock(&self.view).sent.push(exception.to_owned());
        let _ = self.tx.send(frames::exception(exception, message)).await;
    }

    async fn act(&mut self, actions: Vec<Action>) -> bool {
        for a in actions {
            let ok = match a {
                Action::Send(name, body) => self.send(name, body).await,
                Action::Say(p) => {
                    let id = self.bot.event_id();
                    let text =
                        json!({"messages": [{"contentType": "PlainText", "content": p.text}], "eventId": id});
                    let ok = self.send("TextResponseEvent", text).await;
                    if self.audio_out {
                        self.speaking = Some(Speaking { pcm: p.pcm, at: 0 });
                    } else {
                        // Nothing to play, so nothing to wait for.
                        self.bot.playback_completed();
                    }
                    ok
                }
                Action::Interrupt(reason) => {
                    self.speaking = None;
                    let id = self.bot.event_id();
                    let ok = self
                        .send(
                            "PlaybackInterruptionEvent",
                            json!({"eventReason": reason, "eventId": id}),
                        )
                        .await;
                    lock(&self.view).interruptions.push(Instant::now());
                    ok
                }
            };
            if !ok {
                return false;
            }
        }
        true
    }

    /// The next 20 ms of the prompt, or the empty chunk that ends it.
    async fn speak(&mut self) -> bool {
        let Some(sp) = self.speaking.as_mut() else {
            return true;
        };
        let end = (sp.at + CHUNK).min(sp.pcm.len());
        let chunk: Vec<u8> = sp.pcm[sp.at..end].iter().flat_map(|s| s.to_le_bytes()).collect();
        sp.at = end;
        if chunk.is_empty() {
            self.speaking = None;
            if !self.waits_for_playback {
                self.bot.playback_completed();
            }
        }
        let id = self.bot.event_id();
        let body = json!({
            "audioChunk": base64::engine::general_purpose::STANDARD.encode(&chunk),
            "contentType": "audio/pcm; sample-rate=8000",
            "eventId": id,
        });
        self.send("AudioResponseEvent", body).await
    }

    /// One client event; false ends the conversation.
    async fn on_event(&mut self, name: &str, body: &serde_json::Value, text_mode: bool) -> bool {
        let first = lock(&self.view).received.is_empty();
        let note = match name {
            "DTMFInputEvent" => format!("{name}:{}", body["inputCharacter"].as_str().unwrap_or("")),
            "TextInputEvent" => format!("{name}:{}", body["text"].as_str().unwrap_or("")),
            _ => name.to_owned(),
        };
        if name != "AudioInputEvent" {
            lock(&self.view).received.push(note);
        }
        if first != (name == "ConfigurationEvent") {
            let why = if first {
                "the first event must be a ConfigurationEvent"
            } else {
                "only one ConfigurationEvent is allowed per stream"
            };
            self.fail("ValidationException", why).await;
            return false;
        }
        let actions = match name {
            "ConfigurationEvent" => {
                lock(&self.view).configuration = Some(body.clone());
                let content_type = body["responseContentType"].as_str().unwrap_or("");
                self.audio_out = content_type.starts_with("audio/pcm") && !text_mode;
                self.waits_for_playback = !body["disablePlayback"].as_bool().unwrap_or(false);
                let welcome = body["welcomeMessages"]
                    .as_array()
                    .map(|ms| {
                        ms.iter()
                            .filter_map(|m| m["content"].as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default();
                self.bot.start(welcome)
            }
            "AudioInputEvent" | "DTMFInputEvent" if text_mode => {
                self.fail(
                    "ValidationException",
                    &format!("{name} is not accepted in TEXT mode"),
                )
                .await;
                return false;
            }
            "AudioInputEvent" => match self.audio_in(body) {
                Ok(pcm) => self.bot.audio(&pcm),
                Err(why) => {
                    self.fail("ValidationException", &why).await;
                    return false;
                }
            },
            "DTMFInputEvent" => {
                let key = body["inputCharacter"].as_str().unwrap_or("");
                self.bot.dtmf(key)
            }
            "TextInputEvent" => {
                let text = body["text"].as_str().unwrap_or("").to_owned();
                self.bot.text(&text)
            }
            "PlaybackCompletionEvent" => {
                self.bot.playback_completed();
                Vec::new()
            }
            "DisconnectionEvent" => return false,
            other => {
                self.fail("ValidationException", &format!("unknown event {other}"))
                    .await;
                return false;
            }
        };
        self.act(actions).await
    }

    fn audio_in(&mut self, body: &serde_json::Value) -> Result<Vec<i16>, String> {
        let content_type = body["contentType"].as_str().unwrap_or("").to_owned();
        if !content_type.starts_with("audio/lpcm") || !content_type.contains("sample-rate=8000") {
            return Err(format!("audio content type {content_type} is not 8 kHz LPCM"));
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(body["audioChunk"].as_str().unwrap_or(""))
            .map_err(|e| format!("audioChunk is not base64: {e}"))?;
        let pcm: Vec<i16> = bytes
            .chunks_exact(2)
            .map(|p| i16::from_le_bytes([p[0], p[1]]))
            .collect();
        let mut v = lock(&self.view);
        v.audio_events += 1;
        if !v.chunk_sizes.contains(&bytes.len()) {
            v.chunk_sizes.push(bytes.len());
        }
        if !v.audio_content_types.contains(&content_type) {
            v.audio_content_types.push(content_type);
        }
        v.audio.extend_from_slice(&pcm);
        let excess = v.audio.len().saturating_sub(MAX_AUDIO);
        v.audio.drain(..excess);
        Ok(pcm)
    }
}

async fn run(
    view: Arc<Mutex<LexConversationView>>,
    body: Body,
    tx: mpsc::Sender<Bytes>,
    text_mode: bool,
    stream_fault: Option<String>,
) {
    let session = lock(&view).session_id.clone();
    let mut c = Conversation {
        view,
        tx,
        bot: DemoBot::new(&session),
        audio_out: false,
        waits_for_playback: true,
        speaking: None,
    };
    let mut input = body.into_data_stream();
    let mut reader = frames::Reader::default();
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    let mut pace = tokio::time::interval(PACE);
    loop {
        tokio::select! {
            chunk = input.next() => {
                let Some(Ok(bytes)) = chunk else { break };
                reader.push(&bytes);
                loop {
                    match reader.next_event() {
                        Ok(None) => break,
                        Ok(Some(Inbound::End)) => {
                            lock(&c.view).received.push("End".into());
                            return;
                        }
                        Ok(Some(Inbound::Event { name, body })) => {
                            if !c.on_event(&name, &body, text_mode).await {
                                return;
                            }
                            if name == "ConfigurationEvent" && let Some(ex) = &stream_fault {
                                c.fail(ex, "injected by the sandbox").await;
                                return;
                            }
                        }
                        Err(why) => {
                            c.fail("ValidationException", &why).await;
                            return;
                        }
                    }
                }
            }
            _ = heartbeat.tick() => {
                let id = c.bot.event_id();
                if !c.send("HeartbeatEvent", json!({"eventId": id})).await {
                    return;
                }
            }
            _ = pace.tick(), if c.speaking.is_some() => {
                if !c.speak().await {
                    return;
                }
            }
        }
    }
}
