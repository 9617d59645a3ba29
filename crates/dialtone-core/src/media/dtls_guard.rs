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

use std::collections::HashSet;

/// Enough for a handshake of any length; a far end that keeps repeating past this has
/// another problem.
const MAX_RESENDS: u32 = 16;

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

impl DtlsGuard {
    /// A DTLS datagram we send.
    pub fn on_send(&mut self, datagram: &[u8]) {
        if !self.continuing {
            self.ours.clear();
            self.continuing = true;
        }
        self.ours.push(datagram.to_vec());
    }

    /// SRTP or SRTCP from the far end: its handshake is complete.
    pub fn on_media(&mut self) {
        self.done = true;
    }

    /// A DTLS datagram from the far end. Returns our last flight when the far end has
    /// sent this one before: it did not get ours.
    pub fn on_receive(&mut self, datagram: &[u8]) -> Option<Vec<Vec<u8>>> {
        self.continuing = false;
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
            g.on_send(d);
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
        g.on_send(&record(0, 0, b"server hello"));
        assert_eq!(g.on_receive(&record(0, 1, b"client key exchange")), None);
        // Our next flight replaces the last one.
        g.on_send(&record(1, 0, b"finished"));
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
        g.on_send(&record(0, 0, b"ours"));
        assert_eq!(g.on_receive(&record(1, 5, b"encrypted")), None);
        assert_eq!(g.on_receive(&[22, 0xfe]), None);
        g.on_media();
        assert_eq!(g.on_receive(&record(0, 1, b"hello")), None);
    }
}
