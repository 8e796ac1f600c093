//! Compiles `zookeeper.jute` to Rust: parses and checks the schema, then
//! writes the generated code to `$OUT_DIR/zookeeper.rs`, which `src/lib.rs`
//! includes. A malformed schema fails the build with `file:line:col` and
//! what was expected there.

#[path = "src/idl/mod.rs"]
#[allow(dead_code)]
mod idl;

use std::path::PathBuf;
use std::process::Command;

const SCHEMA: &str = "zookeeper.jute";

fn main() {
    println!("cargo:rerun-if-changed={SCHEMA}");
    println!("cargo:rerun-if-changed=src/idl");
    let source = match std::fs::read_to_string(SCHEMA) {
        Ok(source) => source,
        Err(e) => fail(&format!("{SCHEMA}: cannot read the schema: {e}")),
    };
    let schema = match idl::parse_schema(SCHEMA, &source) {
        Ok(schema) => schema,
        Err(e) => fail(&format!("jute/{e}")),
    };
    let code = idl::codegen::generate(&schema, "crate::generated", SCHEMA);
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let out_file = out_dir.join("zookeeper.rs");
    if let Err(e) = std::fs::write(&out_file, code) {
        fail(&format!("cannot write {}: {e}", out_file.display()));
    }
    // The generator already indents its output; rustfmt, when installed,
    // makes it match the rest of the code base. Its absence is harmless.
    let rustfmt = std::env::var_os("RUSTFMT").unwrap_or_else(|| "rustfmt".into());
    let _ = Command::new(rustfmt)
        .args(["--edition", "2021"])
        .arg(&out_file)
        .status();
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1);
}
