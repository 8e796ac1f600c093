//! The client protocol: its numbers, framing, the connect handshake,
//! four-letter-word detection and the multi records.
//!
//! Every frame in both directions is an `int` length followed by that many
//! bytes. The first client frame is a `ConnectRequest`; later ones are a
//! `RequestHeader` and the request record. Replies are a `ReplyHeader` and,
//! only when `err == 0` (multi always), the response record.

pub mod codes;
pub mod connect;
pub mod multi;

use bytes::{BufMut, Bytes, BytesMut};
use jute::proto::ReplyHeader;
use jute::Jute;

pub use codes::{op, ErrorCode};

/// The four-letter words Java knows, by the int their 4 ASCII bytes make.
/// A connection whose first 4 bytes (read as a frame length) match one of
/// these runs the command instead of the handshake.
pub const FOUR_LETTER_WORDS: &[&str] = &[
    "conf", "cons", "crst", "dirs", "dump", "envi", "gtmk", "ruok", "stmk", "srvr", "srst", "stat",
    "wchc", "wchp", "wchs", "mntr", "isro", "hash",
];

/// Java's code for telnet's "interrupt process" sequence, which it also
/// recognises in place of a length.
pub const TELNET_CLOSE: i32 = 0xfff4fffd_u32 as i32;

/// The four-letter word that `first_int` (the first 4 bytes of a new
/// connection, big-endian) spells, if Java knows it.
pub fn four_letter_word(first_int: i32) -> Option<&'static str> {
    if first_int == TELNET_CLOSE {
        // Known, so it has a name for the whitelist; no command runs.
        return Some("telnet close");
    }
    let bytes = first_int.to_be_bytes();
    FOUR_LETTER_WORDS
        .iter()
        .copied()
        .find(|w| w.as_bytes() == bytes)
}

/// Prefixes `body` with its length.
pub fn frame(body: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(4 + body.len());
    out.put_i32(body.len() as i32);
    out.put_slice(body);
    out.freeze()
}

/// A whole reply frame: the header, then the record if there is one.
pub fn reply_frame(xid: i32, zxid: i64, err: i32, record: Option<&dyn WriteRecord>) -> Bytes {
    let mut out = BytesMut::with_capacity(64);
    out.put_i32(0); // the length, filled in below
    ReplyHeader { xid, zxid, err }.write_to(&mut out);
    if let Some(record) = record {
        record.write_record(&mut out);
    }
    let len = (out.len() - 4) as i32;
    out[..4].copy_from_slice(&len.to_be_bytes());
    out.freeze()
}

/// A record that can be written into a reply (object-safe wrapper of
/// `jute::Jute`).
pub trait WriteRecord {
    fn write_record(&self, out: &mut BytesMut);
}

impl<T: Jute> WriteRecord for T {
    fn write_record(&self, out: &mut BytesMut) {
        self.write_to(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_letter_words_are_recognised_by_their_int() {
        let ruok = i32::from_be_bytes(*b"ruok");
        assert_eq!(four_letter_word(ruok), Some("ruok"));
        assert_eq!(four_letter_word(i32::from_be_bytes(*b"mntr")), Some("mntr"));
        assert_eq!(four_letter_word(44), None);
        assert_eq!(four_letter_word(i32::from_be_bytes(*b"RUOK")), None);
        assert_eq!(four_letter_word(TELNET_CLOSE), Some("telnet close"));
    }

    #[test]
    fn reply_frames_carry_their_length() {
        let frame = reply_frame(7, 0x10, -101, None);
        assert_eq!(
            frame.as_ref(),
            [0, 0, 0, 16, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0x10, 0xff, 0xff, 0xff, 0x9b]
        );
        let with_body = reply_frame(1, 2, 0, Some(&jute::proto::ErrorResponse { err: 0 }));
        assert_eq!(with_body.len(), 4 + 16 + 4);
    }
}
