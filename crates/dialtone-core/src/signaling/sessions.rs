//! A provider's sessions, one per call on the line: found by our call id when the
//! switchboard asks, and by the network's session id when the network speaks.

use crate::call::CallId;
use std::collections::BTreeMap;

/// A session as the network names it.
pub(crate) trait NetworkSession {
    fn network_id(&self) -> &str;
}

#[derive(Debug)]
pub(crate) struct Sessions<S> {
    by_call: BTreeMap<CallId, S>,
}

impl<S> Default for Sessions<S> {
    fn default() -> Self {
        Self {
            by_call: BTreeMap::new(),
        }
    }
}

impl<S: NetworkSession> Sessions<S> {
    pub fn insert(&mut self, call: CallId, s: S) {
        self.by_call.insert(call, s);
    }

    pub fn get(&self, call: CallId) -> Option<&S> {
        self.by_call.get(&call)
    }

    pub fn get_mut(&mut self, call: CallId) -> Option<&mut S> {
        self.by_call.get_mut(&call)
    }

    pub fn remove(&mut self, call: CallId) -> Option<S> {
        self.by_call.remove(&call)
    }

    /// The call whose session the network calls `id`.
    pub fn call_of(&self, id: &str) -> Option<CallId> {
        self.by_call
            .iter()
            .find(|(_, s)| s.network_id() == id)
            .map(|(c, _)| *c)
    }

    pub fn find_mut(&mut self, id: &str) -> Option<(CallId, &mut S)> {
        self.by_call
            .iter_mut()
            .find(|(_, s)| s.network_id() == id)
            .map(|(c, s)| (*c, s))
    }

    pub fn drain(&mut self) -> Vec<(CallId, S)> {
        std::mem::take(&mut self.by_call).into_iter().collect()
    }
}
