//! Call scripts: `wait 2s; hold; wait 2s; resume; dtmf 12#; hangup`.
//!
//! With several calls, steps may name a call by its id (the first call is 1, each new
//! call the next number): `call +15550101; hold 1; resume 1; hangup 2`. A step without
//! an id means the active call (for `resume`, `swap` and `merge`: the one held call; for
//! `answer` and `decline`: the call ringing in, waited for up to 30 s).
//!
//! Scripts check themselves: `expect held within 1s` (any call state), `expect audio
//! within 1s` (both ways: we hear the far end and, on the sandbox, it hears us), `expect
//! silence within 1s` (our audio no longer reaches the far end); a failed expectation
//! fails the run and names its step. `repeat 3 { hold; expect silence; resume; expect
//! audio within 2s }` runs a block again. `record stop` and `record start` pause and
//! resume the `--record` recording; `impair 3g` (any `--impair` spec) and `impair off`
//! change the network from then on. `process` reports the process's memory, descriptors,
//! threads and tasks. Once every call has ended, `call` places the next one, so `call
//! +15550101; expect audio; hangup 1; call +15550101; ...` runs calls one after another.

use dialtone_core::call::CallId;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Wait(Duration),
    Hold(Option<CallId>),
    Resume(Option<CallId>),
    Dtmf(String),
    /// Typed text, for bot calls.
    Text(String),
    Mute,
    Unmute,
    /// Hangs up one call; without an id, every call (and the script ends).
    Hangup(Option<CallId>),
    /// Places another call (the active one is held first).
    Call(String),
    /// Answers the call ringing in (the active one is held first).
    Answer(Option<CallId>),
    Decline(Option<CallId>),
    /// Holds the active call and resumes the held one.
    Swap,
    /// Joins the held call to the active one: a three-way call.
    Merge(Option<CallId>),
    Split,
    /// Fails the script unless `Expectation` holds within the time.
    Expect(Expectation, Duration),
    /// Runs the steps this many times.
    Repeat(u32, Vec<Step>),
    /// Resumes (`record start`) or pauses (`record stop`) the `--record` recording.
    Record(bool),
    /// The media's network from now on (`impair 3g`, `impair loss=5%`; `impair off`:
    /// clean).
    Impair(dialtone_core::media::impair::Impairment),
    /// Reports what the process holds (memory, descriptors, threads, tasks): `process`
    /// before and after many calls shows a leak.
    Process,
}

impl Step {
    /// Whether this step or one in its block is a `record` step.
    pub fn records(&self) -> bool {
        match self {
            Step::Record(_) => true,
            Step::Repeat(_, body) => body.iter().any(Step::records),
            _ => false,
        }
    }

    /// Whether this step or one in its block changes the network (`impair`).
    pub fn impairs(&self) -> bool {
        match self {
            Step::Impair(_) => true,
            Step::Repeat(_, body) => body.iter().any(Step::impairs),
            _ => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expectation {
    /// The call in front is in this state (one of `CallState::NAMES`).
    State(&'static str),
    /// Audio flows both ways.
    Audio,
    /// Our audio no longer reaches the far end.
    Silence,
}

/// How long an expectation waits when its step gives no time.
pub const EXPECT_WITHIN: Duration = Duration::from_secs(1);
/// The most times a block may repeat.
const MAX_REPEAT: u32 = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("script step {index} ('{step}'): {reason}")]
pub struct ScriptError {
    pub index: usize,
    pub step: String,
    pub reason: String,
}

/// Parses `1.5s`, `300ms`, `2` (seconds).
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let (num, scale) = if let Some(n) = s.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60.0)
    } else {
        (s, 1.0)
    };
    let v: f64 = num.trim().parse().ok()?;
    (0.0..=86_400.0)
        .contains(&v)
        .then(|| Duration::from_secs_f64(v * scale))
}

/// The script's statements: split at `;` and line ends outside `{ }`.
fn statements(script: &str) -> Result<Vec<&str>, String> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (i, c) in script.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.checked_sub(1).ok_or("a '}' closes nothing")?,
            ';' | '\n' if depth == 0 => {
                out.push(script[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth > 0 {
        return Err("a '{' is not closed".into());
    }
    out.push(script[start..].trim());
    Ok(out.into_iter().filter(|s| !s.is_empty()).collect())
}

pub fn parse(script: &str) -> Result<Vec<Step>, ScriptError> {
    statements(script)
        .map_err(|reason| ScriptError {
            index: 0,
            step: script.to_owned(),
            reason,
        })?
        .into_iter()
        .enumerate()
        .map(|(i, raw)| {
            let err = |reason: &str| ScriptError {
                index: i + 1,
                step: raw.to_owned(),
                reason: reason.to_owned(),
            };
            if let Some(rest) = raw.strip_prefix("repeat").filter(|r| r.starts_with(char::is_whitespace)) {
                return parse_repeat(rest).map_err(|e| err(&e));
            }
            // Text keeps its words and spacing as typed.
            if let Some((verb, text)) = raw.split_once(char::is_whitespace)
                && verb.eq_ignore_ascii_case("text")
            {
                return Ok(Step::Text(text.trim().to_owned()));
            }
            let mut words = raw.split_whitespace();
            let verb = words.next().unwrap_or("").to_ascii_lowercase();
            let arg: Vec<&str> = words.collect();
            let no_arg = |step: Step| {
                if arg.is_empty() {
                    Ok(step)
                } else {
                    Err(err("takes no argument"))
                }
            };
            let call_id = |step: fn(Option<CallId>) -> Step| match arg.as_slice() {
                [] => Ok(step(None)),
                [id] => id
                    .parse::<CallId>()
                    .ok()
                    .filter(|id| *id > 0)
                    .map(|id| step(Some(id)))
                    .ok_or_else(|| err("a call is named by its number: 1 for the first call, 2 for the next")),
                _ => Err(err("takes at most a call number, such as 'hold 2'")),
            };
            match verb.as_str() {
                "wait" | "sleep" => match arg.as_slice() {
                    [d] => parse_duration(d)
                        .map(Step::Wait)
                        .ok_or_else(|| err("use a duration such as 2s or 500ms")),
                    _ => Err(err("use 'wait <duration>', such as 'wait 2s'")),
                },
                "hold" => call_id(Step::Hold),
                "resume" | "unhold" => call_id(Step::Resume),
                "mute" => no_arg(Step::Mute),
                "unmute" => no_arg(Step::Unmute),
                "hangup" | "hang-up" | "bye" => call_id(Step::Hangup),
                "answer" => call_id(Step::Answer),
                "decline" => call_id(Step::Decline),
                "merge" => call_id(Step::Merge),
                "swap" => no_arg(Step::Swap),
                "process" => no_arg(Step::Process),
                "split" => no_arg(Step::Split),
                "call" | "dial" => match arg.as_slice() {
                    [number] => dialtone_core::call::Address::parse(number)
                        .map(|_| Step::Call((*number).to_owned()))
                        .map_err(|e| err(&e.to_string())),
                    _ => Err(err("use 'call <number>', such as 'call +15550101'")),
                },
                "dtmf" => {
                    let digits = arg.join("");
                    dialtone_core::media::dtmf::validate_digits(&digits).map_err(|e| err(&e.to_string()))?;
                    if digits.is_empty() {
                        return Err(err("use 'dtmf <digits>', such as 'dtmf 12#'"));
                    }
                    Ok(Step::Dtmf(digits))
                }
                "text" => Err(err("use 'text <words>', such as 'text book a room'")),
                "expect" => parse_expect(&arg).map_err(|e| err(&e)),
                "impair" => match arg.as_slice() {
                    [off] if off.eq_ignore_ascii_case("off") => Ok(Step::Impair(Default::default())),
                    [spec] => spec.parse().map(Step::Impair).map_err(|e| err(&format!("{e}; or 'impair off'"))),
                    _ => Err(err("use 'impair <network>' (such as 'impair 3g' or 'impair loss=5%') or 'impair off'")),
                },
                "record" => match arg.as_slice() {
                    [on] if on.eq_ignore_ascii_case("start") => Ok(Step::Record(true)),
                    [off] if off.eq_ignore_ascii_case("stop") => Ok(Step::Record(false)),
                    _ => Err(err("use 'record start' or 'record stop' (with --record FILE)")),
                },
                _ => Err(err(
                    "unknown step; use wait, hold, resume, mute, unmute, dtmf, text, hangup, call, answer, decline, swap, merge, split, expect, repeat, record, impair or process",
                )),
            }
        })
        .collect()
}

/// `3 { hold; resume }` after `repeat`.
fn parse_repeat(rest: &str) -> Result<Step, String> {
    const USE: &str = "use 'repeat <times> { <steps> }', such as 'repeat 3 { hold; wait 1s; resume }'";
    let (times, block) = rest.trim().split_once('{').ok_or(USE)?;
    let body = block.trim_end().strip_suffix('}').ok_or(USE)?;
    let times: u32 = times
        .trim()
        .parse()
        .ok()
        .filter(|n| (1..=MAX_REPEAT).contains(n))
        .ok_or_else(|| format!("repeat takes 1 to {MAX_REPEAT} times; {USE}"))?;
    let steps = parse(body).map_err(|e| format!("in the block, {e}"))?;
    if steps.is_empty() {
        return Err(format!("the block is empty; {USE}"));
    }
    Ok(Step::Repeat(times, steps))
}

/// `held within 1s`, `audio`, `silence within 500ms` after `expect`.
fn parse_expect(arg: &[&str]) -> Result<Step, String> {
    const USE: &str =
        "use 'expect <held|connected|...|audio|silence> [within <time>]', such as 'expect held within 1s'";
    let (what, within) = match arg {
        [what] => (*what, EXPECT_WITHIN),
        [what, w, d] if w.eq_ignore_ascii_case("within") => {
            (*what, parse_duration(d).filter(|d| !d.is_zero()).ok_or(USE)?)
        }
        _ => return Err(USE.into()),
    };
    let expectation = match what.to_ascii_lowercase().as_str() {
        "audio" => Expectation::Audio,
        "silence" => Expectation::Silence,
        other => dialtone_core::call::CallState::NAMES
            .iter()
            .find(|n| n.eq_ignore_ascii_case(other))
            .map(|n| Expectation::State(n))
            .ok_or_else(|| format!("'{other}' is neither a call state nor audio or silence; {USE}"))?,
    };
    Ok(Step::Expect(expectation, within))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_script() {
        let steps = parse("wait 2s; hold; wait 2s; resume; dtmf 12#; hangup").expect("script");
        assert_eq!(
            steps,
            [
                Step::Wait(Duration::from_secs(2)),
                Step::Hold(None),
                Step::Wait(Duration::from_secs(2)),
                Step::Resume(None),
                Step::Dtmf("12#".into()),
                Step::Hangup(None)
            ]
        );
        assert_eq!(
            parse("wait 2s; dtmf 1; text book a room; wait 3s; hangup").expect("bot script")[2],
            Step::Text("book a room".into())
        );
        assert!(parse("text").is_err());
        assert_eq!(
            parse("wait 250ms;;mute ;unmute").expect("ok")[0],
            Step::Wait(Duration::from_millis(250))
        );
    }

    #[test]
    fn steps_may_name_their_call_and_place_answer_swap_merge_and_split_calls() {
        let steps = parse("call +15550101; hold 1; swap; answer; merge 2; split; hangup 2; decline; hangup")
            .expect("script");
        assert_eq!(
            steps,
            [
                Step::Call("+15550101".into()),
                Step::Hold(Some(1)),
                Step::Swap,
                Step::Answer(None),
                Step::Merge(Some(2)),
                Step::Split,
                Step::Hangup(Some(2)),
                Step::Decline(None),
                Step::Hangup(None),
            ]
        );
        for bad in ["hold 0", "hold two", "hangup 1 2", "call", "call +1c", "swap 2"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn blocks_repeat_and_expectations_wait_a_second_unless_told() {
        let steps = parse(
            "repeat 2 { hold; expect silence; resume; expect audio within 2s }\nexpect connected within 500ms; hangup",
        )
        .expect("script");
        assert_eq!(
            steps,
            [
                Step::Repeat(
                    2,
                    vec![
                        Step::Hold(None),
                        Step::Expect(Expectation::Silence, EXPECT_WITHIN),
                        Step::Resume(None),
                        Step::Expect(Expectation::Audio, Duration::from_secs(2)),
                    ]
                ),
                Step::Expect(Expectation::State("Connected"), Duration::from_millis(500)),
                Step::Hangup(None),
            ]
        );
        let net = parse("impair 3g; impair off").expect("impair");
        assert!(matches!(&net[0], Step::Impair(i) if i.preset == Some("3g")));
        assert_eq!(net[1], Step::Impair(Default::default()));
        let rec = parse("repeat 2 { record stop; hold; resume; record start }").expect("record");
        assert!(rec[0].records() && !parse("hold").expect("hold")[0].records());
        assert_eq!(
            parse("repeat 2 { repeat 3 { hold; resume } }").expect("nested")[0],
            Step::Repeat(
                2,
                vec![Step::Repeat(3, vec![Step::Hold(None), Step::Resume(None)])]
            )
        );
        for (bad, says) in [
            ("repeat 0 { hold }", "1 to 10000"),
            ("repeat 2 hold", "use 'repeat"),
            ("repeat 2 { hold", "not closed"),
            ("hold }", "closes nothing"),
            ("repeat 2 { }", "empty"),
            ("repeat 2 { hodl }", "in the block, script step 1 ('hodl')"),
            ("expect", "use 'expect"),
            ("expect sunshine", "neither a call state"),
            ("expect held within soon", "use 'expect"),
            ("expect held in 1s", "use 'expect"),
            ("record", "use 'record start'"),
            ("impair", "use 'impair <network>'"),
            ("impair 5g", "bad impairment '5g'"),
            ("record now", "use 'record start'"),
        ] {
            let e = parse(bad).expect_err(bad).to_string();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn bad_steps_name_their_position_and_the_fix() {
        let e = parse("wait 1s; hodl").expect_err("typo");
        assert_eq!(e.index, 2);
        assert!(e.to_string().contains("unknown step"));
        assert!(parse("wait").is_err());
        assert!(parse("wait soon").is_err());
        assert!(
            parse("dtmf 1x")
                .expect_err("bad digit")
                .to_string()
                .contains("'x'")
        );
        assert!(parse("hold now").is_err());
        assert!(parse("wait -1s").is_err());
    }
}
