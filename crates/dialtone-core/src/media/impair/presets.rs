//! Named networks to reproduce (`--impair 3g`), with the figures Loadero, a WebRTC testing
//! service, publishes for its participants' network conditions
//! (wiki.loadero.com, "Network conditions"), so a run here and a run there mean the same.
//! Bandwidth caps are left out: the impairment layer drops, delays and reorders packets but
//! does not shape their rate, and an audio call's 30-80 kbit/s fits all of these networks.
//! Delay and jitter apply to each packet each way, so the round trip is about twice the delay.

use std::time::Duration;

/// One named network.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Preset {
    pub name: &'static str,
    /// Percent of packets lost, each way.
    pub loss_pct: f64,
    pub delay: Duration,
    pub jitter: Duration,
    pub what: &'static str,
}

const fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

pub const PRESETS: &[Preset] = &[
    Preset {
        name: "4g",
        loss_pct: 0.2,
        delay: ms(45),
        jitter: ms(10),
        what: "a good mobile data connection",
    },
    Preset {
        name: "3g",
        loss_pct: 0.5,
        delay: ms(250),
        jitter: ms(50),
        what: "a 3G (UMTS) mobile connection",
    },
    Preset {
        name: "edge",
        loss_pct: 1.0,
        delay: ms(650),
        jitter: ms(100),
        what: "2G EDGE: long delay, some loss",
    },
    Preset {
        name: "satellite",
        loss_pct: 0.0,
        delay: ms(600),
        jitter: ms(0),
        what: "a geostationary satellite hop: long, steady delay",
    },
    Preset {
        name: "high-jitter",
        loss_pct: 0.0,
        delay: ms(200),
        jitter: ms(100),
        what: "a congested path: delay that varies by up to 100 ms, packets reordered",
    },
    Preset {
        name: "lossy",
        loss_pct: 5.0,
        delay: ms(0),
        jitter: ms(0),
        what: "5% random loss: a poor Wi-Fi link",
    },
    Preset {
        name: "very-lossy",
        loss_pct: 10.0,
        delay: ms(0),
        jitter: ms(0),
        what: "10% random loss: where concealment is heard",
    },
];

impl Preset {
    pub fn find(name: &str) -> Option<&'static Preset> {
        PRESETS.iter().find(|p| p.name.eq_ignore_ascii_case(name))
    }

    /// The names, for messages: "4g, 3g, edge, ...".
    pub fn names() -> String {
        PRESETS.iter().map(|p| p.name).collect::<Vec<_>>().join(", ")
    }
}
