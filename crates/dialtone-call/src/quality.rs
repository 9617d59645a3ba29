//! Live call quality: a MOS estimate from round-trip time, jitter and loss, and the
//! warnings a user should see. The E-model simplification is Twilio's (twilio-voice.js
//! `mos.ts`); the thresholds are Twilio's and Sinch's (`../shared/reference/peers.md` §4).

use serde::Serialize;

/// Round-trip time above which the far end hears us late enough to talk over us.
pub const RTT_WARN_MS: f64 = 400.0;
/// Jitter above which the jitter buffer must grow (and audio arrives later).
pub const JITTER_WARN_MS: f64 = 30.0;
/// Loss above which gaps become audible even with concealment.
pub const LOSS_WARN_PCT: f64 = 3.0;
/// A MOS below this is a poor call.
pub const MOS_WARN: f64 = 3.5;

/// What a user is warned about.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QualityWarning {
    HighRtt,
    HighJitter,
    HighLoss,
    LowMos,
    /// No audio arrives although the far end should be sending.
    NoMedia,
}

impl QualityWarning {
    /// One sentence: what is wrong, and what it sounds like.
    pub fn message(self) -> &'static str {
        match self {
            Self::HighRtt => "high delay: the far end hears you late; pause before answering",
            Self::HighJitter => "unsteady network: audio may be late or choppy",
            Self::HighLoss => "packets are being lost: audio may break up",
            Self::LowMos => "poor call quality",
            Self::NoMedia => "no audio is arriving from the far end",
        }
    }
}

/// The quality of the last second, for the UI.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quality {
    /// 1 (bad) to about 4.4 (the best a narrowband model gives).
    pub mos: f64,
    pub warnings: Vec<QualityWarning>,
    /// Each warning as a sentence for people, in the same order.
    pub advice: Vec<&'static str>,
}

/// MOS from round-trip time (`None` before RTCP has measured it: counted as 0),
/// jitter and loss, by the simplified E-model.
pub fn mos(rtt_ms: Option<f64>, jitter_ms: f64, loss_pct: f64) -> f64 {
    let latency = rtt_ms.unwrap_or(0.0).max(0.0) + 2.0 * jitter_ms.max(0.0) + 10.0;
    let mut r = 94.768;
    r -= if latency < 160.0 {
        latency / 40.0
    } else {
        (latency - 120.0) / 10.0
    };
    r -= 2.5 * loss_pct.clamp(0.0, 100.0);
    if r <= 0.0 {
        return 1.0;
    }
    let r = r.min(100.0);
    (1.0 + 0.035 * r + 7e-6 * r * (r - 60.0) * (100.0 - r)).clamp(1.0, 5.0)
}

/// The MOS and every threshold crossed.
pub fn assess(rtt_ms: Option<f64>, jitter_ms: f64, loss_pct: f64) -> Quality {
    let mos = mos(rtt_ms, jitter_ms, loss_pct);
    let mut warnings = Vec::new();
    if rtt_ms.is_some_and(|r| r > RTT_WARN_MS) {
        warnings.push(QualityWarning::HighRtt);
    }
    if jitter_ms > JITTER_WARN_MS {
        warnings.push(QualityWarning::HighJitter);
    }
    if loss_pct > LOSS_WARN_PCT {
        warnings.push(QualityWarning::HighLoss);
    }
    if mos < MOS_WARN {
        warnings.push(QualityWarning::LowMos);
    }
    let advice = warnings.iter().map(|w| w.message()).collect();
    Quality {
        mos,
        warnings,
        advice,
    }
}

/// The quality of a call on which nothing is heard: the lowest score, whatever the
/// network figures say.
pub fn silent() -> Quality {
    let warnings = vec![QualityWarning::NoMedia, QualityWarning::LowMos];
    Quality {
        mos: 1.0,
        advice: warnings.iter().map(|w| w.message()).collect(),
        warnings,
    }
}

/// The counters one quality interval is measured from (all since the call started).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MediaCounters {
    pub packets_received: u64,
    /// Packets the network lost on the way to us (sequence gaps).
    pub packets_lost: i64,
    /// Frames played out, concealed ones included, and the concealed ones.
    pub frames_out: u64,
    pub frames_concealed: u64,
}

/// The quality of the last interval, not of the call so far: a call that lost its path
/// for a while and got it back scores well again once audio flows, and an interval in
/// which nothing arrived scores 1 whatever the network figures said before.
#[derive(Debug, Default)]
pub struct IntervalQuality {
    last: MediaCounters,
}

impl IntervalQuality {
    /// `expecting`: the far end should be sending (we receive in the negotiated direction).
    pub fn assess(
        &mut self,
        now: MediaCounters,
        rtt_ms: Option<f64>,
        jitter_ms: f64,
        expecting: bool,
    ) -> Quality {
        let last = std::mem::replace(&mut self.last, now);
        let received = now.packets_received.saturating_sub(last.packets_received);
        if expecting && received == 0 {
            return silent();
        }
        let lost = (now.packets_lost - last.packets_lost).max(0) as f64;
        let network = if received as f64 + lost > 0.0 {
            100.0 * lost / (received as f64 + lost)
        } else {
            0.0
        };
        let heard = heard_loss_pct(
            network,
            now.frames_out.saturating_sub(last.frames_out),
            now.frames_concealed.saturating_sub(last.frames_concealed),
        );
        assess(rtt_ms, jitter_ms, heard)
    }
}

/// Loss as the listener hears it: what the network lost or what the receiver had to
/// invent (concealed, FEC-rebuilt or stretched frames), whichever is more, in percent.
/// `frames_out` counts every frame played, the concealed ones among them.
pub fn heard_loss_pct(network_loss_pct: f64, frames_out: u64, frames_concealed: u64) -> f64 {
    let concealed = if frames_out == 0 {
        0.0
    } else {
        (100.0 * frames_concealed as f64 / frames_out as f64).min(100.0)
    };
    network_loss_pct.max(concealed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clean_loopback_call_scores_near_the_top() {
        let q = assess(Some(1.0), 0.5, 0.0);
        assert!(q.mos > 4.3 && q.mos < 4.5, "{}", q.mos);
        assert!(q.warnings.is_empty());
    }

    #[test]
    fn each_threshold_raises_its_own_warning() {
        assert_eq!(assess(Some(450.0), 1.0, 0.0).warnings[0], QualityWarning::HighRtt);
        assert_eq!(
            assess(Some(20.0), 35.0, 0.0).warnings,
            [QualityWarning::HighJitter]
        );
        assert_eq!(assess(Some(20.0), 1.0, 4.0).warnings, [QualityWarning::HighLoss]);
        // Just under each line: no warning.
        assert!(
            assess(Some(399.0), 29.0, 2.9)
                .warnings
                .iter()
                .all(|w| *w == QualityWarning::LowMos)
        );
    }

    #[test]
    fn mos_falls_with_delay_and_loss_and_stays_in_range() {
        let good = mos(Some(20.0), 2.0, 0.0);
        let late = mos(Some(300.0), 2.0, 0.0);
        let lossy = mos(Some(20.0), 2.0, 10.0);
        assert!(good > late && good > lossy);
        assert!(mos(Some(5000.0), 500.0, 100.0) >= 1.0);
        assert!(mos(None, -3.0, -1.0) <= 4.5);
        let awful = assess(Some(800.0), 60.0, 20.0);
        assert!(awful.mos < MOS_WARN);
        assert_eq!(awful.warnings.len(), 4);
    }

    #[test]
    fn a_silent_call_scores_one_and_says_why() {
        let q = silent();
        assert_eq!(q.mos, 1.0);
        assert_eq!(q.warnings[0], QualityWarning::NoMedia);
    }

    #[test]
    fn concealed_frames_count_as_loss() {
        assert_eq!(heard_loss_pct(0.0, 100, 10), 10.0);
        assert_eq!(heard_loss_pct(12.0, 100, 10), 12.0);
        assert_eq!(heard_loss_pct(0.0, 0, 0), 0.0);
        assert!(assess(Some(1.0), 1.0, heard_loss_pct(0.0, 100, 20)).mos < 3.6);
    }

    #[test]
    fn each_interval_is_judged_on_its_own() {
        let mut q = IntervalQuality::default();
        let c = |received, lost, out, concealed| MediaCounters {
            packets_received: received,
            packets_lost: lost,
            frames_out: out,
            frames_concealed: concealed,
        };
        assert!(q.assess(c(50, 0, 50, 0), Some(1.0), 1.0, true).mos > 4.3);
        // Nothing arrived this second: 1, whatever came before.
        let silent_second = q.assess(c(50, 0, 50, 0), Some(1.0), 1.0, true);
        assert_eq!(
            (silent_second.mos, silent_second.warnings[0]),
            (1.0, QualityWarning::NoMedia)
        );
        // Nothing was expected (the far end holds us): not a fault.
        assert!(q.assess(c(50, 0, 50, 0), Some(1.0), 1.0, false).mos > 4.3);
        // The path came back after 150 lost packets: the next clean second scores well.
        q.assess(c(100, 150, 100, 30), Some(1.0), 1.0, true);
        assert!(q.assess(c(150, 150, 150, 30), Some(1.0), 1.0, true).mos > 4.3);
        // 10 % of this second's packets lost.
        let lossy = q.assess(c(195, 155, 200, 30), Some(1.0), 1.0, true);
        assert!(lossy.warnings.contains(&QualityWarning::HighLoss), "{lossy:?}");
    }
}
