//! The media sockets: the stack's UDP sockets with our two layers around them.
//!
//! - the DTLS guard (`dtls_guard.rs`): sends our last handshake flight again when the far
//!   end repeats its own, which the stack fails to do;
//! - the impairment (`impair.rs`), when one is set: loss, delay, jitter and targeted drops
//!   on every packet, both ways;
//! - the payload filter (`payload_filter.rs`): RTP of a type nobody negotiated stops here.
//!
//! The guard sits inside the impairment: what it sends again is impaired too, and it sees
//! only what really arrived.

use super::capture::PacketCapture;
use super::dtls_guard::DtlsGuard;
use super::impair::{Impairer, Impairment, ImpairmentCounters, ImpairmentDial, PacketClass, Way};
use super::payload_filter::PayloadFilter;
use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::io::{self, IoSliceMut};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use webrtc::runtime::{
    AsyncInterval, AsyncTcpListener, AsyncTcpStream, AsyncUdpSocket, JoinHandle, RecvMeta, Runtime, Transmit,
};

/// The tokio runtime with guarded (and, when asked, impaired) UDP sockets. Each session
/// has its own.
pub struct MediaRuntime {
    inner: Arc<dyn Runtime>,
    impairer: Option<Arc<Impairer>>,
    guards: Mutex<Vec<Arc<Mutex<DtlsGuard>>>>,
    filter: Arc<PayloadFilter>,
    capture: Option<PacketCapture>,
}

impl fmt::Debug for MediaRuntime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MediaRuntime")
            .field("impaired", &self.impairer.is_some())
            .finish()
    }
}

impl MediaRuntime {
    pub fn new(impairment: Option<Impairment>) -> Arc<Self> {
        Self::with_dial(impairment.map(ImpairmentDial::new))
    }

    /// Impaired as `dial` says, from packet to packet (a line's impairment that a script
    /// changes mid-call); None: no impairment layer at all.
    pub fn with_dial(dial: Option<ImpairmentDial>) -> Arc<Self> {
        Self::build(dial, None)
    }

    /// The same, its sockets telling `capture` what they send and receive.
    pub fn build(dial: Option<ImpairmentDial>, capture: Option<PacketCapture>) -> Arc<Self> {
        Arc::new(Self {
            inner: Arc::new(webrtc::runtime::TokioRuntime),
            impairer: dial.map(|d| Arc::new(Impairer::live(d))),
            guards: Mutex::default(),
            filter: Arc::default(),
            capture,
        })
    }

    /// The payload types its sockets let through to the stack (the session that owns the
    /// runtime sets them at each negotiation).
    pub fn payload_filter(&self) -> Arc<PayloadFilter> {
        self.filter.clone()
    }

    /// What the impairment saw and dropped (none without an impairment).
    pub fn counters(&self) -> Arc<ImpairmentCounters> {
        self.impairer.as_ref().map_or_else(Arc::default, |i| i.counters())
    }

    /// How often the DTLS guard sent one of our flights again, over all sockets.
    pub fn dtls_resends(&self) -> u32 {
        crate::lock(&self.guards)
            .iter()
            .map(|g| crate::lock(g).resends())
            .sum()
    }
}

impl Runtime for MediaRuntime {
    fn spawn(&self, future: Pin<Box<dyn Future<Output = ()> + Send>>) -> Box<dyn JoinHandle> {
        self.inner.spawn(future)
    }

    fn spawn_reactor(
        &self,
        pool_size: usize,
        future: Pin<Box<dyn Future<Output = ()> + Send>>,
    ) -> Box<dyn JoinHandle> {
        self.inner.spawn_reactor(pool_size, future)
    }

    fn wrap_udp_socket(&self, socket: std::net::UdpSocket) -> io::Result<Arc<dyn AsyncUdpSocket>> {
        let raw = Arc::new(socket.try_clone()?);
        let capture = match &self.capture {
            Some(c) => Some((c.clone(), socket.local_addr()?)),
            None => None,
        };
        let guard = Arc::new(Mutex::new(DtlsGuard::default()));
        crate::lock(&self.guards).push(guard.clone());
        let socket = Arc::new(MediaSocket {
            inner: self.inner.wrap_udp_socket(socket)?,
            raw,
            impairer: self.impairer.clone(),
            guard,
            filter: self.filter.clone(),
            inbound: Mutex::new(Inbound::default()),
            capture,
        });
        if tokio::runtime::Handle::try_current().is_ok() {
            tokio::spawn(guard_timer(Arc::downgrade(&socket)));
        }
        Ok(socket)
    }

    fn wrap_tcp_listener(&self, listener: std::net::TcpListener) -> io::Result<Arc<dyn AsyncTcpListener>> {
        self.inner.wrap_tcp_listener(listener)
    }

    fn connect_tcp<'a>(
        &'a self,
        addr: SocketAddr,
    ) -> Pin<Box<dyn Future<Output = io::Result<Arc<dyn AsyncTcpStream>>> + Send + 'a>> {
        self.inner.connect_tcp(addr)
    }

    fn resolve_host<'a>(
        &'a self,
        host: &'a str,
    ) -> Pin<Box<dyn Future<Output = io::Result<Vec<SocketAddr>>> + Send + 'a>> {
        self.inner.resolve_host(host)
    }

    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>> {
        self.inner.sleep(duration)
    }

    fn interval(&self, period: Duration) -> Box<dyn AsyncInterval> {
        self.inner.interval(period)
    }

    fn block_on(&self, future: Pin<Box<dyn Future<Output = ()> + '_>>) {
        self.inner.block_on(future)
    }
}

/// The DTLS guard's own timer for one socket: until the handshake is over or the socket
/// is gone, our unanswered flight goes again when its wait runs out.
async fn guard_timer(socket: std::sync::Weak<MediaSocket>) {
    let mut pause = Duration::from_millis(100);
    loop {
        tokio::time::sleep(pause).await;
        let Some(socket) = socket.upgrade() else { return };
        let due = {
            let mut guard = crate::lock(&socket.guard);
            if guard.finished() {
                return;
            }
            // Fine steps only while a flight of ours waits for its answer.
            pause = Duration::from_millis(if guard.waiting() { 10 } else { 100 });
            guard.on_tick(Instant::now())
        };
        if let Some((flight, to)) = due {
            for d in flight {
                if let Some(delay) = socket.decide(Way::Out, &d) {
                    socket.send_later(d, to, delay);
                }
            }
        }
    }
}

/// Received datagrams waiting for their delay, and the timer for the earliest.
#[derive(Default)]
struct Inbound {
    /// (due, arrival order) → (bytes, the metadata they came with)
    queue: BTreeMap<(Instant, u64), (Vec<u8>, RecvMeta)>,
    order: u64,
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
    buf: Vec<u8>,
}

struct MediaSocket {
    inner: Arc<dyn AsyncUdpSocket>,
    /// The same socket, for datagrams that leave later (delayed, or sent again).
    raw: Arc<std::net::UdpSocket>,
    impairer: Option<Arc<Impairer>>,
    guard: Arc<Mutex<DtlsGuard>>,
    filter: Arc<PayloadFilter>,
    inbound: Mutex<Inbound>,
    /// The capture, and this socket's address as it writes it.
    capture: Option<(PacketCapture, SocketAddr)>,
}

impl fmt::Debug for MediaSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MediaSocket").field("inner", &self.inner).finish()
    }
}

impl MediaSocket {
    fn decide(&self, way: Way, datagram: &[u8]) -> Option<Duration> {
        match &self.impairer {
            Some(i) => i.decide(way, datagram),
            None => Some(Duration::ZERO),
        }
    }

    /// Sends one datagram after `delay` from a task (the stack is not waiting for it).
    fn send_later(&self, datagram: Vec<u8>, to: SocketAddr, delay: Duration) {
        let sock = self.raw.clone();
        let capture = self.capture.clone();
        tokio::spawn(async move {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            // A rare WouldBlock on loopback is one more loss.
            if sock.send_to(&datagram, to).is_ok()
                && let Some((c, ours)) = capture
            {
                c.on_wire(Way::Out, ours, to, &datagram);
            }
        });
    }

    /// Tells the capture, if there is one, of a datagram on the wire.
    fn seen(&self, way: Way, theirs: SocketAddr, datagram: &[u8]) {
        if let Some((c, ours)) = &self.capture {
            c.on_wire(way, *ours, theirs, datagram);
        }
    }

    fn send_one(
        &self,
        cx: &mut Context<'_>,
        transmit: &Transmit<'_>,
        datagram: &[u8],
    ) -> Poll<io::Result<()>> {
        if PacketClass::of(datagram) == PacketClass::Dtls {
            crate::lock(&self.guard).on_send(datagram, transmit.destination, Instant::now());
        }
        match self.decide(Way::Out, datagram) {
            None => Poll::Ready(Ok(())),
            Some(d) if d.is_zero() => {
                let one = Transmit {
                    destination: transmit.destination,
                    ecn: transmit.ecn,
                    contents: datagram,
                    segment_size: None,
                    src_ip: transmit.src_ip,
                };
                let sent = self.inner.poll_send(cx, &one).map_ok(|_| ());
                if let Poll::Ready(Ok(())) = sent {
                    self.seen(Way::Out, transmit.destination, datagram);
                }
                sent
            }
            Some(d) => {
                self.send_later(datagram.to_vec(), transmit.destination, d);
                Poll::Ready(Ok(()))
            }
        }
    }

    /// Our side of a received datagram, before the stack sees it.
    fn on_arrival(&self, datagram: &[u8], from: SocketAddr) {
        self.seen(Way::In, from, datagram);
        match PacketClass::of(datagram) {
            PacketClass::Dtls => {
                let again = crate::lock(&self.guard).on_receive(datagram);
                for d in again.into_iter().flatten() {
                    if let Some(delay) = self.decide(Way::Out, &d) {
                        self.send_later(d, from, delay);
                    }
                }
            }
            PacketClass::Rtp | PacketClass::Rtcp => crate::lock(&self.guard).on_media(),
            _ => {}
        }
    }
}

impl AsyncUdpSocket for MediaSocket {
    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    fn poll_send(&self, cx: &mut Context<'_>, transmit: &Transmit<'_>) -> Poll<io::Result<usize>> {
        let size = transmit.segment_size.unwrap_or(transmit.contents.len()).max(1);
        if self.impairer.is_none() {
            // The usual path: the guard takes note, the datagrams go as they are.
            if PacketClass::of(transmit.contents) == PacketClass::Dtls {
                let mut guard = crate::lock(&self.guard);
                let now = Instant::now();
                for datagram in transmit.contents.chunks(size) {
                    guard.on_send(datagram, transmit.destination, now);
                }
            }
            let sent = self.inner.poll_send(cx, transmit);
            if let Poll::Ready(Ok(_)) = sent {
                for datagram in transmit.contents.chunks(size) {
                    self.seen(Way::Out, transmit.destination, datagram);
                }
            }
            return sent;
        }
        for (i, datagram) in transmit.contents.chunks(size).enumerate() {
            match self.send_one(cx, transmit, datagram) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                // Pending after some segments went out would send those twice: count the
                // ones sent as done (the rest is lost, as UDP may lose it).
                Poll::Pending if i == 0 => return Poll::Pending,
                Poll::Pending => break,
            }
        }
        Poll::Ready(Ok(transmit.contents.len()))
    }

    fn poll_recv(
        &self,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
        meta: &mut [RecvMeta],
    ) -> Poll<io::Result<usize>> {
        if bufs.is_empty() || meta.is_empty() {
            return Poll::Ready(Ok(0));
        }
        // Once a negotiation has set the filter, received datagrams go one by one through
        // our queue (as when impaired): a batch cannot lose a datagram in the middle.
        if self.impairer.is_none() && !self.filter.active() {
            // The usual path: straight into the stack's buffers, the guard takes note.
            let polled = self.inner.poll_recv(cx, bufs, meta);
            if let Poll::Ready(Ok(n)) = &polled {
                for (buf, m) in bufs.iter().zip(meta.iter()).take(*n) {
                    let received = &buf[..m.len.min(buf.len())];
                    for datagram in received.chunks(m.stride.max(1)) {
                        self.on_arrival(datagram, m.addr);
                    }
                }
            }
            return polled;
        }
        let mut inbound = crate::lock(&self.inbound);
        loop {
            let now = Instant::now();
            if let Some(entry) = inbound.queue.first_entry()
                && entry.key().0 <= now
            {
                let (bytes, mut m) = entry.remove();
                let len = bytes.len().min(bufs[0].len());
                bufs[0][..len].copy_from_slice(&bytes[..len]);
                m.len = len;
                m.stride = len.max(1);
                meta[0] = m;
                drop(inbound);
                self.on_arrival(&bytes[..len], m.addr);
                return Poll::Ready(Ok(1));
            }
            let inb = &mut *inbound;
            if inb.buf.len() < 65_536 {
                inb.buf.resize(65_536, 0);
            }
            let mut m = [RecvMeta::default()];
            let polled = {
                let mut one = [IoSliceMut::new(&mut inb.buf)];
                self.inner.poll_recv(cx, &mut one, &mut m)
            };
            match polled {
                Poll::Ready(Ok(0)) => {}
                Poll::Ready(Ok(_)) => {
                    let m = m[0];
                    let stride = m.stride.max(1);
                    let received = &inb.buf[..m.len.min(inb.buf.len())];
                    for datagram in received.chunks(stride) {
                        if PacketClass::of(datagram) == PacketClass::Rtp && !self.filter.admits(datagram) {
                            continue;
                        }
                        if let Some(d) = self.decide(Way::In, datagram) {
                            inb.order += 1;
                            inb.queue.insert((now + d, inb.order), (datagram.to_vec(), m));
                        }
                    }
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => {
                    // Nothing new: wake up when the earliest delayed datagram is due.
                    let Some((&(due, _), _)) = inb.queue.first_key_value() else {
                        return Poll::Pending;
                    };
                    let due = tokio::time::Instant::from_std(due);
                    let timer = inb
                        .timer
                        .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(due)));
                    if timer.deadline() != due {
                        timer.as_mut().reset(due);
                    }
                    if timer.as_mut().poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                }
            }
        }
    }
}
