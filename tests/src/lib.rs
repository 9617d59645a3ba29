//! Shared harness for the end-to-end scenarios: two media peers in one process on
//! loopback, helpers to negotiate between them, and measurements of what they hear.

pub mod bench;
pub mod chrome_reference;
pub mod chromium;
pub mod cli;
pub mod desk;
pub mod lex;
pub mod line;
pub mod multi;
pub mod prism;
pub mod pulse;
pub mod relay;
pub mod session;
pub mod speech;
pub mod stall;
pub mod webdriver;

use dialtone_core::media::analysis::{dominant_frequency, goertzel_power};
use dialtone_core::media::io::{RecordingSink, ToneSource};
use dialtone_core::media::{Direction, MediaConfig, MediaEvent, MediaSession};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};
use tokio::sync::broadcast;

/// Tones the scenarios use; analysis picks the strongest of these.
pub const TONES: [f64; 5] = [440.0, 880.0, 1000.0, 2000.0, 3000.0];

pub fn init_tracing() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_default_env()
                    .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("error,pulseaudio=off")),
            )
            .with_test_writer()
            .try_init();
    });
}

/// What a recording carries over its last stretch.
#[derive(Debug, Clone, Copy)]
pub struct Tone {
    /// The strongest of [`TONES`].
    pub freq: f64,
    /// Its share of the power across [`TONES`].
    pub share: f64,
    /// Its Goertzel power.
    pub power: f64,
    pub dbfs: f64,
}

/// The tone in the last `window` of what `heard` recorded since frame `from`; `None`
/// until that much has been recorded.
pub fn tone_since(heard: &RecordingSink, from: usize, window: Duration) -> Option<Tone> {
    let (rate, samples) = heard.samples_since(from);
    let n = (f64::from(rate) * window.as_secs_f64()) as usize;
    if rate == 0 || samples.len() < n {
        return None;
    }
    let tail = &samples[samples.len() - n..];
    let (freq, share) = dominant_frequency(tail, rate, &TONES)?;
    Some(Tone {
        freq,
        share,
        power: goertzel_power(tail, rate, freq),
        dbfs: dialtone_core::media::analysis::rms_dbfs(tail),
    })
}

/// One end of a call: a media session that plays a tone and records what it hears.
pub struct Peer {
    pub name: &'static str,
    pub session: MediaSession,
    pub heard: RecordingSink,
    pub tone: Arc<Mutex<f64>>,
    pub events: broadcast::Receiver<MediaEvent>,
}

impl Peer {
    pub async fn new(name: &'static str, tone_hz: f64) -> Peer {
        Self::with_config(name, tone_hz, MediaConfig::loopback()).await
    }

    pub async fn with_config(name: &'static str, tone_hz: f64, config: MediaConfig) -> Peer {
        init_tracing();
        let source = ToneSource::new(tone_hz, 0.3);
        let tone = source.frequency_handle();
        let heard = RecordingSink::new();
        let session = MediaSession::new(config, source, heard.clone())
            .await
            .expect("media session");
        let events = session.subscribe();
        Peer {
            name,
            session,
            heard,
            tone,
            events,
        }
    }

    /// Waits for an event matching `pred`, up to `within`.
    pub async fn wait_event(
        &mut self,
        within: Duration,
        pred: impl Fn(&MediaEvent) -> bool,
    ) -> Option<MediaEvent> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Ok(e)) if pred(&e) => return Some(e),
                Ok(Ok(_)) | Ok(Err(broadcast::error::RecvError::Lagged(_))) => {}
                Ok(Err(broadcast::error::RecvError::Closed)) | Err(_) => return None,
            }
        }
    }

    /// The strongest scenario tone in the last `window` of what this peer heard since
    /// frame `from`, with its share of the power across [`TONES`] and its absolute power.
    pub fn hearing_since(&self, from: usize, window: Duration) -> Option<(f64, f64, f64)> {
        tone_since(&self.heard, from, window).map(|t| (t.freq, t.share, t.power))
    }

    /// The last 200 ms of everything heard.
    pub fn hearing(&self, window: Duration) -> Option<(f64, f64, f64)> {
        self.hearing_since(0, window)
    }

    /// Waits until audio produced from now on carries `freq` clearly (over 100 ms);
    /// returns how long it took. Audio heard before the call does not count.
    pub async fn wait_to_hear(&self, freq: f64, within: Duration) -> Option<Duration> {
        let start = Instant::now();
        let from = self.heard.len();
        while start.elapsed() < within {
            if let Some((f, share, power)) = self.hearing_since(from, Duration::from_millis(100))
                && f == freq
                && share > 0.9
                && power > 1e-4
            {
                return Some(start.elapsed());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        None
    }

    pub async fn rtp_sent(&self) -> u64 {
        self.session.stats().await.rtp_sent
    }

    pub async fn rtp_received(&self) -> u64 {
        self.session.stats().await.rtp_received
    }
}

/// Offer from `a`, answer from `b`, and wait until both are connected and hear each other.
pub async fn connect(a: &mut Peer, b: &mut Peer) {
    let offer = a.session.create_offer().await.expect("offer");
    let answer = b.session.accept_offer(&offer).await.expect("answer");
    a.session.accept_answer(&answer).await.expect("apply answer");
    for p in [&mut *a, &mut *b] {
        p.wait_event(Duration::from_secs(10), |e| *e == MediaEvent::Connected)
            .await
            .unwrap_or_else(|| panic!("{} never connected", p.name));
    }
}

/// `a` holds `b` (re-offer with `recvonly`); returns (offer, answer).
pub async fn hold(a: &Peer, b: &Peer) -> (String, String) {
    let offer = a.session.hold().await.expect("hold offer");
    let answer = b.session.accept_offer(&offer).await.expect("hold answer");
    a.session.accept_answer(&answer).await.expect("apply hold answer");
    (offer, answer)
}

/// `a` resumes `b` (re-offer with `sendrecv`); returns (offer, answer).
pub async fn resume(a: &Peer, b: &Peer) -> (String, String) {
    let offer = a.session.resume().await.expect("resume offer");
    let answer = b.session.accept_offer(&offer).await.expect("resume answer");
    a.session
        .accept_answer(&answer)
        .await
        .expect("apply resume answer");
    (offer, answer)
}

/// The audio direction written in an SDP.
pub fn sdp_direction(sdp: &str) -> Option<Direction> {
    dialtone_core::media::sdp::parse(sdp).ok()?.audio_direction()
}

/// How many RTP packets `p` sends over `window`.
pub async fn rtp_sent_over(p: &Peer, window: Duration) -> u64 {
    let before = p.rtp_sent().await;
    tokio::time::sleep(window).await;
    p.rtp_sent().await - before
}

/// How many RTP packets `p` receives over `window`.
pub async fn rtp_received_over(p: &Peer, window: Duration) -> u64 {
    let before = p.rtp_received().await;
    tokio::time::sleep(window).await;
    p.rtp_received().await - before
}

/// Waits until audio produced from now on is silent (below −50 dBFS over 100 ms).
pub async fn wait_silence(p: &Peer, within: Duration) -> Option<Duration> {
    let start = Instant::now();
    let from = p.heard.len();
    while start.elapsed() < within {
        let (rate, samples) = p.heard.samples_since(from);
        let n = (rate / 10) as usize;
        if rate > 0
            && samples.len() >= n
            && dialtone_core::media::analysis::rms_dbfs(&samples[samples.len() - n..]) < -50.0
        {
            return Some(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    None
}

/// Inserts a rejected `m=video 0` section with no direction attribute (as SIP gateways
/// send) before the first media section.
pub fn with_rejected_video_first(sdp: &str) -> String {
    let at = sdp.find("m=").expect("a media section");
    format!(
        "{}m=video 0 RTP/AVP 96\r\nc=IN IP4 0.0.0.0\r\n{}",
        &sdp[..at],
        &sdp[at..]
    )
}

/// Removes the first media section (what a gateway does for the leg without video).
pub fn without_first_section(sdp: &str) -> String {
    let first = sdp.find("m=").expect("a media section");
    let second = sdp[first + 2..]
        .find("\nm=")
        .map(|i| first + 2 + i + 1)
        .expect("a second section");
    format!("{}{}", &sdp[..first], &sdp[second..])
}

/// The media kinds of an SDP's sections, with their ports, in order.
pub fn sections(sdp: &str) -> Vec<(String, u16)> {
    dialtone_core::media::sdp::parse(sdp)
        .map(|p| p.sections.into_iter().map(|s| (s.kind, s.port)).collect())
        .unwrap_or_default()
}

/// `a=ice-ufrag` of an SDP.
pub fn ice_ufrag(sdp: &str) -> Option<String> {
    sdp.lines()
        .find_map(|l| l.trim_end().strip_prefix("a=ice-ufrag:").map(str::to_owned))
}

/// What a person's browser does with a sign-in URL: follows the redirects (the sandbox's
/// Login with Amazon approves at once and sends it to the app's loopback listener) and
/// returns the page it lands on.
pub async fn browse(url: &str) -> String {
    let browser = reqwest::Client::builder().no_proxy().build().expect("http");
    let page = browser.get(url).send().await.expect("browser");
    page.text().await.expect("page")
}

#[cfg(test)]
mod scenarios;
