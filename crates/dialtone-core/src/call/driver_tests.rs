//! The driver with a fake media engine and a fake signaling provider, on tokio's paused
//! clock: timeouts take no wall time, and what the driver asks of each side is recorded.

use super::driver::CallDriver;
use super::{CallEvent, CallHandle, CallId, Command, EndReason, Signal, SignalOp};
use crate::media::{Direction, EngineFactory, MediaEngine, MediaError, MediaEvent, MediaStats};
use crate::signaling::{SignalReceiver, SignalSender, SignalingError, SignalingProvider};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast;

/// A media engine that answers at once and records what it was asked.
struct FakeEngine {
    calls: Arc<Mutex<Vec<String>>>,
    direction: Mutex<Option<Direction>>,
    /// Audio keeps arriving, so the media watch stays quiet.
    packets: AtomicU64,
    events: broadcast::Sender<MediaEvent>,
}

impl FakeEngine {
    fn note(&self, what: &str) {
        self.calls.lock().expect("lock").push(what.to_owned());
    }
}

#[async_trait::async_trait]
impl MediaEngine for FakeEngine {
    fn subscribe(&self) -> broadcast::Receiver<MediaEvent> {
        self.events.subscribe()
    }
    fn direction(&self) -> Option<Direction> {
        *self.direction.lock().expect("lock")
    }
    fn packets_received(&self) -> u64 {
        self.packets.fetch_add(50, Ordering::Relaxed)
    }
    fn secured(&self) -> bool {
        true
    }
    async fn stats(&self) -> MediaStats {
        MediaStats::default()
    }
    async fn create_offer(&self) -> Result<String, MediaError> {
        self.note("create_offer");
        Ok("offer".into())
    }
    async fn hold(&self) -> Result<String, MediaError> {
        self.note("hold");
        Ok("hold-offer".into())
    }
    async fn resume(&self) -> Result<String, MediaError> {
        self.note("resume");
        Ok("resume-offer".into())
    }
    async fn restart_ice(&self) -> Result<String, MediaError> {
        self.note("restart_ice");
        Ok("restart-offer".into())
    }
    async fn accept_offer(&self, _offer: &str) -> Result<String, MediaError> {
        self.note("accept_offer");
        *self.direction.lock().expect("lock") = Some(Direction::SendRecv);
        Ok("answer".into())
    }
    async fn accept_answer(&self, answer: &str) -> Result<Direction, MediaError> {
        self.note(&format!("accept_answer {answer}"));
        let d = if answer.contains("held") {
            Direction::RecvOnly
        } else {
            Direction::SendRecv
        };
        *self.direction.lock().expect("lock") = Some(d);
        Ok(d)
    }
    async fn replace_answer(&self, answer: &str) -> Result<Direction, MediaError> {
        self.note(&format!("replace_answer {answer}"));
        Ok(Direction::SendRecv)
    }
    async fn cancel_offer(&self) -> Result<(), MediaError> {
        self.note("cancel_offer");
        Ok(())
    }
    fn set_muted(&self, _muted: bool) {}
    fn send_dtmf(&self, _digits: &str) -> Result<(), MediaError> {
        Ok(())
    }
    async fn close(&self) {
        self.note("close");
    }
}

struct FakeEngines(Arc<Mutex<Vec<String>>>);

#[async_trait::async_trait]
impl EngineFactory for FakeEngines {
    async fn create(&self, _port: crate::media::mix::MixPort) -> Result<Arc<dyn MediaEngine>, MediaError> {
        Ok(Arc::new(FakeEngine {
            calls: self.0.clone(),
            direction: Mutex::default(),
            packets: AtomicU64::new(0),
            events: broadcast::channel(16).0,
        }))
    }
}

/// A provider that records each request and fails the ones `fail` picks.
struct FakeProvider {
    ops: Arc<Mutex<Vec<SignalOp>>>,
    /// The same requests with the call each was for.
    calls: Arc<Mutex<Vec<(CallId, SignalOp)>>>,
    signals_rx: Mutex<Option<SignalReceiver>>,
    fail: fn(&SignalOp) -> bool,
}

#[async_trait::async_trait]
impl SignalingProvider for FakeProvider {
    async fn request(&self, call: CallId, op: SignalOp) -> Result<(), SignalingError> {
        let failed = (self.fail)(&op);
        self.calls.lock().expect("lock").push((call, op.clone()));
        self.ops.lock().expect("lock").push(op);
        if failed {
            return Err(SignalingError::State("the network refused it".into()));
        }
        Ok(())
    }
    fn take_signals(&self) -> Option<SignalReceiver> {
        self.signals_rx.lock().expect("lock").take()
    }
    async fn shutdown(&self) {}
}

struct Rig {
    call: CallHandle,
    events: broadcast::Receiver<CallEvent>,
    signals: SignalSender,
    ops: Arc<Mutex<Vec<SignalOp>>>,
    calls: Arc<Mutex<Vec<(CallId, SignalOp)>>>,
    media: Arc<Mutex<Vec<String>>>,
}

fn rig(fail: fn(&SignalOp) -> bool) -> Rig {
    let (signals, rx) = crate::signaling::signal_channel();
    let ops = Arc::new(Mutex::new(Vec::new()));
    let calls = Arc::new(Mutex::new(Vec::new()));
    let media = Arc::new(Mutex::new(Vec::new()));
    let provider = FakeProvider {
        ops: ops.clone(),
        calls: calls.clone(),
        signals_rx: Mutex::new(Some(rx)),
        fail,
    };
    let call = CallDriver::spawn_with(
        Arc::new(provider),
        Arc::new(FakeEngines(media.clone())),
        Duration::from_secs(30),
        true,
        None,
    );
    let events = call.subscribe();
    Rig {
        call,
        events,
        signals,
        ops,
        calls,
        media,
    }
}

impl Rig {
    /// Waits up to two minutes of the paused clock.
    async fn wait_state(&self, name: &str) {
        for _ in 0..24_000 {
            if self.call.state().name() == name {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("never {name}: {}", self.call.state());
    }

    /// Waits (on the paused clock) for the provider to have been asked `n` requests.
    async fn wait_ops(&self, n: usize) -> Vec<SignalOp> {
        for _ in 0..2000 {
            let ops = self.ops.lock().expect("lock").clone();
            if ops.len() >= n {
                return ops;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("fewer than {n} requests: {:?}", self.ops.lock().expect("lock"));
    }

    fn media_calls(&self) -> Vec<String> {
        self.media.lock().expect("lock").clone()
    }

    async fn connected(&self) {
        self.call
            .command(Command::Dial(super::Address::parse("+15550100").expect("number")))
            .await
            .expect("dial");
        self.wait_ops(1).await;
        self.signals
            .send(
                1,
                Signal::Answered {
                    answer: "answer".into(),
                },
            )
            .await;
        self.wait_state("Connected").await;
    }

    fn errors(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        while let Ok(e) = self.events.try_recv() {
            if let CallEvent::Error { message, .. } = e {
                out.push(message);
            }
        }
        out
    }
}

fn never(_: &SignalOp) -> bool {
    false
}

#[tokio::test(start_paused = true)]
async fn a_hold_the_network_never_answers_is_abandoned_and_the_call_stays_connected() {
    let mut r = rig(never);
    r.connected().await;
    let start = tokio::time::Instant::now();
    r.call.command(Command::Hold).await.expect("hold");
    assert!(matches!(r.wait_ops(2).await[1], SignalOp::Hold { .. }));
    r.wait_state("Connected").await;
    let waited = start.elapsed();
    assert!(
        (Duration::from_secs(10)..Duration::from_secs(11)).contains(&waited),
        "{waited:?}"
    );
    assert_eq!(r.media_calls().last().map(String::as_str), Some("cancel_offer"));
    assert!(!r.errors().is_empty(), "the user is told the hold failed");
}

#[tokio::test(start_paused = true)]
async fn an_answer_that_comes_after_the_hold_was_abandoned_changes_nothing() {
    let r = rig(never);
    r.connected().await;
    r.call.command(Command::Hold).await.expect("hold");
    r.wait_ops(2).await;
    tokio::time::sleep(Duration::from_secs(11)).await;
    r.wait_state("Connected").await;
    let before = r.media_calls();
    r.signals
        .send(
            1,
            Signal::UpdateAnswered {
                answer: "held".into(),
            },
        )
        .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(r.call.state().name(), "Connected");
    assert_eq!(r.media_calls(), before, "the late answer reached the media");
    // And the next hold works.
    r.call.command(Command::Hold).await.expect("hold again");
    r.wait_ops(3).await;
    r.signals
        .send(
            1,
            Signal::UpdateAnswered {
                answer: "held".into(),
            },
        )
        .await;
    r.wait_state("Held").await;
}

#[tokio::test(start_paused = true)]
async fn the_far_end_vanishing_ends_the_call_and_closes_the_media() {
    let r = rig(never);
    r.connected().await;
    r.signals.send(1, Signal::Ended(EndReason::Terminated)).await;
    r.wait_state("Ended").await;
    for _ in 0..100 {
        if r.media_calls().last().map(String::as_str) == Some("close") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("the media was never closed: {:?}", r.media_calls());
}

#[tokio::test(start_paused = true)]
async fn a_provider_that_fails_the_call_ends_it_with_the_reason() {
    let mut r = rig(|op| matches!(op, SignalOp::CreateSession { .. }));
    r.call
        .command(Command::Dial(super::Address::parse("+15550100").expect("number")))
        .await
        .expect("dial");
    r.wait_state("Ended").await;
    assert!(
        r.call.state().to_string().contains("the network refused it"),
        "{}",
        r.call.state()
    );
    assert!(
        r.errors().iter().any(|m| m.contains("the network refused it")),
        "no error event"
    );
}

#[tokio::test(start_paused = true)]
async fn a_far_end_that_never_answers_the_dial_gives_up_after_the_setup_timeout() {
    let r = rig(never);
    let start = tokio::time::Instant::now();
    r.call
        .command(Command::Dial(super::Address::parse("+15550100").expect("number")))
        .await
        .expect("dial");
    r.wait_ops(1).await;
    r.signals.send(1, Signal::Ringing).await;
    r.wait_state("Ended").await;
    let waited = start.elapsed();
    assert!(
        (super::machine::SETUP_TIMEOUT..super::machine::SETUP_TIMEOUT + Duration::from_secs(1))
            .contains(&waited),
        "{waited:?}"
    );
    assert!(
        r.wait_ops(2)
            .await
            .iter()
            .any(|op| matches!(op, SignalOp::Terminate)),
        "the network was not told"
    );
}

impl Rig {
    /// Waits (on the paused clock) for a request for `call` that `pred` picks.
    async fn wait_request(&self, call: CallId, pred: fn(&SignalOp) -> bool) {
        for _ in 0..2000 {
            if self
                .calls
                .lock()
                .expect("lock")
                .iter()
                .any(|(c, op)| *c == call && pred(op))
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!(
            "no such request for call {call}: {:?}",
            self.calls.lock().expect("lock")
        );
    }

    async fn wait_calls(&self, want: &[(CallId, &str)]) {
        let found = self
            .call
            .wait_calls(Duration::from_secs(60), |calls| super::LineCall::are(calls, want))
            .await;
        assert!(found.is_some(), "calls never {want:?}: {:?}", self.call.calls());
    }

    /// Call 1 connected, and a second call ringing in beside it.
    async fn waiting(&self) -> CallId {
        self.connected().await;
        let second = self.signals.new_call();
        self.signals
            .send(
                second,
                Signal::Invitation {
                    from: "+15550110".into(),
                    offer: "offer-2".into(),
                },
            )
            .await;
        self.wait_calls(&[(1, "Connected"), (second, "Alerting")]).await;
        second
    }
}

fn is_hold(op: &SignalOp) -> bool {
    matches!(op, SignalOp::Hold { .. })
}

#[tokio::test(start_paused = true)]
async fn answering_a_waiting_call_holds_the_first_then_answers_each_under_its_own_id() {
    let mut r = rig(never);
    let second = r.waiting().await;
    assert_eq!(
        second, 2,
        "ids come from the provider's counter, shared with dialled calls"
    );
    let mut tone = false;
    while let Ok(e) = r.events.try_recv() {
        tone |= matches!(e, CallEvent::Incoming { .. });
    }
    assert!(tone, "the ringing call was announced");
    r.call
        .line(super::LineCommand::Answer(second))
        .await
        .expect("answer");
    r.wait_request(1, is_hold).await;
    assert!(
        !r.calls
            .lock()
            .expect("lock")
            .iter()
            .any(|(c, op)| *c == second && matches!(op, SignalOp::Accept { .. })),
        "the second call was answered before the first was held"
    );
    r.signals
        .send(
            1,
            Signal::UpdateAnswered {
                answer: "held".into(),
            },
        )
        .await;
    r.wait_request(second, |op| matches!(op, SignalOp::Accept { .. }))
        .await;
    r.signals.send(second, Signal::AcceptConfirmed).await;
    r.wait_calls(&[(1, "Held"), (2, "Connected")]).await;
}

#[tokio::test(start_paused = true)]
async fn hanging_up_one_call_leaves_the_other_and_closing_the_line_ends_the_rest() {
    let r = rig(never);
    let second = r.waiting().await;
    r.call
        .line(super::LineCommand::Decline(second))
        .await
        .expect("decline");
    r.wait_request(second, |op| matches!(op, SignalOp::Decline)).await;
    r.wait_calls(&[(1, "Connected")]).await;
    assert!(
        !r.calls
            .lock()
            .expect("lock")
            .iter()
            .any(|(c, op)| *c == 1 && is_hold(op)),
        "declining the waiting call touched the active one"
    );
    let third = r.signals.new_call();
    r.signals
        .send(
            third,
            Signal::Invitation {
                from: "+15550111".into(),
                offer: "offer-3".into(),
            },
        )
        .await;
    r.wait_calls(&[(1, "Connected"), (third, "Alerting")]).await;
    r.call.shutdown().await;
    r.wait_request(1, |op| matches!(op, SignalOp::Terminate)).await;
    r.wait_request(third, |op| matches!(op, SignalOp::Decline)).await;
}
