//! One call's media: a webrtc-rs peer connection with one audio transceiver, and the
//! offer/answer moves a softphone makes on it (call, answer, hold, resume, ICE restart).
//!
//! Every renegotiation is two-phase: the offer is applied locally, and the new direction
//! is committed only when the answer is applied. Until then the previous direction,
//! and the media it allows, stays in force; a rejected offer is rolled back.

use super::codec::CodecName;
use super::config::{MediaConfig, codec_parameters, codec_preferences};
use super::direction::{self, Direction};
use super::dtmf::{self, DtmfError};
use super::error::{MediaError, stack};
use super::io::{AudioSink, AudioSource};
use super::pipeline::{self, Negotiated, Shared};
use super::rtcp_tap::RtcpTap;
use super::sdp;
use super::socket::MediaRuntime;
use super::stats::{self, MediaStats};
use super::telephone_event;
use rtc::interceptor::Slot;
use rtc::media_stream::MediaStreamTrack;
use rtc::rtp_transceiver::RTCRtpTransceiverInit;
use rtc::rtp_transceiver::rtp_sender::{RTCRtpCodingParameters, RTCRtpEncodingParameters, RtpCodecKind};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::media_stream::track_remote::TrackRemote;
use webrtc::peer_connection::{
    MediaEngine, PeerConnection, PeerConnectionBuilder, PeerConnectionEventHandler, RTCConfigurationBuilder,
    RTCIceConnectionState, RTCIceGatheringState, RTCIceServer, RTCPeerConnectionState, RTCSessionDescription,
    Registry, SettingEngineBuilder, register_default_interceptors,
};
use webrtc::rtp_transceiver::RtpTransceiver;

/// What happened to the media, for the call layer and the UI.
#[derive(Debug, Clone, PartialEq)]
pub enum MediaEvent {
    /// ICE found a pair that works (DTLS comes next).
    IceConnected,
    /// ICE and DTLS are up.
    Connected,
    /// The transport was lost (it may come back, e.g. after an ICE restart).
    Disconnected,
    Failed,
    /// The first audio frame from the far end was decoded.
    FirstAudio,
    /// A negotiation committed a new direction (ours, as in our SDP).
    DirectionChanged(Direction),
    Dtmf(dtmf::ReceivedDigit),
}

/// Why an offer was made; kept until its answer arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfferKind {
    Initial,
    Hold,
    Resume,
    IceRestart,
}

#[derive(Debug)]
struct Pending {
    kind: OfferKind,
    /// The transceiver direction to restore if the offer is rejected.
    previous: Direction,
}

#[derive(Debug)]
struct Negotiation {
    pending: Option<Pending>,
    /// What we want: `sendrecv`, or the hold direction while we hold.
    intent: Direction,
    /// The far end's rejected m-lines, repeated in everything we send.
    rejected: Vec<sdp::RejectedSection>,
    /// Our DTLS role once the first negotiation settled it. The association outlives
    /// re-offers, so every later answer must state the same role: webrtc-rs answers
    /// `active` whatever it is, and Chromium refuses a changed role ("Failed to set SSL
    /// role for the transport").
    dtls_role: Option<sdp::DtlsRole>,
}

impl Default for Negotiation {
    fn default() -> Self {
        Self {
            pending: None,
            intent: Direction::SendRecv,
            rejected: Vec::new(),
            dtls_role: None,
        }
    }
}

impl Negotiation {
    fn held(&self) -> bool {
        self.intent != Direction::SendRecv
    }
}

/// How long a candidate pair is checked before it fails: as long as the media watch waits
/// between two ICE restarts (`dialtone_call::media_watch`), so a restart made while the path
/// is down finds it when it comes back (RFC 8445 §14.3 allows ~40 s per transaction).
const ICE_CHECKS_FOR: Duration = Duration::from_secs(10);

/// Time between two rounds of connectivity checks while connecting. The stack nominates a
/// pair one round after its first check succeeds, so this interval is most of call setup:
/// its default of 200 ms made offer → connected 202 ms on loopback. RFC 8445's Ta is 50 ms
/// on a network; on loopback there is one pair and nothing to pace for.
fn ice_check_interval(loopback: bool) -> Duration {
    Duration::from_millis(if loopback { 5 } else { 50 })
}

pub struct MediaSession {
    pc: Arc<dyn PeerConnection>,
    transceiver: Arc<dyn RtpTransceiver>,
    shared: Arc<Shared>,
    /// Our outgoing stream's.
    ssrc: u32,
    negotiation: tokio::sync::Mutex<Negotiation>,
    gathering: watch::Receiver<u64>,
    tasks: Vec<JoinHandle<()>>,
    config: MediaConfig,
}

impl std::fmt::Debug for MediaSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaSession")
            .field("direction", &self.direction())
            .finish_non_exhaustive()
    }
}

struct Handler {
    shared: Arc<Shared>,
    gathering: watch::Sender<u64>,
    runtime: tokio::runtime::Handle,
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for Handler {
    async fn on_ice_gathering_state_change(&self, state: RTCIceGatheringState) {
        if state == RTCIceGatheringState::Complete {
            self.gathering.send_modify(|n| *n += 1);
        }
    }

    async fn on_ice_connection_state_change(&self, state: RTCIceConnectionState) {
        if state == RTCIceConnectionState::Connected {
            self.shared.emit(MediaEvent::IceConnected);
        }
    }

    async fn on_connection_state_change(&self, state: RTCPeerConnectionState) {
        let event = match state {
            RTCPeerConnectionState::Connected => MediaEvent::Connected,
            RTCPeerConnectionState::Disconnected => MediaEvent::Disconnected,
            RTCPeerConnectionState::Failed => MediaEvent::Failed,
            _ => return,
        };
        tracing::debug!(?state, "peer connection state");
        self.shared.set_connected(event == MediaEvent::Connected);
        self.shared.emit(event);
    }

    async fn on_track(&self, track: Arc<dyn TrackRemote>) {
        let shared = self.shared.clone();
        self.runtime.spawn(pipeline::receive_loop(shared, track));
    }
}

impl MediaSession {
    /// Builds the peer connection and starts the media tasks. Nothing is sent until a
    /// negotiation completes.
    pub async fn new(
        config: MediaConfig,
        source: impl AudioSource,
        sink: impl AudioSink,
    ) -> Result<Self, MediaError> {
        if config.codecs.is_empty() {
            return Err(MediaError::InvalidState {
                action: "start media",
                reason: "no codec is enabled".into(),
            });
        }
        let mut engine = MediaEngine::default();
        let preferences = codec_preferences(&config.codecs);
        for params in &preferences {
            engine
                .register_codec(params.clone(), RtpCodecKind::Audio)
                .map_err(stack("registering codecs"))?;
        }
        let check_interval = ice_check_interval(config.is_loopback());
        let binding_attempts =
            u16::try_from(ICE_CHECKS_FOR.as_millis() / check_interval.as_millis()).unwrap_or(u16::MAX);
        let settings = SettingEngineBuilder::new()
            .with_include_loopback_candidate(config.is_loopback())
            .with_multicast_dns_mode(rtc::ice::mdns::MulticastDnsMode::Disabled)
            // A pair is checked for ICE_CHECKS_FOR, not the stack's 1.4 s.
            .with_ice_connection_attempts(Some(check_interval), Some(binding_attempts))
            .build();
        let ice_servers = if config.ice_servers.is_empty() {
            Vec::new()
        } else {
            vec![RTCIceServer {
                urls: config.ice_servers.clone(),
                ..Default::default()
            }]
        };

        let shared = Arc::new(Shared::new(&config));
        let mut registry = register_default_interceptors(Registry::new(), &mut engine)
            .map_err(stack("registering interceptors"))?
            // Wire-most, so it sees every report before anything else does.
            .with(Slot::from(500), RtcpTap::new(shared.remote_reports.clone()));
        if let Some(capture) = &config.capture {
            // Wire-most of all: the RTCP the chain generates is captured too.
            registry = registry.with(Slot::from(100), capture.tap());
        }
        let (gather_tx, gather_rx) = watch::channel(0u64);
        let handler = Arc::new(Handler {
            shared: shared.clone(),
            gathering: gather_tx,
            runtime: tokio::runtime::Handle::current(),
        });
        let mut builder = PeerConnectionBuilder::new()
            .with_configuration(
                RTCConfigurationBuilder::new()
                    .with_ice_servers(ice_servers)
                    .build(),
            )
            .with_media_engine(engine)
            .with_interceptor_registry(registry)
            .with_setting_engine(settings)
            .with_handler(handler)
            .with_udp_addrs(config.bind_addrs.clone());
        // Our sockets always: the DTLS guard works around the stack's retransmission.
        let runtime: Arc<dyn webrtc::runtime::Runtime> = match &config.runtime {
            Some(rt) => rt.clone(),
            None => {
                let own = MediaRuntime::build(config.impairment.clone(), config.capture.clone());
                let _ = shared.payload_filter.set(own.payload_filter());
                own
            }
        };
        builder = builder.with_runtime(runtime);
        let pc: Arc<dyn PeerConnection> = Arc::new(
            builder
                .build()
                .await
                .map_err(stack("creating the peer connection"))?,
        );

        let ssrc: u32 = rand::random();
        let first = config.codecs[0];
        let track = Arc::new(TrackLocalStaticRTP::new(MediaStreamTrack::new(
            "dialtone".into(),
            "audio".into(),
            "dialtone-audio".into(),
            RtpCodecKind::Audio,
            vec![RTCRtpEncodingParameters {
                rtp_coding_parameters: RTCRtpCodingParameters {
                    ssrc: Some(ssrc),
                    ..Default::default()
                },
                codec: codec_parameters(first).rtp_codec,
                ..Default::default()
            }],
        )));
        let transceiver = pc
            .add_transceiver_from_track(
                track.clone(),
                Some(RTCRtpTransceiverInit {
                    direction: direction::to_rtc(Direction::SendRecv),
                    streams: vec![],
                    send_encodings: vec![],
                }),
            )
            .await
            .map_err(stack("adding the audio transceiver"))?;
        // Without this the transceiver offers only the track's own codec.
        transceiver
            .set_codec_preferences(preferences)
            .await
            .map_err(stack("setting codec preferences"))?;

        let tasks = vec![
            tokio::spawn(pipeline::send_loop(shared.clone(), track, ssrc, Box::new(source))),
            tokio::spawn(pipeline::playout_loop(shared.clone(), Box::new(sink))),
            tokio::spawn(stats::adapt_loop(shared.clone())),
        ];
        Ok(Self {
            pc,
            transceiver,
            shared,
            ssrc,
            negotiation: tokio::sync::Mutex::new(Negotiation::default()),
            gathering: gather_rx,
            tasks,
            config,
        })
    }

    /// Events from this session. Slow readers lose the oldest events.
    pub fn subscribe(&self) -> broadcast::Receiver<MediaEvent> {
        self.shared.events.subscribe()
    }

    /// The direction committed by the last completed negotiation (ours, as in our SDP).
    pub fn direction(&self) -> Option<Direction> {
        self.shared.negotiated().map(|n| n.direction)
    }

    /// The codec we send, once negotiated.
    pub fn codec(&self) -> Option<CodecName> {
        self.shared.negotiated().map(|n| n.codec)
    }

    /// True while an offer of ours awaits its answer.
    pub async fn has_pending_offer(&self) -> bool {
        self.negotiation.lock().await.pending.is_some()
    }

    /// Our first offer (we place the call). Vanilla ICE: the SDP carries every candidate.
    pub async fn create_offer(&self) -> Result<String, MediaError> {
        let mut neg = self.negotiation.lock().await;
        if neg.pending.is_some() || self.shared.negotiated().is_some() {
            return Err(MediaError::InvalidState {
                action: "create the first offer",
                reason: "this session has already negotiated; use hold, resume or restart_ice".into(),
            });
        }
        self.offer(&mut neg, OfferKind::Initial, Direction::SendRecv)
            .await
    }

    /// Hold: re-offer with `a=recvonly` (we stop sending, they keep sending to us).
    pub async fn hold(&self) -> Result<String, MediaError> {
        self.hold_with(Direction::RecvOnly).await
    }

    /// Hold with a chosen direction: `recvonly` (our default), `sendonly` (we play
    /// music on hold) or `inactive`. While held, calling it again changes the mode.
    pub async fn hold_with(&self, direction: Direction) -> Result<String, MediaError> {
        let mut neg = self.negotiation.lock().await;
        self.require_renegotiable(&neg, "hold")?;
        if direction == Direction::SendRecv {
            return Err(MediaError::InvalidState {
                action: "hold",
                reason: "sendrecv is not a hold; use resume".into(),
            });
        }
        if neg.intent == direction {
            return Err(MediaError::InvalidState {
                action: "hold",
                reason: format!("the call is already on hold ({direction})"),
            });
        }
        self.offer(&mut neg, OfferKind::Hold, direction).await
    }

    /// Resume: re-offer with `a=sendrecv`.
    pub async fn resume(&self) -> Result<String, MediaError> {
        let mut neg = self.negotiation.lock().await;
        self.require_renegotiable(&neg, "resume")?;
        if !neg.held() {
            return Err(MediaError::InvalidState {
                action: "resume",
                reason: "the call is not on hold".into(),
            });
        }
        self.offer(&mut neg, OfferKind::Resume, Direction::SendRecv).await
    }

    /// ICE restart: a re-offer with fresh credentials, keeping the direction.
    pub async fn restart_ice(&self) -> Result<String, MediaError> {
        let mut neg = self.negotiation.lock().await;
        self.require_renegotiable(&neg, "restart ICE")?;
        let keep = neg.intent;
        self.pc.restart_ice().await.map_err(stack("restarting ICE"))?;
        self.offer(&mut neg, OfferKind::IceRestart, keep).await
    }

    fn require_renegotiable(&self, neg: &Negotiation, action: &'static str) -> Result<(), MediaError> {
        if self.shared.negotiated().is_none() {
            return Err(MediaError::InvalidState {
                action,
                reason: "the call is not connected yet".into(),
            });
        }
        if let Some(p) = &neg.pending {
            return Err(MediaError::InvalidState {
                action,
                reason: format!("a {:?} offer is still waiting for its answer", p.kind),
            });
        }
        Ok(())
    }

    async fn local_direction(&self) -> Result<Direction, MediaError> {
        let d = self
            .transceiver
            .direction()
            .await
            .map_err(stack("reading the direction"))?;
        Ok(direction::from_rtc(d).unwrap_or(Direction::SendRecv))
    }

    async fn offer(
        &self,
        neg: &mut Negotiation,
        kind: OfferKind,
        want: Direction,
    ) -> Result<String, MediaError> {
        let previous = self.local_direction().await?;
        let gathered_before = *self.gathering.borrow();
        if want.sends() {
            self.shared.send_gate.set_paused(false);
        } else {
            self.stop_sending().await;
        }
        if previous != want {
            self.transceiver
                .set_direction(direction::to_rtc(want))
                .await
                .map_err(stack("setting the direction"))?;
        }
        let result = async {
            let offer = self
                .pc
                .create_offer(None)
                .await
                .map_err(stack("creating an offer"))?;
            self.pc
                .set_local_description(offer)
                .await
                .map_err(stack("applying our offer"))?;
            let must_regather = matches!(kind, OfferKind::Initial | OfferKind::IceRestart);
            self.local_sdp(must_regather.then_some(gathered_before)).await
        }
        .await;
        match result {
            Ok(sdp) => {
                neg.pending = Some(Pending { kind, previous });
                let sdp = telephone_event::add_to_offer(&sdp, &self.config.codecs);
                Ok(sdp::with_rejected(
                    &sdp::with_default_candidates(&sdp),
                    &neg.rejected,
                ))
            }
            Err(e) => {
                self.roll_back(previous).await;
                Err(e)
            }
        }
    }

    /// Closes the send gate and lets our last queued packet out before the stack's sender
    /// goes with a direction that does not send (`send_gate.rs`).
    async fn stop_sending(&self) {
        let shared = &self.shared;
        shared
            .send_gate
            .close_and_drain(&*self.pc, self.ssrc, || {
                shared.counters.rtp_sent.load(Ordering::Relaxed)
            })
            .await;
    }

    /// Applies the answer to our pending offer and commits what it negotiated.
    pub async fn accept_answer(&self, answer_sdp: &str) -> Result<Direction, MediaError> {
        let mut neg = self.negotiation.lock().await;
        let Some(pending) = neg.pending.take() else {
            return Err(MediaError::InvalidState {
                action: "apply an answer",
                reason: "no offer of ours is pending".into(),
            });
        };
        let checked = self.check_remote(answer_sdp).map(|_| ());
        let applied = match checked {
            // Rewritten for the stack only once it passed our checks (and their limits).
            Ok(()) => match RTCSessionDescription::answer(sdp::for_stack(answer_sdp, false).0) {
                Ok(desc) => self
                    .pc
                    .set_remote_description(desc)
                    .await
                    .map_err(stack("applying the answer")),
                Err(e) => Err(MediaError::BadSdp(e.to_string())),
            },
            Err(e) => Err(e),
        };
        if let Err(e) = applied {
            self.roll_back(pending.previous).await;
            return Err(e);
        }
        let direction = self.commit(answer_sdp).await?;
        if neg.dtls_role.is_none() {
            neg.dtls_role = sdp::DtlsRole::of(answer_sdp).map(sdp::DtlsRole::other);
        }
        if matches!(pending.kind, OfferKind::Hold | OfferKind::Resume) {
            neg.intent = self.local_direction().await?;
        }
        Ok(direction)
    }

    /// A final answer to our first offer that replaces the early one in effect (Alexa's
    /// CallAccepted after an answer in CallInProgress): our offer is made and applied
    /// again, unchanged, and then the new answer to it.
    pub async fn replace_answer(&self, answer_sdp: &str) -> Result<Direction, MediaError> {
        {
            let mut neg = self.negotiation.lock().await;
            if neg.pending.is_some() {
                return Err(MediaError::InvalidState {
                    action: "replace the answer",
                    reason: "an offer of ours is still pending".into(),
                });
            }
            let previous = self.local_direction().await?;
            // The stack takes only the offer it made last, so it makes it again: the same
            // m-lines, credentials and fingerprint, which the final answer answers.
            let again = self
                .pc
                .create_offer(None)
                .await
                .map_err(stack("making our offer again"))?;
            self.pc
                .set_local_description(again)
                .await
                .map_err(stack("applying our offer again"))?;
            neg.pending = Some(Pending {
                kind: OfferKind::Initial,
                previous,
            });
        }
        self.accept_answer(answer_sdp).await
    }

    /// The far end refused our pending offer (an error from signaling): return to the
    /// state before it. Media never stopped, so there is nothing else to restore.
    pub async fn cancel_offer(&self) -> Result<(), MediaError> {
        let mut neg = self.negotiation.lock().await;
        let Some(pending) = neg.pending.take() else {
            return Err(MediaError::InvalidState {
                action: "cancel an offer",
                reason: "no offer of ours is pending".into(),
            });
        };
        self.roll_back(pending.previous).await;
        Ok(())
    }

    async fn roll_back(&self, previous: Direction) {
        self.shared.send_gate.set_paused(!previous.sends());
        if let Ok(rollback) = RTCSessionDescription::rollback(None)
            && let Err(e) = self.pc.set_local_description(rollback).await
        {
            tracing::warn!(error = %e, "rolling back our offer failed");
        }
        if let Err(e) = self.transceiver.set_direction(direction::to_rtc(previous)).await {
            tracing::warn!(error = %e, "restoring the direction failed");
        }
    }

    /// Answers an offer: the first one (an incoming call) or a re-offer from the far end
    /// (it holds or resumes us, or restarts ICE). The answer's direction is ours to
    /// decide (RFC 3264 §6.1): what we want, intersected with what was offered.
    pub async fn accept_offer(&self, offer_sdp: &str) -> Result<String, MediaError> {
        let mut neg = self.negotiation.lock().await;
        if let Some(p) = &neg.pending {
            return Err(MediaError::InvalidState {
                action: "answer an offer",
                reason: format!(
                    "our own {:?} offer is still waiting for its answer (glare)",
                    p.kind
                ),
            });
        }
        let offered = self.check_remote(offer_sdp)?;
        let answer_direction = neg.intent.answer_to(offered);
        let (for_stack, rejected) = sdp::for_stack(offer_sdp, true);
        let desc = RTCSessionDescription::offer(for_stack).map_err(|e| MediaError::BadSdp(e.to_string()))?;
        let gathered_before = *self.gathering.borrow();
        let first = self.shared.negotiated().is_none();
        if let Err(e) = self.pc.set_remote_description(desc).await {
            self.roll_back_remote().await;
            return Err(stack("applying the far end's offer")(e));
        }
        // Answering without sending (the far end holds us) takes our sender away for a
        // moment too: the gate closes first, and reopens below if our intent sends.
        if !answer_direction.sends() {
            self.stop_sending().await;
        }
        let answered = async {
            self.transceiver
                .set_direction(direction::to_rtc(answer_direction))
                .await
                .map_err(stack("setting the answer direction"))?;
            let answer = self
                .pc
                .create_answer(None)
                .await
                .map_err(stack("creating an answer"))?;
            self.pc
                .set_local_description(answer)
                .await
                .map_err(stack("applying our answer"))?;
            self.local_sdp(first.then_some(gathered_before)).await
        }
        .await;
        // Our next offer must carry our own intent, not this answer's direction.
        if let Err(e) = self
            .transceiver
            .set_direction(direction::to_rtc(neg.intent))
            .await
        {
            tracing::warn!(error = %e, "restoring our direction failed");
        }
        let sdp = match answered {
            Ok(sdp) => {
                let sdp = telephone_event::add_to_answer(&sdp, offer_sdp, &self.config.codecs);
                match neg.dtls_role {
                    Some(role) => role.written_into(&sdp),
                    None => {
                        neg.dtls_role = sdp::DtlsRole::of(&sdp);
                        sdp
                    }
                }
            }
            Err(e) => {
                self.roll_back_remote().await;
                self.shared.send_gate.set_paused(!neg.intent.sends());
                return Err(e);
            }
        };
        let committed = self.commit(&sdp).await;
        // After the commit, which closes the gate by direction if the answer does not send.
        self.shared.send_gate.set_paused(!neg.intent.sends());
        committed?;
        neg.rejected = rejected;
        Ok(sdp::with_rejected(
            &sdp::with_default_candidates(&sdp),
            &neg.rejected,
        ))
    }

    async fn roll_back_remote(&self) {
        if let Ok(rollback) = RTCSessionDescription::rollback(None)
            && let Err(e) = self.pc.set_remote_description(rollback).await
        {
            // Expected when the offer never got applied.
            tracing::debug!(error = %e, "rolling back the far end's offer");
        }
    }

    /// Rejects what we cannot use before it touches the stack.
    fn check_remote(&self, remote: &str) -> Result<Direction, MediaError> {
        let parsed = sdp::parse(remote).map_err(MediaError::BadSdp)?;
        let audio = match parsed.audio() {
            Some(a) => a,
            None if parsed.sections.iter().any(|s| s.kind == "audio") => {
                return Err(MediaError::AudioRejected);
            }
            None => return Err(MediaError::NoAudio),
        };
        if audio.common_codecs(&self.config.codecs).is_empty() {
            let ours: Vec<String> = self.config.codecs.iter().map(ToString::to_string).collect();
            let offered = audio.format_names();
            return Err(MediaError::NoCommonCodec {
                offered: if offered.is_empty() {
                    audio.formats.join(" ")
                } else {
                    offered.join(", ")
                },
                ours: ours.join(", "),
            });
        }
        if !remote.contains("a=fingerprint:") {
            return Err(MediaError::Unsupported(
                "it has no DTLS fingerprint (SDES a=crypto is not supported); Dialtone needs DTLS-SRTP",
            ));
        }
        if !remote.contains("a=ice-ufrag:") {
            return Err(MediaError::Unsupported(
                "it has no ICE credentials (a=ice-ufrag); Dialtone needs ICE",
            ));
        }
        Ok(audio.effective_direction(parsed.session_direction))
    }

    /// Commits the negotiated codec and direction from the answer, and opens or closes
    /// the send gate to match.
    async fn commit(&self, answer_sdp: &str) -> Result<Direction, MediaError> {
        let current = self
            .transceiver
            .current_direction()
            .await
            .map_err(stack("reading the negotiated direction"))?;
        let direction = direction::from_rtc(current).unwrap_or(Direction::Inactive);
        let negotiated = Negotiated::from_answer(answer_sdp, &self.config.codecs, direction)?;
        let changed = self.shared.negotiated().map(|n| n.direction) != Some(direction);
        tracing::info!(%direction, codec = %negotiated.codec, "negotiation committed");
        self.shared.commit(negotiated);
        if changed {
            self.shared.emit(MediaEvent::DirectionChanged(direction));
        }
        Ok(direction)
    }

    /// Our local description once gathering is complete. `regather_after` is the
    /// gathering count before the operation when it starts a new gathering round.
    async fn local_sdp(&self, regather_after: Option<u64>) -> Result<String, MediaError> {
        let timeout = self.config.gather_timeout;
        let deadline = Instant::now() + timeout;
        let mut rx = self.gathering.clone();
        loop {
            let rounds = *rx.borrow_and_update();
            let round_done = regather_after.is_none_or(|before| rounds > before);
            if round_done
                && let Some(desc) = self.pc.local_description().await
                && desc.sdp.contains("a=candidate")
            {
                return Ok(desc.sdp);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(MediaError::GatheringTimeout(timeout));
            }
            // Candidates may land in the description without a state change: poll too.
            let _ = tokio::time::timeout(left.min(Duration::from_millis(20)), rx.changed()).await;
        }
    }

    /// Mute sends silence frames: the stream and its timing go on, the far end hears nothing.
    pub fn set_muted(&self, muted: bool) {
        self.shared.muted.store(muted, Ordering::Relaxed);
    }

    pub fn is_muted(&self) -> bool {
        self.shared.muted.load(Ordering::Relaxed)
    }

    /// Queues RFC 4733 digits (0-9, *, #, A-D).
    pub fn send_dtmf(&self, digits: &str) -> Result<(), MediaError> {
        let events = dtmf::validate_digits(digits)?;
        let neg = self.shared.negotiated().ok_or(DtmfError::NotSending)?;
        if neg.telephone_event.is_none() {
            return Err(DtmfError::NotNegotiated.into());
        }
        if !neg.direction.sends() {
            return Err(DtmfError::NotSending.into());
        }
        self.shared.enqueue_dtmf(&events);
        Ok(())
    }

    /// Whether the DTLS handshake ever completed: without it no audio can be sent or heard.
    pub fn secured(&self) -> bool {
        self.shared.secured.load(Ordering::Relaxed)
    }

    /// RTP packets received so far (cheap: no stats report).
    pub fn packets_received(&self) -> u64 {
        self.shared.counters.rtp_received.load(Ordering::Relaxed)
    }

    /// Headers of the last RTP packets received, oldest first (for diagnostics and tests).
    pub fn received_headers(&self) -> Vec<pipeline::RxHeader> {
        self.shared.received_headers()
    }

    /// Digits queued or being sent.
    pub fn dtmf_pending(&self) -> usize {
        self.shared.dtmf_pending()
    }

    pub async fn stats(&self) -> MediaStats {
        stats::collect(&*self.pc, &self.shared).await
    }

    pub async fn local_description(&self) -> Option<String> {
        self.pc.local_description().await.map(|d| d.sdp)
    }

    pub async fn remote_description(&self) -> Option<String> {
        self.pc.remote_description().await.map(|d| d.sdp)
    }

    /// Stops the media tasks and closes the peer connection.
    pub async fn close(&self) {
        self.shared.closed.store(true, Ordering::Relaxed);
        for t in &self.tasks {
            t.abort();
        }
        if let Err(e) = self.pc.close().await {
            tracing::debug!(error = %e, "closing the peer connection");
        }
    }
}

impl Drop for MediaSession {
    fn drop(&mut self) {
        self.shared.closed.store(true, Ordering::Relaxed);
        for t in &self.tasks {
            t.abort();
        }
    }
}
