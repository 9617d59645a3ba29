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
    expected_loss: u8,
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
            expected_loss: 0,
            decoder: opus::Decoder::new(48_000, Channels::Mono).map_err(err)?,
            scratch: vec![0; MAX_FRAME],
        })
    }

    fn encoder(&mut self) -> Result<&mut opus::Encoder, CodecError> {
        if self.encoder.is_none() {
            let mut enc = opus::Encoder::new(48_000, Channels::Mono, Application::Voip).map_err(err)?;
            // FEC is only produced while the encoder expects loss, which starts at none
            // and then follows RTCP (`set_expected_loss`).
            enc.set_inband_fec(true).map_err(err)?;
            enc.set_packet_loss_perc(i32::from(self.expected_loss))
                .map_err(err)?;
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

    fn set_expected_loss(&mut self, percent: u8) {
        self.expected_loss = percent.min(100);
        if let Some(enc) = self.encoder.as_mut()
            && let Err(e) = enc.set_packet_loss_perc(i32::from(self.expected_loss))
        {
            tracing::warn!(error = %e, "cannot set the encoder's expected loss");
        }
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
        // Without LBRR data libopus answers a FEC decode with plain concealment: that is
        // not a recovered frame, and counting it as one would flatter the call.
        if !has_lbrr(next_payload) {
            return false;
        }
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

/// Whether an Opus packet carries in-band FEC (SILK LBRR) for the frame before it:
/// libopus's `opus_packet_has_lbrr` (1.5), which the system library may predate. The
/// LBRR flag follows the VAD flags at the top of the first frame's first byte.
pub fn has_lbrr(packet: &[u8]) -> bool {
    let Some(&toc) = packet.first() else {
        return false;
    };
    let config = toc >> 3;
    // CELT-only modes (configurations 16-31) have no LBRR.
    if config >= 16 {
        return false;
    }
    // SILK frames of 40 and 60 ms hold 2 and 3 20-ms SILK frames, each with a VAD flag.
    let silk_frames = if config < 12 {
        match config % 4 {
            2 => 2,
            3 => 3,
            _ => 1,
        }
    } else {
        1
    };
    let stereo = toc & 0x04 != 0;
    let first = match toc & 0x03 {
        // One frame, or two of equal size: the first starts right after the TOC.
        0 | 1 => packet.get(1),
        // Two frames, the first's size in one or two bytes.
        2 => match packet.get(1) {
            Some(&b) if b < 252 => packet.get(2),
            Some(_) => packet.get(3),
            None => None,
        },
        // Code 3 (any number of frames, padding): a frame-count byte, then sizes; not
        // produced for 20 ms voice by libopus or Chrome. Treated as no FEC.
        _ => None,
    };
    let Some(&byte) = first else {
        return false;
    };
    let mid = (byte >> (7 - silk_frames)) & 1 == 1;
    let side = stereo && (byte >> (6 - 2 * silk_frames)) & 1 == 1;
    mid || side
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Packets of a 440 Hz tone with the given expected loss.
    fn packets(expected_loss: u8, n: usize) -> Vec<Vec<u8>> {
        let mut c = OpusCodec::new().expect("codec");
        c.set_expected_loss(expected_loss);
        (0..n)
            .map(|f| {
                let pcm: Vec<i16> = (0..960)
                    .map(|i| {
                        let t = (f * 960 + i) as f64 / 48_000.0;
                        (8000.0 * (2.0 * std::f64::consts::PI * 440.0 * t).sin()) as i16
                    })
                    .collect();
                let mut out = Vec::new();
                c.encode(&pcm, &mut out).expect("encode");
                out
            })
            .collect()
    }

    #[test]
    fn fec_is_sent_only_when_loss_is_expected() {
        assert!(packets(0, 20).iter().all(|p| !has_lbrr(p)));
        assert!(packets(10, 20).iter().skip(2).any(|p| has_lbrr(p)));
    }

    #[test]
    fn a_packet_without_fec_recovers_nothing() {
        let clean = packets(0, 5);
        let mut c = OpusCodec::new().expect("codec");
        let mut out = Vec::new();
        assert!(!c.recover(&clean[4], 960, &mut out));
        let lossy = packets(10, 10);
        let with = lossy.iter().rfind(|p| has_lbrr(p)).expect("a packet with FEC");
        assert!(c.recover(with, 960, &mut out));
        assert_eq!(out.len(), 960);
    }

    #[test]
    fn malformed_packets_have_no_fec() {
        for p in [&[][..], &[0x08], &[0xfb, 0xff], &[0x0a, 0xff], &[0x0b, 3, 0xff]] {
            assert!(!has_lbrr(p), "{p:?}");
        }
    }
}
