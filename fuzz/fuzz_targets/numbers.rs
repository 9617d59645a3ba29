//! Whatever is typed, pasted or linked as a number or address: parsed, shown as its country
//! writes it, flagged, and formatted while typing, as the number field does on every key.
//! A parsed number's E.164 form parses back to itself.
#![no_main]

use dialtone_call::{Address, PhoneNumber, format_as_typed};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = format_as_typed(text);
    if let Ok(a) = Address::parse(text) {
        let _ = a.pretty();
        let _ = a.phone();
    }
    if let Ok(n) = PhoneNumber::parse(text) {
        let _ = n.pretty();
        let _ = n.caution();
        let _ = n.to_tel_uri();
        let again = PhoneNumber::parse(n.as_e164()).expect("an E.164 form we made parses");
        assert_eq!(again.as_e164(), n.as_e164());
    }
});
