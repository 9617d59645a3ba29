//! G.711 µ-law (PCMU) and A-law (PCMA), ITU-T G.711, with repeat-and-fade concealment.

use super::{CodecError, CodecName, Decoder, Encoder};

const BIAS: i32 = 0x84;
const CLIP: i32 = 32635;

/// Encodes one linear sample as µ-law.
pub fn linear_to_ulaw(sample: i16) -> u8 {
    let mut pcm = i32::from(sample);
    let sign = if pcm < 0 {
        pcm = -pcm;
        0x80
    } else {
        0
    };
    pcm = pcm.min(CLIP) + BIAS;
    let exponent = segment(pcm);
    let mantissa = (pcm >> (exponent + 3)) & 0x0F;
    !(sign | (exponent << 4) as u8 | mantissa as u8)
}

// The segment is the position of the highest set bit above bit 7.
fn segment(pcm: i32) -> i32 {
    let mut exp = 7;
    let mut mask = 0x4000;
    while exp > 0 && pcm & mask == 0 {
        exp -= 1;
        mask >>= 1;
    }
    exp
}

/// Decodes one µ-law byte to a linear sample.
pub fn ulaw_to_linear(byte: u8) -> i16 {
    let u = !byte;
    let sign = u & 0x80;
    let exponent = i32::from((u >> 4) & 0x07);
    let mantissa = i32::from(u & 0x0F);
    let magnitude = (((mantissa << 3) + BIAS) << exponent) - BIAS;
    (if sign != 0 { -magnitude } else { magnitude }) as i16
}

/// Encodes one linear sample as A-law.
pub fn linear_to_alaw(sample: i16) -> u8 {
    let mut pcm = i32::from(sample) >> 3; // 13-bit
    let mask = if pcm >= 0 {
        0xD5
    } else {
        pcm = -pcm - 1;
        0x55
    };
    let seg_ends = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF];
    let seg = seg_ends.iter().position(|&end| pcm <= end).unwrap_or(8) as i32;
    let aval = if seg >= 8 {
        0x7F
    } else {
        let shift = if seg < 2 { 1 } else { seg };
        (seg << 4) | ((pcm >> shift) & 0x0F)
    };
    (aval as u8) ^ mask
}

/// Decodes one A-law byte to a linear sample.
pub fn alaw_to_linear(byte: u8) -> i16 {
    let a = i32::from(byte ^ 0x55);
    let mut t = (a & 0x0F) << 4;
    let seg = (a & 0x70) >> 4;
    match seg {
        0 => t += 8,
        1 => t += 0x108,
        _ => {
            t += 0x108;
            t <<= seg - 1;
        }
    }
    (if a & 0x80 != 0 { t } else { -t }) as i16
}

/// Frames repeated before concealment falls silent.
const FADE_FRAMES: u32 = 5;

/// A G.711 encoder/decoder pair for one law; stateless apart from concealment.
pub struct G711 {
    law: CodecName,
    last_frame: Vec<i16>,
    concealed_in_row: u32,
}

impl G711 {
    pub fn new(law: CodecName) -> Self {
        Self {
            law,
            last_frame: Vec::new(),
            concealed_in_row: 0,
        }
    }
}

impl Encoder for G711 {
    fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) -> Result<(), CodecError> {
        out.clear();
        match self.law {
            CodecName::Pcmu => out.extend(pcm.iter().map(|&s| linear_to_ulaw(s))),
            _ => out.extend(pcm.iter().map(|&s| linear_to_alaw(s))),
        }
        Ok(())
    }
}

impl Decoder for G711 {
    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<(), CodecError> {
        out.clear();
        match self.law {
            CodecName::Pcmu => out.extend(payload.iter().map(|&b| ulaw_to_linear(b))),
            _ => out.extend(payload.iter().map(|&b| alaw_to_linear(b))),
        }
        self.last_frame.clone_from(out);
        self.concealed_in_row = 0;
        Ok(())
    }

    /// Repeat-and-fade: replays the last good frame at falling gain, then silence.
    fn conceal(&mut self, samples: usize, out: &mut Vec<i16>) {
        out.clear();
        self.concealed_in_row += 1;
        let gain = FADE_FRAMES.saturating_sub(self.concealed_in_row - 1) as f32 / FADE_FRAMES as f32;
        if self.last_frame.is_empty() || gain <= 0.0 {
            out.resize(samples, 0);
            return;
        }
        out.extend(
            self.last_frame
                .iter()
                .cycle()
                .take(samples)
                .map(|&s| (f32::from(s) * gain) as i16),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulaw_known_vectors() {
        assert_eq!(linear_to_ulaw(0), 0xFF);
        assert_eq!(linear_to_ulaw(-1), 0x7F);
        assert_eq!(linear_to_ulaw(32767), 0x80);
        assert_eq!(linear_to_ulaw(-32768), 0x00);
        assert_eq!(ulaw_to_linear(0xFF), 0);
        assert_eq!(ulaw_to_linear(0x80), 32124);
        assert_eq!(ulaw_to_linear(0x00), -32124);
    }

    #[test]
    fn alaw_known_vectors() {
        assert_eq!(linear_to_alaw(0), 0xD5);
        assert_eq!(linear_to_alaw(-1), 0x55);
        assert_eq!(alaw_to_linear(0xD5), 8);
        assert_eq!(alaw_to_linear(0x55), -8);
        assert_eq!(alaw_to_linear(0xAA), 32256);
        assert_eq!(alaw_to_linear(0x2A), -32256);
    }

    #[test]
    fn round_trip_error_is_within_one_quantisation_step() {
        for law in [CodecName::Pcmu, CodecName::Pcma] {
            for s in (-32768i32..32767).step_by(97) {
                let s = s as i16;
                let back = match law {
                    CodecName::Pcmu => ulaw_to_linear(linear_to_ulaw(s)),
                    _ => alaw_to_linear(linear_to_alaw(s)),
                };
                let err = (i32::from(back) - i32::from(s)).abs();
                // Logarithmic quantisation: the step grows with the magnitude (~1/16 of it).
                let bound = (i32::from(s).abs() / 16).max(16) + 8;
                assert!(err <= bound, "{law:?} {s} -> {back} (err {err} > {bound})");
            }
        }
    }

    #[test]
    fn concealment_fades_to_silence() {
        let mut c = G711::new(CodecName::Pcmu);
        let mut out = Vec::new();
        c.decode(&[linear_to_ulaw(8000); 160], &mut out).expect("decode");
        let mut peaks = Vec::new();
        for _ in 0..7 {
            c.conceal(160, &mut out);
            peaks.push(out.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0));
        }
        assert!(peaks[0] > peaks[2] && peaks[2] > peaks[4], "{peaks:?}");
        assert_eq!(peaks[6], 0);
    }
}
