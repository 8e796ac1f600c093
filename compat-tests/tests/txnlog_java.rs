//! The transaction log against Java's: rzk reads the logs real 3.9.5 and
//! 3.8.0 servers wrote, with every kind of txn, and dumps them exactly as
//! Java's `TxnLogToolkit` does; Java's toolkit, Java's own log iterator (the
//! one a server restores with, checking every checksum) and a Java 3.9.5
//! server read the logs rzk writes.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use bytes::Bytes;
use jute::data::{Id, ACL};
use jute::txn::{
    CheckVersionTxn, CloseSessionTxn, CreateContainerTxn, CreateSessionTxn, CreateTTLTxn,
    CreateTxn, DeleteTxn, SetACLTxn, SetDataTxn, TxnDigest,
};
use jute::Limits;
use rzk::proto::op;
use rzk::txn::{header, Txn, TxnBody};
use rzk::txnlog::dump::{self, DumpMode};
use rzk::txnlog::reader::{self, LogFileReader, ReadOptions, RecordRead};
use rzk::txnlog::{TxnLogSettings, TxnLogWriter};
use rzk_compat_tests::{
    deps, java, process, run_kazoo_script, JavaServer, JavaVersion, ProgramOutput, ServerOptions,
};

const COMMONS_CLI: &str = "/usr/share/java/commons-cli.jar";

/// Flags that make Java's dates and output encoding what rzk prints.
const LOCALE_FLAGS: [&str; 5] = [
    "-Duser.timezone=UTC",
    "-Duser.language=en",
    "-Duser.country=US",
    "-Dfile.encoding=UTF-8",
    "-Dsun.stdout.encoding=UTF-8",
];

/// Runs Java's `TxnLogToolkit` (dump mode) of `version` on `file`.
fn java_toolkit(version: JavaVersion, file: &Path) -> ProgramOutput {
    if !Path::new(COMMONS_CLI).is_file() {
        deps::missing(&format!(
            "{COMMONS_CLI} (Debian package libcommons-cli-java)"
        ));
    }
    let classpath = deps::client_classpath(version).with_entries([PathBuf::from(COMMONS_CLI)]);
    let mut cmd = Command::new(deps::java_bin());
    cmd.args(java::JVM_FLAGS)
        .args(&classpath.jvm_flags)
        .args(LOCALE_FLAGS)
        .arg("-cp")
        .arg(classpath.to_arg())
        .arg("org.apache.zookeeper.server.persistence.TxnLogToolkit")
        .arg(file);
    process::run(cmd, Duration::from_secs(60))
}

/// Java's log iterator over `dir` (`TxnlogRead`).
fn java_read(version: JavaVersion, dir: &Path) -> ProgramOutput {
    let program = java::compile("txnlog-read", &deps::client_classpath(version));
    let classpath = program.classpath();
    let mut cmd = Command::new(deps::java_bin());
    cmd.args(java::JVM_FLAGS)
        .args(&classpath.jvm_flags)
        .args(LOCALE_FLAGS)
        .arg("-cp")
        .arg(classpath.to_arg())
        .arg("TxnlogRead")
        .arg(dir);
    process::run(cmd, Duration::from_secs(60))
}

/// What `TxnlogRead` prints, from rzk's reading of `dir`.
fn rzk_read_lines(dir: &Path) -> String {
    let mut out = String::new();
    for txn in reader::read_from(dir, 0, ReadOptions::default()).unwrap() {
        let txn = txn.unwrap().txn;
        let class = match &txn.body {
            TxnBody::CreateSession(_) => "CreateSessionTxn",
            TxnBody::CloseSession(Some(_)) => "CloseSessionTxn",
            TxnBody::CloseSession(None) => "null",
            TxnBody::Create(_) | TxnBody::Create2(_) => "CreateTxn",
            TxnBody::CreateContainer(_) => "CreateContainerTxn",
            TxnBody::CreateTtl(_) => "CreateTTLTxn",
            TxnBody::Delete(_) | TxnBody::DeleteContainer(_) => "DeleteTxn",
            TxnBody::SetData(_) | TxnBody::Reconfig(_) => "SetDataTxn",
            TxnBody::SetAcl(_) => "SetACLTxn",
            TxnBody::Check(_) => "CheckVersionTxn",
            TxnBody::Error(_) => "ErrorTxn",
            TxnBody::Multi(_) => "MultiTxn",
        };
        let digest = txn
            .digest
            .as_ref()
            .map_or("-".to_string(), |d| d.tree_digest.to_string());
        out.push_str(&format!(
            "0x{:x} {} {digest} {class}\n",
            txn.zxid(),
            txn.header.r#type
        ));
    }
    out.push_str(&format!(
        "last 0x{:x}\n",
        reader::last_logged_zxid(dir, ReadOptions::default())
    ));
    out
}

/// rzk's dump of one file in the toolkit's format.
fn rzk_dump(file: &Path) -> String {
    let mut out = Vec::new();
    let mut notes = Vec::new();
    dump::dump_file(
        file,
        DumpMode::Java,
        Limits::default(),
        &mut out,
        &mut notes,
    )
    .unwrap_or_else(|e| panic!("{}: {e:?}", file.display()));
    assert!(notes.is_empty(), "{}", String::from_utf8_lossy(&notes));
    String::from_utf8(out).unwrap()
}

/// Checks that rzk dumps `file` exactly as the 3.9.5 toolkit does.
fn assert_dump_matches_java(file: &Path) {
    let java = java_toolkit(JavaVersion::V3_9_5, file);
    java.assert_success();
    let ours = rzk_dump(file);
    assert_eq!(
        ours,
        java.stdout,
        "rzk's dump of {} differs from TxnLogToolkit's",
        file.display()
    );
    assert!(!java.stdout.contains("CRC ERROR"), "{}", java.stdout);
}

fn log_files(dir: &Path) -> Vec<PathBuf> {
    reader::list_log_files(dir)
        .unwrap()
        .into_iter()
        .map(|f| f.path)
        .collect()
}

#[test]
fn rzk_reads_and_dumps_what_java_servers_wrote() {
    for version in JavaVersion::ALL {
        let opts = ServerOptions::with_cfg(&["extendedTypesEnabled=true"])
            .system_property("znode.container.checkIntervalMs", 100);
        let mut server = JavaServer::start(version, opts);
        let workload = java::compile("txnlog-workload", &deps::client_classpath(version));
        let out = workload.run("TxnlogWorkload", &[&server.connect_string()]);
        out.assert_success();
        assert_eq!(out.stdout, "done\n", "{}", out.describe());
        server.stop();
        let dir = server.data_dir().join("version-2");
        let files = log_files(&dir);
        assert!(!files.is_empty(), "{version} wrote no log");

        // The first file is preallocated as rzk preallocates.
        assert_eq!(
            fs::metadata(&files[0]).unwrap().len(),
            64 * 1024 * 1024 + 16,
            "{version}"
        );

        // Every record decodes, and re-encodes to the same bytes.
        let mut types = BTreeSet::new();
        for file in &files {
            let (mut reader, _) = LogFileReader::open_checked(file, Limits::default()).unwrap();
            while let RecordRead::Record(record) = reader.next_record().unwrap() {
                assert!(record.complete() && record.checksum_ok());
                let txn = Txn::decode(&record.bytes, Limits::default(), true).unwrap();
                assert_eq!(txn.to_bytes(), record.bytes, "{version}: {txn:?}");
                types.insert(dump::op_name(txn.header.r#type));
                if let TxnBody::Multi(ops) = &txn.body {
                    for op in ops {
                        types.insert(format!("multi/{}", dump::op_name(op.op())));
                    }
                }
            }
        }
        let expected = [
            "closeSession",
            "create",
            "create2",
            "createContainer",
            "createSession",
            "createTTL",
            "delete",
            "deleteContainer",
            "error",
            "multi",
            "multi/check",
            "multi/create",
            "multi/delete",
            "multi/error",
            "multi/setData",
            "setACL",
            "setData",
        ];
        for kind in expected {
            assert!(types.contains(kind), "{version}: no {kind} in {types:?}");
        }

        // rzk's dump is the toolkit's, line for line.
        for file in &files {
            assert_dump_matches_java(file);
        }
        // rzk's iterator sees what Java's does.
        let java = java_read(JavaVersion::V3_9_5, &dir);
        java.assert_success();
        assert_eq!(rzk_read_lines(&dir), java.stdout, "{version}");
    }
}

fn acl() -> Option<Vec<ACL>> {
    Some(vec![ACL {
        perms: 31,
        id: Id {
            scheme: Some("world".into()),
            id: Some("anyone".into()),
        },
    }])
}

fn create(path: &str, data: &[u8], parent_c_version: i32) -> CreateTxn {
    CreateTxn {
        path: Some(path.into()),
        data: Some(Bytes::copy_from_slice(data)),
        acl: acl(),
        ephemeral: false,
        parent_c_version,
    }
}

/// A txn of every kind, as a test would build them (the tree digests are
/// made up: nothing here replays them).
fn every_kind(first_zxid: i64, count: i64) -> Vec<Txn> {
    let session = 0x1000_0abc_0000_0001;
    (0..count)
        .map(|i| {
            let zxid = first_zxid + i;
            let path = format!("/n{i}");
            let body = match i % 14 {
                0 => TxnBody::CreateSession(CreateSessionTxn { time_out: 30000 }),
                1 => TxnBody::Create(create(&path, b"data", 1)),
                2 => TxnBody::Create2(create(&format!("/odd,}}%\n\u{e9}{i}"), b"\x00\xff\x80z", 2)),
                3 => TxnBody::SetData(SetDataTxn {
                    path: Some(path),
                    data: None,
                    version: 2,
                }),
                4 => TxnBody::Delete(DeleteTxn { path: Some(path) }),
                5 => TxnBody::error(-110),
                6 => TxnBody::CloseSession(Some(CloseSessionTxn {
                    paths2_delete: Some(vec!["/e1".into(), "/e,2".into()]),
                })),
                7 => TxnBody::CreateContainer(CreateContainerTxn {
                    path: Some(path),
                    data: Some(Bytes::new()),
                    acl: acl(),
                    parent_c_version: 4,
                }),
                8 => TxnBody::CreateTtl(CreateTTLTxn {
                    path: Some(path),
                    data: Some(Bytes::from_static(b"t")),
                    acl: acl(),
                    parent_c_version: 5,
                    ttl: 60_000,
                }),
                9 => TxnBody::SetAcl(SetACLTxn {
                    path: Some(path),
                    acl: Some(vec![]),
                    version: 1,
                }),
                10 => TxnBody::Multi(vec![
                    TxnBody::Create(create(&path, b"m", 3)),
                    TxnBody::Create2(create(&format!("{path}x"), b"m", 4)),
                    TxnBody::Check(CheckVersionTxn {
                        path: Some(path.clone()),
                        version: 0,
                    }),
                    TxnBody::SetData(SetDataTxn {
                        path: Some(path.clone()),
                        data: Some(Bytes::from_static(b"mm")),
                        version: 1,
                    }),
                    TxnBody::Delete(DeleteTxn { path: Some(path) }),
                ]),
                11 => TxnBody::Multi(vec![
                    TxnBody::error(0),
                    TxnBody::error(-101),
                    TxnBody::error(-2),
                ]),
                12 => TxnBody::Reconfig(SetDataTxn {
                    path: Some("/zookeeper/config".into()),
                    data: Some(Bytes::from_static(
                        b"server.1=127.0.0.1:2888:3888:participant;0.0.0.0:2181\nversion=100000000",
                    )),
                    version: -1,
                }),
                _ => TxnBody::DeleteContainer(DeleteTxn { path: Some(path) }),
            };
            Txn {
                header: header(
                    session + i % 2,
                    i as i32 - 2,
                    zxid,
                    1_700_000_000_000 + i * 1_234_567,
                    body.op(),
                ),
                digest: (i % 5 != 4).then_some(TxnDigest {
                    version: 2,
                    tree_digest: 0x1234_5678_9abc + i * 7919,
                }),
                body,
            }
        })
        .collect()
}

#[test]
fn java_reads_the_logs_rzk_writes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // Java's defaults (64 MiB preallocation, fsync), rolled twice.
    let mut writer = TxnLogWriter::open(dir, TxnLogSettings::default()).unwrap();
    let txns = every_kind(0x2_0000_0001, 45);
    for (i, txn) in txns.iter().enumerate() {
        writer.append(txn).unwrap();
        if i % 4 == 3 {
            writer.commit().unwrap();
        }
        if i == 20 || i == 30 {
            writer.roll().unwrap();
        }
    }
    writer.close().unwrap();
    let files = log_files(dir);
    assert_eq!(files.len(), 3);
    assert_eq!(
        fs::metadata(&files[0]).unwrap().len(),
        64 * 1024 * 1024 + 16
    );
    for file in &files {
        // The 3.9.5 toolkit prints what rzk prints, and no CRC error.
        assert_dump_matches_java(file);
        // So does 3.8.0's, which spells createTTL "createTtl".
        let old = java_toolkit(JavaVersion::V3_8_0, file);
        old.assert_success();
        assert_eq!(
            rzk_dump(file).replace(" createTTL ", " createTtl "),
            old.stdout,
            "3.8.0's toolkit on {}",
            file.display()
        );
    }
    // Java's own iterator (checksums checked) reads every txn, and agrees
    // on the last logged zxid; also from the middle.
    for version in JavaVersion::ALL {
        let java = java_read(version, dir);
        java.assert_success();
        assert_eq!(java.stdout, rzk_read_lines(dir), "{version}");
    }

    // A torn tail: the last record cut short, zeros after it. Java stops
    // where rzk stops.
    let last = files.last().unwrap();
    let mut bytes = fs::read(last).unwrap();
    let (mut reader, _) = LogFileReader::open_checked(last, Limits::default()).unwrap();
    let mut starts = Vec::new();
    while let RecordRead::Record(record) = reader.next_record().unwrap() {
        starts.push(record.offset as usize);
    }
    let cut = starts[starts.len() - 1] + 30;
    bytes[cut..].iter_mut().for_each(|b| *b = 0);
    fs::write(last, &bytes).unwrap();
    let java = java_read(JavaVersion::V3_9_5, dir);
    java.assert_success();
    assert_eq!(java.stdout, rzk_read_lines(dir));
    assert!(rzk_read_lines(dir).contains(&format!("last 0x{:x}", txns[43].zxid())));

    // A flipped bit in a record of the middle file: Java's iterator (and so
    // its server at startup) fails with "CRC check failed"; so does rzk's,
    // at that record.
    let middle = &files[1];
    let (mut reader, _) = LogFileReader::open_checked(middle, Limits::default()).unwrap();
    let RecordRead::Record(first) = reader.next_record().unwrap() else {
        panic!("no record in {}", middle.display());
    };
    let RecordRead::Record(second) = reader.next_record().unwrap() else {
        panic!("one record in {}", middle.display());
    };
    let mut bytes = fs::read(middle).unwrap();
    bytes[second.offset as usize + 12 + 20] ^= 0x10;
    fs::write(middle, &bytes).unwrap();
    let java = java_read(JavaVersion::V3_9_5, dir);
    assert!(!java.success());
    assert!(
        java.stderr.contains("CRC check failed"),
        "{}",
        java.describe()
    );
    let results: Vec<_> = reader::read_from(dir, 0, ReadOptions::default())
        .unwrap()
        .collect();
    match results.last().unwrap() {
        Err(rzk::txnlog::TxnLogError::ChecksumMismatch { offset, .. }) => {
            assert_eq!(*offset, second.offset);
            assert!(first.offset < second.offset);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_java_server_restores_from_a_log_rzk_wrote() {
    // Start a Java server once (it writes snapshot.0 of the empty tree),
    // stop it, give it a log written by rzk, and start it again: it replays
    // the log.
    let mut server = JavaServer::standalone(JavaVersion::V3_9_5, &[]);
    server.stop();
    let dir = server.data_dir().join("version-2");
    let session = 0x1000_0000_0000_0042_i64;
    let t = |zxid: i64, op: i32, body: TxnBody| Txn {
        header: header(session, zxid as i32, zxid, 1_700_000_000_000, op),
        body,
        digest: None,
    };
    let txns = vec![
        t(
            1,
            op::CREATE_SESSION,
            TxnBody::CreateSession(CreateSessionTxn { time_out: 30000 }),
        ),
        t(2, op::CREATE, TxnBody::Create(create("/rzk", b"hello", 1))),
        t(
            3,
            op::CREATE,
            TxnBody::Create(create("/rzk/child", b"c", 1)),
        ),
        t(
            4,
            op::SET_DATA,
            TxnBody::SetData(SetDataTxn {
                path: Some("/rzk".into()),
                data: Some(Bytes::from_static(b"from rzk")),
                version: 1,
            }),
        ),
        t(
            5,
            op::MULTI,
            TxnBody::Multi(vec![
                TxnBody::Create(create("/m", b"m", 3)),
                TxnBody::Delete(DeleteTxn {
                    path: Some("/m".into()),
                }),
            ]),
        ),
        t(6, op::ERROR, TxnBody::error(-110)),
        t(
            7,
            op::CLOSE_SESSION,
            TxnBody::CloseSession(Some(CloseSessionTxn {
                paths2_delete: Some(vec![]),
            })),
        ),
    ];
    let mut writer = TxnLogWriter::open(&dir, TxnLogSettings::default()).unwrap();
    for txn in &txns {
        writer.append(txn).unwrap();
    }
    writer.close().unwrap();
    let info = server.start();
    assert_eq!(info.zxid, 7, "{}", server.log_tail(40));
    // /, /zookeeper, /zookeeper/quota, /zookeeper/config, the alias, and
    // /rzk with its child.
    assert_eq!(info.node_count, 7);
    let script = r#"
import sys
from kazoo.client import KazooClient
zk = KazooClient(hosts=sys.argv[1], timeout=30)
zk.start(timeout=30)
data, stat = zk.get("/rzk")
print(data.decode(), stat.version, zk.get_children("/rzk"), zk.exists("/m"))
zk.stop()
zk.close()
"#;
    let out = run_kazoo_script(script, &[&server.connect_string()], Duration::from_secs(60));
    out.assert_success();
    assert_eq!(
        out.stdout,
        "from rzk 1 ['child'] None\n",
        "{}",
        out.describe()
    );
}

/// Fills `dir/version-2` with snapshots (valid and not) and logs (with odd
/// names too) for a purge.
fn purge_fixture(dir: &Path) {
    let v2 = dir.join("version-2");
    fs::create_dir_all(&v2).unwrap();
    let valid = [0u8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, b'/'];
    for z in [0x1_i64, 0x100000005, 0x100000009, 0x10000000d, 0x200000001] {
        fs::write(v2.join(format!("snapshot.{z:x}")), valid).unwrap();
    }
    fs::write(v2.join("snapshot.200000003.gz"), [0x1f, 0x8b, 8, 0]).unwrap();
    fs::write(v2.join("snapshot.300000000"), b"not a snapshot").unwrap();
    fs::write(v2.join("snapshot.xyz"), valid).unwrap();
    for z in [0x1_i64, 0x100000003, 0x100000007, 0x10000000c, 0x200000001] {
        fs::write(v2.join(format!("log.{z:x}")), b"log").unwrap();
    }
    fs::write(v2.join("log.zz"), b"odd").unwrap();
    fs::write(v2.join("log.6.bak"), b"odd").unwrap();
    fs::write(v2.join("other"), b"other").unwrap();
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir.join("version-2"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn purge_removes_what_java_purge_txn_log_removes() {
    for count in [3, 4] {
        let java_dir = tempfile::tempdir().unwrap();
        let rzk_dir = tempfile::tempdir().unwrap();
        purge_fixture(java_dir.path());
        purge_fixture(rzk_dir.path());
        let classpath = deps::client_classpath(JavaVersion::V3_9_5);
        let mut cmd = Command::new(deps::java_bin());
        cmd.args(java::JVM_FLAGS)
            .args(&classpath.jvm_flags)
            .arg("-cp")
            .arg(classpath.to_arg())
            .arg("org.apache.zookeeper.server.PurgeTxnLog")
            .arg(java_dir.path())
            .arg("-n")
            .arg(count.to_string());
        process::run(cmd, Duration::from_secs(60)).assert_success();
        let v2 = rzk_dir.path().join("version-2");
        let removed = rzk::txnlog::purge::purge(&v2, &v2, count).unwrap();
        assert!(removed.len() >= 5, "{removed:?}");
        assert_eq!(
            listing(rzk_dir.path()),
            listing(java_dir.path()),
            "-n {count}"
        );
    }
}
