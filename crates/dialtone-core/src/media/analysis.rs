//! Signal measurements used by tests, benchmarks and the sandbox's far ends.

/// Power of `freq` in `samples` by the Goertzel algorithm, normalised to the signal length.
pub fn goertzel_power(samples: &[i16], clock_rate: u32, freq: f64) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let w = std::f64::consts::TAU * freq / f64::from(clock_rate);
    let coeff = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for &x in samples {
        let s0 = f64::from(x) / f64::from(i16::MAX) + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    power / (samples.len() as f64).powi(2)
}

/// The strongest of `candidates` (Hz) in `samples`, with its share of their total power.
pub fn dominant_frequency(samples: &[i16], clock_rate: u32, candidates: &[f64]) -> Option<(f64, f64)> {
    let powers: Vec<(f64, f64)> = candidates
        .iter()
        .map(|&f| (f, goertzel_power(samples, clock_rate, f)))
        .collect();
    let total: f64 = powers.iter().map(|(_, p)| p).sum();
    let (f, p) = powers.into_iter().max_by(|a, b| a.1.total_cmp(&b.1))?;
    (total > 0.0).then_some((f, p / total))
}

/// The frequency with the most power on a 10 Hz grid between `lo` and `hi`.
pub fn peak_frequency(samples: &[i16], clock_rate: u32, lo: f64, hi: f64) -> f64 {
    let mut best = (lo, 0.0);
    let mut f = lo;
    while f <= hi {
        let p = goertzel_power(samples, clock_rate, f);
        if p > best.1 {
            best = (f, p);
        }
        f += 10.0;
    }
    best.0
}

/// RMS level relative to full scale, in dBFS (−∞ is returned as −120).
pub fn rms_dbfs(samples: &[i16]) -> f64 {
    if samples.is_empty() {
        return -120.0;
    }
    let sum: f64 = samples.iter().map(|&s| (f64::from(s) / 32768.0).powi(2)).sum();
    let rms = (sum / samples.len() as f64).sqrt();
    if rms <= 1e-6 { -120.0 } else { 20.0 * rms.log10() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::io::{AudioSource, ToneSource};

    #[test]
    fn finds_the_tone() {
        let mut t = ToneSource::new(1000.0, 0.5);
        let mut buf = vec![0i16; 4800];
        t.read(48_000, &mut buf);
        assert_eq!(peak_frequency(&buf, 48_000, 200.0, 3000.0), 1000.0);
        let (f, share) = dominant_frequency(&buf, 48_000, &[1000.0, 2000.0]).expect("some");
        assert_eq!(f, 1000.0);
        assert!(share > 0.99);
        assert!((rms_dbfs(&buf) - (-9.03)).abs() < 0.1, "{}", rms_dbfs(&buf));
    }
}
