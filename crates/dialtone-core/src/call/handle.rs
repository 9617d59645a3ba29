//! The handle on a running line: commands in, events and states out. Phone lines
//! ([`super::CallDriver`]) and bot calls (Lex) each run one driver behind it.

use super::{
    CallError, CallEvent, CallId, CallState, Command, LineAllowed, LineCall, LineCommand, LineError,
    LineEvent,
};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, oneshot, watch};

pub(crate) type Reply = oneshot::Sender<Result<(), CallError>>;
pub(crate) type LineReply = oneshot::Sender<Result<Option<CallId>, LineError>>;

pub(crate) enum Control {
    /// A command for the call in front (the one ringing, for answer and decline).
    Command(Command, Reply),
    /// A command naming its call.
    Line(LineCommand, LineReply),
    /// Hang up what is up, unregister, and stop.
    Shutdown(oneshot::Sender<()>),
}

/// A handle on a running driver.
#[derive(Clone)]
pub struct CallHandle {
    commands: mpsc::Sender<Control>,
    events: broadcast::Sender<CallEvent>,
    line_events: broadcast::Sender<LineEvent>,
    state: watch::Receiver<CallState>,
    calls: watch::Receiver<Vec<LineCall>>,
    /// Where the line's calls' audio meets (its tap records them).
    bus: crate::media::mix::MixBus,
}

fn gone() -> CallError {
    CallError::IllegalCommand {
        command: "reach the call",
        state: "stopped".into(),
    }
}

impl CallHandle {
    /// Who hears the line's calls besides the far ends and the speaker: a recording of
    /// what each call sends and plays (phone calls; a bot call's audio is its own).
    pub fn set_tap(&self, tap: Option<std::sync::Arc<dyn crate::media::mix::MixTap>>) {
        self.bus.set_tap(tap);
    }

    /// Sends a command to the call in front; an illegal one is refused with the reason
    /// and changes nothing. A dial while a call is up holds that call first.
    pub async fn command(&self, c: Command) -> Result<(), CallError> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(Control::Command(c, tx))
            .await
            .map_err(|_| gone())?;
        rx.await.map_err(|_| gone())?
    }

    /// Sends a command naming its call (or the line). Returns the call it concerns: the
    /// new call's id for a dial.
    pub async fn line(&self, c: LineCommand) -> Result<Option<CallId>, LineError> {
        let (tx, rx) = oneshot::channel();
        let gone = || LineError::Line(gone());
        self.commands
            .send(Control::Line(c, tx))
            .await
            .map_err(|_| gone())?;
        rx.await.map_err(|_| gone())?
    }

    /// Ends every call, unregisters, and waits until that is done.
    pub async fn shutdown(&self) {
        let (tx, rx) = oneshot::channel();
        if self.commands.send(Control::Shutdown(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }

    /// Every call's events, without saying which call (enough while there is one).
    pub fn subscribe(&self) -> broadcast::Receiver<CallEvent> {
        self.events.subscribe()
    }

    /// Every call's events with the call's id, and the line's own (call 0).
    pub fn subscribe_line(&self) -> broadcast::Receiver<LineEvent> {
        self.line_events.subscribe()
    }

    /// The state any call last took (with one call: that call's state).
    pub fn state(&self) -> CallState {
        self.state.borrow().clone()
    }

    /// The calls on the line now.
    pub fn calls(&self) -> Vec<LineCall> {
        self.calls.borrow().clone()
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

    /// Waits until the calls on the line satisfy `pred`, up to `within`.
    pub async fn wait_calls(
        &self,
        within: Duration,
        pred: impl Fn(&[LineCall]) -> bool,
    ) -> Option<Vec<LineCall>> {
        let mut rx = self.calls.clone();
        let found = tokio::time::timeout(within, rx.wait_for(|c| pred(c)))
            .await
            .ok()?
            .ok()?;
        Some(found.clone())
    }
}

/// Where a driver publishes: each event goes out with its call's id and without.
pub(crate) struct Publisher {
    events: broadcast::Sender<CallEvent>,
    line_events: broadcast::Sender<LineEvent>,
    state: watch::Sender<CallState>,
    calls: watch::Sender<Vec<LineCall>>,
    /// The rest of the last `calls` event (merged, front, allowed).
    line: (Vec<CallId>, Option<CallId>, LineAllowed),
}

impl Publisher {
    pub fn emit(&self, call: CallId, event: CallEvent) {
        // The call list means nothing to a reader that does not know about calls.
        if !matches!(event, CallEvent::Calls { .. }) {
            let _ = self.events.send(event.clone());
        }
        let _ = self.line_events.send(LineEvent { call, event });
    }

    pub fn state(&self, s: CallState) {
        let _ = self.state.send(s);
    }

    /// Publishes the call list when it (or what may be done with the line) changed.
    pub fn calls(
        &mut self,
        calls: Vec<LineCall>,
        merged: Vec<CallId>,
        front: Option<CallId>,
        allowed: LineAllowed,
    ) {
        let listed = self.calls.send_if_modified(|now| {
            if *now == calls {
                return false;
            }
            now.clone_from(&calls);
            true
        });
        let line = (merged, front, allowed);
        if listed || line != self.line {
            self.line = line.clone();
            let (merged, front, allowed) = line;
            self.emit(
                super::LINE,
                CallEvent::Calls {
                    calls,
                    merged,
                    front,
                    allowed,
                },
            );
        }
    }
}

/// The driver's side of a [`CallHandle`].
pub(crate) struct DriverEnds {
    pub commands: mpsc::Receiver<Control>,
    pub out: Publisher,
    /// The same bus as the handle's: the driver joins the calls on it.
    pub bus: crate::media::mix::MixBus,
}

impl CallHandle {
    pub(crate) fn pair() -> (CallHandle, DriverEnds) {
        let (cmd_tx, commands) = mpsc::channel(16);
        let (events, _) = broadcast::channel(256);
        let (line_events, _) = broadcast::channel(256);
        let (state, state_rx) = watch::channel(CallState::Idle);
        let (calls, calls_rx) = watch::channel(Vec::new());
        let bus = crate::media::mix::MixBus::default();
        let handle = CallHandle {
            commands: cmd_tx,
            events: events.clone(),
            line_events: line_events.clone(),
            state: state_rx,
            calls: calls_rx,
            bus: bus.clone(),
        };
        (
            handle,
            DriverEnds {
                bus,
                commands,
                out: Publisher {
                    events,
                    line_events,
                    state,
                    calls,
                    line: Default::default(),
                },
            },
        )
    }
}
