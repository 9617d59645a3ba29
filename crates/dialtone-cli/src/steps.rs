//! Runs a call script's steps on the line, one after the other, each waiting until what
//! it asked for happened (the call held, resumed, answered...), so a failed step says
//! which one failed and why.

use crate::report::{Shared, Watch, lock};
use crate::script::{Expectation, Step};
use dialtone_core::call::{CallEvent, CallId, Command, LineCall, LineCommand};
use std::time::{Duration, Instant};

/// How long a hold, resume, swap or merge may take before the step fails.
const SETTLE: Duration = Duration::from_secs(15);
/// How long `answer` and `decline` wait for a call to ring in.
const RING_WAIT: Duration = Duration::from_secs(30);
/// How long `call` waits for the new call to be answered.
const SETUP: Duration = Duration::from_secs(120);

/// Every call has ended (or none was ever placed).
fn over(calls: &[LineCall]) -> bool {
    calls.iter().all(|c| c.state == "Ended")
}

fn state_of(calls: &[LineCall], id: CallId) -> Option<&str> {
    calls.iter().find(|c| c.call == id).map(|c| c.state.as_str())
}

/// The one call in `state`, for a step that names none.
fn only(line: &dialtone_phone::Line, state: &str, what: &str) -> Result<CallId, String> {
    let calls = line.call.calls();
    let found: Vec<CallId> = calls
        .iter()
        .filter(|c| c.state == state)
        .map(|c| c.call)
        .collect();
    match found.as_slice() {
        [id] => Ok(*id),
        [] => Err(format!("no call is {state} to {what}")),
        _ => Err(format!(
            "calls {found:?} are all {state}; name the one to {what}, such as '{what} {}'",
            found[0]
        )),
    }
}

/// Waits until call `id` is in `state`; fails if it ends first (unless `Ended` is
/// what was asked) or takes longer than `within`.
async fn until(line: &dialtone_phone::Line, id: CallId, state: &str, within: Duration) -> Result<(), String> {
    let reached = line
        .call
        .wait_calls(within, |calls| match state_of(calls, id) {
            Some(s) => s == state || s == "Ended",
            None => true,
        })
        .await;
    let now = line.call.calls();
    match (reached, state_of(&now, id)) {
        (Some(_), Some(s)) if s == state => Ok(()),
        (Some(_), None) if state == "Ended" => Ok(()),
        (Some(_), _) => Err(format!("call {id} ended instead of reaching {state}")),
        (None, s) => Err(format!(
            "call {id} did not reach {state} in {} s; it is {}",
            within.as_secs(),
            s.unwrap_or("gone")
        )),
    }
}

async fn line_command(line: &dialtone_phone::Line, c: LineCommand) -> Result<Option<CallId>, String> {
    line.call.line(c).await.map_err(|e| e.to_string())
}

/// Waits up to [`RING_WAIT`] for a call to ring in, for `answer` or `decline`.
async fn ringing(line: &dialtone_phone::Line, named: Option<CallId>, what: &str) -> Result<CallId, String> {
    let found = line
        .call
        .wait_calls(RING_WAIT, |calls| {
            calls
                .iter()
                .any(|c| c.state == "Alerting" && named.is_none_or(|id| id == c.call))
        })
        .await;
    if found.is_none() {
        return Err(format!(
            "no call rang in within {} s to {what}",
            RING_WAIT.as_secs()
        ));
    }
    match named {
        Some(id) => Ok(id),
        None => only(line, "Alerting", what),
    }
}

/// Whether a script goes on after a block.
enum Flow {
    Next,
    /// `hangup` with no call named: every call is down, the script is over.
    HungUp,
}

/// Runs `steps` once the first call is up, then hangs up whatever is still up; `watch`
/// is what expectations are judged from.
pub async fn run(line: &dialtone_phone::Line, steps: &[Step], watch: &Watch) -> Result<(), String> {
    match block(line, steps, watch, "").await? {
        Flow::HungUp => Ok(()),
        Flow::Next => hang_up_all(line).await,
    }
}

/// Runs steps in order; `within` names the enclosing block's round in errors.
async fn block(
    line: &dialtone_phone::Line,
    steps: &[Step],
    watch: &Watch,
    within: &str,
) -> Result<Flow, String> {
    for (i, step) in steps.iter().enumerate() {
        let at = |e: String| format!("script step {within}{} ({}): {e}", i + 1, describe(step));
        if over(&line.call.calls()) && needs_a_call(step) {
            return Err(at("the call ended before this step".into()));
        }
        match step {
            Step::Hangup(None) => {
                hang_up_all(line).await.map_err(at)?;
                return Ok(Flow::HungUp);
            }
            Step::Repeat(times, body) => {
                for round in 1..=*times {
                    let inner = format!("{within}{}, round {round} of {times}, step ", i + 1);
                    // Boxed: a block may hold blocks.
                    if let Flow::HungUp = Box::pin(block(line, body, watch, &inner)).await? {
                        return Ok(Flow::HungUp);
                    }
                }
            }
            Step::Expect(what, limit) => expect(line, &watch.collector(), what, *limit).await.map_err(at)?,
            Step::Record(on) => watch.set_recording(*on).map_err(at)?,
            Step::Process => watch.process().map_err(at)?,
            Step::Impair(to) => {
                line.set_impairment(to.clone()).map_err(|e| at(e.to_string()))?;
                watch.note(&if *to == Default::default() {
                    "the network is clean again (impair off)".to_owned()
                } else {
                    format!("the network is now {}", to.describe())
                });
            }
            _ => one(line, step).await.map_err(at)?,
        }
    }
    Ok(Flow::Next)
}

/// Whether the step acts on a call, so fails once every call has ended; `call` places the
/// next one then.
fn needs_a_call(step: &Step) -> bool {
    !matches!(
        step,
        Step::Call(_) | Step::Wait(_) | Step::Process | Step::Repeat(..)
    )
}

/// A step as the script wrote it, for errors.
fn describe(step: &Step) -> String {
    match step {
        Step::Repeat(n, body) => format!("repeat {n} {{ {} steps }}", body.len()),
        other => format!("{other:?}"),
    }
}

/// How often an expectation looks again.
const EXPECT_POLL: Duration = Duration::from_millis(50);
/// How long the far end's count must stay flat to call it silence.
const SILENCE_WINDOW_MS: u64 = 300;

/// Waits up to `limit` for `what` to hold; fails with the last reason it did not.
pub(crate) async fn expect(
    line: &dialtone_phone::Line,
    watch: &Shared,
    what: &Expectation,
    limit: Duration,
) -> Result<(), String> {
    let t0 = lock(watch).t_ms(Instant::now());
    let deadline = Instant::now() + limit;
    let call = line
        .call
        .calls()
        .iter()
        .find(|c| c.state != "Ended")
        .map_or(1, |c| c.call);
    loop {
        let reason = match what {
            Expectation::State(state) => {
                let now = line.call.state();
                (now.name() != *state).then(|| format!("the call is {now}"))
            }
            Expectation::Audio => {
                let c = lock(watch);
                let far = c.far_end_rose_since(t0);
                if !c.heard_since(t0) {
                    Some("we heard nothing from the far end".to_owned())
                } else if far == Some(false) {
                    Some("none of our audio reached the far end".to_owned())
                } else if far.is_none() && c.sending_since(t0, call) == Some(false) {
                    Some("we sent no audio".to_owned())
                } else {
                    None
                }
            }
            Expectation::Silence => {
                let c = lock(watch);
                match c.far_end_flat(t0, SILENCE_WINDOW_MS) {
                    Some(true) => None,
                    Some(false) => Some("our audio still reached the far end".to_owned()),
                    None => match c.sending_since(t0, call) {
                        Some(false) => None,
                        Some(true) => Some("we were still sending audio".to_owned()),
                        None => Some(
                            "no second of our counters was over yet (without the sandbox's far end, silence is judged from them, once a second: allow 'within 2s')"
                                .to_owned(),
                        ),
                    },
                }
            }
        };
        let Some(reason) = reason else { return Ok(()) };
        if Instant::now() >= deadline {
            let name = match what {
                Expectation::State(s) => s.to_ascii_lowercase(),
                Expectation::Audio => "audio both ways".into(),
                Expectation::Silence => "silence (our audio no longer reaching the far end)".into(),
            };
            return Err(format!(
                "expected {name} within {} ms, but {reason}",
                limit.as_millis()
            ));
        }
        tokio::time::sleep(EXPECT_POLL).await;
    }
}

pub(crate) async fn one(line: &dialtone_phone::Line, step: &Step) -> Result<(), String> {
    match step {
        // block() runs these itself.
        Step::Repeat(..) | Step::Expect(..) | Step::Record(_) | Step::Impair(_) | Step::Process => Ok(()),
        Step::Wait(d) => {
            if over(&line.call.calls()) {
                // Between calls (every one ended, the next not placed): nothing to end.
                tokio::time::sleep(*d).await;
                return Ok(());
            }
            if line.call.wait_calls(*d, over).await.is_some() {
                return Err(format!("the call ended during the wait ({})", line.call.state()));
            }
            Ok(())
        }
        // Without an id the call in front is meant: the same words work on a bot call.
        Step::Hold(None) => command_until(line, Command::Hold, "Held").await,
        Step::Resume(None) if line.call.calls().len() <= 1 => {
            command_until(line, Command::Resume, "Connected").await
        }
        Step::Hold(Some(id)) => {
            line_command(line, LineCommand::Hold(*id)).await?;
            until(line, *id, "Held", SETTLE).await
        }
        Step::Resume(named) | Step::Merge(named) => {
            let id = match named {
                Some(id) => *id,
                None => only(
                    line,
                    "Held",
                    if matches!(step, Step::Merge(_)) {
                        "merge"
                    } else {
                        "resume"
                    },
                )?,
            };
            let c = if matches!(step, Step::Merge(_)) {
                LineCommand::Merge(id)
            } else {
                LineCommand::Resume(id)
            };
            line_command(line, c).await?;
            until(line, id, "Connected", SETTLE).await
        }
        Step::Swap => {
            let id = only(line, "Held", "swap to")?;
            line_command(line, LineCommand::Resume(id)).await?;
            until(line, id, "Connected", SETTLE).await
        }
        Step::Split => {
            let legs = line.call.calls();
            let first = line_command(line, LineCommand::Split).await?;
            for c in legs
                .iter()
                .filter(|c| Some(c.call) != first && c.state == "Connected")
            {
                until(line, c.call, "Held", SETTLE).await?;
            }
            Ok(())
        }
        Step::Call(number) => {
            let to = dialtone_core::call::Address::parse(number).map_err(|e| e.to_string())?;
            let id = line_command(line, LineCommand::Dial(to))
                .await?
                .ok_or("the new call got no id")?;
            until(line, id, "Connected", SETUP).await
        }
        Step::Answer(named) => {
            let id = ringing(line, *named, "answer").await?;
            line_command(line, LineCommand::Answer(id)).await?;
            until(line, id, "Connected", SETTLE).await
        }
        Step::Decline(named) => {
            let id = ringing(line, *named, "decline").await?;
            line_command(line, LineCommand::Decline(id)).await?;
            until(line, id, "Ended", SETTLE).await
        }
        Step::Hangup(Some(id)) => {
            line_command(line, LineCommand::Hangup(*id)).await?;
            until(line, *id, "Ended", SETTLE).await
        }
        Step::Hangup(None) => hang_up_all(line).await,
        Step::Mute | Step::Unmute => line
            .call
            .command(Command::Mute(matches!(step, Step::Mute)))
            .await
            .map_err(|e| e.to_string()),
        Step::Dtmf(digits) => send_dtmf(line, digits).await,
        Step::Text(text) => line
            .call
            .command(Command::Text(text.clone()))
            .await
            .map_err(|e| e.to_string()),
    }
}

/// Sends digits and waits for the media's word on them: queued (then long enough for
/// them to go out) or refused (no telephone-event negotiated, not sending), which fails
/// the step.
async fn send_dtmf(line: &dialtone_phone::Line, digits: &str) -> Result<(), String> {
    let mut events = line.call.subscribe();
    line.call
        .command(Command::Dtmf(digits.to_owned()))
        .await
        .map_err(|e| e.to_string())?;
    let outcome = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match events.recv().await {
                Ok(CallEvent::Dtmf { received: false, .. }) => return Ok(()),
                Ok(CallEvent::Error { code, message }) if code == "DTMF" => return Err(message),
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                    return Err("the call ended before the digits were sent".to_owned());
                }
            }
        }
    })
    .await
    .map_err(|_| "the digits were neither sent nor refused within 5 s".to_owned())?;
    outcome?;
    // Let the digits go out before the next step (100 ms tone + 60 ms gap each).
    tokio::time::sleep(Duration::from_millis(160 * digits.len() as u64 + 100)).await;
    Ok(())
}

async fn command_until(line: &dialtone_phone::Line, c: Command, state: &str) -> Result<(), String> {
    line.call.command(c).await.map_err(|e| e.to_string())?;
    let reached = line
        .call
        .wait_state(SETTLE, |s| s.name() == state || s.name() == "Ended")
        .await;
    match reached {
        Some(s) if s.name() == state => Ok(()),
        Some(s) => Err(format!("the call ended instead ({s})")),
        None => Err(format!(
            "the call did not reach {state}; it is {}",
            line.call.state()
        )),
    }
}

/// Hangs up every call still up and waits for each to end.
pub async fn hang_up_all(line: &dialtone_phone::Line) -> Result<(), String> {
    let calls = line.call.calls();
    if calls.len() <= 1 {
        // One call (or a bot conversation): the call in front.
        if over(&calls) && !calls.is_empty() {
            return Ok(());
        }
        if matches!(line.call.state(), dialtone_core::call::CallState::Ended(_)) {
            return Ok(());
        }
        line.call
            .command(Command::Hangup)
            .await
            .map_err(|e| e.to_string())?;
        return line
            .call
            .wait_state(SETTLE, |s| s.name() == "Ended")
            .await
            .map(|_| ())
            .ok_or_else(|| "the hang-up was not confirmed".to_owned());
    }
    for c in calls.iter().filter(|c| c.state != "Ended") {
        let command = if c.state == "Alerting" {
            LineCommand::Decline(c.call)
        } else {
            LineCommand::Hangup(c.call)
        };
        line_command(line, command).await?;
    }
    line.call
        .wait_calls(SETTLE, over)
        .await
        .map(|_| ())
        .ok_or_else(|| "the hang-up was not confirmed".to_owned())
}
