//! Runs one line's calls: the sans-IO [`Switchboard`] (and in it each call's
//! [`super::CallMachine`]) fed by user commands, the signaling provider and each call's
//! media session, with its effects carried out in order by per-call workers (`leg.rs`).
//! What happens comes out as [`CallEvent`]s, each tagged with its call. A bot call
//! among the calls has its conversation instead of a leg (`driver/bots.rs`).

mod bots;
mod publish;

use super::handle::{Control, DriverEnds, LineReply, Publisher, Reply};
use super::leg::{Leg, Report, Verdict, spawn_signal_worker};
use super::machine::{CallError, CallMachine, CallState, Command, Effect, Input, MediaOp, Signal, SignalOp};
use super::{CallEvent, CallHandle, CallId, LINE, LineCommand, LineEffect, LineError, Switchboard};
use crate::media::mix::MixBus;
use crate::media::{EngineFactory, MediaConfig, MediaEvent, WebrtcEngines};
use crate::signaling::SignalingProvider;
use crate::signaling::lex::BotIo;
use bots::BotCall;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// How long closing the line waits for the far ends to confirm the hang-up of calls in
/// progress.
const SHUTDOWN_HANGUP: Duration = Duration::from_secs(3);

pub struct CallDriver;

impl CallDriver {
    /// Starts a driver on webrtc-rs media. `registered`: whether the provider already
    /// holds a registration; `bots`: where its `lex:` calls go, if anywhere.
    pub fn spawn(
        provider: Arc<dyn SignalingProvider>,
        media: MediaConfig,
        audio: Arc<dyn crate::audio::AudioBackend>,
        registered: bool,
        bots: Option<BotIo>,
    ) -> CallHandle {
        let media_timeout = media.media_timeout;
        let engines = Arc::new(WebrtcEngines { config: media, audio });
        Self::spawn_with(provider, engines, media_timeout, registered, bots)
    }

    /// Starts a driver whose calls get their media from `engines`.
    pub fn spawn_with(
        provider: Arc<dyn SignalingProvider>,
        engines: Arc<dyn EngineFactory>,
        media_timeout: Duration,
        registered: bool,
        bots: Option<BotIo>,
    ) -> CallHandle {
        let (handle, ends) = CallHandle::pair();
        tokio::spawn(run(provider, engines, media_timeout, registered, bots, ends));
        handle
    }
}

/// The driver's state between events.
struct Line {
    board: Switchboard,
    legs: BTreeMap<CallId, Leg>,
    signal_ops: BTreeMap<CallId, mpsc::Sender<SignalOp>>,
    provider: Arc<dyn SignalingProvider>,
    engines: Arc<dyn EngineFactory>,
    media_timeout: Duration,
    reports: mpsc::Sender<(CallId, Report)>,
    media_events: mpsc::Sender<(CallId, MediaEvent)>,
    out: Publisher,
    /// The far end of each call not yet added (dialled, or ringing in), and whether it
    /// rang in: the switchboard announces the call in its effects, after the command.
    remotes: BTreeMap<CallId, (String, bool)>,
    /// How the calls' audio meets: merged, held out of earshot, the waiting tone.
    bus: MixBus,
    /// Where `lex:` calls go, if the line reaches bots.
    bots: Option<BotIo>,
    /// The bot calls among the calls, by id.
    bot_calls: BTreeMap<CallId, BotCall>,
    bot_inputs: mpsc::Sender<(u64, crate::call::bot::BotInput)>,
}

async fn run(
    provider: Arc<dyn SignalingProvider>,
    engines: Arc<dyn EngineFactory>,
    media_timeout: Duration,
    registered: bool,
    bots: Option<BotIo>,
    ends: DriverEnds,
) {
    let DriverEnds {
        mut commands,
        out,
        bus,
    } = ends;
    let Some(mut signals) = provider.take_signals() else {
        tracing::error!("the provider's signals were already taken");
        return;
    };
    let (reports, mut report_rx) = mpsc::channel(64);
    let (media_events, mut media_rx) = mpsc::channel(64);
    let (bot_inputs, mut bot_rx) = mpsc::channel(1024);
    let mut board = Switchboard::with_ids(registered, signals.ids.clone());
    if let Some(io) = &bots {
        board = board.with_bots(io.completions());
    }
    let mut line = Line {
        board,
        legs: BTreeMap::new(),
        signal_ops: BTreeMap::new(),
        provider: provider.clone(),
        engines,
        media_timeout,
        reports,
        media_events,
        out,
        remotes: BTreeMap::new(),
        bus,
        bots,
        bot_calls: BTreeMap::new(),
        bot_inputs,
    };
    let mut stats_tick = tokio::time::interval(Duration::from_secs(1));
    stats_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Audio arriving or not is checked more often than stats are reported.
    let mut watch_tick = tokio::time::interval(Duration::from_millis(250));
    watch_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);

    let mut done: Option<oneshot::Sender<()>> = None;
    let mut closing_until: Option<Instant> = None;
    // A command is answered once its effects (its new state above all) are published, so
    // a caller that then waits for a state never sees the one before the command.
    let mut reply_after_effects: Option<Answer> = None;
    loop {
        let deadline = line.board.poll_timeout();
        tokio::select! {
            ctl = commands.recv() => match ctl {
                Some(Control::Command(c, reply)) => {
                    let result = line.command(c);
                    reply_after_effects = Some(Answer::Call(reply, result));
                }
                Some(Control::Line(c, reply)) => {
                    let result = line.line_command(c);
                    reply_after_effects = Some(Answer::Line(reply, result));
                }
                Some(Control::Shutdown(reply)) => {
                    done = Some(reply);
                    if line.hang_up_all() {
                        closing_until = Some(now() + SHUTDOWN_HANGUP);
                    }
                }
                None => break,
            },
            _ = sleep_until(closing_until) => {
                tracing::warn!("the hang-up was not confirmed in time; stopping anyway");
                break;
            }
            Some((call, sig)) = signals.signals.recv() => line.signal(call, sig),
            Some((call, report)) = report_rx.recv() => line.report(call, report).await,
            Some((call, ev)) = media_rx.recv() => line.media_event(call, ev).await,
            Some((call, input)) = bot_rx.recv() => line.bot_input(call, input),
            _ = sleep_until(deadline) => line.board.handle_timeout(now()),
            _ = watch_tick.tick() => line.watch(),
            _ = stats_tick.tick() => line.stats().await,
        }
        line.carry_out().await;
        match reply_after_effects.take() {
            Some(Answer::Call(reply, result)) => {
                let _ = reply.send(result);
            }
            Some(Answer::Line(reply, result)) => {
                let _ = reply.send(result);
            }
            None => {}
        }
        // Closing waits for the calls in progress to end (bounded by `closing_until`).
        if done.is_some() && !line.any_active() {
            break;
        }
    }
    for leg in line.legs.values() {
        let _ = leg.ops.send(MediaOp::Close).await;
    }
    line.close_conversations();
    provider.shutdown().await;
    if let Some(d) = done {
        let _ = d.send(());
    }
}

enum Answer {
    Call(Reply, Result<(), CallError>),
    Line(LineReply, Result<Option<CallId>, LineError>),
}

impl Line {
    fn any_active(&self) -> bool {
        self.board.calls().any(|(_, s)| s.is_active())
    }

    /// A command for the call in front, as the single-call interface (the window's
    /// controls, `dialtone call`) sends it.
    fn command(&mut self, c: Command) -> Result<(), CallError> {
        let c = self.board.for_call_in_front(c)?;
        self.line_command(c).map(|_| ()).map_err(CallError::from)
    }

    fn line_command(&mut self, c: LineCommand) -> Result<Option<CallId>, LineError> {
        let dialled = match &c {
            LineCommand::Dial(to) => Some(to.to_string()),
            _ => None,
        };
        let result = self.board.command(c, now());
        if let (Some(to), Ok(Some(id))) = (dialled, &result) {
            self.remotes.insert(*id, (to, false));
        }
        result
    }

    /// Hangs up every call in progress; true if any was.
    fn hang_up_all(&mut self) -> bool {
        let active: Vec<CallId> = self
            .board
            .calls()
            .filter(|(_, s)| s.is_active())
            .map(|(id, _)| id)
            .collect();
        for id in &active {
            // Through the switchboard, so each call ends as any other does (the far end
            // told, Ended published, the history written).
            let command = if self.board.state(*id) == Some(&CallState::Alerting) {
                LineCommand::Decline(*id)
            } else {
                LineCommand::Hangup(*id)
            };
            if let Err(e) = self.board.command(command, now()) {
                tracing::debug!(error = %e, "closing the line");
            }
        }
        !active.is_empty()
    }

    /// Registration as the state of a line without calls (what a listener waits for):
    /// Registering, then Idle, or Ended with the reason it failed.
    fn registration(&mut self, sig: &Signal) {
        let s = match sig {
            Signal::Registered => CallState::Idle,
            Signal::RegistrationFailed(why) | Signal::RequestFailed(why) => {
                CallState::Ended(super::EndReason::Failed(format!("registration failed: {why}")))
            }
            _ => return,
        };
        self.line_state(s);
    }

    fn line_state(&mut self, s: CallState) {
        if self.board.calls().next().is_none() {
            self.out
                .emit(LINE, CallEvent::state(&s, CallMachine::allowed(&s)));
            self.out.state(s);
        }
    }

    fn line_signal(&mut self, sig: Signal) {
        self.registration(&sig);
        self.board.line_signal(sig, now());
    }

    fn signal(&mut self, call: CallId, sig: Signal) {
        if call == LINE {
            self.line_signal(sig);
            return;
        }
        if let Signal::Invitation { from, offer } = sig {
            // Whatever the network says the caller is: bounded before anyone shows it.
            let from = dialtone_call::bounded_text(&from, dialtone_call::MAX_CALLER_CHARS);
            self.out.emit(call, CallEvent::Incoming { from: from.clone() });
            self.remotes.insert(call, (from.clone(), true));
            self.board.incoming_as(call, from, offer, now());
            return;
        }
        if let Err(e) = self.board.call_input(call, Input::Signal(sig), now()) {
            tracing::debug!(error = %e, "a signal for a call no longer on the line");
        }
    }

    fn input(&mut self, call: CallId, input: Input) {
        if let Err(e) = self.board.call_input(call, input, now()) {
            tracing::debug!(error = %e, "input for a call no longer on the line");
        }
    }

    async fn report(&mut self, call: CallId, report: Report) {
        match report {
            Report::Media(r) => self.input(call, Input::Media(r)),
            Report::Session(s) => {
                let events = self.media_events.clone();
                if let Some(leg) = self.legs.get_mut(&call) {
                    leg.attach(call, s, events);
                }
            }
            Report::Closed => {
                if let Some(leg) = self.legs.get_mut(&call) {
                    if let Some(e) = leg.detach().await {
                        self.out.emit(call, e);
                    }
                    if leg.removed {
                        self.legs.remove(&call);
                        self.signal_ops.remove(&call);
                    }
                }
            }
            Report::DtmfSent(d) => self.out.emit(
                call,
                CallEvent::Dtmf {
                    digit: d,
                    received: false,
                },
            ),
            Report::Failed { code, message, retry } => {
                self.out.emit(call, CallEvent::Error { code, message });
                match retry {
                    Some(sig) if call == LINE => self.line_signal(sig),
                    Some(sig) => self.input(call, Input::Signal(sig)),
                    None => {}
                }
            }
        }
    }

    async fn media_event(&mut self, call: CallId, ev: MediaEvent) {
        let milestone = match ev {
            MediaEvent::IceConnected => Some("ICE connected"),
            // The peer connection is connected once ICE and DTLS both are.
            MediaEvent::Connected => Some("DTLS connected"),
            MediaEvent::FirstAudio => Some("first audio received"),
            _ => None,
        };
        if let Some(what) = milestone {
            crate::net::wire::media(call, what);
        }
        match ev {
            MediaEvent::DirectionChanged(_) => {
                if let Some(m) = self.legs.get(&call).and_then(|l| l.media.clone()) {
                    let e = super::leg::media_event(m.as_ref()).await;
                    self.out.emit(call, e);
                }
            }
            MediaEvent::Dtmf(d) => self.out.emit(
                call,
                CallEvent::Dtmf {
                    digit: d.digit.to_string(),
                    received: true,
                },
            ),
            MediaEvent::Failed => self.out.emit(
                call,
                CallEvent::Error {
                    code: "MEDIA".into(),
                    message: "the media connection failed (ICE/DTLS); the far end may be unreachable".into(),
                },
            ),
            _ => {}
        }
    }

    fn watch(&mut self) {
        let mut verdicts = Vec::new();
        for (id, leg) in &mut self.legs {
            let established = self.board.state(*id).is_some_and(CallState::is_established);
            let out = &self.out;
            let mut emit = |e| out.emit(*id, e);
            if let Some(v) = leg.observe(now(), established, &mut emit) {
                verdicts.push((*id, v));
            }
        }
        for (id, v) in verdicts {
            let input = match v {
                Verdict::Stalled => Input::MediaStalled,
                Verdict::Timeout => Input::MediaTimeout,
            };
            self.input(id, input);
        }
    }

    async fn stats(&mut self) {
        for (id, leg) in &mut self.legs {
            if self.board.state(*id).is_some_and(CallState::is_established) {
                for e in leg.stats().await {
                    self.out.emit(*id, e);
                }
            }
        }
    }

    fn signal_worker(&mut self, call: CallId) -> mpsc::Sender<SignalOp> {
        let (provider, reports) = (&self.provider, &self.reports);
        self.signal_ops
            .entry(call)
            .or_insert_with(|| spawn_signal_worker(call, provider.clone(), reports.clone()))
            .clone()
    }

    /// Carries out what the switchboard asked for, in order, and publishes the call list.
    async fn carry_out(&mut self) {
        for effect in self.board.drain_effects() {
            match effect {
                LineEffect::Call(id, e) => self.call_effect(id, e).await,
                LineEffect::Bot(id, e) => self.bot_effect(id, e),
                LineEffect::Register => {
                    self.line_state(CallState::Registering);
                    let _ = self.signal_worker(LINE).send(SignalOp::Register).await;
                }
                LineEffect::Added(id) if self.board.is_bot(id) => {
                    let (remote, _) = self.remotes.remove(&id).unwrap_or_default();
                    self.bot_calls.insert(id, BotCall::new(remote));
                    self.publish_calls();
                }
                LineEffect::Added(id) => {
                    let (remote, incoming) = self.remotes.remove(&id).unwrap_or_default();
                    let leg = Leg::new(
                        id,
                        self.engines.clone(),
                        self.bus.port(id),
                        self.reports.clone(),
                        self.media_timeout,
                        remote,
                        incoming,
                    );
                    self.legs.insert(id, leg);
                    // Listed before its first event, so a reader knows whose it is.
                    self.publish_calls();
                }
                LineEffect::Removed(id) => {
                    if let Some(bot) = self.bot_calls.remove(&id) {
                        bot.close();
                    }
                    if let Some(leg) = self.legs.get_mut(&id) {
                        leg.removed = true;
                        // Without a session there is no Closed to wait for.
                        if leg.media.is_none() {
                            self.legs.remove(&id);
                            self.signal_ops.remove(&id);
                        }
                    }
                }
                LineEffect::WaitingTone(playing) => self.out.emit(LINE, CallEvent::WaitingTone { playing }),
                // Taken from the switchboard below, with the rest of the audio routing.
                LineEffect::Mix(_) => {}
                LineEffect::Error(e) => {
                    let call = match &e {
                        LineError::Call { call, .. } => *call,
                        _ => LINE,
                    };
                    self.out.emit(
                        call,
                        CallEvent::Error {
                            code: e.code().into(),
                            message: e.to_string(),
                        },
                    );
                }
            }
        }
        self.publish_calls();
    }

    async fn call_effect(&mut self, id: CallId, effect: Effect) {
        match effect {
            Effect::Media(op) => {
                if let Some(leg) = self.legs.get_mut(&id) {
                    if op == MediaOp::RestartIce {
                        let silent_ms = leg.stalled_for.take().map_or(0, |d| d.as_millis() as u64);
                        self.out.emit(id, CallEvent::IceRestart { silent_ms });
                    }
                    let _ = leg.ops.send(op).await;
                }
            }
            Effect::Signal(op) => {
                let _ = self.signal_worker(id).send(op).await;
            }
            Effect::State(s) => self.publish_state(id, s, CallMachine::allowed),
            Effect::RemoteHold(held) => self.out.emit(id, CallEvent::RemoteHold { held }),
            Effect::Muted(muted) => self.out.emit(id, CallEvent::Muted { muted }),
            Effect::Error(e) => self.out.emit(
                id,
                CallEvent::Error {
                    code: e.code().into(),
                    message: e.to_string(),
                },
            ),
        }
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
