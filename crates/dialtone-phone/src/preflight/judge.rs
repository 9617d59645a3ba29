//! The preflight's verdict: each phase from the transcript (with when it was said) and
//! what the far end and our ears said; the first failure named with what to do.

use dialtone_report::Message;
use serde::Serialize;
use std::time::{Duration, Instant};

/// A round trip slower than this makes a conversation hard.
const SLOW_ROUND_TRIP_MS: u64 = 600;

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Phase {
    pub phase: &'static str,
    /// `pass`, `fail`, `not reached`, `not applicable` or `not known`.
    pub result: &'static str,
    /// When it completed, from the start of the preflight.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_ms: Option<u64>,
    /// How long it took (a request: from sending it to its answer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub took_ms: Option<u64>,
    pub detail: String,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct Preflight {
    pub event: &'static str,
    pub pass: bool,
    pub number: String,
    pub phases: Vec<Phase>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub round_trip_ms: Option<u64>,
    /// The first phase that failed, and what to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed: Option<String>,
}

/// Which signaling steps a network has, by the operation names its clients log.
pub struct Steps {
    pub registration: Option<&'static str>,
    pub subscription: Option<&'static str>,
    pub session: &'static str,
}

impl Steps {
    pub fn of(network: crate::Network) -> Self {
        match network {
            crate::Network::Alexa => Self {
                registration: None,
                subscription: None,
                session: "alexa",
            },
            _ => Self {
                registration: Some("registering the device"),
                subscription: Some("subscribing to events"),
                session: "placing the call",
            },
        }
    }
}

/// What the far end and our ears said, besides the transcript.
#[derive(Debug, Default)]
pub struct Heard {
    /// When the far end first counted a packet of ours (the embedded sandbox says).
    pub far_end_first_audio: Option<Instant>,
    /// Whether the far end can say at all.
    pub far_end_reports: bool,
    /// Median click round trip on an echo; None when not an echo or none came back.
    pub round_trip: Option<Duration>,
    pub echo: bool,
    /// Why the line or the call failed, as the user was told.
    pub error: Option<String>,
}

/// Judges the run from `messages` (the transcript, with when each was said).
pub fn judge(
    number: &str,
    start: Instant,
    messages: &[(Instant, Message)],
    steps: &Steps,
    heard: &Heard,
) -> Preflight {
    let ms = |t: Instant| t.saturating_duration_since(start).as_millis() as u64;
    // Each phase with what to do when it fails.
    let mut list: Vec<(Phase, &str)> = Vec::new();

    // A request's phase: its first successful answer, or the failure it met.
    let request = |phase: &'static str, op: &str| -> Phase {
        let sent = messages
            .iter()
            .find(|(_, m)| m.kind == "request" && m.operation == op);
        let ok = messages.iter().find(|(_, m)| {
            m.kind == "response" && m.operation == op && m.status.is_some_and(|s| (200..300).contains(&s))
        });
        let bad = messages
            .iter()
            .find(|(_, m)| m.kind == "response" && m.operation == op && m.status.is_none_or(|s| s >= 300));
        match (sent, ok, bad) {
            (_, Some((t, _)), _) => Phase {
                took_ms: sent.map(|(s, _)| t.saturating_duration_since(*s).as_millis() as u64),
                ..Phase::pass(phase, Some(ms(*t)))
            },
            (_, None, Some((t, m))) => Phase {
                at_ms: Some(ms(*t)),
                ..Phase::fail(
                    phase,
                    &match (&m.error, m.status) {
                        (Some(e), _) => format!("no answer ({e})."),
                        (None, Some(s)) => format!("the server answered HTTP {s}."),
                        _ => "it failed.".into(),
                    },
                )
            },
            (Some(_), None, None) => Phase::fail(phase, "the request got no answer."),
            (None, None, None) => Phase::fail(phase, NEVER),
        }
    };
    let milestone = |phase: &'static str, what: &str, missing: &str| -> Phase {
        match messages
            .iter()
            .find(|(_, m)| m.kind == "media" && m.operation == what)
        {
            Some((t, _)) => Phase::pass(phase, Some(ms(*t))),
            None => Phase::fail(phase, missing),
        }
    };

    // A token from the keyring's cache needs no request: that is a pass without a time.
    let token = request("token", "fetching a token");
    let token = if token.detail == NEVER {
        Phase {
            result: "pass",
            detail: "a cached token (or none needed)".into(),
            ..token
        }
    } else {
        token
    };
    list.push((
        token,
        "Check the account's client id, secret and token URL (dialtone accounts list).",
    ));
    for (phase, op, advice) in [
        (
            "registration",
            steps.registration,
            "Check the account's registration URL; the operator may be down (try again, or another account).",
        ),
        (
            "subscription",
            steps.subscription,
            "Check the account's events URL; the operator must accept our notification sink.",
        ),
    ] {
        match op {
            Some(op) => list.push((request(phase, op), advice)),
            None => list.push((not(phase, "not applicable", "this network has no such step"), "")),
        }
    }
    list.push((
        request("session created", steps.session),
        "Check the number and the account's call-handling URL.",
    ));
    list.push((
        milestone("ICE connected", "ICE connected", "no candidate pair worked."),
        "UDP to the far end is blocked: allow it in the firewall, or add a TURN server to the account.",
    ));
    list.push((
        milestone(
            "DTLS connected",
            "DTLS connected",
            "ICE connected but the DTLS handshake did not finish.",
        ),
        "The far end's certificate may not match its SDP fingerprint, or DTLS packets are dropped.",
    ));
    list.push((
        milestone(
            "first audio received",
            "first audio received",
            "the call connected but no audio arrived.",
        ),
        "The far end sends nothing, or something drops its RTP: check the far end and the firewall.",
    ));
    let out = match (heard.far_end_reports, heard.far_end_first_audio) {
        (false, _) => not(
            "first audio at the far end",
            "not known",
            "this far end does not say what it hears",
        ),
        (true, Some(t)) => Phase::pass("first audio at the far end", Some(ms(t))),
        (true, None) => Phase::fail(
            "first audio at the far end",
            "the far end counted none of our packets.",
        ),
    };
    list.push((
        out,
        "Our audio does not get through: check the microphone setting and the firewall.",
    ));
    let trip = match (heard.echo, heard.round_trip) {
        (false, _) => not(
            "audio round trip",
            "not applicable",
            "the far end is not an echo (call +15550100 on the sandbox to measure it)",
        ),
        (true, Some(d)) => {
            let took = d.as_millis() as u64;
            let p = if took > SLOW_ROUND_TRIP_MS {
                Phase::fail(
                    "audio round trip",
                    &format!("{took} ms is more than {SLOW_ROUND_TRIP_MS} ms."),
                )
            } else {
                Phase::pass("audio round trip", None)
            };
            Phase {
                took_ms: Some(took),
                ..p
            }
        }
        (true, None) => Phase::fail("audio round trip", "none of our clicks came back from the echo."),
    };
    list.push((
        trip,
        "A slow network or a large jitter buffer: try a wired connection, or a closer server.",
    ));
    // The first failure is the one to fix; what came after it was not reached.
    let mut failed: Option<String> = None;
    let mut phases = Vec::new();
    for (p, advice) in list {
        if p.result == "fail" {
            if failed.is_some() {
                phases.push(Phase {
                    result: "not reached",
                    detail: String::new(),
                    ..p
                });
                continue;
            }
            failed = Some(format!("{}: {} {advice}", p.phase, p.detail));
        }
        phases.push(p);
    }
    if let (Some(f), Some(e)) = (&mut failed, &heard.error) {
        f.push_str(&format!(" (Dialtone said: {e})"));
    }
    Preflight {
        event: "preflight",
        pass: failed.is_none(),
        number: number.to_owned(),
        round_trip_ms: heard.round_trip.map(|d| d.as_millis() as u64),
        phases,
        failed,
    }
}

/// What a phase that never happened says (a cached token is not a failure).
const NEVER: &str = "it never happened.";

impl Phase {
    fn pass(phase: &'static str, at_ms: Option<u64>) -> Self {
        Self {
            phase,
            result: "pass",
            at_ms,
            took_ms: None,
            detail: String::new(),
        }
    }

    fn fail(phase: &'static str, detail: &str) -> Self {
        not(phase, "fail", detail)
    }
}

fn not(phase: &'static str, result: &'static str, detail: &str) -> Phase {
    Phase {
        phase,
        result,
        at_ms: None,
        took_ms: None,
        detail: detail.to_owned(),
    }
}

/// The preflight as a table, for people.
pub fn table(p: &Preflight) -> String {
    let mut s = format!("preflight: calling {}\n", p.number);
    for ph in &p.phases {
        let took = |ms: u64| {
            if ms == 0 {
                "<1 ms".to_owned()
            } else {
                format!("{ms} ms")
            }
        };
        let when = match (ph.at_ms, ph.took_ms) {
            (Some(at), Some(t)) => format!("at {at:>5} ms (took {})", took(t)),
            (Some(at), None) => format!("at {at:>5} ms"),
            (None, Some(t)) => took(t),
            (None, None) => String::new(),
        };
        let detail = if ph.detail.is_empty() && ph.result != "pass" {
            ph.result
        } else {
            &ph.detail
        };
        let mark = match ph.result {
            "pass" => "ok  ",
            "fail" => "FAIL",
            _ => "–   ",
        };
        let line = format!("  {mark} {:<28} {when:<28} {detail}", ph.phase);
        s.push_str(line.trim_end());
        s.push('\n');
    }
    match &p.failed {
        None => s.push_str("preflight passed\n"),
        Some(f) => s.push_str(&format!("preflight failed at {f}\n")),
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(kind: &str, op: &str, status: Option<u16>) -> Message {
        Message {
            kind: kind.into(),
            operation: op.into(),
            status,
            ..Default::default()
        }
    }

    #[test]
    fn the_first_phase_that_failed_is_named_and_the_rest_were_not_reached() {
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        let messages = vec![
            (at(1), msg("request", "fetching a token", None)),
            (at(5), msg("response", "fetching a token", Some(200))),
            (at(6), msg("request", "registering the device", None)),
            (at(9), msg("response", "registering the device", Some(503))),
        ];
        let heard = Heard {
            far_end_reports: true,
            echo: true,
            ..Default::default()
        };
        let p = judge(
            "+15550100",
            t0,
            &messages,
            &Steps::of(crate::Network::Camara),
            &heard,
        );
        assert!(!p.pass);
        let results: Vec<_> = p.phases.iter().map(|p| (p.phase, p.result)).collect();
        assert_eq!(results[0], ("token", "pass"));
        assert_eq!(p.phases[0].took_ms, Some(4));
        assert_eq!(results[1], ("registration", "fail"));
        assert!(
            results[2..].iter().all(|(_, r)| *r == "not reached"),
            "{results:?}"
        );
        let failed = p.failed.expect("a failure");
        assert!(
            failed.starts_with("registration: the server answered HTTP 503."),
            "{failed}"
        );
    }

    #[test]
    fn a_call_that_got_everywhere_passes_with_each_time() {
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        let mut messages = Vec::new();
        for (i, op) in [
            "registering the device",
            "subscribing to events",
            "placing the call",
        ]
        .into_iter()
        .enumerate()
        {
            let i = i as u64 * 10;
            messages.push((at(i + 1), msg("request", op, None)));
            messages.push((at(i + 3), msg("response", op, Some(201))));
        }
        for (ms, what) in [
            (40, "ICE connected"),
            (50, "DTLS connected"),
            (90, "first audio received"),
        ] {
            messages.push((at(ms), msg("media", what, None)));
        }
        let heard = Heard {
            far_end_reports: true,
            far_end_first_audio: Some(at(80)),
            echo: true,
            round_trip: Some(Duration::from_millis(70)),
            error: None,
        };
        let p = judge(
            "+15550100",
            t0,
            &messages,
            &Steps::of(crate::Network::Camara),
            &heard,
        );
        assert!(p.pass, "{p:?}");
        assert_eq!(p.phases.len(), 9);
        assert_eq!(p.phases[3].at_ms, Some(23));
        assert_eq!(p.round_trip_ms, Some(70));
        assert!(table(&p).contains("preflight passed"));
    }
}
