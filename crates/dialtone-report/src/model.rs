//! The report's data: what the JSON twin holds (README, "Call reports") and the HTML page
//! shows. Times are milliseconds since the report started (`t_ms`), as in `--json` lines.

use serde::{Deserialize, Serialize};

/// The JSON schema's version: raised when a field changes meaning or goes away.
pub const SCHEMA: u32 = 1;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CallReport {
    pub schema: u32,
    pub facts: Facts,
    /// Once a second while media flows: packets per second each way and the quality figures.
    pub timeline: Vec<Second>,
    /// Audio level each way, every 100 ms.
    pub levels: Vec<Level>,
    /// What the far end counted, every 100 ms, when it is the sandbox's.
    pub far_end: Vec<FarEnd>,
    /// Holds (ours and theirs), for shading.
    pub holds: Vec<Hold>,
    /// Every state of every call, in order.
    pub states: Vec<StateMark>,
    /// The signaling transcript and every SDP, redacted at the source.
    pub messages: Vec<Message>,
    /// The judgement of each hold and resume.
    pub verdicts: Vec<Verdict>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    /// `camara`, `alexa` or `lex`.
    pub network: String,
    /// The account, or the sandbox the line used.
    pub account: String,
    /// The address called or calling.
    pub remote: String,
    /// Our own number, when the network gave us one.
    pub local: Option<String>,
    pub outgoing: bool,
    /// The codec we sent, once negotiated.
    pub codec: Option<String>,
    /// Wall-clock start, RFC 3339 UTC.
    pub started: String,
    /// From the dial (or the answer) to Connected.
    pub setup_ms: Option<u64>,
    /// From Connected to the end.
    pub connected_ms: Option<u64>,
    pub total_ms: u64,
    pub end_reason: Option<String>,
    /// The impairment on the media, as given (`3g`, `loss=5%`).
    pub impairment: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Second {
    pub t_ms: u64,
    pub call: u32,
    /// RTP packets per second we sent and received over the last interval.
    pub sent_pps: f64,
    pub received_pps: f64,
    pub rtt_ms: Option<f64>,
    pub jitter_ms: Option<f64>,
    pub loss_pct: Option<f64>,
    pub mos: Option<f64>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Level {
    pub t_ms: u64,
    /// What we send (the microphone), dBFS.
    pub sent_dbfs: f32,
    /// What we play (the far end), dBFS.
    pub heard_dbfs: f32,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct FarEnd {
    pub t_ms: u64,
    /// RTP packets the far end has received from us, and sent us, so far.
    pub received: u64,
    pub sent: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldKind {
    /// We put the call on hold.
    Ours,
    /// The far end put us on hold.
    Theirs,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hold {
    pub call: u32,
    pub kind: HoldKind,
    /// When it was asked for (Holding) and when the resume was (Resuming); `end_ms` is
    /// None when the call ended on hold.
    pub start_ms: u64,
    pub end_ms: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateMark {
    pub t_ms: u64,
    pub call: u32,
    pub state: String,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub t_ms: u64,
    /// `request`, `response`, `incoming`, `sdp` or `media` (a milestone: `ICE connected`,
    /// `DTLS connected`, `first audio received`).
    pub kind: String,
    /// The API operation (`createSession`), or for an SDP what it is (`local offer`).
    pub operation: String,
    pub method: Option<String>,
    pub url: Option<String>,
    pub status: Option<u16>,
    pub error: Option<String>,
    /// SDP: the call, and why the offer was made (hold, resume).
    pub call: Option<u32>,
    pub why: Option<String>,
    pub body: String,
    /// SDP: how it differs from the call's SDP before it from the same side.
    pub diff: Option<Vec<DiffLine>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiffLine {
    /// `same`, `added` or `removed`.
    pub tag: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub call: u32,
    /// `hold` or `resume`, and which one (1 for the first).
    pub what: String,
    pub n: u32,
    pub at_ms: u64,
    pub pass: bool,
    /// The time judged: our audio stopped reaching the far end (hold) or two-way audio
    /// was back (resume), after the request. None when it never happened.
    pub within_ms: Option<u64>,
    /// The sentence a report shows.
    pub text: String,
    /// What it was judged from: `far end` (the sandbox counted what reached it, every
    /// 100 ms) or `our counters` (RTP we sent and received, once a second).
    pub basis: String,
}
