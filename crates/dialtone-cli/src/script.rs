//! Call scripts: `wait 2s; hold; wait 2s; resume; dtmf 12#; hangup`.
//!
//! With several calls, steps may name a call by its id (the first call is 1, each new
//! call the next number): `call +15550101; hold 1; resume 1; hangup 2`. A step without
//! an id means the active call (for `resume`, `swap` and `merge`: the one held call; for
//! `answer` and `decline`: the call ringing in, waited for up to 30 s).

use dialtone_core::call::CallId;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
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
}

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

pub fn parse(script: &str) -> Result<Vec<Step>, ScriptError> {
    script
        .split([';', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .enumerate()
        .map(|(i, raw)| {
            let err = |reason: &str| ScriptError {
                index: i + 1,
                step: raw.to_owned(),
                reason: reason.to_owned(),
            };
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
                _ => Err(err(
                    "unknown step; use wait, hold, resume, mute, unmute, dtmf, text, hangup, call, answer, decline, swap, merge or split",
                )),
            }
        })
        .collect()
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
