//! Runs one line's calls: the sans-IO [`CallMachine`] fed by user commands, the
//! signaling provider and the media session, with its effects carried out in order by a
//! media worker and a signaling worker. What happens comes out as [`CallEvent`]s.

use super::CallEvent;
use super::machine::{
    CallError, CallMachine, CallState, Command, Effect, Input, MediaOp, MediaResult, Signal, SignalOp,
};
use super::media_watch::{MediaVerdict, MediaWatch, MediaWatchConfig};
use crate::media::{Direction, EngineFactory, MediaConfig, MediaEngine, MediaEvent, WebrtcEngines};
use crate::signaling::SignalingProvider;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{broadcast, mpsc, oneshot};

/// How long closing the line waits for the far end to confirm the hang-up of a call in
/// progress.
const SHUTDOWN_HANGUP: Duration = Duration::from_secs(3);

enum Report {
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

pub(crate) type Reply = oneshot::Sender<Result<(), CallError>>;

pub(crate) enum Control {
    Command(Command, Reply),
    /// Hang up what is up, unregister, and stop.
    Shutdown(oneshot::Sender<()>),
}

/// A handle on a running driver.
#[derive(Clone)]
pub struct CallHandle {
    commands: mpsc::Sender<Control>,
    events: broadcast::Sender<CallEvent>,
    state: tokio::sync::watch::Receiver<CallState>,
}

impl CallHandle {
    /// Sends a command; an illegal one is refused with the reason and changes nothing.
    pub async fn command(&self, c: Command) -> Result<(), CallError> {
        let (tx, rx) = oneshot::channel();
        let gone = || CallError::IllegalCommand {
            command: "reach the call",
            state: "stopped".into(),
        };
        self.commands
            .send(Control::Command(c, tx))
            .await
            .map_err(|_| gone())?;
        rx.await.map_err(|_| gone())?
    }

    /// Ends any call, unregisters, and waits until that is done.
    pub async fn shutdown(&self) {
        let (tx, rx) = oneshot::channel();
        if self.commands.send(Control::Shutdown(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<CallEvent> {
        self.events.subscribe()
    }

    pub fn state(&self) -> CallState {
        self.state.borrow().clone()
    }

    /// Waits until the state satisfies `pred`, up to `within`.
    pub async fn wait_state(&self, within: Duration, pred: impl Fn(&CallState) -> bool) -> Option<CallState> {
        let mut rx = self.state.clone();
        let found = tokio::time::timeout(within, rx.wait_for(|s| pred(s)))
            .await
            .ok()?
            .ok()?;
        Some(found.clone())
    }
}

/// The driver's side of a [`CallHandle`]: what the handle sends, and where the driver
/// publishes. Phone calls ([`CallDriver`]) and bot calls (Lex) each run one.
pub(crate) struct DriverEnds {
    pub commands: mpsc::Receiver<Control>,
    pub events: broadcast::Sender<CallEvent>,
    pub state: tokio::sync::watch::Sender<CallState>,
}

impl CallHandle {
    pub(crate) fn pair() -> (CallHandle, DriverEnds) {
        let (cmd_tx, commands) = mpsc::channel(16);
        let (events, _) = broadcast::channel(256);
        let (state, state_rx) = tokio::sync::watch::channel(CallState::Idle);
        let handle = CallHandle {
            commands: cmd_tx,
            events: events.clone(),
            state: state_rx,
        };
        (
            handle,
            DriverEnds {
                commands,
                events,
                state,
            },
        )
    }
}

pub struct CallDriver;

impl CallDriver {
    /// Starts a driver on webrtc-rs media. `registered`: whether the provider already
    /// holds a registration.
    pub fn spawn(
        provider: Arc<dyn SignalingProvider>,
        media: MediaConfig,
        audio: Arc<dyn crate::audio::AudioBackend>,
        registered: bool,
    ) -> CallHandle {
        let media_timeout = media.media_timeout;
        let engines = Arc::new(WebrtcEngines { config: media, audio });
        Self::spawn_with(provider, engines, media_timeout, registered)
    }

    /// Starts a driver whose calls get their media from `engines`.
    pub fn spawn_with(
        provider: Arc<dyn SignalingProvider>,
        engines: Arc<dyn EngineFactory>,
        media_timeout: Duration,
        registered: bool,
    ) -> CallHandle {
        let (handle, ends) = CallHandle::pair();
        tokio::spawn(run(
            provider,
            engines,
            media_timeout,
            registered,
            ends.commands,
            ends.events,
            ends.state,
        ));
        handle
    }
}

async fn run(
    provider: Arc<dyn SignalingProvider>,
    engines: Arc<dyn EngineFactory>,
    media_timeout: Duration,
    registered: bool,
    mut commands: mpsc::Receiver<Control>,
    events: broadcast::Sender<CallEvent>,
    state_tx: tokio::sync::watch::Sender<CallState>,
) {
    let mut machine = CallMachine::new(registered);
    let Some(mut signals) = provider.take_signals() else {
        tracing::error!("the provider's signals were already taken");
        return;
    };
    let (report_tx, mut reports) = mpsc::channel::<Report>(64);
    let media_ops = spawn_media_worker(engines, report_tx.clone());
    let signal_ops = spawn_signal_worker(provider.clone(), report_tx);
    let mut media: Option<Arc<dyn MediaEngine>> = None;
    let mut media_events: Option<broadcast::Receiver<MediaEvent>> = None;
    let mut stats_tick = tokio::time::interval(Duration::from_secs(1));
    stats_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Audio arriving or not is checked more often than stats are reported.
    let mut watch_tick = tokio::time::interval(Duration::from_millis(250));
    watch_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let watch_config = MediaWatchConfig {
        timeout: media_timeout,
        ..Default::default()
    };
    let mut watch: Option<MediaWatch> = None;
    // How long the silence was when the watch asked for the restart now under way.
    let mut stalled_for: Option<Duration> = None;
    let mut quality = super::quality::IntervalQuality::default();
    let emit = |e: CallEvent| {
        let _ = events.send(e);
    };

    let mut done: Option<oneshot::Sender<()>> = None;
    let mut closing_until: Option<Instant> = None;
    // A command is answered once its effects (its new state above all) are published, so
    // a caller that then waits for a state never sees the one before the command.
    let mut reply_after_effects: Option<(Reply, Result<(), CallError>)> = None;
    loop {
        let deadline = machine.poll_timeout();
        tokio::select! {
            ctl = commands.recv() => match ctl {
                Some(Control::Command(cmd, reply)) => {
                    let result = machine.handle(Input::Command(cmd), now());
                    reply_after_effects = Some((reply, result));
                }
                Some(Control::Shutdown(reply)) => {
                    done = Some(reply);
                    if machine.state().is_active() {
                        // Hang up through the machine, so the call ends as any other does
                        // (the far end told, Ended published, the history written).
                        let _ = machine.handle(Input::Command(Command::Hangup), now());
                        closing_until = Some(now() + SHUTDOWN_HANGUP);
                    }
                }
                None => break,
            },
            _ = sleep_until(closing_until) => {
                tracing::warn!("the hang-up was not confirmed in time; stopping anyway");
                break;
            }
            Some(sig) = signals.recv() => {
                if let Signal::Invitation { from, .. } = &sig {
                    emit(CallEvent::Incoming { from: from.clone() });
                }
                let _ = machine.handle(Input::Signal(sig), now());
            }
            Some(report) = reports.recv() => match report {
                Report::Media(r) => { let _ = machine.handle(Input::Media(r), now()); }
                Report::Session(s) => {
                    media_events = Some(s.subscribe());
                    media = Some(s);
                    watch = Some(MediaWatch::new(watch_config));
                    quality = Default::default();
                }
                Report::Closed => {
                    if let Some(m) = media.take() {
                        emit_media(m.as_ref(), &emit).await;
                    }
                    media_events = None;
                    watch = None;
                }
                Report::DtmfSent(d) => emit(CallEvent::Dtmf { digit: d, received: false }),
                Report::Failed { code, message, retry } => {
                    emit(CallEvent::Error { code, message });
                    if let Some(sig) = retry {
                        let _ = machine.handle(Input::Signal(sig), now());
                    }
                }
            },
            ev = recv_media(&mut media_events) => match ev {
                Some(MediaEvent::DirectionChanged(_)) => {
                    if let Some(m) = &media { emit_media(m.as_ref(), &emit).await; }
                }
                Some(MediaEvent::Dtmf(d)) => emit(CallEvent::Dtmf { digit: d.digit.to_string(), received: true }),
                Some(MediaEvent::Failed) => emit(CallEvent::Error {
                    code: "MEDIA".into(),
                    message: "the media connection failed (ICE/DTLS); the far end may be unreachable".into(),
                }),
                Some(_) => {}
                None => media_events = None,
            },
            _ = sleep_until(deadline) => machine.handle_timeout(now()),
            _ = watch_tick.tick() => {
                if let (Some(m), Some(w)) = (&media, watch.as_mut()) {
                    let expected = machine.state().is_established()
                        && m.direction().is_some_and(|d| d.receives());
                    match w.observe(now(), m.packets_received(), expected) {
                        Some(MediaVerdict::NoMedia { silent }) => {
                            tracing::warn!(?silent, "no audio is arriving");
                            emit(CallEvent::NoMedia { silent_ms: silent.as_millis() as u64 });
                        }
                        Some(MediaVerdict::Restored { silent }) => {
                            emit(CallEvent::MediaRestored { silent_ms: silent.as_millis() as u64 });
                        }
                        Some(MediaVerdict::Stalled { silent }) => {
                            tracing::warn!(?silent, "still no audio: restarting ICE");
                            stalled_for = Some(silent);
                            let _ = machine.handle(Input::MediaStalled, now());
                        }
                        Some(MediaVerdict::Timeout { silent }) => {
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
                            let _ = machine.handle(Input::MediaTimeout, now());
                        }
                        None => {}
                    }
                }
            }
            _ = stats_tick.tick() => {
                if let Some(m) = &media && machine.state().is_established() {
                    emit_media(m.as_ref(), &emit).await;
                    let s = m.stats().await;
                    let counters = super::quality::MediaCounters {
                        packets_received: s.rtp_received,
                        packets_lost: s.packets_lost,
                        frames_out: s.frames_played,
                        frames_concealed: s.frames_concealed,
                    };
                    let expecting = s.direction.is_some_and(|d| d.receives());
                    emit(CallEvent::Stats {
                        rtt_ms: s.rtt_ms,
                        jitter_ms: s.jitter_ms,
                        loss_pct: s.loss_pct(),
                        codec: s.codec.clone(),
                        // What the buffer really held; its target until a frame has played.
                        jitter_buffer_ms: s.jitter_hold_ms.unwrap_or(s.jitter_target_ms),
                        fec_pct: s.expected_loss_pct,
                        quality: quality.assess(counters, s.rtt_ms, s.jitter_ms, expecting),
                    });
                }
            }
        }
        while let Some(effect) = machine.poll_effect() {
            match effect {
                Effect::Media(MediaOp::RestartIce) => {
                    emit(CallEvent::IceRestart {
                        silent_ms: stalled_for.take().map_or(0, |d| d.as_millis() as u64),
                    });
                    let _ = media_ops.send(MediaOp::RestartIce).await;
                }
                Effect::Media(op) => {
                    let _ = media_ops.send(op).await;
                }
                Effect::Signal(op) => {
                    let _ = signal_ops.send(op).await;
                }
                Effect::State(s) => {
                    emit(CallEvent::state(&s, CallMachine::allowed(&s)));
                    if let CallState::Ended(r) = &s {
                        let r = r.to_string();
                        emit(CallEvent::Ended { reason: r });
                    }
                    let _ = state_tx.send(s);
                }
                Effect::RemoteHold(held) => emit(CallEvent::RemoteHold { held }),
                Effect::Muted(muted) => emit(CallEvent::Muted { muted }),
                Effect::Error(e) => emit(CallEvent::Error {
                    code: e.code().into(),
                    message: e.to_string(),
                }),
            }
        }
        if let Some((reply, result)) = reply_after_effects.take() {
            let _ = reply.send(result);
        }
        // Closing waits for a call in progress to end (bounded by `closing_until`).
        if done.is_some() && !machine.state().is_active() {
            break;
        }
    }
    let _ = media_ops.send(MediaOp::Close).await;
    provider.shutdown().await;
    if let Some(d) = done {
        let _ = d.send(());
    }
}

async fn emit_media(m: &dyn MediaEngine, emit: &impl Fn(CallEvent)) {
    let s = m.stats().await;
    emit(CallEvent::Media {
        direction: s.direction,
        rtp_sent: s.rtp_sent,
        rtp_received: s.rtp_received,
        codec: s.codec,
    });
}

async fn recv_media(rx: &mut Option<broadcast::Receiver<MediaEvent>>) -> Option<MediaEvent> {
    match rx {
        Some(r) => loop {
            match r.recv().await {
                Ok(e) => return Some(e),
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        },
        None => std::future::pending().await,
    }
}

/// The driver's clock is tokio's, so a test that pauses time moves the machine's too.
fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d.into()).await,
        None => std::future::pending().await,
    }
}

/// Carries out media operations one at a time, creating the session when a call needs it.
fn spawn_media_worker(
    engines: Arc<dyn EngineFactory>,
    reports: mpsc::Sender<Report>,
) -> mpsc::Sender<MediaOp> {
    let (tx, mut rx) = mpsc::channel::<MediaOp>(32);
    tokio::spawn(async move {
        let mut session: Option<Arc<dyn MediaEngine>> = None;
        while let Some(op) = rx.recv().await {
            if matches!(op, MediaOp::CreateOffer | MediaOp::AcceptOffer(_)) && session.is_none() {
                match engines.create().await {
                    Ok(s) => {
                        session = Some(s.clone());
                        let _ = reports.send(Report::Session(s)).await;
                    }
                    Err(e) => {
                        let _ = reports
                            .send(Report::Media(MediaResult::Failed(e.to_string())))
                            .await;
                        continue;
                    }
                }
            }
            let Some(s) = session.clone() else {
                continue;
            };
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
                        Ok(()) => {
                            let _ = reports.send(Report::DtmfSent(digits)).await;
                        }
                        Err(e) => {
                            let _ = reports
                                .send(Report::Failed {
                                    code: "DTMF".into(),
                                    message: e.to_string(),
                                    retry: None,
                                })
                                .await;
                        }
                    }
                    None
                }
                MediaOp::Close => {
                    s.close().await;
                    session = None;
                    let _ = reports.send(Report::Closed).await;
                    None
                }
            };
            if let Some(r) = result {
                let r = r.unwrap_or_else(|e| MediaResult::Failed(e.to_string()));
                let _ = reports.send(Report::Media(r)).await;
            }
        }
        if let Some(s) = session {
            s.close().await;
        }
    });
    tx
}

/// Carries out signaling requests one at a time; a failure becomes the signal the
/// machine expects (a refused hold, or a failed request) plus an error event.
fn spawn_signal_worker(
    provider: Arc<dyn SignalingProvider>,
    reports: mpsc::Sender<Report>,
) -> mpsc::Sender<SignalOp> {
    let (tx, mut rx) = mpsc::channel::<SignalOp>(32);
    tokio::spawn(async move {
        while let Some(op) = rx.recv().await {
            let renegotiation = matches!(
                op,
                SignalOp::Hold { .. } | SignalOp::Resume { .. } | SignalOp::Renegotiate { .. }
            );
            let best_effort = matches!(op, SignalOp::Ringing | SignalOp::Decline);
            if let Err(e) = provider.request(op).await {
                let message = e.to_string();
                let retry = if best_effort {
                    None
                } else if renegotiation {
                    Some(Signal::UpdateRejected(message.clone()))
                } else {
                    Some(Signal::RequestFailed(message.clone()))
                };
                let _ = reports
                    .send(Report::Failed {
                        code: e.code(),
                        message,
                        retry,
                    })
                    .await;
            }
        }
    });
    tx
}
