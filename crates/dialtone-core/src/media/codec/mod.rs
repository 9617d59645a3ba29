//! Audio codecs behind two small traits, in the spirit of baresip's `aucodec` modules.
//!
//! The engine works at the codec's own clock rate (48 kHz for Opus, 8 kHz for G.711),
//! mono, 16-bit. Resampling to and from devices happens in the audio pipeline.

mod g711;
mod opus;
mod opus_ffi;

pub use g711::{G711, alaw_to_linear, linear_to_alaw, linear_to_ulaw, ulaw_to_linear};
pub use opus::{OpusCodec, library_version as opus_version};

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
    pub fn parse(name: &str) -> Result<Self, CodecError> {
        match name.to_ascii_lowercase().as_str() {
            "opus" => Ok(CodecName::Opus),
            "pcmu" | "g711u" | "ulaw" => Ok(CodecName::Pcmu),
            "pcma" | "g711a" | "alaw" => Ok(CodecName::Pcma),
            other => Err(CodecError::Unknown(other.to_owned())),
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

#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("unknown codec '{0}': use opus, pcmu or pcma")]
    Unknown(String),
    #[error("opus: {0}")]
    Opus(String),
}

/// Turns one frame of PCM into one RTP payload.
pub trait Encoder: Send {
    fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) -> Result<(), CodecError>;
    /// The loss the far end reports, in percent, so a codec with FEC can spend bits on
    /// it (`loss_adapt.rs`). Codecs without FEC ignore it.
    fn set_expected_loss(&mut self, _percent: u8) {}
}

/// Turns RTP payloads back into PCM, and invents audio for frames that never came.
pub trait Decoder: Send {
    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<(), CodecError>;
    /// Fills `samples` of concealment for a lost frame.
    fn conceal(&mut self, samples: usize, out: &mut Vec<i16>);
    /// Recovers a lost frame from the FEC data in the packet that follows it.
    /// Returns false when the codec has no FEC; `out` then holds nothing useful.
    fn recover(&mut self, _next_payload: &[u8], _samples: usize, _out: &mut Vec<i16>) -> bool {
        false
    }
}

pub fn new_encoder(codec: CodecName) -> Result<Box<dyn Encoder>, CodecError> {
    Ok(match codec {
        CodecName::Opus => Box::new(OpusCodec::new()?),
        law => Box::new(G711::new(law)),
    })
}

pub fn new_decoder(codec: CodecName) -> Result<Box<dyn Decoder>, CodecError> {
    Ok(match codec {
        CodecName::Opus => Box::new(OpusCodec::new()?),
        law => Box::new(G711::new(law)),
    })
}
