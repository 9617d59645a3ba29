//! The call state machine's requests in CAMARA terms, and CAMARA's events back as
//! machine signals.
//!
//! - Register: POST registration, then one subscription per event type to our sink
//!   (keyed by device; in r2.2 by registration, and session-status once per call by
//!   session); the registration is refreshed 120 s before `expiresAt`.
//! - Call: POST /sessions with the complete offer; the answer comes in a session-status
//!   event, or from polling GET when no event arrives within 2 s.
//! - Hold / resume: PUT status `Hold` / `Resume` with the new offer; the answer comes in
//!   the 200 body or in a session-status event.
//! - Hang up: DELETE.
//!
//! Each call on the line is its own media session, kept under the call's id: events are
//! routed by session id, and a second invitation during a call rings in beside it.

use super::client::{CamaraClient, CamaraError};
use super::wire::*;
use super::{Dialect, EventKind};
use crate::call::{Address, CallId, EndReason, LINE, Signal, SignalOp};
use crate::net::{Intake, LocalTls};

/// Where our event sink takes the operator's CloudEvents.
pub const SINK_PATH: &str = "/dialtone/events";
use crate::lock;
use crate::signaling::{
    CallOptions, NetworkSession, Sessions, SignalReceiver, SignalSender, SignalingError, SignalingProvider,
};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

#[derive(Debug, Clone)]
pub struct CamaraConfig {
    /// This installation's device id (a UUID, stable across runs).
    pub device_id: String,
    /// Where our event sink listens.
    pub sink_bind: SocketAddr,
    /// How long to wait for an answer event before polling GET.
    pub poll_after: Duration,
    pub poll_every: Duration,
    /// Refresh the registration this long before it expires.
    pub refresh_margin: Duration,
    /// HTTPS for the sink. `None`: generated when the operator is not on this machine,
    /// plain http towards a loopback operator (the sandbox).
    pub sink_tls: Option<Arc<LocalTls>>,
    /// An HTTPS sink even towards a loopback operator (one that holds to the specs'
    /// `^https://` sink pattern).
    pub https_sink: bool,
    /// The number to register (CAMARA next, with a client-credentials token).
    pub phone_number: Option<String>,
}

impl CamaraConfig {
    pub fn new(device_id: impl Into<String>) -> Self {
        Self {
            device_id: device_id.into(),
            sink_bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            poll_after: Duration::from_secs(2),
            poll_every: Duration::from_secs(1),
            refresh_margin: Duration::from_secs(120),
            sink_tls: None,
            https_sink: false,
            phone_number: None,
        }
    }
}

#[derive(Debug, Clone)]
struct Session {
    id: String,
    incoming: bool,
    answered: bool,
    /// Our hold/resume waiting for its answer, and since when.
    pending_update: Option<PendingUpdate>,
    /// The far end's last re-offer kind (Hold or Resume), which our answer echoes.
    far_update: Option<SessionStatus>,
    /// r2.2: this session's own session-status subscription.
    subscription: Option<String>,
}

impl NetworkSession for Session {
    fn network_id(&self) -> &str {
        &self.id
    }
}

impl Session {
    fn new(id: String, incoming: bool) -> Self {
        Self {
            id,
            incoming,
            answered: false,
            pending_update: None,
            far_update: None,
            subscription: None,
        }
    }
}

#[derive(Debug, Default)]
struct Inner {
    registration: Option<RegSessionResponse>,
    subscriptions: Vec<String>,
    sessions: Sessions<Session>,
    options: CallOptions,
    /// How many POST /sessions are in flight: their ids are not known yet.
    creating: usize,
    /// Session-status events that arrived for an unknown id while creating (an operator
    /// may report Ringing before its 201 reaches us); replayed once the id is known.
    early: Vec<MediaSession>,
    /// Where the operator delivers our events.
    sink: Option<SinkTarget>,
    /// The subscriptions of sessions that just ended, to drop (r2.2).
    ended_subscriptions: Vec<String>,
}

/// Our event sink, as subscriptions name it.
#[derive(Debug, Clone)]
struct SinkTarget {
    url: String,
    token: String,
}

impl SinkTarget {
    fn request(
        &self,
        dialect: Dialect,
        kind: EventKind,
        detail: WebrtcSubscriptionDetail,
    ) -> SubscriptionRequest {
        SubscriptionRequest {
            protocol: "HTTP".into(),
            sink: self.url.clone(),
            sink_credential: Some(SinkCredential {
                credential_type: "ACCESSTOKEN".into(),
                access_token: self.token.clone(),
                access_token_expires_utc: far_future(),
                access_token_type: "bearer".into(),
            }),
            types: vec![dialect.event_type(kind)],
            config: Config {
                subscription_detail: detail,
                subscription_expire_time: None,
            },
        }
    }
}

/// What a subscription is keyed by in `dialect`.
fn subscription_detail(
    dialect: Dialect,
    device_id: &str,
    registration_id: &str,
    session_id: Option<&str>,
) -> WebrtcSubscriptionDetail {
    let per_registration = dialect.subscribes_per_registration();
    WebrtcSubscriptionDetail {
        device_id: Some(device_id.to_owned()),
        registration_id: per_registration.then(|| registration_id.to_owned()),
        session_id: session_id.filter(|_| per_registration).map(str::to_owned),
    }
}

/// r2.2: session-status for session `id`, subscribed once its id is known. True when the
/// session's early events may have been missed (read them with GET at once).
async fn subscribe_session(
    client: &CamaraClient,
    inner: &Mutex<Inner>,
    device_id: &str,
    call: CallId,
    id: &str,
) -> bool {
    let dialect = client.dialect();
    if !dialect.subscribes_per_registration() {
        return false;
    }
    let (target, reg_id) = {
        let inner = lock(inner);
        match (&inner.sink, &inner.registration) {
            (Some(t), Some(r)) => (t.clone(), r.registration_id.clone()),
            _ => return false,
        }
    };
    let detail = subscription_detail(dialect, device_id, &reg_id, Some(id));
    match client
        .subscribe(&target.request(dialect, EventKind::SessionStatus, detail))
        .await
    {
        Ok(sub) => {
            let mut inner = lock(inner);
            match inner.sessions.get_mut(call).filter(|s| s.id == id) {
                Some(s) => s.subscription = Some(sub.id),
                // Ended meanwhile: dropped with the others at shutdown.
                None => inner.subscriptions.push(sub.id),
            }
        }
        // Polling still follows the session: slower, but the call goes on.
        Err(e) => {
            tracing::warn!(error = %e, "no session-status subscription; following the session by polling")
        }
    }
    true
}

/// Ends a session's own subscription (r2.2), if it has one.
async fn drop_subscription(client: &CamaraClient, id: Option<String>) {
    if let Some(id) = id
        && let Err(e) = client.unsubscribe(&id).await
    {
        tracing::debug!(error = %e, "ending a session's subscription");
    }
}

pub struct CamaraProvider {
    client: Arc<CamaraClient>,
    config: CamaraConfig,
    signals: SignalSender,
    signals_rx: Mutex<Option<SignalReceiver>>,
    inner: Arc<Mutex<Inner>>,
    sink: tokio::sync::Mutex<Option<Intake>>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

fn end_reason(status: SessionStatus, reason: Option<&str>) -> EndReason {
    match status {
        SessionStatus::Busy => EndReason::Busy,
        SessionStatus::NoAnswer => EndReason::NoAnswer,
        SessionStatus::Declined => EndReason::Declined,
        SessionStatus::NotReachable => EndReason::NotReachable,
        SessionStatus::SessionCancelled => EndReason::SessionCancelled,
        SessionStatus::Failed => {
            EndReason::Failed(reason.unwrap_or("the network reported a failure").to_owned())
        }
        _ => EndReason::Terminated,
    }
}

impl CamaraProvider {
    pub fn new(client: CamaraClient, mut config: CamaraConfig) -> Self {
        if config.sink_tls.is_none() {
            // Without one, registering refuses a plain-http sink and says why.
            let plain_ok = client.endpoints().all_loopback() && !config.https_sink;
            config.sink_tls = crate::net::tls_for_remote(plain_ok, "event sink");
        }
        let (tx, rx) = crate::signaling::signal_channel();
        Self {
            client: Arc::new(client),
            config,
            signals: tx,
            signals_rx: Mutex::new(Some(rx)),
            inner: Arc::default(),
            sink: tokio::sync::Mutex::new(None),
            tasks: Mutex::default(),
        }
    }

    /// The certificate our HTTPS event sink presents, when it uses HTTPS.
    pub fn sink_certificate_pem(&self) -> Option<&str> {
        self.config.sink_tls.as_deref().map(LocalTls::certificate_pem)
    }

    fn spawn(&self, f: impl std::future::Future<Output = ()> + Send + 'static) {
        lock(&self.tasks).push(tokio::spawn(f));
    }

    fn session_id(&self, call: CallId) -> Result<String, SignalingError> {
        lock(&self.inner)
            .sessions
            .get(call)
            .map(|s| s.id.clone())
            .ok_or_else(|| SignalingError::State(format!("call {call} has no session")))
    }

    async fn register(&self) -> Result<(), SignalingError> {
        let mut sink = self.sink.lock().await;
        if sink.is_none() {
            if self.config.sink_tls.is_none() && !self.client.endpoints().all_loopback() {
                return Err(SignalingError::Sink(
                    "the operator is not on this machine and the event sink has no HTTPS certificate".into(),
                ));
            }
            let (s, events) =
                Intake::start(self.config.sink_bind, SINK_PATH, self.config.sink_tls.as_deref())
                    .await
                    .map_err(|e| SignalingError::Sink(e.to_string()))?;
            *sink = Some(s);
            self.spawn(dispatch_events(
                events,
                self.inner.clone(),
                self.signals.clone(),
                self.client.clone(),
                self.config.device_id.clone(),
            ));
        }
        let (sink_url, sink_token) = match sink.as_ref() {
            Some(s) => (s.url().to_owned(), s.token().to_owned()),
            None => return Err(SignalingError::Sink("no sink".into())),
        };
        drop(sink);
        // A fresh registration gets fresh subscriptions; old ones are dropped first.
        let old = std::mem::take(&mut lock(&self.inner).subscriptions);
        for id in old {
            if let Err(e) = self.client.unsubscribe(&id).await {
                tracing::debug!(error = %e, "dropping an old subscription");
            }
        }
        let reg = self.create_registration().await?;
        tracing::info!(number = ?reg.reg_info.as_ref().and_then(|i| i.phone_number.clone()), "registered");
        let dialect = self.client.dialect();
        let mut subscriptions = Vec::new();
        let kinds: &[EventKind] = if dialect.subscribes_per_registration() {
            // session-status names a session there: one per call, made when it starts.
            &[EventKind::SessionInvitation, EventKind::RegistrationEnds]
        } else {
            &EventKind::SUBSCRIBABLE
        };
        let target = SinkTarget {
            url: sink_url,
            token: sink_token,
        };
        lock(&self.inner).sink = Some(target.clone());
        for kind in kinds {
            let detail = subscription_detail(dialect, &self.config.device_id, &reg.registration_id, None);
            let sub = self
                .client
                .subscribe(&target.request(dialect, *kind, detail))
                .await?;
            subscriptions.push(sub.id);
        }
        let expires_at = reg.expires_at.clone();
        let reg_id = reg.registration_id.clone();
        {
            let mut inner = lock(&self.inner);
            inner.registration = Some(reg);
            inner.subscriptions = subscriptions;
        }
        self.spawn(refresh_registration(
            self.client.clone(),
            reg_id,
            expires_at,
            self.config.refresh_margin,
        ));
        self.signals.send(LINE, Signal::Registered).await;
        Ok(())
    }

    /// POST registration; on 409 `ALREADY_EXISTS` (a registration left behind, e.g. by a
    /// process that crashed), recovers as the spec says: GET `?deviceId=`, DELETE what is
    /// there (its subscriptions point at a sink that no longer exists), POST again.
    async fn create_registration(&self) -> Result<RegSessionResponse, SignalingError> {
        let dialect = self.client.dialect();
        let phone_number = if dialect.registration_names_phone_number() {
            Some(self.config.phone_number.clone().ok_or_else(|| {
                SignalingError::Unsupported(format!(
                    "{dialect} registers a client-credentials account with its phone number; add the account again with --phone-number +<E.164>"
                ))
            })?)
        } else {
            None
        };
        let req = RegSessionRequest {
            device_id: self.config.device_id.clone(),
            phone_number,
            registration_expire_time: None,
        };
        match self.client.register(&req).await {
            Err(e)
                if e.status() == Some(409)
                    && e.code() == "ALREADY_EXISTS"
                    && dialect.lists_registrations() =>
            {
                let stale = self.client.registrations_of_device(&req.device_id).await?;
                tracing::warn!(
                    count = stale.len(),
                    "the operator still has a registration of this device; removing it and registering again"
                );
                for r in &stale {
                    match self.client.unregister(&r.registration_id).await {
                        Ok(()) => {}
                        // Expired between the two requests: nothing left to remove.
                        Err(e) if e.status() == Some(404) => {}
                        Err(e) => return Err(e.into()),
                    }
                }
                Ok(self.client.register(&req).await?)
            }
            other => Ok(other?),
        }
    }

    async fn create_session(&self, call: CallId, to: String, offer: String) -> Result<(), SignalingError> {
        let (reg_id, own, options) = {
            let inner = lock(&self.inner);
            let reg = inner
                .registration
                .as_ref()
                .ok_or_else(|| SignalingError::State("not registered with the operator".into()))?;
            let own = reg.reg_info.as_ref().and_then(|i| i.phone_number.clone());
            (reg.registration_id.clone(), own, inner.options.clone())
        };
        let dialect = self.client.dialect();
        if !dialect.has_call_type() && (options.emergency || options.location.is_some()) {
            return Err(SignalingError::Unsupported(format!(
                "{dialect} has no emergency or located calls (callType, locationDetails); call emergency services another way"
            )));
        }
        let req = MediaSessionInformation {
            originator_address: own.map(|n| format!("tel:{n}")),
            receiver_address: Some(to),
            offer: Some(WrtcSdpDescriptor::new(offer)),
            call_type: options.emergency.then_some(CallType::Emergency),
            location_details: options.location,
            ..Default::default()
        };
        lock(&self.inner).creating += 1;
        let created = self.client.create_session(&reg_id, &req).await;
        let early = {
            let mut inner = lock(&self.inner);
            inner.creating -= 1;
            if inner.creating == 0 {
                std::mem::take(&mut inner.early)
            } else {
                // Another POST is still out: keep what may be its events.
                inner.early.clone()
            }
        };
        let created = created?;
        let id = created.media_session_id.clone().unwrap_or_default();
        lock(&self.inner)
            .sessions
            .insert(call, Session::new(id.clone(), false));
        for data in early.iter().filter(|d| d.media_session_id == id) {
            forward(&self.inner, &self.signals, data).await;
        }
        let subscribed_late =
            subscribe_session(&self.client, &self.inner, &self.config.device_id, call, &id).await;
        self.spawn(poll_for_answer(
            self.client.clone(),
            self.inner.clone(),
            self.signals.clone(),
            call,
            id,
            // What happened before the session's own subscription existed is read at once.
            if subscribed_late {
                Duration::ZERO
            } else {
                self.config.poll_after
            },
            self.config.poll_every,
        ));
        Ok(())
    }

    async fn update(&self, call: CallId, status: SessionStatus, offer: String) -> Result<(), SignalingError> {
        let id = self.session_id(call)?;
        if let Some(s) = lock(&self.inner).sessions.get_mut(call) {
            s.pending_update = Some(PendingUpdate::now());
        }
        let change = MediaSessionStatusChange {
            status,
            offer: Some(WrtcSdpDescriptor::new(offer)),
            answer: None,
            location_details: None,
        };
        let result = self.client.update_status(&id, &change).await;
        let answer = match result {
            Ok(Some(info)) => info.answer.map(|a| a.sdp),
            Ok(None) => None,
            Err(e) => {
                if let Some(s) = lock(&self.inner).sessions.get_mut(call) {
                    s.pending_update = None;
                }
                return Err(e.into());
            }
        };
        // The answer in the 200 body, or later in a session-status event.
        if let Some(answer) = answer
            && take_pending(&self.inner, call)
        {
            self.signals.send(call, Signal::UpdateAnswered { answer }).await;
        }
        Ok(())
    }

    async fn put(&self, call: CallId, change: MediaSessionStatusChange) -> Result<(), SignalingError> {
        let id = self.session_id(call)?;
        self.client.update_status(&id, &change).await?;
        Ok(())
    }

    async fn delete_session(&self, call: CallId) -> Result<(), SignalingError> {
        // Taken before the request: a shutdown racing the hang-up (the CLI closes its
        // line right after) finds no session and sends no second DELETE.
        let session = lock(&self.inner)
            .sessions
            .remove(call)
            .ok_or_else(|| SignalingError::State(format!("call {call} has no session")))?;
        drop_subscription(&self.client, session.subscription).await;
        let id = session.id;
        match self.client.delete_session(&id).await {
            Ok(()) => Ok(()),
            // Already gone on the operator's side: that is what we wanted.
            Err(CamaraError::Api { status: 404, .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

/// Our hold or resume, sent and not answered yet.
#[derive(Debug, Clone, Copy)]
struct PendingUpdate {
    sent: Instant,
}

impl PendingUpdate {
    fn now() -> Self {
        Self { sent: Instant::now() }
    }
}

/// Takes the pending update if its answer may still be used: the call machine gives up on
/// an update after `UPDATE_TIMEOUT` and cancels its offer, so an answer arriving later
/// answers nothing and is dropped here, not handed on.
fn take_fresh(pending: &mut Option<PendingUpdate>, now: Instant) -> bool {
    match pending.take() {
        Some(p) if now.saturating_duration_since(p.sent) < crate::call::machine::UPDATE_TIMEOUT => true,
        Some(_) => {
            tracing::info!("an answer to a hold or resume we gave up on: dropped");
            false
        }
        None => false,
    }
}

fn take_pending(inner: &Mutex<Inner>, call: CallId) -> bool {
    lock(inner)
        .sessions
        .get_mut(call)
        .is_some_and(|s| take_fresh(&mut s.pending_update, Instant::now()))
}

fn far_future() -> String {
    let t = time::OffsetDateTime::now_utc() + time::Duration::days(1);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[async_trait::async_trait]
impl SignalingProvider for CamaraProvider {
    async fn request(&self, call: CallId, op: SignalOp) -> Result<(), SignalingError> {
        match op {
            SignalOp::Register => self.register().await,
            SignalOp::CreateSession { to, offer } => match to {
                Address::Phone(n) => self.create_session(call, n.to_tel_uri(), offer).await,
                Address::Alexa(_) => Err(SignalingError::Unsupported(format!(
                    "a CAMARA operator calls phone numbers, not {to}; call it over an Alexa account or the sandbox's Alexa"
                ))),
                Address::Lex(_) => Err(SignalingError::Unsupported(format!(
                    "a CAMARA operator calls phone numbers, not the bot {to}; bots are called over Lex"
                ))),
            },
            SignalOp::Hold { offer } => self.update(call, SessionStatus::Hold, offer).await,
            SignalOp::Resume { offer } => self.update(call, SessionStatus::Resume, offer).await,
            // The spec's status update "may include updating SDP media": the status stays
            // what it is, the offer carries the new transport.
            SignalOp::Renegotiate { offer, held } => {
                let status = if held {
                    SessionStatus::Hold
                } else {
                    SessionStatus::Connected
                };
                self.update(call, status, offer).await
            }
            SignalOp::AnswerUpdate { answer } => {
                let status = lock(&self.inner)
                    .sessions
                    .get(call)
                    .and_then(|s| s.far_update)
                    .unwrap_or(SessionStatus::Connected);
                self.put(
                    call,
                    MediaSessionStatusChange {
                        status,
                        offer: None,
                        answer: Some(WrtcSdpDescriptor::new(answer)),
                        location_details: None,
                    },
                )
                .await
            }
            SignalOp::Ringing => {
                let change = MediaSessionStatusChange {
                    status: SessionStatus::Ringing,
                    offer: None,
                    answer: None,
                    location_details: None,
                };
                if let Err(e) = self.put(call, change).await {
                    tracing::info!(error = %e, "could not tell the caller we are ringing");
                }
                Ok(())
            }
            SignalOp::Accept { answer } => {
                self.put(
                    call,
                    MediaSessionStatusChange {
                        status: SessionStatus::Connected,
                        offer: None,
                        answer: Some(WrtcSdpDescriptor::new(answer)),
                        location_details: None,
                    },
                )
                .await?;
                if let Some(s) = lock(&self.inner).sessions.get_mut(call) {
                    s.answered = true;
                }
                self.signals.send(call, Signal::AcceptConfirmed).await;
                Ok(())
            }
            SignalOp::Decline => self.delete_session(call).await,
            SignalOp::Terminate => {
                let result = self.delete_session(call).await;
                if result.is_ok() {
                    self.signals.send(call, Signal::Ended(EndReason::Hangup)).await;
                }
                result
            }
        }
    }

    fn take_signals(&self) -> Option<SignalReceiver> {
        lock(&self.signals_rx).take()
    }

    fn set_call_options(&self, options: CallOptions) {
        lock(&self.inner).options = options;
    }

    fn own_number(&self) -> Option<String> {
        lock(&self.inner)
            .registration
            .as_ref()
            .and_then(|r| r.reg_info.as_ref())
            .and_then(|i| i.phone_number.clone())
    }

    async fn shutdown(&self) {
        for t in lock(&self.tasks).drain(..) {
            t.abort();
        }
        let (subs, reg, sessions) = {
            let mut inner = lock(&self.inner);
            (
                std::mem::take(&mut inner.subscriptions),
                inner.registration.take(),
                inner.sessions.drain(),
            )
        };
        for (_, s) in sessions {
            drop_subscription(&self.client, s.subscription).await;
            if let Err(e) = self.client.delete_session(&s.id).await {
                tracing::debug!(error = %e, "session already gone");
            }
        }
        for id in subs {
            if let Err(e) = self.client.unsubscribe(&id).await {
                tracing::debug!(error = %e, "unsubscribing");
            }
        }
        if let Some(r) = reg
            && let Err(e) = self.client.unregister(&r.registration_id).await
        {
            tracing::debug!(error = %e, "unregistering");
        }
        self.sink.lock().await.take();
    }
}

/// Refreshes the registration `margin` before it expires, for as long as it lives.
async fn refresh_registration(
    client: Arc<CamaraClient>,
    id: String,
    mut expires_at: Option<String>,
    margin: Duration,
) {
    loop {
        let wait = expires_at
            .as_deref()
            .and_then(|t| time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok())
            .map(|t| t - time::OffsetDateTime::now_utc())
            .and_then(|left| Duration::try_from(left).ok())
            .map_or(Duration::from_secs(600), |left| {
                left.saturating_sub(margin).max(Duration::from_secs(1))
            });
        tokio::time::sleep(wait).await;
        match client.refresh_registration(&id).await {
            Ok(Some(r)) => expires_at = r.expires_at,
            Ok(None) => {}
            // Gone (expired or ended): registration-ends tells the machine; stop here.
            Err(CamaraError::Api { status: 404, .. }) => return,
            Err(e) => {
                tracing::warn!(error = %e, "registration refresh failed; retrying in 10 s");
                tokio::time::sleep(Duration::from_secs(10)).await;
            }
        }
    }
}

/// Turns the operator's events into signals for the calls they concern.
async fn dispatch_events(
    mut events: mpsc::Receiver<CloudEvent>,
    inner: Arc<Mutex<Inner>>,
    signals: SignalSender,
    client: Arc<CamaraClient>,
    device_id: String,
) {
    let dialect = client.dialect();
    let mut warned = false;
    while let Some(event) = events.recv().await {
        let Some((kind, own_spelling)) = dialect.event_kind(&event.event_type) else {
            tracing::debug!(event_type = %event.event_type, "event ignored");
            continue;
        };
        if !own_spelling && !warned {
            warned = true;
            tracing::warn!(
                event_type = %event.event_type,
                "the operator sends events named as in another CAMARA version than {dialect}; read anyway, but the account's --camara may be wrong"
            );
        }
        match kind {
            EventKind::SessionInvitation => {
                let Ok(data) = serde_json::from_value::<MediaSession>(event.data) else {
                    tracing::warn!("a session-invitation we cannot read");
                    continue;
                };
                let Some(offer) = data.offer else {
                    tracing::warn!("a session-invitation without an offer");
                    continue;
                };
                if lock(&inner).sessions.call_of(&data.media_session_id).is_some() {
                    tracing::debug!(id = %data.media_session_id, "a repeated invitation; ignored");
                    continue;
                }
                // A second call during a call rings in beside it (call waiting); the
                // switchboard declines it when the line is full.
                let call = signals.new_call();
                lock(&inner)
                    .sessions
                    .insert(call, Session::new(data.media_session_id.clone(), true));
                subscribe_session(&client, &inner, &device_id, call, &data.media_session_id).await;
                let from = data.originator_address.unwrap_or_default();
                let from = from.strip_prefix("tel:").unwrap_or(&from).to_owned();
                signals
                    .send(
                        call,
                        Signal::Invitation {
                            from,
                            offer: offer.sdp,
                        },
                    )
                    .await;
            }
            EventKind::SessionStatus => {
                let Ok(data) = serde_json::from_value::<MediaSession>(event.data) else {
                    tracing::warn!("a session-status event we cannot read");
                    continue;
                };
                forward(&inner, &signals, &data).await;
                let ended = std::mem::take(&mut lock(&inner).ended_subscriptions);
                for id in ended {
                    drop_subscription(&client, Some(id)).await;
                }
            }
            EventKind::RegistrationEnds => {
                let data = serde_json::from_value::<RegistrationEnds>(event.data).ok();
                let why = data
                    .as_ref()
                    .map(|d| match &d.termination_description {
                        Some(text) => format!("{}: {text}", d.termination_reason),
                        None => d.termination_reason.clone(),
                    })
                    .unwrap_or_else(|| "no reason given".into());
                let ours = {
                    let mut inner = lock(&inner);
                    let ours = match (&inner.registration, &data) {
                        (Some(r), Some(d)) => r.registration_id == d.registration_id,
                        (Some(_), None) => true,
                        (None, _) => false,
                    };
                    if ours {
                        inner.registration = None;
                    }
                    ours
                };
                if ours {
                    tracing::warn!(%why, "the operator ended our registration");
                    signals.send(LINE, Signal::RegistrationLost(why)).await;
                }
            }
            EventKind::SubscriptionEnded => tracing::debug!("a subscription ended"),
        }
    }
}

/// Sends the signals one session-status update means to the call it concerns.
async fn forward(inner: &Mutex<Inner>, signals: &SignalSender, data: &MediaSession) {
    let Some((call, found)) = session_signals(inner, data) else {
        return;
    };
    for s in found {
        signals.send(call, s).await;
    }
}

/// The signals one session-status update means, and the call whose session it names.
fn session_signals(inner: &Mutex<Inner>, data: &MediaSession) -> Option<(CallId, Vec<Signal>)> {
    let mut guard = lock(inner);
    let guard = &mut *guard;
    let Some((call, session)) = guard.sessions.find_mut(&data.media_session_id) else {
        if guard.creating > 0 {
            guard.early.push(data.clone());
        } else {
            tracing::debug!(id = %data.media_session_id, "event for no session of ours; ignored");
        }
        return None;
    };
    let status = data.status?;
    let answer = data.answer.as_ref().map(|a| a.sdp.clone());
    let offer = data.offer.as_ref().map(|o| o.sdp.clone());
    if status.is_final() {
        if let Some(sub) = session.subscription.take() {
            guard.ended_subscriptions.push(sub);
        }
        guard.sessions.remove(call);
        return Some((
            call,
            vec![Signal::Ended(end_reason(status, data.reason.as_deref()))],
        ));
    }
    let found = match (status, offer, answer) {
        (SessionStatus::Hold | SessionStatus::Resume, Some(offer), _) => {
            session.far_update = Some(status);
            vec![Signal::RemoteOffer { offer }]
        }
        // A far end's media update on an established call (an ICE restart of its own).
        (SessionStatus::Connected, Some(offer), _) if session.answered || session.incoming => {
            session.far_update = Some(status);
            vec![Signal::RemoteOffer { offer }]
        }
        (SessionStatus::Hold | SessionStatus::Resume | SessionStatus::Connected, None, Some(answer))
            if take_fresh(&mut session.pending_update, Instant::now()) =>
        {
            vec![Signal::UpdateAnswered { answer }]
        }
        (_, _, Some(answer)) if !session.incoming && !session.answered => {
            session.answered = true;
            vec![Signal::Answered { answer }]
        }
        (SessionStatus::Ringing | SessionStatus::Waiting, _, _) if !session.answered => vec![Signal::Ringing],
        (SessionStatus::InProgress | SessionStatus::Proceeding, _, _) if !session.answered => {
            vec![Signal::Proceeding]
        }
        _ => Vec::new(),
    };
    Some((call, found))
}

/// Polls GET when the answer does not arrive as an event within `after`.
async fn poll_for_answer(
    client: Arc<CamaraClient>,
    inner: Arc<Mutex<Inner>>,
    signals: SignalSender,
    call: CallId,
    id: String,
    after: Duration,
    every: Duration,
) {
    tokio::time::sleep(after).await;
    loop {
        let waiting = lock(&inner)
            .sessions
            .get(call)
            .is_some_and(|s| s.id == id && !s.answered);
        if !waiting {
            return;
        }
        match client.get_session(&id).await {
            Ok(info) => {
                let data = MediaSession {
                    status: info.status,
                    answer: info.answer,
                    media_session_id: id.clone(),
                    ..Default::default()
                };
                if let Some((call, found)) = session_signals(&inner, &data) {
                    if !found.is_empty() {
                        tracing::info!(
                            call,
                            "no event within {:?}: took the session's state from GET",
                            after
                        );
                    }
                    for s in found {
                        signals.send(call, s).await;
                    }
                }
            }
            Err(e) => tracing::debug!(error = %e, "polling the session"),
        }
        tokio::time::sleep(every).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_after_the_machine_gave_up_on_its_hold_is_dropped_and_clears_the_update() {
        let sent = Instant::now();
        let mut pending = Some(PendingUpdate { sent });
        assert!(take_fresh(&mut pending, sent + Duration::from_secs(2)));
        assert!(pending.is_none(), "taken");
        let mut late = Some(PendingUpdate { sent });
        let after = sent + crate::call::machine::UPDATE_TIMEOUT + Duration::from_millis(1);
        assert!(!take_fresh(&mut late, after), "too late to answer anything");
        assert!(late.is_none(), "and no longer pending");
        assert!(!take_fresh(&mut None, sent));
    }
}
