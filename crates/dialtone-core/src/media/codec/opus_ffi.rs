//! What the `opus` crate does not wrap, straight from libopus (`opusic-sys`): a decoder
//! with a complexity setting, since libopus 1.5+ conceals lost frames with its neural
//! PLC only at decoder complexity 5 or more, and the LBRR (in-band FEC) test.

use super::CodecError;
use opusic_sys as ffi;
use std::ffi::{CStr, c_int};

/// A mono 48 kHz Opus decoder.
pub struct Decoder {
    ptr: *mut ffi::OpusDecoder,
}

// SAFETY: an OpusDecoder is plain state with no thread affinity, and every call takes
// `&mut self`, so one thread at a time uses it.
unsafe impl Send for Decoder {}

fn error(op: &str, code: c_int) -> CodecError {
    // SAFETY: opus_strerror returns a static NUL-terminated string for any code.
    let text = unsafe { CStr::from_ptr(ffi::opus_strerror(code)) };
    CodecError::Opus(format!("{op}: {}", text.to_string_lossy()))
}

impl Decoder {
    /// `complexity`: 0–10.
    pub fn new(complexity: i32) -> Result<Self, CodecError> {
        let mut code = 0;
        // SAFETY: a valid rate and channel count; `code` outlives the call.
        let ptr = unsafe { ffi::opus_decoder_create(48_000, 1, &mut code) };
        if code != ffi::OPUS_OK || ptr.is_null() {
            return Err(error("opus_decoder_create", code));
        }
        let decoder = Self { ptr };
        // SAFETY: a live decoder; OPUS_SET_COMPLEXITY takes one opus_int32.
        let code = unsafe {
            ffi::opus_decoder_ctl(
                decoder.ptr,
                ffi::OPUS_SET_COMPLEXITY_REQUEST,
                complexity as ffi::opus_int32,
            )
        };
        if code != ffi::OPUS_OK {
            return Err(error("OPUS_SET_COMPLEXITY", code));
        }
        Ok(decoder)
    }

    /// Decodes `packet` into `out` (at most `out.len()` samples); an empty packet asks
    /// for concealment, `fec` for the frame before `packet` from its FEC data.
    pub fn decode(&mut self, packet: &[u8], out: &mut [i16], fec: bool) -> Result<usize, CodecError> {
        let data = if packet.is_empty() {
            std::ptr::null()
        } else {
            packet.as_ptr()
        };
        let too_large = || CodecError::Opus("packet or buffer too large".into());
        let len = i32::try_from(packet.len()).map_err(|_| too_large())?;
        let frame = i32::try_from(out.len()).map_err(|_| too_large())?;
        // SAFETY: `data` points to `len` bytes (or is null for a loss); `out` holds
        // `frame` samples of our one channel.
        let n = unsafe { ffi::opus_decode(self.ptr, data, len, out.as_mut_ptr(), frame, c_int::from(fec)) };
        usize::try_from(n).map_err(|_| error("opus_decode", n))
    }
}

impl Drop for Decoder {
    fn drop(&mut self) {
        // SAFETY: made by opus_decoder_create, destroyed once.
        unsafe { ffi::opus_decoder_destroy(self.ptr) }
    }
}

/// Whether an Opus packet carries in-band FEC (SILK LBRR) for the frame before it.
pub fn has_lbrr(packet: &[u8]) -> bool {
    let Ok(len) = i32::try_from(packet.len()) else {
        return false;
    };
    if len == 0 {
        return false;
    }
    // SAFETY: `packet` holds `len` bytes; libopus only reads them (and answers a
    // malformed packet with a negative error code).
    unsafe { ffi::opus_packet_has_lbrr(packet.as_ptr(), len) == 1 }
}
