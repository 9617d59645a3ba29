//! Fixed-ratio resampling between a device rate and a codec rate, in 10 ms blocks, with
//! rubato's FFT resampler (`FixedSync::Both`: both block sizes are fixed, so there is no
//! allocation and no variable-size bookkeeping per block). 10 ms is the smallest block
//! every rate pair we meet allows (44.1k: 441 frames; 8k: 80).

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Resampler};

#[derive(Debug, thiserror::Error)]
pub enum ResampleError {
    #[error("cannot resample {from} Hz to {to} Hz: {why}")]
    Setup { from: u32, to: u32, why: String },
    #[error("resampling failed: {0}")]
    Process(String),
}

/// Mono f32 resampling, one 10 ms block at a time. Equal rates pass through.
pub struct BlockResampler {
    from: u32,
    to: u32,
    fft: Option<Fft<f32>>,
}

impl std::fmt::Debug for BlockResampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockResampler")
            .field("from", &self.from)
            .field("to", &self.to)
            .finish()
    }
}

impl BlockResampler {
    pub fn new(from: u32, to: u32) -> Result<Self, ResampleError> {
        let setup = |why: String| ResampleError::Setup { from, to, why };
        if !from.is_multiple_of(100) || !to.is_multiple_of(100) || from == 0 || to == 0 {
            return Err(setup("the rates must be whole multiples of 100 Hz".into()));
        }
        let fft = if from == to {
            None
        } else {
            let chunk = (from / 100) as usize;
            Some(
                Fft::<f32>::new(from as usize, to as usize, chunk, 1, FixedSync::Both)
                    .map_err(|e| setup(e.to_string()))?,
            )
        };
        Ok(Self { from, to, fft })
    }

    pub fn rates(&self) -> (u32, u32) {
        (self.from, self.to)
    }

    /// Input frames per block (10 ms at the input rate).
    pub fn input_block(&self) -> usize {
        (self.from / 100) as usize
    }

    /// Output frames per block (10 ms at the output rate).
    pub fn output_block(&self) -> usize {
        (self.to / 100) as usize
    }

    /// The resampler's delay, in output frames.
    pub fn delay(&self) -> usize {
        self.fft.as_ref().map_or(0, Resampler::output_delay)
    }

    /// Resamples one block: `input` is `input_block()` long, `output` `output_block()`.
    pub fn process(&mut self, input: &[f32], output: &mut [f32]) -> Result<(), ResampleError> {
        let (ni, no) = (self.input_block(), self.output_block());
        if input.len() != ni || output.len() != no {
            return Err(ResampleError::Process(format!(
                "blocks of {} in, {} out expected; got {} and {}",
                ni,
                no,
                input.len(),
                output.len()
            )));
        }
        let Some(fft) = self.fft.as_mut() else {
            output.copy_from_slice(input);
            return Ok(());
        };
        let inp = InterleavedSlice::new(input, 1, ni).map_err(|e| ResampleError::Process(e.to_string()))?;
        let mut out =
            InterleavedSlice::new_mut(output, 1, no).map_err(|e| ResampleError::Process(e.to_string()))?;
        fft.process_into_buffer(&inp, &mut out, None)
            .map_err(|e| ResampleError::Process(e.to_string()))?;
        Ok(())
    }

    /// Resamples whole blocks of `input` (a multiple of `input_block()`), appending to `out`.
    pub fn process_all(&mut self, input: &[f32], out: &mut Vec<f32>) -> Result<(), ResampleError> {
        let (ni, no) = (self.input_block(), self.output_block());
        for block in input.chunks_exact(ni) {
            let start = out.len();
            out.resize(start + no, 0.0);
            self.process(block, &mut out[start..])?;
        }
        Ok(())
    }
}

/// Resamples a whole recording (a prompt, a file) between any two whole rates, such
/// as espeak-ng's 22 050 Hz to Lex's 8 kHz, where 10 ms blocks are not whole samples.
pub fn resample_whole(input: &[f32], from: u32, to: u32) -> Result<Vec<f32>, ResampleError> {
    let setup = |why: String| ResampleError::Setup { from, to, why };
    if from == 0 || to == 0 {
        return Err(setup("the rates must be above zero".into()));
    }
    if from == to {
        return Ok(input.to_vec());
    }
    let (mut a, mut b) = (from, to);
    while b != 0 {
        (a, b) = (b, a % b);
    }
    let (step_in, step_out) = ((from / a) as usize, (to / a) as usize);
    let k = 256usize.div_ceil(step_in);
    let (ni, no) = (step_in * k, step_out * k);
    let mut fft = Fft::<f32>::new(from as usize, to as usize, ni, 1, FixedSync::Both)
        .map_err(|e| setup(e.to_string()))?;
    let delay = fft.output_delay();
    let want = (input.len() as u64 * u64::from(to) / u64::from(from)) as usize;
    let mut padded = input.to_vec();
    padded.resize(
        (input.len() + delay * from as usize / to as usize + ni).div_ceil(ni) * ni,
        0.0,
    );
    let mut out = Vec::with_capacity(padded.len() / ni * no);
    let mut block = vec![0.0; no];
    for chunk in padded.chunks_exact(ni) {
        let inp = InterleavedSlice::new(chunk, 1, ni).map_err(|e| ResampleError::Process(e.to_string()))?;
        let mut o = InterleavedSlice::new_mut(&mut block, 1, no)
            .map_err(|e| ResampleError::Process(e.to_string()))?;
        fft.process_into_buffer(&inp, &mut o, None)
            .map_err(|e| ResampleError::Process(e.to_string()))?;
        out.extend_from_slice(&block);
    }
    Ok(out.into_iter().skip(delay).take(want).collect())
}

/// Resampling through 48 kHz, the voice processor's rate, one 10 ms block at a time:
/// `from` → 48 kHz → (a look at the 48 kHz block) → `to`. A side already at 48 kHz
/// passes through, so the usual 48 kHz device with Opus does no resampling at all.
#[derive(Debug)]
pub struct Via48k {
    first: BlockResampler,
    second: BlockResampler,
    mid: Vec<f32>,
}

impl Via48k {
    pub fn new(from: u32, to: u32) -> Result<Self, ResampleError> {
        Ok(Self {
            first: BlockResampler::new(from, super::voice::RATE)?,
            second: BlockResampler::new(super::voice::RATE, to)?,
            mid: vec![0.0; super::voice::FRAME],
        })
    }

    pub fn rates(&self) -> (u32, u32) {
        (self.first.from, self.second.to)
    }

    pub fn input_block(&self) -> usize {
        self.first.input_block()
    }

    pub fn output_block(&self) -> usize {
        self.second.output_block()
    }

    /// Both stages' delay, in output frames.
    pub fn delay(&self) -> usize {
        self.first.delay() * self.second.output_block() / self.first.output_block() + self.second.delay()
    }

    /// One block: `input` is `input_block()` long, `output` `output_block()`.
    pub fn process(
        &mut self,
        input: &[f32],
        output: &mut [f32],
        at_48k: impl FnOnce(&mut [f32]),
    ) -> Result<(), ResampleError> {
        self.first.process(input, &mut self.mid)?;
        at_48k(&mut self.mid);
        self.second.process(&self.mid, output)
    }
}

/// Signal-to-noise ratio (dB) of `signal` against the best-fitting sine at `freq`:
/// what is not the tone counts as noise. For measuring resamplers.
pub fn sine_snr_db(signal: &[f32], rate: u32, freq: f64) -> f64 {
    let w = std::f64::consts::TAU * freq / f64::from(rate);
    let (mut s, mut c) = (0.0f64, 0.0f64);
    for (n, x) in signal.iter().enumerate() {
        s += f64::from(*x) * (w * n as f64).sin();
        c += f64::from(*x) * (w * n as f64).cos();
    }
    let len = signal.len().max(1) as f64;
    let (a, b) = (2.0 * s / len, 2.0 * c / len);
    let (mut p_sig, mut p_noise) = (0.0f64, 0.0f64);
    for (n, x) in signal.iter().enumerate() {
        let fit = a * (w * n as f64).sin() + b * (w * n as f64).cos();
        p_sig += fit * fit;
        let e = f64::from(*x) - fit;
        p_noise += e * e;
    }
    10.0 * (p_sig / p_noise.max(1e-30)).log10()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(rate: u32, freq: f64, secs: f64) -> Vec<f32> {
        let n = (f64::from(rate) * secs) as usize;
        (0..n)
            .map(|i| (0.5 * (std::f64::consts::TAU * freq * i as f64 / f64::from(rate)).sin()) as f32)
            .collect()
    }

    #[test]
    fn whole_recordings_resample_between_any_rates_in_time_and_in_tune() {
        let input = sine(22_050, 1000.0, 2.0);
        let out = resample_whole(&input, 22_050, 8000).expect("22.05 kHz to 8 kHz");
        assert_eq!(out.len(), 16_000, "the same 2 s");
        let snr = sine_snr_db(&out[800..15_200], 8000, 1000.0);
        assert!(snr > 40.0, "1 kHz stays 1 kHz and clean: {snr:.1} dB");
        // No delay left: the tone starts where it started.
        assert!(out[..40].iter().map(|s| s.abs()).fold(0.0, f32::max) > 0.2);
        // Above the new Nyquist rate, a tone is filtered out, not folded back in.
        let high = resample_whole(&sine(22_050, 6000.0, 1.0), 22_050, 8000).expect("high tone");
        let rms = (high[800..7200].iter().map(|s| s * s).sum::<f32>() / 6400.0).sqrt();
        assert!(
            rms < 0.01,
            "6 kHz does not alias into the 8 kHz signal: rms {rms}"
        );
        assert!(resample_whole(&input, 0, 8000).is_err());
    }

    /// Drops the resampler's start-up delay and the last block, then measures.
    fn snr_after(out: &[f32], rate: u32, freq: f64, skip: usize) -> f64 {
        let end = out.len().saturating_sub((rate / 100) as usize);
        sine_snr_db(&out[skip.min(end)..end], rate, freq)
    }

    #[test]
    fn the_block_sizes_fit_every_rate_we_meet() {
        for (from, to) in [
            (48_000, 8_000),
            (8_000, 48_000),
            (44_100, 48_000),
            (44_100, 8_000),
            (16_000, 48_000),
        ] {
            let r = BlockResampler::new(from, to).expect("rate pair");
            assert_eq!(r.input_block(), (from / 100) as usize);
            assert_eq!(r.output_block(), (to / 100) as usize);
        }
        assert!(BlockResampler::new(44_123, 48_000).is_err());
    }

    /// 1 kHz through 48k→8k→48k keeps above 60 dB SNR: G.711's own quantisation noise
    /// is about 38 dB, so the resampler stays well under what the codec adds.
    #[test]
    fn a_1khz_tone_survives_48k_to_8k_and_back() {
        let input = sine(48_000, 1000.0, 1.0);
        let mut down = BlockResampler::new(48_000, 8_000).expect("down");
        let mut up = BlockResampler::new(8_000, 48_000).expect("up");
        let mut mid = Vec::new();
        down.process_all(&input, &mut mid).expect("down");
        let mut out = Vec::new();
        up.process_all(&mid, &mut out).expect("up");
        assert_eq!(out.len(), input.len());
        let skip = 6 * down.delay() + up.delay() + 480;
        let snr = snr_after(&out, 48_000, 1000.0, skip);
        assert!(snr > 60.0, "SNR {snr:.1} dB");
    }

    #[test]
    fn a_1khz_tone_survives_44k1_to_48k() {
        let input = sine(44_100, 1000.0, 1.0);
        let mut r = BlockResampler::new(44_100, 48_000).expect("44.1k");
        let mut out = Vec::new();
        r.process_all(&input, &mut out).expect("resample");
        assert_eq!(out.len(), 48_000);
        let snr = snr_after(&out, 48_000, 1000.0, r.delay() + 480);
        assert!(snr > 60.0, "SNR {snr:.1} dB");
    }

    #[test]
    fn the_48k_path_is_exact_at_48k_and_clean_from_44k1_to_8k() {
        let input = sine(48_000, 1000.0, 0.1);
        let mut r = Via48k::new(48_000, 48_000).expect("48k");
        let mut out = vec![0.0; 480];
        for block in input.chunks_exact(480) {
            r.process(block, &mut out, |_| {}).expect("block");
            assert_eq!(out, block);
        }
        let input = sine(44_100, 1000.0, 1.0);
        let mut r = Via48k::new(44_100, 8_000).expect("44.1k→8k");
        let mut out = Vec::new();
        let mut seen = 0;
        for block in input.chunks_exact(r.input_block()) {
            let mut o = vec![0.0; r.output_block()];
            r.process(block, &mut o, |mid| seen += mid.len()).expect("block");
            out.extend(o);
        }
        assert_eq!((out.len(), seen), (8_000, 48_000));
        let snr = snr_after(&out, 8_000, 1000.0, r.delay() + 80);
        assert!(snr > 60.0, "SNR {snr:.1} dB");
    }

    #[test]
    fn wrong_block_sizes_are_an_error_not_a_panic() {
        let mut r = BlockResampler::new(48_000, 8_000).expect("down");
        let mut out = vec![0.0; 80];
        assert!(r.process(&[0.0; 479], &mut out).is_err());
        let mut long = vec![0.0; 81];
        assert!(r.process(&[0.0; 480], &mut long).is_err());
        assert!(r.process(&[0.0; 480], &mut out).is_ok());
    }
}
