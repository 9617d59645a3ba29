//! What a call reports, for the CLI's JSON lines and the UI.

use crate::Direction;
use serde::Serialize;

/// What a call reports, for the CLI's JSON lines and the UI.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum CallEvent {
    State {
        /// One of `CallState::NAMES`.
        #[cfg_attr(feature = "ts", ts(type = "CallStateName"))]
        state: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        /// A call is under way (neither idle nor ended).
        active: bool,
        /// The call is up: connected, or on hold either way.
        established: bool,
        /// What the user may do now.
        allowed: crate::Allowed,
    },
    Incoming {
        from: String,
    },
    Media {
        direction: Option<Direction>,
        rtp_sent: u64,
        rtp_received: u64,
        /// The codec we send, once negotiated (a call too short for `stats` has it too).
        #[serde(skip_serializing_if = "Option::is_none")]
        codec: Option<String>,
    },
    Stats {
        rtt_ms: Option<f64>,
        jitter_ms: f64,
        loss_pct: f64,
        codec: Option<String>,
        /// How long our jitter buffer holds audio before playing it.
        jitter_buffer_ms: f64,
        /// The loss the far end reports that our encoder protects against with in-band
        /// FEC, in percent: 0 on a clean path (all bits go to the voice).
        fec_pct: u8,
        /// MOS estimate and the thresholds crossed.
        quality: crate::Quality,
    },
    Dtmf {
        digit: String,
        received: bool,
    },
    RemoteHold {
        held: bool,
    },
    /// No audio has arrived for `silent_ms` although the far end should be sending.
    NoMedia {
        silent_ms: u64,
    },
    /// Still no audio after `silent_ms`: ICE restarts through the network (a re-offer with
    /// new credentials), so a path that changed or came back is found again.
    IceRestart {
        silent_ms: u64,
    },
    /// Audio arrives again after `silent_ms` without.
    MediaRestored {
        silent_ms: u64,
    },
    Muted {
        muted: bool,
    },
    Error {
        code: String,
        message: String,
    },
    /// Bot calls: what the bot understood the caller to say (or type).
    Transcript {
        text: String,
    },
    /// Bot calls: the intent the bot recognised, and how far it got.
    Intent {
        name: String,
        state: Option<String>,
        input_mode: Option<String>,
    },
    /// Bot calls: one of the bot's messages, as text.
    BotText {
        text: String,
    },
    /// Bot calls: a spoken prompt started or stopped playing.
    Prompt {
        playing: bool,
    },
    /// Bot calls: the bot stopped its prompt because the caller barged in.
    Interrupted {
        reason: String,
    },
    Ended {
        reason: String,
    },
    /// The line's calls, after any of them changed (sent as call 0).
    Calls {
        calls: Vec<LineCall>,
        /// The calls mixed into one three-way call (empty: none).
        merged: Vec<crate::CallId>,
        /// The call the single-call controls act on (hold, hang up, keypad).
        front: Option<crate::CallId>,
        /// What may be done with the line now.
        allowed: crate::switchboard::LineAllowed,
    },
    /// The call-waiting tone plays in the active call (a call rings in beside it).
    WaitingTone {
        playing: bool,
    },
}

/// One call on the line, as the call list shows it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineCall {
    pub call: crate::CallId,
    /// One of `CallState::NAMES`.
    #[cfg_attr(feature = "ts", ts(type = "CallStateName"))]
    pub state: String,
    /// The far end: the number dialled or the caller.
    pub remote: String,
    pub incoming: bool,
    /// What its machine allows now (resume of a held call while another is up: a swap).
    pub allowed: crate::Allowed,
    /// It may join the active call (merge).
    pub merge: bool,
}

impl LineCall {
    /// Whether `calls` are exactly `want` (id, state name), in order.
    pub fn are(calls: &[LineCall], want: &[(crate::CallId, &str)]) -> bool {
        calls.len() == want.len()
            && calls
                .iter()
                .zip(want)
                .all(|(c, (id, state))| c.call == *id && c.state == *state)
    }
}

/// An event of one call on the line (`call` 0: the line itself), as the CLI writes it:
/// `{"event":"state","call":2,…}`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineEvent {
    pub call: crate::CallId,
    #[serde(flatten)]
    pub event: CallEvent,
}

impl CallEvent {
    /// The event for a new state, with what the machine that runs the call allows in it.
    pub fn state(s: &crate::CallState, allowed: crate::Allowed) -> Self {
        CallEvent::State {
            state: s.name().to_owned(),
            reason: match s {
                crate::CallState::Ended(r) => Some(r.to_string()),
                _ => None,
            },
            active: s.is_active(),
            established: s.is_established(),
            allowed,
        }
    }
}

/// The longest caller ID the window, the history and notifications are given.
pub const MAX_CALLER_CHARS: usize = 128;
/// The longest bot message or transcript passed on.
pub const MAX_TEXT_CHARS: usize = 4096;

/// Text from the far side (a caller ID, a bot's message) as it may be shown: control
/// characters dropped and at most `max` characters, the cut marked with `…`. A server
/// can send anything; the window and the history must not take megabytes or escape
/// codes from it.
pub fn bounded_text(text: &str, max: usize) -> String {
    let mut out: String = text.chars().filter(|c| !c.is_control()).take(max + 1).collect();
    if out.chars().count() > max {
        out = out.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
    }
    out
}

#[cfg(test)]
mod bounded_tests {
    use super::*;

    #[test]
    fn far_side_text_loses_control_characters_and_is_cut_at_the_limit() {
        assert_eq!(bounded_text("+1 555 0100", MAX_CALLER_CHARS), "+1 555 0100");
        assert_eq!(bounded_text("Bob\u{1b}[31m\n\r\u{7}", 64), "Bob[31m");
        let huge = "9".repeat(1_000_000);
        let cut = bounded_text(&huge, MAX_CALLER_CHARS);
        assert_eq!(cut.chars().count(), MAX_CALLER_CHARS);
        assert!(cut.ends_with('…'));
        assert_eq!(
            bounded_text("héllo", 5),
            "héllo",
            "exactly the limit is kept whole"
        );
        assert_eq!(bounded_text("héllo!", 5), "héll…");
    }
}
