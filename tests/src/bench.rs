//! Shared by the benchmarks: medians and one printed line per figure.

use std::time::Duration;

pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Prints `name`: median (min, max, n) and returns the median.
pub fn report(name: &str, unit: &str, v: Vec<f64>) -> f64 {
    let n = v.len();
    let (lo, hi) = (
        v.iter().copied().fold(f64::INFINITY, f64::min),
        v.iter().copied().fold(0.0, f64::max),
    );
    let m = median(v);
    println!("{name:<44} median {m:>8.2} {unit:<6} (min {lo:.2}, max {hi:.2}, n={n})");
    m
}

/// Time (by `clock`) libopus takes to encode and decode `secs` of a 1 kHz tone in 20 ms
/// frames: the reference other figures are quoted against.
pub fn opus_round_trip(secs: u32, clock: fn() -> Duration) -> Duration {
    use dialtone_core::media::codec::{self, CodecName};
    use dialtone_core::media::io::{AudioSource, ToneSource};
    let mut enc = codec::new_encoder(CodecName::Opus).expect("encoder");
    let mut dec = codec::new_decoder(CodecName::Opus).expect("decoder");
    let mut tone = ToneSource::new(1000.0, 0.3);
    let (mut pcm, mut payload, mut out) = (vec![0i16; 960], Vec::new(), Vec::new());
    let start = clock();
    for _ in 0..secs * 50 {
        tone.read(48_000, &mut pcm);
        enc.encode(&pcm, &mut payload).expect("encode");
        dec.decode(&payload, &mut out).expect("decode");
    }
    clock() - start
}

/// The runtime the benchmarks run on: two workers, as the test scenarios use.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}
