//! The binary archive: how each jute type is written and read, following
//! Java's `BinaryOutputArchive` and `BinaryInputArchive` exactly.
//!
//! - `byte`, `boolean`, `int`, `long`, `float`, `double`: 1, 1, 4, 8, 4, 8
//!   bytes, big-endian. A boolean is written as 0 or 1; any non-zero byte
//!   reads as true.
//! - `ustring`: an `int` byte length (−1 = null), then the bytes. Java writes
//!   each UTF-16 code unit separately as 1–3 bytes, so a character outside
//!   the BMP becomes two 3-byte surrogate sequences; it reads with a
//!   standard UTF-8 decoder that replaces malformed input with U+FFFD.
//! - `buffer`: an `int` length (−1 = null), then the bytes.
//! - `vector<T>`: an `int` count (−1 = null), then the elements. Java treats
//!   any other negative count as an empty vector.
//! - String and buffer lengths are checked against `jute.maxbuffer` plus the
//!   extra size ([`Limits`]); Java reports "Unreasonable length".

use bytes::{BufMut, Bytes};

use crate::error::{Error, ErrorKind, Result};

/// Length limits for strings and buffers: a length above
/// `max_buffer + extra_size` is rejected (Java: `jute.maxbuffer` and
/// `zookeeper.jute.maxbuffer.extrasize`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_buffer: i32,
    pub extra_size: i32,
}

impl Limits {
    /// Java's default `jute.maxbuffer`: 0xfffff bytes (1 MiB − 1).
    pub const DEFAULT_MAX_BUFFER: i32 = 0xfffff;

    /// Limits as Java derives them from `jute.maxbuffer` and the configured
    /// extra size (which defaults to `jute.maxbuffer` and is at least 1024).
    pub fn new(max_buffer: i32, extra_size: Option<i32>) -> Self {
        let extra_size = extra_size.unwrap_or(max_buffer).max(1024);
        Limits {
            max_buffer,
            extra_size,
        }
    }

    /// The largest accepted string or buffer length.
    pub fn total(&self) -> i32 {
        let total = i64::from(self.max_buffer) + i64::from(self.extra_size);
        total.min(i64::from(i32::MAX)) as i32
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::new(Self::DEFAULT_MAX_BUFFER, None)
    }
}

/// A cursor over bytes being decoded.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    input: &'a [u8],
    pos: usize,
    limits: Limits,
}

impl<'a> Reader<'a> {
    pub fn new(input: &'a [u8], limits: Limits) -> Self {
        Reader {
            input,
            pos: 0,
            limits,
        }
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// The bytes not yet consumed.
    pub fn remaining(&self) -> &'a [u8] {
        &self.input[self.pos..]
    }

    pub fn is_empty(&self) -> bool {
        self.pos >= self.input.len()
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let available = self.input.len() - self.pos;
        if n > available {
            return Err(Error::new(
                ErrorKind::Truncated {
                    needed: n,
                    available,
                },
                self.pos,
            ));
        }
        let bytes = &self.input[self.pos..self.pos + n];
        self.pos += n;
        Ok(bytes)
    }

    fn take_array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let bytes = self.take(N)?;
        let mut array = [0u8; N];
        array.copy_from_slice(bytes);
        Ok(array)
    }

    pub fn read_byte(&mut self) -> Result<i8> {
        Ok(i8::from_be_bytes(self.take_array()?))
    }

    pub fn read_bool(&mut self) -> Result<bool> {
        Ok(self.take_array::<1>()?[0] != 0)
    }

    pub fn read_int(&mut self) -> Result<i32> {
        Ok(i32::from_be_bytes(self.take_array()?))
    }

    pub fn read_long(&mut self) -> Result<i64> {
        Ok(i64::from_be_bytes(self.take_array()?))
    }

    pub fn read_float(&mut self) -> Result<f32> {
        Ok(f32::from_be_bytes(self.take_array()?))
    }

    pub fn read_double(&mut self) -> Result<f64> {
        Ok(f64::from_be_bytes(self.take_array()?))
    }

    /// Reads a string or buffer length: `None` for −1 (null).
    fn read_length(&mut self) -> Result<Option<usize>> {
        let at = self.pos;
        let len = self.read_int()?;
        if len == -1 {
            return Ok(None);
        }
        if len < 0 {
            return Err(Error::new(ErrorKind::NegativeLength(len), at));
        }
        let limit = self.limits.total();
        if len > limit {
            return Err(Error::new(ErrorKind::TooLong { length: len, limit }, at));
        }
        Ok(Some(len as usize))
    }

    /// A `ustring` that may be null.
    pub fn read_opt_string(&mut self) -> Result<Option<String>> {
        match self.read_length()? {
            None => Ok(None),
            Some(len) => Ok(Some(decode_utf8_like_java(self.take(len)?))),
        }
    }

    /// A `ustring` that must not be null.
    pub fn read_string(&mut self) -> Result<String> {
        let at = self.pos;
        self.read_opt_string()?
            .ok_or_else(|| Error::new(ErrorKind::NullElement, at))
    }

    /// A `buffer` that may be null.
    pub fn read_opt_buffer(&mut self) -> Result<Option<Bytes>> {
        match self.read_length()? {
            None => Ok(None),
            Some(len) => Ok(Some(Bytes::copy_from_slice(self.take(len)?))),
        }
    }

    /// A `buffer` that must not be null.
    pub fn read_buffer(&mut self) -> Result<Bytes> {
        let at = self.pos;
        self.read_opt_buffer()?
            .ok_or_else(|| Error::new(ErrorKind::NullElement, at))
    }

    /// A `vector` that may be null; `element` reads one element.
    pub fn read_opt_vector<T>(
        &mut self,
        mut element: impl FnMut(&mut Self) -> Result<T>,
    ) -> Result<Option<Vec<T>>> {
        let count = self.read_int()?;
        if count == -1 {
            return Ok(None);
        }
        // Java loops while the count is positive, so any other negative
        // count is an empty vector. Never trust the count for allocation.
        let count = count.max(0) as usize;
        let mut items = Vec::with_capacity(count.min(self.remaining().len()));
        for _ in 0..count {
            items.push(element(self)?);
        }
        Ok(Some(items))
    }

    /// A `vector` that must not be null (an element of another vector).
    pub fn read_vector<T>(
        &mut self,
        element: impl FnMut(&mut Self) -> Result<T>,
    ) -> Result<Vec<T>> {
        let at = self.pos;
        self.read_opt_vector(element)?
            .ok_or_else(|| Error::new(ErrorKind::NullElement, at))
    }

    /// Reads one field of a record, adding the field to any error.
    pub fn field<T: Jute>(&mut self, record: &'static str, field: &'static str) -> Result<T> {
        T::read_from(self).map_err(|e| e.in_field(record, field))
    }
}

/// Decodes bytes as Java's `new String(bytes, UTF_8)` does.
///
/// Valid UTF-8 decodes as usual. Malformed input is replaced by U+FFFD, one
/// per maximal valid prefix (as Unicode recommends), with one difference
/// that Java has: after the lead byte 0xED any continuation byte is a valid
/// prefix, and a complete 3-byte sequence that encodes a surrogate (which is
/// what Java's own writer produces for characters outside the BMP) becomes a
/// single U+FFFD.
pub fn decode_utf8_like_java(bytes: &[u8]) -> String {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(bytes.len() + 8);
    let mut rest = bytes;
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(valid) => {
                out.push_str(valid);
                break;
            }
            Err(e) => {
                let (valid, bad) = rest.split_at(e.valid_up_to());
                // The prefix is valid UTF-8: from_utf8 just said so.
                out.push_str(std::str::from_utf8(valid).unwrap_or_default());
                out.push(char::REPLACEMENT_CHARACTER);
                rest = &bad[java_malformed_len(bad)..];
            }
        }
    }
    out
}

/// How many bytes at the start of `bad` (which starts with a malformed or
/// truncated sequence) Java replaces with one U+FFFD.
fn java_malformed_len(bad: &[u8]) -> usize {
    let continuation = |i: usize, lo: u8, hi: u8| bad.get(i).is_some_and(|b| (lo..=hi).contains(b));
    let (second_lo, second_hi, len) = match bad[0] {
        0xC2..=0xDF => (0x80, 0xBF, 2),
        0xE0 => (0xA0, 0xBF, 3),
        // Java accepts the surrogate range after 0xED as a prefix.
        0xE1..=0xEF => (0x80, 0xBF, 3),
        0xF0 => (0x90, 0xBF, 4),
        0xF1..=0xF3 => (0x80, 0xBF, 4),
        0xF4 => (0x80, 0x8F, 4),
        _ => return 1,
    };
    if !continuation(1, second_lo, second_hi) {
        return 1;
    }
    for i in 2..len {
        if !continuation(i, 0x80, 0xBF) {
            return i;
        }
    }
    // A complete sequence that is still malformed: only an encoded
    // surrogate (0xED 0xA0..0xBF 0x80..0xBF) gets here.
    len
}

/// The number of bytes Java's writer produces for `s`: 1–3 bytes per UTF-16
/// code unit, so 6 for a character outside the BMP.
pub fn java_string_len(s: &str) -> usize {
    // UTF-8 and Java's encoding agree except on 4-byte sequences, which Java
    // writes as two 3-byte surrogates.
    s.len() + 2 * s.chars().filter(|c| c.len_utf8() == 4).count()
}

/// Writes a non-null `ustring` the way Java's `BinaryOutputArchive` does.
pub fn write_string<B: BufMut + ?Sized>(out: &mut B, s: &str) {
    let has_supplementary = s.bytes().any(|b| b >= 0xF0);
    if !has_supplementary {
        out.put_i32(s.len() as i32);
        out.put_slice(s.as_bytes());
        return;
    }
    out.put_i32(java_string_len(s) as i32);
    for c in s.chars() {
        if c.len_utf8() < 4 {
            let mut buf = [0u8; 4];
            out.put_slice(c.encode_utf8(&mut buf).as_bytes());
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units).iter() {
                // A surrogate is always in 0xD800..=0xDFFF: three bytes.
                out.put_u8(0xE0 | (unit >> 12) as u8);
                out.put_u8(0x80 | ((unit >> 6) & 0x3F) as u8);
                out.put_u8(0x80 | (unit & 0x3F) as u8);
            }
        }
    }
}

/// A value with a jute encoding. Implemented for the Rust types the code
/// generator maps jute types to, and for every generated record.
///
/// | jute           | field type          | vector element |
/// |----------------|---------------------|----------------|
/// | byte           | `i8`                | `i8`           |
/// | boolean        | `bool`              | `bool`         |
/// | int / long     | `i32` / `i64`       | same           |
/// | float / double | `f32` / `f64`       | same           |
/// | ustring        | `Option<String>`    | `String`       |
/// | buffer         | `Option<Bytes>`     | `Bytes`        |
/// | vector<T>      | `Option<Vec<T>>`    | `Vec<T>`       |
/// | record R       | `R`                 | `R`            |
///
/// Nulls are kept wherever Java can write them, so that what is decoded
/// re-encodes to the same bytes.
pub trait Jute: Sized {
    /// Appends the encoding of `self`.
    fn write_to<B: BufMut + ?Sized>(&self, out: &mut B);
    /// Decodes one value.
    fn read_from(reader: &mut Reader<'_>) -> Result<Self>;
}

macro_rules! primitive {
    ($ty:ty, $put:ident, $read:ident) => {
        impl Jute for $ty {
            fn write_to<B: BufMut + ?Sized>(&self, out: &mut B) {
                out.$put(*self);
            }
            fn read_from(reader: &mut Reader<'_>) -> Result<Self> {
                reader.$read()
            }
        }
    };
}

primitive!(i8, put_i8, read_byte);
primitive!(i32, put_i32, read_int);
primitive!(i64, put_i64, read_long);
primitive!(f32, put_f32, read_float);
primitive!(f64, put_f64, read_double);

impl Jute for bool {
    fn write_to<B: BufMut + ?Sized>(&self, out: &mut B) {
        out.put_u8(u8::from(*self));
    }
    fn read_from(reader: &mut Reader<'_>) -> Result<Self> {
        reader.read_bool()
    }
}

impl Jute for String {
    fn write_to<B: BufMut + ?Sized>(&self, out: &mut B) {
        write_string(out, self);
    }
    fn read_from(reader: &mut Reader<'_>) -> Result<Self> {
        reader.read_string()
    }
}

impl Jute for Option<String> {
    fn write_to<B: BufMut + ?Sized>(&self, out: &mut B) {
        match self {
            Some(s) => write_string(out, s),
            None => out.put_i32(-1),
        }
    }
    fn read_from(reader: &mut Reader<'_>) -> Result<Self> {
        reader.read_opt_string()
    }
}

impl Jute for Bytes {
    fn write_to<B: BufMut + ?Sized>(&self, out: &mut B) {
        out.put_i32(self.len() as i32);
        out.put_slice(self);
    }
    fn read_from(reader: &mut Reader<'_>) -> Result<Self> {
        reader.read_buffer()
    }
}

impl Jute for Option<Bytes> {
    fn write_to<B: BufMut + ?Sized>(&self, out: &mut B) {
        match self {
            Some(b) => b.write_to(out),
            None => out.put_i32(-1),
        }
    }
    fn read_from(reader: &mut Reader<'_>) -> Result<Self> {
        reader.read_opt_buffer()
    }
}

impl<T: Jute> Jute for Vec<T> {
    fn write_to<B: BufMut + ?Sized>(&self, out: &mut B) {
        out.put_i32(self.len() as i32);
        for item in self {
            item.write_to(out);
        }
    }
    fn read_from(reader: &mut Reader<'_>) -> Result<Self> {
        reader.read_vector(T::read_from)
    }
}

impl<T: Jute> Jute for Option<Vec<T>> {
    fn write_to<B: BufMut + ?Sized>(&self, out: &mut B) {
        match self {
            Some(items) => items.write_to(out),
            None => out.put_i32(-1),
        }
    }
    fn read_from(reader: &mut Reader<'_>) -> Result<Self> {
        reader.read_opt_vector(T::read_from)
    }
}

/// A generated record: a [`Jute`] value with a name and conveniences.
pub trait Record: Jute + Clone + PartialEq + std::fmt::Debug + Default {
    /// The fully qualified jute name, e.g. `org.apache.zookeeper.data.Stat`.
    const NAME: &'static str;

    /// The encoding of `self` as a new byte vector.
    fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_to(&mut out);
        out
    }

    /// Decodes a record from the start of `input` with the given limits;
    /// trailing bytes are left alone, as Java's streams leave them.
    fn decode(input: &[u8], limits: Limits) -> Result<Self> {
        Self::read_from(&mut Reader::new(input, limits))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded<T: Jute>(value: &T) -> Vec<u8> {
        let mut out = Vec::new();
        value.write_to(&mut out);
        out
    }

    #[test]
    fn strings_are_written_like_java() {
        // Checked against the Java 3.8.0 jar: "a\0😀" → 8 bytes, CESU-style.
        let s = Some("a\u{0}\u{1F600}".to_string());
        assert_eq!(
            encoded(&s),
            [0, 0, 0, 8, 0x61, 0x00, 0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80]
        );
        assert_eq!(encoded(&None::<String>), [0xff, 0xff, 0xff, 0xff]);
        assert_eq!(encoded(&Some(String::new())), [0, 0, 0, 0]);
        assert_eq!(encoded(&Some("é".to_string())), [0, 0, 0, 2, 0xc3, 0xa9]);
        assert_eq!(java_string_len("x\u{10FFFF}\u{800}"), 1 + 6 + 3);
    }

    #[test]
    fn malformed_input_decodes_like_java() {
        // Pairs checked with Java 17's `new String(bytes, UTF_8)`; the
        // compat tests compare many more with Java directly.
        let cases: &[(&[u8], &str)] = &[
            (&[0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80], "\u{FFFD}\u{FFFD}"),
            (&[0xed, 0xa0, 0xbd, 0x41], "\u{FFFD}A"),
            (&[0xed, 0xa0], "\u{FFFD}"),
            (&[0xed, 0xa0, 0x7f], "\u{FFFD}\u{7f}"),
            (&[0xed, 0x9f, 0xbf], "\u{D7FF}"),
            (&[0xe0, 0x9f, 0x80], "\u{FFFD}\u{FFFD}\u{FFFD}"),
            (&[0xf0, 0x9f, 0x98], "\u{FFFD}"),
            (
                &[0xf4, 0x90, 0x80, 0x80],
                "\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}",
            ),
            (&[0xc0, 0x80], "\u{FFFD}\u{FFFD}"),
            (&[0x61, 0xc3, 0x28, 0x62], "a\u{FFFD}(b"),
            (&[0xf0, 0x9f, 0x98, 0x80], "\u{1F600}"),
        ];
        for (bytes, expected) in cases {
            assert_eq!(&decode_utf8_like_java(bytes), expected, "{bytes:02x?}");
        }
    }

    #[test]
    fn lengths_are_checked() {
        let limits = Limits::new(10, None);
        assert_eq!(limits.total(), 10 + 1024);
        let mut long = vec![0, 0, 0x04, 0x0b];
        long.extend(std::iter::repeat_n(b'a', 1035));
        let err = Option::<String>::read_from(&mut Reader::new(&long, limits)).unwrap_err();
        assert_eq!(
            err.kind,
            ErrorKind::TooLong {
                length: 1035,
                limit: 1034
            }
        );
        let err = Option::<Bytes>::read_from(&mut Reader::new(&[0xff, 0xff, 0xff, 0xfe], limits))
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::NegativeLength(-2));
        let err =
            Option::<Bytes>::read_from(&mut Reader::new(&[0, 0, 0, 5, 1, 2], limits)).unwrap_err();
        assert_eq!(
            err.kind,
            ErrorKind::Truncated {
                needed: 5,
                available: 2
            }
        );
        assert_eq!(err.offset, 4);
        assert_eq!(Limits::new(i32::MAX, None).total(), i32::MAX);
    }

    #[test]
    fn vectors_follow_java() {
        let limits = Limits::default();
        let null = Option::<Vec<i32>>::read_from(&mut Reader::new(&[0xff; 4], limits)).unwrap();
        assert_eq!(null, None);
        // Any other negative count is an empty vector, as in Java.
        let neg =
            Option::<Vec<i32>>::read_from(&mut Reader::new(&[0xff, 0xff, 0xff, 0xf0], limits))
                .unwrap();
        assert_eq!(neg, Some(vec![]));
        // A huge count with little input fails without a huge allocation.
        let huge =
            Option::<Vec<i64>>::read_from(&mut Reader::new(&[0x7f, 0xff, 0xff, 0xff, 1], limits));
        assert!(matches!(
            huge.unwrap_err().kind,
            ErrorKind::Truncated { .. }
        ));
        // A null element of a vector of strings is an error.
        let null_elem = Option::<Vec<String>>::read_from(&mut Reader::new(
            &[0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff],
            limits,
        ));
        assert_eq!(null_elem.unwrap_err().kind, ErrorKind::NullElement);
    }

    #[test]
    fn booleans_read_any_nonzero_as_true() {
        let limits = Limits::default();
        assert!(bool::read_from(&mut Reader::new(&[7], limits)).unwrap());
        assert!(!bool::read_from(&mut Reader::new(&[0], limits)).unwrap());
        assert_eq!(encoded(&true), [1]);
    }
}
