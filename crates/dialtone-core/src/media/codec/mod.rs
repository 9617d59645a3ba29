//! Audio codecs behind two small traits, in the spirit of baresip's `aucodec` modules.
//!
//! The engine works at the codec's own clock rate (48 kHz for Opus, 8 kHz for G.711),
//! mono, 16-bit. Resampling to and from devices happens in the audio pipeline.

mod g711;
mod opus;
mod opus_ffi;

pub use g711::{G711, alaw_to_linear, linear_to_alaw, linear_to_ulaw, ulaw_to_linear};
pub use opus::{OpusCodec, library_version as opus_version};

pub use dialtone_wire::codec::{CodecName, UnknownCodec};

#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error(transparent)]
    Unknown(#[from] UnknownCodec),
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
