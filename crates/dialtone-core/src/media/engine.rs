//! What a call needs from a media stack, as a trait: the call driver works on
//! [`MediaEngine`] and makes one per call with an [`EngineFactory`]. `MediaSession`
//! (webrtc-rs) is the implementation users run; the driver's unit tests run fakes, and
//! another stack (str0m, `docs/decisions.md` §1) would plug in here.

use super::mix::MixPort;
use super::{Direction, MediaConfig, MediaError, MediaEvent, MediaSession, MediaStats};
use crate::audio::AudioBackend;
use std::sync::Arc;
use tokio::sync::broadcast;

/// One call's media. Offers carry every candidate (vanilla ICE); hold and resume are
/// re-offers whose direction the engine commits once answered.
#[async_trait::async_trait]
pub trait MediaEngine: Send + Sync {
    fn subscribe(&self) -> broadcast::Receiver<MediaEvent>;
    /// Our direction as last negotiated; `None` before the first answer.
    fn direction(&self) -> Option<Direction>;
    fn packets_received(&self) -> u64;
    /// Whether DTLS completed (media is secured).
    fn secured(&self) -> bool;
    async fn stats(&self) -> MediaStats;
    async fn create_offer(&self) -> Result<String, MediaError>;
    /// A re-offer with `a=recvonly`.
    async fn hold(&self) -> Result<String, MediaError>;
    /// A re-offer with `a=sendrecv`.
    async fn resume(&self) -> Result<String, MediaError>;
    async fn restart_ice(&self) -> Result<String, MediaError>;
    async fn accept_offer(&self, offer: &str) -> Result<String, MediaError>;
    async fn accept_answer(&self, answer: &str) -> Result<Direction, MediaError>;
    /// A final answer to our first offer in place of the early one applied.
    async fn replace_answer(&self, answer: &str) -> Result<Direction, MediaError>;
    /// The far end refused our pending offer: back to how things were.
    async fn cancel_offer(&self) -> Result<(), MediaError>;
    fn set_muted(&self, muted: bool);
    fn send_dtmf(&self, digits: &str) -> Result<(), MediaError>;
    async fn close(&self);
}

/// Makes one engine per call; `port` joins its audio to the line's other calls.
#[async_trait::async_trait]
pub trait EngineFactory: Send + Sync {
    async fn create(&self, port: MixPort) -> Result<Arc<dyn MediaEngine>, MediaError>;
}

/// webrtc-rs sessions on `config`, each with fresh audio ends from `audio`.
pub struct WebrtcEngines {
    pub config: MediaConfig,
    pub audio: Arc<dyn AudioBackend>,
}

#[async_trait::async_trait]
impl EngineFactory for WebrtcEngines {
    async fn create(&self, port: MixPort) -> Result<Arc<dyn MediaEngine>, MediaError> {
        let (source, sink) = crate::audio::open_or_silence(self.audio.as_ref());
        Ok(Arc::new(
            MediaSession::new(self.config.clone(), port.source(source), port.sink(sink)).await?,
        ))
    }
}

// Each method is MediaSession's own (inherent methods win method resolution).
#[async_trait::async_trait]
impl MediaEngine for MediaSession {
    fn subscribe(&self) -> broadcast::Receiver<MediaEvent> {
        self.subscribe()
    }
    fn direction(&self) -> Option<Direction> {
        self.direction()
    }
    fn packets_received(&self) -> u64 {
        self.packets_received()
    }
    fn secured(&self) -> bool {
        self.secured()
    }
    async fn stats(&self) -> MediaStats {
        self.stats().await
    }
    async fn create_offer(&self) -> Result<String, MediaError> {
        self.create_offer().await
    }
    async fn hold(&self) -> Result<String, MediaError> {
        self.hold().await
    }
    async fn resume(&self) -> Result<String, MediaError> {
        self.resume().await
    }
    async fn restart_ice(&self) -> Result<String, MediaError> {
        self.restart_ice().await
    }
    async fn accept_offer(&self, offer: &str) -> Result<String, MediaError> {
        self.accept_offer(offer).await
    }
    async fn accept_answer(&self, answer: &str) -> Result<Direction, MediaError> {
        self.accept_answer(answer).await
    }
    async fn replace_answer(&self, answer: &str) -> Result<Direction, MediaError> {
        self.replace_answer(answer).await
    }
    async fn cancel_offer(&self) -> Result<(), MediaError> {
        self.cancel_offer().await
    }
    fn set_muted(&self, muted: bool) {
        self.set_muted(muted)
    }
    fn send_dtmf(&self, digits: &str) -> Result<(), MediaError> {
        self.send_dtmf(digits)
    }
    async fn close(&self) {
        self.close().await
    }
}
