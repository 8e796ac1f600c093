//! Unit tests: names, framing, round trips, Java-written files, the fuzzy
//! walk, the background writer, startup selection, the SNAP stream and the
//! tools.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use jute::archive::Limits;
use jute::data::{Id, StatPersisted, ACL};

use super::format::{parse_snapshot, NodeRecord, ParseOptions, SnapshotVisitor};
use super::stream::{
    decompressor, snappy_header, CheckedSink, SnappyJavaReader, SnappyJavaWriter, SNAPPY_BLOCK_SIZE,
};
use super::tools::{self, java_hash_order, java_hex16, java_string_hash};
use super::write::write_chunks;
use super::*;
use crate::tree::{open_acl_unsafe, read_acl_unsafe, DataTree, TreeConfig, ZxidDigest};
use crate::txn::TxnBody;
use jute::txn::{CreateTxn, SetDataTxn};

const ALL: [SnapshotCompression; 3] = [
    SnapshotCompression::Checked,
    SnapshotCompression::Gzip,
    SnapshotCompression::Snappy,
];

pub(crate) fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/snapshots")
        .join(name)
}

/// Everything about a tree that a snapshot must carry, in a comparable
/// form: per node its data, ACL list, stat and children; the ephemeral,
/// container and TTL indexes; the digest.
#[derive(Debug, PartialEq)]
pub(crate) struct Canonical {
    nodes: BTreeMap<String, CanonicalNode>,
    ephemerals: BTreeMap<i64, BTreeSet<String>>,
    containers: BTreeSet<String>,
    ttls: BTreeSet<String>,
    digest: i64,
}

/// A node's data, ACL list, stat and children's names.
type CanonicalNode = (
    Option<Bytes>,
    Option<Vec<ACL>>,
    StatPersisted,
    BTreeSet<String>,
);

/// Asserts two canonical forms are equal, showing only what differs.
#[track_caller]
pub(crate) fn assert_same(a: &Canonical, b: &Canonical, what: &str) {
    if a == b {
        return;
    }
    for (path, node) in &a.nodes {
        match b.nodes.get(path) {
            None => panic!("{what}: {path} only on the left: {node:?}"),
            Some(other) if other != node => {
                panic!("{what}: {path} differs:\n  {node:?}\n  {other:?}")
            }
            _ => {}
        }
    }
    for path in b.nodes.keys() {
        assert!(
            a.nodes.contains_key(path),
            "{what}: {path} only on the right"
        );
    }
    assert_eq!(a.ephemerals, b.ephemerals, "{what}: ephemerals");
    assert_eq!(a.containers, b.containers, "{what}: containers");
    assert_eq!(a.ttls, b.ttls, "{what}: ttls");
    assert_eq!(a.digest, b.digest, "{what}: digest");
}

pub(crate) fn canonical(tree: &DataTree) -> Canonical {
    let mut nodes = BTreeMap::new();
    tree.for_each_preorder(|path, node| {
        nodes.insert(
            path.to_owned(),
            (
                node.data_bytes(),
                tree.node_acl(node).map(|a| a.to_vec()),
                node.stat().clone(),
                tree.children_of(node)
                    .map(|(_, c)| c.name().to_owned())
                    .collect(),
            ),
        );
    });
    Canonical {
        nodes,
        ephemerals: tree
            .all_ephemerals()
            .filter(|(_, set)| !set.is_empty())
            .map(|(s, set)| (s, set.iter().cloned().collect()))
            .collect(),
        containers: tree.containers().map(str::to_owned).collect(),
        ttls: tree.ttls().map(str::to_owned).collect(),
        digest: tree.digest(),
    }
}

fn acl(scheme: &str, id: &str, perms: i32) -> ACL {
    ACL {
        perms,
        id: Id {
            scheme: Some(scheme.into()),
            id: Some(id.into()),
        },
    }
}

/// A tree with every kind of node, non-ASCII names, null and empty data.
pub(crate) fn sample_tree() -> DataTree {
    let config = TreeConfig {
        digest_enabled: true,
        owners: crate::tree::OwnerEncoding {
            extended_types_enabled: true,
            emulate_353_ttl_nodes: false,
        },
    };
    let mut tree = DataTree::new(config);
    let mut zxid = 0;
    let mut t = Vec::new();
    let digest_acl = vec![acl("digest", "u:p", 31), acl("world", "anyone", 1)];
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
                1_700_000_000_000 + zxid,
                &mut t,
            )
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        };
    create(&mut tree, "/a", Some(b"hello"), None, 0);
    create(&mut tree, "/a/b", None, Some(&digest_acl), 0);
    create(&mut tree, "/a/b/c", Some(b""), Some(&read_acl_unsafe()), 0);
    create(
        &mut tree,
        "/eph",
        Some(b"e"),
        Some(&open_acl_unsafe()),
        0x1000_0000_0000_0001,
    );
    create(
        &mut tree,
        "/cont",
        Some(b"c"),
        None,
        crate::tree::CONTAINER_EPHEMERAL_OWNER,
    );
    let ttl = crate::tree::EphemeralType::ttl_owner(5000).expect("ttl");
    create(&mut tree, "/ttl", Some(b"t"), None, ttl);
    create(
        &mut tree,
        "/caf\u{e9}-\u{4e2d}",
        Some("\u{e9}t\u{e9}-\u{1F600}".as_bytes()),
        None,
        0,
    );
    create(&mut tree, "/zookeeper/quota/a", None, None, 0);
    create(
        &mut tree,
        "/zookeeper/quota/a/zookeeper_limits",
        Some(b"count=10,bytes=-1"),
        None,
        0,
    );
    create(
        &mut tree,
        "/zookeeper/quota/a/zookeeper_stats",
        Some(b"count=1,bytes=5"),
        None,
        0,
    );
    for i in 0..50 {
        create(
            &mut tree,
            &format!("/wide-{i}"),
            Some(&vec![i as u8; i]),
            Some(&digest_acl),
            0,
        );
    }
    tree.set_last_processed_zxid(zxid);
    tree
}

fn sessions() -> Vec<(i64, i32)> {
    vec![
        (0x1000_0000_0000_0001, 30000),
        (0x1000_0000_0000_0002, 4000),
        (-5, 1),
    ]
}

fn snapshot_bytes(tree: &DataTree, compression: SnapshotCompression) -> Vec<u8> {
    let options = WriteOptions {
        compression,
        last_processed_zxid: true,
    };
    write_snapshot(Vec::new(), tree, sessions(), &options)
        .expect("write")
        .0
}

fn read_bytes(
    bytes: &[u8],
    compression: SnapshotCompression,
    zxid: i64,
    config: TreeConfig,
) -> Result<LoadedSnapshot, SnapshotError> {
    let input = decompressor(bytes, compression)?;
    read_snapshot(
        input,
        zxid,
        &ReadOptions {
            tree: config,
            ..ReadOptions::default()
        },
    )
}

// ----- names -------------------------------------------------------------------------

#[test]
fn file_names_are_javas() {
    assert_eq!(
        snapshot_file_name(0, SnapshotCompression::Checked),
        "snapshot.0"
    );
    assert_eq!(
        snapshot_file_name(0x1_0000_002a, SnapshotCompression::Gzip),
        "snapshot.10000002a.gz"
    );
    assert_eq!(
        snapshot_file_name(-1, SnapshotCompression::Snappy),
        "snapshot.ffffffffffffffff.snappy"
    );
    assert_eq!(zxid_from_name("snapshot.1a", "snapshot"), 0x1a);
    assert_eq!(zxid_from_name("snapshot.1a.gz", "snapshot"), 0x1a);
    assert_eq!(zxid_from_name("snapshot.1a.tmp", "snapshot"), 0x1a);
    assert_eq!(zxid_from_name("snapshot.-2", "snapshot"), -2);
    assert_eq!(zxid_from_name("snapshot.ffffffffffffffff", "snapshot"), -1);
    assert_eq!(zxid_from_name("snapshot.x", "snapshot"), -1);
    assert_eq!(zxid_from_name("snapshot", "snapshot"), -1);
    assert_eq!(zxid_from_name("snapshot.", "snapshot"), -1);
    assert_eq!(zxid_from_name("log.10", "snapshot"), -1);
    assert_eq!(zxid_from_name("log.10", "log"), 0x10);
    assert_eq!(
        compression_from_name("snapshot.1"),
        SnapshotCompression::Checked
    );
    assert_eq!(
        compression_from_name("snapshot.1.GZ"),
        SnapshotCompression::Gzip
    );
    assert_eq!(
        compression_from_name("snapshot.1.Snappy"),
        SnapshotCompression::Snappy
    );
    assert_eq!(
        compression_from_name("snapshot.1.gz.tmp"),
        SnapshotCompression::Checked
    );
    assert_eq!(
        compression_from_name("snapshot"),
        SnapshotCompression::Checked
    );
}

// ----- the layout ------------------------------------------------------------------------

/// A fresh tree's snapshot has exactly the layout of Java's `snapshot.0`
/// (checked against a 3.9.5 file, whose node order may differ).
#[test]
fn a_fresh_tree_is_written_like_java_snapshot_0() {
    let java = fs::read(fixture("3.9.5/snapshot.0")).expect("fixture");
    let ours = write_snapshot(
        Vec::new(),
        &DataTree::default(),
        [],
        &WriteOptions::default(),
    )
    .expect("write")
    .0;
    assert_eq!(ours.len(), java.len());
    // Header, no sessions, the ACL cache {1: world:anyone READ}.
    let head = 16 + 4 + 4 + 8 + 4 + 4 + (4 + 5) + (4 + 6);
    assert_eq!(ours[..head], java[..head]);
    // The nodes, as a set of records.
    let records = |bytes: &[u8]| {
        let mut v = Records::default();
        parse_snapshot(bytes, &ParseOptions::default(), &mut v).expect("parse");
        v.nodes.sort_by(|a, b| a.path.cmp(&b.path));
        v.nodes
    };
    assert_eq!(records(&ours), records(&java));
    // Seal, empty digest {0, 2, 0}, seal, lastProcessedZxid 0, seal: the
    // seals differ only if the node order does.
    let tail = 13 + 20 + 13 + 8 + 13;
    let (o, j) = (&ours[ours.len() - tail..], &java[java.len() - tail..]);
    assert_eq!(o[13..33], j[13..33]);
    assert_eq!(o[46..54], j[46..54]);
    assert_eq!(o[8..13], [0, 0, 0, 1, b'/']);
}

#[derive(Default)]
struct Records {
    sessions: Vec<(i64, i32)>,
    acls: Vec<(i64, Vec<ACL>)>,
    nodes: Vec<NodeRecord>,
    ended: bool,
}

impl SnapshotVisitor for Records {
    fn session(&mut self, id: i64, timeout_ms: i32) -> Result<(), SnapshotError> {
        self.sessions.push((id, timeout_ms));
        Ok(())
    }
    fn acl(&mut self, index: i64, acl: Vec<ACL>) -> Result<(), SnapshotError> {
        self.acls.push((index, acl));
        Ok(())
    }
    fn node(&mut self, node: NodeRecord) -> Result<(), SnapshotError> {
        self.nodes.push(node);
        Ok(())
    }
    fn end_of_tree(&mut self) {
        self.ended = true;
    }
}

#[test]
fn nodes_come_in_preorder_with_the_root_as_empty_path() {
    let tree = sample_tree();
    let bytes = snapshot_bytes(&tree, SnapshotCompression::Checked);
    let mut v = Records::default();
    let trailers = parse_snapshot(&bytes[..], &ParseOptions::default(), &mut v).expect("parse");
    assert_eq!(v.nodes[0].path, "");
    let mut seen = BTreeSet::new();
    for n in &v.nodes {
        if !n.path.is_empty() {
            let parent = &n.path[..n.path.rfind('/').expect("slash")];
            assert!(seen.contains(parent), "{} before its parent", n.path);
        }
        assert!(seen.insert(n.path.clone()), "{} twice", n.path);
    }
    assert_eq!(seen.len(), tree.node_count() - 1);
    assert_eq!(v.sessions, sessions());
    // The ACL cache in index order, as the tree holds it.
    let cache: Vec<(i64, Vec<ACL>)> = tree
        .acl_cache()
        .iter()
        .map(|(i, a)| (i, a.to_vec()))
        .collect();
    assert_eq!(v.acls, cache);
    assert!(trailers.sealed);
    assert_eq!(
        trailers.digest,
        Some(ZxidDigest {
            zxid: 0,
            digest_version: 2,
            digest: 0
        }),
        "no transaction was applied, so no digest is known"
    );
    assert_eq!(
        trailers.last_processed_zxid,
        Some(tree.last_processed_zxid())
    );
    assert_eq!(trailers.consumed, bytes.len() as u64);
}

#[test]
fn trailers_follow_the_settings() {
    let mut tree = sample_tree();
    // A digest after a transaction.
    let zxid = tree.last_processed_zxid() + 1;
    tree.apply(&crate::tree::tests::txn_at(
        1,
        zxid,
        5,
        TxnBody::SetData(SetDataTxn {
            path: Some("/a".into()),
            data: None,
            version: 1,
        }),
    ));
    let digest = tree.last_zxid_digest().expect("digest");
    for lpz in [false, true] {
        let options = WriteOptions {
            compression: SnapshotCompression::Checked,
            last_processed_zxid: lpz,
        };
        let bytes = write_snapshot(Vec::new(), &tree, [], &options)
            .expect("write")
            .0;
        let t = parse_snapshot(
            &bytes[..],
            &ParseOptions::default(),
            &mut Records::default(),
        )
        .expect("parse");
        assert_eq!(t.digest, Some(digest));
        assert_eq!(t.last_processed_zxid, lpz.then_some(zxid));
        // 3.8.0 reads only the digest and ignores the rest.
        let t38 = parse_snapshot(
            &bytes[..],
            &ParseOptions {
                read_last_processed_zxid: false,
                ..ParseOptions::default()
            },
            &mut Records::default(),
        )
        .expect("parse as 3.8");
        assert_eq!(t38.digest, Some(digest));
    }
    // digest.enabled=false: no digest trailer.
    let mut off = DataTree::new(TreeConfig {
        digest_enabled: false,
        ..TreeConfig::default()
    });
    off.set_last_processed_zxid(7);
    let bytes = write_snapshot(Vec::new(), &off, [], &WriteOptions::default())
        .expect("write")
        .0;
    let t = parse_snapshot(
        &bytes[..],
        &ParseOptions {
            read_digest: false,
            ..ParseOptions::default()
        },
        &mut Records::default(),
    )
    .expect("parse");
    assert_eq!((t.digest, t.last_processed_zxid), (None, Some(7)));
}

/// Java reads the digest trailer only with `digest.enabled`; without it,
/// a 3.9 reader takes the digest's zxid for the lastProcessedZxid trailer
/// and the next seal fails, so such a snapshot is skipped (Java too).
#[test]
fn a_reader_without_digest_rejects_a_snapshot_with_a_digest_trailer_like_java() {
    let bytes = snapshot_bytes(&sample_tree(), SnapshotCompression::Checked);
    let config = TreeConfig {
        digest_enabled: false,
        ..TreeConfig::default()
    };
    assert!(read_bytes(&bytes, SnapshotCompression::Checked, 1, config).is_err());
    // Without the 3.9 trailer setting it loads (the rest is ignored).
    let options = ReadOptions {
        tree: config,
        read_last_processed_zxid: false,
        ..ReadOptions::default()
    };
    let loaded = read_snapshot(&bytes[..], 1, &options).expect("load");
    assert_eq!(loaded.trailers.digest, None);
}

// ----- round trips -------------------------------------------------------------------------

#[test]
fn every_compression_round_trips_a_tree() {
    let tree = sample_tree();
    for compression in ALL {
        let bytes = snapshot_bytes(&tree, compression);
        let loaded = read_bytes(
            &bytes,
            compression,
            tree.last_processed_zxid(),
            *tree.config(),
        )
        .unwrap_or_else(|e| panic!("{compression:?}: {e}"));
        assert_same(
            &canonical(&loaded.tree),
            &canonical(&tree),
            &format!("{compression:?}"),
        );
        assert_eq!(loaded.sessions, sessions().into_iter().collect());
        assert_eq!(
            loaded.tree.last_processed_zxid(),
            tree.last_processed_zxid()
        );
        assert_eq!(
            loaded.tree.approximate_data_size(),
            tree.scan_approximate_data_size()
        );
        // The ACL cache: same entries and reference counts.
        let entries = |t: &DataTree| -> Vec<(i64, Vec<ACL>, Option<i64>)> {
            t.acl_cache()
                .iter()
                .map(|(i, a)| (i, a.to_vec(), t.acl_cache().ref_count(i)))
                .collect()
        };
        assert_eq!(entries(&loaded.tree), entries(&tree));
        assert_eq!(
            loaded.tree.acl_cache().last_index(),
            tree.acl_cache().last_index()
        );
        // Quotas are rebuilt: the stat node is recounted (1 node, 5 bytes).
        assert_eq!(
            loaded.tree.max_prefix_with_quota("/a/b").as_deref(),
            Some("/a")
        );
        crate::tree::tests::check_invariants(&loaded.tree);
    }
}

#[test]
fn unused_acl_entries_are_purged_and_unknown_indexes_tolerated() {
    // A hand-made snapshot: ACL entries 1 (used), 2 (unused), a node with
    // an index that is not in the cache.
    let mut body = Vec::new();
    format::put_header(&mut body);
    body.extend_from_slice(&0i32.to_be_bytes());
    body.extend_from_slice(&2i32.to_be_bytes());
    for index in [1i64, 2] {
        body.extend_from_slice(&index.to_be_bytes());
        format::put_acl_list(&mut body, &[acl("world", "anyone", index as i32)]);
    }
    let stat = StatPersisted::default();
    format::put_node(&mut body, "", Some(b""), -1, &stat);
    format::put_node(&mut body, "/x", None, 1, &stat);
    format::put_node(&mut body, "/y", None, 9, &stat);
    format::put_terminator(&mut body);
    let (bytes, _) = write_chunks(
        Vec::new(),
        SnapshotCompression::Checked,
        [
            Chunk::Data(body),
            Chunk::End(Trailer {
                digest: None,
                last_processed_zxid: None,
            }),
        ],
    )
    .expect("write");
    let loaded = read_bytes(
        &bytes,
        SnapshotCompression::Checked,
        3,
        TreeConfig::default(),
    )
    .expect("load");
    let cache: Vec<i64> = loaded.tree.acl_cache().iter().map(|(i, _)| i).collect();
    assert_eq!(cache, vec![1]);
    assert_eq!(loaded.tree.acl_cache().ref_count(1), Some(1));
    // Index 9 is referred to: new lists get 10 and up.
    assert_eq!(loaded.tree.acl_cache().last_index(), 9);
    assert!(loaded.tree.node("/y").is_some());
    assert_eq!(
        loaded.tree.acl("/y").err(),
        Some(crate::proto::ErrorCode::MarshallingError)
    );
    // No digest trailer at all: tolerated (EOF), nothing pending.
    assert_eq!(loaded.trailers.digest, None);
    assert_eq!(loaded.tree.pending_snapshot_digest(), None);
}

#[test]
fn java_written_snapshots_load_with_their_digest() {
    for (name, zxid, nodes) in [
        ("3.9.5/snapshot.35.gz", 0x35, 54),
        ("3.9.5/snapshot.33.snappy", 0x33, 52),
        ("3.9.5/snapshot.36", 0x36, 53),
        ("3.8.0/snapshot.2b", 0x2b, 44),
        ("3.8.0/snapshot.24.snappy", 0x24, 39),
        ("3.8.0/snapshot.2d.gz", 0x2d, 47),
        ("3.9.5/snapshot.0", 0, 4),
    ] {
        let loaded = load_snapshot_file(&fixture(name), &ReadOptions::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(loaded.zxid, zxid, "{name}");
        assert_eq!(loaded.tree.last_processed_zxid(), zxid, "{name}");
        assert_eq!(loaded.tree.node_count() - 1, nodes, "{name}");
        assert!(loaded.trailers.sealed);
        let digest = loaded.trailers.digest.expect("digest trailer");
        if digest.zxid == 0 {
            // A fresh server knows no digest yet: {0, 2, 0}.
            assert_eq!((digest.digest_version, digest.digest), (2, 0), "{name}");
        } else if digest.zxid == zxid {
            // Taken while idle: the digest is the loaded tree's, compared
            // at once.
            assert_eq!(digest.digest, loaded.tree.digest(), "{name}");
            assert_eq!(loaded.tree.pending_snapshot_digest(), None, "{name}");
        } else if digest.zxid > zxid {
            // Fuzzy (3.8.0/snapshot.2d.gz: a write landed during the
            // walk): compared when replay reaches it.
            assert_eq!(
                loaded.tree.pending_snapshot_digest(),
                Some(digest),
                "{name}"
            );
        } else {
            panic!("{name}: a digest older than the snapshot");
        }
        assert_eq!(loaded.tree.digest_mismatches(), 0, "{name}");
        assert_eq!(
            loaded.trailers.last_processed_zxid,
            name.starts_with("3.9.5").then_some(zxid),
            "{name}"
        );
        crate::tree::tests::check_invariants(&loaded.tree);
        // What kazoo made (see compat-tests): /eph is an ephemeral of the
        // only session; /acl has a digest ACL; /unié is there.
        if zxid != 0 {
            let eph = loaded
                .tree
                .node("/eph")
                .expect("/eph")
                .stat()
                .ephemeral_owner;
            assert_eq!(
                loaded.sessions.keys().copied().collect::<Vec<_>>(),
                vec![eph]
            );
            assert_eq!(
                loaded.tree.ephemerals(eph).collect::<Vec<_>>(),
                vec!["/eph"]
            );
            assert_eq!(
                loaded.tree.acl("/acl").expect("acl")[0]
                    .id
                    .scheme
                    .as_deref(),
                Some("digest")
            );
            if zxid >= 0x2b {
                assert_eq!(
                    loaded
                        .tree
                        .get_data("/uni\u{e9}")
                        .expect("unié")
                        .0
                        .as_deref(),
                    Some("caf\u{e9}".as_bytes())
                );
            }
            assert_eq!(
                loaded.tree.acl("/zookeeper/config").expect("config")[..],
                read_acl_unsafe()[..]
            );
        }
        // Written back by rzk, they read the same.
        for compression in ALL {
            let options = WriteOptions {
                compression,
                last_processed_zxid: true,
            };
            let sessions: Vec<(i64, i32)> = loaded.sessions.iter().map(|(&k, &v)| (k, v)).collect();
            let bytes = write_snapshot(Vec::new(), &loaded.tree, sessions, &options)
                .expect("write")
                .0;
            let again =
                read_bytes(&bytes, compression, zxid, TreeConfig::default()).expect("reload");
            assert_same(
                &canonical(&again.tree),
                &canonical(&loaded.tree),
                &format!("{name} {compression:?}"),
            );
        }
    }
}

#[test]
fn the_snapshot_digest_is_compared_at_load_or_when_replay_reaches_it() {
    let mut tree = sample_tree();
    let z = tree.last_processed_zxid();
    let set = |zxid: i64, data: &'static [u8], v: i32| {
        crate::tree::tests::txn_at(
            1,
            zxid,
            zxid,
            TxnBody::SetData(SetDataTxn {
                path: Some("/a".into()),
                data: Some(Bytes::from_static(data)),
                version: v,
            }),
        )
    };
    tree.apply(&set(z + 1, b"1", 1));
    // Non-fuzzy: the digest's zxid is the file's; compared at once.
    let bytes = snapshot_bytes(&tree, SnapshotCompression::Checked);
    let loaded =
        read_bytes(&bytes, SnapshotCompression::Checked, z + 1, *tree.config()).expect("load");
    assert_eq!(loaded.tree.pending_snapshot_digest(), None);
    assert_eq!(loaded.tree.digest_mismatches(), 0);
    // A corrupted digest value (seals recomputed): a mismatch, not an error.
    let body_end = bytes.len() - (13 + 20 + 13 + 8 + 13);
    let mut digest = bytes[body_end + 13..body_end + 33].to_vec();
    digest[19] ^= 1;
    let mut sink = CheckedSink::new(Vec::new(), SnapshotCompression::Checked);
    sink.write_bytes(&bytes[..body_end]).expect("w");
    sink.seal().expect("w");
    sink.write_bytes(&digest).expect("w");
    sink.seal().expect("w");
    let resealed = sink.finish().expect("finish");
    let loaded = read_bytes(
        &resealed,
        SnapshotCompression::Checked,
        z + 1,
        *tree.config(),
    )
    .expect("load");
    assert_eq!(loaded.tree.digest_mismatches(), 1);
    // Fuzzy: the file says z, the digest is at z+1: pending until replay.
    let loaded = read_bytes(&bytes, SnapshotCompression::Checked, z, *tree.config()).expect("load");
    assert_eq!(
        loaded.tree.pending_snapshot_digest().map(|d| d.zxid),
        Some(z + 1)
    );
    let mut replayed = loaded.tree;
    replayed.apply(&set(z + 1, b"1", 1));
    assert_eq!(replayed.pending_snapshot_digest(), None);
    assert_eq!(replayed.digest_mismatches(), 0);
}

// ----- damage ---------------------------------------------------------------------------------

#[test]
fn every_truncation_is_an_error_or_drops_only_trailers() {
    let tree = sample_tree();
    let bytes = snapshot_bytes(&tree, SnapshotCompression::Checked);
    let full = parse_snapshot(
        &bytes[..],
        &ParseOptions::default(),
        &mut Records::default(),
    )
    .expect("full");
    let seal1_end = full.body_len as usize + 13;
    for len in 0..bytes.len() {
        let result = parse_snapshot(
            &bytes[..len],
            &ParseOptions::default(),
            &mut Records::default(),
        );
        match result {
            Ok(t) => {
                // Only an end inside a trailer (not inside a seal after one)
                // is tolerated.
                assert!(
                    len >= seal1_end,
                    "truncated at {len} of {} but read",
                    bytes.len()
                );
                assert!(
                    t.digest.is_none() || t.last_processed_zxid.is_none(),
                    "at {len}"
                );
            }
            Err(_) => assert!(len != seal1_end, "at {len}"),
        }
    }
    // Compressed streams cut short fail or lose trailers too, never panic.
    for compression in [SnapshotCompression::Gzip, SnapshotCompression::Snappy] {
        let bytes = snapshot_bytes(&tree, compression);
        for len in (0..bytes.len()).step_by(7) {
            let _ = read_bytes(&bytes[..len], compression, 1, TreeConfig::default());
        }
    }
}

#[test]
fn a_flipped_bit_in_the_tree_breaks_the_seal() {
    let tree = sample_tree();
    let bytes = snapshot_bytes(&tree, SnapshotCompression::Checked);
    let full = parse_snapshot(
        &bytes[..],
        &ParseOptions::default(),
        &mut Records::default(),
    )
    .expect("full");
    let mut checksum_errors = 0;
    for at in (16..full.body_len as usize).step_by(11) {
        let mut bad = bytes.clone();
        bad[at] ^= 0x10;
        match read_bytes(&bad, SnapshotCompression::Checked, 1, TreeConfig::default()) {
            Ok(_) => panic!("a flipped bit at {at} went unnoticed"),
            Err(SnapshotError::Checksum { seal: 1, .. }) => checksum_errors += 1,
            Err(_) => {}
        }
    }
    assert!(checksum_errors > 10);
    // The other seals.
    for (cut, seal) in [(13 + 8 + 13 + 1, 2u8), (1, 3)] {
        let mut bad = bytes.clone();
        let at = bad.len() - cut - 13;
        bad[at] ^= 1;
        match read_bytes(&bad, SnapshotCompression::Checked, 1, TreeConfig::default()) {
            Err(SnapshotError::Checksum { seal: s, .. }) => assert_eq!(s, seal),
            other => panic!("seal {seal}: {other:?}"),
        }
    }
}

#[test]
fn bad_headers_lengths_and_nulls_are_errors() {
    let tree = sample_tree();
    let mut bytes = snapshot_bytes(&tree, SnapshotCompression::Checked);
    bytes[0] = b'X';
    assert!(matches!(
        read_bytes(
            &bytes,
            SnapshotCompression::Checked,
            1,
            TreeConfig::default()
        ),
        Err(SnapshotError::BadMagic(_))
    ));
    // A data buffer longer than jute.maxbuffer + extra.
    let mut big = DataTree::default();
    let mut t = Vec::new();
    big.create_node(
        "/big",
        Some(Bytes::from(vec![7u8; 3 << 20])),
        None,
        0,
        -1,
        1,
        1,
        &mut t,
    )
    .expect("create");
    let bytes = snapshot_bytes(&big, SnapshotCompression::Checked);
    assert!(matches!(
        read_bytes(&bytes, SnapshotCompression::Checked, 1, TreeConfig::default()),
        Err(SnapshotError::BadLength { length, .. }) if length == 3 << 20
    ));
    let options = ReadOptions {
        limits: Limits::new(4 << 20, None),
        ..ReadOptions::default()
    };
    assert!(read_snapshot(&bytes[..], 1, &options).is_ok());
    // A null ACL list and a child before its parent.
    let mut body = Vec::new();
    format::put_header(&mut body);
    body.extend_from_slice(&0i32.to_be_bytes());
    body.extend_from_slice(&1i32.to_be_bytes());
    body.extend_from_slice(&1i64.to_be_bytes());
    body.extend_from_slice(&(-1i32).to_be_bytes());
    assert!(matches!(
        read_bytes(
            &body,
            SnapshotCompression::Checked,
            1,
            TreeConfig::default()
        ),
        Err(SnapshotError::Null {
            what: "ACL list",
            ..
        })
    ));
    let mut body = Vec::new();
    format::put_header(&mut body);
    body.extend_from_slice(&[0; 8]);
    format::put_node(&mut body, "", None, -1, &StatPersisted::default());
    format::put_node(&mut body, "/a/b", None, -1, &StatPersisted::default());
    assert!(matches!(
        read_bytes(
            &body,
            SnapshotCompression::Checked,
            1,
            TreeConfig::default()
        ),
        Err(SnapshotError::Tree(
            crate::tree::LoadError::MissingParent { .. }
        ))
    ));
}

// ----- snappy-java framing ----------------------------------------------------------------------

#[test]
fn snappy_framing_is_snappy_javas() {
    let data: Vec<u8> = (0..100_000u32)
        .map(|i| (i % 251) as u8 ^ (i / 1000) as u8)
        .collect();
    let mut w = SnappyJavaWriter::new(Vec::new());
    // Written in odd pieces: blocks are still exactly 32 KiB.
    for piece in data.chunks(777) {
        w.write_all(piece).expect("write");
    }
    let framed = w.finish().expect("finish");
    assert_eq!(framed[..16], snappy_header());
    let mut at = 16;
    let mut sizes = Vec::new();
    while at < framed.len() {
        let len = i32::from_be_bytes(framed[at..at + 4].try_into().expect("4")) as usize;
        let block = &framed[at + 4..at + 4 + len];
        sizes.push(snap::raw::decompress_len(block).expect("block"));
        at += 4 + len;
    }
    assert_eq!(
        sizes,
        vec![
            SNAPPY_BLOCK_SIZE,
            SNAPPY_BLOCK_SIZE,
            SNAPPY_BLOCK_SIZE,
            100_000 - 3 * SNAPPY_BLOCK_SIZE
        ]
    );
    let mut back = Vec::new();
    SnappyJavaReader::new(&framed[..])
        .expect("header")
        .read_to_end(&mut back)
        .expect("read");
    assert_eq!(back, data);
    // An empty stream is the header alone.
    let empty = SnappyJavaWriter::new(Vec::new()).finish().expect("finish");
    assert_eq!(empty, snappy_header());
    let mut back = Vec::new();
    SnappyJavaReader::new(&empty[..])
        .expect("header")
        .read_to_end(&mut back)
        .expect("read");
    assert!(back.is_empty());
}

#[test]
fn snappy_reader_leniencies_are_javas() {
    let part = |data: &[u8]| {
        let mut w = SnappyJavaWriter::new(Vec::new());
        w.write_all(data).expect("write");
        w.finish().expect("finish")
    };
    // Concatenated streams read as one.
    let mut two = part(b"hello ");
    two.extend(part(b"world"));
    let mut back = Vec::new();
    SnappyJavaReader::new(&two[..])
        .expect("h")
        .read_to_end(&mut back)
        .expect("read");
    assert_eq!(back, b"hello world");
    // A partial block length at the end is the end of the stream.
    let mut tail = part(b"abc");
    tail.extend([0, 0]);
    let mut back = Vec::new();
    SnappyJavaReader::new(&tail[..])
        .expect("h")
        .read_to_end(&mut back)
        .expect("read");
    assert_eq!(back, b"abc");
    // A truncated block is an error.
    let whole = part(b"abcdefgh");
    let mut back = Vec::new();
    assert!(SnappyJavaReader::new(&whole[..whole.len() - 1])
        .expect("h")
        .read_to_end(&mut back)
        .is_err());
    // No header: one raw block.
    let raw = snap::raw::Encoder::new()
        .compress_vec(b"raw block")
        .expect("compress");
    let mut back = Vec::new();
    SnappyJavaReader::new(&raw[..])
        .expect("raw")
        .read_to_end(&mut back)
        .expect("read");
    assert_eq!(back, b"raw block");
    // Empty input and a negative block length are errors.
    assert!(SnappyJavaReader::new(&[][..]).is_err());
    let mut neg = snappy_header().to_vec();
    neg.extend((-5i32).to_be_bytes());
    assert!(SnappyJavaReader::new(&neg[..])
        .expect("h")
        .read_to_end(&mut Vec::new())
        .is_err());
    // A lying uncompressed length is refused before allocating.
    let mut liar = snappy_header().to_vec();
    liar.extend(6i32.to_be_bytes());
    liar.extend([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]);
    assert!(SnappyJavaReader::new(&liar[..])
        .expect("h")
        .read_to_end(&mut Vec::new())
        .is_err());
}

#[test]
fn gzip_trailing_garbage_is_ignored_and_members_concatenate() {
    let gz = |data: &[u8]| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).expect("w");
        e.finish().expect("f")
    };
    let mut two = gz(b"one ");
    two.extend(gz(b"two"));
    two.extend(b"garbage");
    let mut back = Vec::new();
    decompressor(&two[..], SnapshotCompression::Gzip)
        .expect("d")
        .read_to_end(&mut back)
        .expect("read");
    assert_eq!(back, b"one two");
}

// ----- files and startup ----------------------------------------------------------------------

#[test]
fn files_are_written_plain_or_atomically_and_validated_like_java() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tree = sample_tree();
    let zxid = tree.last_processed_zxid();
    for (compression, durability) in [
        (SnapshotCompression::Checked, Durability::Plain),
        (SnapshotCompression::Gzip, Durability::Atomic),
        (SnapshotCompression::Snappy, Durability::Plain),
    ] {
        let options = WriteOptions {
            compression,
            last_processed_zxid: true,
        };
        let written = write_snapshot_file(dir.path(), &tree, sessions(), &options, durability)
            .expect("write");
        assert_eq!(
            written.path,
            dir.path().join(snapshot_file_name(zxid, compression))
        );
        assert!(is_valid_snapshot(&written.path).expect("valid"));
        let loaded = load_snapshot_file(
            &written.path,
            &ReadOptions {
                tree: *tree.config(),
                ..ReadOptions::default()
            },
        )
        .expect("load");
        assert_same(&canonical(&loaded.tree), &canonical(&tree), "");
    }
    let names: BTreeSet<String> = fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
}

#[test]
fn startup_takes_the_newest_valid_snapshot_and_falls_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    assert!(load_latest_snapshot(d, &ReadOptions::default())
        .expect("empty")
        .is_none());
    assert!(
        load_latest_snapshot(&d.join("missing"), &ReadOptions::default())
            .expect("missing")
            .is_none()
    );
    let mut tree = sample_tree();
    let config = *tree.config();
    let options = ReadOptions {
        tree: config,
        ..ReadOptions::default()
    };
    let good = write_snapshot_file(d, &tree, [], &WriteOptions::default(), Durability::Plain)
        .expect("write");
    let older = tree.last_processed_zxid();
    // Newer: a corrupted one (still "valid": ends with the seal's "/"), a
    // truncated one (invalid), a gz one without the magic (invalid), and
    // junk names.
    tree.set_last_processed_zxid(older + 10);
    let newer = write_snapshot_file(d, &tree, [], &WriteOptions::default(), Durability::Plain)
        .expect("write");
    let mut bytes = fs::read(&newer.path).expect("read");
    bytes[40] ^= 0xff;
    fs::write(&newer.path, &bytes).expect("corrupt");
    fs::write(
        d.join(snapshot_file_name(older + 20, SnapshotCompression::Checked)),
        &bytes[..bytes.len() - 3],
    )
    .expect("w");
    fs::write(
        d.join(snapshot_file_name(older + 30, SnapshotCompression::Gzip)),
        b"not gzip",
    )
    .expect("w");
    fs::write(d.join("snapshot.zz"), b"junk").expect("w");
    fs::write(d.join("log.100"), b"junk").expect("w");
    fs::write(d.join("snapshot.5"), b"short").expect("w");
    let valid = find_valid_snapshots(d, 100).expect("find");
    assert_eq!(valid, vec![newer.path.clone(), good.path.clone()]);
    assert_eq!(
        find_valid_snapshots(d, 1).expect("find"),
        vec![newer.path.clone()]
    );
    let loaded = load_latest_snapshot(d, &options)
        .expect("load")
        .expect("some");
    assert_eq!(loaded.path.as_deref(), Some(good.path.as_path()));
    assert_eq!(loaded.tree.last_processed_zxid(), older);
    // Only broken candidates: an error.
    fs::remove_file(&good.path).expect("rm");
    assert!(matches!(
        load_latest_snapshot(d, &options),
        Err(SnapshotError::NoValidSnapshot(_))
    ));
}

// ----- the fuzzy walk and the background writer ------------------------------------------------------

#[test]
fn small_steps_produce_the_same_bytes_as_one_pass() {
    let tree = sample_tree();
    let one = snapshot_bytes(&tree, SnapshotCompression::Checked);
    for budget in [0, 1, 10, 100, 1000] {
        let mut walk = SnapshotWalk::new(&tree, sessions(), &WriteOptions::default());
        let mut chunks = Vec::new();
        let mut steps = 0;
        while let Some(c) = walk.step(&tree, budget) {
            chunks.push(c);
            steps += 1;
            assert!(steps < 10_000);
        }
        assert!(walk.is_done());
        assert_eq!(walk.nodes_written() as usize, tree.node_count() - 1);
        chunks.extend(walk.trailer(&tree).map(Chunk::End));
        let bytes = write_chunks(Vec::new(), SnapshotCompression::Checked, chunks)
            .expect("w")
            .0;
        // Same content; the node order is the same too, as the tree did not
        // change (HashSet iteration is stable).
        assert_eq!(bytes, one, "budget {budget}");
    }
}

#[test]
fn the_walk_skips_deleted_nodes_and_misses_new_ones_below_visited_parents() {
    let mut tree = sample_tree();
    let mut walk = SnapshotWalk::new(&tree, [], &WriteOptions::default());
    let start = tree.last_processed_zxid();
    // Up to the root (listing its children) and nothing else.
    let mut chunks = Vec::new();
    while walk.nodes_written() == 0 {
        chunks.push(walk.step(&tree, 1).expect("chunk"));
    }
    assert_eq!(walk.nodes_written(), 1);
    let mut t = Vec::new();
    tree.delete_node("/a/b/c", start + 1, &mut t)
        .expect("delete");
    tree.delete_node("/a/b", start + 2, &mut t).expect("delete");
    tree.create_node("/late", None, None, 0, -1, start + 3, 0, &mut t)
        .expect("create");
    tree.create_node("/a/new", None, None, 0, -1, start + 4, 0, &mut t)
        .expect("create");
    tree.set_last_processed_zxid(start + 4);
    while let Some(c) = walk.step(&tree, 64) {
        chunks.push(c);
    }
    chunks.extend(walk.trailer(&tree).map(Chunk::End));
    let bytes = write_chunks(Vec::new(), SnapshotCompression::Checked, chunks)
        .expect("w")
        .0;
    let loaded = read_bytes(
        &bytes,
        SnapshotCompression::Checked,
        walk.zxid(),
        *tree.config(),
    )
    .expect("load");
    assert_eq!(walk.zxid(), start);
    assert!(loaded.tree.node("/a/b").is_none());
    assert!(
        loaded.tree.node("/late").is_none(),
        "created under the visited root"
    );
    assert!(
        loaded.tree.node("/a/new").is_some(),
        "/a was visited after the create"
    );
    let trailer = walk.trailer(&tree).expect("trailer");
    assert_eq!(trailer.last_processed_zxid, Some(start + 4));
}

/// A fuzzy snapshot captures the ACL cache first; a list added during the
/// walk is referred to by index from nodes written later. The loader must
/// not hand that index number to another list during replay (Java does,
/// and the node later loses its ACL).
#[test]
fn dangling_acl_indexes_from_the_walk_are_not_reused() {
    let mut tree = DataTree::default();
    let mut walk = SnapshotWalk::new(&tree, [], &WriteOptions::default());
    let start = tree.last_processed_zxid();
    let digest_acl = vec![acl("digest", "u:p", 31)];
    let create = |zxid: i64, path: &str, acl: &[ACL], pcv: i32| {
        crate::tree::tests::txn_at(
            1,
            zxid,
            zxid,
            TxnBody::Create(CreateTxn {
                path: Some(path.into()),
                data: None,
                acl: Some(acl.to_vec()),
                ephemeral: false,
                parent_c_version: pcv,
            }),
        )
    };
    // During the walk (before the root is visited): /x gets a new list
    // (index 2), then /y the same list.
    let log = [
        create(start + 1, "/x", &digest_acl, 1),
        create(start + 2, "/y", &digest_acl, 2),
    ];
    for txn in &log {
        tree.apply(txn);
    }
    let mut chunks = Vec::new();
    while let Some(c) = walk.step(&tree, 1 << 20) {
        chunks.push(c);
    }
    chunks.extend(walk.trailer(&tree).map(Chunk::End));
    let bytes = write_chunks(Vec::new(), SnapshotCompression::Checked, chunks)
        .expect("w")
        .0;
    let loaded =
        read_bytes(&bytes, SnapshotCompression::Checked, start, *tree.config()).expect("load");
    let mut replayed = loaded.tree;
    assert_eq!(replayed.node("/x").map(|n| n.acl_index()), Some(2));
    assert!(
        replayed.acl_cache().resolve(2).is_none(),
        "captured before the list existed"
    );
    assert!(replayed.acl_cache().last_index() >= 2);
    for txn in &log {
        replayed.apply(txn);
    }
    assert_eq!(replayed.acl("/x").expect("x")[..], digest_acl[..]);
    assert_eq!(replayed.acl("/y").expect("y")[..], digest_acl[..]);
    assert_same(&canonical(&replayed), &canonical(&tree), "replayed");
}

#[test]
fn a_fuzzy_snapshot_is_written_in_the_background() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut tree = sample_tree();
    let start = tree.last_processed_zxid();
    for compression in ALL {
        let options = WriteOptions {
            compression,
            last_processed_zxid: true,
        };
        let mut snap =
            FuzzySnapshot::start(dir.path(), &tree, sessions(), &options, Durability::Atomic)
                .expect("start");
        assert_eq!(snap.zxid(), tree.last_processed_zxid());
        let mut steps = 0;
        loop {
            match snap.step(&tree, 100) {
                Step::Progress => {}
                Step::Full => std::thread::yield_now(),
                Step::Done => break,
            }
            steps += 1;
            if steps % 5 == 0 {
                let z = tree.last_processed_zxid() + 1;
                tree.apply(&crate::tree::tests::txn_at(
                    1,
                    z,
                    z,
                    TxnBody::Create(CreateTxn {
                        path: Some(format!("/during-{z}")),
                        data: None,
                        acl: Some(open_acl_unsafe()),
                        ephemeral: false,
                        parent_c_version: -1,
                    }),
                ));
            }
        }
        while !snap.is_written() {
            std::thread::yield_now();
        }
        let zxid = snap.zxid();
        let written = snap.finish().expect("written");
        assert_eq!(
            written.path,
            dir.path().join(snapshot_file_name(zxid, compression))
        );
        let loaded = load_snapshot_file(
            &written.path,
            &ReadOptions {
                tree: *tree.config(),
                ..ReadOptions::default()
            },
        )
        .expect("load");
        assert!(loaded.tree.node("/a/b/c").is_some());
    }
    assert!(tree.last_processed_zxid() > start);
    // Abandoned snapshots leave no file.
    let options = WriteOptions::default();
    let mut snap =
        FuzzySnapshot::start(dir.path(), &tree, [], &options, Durability::Plain).expect("start");
    let _ = snap.step(&tree, 10);
    let zxid = snap.zxid();
    drop(snap);
    assert!(!dir
        .path()
        .join(snapshot_file_name(zxid, SnapshotCompression::Checked))
        .exists());
}

// ----- the SNAP sync stream ----------------------------------------------------------------------

#[test]
fn the_sync_stream_round_trips_and_keeps_what_follows() {
    let tree = sample_tree();
    let mut stream = write_sync_snapshot(Vec::new(), &tree, sessions()).expect("write");
    // No file header: it starts with the session count.
    assert_eq!(stream[..4], 3i32.to_be_bytes());
    assert!(stream.ends_with(b"\x00\x00\x00\x0aBenWasHere"));
    stream.extend(b"next packet");
    let got = read_sync_snapshot(
        &stream[..],
        &ReadOptions {
            tree: *tree.config(),
            ..ReadOptions::default()
        },
    )
    .expect("read");
    assert_same(&canonical(&got.tree), &canonical(&tree), "");
    assert_eq!(got.sessions, sessions().into_iter().collect());
    assert_eq!(got.leftover, b"next packet");
    // A wrong signature.
    let mut bad = write_sync_snapshot(Vec::new(), &tree, []).expect("write");
    let n = bad.len();
    bad[n - 1] = b'X';
    assert!(matches!(
        read_sync_snapshot(&bad[..], &ReadOptions::default()),
        Err(SnapshotError::MissingSignature(Some(_)))
    ));
}

// ----- tools ---------------------------------------------------------------------------------------

#[test]
fn java_formatting_helpers() {
    assert_eq!(java_hex16(0), "0x00000000000000");
    assert_eq!(java_hex16(0x2b), "0x0000000000002b");
    assert_eq!(java_hex16(0x10000554e000000), "0x10000554e000000");
    assert_eq!(java_hex16(-1), "0xffffffffffffffff");
    assert_eq!(
        tools::json_quote("a\"b\\c\n\u{1}\u{e9}"),
        "a\\\"b\\\\c\\n\\u0001\u{e9}"
    );
    assert_eq!(tools::java_long_hash(0x1_0000_0002), 3);
    // HashSet<String>(8) order: Java's formatter prints /zookeeper's
    // children "config" before "quota", whatever the insertion order.
    let mut names = vec!["quota", "config"];
    java_hash_order(&mut names, 8, |s| java_string_hash(s));
    assert_eq!(names, vec!["config", "quota"]);
}

#[test]
fn the_formatter_prints_what_java_printed_for_a_java_snapshot() {
    // Java 3.9.5's SnapshotFormatter on this file (times in UTC, hence the
    // time-zone-free comparison of everything but the dates).
    let mut out = Vec::new();
    tools::format_snapshot(
        &fixture("3.9.5/snapshot.35.gz"),
        tools::FormatOptions::default(),
        Limits::default(),
        &mut out,
    )
    .expect("format");
    let text = String::from_utf8(out).expect("utf8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "ZNode Details (count=55):");
    assert_eq!(lines[1..4], ["----", "/", "  cZxid = 0x00000000000000"]);
    assert_eq!(lines[14], "/a");
    assert!(text.ends_with("Session Details (sid, timeout, ephemeralCount):\n0x10000554e000000, 10000, 1\n----\nLast zxid: 0x35\n"), "{text}");
    let mut out = Vec::new();
    tools::format_snapshot(
        &fixture("3.9.5/snapshot.35.gz"),
        tools::FormatOptions {
            check: true,
            ..Default::default()
        },
        Limits::default(),
        &mut out,
    )
    .expect("format");
    let text = String::from_utf8(out).expect("utf8");
    assert!(
        text.contains("  digest check = matches the nodes\n"),
        "{text}"
    );
    assert!(
        text.contains("  lastProcessedZxid trailer = 0x35\n"),
        "{text}"
    );
}

/// Writes `tree` as a plain snapshot in `dir`; returns the file.
fn plain_snapshot_file(dir: &Path, tree: &DataTree) -> PathBuf {
    write_snapshot_file(dir, tree, [], &WriteOptions::default(), Durability::Plain)
        .expect("write")
        .path
}

/// What `rzk snapshot --compare` prints for two files (thresholds 0).
fn compare_text(left: &Path, right: &Path) -> String {
    let mut out = Vec::new();
    tools::compare_snapshots(
        left,
        right,
        tools::CompareOptions {
            byte_threshold: 0,
            node_threshold: 0,
            debug: false,
        },
        Limits::default(),
        &mut out,
    )
    .expect("compare");
    String::from_utf8(out).expect("utf8")
}

#[test]
fn the_comparer_reports_differences_by_depth() {
    let dir = tempfile::tempdir().expect("tempdir");
    let left = sample_tree();
    let mut right = left.clone();
    let mut t = Vec::new();
    right.delete_node("/a/b/c", 100, &mut t).expect("delete");
    right
        .create_node(
            "/z",
            Some(Bytes::from_static(b"12345")),
            None,
            0,
            -1,
            101,
            0,
            &mut t,
        )
        .expect("create");
    right.set_last_processed_zxid(101);
    let l = plain_snapshot_file(dir.path(), &left);
    let r = plain_snapshot_file(dir.path(), &right);
    let text = compare_text(&l, &r);
    assert!(
        text.contains(
            "Node /z found only in right tree. Descendant size: 5. Descendant count: 0\n"
        ),
        "{text}"
    );
    assert!(!text.contains("Node /a/b/c found only"), "{text}");
    assert!(
        text.contains("Node /a found in both trees. Delta: 0 bytes, -1 descendants\n"),
        "{text}"
    );
    assert!(text.contains("Analysis for depth 3\n"), "{text}");
    assert!(text.ends_with("All layers compared.\n"));
}

#[test]
fn the_tools_print_quota_usage_recounted_like_javas_loader() {
    // A fuzzy snapshot can hold a stat node that counted a child the walk
    // had already passed; Java's tools print the recount (setupQuota).
    let dir = tempfile::tempdir().expect("tempdir");
    let mut tree = DataTree::new(TreeConfig::default());
    let mut t = Vec::new();
    let mut create = |tree: &mut DataTree, path: &str, data: &'static [u8]| {
        tree.create_node(
            path,
            Some(Bytes::from_static(data)),
            None,
            0,
            -1,
            1,
            0,
            &mut t,
        )
        .expect("create");
    };
    create(&mut tree, "/q", b"abc");
    create(&mut tree, "/q/a", b"de");
    create(&mut tree, "/zookeeper/quota/q", b"");
    create(
        &mut tree,
        "/zookeeper/quota/q/zookeeper_limits",
        b"count=10,bytes=-1",
    );
    create(&mut tree, "/zookeeper/quota/q/zookeeper_stats", b"");
    // Stale usage, as a fuzzy walk can catch it.
    tree.set_data(
        "/zookeeper/quota/q/zookeeper_stats",
        Some(Bytes::from_static(b"count=30,bytes=90")),
        -1,
        2,
        0,
        &mut t,
    )
    .expect("set");
    let file = plain_snapshot_file(dir.path(), &tree);
    let mut out = Vec::new();
    tools::format_snapshot(
        &file,
        tools::FormatOptions {
            dump_data: true,
            ..Default::default()
        },
        Limits::default(),
        &mut out,
    )
    .expect("format");
    let text = String::from_utf8(out).expect("utf8");
    let b64 = |s: &str| base64::Engine::encode(&base64::engine::general_purpose::STANDARD, s);
    let stats = text
        .split("----\n")
        .find(|n| n.starts_with("/zookeeper/quota/q/zookeeper_stats\n"))
        .expect("the stat node is printed");
    assert!(
        stats.contains(&format!("  data = {}\n", b64("count=2,bytes=5"))),
        "{stats}"
    );
    let limits = text
        .split("----\n")
        .find(|n| n.starts_with("/zookeeper/quota/q/zookeeper_limits\n"))
        .expect("the limit node is printed");
    assert!(
        limits.contains(&format!("  data = {}\n", b64("count=10,bytes=-1"))),
        "{limits}"
    );
    // The comparer recounts too: against the same tree with the true
    // usage stored, the stat node did not change.
    let mut t = Vec::new();
    tree.set_data(
        "/zookeeper/quota/q/zookeeper_stats",
        Some(Bytes::from_static(b"count=2,bytes=5")),
        -1,
        3,
        0,
        &mut t,
    )
    .expect("set");
    tree.set_last_processed_zxid(3);
    let fresh = plain_snapshot_file(dir.path(), &tree);
    let text = compare_text(&file, &fresh);
    assert!(
        !text.contains("Total size: 39\n") && !text.contains("Delta:"),
        "{text}"
    );
}

/// A snapshot body (header, no sessions or ACLs) with the root and
/// `count` children of it, then `tail` (raw bytes).
fn body_with_children(count: usize, tail: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut body = Vec::new();
    format::put_header(&mut body);
    body.extend_from_slice(&[0; 8]);
    format::put_node(&mut body, "", None, -1, &StatPersisted::default());
    for i in 0..count {
        let path = format!("/n{i}");
        format::put_node(&mut body, &path, Some(b"v"), -1, &StatPersisted::default());
    }
    tail(&mut body);
    body
}

#[test]
fn the_first_error_in_file_order_is_reported_across_batches() {
    let read =
        |body: &[u8]| read_bytes(body, SnapshotCompression::Checked, 1, TreeConfig::default());
    // A tree error, then the stream ends: the tree error, even with
    // thousands of nodes (several batches) before it.
    for count in [0, 1023, 1024, 5000] {
        let body = body_with_children(count, |b| {
            format::put_node(b, "/x/y", None, -1, &StatPersisted::default());
        });
        assert!(
            matches!(
                read(&body),
                Err(SnapshotError::Tree(
                    crate::tree::LoadError::MissingParent { .. }
                ))
            ),
            "{count} nodes before the orphan"
        );
    }
    // A decoding error before a tree error: the decoding error.
    let body = body_with_children(3000, |b| {
        b.extend_from_slice(&(-5i32).to_be_bytes());
        format::put_node(b, "/x/y", None, -1, &StatPersisted::default());
    });
    assert!(matches!(
        read(&body),
        Err(SnapshotError::BadLength { length: -5, .. })
    ));
    // A tree error early in a large file: returned (the parser, blocked on
    // a full channel, stops), and nothing after it matters.
    let mut body = Vec::new();
    format::put_header(&mut body);
    body.extend_from_slice(&[0; 8]);
    format::put_node(&mut body, "", None, -1, &StatPersisted::default());
    format::put_node(&mut body, "/x/y", None, -1, &StatPersisted::default());
    let body = {
        let mut rest = body_with_children(50_000, format::put_terminator);
        rest.drain(..16 + 8);
        body.extend_from_slice(&rest);
        body
    };
    assert!(matches!(
        read(&body),
        Err(SnapshotError::Tree(
            crate::tree::LoadError::MissingParent { .. }
        ))
    ));
    // The same file without the orphan, sealed, loads whole.
    let sealed = |count| {
        body_with_children(count, |b| {
            format::put_terminator(b);
            let seal = adler2::adler32_slice(b) as i64;
            b.extend_from_slice(&seal.to_be_bytes());
            b.extend_from_slice(b"\0\0\0\x01/");
        })
    };
    let root_only = read(&sealed(0)).expect("load").tree.node_count();
    let loaded = read(&sealed(50_000)).expect("load");
    assert_eq!(loaded.tree.node_count(), root_only + 50_000);
    assert_eq!(
        loaded.tree.node("/n49999").and_then(|n| n.data()),
        Some(&b"v"[..])
    );
}
