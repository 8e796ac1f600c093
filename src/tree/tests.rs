//! Unit tests of the data tree. Golden values marked "Java" were observed on
//! a real ZooKeeper 3.9.5 server (standalone, extendedTypesEnabled=true):
//! its transaction log (digests, times, session ids), the client's view of
//! the stats, `mntr`, and the snapshot written at restart.

use super::*;
use crate::txn;
use jute::data::Id;
use jute::txn::{
    CheckVersionTxn, CloseSessionTxn, CreateContainerTxn, CreateSessionTxn, CreateTTLTxn,
    CreateTxn, DeleteTxn, ErrorTxn, SetACLTxn, SetDataTxn, TxnDigest,
};

// ----- helpers -----------------------------------------------------------

pub(crate) fn txn_at(session: i64, zxid: i64, time: i64, body: TxnBody) -> Txn {
    Txn {
        header: txn::header(session, 1, zxid, time, body.op()),
        body,
        digest: None,
    }
}

fn bytes(s: &str) -> Option<Bytes> {
    Some(Bytes::copy_from_slice(s.as_bytes()))
}

pub(super) fn create_body(path: &str, data: Option<Bytes>, ephemeral: bool, pcv: i32) -> CreateTxn {
    CreateTxn {
        path: Some(path.into()),
        data,
        acl: Some(open_acl_unsafe()),
        ephemeral,
        parent_c_version: pcv,
    }
}

fn create(path: &str, data: &str) -> TxnBody {
    TxnBody::Create(create_body(path, bytes(data), false, -1))
}

fn create2(path: &str, data: &str) -> TxnBody {
    TxnBody::Create2(create_body(path, bytes(data), false, -1))
}

fn delete(path: &str) -> TxnBody {
    TxnBody::Delete(DeleteTxn {
        path: Some(path.into()),
    })
}

fn set_data(path: &str, data: &str, version: i32) -> TxnBody {
    TxnBody::SetData(SetDataTxn {
        path: Some(path.into()),
        data: bytes(data),
        version,
    })
}

fn set_acl(path: &str, acl: Vec<ACL>, version: i32) -> TxnBody {
    TxnBody::SetAcl(SetACLTxn {
        path: Some(path.into()),
        acl: Some(acl),
        version,
    })
}

fn close(paths: Option<&[&str]>) -> TxnBody {
    TxnBody::CloseSession(paths.map(|p| CloseSessionTxn {
        paths2_delete: Some(p.iter().map(|s| s.to_string()).collect()),
    }))
}

/// A tree and a zxid counter; applies bodies as session 0x100.
struct Fixture {
    tree: DataTree,
    zxid: i64,
}

const SESSION: i64 = 0x100;

impl Fixture {
    fn new() -> Fixture {
        Fixture::with(TreeConfig::default())
    }

    fn with(config: TreeConfig) -> Fixture {
        Fixture {
            tree: DataTree::new(config),
            zxid: 0,
        }
    }

    fn apply_as(&mut self, session: i64, body: TxnBody) -> Applied {
        self.zxid += 1;
        let txn = txn_at(session, self.zxid, 1000 + self.zxid, body);
        self.tree.apply(&txn)
    }

    fn apply(&mut self, body: TxnBody) -> Applied {
        self.apply_as(SESSION, body)
    }

    fn ok(&mut self, body: TxnBody) -> Applied {
        let applied = self.apply(body);
        assert_eq!(applied.err, 0, "{applied:?}");
        applied
    }

    fn persisted(&self, path: &str) -> StatPersisted {
        self.tree.node(path).expect(path).stat().clone()
    }

    fn data(&self, path: &str) -> Option<Bytes> {
        self.tree.get_data(path).expect(path).0
    }
}

fn extended() -> TreeConfig {
    TreeConfig {
        digest_enabled: true,
        owners: OwnerEncoding {
            extended_types_enabled: true,
            emulate_353_ttl_nodes: false,
        },
    }
}

/// The invariants every tree keeps (see also the property tests).
pub(crate) fn check_invariants(tree: &DataTree) {
    assert_eq!(tree.digest(), tree.recompute_digest(), "digest drifted");
    // Every child is found by its path, and every node by its own.
    let all = tree.all_nodes();
    assert_eq!(all.len() + 1, tree.node_count());
    for (path, node) in &all {
        assert!(std::ptr::eq(tree.node(path).expect(path), *node), "{path}");
        assert!(
            node.num_children() == tree.children_of(node).count(),
            "{path}"
        );
        for (_, child) in tree.children_of(node) {
            let child_path = format!("{path}/{}", child.name());
            assert!(tree.contains(&child_path), "{child_path} missing");
        }
    }
    // The indexes match the owners.
    let mut by_owner: HashMap<i64, HashSet<String>> = HashMap::default();
    let mut containers = HashSet::default();
    let mut ttls = HashSet::default();
    for (path, node) in &all {
        let owner = node.stat.ephemeral_owner;
        match EphemeralType::of(owner, tree.config.owners) {
            EphemeralType::Normal => {
                by_owner.entry(owner).or_default().insert(path.clone());
            }
            EphemeralType::Container => {
                containers.insert(path.clone());
            }
            EphemeralType::Ttl => {
                ttls.insert(path.clone());
            }
            EphemeralType::Void => {}
        }
    }
    for (session, set) in &tree.ephemerals {
        assert_eq!(
            set,
            &by_owner.remove(session).unwrap_or_default(),
            "ephemerals of {session:#x}"
        );
    }
    assert!(by_owner.is_empty(), "unindexed ephemerals {by_owner:?}");
    assert_eq!(containers, tree.containers);
    assert_eq!(ttls, tree.ttls);
    // Every node's ACL resolves and no entry is counted less than it is used.
    let mut users: HashMap<i64, i64> = HashMap::default();
    for (_, node) in &all {
        assert!(tree.acls.resolve(node.acl).is_some(), "acl {}", node.acl);
        if node.acl != OPEN_ACL_UNSAFE_INDEX {
            *users.entry(node.acl).or_default() += 1;
        }
    }
    for (index, _) in tree.acls.iter() {
        let refs = tree.acls.ref_count(index).unwrap_or(0);
        assert!(
            refs >= users.get(&index).copied().unwrap_or(0),
            "acl {index}"
        );
        assert!(refs > 0, "acl {index} kept with no references");
    }
}

/// Reference counts equal the uses exactly (no NODEEXISTS re-pointing).
pub(super) fn check_exact_acl_counts(tree: &DataTree) {
    let mut users: HashMap<i64, i64> = HashMap::default();
    for (_, node) in tree.all_nodes() {
        if node.acl != OPEN_ACL_UNSAFE_INDEX {
            *users.entry(node.acl).or_default() += 1;
        }
    }
    let counts: HashMap<i64, i64> = tree
        .acls
        .iter()
        .map(|(index, _)| (index, tree.acls.ref_count(index).unwrap_or(0)))
        .collect();
    assert_eq!(counts, users);
}

// ----- the fresh tree ------------------------------------------------------------

#[test]
fn fresh_tree_has_javas_builtin_nodes() {
    let tree = DataTree::default();
    // Java: mntr on a fresh server says zk_znode_count 5.
    assert_eq!(tree.node_count(), 5);
    assert_eq!(tree.all_children_number("/"), 3);
    assert_eq!(tree.approximate_data_size(), 44);
    assert_eq!(tree.scan_approximate_data_size(), 44);

    let root = tree.node("/").unwrap();
    assert!(std::ptr::eq(root, tree.node("").unwrap()));
    assert_eq!(root.data(), Some(&[][..]));
    assert_eq!(root.acl_index(), OPEN_ACL_UNSAFE_INDEX);
    assert_eq!(root.stat(), StatPersisted::default());
    assert_eq!(tree.children("/").unwrap(), vec!["zookeeper".to_string()]);
    let mut zk_children = tree.children("/zookeeper").unwrap();
    zk_children.sort();
    assert_eq!(zk_children, ["config", "quota"]);

    // Java's snapshot.0: config has ACL index 1 = world:anyone READ, aversion −1.
    let config = tree.node(CONFIG_PATH).unwrap();
    assert_eq!(config.acl_index(), 1);
    assert_eq!(config.stat().aversion, -1);
    assert_eq!(&*tree.acl(CONFIG_PATH).unwrap(), &read_acl_unsafe()[..]);
    assert_eq!(tree.acl_cache().len(), 1);
    assert_eq!(tree.acl_cache().ref_count(1), Some(1));
    assert_eq!(&*tree.acl("/").unwrap(), &open_acl_unsafe()[..]);
    let stat = tree.stat(CONFIG_PATH).unwrap();
    assert_eq!(
        (stat.aversion, stat.data_length, stat.num_children),
        (-1, 0, 0)
    );

    // Java: the digest in the first createSession txn of a fresh server.
    assert_eq!(tree.digest(), 1_371_985_504);
    assert_eq!(tree.last_zxid_digest(), None);
    check_invariants(&tree);
    check_exact_acl_counts(&tree);
}

#[test]
fn disabled_digest_is_zero_and_never_logged() {
    let mut f = Fixture::with(TreeConfig {
        digest_enabled: false,
        ..TreeConfig::default()
    });
    assert_eq!(f.tree.digest(), 0);
    for _ in 0..130 {
        f.apply(TxnBody::CreateSession(CreateSessionTxn { time_out: 1 }));
    }
    f.ok(create("/a", "x"));
    assert_eq!(f.tree.digest(), 0);
    assert_eq!(f.tree.current_node_digest("/a"), Some(0));
    assert_eq!(
        f.tree
            .predict_node_digest("/a", None, &StatPersisted::default()),
        0
    );
    assert_eq!(f.tree.last_zxid_digest(), None);
    assert_eq!(f.tree.digest_log().count(), 0);
    // Nothing is compared.
    let mut t = txn_at(1, 1000, 1, TxnBody::error(-101));
    t.digest = Some(TxnDigest {
        version: 2,
        tree_digest: 42,
    });
    assert!(!f.tree.apply(&t).digest_mismatch);
    assert_eq!(f.tree.digest_mismatches(), 0);
}

// ----- the digest ------------------------------------------------------------------

#[test]
fn node_digest_is_crc32_of_path_data_and_the_stat_block() {
    let stat = StatPersisted {
        czxid: 0x0102030405060708,
        mzxid: 2,
        ctime: 3,
        mtime: 4,
        version: 5,
        cversion: 6,
        aversion: 7,
        ephemeral_owner: -2,
        pzxid: 9,
    };
    // Assembled by hand: path, data, then czxid mzxid pzxid ctime mtime
    // (8 bytes each) version cversion aversion (4 each) owner (8), big-endian.
    let mut bytes = b"/a".to_vec();
    bytes.extend_from_slice(b"hello");
    for v in [0x0102030405060708i64, 2, 9, 3, 4] {
        bytes.extend_from_slice(&v.to_be_bytes());
    }
    for v in [5i32, 6, 7] {
        bytes.extend_from_slice(&v.to_be_bytes());
    }
    bytes.extend_from_slice(&(-2i64).to_be_bytes());
    assert_eq!(bytes.len(), 2 + 5 + 60);
    let expected = i64::from(crc32fast::hash(&bytes));
    assert_eq!(node_digest("/a", Some(b"hello"), &stat), expected);

    // A well-known CRC32: the check value of "123456789".
    assert_eq!(crc32fast::hash(b"123456789"), 0xCBF4_3926);

    // Null and empty data give the same digest; "/" is hashed as "".
    assert_eq!(
        node_digest("/a", None, &stat),
        node_digest("/a", Some(b""), &stat)
    );
    assert_eq!(
        node_digest("/", Some(b"x"), &stat),
        node_digest("", Some(b"x"), &stat)
    );
    let mut root_bytes = b"x".to_vec();
    root_bytes.extend_from_slice(&bytes[7..]);
    assert_eq!(
        node_digest("/", Some(b"x"), &stat),
        i64::from(crc32fast::hash(&root_bytes))
    );

    // Everything below /zookeeper/ is left out, but not /zookeeper itself.
    assert_eq!(node_digest("/zookeeper/quota", None, &stat), 0);
    assert_eq!(node_digest("/zookeeper/", None, &stat), 0);
    assert_ne!(node_digest("/zookeeper", None, &stat), 0);
    assert_ne!(node_digest("/zookeeperx", None, &stat), 0);

    // UTF-8 path bytes.
    let mut utf8 = "/é".as_bytes().to_vec();
    utf8.extend_from_slice(&bytes[7..]);
    assert_eq!(
        node_digest("/é", None, &stat),
        i64::from(crc32fast::hash(&utf8))
    );
}

#[test]
fn fresh_digest_is_the_sum_of_root_and_zookeeper() {
    let zero = StatPersisted::default();
    let expected = node_digest("", Some(b""), &zero) + node_digest("/zookeeper", Some(b""), &zero);
    assert_eq!(DataTree::default().digest(), expected);
}

#[test]
fn digest_follows_every_change() {
    let mut f = Fixture::new();
    let before = f.tree.digest();
    f.ok(create("/a", "x"));
    let a = f.tree.node("/a").unwrap();
    let root = f.tree.node("/").unwrap();
    let expected = node_digest("", root.data(), &root.stat())
        + node_digest("/zookeeper", Some(b""), &f.persisted("/zookeeper"))
        + node_digest("/a", a.data(), &a.stat());
    assert_eq!(f.tree.digest(), expected);
    assert_ne!(f.tree.digest(), before);
    f.ok(set_data("/", "r", 1));
    f.ok(set_acl("/a", read_acl_unsafe(), 1));
    f.ok(create("/zookeeper/x", "x"));
    f.ok(delete("/a"));
    check_invariants(&f.tree);
}

#[test]
fn digest_log_keeps_every_128th_zxid_up_to_1024() {
    let mut tree = DataTree::default();
    for zxid in 1..=(128 * 1030) {
        tree.apply(&txn_at(
            1,
            zxid,
            0,
            TxnBody::CreateSession(CreateSessionTxn { time_out: 1 }),
        ));
    }
    let log: Vec<ZxidDigest> = tree.digest_log().copied().collect();
    assert_eq!(log.len(), DIGEST_LOG_LIMIT);
    assert_eq!(log[0].zxid, 128 * 7);
    assert_eq!(log[DIGEST_LOG_LIMIT - 1].zxid, 128 * 1030);
    assert!(log
        .iter()
        .all(|d| d.digest == tree.digest() && d.digest_version == 2));
    assert_eq!(
        tree.last_zxid_digest(),
        Some(ZxidDigest {
            zxid: 128 * 1030,
            digest_version: 2,
            digest: tree.digest()
        })
    );
}

#[test]
fn digest_mismatches_are_counted_not_fatal() {
    let mut tree = DataTree::default();
    let digest = |tree_digest, version| {
        Some(TxnDigest {
            version,
            tree_digest,
        })
    };
    let mut t = txn_at(
        1,
        1,
        0,
        TxnBody::CreateSession(CreateSessionTxn { time_out: 1 }),
    );
    t.digest = digest(tree.digest(), 2);
    assert!(!tree.apply(&t).digest_mismatch);
    t.header.zxid = 2;
    t.digest = digest(7, 2);
    assert!(tree.apply(&t).digest_mismatch);
    // Another version is not compared.
    t.header.zxid = 3;
    t.digest = digest(7, 1);
    assert!(!tree.apply(&t).digest_mismatch);
    // Nor is a missing digest.
    t.header.zxid = 4;
    t.digest = None;
    assert!(!tree.apply(&t).digest_mismatch);
    t.header.zxid = 5;
    t.digest = digest(8, 2);
    assert!(!tree.compare_digest(&t));
    assert_eq!(tree.digest_mismatches(), 2);
    assert_eq!(tree.last_processed_zxid(), 4);
}

#[test]
fn a_pending_snapshot_digest_suspends_logging_and_comparing() {
    let mut tree = DataTree::default();
    let good = tree.digest();
    tree.expect_snapshot_digest(
        ZxidDigest {
            zxid: 3,
            digest_version: 2,
            digest: good,
        },
        2,
    );
    let mut t = txn_at(
        1,
        2,
        0,
        TxnBody::CreateSession(CreateSessionTxn { time_out: 1 }),
    );
    t.digest = Some(TxnDigest {
        version: 2,
        tree_digest: 99,
    });
    // Fuzzy: no comparison, no logging.
    assert!(!tree.apply(&t).digest_mismatch);
    assert_eq!(tree.last_zxid_digest(), None);
    t.header.zxid = 3;
    t.digest = None;
    tree.apply(&t);
    assert_eq!(tree.pending_snapshot_digest(), None);
    assert_eq!(tree.digest_mismatches(), 0);
    t.header.zxid = 4;
    tree.apply(&t);
    assert_eq!(tree.last_zxid_digest().map(|d| d.zxid), Some(4));

    // A wrong snapshot digest is a mismatch when its zxid is reached.
    tree.expect_snapshot_digest(
        ZxidDigest {
            zxid: 5,
            digest_version: 2,
            digest: good + 1,
        },
        5,
    );
    t.header.zxid = 5;
    tree.apply(&t);
    assert_eq!(tree.digest_mismatches(), 1);
    // Empty or stale snapshot digests are ignored.
    tree.expect_snapshot_digest(
        ZxidDigest {
            zxid: 0,
            digest_version: 2,
            digest: 0,
        },
        0,
    );
    assert_eq!(tree.pending_snapshot_digest(), None);
    tree.expect_snapshot_digest(
        ZxidDigest {
            zxid: 4,
            digest_version: 2,
            digest: 0,
        },
        6,
    );
    assert_eq!(tree.pending_snapshot_digest(), None);
}

// ----- a real Java session, replayed -------------------------------------------

const S1: i64 = 0x100002664330000;
const S2: i64 = 0x100002664330001;
const T0: i64 = 1_795_322_684_000;

fn acl_of(entries: &[(i32, &str, &str)]) -> Vec<ACL> {
    entries
        .iter()
        .map(|&(perms, scheme, id)| ACL {
            perms,
            id: Id {
                scheme: Some(scheme.into()),
                id: Some(id.into()),
            },
        })
        .collect()
}

/// The transactions of the Java 3.9.5 run, as its log holds them:
/// (session, zxid, time − T0, body, digest).
fn java_log() -> Vec<(i64, i64, i64, TxnBody, i64)> {
    let session = || TxnBody::CreateSession(CreateSessionTxn { time_out: 30000 });
    let c = |path: &str, data: Option<Bytes>, eph: bool, pcv: i32| {
        TxnBody::Create(create_body(path, data, eph, pcv))
    };
    vec![
        (S1, 0x1, 554, session(), 1_371_985_504),
        (
            S1,
            0x2,
            640,
            c("/a", bytes("hello"), false, 1),
            4_818_269_336,
        ),
        (S1, 0x3, 657, c("/a/b", None, false, 1), 5_001_530_537),
        (
            S1,
            0x4,
            661,
            c("/a/seq-0000000001", bytes("x"), false, 2),
            5_765_205_971,
        ),
        (S2, 0x5, 671, session(), 5_765_205_971),
        (S2, 0x6, 675, c("/eph", bytes("e"), true, 2), 13_450_243_276),
        (
            S2,
            0x7,
            686,
            c("/a/eph2-0000000002", None, true, 3),
            17_455_035_258,
        ),
        (
            S2,
            0x8,
            693,
            close(Some(&["/eph", "/a/eph2-0000000002"])),
            10_336_209_370,
        ),
        (
            S1,
            0x9,
            806,
            TxnBody::CreateContainer(CreateContainerTxn {
                path: Some("/cont".into()),
                data: None,
                acl: Some(open_acl_unsafe()),
                parent_c_version: 3,
            }),
            14_111_994_394,
        ),
        (
            S1,
            0xa,
            813,
            TxnBody::CreateTtl(CreateTTLTxn {
                path: Some("/ttl".into()),
                data: bytes("t"),
                acl: Some(open_acl_unsafe()),
                parent_c_version: 4,
                ttl: 10000,
            }),
            16_032_671_781,
        ),
        (S1, 0xb, 854, set_data("/a", "world", 1), 18_257_925_870),
        (S1, 0xc, 861, delete("/a/b"), 15_370_083_342),
        (
            S1,
            0xd,
            873,
            TxnBody::Multi(vec![
                c("/m1", None, false, 5),
                set_data("/m1", "z", 1),
                TxnBody::Check(CheckVersionTxn {
                    path: Some("/a".into()),
                    version: 2,
                }),
            ]),
            16_780_967_066,
        ),
        (
            S1,
            0xe,
            881,
            TxnBody::Multi(vec![
                c("/m2", None, false, 6),
                TxnBody::error(-101),
                TxnBody::error(-2),
            ]),
            16_780_967_066,
        ),
        (S1, 0xf, 902, set_data("/", "rootdata", 1), 19_644_187_670),
        (
            S1,
            0x10,
            915,
            set_acl("/a", read_acl_unsafe(), 1),
            19_353_147_351,
        ),
        (
            S1,
            0x11,
            922,
            c("/zookeeper/x", bytes("zx"), false, 1),
            19_977_742_846,
        ),
        (S1, 0x12, 924, c("/q", None, false, 6), 23_199_730_162),
        (
            S1,
            0x13,
            927,
            c("/zookeeper/quota/q", None, false, 1),
            23_199_730_162,
        ),
        (
            S1,
            0x14,
            930,
            c(
                "/zookeeper/quota/q/zookeeper_limits",
                bytes("count=5,bytes=100"),
                false,
                1,
            ),
            23_199_730_162,
        ),
        (
            S1,
            0x15,
            932,
            c(
                "/zookeeper/quota/q/zookeeper_stats",
                bytes("count=0,bytes=0"),
                false,
                2,
            ),
            23_199_730_162,
        ),
        (
            S1,
            0x16,
            935,
            c("/q/c1", bytes("abc"), false, 1),
            21_136_447_281,
        ),
        (
            S1,
            0x17,
            941,
            TxnBody::Create(CreateTxn {
                path: Some("/emptydata".into()),
                data: Some(Bytes::new()),
                acl: Some(acl_of(&[(31, "world", "anyone"), (1, "ip", "127.0.0.1")])),
                ephemeral: false,
                parent_c_version: 7,
            }),
            25_018_576_020,
        ),
        (S1, 0x18, 5018, close(Some(&[])), 25_018_576_020),
    ]
}

#[test]
fn replaying_a_java_log_gives_javas_digests_and_stats() {
    let mut tree = DataTree::new(extended());
    let mut results = Vec::new();
    for (session, zxid, time, body, digest) in java_log() {
        let mut t = txn_at(session, zxid, T0 + time, body);
        t.digest = Some(TxnDigest {
            version: 2,
            tree_digest: digest,
        });
        let applied = tree.apply(&t);
        assert!(
            !applied.digest_mismatch,
            "zxid {zxid:#x}: {} vs {digest}",
            tree.digest()
        );
        assert_eq!(tree.digest(), digest, "zxid {zxid:#x}");
        if zxid == 0x7 {
            let mut eph: Vec<&str> = tree.ephemerals(S2).collect();
            eph.sort();
            assert_eq!(eph, ["/a/eph2-0000000002", "/eph"]);
            assert_eq!(tree.ephemerals_count(), 2);
        }
        check_invariants(&tree);
        results.push(applied);
    }
    assert_eq!(tree.digest_mismatches(), 0);
    // Java: the snapshot written at restart has the trailer {0x18, 2, 25018576020}.
    assert_eq!(
        tree.last_zxid_digest(),
        Some(ZxidDigest {
            zxid: 0x18,
            digest_version: 2,
            digest: 25_018_576_020
        })
    );
    assert_eq!(tree.last_processed_zxid(), 0x18);

    // Java: the failed multi answered [0, −101, −2], all of type error.
    let failed = &results[13];
    assert_eq!(failed.err, -101);
    let multi = failed.multi.as_ref().unwrap();
    assert_eq!(
        multi.iter().map(|r| (r.op, r.err)).collect::<Vec<_>>(),
        [(-1, 0), (-1, -101), (-1, -2)]
    );
    assert!(!tree.contains("/m2"));
    let ok = results[12].multi.as_ref().unwrap();
    assert_eq!(
        ok.iter().map(|r| (r.op, r.err)).collect::<Vec<_>>(),
        [(1, 0), (5, 0), (13, 0)]
    );
    assert_eq!(ok[1].stat.as_ref().map(|s| s.version), Some(1));
    // create TTL answered a stat with the owner hidden.
    let ttl = results[9].stat.as_ref().unwrap();
    assert_eq!(
        (ttl.czxid, ttl.ephemeral_owner, ttl.data_length),
        (10, 0, 1)
    );

    // Java: mntr said zk_znode_count 17, zk_approximate_data_size 244,
    // zk_ephemerals_count 0; getAllChildrenNumber / = 15, /a = 1.
    assert_eq!(tree.node_count(), 17);
    assert_eq!(tree.approximate_data_size(), 244);
    assert_eq!(tree.ephemerals_count(), 0);
    assert_eq!(tree.all_children_number("/"), 15);
    assert_eq!(tree.all_children_number("/a"), 1);

    // Java: the stats the client saw (czxid mzxid pzxid version cversion
    // aversion owner dataLength numChildren), and the data.
    let expect = |path: &str, s: [i64; 9], data: Option<&str>| {
        let (d, stat) = tree.get_data(path).unwrap();
        let got = [
            stat.czxid,
            stat.mzxid,
            stat.pzxid,
            i64::from(stat.version),
            i64::from(stat.cversion),
            i64::from(stat.aversion),
            stat.ephemeral_owner,
            i64::from(stat.data_length),
            i64::from(stat.num_children),
        ];
        assert_eq!(got, s, "{path}");
        assert_eq!(
            d,
            data.map(|s| Bytes::copy_from_slice(s.as_bytes())),
            "{path}"
        );
    };
    expect("/", [0, 15, 23, 1, 7, 0, 0, 8, 7], Some("rootdata"));
    expect("/zookeeper", [0, 0, 17, 0, -1, 0, 0, 0, 3], Some(""));
    expect("/zookeeper/config", [0, 0, 0, 0, 0, -1, 0, 0, 0], Some(""));
    expect("/zookeeper/quota", [0, 0, 19, 0, 1, 0, 0, 0, 1], Some(""));
    expect("/a", [2, 11, 12, 1, 5, 1, 0, 5, 1], Some("world"));
    expect("/a/seq-0000000001", [4, 4, 4, 0, 0, 0, 0, 1, 0], Some("x"));
    expect("/cont", [9, 9, 9, 0, 0, 0, 0, 0, 0], None);
    expect("/ttl", [10, 10, 10, 0, 0, 0, 0, 1, 0], Some("t"));
    expect("/m1", [13, 13, 13, 1, 0, 0, 0, 1, 0], Some("z"));
    expect("/q", [18, 18, 22, 0, 1, 0, 0, 0, 1], None);
    expect("/q/c1", [22, 22, 22, 0, 0, 0, 0, 3, 0], Some("abc"));
    expect(
        "/zookeeper/quota/q/zookeeper_stats",
        [21, 21, 21, 0, 0, 0, 0, 15, 0],
        Some("count=2,bytes=3"),
    );
    expect("/emptydata", [23, 23, 23, 0, 0, 0, 0, 0, 0], Some(""));
    assert_eq!(tree.stat("/").unwrap().mtime, T0 + 902);
    assert_eq!(tree.stat("/a").unwrap().ctime, T0 + 640);

    // Java's snapshot: persisted stats and ACL indexes.
    let node = |p: &str| tree.node(p).unwrap();
    assert_eq!(node("/").stat().cversion, 7);
    assert_eq!(node("/a").stat().cversion, 3);
    assert_eq!(
        node("/ttl").stat().ephemeral_owner,
        0xFF00_0000_0000_2710_u64 as i64
    );
    assert_eq!(node("/cont").stat().ephemeral_owner, i64::MIN);
    assert_eq!(node("/").acl_index(), -1);
    assert_eq!(node("/a").acl_index(), 1);
    assert_eq!(node("/q").acl_index(), 2);
    assert_eq!(node("/emptydata").acl_index(), 3);
    let cache: Vec<(i64, Vec<ACL>)> = tree
        .acl_cache()
        .iter()
        .map(|(i, a)| (i, a.to_vec()))
        .collect();
    assert_eq!(
        cache,
        [
            (1, read_acl_unsafe()),
            (2, open_acl_unsafe()),
            (
                3,
                acl_of(&[(31, "world", "anyone"), (1, "ip", "127.0.0.1")])
            ),
        ]
    );
    assert_eq!(tree.containers().collect::<Vec<_>>(), ["/cont"]);
    assert_eq!(tree.ttls().collect::<Vec<_>>(), ["/ttl"]);
    check_exact_acl_counts(&tree);
}

// ----- stat bookkeeping ---------------------------------------------------------

#[test]
fn create_sets_the_stat_and_the_parent() {
    let mut f = Fixture::new();
    let applied = f.ok(create2("/a", "hello"));
    assert_eq!(applied.op, op::CREATE2);
    assert_eq!(applied.path.as_deref(), Some("/a"));
    let stat = applied.stat.unwrap();
    assert_eq!(
        (stat.czxid, stat.mzxid, stat.pzxid, stat.ctime, stat.mtime),
        (1, 1, 1, 1001, 1001)
    );
    assert_eq!(
        (stat.version, stat.cversion, stat.aversion, stat.data_length),
        (0, 0, 0, 5)
    );
    let root = f.persisted("/");
    assert_eq!((root.cversion, root.pzxid), (1, 1));

    // create (type 1) answers no stat.
    assert_eq!(f.ok(create("/b", "")).stat, None);
    let root = f.persisted("/");
    assert_eq!((root.cversion, root.pzxid), (2, 2));
    assert_eq!(f.tree.stat("/").unwrap().cversion, 2 * 2 - 3);
}

#[test]
fn parent_cversion_only_increases() {
    let mut f = Fixture::new();
    f.ok(TxnBody::Create(create_body("/p", None, false, 5)));
    assert_eq!(f.persisted("/").cversion, 5);
    // A lower cversion (a replay) leaves the parent alone.
    f.ok(TxnBody::Create(create_body("/q", None, false, 3)));
    let root = f.persisted("/");
    assert_eq!((root.cversion, root.pzxid), (5, 1));
    // −1 means current + 1.
    f.ok(TxnBody::Create(create_body("/r", None, false, -1)));
    let root = f.persisted("/");
    assert_eq!((root.cversion, root.pzxid), (6, 3));
    // Equal is not larger.
    f.ok(TxnBody::Create(create_body("/s", None, false, 6)));
    assert_eq!(f.persisted("/").pzxid, 3);
}

#[test]
fn delete_moves_pzxid_up_only_and_even_for_missing_children() {
    let mut f = Fixture::new();
    f.ok(create("/a", ""));
    f.ok(create("/a/b", ""));
    f.ok(create("/a/c", ""));
    let applied = f.ok(delete("/a/b"));
    assert_eq!(applied.path.as_deref(), Some("/a/b"));
    let a = f.persisted("/a");
    assert_eq!((a.cversion, a.pzxid), (2, 4));
    assert_eq!(f.tree.stat("/a").unwrap().cversion, 2 * 2 - 1);

    // NONODE, but the parent's pzxid still moves.
    let applied = f.apply(delete("/a/zz"));
    assert_eq!(applied.error_code(), Some(ErrorCode::NoNode));
    assert_eq!(f.persisted("/a").pzxid, 5);
    assert!(applied.triggers.is_empty());

    // An older zxid (replay) does not lower pzxid.
    let mut t = txn_at(SESSION, 2, 0, delete("/a/c"));
    t.header.zxid = 2;
    assert_eq!(f.tree.apply(&t).err, 0);
    assert_eq!(f.persisted("/a").pzxid, 5);
    assert_eq!(f.tree.last_processed_zxid(), 5);

    // No parent: NONODE and nothing changes.
    assert_eq!(f.apply(delete("/x/y")).err, ErrorCode::NoNode.code());
    check_invariants(&f.tree);
}

#[test]
fn set_data_and_set_acl_bump_their_versions() {
    let mut f = Fixture::new();
    f.ok(create("/a", "1"));
    let applied = f.ok(set_data("/a", "22", 7));
    let stat = applied.stat.unwrap();
    assert_eq!(
        (stat.version, stat.mzxid, stat.mtime, stat.czxid),
        (7, 2, 1002, 1)
    );
    assert_eq!(stat.data_length, 2);
    assert_eq!(f.data("/a").as_deref(), Some(&b"22"[..]));

    let applied = f.ok(set_acl("/a", read_acl_unsafe(), 4));
    assert_eq!(applied.stat.unwrap().aversion, 4);
    assert!(applied.triggers.is_empty());
    assert_eq!(&*f.tree.acl("/a").unwrap(), &read_acl_unsafe()[..]);
    let p = f.persisted("/a");
    assert_eq!((p.mzxid, p.version), (2, 7));

    // Reconfig is a setData of /zookeeper/config.
    let applied = f.ok(TxnBody::Reconfig(SetDataTxn {
        path: Some(CONFIG_PATH.into()),
        data: bytes("server.1=x"),
        version: -1,
    }));
    assert_eq!(applied.op, op::RECONFIG);
    assert_eq!(f.persisted(CONFIG_PATH).version, -1);

    for body in [
        set_data("/nope", "", 1),
        set_acl("/nope", open_acl_unsafe(), 1),
    ] {
        assert_eq!(f.apply(body).err, ErrorCode::NoNode.code());
    }
}

#[test]
fn null_data_is_distinct_from_empty() {
    let mut f = Fixture::new();
    f.ok(TxnBody::Create(create_body("/null", None, false, -1)));
    f.ok(TxnBody::Create(create_body(
        "/empty",
        Some(Bytes::new()),
        false,
        -1,
    )));
    assert_eq!(f.data("/null"), None);
    assert_eq!(f.data("/empty"), Some(Bytes::new()));
    f.ok(TxnBody::SetData(SetDataTxn {
        path: Some("/empty".into()),
        data: None,
        version: 1,
    }));
    assert_eq!(f.data("/empty"), None);
    assert_eq!(f.tree.stat("/empty").unwrap().data_length, 0);
}

#[test]
fn root_answers_to_both_names() {
    let mut f = Fixture::new();
    f.ok(set_data("/", "r", 1));
    assert_eq!(f.data(""), bytes("r"));
    f.ok(TxnBody::SetData(SetDataTxn {
        path: Some("".into()),
        data: bytes("s"),
        version: 2,
    }));
    assert_eq!(f.data("/"), bytes("s"));
    assert_eq!(f.tree.node_count(), 5);
    check_invariants(&f.tree);
}

// ----- watch triggers ---------------------------------------------------------

#[test]
fn triggers_come_in_javas_order_with_acls() {
    let mut f = Fixture::new();
    f.ok(set_acl("/", read_acl_unsafe(), 1));
    let created = f.ok(TxnBody::Create(CreateTxn {
        path: Some("/a".into()),
        data: None,
        acl: Some(acl_of(&[(31, "digest", "u:p")])),
        ephemeral: false,
        parent_c_version: -1,
    }));
    let summary = |a: &Applied| {
        a.triggers
            .iter()
            .map(|t| {
                (
                    t.path.clone(),
                    t.event_type,
                    t.target,
                    t.zxid,
                    t.acl.to_vec(),
                )
            })
            .collect::<Vec<_>>()
    };
    let digest_acl = acl_of(&[(31, "digest", "u:p")]);
    assert_eq!(
        summary(&created),
        [
            (
                "/a".into(),
                event::NODE_CREATED,
                TriggerTarget::Data,
                2,
                digest_acl.clone()
            ),
            (
                "/".into(),
                event::NODE_CHILDREN_CHANGED,
                TriggerTarget::Child,
                2,
                read_acl_unsafe()
            ),
        ]
    );
    let child = f.ok(create("/a/b", ""));
    assert_eq!(child.triggers[1].path, "/a");
    assert_eq!(&*child.triggers[1].acl, &digest_acl[..]);

    let set = f.ok(set_data("/a/b", "x", 1));
    assert_eq!(
        summary(&set),
        [(
            "/a/b".into(),
            event::NODE_DATA_CHANGED,
            TriggerTarget::Data,
            4,
            open_acl_unsafe()
        )]
    );
    let deleted = f.ok(delete("/a/b"));
    assert_eq!(
        summary(&deleted),
        [
            (
                "/a/b".into(),
                event::NODE_DELETED,
                TriggerTarget::DataThenChild,
                5,
                open_acl_unsafe()
            ),
            (
                "/a".into(),
                event::NODE_CHILDREN_CHANGED,
                TriggerTarget::Child,
                5,
                digest_acl
            ),
        ]
    );
    // Null ACL lists are OPEN_ACL_UNSAFE (−1).
    let open = f.ok(TxnBody::Create(CreateTxn {
        path: Some("/o".into()),
        data: None,
        acl: None,
        ephemeral: false,
        parent_c_version: -1,
    }));
    assert_eq!(&*open.triggers[0].acl, &open_acl_unsafe()[..]);
    assert_eq!(f.tree.node("/o").unwrap().acl_index(), -1);
}

// ----- multi -------------------------------------------------------------------

#[test]
fn a_successful_multi_applies_every_op() {
    let mut f = Fixture::new();
    let applied = f.ok(TxnBody::Multi(vec![
        create2("/a", "1"),
        create("/a/b", ""),
        set_data("/a", "2", 1),
        TxnBody::Check(CheckVersionTxn {
            path: Some("/a".into()),
            version: 1,
        }),
        delete("/a/b"),
    ]));
    let multi = applied.multi.unwrap();
    assert_eq!(
        multi
            .iter()
            .map(|r| (r.op, r.err, r.path.as_deref()))
            .collect::<Vec<_>>(),
        [
            (op::CREATE2, 0, Some("/a")),
            (op::CREATE, 0, Some("/a/b")),
            (op::SET_DATA, 0, Some("/a")),
            (op::CHECK, 0, Some("/a")),
            (op::DELETE, 0, Some("/a/b")),
        ]
    );
    assert_eq!(multi[0].stat.as_ref().map(|s| s.czxid), Some(1));
    assert_eq!(multi[1].stat, None);
    assert_eq!(multi[2].stat.as_ref().map(|s| s.version), Some(1));
    // Every op has the multi's zxid; triggers of all ops, in order.
    assert_eq!(f.persisted("/a").pzxid, 1);
    assert_eq!(applied.triggers.len(), 2 + 2 + 1 + 2);
    assert!(applied.triggers.iter().all(|t| t.zxid == 1));
    assert_eq!(f.tree.last_processed_zxid(), 1);
}

#[test]
fn a_failed_multi_applies_nothing() {
    let mut f = Fixture::new();
    f.ok(create("/x", ""));
    let digest = f.tree.digest();
    let applied = f.apply(TxnBody::Multi(vec![
        create("/a", ""),
        set_data("/x", "1", 1),
        TxnBody::error(ErrorCode::BadVersion.code()),
        TxnBody::error(ErrorCode::RuntimeInconsistency.code()),
        delete("/x"),
    ]));
    assert_eq!(applied.err, ErrorCode::BadVersion.code());
    assert_eq!(
        applied
            .multi
            .unwrap()
            .iter()
            .map(|r| (r.op, r.err))
            .collect::<Vec<_>>(),
        [(-1, 0), (-1, 0), (-1, -103), (-1, -2), (-1, -2)]
    );
    assert!(applied.triggers.is_empty());
    assert!(!f.tree.contains("/a"));
    assert_eq!(f.tree.digest(), digest);
    assert_eq!(f.tree.last_processed_zxid(), 2);
}

#[test]
fn a_multi_op_failing_at_apply_time_does_not_undo_the_others() {
    // Replay after a fuzzy snapshot: no rollback, as in Java.
    let mut f = Fixture::new();
    let applied = f.apply(TxnBody::Multi(vec![
        create("/a", ""),
        delete("/nope"),
        create("/b", ""),
    ]));
    assert_eq!(applied.err, ErrorCode::NoNode.code());
    let multi = applied.multi.unwrap();
    assert_eq!(
        multi.iter().map(|r| r.err).collect::<Vec<_>>(),
        [0, -101, 0]
    );
    assert!(f.tree.contains("/a") && f.tree.contains("/b"));
}

#[test]
fn an_invalid_op_stops_a_multi_where_it_is() {
    let mut f = Fixture::new();
    let applied = f.apply(TxnBody::Multi(vec![
        create("/a", ""),
        set_acl("/a", read_acl_unsafe(), 1),
        create("/b", ""),
    ]));
    assert_eq!(applied.err, 0);
    assert_eq!(applied.multi.unwrap().len(), 1);
    assert!(f.tree.contains("/a") && !f.tree.contains("/b"));
    assert_eq!(f.tree.node("/a").unwrap().stat().aversion, 0);
    // Nested multis and session ops are invalid too; empty multis are fine.
    let applied = f.apply(TxnBody::Multi(vec![
        TxnBody::Multi(vec![]),
        create("/c", ""),
    ]));
    assert_eq!(applied.multi.unwrap().len(), 0);
    assert_eq!(f.apply(TxnBody::Multi(vec![])).multi, Some(vec![]));
}

// ----- create fix-ups ----------------------------------------------------------

#[test]
fn replayed_create_over_an_existing_node_fixes_the_parent_and_repoints_the_acl() {
    let mut f = Fixture::new();
    f.ok(create("/p", ""));
    f.ok(create("/p/c", "data"));
    let digest_acl = acl_of(&[(31, "digest", "u:p")]);
    let before = f.persisted("/p");
    let applied = f.apply(TxnBody::Create(CreateTxn {
        path: Some("/p/c".into()),
        data: bytes("other"),
        acl: Some(digest_acl.clone()),
        ephemeral: false,
        parent_c_version: 5,
    }));
    assert_eq!(applied.error_code(), Some(ErrorCode::NodeExists));
    assert!(applied.triggers.is_empty());
    let after = f.persisted("/p");
    assert_eq!((before.cversion, after.cversion, after.pzxid), (1, 5, 3));
    // The data is untouched but the ACL is the txn's (3.9.4+).
    assert_eq!(f.data("/p/c"), bytes("data"));
    assert_eq!(&*f.tree.acl("/p/c").unwrap(), &digest_acl[..]);
    let index = f.tree.node("/p/c").unwrap().acl_index();
    assert_eq!(f.tree.acl_cache().ref_count(index), Some(1));
    // Like Java, the old index keeps the count of its former user.
    assert_eq!(f.tree.acl_cache().ref_count(2), Some(2));
    check_invariants(&f.tree);

    // A lower cversion changes nothing; −1 means + 1.
    let mut c = create_body("/p/c", None, false, 2);
    f.apply(TxnBody::Create(c.clone()));
    assert_eq!(f.persisted("/p").cversion, 5);
    c.parent_c_version = -1;
    f.apply(TxnBody::Create(c));
    let p = f.persisted("/p");
    assert_eq!((p.cversion, p.pzxid), (6, 5));

    // create2 over an existing node gets no fix-up (only type 1 does).
    let mut c2 = create_body("/p/c", None, false, 50);
    c2.acl = None;
    assert_eq!(
        f.apply(TxnBody::Create2(c2)).err,
        ErrorCode::NodeExists.code()
    );
    assert_eq!(f.persisted("/p").cversion, 6);
    assert_eq!(f.tree.node("/p/c").unwrap().acl_index(), -1);

    // Inside a multi, a type-1 create gets the fix-up too.
    f.apply(TxnBody::Multi(vec![TxnBody::Create(create_body(
        "/p/c", None, false, 9,
    ))]));
    assert_eq!(f.persisted("/p").cversion, 9);
    check_invariants(&f.tree);
}

#[test]
fn set_cversion_pzxid_ignores_a_trailing_slash() {
    let mut f = Fixture::new();
    f.ok(create("/a", ""));
    f.tree.set_cversion_pzxid("/a/", 3, 77).unwrap();
    let a = f.persisted("/a");
    assert_eq!((a.cversion, a.pzxid), (3, 77));
    f.tree.set_cversion_pzxid("/", -1, 78).unwrap();
    assert_eq!(f.persisted("/").cversion, 2);
    assert_eq!(
        f.tree.set_cversion_pzxid("/b", 1, 1),
        Err(ErrorCode::NoNode)
    );
    check_invariants(&f.tree);
}

// ----- sessions and node kinds -----------------------------------------------------

#[test]
fn close_session_deletes_the_listed_paths_then_the_rest() {
    let mut f = Fixture::new();
    let other = 0x200;
    f.ok(create("/p", ""));
    f.apply_as(
        SESSION,
        TxnBody::Create(create_body("/p/e1", None, true, -1)),
    );
    f.apply_as(SESSION, TxnBody::Create(create_body("/e2", None, true, -1)));
    f.apply_as(SESSION, TxnBody::Create(create_body("/e3", None, true, -1)));
    f.apply_as(other, TxnBody::Create(create_body("/o", None, true, -1)));
    assert_eq!(f.tree.ephemerals_count(), 4);
    let mut mine: Vec<&str> = f.tree.ephemerals(SESSION).collect();
    mine.sort();
    assert_eq!(mine, ["/e2", "/e3", "/p/e1"]);
    assert_eq!(f.tree.stat("/e2").unwrap().ephemeral_owner, SESSION);

    // The list names /o (another session's) and a missing path, not /e3.
    let applied = f.apply(close(Some(&["/p/e1", "/o", "/gone", "/e2"])));
    assert_eq!((applied.err, applied.path.as_deref()), (0, None));
    let deleted: Vec<&str> = applied
        .triggers
        .iter()
        .filter(|t| t.event_type == event::NODE_DELETED)
        .map(|t| t.path.as_str())
        .collect();
    assert_eq!(deleted, ["/p/e1", "/o", "/e2", "/e3"]);
    assert_eq!(applied.triggers[1].path, "/p");
    assert_eq!(f.tree.ephemerals_count(), 0);
    assert_eq!(f.tree.ephemerals(other).count(), 0);
    assert!(f.tree.all_ephemerals().all(|(s, _)| s == other));
    for p in ["/p/e1", "/e2", "/e3", "/o"] {
        assert!(!f.tree.contains(p), "{p}");
    }
    check_invariants(&f.tree);
}

#[test]
fn close_session_without_a_list_deletes_what_the_session_owns() {
    for body in [
        close(None),
        TxnBody::CloseSession(Some(CloseSessionTxn {
            paths2_delete: None,
        })),
    ] {
        let mut f = Fixture::new();
        f.ok(TxnBody::Create(create_body("/e", None, true, -1)));
        f.ok(create("/keep", ""));
        let applied = f.ok(body);
        assert_eq!(applied.triggers.len(), 2);
        assert!(!f.tree.contains("/e") && f.tree.contains("/keep"));
        assert_eq!(f.tree.all_ephemerals().count(), 0);
        // Closing a session with nothing is fine.
        f.ok(close(None));
        check_invariants(&f.tree);
    }
}

#[test]
fn containers_and_ttls_are_indexed_and_hidden_from_clients() {
    let mut f = Fixture::with(extended());
    f.ok(TxnBody::CreateContainer(CreateContainerTxn {
        path: Some("/c".into()),
        data: None,
        acl: None,
        parent_c_version: -1,
    }));
    f.ok(TxnBody::CreateTtl(CreateTTLTxn {
        path: Some("/t".into()),
        data: None,
        acl: None,
        parent_c_version: -1,
        ttl: 5000,
    }));
    assert_eq!(f.tree.containers().collect::<Vec<_>>(), ["/c"]);
    assert_eq!(f.tree.ttls().collect::<Vec<_>>(), ["/t"]);
    assert_eq!(f.tree.ephemerals_count(), 0);
    assert_eq!(f.tree.stat("/c").unwrap().ephemeral_owner, 0);
    assert_eq!(f.tree.stat("/t").unwrap().ephemeral_owner, 0);
    let owner = f.persisted("/t").ephemeral_owner;
    assert_eq!(owner, 0xFF00_0000_0000_1388_u64 as i64);
    assert_eq!(EphemeralType::ttl_of(owner), 5000);
    f.ok(TxnBody::DeleteContainer(DeleteTxn {
        path: Some("/c".into()),
    }));
    f.ok(TxnBody::DeleteContainer(DeleteTxn {
        path: Some("/t".into()),
    }));
    assert_eq!(f.tree.containers().count() + f.tree.ttls().count(), 0);

    // Invalid TTLs: Java throws, we answer BADARGUMENTS and change nothing.
    for ttl in [0, -1, MAX_TTL_MS + 1] {
        let applied = f.apply(TxnBody::CreateTtl(CreateTTLTxn {
            path: Some("/bad".into()),
            data: None,
            acl: None,
            parent_c_version: -1,
            ttl,
        }));
        assert_eq!(applied.err, ErrorCode::BadArguments.code());
    }
    assert!(!f.tree.contains("/bad"));
    check_invariants(&f.tree);
}

#[test]
fn without_extended_types_a_ttl_owner_is_a_session() {
    let mut f = Fixture::new();
    f.ok(TxnBody::CreateTtl(CreateTTLTxn {
        path: Some("/t".into()),
        data: None,
        acl: None,
        parent_c_version: -1,
        ttl: 5000,
    }));
    let owner = 0xFF00_0000_0000_1388_u64 as i64;
    assert_eq!(f.tree.ttls().count(), 0);
    assert_eq!(f.tree.ephemerals(owner).collect::<Vec<_>>(), ["/t"]);
    assert_eq!(f.tree.stat("/t").unwrap().ephemeral_owner, owner);
    check_invariants(&f.tree);
}

#[test]
fn ephemeral_types_follow_javas_rules() {
    let plain = OwnerEncoding::default();
    let ext = OwnerEncoding {
        extended_types_enabled: true,
        emulate_353_ttl_nodes: false,
    };
    let emu = OwnerEncoding {
        extended_types_enabled: true,
        emulate_353_ttl_nodes: true,
    };
    let ttl = EphemeralType::ttl_owner(1).unwrap();
    assert_eq!(ttl, 0xFF00_0000_0000_0001_u64 as i64);
    assert_eq!(
        EphemeralType::ttl_owner(MAX_TTL_MS),
        Some(0xFF00_00FF_FFFF_FFFF_u64 as i64)
    );
    assert_eq!(EphemeralType::ttl_owner(0), None);
    for enc in [plain, ext, emu] {
        assert_eq!(EphemeralType::of(0, enc), EphemeralType::Void);
        assert_eq!(EphemeralType::of(i64::MIN, enc), EphemeralType::Container);
        assert_eq!(EphemeralType::of(0x1234, enc), EphemeralType::Normal);
    }
    assert_eq!(EphemeralType::of(ttl, plain), EphemeralType::Normal);
    assert_eq!(EphemeralType::of(ttl, ext), EphemeralType::Ttl);
    // 3.5.3's encoding: the high bit and the TTL.
    let old_ttl = i64::MIN | 5000;
    assert_eq!(EphemeralType::of(old_ttl, ext), EphemeralType::Normal);
    assert_eq!(EphemeralType::of(old_ttl, emu), EphemeralType::Ttl);
    // An unknown extended feature (Java throws) reads as a session.
    assert_eq!(
        EphemeralType::of(0xFF01_0000_0000_0001_u64 as i64, ext),
        EphemeralType::Normal
    );
}

// ----- the ACL cache ------------------------------------------------------------

#[test]
fn acl_cache_counts_references() {
    let mut cache = AclCache::new();
    assert_eq!(cache.convert_acls(None), -1);
    let open = open_acl_unsafe();
    let read = read_acl_unsafe();
    // A list equal to OPEN_ACL_UNSAFE still gets an index.
    assert_eq!(cache.convert_acls(Some(&open)), 1);
    assert_eq!(cache.convert_acls(Some(&read)), 2);
    assert_eq!(cache.convert_acls(Some(&open)), 1);
    assert_eq!(cache.ref_count(1), Some(2));
    // Order matters.
    let ab = acl_of(&[(1, "ip", "a"), (1, "ip", "b")]);
    let ba = acl_of(&[(1, "ip", "b"), (1, "ip", "a")]);
    assert_eq!(cache.convert_acls(Some(&ab)), 3);
    assert_eq!(cache.convert_acls(Some(&ba)), 4);
    assert_eq!(cache.convert_acls(Some(&[])), 5);
    assert_eq!(cache.resolve(5).map(|a| a.len()), Some(0));
    assert_eq!(cache.len(), 5);

    cache.remove_usage(1);
    assert_eq!(cache.ref_count(1), Some(1));
    cache.remove_usage(1);
    assert_eq!(cache.ref_count(1), None);
    assert!(cache.resolve(1).is_none());
    // Indexes are never reused.
    assert_eq!(cache.convert_acls(Some(&open)), 6);
    // −1 and unknown indexes are ignored.
    cache.remove_usage(-1);
    cache.remove_usage(99);
    cache.add_usage(99);
    assert_eq!(&**cache.resolve(-1).unwrap(), &open[..]);
    assert_eq!(
        cache.iter().map(|(i, _)| i).collect::<Vec<_>>(),
        [2, 3, 4, 5, 6]
    );
}

#[test]
fn acl_cache_loads_and_purges_like_a_snapshot_reader() {
    let mut cache = AclCache::new();
    cache.convert_acls(Some(&read_acl_unsafe()));
    cache.clear();
    cache.insert_loaded(7, open_acl_unsafe());
    cache.insert_loaded(3, read_acl_unsafe());
    assert_eq!(cache.last_index(), 7);
    assert_eq!(cache.ref_count(7), Some(0));
    cache.add_usage(3);
    cache.purge_unused();
    assert_eq!(cache.iter().map(|(i, _)| i).collect::<Vec<_>>(), [3]);
    assert_eq!(cache.convert_acls(Some(&read_acl_unsafe())), 3);
    assert_eq!(cache.convert_acls(Some(&open_acl_unsafe())), 8);
}

#[test]
fn set_acl_releases_before_it_converts() {
    // Java: removeUsage then convertAcls, so re-setting the only user's list
    // gives it a fresh index.
    let mut f = Fixture::new();
    let acl = acl_of(&[(31, "digest", "u:p")]);
    f.ok(TxnBody::Create(CreateTxn {
        path: Some("/a".into()),
        data: None,
        acl: Some(acl.clone()),
        ephemeral: false,
        parent_c_version: -1,
    }));
    assert_eq!(f.tree.node("/a").unwrap().acl_index(), 2);
    f.ok(set_acl("/a", acl.clone(), 1));
    assert_eq!(f.tree.node("/a").unwrap().acl_index(), 3);
    assert_eq!(f.tree.acl_cache().ref_count(2), None);
    f.ok(delete("/a"));
    assert_eq!(f.tree.acl_cache().len(), 1);
    check_exact_acl_counts(&f.tree);
}

// ----- quotas ---------------------------------------------------------------------

fn with_quota(limits: &str) -> Fixture {
    let mut f = Fixture::new();
    f.ok(create("/q", "12"));
    f.ok(create("/q/old", "123"));
    f.ok(create("/zookeeper/quota/q", ""));
    f.ok(create("/zookeeper/quota/q/zookeeper_limits", limits));
    f.ok(create(
        "/zookeeper/quota/q/zookeeper_stats",
        "count=0,bytes=0",
    ));
    f
}

fn usage(f: &Fixture) -> String {
    let data = f.data("/zookeeper/quota/q/zookeeper_stats").unwrap();
    String::from_utf8(data.to_vec()).unwrap()
}

#[test]
fn quota_usage_is_recounted_then_maintained() {
    let mut f = with_quota("count=10,bytes=100");
    assert!(f.tree.quota_trie().contains("/q"));
    assert_eq!(
        f.tree.max_prefix_with_quota("/q/x/y").as_deref(),
        Some("/q")
    );
    assert_eq!(f.tree.max_prefix_with_quota("/qq"), None);
    // Recounted when the stats node was created: /q and /q/old.
    assert_eq!(usage(&f), "count=2,bytes=5");
    let size = f.tree.approximate_data_size();

    f.ok(create("/q/new", "abcd"));
    assert_eq!(usage(&f), "count=3,bytes=9");
    f.ok(create("/q/new/deep", ""));
    assert_eq!(usage(&f), "count=4,bytes=9");
    f.ok(set_data("/q/new", "a", 1));
    assert_eq!(usage(&f), "count=4,bytes=6");
    f.ok(delete("/q/new/deep"));
    f.ok(delete("/q/old"));
    assert_eq!(usage(&f), "count=2,bytes=3");
    // The stats node's stat is untouched and the cached size ignores it.
    assert_eq!(
        f.tree
            .stat("/zookeeper/quota/q/zookeeper_stats")
            .unwrap()
            .version,
        0
    );
    // +(6 + 4) +(11 + 0) −3 −11 −(6 + 3): paths and data of the nodes.
    assert_eq!(f.tree.approximate_data_size(), size - 2);

    // Deleting the limits node ends the quota.
    f.ok(delete("/zookeeper/quota/q/zookeeper_limits"));
    assert_eq!(f.tree.max_prefix_with_quota("/q/new"), None);
    f.ok(create("/q/after", "zzz"));
    assert_eq!(usage(&f), "count=2,bytes=3");
    check_invariants(&f.tree);
}

#[test]
fn quota_stats_survive_garbage() {
    let mut f = with_quota("count=10");
    f.ok(set_data(
        "/zookeeper/quota/q/zookeeper_stats",
        "not quota text",
        1,
    ));
    f.ok(create("/q/x", "1"));
    assert_eq!(usage(&f), "not quota text");
    f.ok(TxnBody::SetData(SetDataTxn {
        path: Some("/zookeeper/quota/q/zookeeper_stats".into()),
        data: None,
        version: 2,
    }));
    f.ok(delete("/q/x"));
    assert_eq!(f.tree.check_quota("/q/y", 0, 1, true, true), Ok(()));
    check_invariants(&f.tree);
}

#[test]
fn quota_checks_follow_javas_rules() {
    let f = with_quota("count=2,bytes=6");
    // Not enforced: nothing is checked.
    assert_eq!(f.tree.check_quota("/q/a", 0, 1000, true, false), Ok(()));
    // Soft limits only warn.
    assert_eq!(f.tree.check_quota("/q/a", 0, 1000, true, true), Ok(()));
    assert_eq!(
        f.tree.check_quota("/elsewhere", 0, 1000, true, true),
        Ok(())
    );

    let mut f = with_quota("count=-1,bytes=-1=;byteHardLimit=7;countHardLimit=3");
    // count 2 → 3 is allowed, bytes 5 → 7 is allowed.
    assert_eq!(f.tree.check_quota("/q/a", 0, 2, true, true), Ok(()));
    assert_eq!(
        f.tree.check_quota("/q/a", 0, 3, true, true),
        Err(ErrorCode::QuotaExceeded)
    );
    // setData counts only the difference, and no node.
    assert_eq!(f.tree.check_quota("/q/old", 3, 5, false, true), Ok(()));
    assert_eq!(
        f.tree.check_quota("/q/old", 3, 6, false, true),
        Err(ErrorCode::QuotaExceeded)
    );
    assert_eq!(f.tree.check_quota("/q/old", 300, 6, false, true), Ok(()));
    f.ok(create("/q/a", ""));
    assert_eq!(
        f.tree.check_quota("/q/b", 0, 0, true, true),
        Err(ErrorCode::QuotaExceeded)
    );
    // A byte-neutral setData is never checked.
    assert_eq!(f.tree.check_quota("/q/old", 3, 3, false, true), Ok(()));
}

#[test]
fn quota_trie_matches_path_trie() {
    let mut trie = PathTrie::default();
    trie.add_path("/a/b");
    trie.add_path("/a/b/c/d");
    assert_eq!(trie.find_max_prefix("/a"), None);
    assert_eq!(trie.find_max_prefix("/a/b").as_deref(), Some("/a/b"));
    assert_eq!(trie.find_max_prefix("/a/b/c").as_deref(), Some("/a/b"));
    assert_eq!(
        trie.find_max_prefix("/a/b/c/d/e").as_deref(),
        Some("/a/b/c/d")
    );
    // Blank components are skipped, as Java's split-and-trim does.
    assert_eq!(trie.find_max_prefix("//a/ /b/x").as_deref(), Some("/a/b"));
    trie.delete_path("/a/b");
    assert_eq!(trie.find_max_prefix("/a/b/c"), None);
    assert!(trie.contains("/a/b/c/d"));
    trie.delete_path("/a/b/c/d");
    assert!(!trie.contains("/a/b/c/d"));
    assert!(trie.contains("/a/b/c"));
    trie.delete_path("/");
    trie.delete_path("/not/there");
    trie.clear();
    assert!(!trie.contains("/a"));
}

#[test]
fn stats_track_parses_and_prints_like_java() {
    let t = StatsTrack::parse("count=4,bytes=5=;byteHardLimit=10;countHardLimit=11").unwrap();
    assert_eq!(
        (
            t.count(),
            t.bytes(),
            t.count_hard_limit(),
            t.byte_hard_limit()
        ),
        (4, 5, 11, 10)
    );
    assert_eq!(
        t.to_string(),
        "count=4,bytes=5=;byteHardLimit=10;countHardLimit=11"
    );
    let t = StatsTrack::parse("countHardLimit=3").unwrap();
    assert_eq!(t.to_string(), "count=-1,bytes=-1=;countHardLimit=3");
    assert_eq!(StatsTrack::parse("").unwrap(), StatsTrack::default());
    assert_eq!(StatsTrack::parse(",,;").unwrap(), StatsTrack::default());
    assert_eq!(StatsTrack::parse("count=1,,;bytes=2;").unwrap().bytes(), 2);
    assert_eq!(StatsTrack::parse("count==7").unwrap().count(), -1);
    assert_eq!(StatsTrack::parse("count=+7,count=8").unwrap().count(), 8);
    assert_eq!(
        StatsTrack::with_count_and_bytes(0, 0).to_string(),
        "count=0,bytes=0"
    );
    for bad in [
        "count",
        "count=",
        ",count=1",
        "count=x",
        "count= 1",
        "count=1,bytes",
    ] {
        assert!(StatsTrack::parse(bad).is_err(), "{bad}");
    }
    // An empty key is a key. (All these cases were run through Java's
    // StatsTrack: the same values, texts and failures.)
    assert_eq!(
        StatsTrack::parse("=5,").unwrap().to_string(),
        "count=-1,bytes=-1=;=5"
    );
}

#[test]
fn rebuild_quotas_recreates_the_trie_and_the_usage() {
    let mut f = with_quota("count=10");
    f.ok(create("/q/more", "xy"));
    f.ok(set_data(
        "/zookeeper/quota/q/zookeeper_stats",
        "count=0,bytes=0",
        1,
    ));
    f.tree.quotas.clear();
    f.tree.rebuild_quotas();
    assert_eq!(f.tree.max_prefix_with_quota("/q/a").as_deref(), Some("/q"));
    assert_eq!(usage(&f), "count=3,bytes=7");
}

// ----- reads and walks -----------------------------------------------------------

#[test]
fn preorder_visits_parents_first() {
    let mut f = Fixture::new();
    for p in ["/a", "/a/b", "/a/b/c", "/d", "/a/e"] {
        f.ok(create(p, ""));
    }
    let mut seen: Vec<String> = Vec::new();
    f.tree.for_each_preorder(|path, node| {
        if !path.is_empty() {
            let parent = &path[..path.rfind('/').unwrap()];
            assert!(seen.iter().any(|s| s == parent), "{path} before {parent}");
        }
        assert!(std::ptr::eq(node, f.tree.node(path).unwrap()));
        seen.push(path.to_owned());
    });
    assert_eq!(seen[0], "");
    assert_eq!(seen.len(), f.tree.node_count() - 1);
}

#[test]
fn all_children_number_counts_descendants() {
    let mut f = Fixture::new();
    for p in ["/a", "/a/b", "/a/b/c", "/a/d"] {
        f.ok(create(p, ""));
    }
    assert_eq!(f.tree.all_children_number("/a"), 3);
    assert_eq!(f.tree.all_children_number("/a/b/c"), 0);
    assert_eq!(f.tree.all_children_number("/none"), 0);
    assert_eq!(f.tree.all_children_number("/"), 7);
    assert_eq!(f.tree.all_children_number("/zookeeper"), 2);
}

#[test]
fn reads_answer_nonode() {
    let tree = DataTree::default();
    assert_eq!(tree.stat("/x"), Err(ErrorCode::NoNode));
    assert_eq!(tree.get_data("/x"), Err(ErrorCode::NoNode));
    assert_eq!(tree.children("/x"), Err(ErrorCode::NoNode));
    assert_eq!(tree.acl("/x").map(|_| ()), Err(ErrorCode::NoNode));
    assert!(tree.node("/x").is_none());
}

// ----- nonsense ------------------------------------------------------------------

#[test]
fn nonsense_paths_are_errors_not_panics() {
    let mut f = Fixture::new();
    let none_path = |body: fn(Option<String>) -> TxnBody| body(None);
    let cases: Vec<(TxnBody, ErrorCode)> = vec![
        (create("/a/b", ""), ErrorCode::NoNode),
        (create("a", ""), ErrorCode::NoNode),
        (create("", ""), ErrorCode::NoNode),
        (create("/a/", ""), ErrorCode::BadArguments),
        (create("//", ""), ErrorCode::BadArguments),
        (create("/", ""), ErrorCode::NodeExists),
        (create("/zookeeper", ""), ErrorCode::NodeExists),
        (delete("/"), ErrorCode::BadArguments),
        (delete(""), ErrorCode::BadArguments),
        (delete("a"), ErrorCode::NoNode),
        (delete("/a/"), ErrorCode::NoNode),
        (set_data("a", "", 1), ErrorCode::NoNode),
        (
            none_path(|path| {
                TxnBody::Create(CreateTxn {
                    path,
                    data: None,
                    acl: None,
                    ephemeral: false,
                    parent_c_version: 0,
                })
            }),
            ErrorCode::NoNode,
        ),
        (
            none_path(|path| TxnBody::Delete(DeleteTxn { path })),
            ErrorCode::NoNode,
        ),
        (
            none_path(|path| {
                TxnBody::SetData(SetDataTxn {
                    path,
                    data: None,
                    version: 0,
                })
            }),
            ErrorCode::NoNode,
        ),
        (
            none_path(|path| {
                TxnBody::SetAcl(SetACLTxn {
                    path,
                    acl: None,
                    version: 0,
                })
            }),
            ErrorCode::NoNode,
        ),
    ];
    for (body, code) in cases {
        let applied = f.apply(body.clone());
        assert_eq!(applied.error_code(), Some(code), "{body:?}");
    }
    // Deleting /zookeeper/quota limits with odd parents, and the built-ins,
    // does not panic (Java allows it in the tree; the prepare stage refuses).
    f.apply(delete("/zookeeper/zookeeper_limits"));
    f.apply(delete("/zookeeper/quota"));
    f.apply(create("/zookeeper/quota", ""));
    f.apply(create("/zookeeper/quota/zookeeper_limits", "count=1"));
    f.apply(create("/zookeeper/quota/zookeeper_stats", ""));
    f.apply(create("/zookeeper/quotaX", ""));
    f.apply(create("/zookeeper/quotaX/zookeeper_stats", ""));
    f.apply(delete("/zookeeper"));
    f.apply(create("/x", ""));
    // An error txn and a check at the top level.
    assert_eq!(f.apply(TxnBody::error(-110)).err, -110);
    assert_eq!(f.apply(TxnBody::error(12345)).error_code(), None);
    let check = f.apply(TxnBody::Check(CheckVersionTxn {
        path: Some("/x".into()),
        version: 9,
    }));
    assert_eq!((check.err, check.path.as_deref()), (0, Some("/x")));
    let _ = ErrorTxn { err: 0 };
    check_invariants(&f.tree);
}

#[test]
fn deleting_a_parent_orphans_its_children_like_java() {
    let mut f = Fixture::new();
    f.ok(create("/a", ""));
    f.ok(create("/a/b", ""));
    f.ok(delete("/a"));
    assert!(f.tree.node("/a/b").is_some());
    f.ok(create("/a", ""));
    // Java's create finds the orphan and answers NODEEXISTS.
    assert_eq!(
        f.apply(create("/a/b", "")).err,
        ErrorCode::NodeExists.code()
    );
    assert_eq!(f.tree.children("/a").unwrap().len(), 0);
    check_invariants(&f.tree);

    // Deeper: the orphan's own children stay under it; Java counts them
    // all (its keys), walks none of them from the root, and deleting the
    // orphan orphans its children in turn.
    f.ok(create("/a/b/c", "cc"));
    f.ok(create("/a/b/c/d", ""));
    assert_eq!(f.tree.node_count(), 9);
    assert_eq!(f.tree.all_children_number("/a"), 3);
    assert_eq!(f.tree.all_children_number("/a/b"), 2);
    let mut walked = Vec::new();
    f.tree.for_each_preorder(|p, _| walked.push(p.to_owned()));
    assert!(!walked.iter().any(|p| p.starts_with("/a/")), "{walked:?}");
    assert_eq!(f.tree.node("/a/b/c").unwrap().data(), Some(&b"cc"[..]));
    f.ok(delete("/a/b/c/d"));
    f.ok(delete("/a/b"));
    assert!(f.tree.node("/a/b").is_none());
    assert!(f.tree.node("/a/b/c").is_some());
    assert_eq!(f.tree.all_children_number("/a"), 1);
    check_invariants(&f.tree);
    // Its parent's path is gone: Java's delete fails before looking.
    assert_eq!(f.apply(delete("/a/b/c")).err, ErrorCode::NoNode.code());
    assert_eq!(f.tree.node_count(), 7);
    check_invariants(&f.tree);
}

// ----- Java's DataTree on edge cases ---------------------------------------------

/// The same transactions applied to Java 3.9.5's `DataTree` directly
/// (`processTxn`, extendedTypesEnabled=true): replayed creates over existing
/// nodes, a delete with an old zxid, a multi failing at apply time, a
/// closeSession with a stale list, quotas, and a create of "/". Each
/// digest, and the final state, is what Java printed.
#[test]
fn edge_cases_match_javas_data_tree() {
    let mut tree = DataTree::new(extended());
    assert_eq!(tree.digest(), 1_371_985_504);
    let digest_acl = acl_of(&[(31, "digest", "u:p")]);
    let c = |path: &str, data: Option<Bytes>, acl: Vec<ACL>, eph: bool, pcv: i32| CreateTxn {
        path: Some(path.into()),
        data,
        acl: Some(acl),
        ephemeral: eph,
        parent_c_version: pcv,
    };
    let open = open_acl_unsafe;
    let steps: Vec<(i64, i64, i64, TxnBody, i32, i64)> = vec![
        (
            1,
            1,
            100,
            TxnBody::Create(c("/a", bytes("x"), open(), false, -1)),
            0,
            6_059_131_167,
        ),
        (
            1,
            2,
            200,
            TxnBody::Create(c("/a/b", None, digest_acl.clone(), false, -1)),
            0,
            5_814_577_483,
        ),
        (
            1,
            3,
            300,
            TxnBody::Create(c("/a/b", bytes("y"), read_acl_unsafe(), false, 5)),
            -110,
            4_744_467_924,
        ),
        (
            1,
            4,
            400,
            TxnBody::Create2(c("/a/b", None, open(), false, 9)),
            -110,
            4_744_467_924,
        ),
        (1, 5, 500, delete("/a/zz"), -101, 7_634_446_356),
        (1, 4, 600, delete("/a/b"), 0, 5_799_353_987),
        (1, 6, 700, set_acl("/a", open(), 1), 0, 5_589_054_148),
        (
            1,
            7,
            800,
            TxnBody::Multi(vec![
                TxnBody::Create(c("/m", None, open(), false, -1)),
                delete("/nope"),
                TxnBody::Create2(c("/n", bytes("n"), open(), false, -1)),
            ]),
            -101,
            10_373_588_374,
        ),
        (
            0x55,
            8,
            900,
            TxnBody::Create(c("/e", None, open(), true, -1)),
            0,
            10_729_123_169,
        ),
        (
            0x55,
            9,
            910,
            TxnBody::Create(c("/f", None, open(), true, -1)),
            0,
            15_667_954_097,
        ),
        (
            0x55,
            10,
            920,
            close(Some(&["/e", "/gone"])),
            0,
            8_513_427_607,
        ),
        (
            1,
            11,
            1000,
            TxnBody::CreateTtl(CreateTTLTxn {
                path: Some("/t".into()),
                data: None,
                acl: Some(open()),
                parent_c_version: -1,
                ttl: 100,
            }),
            0,
            12_244_964_214,
        ),
        (
            1,
            12,
            1010,
            TxnBody::CreateContainer(CreateContainerTxn {
                path: Some("/c".into()),
                data: None,
                acl: Some(open()),
                parent_c_version: -1,
            }),
            0,
            18_583_452_328,
        ),
        (1, 13, 1100, set_data("/", "r", 1), 0, 15_386_552_079),
        (
            1,
            14,
            1200,
            TxnBody::Create(c("/zookeeper/quota/a", None, open(), false, -1)),
            0,
            15_386_552_079,
        ),
        (
            1,
            15,
            1210,
            TxnBody::Create(c(
                "/zookeeper/quota/a/zookeeper_limits",
                bytes("count=1"),
                open(),
                false,
                -1,
            )),
            0,
            15_386_552_079,
        ),
        (
            1,
            16,
            1220,
            TxnBody::Create(c(
                "/zookeeper/quota/a/zookeeper_stats",
                bytes("count=0,bytes=0"),
                open(),
                false,
                -1,
            )),
            0,
            15_386_552_079,
        ),
        (
            1,
            17,
            1300,
            TxnBody::Create(c("/a/q", bytes("12345"), open(), false, -1)),
            0,
            14_228_312_562,
        ),
        (1, 18, 1400, TxnBody::error(-110), -110, 14_228_312_562),
        (
            1,
            19,
            1500,
            TxnBody::Create(c("/", None, digest_acl.clone(), false, -1)),
            -110,
            16_708_738_763,
        ),
    ];
    for (session, zxid, time, body, err, digest) in steps {
        let label = format!("{zxid}: {body:?}");
        let applied = tree.apply(&txn_at(session, zxid, time, body));
        assert_eq!(applied.err, err, "{label}");
        assert_eq!(tree.digest(), digest, "{label}");
        if zxid == 7 {
            let multi = applied.multi.as_ref().unwrap();
            let got: Vec<(i32, i32)> = multi.iter().map(|r| (r.op, r.err)).collect();
            assert_eq!(got, [(1, 0), (2, -101), (15, 0)]);
        }
        check_invariants(&tree);
    }

    // path → (data, acl index, czxid mzxid pzxid ctime mtime version
    // cversion aversion owner, client cversion, numChildren)
    type Expected<'a> = (&'a str, Option<&'a str>, i64, [i64; 9], i32, i32);
    let expected: [Expected; 13] = [
        ("", Some("r"), 3, [0, 13, 19, 0, 1100, 1, 8, 0, 0], 10, 6),
        ("/a", Some("x"), 4, [1, 1, 17, 100, 100, 0, 6, 1, 0], 11, 1),
        (
            "/a/q",
            Some("12345"),
            4,
            [17, 17, 17, 1300, 1300, 0, 0, 0, 0],
            0,
            0,
        ),
        (
            "/c",
            None,
            4,
            [12, 12, 12, 1010, 1010, 0, 0, 0, i64::MIN],
            0,
            0,
        ),
        ("/m", None, 4, [7, 7, 7, 800, 800, 0, 0, 0, 0], 0, 0),
        ("/n", Some("n"), 4, [7, 7, 7, 800, 800, 0, 0, 0, 0], 0, 0),
        (
            "/t",
            None,
            4,
            [11, 11, 11, 1000, 1000, 0, 0, 0, -72_057_594_037_927_836],
            0,
            0,
        ),
        ("/zookeeper", Some(""), -1, [0; 9], -2, 2),
        (
            "/zookeeper/config",
            Some(""),
            1,
            [0, 0, 0, 0, 0, 0, 0, -1, 0],
            0,
            0,
        ),
        (
            "/zookeeper/quota",
            Some(""),
            -1,
            [0, 0, 14, 0, 0, 0, 1, 0, 0],
            1,
            1,
        ),
        (
            "/zookeeper/quota/a",
            None,
            4,
            [14, 14, 16, 1200, 1200, 0, 2, 0, 0],
            2,
            2,
        ),
        (
            "/zookeeper/quota/a/zookeeper_limits",
            Some("count=1"),
            4,
            [15, 15, 15, 1210, 1210, 0, 0, 0, 0],
            0,
            0,
        ),
        (
            "/zookeeper/quota/a/zookeeper_stats",
            Some("count=2,bytes=6"),
            4,
            [16, 16, 16, 1220, 1220, 0, 0, 0, 0],
            0,
            0,
        ),
    ];
    let all = tree.all_nodes();
    let mut paths: Vec<&str> = all.iter().map(|(p, _)| p.as_str()).collect();
    paths.sort();
    assert_eq!(paths, expected.iter().map(|e| e.0).collect::<Vec<_>>());
    for (path, data, acl, s, client_cversion, num_children) in expected {
        let node = tree.node(path).unwrap();
        let p = node.stat();
        let got = [
            p.czxid,
            p.mzxid,
            p.pzxid,
            p.ctime,
            p.mtime,
            i64::from(p.version),
            i64::from(p.cversion),
            i64::from(p.aversion),
            p.ephemeral_owner,
        ];
        assert_eq!(got, s, "{path}");
        assert_eq!(node.data(), bytes_opt(data).as_deref(), "{path}");
        assert_eq!(node.acl_index(), acl, "{path}");
        let client = tree.client_stat(node);
        assert_eq!(
            (client.cversion, client.num_children),
            (client_cversion, num_children),
            "{path}"
        );
        assert_eq!(client.ephemeral_owner, 0, "{path}");
    }
    // The ACL cache, with Java's leaked counts from the NODEEXISTS re-points.
    let cache: Vec<(i64, Vec<ACL>, Option<i64>)> = tree
        .acl_cache()
        .iter()
        .map(|(i, acl)| (i, acl.to_vec(), tree.acl_cache().ref_count(i)))
        .collect();
    assert_eq!(
        cache,
        [
            (1, read_acl_unsafe(), Some(2)),
            (3, digest_acl, Some(2)),
            (4, open_acl_unsafe(), Some(9)),
        ]
    );
    assert_eq!(tree.approximate_data_size(), 175);
    assert_eq!(tree.scan_approximate_data_size(), 176);
    assert_eq!(tree.node_count(), 14);
    assert_eq!(tree.all_children_number("/"), 12);
    assert_eq!(tree.all_children_number("/a"), 1);
    assert_eq!(tree.last_processed_zxid(), 19);
    assert_eq!(tree.all_ephemerals().count(), 0);
    assert_eq!(tree.containers().collect::<Vec<_>>(), ["/c"]);
    assert_eq!(tree.ttls().collect::<Vec<_>>(), ["/t"]);
}

fn bytes_opt(s: Option<&str>) -> Option<Bytes> {
    s.map(|s| Bytes::copy_from_slice(s.as_bytes()))
}

#[test]
fn a_node_is_compact_and_keeps_null_apart_from_empty() {
    // The name and data share one allocation behind a thin pointer; the
    // rest stays small (a million znodes cost this many bytes each, plus
    // the payload).
    assert!(std::mem::size_of::<Node>() <= 96);
    let mut node = Node::new("caf\u{e9}-\u{4e2d}", None, -1, StatPersisted::default());
    assert_eq!(
        (node.name(), node.data(), node.data_len()),
        ("caf\u{e9}-\u{4e2d}", None, 0)
    );
    node.set_data(Some(b""));
    assert_eq!(node.data(), Some(&b""[..]));
    node.set_data(Some(b"\0\xffdata"));
    assert_eq!(node.data(), Some(&b"\0\xffdata"[..]));
    assert_eq!(node.data_bytes().as_deref(), Some(&b"\0\xffdata"[..]));
    assert_eq!(node.name(), "caf\u{e9}-\u{4e2d}");
    node.set_data(None);
    assert_eq!((node.name(), node.data()), ("caf\u{e9}-\u{4e2d}", None));
    let root = Node::new("", Some(b"r"), -1, StatPersisted::default());
    assert_eq!((root.name(), root.data()), ("", Some(&b"r"[..])));
    // Names past one header byte (63 bytes) and past two (8191).
    for len in [63, 64, 200, 8191, 8192, 70_000] {
        let name = "n".repeat(len);
        let mut node = Node::new(&name, None, -1, StatPersisted::default());
        assert_eq!((node.name(), node.data()), (name.as_str(), None));
        node.set_data(Some(b"v"));
        assert_eq!((node.name(), node.data()), (name.as_str(), Some(&b"v"[..])));
    }
    let stat = StatPersisted {
        czxid: 1,
        mzxid: 2,
        ctime: 3,
        mtime: 4,
        version: 5,
        cversion: -6,
        aversion: 7,
        ephemeral_owner: i64::MIN,
        pzxid: 9,
    };
    assert_eq!(Node::new("s", None, -1, stat.clone()).stat(), stat);
}

// ----- loading ----------------------------------------------------------------------------

/// A node as a loader gets it: path, data, ACL index, stat.
type Record = (String, Option<Vec<u8>>, i64, StatPersisted);

/// A node as a test compares it: path, data, stat, children's names.
type Shape = (String, Option<Vec<u8>>, StatPersisted, Vec<String>);

/// Every node of `tree` as a loader gets it, in pre-order.
fn records(tree: &DataTree) -> Vec<Record> {
    let mut out = Vec::new();
    tree.for_each_preorder(|path, node| {
        out.push((
            path.to_owned(),
            node.data().map(<[u8]>::to_vec),
            node.acl_index(),
            node.stat().clone(),
        ));
    });
    out
}

/// Loads `records` with the entries of `acls`.
fn load(records: &[Record], acls: &AclCache) -> Result<DataTree, LoadError> {
    let mut loader = TreeLoader::new(TreeConfig::default());
    for (index, acl) in acls.iter() {
        loader.insert_acl(index, acl.to_vec());
    }
    for (path, data, acl, stat) in records {
        loader.add_node(path, data.as_deref(), *acl, stat.clone())?;
    }
    loader.finish()
}

/// (path, data, stat, children) of every node, sorted.
fn shape(tree: &DataTree) -> Vec<Shape> {
    let mut all: Vec<_> = tree
        .all_nodes()
        .into_iter()
        .map(|(path, node)| {
            let mut children: Vec<String> = tree
                .children_of(node)
                .map(|(_, c)| c.name().to_owned())
                .collect();
            children.sort();
            (
                path,
                node.data().map(<[u8]>::to_vec),
                node.stat().clone(),
                children,
            )
        })
        .collect();
    all.sort_by(|a, b| a.0.cmp(&b.0));
    all
}

#[test]
fn a_tree_loads_the_same_in_pre_order_or_any_parents_first_order() {
    let mut f = Fixture::new();
    for path in ["/a", "/a/b", "/a/b/c", "/a/d", "/e", "/e/f", "/g"] {
        f.ok(create(path, path));
    }
    let records = records(&f.tree);
    let pre_order = load(&records, f.tree.acl_cache()).expect("load");
    assert_eq!(shape(&pre_order), shape(&f.tree));
    assert_eq!(pre_order.digest(), f.tree.digest());
    check_invariants(&pre_order);
    // Breadth first: parents still come first, but a node's parent is not
    // always an ancestor of the node before it.
    let mut by_depth = records.clone();
    by_depth.sort_by_key(|r| r.0.matches('/').count());
    let breadth_first = load(&by_depth, f.tree.acl_cache()).expect("load");
    assert_eq!(shape(&breadth_first), shape(&f.tree));
    assert_eq!(breadth_first.digest(), f.tree.digest());
    check_invariants(&breadth_first);
    // A parent that never came.
    let orphan = [
        records[0].clone(),
        ("/x/y".to_owned(), None, -1, StatPersisted::default()),
    ];
    assert!(matches!(
        load(&orphan, f.tree.acl_cache()),
        Err(LoadError::MissingParent { .. })
    ));
}

#[test]
fn a_path_loaded_twice_keeps_its_place_and_both_nodes_children() {
    let mut f = Fixture::new();
    for path in ["/a", "/a/x", "/b"] {
        f.ok(create(path, "first"));
    }
    let mut records = records(&f.tree);
    let mut again = records.iter().find(|r| r.0 == "/a").expect("/a").clone();
    again.1 = Some(b"second".to_vec());
    again.3.version = 7;
    let y = (
        "/a/y".to_owned(),
        Some(b"y".to_vec()),
        -1,
        StatPersisted::default(),
    );
    records.push(again.clone());
    records.push(y.clone());
    // In file order (the index is built at the end) and with /a/x out of
    // pre-order just before the second /a (after /zookeeper's nodes: the
    // index is built then, and the second /a is found through it).
    let early = {
        let mut r = records.clone();
        let x = r.iter().position(|r| r.0 == "/a/x").expect("/a/x");
        let moved = r.remove(x);
        r.insert(r.len() - 2, moved);
        assert!(r[r.len() - 4].0.starts_with("/zookeeper"), "{r:?}");
        r
    };
    for order in [records, early] {
        let tree = load(&order, f.tree.acl_cache()).expect("load");
        let a = tree.node("/a").expect("/a");
        assert_eq!((a.data(), a.stat().version), (Some(&b"second"[..]), 7));
        let mut kids = tree.children("/a").unwrap();
        kids.sort();
        assert_eq!(kids, ["x", "y"]);
        assert_eq!(
            tree.children("/")
                .unwrap()
                .iter()
                .filter(|c| *c == "a")
                .count(),
            1
        );
        assert_eq!(tree.node_count(), f.tree.node_count() + 1);
        check_invariants(&tree);
    }
}

#[test]
fn a_limit_leaf_names_its_quota_like_setup_quota() {
    let of = quota_of_limit_leaf;
    assert_eq!(of("/zookeeper/quota/a/b/zookeeper_limits"), Some("/a/b"));
    assert_eq!(of("/zookeeper/quota/zookeeper_limits"), Some(""));
    assert_eq!(of("/zookeeper/quota/a/zookeeper_stats"), None);
    // Java's indexOf: the first occurrence.
    assert_eq!(
        of("/zookeeper/quota/x/zookeeper_limits/y/zookeeper_limits"),
        Some("/x")
    );
}
