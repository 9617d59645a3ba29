//! The call state machine's requests in `Alexa.Comms.CallSignaling` terms, and the SPI
//! events the skill relay delivers back as machine signals (apis.md §1.3–1.5).
//!
//! - We call a device: InitiateInboundCall(offer) → CallRinging → CallRingingAck →
//!   CallInProgress → CallInProgressAck → CallAccepted(answer) → CallAcceptedAck.
//!   The answer may come in CallInProgress (early media) or CallAccepted, and a later one
//!   replaces an earlier one; CallAccepted may carry none.
//! - A device calls us: InitiateOutboundCall(offer) → CallRinging → CallRingingAck →
//!   CallInProgress(answer) → CallInProgressAck → CallAccepted(answer) → CallAcceptedAck.
//!   Amazon documents the skill acking Alexa, not Alexa acking us: our requests go out
//!   one after the other as our state allows, and Alexa's acks are taken when they come,
//!   never waited for.
//! - Hold / resume: CallUpdate `CALL_HOLD` (offer `a=recvonly`) / `CALL_RESUME`
//!   (`a=sendrecv`); the answer comes in CallUpdateResponse, acked with CallUpdateAck.
//!   A far-end CallUpdate is answered with CallUpdateResponse.
//! - Hang up: CallEnded, either way.

use super::client::AlexaClient;
use super::relay::{RelayRegistered, RelayRegistration};
use super::wire::{
    CustomParams, Form, IdType, Message, Name, Participant, ParticipantId, RenegotiationType, SdpDetails,
    result_codes,
};
use crate::call::{Address, CallId, EndReason, LINE, Signal, SignalOp};
use crate::lock;
use crate::net::{Intake, LocalTls};
use crate::signaling::{
    NetworkSession, Sessions, SignalReceiver, SignalSender, SignalingError, SignalingProvider,
};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::task::JoinHandle;

/// Where our intake takes the relay's SPI events.
pub const INTAKE_PATH: &str = "/dialtone/alexa";

#[derive(Debug, Clone)]
pub struct AlexaConfig {
    /// The skill relay's root URL.
    pub relay: String,
    pub intake_bind: SocketAddr,
    /// HTTPS for the intake. `None`: generated when the relay is not on this machine.
    pub intake_tls: Option<Arc<LocalTls>>,
    pub options: AlexaOptions,
}

/// What an account (or the command line) sets for its Alexa calls.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AlexaOptions {
    /// The name InitiateInboundCall shows the device (`customParams.callerName`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller_name: Option<String>,
    /// How our requests are written (`wire::Form`): flat unless the account says
    /// `enveloped`.
    #[serde(default, skip_serializing_if = "is_flat")]
    pub form: Form,
}

fn is_flat(f: &Form) -> bool {
    *f == Form::Flat
}

impl AlexaConfig {
    pub fn new(relay: impl Into<String>) -> Self {
        Self {
            relay: relay.into(),
            intake_bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            intake_tls: None,
            options: AlexaOptions::default(),
        }
    }

    pub fn with_options(mut self, options: AlexaOptions) -> Self {
        self.options = options;
        self
    }
}

#[derive(Debug)]
pub(super) struct Session {
    pub(super) id: String,
    /// A device called us.
    pub(super) incoming: bool,
    /// Our CallUpdate waiting for its CallUpdateResponse.
    pub(super) pending_update: Option<RenegotiationType>,
    /// The far end's last CallUpdate, which our CallUpdateResponse echoes.
    pub(super) far_update: Option<RenegotiationType>,
    /// The answer CallInProgress brought (we called), which CallAccepted may repeat.
    pub(super) early_answer: Option<String>,
}

impl NetworkSession for Session {
    fn network_id(&self) -> &str {
        &self.id
    }
}

impl Session {
    pub(super) fn new(id: &str, incoming: bool) -> Self {
        Self {
            id: id.to_owned(),
            incoming,
            pending_update: None,
            far_update: None,
            early_answer: None,
        }
    }
}

#[derive(Debug, Default)]
pub(super) struct Inner {
    pub(super) registration: Option<RelayRegistered>,
    /// One per call on the line.
    pub(super) sessions: Sessions<Session>,
    /// Alexa's acks of our requests, as they came (never waited for).
    pub(super) acks: Vec<Name>,
}

pub struct AlexaProvider {
    client: Arc<AlexaClient>,
    config: AlexaConfig,
    signals: SignalSender,
    signals_rx: Mutex<Option<SignalReceiver>>,
    inner: Arc<Mutex<Inner>>,
    intake: tokio::sync::Mutex<Option<Intake>>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl AlexaProvider {
    pub fn new(client: AlexaClient, mut config: AlexaConfig) -> Self {
        if config.intake_tls.is_none() {
            config.intake_tls =
                crate::net::tls_for_remote(crate::net::is_loopback_url(&config.relay), "Alexa intake");
        }
        let (tx, rx) = crate::signaling::signal_channel();
        let client = client.with_form(config.options.form);
        Self {
            client: Arc::new(client),
            config,
            signals: tx,
            signals_rx: Mutex::new(Some(rx)),
            inner: Arc::default(),
            intake: tokio::sync::Mutex::new(None),
            tasks: Mutex::default(),
        }
    }

    fn session_id(&self, call: CallId) -> Result<String, SignalingError> {
        lock(&self.inner)
            .sessions
            .get(call)
            .map(|s| s.id.clone())
            .ok_or_else(|| SignalingError::State(format!("call {call} is no Alexa call")))
    }

    async fn register(&self) -> Result<(), SignalingError> {
        let mut intake = self.intake.lock().await;
        if intake.is_none() {
            let (i, events) = Intake::start(
                self.config.intake_bind,
                INTAKE_PATH,
                self.config.intake_tls.as_deref(),
            )
            .await
            .map_err(|e| SignalingError::Sink(e.to_string()))?;
            *intake = Some(i);
            let task = tokio::spawn(super::spi::dispatch(
                events,
                self.inner.clone(),
                self.signals.clone(),
                self.client.clone(),
            ));
            lock(&self.tasks).push(task);
        }
        let registration = match intake.as_ref() {
            Some(i) => RelayRegistration {
                endpoint: i.url().to_owned(),
                access_token: i.token().to_owned(),
                certificate: self
                    .config
                    .intake_tls
                    .as_deref()
                    .map(|t| t.certificate_pem().to_owned()),
            },
            None => return Err(SignalingError::Sink("no intake".into())),
        };
        drop(intake);
        let old = lock(&self.inner).registration.take();
        if let Some(old) = old
            && let Err(e) = self
                .client
                .unregister_relay(&self.config.relay, &old.registration_id)
                .await
        {
            tracing::debug!(error = %e, "dropping the old relay registration");
        }
        let registered = self
            .client
            .register_relay(&self.config.relay, &registration)
            .await?;
        tracing::info!(address = %registered.address, "registered with the skill relay");
        lock(&self.inner).registration = Some(registered);
        self.signals.send(LINE, Signal::Registered).await;
        Ok(())
    }

    async fn send(&self, m: Message) -> Result<(), SignalingError> {
        self.client.signal(&m).await.map_err(SignalingError::from)
    }

    /// Alexa's acks of our requests so far, in the order they came.
    pub fn acks_received(&self) -> Vec<Name> {
        lock(&self.inner).acks.clone()
    }

    async fn call(&self, call: CallId, to: Address, offer: String) -> Result<(), SignalingError> {
        let own = lock(&self.inner)
            .registration
            .as_ref()
            .map(|r| r.address.clone())
            .ok_or_else(|| SignalingError::State("not registered with the skill relay".into()))?;
        let callee = match &to {
            Address::Lex(_) => {
                return Err(SignalingError::Unsupported(format!(
                    "Alexa calls devices and numbers, not the bot {to}; bots are called over Lex"
                )));
            }
            Address::Alexa(name) => ParticipantId {
                kind: IdType::RawAddress,
                value: name.clone(),
            },
            Address::Phone(n) => ParticipantId {
                kind: IdType::PhoneNumber,
                value: n.as_e164().to_owned(),
            },
        };
        let id = uuid::Uuid::new_v4().to_string();
        let mut m = Message::bare(Name::InitiateInboundCall, &id).with_sdp(SdpDetails::offer(offer));
        m.participants = Some(vec![
            Participant {
                id: ParticipantId {
                    kind: IdType::RawAddress,
                    value: own,
                },
                is_originator: Some(true),
            },
            Participant {
                id: callee,
                is_originator: Some(false),
            },
        ]);
        m.custom_params = self
            .config
            .options
            .caller_name
            .as_ref()
            .filter(|n| !n.trim().is_empty())
            .map(|n| CustomParams {
                caller_name: Some(n.trim().to_owned()),
            });
        lock(&self.inner).sessions.insert(call, Session::new(&id, false));
        let result = self.send(m).await;
        if result.is_err() {
            lock(&self.inner).sessions.remove(call);
        }
        result
    }

    async fn update(
        &self,
        call: CallId,
        kind: RenegotiationType,
        offer: String,
    ) -> Result<(), SignalingError> {
        let id = self.session_id(call)?;
        if let Some(s) = lock(&self.inner).sessions.get_mut(call) {
            s.pending_update = Some(kind);
        }
        let m = Message::bare(Name::CallUpdate, &id)
            .with_renegotiation(kind)
            .with_sdp(SdpDetails::offer(offer));
        let result = self.send(m).await;
        if result.is_err()
            && let Some(s) = lock(&self.inner).sessions.get_mut(call)
        {
            s.pending_update = None;
        }
        result
    }

    async fn answer_update(&self, call: CallId, answer: String) -> Result<(), SignalingError> {
        let (id, kind) = {
            let inner = lock(&self.inner);
            let s = inner
                .sessions
                .get(call)
                .ok_or_else(|| SignalingError::State(format!("call {call} is no Alexa call")))?;
            (
                s.id.clone(),
                s.far_update.unwrap_or(RenegotiationType::CallUpdate),
            )
        };
        let m = Message::bare(Name::CallUpdateResponse, &id)
            .with_renegotiation(kind)
            .with_sdp(SdpDetails::answer(answer));
        self.send(m).await
    }

    async fn accept(&self, call: CallId, answer: String) -> Result<(), SignalingError> {
        let id = self.session_id(call)?;
        self.send(Message::bare(Name::CallInProgress, &id).with_sdp(SdpDetails::answer(answer.clone())))
            .await?;
        self.send(Message::bare(Name::CallAccepted, &id).with_sdp(SdpDetails::answer(answer)))
            .await?;
        self.signals.send(call, Signal::AcceptConfirmed).await;
        Ok(())
    }

    /// Ends our side with CallEnded `SUCCESS`; the session is forgotten either way.
    async fn end(&self, call: CallId, message: &str) -> Result<(), SignalingError> {
        let id = self.session_id(call)?;
        lock(&self.inner).sessions.remove(call);
        match self
            .client
            .signal(&Message::ended(&id, result_codes::SUCCESS, message))
            .await
        {
            Ok(()) => Ok(()),
            // Alexa no longer knows the call: it is over, which is what we wanted.
            Err(e) if e.status() == Some(404) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

#[async_trait::async_trait]
impl SignalingProvider for AlexaProvider {
    async fn request(&self, call: CallId, op: SignalOp) -> Result<(), SignalingError> {
        match op {
            SignalOp::Register => self.register().await,
            SignalOp::CreateSession { to, offer } => self.call(call, to, offer).await,
            SignalOp::Ringing => {
                let id = self.session_id(call)?;
                if let Err(e) = self.send(Message::bare(Name::CallRinging, &id)).await {
                    tracing::info!(error = %e, "could not tell Alexa we are ringing");
                }
                Ok(())
            }
            SignalOp::Accept { answer } => self.accept(call, answer).await,
            SignalOp::Decline => self.end(call, "Call declined by user").await,
            SignalOp::Hold { offer } => self.update(call, RenegotiationType::CallHold, offer).await,
            SignalOp::Resume { offer } => self.update(call, RenegotiationType::CallResume, offer).await,
            // Amazon names "a Wi-Fi disconnection and reconnection" as a reason to renegotiate.
            SignalOp::Renegotiate { offer, .. } => {
                self.update(call, RenegotiationType::CallUpdate, offer).await
            }
            SignalOp::AnswerUpdate { answer } => self.answer_update(call, answer).await,
            SignalOp::Terminate => {
                let result = self.end(call, "Call ended by user").await;
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

    fn own_number(&self) -> Option<String> {
        lock(&self.inner).registration.as_ref().map(|r| {
            r.phone_number
                .clone()
                .unwrap_or_else(|| format!("{}{}", crate::call::address::ALEXA_SCHEME, r.address))
        })
    }

    async fn shutdown(&self) {
        let (sessions, registration) = {
            let mut inner = lock(&self.inner);
            (inner.sessions.drain(), inner.registration.take())
        };
        for (_, s) in sessions {
            if let Err(e) = self
                .client
                .signal(&Message::ended(
                    &s.id,
                    result_codes::SUCCESS,
                    "Call ended by user",
                ))
                .await
            {
                tracing::debug!(error = %e, "call already gone");
            }
        }
        if let Some(r) = registration
            && let Err(e) = self
                .client
                .unregister_relay(&self.config.relay, &r.registration_id)
                .await
        {
            tracing::debug!(error = %e, "leaving the relay");
        }
        for t in lock(&self.tasks).drain(..) {
            t.abort();
        }
        self.intake.lock().await.take();
    }
}
