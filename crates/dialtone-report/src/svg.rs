//! The timeline plot: packets per second, audio level, round trip and jitter, and loss,
//! one panel each, over the whole call; holds shaded across every panel; each signaling
//! message a tick whose `<title>` a pointer shows. Plain SVG, readable without scripts.

use crate::html::esc;
use crate::model::{CallReport, HoldKind};
use std::fmt::Write;

const WIDTH: f64 = 960.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 12.0;
const PANEL: f64 = 90.0;
const GAP: f64 = 22.0;
const TOP: f64 = 14.0;
const TICKS: f64 = 26.0;

/// A series' name, its CSS class, and its points as (t_ms, value).
type Series<'a> = (&'a str, &'a str, Vec<(u64, f64)>);

struct Panel<'a> {
    title: &'a str,
    unit: &'a str,
    min: f64,
    max: f64,
    series: Vec<Series<'a>>,
}

pub fn timeline(r: &CallReport) -> String {
    let total = r.facts.total_ms.max(1000);
    let plot_w = WIDTH - LEFT - RIGHT;
    let x = |t: u64| LEFT + (t as f64 / total as f64) * plot_w;
    let front = r.timeline.first().map_or(1, |s| s.call);
    let secs: Vec<_> = r.timeline.iter().filter(|s| s.call == front).collect();
    let pps_max = secs
        .iter()
        .map(|s| s.sent_pps.max(s.received_pps))
        .fold(60.0_f64, f64::max);
    let opt = |f: &dyn Fn(&crate::model::Second) -> Option<f64>| -> Vec<(u64, f64)> {
        secs.iter().filter_map(|s| f(s).map(|v| (s.t_ms, v))).collect()
    };
    let rtt = opt(&|s| s.rtt_ms);
    let jitter = opt(&|s| s.jitter_ms);
    let ms_max = rtt.iter().chain(&jitter).map(|p| p.1).fold(50.0_f64, f64::max);
    let loss = opt(&|s| s.loss_pct);
    let loss_max = loss.iter().map(|p| p.1).fold(5.0_f64, f64::max);
    let panels = [
        Panel {
            title: "RTP packets per second",
            unit: "pkt/s",
            min: 0.0,
            max: pps_max,
            series: vec![
                ("sent", "sent", steps(&secs, |s| s.sent_pps)),
                ("received", "heard", steps(&secs, |s| s.received_pps)),
            ],
        },
        Panel {
            title: "Audio level",
            unit: "dBFS",
            min: -100.0,
            max: 0.0,
            series: vec![
                (
                    "we send",
                    "sent",
                    thin(r.levels.iter().map(|l| (l.t_ms, f64::from(l.sent_dbfs))), total),
                ),
                (
                    "we hear",
                    "heard",
                    thin(r.levels.iter().map(|l| (l.t_ms, f64::from(l.heard_dbfs))), total),
                ),
            ],
        },
        Panel {
            title: "Round trip and jitter",
            unit: "ms",
            min: 0.0,
            max: ms_max,
            series: vec![("RTT", "rtt", rtt), ("jitter", "jitter", jitter)],
        },
        Panel {
            title: "Loss",
            unit: "%",
            min: 0.0,
            max: loss_max,
            series: vec![("loss", "loss", loss)],
        },
    ];
    let height = TOP + panels.len() as f64 * (PANEL + GAP) + TICKS + 20.0;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" aria-label="The call's timeline" data-total-ms="{total}">"#
    );
    // Holds first, under everything, across every panel.
    let plots_bottom = TOP + panels.len() as f64 * (PANEL + GAP) - GAP;
    for h in &r.holds {
        let end = h.end_ms.unwrap_or(total);
        let (class, who) = match h.kind {
            HoldKind::Ours => ("hold ours", "we held the call"),
            HoldKind::Theirs => ("hold theirs", "the far end held us"),
        };
        let _ = write!(
            s,
            r#"<rect class="{class}" data-start-ms="{}" data-end-ms="{end}" x="{:.1}" y="{TOP}" width="{:.1}" height="{:.1}"><title>{who}: {:.1} s to {:.1} s</title></rect>"#,
            h.start_ms,
            x(h.start_ms),
            (x(end) - x(h.start_ms)).max(1.0),
            plots_bottom - TOP,
            h.start_ms as f64 / 1000.0,
            end as f64 / 1000.0,
        );
    }
    for (i, p) in panels.iter().enumerate() {
        let y0 = TOP + i as f64 * (PANEL + GAP);
        let y = |v: f64| y0 + PANEL - ((v - p.min) / (p.max - p.min)).clamp(0.0, 1.0) * PANEL;
        let _ = write!(
            s,
            r#"<g class="panel"><rect class="frame" x="{LEFT}" y="{y0}" width="{plot_w}" height="{PANEL}"/><text class="title" x="{LEFT}" y="{:.1}">{}</text><text class="axis" x="{:.1}" y="{:.1}" text-anchor="end">{}</text><text class="axis" x="{:.1}" y="{:.1}" text-anchor="end">{} {}</text>"#,
            y0 - 3.0,
            esc(p.title),
            LEFT - 4.0,
            y0 + PANEL,
            fmt_num(p.min),
            LEFT - 4.0,
            y0 + 9.0,
            fmt_num(p.max),
            esc(p.unit),
        );
        let mut legend_x = WIDTH - RIGHT;
        for (name, class, points) in p.series.iter().rev() {
            legend_x -= 8.0 * name.len() as f64 + 24.0;
            let _ = write!(
                s,
                r#"<text class="legend {class}" x="{legend_x:.1}" y="{:.1}">― {}</text>"#,
                y0 - 3.0,
                esc(name)
            );
            if points.is_empty() {
                continue;
            }
            let path: Vec<String> = points
                .iter()
                .map(|(t, v)| format!("{:.1},{:.1}", x(*t), y(*v)))
                .collect();
            let _ = write!(
                s,
                r#"<polyline class="series {class}" data-series="{}" points="{}"/>"#,
                esc(name),
                path.join(" ")
            );
        }
        s.push_str("</g>");
    }
    // Signaling: one tick per message, under the plots.
    let ty = plots_bottom + 8.0;
    let _ = write!(
        s,
        r#"<g class="signaling"><text class="axis" x="{:.1}" y="{:.1}" text-anchor="end">signaling</text>"#,
        LEFT - 4.0,
        ty + 12.0
    );
    for m in &r.messages {
        let label = match (&m.method, m.status, &m.why) {
            (Some(method), _, _) => format!("{method} {}", m.operation),
            (None, Some(st), _) => format!("{} → {st}", m.operation),
            (None, None, Some(why)) => format!("{} ({why})", m.operation),
            _ => m.operation.clone(),
        };
        let _ = write!(
            s,
            r#"<line class="tick {}" data-t-ms="{}" x1="{:.1}" x2="{:.1}" y1="{ty:.1}" y2="{:.1}"><title>{:.3} s {}: {}</title></line>"#,
            esc(&m.kind),
            m.t_ms,
            x(m.t_ms),
            x(m.t_ms),
            ty + TICKS - 10.0,
            m.t_ms as f64 / 1000.0,
            esc(&m.kind),
            esc(&label)
        );
    }
    s.push_str("</g>");
    // The time axis, in seconds.
    let step = nice_step(total as f64 / 1000.0 / 10.0);
    let mut t = 0.0;
    let ay = ty + TICKS + 6.0;
    while t * 1000.0 <= total as f64 {
        let _ = write!(
            s,
            r#"<text class="axis" x="{:.1}" y="{ay:.1}" text-anchor="middle">{} s</text>"#,
            x((t * 1000.0) as u64),
            fmt_num(t)
        );
        t += step;
    }
    s.push_str("</svg>");
    s
}

/// A rate over the interval before each sample, drawn flat across that interval: a hold
/// shows as the step it is, not a slope between two seconds.
fn steps(secs: &[&crate::model::Second], rate: impl Fn(&crate::model::Second) -> f64) -> Vec<(u64, f64)> {
    let mut out = Vec::with_capacity(secs.len() * 2);
    let mut from = None;
    for s in secs {
        let v = rate(s);
        out.push((from.unwrap_or(s.t_ms.saturating_sub(1000)), v));
        out.push((s.t_ms, v));
        from = Some(s.t_ms);
    }
    out
}

/// At most one point (the loudest) per two pixels: an hour of 100 ms levels is 36 000.
fn thin(points: impl Iterator<Item = (u64, f64)>, total: u64) -> Vec<(u64, f64)> {
    let bucket = (total / 450).max(1);
    let mut out: Vec<(u64, f64)> = Vec::new();
    for (t, v) in points {
        match out.last_mut() {
            Some(last) if last.0 / bucket == t / bucket => last.1 = last.1.max(v),
            _ => out.push((t, v)),
        }
    }
    out
}

fn nice_step(raw: f64) -> f64 {
    [
        0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0,
    ]
    .into_iter()
    .find(|s| *s >= raw)
    .unwrap_or(7200.0)
}

fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}
