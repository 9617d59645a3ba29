//! What the line tells: each call's state as its kind of machine allows it, and the call
//! list with the audio routing that follows from it.

use super::Line;
use crate::call::{CallEvent, CallId, CallState, LineCall};

impl Line {
    /// The call list and the audio routing that follows from it.
    pub(super) fn publish_calls(&mut self) {
        let calls = self
            .board
            .calls()
            .map(|(id, s)| {
                let leg = self.legs.get(&id);
                let remote = match (leg, self.bot_calls.get(&id)) {
                    (Some(l), _) => l.remote.clone(),
                    (None, Some(b)) => b.remote.clone(),
                    (None, None) => String::new(),
                };
                LineCall {
                    call: id,
                    state: s.name().to_owned(),
                    remote,
                    incoming: leg.is_some_and(|l| l.incoming),
                    allowed: self.board.allowed(id).unwrap_or_default(),
                    merge: self.board.can_merge(id),
                }
            })
            .collect();
        let merged = self.board.mixed().to_vec();
        self.route_audio();
        let (front, allowed) = (self.board.in_front(), self.board.line_allowed());
        self.out.calls(calls, merged, front, allowed);
    }

    /// Who hears whom, as the switchboard has it.
    pub(super) fn route_audio(&mut self) {
        let merged = self.board.mixed();
        if self.bus.merged() != merged {
            self.bus.set_merged(merged);
        }
        self.bus.set_unheard(self.board.unheard());
        self.bus.set_waiting_tone(self.board.waiting_tone_in());
    }

    /// A call's new state, with what `allowed` (its kind of machine's) permits in it.
    pub(super) fn publish_state(
        &mut self,
        id: CallId,
        s: CallState,
        allowed: fn(&CallState) -> crate::call::Allowed,
    ) {
        self.out.emit(id, CallEvent::state(&s, allowed(&s)));
        if let CallState::Ended(r) = &s {
            self.out.emit(
                id,
                CallEvent::Ended {
                    reason: r.to_string(),
                },
            );
        }
        self.out.state(s);
    }
}
