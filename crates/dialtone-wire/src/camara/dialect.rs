//! The three generations of CAMARA WebRTC an operator may speak, and every difference
//! between them in one place (`shared/specs/camara/README.md`):
//!
//! | | r2.2 (published) | wip | next (r3.1 candidates) |
//! |---|---|---|---|
//! | base paths | `/webrtc-registration/v0.3`, `/webrtc-call-handling/v0.3`, `/webrtc-events/v0.2` | `…/vwip` | `…/vwip`, events at `/webrtc-events-subscriptions/vwip` |
//! | event types, event scopes | `org.camaraproject.webrtc-events.v0.*`, `webrtc-events:*` | same | `org.camaraproject.webrtc-events-subscriptions.v0.*`, `webrtc-events-subscriptions:*` |
//! | registration POST answers | 200 | 201 | 201 |
//! | a device's registrations (`GET ?deviceId=`), 409 `ALREADY_EXISTS` | no | yes | yes |
//! | subscriptions keyed by | `registrationId`; session-status also by `sessionId`, one per call | `deviceId` | `deviceId` |
//! | `callType`, `locationDetails` | no | yes | yes |
//! | `phoneNumber` in registration POST | no | no | required with a client-credentials token |
//! | unknown request properties | ignored | ignored | 400 `INVALID_ARGUMENT` |

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Dialect {
    /// Release r2.2 (registration 0.3.0, call-handling 0.3.0, events 0.2.0).
    #[serde(rename = "r2.2")]
    R2_2,
    /// The working copy of the specs (main of mid-2026).
    #[default]
    #[serde(rename = "wip")]
    Wip,
    /// The r3.1 release candidates.
    #[serde(rename = "next")]
    Next,
}

/// The event types every dialect has, by what they mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    SessionStatus,
    SessionInvitation,
    RegistrationEnds,
    SubscriptionEnded,
}

impl EventKind {
    const ALL: [EventKind; 4] = [
        EventKind::SessionStatus,
        EventKind::SessionInvitation,
        EventKind::RegistrationEnds,
        EventKind::SubscriptionEnded,
    ];

    /// Those a client subscribes to (subscription-ended comes unasked).
    pub const SUBSCRIBABLE: [EventKind; 3] = [
        EventKind::SessionStatus,
        EventKind::SessionInvitation,
        EventKind::RegistrationEnds,
    ];

    fn suffix(self) -> &'static str {
        match self {
            EventKind::SessionStatus => "session-status",
            EventKind::SessionInvitation => "session-invitation",
            EventKind::RegistrationEnds => "registration-ends",
            EventKind::SubscriptionEnded => "subscription-ended",
        }
    }
}

impl Dialect {
    pub const ALL: [Dialect; 3] = [Dialect::R2_2, Dialect::Wip, Dialect::Next];

    /// How the dialect is written on the command line and in the account book.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::R2_2 => "r2.2",
            Dialect::Wip => "wip",
            Dialect::Next => "next",
        }
    }

    pub fn parse(s: &str) -> Option<Dialect> {
        Dialect::ALL.into_iter().find(|d| d.name() == s.trim())
    }

    pub fn registration_base(self) -> &'static str {
        match self {
            Dialect::R2_2 => "/webrtc-registration/v0.3",
            Dialect::Wip | Dialect::Next => "/webrtc-registration/vwip",
        }
    }

    pub fn call_handling_base(self) -> &'static str {
        match self {
            Dialect::R2_2 => "/webrtc-call-handling/v0.3",
            Dialect::Wip | Dialect::Next => "/webrtc-call-handling/vwip",
        }
    }

    pub fn events_base(self) -> &'static str {
        match self {
            Dialect::R2_2 => "/webrtc-events/v0.2",
            Dialect::Wip => "/webrtc-events/vwip",
            Dialect::Next => "/webrtc-events-subscriptions/vwip",
        }
    }

    /// The events API's name: the prefix of its scopes and event types.
    fn events_api(self) -> &'static str {
        match self {
            Dialect::R2_2 | Dialect::Wip => "webrtc-events",
            Dialect::Next => "webrtc-events-subscriptions",
        }
    }

    pub fn event_type(self, kind: EventKind) -> String {
        format!("org.camaraproject.{}.v0.{}", self.events_api(), kind.suffix())
    }

    /// What an event type means, in any dialect (an operator a step ahead or behind
    /// still gets its events read), and whether it is this dialect's spelling.
    pub fn event_kind(self, event_type: &str) -> Option<(EventKind, bool)> {
        Dialect::ALL.into_iter().find_map(|d| {
            EventKind::ALL
                .into_iter()
                .find(|k| d.event_type(*k) == event_type)
                .map(|k| (k, d.events_api() == self.events_api()))
        })
    }

    pub fn events_read_scope(self) -> String {
        format!("{}:read", self.events_api())
    }

    /// `PUT /subscriptions/{id}` exists (wip and next).
    pub fn updates_subscriptions(self) -> bool {
        self != Dialect::R2_2
    }

    pub fn events_update_scope(self) -> String {
        format!("{}:update", self.events_api())
    }

    pub fn events_delete_scope(self) -> String {
        format!("{}:delete", self.events_api())
    }

    /// Creating a subscription needs the scope of each event type it names.
    pub fn events_create_scope(self, event_type: &str) -> String {
        format!("{}:{event_type}:create", self.events_api())
    }

    /// Everything a softphone client asks for.
    pub fn client_scopes(self) -> Vec<String> {
        use super::wire::scopes::*;
        let mut v: Vec<String> = [
            REGISTRATION_CREATE,
            REGISTRATION_WRITE,
            REGISTRATION_DELETE,
            SESSIONS_CREATE,
            SESSIONS_READ,
            SESSIONS_WRITE,
            SESSIONS_DELETE,
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        if self.lists_registrations() {
            v.push(REGISTRATION_READ.to_owned());
        }
        v.push(self.events_read_scope());
        v.push(self.events_delete_scope());
        for k in EventKind::SUBSCRIBABLE {
            v.push(self.events_create_scope(&self.event_type(k)));
        }
        v
    }

    /// The status a successful registration POST answers with.
    pub fn registration_created_status(self) -> u16 {
        match self {
            Dialect::R2_2 => 200,
            Dialect::Wip | Dialect::Next => 201,
        }
    }

    /// `GET /sessions?deviceId=` and `GET /sessions/{id}` exist, and a second POST for a
    /// device is answered 409 `ALREADY_EXISTS`.
    pub fn lists_registrations(self) -> bool {
        self != Dialect::R2_2
    }

    /// Subscriptions name a `registrationId` (and session-status a `sessionId`, so one
    /// is made per call) rather than the `deviceId`.
    pub fn subscribes_per_registration(self) -> bool {
        self == Dialect::R2_2
    }

    /// `callType` and `locationDetails` exist (emergency and located calls).
    pub fn has_call_type(self) -> bool {
        self != Dialect::R2_2
    }

    /// A client-credentials (two-legged) token must name the `phoneNumber` it registers.
    pub fn registration_names_phone_number(self) -> bool {
        self == Dialect::Next
    }

    /// Unknown request properties are refused with 400 `INVALID_ARGUMENT`.
    pub fn strict_bodies(self) -> bool {
        self == Dialect::Next
    }

    /// Event types one subscription may name.
    pub fn max_types_per_subscription(self) -> usize {
        match self {
            Dialect::R2_2 => 1,
            Dialect::Wip | Dialect::Next => 3,
        }
    }

    /// The dialect a URL's path names, when it names one (`…/webrtc-registration/v0.3`,
    /// `…/webrtc-events-subscriptions/vwip`); wip and next share two of three paths, so
    /// only the events path tells them apart.
    pub fn from_path(url: &str) -> Option<Dialect> {
        let path = url.split('?').next().unwrap_or(url).trim_end_matches('/');
        if path.contains("/webrtc-events-subscriptions/") {
            return Some(Dialect::Next);
        }
        if path.ends_with("/v0.3")
            || path.ends_with("/v0.2")
            || path.contains("/v0.3/")
            || path.contains("/v0.2/")
        {
            return Some(Dialect::R2_2);
        }
        if path.ends_with("/webrtc-events/vwip") {
            return Some(Dialect::Wip);
        }
        None
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CAMARA {}", self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_dialect_names_its_paths_events_and_scopes_as_its_spec_does() {
        assert_eq!(Dialect::R2_2.events_base(), "/webrtc-events/v0.2");
        assert_eq!(
            Dialect::Next.event_type(EventKind::SessionStatus),
            "org.camaraproject.webrtc-events-subscriptions.v0.session-status"
        );
        assert_eq!(
            Dialect::Wip.events_create_scope(&Dialect::Wip.event_type(EventKind::RegistrationEnds)),
            "webrtc-events:org.camaraproject.webrtc-events.v0.registration-ends:create"
        );
        assert!(
            Dialect::Next
                .client_scopes()
                .contains(&"webrtc-events-subscriptions:read".to_owned())
        );
        // r2.2 has no registration read operation, hence no read scope.
        assert!(
            !Dialect::R2_2
                .client_scopes()
                .contains(&"webrtc-registration:sessions:read".to_owned())
        );
        assert_eq!(
            Dialect::Wip.event_kind("org.camaraproject.webrtc-events-subscriptions.v0.session-invitation"),
            Some((EventKind::SessionInvitation, false))
        );
        assert_eq!(
            Dialect::R2_2.event_kind("org.camaraproject.webrtc-events.v0.registration-ends"),
            Some((EventKind::RegistrationEnds, true))
        );
        assert_eq!(Dialect::Wip.event_kind("org.example.other"), None);
    }

    #[test]
    fn a_documented_base_path_names_its_dialect() {
        let cases = [
            ("https://op.example/webrtc-registration/v0.3", Some(Dialect::R2_2)),
            ("https://op.example/api/webrtc-events/v0.2/", Some(Dialect::R2_2)),
            (
                "https://op.example/webrtc-events-subscriptions/vwip",
                Some(Dialect::Next),
            ),
            ("https://op.example/webrtc-events/vwip", Some(Dialect::Wip)),
            ("https://op.example/webrtc-registration/vwip", None),
            ("https://op.example", None),
        ];
        for (url, want) in cases {
            assert_eq!(Dialect::from_path(url), want, "{url}");
        }
        for d in Dialect::ALL {
            assert_eq!(Dialect::parse(d.name()), Some(d));
            let json = serde_json::to_string(&d).expect("json");
            assert_eq!(json, format!("\"{}\"", d.name()));
        }
    }
}
