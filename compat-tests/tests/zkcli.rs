//! zkCli (`org.apache.zookeeper.ZooKeeperMain` from the 3.9.5 jars) driven by
//! a command script against a candidate server, compared with what a fresh
//! reference server (Java 3.9.5) answers in the same test.
//!
//! The script is `tests/zkcli/commands.zkcli`; `ZkCliRunner`
//! (`compat-tests/java/zkcli-runner`) feeds it to zkCli one line at a time
//! and prints each command followed by its output, so that watch
//! notifications land in a deterministic place. The output is normalised
//! here (times, session ids, the server's address, hash-ordered lists) and
//! the reference's must match `tests/golden/zkcli/commands.txt` (rewrite
//! with `RZK_BLESS=1`).
//!
//! The candidate is rzk (`second_reference` offers a second Java server, to
//! check the script itself).

use std::path::PathBuf;

use rzk_compat_tests::transcript::{self, Normalizer, Transcript};
use rzk_compat_tests::{
    deps, java, JavaProgram, JavaServer, JavaVersion, RzkServer, ServerHandle, ServerOptions,
};

/// Lines the reference transcript must contain: what the script is for.
const MUST_CONTAIN: &[&str] = &[
    "Created /cli/seq-0000000001",
    "Node already exists: /cli",
    "Node does not exist: /cli/missing/x",
    "KeeperErrorCode = InvalidACL for /cli/badacl",
    "cZxid = 0x2",
    "ephemeralOwner = session#1",
    "version No is not valid : /cli",
    "Node not empty: /cli",
    "Sync is OK",
    "WatchedEvent state:SyncConnected type:NodeCreated path:/cli/w zxid: 23",
    "WatchedEvent state:SyncConnected type:PersistentWatchRemoved path:/cli zxid: -1",
    "'digest,'bob:x",
    "Insufficient permission : /cli/authnode",
    "Output stat for /cli/q count=4,bytes=0",
    "Quota has exceeded : /cli/q/4",
    "KeeperErrorCode = Reconfig is disabled",
    "WatchedEvent state:Closed type:None path:null zxid: -1",
];

fn script() -> PathBuf {
    deps::crate_dir()
        .join("tests")
        .join("zkcli")
        .join("commands.zkcli")
}

fn golden() -> PathBuf {
    deps::crate_dir()
        .join("tests")
        .join("golden")
        .join("zkcli")
        .join("commands.txt")
}

/// How many commands the script has (what ZkCliRunner runs).
fn commands() -> usize {
    std::fs::read_to_string(script())
        .expect("the zkCli script")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .count()
}

fn options() -> ServerOptions {
    ServerOptions::new()
        .cfg("extendedTypesEnabled=true")
        .cfg("enforceQuota=true")
        .system_property("znode.container.checkIntervalMs", 3_600_000)
}

fn program() -> JavaProgram {
    java::compile("zkcli-runner", &deps::zkcli_classpath(JavaVersion::V3_9_5))
}

/// Runs the script against `server` and normalises what zkCli printed.
fn run(program: &JavaProgram, server: &ServerHandle) -> Transcript {
    let script = script();
    let out = program.run(
        "ZkCliRunner",
        &[
            &server.connect_string(),
            script.to_str().expect("UTF-8 path"),
        ],
    );
    let stderr: Vec<&str> = out.stderr.lines().collect();
    let tail = stderr[stderr.len().saturating_sub(40)..].join("\n");
    let normalizer = Normalizer::new()
        .replace_text(&server.connect_string(), "<server>")
        .replace_line("ctime = ", "ctime = <time>")
        .replace_line("mtime = ", "mtime = <time>")
        .session_ids_after("ephemeralOwner = ")
        .sort_lists()
        // whoami lists the session's auth ids in the server's set order.
        .sort_block("Auth scheme: User", "> ");
    Transcript::new(format!("zkCli against {server}"), &out.stdout)
        .normalized(&normalizer)
        .with_notes(format!(
            "exit status: {}\nlast lines of stderr:\n{tail}",
            out.status
        ))
}

/// Runs the script against a fresh reference server and against
/// `candidate(options)`; panics with a diff unless both outputs agree.
fn compare_with_reference(candidate: impl FnOnce(ServerOptions) -> ServerHandle) {
    let program = program();
    let comparison =
        transcript::run_against_reference_and(options(), candidate, |server| run(&program, server));
    let reference = &comparison.reference;
    let end = format!("END commands={}", commands());
    assert_eq!(
        reference.lines.last(),
        Some(&end),
        "{}: zkCli did not run every command\n{reference}\n--- notes ---\n{}",
        reference.label,
        reference.notes
    );
    assert_eq!(reference.count(|l| l.starts_with("> ")), commands());
    for needle in MUST_CONTAIN {
        assert!(
            reference.contains(needle),
            "{}: no line contains {needle:?}\n{reference}",
            reference.label
        );
    }
    transcript::check_golden(&golden(), reference);
    transcript::assert_same(reference, &comparison.candidate);
}

/// A second, fresh Java 3.9.5 server as the candidate, to check the script.
#[allow(dead_code)]
fn second_reference(opts: ServerOptions) -> ServerHandle {
    JavaServer::start(JavaVersion::V3_9_5, opts)
}

#[test]
fn zkcli_gets_the_same_output_from_rzk_as_from_java() {
    compare_with_reference(RzkServer::start);
}
