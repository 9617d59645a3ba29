//! The far end's SDP: parsed, then, when it parses, through every rewrite the engine applies
//! to it (for the stack, telephone-event rates, rejected sections put back, default
//! candidates) and the answer we would write to it. No panic, and the limits `parse` sets
//! (64 KiB, 32 m-lines) keep every rewrite's output in proportion.
#![no_main]

use dialtone_wire::sdp::{self, DtlsRole};
use dialtone_wire::{CodecName, telephone_event};
use libfuzzer_sys::fuzz_target;

const OURS: [CodecName; 3] = [CodecName::Opus, CodecName::Pcmu, CodecName::Pcma];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = DtlsRole::of(text);
    let Ok(parsed) = sdp::parse(text) else {
        return;
    };
    if let Some(audio) = parsed.audio() {
        let _ = audio.common_codecs(&OURS);
        let _ = audio.telephone_events();
        let _ = audio.format_names();
        let _ = audio.telephone_event(8_000);
    }
    let _ = parsed.audio_direction();
    for neutral in [false, true] {
        let (for_stack, rejected) = sdp::for_stack(text, neutral);
        let back = sdp::with_rejected(&for_stack, &rejected);
        // Each rejected section comes back as at most four short lines of its own.
        let bound = 2 * text.len() + 4096 + rejected.iter().map(|r| r.m_line.len() + 128).sum::<usize>();
        assert!(
            back.len() <= bound,
            "{} bytes back from {}",
            back.len(),
            text.len()
        );
    }
    let _ = sdp::with_default_candidates(text);
    let _ = telephone_event::add_to_offer(text, &OURS);
    let _ = telephone_event::add_to_answer(text, text, &OURS);
    if let Some(role) = DtlsRole::of(text) {
        let _ = role.other().written_into(text);
    }
});
