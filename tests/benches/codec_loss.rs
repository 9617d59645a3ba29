//! `make bench`, the codec under loss: PESQ of a spoken passage through Opus alone (no
//! network, no timing), with seeded loss patterns, decoded as Dialtone's jitter buffer
//! decodes (a lost frame is recovered from the next packet's FEC when that packet came,
//! else concealed). The same patterns every run, so two libopus builds compare exactly:
//! this is how `docs/decisions.md` §17 chose between the system libopus and a bundled one.
//!
//! Speech and scoring: `dialtone_e2e::speech`. Printed, never asserted.

use dialtone_core::audio::resample::resample_whole;
use dialtone_core::media::CodecName;
use dialtone_core::media::codec::{new_decoder, new_encoder, opus_version};
use dialtone_e2e::bench::median;
use dialtone_e2e::speech;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::path::Path;
use std::time::Instant;

const SEEDS: u64 = 5;
const FRAME: usize = 960;

/// How packets are lost: independently, or in bursts (Gilbert-Elliott, mean burst length
/// in frames).
#[derive(Clone, Copy)]
enum Loss {
    Uniform(f64),
    Bursts { rate: f64, mean_burst: f64 },
}

/// Name, loss, and the loss the encoder is told to expect (what RTCP would report; 0
/// leaves FEC off, so concealment alone fills the gaps).
const CONDITIONS: [(&str, Loss, u8); 6] = [
    ("5 %, FEC", Loss::Uniform(0.05), 5),
    ("10 %, FEC", Loss::Uniform(0.10), 10),
    ("20 %, FEC", Loss::Uniform(0.20), 20),
    ("10 %, no FEC", Loss::Uniform(0.10), 0),
    (
        "5 % in bursts of 3, FEC",
        Loss::Bursts {
            rate: 0.05,
            mean_burst: 3.0,
        },
        5,
    ),
    (
        "10 % in bursts of 3, no FEC",
        Loss::Bursts {
            rate: 0.10,
            mean_burst: 3.0,
        },
        0,
    ),
];

fn pattern(loss: Loss, frames: usize, seed: u64) -> Vec<bool> {
    let mut rng = StdRng::seed_from_u64(seed);
    match loss {
        Loss::Uniform(p) => (0..frames).map(|_| rng.random_bool(p)).collect(),
        Loss::Bursts { rate, mean_burst } => {
            // Leave the bad state with 1/mean_burst; enter it so the mean loss is `rate`.
            let leave = 1.0 / mean_burst;
            let enter = rate * leave / (1.0 - rate);
            let mut bad = false;
            (0..frames)
                .map(|_| {
                    bad = if bad {
                        !rng.random_bool(leave)
                    } else {
                        rng.random_bool(enter)
                    };
                    bad
                })
                .collect()
        }
    }
}

/// One Opus packet per 20 ms frame of `pcm`.
fn encode(pcm: &[i16], expected_loss: u8) -> Vec<Vec<u8>> {
    let mut enc = new_encoder(CodecName::Opus).expect("encoder");
    enc.set_expected_loss(expected_loss);
    pcm.chunks_exact(FRAME)
        .map(|f| {
            let mut out = Vec::new();
            enc.encode(f, &mut out).expect("encode");
            out
        })
        .collect()
}

/// The speech at 48 kHz through Opus with `lost` frames missing, as 48 kHz PCM.
fn through_opus(pcm: &[i16], lost: &[bool], expected_loss: u8) -> Vec<i16> {
    let packets = encode(pcm, expected_loss);
    let mut dec = new_decoder(CodecName::Opus).expect("decoder");
    let mut out = Vec::with_capacity(pcm.len());
    let mut frame = Vec::new();
    for (i, packet) in packets.iter().enumerate() {
        if !lost[i] {
            dec.decode(packet, &mut frame).expect("decode");
        } else {
            let next = packets
                .get(i + 1)
                .filter(|_| !lost.get(i + 1).copied().unwrap_or(true));
            let recovered = next.is_some_and(|n| dec.recover(n, FRAME, &mut frame));
            if !recovered {
                dec.conceal(FRAME, &mut frame);
            }
        }
        out.extend_from_slice(&frame);
    }
    out
}

/// Median decoder time per frame (µs): decoding a packet, and concealing a lost one.
fn decode_cost(pcm: &[i16]) -> (f64, f64) {
    let packets = encode(pcm, 0);
    let mut dec = new_decoder(CodecName::Opus).expect("decoder");
    let mut frame = Vec::new();
    let (mut decode, mut conceal) = (Vec::new(), Vec::new());
    for (i, packet) in packets.iter().enumerate() {
        let t = Instant::now();
        // Every fifth frame lost, so concealment runs from real decoder state.
        if i % 5 == 4 {
            dec.conceal(FRAME, &mut frame);
            conceal.push(t.elapsed().as_secs_f64() * 1e6);
        } else {
            dec.decode(packet, &mut frame).expect("decode");
            decode.push(t.elapsed().as_secs_f64() * 1e6);
        }
    }
    (median(decode), median(conceal))
}

fn read_48k(path: &Path) -> Vec<i16> {
    let mut r = hound::WavReader::open(path).expect("speech");
    let rate = r.spec().sample_rate;
    let x: Vec<f32> = r
        .samples::<i16>()
        .map(|s| f32::from(s.unwrap_or(0)) / 32768.0)
        .collect();
    resample_whole(&x, rate, 48_000)
        .expect("resample")
        .into_iter()
        .map(|s| (s * 32767.0).clamp(-32768.0, 32767.0) as i16)
        .collect()
}

fn write_48k(path: &Path, pcm: &[i16]) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 48_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).expect("wav");
    for s in pcm {
        w.write_sample(*s).expect("sample");
    }
    w.finalize().expect("finalize");
}

fn main() {
    let dir = speech::work_dir();
    let (reference, _, _) = speech::make(&dir, 0.0);
    let pcm = read_48k(&reference);
    let frames = pcm.len() / FRAME;
    println!(
        "codec under loss: PESQ of {:.1} s of speech through {} alone, median of {SEEDS} seeded loss patterns",
        pcm.len() as f64 / 48_000.0,
        opus_version()
    );
    println!(
        "{:<30} {:>6} {:>6}   {:>6}  runs WB",
        "condition", "WB", "NB", "lost"
    );
    let clean = dir.join("codec-clean.wav");
    write_48k(&clean, &through_opus(&pcm, &vec![false; frames], 0));
    if let Some((wb, nb)) = speech::score(&reference, &clean) {
        println!("{:<30} {wb:>6.2} {nb:>6.2}   {:>5.1}%", "no loss", 0.0);
    }
    let (decode, conceal) = decode_cost(&pcm);
    println!("decoder CPU per 20 ms frame: {decode:.1} µs decoding, {conceal:.1} µs concealing");
    for (name, loss, expected) in CONDITIONS {
        let (mut wb, mut nb, mut lost) = (Vec::new(), Vec::new(), Vec::new());
        for seed in 1..=SEEDS {
            let pattern = pattern(loss, frames, seed);
            let out = dir.join(format!("codec-{seed}.wav"));
            write_48k(&out, &through_opus(&pcm, &pattern, expected));
            if let Some((w, n)) = speech::score(&reference, &out) {
                wb.push(w);
                nb.push(n);
            }
            lost.push(pattern.iter().filter(|l| **l).count() as f64 * 100.0 / frames as f64);
        }
        let runs: Vec<String> = wb.iter().map(|w| format!("{w:.2}")).collect();
        println!(
            "{name:<30} {:>6.2} {:>6.2}   {:>5.1}%  [{}]",
            median(wb),
            median(nb),
            median(lost),
            runs.join(", ")
        );
    }
}
