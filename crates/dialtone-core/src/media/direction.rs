//! Media direction (`dialtone_call::Direction`, RFC 3264 §6.1) to and from the stack's.

pub use dialtone_call::Direction;
use rtc::rtp_transceiver::RTCRtpTransceiverDirection as Rtc;

pub(crate) fn to_rtc(d: Direction) -> Rtc {
    match d {
        Direction::SendRecv => Rtc::Sendrecv,
        Direction::SendOnly => Rtc::Sendonly,
        Direction::RecvOnly => Rtc::Recvonly,
        Direction::Inactive => Rtc::Inactive,
    }
}

/// `None` for the stack's "unspecified" (nothing negotiated yet).
pub(crate) fn from_rtc(d: Rtc) -> Option<Direction> {
    match d {
        Rtc::Sendrecv => Some(Direction::SendRecv),
        Rtc::Sendonly => Some(Direction::SendOnly),
        Rtc::Recvonly => Some(Direction::RecvOnly),
        Rtc::Inactive => Some(Direction::Inactive),
        _ => None,
    }
}
