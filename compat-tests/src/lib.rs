//! Test support for the compat tests: starts Java ZooKeeper and rzk servers,
//! compiles and runs Java client programs, and finds the external test
//! dependencies that `scripts/setup-test-deps.sh` installs.
//!
//! - [`datadir`]: a server's `version-2` files, copies of data dirs, and
//!   Java's file tools run in one JVM.
//! - [`deps`]: the dependency cache and the Java classpaths.
//! - [`java`]: compile and run the Java programs under `compat-tests/java/`.
//! - [`ports`]: port reservation that is safe across concurrent tests.
//! - [`process`]: child processes that die with the test process.
//! - [`raw_client`]: a byte-level client for protocol edge cases.
//! - [`server`]: [`JavaServer`], [`RzkServer`], [`Ensemble`] and the common
//!   [`ServerHandle`].
//! - [`transcript`]: scenario transcripts, their normalisation and their
//!   comparison with the reference server's.
//! - [`transcript_clients`]: kazoo, Curator and C client scenarios compared
//!   between the reference Java server and a candidate.
//! - [`zk_client`]: a small synchronous client for pipelined writes and
//!   whole-tree dumps that compare between servers.

pub mod datadir;
pub mod deps;
pub mod java;
pub mod ports;
pub mod process;
pub mod raw_client;
pub mod server;
pub mod transcript;
pub mod transcript_clients;
pub mod zk_client;

pub use deps::{Classpath, JavaVersion};
pub use java::JavaProgram;
pub use process::ProgramOutput;
pub use server::{
    four_letter_word_at, Ensemble, JavaEnsemble, JavaServer, RzkEnsemble, RzkServer, ServerHandle,
    ServerKind, ServerOptions, SrvrInfo,
};

use std::process::Command;
use std::time::Duration;

/// Runs a Python script with the kazoo venv's interpreter (`python -c
/// script args…`) to completion, at most `timeout`.
#[track_caller]
pub fn run_kazoo_script(script: &str, args: &[&str], timeout: Duration) -> ProgramOutput {
    let mut cmd = Command::new(deps::kazoo_python());
    cmd.arg("-c").arg(script).args(args);
    process::run(cmd, timeout)
}
