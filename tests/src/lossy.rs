//! A webrtc runtime whose UDP sockets lose and delay media packets: the "lossy socket
//! wrapper" for the loss and jitter scenarios. Only SRTP/SRTCP (first byte 128-191,
//! RFC 7983) is affected, so ICE and DTLS set up as usual and the test measures media.

use rand::Rng;
use std::fmt;
use std::future::Future;
use std::io::{self, IoSliceMut};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use webrtc::runtime::{
    AsyncInterval, AsyncTcpListener, AsyncTcpStream, AsyncUdpSocket, JoinHandle, RecvMeta, Runtime, Transmit,
};

#[derive(Debug, Clone, Copy)]
pub struct Impairment {
    /// Probability that a media packet is dropped.
    pub loss: f64,
    /// Each media packet is delayed uniformly in [0, jitter] (so packets reorder).
    pub jitter: Duration,
}

#[derive(Debug, Default)]
pub struct ImpairmentCounters {
    pub media_packets: AtomicU64,
    pub dropped: AtomicU64,
}

/// The tokio runtime with impaired UDP sockets.
pub struct LossyRuntime {
    inner: Arc<dyn Runtime>,
    impairment: Impairment,
    pub counters: Arc<ImpairmentCounters>,
}

impl fmt::Debug for LossyRuntime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LossyRuntime")
            .field("impairment", &self.impairment)
            .finish()
    }
}

impl LossyRuntime {
    pub fn new(impairment: Impairment) -> Arc<Self> {
        Arc::new(Self {
            inner: Arc::new(webrtc::runtime::TokioRuntime),
            impairment,
            counters: Arc::default(),
        })
    }
}

impl Runtime for LossyRuntime {
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
        let delayed = socket.try_clone()?;
        Ok(Arc::new(LossySocket {
            inner: self.inner.wrap_udp_socket(socket)?,
            delayed: Arc::new(delayed),
            impairment: self.impairment,
            counters: self.counters.clone(),
        }))
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

struct LossySocket {
    inner: Arc<dyn AsyncUdpSocket>,
    delayed: Arc<std::net::UdpSocket>,
    impairment: Impairment,
    counters: Arc<ImpairmentCounters>,
}

impl fmt::Debug for LossySocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LossySocket").field("inner", &self.inner).finish()
    }
}

impl AsyncUdpSocket for LossySocket {
    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    fn poll_send(&self, cx: &mut Context<'_>, transmit: &Transmit<'_>) -> Poll<io::Result<usize>> {
        let first = transmit.contents.first().copied().unwrap_or(0);
        let is_media = (128..=191).contains(&first) && transmit.segment_size.is_none();
        if !is_media {
            return self.inner.poll_send(cx, transmit);
        }
        self.counters.media_packets.fetch_add(1, Ordering::Relaxed);
        let mut rng = rand::rng();
        if rng.random_bool(self.impairment.loss) {
            self.counters.dropped.fetch_add(1, Ordering::Relaxed);
            return Poll::Ready(Ok(transmit.contents.len()));
        }
        let delay = self.impairment.jitter.mul_f64(rng.random::<f64>());
        let bytes = transmit.contents.to_vec();
        let dest = transmit.destination;
        let sock = self.delayed.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            // Loopback never blocks for long; a rare WouldBlock is just one more loss.
            let _ = sock.send_to(&bytes, dest);
        });
        Poll::Ready(Ok(transmit.contents.len()))
    }

    fn poll_recv(
        &self,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
        meta: &mut [RecvMeta],
    ) -> Poll<io::Result<usize>> {
        self.inner.poll_recv(cx, bufs, meta)
    }
}
