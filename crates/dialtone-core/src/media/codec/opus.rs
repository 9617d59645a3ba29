//! Opus: libopus 1.6 built from source by `opusic-sys` (with its neural models), the
//! encoder through the `opus` crate and the decoder through `opus_ffi.rs`.
//! `docs/decisions.md` §17 says why not the system's 1.3.1.

use super::opus_ffi::{self, has_lbrr};
use super::{CodecError, Decoder, Encoder};
use opus::{Application, Bitrate, Channels};

/// Longest Opus frame we decode: 120 ms at 48 kHz.
const MAX_FRAME: usize = 5760;
const MAX_PACKET: usize = 1500;
/// Decoder complexity 5 turns on deep PLC: a lost frame is concealed by a small neural
/// network (about 0.3 ms of CPU per lost frame instead of 0.02 ms). 6 and up add OSCE
/// speech enhancement to every frame, tripling the cost of each decode for 0.04 PESQ
/// more under loss (`cargo bench --bench codec_loss`).
const DECODER_COMPLEXITY: i32 = 5;

/// One Opus encoder and decoder, mono at 48 kHz. The encoder is created lazily so a
/// receive-only use costs nothing.
pub struct OpusCodec {
    encoder: Option<opus::Encoder>,
    expected_loss: u8,
    decoder: opus_ffi::Decoder,
    scratch: Vec<i16>,
}

/// The libopus in use, as it names itself ("libopus 1.6.1").
pub fn library_version() -> &'static str {
    opus::version()
}

fn err(e: opus::Error) -> CodecError {
    CodecError::Opus(e.to_string())
}

impl OpusCodec {
    pub fn new() -> Result<Self, CodecError> {
        Ok(Self {
            encoder: None,
            expected_loss: 0,
            decoder: opus_ffi::Decoder::new(DECODER_COMPLEXITY)?,
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
        let n = self.decoder.decode(payload, &mut self.scratch, false)?;
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
    fn lost_frames_are_concealed_by_the_neural_plc() {
        let speech = packets(0, 10);
        let conceal = |complexity| {
            let mut d = opus_ffi::Decoder::new(complexity).expect("decoder");
            let mut pcm = vec![0; 960];
            for p in &speech {
                d.decode(p, &mut pcm, false).expect("decode");
            }
            d.decode(&[], &mut pcm, false).expect("conceal");
            pcm
        };
        // Built without the models (or at a complexity below 5) libopus 1.6 conceals
        // the classic way, exactly as at complexity 0.
        assert_ne!(conceal(0), conceal(DECODER_COMPLEXITY));
        assert!(opus::version().starts_with("libopus 1.6"), "{}", opus::version());
    }

    #[test]
    fn malformed_packets_have_no_fec() {
        for p in [&[][..], &[0x08], &[0xfb, 0xff], &[0x0a, 0xff], &[0x0b, 3, 0xff]] {
            assert!(!has_lbrr(p), "{p:?}");
        }
    }
}
