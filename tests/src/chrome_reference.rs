//! Chrome as the reference of `make bench`, measured in the same run as Dialtone's figures
//! so that their ratio means something on a noisy shared machine: two `RTCPeerConnection`s
//! in one page (`chrome_reference.html`) call each other as the media bench's two engines
//! do (vanilla ICE on loopback, Opus, a tone each way, hold and resume by re-offer).

use crate::bench::{median, tree_cpu};
use crate::chromium::Chromium;
use serde_json::json;
use std::time::{Duration, Instant};

pub const PAGE: &str = include_str!("chrome_reference.html");

/// Chrome's samples of each figure, in milliseconds (CPU: % of one core per call end).
#[derive(Debug, Default)]
pub struct ChromeFigures {
    pub version: String,
    pub connected: Vec<f64>,
    pub first_audio: Vec<f64>,
    pub hold: Vec<f64>,
    pub resume: Vec<f64>,
    pub back: Vec<f64>,
    /// The median of [`CPU_ROUNDS`] estimates, each a call's window less the mean of the
    /// idle windows either side of it.
    pub cpu_per_end: f64,
    pub cpu_rounds: Vec<f64>,
    /// The page idle: the median of the idle windows.
    pub cpu_idle: f64,
}

/// Calls measured for CPU, each between two idle windows: Chrome's idle tree costs several
/// times what one call does, and drifts, so one idle figure subtracted from one busy one
/// swung the estimate between 1.4 and 4.5 % from run to run.
const CPU_ROUNDS: usize = 3;
const IDLE_WINDOW: Duration = Duration::from_secs(5);

/// Runs the page `runs` times for each figure, and measures the CPU of Chrome's whole
/// process tree over `cpu_secs` of a call, [`CPU_ROUNDS`] times (less the same page idle
/// around it, halved: both ends of the call run in the one browser).
pub async fn measure(runs: usize, cpu_secs: usize) -> ChromeFigures {
    let chrome = Chromium::start_on(PAGE).await;
    let agent = chrome.eval("return navigator.userAgent;").await;
    let version = agent
        .as_str()
        .and_then(|a| a.split_whitespace().find(|w| w.starts_with("Chrome/")))
        .unwrap_or("Chrome")
        .replace('/', " ");
    chrome.run("setUp", json!([])).await;
    let mut f = ChromeFigures {
        version,
        ..Default::default()
    };
    for _ in 0..runs {
        let v = chrome.run("connect", json!([])).await;
        f.connected.extend(v["connected"].as_f64());
        f.first_audio.extend(v["firstAudio"].as_f64());
    }
    // As the Dialtone bench: one call, held and resumed `runs` times, 200 ms apart.
    tokio::time::sleep(Duration::from_millis(500)).await;
    for _ in 0..runs {
        let v = chrome.run("holdResume", json!([300])).await;
        f.hold.extend(v["hold"].as_f64());
        f.resume.extend(v["resume"].as_f64());
        f.back.extend(v["back"].as_f64());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    chrome.run("close", json!([])).await;

    let root = chrome.driver_pid();
    // Settle after the hold/resume series (its teardown, garbage collection).
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut idle = vec![cpu_over(root, IDLE_WINDOW).await];
    for _ in 0..CPU_ROUNDS {
        chrome.run("connect", json!([])).await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        let busy = cpu_over(root, Duration::from_secs(cpu_secs as u64)).await;
        chrome.run("close", json!([])).await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        let after = cpu_over(root, IDLE_WINDOW).await;
        let before = idle.last().copied().unwrap_or(after);
        f.cpu_rounds.push((busy - (before + after) / 2.0).max(0.0) / 2.0);
        idle.push(after);
    }
    f.cpu_per_end = median(f.cpu_rounds.clone());
    f.cpu_idle = median(idle);
    f
}

/// The CPU the process tree under `root` uses over `window`, in % of one core: one figure
/// over the whole window, as precise as the kernel's 10 ms ticks allow.
async fn cpu_over(root: u32, window: Duration) -> f64 {
    let (c0, t0) = (tree_cpu(root), Instant::now());
    tokio::time::sleep(window).await;
    tree_cpu(root).saturating_sub(c0).as_secs_f64() / t0.elapsed().as_secs_f64() * 100.0
}
