//! A dynamic view of jute values, so that tools and tests can handle every
//! record of the schema generically: golden tests exchange values with the
//! Java jute classes, property tests generate them from the schema, and the
//! dump tools print them.
//!
//! Values also have a one-line text form, shared with the Java golden-test
//! program (`compat-tests/java/jute-golden`):
//!
//! ```text
//! y:-5  z:1  i:42  l:-9  f:3f800000  d:3ff0000000000000   (bits in hex)
//! s:<hex of UTF-8>  s:null  x:<hex>  x:null  v:null  [ v1 v2 ]  { name v name v }
//! ```

use std::fmt;

use bytes::Bytes;

use crate::archive::{Limits, Reader, Record};

/// One jute value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Byte(i8),
    Boolean(bool),
    Int(i32),
    Long(i64),
    Float(f32),
    Double(f64),
    String(Option<String>),
    Buffer(Option<Bytes>),
    Vector(Option<Vec<Value>>),
    /// A record's fields, by name, in declaration order.
    Record(Vec<(String, Value)>),
}

/// A value that does not fit the type it was converted to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueError(pub String);

impl ValueError {
    /// Prefixes the message with the field it concerns.
    pub fn in_field(self, field: &str) -> Self {
        ValueError(format!("{field}: {}", self.0))
    }
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ValueError {}

fn mismatch(expected: &str, found: &Value) -> ValueError {
    ValueError(format!("expected {expected}, found {}", found.to_text()))
}

impl Value {
    /// The fields of a record value, checked to be exactly `names`.
    pub fn record_fields(
        &self,
        record: &str,
        names: &[&str],
    ) -> Result<&[(String, Value)], ValueError> {
        let Value::Record(fields) = self else {
            return Err(mismatch(record, self));
        };
        let found: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
        let mut expected = names.to_vec();
        let mut sorted_found = found.clone();
        expected.sort_unstable();
        sorted_found.sort_unstable();
        if expected != sorted_found {
            return Err(ValueError(format!(
                "{record} has fields {names:?}, the value has {found:?}"
            )));
        }
        Ok(fields)
    }

    /// One field of a record value (from [`Value::record_fields`]).
    pub fn field<'v>(fields: &'v [(String, Value)], name: &str) -> &'v Value {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
            .expect("record_fields checked the field names")
    }

    /// The one-line text form.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        self.write_text(&mut out);
        out
    }

    fn write_text(&self, out: &mut String) {
        match self {
            Value::Byte(v) => out.push_str(&format!("y:{v}")),
            Value::Boolean(v) => out.push_str(if *v { "z:1" } else { "z:0" }),
            Value::Int(v) => out.push_str(&format!("i:{v}")),
            Value::Long(v) => out.push_str(&format!("l:{v}")),
            Value::Float(v) => out.push_str(&format!("f:{:08x}", v.to_bits())),
            Value::Double(v) => out.push_str(&format!("d:{:016x}", v.to_bits())),
            Value::String(None) => out.push_str("s:null"),
            Value::String(Some(s)) => {
                out.push_str("s:");
                out.push_str(&hex(s.as_bytes()));
            }
            Value::Buffer(None) => out.push_str("x:null"),
            Value::Buffer(Some(b)) => {
                out.push_str("x:");
                out.push_str(&hex(b));
            }
            Value::Vector(None) => out.push_str("v:null"),
            Value::Vector(Some(items)) => {
                out.push('[');
                for item in items {
                    out.push(' ');
                    item.write_text(out);
                }
                out.push_str(" ]");
            }
            Value::Record(fields) => {
                out.push('{');
                for (name, value) in fields {
                    out.push(' ');
                    out.push_str(name);
                    out.push(' ');
                    value.write_text(out);
                }
                out.push_str(" }");
            }
        }
    }

    /// Parses the one-line text form.
    pub fn parse_text(text: &str) -> Result<Value, ValueError> {
        let tokens: Vec<&str> = text.split_ascii_whitespace().collect();
        let mut pos = 0;
        let value = parse_value(&tokens, &mut pos)?;
        match tokens.get(pos) {
            None => Ok(value),
            Some(extra) => Err(ValueError(format!("unexpected `{extra}` after the value"))),
        }
    }
}

fn parse_value(tokens: &[&str], pos: &mut usize) -> Result<Value, ValueError> {
    let token = *tokens
        .get(*pos)
        .ok_or_else(|| ValueError("unexpected end of value text".into()))?;
    *pos += 1;
    let bad = |what: &str| ValueError(format!("bad {what} `{token}`"));
    match token {
        "[" => {
            let mut items = Vec::new();
            loop {
                match tokens.get(*pos) {
                    Some(&"]") => {
                        *pos += 1;
                        return Ok(Value::Vector(Some(items)));
                    }
                    Some(_) => items.push(parse_value(tokens, pos)?),
                    None => return Err(ValueError("unterminated vector".into())),
                }
            }
        }
        "{" => {
            let mut fields = Vec::new();
            loop {
                let name = *tokens
                    .get(*pos)
                    .ok_or_else(|| ValueError("unterminated record".into()))?;
                *pos += 1;
                if name == "}" {
                    return Ok(Value::Record(fields));
                }
                fields.push((name.to_string(), parse_value(tokens, pos)?));
            }
        }
        "s:null" => Ok(Value::String(None)),
        "x:null" => Ok(Value::Buffer(None)),
        "v:null" => Ok(Value::Vector(None)),
        _ => {
            let (kind, body) = token.split_once(':').ok_or_else(|| bad("token"))?;
            match kind {
                "y" => body.parse().map(Value::Byte).map_err(|_| bad("byte")),
                "z" => match body {
                    "0" => Ok(Value::Boolean(false)),
                    "1" => Ok(Value::Boolean(true)),
                    _ => Err(bad("boolean")),
                },
                "i" => body.parse().map(Value::Int).map_err(|_| bad("int")),
                "l" => body.parse().map(Value::Long).map_err(|_| bad("long")),
                "f" => u32::from_str_radix(body, 16)
                    .map(|b| Value::Float(f32::from_bits(b)))
                    .map_err(|_| bad("float")),
                "d" => u64::from_str_radix(body, 16)
                    .map(|b| Value::Double(f64::from_bits(b)))
                    .map_err(|_| bad("double")),
                "s" => {
                    let bytes = unhex(body).ok_or_else(|| bad("string"))?;
                    String::from_utf8(bytes)
                        .map(|s| Value::String(Some(s)))
                        .map_err(|_| bad("string (not UTF-8)"))
                }
                "x" => unhex(body)
                    .map(|b| Value::Buffer(Some(Bytes::from(b))))
                    .ok_or_else(|| bad("buffer")),
                _ => Err(bad("token")),
            }
        }
    }
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Bytes of a hex string, or `None` if it is not hex.
pub fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Conversion between typed values and [`Value`]s. Implemented for every
/// type a generated record field can have, and for every record.
pub trait Reflect: Sized {
    fn to_value(&self) -> Value;
    fn from_value(value: &Value) -> Result<Self, ValueError>;
}

macro_rules! reflect_primitive {
    ($ty:ty, $variant:ident, $name:literal) => {
        impl Reflect for $ty {
            fn to_value(&self) -> Value {
                Value::$variant(*self)
            }
            fn from_value(value: &Value) -> Result<Self, ValueError> {
                match value {
                    Value::$variant(v) => Ok(*v),
                    other => Err(mismatch($name, other)),
                }
            }
        }
    };
}

reflect_primitive!(i8, Byte, "a byte");
reflect_primitive!(bool, Boolean, "a boolean");
reflect_primitive!(i32, Int, "an int");
reflect_primitive!(i64, Long, "a long");
reflect_primitive!(f32, Float, "a float");
reflect_primitive!(f64, Double, "a double");

impl Reflect for Option<String> {
    fn to_value(&self) -> Value {
        Value::String(self.clone())
    }
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        match value {
            Value::String(v) => Ok(v.clone()),
            other => Err(mismatch("a string", other)),
        }
    }
}

impl Reflect for String {
    fn to_value(&self) -> Value {
        Value::String(Some(self.clone()))
    }
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        match value {
            Value::String(Some(v)) => Ok(v.clone()),
            other => Err(mismatch("a non-null string", other)),
        }
    }
}

impl Reflect for Option<Bytes> {
    fn to_value(&self) -> Value {
        Value::Buffer(self.clone())
    }
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        match value {
            Value::Buffer(v) => Ok(v.clone()),
            other => Err(mismatch("a buffer", other)),
        }
    }
}

impl Reflect for Bytes {
    fn to_value(&self) -> Value {
        Value::Buffer(Some(self.clone()))
    }
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        match value {
            Value::Buffer(Some(v)) => Ok(v.clone()),
            other => Err(mismatch("a non-null buffer", other)),
        }
    }
}

impl<T: Reflect> Reflect for Vec<T> {
    fn to_value(&self) -> Value {
        Value::Vector(Some(self.iter().map(Reflect::to_value).collect()))
    }
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        match value {
            Value::Vector(Some(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| T::from_value(v).map_err(|e| e.in_field(&format!("[{i}]"))))
                .collect(),
            other => Err(mismatch("a non-null vector", other)),
        }
    }
}

impl<T: Reflect> Reflect for Option<Vec<T>> {
    fn to_value(&self) -> Value {
        match self {
            Some(items) => items.to_value(),
            None => Value::Vector(None),
        }
    }
    fn from_value(value: &Value) -> Result<Self, ValueError> {
        match value {
            Value::Vector(None) => Ok(None),
            other => Vec::<T>::from_value(other).map(Some),
        }
    }
}

/// Encodes a dynamic value as one record type.
pub type EncodeFn = fn(&Value) -> Result<Vec<u8>, ValueError>;

/// Decodes one record type from the start of the input into a dynamic value;
/// returns the value and the number of bytes used.
pub type DecodeFn = fn(&[u8], Limits) -> crate::error::Result<(Value, usize)>;

/// One record of the schema, for generic use: its name and functions that
/// encode and decode it with the generated code through [`Value`]s.
#[derive(Clone, Copy)]
pub struct RecordInfo {
    /// The fully qualified jute name.
    pub name: &'static str,
    /// Converts a value to the typed record and encodes it.
    pub encode: EncodeFn,
    /// Decodes the typed record from the start of the input; returns the
    /// value and the number of bytes used.
    pub decode: DecodeFn,
}

impl fmt::Debug for RecordInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordInfo")
            .field("name", &self.name)
            .finish()
    }
}

impl RecordInfo {
    /// The entry for record type `R`.
    pub const fn of<R: Record + Reflect>() -> RecordInfo {
        RecordInfo {
            name: R::NAME,
            encode: encode_value::<R>,
            decode: decode_value::<R>,
        }
    }
}

fn encode_value<R: Record + Reflect>(value: &Value) -> Result<Vec<u8>, ValueError> {
    Ok(R::from_value(value)?.to_bytes())
}

fn decode_value<R: Record + Reflect>(
    input: &[u8],
    limits: Limits,
) -> crate::error::Result<(Value, usize)> {
    let mut reader = Reader::new(input, limits);
    let record = R::read_from(&mut reader)?;
    Ok((record.to_value(), reader.position()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips() {
        let value = Value::Record(vec![
            ("a".into(), Value::Byte(-128)),
            ("b".into(), Value::Boolean(true)),
            ("c".into(), Value::Int(i32::MIN)),
            ("d".into(), Value::Long(i64::MAX)),
            ("e".into(), Value::Float(1.5)),
            ("f".into(), Value::Double(-0.25)),
            ("g".into(), Value::String(Some("x y\u{0}é😀".into()))),
            ("h".into(), Value::String(None)),
            ("i".into(), Value::String(Some(String::new()))),
            (
                "j".into(),
                Value::Buffer(Some(Bytes::from_static(&[0, 255]))),
            ),
            ("k".into(), Value::Buffer(None)),
            ("l".into(), Value::Buffer(Some(Bytes::new()))),
            ("m".into(), Value::Vector(None)),
            (
                "n".into(),
                Value::Vector(Some(vec![
                    Value::Vector(Some(vec![])),
                    Value::Record(vec![("z".into(), Value::Int(1))]),
                ])),
            ),
        ]);
        let text = value.to_text();
        assert_eq!(Value::parse_text(&text).unwrap(), value);
        assert!(text.starts_with("{ a y:-128 b z:1 c i:-2147483648"));
    }

    #[test]
    fn bad_text_is_an_error() {
        for text in [
            "", "{ a", "[ i:1", "i:x", "s:abc", "q:1", "i:1 i:2", "z:2", "s:ff",
        ] {
            assert!(Value::parse_text(text).is_err(), "{text}");
        }
    }
}
