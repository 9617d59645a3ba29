//! The event-stream framing (apis.md §4.3) as the SDK writes it: each client event is an
//! outer signed envelope (`:chunk-signature`, `:date`) around the inner event frame.
//! We unwrap one level; signatures are not verified (apis.md §4.2).

use aws_smithy_eventstream::frame::{DecodedFrame, MessageFrameDecoder, read_message_from, write_message_to};
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use bytes::{Bytes, BytesMut};

/// One event from the client: its `:event-type` and JSON payload.
#[derive(Debug, Clone, PartialEq)]
pub enum Inbound {
    Event {
        name: String,
        body: serde_json::Value,
    },
    /// The signed empty envelope that ends the input.
    End,
}

/// Reads client frames out of the request body as it arrives.
#[derive(Default)]
pub struct Reader {
    buf: BytesMut,
    decoder: MessageFrameDecoder,
}

fn header<'a>(m: &'a Message, name: &str) -> Option<&'a HeaderValue> {
    m.headers()
        .iter()
        .find(|h| h.name().as_str() == name)
        .map(Header::value)
}

fn string_header(m: &Message, name: &str) -> Option<String> {
    header(m, name)
        .and_then(|v| v.as_string().ok())
        .map(|s| s.as_str().to_owned())
}

impl Reader {
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole event, `Ok(None)` until one is complete.
    pub fn next_event(&mut self) -> Result<Option<Inbound>, String> {
        let outer = match self.decoder.decode_frame(&mut self.buf) {
            Ok(DecodedFrame::Complete(m)) => m,
            Ok(DecodedFrame::Incomplete) => return Ok(None),
            Err(e) => return Err(format!("not an event-stream frame: {e}")),
        };
        if header(&outer, ":chunk-signature").is_none() || header(&outer, ":date").is_none() {
            return Err("an event without its signed envelope (:chunk-signature, :date)".into());
        }
        if outer.payload().is_empty() {
            return Ok(Some(Inbound::End));
        }
        let inner = read_message_from(outer.payload().clone())
            .map_err(|e| format!("the envelope does not hold an event frame: {e}"))?;
        if string_header(&inner, ":message-type").as_deref() != Some("event") {
            return Err("an inner frame whose :message-type is not event".into());
        }
        let name = string_header(&inner, ":event-type").ok_or("an event without :event-type")?;
        let body = serde_json::from_slice(inner.payload())
            .map_err(|e| format!("{name}: the payload is not JSON: {e}"))?;
        Ok(Some(Inbound::Event { name, body }))
    }
}

fn frame(m: &Message) -> Bytes {
    let mut out = Vec::new();
    match write_message_to(m, &mut out) {
        Ok(()) => Bytes::from(out),
        Err(e) => {
            tracing::error!(error = %e, "cannot frame an event");
            Bytes::new()
        }
    }
}

/// A server event frame.
pub fn event(name: &str, body: &serde_json::Value) -> Bytes {
    frame(
        &Message::new(Bytes::from(body.to_string()))
            .add_header(Header::new(":message-type", HeaderValue::String("event".into())))
            .add_header(Header::new(
                ":event-type",
                HeaderValue::String(name.to_owned().into()),
            ))
            .add_header(Header::new(
                ":content-type",
                HeaderValue::String("application/json".into()),
            )),
    )
}

/// An exception frame in the stream.
pub fn exception(name: &str, message: &str) -> Bytes {
    frame(
        &Message::new(Bytes::from(serde_json::json!({ "message": message }).to_string()))
            .add_header(Header::new(
                ":message-type",
                HeaderValue::String("exception".into()),
            ))
            .add_header(Header::new(
                ":exception-type",
                HeaderValue::String(name.to_owned().into()),
            ))
            .add_header(Header::new(
                ":content-type",
                HeaderValue::String("application/json".into()),
            )),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed(inner: &Message) -> Bytes {
        frame(
            &Message::new(frame(inner))
                .add_header(Header::new(
                    ":chunk-signature",
                    HeaderValue::ByteArray(Bytes::from_static(&[0; 32])),
                ))
                .add_header(Header::new(":date", HeaderValue::Int64(0))),
        )
    }

    #[test]
    fn events_split_anywhere_are_read_whole() {
        let inner = Message::new(Bytes::from_static(b"{\"text\":\"hi\"}"))
            .add_header(Header::new(":message-type", HeaderValue::String("event".into())))
            .add_header(Header::new(
                ":event-type",
                HeaderValue::String("TextInputEvent".into()),
            ));
        let bytes = signed(&inner);
        let mut r = Reader::default();
        for b in bytes.iter() {
            assert_eq!(r.next_event().expect("no error"), None);
            r.push(&[*b]);
        }
        assert_eq!(
            r.next_event().expect("event"),
            Some(Inbound::Event {
                name: "TextInputEvent".into(),
                body: serde_json::json!({"text": "hi"})
            })
        );
        r.push(&frame(
            &Message::new(Bytes::new())
                .add_header(Header::new(
                    ":chunk-signature",
                    HeaderValue::ByteArray(Bytes::new()),
                ))
                .add_header(Header::new(":date", HeaderValue::Int64(0))),
        ));
        assert_eq!(r.next_event().expect("end"), Some(Inbound::End));
    }

    #[test]
    fn unsigned_or_broken_frames_are_refused() {
        let mut r = Reader::default();
        r.push(&event("TextInputEvent", &serde_json::json!({})));
        assert!(r.next_event().expect_err("unsigned").contains("envelope"));
        let mut r = Reader::default();
        r.push(&[0, 0, 0, 16, 0, 0, 0, 0, 1, 2, 3, 4, 0, 0, 0, 0]);
        assert!(r.next_event().is_err());
    }
}
