//! Impairment of every packet on a media session's sockets: random loss, a fixed delay,
//! jitter (which reorders), a seed to make a run repeatable, and targeted drops ("the 2nd
//! DTLS datagram", "everything from 3 s on for 5 s"). It acts on STUN, DTLS, RTP and RTCP
//! alike (told apart by their first byte, RFC 7983), in both directions, and never on the
//! signaling, which does not use these sockets.
//!
//! The kernel here has no netem, so the impairment sits in the media sockets
//! (`socket.rs`), which ask the [`Impairer`] packet by packet: drop, delay or pass.

mod presets;

pub use presets::{PRESETS, Preset};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What a datagram on a media socket carries (RFC 7983 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PacketClass {
    Stun,
    Dtls,
    Rtp,
    Rtcp,
    Other,
}

impl PacketClass {
    pub const ALL: [PacketClass; 5] = [Self::Stun, Self::Dtls, Self::Rtp, Self::Rtcp, Self::Other];

    pub fn of(datagram: &[u8]) -> Self {
        match datagram.first().copied().unwrap_or(255) {
            0..=3 => Self::Stun,
            20..=63 => Self::Dtls,
            // RTCP packet types 192-223 in the second byte (RFC 5761 §4).
            128..=191 => match datagram.get(1) {
                Some(192..=223) => Self::Rtcp,
                _ => Self::Rtp,
            },
            _ => Self::Other,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Stun => "stun",
            Self::Dtls => "dtls",
            Self::Rtp => "rtp",
            Self::Rtcp => "rtcp",
            Self::Other => "other",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.name() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Way {
    Out,
    In,
}

/// A drop aimed at one packet: the `nth` (from 1) datagram of `class`, counted in `way`
/// or, with `None`, in both directions together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetedDrop {
    pub class: PacketClass,
    pub way: Option<Way>,
    pub nth: u64,
}

/// Everything dropped, both ways, from `from` after the session starts, for `len`
/// (`None`: for good).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Blackout {
    pub from: Duration,
    pub len: Option<Duration>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Impairment {
    /// Probability (0 to 1) that a packet is dropped, each way.
    pub loss: f64,
    /// Added to every packet that passes.
    pub delay: Duration,
    /// A further delay, uniform in [0, jitter], per packet: packets reorder.
    pub jitter: Duration,
    /// Seeds the random choices; the same seed and traffic give the same drops.
    pub seed: Option<u64>,
    /// The classes random loss, delay and jitter apply to; empty means all of them.
    pub only: Vec<PacketClass>,
    pub drops: Vec<TargetedDrop>,
    pub blackouts: Vec<Blackout>,
    /// The named network this started from (`3g`), for reports.
    pub preset: Option<&'static str>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "bad impairment '{item}': {why}; use a named network ({names}) or, for example, \"loss=5%,delay=20ms,jitter=30ms,seed=7,drop=dtls:2,blackout=3s+5s\", or both (\"3g,seed=7\")",
    names = Preset::names()
)]
pub struct ImpairmentParseError {
    item: String,
    why: &'static str,
}

fn duration(s: &str) -> Option<Duration> {
    if let Some(ms) = s.strip_suffix("ms") {
        return ms.trim().parse::<u64>().ok().map(Duration::from_millis);
    }
    let secs = s.strip_suffix('s')?.trim().parse::<f64>().ok()?;
    (0.0..1e6).contains(&secs).then(|| Duration::from_secs_f64(secs))
}

impl Impairment {
    /// For people: "'3g': 1% loss, 250 ms delay, 50 ms jitter, each way" ("given: ..."
    /// without a named network), plus any
    /// targeted drops and blackouts.
    pub fn describe(&self) -> String {
        let named = self.preset.map_or("given".to_owned(), |p| format!("'{p}'"));
        let mut s = format!(
            "{named}: {}% loss, {} ms delay, {} ms jitter, each way",
            self.loss * 100.0,
            self.delay.as_millis(),
            self.jitter.as_millis()
        );
        if !self.drops.is_empty() {
            s.push_str(&format!(", {} targeted drop(s)", self.drops.len()));
        }
        if !self.blackouts.is_empty() {
            s.push_str(&format!(", {} blackout(s)", self.blackouts.len()));
        }
        s
    }
}

impl std::str::FromStr for Impairment {
    type Err = ImpairmentParseError;

    /// A named network (`3g`: [`PRESETS`]), `loss=5%`, `delay=20ms`, `jitter=30ms`,
    /// `seed=7`, `only=rtp+rtcp`, `drop=dtls:2` (`dtls-out:1`, `stun-in:3`, ...),
    /// `blackout=3s+5s` (`blackout=3s`: from 3 s on, for good), separated by commas; a
    /// key after a named network overrides its figure.
    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let mut out = Impairment::default();
        for item in spec.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let bad = |why| ImpairmentParseError {
                item: item.to_owned(),
                why,
            };
            let Some((key, value)) = item.split_once('=') else {
                let preset = Preset::find(item).ok_or_else(|| bad("not a named network or key=value"))?;
                out.loss = preset.loss_pct / 100.0;
                out.delay = preset.delay;
                out.jitter = preset.jitter;
                out.preset = Some(preset.name);
                continue;
            };
            match key.trim() {
                "loss" => {
                    let pct = value
                        .trim()
                        .trim_end_matches('%')
                        .parse::<f64>()
                        .map_err(|_| bad("loss is a percentage such as 5%"))?;
                    if !(0.0..=100.0).contains(&pct) {
                        return Err(bad("loss is between 0% and 100%"));
                    }
                    out.loss = pct / 100.0;
                }
                "delay" => out.delay = duration(value).ok_or_else(|| bad("delay is a time such as 20ms"))?,
                "jitter" => {
                    out.jitter = duration(value).ok_or_else(|| bad("jitter is a time such as 30ms"))?
                }
                "seed" => out.seed = Some(value.parse().map_err(|_| bad("seed is a whole number"))?),
                "only" => {
                    out.only = value
                        .split('+')
                        .map(|c| PacketClass::parse(c.trim()))
                        .collect::<Option<_>>()
                        .ok_or_else(|| bad("classes are stun, dtls, rtp, rtcp, other"))?;
                }
                "drop" => {
                    let (what, nth) = value
                        .split_once(':')
                        .ok_or_else(|| bad("drop is class:N, such as dtls:2"))?;
                    let (class, way) = match what.rsplit_once('-') {
                        Some((c, "out")) => (c, Some(Way::Out)),
                        Some((c, "in")) => (c, Some(Way::In)),
                        _ => (what, None),
                    };
                    let class = PacketClass::parse(class)
                        .ok_or_else(|| bad("classes are stun, dtls, rtp, rtcp, other"))?;
                    let nth = nth
                        .parse::<u64>()
                        .ok()
                        .filter(|n| *n > 0)
                        .ok_or_else(|| bad("N counts from 1"))?;
                    out.drops.push(TargetedDrop { class, way, nth });
                }
                "blackout" => {
                    let (from, len) = match value.split_once('+') {
                        Some((f, l)) => (
                            f,
                            Some(duration(l).ok_or_else(|| bad("blackout is FROM+LENGTH, such as 3s+5s"))?),
                        ),
                        None => (value, None),
                    };
                    let from = duration(from).ok_or_else(|| bad("blackout is FROM+LENGTH, such as 3s+5s"))?;
                    out.blackouts.push(Blackout { from, len });
                }
                _ => {
                    return Err(bad(
                        "known keys are loss, delay, jitter, seed, only, drop, blackout",
                    ));
                }
            }
        }
        Ok(out)
    }
}

/// Packets seen and dropped, per direction and class.
#[derive(Debug, Default)]
pub struct ImpairmentCounters {
    seen: Mutex<BTreeMap<(Way, PacketClass), (u64, u64)>>,
    /// RTP packets per payload type (the header is clear text under SRTP): what really
    /// went on the wire, DTMF events included.
    payload_types: Mutex<BTreeMap<(Way, u8), u64>>,
    /// All packets seen / dropped, for a quick look.
    pub packets: AtomicU64,
    pub dropped: AtomicU64,
}

impl ImpairmentCounters {
    /// (seen, dropped) of one class in one direction.
    pub fn get(&self, way: Way, class: PacketClass) -> (u64, u64) {
        crate::lock(&self.seen)
            .get(&(way, class))
            .copied()
            .unwrap_or_default()
    }

    /// RTP packets of payload type `pt` seen in `way` (dropped ones included).
    pub fn rtp_of_type(&self, way: Way, pt: u8) -> u64 {
        crate::lock(&self.payload_types)
            .get(&(way, pt))
            .copied()
            .unwrap_or_default()
    }
}

/// A line's impairment, shared by its calls' sessions and changed while they run (a
/// script's `impair 3g` / `impair off`). Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct ImpairmentDial(Arc<std::sync::RwLock<Impairment>>);

impl ImpairmentDial {
    pub fn new(initial: Impairment) -> Self {
        Self(Arc::new(std::sync::RwLock::new(initial)))
    }

    /// From the next packet on (`Impairment::default()`: clean). Blackouts stay timed
    /// from each session's start.
    pub fn set(&self, to: Impairment) {
        *self.0.write().unwrap_or_else(std::sync::PoisonError::into_inner) = to;
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Impairment> {
        self.0.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The decisions, shared by every socket of one session.
pub struct Impairer {
    config: ImpairmentDial,
    started: Instant,
    rng: Mutex<StdRng>,
    counters: Arc<ImpairmentCounters>,
}

impl Impairer {
    /// `None`: drop it. `Some(d)`: deliver it after `d`.
    pub fn decide(&self, way: Way, datagram: &[u8]) -> Option<Duration> {
        let class = PacketClass::of(datagram);
        let now = self.started.elapsed();
        let (nth_way, nth_both) = {
            let mut seen = crate::lock(&self.counters.seen);
            let mine = {
                let e = seen.entry((way, class)).or_default();
                e.0 += 1;
                e.0
            };
            let other = match way {
                Way::Out => Way::In,
                Way::In => Way::Out,
            };
            let theirs = seen.get(&(other, class)).map_or(0, |e| e.0);
            (mine, mine + theirs)
        };
        self.counters.packets.fetch_add(1, Ordering::Relaxed);
        if class == PacketClass::Rtp
            && let Some(b) = datagram.get(1)
        {
            *crate::lock(&self.counters.payload_types)
                .entry((way, b & 0x7f))
                .or_default() += 1;
        }
        let config = self.config.read();
        let targeted = config.drops.iter().any(|d| {
            d.class == class
                && match d.way {
                    Some(w) => w == way && d.nth == nth_way,
                    None => d.nth == nth_both,
                }
        });
        let blacked_out = config
            .blackouts
            .iter()
            .any(|b| now >= b.from && b.len.is_none_or(|l| now < b.from + l));
        let random = config.only.is_empty() || config.only.contains(&class);
        let mut rng = crate::lock(&self.rng);
        let lost = random && config.loss > 0.0 && rng.random_bool(config.loss.min(1.0));
        if targeted || blacked_out || lost {
            self.counters.dropped.fetch_add(1, Ordering::Relaxed);
            if let Some(e) = crate::lock(&self.counters.seen).get_mut(&(way, class)) {
                e.1 += 1;
            }
            return None;
        }
        if !random {
            return Some(Duration::ZERO);
        }
        let jitter = config.jitter.mul_f64(rng.random::<f64>());
        Some(config.delay + jitter)
    }
}

impl Impairer {
    pub fn new(config: Impairment) -> Self {
        Self::live(ImpairmentDial::new(config))
    }

    /// Following `dial`, whose seed (as it is now) seeds the random choices.
    pub fn live(config: ImpairmentDial) -> Self {
        let seed = config.read().seed;
        let rng = match seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_rng(&mut rand::rng()),
        };
        Self {
            config,
            started: Instant::now(),
            rng: Mutex::new(rng),
            counters: Arc::default(),
        }
    }

    pub(crate) fn counters(&self) -> Arc<ImpairmentCounters> {
        self.counters.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packets_are_told_apart_by_their_first_bytes() {
        assert_eq!(PacketClass::of(&[0, 1, 0, 0]), PacketClass::Stun);
        assert_eq!(PacketClass::of(&[22, 254, 253]), PacketClass::Dtls);
        assert_eq!(PacketClass::of(&[0x80, 111]), PacketClass::Rtp);
        assert_eq!(PacketClass::of(&[0x80, 0xE0 | 111]), PacketClass::Rtp);
        assert_eq!(PacketClass::of(&[0x81, 200]), PacketClass::Rtcp);
        assert_eq!(PacketClass::of(&[]), PacketClass::Other);
    }

    #[test]
    fn a_named_network_sets_its_figures_and_later_keys_override_them() {
        let i: Impairment = "3g".parse().expect("3g");
        assert_eq!(
            (i.loss, i.delay, i.jitter, i.preset),
            (
                0.005,
                Duration::from_millis(250),
                Duration::from_millis(50),
                Some("3g")
            )
        );
        let i: Impairment = "EDGE, loss=2%, seed=7".parse().expect("edge");
        assert_eq!(
            (i.loss, i.delay, i.seed, i.preset),
            (0.02, Duration::from_millis(650), Some(7), Some("edge"))
        );
        for p in PRESETS {
            let i: Impairment = p.name.parse().expect(p.name);
            assert_eq!(i.preset, Some(p.name));
            assert!(
                (0.0..=0.2).contains(&i.loss) && i.delay < Duration::from_secs(1),
                "{p:?}"
            );
        }
        let e = "5g".parse::<Impairment>().expect_err("no such network");
        assert!(e.to_string().contains("4g, 3g, edge"), "{e}");
    }

    #[test]
    fn the_spec_string_reads_every_key_and_refuses_nonsense() {
        let i: Impairment =
            "loss=5%, delay=20ms,jitter=30ms,seed=7,drop=dtls:2,drop=stun-in:1,blackout=3s+5s,blackout=40s"
                .parse()
                .expect("parse");
        assert_eq!(i.loss, 0.05);
        assert_eq!(
            (i.delay, i.jitter, i.seed),
            (Duration::from_millis(20), Duration::from_millis(30), Some(7))
        );
        assert_eq!(
            i.drops,
            [
                TargetedDrop {
                    class: PacketClass::Dtls,
                    way: None,
                    nth: 2
                },
                TargetedDrop {
                    class: PacketClass::Stun,
                    way: Some(Way::In),
                    nth: 1
                },
            ]
        );
        assert_eq!(
            i.blackouts[0],
            Blackout {
                from: Duration::from_secs(3),
                len: Some(Duration::from_secs(5))
            }
        );
        assert_eq!(i.blackouts[1].len, None);
        for bad in [
            "loss=200%",
            "loss",
            "delay=fast",
            "drop=dtls",
            "drop=sip:1",
            "drop=dtls:0",
            "colour=red",
        ] {
            assert!(bad.parse::<Impairment>().is_err(), "{bad}");
        }
    }

    fn impairer(spec: &str) -> Impairer {
        let mut config: Impairment = spec.parse().expect("spec");
        config.seed = config.seed.or(Some(1));
        Impairer::new(config)
    }

    #[test]
    fn a_targeted_drop_takes_exactly_the_nth_packet_of_its_class() {
        let i = impairer("drop=dtls:2");
        let dtls = [22u8, 254, 253];
        let rtp = [0x80u8, 111];
        assert!(i.decide(Way::Out, &rtp).is_some());
        assert!(i.decide(Way::Out, &dtls).is_some());
        // The second DTLS datagram, counted over both directions.
        assert!(i.decide(Way::In, &dtls).is_none());
        assert!(i.decide(Way::Out, &dtls).is_some());
        assert_eq!(i.counters.get(Way::In, PacketClass::Dtls), (1, 1));
    }

    #[test]
    fn the_same_seed_drops_the_same_packets_and_loss_is_near_its_rate() {
        let run = || {
            let i = impairer("loss=10%,seed=42");
            (0..5000)
                .map(|_| i.decide(Way::Out, &[0x80, 0]).is_none())
                .collect::<Vec<_>>()
        };
        let a = run();
        assert_eq!(a, run());
        let lost = a.iter().filter(|l| **l).count();
        assert!((400..600).contains(&lost), "{lost} of 5000");
    }

    #[test]
    fn only_limits_random_loss_to_its_classes() {
        let i = impairer("loss=100%,only=rtp+rtcp");
        assert!(i.decide(Way::Out, &[0x80, 0]).is_none());
        assert!(i.decide(Way::Out, &[22, 254]).is_some());
        assert!(i.decide(Way::In, &[0, 1]).is_some());
    }
}
