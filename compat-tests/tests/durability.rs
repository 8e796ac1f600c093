//! rzk and Java ZooKeeper take turns on the same data dir, and lose
//! nothing:
//!
//! - **rzk → Java:** rzk serves a mixed workload (every node type, ACLs,
//!   multis, quotas, a small snapCount so that logs roll and fuzzy
//!   snapshots are taken) and stops; Java 3.9.5 (and 3.8.0, on a copy)
//!   starts on its files and serves the identical tree, with no digest
//!   mismatch, and its startup snapshot's digest is the one rzk's restore
//!   computes. Java's `TxnLogToolkit`, `SnapshotFormatter` and
//!   `SnapshotComparer` read every file rzk wrote and print what rzk's
//!   tools print. For each snapshot compression.
//! - **Java → rzk → Java:** the other way round, and back, with rzk
//!   deleting and changing Java's nodes and opening sessions of its own.
//! - **Damaged snapshots:** rzk falls back to an older snapshot and the
//!   logs, or refuses to start, where Java 3.9.5 does.
//! - **Purge:** `rzk purge` and Java's `PurgeTxnLog` leave the same files
//!   of a real data dir, and both servers start on what is left;
//!   `autopurge` in the server purges at startup as Java's does.
//! - **Sessions across restarts:** an ephemeral of a session that does not
//!   come back disappears after its timeout, and one whose client
//!   reconnects with its id and password stays, whichever server wrote the
//!   files and whichever restores them.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rzk::jute::Limits;
use rzk::snapshot::tools::{self, CompareOptions, FormatOptions};
use rzk::snapshot::{load_snapshot_file, ReadOptions};
use rzk::txnlog::dump::{self, DumpMode};
use rzk_compat_tests::datadir::{self, JavaTool};
use rzk_compat_tests::zk_client::{assert_same_tree, dump_server, TreeDump, ZkClient};
use rzk_compat_tests::{
    deps, java, JavaServer, JavaVersion, RzkServer, ServerHandle, ServerKind, ServerOptions,
};

/// A small snapCount (logs roll and snapshots are taken every 10–20
/// txns), TTL nodes, long sessions, a container reaper that runs often.
fn options(compression: &str) -> ServerOptions {
    let mut opts = ServerOptions::with_cfg(&[
        "snapCount=20",
        "extendedTypesEnabled=true",
        "maxSessionTimeout=120000",
    ])
    .system_property("znode.container.checkIntervalMs", 100);
    if !compression.is_empty() {
        opts = opts.system_property("zookeeper.snapshot.compression.method", compression);
    }
    opts
}

/// Runs phase `a` or `b` of `DurabilityWorkload` (the official client of
/// `version`) against `server`; returns its main session id, which it
/// leaves open.
fn workload(server: &ServerHandle, version: JavaVersion, phase: &str) -> i64 {
    // SetQuotaCommand (a CLI class) needs commons-cli.
    let classpath = deps::client_classpath(version)
        .with_entries([PathBuf::from(deps::DEBIAN_JAR_DIR).join("commons-cli.jar")]);
    let program = java::compile("durability", &classpath);
    let out = program.run("DurabilityWorkload", &[&server.connect_string(), phase]);
    out.assert_success();
    let session = out
        .stdout
        .trim()
        .strip_prefix("done ")
        .unwrap_or_else(|| panic!("{}", out.describe()));
    u64::from_str_radix(session, 16).expect("session id") as i64
}

/// The tree `server` serves; also checks that it counted no digest
/// mismatch (a replayed or applied txn whose digest differs from the tree).
#[track_caller]
fn served(server: &ServerHandle) -> TreeDump {
    served_with_mismatches(server, "0")
}

/// The tree `server` serves; also checks that the digest mismatches it
/// counted since it started are exactly `expected`.
#[track_caller]
fn served_with_mismatches(server: &ServerHandle, expected: &str) -> TreeDump {
    assert_eq!(
        server.mntr_value("digest_mismatches_count"),
        expected,
        "{server}\n{}",
        server.log_tail(40)
    );
    dump_server(server.client_port())
}

/// [`served`] by a server that restored Java-written files (a copy of
/// which is `files`): a digest mismatch is accepted if Java 3.9.5 counts
/// the same on the same files. Java's snapshot writer can seal a fuzzy
/// snapshot with the digest of the txn before one whose change its walk
/// already saw (it applies a txn before it logs the txn's digest), and
/// every loader then finds a mismatch. Returns the tree and the count
/// accepted (the server's count from then on must stay there).
#[track_caller]
fn served_like_java(server: &ServerHandle, files: &Path) -> (TreeDump, String) {
    let count = server.mntr_value("digest_mismatches_count");
    if count != "0" {
        let mut java = ServerHandle::unstarted(
            ServerKind::Java(JavaVersion::V3_9_5),
            options("").data_dir(files),
        );
        java.start();
        assert_eq!(
            java.mntr_value("digest_mismatches_count"),
            count,
            "{server} counts digest mismatches Java 3.9.5 does not count on the same files\n{}",
            server.log_tail(40)
        );
    }
    (served_with_mismatches(server, &count), count)
}

/// The `hash` digest logs (`zxid: digest` every 128 zxids) of two servers
/// agree where both have an entry, and they share at least one.
#[track_caller]
fn assert_same_digest_log(live: &str, replayed: &str, context: &str) {
    let entries = |text: &str| -> std::collections::BTreeMap<String, String> {
        text.lines()
            .filter_map(|l| l.split_once(": "))
            .map(|(z, d)| (z.to_string(), d.to_string()))
            .collect()
    };
    let (live, replayed) = (entries(live), entries(replayed));
    let common: Vec<&String> = live.keys().filter(|z| replayed.contains_key(*z)).collect();
    assert!(!common.is_empty(), "{context}: {live:?} vs {replayed:?}");
    for zxid in common {
        assert_eq!(
            live[zxid], replayed[zxid],
            "{context}: the digest at zxid 0x{zxid}"
        );
    }
}

/// The zxid `srvr` reports.
#[track_caller]
fn zxid(server: &ServerHandle) -> i64 {
    server.srvr().expect("srvr").zxid
}

/// What rzk restores from a data dir (as the server does at startup,
/// without writing anything): the last zxid, the tree's digest, and the
/// digest mismatches seen while replaying.
struct Restored {
    zxid: i64,
    digest: i64,
    mismatches: u64,
    nodes: usize,
}

fn restore(server: &ServerHandle) -> Restored {
    let config = rzk::config::load(&server.config_path(), rzk::config::SystemProperties::new())
        .expect("the server's zoo.cfg");
    let dirs = rzk::server::storage::open_dirs(&config).expect("dirs");
    let restored = rzk::server::storage::restore(&dirs, &config).expect("restore");
    Restored {
        zxid: restored.tree.last_processed_zxid(),
        digest: restored.tree.digest(),
        mismatches: restored.tree.digest_mismatches(),
        nodes: restored.tree.node_count(),
    }
}

/// The newest snapshot in `dir`.
fn newest_snapshot(dir: &Path) -> PathBuf {
    datadir::snapshot_files(dir)
        .pop()
        .unwrap_or_else(|| panic!("no snapshot in {}", dir.display()))
}

/// Asserts two tool outputs are equal, showing the first differing line.
#[track_caller]
fn assert_same_output(rzk: &str, java: &str, what: &str) {
    if rzk == java {
        return;
    }
    let (r, j): (Vec<&str>, Vec<&str>) = (rzk.lines().collect(), java.lines().collect());
    let at = r
        .iter()
        .zip(&j)
        .position(|(a, b)| a != b)
        .unwrap_or(r.len().min(j.len()));
    let show = |lines: &[&str]| lines[at.saturating_sub(3)..(at + 3).min(lines.len())].join("\n");
    panic!(
        "{what}: rzk and Java differ at line {} ({} vs {} lines)\n--- rzk ---\n{}\n--- java ---\n{}",
        at + 1,
        r.len(),
        j.len(),
        show(&r),
        show(&j)
    );
}

/// What rzk's tools print for one Java tool invocation.
fn rzk_tool_output(tool: &JavaTool) -> String {
    let mut out = Vec::new();
    match tool {
        JavaTool::TxnLogToolkit(file) => {
            let mut notes = Vec::new();
            dump::dump_file(
                file,
                DumpMode::Java,
                Limits::default(),
                &mut out,
                &mut notes,
            )
            .unwrap_or_else(|e| panic!("rzk txnlog {}: {e:?}", file.display()));
        }
        JavaTool::SnapshotFormatter { file, dump_data } => {
            let options = FormatOptions {
                dump_data: *dump_data,
                ..FormatOptions::default()
            };
            tools::format_snapshot(file, options, Limits::default(), &mut out)
                .unwrap_or_else(|e| panic!("rzk snapshot {}: {e}", file.display()));
        }
        JavaTool::SnapshotComparer {
            left,
            right,
            bytes,
            nodes,
            debug,
        } => {
            let options = CompareOptions {
                byte_threshold: i64::from(*bytes),
                node_threshold: i64::from(*nodes),
                debug: *debug,
            };
            tools::compare_snapshots(left, right, options, Limits::default(), &mut out)
                .unwrap_or_else(|e| panic!("rzk snapshot --compare: {e}"));
        }
    }
    String::from_utf8(out).expect("utf-8")
}

/// Java's tools and rzk's print the same for every log and snapshot in
/// `dir`: `TxnLogToolkit` (no CRC error), `SnapshotFormatter` (plain and
/// `-d`), `SnapshotComparer` on consecutive snapshots.
fn assert_tools_agree(dir: &Path) {
    assert_eq!(
        std::env::var("TZ").ok().as_deref().unwrap_or("UTC"),
        "UTC",
        "run with TZ=UTC (or unset on a UTC machine)"
    );
    let logs = datadir::log_files(dir);
    let snapshots = datadir::snapshot_files(dir);
    let mut tools: Vec<JavaTool> = logs.iter().cloned().map(JavaTool::TxnLogToolkit).collect();
    for file in &snapshots {
        for dump_data in [false, true] {
            tools.push(JavaTool::SnapshotFormatter {
                file: file.clone(),
                dump_data,
            });
        }
    }
    for pair in snapshots.windows(2) {
        tools.push(JavaTool::SnapshotComparer {
            left: pair[0].clone(),
            right: pair[1].clone(),
            bytes: 0,
            nodes: 0,
            debug: false,
        });
    }
    if let [.., left, right] = &snapshots[..] {
        tools.push(JavaTool::SnapshotComparer {
            left: left.clone(),
            right: right.clone(),
            bytes: 4,
            nodes: 1,
            debug: true,
        });
    }
    let java = datadir::run_java_tools(JavaVersion::V3_9_5, &tools);
    let untimed = |s: &str| -> String {
        s.lines()
            .filter(|l| {
                !l.starts_with("Deserialized snapshot in")
                    && !l.starts_with("Processed data tree in")
            })
            .map(|l| format!("{l}\n"))
            .collect()
    };
    for (tool, java) in tools.iter().zip(java) {
        let ours = rzk_tool_output(tool);
        if let JavaTool::TxnLogToolkit(file) = tool {
            assert!(
                !java.contains("CRC ERROR") && java.contains("EOF reached after"),
                "{}:\n{java}",
                file.display()
            );
        }
        assert_same_output(&untimed(&ours), &untimed(&java), &format!("{tool:?}"));
    }
}

/// A copy of a data dir without its snapshots but the oldest: a server
/// that starts on it replays every logged txn.
fn only_the_oldest_snapshot(data: &Path) -> tempfile::TempDir {
    let copy = tempfile::tempdir().expect("tempdir");
    datadir::copy_dir(data, copy.path()).expect("copy");
    let snapshots = datadir::snapshot_files(&copy.path().join("version-2"));
    for newer in &snapshots[1..] {
        fs::remove_file(newer).expect("remove a snapshot");
    }
    copy
}

/// How many txns the logs in `dir` hold after the oldest snapshot.
fn logged_txns(dir: &Path) -> usize {
    let oldest = datadir::snapshot_files(dir)
        .first()
        .and_then(|s| datadir::zxid_of(s))
        .unwrap_or(0);
    rzk::txnlog::read_from(dir, oldest + 1, rzk::txnlog::ReadOptions::default())
        .expect("read the log")
        .count()
}

/// The snapshot name ends as `compression` makes it.
fn assert_compression(dir: &Path, compression: &str) {
    for snapshot in datadir::snapshot_files(dir) {
        let name = snapshot.file_name().unwrap().to_string_lossy().into_owned();
        let ext = name.splitn(3, '.').nth(2).unwrap_or("");
        assert_eq!(ext, compression, "{name}");
    }
}

// ----- rzk → Java ------------------------------------------------------------------------

fn rzk_files_serve_in_java(compression: &str) {
    let opts = options(compression);
    let mut server = RzkServer::start(opts.clone());
    workload(&server, JavaVersion::V3_9_5, "a");
    let rzk_tree = served(&server);
    let last = zxid(&server);
    let rzk_hash = server.four_letter_word("hash");
    assert!(rzk_tree.len() > 60, "{}", rzk_tree.lines().join("\n"));
    server.stop();

    let dir = server.version_dir();
    let logs = datadir::log_files(&dir);
    let snapshots = datadir::snapshot_files(&dir);
    assert!(
        logs.len() >= 5 && snapshots.len() >= 5,
        "snapCount=20 rolls logs and takes snapshots: {:?}",
        datadir::listing(&dir)
    );
    assert_compression(&dir, compression);
    assert_tools_agree(&dir);

    // What rzk itself restores: no mismatch, the zxid it served.
    let restored = restore(&server);
    assert_eq!(restored.zxid, last);
    assert_eq!(restored.mismatches, 0);
    assert_eq!(
        restored.nodes,
        rzk_tree.len() + 1,
        "the tree has / and \"\""
    );

    // A copy for Java 3.8.0, before 3.9.5 adds its own files, with only
    // the oldest snapshot: 3.8.0 replays every txn rzk logged.
    let copy = only_the_oldest_snapshot(&server.data_dir());

    server.set_kind(ServerKind::Java(JavaVersion::V3_9_5));
    let info = server.start();
    assert_eq!(info.zxid, last, "Java 3.9.5 restores every txn rzk logged");
    let java_tree = served(&server);
    assert_same_tree(&rzk_tree, &java_tree, "rzk, then Java 3.9.5 on its files");
    // Java's startup snapshot holds the tree at `last`, with the digest
    // rzk computes for what it restored.
    let startup = newest_snapshot(&dir);
    assert_eq!(datadir::zxid_of(&startup), Some(last));
    let loaded = load_snapshot_file(&startup, &ReadOptions::default()).expect("Java's snapshot");
    let digest = loaded.trailers.digest.expect("a digest trailer");
    assert_eq!((digest.zxid, digest.digest), (last, restored.digest));
    assert_eq!(loaded.tree.digest(), restored.digest);
    server.stop();

    // Debian's 3.8.0 reads all three compressions too (SnapStream is 3.6+).
    let mut old = JavaServer::start(JavaVersion::V3_8_0, opts.data_dir(copy.path()));
    assert!(
        old.log_text().contains(&format!(
            "{} txns loaded",
            logged_txns(&copy.path().join("version-2"))
        )),
        "3.8.0 replays every txn from snapshot.0\n{}",
        old.log_tail(40)
    );
    assert_eq!(old.srvr().expect("srvr").zxid, last);
    assert_same_tree(
        &rzk_tree,
        &served(&old),
        "rzk, then Java 3.8.0 on its files",
    );
    // 3.8.0 replayed rzk's txns computing its own digests: where it logged
    // them, they are rzk's.
    assert_same_digest_log(&rzk_hash, &old.four_letter_word("hash"), "rzk vs 3.8.0");
    old.stop();
}

#[test]
fn rzk_files_serve_in_java_plain() {
    rzk_files_serve_in_java("");
}

#[test]
fn rzk_files_serve_in_java_gz() {
    rzk_files_serve_in_java("gz");
}

#[test]
fn rzk_files_serve_in_java_snappy() {
    rzk_files_serve_in_java("snappy");
}

// ----- Java → rzk → Java -----------------------------------------------------------------

fn java_rzk_java(version: JavaVersion) {
    let opts = options("");
    let mut server = JavaServer::start(version, opts.clone());
    let java_session = workload(&server, version, "a");
    let java_tree = served(&server);
    let java_last = zxid(&server);
    let java_hash = server.four_letter_word("hash");
    server.stop();

    // rzk replays every txn Java logged, from Java's first snapshot…
    let copy = only_the_oldest_snapshot(&server.data_dir());
    let mut replay = ServerHandle::unstarted(ServerKind::Rzk, opts.clone().data_dir(copy.path()));
    replay.start();
    assert!(replay.log_text().contains(&format!(
        "and {} logged transactions",
        logged_txns(&server.version_dir())
    )));
    assert_same_tree(
        &java_tree,
        &served(&replay),
        &format!("{version}, then rzk from snapshot.0"),
    );
    assert_same_digest_log(
        &java_hash,
        &replay.four_letter_word("hash"),
        &format!("{version} vs rzk's replay"),
    );
    drop(replay);
    // …and from Java's newest.
    let before = tempfile::tempdir().expect("tempdir");
    datadir::copy_dir(&server.data_dir(), before.path()).expect("copy");
    server.set_kind(ServerKind::Rzk);
    let info = server.start();
    assert_eq!(
        info.zxid, java_last,
        "rzk restores every txn {version} logged"
    );
    let (rzk_tree, restore_mismatches) = served_like_java(&server, before.path());
    assert_same_tree(&java_tree, &rzk_tree, &format!("{version}, then rzk"));
    // The workload's session lives on in rzk: its ephemerals are there.
    let owned = |tree: &TreeDump| -> Vec<String> {
        tree.nodes
            .iter()
            .filter(|(_, n)| n.stat().is_some_and(|s| s.ephemeral_owner == java_session))
            .map(|(p, _)| p.clone())
            .collect()
    };
    assert_eq!(owned(&rzk_tree).len(), 2, "{:?}", owned(&rzk_tree));

    // rzk changes Java's tree: deletes (an ephemeral of the restored
    // session, a container's last child), new sessions, more writes.
    let rzk_session = workload(&server, JavaVersion::V3_9_5, "b");
    // No new mismatch while rzk serves (the restore's, if any, stays counted).
    let changed = served_with_mismatches(&server, &restore_mismatches);
    let rzk_last = zxid(&server);
    assert!(rzk_last > java_last + 60);
    assert!(changed.get("/cont").is_none(), "the container was reaped");
    assert!(changed.get("/app/eph").is_none());
    assert!(changed
        .get("/b/eph")
        .and_then(|n| n.stat())
        .is_some_and(|s| s.ephemeral_owner == rzk_session));
    server.stop();
    let restored = restore(&server);
    assert_eq!((restored.zxid, restored.mismatches), (rzk_last, 0));

    server.set_kind(ServerKind::Java(version));
    let info = server.start();
    assert_eq!(
        info.zxid, rzk_last,
        "{version} restores every txn rzk logged"
    );
    assert_same_tree(
        &changed,
        &served(&server),
        &format!("{version}, rzk, then {version} again"),
    );
    server.stop();
    // Java's and rzk's files side by side: the tools agree on all of them.
    assert_tools_agree(&server.version_dir());
}

#[test]
fn java_3_9_5_then_rzk_then_java() {
    java_rzk_java(JavaVersion::V3_9_5);
}

#[test]
fn java_3_8_0_then_rzk_then_java() {
    java_rzk_java(JavaVersion::V3_8_0);
}

// ----- damaged snapshots -----------------------------------------------------------------

/// An rzk server that ran phase `a` of the workload and stopped: its
/// handle (which owns the data dir), the tree it served and its last zxid.
fn rzk_after_workload_a() -> (ServerHandle, TreeDump, i64) {
    let mut server = RzkServer::start(options(""));
    workload(&server, JavaVersion::V3_9_5, "a");
    let tree = served(&server);
    let last = zxid(&server);
    server.stop();
    (server, tree, last)
}

/// A server of `kind` on `dir`: the tree it serves and its zxid, or its
/// whole log if it exits instead.
fn serve_or_fail(kind: ServerKind, dir: &Path) -> Result<(TreeDump, i64), String> {
    serve_or_fail_with(kind, dir, options(""))
}

fn serve_or_fail_with(
    kind: ServerKind,
    dir: &Path,
    opts: ServerOptions,
) -> Result<(TreeDump, i64), String> {
    let mut server = ServerHandle::unstarted(kind, opts.data_dir(dir));
    server.launch();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(info) = server.srvr() {
            return Ok((served(&server), info.zxid));
        }
        if server.wait_exit(Duration::from_millis(50)).is_some() {
            return Err(server.log_text());
        }
        assert!(
            Instant::now() < deadline,
            "{kind} neither served nor exited"
        );
    }
}

/// Flips a byte in the middle of a file (its checksum no longer matches;
/// a plain snapshot still ends as a valid one does).
fn flip_middle(file: &Path) {
    let mut bytes = fs::read(file).expect("read");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    fs::write(file, bytes).expect("write");
}

/// Cuts a file in half (a plain snapshot no longer ends as a valid one).
fn cut_in_half(file: &Path) {
    let len = fs::metadata(file).expect("metadata").len();
    let f = fs::OpenOptions::new().write(true).open(file).expect("open");
    f.set_len(len / 2).expect("truncate");
}

#[test]
fn damaged_snapshots_fall_back_as_in_java() {
    let (server, tree, last) = rzk_after_workload_a();
    let data = server.data_dir();
    let snapshots = datadir::snapshot_files(&server.version_dir());
    assert!(snapshots.len() >= 4);

    type Damage = fn(&Path, &[PathBuf]);
    let remove_all = |_: &Path, s: &[PathBuf]| s.iter().for_each(|f| fs::remove_file(f).unwrap());
    // (what, damage, snapshot.trust.empty, serves, what Java says)
    let cases: [(&str, Damage, bool, bool, &str); 6] = [
        (
            "the newest snapshot's checksum is wrong",
            |_, s| flip_middle(&s[s.len() - 1]),
            false,
            true,
            "",
        ),
        (
            "the newest snapshot is cut short",
            |_, s| cut_in_half(&s[s.len() - 1]),
            false,
            true,
            "",
        ),
        (
            "the two newest are damaged",
            |_, s| {
                flip_middle(&s[s.len() - 1]);
                cut_in_half(&s[s.len() - 2]);
            },
            false,
            true,
            "",
        ),
        (
            "every snapshot is damaged",
            |_, s| s.iter().for_each(|f| flip_middle(f)),
            false,
            false,
            "Not able to find valid snapshots",
        ),
        (
            "there is no snapshot, only logs",
            remove_all,
            false,
            false,
            "No snapshot found, but there are log entries. Something is broken!",
        ),
        (
            "there is no snapshot, only logs, and snapshot.trust.empty=true",
            remove_all,
            true,
            true,
            "",
        ),
    ];
    for (what, damage, trust_empty, serves, java_says) in cases {
        let mut outcomes = Vec::new();
        let mut copies = Vec::new();
        for kind in [ServerKind::Rzk, ServerKind::Java(JavaVersion::V3_9_5)] {
            let copy = tempfile::tempdir().expect("tempdir");
            datadir::copy_dir(&data, copy.path()).expect("copy");
            let v2 = copy.path().join("version-2");
            damage(&v2, &datadir::snapshot_files(&v2));
            let opts = options("").system_property("zookeeper.snapshot.trust.empty", trust_empty);
            outcomes.push((kind, serve_or_fail_with(kind, copy.path(), opts)));
            copies.push(copy);
        }
        for (kind, outcome) in &outcomes {
            match outcome {
                Ok((served, zxid)) => {
                    assert!(serves, "{what}: {kind} started");
                    assert_eq!(*zxid, last, "{what}: {kind}");
                    assert_same_tree(&tree, served, &format!("{what}: {kind}"));
                }
                Err(log) => assert!(!serves, "{what}: {kind} did not start\n{log}"),
            }
        }
        if !serves {
            let java = outcomes[1].1.as_ref().expect_err("Java refuses");
            assert!(java.contains(java_says), "{what}: {java}");
        }
    }
}

/// Changes the digest in a plain snapshot's digest trailer and reseals it:
/// the file stays valid, but the digest no longer matches its tree. The
/// file ends `digest trailer, seal, last processed zxid, seal`, each seal
/// the Adler32 of every byte before it and the string "/".
fn reseal_with_wrong_digest(file: &Path) {
    const SEAL: usize = 8 + 4 + 1;
    let mut bytes = fs::read(file).expect("read");
    let end = bytes.len();
    let (last_seal, digest_seal) = (end - SEAL, end - SEAL - 8 - SEAL);
    for seal in [last_seal, digest_seal] {
        assert_eq!(&bytes[seal + 8..seal + SEAL], b"\0\0\0\x01/", "{file:?}");
    }
    // zxid (8), digest version (4), digest (8)
    let digest = digest_seal - 8;
    bytes[digest + 7] ^= 0x5a;
    for seal in [digest_seal, last_seal] {
        let sum = adler2::adler32_slice(&bytes[..seal]) as i64;
        bytes[seal..seal + 8].copy_from_slice(&sum.to_be_bytes());
    }
    fs::write(file, bytes).expect("write");
}

#[test]
fn a_snapshot_with_a_wrong_digest_is_served_and_counted_as_in_java() {
    let (server, tree, last) = rzk_after_workload_a();
    let snapshots = datadir::snapshot_files(&server.version_dir());
    reseal_with_wrong_digest(snapshots.last().expect("a snapshot"));
    let mut counts = Vec::new();
    for kind in [ServerKind::Rzk, ServerKind::Java(JavaVersion::V3_9_5)] {
        let copy = tempfile::tempdir().expect("tempdir");
        datadir::copy_dir(&server.data_dir(), copy.path()).expect("copy");
        let mut other = ServerHandle::unstarted(kind, options("").data_dir(copy.path()));
        let info = other.start();
        assert_eq!(info.zxid, last, "{kind}");
        // The counts are compared below, rzk's with Java's.
        counts.push(other.mntr_value("digest_mismatches_count"));
        assert_same_tree(&tree, &dump_server(other.client_port()), &kind.to_string());
    }
    assert_eq!(counts[0], counts[1], "rzk's and Java's digest mismatches");
    assert_ne!(counts[0], "0", "the wrong digest is noticed");
}

// ----- purge -----------------------------------------------------------------------------

/// `rzk purge DIRS… -n COUNT` (the binary, with Java's argument order).
fn rzk_purge(dirs: &[&Path], count: u32) {
    let mut cmd = std::process::Command::new(RzkServer::binary());
    cmd.arg("purge").args(dirs).arg("-n").arg(count.to_string());
    rzk_compat_tests::process::run(cmd, Duration::from_secs(60)).assert_success();
}

/// Java's `PurgeTxnLog DATA_LOG_DIR [SNAP_DIR] -n COUNT`.
fn java_purge_dirs(dirs: &[&Path], count: u32) {
    let classpath = deps::client_classpath(JavaVersion::V3_9_5);
    let mut cmd = std::process::Command::new(deps::java_bin());
    cmd.args(java::JVM_FLAGS)
        .args(&classpath.jvm_flags)
        .arg("-cp")
        .arg(classpath.to_arg())
        .arg("org.apache.zookeeper.server.PurgeTxnLog")
        .args(dirs)
        .arg("-n")
        .arg(count.to_string());
    rzk_compat_tests::process::run(cmd, Duration::from_secs(60)).assert_success();
}

/// Java's `PurgeTxnLog DIR -n COUNT`.
fn java_purge(data: &Path, count: u32) {
    let classpath = deps::client_classpath(JavaVersion::V3_9_5);
    let mut cmd = std::process::Command::new(deps::java_bin());
    cmd.args(java::JVM_FLAGS)
        .args(&classpath.jvm_flags)
        .arg("-cp")
        .arg(classpath.to_arg())
        .arg("org.apache.zookeeper.server.PurgeTxnLog")
        .arg(data)
        .arg("-n")
        .arg(count.to_string());
    rzk_compat_tests::process::run(cmd, Duration::from_secs(60)).assert_success();
}

#[test]
fn purge_keeps_what_java_keeps() {
    // The first server's handle owns the data dir: it lives to the end.
    let (first, tree, last) = rzk_after_workload_a();
    let data = first.data_dir();
    let before = datadir::listing(&first.version_dir());

    // `rzk purge` and PurgeTxnLog on copies of the same files.
    let (ours, java) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    datadir::copy_dir(&data, ours.path()).unwrap();
    datadir::copy_dir(&data, java.path()).unwrap();
    let v2 = ours.path().join("version-2");
    let removed = rzk::txnlog::purge::purge(&v2, &v2, 3).expect("purge");
    java_purge(java.path(), 3);
    let kept = datadir::listing(&v2);
    assert_eq!(kept, datadir::listing(&java.path().join("version-2")));
    assert_eq!(removed.len() + kept.len(), before.len());
    assert_eq!(datadir::snapshot_files(&v2).len(), 3, "{kept:?}");
    assert!(datadir::log_files(&v2).len() < datadir::log_files(&first.version_dir()).len());
    // Both servers start on what is left and serve everything.
    for (kind, dir) in [
        (ServerKind::Rzk, ours.path()),
        (ServerKind::Java(JavaVersion::V3_9_5), java.path()),
    ] {
        let (served, zxid) = serve_or_fail(kind, dir).unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert_eq!(zxid, last);
        assert_same_tree(&tree, &served, &format!("{kind} after a purge"));
    }

    // autopurge in the server runs at startup (Java schedules it with no
    // delay): what rzk leaves is what PurgeTxnLog would leave.
    let opts = options("")
        .cfg("autopurge.purgeInterval=1")
        .cfg("autopurge.snapRetainCount=3");
    let mut server = ServerHandle::unstarted(ServerKind::Rzk, opts.data_dir(&data));
    server.start();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !server.log_text().contains("purge task removed") {
        assert!(Instant::now() < deadline, "{}", server.log_tail(20));
        std::thread::sleep(Duration::from_millis(20));
    }
    server.stop();
    let purged = datadir::listing(&server.version_dir());
    assert_eq!(datadir::snapshot_files(&server.version_dir()).len(), 3);
    let again = tempfile::tempdir().unwrap();
    datadir::copy_dir(&data, again.path()).unwrap();
    java_purge(again.path(), 3);
    assert_eq!(datadir::listing(&again.path().join("version-2")), purged);
    server.set_kind(ServerKind::Java(JavaVersion::V3_9_5));
    server.start();
    assert_same_tree(&tree, &served(&server), "Java after rzk's autopurge");
}

// ----- sessions across restarts ----------------------------------------------------------

/// Two sessions own an ephemeral each and their clients go away; the
/// server is stopped (or killed) and `second` starts on its files. The
/// client of one session reconnects with its id and password and keeps its
/// ephemeral; the other session expires after its timeout (measured from
/// the restart), and its ephemeral goes.
fn sessions_across_restarts(first: ServerKind, second: ServerKind, kill: bool) {
    const TIMEOUT: i32 = 6000;
    let opts = options("").cfg("tickTime=500");
    let mut server = ServerHandle::unstarted(first, opts);
    server.start();
    let port = server.client_port();
    let mut a = ZkClient::connect(port, TIMEOUT).expect("connect");
    let mut b = ZkClient::connect(port, TIMEOUT).expect("connect");
    assert_eq!((a.timeout(), b.timeout()), (TIMEOUT, TIMEOUT));
    let ephemeral = |zk: &mut ZkClient, path: &str| {
        let request = rzk_compat_tests::zk_client::create_request(path, b"e", 1);
        zk.call(rzk::proto::op::CREATE, &request).expect("create");
    };
    ephemeral(&mut a, "/ea");
    ephemeral(&mut b, "/eb");
    // TTL nodes: one expires a few seconds from now (after the restart),
    // one in an hour.
    for (path, ttl) in [("/ttl-short", 5_000), ("/ttl-long", 3_600_000)] {
        let request = jute::proto::CreateTTLRequest {
            path: Some(path.into()),
            data: Some(bytes::Bytes::from_static(b"t")),
            acl: Some(rzk_compat_tests::zk_client::open_acl()),
            flags: 5, // PERSISTENT_WITH_TTL
            ttl,
        };
        a.call(rzk::proto::op::CREATE_TTL, &request)
            .expect("createTTL");
    }
    let (a_id, a_password) = (a.session_id(), a.password().to_vec());
    let (b_id, b_password) = (b.session_id(), b.password().to_vec());
    a.abandon();
    b.abandon();
    if kill {
        server.kill();
    } else {
        server.stop();
    }
    server.set_kind(second);
    server.start();
    let restarted = Instant::now();
    let context = format!("{first}, then {second}");

    let mut b = ZkClient::resume(port, b_id, &b_password, TIMEOUT, 0)
        .expect("connect")
        .unwrap_or_else(|| panic!("{context}: b's session did not survive"));
    assert!(
        b.exists("/ea").unwrap(),
        "{context}: a's ephemeral expired at once"
    );
    let owner = |zk: &mut ZkClient, path: &str| zk.get_data(path).map(|(_, s)| s.ephemeral_owner);
    assert_eq!(owner(&mut b, "/eb"), Ok(b_id), "{context}");
    let deadline = restarted + Duration::from_secs(40);
    // The second server reaps the TTL node that expired.
    while b.exists("/ttl-short").unwrap() {
        assert!(
            Instant::now() < deadline,
            "{context}: /ttl-short never expired"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(b.exists("/ttl-long").unwrap(), "{context}");
    while b.exists("/ea").unwrap() {
        assert!(Instant::now() < deadline, "{context}: /ea never expired");
        std::thread::sleep(Duration::from_millis(50));
    }
    let expired_after = restarted.elapsed();
    assert!(
        expired_after >= Duration::from_millis(TIMEOUT as u64 / 2),
        "{context}: a expired {expired_after:?} after the restart"
    );
    assert_eq!(owner(&mut b, "/eb"), Ok(b_id), "{context}");
    let a = ZkClient::resume(port, a_id, &a_password, TIMEOUT, 0).expect("connect");
    assert!(a.is_none(), "{context}: a's session is gone");
    b.close_session().expect("close");
    let mut check = ZkClient::connect(port, TIMEOUT).expect("connect");
    assert!(!check.exists("/eb").unwrap(), "{context}");
}

#[test]
fn sessions_survive_rzk_kill_9() {
    sessions_across_restarts(ServerKind::Rzk, ServerKind::Rzk, true);
}

#[test]
fn sessions_from_rzk_in_java() {
    sessions_across_restarts(
        ServerKind::Rzk,
        ServerKind::Java(JavaVersion::V3_9_5),
        false,
    );
}

#[test]
fn sessions_from_java_in_rzk() {
    sessions_across_restarts(
        ServerKind::Java(JavaVersion::V3_9_5),
        ServerKind::Rzk,
        false,
    );
}

// ----- more takeovers ----------------------------------------------------------------------

/// Creates `count` nodes `/<prefix>NNNN` with a client of our own (no
/// JVM), each with its own data.
fn quick_writes(server: &ServerHandle, prefix: &str, count: usize) {
    let mut zk = ZkClient::connect(server.client_port(), 30_000).expect("connect");
    for i in 0..count {
        zk.create(
            &format!("/{prefix}{i:04}"),
            format!("{prefix}-{i}").as_bytes(),
        )
        .expect("create");
    }
    zk.set_data(&format!("/{prefix}0000"), b"changed")
        .expect("setData");
    zk.close_session().expect("close");
}

/// Servers take turns with a different snapshot compression each: every
/// one reads the others' snapshots (whatever its own setting) and writes
/// its own kind.
#[test]
fn compression_changes_between_servers() {
    let turns = [
        (ServerKind::Rzk, "gz"),
        (ServerKind::Java(JavaVersion::V3_9_5), "snappy"),
        (ServerKind::Rzk, ""),
        (ServerKind::Java(JavaVersion::V3_8_0), "gz"),
        (ServerKind::Rzk, "snappy"),
    ];
    let owner = ServerHandle::unstarted(ServerKind::Rzk, options(""));
    let data = owner.data_dir();
    let mut expected: Option<TreeDump> = None;
    for (turn, (kind, compression)) in turns.into_iter().enumerate() {
        let mut server = ServerHandle::unstarted(kind, options(compression).data_dir(&data));
        server.start();
        let context = format!("turn {turn}: {kind} with compression {compression:?}");
        if let Some(expected) = &expected {
            assert_same_tree(expected, &served(&server), &context);
        }
        quick_writes(&server, &format!("t{turn}-"), 40);
        expected = Some(served(&server));
        server.stop();
        // Its own snapshots carry its own extension.
        let newest = newest_snapshot(&server.version_dir());
        let name = newest.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(
            name.splitn(3, '.').nth(2).unwrap_or(""),
            compression,
            "{context}: {name}"
        );
    }
    drop(owner);
}

/// dataLogDir apart from dataDir: rzk keeps its logs there and its
/// snapshots in dataDir, as Java does, and each takes over the other's.
#[test]
fn separate_data_log_dir_both_ways() {
    let owner = ServerHandle::unstarted(ServerKind::Rzk, options(""));
    let data = owner.data_dir();
    let logs = owner.dir().join("datalog");
    let opts = options("")
        .cfg(format!("dataLogDir={}", logs.display()))
        .data_dir(&data);
    let mut expected: Option<TreeDump> = None;
    for (turn, kind) in [
        ServerKind::Rzk,
        ServerKind::Java(JavaVersion::V3_9_5),
        ServerKind::Rzk,
    ]
    .into_iter()
    .enumerate()
    {
        let mut server = ServerHandle::unstarted(kind, opts.clone());
        server.start();
        if let Some(expected) = &expected {
            assert_same_tree(expected, &served(&server), &format!("turn {turn}: {kind}"));
        }
        quick_writes(&server, &format!("d{turn}-"), 45);
        expected = Some(served(&server));
        server.stop();
        let (snap_dir, log_dir) = (data.join("version-2"), logs.join("version-2"));
        assert!(datadir::log_files(&snap_dir).is_empty(), "turn {turn}");
        assert!(datadir::snapshot_files(&log_dir).is_empty(), "turn {turn}");
        assert!(
            datadir::log_files(&log_dir).len() >= 2 * (turn + 1),
            "turn {turn}"
        );
    }
    // `rzk purge dataLogDir dataDir -n 3` leaves what Java's PurgeTxnLog
    // (as zkCleanup.sh runs it) leaves.
    let purged: Vec<Vec<String>> = (0..2)
        .map(|i| {
            let copy = tempfile::tempdir().unwrap();
            let (l, d) = (copy.path().join("datalog"), copy.path().join("data"));
            datadir::copy_dir(&logs, &l).unwrap();
            datadir::copy_dir(&data, &d).unwrap();
            if i == 0 {
                rzk_purge(&[&l, &d], 3);
            } else {
                java_purge_dirs(&[&l, &d], 3);
            }
            let mut names = datadir::listing(&l.join("version-2"));
            names.extend(datadir::listing(&d.join("version-2")));
            names
        })
        .collect();
    assert_eq!(purged[0], purged[1], "rzk purge vs PurgeTxnLog");
    let before = datadir::listing(&logs.join("version-2")).len()
        + datadir::listing(&data.join("version-2")).len();
    assert!(purged[0].len() < before, "{purged:?}");
    drop(owner);
}

/// `db.autocreate=false`: an empty database is trusted (zxid 0) only if an
/// `initialize` file was there, which the server deletes; otherwise it
/// starts at zxid −1. Java looks for the file in dataLogDir (the parent of
/// its txn-log `version-2`), not in dataDir: rzk must too.
#[test]
fn initialize_file_lives_in_the_data_log_dir() {
    let mut outcomes = Vec::new();
    for kind in [ServerKind::Java(JavaVersion::V3_9_5), ServerKind::Rzk] {
        for place in ["dataLogDir", "dataDir", "nowhere"] {
            let owner = ServerHandle::unstarted(ServerKind::Rzk, ServerOptions::new());
            let (data, logs) = (owner.data_dir(), owner.dir().join("datalog"));
            fs::create_dir_all(&logs).unwrap();
            let file = match place {
                "dataLogDir" => Some(logs.join("initialize")),
                "dataDir" => Some(data.join("initialize")),
                _ => None,
            };
            if let Some(file) = &file {
                fs::write(file, "").unwrap();
            }
            let opts = ServerOptions::new()
                .cfg(format!("dataLogDir={}", logs.display()))
                .system_property("zookeeper.db.autocreate", false)
                .data_dir(&data);
            let mut server = ServerHandle::unstarted(kind, opts);
            let info = server.start();
            let kept = file.as_ref().is_some_and(|f| f.exists());
            server.stop();
            outcomes.push((kind, place, info.zxid, kept));
            drop(owner);
        }
    }
    let (java, rzk) = outcomes.split_at(3);
    for ((_, place, java_zxid, java_kept), (_, _, rzk_zxid, rzk_kept)) in java.iter().zip(rzk) {
        assert_eq!(
            (rzk_zxid, rzk_kept),
            (java_zxid, java_kept),
            "initialize in {place}: (zxid, file kept) of rzk vs Java 3.9.5"
        );
    }
    assert_eq!(java[0].2, 0, "{java:?}");
    assert_eq!(java[1].2, -1, "{java:?}");
}

// ----- the startup snapshot --------------------------------------------------------------

/// After a restart that replayed logged txns, rzk serves before its startup
/// snapshot is written (in the background), and that snapshot holds the
/// restored tree at its zxid.
#[test]
fn the_startup_snapshot_is_written_while_serving() {
    let mut server = ServerHandle::unstarted(ServerKind::Rzk, options(""));
    server.start();
    let mut zk = ZkClient::connect(server.client_port(), 30_000).expect("connect");
    for i in 0..5 {
        zk.create(&format!("/s{i}"), b"data").expect("create");
    }
    zk.close_session().expect("close");
    let last = zxid(&server);
    server.stop();
    let info = server.start();
    assert_eq!(info.zxid, last);
    let name = format!("snapshot.{last:x}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !server.log_text().contains(&format!("{name} written")) {
        assert!(Instant::now() < deadline, "{}", server.log_tail(20));
        std::thread::sleep(Duration::from_millis(20));
    }
    let text = server.log_text();
    let second = text
        .rfind("==== rzk-compat-tests: start #2")
        .expect("second start");
    let restart = &text[second..];
    let serving = restart.find("serving standalone").expect("serving");
    let written = restart.find(&format!("{name} written")).expect("written");
    assert!(serving < written, "{restart}");
    let loaded = load_snapshot_file(&server.version_dir().join(&name), &ReadOptions::default())
        .expect("the startup snapshot loads");
    assert_eq!(loaded.tree.last_processed_zxid(), last);
    for i in 0..5 {
        let node = loaded
            .tree
            .node(&format!("/s{i}"))
            .expect("in the snapshot");
        assert_eq!(node.data(), Some(&b"data"[..]));
    }
}
