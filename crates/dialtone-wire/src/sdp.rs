//! The little SDP reading the engine needs on top of the stack: media sections, codecs,
//! directions, and the workaround for rejected sections (webrtc-rs/rtc#66).

use crate::codec::CodecName;
use dialtone_call::Direction;

/// One `m=` section, as far as we need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaSection {
    pub kind: String,
    pub port: u16,
    pub formats: Vec<String>,
    /// (payload type, encoding name, clock rate)
    pub rtpmaps: Vec<(u8, String, u32)>,
    pub direction: Option<Direction>,
    pub mid: Option<String>,
}

impl MediaSection {
    /// Codecs we support that this section offers, in the section's preference order.
    pub fn common_codecs(&self, ours: &[CodecName]) -> Vec<(CodecName, u8)> {
        self.formats
            .iter()
            .filter_map(|f| f.parse::<u8>().ok())
            .filter_map(|pt| {
                let codec = match self.rtpmaps.iter().find(|(p, _, _)| *p == pt) {
                    Some((_, name, rate)) => {
                        CodecName::from_encoding_name(name).filter(|c| c.clock_rate() == *rate)
                    }
                    // Static payload types may come without rtpmap (RFC 3551).
                    None => match pt {
                        0 => Some(CodecName::Pcmu),
                        8 => Some(CodecName::Pcma),
                        _ => None,
                    },
                }?;
                ours.contains(&codec).then_some((codec, pt))
            })
            .collect()
    }

    /// The telephone-event payload type at `clock_rate`, if offered.
    pub fn telephone_event(&self, clock_rate: u32) -> Option<u8> {
        self.rtpmaps
            .iter()
            .find(|(_, name, rate)| name.eq_ignore_ascii_case("telephone-event") && *rate == clock_rate)
            .map(|(pt, _, _)| *pt)
    }

    /// All telephone-event payload types with their clock rates.
    pub fn telephone_events(&self) -> Vec<(u8, u32)> {
        self.rtpmaps
            .iter()
            .filter(|(_, name, _)| name.eq_ignore_ascii_case("telephone-event"))
            .map(|(pt, _, rate)| (*pt, *rate))
            .collect()
    }

    /// Names of the formats offered, for error messages.
    pub fn format_names(&self) -> Vec<String> {
        self.rtpmaps.iter().map(|(_, n, r)| format!("{n}/{r}")).collect()
    }

    pub fn effective_direction(&self, session_level: Option<Direction>) -> Direction {
        if self.port == 0 {
            return Direction::Inactive;
        }
        self.direction.or(session_level).unwrap_or(Direction::SendRecv)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedSdp {
    pub session_direction: Option<Direction>,
    pub sections: Vec<MediaSection>,
}

impl ParsedSdp {
    pub fn audio(&self) -> Option<&MediaSection> {
        self.sections.iter().find(|s| s.kind == "audio" && s.port != 0)
    }

    pub fn audio_direction(&self) -> Option<Direction> {
        self.audio()
            .map(|a| a.effective_direction(self.session_direction))
    }
}

/// The largest SDP we read. A browser's offer with a dozen candidates is under 8 KiB;
/// a far end sending megabytes is not negotiating.
pub const MAX_SDP_BYTES: usize = 64 * 1024;
/// The most media sections (`m=` lines) we read: an audio call needs one; the others are
/// rejected one by one, so each costs work.
pub const MAX_MEDIA_SECTIONS: usize = 32;

/// Parses the parts of an SDP we read. The stack validates the rest.
pub fn parse(sdp: &str) -> Result<ParsedSdp, String> {
    if sdp.len() > MAX_SDP_BYTES {
        return Err(format!(
            "it is {} bytes; an SDP Dialtone reads is at most {} KiB",
            sdp.len(),
            MAX_SDP_BYTES / 1024
        ));
    }
    if !sdp.trim_start().starts_with("v=0") {
        return Err("it does not start with v=0".into());
    }
    let sections = sdp.lines().filter(|l| l.starts_with("m=")).count();
    if sections > MAX_MEDIA_SECTIONS {
        return Err(format!(
            "it has {sections} media sections; Dialtone reads at most {MAX_MEDIA_SECTIONS}"
        ));
    }
    let mut out = ParsedSdp {
        session_direction: None,
        sections: Vec::new(),
    };
    for line in sdp.lines().map(str::trim_end) {
        if let Some(m) = line.strip_prefix("m=") {
            let mut parts = m.split_whitespace();
            let kind = parts.next().ok_or("an m= line has no media type")?.to_owned();
            let port_field = parts.next().ok_or("an m= line has no port")?;
            let port = port_field
                .split('/')
                .next()
                .and_then(|p| p.parse::<u16>().ok())
                .ok_or_else(|| format!("bad port '{port_field}' in m= line"))?;
            let _proto = parts.next().ok_or("an m= line has no transport")?;
            out.sections.push(MediaSection {
                kind,
                port,
                formats: parts.map(str::to_owned).collect(),
                rtpmaps: Vec::new(),
                direction: None,
                mid: None,
            });
            continue;
        }
        let Some(attr) = line.strip_prefix("a=") else {
            continue;
        };
        let dir = Direction::from_sdp(attr);
        match out.sections.last_mut() {
            None => {
                if dir.is_some() {
                    out.session_direction = dir;
                }
            }
            Some(section) => {
                if dir.is_some() {
                    section.direction = dir;
                } else if let Some(mid) = attr.strip_prefix("mid:") {
                    section.mid = Some(mid.to_owned());
                } else if let Some(map) = attr.strip_prefix("rtpmap:") {
                    section.rtpmaps.push(parse_rtpmap(map)?);
                }
            }
        }
    }
    Ok(out)
}

fn parse_rtpmap(map: &str) -> Result<(u8, String, u32), String> {
    let bad = || format!("bad a=rtpmap:{map}");
    let (pt, rest) = map.split_once(' ').ok_or_else(bad)?;
    let pt = pt.parse::<u8>().map_err(|_| bad())?;
    let mut enc = rest.trim().split('/');
    let name = enc.next().filter(|n| !n.is_empty()).ok_or_else(bad)?.to_owned();
    let rate = enc.next().and_then(|r| r.parse::<u32>().ok()).ok_or_else(bad)?;
    Ok((pt, name, rate))
}

/// Our DTLS role, as `a=setup` states it (RFC 5763 §5): `active` (client) or `passive`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DtlsRole {
    Active,
    Passive,
}

impl DtlsRole {
    /// The role an `a=setup` value gives its writer (`actpass` decides nothing yet).
    pub fn of(sdp: &str) -> Option<DtlsRole> {
        sdp.lines()
            .find_map(|l| l.trim_end().strip_prefix("a=setup:"))
            .and_then(|v| match v {
                "active" => Some(DtlsRole::Active),
                "passive" => Some(DtlsRole::Passive),
                _ => None,
            })
    }

    pub fn other(self) -> DtlsRole {
        match self {
            DtlsRole::Active => DtlsRole::Passive,
            DtlsRole::Passive => DtlsRole::Active,
        }
    }

    fn as_sdp(self) -> &'static str {
        match self {
            DtlsRole::Active => "a=setup:active",
            DtlsRole::Passive => "a=setup:passive",
        }
    }

    /// `sdp` with every `a=setup` line stating this role.
    pub fn written_into(self, sdp: &str) -> String {
        let crlf = sdp.contains("\r\n");
        let mut out = String::with_capacity(sdp.len());
        for line in sdp.lines() {
            out.push_str(if line.trim_end().starts_with("a=setup:") {
                self.as_sdp()
            } else {
                line
            });
            out.push_str(if crlf { "\r\n" } else { "\n" });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFER: &str = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
        m=video 0 RTP/AVP 96\r\n\
        m=audio 9 UDP/TLS/RTP/SAVPF 111 0 101\r\na=mid:0\r\na=rtpmap:111 opus/48000/2\r\n\
        a=rtpmap:101 telephone-event/48000\r\na=sendonly\r\n";

    #[test]
    fn reads_sections_codecs_and_direction() {
        let p = parse(OFFER).expect("parse");
        assert_eq!(p.sections.len(), 2);
        let a = p.audio().expect("audio");
        assert_eq!(
            a.common_codecs(&[CodecName::Pcmu, CodecName::Opus]),
            [(CodecName::Opus, 111), (CodecName::Pcmu, 0)]
        );
        assert_eq!(a.telephone_event(48_000), Some(101));
        assert_eq!(a.telephone_event(8_000), None);
        assert_eq!(p.audio_direction(), Some(Direction::SendOnly));
    }

    #[test]
    fn amr_wb_only_has_no_common_codec() {
        let sdp = "v=0\r\ns=-\r\nm=audio 49170 RTP/SAVPF 96 97\r\na=rtpmap:96 AMR-WB/16000\r\na=rtpmap:97 telephone-event/16000\r\n";
        let p = parse(sdp).expect("parse");
        assert!(
            p.audio()
                .expect("audio")
                .common_codecs(&[CodecName::Opus, CodecName::Pcmu, CodecName::Pcma])
                .is_empty()
        );
    }

    #[test]
    fn the_dtls_role_is_read_and_written() {
        let answer = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=setup:active\r\n";
        assert_eq!(DtlsRole::of(answer), Some(DtlsRole::Active));
        assert_eq!(DtlsRole::of("v=0\r\na=setup:actpass\r\n"), None);
        let kept = DtlsRole::Passive.written_into(answer);
        assert_eq!(
            kept,
            "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=setup:passive\r\n"
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(parse("hello").is_err());
        assert!(parse("v=0\r\nm=audio x RTP/AVP 0\r\n").is_err());
        assert!(parse("v=0\r\nm=audio 9 RTP/AVP 0\r\na=rtpmap:zz opus/48000\r\n").is_err());
        assert!(parse("v=0\r\nm=\r\n").is_err());
    }
}

/// Splits an SDP into its session part and its media sections (each with its lines).
fn split_sections(sdp: &str) -> (Vec<&str>, Vec<Vec<&str>>) {
    let mut session = Vec::new();
    let mut sections: Vec<Vec<&str>> = Vec::new();
    for line in sdp.lines().map(str::trim_end).filter(|l| !l.is_empty()) {
        if line.starts_with("m=") {
            sections.push(vec![line]);
        } else if let Some(s) = sections.last_mut() {
            s.push(line);
        } else {
            session.push(line);
        }
    }
    (session, sections)
}

fn join(session: &[&str], sections: &[Vec<&str>]) -> String {
    let mut out = String::new();
    for l in session.iter().chain(sections.iter().flatten()) {
        out.push_str(l);
        out.push_str("\r\n");
    }
    out
}

fn is_direction_attribute(line: &str) -> bool {
    line.strip_prefix("a=")
        .is_some_and(|a| Direction::from_sdp(a).is_some())
}

fn is_rejected(section: &[&str]) -> bool {
    section
        .first()
        .and_then(|m| m.split_whitespace().nth(1))
        .is_some_and(|port| port.split('/').next() == Some("0"))
}

/// A rejected (port 0) section of the far end's SDP, kept so that what we send lists
/// it at the same index (RFC 3264 §6, §8: m-lines are never removed or reordered).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedSection {
    pub index: usize,
    pub m_line: String,
    pub mid: Option<String>,
}

impl RejectedSection {
    fn lines(&self) -> Vec<String> {
        let mut l = vec![self.m_line.clone(), "c=IN IP4 0.0.0.0".to_owned()];
        if let Some(mid) = &self.mid {
            l.push(format!("a=mid:{mid}"));
        }
        l.push("a=inactive".to_owned());
        l
    }
}

/// Prepares the far end's SDP for the stack: telephone-event's clock rate spelt out in
/// its fmtp (`telephone_event::mark_rates`), rejected sections removed (the stack
/// cannot parse them without a mid and rtpmap, and drops them from answers: rtc#66),
/// and, when `neutral_direction`, the audio direction replaced by `sendrecv` (its
/// answerer logic mis-answers re-offers and stops the transceiver on `inactive`; we
/// compute the direction ourselves). Returns the SDP and the sections removed.
pub fn for_stack(sdp: &str, neutral_direction: bool) -> (String, Vec<RejectedSection>) {
    let sdp = crate::telephone_event::mark_rates(sdp);
    let (mut session, sections) = split_sections(&sdp);
    let mut kept = Vec::new();
    let mut rejected = Vec::new();
    for (index, s) in sections.into_iter().enumerate() {
        if is_rejected(&s) {
            let mid = s.iter().find_map(|l| l.strip_prefix("a=mid:")).map(str::to_owned);
            rejected.push(RejectedSection {
                index,
                m_line: s[0].to_owned(),
                mid,
            });
            continue;
        }
        kept.push(s);
    }
    if neutral_direction {
        session.retain(|l| !is_direction_attribute(l));
        for s in kept.iter_mut().filter(|s| s[0].starts_with("m=audio")) {
            s.retain(|l| !is_direction_attribute(l));
            s.push("a=sendrecv");
        }
    }
    (join(&session, &kept), rejected)
}

/// Puts rejected sections back at their original indexes in an SDP we send.
pub fn with_rejected(sdp: &str, rejected: &[RejectedSection]) -> String {
    if rejected.is_empty() {
        return sdp.to_owned();
    }
    let (session, sections) = split_sections(sdp);
    let extra: Vec<Vec<String>> = rejected.iter().map(RejectedSection::lines).collect();
    let mut ours = sections.into_iter();
    let mut merged: Vec<Vec<&str>> = Vec::new();
    let total = rejected.len() + ours.len();
    for i in 0..total {
        match rejected.iter().position(|r| r.index == i) {
            Some(k) => merged.push(extra[k].iter().map(String::as_str).collect()),
            None => {
                if let Some(s) = ours.next() {
                    merged.push(s);
                }
            }
        }
    }
    merged.extend(ours);
    join(&session, &merged)
}

/// What an SDP of ours says on the wire about where media goes: with vanilla ICE every
/// candidate is known, so each section's `m=` port and `c=` address name its first
/// component-1 candidate (RFC 8839 §4.2.1.3: the default candidate; gateways without ICE
/// send there), not the trickle placeholder `9` / `0.0.0.0`; and with `a=rtcp-mux` the stack's
/// component-2 candidates (the same socket) are left out.
pub fn with_default_candidates(sdp: &str) -> String {
    let (session, sections) = split_sections(sdp);
    let mut out: Vec<Vec<String>> = Vec::with_capacity(sections.len());
    for section in sections {
        let muxed = section.contains(&"a=rtcp-mux");
        let default = section.iter().find_map(|l| {
            let c = l.strip_prefix("a=candidate:")?;
            let f: Vec<&str> = c.split_whitespace().collect();
            (f.get(1) == Some(&"1")).then(|| (f.get(4).copied(), f.get(5).copied()))
        });
        let mut lines = Vec::with_capacity(section.len());
        for l in section {
            if muxed
                && l.strip_prefix("a=candidate:")
                    .is_some_and(|c| c.split_whitespace().nth(1) == Some("2"))
            {
                continue;
            }
            let replaced = match default {
                Some((Some(_), Some(port))) if !is_rejected(&[l]) && l.starts_with("m=") => {
                    let mut f: Vec<&str> = l.split(' ').collect();
                    if f.len() > 1 {
                        f[1] = port;
                    }
                    Some(f.join(" "))
                }
                Some((Some(addr), Some(_))) if l.starts_with("c=IN ") => {
                    let family = if addr.contains(':') { "IP6" } else { "IP4" };
                    Some(format!("c=IN {family} {addr}"))
                }
                _ => None,
            };
            lines.push(replaced.unwrap_or_else(|| l.to_owned()));
        }
        out.push(lines);
    }
    let mut text = String::with_capacity(sdp.len());
    for l in session
        .iter()
        .map(|l| l.to_string())
        .chain(out.into_iter().flatten())
    {
        text.push_str(&l);
        text.push_str("\r\n");
    }
    text
}

#[cfg(test)]
mod rejected_tests {
    use super::*;

    const GATEWAY: &str = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=inactive\r\n\
        m=video 0 RTP/AVP 96\r\nc=IN IP4 0.0.0.0\r\n\
        m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=rtpmap:111 opus/48000/2\r\na=inactive\r\n";

    #[test]
    fn rejected_sections_are_hidden_from_the_stack_and_restored_in_order() {
        let (stack, rejected) = for_stack(GATEWAY, true);
        let p = parse(&stack).expect("parse");
        assert_eq!(p.sections.len(), 1);
        assert_eq!(p.session_direction, None);
        assert_eq!(p.sections[0].direction, Some(Direction::SendRecv));
        assert_eq!(
            rejected,
            [RejectedSection {
                index: 0,
                m_line: "m=video 0 RTP/AVP 96".into(),
                mid: None
            }]
        );
        let restored = parse(&with_rejected(&stack, &rejected)).expect("parse");
        let kinds: Vec<(&str, u16)> = restored
            .sections
            .iter()
            .map(|s| (s.kind.as_str(), s.port))
            .collect();
        assert_eq!(kinds, [("video", 0), ("audio", 9)]);
    }

    #[test]
    fn our_sdp_names_its_default_candidate_and_no_rtcp_component() {
        let stack = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n\
            m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=rtcp-mux\r\n\
            a=candidate:1 1 udp 2130706431 127.0.0.1 59512 typ host\r\n\
            a=candidate:1 2 udp 2130706431 127.0.0.1 59512 typ host\r\na=end-of-candidates\r\n";
        let ours = with_default_candidates(stack);
        assert!(
            ours.contains("m=audio 59512 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 127.0.0.1\r\n"),
            "{ours}"
        );
        assert!(!ours.contains(" 2 udp "), "{ours}");
        assert!(ours.starts_with("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n"), "{ours}");
        // No candidates (nothing gathered): left as it is.
        let bare = "v=0\r\nm=audio 9 RTP/AVP 0\r\nc=IN IP4 0.0.0.0\r\n";
        assert_eq!(with_default_candidates(bare), bare);
    }
}
