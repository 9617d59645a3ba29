//! One call's share of the line driver: its media session (made by its own media
//! worker), the watch on its incoming audio and its quality figures; and the workers that
//! carry out one call's media and signaling requests in order.

use super::machine::{MediaOp, MediaResult, Signal, SignalOp};
use super::media_watch::{MediaVerdict, MediaWatch, MediaWatchConfig};
use super::{CallEvent, CallId};
use crate::media::mix::MixPort;
use crate::media::{Direction, EngineFactory, MediaEngine, MediaEvent};
use crate::net::wire;
use crate::signaling::SignalingProvider;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;

/// What the workers tell the driver about one call.
pub(super) enum Report {
    Media(MediaResult),
    Session(Arc<dyn MediaEngine>),
    Closed,
    DtmfSent(String),
    Failed {
        code: String,
        message: String,
        retry: Option<Signal>,
    },
}

pub(super) type Reports = mpsc::Sender<(CallId, Report)>;

/// What the media watch concluded that the call machine must hear.
pub(super) enum Verdict {
    Stalled,
    Timeout,
}

pub(super) struct Leg {
    pub ops: mpsc::Sender<MediaOp>,
    pub media: Option<Arc<dyn MediaEngine>>,
    /// Forwards the session's events to the driver, tagged with the call.
    forward: Option<JoinHandle<()>>,
    watch: Option<MediaWatch>,
    watch_config: MediaWatchConfig,
    /// How long the silence was when the watch asked for the restart now under way.
    pub stalled_for: Option<Duration>,
    quality: super::quality::IntervalQuality,
    pub remote: String,
    pub incoming: bool,
    /// The call left the line; the leg goes once its media is closed.
    pub removed: bool,
}

impl Leg {
    pub fn new(
        call: CallId,
        engines: Arc<dyn EngineFactory>,
        port: MixPort,
        reports: Reports,
        media_timeout: Duration,
        remote: String,
        incoming: bool,
    ) -> Self {
        Self {
            ops: spawn_media_worker(call, engines, port, reports),
            media: None,
            forward: None,
            watch: None,
            watch_config: MediaWatchConfig {
                timeout: media_timeout,
                ..Default::default()
            },
            stalled_for: None,
            quality: Default::default(),
            remote,
            incoming,
            removed: false,
        }
    }

    pub fn attach(
        &mut self,
        call: CallId,
        s: Arc<dyn MediaEngine>,
        events: mpsc::Sender<(CallId, MediaEvent)>,
    ) {
        let mut rx = s.subscribe();
        self.forward = Some(tokio::spawn(async move {
            loop {
                match rx.recv().await {
                    Ok(e) => {
                        if events.send((call, e)).await.is_err() {
                            return;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return,
                }
            }
        }));
        self.media = Some(s);
        self.watch = Some(MediaWatch::new(self.watch_config));
        self.quality = Default::default();
    }

    /// The session closed: its last counters, and no more watching.
    pub async fn detach(&mut self) -> Option<CallEvent> {
        if let Some(f) = self.forward.take() {
            f.abort();
        }
        self.watch = None;
        let m = self.media.take()?;
        Some(media_event(m.as_ref()).await)
    }

    /// Whether audio arrives as it should; `established`: the call is up.
    pub fn observe(
        &mut self,
        now: Instant,
        established: bool,
        emit: &mut impl FnMut(CallEvent),
    ) -> Option<Verdict> {
        let (m, w) = (self.media.as_ref()?, self.watch.as_mut()?);
        let expected = established && m.direction().is_some_and(|d| d.receives());
        match w.observe(now, m.packets_received(), expected)? {
            MediaVerdict::NoMedia { silent } => {
                tracing::warn!(?silent, "no audio is arriving");
                emit(CallEvent::NoMedia {
                    silent_ms: silent.as_millis() as u64,
                });
                None
            }
            MediaVerdict::Restored { silent } => {
                emit(CallEvent::MediaRestored {
                    silent_ms: silent.as_millis() as u64,
                });
                None
            }
            MediaVerdict::Stalled { silent } => {
                tracing::warn!(?silent, "still no audio: restarting ICE");
                self.stalled_for = Some(silent);
                Some(Verdict::Stalled)
            }
            MediaVerdict::Timeout { silent } => {
                let message = if m.secured() {
                    format!(
                        "no audio arrived for {} s; the media path to the far end is lost, so the call is ended (check the network, a firewall or VPN)",
                        silent.as_secs()
                    )
                } else {
                    format!(
                        "media could not be secured: the DTLS handshake with the far end did not complete in {} s, so the call is ended (a firewall or VPN may block UDP, or the far end refused our certificate)",
                        silent.as_secs()
                    )
                };
                emit(CallEvent::Error {
                    code: "MEDIA_TIMEOUT".into(),
                    message,
                });
                Some(Verdict::Timeout)
            }
        }
    }

    /// Once a second while the call is up: counters and quality.
    pub async fn stats(&mut self) -> Vec<CallEvent> {
        let Some(m) = self.media.clone() else {
            return Vec::new();
        };
        let counts = media_event(m.as_ref()).await;
        let s = m.stats().await;
        let counters = super::quality::MediaCounters {
            packets_received: s.rtp_received,
            packets_lost: s.packets_lost,
            frames_out: s.frames_played,
            frames_concealed: s.frames_concealed,
        };
        let expecting = s.direction.is_some_and(|d| d.receives());
        vec![
            counts,
            CallEvent::Stats {
                rtt_ms: s.rtt_ms,
                jitter_ms: s.jitter_ms,
                loss_pct: s.loss_pct(),
                codec: s.codec.clone(),
                // What the buffer really held; its target until a frame has played.
                jitter_buffer_ms: s.jitter_hold_ms.unwrap_or(s.jitter_target_ms),
                fec_pct: s.expected_loss_pct,
                quality: self.quality.assess(counters, s.rtt_ms, s.jitter_ms, expecting),
            },
        ]
    }
}

impl Drop for Leg {
    fn drop(&mut self) {
        if let Some(f) = self.forward.take() {
            f.abort();
        }
    }
}

pub(super) async fn media_event(m: &dyn MediaEngine) -> CallEvent {
    let s = m.stats().await;
    CallEvent::Media {
        direction: s.direction,
        rtp_sent: s.rtp_sent,
        rtp_received: s.rtp_received,
        codec: s.codec,
    }
}

/// Carries out one call's media operations one at a time, creating its session when the
/// call needs it.
fn spawn_media_worker(
    call: CallId,
    engines: Arc<dyn EngineFactory>,
    port: MixPort,
    reports: Reports,
) -> mpsc::Sender<MediaOp> {
    let (tx, mut rx) = mpsc::channel::<MediaOp>(32);
    let report = move |r: Report| {
        let reports = reports.clone();
        async move {
            let _ = reports.send((call, r)).await;
        }
    };
    tokio::spawn(async move {
        let mut session: Option<Arc<dyn MediaEngine>> = None;
        while let Some(op) = rx.recv().await {
            if matches!(op, MediaOp::CreateOffer | MediaOp::AcceptOffer(_)) && session.is_none() {
                match engines.create(port.clone()).await {
                    Ok(s) => {
                        session = Some(s.clone());
                        report(Report::Session(s)).await;
                    }
                    Err(e) => {
                        report(Report::Media(MediaResult::Failed(e.to_string()))).await;
                        continue;
                    }
                }
            }
            let Some(s) = session.clone() else {
                continue;
            };
            log_sdp_in(call, &op);
            let why = offer_reason(&op);
            let result = match op {
                MediaOp::CreateOffer => Some(s.create_offer().await.map(MediaResult::OfferCreated)),
                MediaOp::Hold => Some(s.hold().await.map(MediaResult::OfferCreated)),
                MediaOp::Resume => Some(s.resume().await.map(MediaResult::OfferCreated)),
                MediaOp::RestartIce => Some(s.restart_ice().await.map(MediaResult::OfferCreated)),
                MediaOp::AcceptOffer(offer) => {
                    Some(
                        s.accept_offer(&offer)
                            .await
                            .map(|answer| MediaResult::AnswerCreated {
                                answer,
                                direction: s.direction().unwrap_or(Direction::SendRecv),
                            }),
                    )
                }
                MediaOp::AcceptAnswer(answer) => {
                    Some(s.accept_answer(&answer).await.map(MediaResult::AnswerApplied))
                }
                MediaOp::ReplaceAnswer(answer) => {
                    Some(s.replace_answer(&answer).await.map(MediaResult::AnswerApplied))
                }
                MediaOp::CancelOffer => {
                    if let Err(e) = s.cancel_offer().await {
                        tracing::debug!(error = %e, "nothing to cancel");
                    }
                    None
                }
                MediaOp::SetMuted(m) => {
                    s.set_muted(m);
                    None
                }
                MediaOp::SendDtmf(digits) => {
                    match s.send_dtmf(&digits) {
                        Ok(()) => report(Report::DtmfSent(digits)).await,
                        Err(e) => {
                            report(Report::Failed {
                                code: "DTMF".into(),
                                message: e.to_string(),
                                retry: None,
                            })
                            .await
                        }
                    }
                    None
                }
                MediaOp::Close => {
                    s.close().await;
                    session = None;
                    report(Report::Closed).await;
                    None
                }
            };
            if let Some(r) = result {
                let r = r.unwrap_or_else(|e| MediaResult::Failed(e.to_string()));
                match &r {
                    MediaResult::OfferCreated(sdp) => wire::sdp(call, "local offer", why, sdp),
                    MediaResult::AnswerCreated { answer, .. } => wire::sdp(call, "local answer", "", answer),
                    _ => {}
                }
                report(Report::Media(r)).await;
            }
        }
        if let Some(s) = session {
            s.close().await;
        }
    });
    tx
}

/// Carries out one call's signaling requests (or the line's: registration) one at a time;
/// a failure becomes the signal the machine expects (a refused hold, or a failed request)
/// plus an error event.
pub(super) fn spawn_signal_worker(
    call: CallId,
    provider: Arc<dyn SignalingProvider>,
    reports: Reports,
) -> mpsc::Sender<SignalOp> {
    let (tx, mut rx) = mpsc::channel::<SignalOp>(32);
    tokio::spawn(async move {
        while let Some(op) = rx.recv().await {
            let renegotiation = matches!(
                op,
                SignalOp::Hold { .. } | SignalOp::Resume { .. } | SignalOp::Renegotiate { .. }
            );
            let best_effort = matches!(op, SignalOp::Ringing | SignalOp::Decline);
            if let Err(e) = provider.request(call, op).await {
                let message = e.to_string();
                let retry = if best_effort {
                    None
                } else if renegotiation {
                    Some(Signal::UpdateRejected(message.clone()))
                } else {
                    Some(Signal::RequestFailed(message.clone()))
                };
                let _ = reports
                    .send((
                        call,
                        Report::Failed {
                            code: e.code(),
                            message,
                            retry,
                        },
                    ))
                    .await;
            }
        }
    });
    tx
}

/// The transcript's record of a remote SDP, before the session applies it.
fn log_sdp_in(call: CallId, op: &MediaOp) {
    match op {
        MediaOp::AcceptOffer(sdp) => wire::sdp(call, "remote offer", "", sdp),
        MediaOp::AcceptAnswer(sdp) => wire::sdp(call, "remote answer", "", sdp),
        MediaOp::ReplaceAnswer(sdp) => wire::sdp(call, "remote answer", "replaces the last", sdp),
        _ => {}
    }
}

/// Why a local offer is made, as the transcript says it.
fn offer_reason(op: &MediaOp) -> &'static str {
    match op {
        MediaOp::CreateOffer => "call",
        MediaOp::Hold => "hold",
        MediaOp::Resume => "resume",
        MediaOp::RestartIce => "ICE restart",
        _ => "",
    }
}
