//! A CAMARA CloudEvent as the operator's event sink receives it, read the way the provider
//! reads it: the envelope, the event type in each dialect (r2.2, wip, next), then the data
//! of that kind, and the SDP of an invitation.
#![no_main]

use dialtone_wire::camara::wire::{CloudEvent, MediaSession, RegistrationEnds, SubscriptionEnded};
use dialtone_wire::camara::{Dialect, EventKind};
use dialtone_wire::sdp;
use libfuzzer_sys::fuzz_target;

const DIALECTS: [&str; 3] = ["r2.2", "wip", "next"];

fuzz_target!(|data: &[u8]| {
    let Ok(event) = serde_json::from_slice::<CloudEvent>(data) else {
        return;
    };
    for name in DIALECTS {
        let Some(dialect) = Dialect::parse(name) else {
            panic!("no dialect {name}");
        };
        let _ = Dialect::from_path(&event.source);
        let Some((kind, _own_spelling)) = dialect.event_kind(&event.event_type) else {
            continue;
        };
        // The name a dialect gives a kind is one it reads back as that kind.
        assert_eq!(
            dialect.event_kind(&dialect.event_type(kind)).map(|k| k.0),
            Some(kind)
        );
        match kind {
            EventKind::SessionInvitation | EventKind::SessionStatus => {
                if let Ok(session) = serde_json::from_value::<MediaSession>(event.data.clone()) {
                    for d in [session.offer, session.answer].into_iter().flatten() {
                        let _ = sdp::parse(&d.sdp);
                    }
                    let _ = session.status.map(|s| s.is_final());
                }
            }
            EventKind::RegistrationEnds => {
                let _ = serde_json::from_value::<RegistrationEnds>(event.data.clone());
            }
            EventKind::SubscriptionEnded => {
                let _ = serde_json::from_value::<SubscriptionEnded>(event.data.clone());
            }
        }
    }
});
