//! Values for every record of the schema, derived from the schema itself:
//! deterministic samples full of edge cases (for the golden file the Java
//! jute classes produce), and proptest strategies (for round trips and for
//! random comparisons with Java). Shared by `jute/tests/*.rs`, the
//! `jute-samples` example and the compat tests.

#![allow(dead_code)]

use bytes::Bytes;
use jute::idl::{Schema, Type};
use jute::Value;
use proptest::prelude::*;

/// How many samples each record gets in the golden file.
pub const SAMPLES_PER_RECORD: usize = 8;

const BYTES: &[i8] = &[0, 1, -1, i8::MIN, i8::MAX, 42];
const INTS: &[i32] = &[0, 1, -1, i32::MIN, i32::MAX, 42, -123_456, 65_536];
const LONGS: &[i64] = &[
    0,
    1,
    -1,
    i64::MIN,
    i64::MAX,
    0x1_0000_0002,
    -4_294_967_296,
    1_700_000_000_000,
];
const FLOATS: &[f64] = &[0.0, 1.5, -2.25, 1e10];

/// Strings with the cases that matter: empty, NUL, Latin-1, CJK, characters
/// outside the BMP (written as surrogate pairs by Java), long.
fn sample_string(n: usize) -> String {
    let samples = [
        String::new(),
        "/".to_string(),
        "/zookeeper/quota".to_string(),
        "nul\u{0}inside".to_string(),
        "héllo wörld".to_string(),
        "日本語/ノード".to_string(),
        "emoji 😀 and 𝄞 clef".to_string(),
        "x".repeat(300),
    ];
    samples[n % samples.len()].clone()
}

fn sample_buffer(n: usize) -> Bytes {
    let samples: [Vec<u8>; 5] = [
        vec![],
        vec![0],
        (0..=255).collect(),
        b"hello".to_vec(),
        vec![0xff, 0xfe, 0x00, 0x80],
    ];
    Bytes::from(samples[n % samples.len()].clone())
}

/// The `n`-th sample of a type. `top` marks a record field, which may be
/// null; vector elements never are.
pub fn sample(schema: &Schema, ty: &Type, n: usize, top: bool) -> Value {
    // Every fifth top-level string, buffer or vector is null.
    let null = top && n % 5 == 3;
    match ty {
        Type::Byte => Value::Byte(BYTES[n % BYTES.len()]),
        Type::Boolean => Value::Boolean(n % 2 == 1),
        Type::Int => Value::Int(INTS[n % INTS.len()]),
        Type::Long => Value::Long(LONGS[n % LONGS.len()]),
        Type::Float => Value::Float(FLOATS[n % FLOATS.len()] as f32),
        Type::Double => Value::Double(FLOATS[n % FLOATS.len()]),
        Type::UString => Value::String((!null).then(|| sample_string(n))),
        Type::Buffer => Value::Buffer((!null).then(|| sample_buffer(n))),
        Type::Vector(element) => {
            if null {
                return Value::Vector(None);
            }
            let count = [0, 1, 3, 2][n % 4];
            Value::Vector(Some(
                (0..count)
                    .map(|i| sample(schema, element, n + i + 1, false))
                    .collect(),
            ))
        }
        Type::Record(name) => sample_record(schema, name, n),
    }
}

/// The `n`-th sample of a record: field `i` takes sample `n + i` of its
/// type, so the fields of one sample differ from each other.
pub fn sample_record(schema: &Schema, name: &str, n: usize) -> Value {
    let record = schema.record(name).expect("records come from the schema");
    Value::Record(
        record
            .fields
            .iter()
            .enumerate()
            .map(|(i, f)| (f.name.clone(), sample(schema, &f.ty, n + i, true)))
            .collect(),
    )
}

/// Every record's samples, as `(record name, value)`.
pub fn all_samples(schema: &Schema) -> Vec<(String, Value)> {
    schema
        .records()
        .flat_map(|r| {
            let name = r.qualified_name();
            (0..SAMPLES_PER_RECORD).map(move |n| (name.clone(), n))
        })
        .map(|(name, n)| {
            let value = sample_record(schema, &name, n);
            (name, value)
        })
        .collect()
}

/// A proptest strategy for values of `ty`.
pub fn value_strategy(schema: &Schema, ty: &Type, top: bool) -> BoxedStrategy<Value> {
    match ty {
        Type::Byte => any::<i8>().prop_map(Value::Byte).boxed(),
        Type::Boolean => any::<bool>().prop_map(Value::Boolean).boxed(),
        Type::Int => any::<i32>().prop_map(Value::Int).boxed(),
        Type::Long => any::<i64>().prop_map(Value::Long).boxed(),
        // NaN is not equal to itself; the schema has no floats anyway.
        Type::Float => (-1e6f32..1e6).prop_map(Value::Float).boxed(),
        Type::Double => (-1e12f64..1e12).prop_map(Value::Double).boxed(),
        Type::UString if top => proptest::option::of(any::<String>())
            .prop_map(Value::String)
            .boxed(),
        Type::UString => any::<String>().prop_map(|s| Value::String(Some(s))).boxed(),
        Type::Buffer => {
            let bytes = proptest::collection::vec(any::<u8>(), 0..48).prop_map(Bytes::from);
            if top {
                proptest::option::of(bytes).prop_map(Value::Buffer).boxed()
            } else {
                bytes.prop_map(|b| Value::Buffer(Some(b))).boxed()
            }
        }
        Type::Vector(element) => {
            let items = proptest::collection::vec(value_strategy(schema, element, false), 0..4);
            if top {
                proptest::option::of(items).prop_map(Value::Vector).boxed()
            } else {
                items.prop_map(|v| Value::Vector(Some(v))).boxed()
            }
        }
        Type::Record(name) => record_strategy(schema, name),
    }
}

/// A proptest strategy for values of the record named `name`.
pub fn record_strategy(schema: &Schema, name: &str) -> BoxedStrategy<Value> {
    let record = schema.record(name).expect("records come from the schema");
    let names: Vec<String> = record.fields.iter().map(|f| f.name.clone()).collect();
    let fields: Vec<BoxedStrategy<Value>> = record
        .fields
        .iter()
        .map(|f| value_strategy(schema, &f.ty, true))
        .collect();
    fields
        .prop_map(move |values| Value::Record(names.iter().cloned().zip(values).collect()))
        .boxed()
}

/// A strategy for `(record name, value)` over every record of the schema.
pub fn any_record(schema: &Schema) -> BoxedStrategy<(String, Value)> {
    let strategies: Vec<BoxedStrategy<(String, Value)>> = schema
        .records()
        .map(|r| {
            let name = r.qualified_name();
            record_strategy(schema, &name)
                .prop_map(move |v| (name.clone(), v))
                .boxed()
        })
        .collect();
    proptest::strategy::Union::new(strategies).boxed()
}

/// One line of the golden file: record name, value text, Java's hex.
pub struct GoldenLine {
    pub record: String,
    pub value_text: String,
    pub hex: String,
}

/// Parses the golden file.
pub fn parse_golden(text: &str) -> Vec<GoldenLine> {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|line| {
            let mut parts = line.split('\t');
            let mut next = || parts.next().unwrap_or_default().to_string();
            GoldenLine {
                record: next(),
                value_text: next(),
                hex: next(),
            }
        })
        .collect()
}

/// Byte sequences whose decoding as a ustring is worth comparing with Java:
/// valid and invalid UTF-8, Java's own surrogate encoding, overlong forms,
/// truncated sequences.
pub fn tricky_string_bytes() -> Vec<Vec<u8>> {
    vec![
        b"plain".to_vec(),
        vec![],
        vec![0x00],
        vec![0xc3, 0xa9],
        vec![0xe6, 0x97, 0xa5],
        vec![0xf0, 0x9f, 0x98, 0x80],
        vec![0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80],
        vec![0xed, 0xa0, 0xbd],
        vec![0xed, 0xb8, 0x80, 0x41],
        vec![0xc0, 0x80],
        vec![0xc1, 0xbf],
        vec![0xe0, 0x80, 0x80],
        vec![0xf8, 0x88, 0x80, 0x80, 0x80],
        vec![0xff],
        vec![0xfe, 0xff, 0x41],
        vec![0x80],
        vec![0xbf, 0x41],
        vec![0xc3],
        vec![0xe6, 0x97],
        vec![0xf0, 0x9f, 0x98],
        vec![0x41, 0xf0, 0x9f, 0x42],
        vec![0xf4, 0x90, 0x80, 0x80],
        vec![0xf5, 0x80, 0x80, 0x80],
        vec![0xe0, 0xa0],
        vec![0xef, 0xbf, 0xbf],
        vec![0xef, 0xbb, 0xbf, 0x41],
        vec![0x61, 0xc3, 0x28, 0x62],
        vec![0xe2, 0x28, 0xa1],
        vec![0xf0, 0x28, 0x8c, 0xbc],
        vec![0xed, 0xa0],
        vec![0xed],
        vec![0xed, 0xa0, 0x41],
        vec![0xed, 0xbf],
        vec![0xed, 0x9f, 0xbf],
        vec![0xed, 0xa0, 0x80],
        vec![0xed, 0xbf, 0xbf],
        vec![0xed, 0x80],
        vec![0xe0, 0xa0, 0x80],
        vec![0xe0, 0x9f, 0x80],
        vec![0xed, 0xa0, 0xbd, 0xed],
        vec![0xed, 0xa0, 0xbd, 0xed, 0xa0],
        vec![0xed, 0x41],
        vec![0xed, 0xa0, 0xc3, 0xa9],
        vec![0xed, 0xa0, 0xff],
        vec![0xe0],
        vec![0xe0, 0x80],
        vec![0xe0, 0x9f],
        vec![0xf0, 0x9f],
        vec![0xf0],
        vec![0xf0, 0x8f],
        vec![0xf0, 0x8f, 0x80],
        vec![0xf0, 0x90],
        vec![0xf4],
        vec![0xf4, 0x8f],
        vec![0xf4, 0x90],
        vec![0xed, 0xc0],
        vec![0xed, 0x7f],
        vec![0xed, 0xa0, 0x7f],
        vec![0xed, 0xbf, 0xc0],
    ]
}

/// What a Java reader gets back after a Java writer wrote `value`: every
/// string goes through Java's encoder (surrogates written separately) and
/// its decoder (which replaces each encoded surrogate with U+FFFD).
pub fn java_round_trip(value: &Value) -> Value {
    match value {
        Value::String(Some(s)) => {
            let mut encoded = Vec::new();
            jute::archive::write_string(&mut encoded, s);
            Value::String(Some(jute::archive::decode_utf8_like_java(&encoded[4..])))
        }
        Value::Vector(Some(items)) => {
            Value::Vector(Some(items.iter().map(java_round_trip).collect()))
        }
        Value::Record(fields) => Value::Record(
            fields
                .iter()
                .map(|(n, v)| (n.clone(), java_round_trip(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}
