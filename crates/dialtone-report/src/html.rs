//! The report as one HTML page: inline CSS and SVG, no script, nothing fetched (its CSP
//! says so), so it opens offline and can be attached to a ticket.

use crate::model::{CallReport, Message};
use std::fmt::Write;

const STYLE: &str = r#"
body { font: 14px/1.45 system-ui, sans-serif; margin: 1.5rem auto; max-width: 62rem; padding: 0 1rem; color: #1b1d22; background: #fff; }
h1 { font-size: 1.4rem; margin: 0 0 .2rem; } h2 { font-size: 1.1rem; margin: 1.6rem 0 .5rem; border-bottom: 1px solid #d8dbe2; }
table { border-collapse: collapse; } td, th { padding: .2rem .6rem; text-align: left; vertical-align: top; }
.facts th { color: #50555f; font-weight: 500; }
.verdicts li { list-style: none; margin: .2rem 0; } .verdicts { padding: 0; }
.pass::before { content: "✔ "; color: #11763a; } .fail::before { content: "✘ "; color: #b3261e; }
.fail { color: #b3261e; } .basis { color: #50555f; font-size: .85em; }
svg.timeline { max-width: 100%; height: auto; font-size: 11px; }
svg .frame { fill: none; stroke: #c4c8d0; } svg .title { font-weight: 600; fill: #1b1d22; } svg .axis { fill: #50555f; }
svg .hold.ours { fill: #f5b94a; fill-opacity: .28; } svg .hold.theirs { fill: #8a6fd1; fill-opacity: .22; }
svg .series { fill: none; stroke-width: 1.6; } svg .sent { stroke: #1f62d0; } svg .heard { stroke: #11763a; }
svg .rtt { stroke: #8a3ab9; } svg .jitter { stroke: #c25e00; } svg .loss { stroke: #b3261e; }
svg text.legend { stroke: none; } svg text.sent { fill: #1f62d0; } svg text.heard { fill: #11763a; } svg text.rtt { fill: #8a3ab9; } svg text.jitter { fill: #c25e00; } svg text.loss { fill: #b3261e; } svg .tick { stroke: #50555f; stroke-width: 2; } svg .tick.sdp { stroke: #1f62d0; } svg .tick.incoming { stroke: #11763a; }
.transcript td { border-top: 1px solid #eceef2; font-size: .9em; } .transcript .t { white-space: nowrap; color: #50555f; }
pre { margin: .2rem 0; padding: .4rem; background: #f5f6f8; overflow-x: auto; font-size: .85em; }
.diff .added { background: #dff3e4; } .diff .removed { background: #fbe3e1; text-decoration: line-through; }
.diff span { display: block; white-space: pre; }
.key { display: inline-block; width: .8em; height: .8em; margin: 0 .2em 0 .8em; vertical-align: -.05em; }
@media (prefers-color-scheme: dark) {
  body { background: #16181d; color: #e4e6eb; } .facts th, .basis, svg .axis, .transcript .t { color: #a7adb8; fill: #a7adb8; }
  svg .title { fill: #e4e6eb; } pre { background: #22252c; } .diff .added { background: #1e3a27; } .diff .removed { background: #45201d; }
}
"#;

/// Text made safe for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn secs(ms: u64) -> String {
    format!("{:.3} s", ms as f64 / 1000.0)
}

pub fn render(r: &CallReport) -> String {
    let f = &r.facts;
    let mut s = String::new();
    let title = format!("Dialtone call report: {}", f.remote);
    let _ = write!(
        s,
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="generator" content="dialtone {}"><title>{}</title><style>{STYLE}</style></head><body>"#,
        env!("CARGO_PKG_VERSION"),
        esc(&title)
    );
    let _ = write!(s, "<h1>{}</h1>", esc(&title));
    let row = |k: &str, v: &str| format!("<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(v));
    let dash = || "–".to_owned();
    s.push_str(r#"<table class="facts">"#);
    s.push_str(&row("Network", &format!("{} ({})", f.network, f.account)));
    s.push_str(&row(if f.outgoing { "Called" } else { "Caller" }, &f.remote));
    s.push_str(&row("Us", f.local.as_deref().unwrap_or("–")));
    s.push_str(&row("Codec", f.codec.as_deref().unwrap_or("none negotiated")));
    s.push_str(&row("Started", &f.started));
    s.push_str(&row("Setup", &f.setup_ms.map_or_else(dash, secs)));
    s.push_str(&row("Connected for", &f.connected_ms.map_or_else(dash, secs)));
    s.push_str(&row("Report covers", &secs(f.total_ms)));
    s.push_str(&row("Ended", f.end_reason.as_deref().unwrap_or("–")));
    s.push_str(&row(
        "Network impairment",
        f.impairment.as_deref().unwrap_or("none"),
    ));
    s.push_str("</table>");

    s.push_str("<h2>Verdicts</h2>");
    if r.verdicts.is_empty() {
        s.push_str("<p>No hold in this call: nothing to judge.</p>");
    } else {
        s.push_str(r#"<ul class="verdicts">"#);
        for v in &r.verdicts {
            let _ = write!(
                s,
                r#"<li class="verdict {}" data-what="{}" data-n="{}" data-at-ms="{}">{} <span class="basis">(at {}, judged from {})</span></li>"#,
                if v.pass { "pass" } else { "fail" },
                esc(&v.what),
                v.n,
                v.at_ms,
                esc(&v.text),
                secs(v.at_ms),
                esc(&v.basis)
            );
        }
        s.push_str("</ul>");
    }

    s.push_str("<h2>Timeline</h2>");
    s.push_str(r#"<p><span class="key" style="background:#1f62d0"></span>we send <span class="key" style="background:#11763a"></span>we hear <span class="key" style="background:#f5b94a"></span>on hold (ours) <span class="key" style="background:#8a6fd1"></span>held by the far end. Point at a tick for its message.</p>"#);
    s.push_str(&crate::svg::timeline(r));

    s.push_str("<h2>Signaling transcript</h2>");
    s.push_str(r#"<p>Every request, answer and message, and every SDP applied; credentials are redacted where they were captured.</p><table class="transcript"><tbody>"#);
    for m in &r.messages {
        transcript_row(&mut s, m);
    }
    s.push_str("</tbody></table></body></html>\n");
    s
}

fn transcript_row(s: &mut String, m: &Message) {
    let what = match m.kind.as_str() {
        "request" => format!(
            "→ {} {} {}",
            m.operation,
            m.method.as_deref().unwrap_or(""),
            m.url.as_deref().unwrap_or("")
        ),
        "response" => match (m.status, &m.error) {
            (_, Some(e)) => format!("← {}: no answer ({e})", m.operation),
            (Some(st), _) => format!("← {} {st}", m.operation),
            _ => format!("← {}", m.operation),
        },
        "incoming" => format!("⇠ {} (we answered {})", m.operation, m.status.unwrap_or(0)),
        "sdp" => format!(
            "SDP, call {}: {}{}",
            m.call.unwrap_or(0),
            m.operation,
            m.why.as_deref().map(|w| format!(" ({w})")).unwrap_or_default()
        ),
        "media" => format!("● call {}: {}", m.call.unwrap_or(0), m.operation),
        _ => m.operation.clone(),
    };
    let _ = write!(
        s,
        r#"<tr class="message {}" data-t-ms="{}"><td class="t">{}</td><td>{}"#,
        esc(&m.kind),
        m.t_ms,
        secs(m.t_ms),
        esc(&what)
    );
    match &m.diff {
        Some(diff) => {
            let changed = diff.iter().filter(|d| d.tag != "same").count();
            let _ = write!(s, r#"<div class="diff" data-changed="{changed}"><pre>"#);
            for d in diff {
                let _ = write!(s, r#"<span class="{}">{}</span>"#, esc(&d.tag), esc(&d.text));
            }
            s.push_str("</pre></div>");
        }
        None if !m.body.is_empty() => {
            let open = if m.kind == "sdp" { " open" } else { "" };
            let _ = write!(
                s,
                "<details{open}><summary>body</summary><pre>{}</pre></details>",
                esc(&m.body)
            );
        }
        None => {}
    }
    s.push_str("</td></tr>");
}
