//! Call scripts: `wait 2s; hold; wait 2s; resume; dtmf 12#; hangup`.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Wait(Duration),
    Hold,
    Resume,
    Dtmf(String),
    /// Typed text, for bot calls.
    Text(String),
    Mute,
    Unmute,
    Hangup,
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
            match verb.as_str() {
                "wait" | "sleep" => match arg.as_slice() {
                    [d] => parse_duration(d)
                        .map(Step::Wait)
                        .ok_or_else(|| err("use a duration such as 2s or 500ms")),
                    _ => Err(err("use 'wait <duration>', such as 'wait 2s'")),
                },
                "hold" => no_arg(Step::Hold),
                "resume" | "unhold" => no_arg(Step::Resume),
                "mute" => no_arg(Step::Mute),
                "unmute" => no_arg(Step::Unmute),
                "hangup" | "hang-up" | "bye" => no_arg(Step::Hangup),
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
                    "unknown step; use wait, hold, resume, mute, unmute, dtmf, text or hangup",
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
                Step::Hold,
                Step::Wait(Duration::from_secs(2)),
                Step::Resume,
                Step::Dtmf("12#".into()),
                Step::Hangup
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
