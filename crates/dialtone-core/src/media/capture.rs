//! The decrypted capture (`--pcap out.pcapng`): a call's packets as Wireshark wants them.
//!
//! DTLS-SRTP hides RTP and RTCP from any capture on the wire, so we write them from inside:
//! received ones after SRTP decryption, ours before encryption (the interceptor
//! [`CaptureTap`], wire-most in the chain). STUN and DTLS are written as the media socket
//! sends and receives them. Every packet gets the real addresses and ports of the
//! candidate pair that carries the call (learned from the socket), wrapped in an IP and
//! UDP header of our making, so Wireshark finds the streams (`tshark -o
//! rtp.heuristic_rtp:TRUE -r out.pcapng -q -z rtp,streams`: Wireshark hands a 5-tuple
//! that carried STUN to its STUN dissector, which gives up on RTP; the RTP heuristic
//! then takes it, and the DTLS handshake's use_srtp tells it which streams are SRTP).
//!
//! Packets go to a writer thread through a bounded queue: a slow disk costs packets in the
//! capture (counted), never the call. A write that fails stops the capture, once, with the
//! reason told to whoever started it; the call goes on.

use super::impair::{PacketClass, Way};
use pcap_file::DataLink;
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::pcapng::blocks::enhanced_packet::{EnhancedPacketBlock, EnhancedPacketOption};
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::pcapng::blocks::section_header::{SectionHeaderBlock, SectionHeaderOption};
use rtc::interceptor::{Interceptor, Packet, StreamInfo, TaggedPacket};
use rtc::sansio::Protocol;
use rtc::shared::error::Error;
use rtc::shared::marshal::Marshal;
use std::borrow::Cow;
use std::collections::VecDeque;
use std::fmt;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

/// Packets waiting for the writer; more and the newest are not captured.
const QUEUE: usize = 4096;
/// The writer flushes when nothing came for this long: a capture read mid-call is whole.
const IDLE_FLUSH: Duration = Duration::from_millis(200);

#[derive(Debug, thiserror::Error)]
#[error("cannot write the capture to '{path}': {reason}; choose a path in a directory you can write to")]
pub struct CaptureError {
    pub path: PathBuf,
    pub reason: String,
}

/// What a finished capture holds.
#[derive(Debug, Clone, PartialEq)]
pub struct CaptureSummary {
    pub path: PathBuf,
    /// Packets written.
    pub packets: u64,
    /// Packets not written: the queue was full, no candidate pair was known yet, or the
    /// capture had stopped.
    pub missed: u64,
    /// Why the capture stopped early, if it did.
    pub failed: Option<String>,
}

struct Captured {
    at: SystemTime,
    way: Way,
    ours: SocketAddr,
    theirs: SocketAddr,
    bytes: Vec<u8>,
}

type OnFailure = Box<dyn Fn(String) + Send + Sync>;

struct Inner {
    path: PathBuf,
    queue: Mutex<Option<SyncSender<Captured>>>,
    /// (ours, theirs): the pair that last carried DTLS or media.
    pair: Mutex<Option<(SocketAddr, SocketAddr)>>,
    written: Arc<AtomicU64>,
    missed: AtomicU64,
    writer: Mutex<Option<JoinHandle<Option<String>>>>,
}

/// A capture being written; clones share it (the line's sessions, their sockets and
/// interceptors all write to one file).
#[derive(Clone)]
pub struct PacketCapture(Arc<Inner>);

impl fmt::Debug for PacketCapture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PacketCapture").field(&self.0.path).finish()
    }
}

impl PartialEq for PacketCapture {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl PacketCapture {
    /// Creates the file and writes its header now (a path that cannot be written is an
    /// error before the call); `on_failure` hears once if a later write fails.
    pub fn create(
        path: &Path,
        on_failure: impl Fn(String) + Send + Sync + 'static,
    ) -> Result<Self, CaptureError> {
        let error = |e: &dyn fmt::Display| CaptureError {
            path: path.to_owned(),
            reason: e.to_string(),
        };
        let file = File::create(path).map_err(|e| error(&e))?;
        Self::over(BufWriter::new(file), path, Box::new(on_failure)).map_err(|e| error(&e))
    }

    fn over<W: Write + Send + 'static>(writer: W, path: &Path, on_failure: OnFailure) -> io::Result<Self> {
        let mut pcap =
            PcapNgWriter::with_section_header(writer, section_header()).map_err(io::Error::other)?;
        pcap.write_pcapng_block(interface()).map_err(io::Error::other)?;
        pcap.get_mut().flush()?;
        let (tx, rx) = std::sync::mpsc::sync_channel(QUEUE);
        let written = Arc::new(AtomicU64::new(0));
        let count = written.clone();
        let writer = std::thread::Builder::new()
            .name("pcap-writer".into())
            .spawn(move || write_loop(pcap, rx, &count, &on_failure))?;
        Ok(Self(Arc::new(Inner {
            path: path.to_owned(),
            queue: Mutex::new(Some(tx)),
            pair: Mutex::new(None),
            written,
            missed: AtomicU64::new(0),
            writer: Mutex::new(Some(writer)),
        })))
    }

    /// A datagram as the media socket sends or receives it: STUN and DTLS are captured as
    /// they are; DTLS and SRTP tell which pair carries the call.
    pub fn on_wire(&self, way: Way, ours: SocketAddr, theirs: SocketAddr, datagram: &[u8]) {
        match PacketClass::of(datagram) {
            PacketClass::Stun => self.push(way, ours, theirs, datagram.to_vec()),
            PacketClass::Dtls => {
                *crate::lock(&self.0.pair) = Some((ours, theirs));
                self.push(way, ours, theirs, datagram.to_vec());
            }
            PacketClass::Rtp | PacketClass::Rtcp => *crate::lock(&self.0.pair) = Some((ours, theirs)),
            PacketClass::Other => {}
        }
    }

    /// RTP or RTCP in the clear, on the pair that carries the call.
    pub(crate) fn in_clear(&self, way: Way, bytes: Vec<u8>) {
        match *crate::lock(&self.0.pair) {
            Some((ours, theirs)) => self.push(way, ours, theirs, bytes),
            None => {
                self.0.missed.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    fn push(&self, way: Way, ours: SocketAddr, theirs: SocketAddr, bytes: Vec<u8>) {
        let queue = crate::lock(&self.0.queue);
        let sent = queue.as_ref().map(|q| {
            q.try_send(Captured {
                at: SystemTime::now(),
                way,
                ours,
                theirs,
                bytes,
            })
        });
        // Full, stopped (the writer failed) or finished.
        if !matches!(sent, Some(Ok(()))) {
            self.0.missed.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Writes what is queued, closes the file and says what it holds; later packets are
    /// not captured.
    pub fn finish(&self) -> CaptureSummary {
        drop(crate::lock(&self.0.queue).take());
        let failed = crate::lock(&self.0.writer).take().and_then(|w| {
            w.join()
                .unwrap_or_else(|_| Some("the capture's writer stopped".into()))
        });
        CaptureSummary {
            path: self.0.path.clone(),
            packets: self.0.written.load(Ordering::Relaxed),
            missed: self.0.missed.load(Ordering::Relaxed),
            failed,
        }
    }

    /// The interceptor that sees RTP and RTCP in the clear, for a session's chain.
    pub(crate) fn tap(&self) -> CaptureTap {
        CaptureTap {
            capture: self.clone(),
            read: VecDeque::new(),
            write: VecDeque::new(),
        }
    }
}

fn section_header() -> SectionHeaderBlock<'static> {
    SectionHeaderBlock {
        options: vec![SectionHeaderOption::UserApplication(Cow::Borrowed(concat!(
            "Dialtone ",
            env!("CARGO_PKG_VERSION")
        )))],
        ..Default::default()
    }
}

/// One interface of raw IP packets (v4 or v6, as the pair is).
fn interface() -> InterfaceDescriptionBlock<'static> {
    InterfaceDescriptionBlock {
        linktype: DataLink::RAW,
        snaplen: 0,
        options: vec![
            InterfaceDescriptionOption::IfName(Cow::Borrowed("dialtone")),
            // pcap-file writes timestamps in nanoseconds; readers assume microseconds unless told.
            InterfaceDescriptionOption::IfTsResol(9),
            InterfaceDescriptionOption::IfDescription(Cow::Borrowed(
                "RTP and RTCP decrypted by Dialtone (after SRTP on receive, before it on send); STUN and DTLS as on the wire",
            )),
        ],
    }
}

/// The writer thread: until the queue closes or a write fails. Returns why it failed.
fn write_loop<W: Write>(
    mut pcap: PcapNgWriter<W>,
    rx: Receiver<Captured>,
    written: &AtomicU64,
    on_failure: &OnFailure,
) -> Option<String> {
    let mut buf = Vec::with_capacity(1600);
    let result = loop {
        let c = match rx.recv_timeout(IDLE_FLUSH) {
            Ok(c) => c,
            Err(RecvTimeoutError::Timeout) => match pcap.get_mut().flush() {
                Ok(()) => continue,
                Err(e) => break Err(e),
            },
            Err(RecvTimeoutError::Disconnected) => break pcap.get_mut().flush(),
        };
        buf.clear();
        let (from, to) = match c.way {
            Way::In => (c.theirs, c.ours),
            Way::Out => (c.ours, c.theirs),
        };
        if ip_udp(from, to, &c.bytes, &mut buf).is_err() {
            // A v4 address paired with a v6 one: no IP packet can carry it.
            continue;
        }
        let block = EnhancedPacketBlock {
            interface_id: 0,
            timestamp: c.at.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default(),
            original_len: u32::try_from(buf.len()).unwrap_or(u32::MAX),
            data: Cow::Borrowed(&buf),
            // pcapng's direction bits: 1 inbound, 2 outbound.
            options: vec![EnhancedPacketOption::Flags(match c.way {
                Way::In => 1,
                Way::Out => 2,
            })],
        };
        if let Err(e) = pcap.write_pcapng_block(block) {
            break Err(io::Error::other(e));
        }
        written.fetch_add(1, Ordering::Relaxed);
    };
    let why = result.err().map(|e| {
        format!(
            "the capture stopped after {} packets: {e}",
            written.load(Ordering::Relaxed)
        )
    });
    if let Some(why) = &why {
        tracing::warn!(%why, "capture");
        on_failure(why.clone());
    }
    // Whatever is still queued is not written; the senders count it as missed.
    drop(rx);
    why
}

/// An IP packet carrying `payload` in a UDP datagram from `from` to `to`.
fn ip_udp(from: SocketAddr, to: SocketAddr, payload: &[u8], out: &mut Vec<u8>) -> Result<(), ()> {
    let builder = match (from.ip(), to.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => etherparse::PacketBuilder::ipv4(s.octets(), d.octets(), 64),
        (IpAddr::V6(s), IpAddr::V6(d)) => etherparse::PacketBuilder::ipv6(s.octets(), d.octets(), 64),
        _ => return Err(()),
    };
    builder
        .udp(from.port(), to.port())
        .write(out, payload)
        .map_err(|_| ())
}

/// RTP and RTCP as they enter and leave the chain at its wire end: in the clear.
pub(crate) struct CaptureTap {
    capture: PacketCapture,
    read: VecDeque<TaggedPacket>,
    write: VecDeque<TaggedPacket>,
}

impl CaptureTap {
    fn capture(&self, way: Way, packet: &Packet) {
        let bytes = match packet {
            Packet::Rtp(p) => p.marshal().map(|b| b.to_vec()),
            Packet::Rtcp(ps) => rtc::rtcp::packet::marshal(ps).map(|b| b.to_vec()),
            _ => return,
        };
        match bytes {
            Ok(b) => self.capture.in_clear(way, b),
            Err(_) => {
                self.capture.0.missed.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

impl Protocol<TaggedPacket, TaggedPacket, ()> for CaptureTap {
    type Rout = TaggedPacket;
    type Wout = TaggedPacket;
    type Eout = ();
    type Error = Error;
    type Time = Instant;

    fn handle_read(&mut self, msg: TaggedPacket) -> Result<(), Self::Error> {
        self.capture(Way::In, &msg.message.packet);
        self.read.push_back(msg);
        Ok(())
    }

    fn poll_read(&mut self) -> Option<Self::Rout> {
        self.read.pop_front()
    }

    fn handle_write(&mut self, msg: TaggedPacket) -> Result<(), Self::Error> {
        self.capture(Way::Out, &msg.message.packet);
        self.write.push_back(msg);
        Ok(())
    }

    fn poll_write(&mut self) -> Option<Self::Wout> {
        self.write.pop_front()
    }

    fn handle_timeout(&mut self, _now: Instant) -> Result<(), Self::Error> {
        Ok(())
    }

    fn poll_timeout(&mut self) -> Option<Self::Time> {
        None
    }
}

impl Interceptor for CaptureTap {
    fn bind_local_stream(&mut self, _info: &StreamInfo) {}
    fn unbind_local_stream(&mut self, _info: &StreamInfo) {}
    fn bind_remote_stream(&mut self, _info: &StreamInfo) {}
    fn unbind_remote_stream(&mut self, _info: &StreamInfo) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// Takes `room` bytes, then fails as a full disk does.
    struct FillsUp {
        room: usize,
        out: Arc<Mutex<Vec<u8>>>,
    }

    impl Write for FillsUp {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if buf.len() > self.room {
                return Err(io::Error::from_raw_os_error(28)); // ENOSPC
            }
            self.room -= buf.len();
            self.out.lock().expect("lock").extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn pair() -> (SocketAddr, SocketAddr) {
        (
            "127.0.0.1:40000".parse().expect("an address"),
            "127.0.0.1:50000".parse().expect("an address"),
        )
    }

    fn rtp(seq: u16) -> Vec<u8> {
        let mut p = vec![0x80, 0, (seq >> 8) as u8, seq as u8, 0, 0, 0, 160, 1, 2, 3, 4];
        p.extend_from_slice(&[0xff; 160]);
        p
    }

    #[test]
    fn clear_media_waits_for_the_pair_and_is_written_with_its_addresses() {
        let out = Arc::new(Mutex::new(Vec::new()));
        let w = FillsUp {
            room: usize::MAX,
            out: out.clone(),
        };
        let c = PacketCapture::over(w, Path::new("mem"), Box::new(|_| {})).expect("test setup");
        let (ours, theirs) = pair();
        c.in_clear(Way::Out, rtp(1)); // no pair yet: missed
        c.on_wire(Way::Out, ours, theirs, &[0, 1, 0, 0]); // STUN: captured, no pair
        c.on_wire(Way::In, ours, theirs, &[22, 254, 253, 0]); // DTLS: captured, the pair
        c.on_wire(Way::In, ours, theirs, &rtp(9)); // SRTP: not captured
        c.in_clear(Way::In, rtp(2));
        let s = c.finish();
        assert_eq!((s.packets, s.missed, s.failed), (3, 1, None));
        let bytes = out.lock().expect("lock").clone();
        let mut reader = pcap_file::pcapng::PcapNgReader::new(&bytes[..]).expect("test setup");
        let mut packets = Vec::new();
        while let Some(block) = reader.next_block() {
            if let pcap_file::pcapng::Block::EnhancedPacket(p) = block.expect("test setup") {
                packets.push(p.data.to_vec());
            }
        }
        assert_eq!(packets.len(), 3);
        let rtp_in = etherparse::SlicedPacket::from_ip(&packets[2]).expect("test setup");
        let Some(etherparse::TransportSlice::Udp(udp)) = rtp_in.transport else {
            panic!("not UDP")
        };
        // Received: from their port to ours, the RTP as it was.
        assert_eq!((udp.source_port(), udp.destination_port()), (50000, 40000));
        assert_eq!(udp.payload(), &rtp(2)[..]);
    }

    #[test]
    fn a_full_disk_stops_the_capture_once_and_says_so() {
        let told = Arc::new(AtomicUsize::new(0));
        let heard = told.clone();
        let w = FillsUp {
            room: 2_000,
            out: Arc::default(),
        };
        let c = PacketCapture::over(
            w,
            Path::new("mem"),
            Box::new(move |_| {
                heard.fetch_add(1, Ordering::Relaxed);
            }),
        )
        .expect("test setup");
        let (ours, theirs) = pair();
        c.on_wire(Way::In, ours, theirs, &[22, 254, 253, 0]);
        for seq in 0..200 {
            c.in_clear(Way::Out, rtp(seq));
        }
        let s = c.finish();
        assert!(
            s.failed.as_deref().is_some_and(|f| f.contains("stopped after")),
            "{s:?}"
        );
        assert!(s.packets < 20, "{s:?}");
        assert_eq!(told.load(Ordering::Relaxed), 1);
        // Later packets are refused quietly.
        c.in_clear(Way::Out, rtp(1));
    }
}
