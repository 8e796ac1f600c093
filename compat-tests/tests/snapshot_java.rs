//! Snapshots between Java and rzk, both ways:
//!
//! - rzk loads what Java 3.9.5 (none, gz, snappy) and 3.8.0 wrote, and gets
//!   the tree Java serves (data, stats, ACLs, read with kazoo) and the
//!   digest Java put in the trailer; `rzk snapshot` prints what Java's
//!   `SnapshotFormatter` prints for the same file (text, `-d`, `-json`);
//! - Java's `SnapshotFormatter` and `SnapshotComparer` read what rzk wrote
//!   and print what `rzk snapshot` prints;
//! - Java 3.9.5 and 3.8.0 start on a dataDir holding only an rzk snapshot
//!   and serve its tree.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use bytes::Bytes;
use rzk::jute::archive::Limits;
use rzk::jute::data::{Id, ACL};
use rzk::snapshot::tools::{self, CompareOptions, FormatOptions};
use rzk::snapshot::{
    find_valid_snapshots, load_latest_snapshot, write_snapshot_file, Durability, ReadOptions,
    SnapshotCompression, WriteOptions,
};
use rzk::tree::{DataTree, EphemeralType, OwnerEncoding, TreeConfig};
use rzk_compat_tests::{
    deps, process, run_kazoo_script, JavaServer, JavaVersion, ProgramOutput, ServerHandle,
    ServerOptions,
};

const SESSION: i64 = 0x1000_0000_0000_0001;

/// Walks the tree with kazoo (authenticated as digest u:p) and prints one
/// line per node: path, data (hex or NULL), the client stat, the ACL.
const DUMP: &str = r#"
import sys
from kazoo.client import KazooClient
zk = KazooClient(hosts=sys.argv[1], timeout=30, auth_data=[("digest", "u:p")])
zk.start(timeout=30)
out = []
def walk(path):
    data, st = zk.get(path)
    acls, _ = zk.get_acls(path)
    a = ";".join("%d:%s:%s" % (x.perms, x.id.scheme, x.id.id) for x in acls)
    d = "NULL" if data is None else data.hex()
    s = ",".join(str(v) for v in (st.czxid, st.mzxid, st.ctime, st.mtime, st.version,
        st.cversion, st.aversion, st.ephemeralOwner, st.dataLength, st.numChildren, st.pzxid))
    out.append("%s\t%s\t%s\t%s" % (path, d, s, a))
    for c in sorted(zk.get_children(path)):
        walk(path.rstrip("/") + "/" + c)
walk("/")
print("\n".join(out))
zk.stop()
zk.close()
"#;

/// Makes a varied tree through kazoo: data of several sizes, null data,
/// sequential nodes, digest and read-only ACLs, updates and deletes.
const FILL: &str = r#"
import sys
from kazoo.client import KazooClient
from kazoo.security import make_digest_acl, make_acl
zk = KazooClient(hosts=sys.argv[1], timeout=30, auth_data=[("digest", "u:p")])
zk.start(timeout=30)
both = [make_digest_acl("u", "p", all=True), make_acl("world", "anyone", read=True)]
zk.create("/a", b"hello")
zk.create("/a/b", b"x" * 300, acl=both)
for i in range(12):
    zk.create("/a/seq-", str(i).encode(), sequence=True)
zk.delete("/a/seq-0000000003")
zk.create("/nulldata")
zk.create("/unicode-\u00e9\u4e2d", "caf\u00e9".encode())
zk.create("/ro", b"", acl=[make_acl("world", "anyone", read=True)])
zk.set("/a", b"world")
zk.set_acls("/a/b", both)
for i in range(20):
    zk.create("/wide/n%03d" % i, bytes([i]) * i, makepath=True)
zk.stop()
zk.close()
"#;

fn kazoo(script: &str, server: &ServerHandle) -> String {
    let out = run_kazoo_script(script, &[&server.connect_string()], Duration::from_secs(90));
    out.assert_success();
    out.stdout
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The same lines as [`DUMP`], from a tree rzk loaded.
fn dump_tree(tree: &DataTree) -> Vec<String> {
    let mut lines = Vec::new();
    tree.for_each_preorder(|path, node| {
        let path = if path.is_empty() { "/" } else { path };
        let s = tree.client_stat(node);
        let data = node.data().map_or_else(|| "NULL".to_owned(), hex);
        let acl: Vec<String> = tree
            .node_acl(node)
            .expect("acl resolves")
            .iter()
            .map(|a| {
                format!(
                    "{}:{}:{}",
                    a.perms,
                    a.id.scheme.as_deref().unwrap_or(""),
                    a.id.id.as_deref().unwrap_or("")
                )
            })
            .collect();
        let stat = [
            s.czxid,
            s.mzxid,
            s.ctime,
            s.mtime,
            i64::from(s.version),
            i64::from(s.cversion),
            i64::from(s.aversion),
            s.ephemeral_owner,
            i64::from(s.data_length),
            i64::from(s.num_children),
            s.pzxid,
        ]
        .map(|v| v.to_string())
        .join(",");
        lines.push(format!("{path}\t{data}\t{stat}\t{}", acl.join(";")));
    });
    lines.sort();
    lines
}

fn sorted_lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines.sort();
    lines
}

/// Java's tools with the jars they need; logs go to stderr.
fn java_tool(version: JavaVersion, class: &str, args: &[&Path], flags: &[&str]) -> ProgramOutput {
    let cp = deps::client_classpath(version).with_entries([
        PathBuf::from(deps::DEBIAN_JAR_DIR).join("commons-cli.jar"),
        PathBuf::from(deps::DEBIAN_JAR_DIR).join("jackson-core.jar"),
    ]);
    let mut cmd = Command::new(deps::java_bin());
    cmd.args(&cp.jvm_flags)
        .arg("-Duser.timezone=UTC")
        .arg("-cp")
        .arg(cp.to_arg())
        .arg(format!("org.apache.zookeeper.server.{class}"))
        .args(flags)
        .args(args);
    let out = process::run(cmd, Duration::from_secs(120));
    out.assert_success();
    out
}

fn rzk_format(path: &Path, options: FormatOptions) -> String {
    let mut out = Vec::new();
    tools::format_snapshot(path, options, Limits::default(), &mut out).expect("rzk snapshot");
    String::from_utf8(out).expect("utf8")
}

/// Java's `SnapshotFormatter` and `rzk snapshot` agree on `file`: plain,
/// `-d`, and (3.9.5) `-json` but for its timestamp.
fn assert_formatters_agree(version: JavaVersion, file: &Path) {
    // The dates are in the local zone on both sides: make it UTC for both.
    assert_eq!(
        std::env::var("TZ").ok().as_deref().unwrap_or("UTC"),
        "UTC",
        "run with TZ=UTC (or unset on a UTC machine)"
    );
    for (flags, options) in [
        (&[][..], FormatOptions::default()),
        (
            &["-d"][..],
            FormatOptions {
                dump_data: true,
                ..FormatOptions::default()
            },
        ),
    ] {
        let java = java_tool(version, "SnapshotFormatter", &[file], flags);
        assert_eq!(
            rzk_format(file, options),
            java.stdout,
            "{version} {flags:?} {}",
            file.display()
        );
    }
    if version == JavaVersion::V3_9_5 {
        let java = java_tool(version, "SnapshotFormatter", &[file], &["-json"]);
        let ours = rzk_format(
            file,
            FormatOptions {
                json: true,
                ..FormatOptions::default()
            },
        );
        let strip = |s: &str| {
            let start = s.find("\"timestamp\":").expect("timestamp") + 12;
            let end = start + s[start..].find('}').expect("end");
            format!("{}{}", &s[..start], &s[end..])
        };
        assert_eq!(strip(&ours), strip(&java.stdout), "{}", file.display());
    }
}

// ----- Java writes, rzk reads ---------------------------------------------------------

fn rzk_reads_a_java_snapshot(version: JavaVersion, compression: &str) {
    let mut opts = ServerOptions::new().cfg("snapCount=100000");
    if !compression.is_empty() {
        opts = opts.system_property("zookeeper.snapshot.compression.method", compression);
    }
    let mut server = JavaServer::start(version, opts);
    kazoo(FILL, &server);
    // Java snapshots at startup, after replaying the log: the snapshot then
    // holds exactly the tree it serves.
    server.restart();
    let served = kazoo(DUMP, &server);
    server.stop();

    let dir = server.data_dir().join("version-2");
    let newest = find_valid_snapshots(&dir, 1).expect("list").remove(0);
    let name = newest.file_name().unwrap().to_string_lossy().into_owned();
    let ext = if compression.is_empty() {
        String::new()
    } else {
        format!(".{compression}")
    };
    assert!(name.ends_with(&ext) && name != "snapshot.0", "{name}");
    let loaded = load_latest_snapshot(&dir, &ReadOptions::default())
        .expect("load")
        .expect("a snapshot");
    assert_eq!(loaded.path.as_deref(), Some(newest.as_path()));
    let served = sorted_lines(&served);
    assert!(served.len() > 40, "{served:?}");
    assert!(served
        .iter()
        .any(|l| l.starts_with("/a/b\t") && l.contains("31:digest:u:")));
    assert_eq!(dump_tree(&loaded.tree), served, "{version} {name}");
    // The trailer's digest is the tree's (compared at load: no mismatch).
    let digest = loaded.trailers.digest.expect("digest trailer");
    assert_eq!(digest.zxid, loaded.zxid, "{name}");
    assert_eq!(digest.digest, loaded.tree.digest(), "{name}");
    assert_eq!(loaded.tree.digest_mismatches(), 0);
    assert_eq!(
        loaded.trailers.last_processed_zxid,
        (version == JavaVersion::V3_9_5).then_some(loaded.zxid)
    );
    assert_formatters_agree(version, &newest);
}

#[test]
fn rzk_reads_java_3_9_5_plain_snapshots() {
    rzk_reads_a_java_snapshot(JavaVersion::V3_9_5, "");
}

#[test]
fn rzk_reads_java_3_9_5_gzip_snapshots() {
    rzk_reads_a_java_snapshot(JavaVersion::V3_9_5, "gz");
}

#[test]
fn rzk_reads_java_3_9_5_snappy_snapshots() {
    rzk_reads_a_java_snapshot(JavaVersion::V3_9_5, "snappy");
}

#[test]
fn rzk_reads_java_3_8_0_snapshots() {
    rzk_reads_a_java_snapshot(JavaVersion::V3_8_0, "snappy");
}

// ----- rzk writes, Java reads ---------------------------------------------------------

fn acl(perms: i32, scheme: &str, id: &str) -> ACL {
    ACL {
        perms,
        id: Id {
            scheme: Some(scheme.into()),
            id: Some(id.into()),
        },
    }
}

/// A tree made with rzk's API: ephemerals of a live session, a container, a
/// TTL node, a quota, several ACLs, null and binary data, a wide level.
fn rzk_tree() -> DataTree {
    let mut tree = DataTree::new(TreeConfig {
        digest_enabled: true,
        owners: OwnerEncoding {
            extended_types_enabled: true,
            emulate_353_ttl_nodes: false,
        },
    });
    let read = vec![acl(1, "world", "anyone")];
    // digest u:p, as kazoo's make_digest_acl makes it.
    let both = vec![
        acl(31, "digest", "u:Jq7wMyA/w2Vd5WIDAKdu4OIIFEQ="),
        acl(1, "world", "anyone"),
    ];
    let mut t = Vec::new();
    let mut zxid = 0;
    let time = 1_763_000_000_000;
    let mut create =
        |tree: &mut DataTree, path: &str, data: Option<&[u8]>, acl: Option<&[ACL]>, owner: i64| {
            zxid += 1;
            tree.create_node(
                path,
                data.map(Bytes::copy_from_slice),
                acl,
                owner,
                -1,
                zxid,
                time + zxid,
                &mut t,
            )
            .unwrap_or_else(|e| panic!("{path}: {e}"));
            t.clear();
        };
    create(&mut tree, "/app", Some(b"config"), None, 0);
    create(&mut tree, "/app/locked", None, Some(&both), 0);
    create(&mut tree, "/app/ro", Some(b"\x00\x01\xff"), Some(&read), 0);
    create(&mut tree, "/app/eph", Some(b"mine"), None, SESSION);
    create(
        &mut tree,
        "/cont",
        None,
        None,
        rzk::tree::CONTAINER_EPHEMERAL_OWNER,
    );
    create(&mut tree, "/cont/child", Some(b"c"), None, 0);
    let ttl = EphemeralType::ttl_owner(600_000).expect("ttl");
    create(&mut tree, "/ttl", Some(b"t"), None, ttl);
    create(
        &mut tree,
        "/caf\u{e9}",
        Some("\u{4e2d}".as_bytes()),
        None,
        0,
    );
    create(&mut tree, "/zookeeper/quota/app", None, None, 0);
    create(
        &mut tree,
        "/zookeeper/quota/app/zookeeper_limits",
        Some(b"count=100,bytes=-1"),
        None,
        0,
    );
    create(
        &mut tree,
        "/zookeeper/quota/app/zookeeper_stats",
        Some(b"count=0,bytes=0"),
        None,
        0,
    );
    create(&mut tree, "/wide", None, None, 0);
    for i in 0..40 {
        create(
            &mut tree,
            &format!("/wide/n{i:03}"),
            Some(&vec![i as u8; i]),
            Some(&both),
            0,
        );
    }
    // Updates after creation.
    zxid += 1;
    tree.set_data(
        "/app",
        Some(Bytes::from_static(b"v2")),
        1,
        zxid,
        time + zxid,
        &mut t,
    )
    .expect("set");
    zxid += 1;
    tree.set_acl("/app/ro", Some(&both), 1).expect("setAcl");
    tree.set_last_processed_zxid(zxid);
    tree
}

#[test]
fn java_tools_read_rzk_snapshots() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tree = rzk_tree();
    let mut files = Vec::new();
    for (i, compression) in [
        SnapshotCompression::Checked,
        SnapshotCompression::Gzip,
        SnapshotCompression::Snappy,
    ]
    .into_iter()
    .enumerate()
    {
        let sub = dir.path().join(i.to_string());
        fs::create_dir_all(&sub).expect("mkdir");
        let options = WriteOptions {
            compression,
            last_processed_zxid: true,
        };
        let written =
            write_snapshot_file(&sub, &tree, [(SESSION, 30000)], &options, Durability::Plain)
                .expect("write");
        for version in [JavaVersion::V3_9_5, JavaVersion::V3_8_0] {
            assert_formatters_agree(version, &written.path);
        }
        files.push(written.path);
    }
    // SnapshotComparer: the gz snapshot against a changed tree's snappy one.
    let mut changed = tree.clone();
    let mut t = Vec::new();
    changed
        .delete_node("/app/ro", 1000, &mut t)
        .expect("delete");
    changed
        .create_node(
            "/new",
            Some(Bytes::from_static(b"12345678")),
            None,
            0,
            -1,
            1001,
            0,
            &mut t,
        )
        .expect("create");
    changed.set_last_processed_zxid(1001);
    let other = dir.path().join("changed");
    fs::create_dir_all(&other).expect("mkdir");
    let options = WriteOptions {
        compression: SnapshotCompression::Snappy,
        last_processed_zxid: true,
    };
    let right = write_snapshot_file(&other, &changed, [], &options, Durability::Atomic)
        .expect("write")
        .path;
    let left = &files[1];
    for (bytes, nodes, debug) in [(0, 0, false), (4, 1, true)] {
        let mut flags = vec![
            "-b".to_owned(),
            bytes.to_string(),
            "-n".to_owned(),
            nodes.to_string(),
        ];
        if debug {
            flags.push("-d".into());
        }
        let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        let lr = [
            "-l",
            &left.display().to_string(),
            "-r",
            &right.display().to_string(),
        ]
        .map(String::from);
        let mut all: Vec<&str> = lr.iter().map(String::as_str).collect();
        all.extend(&flags);
        let java = java_tool(JavaVersion::V3_9_5, "SnapshotComparer", &[], &all);
        let mut ours = Vec::new();
        tools::compare_snapshots(
            left,
            &right,
            CompareOptions {
                byte_threshold: bytes,
                node_threshold: nodes,
                debug,
            },
            Limits::default(),
            &mut ours,
        )
        .expect("compare");
        let untimed = |s: &str| -> Vec<String> {
            s.lines()
                .filter(|l| {
                    !l.starts_with("Deserialized snapshot in")
                        && !l.starts_with("Processed data tree in")
                })
                .map(str::to_owned)
                .collect()
        };
        assert_eq!(
            untimed(&String::from_utf8(ours).expect("utf8")),
            untimed(&java.stdout)
        );
    }
}

fn java_serves_an_rzk_snapshot(version: JavaVersion, compression: SnapshotCompression) {
    let opts = ServerOptions::new().system_property("zookeeper.extendedTypesEnabled", true);
    let mut server = JavaServer::start(version, opts);
    server.stop();
    // Only the rzk snapshot: no Java snapshot, no log.
    let dir = server.data_dir().join("version-2");
    fs::remove_dir_all(&dir).expect("rm version-2");
    fs::create_dir_all(&dir).expect("mkdir version-2");
    let tree = rzk_tree();
    let options = WriteOptions {
        compression,
        last_processed_zxid: true,
    };
    write_snapshot_file(&dir, &tree, [(SESSION, 30000)], &options, Durability::Plain)
        .expect("write");
    let info = server.start();
    assert_eq!(
        info.zxid,
        tree.last_processed_zxid(),
        "{version} serves from the snapshot's zxid"
    );
    let served = kazoo(DUMP, &server);
    let expected = dump_tree(&tree);
    let served = sorted_lines(&served);
    assert!(served.len() > 50, "{served:?}");
    assert_eq!(served, expected, "{version} {compression:?}");
    // The live session's ephemeral is there; the container and TTL nodes
    // show no owner, as in rzk.
    assert!(served
        .iter()
        .any(|l| l.starts_with("/app/eph\t") && l.contains(&SESSION.to_string())));
    let names: BTreeSet<&str> = served.iter().filter_map(|l| l.split('\t').next()).collect();
    assert!(names.contains("/ttl") && names.contains("/cont/child"));
    server.stop();
}

#[test]
fn java_3_9_5_serves_rzk_snapshots() {
    for compression in [
        SnapshotCompression::Checked,
        SnapshotCompression::Gzip,
        SnapshotCompression::Snappy,
    ] {
        java_serves_an_rzk_snapshot(JavaVersion::V3_9_5, compression);
    }
}

#[test]
fn java_3_8_0_serves_rzk_snapshots() {
    for compression in [SnapshotCompression::Checked, SnapshotCompression::Gzip] {
        java_serves_an_rzk_snapshot(JavaVersion::V3_8_0, compression);
    }
}
