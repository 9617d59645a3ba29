//! StartConversation on the official `aws-sdk-lexruntimev2` client: the configuration,
//! the input stream (the ConfigurationEvent first, then what the call sends) and the
//! bot's events turned into [`BotEvent`]s.

use super::bot::LexBot;
use super::error::LexError;
use crate::call::bot::{BotEvent, BotRequest};
use aws_sdk_lexruntimev2 as lex;
use futures::StreamExt;
use futures::channel::mpsc;
use lex::config::{BehaviorVersion, Credentials, Region, StalledStreamProtectionConfig};
use lex::error::ProvideErrorMetadata;
use lex::primitives::Blob;
use lex::primitives::event_stream::EventReceiver;
use lex::types::error::StartConversationResponseEventStreamError as StreamError;
use lex::types::{
    AudioInputEvent, ConfigurationEvent, ConversationMode, DialogAction, DialogActionType,
    DisconnectionEvent, DtmfInputEvent, Message, MessageContentType, PlaybackCompletionEvent, SessionState,
    StartConversationRequestEventStream as Req, StartConversationResponseEventStream as Resp, TextInputEvent,
};
use std::sync::atomic::{AtomicU64, Ordering};

/// What the microphone sends: 8 kHz, 16-bit signed, mono, little endian.
pub const AUDIO_INPUT_TYPE: &str =
    "audio/lpcm; sample-rate=8000; sample-size-bits=16; channel-count=1; is-big-endian=false";
/// What we ask the bot to speak in.
pub const AUDIO_RESPONSE_TYPE: &str = "audio/pcm; sample-rate=8000";
pub const TEXT_RESPONSE_TYPE: &str = "text/plain; charset=utf-8";
/// Bytes per AudioInputEvent: 20 ms at 8 kHz, 16-bit.
pub const CHUNK_BYTES: usize = 320;
pub const SAMPLE_RATE: u32 = 8000;

/// How the conversation goes: speech (with DTMF and text) or text only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    #[default]
    Audio,
    Text,
}

/// Where and as whom to talk to Lex. The secret key comes from the keyring.
#[derive(Clone)]
pub struct LexConfig {
    pub region: String,
    /// Another endpoint than AWS's (the sandbox, a VPC endpoint).
    pub endpoint_url: Option<String>,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub mode: Mode,
    /// Lex does not wait for PlaybackCompletionEvents.
    pub disable_playback: bool,
    /// Said by the bot first (ConfigurationEvent `welcomeMessages`, with the session
    /// state eliciting an intent).
    pub welcome: Option<String>,
}

/// What a user chooses for each bot call, on any account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LexCallOptions {
    pub mode: Mode,
    pub welcome: Option<String>,
    pub disable_playback: bool,
}

impl LexConfig {
    pub fn with(mut self, o: &LexCallOptions) -> Self {
        self.mode = o.mode;
        self.welcome.clone_from(&o.welcome);
        self.disable_playback = o.disable_playback;
        self
    }
}

impl std::fmt::Debug for LexConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LexConfig")
            .field("region", &self.region)
            .field("endpoint_url", &self.endpoint_url)
            .field("access_key_id", &self.access_key_id)
            .field("mode", &self.mode)
            .field("disable_playback", &self.disable_playback)
            .field("welcome", &self.welcome)
            .finish_non_exhaustive()
    }
}

/// Checks a region name (`us-east-1`).
pub fn check_region(region: &str) -> Result<(), LexError> {
    let good = region.len() >= 4
        && region.contains('-')
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if good {
        Ok(())
    } else {
        Err(LexError::Config(format!(
            "'{region}' is not an AWS region: use a name such as us-east-1 or eu-west-2"
        )))
    }
}

pub struct LexClient {
    client: lex::Client,
    config: LexConfig,
    events: AtomicU64,
}

/// The bot's side of one conversation.
pub struct Conversation {
    receiver: EventReceiver<Resp, StreamError>,
}

impl LexClient {
    pub fn new(config: LexConfig) -> Result<Self, LexError> {
        check_region(&config.region)?;
        if let Some(u) = &config.endpoint_url {
            url::Url::parse(u).map_err(|e| LexError::Config(format!("'{u}' is not an endpoint URL: {e}")))?;
        }
        if config.access_key_id.is_empty() || config.secret_access_key.is_empty() {
            return Err(LexError::Config(
                "no AWS access key: add one with dialtone accounts add-lex".into(),
            ));
        }
        let credentials = Credentials::new(
            &config.access_key_id,
            &config.secret_access_key,
            None,
            None,
            "dialtone-keyring",
        );
        let mut b = lex::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(config.region.clone()))
            .credentials_provider(credentials)
            // Text conversations send nothing for long stretches; the call machine
            // watches the bot's heartbeats instead.
            .stalled_stream_protection(StalledStreamProtectionConfig::disabled());
        if let Some(u) = &config.endpoint_url {
            b = b.endpoint_url(u);
        }
        Ok(Self {
            client: lex::Client::from_conf(b.build()),
            config,
            events: AtomicU64::new(0),
        })
    }

    pub fn config(&self) -> &LexConfig {
        &self.config
    }

    fn endpoint(&self) -> String {
        self.config
            .endpoint_url
            .clone()
            .unwrap_or_else(|| format!("runtime-v2-lex.{}.amazonaws.com", self.config.region))
    }

    fn event_id(&self, kind: &str) -> String {
        format!("{kind}-{}", self.events.fetch_add(1, Ordering::Relaxed) + 1)
    }

    /// The ConfigurationEvent every conversation starts with.
    pub fn configuration(&self) -> Result<Req, LexError> {
        let content_type = match self.config.mode {
            Mode::Audio => AUDIO_RESPONSE_TYPE,
            Mode::Text => TEXT_RESPONSE_TYPE,
        };
        let mut b = ConfigurationEvent::builder()
            .response_content_type(content_type)
            .disable_playback(self.config.disable_playback)
            .event_id(self.event_id("configuration"))
            .client_timestamp_millis(now_millis());
        if let Some(w) = &self.config.welcome {
            let build = |e: lex::error::BuildError| LexError::Config(e.to_string());
            let m = Message::builder()
                .content_type(MessageContentType::PlainText)
                .content(w)
                .build()
                .map_err(build)?;
            // Lex speaks welcome messages when the session state elicits an intent.
            let elicit = DialogAction::builder()
                .r#type(DialogActionType::ElicitIntent)
                .build()
                .map_err(build)?;
            b = b
                .welcome_messages(m)
                .session_state(SessionState::builder().dialog_action(elicit).build());
        }
        b.build()
            .map(Req::ConfigurationEvent)
            .map_err(|e| LexError::Config(e.to_string()))
    }

    /// One AudioInputEvent of [`CHUNK_BYTES`].
    pub fn audio(&self, pcm: &[i16]) -> Result<Req, LexError> {
        let bytes: Vec<u8> = pcm.iter().flat_map(|s| s.to_le_bytes()).collect();
        AudioInputEvent::builder()
            .audio_chunk(Blob::new(bytes))
            .content_type(AUDIO_INPUT_TYPE)
            .event_id(self.event_id("audio"))
            .client_timestamp_millis(now_millis())
            .build()
            .map(Req::AudioInputEvent)
            .map_err(|e| LexError::Config(e.to_string()))
    }

    pub fn request(&self, r: &BotRequest) -> Result<Req, LexError> {
        let config = |e: lex::error::BuildError| LexError::Config(e.to_string());
        Ok(match r {
            BotRequest::Dtmf(d) => Req::DtmfInputEvent(
                DtmfInputEvent::builder()
                    .input_character(d.to_string())
                    .event_id(self.event_id("dtmf"))
                    .client_timestamp_millis(now_millis())
                    .build()
                    .map_err(config)?,
            ),
            BotRequest::Text(t) => Req::TextInputEvent(
                TextInputEvent::builder()
                    .text(t)
                    .event_id(self.event_id("text"))
                    .client_timestamp_millis(now_millis())
                    .build()
                    .map_err(config)?,
            ),
            BotRequest::PlaybackCompleted => Req::PlaybackCompletionEvent(
                PlaybackCompletionEvent::builder()
                    .event_id(self.event_id("playback-completion"))
                    .client_timestamp_millis(now_millis())
                    .build(),
            ),
            BotRequest::Disconnect => Req::DisconnectionEvent(
                DisconnectionEvent::builder()
                    .event_id(self.event_id("disconnection"))
                    .client_timestamp_millis(now_millis())
                    .build(),
            ),
        })
    }

    /// Opens the stream. `first` is the ConfigurationEvent; what `input` carries follows
    /// it, and the stream ends when every sender of `input` is gone.
    pub async fn start(
        &self,
        bot: &LexBot,
        session_id: &str,
        first: Req,
        input: mpsc::Receiver<Req>,
    ) -> Result<Conversation, LexError> {
        super::bot::check_session_id(session_id).map_err(|e| LexError::Config(e.to_string()))?;
        // The SDK polls the stream again after it ends: it must be fused (apis.md §4.8).
        let stream = futures::stream::once(std::future::ready(first))
            .chain(input)
            .map(Ok)
            .fuse();
        let mode = match self.config.mode {
            Mode::Audio => ConversationMode::Audio,
            Mode::Text => ConversationMode::Text,
        };
        let out = self
            .client
            .start_conversation()
            .bot_id(&bot.bot_id)
            .bot_alias_id(&bot.bot_alias_id)
            .locale_id(&bot.locale_id)
            .session_id(session_id)
            .conversation_mode(mode)
            .request_event_stream(stream.into())
            .send()
            .await
            .map_err(|e| match e.code() {
                Some(name) => LexError::Exception {
                    what: "the bot refused the call",
                    name: name.to_owned(),
                    message: e.message().map(str::to_owned),
                },
                None => LexError::Unreachable {
                    endpoint: self.endpoint(),
                    why: causes(&e),
                },
            })?;
        Ok(Conversation {
            receiver: out.response_event_stream,
        })
    }
}

impl Conversation {
    /// The bot's next event; `None` once it closed the stream.
    pub async fn next(&mut self) -> Result<Option<BotEvent>, LexError> {
        match self.receiver.recv().await {
            Ok(Some(e)) => Ok(Some(bot_event(e))),
            Ok(None) => Ok(None),
            Err(e) => Err(match e.as_service_error().and_then(exception_name).or(e.code()) {
                Some(name) => LexError::Exception {
                    what: "the bot ended the conversation",
                    name: name.to_owned(),
                    message: e.message().map(str::to_owned),
                },
                None => LexError::Stream(causes(&e)),
            }),
        }
    }
}

/// An exception frame's name: the SDK decodes it into a variant, without the metadata
/// code an HTTP error carries.
fn exception_name(e: &StreamError) -> Option<&'static str> {
    Some(match e {
        StreamError::AccessDeniedException(_) => "AccessDeniedException",
        StreamError::ResourceNotFoundException(_) => "ResourceNotFoundException",
        StreamError::ValidationException(_) => "ValidationException",
        StreamError::ThrottlingException(_) => "ThrottlingException",
        StreamError::InternalServerException(_) => "InternalServerException",
        StreamError::ConflictException(_) => "ConflictException",
        StreamError::DependencyFailedException(_) => "DependencyFailedException",
        StreamError::BadGatewayException(_) => "BadGatewayException",
        _ => return None,
    })
}

fn bot_event(e: Resp) -> BotEvent {
    match e {
        Resp::AudioResponseEvent(a) => BotEvent::Audio(
            a.audio_chunk()
                .map(|b| {
                    b.as_ref()
                        .chunks_exact(2)
                        .map(|p| i16::from_le_bytes([p[0], p[1]]))
                        .collect()
                })
                .unwrap_or_default(),
        ),
        // Read the content: the SDK's Debug output redacts it.
        Resp::TextResponseEvent(t) => BotEvent::Messages(
            t.messages()
                .iter()
                .filter_map(|m| m.content().map(str::to_owned))
                .collect(),
        ),
        Resp::TranscriptEvent(t) => BotEvent::Transcript(t.transcript().unwrap_or_default().to_owned()),
        Resp::IntentResultEvent(r) => {
            let intent = r
                .session_state()
                .and_then(|s| s.intent())
                .or_else(|| r.interpretations().first().and_then(|i| i.intent()));
            BotEvent::Intent {
                name: intent.map(|i| i.name().to_owned()).unwrap_or_default(),
                state: intent.and_then(|i| i.state()).map(|s| s.as_str().to_owned()),
                input_mode: r.input_mode().map(|m| m.as_str().to_owned()),
            }
        }
        Resp::PlaybackInterruptionEvent(p) => BotEvent::Interrupted(
            p.event_reason()
                .map(|r| r.as_str().to_owned())
                .unwrap_or_else(|| "UNKNOWN".into()),
        ),
        _ => BotEvent::Heartbeat,
    }
}

/// An error and its causes, one line, without the raw frames the SDK's own context
/// dumps (they can hold what the bot said).
fn causes(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut next = e.source();
    while let Some(cause) = next {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = cause.source();
    }
    let mut line = parts.join(": ");
    if line.len() > 300 {
        let cut = (0..=300).rev().find(|&i| line.is_char_boundary(i)).unwrap_or(0);
        line.truncate(cut);
        line.push('…');
    }
    line
}

fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
