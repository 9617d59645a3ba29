//! What a media session is built with: codecs, addresses, timings.

use super::codec::CodecName;
use super::jitter::JitterConfig;
use rtc::rtp_transceiver::rtp_sender::{RTCRtpCodec, RTCRtpCodecParameters};
use std::sync::Arc;
use std::time::Duration;
use webrtc::runtime::Runtime;

pub use dialtone_wire::telephone_event::{TELEPHONE_EVENT_8K_PT, TELEPHONE_EVENT_48K_PT};

#[derive(Clone)]
pub struct MediaConfig {
    /// Codecs in order of preference.
    pub codecs: Vec<CodecName>,
    /// Local UDP addresses to bind, e.g. `0.0.0.0:0`, or `127.0.0.1:0` to stay on loopback.
    pub bind_addrs: Vec<String>,
    /// STUN/TURN URLs.
    pub ice_servers: Vec<String>,
    /// Packet time of what we send.
    pub ptime: Duration,
    pub jitter: JitterConfig,
    pub dtmf_tone: Duration,
    pub dtmf_gap: Duration,
    /// How long to wait for ICE gathering before giving up on an offer or answer.
    pub gather_timeout: Duration,
    /// The async runtime that owns the sockets; tests pass one that wraps them.
    pub runtime: Option<Arc<dyn Runtime>>,
    /// Loss, delay and drops applied to every packet of the media sockets (`--impair`),
    /// changeable mid-call through the dial; used when `runtime` is not set.
    pub impairment: Option<super::impair::ImpairmentDial>,
    /// Where the call's packets are captured in the clear (`--pcap`); used when `runtime`
    /// is not set.
    pub capture: Option<super::capture::PacketCapture>,
    /// A call whose audio stops arriving for this long (while the far end should be
    /// sending) is ended with `MediaTimeout`.
    pub media_timeout: Duration,
}

impl std::fmt::Debug for MediaConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaConfig")
            .field("codecs", &self.codecs)
            .field("bind_addrs", &self.bind_addrs)
            .field("ptime", &self.ptime)
            .field("impairment", &self.impairment)
            .field("capture", &self.capture)
            .finish_non_exhaustive()
    }
}

impl Default for MediaConfig {
    fn default() -> Self {
        Self {
            codecs: vec![CodecName::Opus, CodecName::Pcmu, CodecName::Pcma],
            bind_addrs: vec!["0.0.0.0:0".into()],
            ice_servers: Vec::new(),
            ptime: Duration::from_millis(20),
            jitter: JitterConfig::default(),
            dtmf_tone: Duration::from_millis(100),
            dtmf_gap: Duration::from_millis(60),
            gather_timeout: Duration::from_secs(5),
            runtime: None,
            impairment: None,
            capture: None,
            media_timeout: Duration::from_secs(30),
        }
    }
}

impl MediaConfig {
    /// Binds and gathers on 127.0.0.1 only: the sandbox and tests.
    pub fn loopback() -> Self {
        Self {
            bind_addrs: vec!["127.0.0.1:0".into()],
            ..Self::default()
        }
    }

    pub fn with_codecs(mut self, codecs: &[CodecName]) -> Self {
        self.codecs = codecs.to_vec();
        self
    }

    pub(crate) fn is_loopback(&self) -> bool {
        self.bind_addrs
            .iter()
            .all(|a| a.starts_with("127.") || a.starts_with("[::1]"))
    }
}

pub(crate) fn codec_parameters(codec: CodecName) -> RTCRtpCodecParameters {
    RTCRtpCodecParameters {
        rtp_codec: RTCRtpCodec {
            mime_type: format!("audio/{}", codec.encoding_name()),
            clock_rate: codec.clock_rate(),
            channels: codec.sdp_channels(),
            sdp_fmtp_line: codec.fmtp().to_owned(),
            rtcp_feedback: vec![],
        },
        payload_type: codec.default_payload_type(),
    }
}

pub(crate) fn telephone_event_parameters(clock_rate: u32, payload_type: u8) -> RTCRtpCodecParameters {
    // The stack matches codecs by MIME type and fmtp, not by clock rate: a parameter of
    // our own carries the rate (the far end's lines get it too before the stack reads
    // them), and `telephone_event.rs` writes these lines of every SDP we send.
    let events = format!(
        "{};{}={clock_rate}",
        if clock_rate == 8_000 { "0-15" } else { "0-16" },
        super::telephone_event::RATE_KEY
    );
    RTCRtpCodecParameters {
        rtp_codec: RTCRtpCodec {
            mime_type: "audio/telephone-event".into(),
            clock_rate,
            channels: 0,
            sdp_fmtp_line: events,
            rtcp_feedback: vec![],
        },
        payload_type,
    }
}

/// Our codecs in preference order, then telephone-event at each of their clock rates.
pub(crate) fn codec_preferences(codecs: &[CodecName]) -> Vec<RTCRtpCodecParameters> {
    let mut out: Vec<RTCRtpCodecParameters> = codecs.iter().map(|&c| codec_parameters(c)).collect();
    for (rate, pt) in [(48_000, TELEPHONE_EVENT_48K_PT), (8_000, TELEPHONE_EVENT_8K_PT)] {
        if codecs.iter().any(|c| c.clock_rate() == rate) {
            out.push(telephone_event_parameters(rate, pt));
        }
    }
    out
}
