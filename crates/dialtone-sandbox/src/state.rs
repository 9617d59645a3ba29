//! The sandbox's shared state: tokens, registrations, sessions, subscriptions.

use crate::control::FaultKind;
use crate::far_end::FarEnd;
use dialtone_core::media::MediaConfig;
use dialtone_core::signaling::camara::Dialect;
use dialtone_core::signaling::camara::wire::{MediaSessionInformation, SessionStatus, Subscription};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use tokio::sync::oneshot;

#[derive(Clone)]
pub struct SandboxConfig {
    pub client_id: String,
    pub client_secret: String,
    /// The Alexa skill's LWA client (the sandbox's Login with Amazon).
    pub lwa_client_id: String,
    pub lwa_client_secret: String,
    /// The AWS access key the Lex runtime accepts (its secret is not checked: signatures
    /// are not verified, only their shape).
    pub lex_access_key_id: String,
    pub lex_secret_access_key: String,
    pub token_ttl: Duration,
    pub registration_ttl: Duration,
    /// When false, `callType: EMERGENCY` is refused with 501 CALLTYPE_EMERGENCY_NOT_SUPPORTED.
    pub emergency_supported: bool,
    /// How long +15550103 rings before `NoAnswer`.
    pub no_answer_after: Duration,
    pub media: MediaConfig,
    /// Certificates (PEM) trusted for https sinks, on top of the public roots: a client's
    /// self-signed sink certificate.
    pub sink_certificates: Vec<String>,
    /// The CAMARA version the sandbox speaks: its base paths, schemas, scopes and events.
    pub camara: Dialect,
    /// The bearer the control routes (status, call-me, faults) want: they read every call's
    /// state and make the sandbox call the client, so not for any local process.
    pub control_token: String,
}

/// Secrets stay out of logs and panics: an embedded sandbox's are its client's only guard.
impl std::fmt::Debug for SandboxConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxConfig")
            .field("client_id", &self.client_id)
            .field("client_secret", &REDACTED)
            .field("lwa_client_id", &self.lwa_client_id)
            .field("lwa_client_secret", &REDACTED)
            .field("lex_access_key_id", &self.lex_access_key_id)
            .field("lex_secret_access_key", &REDACTED)
            .field("token_ttl", &self.token_ttl)
            .field("registration_ttl", &self.registration_ttl)
            .field("emergency_supported", &self.emergency_supported)
            .field("no_answer_after", &self.no_answer_after)
            .field("media", &self.media)
            .field("sink_certificates", &self.sink_certificates.len())
            .field("camara", &self.camara)
            .field("control_token", &REDACTED)
            .finish()
    }
}

/// What a secret reads as in `Debug` output.
pub(crate) const REDACTED: &str = "<redacted>";

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            client_id: "dialtone-sandbox".into(),
            client_secret: "sandbox-secret".into(),
            lwa_client_id: "amzn1.application-oa2-client.dialtone-sandbox".into(),
            lwa_client_secret: "sandbox-lwa-secret".into(),
            lex_access_key_id: "AKIADIALTONESANDBOX1".into(),
            lex_secret_access_key: "sandbox-lex-secret".into(),
            token_ttl: Duration::from_secs(3600),
            registration_ttl: Duration::from_secs(3600),
            emergency_supported: true,
            no_answer_after: Duration::from_secs(20),
            media: MediaConfig::loopback(),
            sink_certificates: Vec::new(),
            camara: Dialect::default(),
            control_token: "sandbox-control".into(),
        }
    }
}

impl SandboxConfig {
    /// The same, with secrets of its own instead of the published defaults: for a sandbox
    /// embedded in the CLI or the app, whose client is in the same process, so no other
    /// local process can take tokens from it, read its calls or have it call.
    pub fn with_private_secrets(self) -> Self {
        let fresh = || uuid::Uuid::new_v4().simple().to_string();
        Self {
            client_secret: fresh(),
            lwa_client_secret: fresh(),
            lex_secret_access_key: fresh(),
            control_token: fresh(),
            ..self
        }
    }
}

pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[derive(Debug, Clone)]
pub struct Token {
    pub scopes: Vec<String>,
    pub expires: Instant,
}

#[derive(Debug, Clone)]
pub struct Registration {
    pub id: String,
    pub device_id: String,
    pub phone_number: String,
    pub expires_at: OffsetDateTime,
    pub created: Instant,
}

#[derive(Clone)]
pub struct SubscriptionRecord {
    pub subscription: Subscription,
    pub access_token: Option<String>,
}

/// The sink's credential never reaches a log through `{:?}`.
impl std::fmt::Debug for SubscriptionRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubscriptionRecord")
            .field("subscription", &self.subscription)
            .field("access_token", &self.access_token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The client called a sandbox number.
    Outgoing,
    /// The sandbox called the client.
    Incoming,
}

/// One media session, as the network keeps it.
pub struct Session {
    pub id: String,
    pub device_id: String,
    pub number: String,
    pub origin: Origin,
    pub info: Mutex<MediaSessionInformation>,
    pub far_end: tokio::sync::Mutex<Option<FarEnd>>,
    /// The far end's own offer (remote hold, incoming call) waits here for the client's answer.
    pub awaiting_answer: Mutex<Option<oneshot::Sender<String>>>,
    pub sequence: AtomicU64,
    pub ended: tokio::sync::Notify,
}

impl Session {
    pub fn status(&self) -> Option<SessionStatus> {
        lock(&self.info).status
    }

    pub fn set_status(&self, status: SessionStatus) {
        lock(&self.info).status = Some(status);
    }

    pub fn next_sequence(&self) -> u64 {
        self.sequence.fetch_add(1, Ordering::Relaxed) + 1
    }
}

pub struct Sandbox {
    pub addr: SocketAddr,
    pub config: SandboxConfig,
    pub tokens: Mutex<HashMap<String, Token>>,
    pub registrations: Mutex<HashMap<String, Registration>>,
    pub sessions: Mutex<HashMap<String, Arc<Session>>>,
    /// Ended sessions stay readable (GET) so a client that missed the event learns why.
    pub ended: Mutex<HashMap<String, MediaSessionInformation>>,
    pub subscriptions: Mutex<HashMap<String, SubscriptionRecord>>,
    /// The fault to inject, how many more times, and on which paths (all: `None`).
    pub faults: Mutex<Option<(FaultKind, u32, Option<String>)>>,
    /// API requests seen (CAMARA and Alexa routes, the token and LWA endpoints).
    pub requests: AtomicU64,
    /// Access tokens handed out by the token endpoint.
    pub tokens_issued: AtomicU64,
    /// Events the subscribers' sinks accepted, and those that could not be delivered.
    pub events_delivered: AtomicU64,
    pub events_failed: AtomicU64,
    pub http: reqwest::Client,
    pub alexa: crate::alexa::AlexaState,
    pub lwa: crate::lwa::LwaState,
    pub lex: crate::lex::LexState,
    /// The two legs of each call between registered clients, both ways (`relay.rs`).
    pub links: Mutex<HashMap<String, String>>,
    /// Every event as JSON, with the device it is for: the browser phone's stream.
    pub streams: tokio::sync::broadcast::Sender<(String, String)>,
    next_number: AtomicU32,
}

impl Sandbox {
    /// Fails only when its HTTP client (no redirects, no proxy) cannot be set up.
    pub fn new(addr: SocketAddr, config: SandboxConfig) -> Result<Self, reqwest::Error> {
        let mut http = reqwest::Client::builder()
            .timeout(Duration::from_secs(3))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy();
        for pem in &config.sink_certificates {
            match reqwest::Certificate::from_pem(pem.as_bytes()) {
                Ok(c) => http = http.add_root_certificate(c),
                Err(e) => tracing::warn!(error = %e, "ignoring a sink certificate that is not PEM"),
            }
        }
        let http = http.build()?;
        Ok(Self {
            addr,
            config,
            tokens: Mutex::default(),
            registrations: Mutex::default(),
            sessions: Mutex::default(),
            ended: Mutex::default(),
            subscriptions: Mutex::default(),
            faults: Mutex::default(),
            requests: AtomicU64::new(0),
            tokens_issued: AtomicU64::new(0),
            events_delivered: AtomicU64::new(0),
            events_failed: AtomicU64::new(0),
            http,
            alexa: Default::default(),
            lwa: Default::default(),
            lex: Default::default(),
            links: Mutex::default(),
            streams: tokio::sync::broadcast::channel(256).0,
            next_number: AtomicU32::new(0),
        })
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn dialect(&self) -> Dialect {
        self.config.camara
    }

    /// The registration `id`'s device, if it is active.
    pub fn device_of_registration(&self, id: &str) -> Option<String> {
        lock(&self.registrations).get(id).map(|r| r.device_id.clone())
    }

    /// Numbers handed to registered clients: +15550190, +15550191, ... A number an active
    /// registration holds is skipped while another is free, so calls between clients
    /// reach the one they dial. (In CAMARA next a client-credentials client names its
    /// number; these are the ones it may use.)
    pub fn allocate_number(&self) -> String {
        let taken: Vec<String> = lock(&self.registrations)
            .values()
            .map(|r| r.phone_number.clone())
            .collect();
        let mut candidate = String::new();
        for _ in 0..10 {
            let n = self.next_number.fetch_add(1, Ordering::Relaxed) % 10;
            candidate = format!("+1555019{n}");
            if !taken.contains(&candidate) {
                break;
            }
        }
        candidate
    }

    /// The newest active registration holding `number`.
    pub fn registration_of(&self, number: &str) -> Option<Registration> {
        lock(&self.registrations)
            .values()
            .filter(|r| r.phone_number == number)
            .max_by_key(|r| r.created)
            .cloned()
    }

    /// The other leg of a call between clients.
    pub fn peer_leg(&self, id: &str) -> Option<Arc<Session>> {
        let other = lock(&self.links).get(id).cloned()?;
        self.session(&other)
    }

    /// Creates a session and makes it visible to the API.
    pub fn add_session(
        &self,
        device_id: String,
        number: String,
        origin: Origin,
        info: MediaSessionInformation,
        awaiting_answer: Option<oneshot::Sender<String>>,
    ) -> Arc<Session> {
        let id = info.media_session_id.clone().unwrap_or_default();
        let session = Arc::new(Session {
            id: id.clone(),
            device_id,
            number,
            origin,
            info: Mutex::new(info),
            far_end: tokio::sync::Mutex::new(None),
            awaiting_answer: Mutex::new(awaiting_answer),
            sequence: AtomicU64::new(0),
            ended: tokio::sync::Notify::new(),
        });
        lock(&self.sessions).insert(id, session.clone());
        session
    }

    pub fn session(&self, id: &str) -> Option<Arc<Session>> {
        lock(&self.sessions).get(id).cloned()
    }

    /// Moves a session to the ended list and stops its far end.
    pub async fn end_session(&self, id: &str, status: SessionStatus) {
        let Some(session) = lock(&self.sessions).remove(id) else {
            return;
        };
        session.set_status(status);
        let info = lock(&session.info).clone();
        lock(&self.ended).insert(id.to_owned(), info);
        if let Some(far) = session.far_end.lock().await.take() {
            far.close().await;
        }
        session.ended.notify_waiters();
    }

    pub async fn shutdown(&self) {
        let ids: Vec<String> = lock(&self.sessions).keys().cloned().collect();
        for id in ids {
            self.end_session(&id, SessionStatus::Terminated).await;
        }
        let calls: Vec<String> = lock(&self.alexa.calls).keys().cloned().collect();
        for id in calls {
            crate::alexa::end_call(self, &id).await;
        }
    }
}
