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

/// CPU time (user + system) `/proc/<pid>/stat` reports for `pid`, with its parent.
fn proc_cpu(pid: &str) -> Option<(Duration, u32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit(')').next()?.split_whitespace().collect();
    let parent = fields.get(1)?.parse().ok()?;
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // CLK_TCK is 100 on Linux.
    Some((Duration::from_millis(ticks * 10), parent))
}

/// This process's CPU time.
pub fn cpu_time() -> Duration {
    proc_cpu("self").map(|(t, _)| t).unwrap_or_default()
}

/// CPU time of `root` and every process descending from it (a browser and its renderer,
/// GPU, network and audio processes).
pub fn tree_cpu(root: u32) -> Duration {
    let mut procs = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        if let Some((cpu, parent)) = proc_cpu(&pid.to_string()) {
            procs.push((pid, parent, cpu));
        }
    }
    let mut tree = std::collections::HashSet::from([root]);
    // Parents before children is not guaranteed: sweep until nothing joins.
    loop {
        let before = tree.len();
        for (pid, parent, _) in &procs {
            if tree.contains(parent) {
                tree.insert(*pid);
            }
        }
        if tree.len() == before {
            break;
        }
    }
    procs
        .iter()
        .filter(|(pid, _, _)| tree.contains(pid))
        .map(|(_, _, cpu)| *cpu)
        .sum()
}

/// Dialtone's figure beside the reference's from the same run, and their ratio.
pub fn versus(name: &str, unit: &str, ours: f64, reference: f64, goal: Option<f64>) {
    let ratio = ours / reference;
    let verdict = match goal {
        Some(g) if ratio <= g => format!("goal <= {g}x: met"),
        Some(g) => format!("goal <= {g}x: MISSED"),
        None => String::new(),
    };
    println!("{name:<44} {ours:>9.2} {reference:>9.2} {unit:<4} {ratio:>6.2}x  {verdict}");
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

/// Set in the child a benchmark starts as its sandbox.
const SANDBOX_CHILD: &str = "DIALTONE_BENCH_SANDBOX";

/// The sandbox in a child process (the benchmark's own binary again), so the benchmark's
/// process holds only the client side and each side's CPU is its own. Dropping it closes
/// the child's stdin, which stops it.
pub struct SandboxProcess {
    pub child: std::process::Child,
    pub url: String,
}

impl SandboxProcess {
    /// Call first in a benchmark's `main`: true in the child, which has then served as the
    /// sandbox until the benchmark ended, and should return.
    pub fn serve_if_child() -> bool {
        if std::env::var_os(SANDBOX_CHILD).is_none() {
            return false;
        }
        runtime().block_on(async {
            let sandbox =
                dialtone_sandbox::Sandbox::start("127.0.0.1:0".parse().expect("addr"), Default::default())
                    .await
                    .expect("sandbox");
            println!("{}", sandbox.base_url());
            tokio::task::spawn_blocking(|| {
                let mut sink = String::new();
                let _ = std::io::stdin().read_line(&mut sink);
            })
            .await
            .ok();
        });
        true
    }

    pub fn start() -> SandboxProcess {
        use std::io::BufRead;
        use std::process::{Command, Stdio};
        let mut child = Command::new(std::env::current_exe().expect("own path"))
            .env(SANDBOX_CHILD, "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the sandbox process");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the sandbox's URL");
        SandboxProcess {
            child,
            url: line.trim().to_owned(),
        }
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}
