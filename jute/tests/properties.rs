//! Property tests over every record of the schema: encoding round trips,
//! and decoders that never panic, whatever bytes they are given.

mod support;

use jute::{record_info, ErrorKind, Limits, RECORDS};
use proptest::prelude::*;

fn encode(record: &str, value: &jute::Value) -> Vec<u8> {
    (record_info(record).unwrap().encode)(value).expect("generated values fit their record")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Arbitrary bytes never panic any decoder, and a decoder never claims
    /// more bytes than it was given.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300),
                                   max in 0i32..2000) {
        for info in RECORDS {
            for limits in [Limits::default(), Limits::new(max, Some(0))] {
                if let Ok((_, used)) = (info.decode)(&bytes, limits) {
                    prop_assert!(used <= bytes.len());
                }
            }
        }
    }

    /// Corrupting a valid encoding (one byte changed) never panics a decoder.
    #[test]
    fn corrupted_encodings_never_panic((record, value) in support::any_record(&jute::schema()),
                                       position in any::<prop::sample::Index>(),
                                       replacement in any::<u8>()) {
        let mut bytes = encode(&record, &value);
        if !bytes.is_empty() {
            let at = position.index(bytes.len());
            bytes[at] = replacement;
        }
        for info in RECORDS {
            let _ = (info.decode)(&bytes, Limits::default());
        }
    }
}

/// Runs `check` on random values of every record, each record separately so
/// that every one of them is covered.
fn for_every_record(cases: u32, check: impl Fn(&str, &jute::Value) -> Result<(), TestCaseError>) {
    let schema = jute::schema();
    for record in schema.records() {
        let name = record.qualified_name();
        let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(cases));
        let result = runner.run(&support::record_strategy(&schema, &name), |value| {
            check(&name, &value)
        });
        if let Err(e) = result {
            panic!("{name}: {e}");
        }
    }
}

/// Encoding then decoding gives the value back (as Java would read it:
/// characters outside the BMP become U+FFFD), using every byte.
#[test]
fn every_record_round_trips() {
    for_every_record(200, |record, value| {
        let bytes = encode(record, value);
        let info = record_info(record).unwrap();
        let (decoded, used) = (info.decode)(&bytes, Limits::new(i32::MAX, None)).unwrap();
        prop_assert_eq!(used, bytes.len());
        let expected = support::java_round_trip(value);
        prop_assert_eq!(&decoded, &expected);
        prop_assert_eq!(encode(record, &decoded), encode(record, &expected));
        Ok(())
    });
}

/// Every strict prefix of a valid encoding is a truncation error.
#[test]
fn every_truncated_record_is_an_error() {
    for_every_record(50, |record, value| {
        let bytes = encode(record, value);
        let info = record_info(record).unwrap();
        for cut in 0..bytes.len() {
            let err = (info.decode)(&bytes[..cut], Limits::default()).unwrap_err();
            prop_assert!(matches!(err.kind, ErrorKind::Truncated { .. }), "{}", err);
        }
        Ok(())
    });
}

#[test]
fn lengths_over_the_limit_are_rejected_with_context() {
    // A CreateRequest whose path is 2000 bytes, with a limit of 100 + 1024.
    let info = record_info("org.apache.zookeeper.proto.CreateRequest").unwrap();
    let value = jute::Value::parse_text(&format!(
        "{{ path s:{} data x: acl v:null flags i:0 }}",
        "61".repeat(2000)
    ))
    .unwrap();
    let bytes = (info.encode)(&value).unwrap();
    let err = (info.decode)(&bytes, Limits::new(100, None)).unwrap_err();
    assert_eq!(
        err.kind,
        ErrorKind::TooLong {
            length: 2000,
            limit: 1124
        }
    );
    assert_eq!(err.offset, 0);
    assert_eq!(
        err.to_string(),
        "unreasonable length 2000 (limit 1124) at byte 0 in CreateRequest.path"
    );
    assert!((info.decode)(&bytes, Limits::new(2000, None)).is_ok());
}
