//! The audio codecs Dialtone negotiates, by name: what SDP and the settings call them. The
//! codecs themselves (Opus, G.711) are the engine's (`dialtone_core::media::codec`).

use std::fmt;

/// The audio codecs Dialtone negotiates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodecName {
    /// Opus/48000/2, sent mono with in-band FEC.
    Opus,
    /// G.711 µ-law.
    Pcmu,
    /// G.711 A-law.
    Pcma,
}

impl CodecName {
    /// Encoding name as written in `a=rtpmap` (compared case-insensitively).
    pub fn encoding_name(self) -> &'static str {
        match self {
            CodecName::Opus => "opus",
            CodecName::Pcmu => "PCMU",
            CodecName::Pcma => "PCMA",
        }
    }

    pub fn clock_rate(self) -> u32 {
        match self {
            CodecName::Opus => 48_000,
            CodecName::Pcmu | CodecName::Pcma => 8_000,
        }
    }

    /// Channel count advertised in SDP.
    pub fn sdp_channels(self) -> u16 {
        match self {
            CodecName::Opus => 2,
            CodecName::Pcmu | CodecName::Pcma => 0,
        }
    }

    /// Our payload type when we offer (static types for G.711, Chrome's 111 for Opus).
    pub fn default_payload_type(self) -> u8 {
        match self {
            CodecName::Opus => 111,
            CodecName::Pcmu => 0,
            CodecName::Pcma => 8,
        }
    }

    pub fn fmtp(self) -> &'static str {
        match self {
            CodecName::Opus => "minptime=10;useinbandfec=1",
            CodecName::Pcmu | CodecName::Pcma => "",
        }
    }

    /// Samples in one frame of `ptime_ms` at the codec rate.
    pub fn samples_per_frame(self, ptime_ms: u32) -> usize {
        (self.clock_rate() / 1000 * ptime_ms) as usize
    }

    /// Parses an `a=rtpmap` encoding name.
    pub fn from_encoding_name(name: &str) -> Option<Self> {
        [CodecName::Opus, CodecName::Pcmu, CodecName::Pcma]
            .into_iter()
            .find(|c| c.encoding_name().eq_ignore_ascii_case(name))
    }

    /// Parses a user-facing name such as `opus`, `pcmu`, `g711u`.
    pub fn parse(name: &str) -> Result<Self, UnknownCodec> {
        match name.to_ascii_lowercase().as_str() {
            "opus" => Ok(CodecName::Opus),
            "pcmu" | "g711u" | "ulaw" => Ok(CodecName::Pcmu),
            "pcma" | "g711a" | "alaw" => Ok(CodecName::Pcma),
            other => Err(UnknownCodec(other.to_owned())),
        }
    }

    /// Whether the decoder can recover a lost frame from the next packet.
    pub fn has_fec(self) -> bool {
        self == CodecName::Opus
    }
}

impl fmt::Display for CodecName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.encoding_name(), self.clock_rate())
    }
}

/// A codec name no one here speaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown codec '{0}': use opus, pcmu or pcma")]
pub struct UnknownCodec(pub String);
