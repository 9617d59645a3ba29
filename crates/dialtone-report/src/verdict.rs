//! Judging each hold and resume: did our audio stop reaching the far end, and how soon;
//! was two-way audio back, and how soon.
//!
//! The far end's own counters are the best witness (the sandbox reports them every
//! 100 ms). Without them we judge from our counters, once a second, and say so.

use crate::model::{CallReport, FarEnd, HoldKind, Verdict};

/// A hold passes when our audio stopped reaching the far end within this.
pub const HOLD_STOP_LIMIT_MS: u64 = 1000;
/// A resume passes when audio flows both ways again within this.
pub const RESUME_LIMIT_MS: u64 = 2000;
/// Above this we hear the far end (the meters' floor is -100 dBFS).
pub const HEARD_DBFS: f32 = -60.0;

pub fn judge(r: &CallReport) -> Vec<Verdict> {
    let mut out = Vec::new();
    let mut n = 0;
    for h in r.holds.iter().filter(|h| h.kind == HoldKind::Ours) {
        n += 1;
        let end = h.end_ms.unwrap_or(r.facts.total_ms);
        out.push(hold(r, h.call, n, h.start_ms, end));
        if let Some(resumed) = h.end_ms {
            let until = r
                .holds
                .iter()
                .filter(|o| o.call == h.call && o.kind == HoldKind::Ours && o.start_ms > resumed)
                .map(|o| o.start_ms)
                .min()
                .unwrap_or(r.facts.total_ms);
            out.push(resume(r, h.call, n, resumed, until));
        }
    }
    out
}

/// The far end's count of our packets just before `start` (its first in the window when
/// none came before).
fn count_before(r: &CallReport, start: u64, first: &FarEnd) -> u64 {
    r.far_end
        .iter()
        .rev()
        .find(|f| f.t_ms < start)
        .map_or(first.received, |f| f.received)
}

/// A verdict yet to be judged: failed until shown otherwise.
fn unjudged(what: &str, call: u32, n: u32, at_ms: u64) -> Verdict {
    Verdict {
        call,
        what: what.into(),
        n,
        at_ms,
        pass: false,
        within_ms: None,
        text: String::new(),
        basis: String::new(),
    }
}

fn hold(r: &CallReport, call: u32, n: u32, start: u64, end: u64) -> Verdict {
    let mut v = unjudged("hold", call, n, start);
    // Up to the resume's request, not at it: by then our audio is due again.
    let far: Vec<&FarEnd> = r
        .far_end
        .iter()
        .filter(|f| f.t_ms >= start && f.t_ms < end)
        .collect();
    if far.len() >= 3 {
        v.basis = "far end".into();
        // The first sample from which its count of our packets no longer rises.
        let before = count_before(r, start, far[0]);
        let mut last = before;
        // The first sample that shows no rise bounds the stop from above.
        let mut stopped_at = Some(far[0].t_ms);
        for f in &far {
            if f.received > last {
                stopped_at = None;
            } else if stopped_at.is_none() {
                stopped_at = Some(f.t_ms);
            }
            last = f.received;
        }
        match stopped_at {
            Some(t) => {
                let ms = t - start;
                v.within_ms = Some(ms);
                v.pass = ms <= HOLD_STOP_LIMIT_MS;
                v.text =
                    format!("hold {n}: our audio stopped reaching the far end within {ms} ms (to 100 ms)");
            }
            None => {
                v.text = format!("hold {n}: our audio still reached the far end when the hold ended");
            }
        }
        return v;
    }
    v.basis = "our counters".into();
    let ours = r
        .timeline
        .iter()
        .filter(|s| s.call == call && s.t_ms > start && s.t_ms <= end);
    match ours.clone().find(|s| s.sent_pps == 0.0) {
        Some(s) if ours.filter(|o| o.t_ms > s.t_ms).all(|o| o.sent_pps == 0.0) => {
            let ms = s.t_ms - start;
            v.within_ms = Some(ms);
            // A second's counters can show a stop up to two seconds late.
            v.pass = ms <= HOLD_STOP_LIMIT_MS + 2000;
            v.text = format!("hold {n}: we stopped sending audio within {ms} ms (to the second)");
        }
        Some(_) => v.text = format!("hold {n}: we sent audio again while on hold"),
        None if end - start < 1500 => {
            v.pass = true;
            v.text = format!(
                "hold {n}: too short to judge from our counters ({} ms)",
                end - start
            );
        }
        None => v.text = format!("hold {n}: we kept sending audio while on hold"),
    }
    v
}

fn resume(r: &CallReport, call: u32, n: u32, start: u64, until: u64) -> Verdict {
    let mut v = unjudged("resume", call, n, start);
    let far: Vec<&FarEnd> = r
        .far_end
        .iter()
        .filter(|f| f.t_ms >= start && f.t_ms <= until)
        .collect();
    let heard = r
        .levels
        .iter()
        .find(|l| l.t_ms >= start && l.t_ms <= until && l.heard_dbfs > HEARD_DBFS)
        .map(|l| l.t_ms);
    if far.len() >= 3 && !r.levels.is_empty() {
        v.basis = "far end".into();
        let before = count_before(r, start, far[0]);
        let reached = far.iter().find(|f| f.received > before).map(|f| f.t_ms);
        match (reached, heard) {
            (Some(a), Some(b)) => {
                let ms = a.max(b) - start;
                v.within_ms = Some(ms);
                v.pass = ms <= RESUME_LIMIT_MS;
                v.text = format!("resume {n}: two-way audio back within {ms} ms (to 100 ms)");
            }
            (None, _) => v.text = format!("resume {n}: our audio did not reach the far end again"),
            (_, None) => v.text = format!("resume {n}: we did not hear the far end again"),
        }
        return v;
    }
    v.basis = "our counters".into();
    let back = r.timeline.iter().find(|s| {
        s.call == call && s.t_ms > start && s.t_ms <= until && s.sent_pps > 0.0 && s.received_pps > 0.0
    });
    match back {
        Some(s) => {
            let ms = s.t_ms - start;
            v.within_ms = Some(ms);
            v.pass = ms <= RESUME_LIMIT_MS + 2000;
            v.text = format!("resume {n}: RTP flows both ways again within {ms} ms (to the second)");
        }
        None => v.text = format!("resume {n}: RTP did not flow both ways again"),
    }
    v
}
