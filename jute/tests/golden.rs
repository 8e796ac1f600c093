//! Golden tests: the bytes the Java jute classes (ZooKeeper 3.9.5) produce
//! for sample values of every record, checked in under `tests/golden/`
//! (regenerate with `make golden`; the compat tests check that the file is
//! still what Java produces). rzk must encode the same values to the same
//! bytes and decode Java's bytes back to the same values.

mod support;

use std::collections::BTreeMap;

use jute::value::{hex, unhex};
use jute::{record_info, Limits, Value};

const RECORDS_GOLDEN: &str = include_str!("golden/records.txt");
const STRINGS_GOLDEN: &str = include_str!("golden/strings.txt");

#[test]
fn every_record_encodes_like_java() {
    let mut failures = Vec::new();
    for line in support::parse_golden(RECORDS_GOLDEN) {
        let info = record_info(&line.record)
            .unwrap_or_else(|| panic!("{} is not in the schema", line.record));
        let value = Value::parse_text(&line.value_text).expect("golden value text parses");
        let encoded = (info.encode)(&value).expect("golden value fits its record");
        if hex(&encoded) != line.hex {
            failures.push(format!(
                "{} {}\n  java: {}\n  rzk:  {}",
                line.record,
                line.value_text,
                line.hex,
                hex(&encoded)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} samples encode differently from Java:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_record_decodes_java_bytes() {
    for line in support::parse_golden(RECORDS_GOLDEN) {
        let info = record_info(&line.record).expect("record in schema");
        let bytes = unhex(&line.hex).expect("golden hex");
        let (decoded, used) = (info.decode)(&bytes, Limits::default())
            .unwrap_or_else(|e| panic!("{}: {e}", line.record));
        assert_eq!(used, bytes.len(), "{} left bytes unread", line.record);
        // Characters outside the BMP do not survive Java's own round trip.
        let expected = support::java_round_trip(&Value::parse_text(&line.value_text).unwrap());
        assert_eq!(decoded, expected, "{}", line.record);
    }
}

#[test]
fn golden_file_covers_every_record_with_the_current_samples() {
    let schema = jute::schema();
    let golden = support::parse_golden(RECORDS_GOLDEN);
    let mut per_record: BTreeMap<&str, usize> = BTreeMap::new();
    for line in &golden {
        *per_record.entry(line.record.as_str()).or_default() += 1;
    }
    for record in schema.records() {
        assert_eq!(
            per_record.get(record.qualified_name().as_str()).copied(),
            Some(support::SAMPLES_PER_RECORD),
            "{} lacks golden samples: run `make golden`",
            record.qualified_name()
        );
    }
    assert_eq!(per_record.len(), jute::RECORDS.len());
    // The file holds exactly the samples the schema gives today, so a change
    // to the schema or to the samples cannot go unnoticed.
    let current: Vec<String> = support::all_samples(&schema)
        .into_iter()
        .map(|(record, value)| format!("{record}\t{}", value.to_text()))
        .collect();
    let in_file: Vec<String> = golden
        .iter()
        .map(|l| format!("{}\t{}", l.record, l.value_text))
        .collect();
    assert!(
        current == in_file,
        "the golden samples are stale: run `make golden`"
    );
}

#[test]
fn ustrings_decode_like_java() {
    for line in STRINGS_GOLDEN.lines() {
        let (input, java_units) = line.split_once('\t').expect("two columns");
        let bytes = unhex(input).expect("hex");
        let mut framed = (bytes.len() as i32).to_be_bytes().to_vec();
        framed.extend_from_slice(&bytes);
        let decoded = jute::Reader::new(&framed, Limits::default())
            .read_opt_string()
            .expect("decodes")
            .expect("not null");
        let units: String = decoded.encode_utf16().map(|u| format!("{u:04x}")).collect();
        assert_eq!(units, java_units, "decoding {input}");
    }
}
