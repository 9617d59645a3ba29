//! Our side of DTLS retransmission, where the stack falls short (sans-IO).
//!
//! rtc-dtls 0.21 clears its retransmission timer whenever a handshake packet arrives,
//! even one that does not move the handshake on (`handshaker.rs`, `wait()`). So when a
//! flight of ours is lost and the far end repeats its previous flight (as it should: RFC
//! 6347 §4.2.4), our timer is gone and we never send ours again: Chromium repeated its
//! ClientHello six times over 6 s to a Dialtone that had lost its ServerHello, and the
//! call stayed silent. The guard watches the datagrams on the socket: it remembers our
//! last flight (what we sent since the far end last spoke), and when the far end repeats
//! a flight we already had, it sends ours again. The copies carry the same record
//! sequence numbers; the far end's replay window takes only the records it missed.
//!
//! It also keeps a timer of its own, as libwebrtc does: the stack waits a whole second
//! before it repeats a lost flight, which made a call between two Dialtones with one DTLS
//! datagram lost set up in 1.0-1.2 s against Chromium's 0.25 s (`make bench`,
//! `lossy_setup`). When nothing comes back within [`FIRST_WAIT`] (doubling up to
//! [`LONGEST_WAIT`]), our last flight goes again.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Enough for a handshake of any length; a far end that keeps repeating past this has
/// another problem.
const MAX_RESENDS: u32 = 16;
/// How long the far end has to answer a flight before we send it again, libwebrtc's
/// figure: a loopback or LAN answer takes a millisecond; on a far path a copy too many is
/// harmless (the far end's replay window drops it).
pub const FIRST_WAIT: Duration = Duration::from_millis(50);
pub const LONGEST_WAIT: Duration = Duration::from_secs(1);

#[derive(Debug, Default)]
pub struct DtlsGuard {
    /// Our last flight, datagram by datagram.
    ours: Vec<Vec<u8>>,
    /// Whether the next datagram we send continues `ours` (nothing came in since).
    continuing: bool,
    /// The far end's plaintext handshake records seen so far, sequence numbers left out.
    seen: HashSet<Vec<u8>>,
    resends: u32,
    /// SRTP came in: the handshake is over on both sides.
    done: bool,
    /// When our last flight (or its last copy) went, while the far end has said nothing.
    sent_at: Option<Instant>,
    wait: Duration,
    /// Where our flight went.
    to: Option<SocketAddr>,
}

/// DTLS record header: type (1), version (2), epoch (2), sequence number (6), length (2).
const HEADER: usize = 13;

/// The plaintext (epoch 0) records of a datagram, each without its sequence number.
fn plaintext_records(datagram: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = datagram;
    while rest.len() >= HEADER {
        let len = usize::from(u16::from_be_bytes([rest[11], rest[12]]));
        let Some(record) = rest.get(..HEADER + len) else {
            break;
        };
        let epoch = u16::from_be_bytes([record[3], record[4]]);
        if epoch == 0 {
            let mut key = Vec::with_capacity(record.len() - 6);
            key.extend_from_slice(&record[..5]);
            key.extend_from_slice(&record[11..]);
            out.push(key);
        }
        rest = &rest[HEADER + len..];
    }
    out
}

/// Two datagrams with the same handshake content (sequence numbers aside), or the same bytes.
fn same_content(a: &[u8], b: &[u8]) -> bool {
    let (ra, rb) = (plaintext_records(a), plaintext_records(b));
    if ra.is_empty() { a == b } else { ra == rb }
}

impl DtlsGuard {
    /// A DTLS datagram we send to `to`.
    pub fn on_send(&mut self, datagram: &[u8], to: SocketAddr, now: Instant) {
        if !self.continuing {
            self.ours.clear();
            self.continuing = true;
            self.wait = FIRST_WAIT;
        }
        // The stack's own repeat of a datagram replaces it rather than doubling the flight.
        match self.ours.iter().position(|d| same_content(d, datagram)) {
            Some(i) => self.ours[i] = datagram.to_vec(),
            None => self.ours.push(datagram.to_vec()),
        }
        self.sent_at = Some(now);
        self.to = Some(to);
    }

    /// Time passes: our last flight and where it goes, when the far end has let it go
    /// unanswered for too long.
    pub fn on_tick(&mut self, now: Instant) -> Option<(Vec<Vec<u8>>, SocketAddr)> {
        let sent = self.sent_at?;
        if self.done || self.ours.is_empty() || self.resends >= MAX_RESENDS {
            return None;
        }
        if now.saturating_duration_since(sent) < self.wait {
            return None;
        }
        self.resends += 1;
        self.sent_at = Some(now);
        self.wait = (self.wait * 2).min(LONGEST_WAIT);
        tracing::debug!(
            resends = self.resends,
            datagrams = self.ours.len(),
            "no answer to our DTLS flight: sending it again"
        );
        Some((self.ours.clone(), self.to?))
    }

    /// A flight of ours waits for the far end's answer.
    pub fn waiting(&self) -> bool {
        self.sent_at.is_some()
    }

    /// The handshake is over (media came in) or the guard has given up: no more ticks.
    pub fn finished(&self) -> bool {
        self.done || self.resends >= MAX_RESENDS
    }

    /// SRTP or SRTCP from the far end: its handshake is complete.
    pub fn on_media(&mut self) {
        self.done = true;
    }

    /// A DTLS datagram from the far end. Returns our last flight when the far end has
    /// sent this one before: it did not get ours.
    pub fn on_receive(&mut self, datagram: &[u8]) -> Option<Vec<Vec<u8>>> {
        self.continuing = false;
        // The far end spoke: it is its turn, and its repeats bring ours below.
        self.sent_at = None;
        let records = plaintext_records(datagram);
        if records.is_empty() {
            return None;
        }
        let repeated = records.iter().all(|r| self.seen.contains(r));
        self.seen.extend(records);
        if !repeated || self.done || self.ours.is_empty() || self.resends >= MAX_RESENDS {
            return None;
        }
        self.resends += 1;
        tracing::debug!(
            resends = self.resends,
            datagrams = self.ours.len(),
            "the far end repeated a DTLS flight: sending ours again"
        );
        Some(self.ours.clone())
    }

    /// How often our flight was sent again.
    pub fn resends(&self) -> u32 {
        self.resends
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to() -> SocketAddr {
        "127.0.0.1:9".parse().expect("addr")
    }

    fn t0() -> Instant {
        static T0: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
        *T0.get_or_init(Instant::now)
    }

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn an_unanswered_flight_goes_again_after_50_ms_then_100_then_200() {
        let mut g = DtlsGuard::default();
        let flight = [record(0, 0, b"client hello")];
        g.on_send(&flight[0], to(), t0());
        assert_eq!(g.on_tick(t0() + 49 * MS), None);
        assert_eq!(g.on_tick(t0() + 50 * MS), Some((flight.to_vec(), to())));
        assert_eq!(g.on_tick(t0() + 149 * MS), None);
        assert!(g.on_tick(t0() + 150 * MS).is_some());
        assert_eq!(g.on_tick(t0() + 349 * MS), None);
        assert!(g.on_tick(t0() + 350 * MS).is_some());
        // The stack's own repeat (a new sequence number) replaces ours, not adds to it.
        g.on_send(&record(0, 1, b"client hello"), to(), t0() + 1000 * MS);
        let (again, _) = g.on_tick(t0() + 2000 * MS).expect("again");
        assert_eq!(again, vec![record(0, 1, b"client hello")]);
    }

    #[test]
    fn an_answered_flight_or_a_finished_handshake_is_left_alone() {
        let mut g = DtlsGuard::default();
        g.on_send(&record(0, 0, b"client hello"), to(), t0());
        g.on_receive(&record(0, 0, b"server hello"));
        assert_eq!(g.on_tick(t0() + 5000 * MS), None);
        g.on_send(&record(1, 0, b"finished"), to(), t0() + 5000 * MS);
        g.on_media();
        assert_eq!(g.on_tick(t0() + 9000 * MS), None);
        assert!(g.finished());
    }

    /// A handshake record (type 22) with `seq` and `body`.
    fn record(epoch: u16, seq: u64, body: &[u8]) -> Vec<u8> {
        let mut r = vec![22, 0xfe, 0xfd];
        r.extend_from_slice(&epoch.to_be_bytes());
        r.extend_from_slice(&seq.to_be_bytes()[2..]);
        r.extend_from_slice(&(body.len() as u16).to_be_bytes());
        r.extend_from_slice(body);
        r
    }

    #[test]
    fn a_repeated_client_hello_brings_our_lost_server_flight_again() {
        let mut g = DtlsGuard::default();
        assert_eq!(g.on_receive(&record(0, 0, b"client hello")), None);
        let flight = [record(0, 0, b"server hello"), record(0, 1, b"certificate")];
        for d in &flight {
            g.on_send(d, to(), t0());
        }
        // The far end's retransmission has a new record sequence number, same content.
        assert_eq!(
            g.on_receive(&record(0, 1, b"client hello")),
            Some(flight.to_vec())
        );
        assert_eq!(g.resends(), 1);
    }

    #[test]
    fn a_new_flight_from_the_far_end_is_not_a_repeat() {
        let mut g = DtlsGuard::default();
        g.on_receive(&record(0, 0, b"client hello"));
        g.on_send(&record(0, 0, b"server hello"), to(), t0());
        assert_eq!(g.on_receive(&record(0, 1, b"client key exchange")), None);
        // Our next flight replaces the last one.
        g.on_send(&record(1, 0, b"finished"), to(), t0());
        let again = [
            record(0, 2, b"client key exchange").as_slice(),
            &record(1, 0, b"x"),
        ]
        .concat();
        assert_eq!(g.on_receive(&again), Some(vec![record(1, 0, b"finished")]));
    }

    #[test]
    fn nothing_is_sent_again_once_media_flows_or_for_encrypted_records_or_garbage() {
        let mut g = DtlsGuard::default();
        g.on_receive(&record(0, 0, b"hello"));
        g.on_send(&record(0, 0, b"ours"), to(), t0());
        assert_eq!(g.on_receive(&record(1, 5, b"encrypted")), None);
        assert_eq!(g.on_receive(&[22, 0xfe]), None);
        g.on_media();
        assert_eq!(g.on_receive(&record(0, 1, b"hello")), None);
    }
}
