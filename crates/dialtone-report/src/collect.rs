//! Collecting a report while the call runs: sans-IO, fed what the caller sees (call
//! events, level meters, the far end's counters, the transcript) with the time it saw it.

use crate::model::{
    CallReport, DiffLine, Facts, FarEnd, Hold, HoldKind, Level, Message, SCHEMA, Second, StateMark,
};
use dialtone_call::CallEvent;
use std::collections::HashMap;
use std::time::Instant;

/// Bounds on what a report keeps, so an all-day call cannot exhaust memory: a day of
/// seconds, and the last hour of 100 ms samples.
const MAX_SECONDS: usize = 86_400;
const MAX_FINE: usize = 36_000;

pub struct Collector {
    start: Instant,
    timeline: Vec<Second>,
    levels: Vec<Level>,
    far_end: Vec<FarEnd>,
    holds: Vec<Hold>,
    states: Vec<StateMark>,
    messages: Vec<Message>,
    /// Each call's last RTP counters and when: (t_ms, sent, received).
    counters: HashMap<u32, (u64, u64, u64)>,
    codec: Option<String>,
    end_reason: Option<String>,
    dialled_ms: Option<u64>,
    connected_ms: Option<u64>,
    ended_ms: Option<u64>,
    dropped_messages: usize,
}

impl Collector {
    pub fn new(start: Instant) -> Self {
        Self {
            start,
            timeline: Vec::new(),
            levels: Vec::new(),
            far_end: Vec::new(),
            holds: Vec::new(),
            states: Vec::new(),
            messages: Vec::new(),
            counters: HashMap::new(),
            codec: None,
            end_reason: None,
            dialled_ms: None,
            connected_ms: None,
            ended_ms: None,
            dropped_messages: 0,
        }
    }

    fn t(&self, now: Instant) -> u64 {
        now.saturating_duration_since(self.start).as_millis() as u64
    }

    /// One of call `call`'s events (0: the line's own).
    pub fn event(&mut self, now: Instant, call: u32, e: &CallEvent) {
        let t = self.t(now);
        match e {
            CallEvent::State { state, reason, .. } => self.state(t, call, state, reason.as_deref()),
            CallEvent::Media {
                rtp_sent,
                rtp_received,
                codec,
                ..
            } => {
                if codec.is_some() && self.codec.is_none() {
                    self.codec.clone_from(codec);
                }
                self.counters_at(t, call, *rtp_sent, *rtp_received);
            }
            CallEvent::Stats {
                rtt_ms,
                jitter_ms,
                loss_pct,
                quality,
                ..
            } => {
                // The stats of a tick follow its counters: they complete that second.
                if let Some(s) = self
                    .timeline
                    .iter_mut()
                    .rev()
                    .find(|s| s.call == call && t.saturating_sub(s.t_ms) < 500)
                {
                    s.rtt_ms = *rtt_ms;
                    s.jitter_ms = Some(*jitter_ms);
                    s.loss_pct = Some(*loss_pct);
                    // A MOS is only known while audio arrives (issue: never report what
                    // you do not know).
                    s.mos = (s.received_pps > 0.0).then_some(quality.mos);
                }
            }
            CallEvent::RemoteHold { held } => self.hold_edge(t, call, HoldKind::Theirs, *held),
            CallEvent::Ended { reason } => {
                self.end_reason.get_or_insert_with(|| reason.clone());
            }
            _ => {}
        }
    }

    fn state(&mut self, t: u64, call: u32, state: &str, reason: Option<&str>) {
        self.states.push(StateMark {
            t_ms: t,
            call,
            state: state.to_owned(),
            reason: reason.map(str::to_owned),
        });
        match state {
            "Dialing" | "Answering" => {
                self.dialled_ms.get_or_insert(t);
            }
            "Connected" => {
                self.connected_ms.get_or_insert(t);
                // A resume whose Resuming we did not see ends the hold here.
                self.hold_edge(t, call, HoldKind::Ours, false);
            }
            "Holding" | "Held" => self.hold_edge(t, call, HoldKind::Ours, true),
            "Resuming" => self.hold_edge(t, call, HoldKind::Ours, false),
            "Ended" => {
                if call != 0 || self.ended_ms.is_none() {
                    self.ended_ms = Some(t);
                }
                if let Some(r) = reason {
                    self.end_reason.get_or_insert_with(|| r.to_owned());
                }
            }
            _ => {}
        }
    }

    fn hold_edge(&mut self, t: u64, call: u32, kind: HoldKind, held: bool) {
        let open = self
            .holds
            .iter_mut()
            .find(|h| h.call == call && h.kind == kind && h.end_ms.is_none());
        match (open, held) {
            (None, true) => self.holds.push(Hold {
                call,
                kind,
                start_ms: t,
                end_ms: None,
            }),
            (Some(h), false) => h.end_ms = Some(t),
            _ => {}
        }
    }

    fn counters_at(&mut self, t: u64, call: u32, sent: u64, received: u64) {
        let Some(&(t0, s0, r0)) = self.counters.get(&call) else {
            self.counters.insert(call, (t, sent, received));
            return;
        };
        let dt = t.saturating_sub(t0);
        // Counters read at a state change, moments after a tick, make no rate: the rate
        // runs from the earlier reading.
        if dt < 200 {
            return;
        }
        self.counters.insert(call, (t, sent, received));
        if self.timeline.len() >= MAX_SECONDS {
            return;
        }
        let per_s = |a: u64, b: u64| (b.saturating_sub(a) as f64) * 1000.0 / dt as f64;
        self.timeline.push(Second {
            t_ms: t,
            call,
            sent_pps: per_s(s0, sent),
            received_pps: per_s(r0, received),
            ..Default::default()
        });
    }

    /// The level meters' reading (dBFS) each way.
    pub fn levels(&mut self, now: Instant, sent_dbfs: f32, heard_dbfs: f32) {
        let t_ms = self.t(now);
        keep_recent(&mut self.levels);
        self.levels.push(Level {
            t_ms,
            sent_dbfs,
            heard_dbfs,
        });
    }

    /// What the far end (the sandbox's) has counted so far.
    pub fn far_end(&mut self, now: Instant, received: u64, sent: u64) {
        let t_ms = self.t(now);
        keep_recent(&mut self.far_end);
        self.far_end.push(FarEnd { t_ms, received, sent });
    }

    /// Milliseconds since the collector started, the clock of everything it holds.
    pub fn t_ms(&self, now: Instant) -> u64 {
        self.t(now)
    }

    /// We heard the far end (its level above [`crate::verdict::HEARD_DBFS`]) at or
    /// after `t_ms`.
    pub fn heard_since(&self, t_ms: u64) -> bool {
        self.levels
            .iter()
            .rev()
            .take_while(|l| l.t_ms >= t_ms)
            .any(|l| l.heard_dbfs > crate::verdict::HEARD_DBFS)
    }

    /// The far end's count of our packets rose after `t_ms`; None when the far end does
    /// not report (it is not the sandbox's).
    pub fn far_end_rose_since(&self, t_ms: u64) -> Option<bool> {
        let before = self.far_end.iter().rev().find(|f| f.t_ms <= t_ms)?;
        let last = self.far_end.last()?;
        Some(last.received > before.received)
    }

    /// The far end's count of our packets stayed flat for the last `window_ms`, all of
    /// it after `t_ms`; None when the far end does not report.
    pub fn far_end_flat(&self, t_ms: u64, window_ms: u64) -> Option<bool> {
        let last = self.far_end.last()?;
        let from = last.t_ms.checked_sub(window_ms).filter(|f| *f >= t_ms);
        let Some(from) = from else { return Some(false) };
        let start = self.far_end.iter().rev().find(|f| f.t_ms <= from)?;
        Some(start.received == last.received)
    }

    /// When the far end's count of our packets last stood still for good: the first
    /// sample (at or after `t_ms`) from which it kept its latest value.
    pub fn far_end_stopped_at(&self, t_ms: u64) -> Option<u64> {
        let last = self.far_end.last()?;
        let first_flat = self
            .far_end
            .iter()
            .rev()
            .take_while(|f| f.received == last.received && f.t_ms >= t_ms)
            .last()?;
        Some(first_flat.t_ms)
    }

    /// Our counters over a second that ended after `t_ms`, for `call`: did we send?
    /// None before such a second is counted.
    pub fn sending_since(&self, t_ms: u64, call: u32) -> Option<bool> {
        self.timeline
            .iter()
            .rev()
            .find(|s| s.call == call && s.t_ms >= t_ms + 1000)
            .map(|s| s.sent_pps > 0.0)
    }

    /// Something that happened to the call outside its signaling (the network changed
    /// mid-call), a line in the transcript.
    pub fn note(&mut self, now: Instant, text: &str) {
        let t_ms = self.t(now);
        self.messages.push(Message {
            t_ms,
            kind: "note".into(),
            operation: text.to_owned(),
            ..Default::default()
        });
    }

    /// The transcript so far (from a [`crate::WireTap`]), and how many it did not keep.
    pub fn messages(&mut self, captured: Vec<(Instant, Message)>, dropped: usize) {
        for (at, mut m) in captured {
            m.t_ms = self.t(at);
            self.messages.push(m);
        }
        self.dropped_messages += dropped;
    }

    /// The report: `facts` from the caller (network, addresses, when), the rest from what
    /// was collected, judged.
    pub fn finish(mut self, now: Instant, mut facts: Facts) -> CallReport {
        let total = self.t(now);
        facts.total_ms = total;
        facts.codec = facts.codec.or(self.codec.take());
        facts.end_reason = facts.end_reason.or(self.end_reason.take());
        facts.setup_ms = self
            .connected_ms
            .map(|c| c.saturating_sub(self.dialled_ms.unwrap_or(0)));
        facts.connected_ms = self
            .connected_ms
            .map(|c| self.ended_ms.unwrap_or(total).saturating_sub(c));
        self.messages.sort_by_key(|m| m.t_ms);
        if self.dropped_messages > 0 {
            self.messages.push(Message {
                t_ms: total,
                kind: "note".into(),
                operation: format!("{} more messages not kept", self.dropped_messages),
                ..Default::default()
            });
        }
        diff_sdps(&mut self.messages);
        let mut report = CallReport {
            schema: SCHEMA,
            facts,
            timeline: self.timeline,
            levels: self.levels,
            far_end: self.far_end,
            holds: self.holds,
            states: self.states,
            messages: self.messages,
            verdicts: Vec::new(),
        };
        report.verdicts = crate::verdict::judge(&report);
        report
    }
}

/// Makes room in a 100 ms series by forgetting its older half when it is full: the
/// latest hour is what a report and an expectation need.
fn keep_recent<T>(v: &mut Vec<T>) {
    if v.len() >= MAX_FINE {
        v.drain(..MAX_FINE / 2);
    }
}

/// Each SDP's difference from the one before it of the same call and side.
fn diff_sdps(messages: &mut [Message]) {
    let mut last: HashMap<(u32, bool), String> = HashMap::new();
    for m in messages.iter_mut().filter(|m| m.kind == "sdp") {
        let local = m.operation.starts_with("local");
        let body = m.body.replace("\r\n", "\n");
        let key = (m.call.unwrap_or(0), local);
        if let Some(before) = last.get(&key) {
            let diff = similar::TextDiff::from_lines(before.as_str(), body.as_str());
            m.diff = Some(
                diff.iter_all_changes()
                    .map(|c| DiffLine {
                        tag: match c.tag() {
                            similar::ChangeTag::Equal => "same",
                            similar::ChangeTag::Insert => "added",
                            similar::ChangeTag::Delete => "removed",
                        }
                        .into(),
                        text: c.value().trim_end_matches('\n').to_owned(),
                    })
                    .collect(),
            );
        }
        last.insert(key, body);
    }
}
