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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QualityWarning {
    HighRtt,
    HighJitter,
    HighLoss,
    LowMos,
}

impl QualityWarning {
    /// One sentence: what is wrong, and what it sounds like.
    pub fn message(self) -> &'static str {
        match self {
            Self::HighRtt => "high delay: the far end hears you late; pause before answering",
            Self::HighJitter => "unsteady network: audio may be late or choppy",
            Self::HighLoss => "packets are being lost: audio may break up",
            Self::LowMos => "poor call quality",
        }
    }
}

/// The quality of the last second, for the UI.
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
}
