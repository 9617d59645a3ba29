//! Media errors: each says what happened and what to do.

use super::codec::CodecError;
use super::dtmf::DtmfError;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("the SDP could not be read: {0}. Check what the far end sent")]
    BadSdp(String),
    #[error("the SDP has no audio stream; Dialtone carries audio calls only")]
    NoAudio,
    #[error("no common audio codec: the far end offers {offered}, Dialtone supports {ours}")]
    NoCommonCodec { offered: String, ours: String },
    #[error("the far end's SDP cannot be used: {0}")]
    Unsupported(&'static str),
    #[error("the far end rejected the audio stream (port 0 in its answer)")]
    AudioRejected,
    #[error("cannot {action} now: {reason}")]
    InvalidState { action: &'static str, reason: String },
    #[error("ICE gathering did not finish within {0:?}; check the network interfaces and STUN servers")]
    GatheringTimeout(Duration),
    #[error("the WebRTC stack failed while {context}: {source}")]
    Stack {
        context: &'static str,
        #[source]
        source: webrtc::error::Error,
    },
    #[error(transparent)]
    Dtmf(#[from] DtmfError),
    #[error(transparent)]
    Codec(#[from] CodecError),
}

pub(crate) fn stack(context: &'static str) -> impl FnOnce(webrtc::error::Error) -> MediaError {
    move |source| MediaError::Stack { context, source }
}
