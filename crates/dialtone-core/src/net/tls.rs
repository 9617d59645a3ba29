//! HTTPS for servers we host on this machine (CAMARA event sinks, the Alexa relay's
//! endpoint): a self-signed certificate generated at start for 127.0.0.1 and localhost,
//! and an axum listener that terminates TLS. Handshakes run in their own tasks, so a slow
//! or broken client never holds up the others.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::{self, pki_types};

const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot generate a certificate for the local HTTPS endpoint: {0}")]
    Certificate(String),
    #[error("cannot set up TLS for the local HTTPS endpoint: {0}")]
    Config(String),
}

/// A generated certificate and its server configuration.
pub struct LocalTls {
    certificate_pem: String,
    server: Arc<rustls::ServerConfig>,
}

impl std::fmt::Debug for LocalTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The private key stays out of logs.
        f.debug_struct("LocalTls").finish_non_exhaustive()
    }
}

/// A certificate for an endpoint we host, when what posts to it is not on this machine
/// (`None` towards loopback, or when one cannot be made: the caller refuses plain http
/// and says why).
pub fn tls_for_remote(peer_on_loopback: bool, what: &str) -> Option<std::sync::Arc<LocalTls>> {
    if peer_on_loopback {
        return None;
    }
    match LocalTls::generate() {
        Ok(tls) => Some(std::sync::Arc::new(tls)),
        Err(e) => {
            tracing::error!(error = %e, "no HTTPS for the {what}");
            None
        }
    }
}

impl LocalTls {
    /// A fresh self-signed certificate for `127.0.0.1`, `::1` and `localhost`.
    pub fn generate() -> Result<Self, TlsError> {
        let names = vec!["127.0.0.1".to_owned(), "::1".to_owned(), "localhost".to_owned()];
        let certified =
            rcgen::generate_simple_self_signed(names).map_err(|e| TlsError::Certificate(e.to_string()))?;
        let cert_der = certified.cert.der().clone();
        let key_der = pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let server = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Config(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(vec![cert_der], key_der)
            .map_err(|e| TlsError::Config(e.to_string()))?;
        Ok(Self {
            certificate_pem: certified.cert.pem(),
            server: Arc::new(server),
        })
    }

    /// The certificate (PEM) a peer must trust to reach us.
    pub fn certificate_pem(&self) -> &str {
        &self.certificate_pem
    }
}

/// A TLS-terminating listener for `axum::serve`.
pub struct TlsListener {
    local: SocketAddr,
    ready: mpsc::Receiver<(tokio_rustls::server::TlsStream<TcpStream>, SocketAddr)>,
    acceptor: JoinHandle<()>,
}

impl TlsListener {
    pub fn new(tcp: TcpListener, tls: &LocalTls) -> std::io::Result<Self> {
        let local = tcp.local_addr()?;
        let acceptor = TlsAcceptor::from(tls.server.clone());
        let (tx, ready) = mpsc::channel(16);
        let acceptor = tokio::spawn(async move {
            loop {
                let (stream, peer) = match tcp.accept().await {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::debug!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let (acceptor, tx) = (acceptor.clone(), tx.clone());
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => {
                            let _ = tx.send((tls, peer)).await;
                        }
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        });
        Ok(Self {
            local,
            ready,
            acceptor,
        })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.acceptor.abort();
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(conn) => conn,
            // The acceptor task ended (shutdown): never hand out another connection.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}
