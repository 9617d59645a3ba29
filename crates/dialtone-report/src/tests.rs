use super::*;
use dialtone_call::{CallEvent, Quality};
use std::time::{Duration, Instant};

fn state(name: &str) -> CallEvent {
    CallEvent::State {
        state: name.into(),
        reason: None,
        active: true,
        established: true,
        allowed: Default::default(),
    }
}

fn media(sent: u64, received: u64) -> CallEvent {
    CallEvent::Media {
        direction: None,
        rtp_sent: sent,
        rtp_received: received,
        codec: Some("opus".into()),
    }
}

fn stats() -> CallEvent {
    CallEvent::Stats {
        rtt_ms: Some(40.0),
        jitter_ms: 3.0,
        loss_pct: 0.0,
        codec: Some("opus".into()),
        jitter_buffer_ms: 40.0,
        fec_pct: 0,
        quality: Quality {
            mos: 4.3,
            warnings: vec![],
            advice: vec![],
        },
    }
}

fn sdp(t: u64, what: &str, why: &str, direction: &str) -> Message {
    Message {
        t_ms: t,
        kind: "sdp".into(),
        operation: what.into(),
        call: Some(1),
        why: Some(why.into()),
        body: format!("v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na={direction}\r\n"),
        ..Default::default()
    }
}

/// A 12 s call held twice (3–5 s, 7–9 s); the far end stops receiving us `stop_ms` after
/// each hold asks (never, with None) and both ways flow again 300 ms after each resume.
fn two_holds(stop_ms: Option<u64>) -> CallReport {
    let t0 = Instant::now();
    let at = |ms: u64| t0 + Duration::from_millis(ms);
    let mut c = Collector::new(t0);
    let held = |t: u64| (3000..5000).contains(&t) || (7000..9000).contains(&t);
    let holds_start = [3000, 7000];
    c.event(at(100), 1, &state("Dialing"));
    c.event(at(600), 1, &state("Connected"));
    let (mut sent, mut recv) = (0, 0);
    let (mut far_rx, mut far_tx) = (0, 0);
    for t in (600..=12_000).step_by(100) {
        let stopping = holds_start
            .iter()
            .any(|h| t >= *h && stop_ms.is_none_or(|s| t < h + s));
        let resumed_late = [5000, 9000].iter().any(|r| t >= *r && t < r + 300);
        let sending = !held(t) && !resumed_late || (held(t) && stopping);
        if sending {
            sent += 5;
            far_rx += 5;
        }
        if !resumed_late {
            recv += 5;
            far_tx += 5;
        }
        c.far_end(at(t), far_rx, far_tx);
        let heard = if resumed_late { -100.0 } else { -20.0 };
        c.levels(at(t), -18.0, heard);
        if t % 1000 == 0 {
            c.event(at(t), 1, &media(sent, recv));
            c.event(at(t), 1, &stats());
        }
        match t {
            3000 | 7000 => c.event(at(t), 1, &state("Holding")),
            3200 | 7200 => c.event(at(t), 1, &state("Held")),
            5000 | 9000 => c.event(at(t), 1, &state("Resuming")),
            5100 | 9100 => c.event(at(t), 1, &state("Connected")),
            _ => {}
        }
    }
    c.messages(
        vec![
            (at(2990), sdp(0, "local offer", "hold", "recvonly")),
            (at(500), sdp(0, "local offer", "call", "sendrecv")),
            (at(4990), sdp(0, "local offer", "resume", "sendrecv")),
        ],
        0,
    );
    c.event(at(12_000), 1, &state("Ended"));
    c.finish(
        at(12_100),
        Facts {
            network: "camara".into(),
            account: "sandbox".into(),
            remote: "+15550100".into(),
            outgoing: true,
            started: "2026-11-30T15:00:00Z".into(),
            ..Default::default()
        },
    )
}

#[test]
fn each_hold_and_resume_is_judged_from_what_the_far_end_counted() {
    let r = two_holds(Some(200));
    let got: Vec<_> = r
        .verdicts
        .iter()
        .map(|v| (v.what.as_str(), v.n, v.pass, v.within_ms))
        .collect();
    assert_eq!(
        got,
        [
            ("hold", 1, true, Some(200)),
            ("resume", 1, true, Some(300)),
            ("hold", 2, true, Some(200)),
            ("resume", 2, true, Some(300)),
        ],
        "{:#?}",
        r.verdicts
    );
    assert!(r.verdicts.iter().all(|v| v.basis == "far end"));
    assert_eq!(r.facts.setup_ms, Some(500));
    assert_eq!(r.facts.codec.as_deref(), Some("opus"));
    let spans: Vec<_> = r.holds.iter().map(|h| (h.start_ms, h.end_ms)).collect();
    assert_eq!(spans, [(3000, Some(5000)), (7000, Some(9000))]);
}

#[test]
fn audio_that_keeps_reaching_the_far_end_fails_the_hold() {
    let r = two_holds(None);
    let hold = &r.verdicts[0];
    assert!(!hold.pass, "{hold:?}");
    assert!(hold.text.contains("still reached the far end"), "{}", hold.text);
}

#[test]
fn without_the_far_end_our_counters_judge_to_the_second() {
    let mut r = two_holds(Some(200));
    r.far_end.clear();
    let v = verdict::judge(&r);
    assert!(v.iter().all(|v| v.basis == "our counters" && v.pass), "{v:#?}");
    // Held at 3 s, stopped at 3.2 s: the second 3–4 s still counts packets sent.
    assert_eq!(v[0].within_ms, Some(2000), "{v:#?}");
    assert!(v[0].text.contains("to the second"), "{}", v[0].text);
}

#[test]
fn each_reoffer_shows_what_changed_from_the_one_before() {
    let r = two_holds(Some(200));
    let sdps: Vec<_> = r.messages.iter().filter(|m| m.kind == "sdp").collect();
    assert_eq!(sdps.len(), 3);
    assert!(sdps[0].diff.is_none(), "the first offer has nothing before it");
    let changed: Vec<_> = sdps[1]
        .diff
        .as_ref()
        .expect("a diff")
        .iter()
        .filter(|d| d.tag != "same")
        .map(|d| format!("{} {}", d.tag, d.text))
        .collect();
    assert_eq!(changed, ["removed a=sendrecv", "added a=recvonly"]);
}

#[test]
fn the_page_stands_alone_with_holds_shaded_where_they_were() {
    let r = two_holds(Some(200));
    let html = r.render(Format::Html);
    assert!(html.starts_with("<!doctype html>"));
    assert!(!html.contains("<script"), "no scripts");
    for fetch in ["src=", "href=", "url(", "@import"] {
        assert!(!html.contains(fetch), "nothing is fetched: {fetch}");
    }
    assert_eq!(
        html.matches(r#"<rect class="hold ours" data-start-ms="3000" data-end-ms="5000""#)
            .count(),
        1
    );
    assert_eq!(
        html.matches(r#"<rect class="hold ours" data-start-ms="7000" data-end-ms="9000""#)
            .count(),
        1
    );
    assert_eq!(html.matches(r#"class="verdict pass""#).count(), 4);
    assert!(html.contains(r#"<span class="added">a=recvonly</span>"#));
    let back: CallReport = serde_json::from_str(&r.render(Format::Json)).expect("the JSON twin reads back");
    assert_eq!(back, r);
}

#[test]
fn text_from_the_network_cannot_break_out_of_the_page() {
    let mut r = two_holds(Some(200));
    r.messages.push(Message {
        kind: "incoming".into(),
        operation: "<script>alert(1)</script>".into(),
        body: "</pre><img src=x onerror=alert(1)>".into(),
        ..Default::default()
    });
    let html = r.render(Format::Html);
    assert!(!html.contains("<script>") && !html.contains("<img"), "escaped");
}

#[test]
fn the_tap_keeps_what_the_wire_target_says_and_nothing_else() {
    use tracing_subscriber::layer::SubscriberExt;
    let tap = WireTap::default();
    let subscriber = tracing_subscriber::registry().with(tap.layer("dialtone::wire"));
    tracing::subscriber::with_default(subscriber, || {
        let body = "{\"sdp\":\"v=0\"}";
        tracing::info!(target: "dialtone::wire", kind = "request", operation = "createSession", method = "POST", url = "http://127.0.0.1/x", body = %body);
        tracing::info!(target: "dialtone::wire", kind = "sdp", call = 2u32, operation = "local offer", why = "hold", body = %"v=0");
        tracing::info!(target: "other", kind = "request", operation = "not kept");
    });
    let (got, dropped) = tap.take();
    assert_eq!(dropped, 0);
    let got: Vec<_> = got.into_iter().map(|(_, m)| m).collect();
    assert_eq!(got.len(), 2, "{got:#?}");
    assert_eq!(got[0].operation, "createSession");
    assert_eq!(got[0].method.as_deref(), Some("POST"));
    assert_eq!(got[0].body, "{\"sdp\":\"v=0\"}");
    assert_eq!((got[1].call, got[1].why.as_deref()), (Some(2), Some("hold")));
}
