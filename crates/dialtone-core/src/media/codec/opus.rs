//! Opus through the `opus` crate, linked to the system libopus.

use super::{CodecError, Decoder, Encoder};
use opus::{Application, Bitrate, Channels};

/// Longest Opus frame we decode: 120 ms at 48 kHz.
const MAX_FRAME: usize = 5760;
const MAX_PACKET: usize = 1500;

/// One Opus encoder and decoder, mono at 48 kHz. The encoder is created lazily so a
/// receive-only use costs nothing.
pub struct OpusCodec {
    encoder: Option<opus::Encoder>,
    decoder: opus::Decoder,
    scratch: Vec<i16>,
}

fn err(e: opus::Error) -> CodecError {
    CodecError::Opus(e.to_string())
}

impl OpusCodec {
    pub fn new() -> Result<Self, CodecError> {
        Ok(Self {
            encoder: None,
            decoder: opus::Decoder::new(48_000, Channels::Mono).map_err(err)?,
            scratch: vec![0; MAX_FRAME],
        })
    }

    fn encoder(&mut self) -> Result<&mut opus::Encoder, CodecError> {
        if self.encoder.is_none() {
            let mut enc = opus::Encoder::new(48_000, Channels::Mono, Application::Voip).map_err(err)?;
            enc.set_inband_fec(true).map_err(err)?;
            // FEC is only produced when the encoder expects loss.
            enc.set_packet_loss_perc(10).map_err(err)?;
            enc.set_bitrate(Bitrate::Bits(32_000)).map_err(err)?;
            self.encoder = Some(enc);
        }
        self.encoder
            .as_mut()
            .ok_or_else(|| CodecError::Opus("encoder unavailable".into()))
    }
}

impl Encoder for OpusCodec {
    fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) -> Result<(), CodecError> {
        out.resize(MAX_PACKET, 0);
        let n = self.encoder()?.encode(pcm, out).map_err(err)?;
        out.truncate(n);
        Ok(())
    }
}

impl Decoder for OpusCodec {
    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<(), CodecError> {
        let n = self
            .decoder
            .decode(payload, &mut self.scratch, false)
            .map_err(err)?;
        out.clear();
        out.extend_from_slice(&self.scratch[..n]);
        Ok(())
    }

    fn conceal(&mut self, samples: usize, out: &mut Vec<i16>) {
        let samples = samples.min(MAX_FRAME);
        // An empty packet asks libopus for packet-loss concealment.
        let n = self
            .decoder
            .decode(&[], &mut self.scratch[..samples], false)
            .unwrap_or(0);
        out.clear();
        out.extend_from_slice(&self.scratch[..n]);
        out.resize(samples, 0);
    }

    fn recover(&mut self, next_payload: &[u8], samples: usize, out: &mut Vec<i16>) -> bool {
        let samples = samples.min(MAX_FRAME);
        match self
            .decoder
            .decode(next_payload, &mut self.scratch[..samples], true)
        {
            Ok(n) if n > 0 => {
                out.clear();
                out.extend_from_slice(&self.scratch[..n]);
                true
            }
            _ => false,
        }
    }
}
