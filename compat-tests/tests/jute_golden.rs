//! The jute golden tests against the real Java jute classes of ZooKeeper
//! 3.9.5: the checked-in golden files are still what Java produces, random
//! values of every record encode to Java's bytes, ustrings decode as Java
//! decodes them, and the schema has exactly Java's records.

#[path = "../../jute/tests/support/mod.rs"]
mod support;

use std::collections::BTreeSet;
use std::fs;

use jute::value::{hex, unhex};
use jute::{record_info, Limits};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use rzk_compat_tests::{deps, java, JavaProgram, JavaVersion};

const RECORDS_GOLDEN: &str = include_str!("../../jute/tests/golden/records.txt");
const STRINGS_GOLDEN: &str = include_str!("../../jute/tests/golden/strings.txt");

fn golden_program() -> JavaProgram {
    java::compile("jute-golden", &deps::server_classpath(JavaVersion::V3_9_5))
}

/// Runs the Java program in `mode` over `input` (written to a temp file).
fn run_java(mode: &str, input: &str) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("input.txt");
    fs::write(&file, input).expect("write input");
    let output = golden_program().run("JuteGolden", &[mode, file.to_str().unwrap()]);
    output.assert_success();
    output.stdout
}

#[test]
fn checked_in_record_golden_file_is_what_java_produces() {
    let input: String = support::parse_golden(RECORDS_GOLDEN)
        .iter()
        .map(|l| format!("{}\t{}\n", l.record, l.value_text))
        .collect();
    let java = run_java("encode", &input);
    assert_eq!(java.lines().count(), RECORDS_GOLDEN.lines().count());
    for (java_line, golden_line) in java.lines().zip(RECORDS_GOLDEN.lines()) {
        assert_eq!(java_line, golden_line);
    }
}

#[test]
fn random_values_of_every_record_encode_like_java() {
    let schema = jute::schema();
    // A fixed seed keeps the test deterministic; the values still cover
    // far more than the hand-picked samples.
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    let mut input = String::new();
    let mut expected = Vec::new();
    for record in schema.records() {
        let name = record.qualified_name();
        let strategy = support::record_strategy(&schema, &name);
        for _ in 0..40 {
            let value = strategy.new_tree(&mut runner).expect("value").current();
            let bytes = (record_info(&name).unwrap().encode)(&value).expect("fits");
            input.push_str(&format!("{name}\t{}\n", value.to_text()));
            expected.push((name.clone(), value, bytes));
        }
    }
    let java = run_java("encode", &input);
    let java_lines: Vec<&str> = java.lines().collect();
    assert_eq!(java_lines.len(), expected.len());
    for (line, (name, value, rzk_bytes)) in java_lines.iter().zip(&expected) {
        let java_hex = line.rsplit('\t').next().unwrap();
        assert_eq!(
            java_hex,
            hex(rzk_bytes),
            "{name} {} encodes differently",
            value.to_text()
        );
        // And rzk reads Java's bytes as Java would.
        let (decoded, used) =
            (record_info(name).unwrap().decode)(&unhex(java_hex).unwrap(), Limits::default())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(used, rzk_bytes.len());
        assert_eq!(decoded, support::java_round_trip(value));
    }
}

#[test]
fn ustrings_decode_like_java() {
    // The checked-in cases, then random byte strings made of the bytes that
    // matter to UTF-8 decoding.
    let mut inputs: Vec<String> = STRINGS_GOLDEN
        .lines()
        .map(|l| l.split('\t').next().unwrap().to_string())
        .collect();
    let pool: [u8; 28] = [
        0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1,
        0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xf8, 0xfe, 0xff, 0x28,
    ];
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    let strategy = proptest::collection::vec(proptest::sample::select(pool.to_vec()), 0..9);
    for _ in 0..3000 {
        inputs.push(hex(&strategy.new_tree(&mut runner).unwrap().current()));
    }
    let java = run_java("strings", &(inputs.join("\n") + "\n"));
    let java_lines: Vec<&str> = java.lines().collect();
    assert_eq!(java_lines.len(), inputs.len());
    for (input, java_units) in inputs.iter().zip(java_lines) {
        let rzk: String = jute::archive::decode_utf8_like_java(&unhex(input).unwrap())
            .encode_utf16()
            .map(|u| format!("{u:04x}"))
            .collect();
        assert_eq!(rzk, java_units, "decoding {input}");
    }
    // The checked-in file still matches Java.
    for (line, java_units) in STRINGS_GOLDEN.lines().zip(java.lines()) {
        assert_eq!(line.split('\t').nth(1), Some(java_units));
    }
}

#[test]
fn the_schema_has_exactly_the_records_of_the_java_jute_jar() {
    let jar = deps::reference_jar_dir().join("zookeeper-jute-3.9.5.jar");
    let output = golden_program().run("JuteGolden", &["records", jar.to_str().unwrap()]);
    output.assert_success();
    let java: BTreeSet<String> = output.stdout.lines().map(str::to_string).collect();
    let ours: BTreeSet<String> = jute::RECORDS.iter().map(|r| r.name.to_string()).collect();
    assert_eq!(ours, java);
    assert_eq!(ours.len(), 72);
    // Every record also has golden samples.
    let golden: BTreeSet<String> = support::parse_golden(RECORDS_GOLDEN)
        .into_iter()
        .map(|l| l.record)
        .collect();
    assert_eq!(golden, ours);
}
