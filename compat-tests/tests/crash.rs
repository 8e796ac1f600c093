//! Crash safety: rzk never acknowledges a write it could lose.
//!
//! - **kill -9 under load:** clients pipeline creates and setData (up to
//!   50 outstanding each) while rzk is killed with SIGKILL at seeded random
//!   moments (after a random number of acknowledgements, or while it is
//!   still starting), and restarted on the same data dir, again and again.
//!   Every write whose reply a client received is there with its data; the
//!   zxids clients see never go back and are never reused; the restored
//!   zxid covers every acknowledged one; no digest mismatch. At the end the
//!   logs hold a gapless run of zxids, read the same by Java's own log
//!   iterator, and Java 3.9.5 serves the same tree from the same files.
//!   `RZK_CRASH_SEED=<n>` replays a run.
//! - **Torn log tails:** the newest log cut at a random byte (a write torn
//!   by a crash) recovers to the last whole record, as Java 3.9.5 recovers
//!   it (or fails to start where Java does), and keeps working after more
//!   writes and restarts.

use std::collections::{BTreeMap, VecDeque};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use jute::proto::{Create2Response, DeleteRequest, SetDataResponse};
use rzk::proto::op;
use rzk::snapshot::{load_snapshot_file, ReadOptions as SnapshotReadOptions};
use rzk::txnlog::reader::{LogFileReader, ReadOptions, RecordRead};
use rzk_compat_tests::datadir;
use rzk_compat_tests::raw_client::PATIENCE;
use rzk_compat_tests::zk_client::{
    assert_same_tree, create_request, decode_reply, dump_server, set_data_request, TreeDump,
    ZkClient, ZkError,
};
use rzk_compat_tests::{
    deps, java, JavaVersion, RzkServer, ServerHandle, ServerKind, ServerOptions,
};

const DEFAULT_SEED: u64 = 0x5eed_0d15_c0de;

fn seed() -> u64 {
    std::env::var("RZK_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_SEED)
}

/// A write a client sends.
#[derive(Clone, Debug)]
enum Write {
    Create { path: String, data: Vec<u8> },
    Set { path: String, data: Vec<u8> },
    Delete { path: String },
}

/// A write whose reply came back, with the zxid the reply gave it.
#[derive(Clone, Debug)]
struct Ack {
    write: Write,
    zxid: i64,
}

/// One client's pipelined writes, on a thread: up to `window` requests in
/// flight; every successful reply is sent to `acks` as it arrives. Ends
/// when the writes are done or the server is gone, with the client's
/// session id (0 if it got none).
fn load_client(
    port: u16,
    writes: Vec<Write>,
    window: usize,
    acks: mpsc::Sender<Ack>,
) -> thread::JoinHandle<i64> {
    thread::spawn(move || {
        let Ok(mut zk) = ZkClient::connect(port, 30_000) else {
            return 0; // killed before it answered
        };
        let mut writes = writes.into_iter();
        let mut pending = VecDeque::new();
        let mut last = 0;
        'run: loop {
            while pending.len() < window {
                let Some(write) = writes.next() else { break };
                let sent = match &write {
                    Write::Create { path, data } => {
                        zk.send(op::CREATE2, &create_request(path, data, 0))
                    }
                    Write::Set { path, data } => {
                        zk.send(op::SET_DATA, &set_data_request(path, data))
                    }
                    Write::Delete { path } => zk.send(
                        op::DELETE,
                        &DeleteRequest {
                            path: Some(path.clone()),
                            version: -1,
                        },
                    ),
                };
                if sent.is_err() {
                    break 'run;
                }
                pending.push_back(write);
            }
            let Some(write) = pending.pop_front() else {
                break; // all done
            };
            let Ok(reply) = zk.recv(PATIENCE) else {
                break; // the server is gone
            };
            let zxid = match &write {
                Write::Create { .. } => {
                    decode_reply::<Create2Response>(&reply).map(|(_, r)| r.stat.czxid)
                }
                Write::Set { .. } => {
                    decode_reply::<SetDataResponse>(&reply).map(|(_, r)| r.stat.mzxid)
                }
                Write::Delete { .. } => match reply.header.err {
                    0 => Ok(reply.header.zxid),
                    code => Err(ZkError::Code(code)),
                },
            }
            .unwrap_or_else(|e| panic!("{write:?} failed: {e}"));
            assert_eq!(reply.header.zxid, zxid, "{write:?}");
            assert!(zxid > last, "a session's writes get increasing zxids");
            last = zxid;
            if acks.send(Ack { write, zxid }).is_err() {
                break;
            }
        }
        zk.session_id()
    })
}

/// Every acknowledged write is in `tree`: for each path, in zxid order,
/// the last acknowledged write holds (or a later one that was not
/// acknowledged): a delete left no node; a create left the node with its
/// zxid, and with its data unless changed since; a setData left its data
/// or later data.
#[track_caller]
fn verify(tree: &TreeDump, acks: &[Ack], context: &str) {
    let mut by_path: BTreeMap<&str, Vec<&Ack>> = BTreeMap::new();
    for ack in acks {
        let path = match &ack.write {
            Write::Create { path, .. } | Write::Set { path, .. } | Write::Delete { path } => path,
        };
        by_path.entry(path).or_default().push(ack);
    }
    for (path, mut acks) in by_path {
        acks.sort_by_key(|a| a.zxid);
        let last = acks.last().expect("an ack");
        if let Write::Delete { .. } = last.write {
            assert!(
                tree.get(path).is_none(),
                "{context}: deleted {path} is back"
            );
            continue;
        }
        let node = tree.get(path).unwrap_or_else(|| {
            panic!(
                "{context}: acknowledged {path} (zxid {:#x}) is lost",
                last.zxid
            )
        });
        let stat = node.stat().expect("readable");
        let since_delete = acks
            .iter()
            .rposition(|a| matches!(a.write, Write::Delete { .. }))
            .map_or(0, |i| i + 1);
        if let Some(create) = acks[since_delete..]
            .iter()
            .rev()
            .find(|a| matches!(a.write, Write::Create { .. }))
        {
            assert_eq!(stat.czxid, create.zxid, "{context}: {path}");
        }
        let (zxid, data) = match &last.write {
            Write::Create { data, .. } | Write::Set { data, .. } => (last.zxid, data),
            Write::Delete { .. } => unreachable!(),
        };
        assert!(
            stat.mzxid >= zxid,
            "{context}: {path} is at {:#x}, before the acknowledged {zxid:#x}",
            stat.mzxid
        );
        if stat.mzxid == zxid {
            assert_eq!(node.bytes(), Some(&data[..]), "{context}: {path}");
        }
    }
}

/// The zxids of every logged txn in `dir`, read by rzk from the oldest
/// file on.
fn logged_zxids(dir: &Path) -> Vec<i64> {
    rzk::txnlog::read_from(dir, 0, ReadOptions::default())
        .expect("read the log")
        .map(|t| t.expect("a txn").txn.zxid())
        .collect()
}

/// The same, read by Java 3.9.5's `FileTxnLog` iterator (what a Java
/// server restores with): the zxids and the last logged zxid.
fn java_logged_zxids(dir: &Path) -> (Vec<i64>, i64) {
    let program = java::compile("txnlog-read", &deps::client_classpath(JavaVersion::V3_9_5));
    let out = program.run("TxnlogRead", &[&dir.display().to_string()]);
    out.assert_success();
    let hex = |s: &str| i64::from_str_radix(s.trim_start_matches("0x"), 16).expect("hex zxid");
    let mut zxids = Vec::new();
    let mut last = -1;
    for line in out.stdout.lines() {
        match line.strip_prefix("last ") {
            Some(z) => last = hex(z),
            None => zxids.push(hex(line.split(' ').next().expect("zxid"))),
        }
    }
    (zxids, last)
}

#[test]
fn acknowledged_writes_survive_kill_9() {
    let seed = seed();
    let mut rng = fastrand::Rng::with_seed(seed);
    let ctx = |i: usize| format!("seed {seed} (RZK_CRASH_SEED), iteration {i}");
    let opts = ServerOptions::with_cfg(&[
        "snapCount=64",
        "autopurge.purgeInterval=1",
        "autopurge.snapRetainCount=3",
    ]);
    let mut server = RzkServer::start(opts);
    let port = server.client_port();

    // Setup: the parent, the nodes setData goes to, and some bulk so that
    // snapshots take a while to write.
    let mut acks = Vec::new();
    {
        let mut zk = ZkClient::connect(port, 30_000).expect("connect");
        let mut create = |path: &str, data: Vec<u8>| {
            let zxid = zk.create(path, &data).expect("create");
            acks.push(Ack {
                write: Write::Create {
                    path: path.into(),
                    data,
                },
                zxid,
            });
        };
        create("/crash", Vec::new());
        for i in 0..8 {
            create(&format!("/crash/s{i}"), Vec::new());
        }
        for i in 0..4 {
            create(&format!("/crash/big{i}"), vec![i as u8; 64 * 1024]);
        }
        zk.close_session().expect("close");
    }
    let mut started_at = zxid_of(&server);

    const ITERATIONS: usize = 20;
    for iteration in 0..ITERATIONS {
        let ctx = ctx(iteration);
        // A load of 1–3 clients with random windows and mixes.
        let clients = rng.usize(1..=3);
        let (tx, rx) = mpsc::channel();
        let mut total = 0;
        let mut threads = Vec::new();
        for c in 0..clients {
            let count = rng.usize(20..=400);
            let sets = rng.u32(0..=50);
            let writes: Vec<Write> = (0..count)
                .map(|k| {
                    let data = format!("i{iteration}-c{c}-k{k}").into_bytes();
                    if rng.u32(0..100) < sets {
                        Write::Set {
                            path: format!("/crash/s{}", rng.u32(0..8)),
                            data,
                        }
                    } else {
                        Write::Create {
                            path: format!("/crash/i{iteration}-c{c}-k{k}"),
                            data,
                        }
                    }
                })
                .collect();
            total += count;
            threads.push(load_client(port, writes, rng.usize(1..=50), tx.clone()));
        }
        drop(tx);
        // Kill after `target` acknowledgements (all of them: once idle).
        let target = rng.usize(0..=total);
        let mut these = Vec::new();
        while these.len() < target {
            match rx.recv_timeout(Duration::from_secs(60)) {
                Ok(ack) => these.push(ack),
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => panic!("{ctx}: the load stalled"),
            }
        }
        server.kill();
        // Replies that were already on their way count as acknowledged.
        these.extend(rx.iter());
        for thread in threads {
            thread
                .join()
                .unwrap_or_else(|_| panic!("{ctx}: a client failed"));
        }
        if let Some(first) = these.iter().map(|a| a.zxid).min() {
            assert!(
                first > started_at,
                "{ctx}: zxid {first:#x} acknowledged again after a restart at {started_at:#x}"
            );
        }
        eprintln!(
            "{ctx}: {clients} clients, {} of {total} writes acknowledged, killed after {target}",
            these.len()
        );
        acks.extend(these);

        // Sometimes a kill while it starts up (restoring, or writing the
        // startup snapshot) too.
        if rng.u32(0..5) == 0 {
            server.launch();
            thread::sleep(Duration::from_millis(rng.u64(0..40)));
            server.kill();
            eprintln!("{ctx}: killed while starting");
        }
        let info = server.start();
        let max_acked = acks.iter().map(|a| a.zxid).max().unwrap_or(0);
        assert!(
            info.zxid >= max_acked,
            "{ctx}: restored to {:#x}, before the acknowledged {max_acked:#x}",
            info.zxid
        );
        assert_eq!(
            server.mntr_value("digest_mismatches_count"),
            "0",
            "{ctx}\n{}",
            server.log_tail(40)
        );
        verify(&dump_server(port), &acks, &ctx);
        started_at = info.zxid;
    }

    // The final tree, its logs, and Java on the same files.
    let rzk_tree = dump_server(port);
    let last = zxid_of(&server);
    server.stop();
    let dir = server.version_dir();
    let zxids = logged_zxids(&dir);
    assert!(zxids.len() > 100, "{zxids:?}");
    for pair in zxids.windows(2) {
        assert_eq!(pair[1], pair[0] + 1, "a gap or a repeat in the log");
    }
    assert_eq!(zxids.last(), Some(&last));
    let (java_zxids, java_last) = java_logged_zxids(&dir);
    assert_eq!(
        (java_zxids, java_last),
        (zxids, last),
        "Java reads the logs as rzk does"
    );
    server.set_kind(ServerKind::Java(JavaVersion::V3_9_5));
    let info = server.start();
    assert_eq!(info.zxid, last);
    assert_eq!(server.mntr_value("digest_mismatches_count"), "0");
    let java_tree = dump_server(port);
    assert_same_tree(
        &rzk_tree,
        &java_tree,
        "Java 3.9.5 on the files rzk crashed on",
    );
    verify(&java_tree, &acks, "Java 3.9.5");
}

#[track_caller]
fn zxid_of(server: &ServerHandle) -> i64 {
    server.srvr().expect("srvr").zxid
}

// ----- torn log tails ------------------------------------------------------------------

/// Where each record of `file` ends (the offset after its `'B'`), with its
/// zxid.
fn record_ends(file: &Path) -> Vec<(u64, i64)> {
    let (mut reader, _) = LogFileReader::open_checked(file, jute::Limits::default()).expect("open");
    let mut ends = Vec::new();
    while let RecordRead::Record(record) = reader.next_record().expect("read") {
        if !record.complete() {
            break;
        }
        let txn = rzk::txn::Txn::decode(&record.bytes, jute::Limits::default(), true).expect("txn");
        ends.push((record.end_offset(), txn.zxid()));
    }
    ends
}

/// Damage done to the newest log file.
#[derive(Clone, Copy, Debug)]
enum Damage {
    /// The file ends here (its preallocated zeros go too).
    Truncate(u64),
    /// Zeros from here on (a write torn inside the preallocated space).
    ZeroFrom(u64),
    /// One byte of a whole record changed (its checksum fails).
    Flip(u64),
}

impl Damage {
    fn apply(self, file: &Path) {
        use std::os::unix::fs::FileExt;
        let f = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(file)
            .expect("open");
        match self {
            Damage::Truncate(cut) => f.set_len(cut).expect("truncate"),
            Damage::ZeroFrom(cut) => {
                // The records end well within the first MiB.
                let zeros = vec![0u8; 1 << 20];
                f.write_all_at(&zeros, cut).expect("zero");
            }
            Damage::Flip(at) => {
                let mut byte = [0u8];
                f.read_exact_at(&mut byte, at).expect("read");
                f.write_all_at(&[byte[0] ^ 0x20], at).expect("write");
            }
        }
    }
}

/// A server of `kind` on a copy of `data` whose newest log is damaged: `Ok` with the tree it serves and its zxid, or `Err` with the end
/// of its log if it refuses to start.
fn start_on_torn_copy(
    kind: ServerKind,
    data: &Path,
    damage: Damage,
    opts: &ServerOptions,
) -> (
    tempfile::TempDir,
    Result<(ServerHandle, TreeDump, i64), String>,
) {
    let copy = tempfile::tempdir().expect("tempdir");
    datadir::copy_dir(data, copy.path()).expect("copy");
    let v2 = copy.path().join("version-2");
    let newest = datadir::log_files(&v2).pop().expect("a log");
    damage.apply(&newest);
    let opts = opts.clone().data_dir(copy.path());
    let mut server = ServerHandle::unstarted(kind, opts);
    server.launch();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(info) = server.srvr() {
            let tree = dump_server(server.client_port());
            return (copy, Ok((server, tree, info.zxid)));
        }
        if server.wait_exit(Duration::from_millis(50)).is_some() {
            return (copy, Err(server.log_text()));
        }
        assert!(
            Instant::now() < deadline,
            "{kind} neither served nor exited"
        );
    }
}

#[test]
fn torn_log_tails_recover_to_the_last_whole_record() {
    let seed = seed();
    let mut rng = fastrand::Rng::with_seed(seed ^ 0x7042);
    let opts = ServerOptions::new();
    let mut server = RzkServer::start(opts.clone());
    {
        let mut zk = ZkClient::connect(server.client_port(), 30_000).expect("connect");
        zk.create("/t", b"torn").expect("create");
        for i in 0..40 {
            zk.create(&format!("/t/n{i:02}"), &vec![i as u8; i * 3])
                .expect("create");
        }
        zk.abandon();
    }
    server.kill();
    let data = server.data_dir();
    let newest = datadir::log_files(&server.version_dir())
        .pop()
        .expect("a log");
    let ends = record_ends(&newest);
    let first_zxid = datadir::zxid_of(&newest).expect("zxid");
    assert_eq!(ends.len(), 42, "createSession, 41 creates, nothing else");
    let file_end = ends.last().unwrap().0;

    // Cuts: inside the header (Java cannot read the file: neither starts),
    // an empty file (3.9 deletes it), a record boundary, and random bytes
    // inside records, the file truncated or zeroed from there; a flipped
    // byte in a whole record (Java refuses to start: "CRC check failed").
    // Java 3.9.5 on some of them.
    let mut cases: Vec<(Damage, bool)> = vec![
        (Damage::Truncate(0), true),
        (Damage::Truncate(9), true),
        (Damage::Truncate(16), false),
        (Damage::Truncate(ends[20].0), true),
        (Damage::ZeroFrom(ends[30].0), false),
        (Damage::Flip(ends[25].0 + 20), true),
        (Damage::Flip(ends[40].0 + 30), false),
    ];
    for i in 0..10 {
        let cut = rng.u64(17..file_end);
        let damage = if i % 2 == 0 {
            Damage::Truncate(cut)
        } else {
            Damage::ZeroFrom(cut)
        };
        cases.push((damage, i < 4));
    }
    for (damage, with_java) in cases {
        let context = format!("seed {seed}: {} {damage:?}", newest.display());
        eprintln!("{context} (records end at {file_end})");
        let (copy, rzk) = start_on_torn_copy(ServerKind::Rzk, &data, damage, &opts);
        if with_java {
            let (_java_copy, java) =
                start_on_torn_copy(ServerKind::Java(JavaVersion::V3_9_5), &data, damage, &opts);
            match (&rzk, &java) {
                (Ok((_, rzk_tree, rzk_zxid)), Ok((_, java_tree, java_zxid))) => {
                    assert_eq!(rzk_zxid, java_zxid, "{context}");
                    assert_same_tree(rzk_tree, java_tree, &context);
                }
                (Err(_), Err(java)) => {
                    if let Damage::Flip(_) = damage {
                        assert!(java.contains("CRC check failed"), "{context}: {java}");
                    }
                }
                (rzk, java) => panic!(
                    "{context}: rzk {} and Java {}",
                    rzk.as_ref()
                        .map_or_else(|e| format!("failed:\n{e}"), |_| "started".into()),
                    java.as_ref()
                        .map_or_else(|e| format!("failed:\n{e}"), |_| "started".into())
                ),
            }
        }
        let cut = match damage {
            Damage::Truncate(cut) | Damage::ZeroFrom(cut) => cut,
            Damage::Flip(_) => {
                assert!(
                    rzk.is_err(),
                    "{context}: rzk started on a log with a bad checksum"
                );
                continue;
            }
        };
        let Ok((mut rzk, tree, zxid)) = rzk else {
            assert!(cut > 0 && cut < 16, "{context}: rzk did not start");
            continue;
        };
        // The last whole record before the cut.
        let expected = ends
            .iter()
            .take_while(|(end, _)| *end <= cut)
            .last()
            .map_or(first_zxid - 1, |(_, zxid)| *zxid);
        assert_eq!(zxid, expected.max(0), "{context}");
        let kids = tree.nodes.keys().filter(|p| p.starts_with("/t/")).count();
        let creates = ends
            .iter()
            .filter(|(end, zxid)| *end <= cut && *zxid > first_zxid + 1)
            .count();
        assert_eq!(kids, creates, "{context}");
        // Writing on: the zxid the torn record had is used again (it was
        // never acknowledged), in a new file after the torn one; both
        // survive another crash.
        let mut zk = ZkClient::connect(rzk.client_port(), 30_000).expect("connect");
        let new = zk.create("/after-the-tear", b"new").expect("create");
        assert!(new > zxid, "{context}");
        zk.abandon();
        rzk.kill();
        let info = rzk.start();
        assert!(info.zxid >= new, "{context}");
        let after = dump_server(rzk.client_port());
        assert!(after.get("/after-the-tear").is_some(), "{context}");
        assert_eq!(
            after.nodes.keys().filter(|p| p.starts_with("/t/")).count(),
            kids,
            "{context}"
        );
        drop(rzk);
        drop(copy);
    }
}

// ----- replies wait for fdatasync ------------------------------------------------------

/// One system call in an `strace -f -y` trace: its name, the path of its
/// first (fd) argument, its arguments, and the lines where it started and
/// returned (different when another thread's call came in between).
#[derive(Debug)]
struct Syscall {
    name: String,
    fd_path: String,
    args: String,
    start: usize,
    end: usize,
}

fn parse_trace(text: &str) -> Vec<Syscall> {
    let mut calls = Vec::new();
    let mut pending: BTreeMap<String, Syscall> = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        // strace pads the pid column to a width.
        let Some((pid, rest)) = line.split_once(' ') else {
            continue;
        };
        let rest = rest.trim_start();
        if let Some(resumed) = rest.strip_prefix("<... ") {
            if let Some(mut call) = pending.remove(pid) {
                call.args.push_str(resumed);
                call.end = i;
                calls.push(call);
            }
            continue;
        }
        let Some((name, args)) = rest.split_once('(') else {
            continue; // "+++ exited", "--- SIGTERM" …
        };
        let fd_path = args
            .split_once('<')
            .and_then(|(fd, after)| {
                fd.chars()
                    .all(|c| c.is_ascii_digit())
                    .then(|| after.split_once('>').map(|(p, _)| unhex(p)))
            })
            .flatten()
            .unwrap_or_default();
        let call = Syscall {
            name: name.to_string(),
            fd_path,
            args: args.to_string(),
            start: i,
            end: i,
        };
        if rest.ends_with("<unfinished ...>") {
            pending.insert(pid.to_string(), call);
        } else {
            calls.push(call);
        }
    }
    calls
}

/// A string `strace -xx` printed (`\x2f\x74…`), as text.
fn unhex(text: &str) -> String {
    let bytes: Vec<u8> = text
        .split("\\x")
        .filter(|h| !h.is_empty())
        .map(|h| u8::from_str_radix(&h[..2.min(h.len())], 16).unwrap_or(b'?'))
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Bytes as `strace -xx` prints them in strings.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("\\x{b:02x}")).collect()
}

fn is_log(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or("");
    name.starts_with("log.") || name.starts_with(".log.")
}

#[test]
fn replies_wait_for_fdatasync() {
    let strace = Path::new("/usr/bin/strace");
    if !strace.is_file() {
        deps::missing("strace (Debian package strace)");
    }
    let server = RzkServer::start(ServerOptions::with_cfg(&["snapCount=20"]));
    let port = server.client_port();
    let trace_file = server.dir().join("strace.txt");
    let mut cmd = std::process::Command::new(strace);
    cmd.args(["-f", "-y", "-qq", "-xx", "-s", "100000", "-e"])
        .arg(
            "trace=write,pwrite64,writev,pwritev,pwritev2,sendto,sendmsg,fdatasync,fsync,\
             rename,renameat,renameat2",
        )
        .arg("-o")
        .arg(&trace_file)
        .arg("-p")
        .arg(server.pid().expect("running").to_string())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut tracer = rzk_compat_tests::process::spawn(cmd).expect("strace");
    // Attached once a four-letter word's reply shows in the trace.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        server.four_letter_word("srvr");
        let text = fs::read_to_string(&trace_file).unwrap_or_default();
        if text.contains(&hex(b"Zookeeper version")) {
            break;
        }
        assert!(Instant::now() < deadline, "strace did not attach");
        thread::sleep(Duration::from_millis(50));
    }

    // Pipelined creates (and log rolls: snapCount=20) from two clients.
    let (tx, rx) = mpsc::channel();
    let threads: Vec<_> = (0..2)
        .map(|c| {
            let writes = (0..60)
                .map(|k| Write::Create {
                    path: format!("/c{c}n{k:04}"),
                    data: format!("c{c}-{k}").into_bytes(),
                })
                .collect();
            load_client(port, writes, 16, tx.clone())
        })
        .collect();
    drop(tx);
    let acks: Vec<Ack> = rx.iter().collect();
    let sessions: Vec<i64> = threads
        .into_iter()
        .map(|t| t.join().expect("client"))
        .collect();
    assert_eq!(acks.len(), 120);
    // What a reply carries that the txn it answers carries too: a create's
    // path, a new session's id (in the createSession txn's header and the
    // connect response).
    let mut answers: Vec<(String, String)> = acks
        .iter()
        .map(|ack| match &ack.write {
            Write::Create { path, .. } => (path.clone(), hex(path.as_bytes())),
            _ => unreachable!(),
        })
        .collect();
    for session in sessions {
        assert_ne!(session, 0);
        answers.push((format!("session {session:#x}"), hex(&session.to_be_bytes())));
    }
    // A client can read a reply before strace has printed the write that
    // sent it (strace prints at the syscall's return): stop tracing only
    // once every reply is in the trace, or the deadline passed (and the
    // checks below say which one is missing).
    let is_reply = |c: &Syscall| {
        matches!(&*c.name, "write" | "writev" | "sendto" | "sendmsg")
            && (c.fd_path.starts_with("socket:") || c.fd_path.starts_with("TCP"))
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = fs::read_to_string(&trace_file).unwrap_or_default();
        let replies: Vec<Syscall> = parse_trace(&text).into_iter().filter(is_reply).collect();
        let all_there = answers
            .iter()
            .all(|(_, needle)| replies.iter().any(|c| c.args.contains(needle.as_str())));
        if all_there || Instant::now() > deadline {
            break;
        }
        thread::sleep(Duration::from_millis(50));
    }
    rzk_compat_tests::process::signal(tracer.id(), libc::SIGINT);
    tracer.wait().expect("strace");

    let text = fs::read_to_string(&trace_file).expect("trace");
    let calls = parse_trace(&text);
    let log_writes: Vec<&Syscall> = calls
        .iter()
        .filter(|c| {
            matches!(
                &*c.name,
                "write" | "pwrite64" | "writev" | "pwritev" | "pwritev2"
            )
        })
        .filter(|c| is_log(&c.fd_path))
        .collect();
    let replies: Vec<&Syscall> = calls.iter().filter(|c| is_reply(c)).collect();
    let syncs: Vec<&Syscall> = calls
        .iter()
        .filter(|c| matches!(&*c.name, "fdatasync" | "fsync"))
        .collect();
    let mut rolled = 0;
    for (what, needle) in &answers {
        let reply = replies
            .iter()
            .find(|c| c.args.contains(needle.as_str()))
            .unwrap_or_else(|| panic!("no reply holds {what}"));
        let written = log_writes
            .iter()
            .find(|c| c.args.contains(needle.as_str()) && c.end < reply.start)
            .unwrap_or_else(|| {
                panic!(
                    "{what}: the reply (trace line {}) went out before its txn was written",
                    reply.start + 1
                )
            });
        // An fdatasync of that file started after the write returned and
        // returned before the reply was sent.
        assert!(
            syncs.iter().any(|s| s.fd_path == written.fd_path
                && s.start > written.end
                && s.end < reply.start),
            "{what}: the reply (trace line {}) went out before an fdatasync of {} covered its \
             write (line {})",
            reply.start + 1,
            written.fd_path,
            written.end + 1
        );
        // A file new in the trace was renamed into place and its directory
        // fsynced before the reply.
        let name = written.fd_path.rsplit('/').next().unwrap_or_default();
        let renamed = calls.iter().find(|c| {
            c.name.starts_with("rename") && c.args.contains(&hex(format!("/{name}").as_bytes()))
        });
        if let Some(renamed) = renamed {
            rolled += 1;
            let dir = written
                .fd_path
                .rsplit_once('/')
                .map(|(d, _)| d)
                .unwrap_or("");
            assert!(
                syncs
                    .iter()
                    .any(|s| s.fd_path == dir && s.start > renamed.end && s.end < reply.start),
                "{what}: the reply went out before the directory of the new {name} was fsynced"
            );
        }
    }
    assert!(rolled > 0, "snapCount=20 rolls the log during the test");
}

// ----- fuzzy snapshots ------------------------------------------------------------------

/// Runs `writes` split over pipelined clients (one per list) to the end;
/// returns every acknowledgement.
fn run_load(port: u16, lists: Vec<Vec<Write>>, window: usize) -> Vec<Ack> {
    let (tx, rx) = mpsc::channel();
    let threads: Vec<_> = lists
        .into_iter()
        .map(|writes| load_client(port, writes, window, tx.clone()))
        .collect();
    drop(tx);
    let acks: Vec<Ack> = rx.iter().collect();
    for thread in threads {
        thread.join().expect("a client failed");
    }
    acks
}

/// Snapshots written while the tree changes under them (the walk of a big
/// tree takes a while, and three clients keep creating, changing and
/// deleting nodes meanwhile) by `writer` restore to the same tree in each
/// of `restorers`, each replaying the logs over the fuzzy snapshot, and
/// none finds a digest mismatch (the snapshot's digest trailer is compared
/// when replay reaches its zxid, and every txn's digest after).
fn fuzzy_snapshots_restore(writer: ServerKind, restorers: &[ServerKind]) {
    const GROUPS: usize = 30;
    const PER_GROUP: usize = 400;
    let opts = ServerOptions::with_cfg(&["snapCount=800"]);
    let mut server = ServerHandle::unstarted(writer, opts.clone());
    server.start();
    let port = server.client_port();
    let data = |tag: &str| -> Vec<u8> {
        let mut d = tag.as_bytes().to_vec();
        d.resize(120, b'.');
        d
    };
    let mut setup = ZkClient::connect(port, 30_000).expect("connect");
    setup.create("/f", b"").expect("create");
    for g in 0..GROUPS {
        setup.create(&format!("/f/g{g:02}"), b"").expect("create");
    }
    setup.close_session().expect("close");
    // The big tree, from 3 clients.
    let fill: Vec<Vec<Write>> = (0..3)
        .map(|c| {
            (0..GROUPS)
                .filter(|g| g % 3 == c)
                .flat_map(|g| {
                    (0..PER_GROUP).map(move |i| Write::Create {
                        path: format!("/f/g{g:02}/n{i:04}"),
                        data: Vec::new(),
                    })
                })
                .map(|w| match w {
                    Write::Create { path, .. } => Write::Create {
                        data: data(&path),
                        path,
                    },
                    w => w,
                })
                .collect()
        })
        .collect();
    let mut acks = run_load(port, fill, 64);
    assert_eq!(acks.len(), GROUPS * PER_GROUP);
    // Changes all over the tree: client c deletes in its groups, changes
    // in others, creates new nodes everywhere.
    let mut rng = fastrand::Rng::with_seed(seed());
    let churn: Vec<Vec<Write>> = (0..3)
        .map(|c| {
            (0..1500)
                .map(|k| {
                    let g = rng.usize(0..GROUPS / 3) * 3 + c;
                    let i = rng.usize(0..PER_GROUP);
                    match k % 3 {
                        // Each once: nodes 0..50 of the client's groups.
                        0 => Write::Delete {
                            path: format!(
                                "/f/g{:02}/n{:04}",
                                (k / 3) % (GROUPS / 3) * 3 + c,
                                (k / 3) / (GROUPS / 3)
                            ),
                        },
                        // Nodes 300..400, which nobody deletes.
                        1 => Write::Set {
                            path: format!(
                                "/f/g{:02}/n{:04}",
                                (g + 1) % GROUPS,
                                PER_GROUP - 1 - i % 100
                            ),
                            data: data(&format!("set-{c}-{k}")),
                        },
                        _ => Write::Create {
                            path: format!("/f/g{g:02}/new-{c}-{k:05}"),
                            data: data(&format!("new-{c}-{k}")),
                        },
                    }
                })
                .collect()
        })
        .collect();
    acks.extend(run_load(port, churn, 64));
    let tree = dump_server(port);
    verify(&tree, &acks, "the final tree");
    server.stop();

    // The snapshots whose digest trailer is of a later zxid than their
    // name: txns were applied while they were written.
    let dir = server.version_dir();
    let mut fuzzy: Vec<(i64, PathBuf)> = datadir::snapshot_files(&dir)
        .into_iter()
        .filter_map(|path| {
            let loaded = load_snapshot_file(&path, &SnapshotReadOptions::default()).ok()?;
            let digest = loaded.trailers.digest?;
            (digest.zxid > loaded.zxid).then(|| (digest.zxid - loaded.zxid, path))
        })
        .collect();
    fuzzy.sort();
    assert!(
        !fuzzy.is_empty(),
        "no snapshot was written while txns were applied"
    );
    eprintln!(
        "fuzzy snapshots (txns applied while writing, file): {:?}",
        fuzzy
            .iter()
            .map(|(n, p)| (n, p.file_name().unwrap()))
            .collect::<Vec<_>>()
    );
    for (_, snapshot) in fuzzy.iter().rev().take(2) {
        let zxid = datadir::zxid_of(snapshot).expect("zxid");
        for &kind in restorers {
            // Only this snapshot and older ones: restore starts from it.
            let copy = tempfile::tempdir().expect("tempdir");
            datadir::copy_dir(&server.data_dir(), copy.path()).expect("copy");
            for newer in datadir::snapshot_files(&copy.path().join("version-2")) {
                if datadir::zxid_of(&newer).expect("zxid") > zxid {
                    fs::remove_file(newer).expect("rm");
                }
            }
            let mut other = ServerHandle::unstarted(kind, opts.clone().data_dir(copy.path()));
            other.start();
            let context = format!("{kind} from {}", snapshot.display());
            assert!(
                other
                    .log_text()
                    .contains(&snapshot.file_name().unwrap().to_string_lossy().into_owned()),
                "{context}: it read that snapshot"
            );
            assert_eq!(
                other.mntr_value("digest_mismatches_count"),
                "0",
                "{context}"
            );
            assert_same_tree(&tree, &dump_server(other.client_port()), &context);
        }
    }
}

/// A record that fails its checksum in a log file that restore only
/// skips through (its txns are older than the snapshot): Java's iterator
/// checks every record it reads, skipped or not, and refuses to start;
/// rzk must do what Java does.
#[test]
fn a_bad_checksum_before_the_snapshot() {
    let opts = ServerOptions::new();
    let mut server = RzkServer::start(opts.clone());
    {
        let mut zk = ZkClient::connect(server.client_port(), 30_000).expect("connect");
        for i in 0..20 {
            zk.create(&format!("/b{i:02}"), b"x").expect("create");
        }
        zk.close_session().expect("close");
    }
    // A graceful restart: a snapshot at the last zxid, then more txns in
    // a new file.
    server.restart();
    {
        let mut zk = ZkClient::connect(server.client_port(), 30_000).expect("connect");
        zk.create("/after", b"x").expect("create");
        zk.close_session().expect("close");
    }
    server.stop();
    let logs = datadir::log_files(&server.version_dir());
    assert_eq!(logs.len(), 2, "{logs:?}");
    let ends = record_ends(&logs[0]);
    let mut outcomes = Vec::new();
    for kind in [ServerKind::Java(JavaVersion::V3_9_5), ServerKind::Rzk] {
        let copy = tempfile::tempdir().expect("tempdir");
        datadir::copy_dir(&server.data_dir(), copy.path()).expect("copy");
        let first = datadir::log_files(&copy.path().join("version-2")).remove(0);
        Damage::Flip(ends[5].0 + 20).apply(&first);
        let mut other = ServerHandle::unstarted(kind, opts.clone().data_dir(copy.path()));
        other.launch();
        let deadline = Instant::now() + Duration::from_secs(60);
        let outcome = loop {
            if let Some(info) = other.srvr() {
                break Ok(info.zxid);
            }
            if other.wait_exit(Duration::from_millis(50)).is_some() {
                break Err(other.log_text());
            }
            assert!(
                Instant::now() < deadline,
                "{kind} neither served nor exited"
            );
        };
        outcomes.push(outcome);
    }
    // Java refuses ("CRC check failed", an IOException out of restore); so
    // does rzk.
    for (kind, outcome) in ["Java 3.9.5", "rzk"].iter().zip(&outcomes) {
        match outcome {
            Ok(zxid) => panic!("{kind} started (zxid {zxid:#x})"),
            Err(log) => assert!(log.contains("CRC check failed"), "{kind}: {log}"),
        }
    }
}

#[test]
fn fuzzy_rzk_snapshots_restore_in_rzk_and_java() {
    fuzzy_snapshots_restore(
        ServerKind::Rzk,
        &[ServerKind::Rzk, ServerKind::Java(JavaVersion::V3_9_5)],
    );
}

#[test]
fn fuzzy_java_snapshots_restore_in_rzk() {
    fuzzy_snapshots_restore(ServerKind::Java(JavaVersion::V3_9_5), &[ServerKind::Rzk]);
}
