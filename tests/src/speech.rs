//! Spoken test speech and its PESQ score, shared by the speech benchmarks.
//!
//! Speech: Festival's `cmu_us_slt_arctic_hts` voice, made at bench time (nothing large is
//! committed). Scoring: `scripts/pesq-score.py` (PyPI `pesq`) in `target/bench-venv`, made
//! by `scripts/setup.sh bench`.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const TEXT: &str = "The birch canoe slid on the smooth planks. Glue the sheet to the dark blue background. \
It is easy to tell the depth of a well. These days a chicken leg is a rare dish. \
Rice is often served in round bowls.";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `target/pesq`, where the speech and the recordings go.
pub fn work_dir() -> PathBuf {
    let d = root().join("target/pesq");
    std::fs::create_dir_all(&d).expect("target/pesq");
    d
}

/// The passage at 16 kHz: the reference (0.5 s of silence each side), the same with
/// `lead_s` more silence first (what is sent), and the length of what is sent in seconds.
pub fn make(dir: &Path, lead_s: f64) -> (PathBuf, PathBuf, f64) {
    let text = dir.join("speech.txt");
    std::fs::write(&text, TEXT).expect("text");
    let raw = dir.join("speech-raw.wav");
    let ok = Command::new("text2wave")
        .args(["-F", "16000", "-eval", "(voice_cmu_us_slt_arctic_hts)"])
        .arg(&text)
        .arg("-o")
        .arg(&raw)
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "text2wave failed: run scripts/setup.sh bench (festival, festvox-us-slt-hts)"
    );
    let mut r = hound::WavReader::open(&raw).expect("speech");
    let spec = r.spec();
    let speech: Vec<i16> = r.samples::<i16>().map(|s| s.unwrap_or(0)).collect();
    let write = |path: &Path, lead_s: f64| {
        let mut w = hound::WavWriter::create(path, spec).expect("wav");
        let pad = |s: f64| (s * f64::from(spec.sample_rate)) as usize;
        for s in std::iter::repeat_n(0, pad(lead_s))
            .chain(speech.iter().copied())
            .chain(std::iter::repeat_n(0, pad(0.5)))
        {
            w.write_sample(s).expect("sample");
        }
        w.finalize().expect("finalize");
    };
    let (reference, input) = (dir.join("reference.wav"), dir.join("input.wav"));
    write(&reference, 0.5);
    write(&input, 0.5 + lead_s);
    let secs = speech.len() as f64 / f64::from(spec.sample_rate) + 1.0 + lead_s;
    (reference, input, secs)
}

/// PESQ (wide-band, narrow-band) of `degraded` against `reference`, each mono 16-bit WAV
/// at any rate; the scorer aligns them first.
pub fn score(reference: &Path, degraded: &Path) -> Option<(f64, f64)> {
    let python = root().join("target/bench-venv/bin/python");
    let out = Command::new(&python)
        .arg(root().join("scripts/pesq-score.py"))
        .args([reference, degraded])
        .output()
        .unwrap_or_else(|e| panic!("{}: {e} (run scripts/setup.sh bench)", python.display()));
    let v: Value = serde_json::from_slice(&out.stdout).ok()?;
    if let Some(e) = v.get("error") {
        eprintln!("  PESQ could not score {}: {e}", degraded.display());
    }
    Some((v["wb"].as_f64()?, v["nb"].as_f64()?))
}
