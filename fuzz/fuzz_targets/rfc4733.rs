//! RFC 4733 telephone-events from the far end: payloads of any length and content, at any
//! timestamps and clock rates, into the receiver that turns them into digits; and digit
//! strings a user or a script gives into the sender. A digit is reported once per event,
//! and only a keypad symbol.
#![no_main]

use arbitrary::Arbitrary;
use dialtone_wire::dtmf::{DtmfReceiver, DtmfSender, EventPayload, validate_digits};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    clock_rate: u32,
    packets: Vec<(u32, Vec<u8>)>,
    digits: String,
    tone_ms: u16,
    gap_ms: u16,
}

fuzz_target!(|input: Input| {
    let mut receiver = DtmfReceiver::default();
    let mut last_ts = None;
    for (ts, payload) in &input.packets {
        if let Some(p) = EventPayload::parse(payload) {
            assert_eq!(EventPayload::parse(&p.to_bytes()), Some(p));
        }
        if let Some(digit) = receiver.on_packet(*ts, payload, input.clock_rate) {
            assert!("0123456789*#ABCD".contains(digit.digit), "{digit:?}");
            assert_ne!(last_ts, Some(*ts), "the same event reported twice");
            last_ts = Some(*ts);
        }
    }
    if let Ok(events) = validate_digits(&input.digits) {
        let mut sender = DtmfSender::new(
            u32::from(input.tone_ms % 2000),
            u32::from(input.gap_ms % 2000),
            20,
        );
        sender.enqueue(&events);
        for frame in 0..2_000u64 {
            if sender.next_packet(frame, 160).is_none() && !sender.is_busy() {
                break;
            }
        }
    }
});
