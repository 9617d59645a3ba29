//! An Alexa CallSignaling message as the intake receives it (flat, or enveloped in a skill
//! request), and a response body: read, checked, its SDP and caller taken out, and written
//! back in the form it came in, which reads back to the same message.
#![no_main]

use dialtone_wire::alexa::{Inbound, SdpType, response_session_id};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = response_session_id(data);
    let Ok(inbound) = serde_json::from_slice::<Inbound>(data) else {
        return;
    };
    let m = &inbound.message;
    let _ = m.check();
    for kind in [SdpType::Offer, SdpType::Answer] {
        let _ = m.sdp_if_any(kind);
        let _ = m.sdp(kind);
    }
    let _ = m.caller_name();
    let written = inbound.form.encode(m);
    let again: Inbound = match serde_json::from_value(written.clone()) {
        Ok(i) => i,
        Err(e) => panic!("what we write does not read back: {e}: {written}"),
    };
    assert_eq!(again, inbound, "{written}");
});
