//! RFC 4733 telephone-event in the SDP we send, written by us.
//!
//! webrtc-rs 0.21 matches codecs by MIME type and fmtp and ignores the clock rate, and its
//! fmtp comparison finds `0-15` and `0-16` consistent (different keys, no conflict), so
//! telephone-event/8000 collapsed into /48000: every SDP carried two identical
//! `telephone-event/48000` lines, and G.711 calls had no DTMF (the stack sends only
//! payload types it negotiated, and it had negotiated the wrong ones). So:
//! - the stack sees a parameter of ours in every telephone-event fmtp, [`RATE_KEY`]`=<rate>`,
//!   in what we register and, by [`mark_rates`], in the far end's SDP: two rates now
//!   conflict, and each event matches the one at its own rate;
//! - in every SDP we send, the stack's telephone-event lines are replaced by ours: one per
//!   clock rate of the codecs offered (offer), or the far end's own for the rate of each
//!   codec answered, at its payload type (answer). The parameter never leaves.

use crate::codec::CodecName;
use crate::sdp::{self, MediaSection};

/// Payload types we offer for telephone-event (Chrome's numbers).
pub const TELEPHONE_EVENT_48K_PT: u8 = 110;
pub const TELEPHONE_EVENT_8K_PT: u8 = 126;

/// The fmtp parameter that tells the stack a telephone-event's clock rate.
pub const RATE_KEY: &str = "x-dialtone-rate";

/// The far end's SDP for the stack: each telephone-event's fmtp gets `RATE_KEY=<rate>`.
pub fn mark_rates(sdp_text: &str) -> String {
    rewrite_audio(sdp_text, |section, lines| {
        let events = section.telephone_events();
        if events.is_empty() {
            return lines;
        }
        let mut out = Vec::with_capacity(lines.len() + events.len());
        let mut with_fmtp = Vec::new();
        for l in lines {
            let event = l.strip_prefix("a=fmtp:").and_then(|rest| {
                let (pt, _) = rest.split_once(' ')?;
                let pt: u8 = pt.parse().ok()?;
                events.iter().find(|(p, _)| *p == pt).copied()
            });
            match event {
                Some((pt, rate)) => {
                    with_fmtp.push(pt);
                    out.push(format!("{l};{RATE_KEY}={rate}"));
                }
                None => out.push(l),
            }
        }
        for (pt, rate) in events.into_iter().filter(|(pt, _)| !with_fmtp.contains(pt)) {
            let at = out
                .iter()
                .position(|l| l.starts_with(&format!("a=rtpmap:{pt} ")))
                .map_or(out.len(), |i| i + 1);
            out.insert(at, format!("a=fmtp:{pt} {RATE_KEY}={rate}"));
        }
        out
    })
}

/// The events we offer at a clock rate (RFC 4733 §3.2: 0-15 are DTMF; 16 is flash).
fn events_for(clock_rate: u32) -> &'static str {
    if clock_rate == 8_000 { "0-15" } else { "0-16" }
}

/// Removes telephone-event payload types from every audio section.
fn strip(sdp_text: &str) -> String {
    rewrite_audio(sdp_text, |section, lines| {
        let events: Vec<String> = section
            .telephone_events()
            .into_iter()
            .map(|(pt, _)| pt.to_string())
            .collect();
        if events.is_empty() {
            return lines;
        }
        lines
            .into_iter()
            .filter_map(|l| {
                if l.starts_with("m=") {
                    return Some(without_formats(&l, &events));
                }
                let about_event = ["a=rtpmap:", "a=fmtp:", "a=rtcp-fb:"].iter().any(|p| {
                    l.strip_prefix(p)
                        .and_then(|rest| rest.split(' ').next())
                        .is_some_and(|pt| events.iter().any(|e| e == pt))
                });
                (!about_event).then_some(l)
            })
            .collect()
    })
}

/// Our offer's telephone-events: one per clock rate among the offered codecs.
pub fn add_to_offer(sdp_text: &str, ours: &[CodecName]) -> String {
    rewrite_audio(&strip(sdp_text), |section, lines| {
        let mut rates: Vec<u32> = section
            .common_codecs(ours)
            .iter()
            .map(|(c, _)| c.clock_rate())
            .collect();
        rates.dedup();
        let events: Vec<(u8, u32, &str)> = [(48_000, TELEPHONE_EVENT_48K_PT), (8_000, TELEPHONE_EVENT_8K_PT)]
            .into_iter()
            .filter(|(rate, _)| rates.contains(rate))
            .map(|(rate, pt)| (pt, rate, events_for(rate)))
            .collect();
        with_events(lines, &events)
    })
}

/// Our answer's telephone-events: the far end's whose clock rate matches a codec we
/// answered with, at the payload types and with the events the offer gave them.
pub fn add_to_answer(answer: &str, offer: &str, ours: &[CodecName]) -> String {
    let Some(offered) = sdp::parse(offer).ok().and_then(|p| p.audio().cloned()) else {
        return answer.to_owned();
    };
    let fmtps = fmtp_lines(offer);
    rewrite_audio(&strip(answer), |section, lines| {
        let rates: Vec<u32> = section
            .common_codecs(ours)
            .iter()
            .map(|(c, _)| c.clock_rate())
            .collect();
        let events: Vec<(u8, u32, &str)> = offered
            .telephone_events()
            .into_iter()
            .filter(|(_, rate)| rates.contains(rate))
            .map(|(pt, rate)| {
                let ev = fmtps
                    .iter()
                    .find(|(p, _)| *p == pt)
                    .map_or(events_for(rate), |(_, f)| f.as_str());
                (pt, rate, ev)
            })
            .collect();
        with_events(lines, &events)
    })
}

fn fmtp_lines(sdp_text: &str) -> Vec<(u8, String)> {
    sdp_text
        .lines()
        .filter_map(|l| l.trim_end().strip_prefix("a=fmtp:"))
        .filter_map(|rest| {
            let (pt, params) = rest.split_once(' ')?;
            Some((pt.parse().ok()?, params.trim().to_owned()))
        })
        .collect()
}

fn with_events(lines: Vec<String>, events: &[(u8, u32, &str)]) -> Vec<String> {
    if events.is_empty() {
        return lines;
    }
    let mut out = Vec::with_capacity(lines.len() + 2 * events.len());
    let mut added = false;
    let last_codec_line = lines
        .iter()
        .rposition(|l| l.starts_with("a=rtpmap:") || l.starts_with("a=fmtp:") || l.starts_with("a=rtcp-fb:"))
        .unwrap_or(lines.len().saturating_sub(1));
    for (i, l) in lines.into_iter().enumerate() {
        if l.starts_with("m=") {
            let mut m = l;
            for (pt, _, _) in events {
                m.push(' ');
                m.push_str(&pt.to_string());
            }
            out.push(m);
        } else {
            out.push(l);
        }
        if i == last_codec_line && !added {
            for (pt, rate, ev) in events {
                out.push(format!("a=rtpmap:{pt} telephone-event/{rate}"));
                out.push(format!("a=fmtp:{pt} {ev}"));
            }
            added = true;
        }
    }
    out
}

fn without_formats(m_line: &str, drop: &[String]) -> String {
    let mut parts = m_line.split(' ');
    let head: Vec<&str> = parts.by_ref().take(3).collect();
    let kept: Vec<&str> = parts.filter(|f| !drop.iter().any(|d| d == f)).collect();
    let mut out = head.join(" ");
    for f in kept {
        out.push(' ');
        out.push_str(f);
    }
    out
}

/// Applies `f` to the lines of each active audio section; everything else stays as it is.
fn rewrite_audio(sdp_text: &str, mut f: impl FnMut(&MediaSection, Vec<String>) -> Vec<String>) -> String {
    let crlf = sdp_text.contains("\r\n");
    let mut blocks: Vec<Vec<String>> = vec![Vec::new()];
    for line in sdp_text.lines().map(str::trim_end).filter(|l| !l.is_empty()) {
        if line.starts_with("m=") {
            blocks.push(Vec::new());
        }
        if let Some(b) = blocks.last_mut() {
            b.push(line.to_owned());
        }
    }
    let mut out = String::with_capacity(sdp_text.len() + 128);
    for (i, block) in blocks.into_iter().enumerate() {
        let block = if i > 0
            && block
                .first()
                .is_some_and(|m| m.starts_with("m=audio ") && !m.starts_with("m=audio 0 "))
        {
            let text = format!("v=0\r\n{}\r\n", block.join("\r\n"));
            match sdp::parse(&text).ok().and_then(|p| p.sections.into_iter().next()) {
                Some(section) => f(&section, block),
                None => block,
            }
        } else {
            block
        };
        for l in block {
            out.push_str(&l);
            out.push_str(if crlf { "\r\n" } else { "\n" });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [CodecName; 3] = [CodecName::Opus, CodecName::Pcmu, CodecName::Pcma];

    fn stack_offer(formats: &str, maps: &str) -> String {
        format!(
            "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n\
             m=audio 9 UDP/TLS/RTP/SAVPF {formats}\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n{maps}a=sendrecv\r\n"
        )
    }

    #[test]
    fn an_offer_carries_telephone_event_at_each_codec_rate_with_distinct_types() {
        // What the stack writes: the 8 kHz event collapsed into a second /48000 line.
        let stack = stack_offer(
            "111 0 8 110 110",
            "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n\
             a=rtpmap:110 telephone-event/48000\r\na=fmtp:110 0-16\r\na=rtpmap:110 telephone-event/48000\r\na=fmtp:110 0-16\r\n",
        );
        let ours = add_to_offer(&stack, &ALL);
        let audio = sdp::parse(&ours).expect("parse").audio().cloned().expect("audio");
        assert_eq!(audio.formats, ["111", "0", "8", "110", "126"]);
        assert_eq!(audio.telephone_events(), [(110, 48_000), (126, 8_000)]);
        assert!(
            ours.contains("a=fmtp:110 0-16\r\n") && ours.contains("a=fmtp:126 0-15\r\n"),
            "{ours}"
        );
        assert!(ours.find("a=rtpmap:126").expect("126") < ours.find("a=sendrecv").expect("dir"));
        // Opus alone: only the 48 kHz event.
        let opus = add_to_offer(
            &stack_offer("111", "a=rtpmap:111 opus/48000/2\r\n"),
            &[CodecName::Opus],
        );
        let audio = sdp::parse(&opus).expect("parse").audio().cloned().expect("audio");
        assert_eq!(audio.telephone_events(), [(110, 48_000)]);
    }

    #[test]
    fn an_answer_keeps_the_offers_event_for_the_chosen_codec_at_its_payload_type() {
        // A G.711 gateway (or Chrome with PCMU first) offers both rates at its own types.
        let offer = stack_offer(
            "0 111 101 13",
            "a=rtpmap:0 PCMU/8000\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:101 telephone-event/8000\r\n\
             a=fmtp:101 0-15\r\na=rtpmap:13 telephone-event/48000\r\na=fmtp:13 0-15\r\n",
        );
        let stripped = strip(&offer);
        assert!(!stripped.contains("telephone-event"), "{stripped}");
        assert!(
            stripped.contains("m=audio 9 UDP/TLS/RTP/SAVPF 0 111\r\n"),
            "{stripped}"
        );
        let stack_answer = stack_offer("0", "a=rtpmap:0 PCMU/8000\r\n");
        let answer = add_to_answer(&stack_answer, &offer, &ALL);
        let audio = sdp::parse(&answer)
            .expect("parse")
            .audio()
            .cloned()
            .expect("audio");
        assert_eq!(audio.formats, ["0", "101"]);
        assert_eq!(audio.telephone_events(), [(101, 8_000)]);
        assert!(answer.contains("a=fmtp:101 0-15"), "{answer}");
    }

    #[test]
    fn the_far_ends_events_carry_their_rate_for_the_stack() {
        let offer = stack_offer(
            "0 101 13",
            "a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n\
             a=rtpmap:13 telephone-event/48000\r\n",
        );
        let marked = mark_rates(&offer);
        assert!(
            marked.contains("a=fmtp:101 0-15;x-dialtone-rate=8000\r\n"),
            "{marked}"
        );
        assert!(
            marked.contains("a=rtpmap:13 telephone-event/48000\r\na=fmtp:13 x-dialtone-rate=48000\r\n"),
            "{marked}"
        );
        // Our own SDP never carries the parameter.
        assert!(!add_to_answer(&marked, &offer, &ALL).contains(RATE_KEY));
        assert!(!add_to_offer(&marked, &ALL).contains(RATE_KEY));
    }

    #[test]
    fn sdp_without_audio_or_events_is_left_alone() {
        let video = "v=0\r\ns=-\r\nm=video 9 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n";
        assert_eq!(strip(video), video);
        assert_eq!(add_to_offer(video, &ALL), video);
        assert_eq!(add_to_answer("garbage", video, &ALL), "garbage");
    }
}
