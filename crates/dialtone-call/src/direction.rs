//! Media direction as SDP writes it (RFC 3264 §6.1).

use std::fmt;

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

impl Direction {
    pub fn sends(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::SendOnly)
    }

    pub fn receives(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::RecvOnly)
    }

    fn from_flags(send: bool, recv: bool) -> Self {
        match (send, recv) {
            (true, true) => Direction::SendRecv,
            (true, false) => Direction::SendOnly,
            (false, true) => Direction::RecvOnly,
            (false, false) => Direction::Inactive,
        }
    }

    /// The direction an answerer that wants `self` puts in its answer to `offered`.
    pub fn answer_to(self, offered: Direction) -> Direction {
        Direction::from_flags(
            self.sends() && offered.receives(),
            self.receives() && offered.sends(),
        )
    }

    /// The same stream seen from the other end.
    pub fn reversed(self) -> Direction {
        Direction::from_flags(self.receives(), self.sends())
    }

    pub fn as_sdp(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    pub fn from_sdp(s: &str) -> Option<Self> {
        match s {
            "sendrecv" => Some(Direction::SendRecv),
            "sendonly" => Some(Direction::SendOnly),
            "recvonly" => Some(Direction::RecvOnly),
            "inactive" => Some(Direction::Inactive),
            _ => None,
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_sdp())
    }
}

#[cfg(test)]
mod tests {
    use super::Direction::*;

    #[test]
    fn answers_follow_rfc3264() {
        assert_eq!(SendRecv.answer_to(SendOnly), RecvOnly);
        assert_eq!(SendRecv.answer_to(RecvOnly), SendOnly);
        assert_eq!(SendRecv.answer_to(Inactive), Inactive);
        assert_eq!(SendRecv.answer_to(SendRecv), SendRecv);
        assert_eq!(RecvOnly.answer_to(SendRecv), RecvOnly);
        assert_eq!(SendOnly.reversed(), RecvOnly);
    }
}
