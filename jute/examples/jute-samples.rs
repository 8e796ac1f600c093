//! Prints the golden-test inputs for the Java program that answers them
//! (`make golden`):
//! - `jute-samples records`: one `record<TAB>value-text` line per sample;
//! - `jute-samples strings`: one hex byte sequence per line, for comparing
//!   how Java and rzk decode ustrings.

#[path = "../tests/support/mod.rs"]
mod support;

fn main() {
    match std::env::args().nth(1).as_deref() {
        Some("records") => {
            let schema = jute::schema();
            for (record, value) in support::all_samples(&schema) {
                println!("{record}\t{}", value.to_text());
            }
        }
        Some("strings") => {
            for bytes in support::tricky_string_bytes() {
                println!("{}", jute::value::hex(&bytes));
            }
        }
        _ => {
            eprintln!("usage: jute-samples records|strings");
            std::process::exit(2);
        }
    }
}
