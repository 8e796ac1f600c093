//! Property tests: random trees round-trip through every compression; a
//! fuzzy snapshot taken while transactions are applied, with the later
//! transactions replayed, equals the final tree; arbitrary bytes never
//! panic the reader.

use proptest::prelude::*;

use super::format::{parse_snapshot, ParseOptions, SnapshotVisitor};
use super::stream::decompressor;
use super::tests::{assert_same, canonical};
use super::write::write_chunks;
use super::*;
use crate::tree::proptests::{action, owners, prepare, Action, SESSIONS};
use crate::tree::tests::txn_at;
use crate::tree::DataTree;
use crate::txn::{Txn, TxnBody};

fn compression() -> impl Strategy<Value = SnapshotCompression> {
    prop_oneof![
        Just(SnapshotCompression::Checked),
        Just(SnapshotCompression::Gzip),
        Just(SnapshotCompression::Snappy),
    ]
}

/// The transaction a leader would log for `action` (an error txn if the
/// prepare model rejects it).
fn prepared(tree: &DataTree, session_index: usize, action: &Action, zxid: i64) -> Txn {
    // A closeSession without its list of ephemerals (before 3.6, or with
    // closeSessionTxn.enabled=false) cannot repair a fuzzy snapshot: a
    // replay misses the deletes of ephemerals the walk skipped, and their
    // parents' pzxid stays behind, in Java too. The default has the list.
    let with_list = Action::CloseSession { with_list: true };
    let action = match action {
        Action::CloseSession { .. } => &with_list,
        other => other,
    };
    let session = SESSIONS[session_index];
    let body = prepare(tree, session, action).unwrap_or_else(|code| TxnBody::error(code.code()));
    txn_at(session, zxid, zxid * 10, body)
}

fn load(
    bytes: &[u8],
    compression: SnapshotCompression,
    zxid: i64,
    tree: &DataTree,
) -> LoadedSnapshot {
    let input = decompressor(bytes, compression).expect("decompressor");
    let options = ReadOptions {
        tree: *tree.config(),
        ..ReadOptions::default()
    };
    read_snapshot(input, zxid, &options).expect("load")
}

struct Ignore;

impl SnapshotVisitor for Ignore {
    fn session(&mut self, _: i64, _: i32) -> Result<(), SnapshotError> {
        Ok(())
    }
    fn acl(&mut self, _: i64, _: Vec<jute::data::ACL>) -> Result<(), SnapshotError> {
        Ok(())
    }
    fn node(&mut self, _: format::NodeRecord) -> Result<(), SnapshotError> {
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn random_trees_round_trip(
        extended in any::<bool>(),
        actions in prop::collection::vec(action(), 0..60),
        compression in compression(),
        sessions in prop::collection::btree_map(any::<i64>(), any::<i32>(), 0..5),
    ) {
        let mut tree = DataTree::new(owners(extended));
        for (i, (s, a)) in actions.iter().enumerate() {
            let txn = prepared(&tree, *s, a, i as i64 + 1);
            tree.apply(&txn);
        }
        let options = WriteOptions { compression, last_processed_zxid: true };
        let bytes = write_snapshot(Vec::new(), &tree, sessions.clone(), &options).expect("write").0;
        let loaded = load(&bytes, compression, tree.last_processed_zxid(), &tree);
        assert_same(&canonical(&loaded.tree), &canonical(&tree), "round trip");
        prop_assert_eq!(loaded.sessions, sessions);
        prop_assert_eq!(loaded.tree.digest_mismatches(), 0);
        prop_assert_eq!(loaded.tree.pending_snapshot_digest(), None);
        crate::tree::tests::check_invariants(&loaded.tree);
    }

    /// Java's fuzzy snapshot contract: whatever the walk saw, replaying
    /// the transactions after the snapshot's zxid gives the final tree,
    /// and the trailer's digest is met on the way.
    #[test]
    fn a_fuzzy_snapshot_plus_replay_is_the_final_tree(
        extended in any::<bool>(),
        before in prop::collection::vec(action(), 0..40),
        during in prop::collection::vec((action(), 0usize..3), 1..40),
        after in prop::collection::vec(action(), 0..5),
        budget in 1usize..400,
        compression in compression(),
    ) {
        let mut tree = DataTree::new(owners(extended));
        let mut zxid = 0;
        let mut log = Vec::new();
        for (s, a) in &before {
            zxid += 1;
            let txn = prepared(&tree, *s, a, zxid);
            tree.apply(&txn);
            log.push(txn);
        }
        let options = WriteOptions { compression, last_processed_zxid: true };
        let mut walk = SnapshotWalk::new(&tree, [(1, 30000)], &options);
        let mut chunks = Vec::new();
        for ((s, a), steps) in &during {
            for _ in 0..*steps {
                chunks.extend(walk.step(&tree, budget));
            }
            zxid += 1;
            let txn = prepared(&tree, *s, a, zxid);
            tree.apply(&txn);
            log.push(txn);
        }
        while let Some(chunk) = walk.step(&tree, budget) {
            chunks.push(chunk);
        }
        chunks.extend(walk.trailer(&tree).map(Chunk::End));
        // Transactions after the snapshot, never seen by the walk.
        for (s, a) in &after {
            zxid += 1;
            let txn = prepared(&tree, *s, a, zxid);
            tree.apply(&txn);
            log.push(txn);
        }
        let bytes = write_chunks(Vec::new(), compression, chunks).expect("write").0;
        let mut loaded = load(&bytes, compression, walk.zxid(), &tree).tree;
        for txn in log.iter().filter(|t| t.zxid() > walk.zxid()) {
            loaded.apply(txn);
        }
        // Java's tree is a map of paths: a replayed delete of a node the
        // walk saw with a child leaves the child in the map, listed by no
        // parent, and a replayed create of it then answers NODEEXISTS (the
        // parent's cversion stays behind). Java ends the same way; only a
        // replay that orphaned nothing is comparable with the live tree.
        prop_assume!(loaded.orphans_made() == 0);
        assert_same(&canonical(&loaded), &canonical(&tree), "fuzzy + replay");
        prop_assert_eq!(loaded.last_processed_zxid(), tree.last_processed_zxid());
        prop_assert_eq!(loaded.pending_snapshot_digest(), None);
        prop_assert_eq!(loaded.digest_mismatches(), 0);
        // Every node's ACL index resolves.
        let mut unresolved = Vec::new();
        loaded.for_each_preorder(|path, node| {
            if loaded.node_acl(node).is_none() {
                unresolved.push(path.to_owned());
            }
        });
        prop_assert!(unresolved.is_empty(), "{:?}", unresolved);
    }

    #[test]
    fn arbitrary_bytes_never_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..400),
        compression in compression(),
    ) {
        if let Ok(input) = decompressor(&bytes[..], compression) {
            let _ = read_snapshot(input, 1, &ReadOptions::default());
        };
        let _ = parse_snapshot(&bytes[..], &ParseOptions::default(), &mut Ignore);
        let _ = read_sync_snapshot(&bytes[..], &ReadOptions::default());
    }

    #[test]
    fn damaged_snapshots_never_panic(
        actions in prop::collection::vec(action(), 0..20),
        compression in compression(),
        damage in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut tree = DataTree::new(owners(true));
        for (i, (s, a)) in actions.iter().enumerate() {
            let txn = prepared(&tree, *s, a, i as i64 + 1);
            tree.apply(&txn);
        }
        let options = WriteOptions { compression, last_processed_zxid: true };
        let mut bytes = write_snapshot(Vec::new(), &tree, [(1, 2)], &options).expect("write").0;
        // Damage the uncompressed stream too: a checked snapshot is that.
        for (at, value) in &damage {
            let i = at.index(bytes.len());
            bytes[i] ^= value | 1;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len()));
        }
        if let Ok(input) = decompressor(&bytes[..], compression) {
            let result = read_snapshot(input, 1, &ReadOptions { tree: *tree.config(), ..ReadOptions::default() });
            if let Ok(loaded) = result {
                crate::tree::tests::check_invariants(&loaded.tree);
            }
        };
    }
}
