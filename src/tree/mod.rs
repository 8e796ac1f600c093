//! The data tree (`DataTree`, `DataNode`, `ReferenceCountedACLCache`, the
//! digest and quotas): znodes keyed by path, and the application of
//! committed transactions with Java's exact bookkeeping.
//!
//! A plain value: no I/O, no threads, no locks. Applying a transaction
//! returns what the final request processor needs, including the watch
//! events the change fires, as data for the watch manager.
//!
//! Paths are Java's: the root is stored as `""` and also answers to `"/"`;
//! a child's path is its parent's plus `/name`.

mod acl;
mod digest;
mod load;
mod node;
mod quota;
mod store;
mod thin;

#[cfg(test)]
pub(crate) mod proptests;
#[cfg(test)]
pub(crate) mod tests;

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::Bytes;
use jute::data::{Stat, StatPersisted, ACL};
use jute::txn::TxnHeader;

use crate::config::ZooKeeperProperties;
use crate::proto::codes::{event, op};
use crate::proto::ErrorCode;
use crate::txn::{Txn, TxnBody};

pub use acl::{open_acl_unsafe, read_acl_unsafe, world_anyone, AclCache, OPEN_ACL_UNSAFE_INDEX};
pub use digest::{
    is_digest_excluded, node_digest, ZxidDigest, DIGEST_EXCLUDED_PREFIX, DIGEST_LOG_INTERVAL,
    DIGEST_LOG_LIMIT, DIGEST_VERSION,
};
pub use load::{LoadError, TreeLoader};
pub use store::NodeId;
use store::NodeStore;

/// The tree's hash maps and sets: foldhash, seeded per map, instead of the
/// standard SipHash, which took a tenth of the CPU of loading a snapshot
/// and of serving a read (path lookups).
pub type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
/// See [`HashMap`].
pub type HashSet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;
pub use node::{
    new_stat, EphemeralType, Node, OwnerEncoding, CONTAINER_EPHEMERAL_OWNER, MAX_TTL_MS,
};
pub use quota::{
    limit_path, quota_of_limit_leaf, stat_path, PathTrie, StatsTrack, StatsTrackError, LIMIT_NODE,
    QUOTA_PATH, STAT_NODE, ZOOKEEPER_PATH,
};

/// The configuration node, readable by anyone and written by reconfig.
pub const CONFIG_PATH: &str = "/zookeeper/config";

/// Settings that change how the tree behaves (all Java system properties).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeConfig {
    /// `zookeeper.digest.enabled` (default true). When false every digest
    /// is 0, no digest is logged and none is compared.
    pub digest_enabled: bool,
    /// How `ephemeralOwner` is read (`zookeeper.extendedTypesEnabled`,
    /// `zookeeper.emulate353TTLNodes`).
    pub owners: OwnerEncoding,
}

impl Default for TreeConfig {
    fn default() -> Self {
        TreeConfig {
            digest_enabled: true,
            owners: OwnerEncoding::default(),
        }
    }
}

impl From<&ZooKeeperProperties> for TreeConfig {
    fn from(props: &ZooKeeperProperties) -> Self {
        TreeConfig {
            digest_enabled: props.digest_enabled,
            owners: OwnerEncoding {
                extended_types_enabled: props.extended_types_enabled,
                emulate_353_ttl_nodes: props.emulate_353_ttl_nodes,
            },
        }
    }
}

pub use crate::watch::{TriggerTarget, WatchTrigger};

/// The result of one operation of a multi (`ProcessTxnResult` in
/// `multiResult`).
#[derive(Debug, Clone, PartialEq)]
pub struct OpResult {
    /// The operation's type; `op::ERROR` for operations turned into errors.
    pub op: i32,
    /// 0, or the error code.
    pub err: i32,
    /// The path of creates, deletes, setData and check.
    pub path: Option<String>,
    /// The stat after create2, createTTL, createContainer and setData.
    pub stat: Option<Stat>,
}

/// What applying a transaction did (`ProcessTxnResult`), with the watch
/// events to fire.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    /// The header's session id.
    pub session_id: i64,
    /// The header's cxid.
    pub cxid: i32,
    /// The header's zxid.
    pub zxid: i64,
    /// The transaction's type (from the body).
    pub op: i32,
    /// 0, an error from the tree (NONODE, NODEEXISTS, …), an `ErrorTxn`'s
    /// code, or a multi's first non-zero operation error.
    pub err: i32,
    /// The path of creates, deletes, setData, setACL and check.
    pub path: Option<String>,
    /// The stat after create2, createTTL, createContainer, setData,
    /// reconfig and setACL.
    pub stat: Option<Stat>,
    /// A multi's per-operation results.
    pub multi: Option<Vec<OpResult>>,
    /// The watch events, in firing order.
    pub triggers: Vec<WatchTrigger>,
    /// The transaction carried a digest that differs from the tree's after
    /// applying it (counted in [`DataTree::digest_mismatches`]).
    pub digest_mismatch: bool,
}

impl Applied {
    /// `err` as a known error code.
    pub fn error_code(&self) -> Option<ErrorCode> {
        ErrorCode::from_code(self.err)
    }
}

/// The result of processing one body, before it becomes [`Applied`].
struct Processed {
    op: i32,
    err: i32,
    path: Option<String>,
    stat: Option<Stat>,
    multi: Option<Vec<OpResult>>,
}

impl Processed {
    fn new(op: i32) -> Processed {
        Processed {
            op,
            err: 0,
            path: None,
            stat: None,
            multi: None,
        }
    }

    fn into_op_result(self) -> OpResult {
        OpResult {
            op: self.op,
            err: self.err,
            path: self.path,
            stat: self.stat,
        }
    }
}

/// The header fields an operation needs.
#[derive(Clone, Copy)]
struct TxnContext {
    session_id: i64,
    zxid: i64,
    time: i64,
}

impl TxnContext {
    fn of(header: &TxnHeader) -> TxnContext {
        TxnContext {
            session_id: header.client_id,
            zxid: header.zxid,
            time: header.time,
        }
    }
}

/// The data tree.
#[derive(Debug, Clone)]
pub struct DataTree {
    config: TreeConfig,
    /// Every node; the root is `""` and also answers to `"/"` (where Java
    /// stores a second entry).
    nodes: NodeStore,
    acls: AclCache,
    /// Session → its ephemeral paths. Like Java, a session's set stays
    /// (possibly empty) until the session is closed.
    ephemerals: HashMap<i64, HashSet<String>>,
    containers: HashSet<String>,
    ttls: HashSet<String>,
    quotas: PathTrie,
    /// The wrapping sum of the node digests.
    digest: i64,
    /// Java's cached `approximateDataSize`: path lengths (UTF-16 units) plus
    /// data lengths, maintained on create, delete and setData only.
    approximate_data_size: i64,
    last_processed_zxid: i64,
    last_zxid_digest: Option<ZxidDigest>,
    digest_log: VecDeque<ZxidDigest>,
    /// The digest a loaded snapshot promises at some zxid; until replay
    /// reaches it the tree is "fuzzy" and digests are neither logged nor
    /// compared.
    snapshot_digest: Option<ZxidDigest>,
    digest_mismatches: u64,
    first_mismatch_logged: bool,
}

/// The key a path is stored under: the root is `""`.
fn key(path: &str) -> &str {
    if path == "/" {
        ""
    } else {
        path
    }
}

/// Splits at the last `/` into parent and child name; `None` if there is
/// no `/` (Java would throw).
fn split_path(path: &str) -> Option<(&str, &str)> {
    let slash = path.rfind('/')?;
    Some((&path[..slash], &path[slash + 1..]))
}

/// The path watchers of a parent know it by (`""` is `/`).
fn watch_path(parent: &str) -> String {
    if parent.is_empty() {
        "/".to_owned()
    } else {
        parent.to_owned()
    }
}

/// Java's `String.length()`: UTF-16 code units.
fn java_len(s: &str) -> i64 {
    if s.is_ascii() {
        s.len() as i64
    } else {
        s.encode_utf16().count() as i64
    }
}

fn data_len(data: Option<&[u8]>) -> i64 {
    data.map_or(0, |d| d.len() as i64)
}

/// A node's digest under `path`, honouring the setting.
fn crc_of(enabled: bool, path: &str, node: &Node) -> u32 {
    if enabled {
        digest::node_crc(path, node.data(), &node.stat.persisted())
    } else {
        0
    }
}

/// Moves the tree sum from `node`'s digest before a change (`old`) to its
/// digest now. (Nodes do not keep their digest: it is recomputed, which
/// costs a CRC per change and saves 8 bytes per node.)
fn rehash(enabled: bool, tree_digest: &mut i64, path: &str, node: &Node, old: u32) {
    let new = crc_of(enabled, path, node);
    *tree_digest = tree_digest
        .wrapping_sub(i64::from(old))
        .wrapping_add(i64::from(new));
}

impl Default for DataTree {
    fn default() -> Self {
        DataTree::new(TreeConfig::default())
    }
}

impl DataTree {
    /// A fresh tree with Java's built-in nodes: `/`, `/zookeeper`,
    /// `/zookeeper/quota` (empty data, OPEN_ACL_UNSAFE as −1) and
    /// `/zookeeper/config` (READ_ACL_UNSAFE, index 1, aversion −1).
    pub fn new(config: TreeConfig) -> DataTree {
        let mut tree = DataTree {
            config,
            nodes: NodeStore::default(),
            acls: AclCache::new(),
            ephemerals: HashMap::default(),
            containers: HashSet::default(),
            ttls: HashSet::default(),
            quotas: PathTrie::default(),
            digest: 0,
            approximate_data_size: 0,
            last_processed_zxid: 0,
            last_zxid_digest: None,
            digest_log: VecDeque::new(),
            snapshot_digest: None,
            digest_mismatches: 0,
            first_mismatch_logged: false,
        };
        for path in ["", ZOOKEEPER_PATH, QUOTA_PATH, CONFIG_PATH] {
            tree.insert_builtin(path);
        }
        if let Err(e) = tree.set_acl(CONFIG_PATH, Some(&read_acl_unsafe()), -1) {
            tracing::error!("cannot set the ACL of {CONFIG_PATH}: {e}");
        }
        tree.approximate_data_size = tree.scan_approximate_data_size();
        tree
    }

    /// Adds a built-in node: empty data, OPEN_ACL_UNSAFE, a zero stat.
    fn insert_builtin(&mut self, path: &str) {
        let name = split_path(path).map_or("", |(_, name)| name);
        let node = Node::new(
            name,
            Some(&[]),
            OPEN_ACL_UNSAFE_INDEX,
            StatPersisted::default(),
        );
        self.digest =
            self.digest
                .wrapping_add(i64::from(crc_of(self.config.digest_enabled, path, &node)));
        match split_path(path) {
            Some((parent, name)) => {
                if let Some(parent) = self.nodes.lookup(parent) {
                    self.nodes.insert_child(parent, name, node);
                }
            }
            None => {
                self.nodes.set_root(node);
            }
        }
    }

    /// The settings.
    pub fn config(&self) -> &TreeConfig {
        &self.config
    }

    // ----- reads -----------------------------------------------------------

    /// The node at `path` (`""` and `"/"` are the root).
    pub fn node(&self, path: &str) -> Option<&Node> {
        self.nodes.lookup(path).map(|id| self.nodes.get(id))
    }

    /// The node with id `id`, which must exist (ids are valid until the
    /// tree changes).
    pub fn node_by_id(&self, id: NodeId) -> &Node {
        self.nodes.get(id)
    }

    /// The id of the node at `path`.
    pub fn lookup(&self, path: &str) -> Option<NodeId> {
        self.nodes.lookup(path)
    }

    /// The child `name` of the node `parent`.
    pub fn child(&self, parent: NodeId, name: &str) -> Option<NodeId> {
        self.nodes.child(parent, name)
    }

    /// The children of `node` with their ids, newest first.
    pub fn children_of<'a>(
        &'a self,
        node: &'a Node,
    ) -> impl Iterator<Item = (NodeId, &'a Node)> + 'a {
        self.nodes.children(node)
    }

    /// True if a node exists at `path`.
    pub fn contains(&self, path: &str) -> bool {
        self.nodes.lookup(path).is_some()
    }

    /// The stat a client sees for `node`.
    pub fn client_stat(&self, node: &Node) -> Stat {
        node.client_stat(self.config.owners)
    }

    /// The client stat of the node at `path`.
    pub fn stat(&self, path: &str) -> Result<Stat, ErrorCode> {
        self.node(path)
            .map(|n| self.client_stat(n))
            .ok_or(ErrorCode::NoNode)
    }

    /// The data and client stat of the node at `path`.
    pub fn get_data(&self, path: &str) -> Result<(Option<Bytes>, Stat), ErrorCode> {
        let node = self.node(path).ok_or(ErrorCode::NoNode)?;
        Ok((node.data_bytes(), self.client_stat(node)))
    }

    /// The children's names of the node at `path`, newest first.
    pub fn children(&self, path: &str) -> Result<Vec<String>, ErrorCode> {
        let node = self.node(path).ok_or(ErrorCode::NoNode)?;
        Ok(self
            .nodes
            .children(node)
            .map(|(_, child)| child.name().to_owned())
            .collect())
    }

    /// The ACL list of `node`; `None` if its index is not in the cache
    /// (possible only with an inconsistent snapshot).
    pub fn node_acl(&self, node: &Node) -> Option<Arc<[ACL]>> {
        self.acls.resolve(node.acl).cloned()
    }

    /// The ACL list of the node at `path`. An index missing from the cache
    /// is MARSHALLINGERROR, what Java's final processor answers when the
    /// cache throws.
    pub fn acl(&self, path: &str) -> Result<Arc<[ACL]>, ErrorCode> {
        let node = self.node(path).ok_or(ErrorCode::NoNode)?;
        self.node_acl(node).ok_or(ErrorCode::MarshallingError)
    }

    /// The ACL for a watch event about `node`: a list that grants nothing
    /// if the index is unknown, so the event is not delivered.
    fn trigger_acl(&self, acl_index: i64) -> Arc<[ACL]> {
        match self.acls.resolve(acl_index) {
            Some(acl) => acl.clone(),
            None => {
                tracing::error!("ACL not available for index {acl_index}");
                Arc::from(vec![world_anyone(0)])
            }
        }
    }

    /// `getAllChildrenNumber`: for `/` every node but the root; otherwise
    /// the number of descendants (0 if there is no such node).
    pub fn all_children_number(&self, path: &str) -> usize {
        if path == "/" {
            return self.nodes.len().saturating_sub(1);
        }
        // Java counts the keys starting with `path + "/"`; for "" that
        // includes its "/" alias entry.
        let mut count = usize::from(path.is_empty());
        if let Some(id) = self.nodes.lookup(path) {
            self.nodes.walk_from(id, path, &mut |_, _, _| count += 1);
            count -= 1;
        }
        // Orphans under the path are keys with that prefix too.
        let prefix = format!("{path}/");
        for (orphan, id) in self.nodes.orphans() {
            if orphan.starts_with(&prefix) && self.nodes.lookup(orphan) == Some(id) {
                self.nodes.walk_from(id, orphan, &mut |_, _, _| count += 1);
            }
        }
        count
    }

    /// The number of nodes as Java counts them (`getNodeCount`): the root's
    /// `/` alias counts too, so a fresh tree has 5.
    pub fn node_count(&self) -> usize {
        self.nodes.len() + 1
    }

    /// Java's cached approximate data size (the `approximate_data_size`
    /// metric): path lengths plus data lengths, counting the root twice as
    /// `""` and `"/"`. Quota usage updates do not change it.
    pub fn approximate_data_size(&self) -> i64 {
        self.approximate_data_size
    }

    /// The approximate data size computed from the nodes
    /// (`approximateDataSize`), which resets the cached value after a
    /// snapshot is loaded.
    pub fn scan_approximate_data_size(&self) -> i64 {
        let root_alias = self.node("").map_or(0, |root| 1 + data_len(root.data()));
        let mut sum = root_alias;
        self.nodes.walk_all(|path, _, node| {
            sum += java_len(path) + data_len(node.data());
        });
        sum
    }

    /// The paths of the ephemeral nodes of `session`.
    pub fn ephemerals(&self, session: i64) -> impl Iterator<Item = &str> + '_ {
        self.ephemerals
            .get(&session)
            .into_iter()
            .flat_map(|set| set.iter().map(String::as_str))
    }

    /// Every session that has had ephemerals, with their paths (the set may
    /// be empty until the session closes, as in Java).
    pub fn all_ephemerals(&self) -> impl Iterator<Item = (i64, &HashSet<String>)> + '_ {
        self.ephemerals.iter().map(|(&session, set)| (session, set))
    }

    /// The number of ephemeral nodes (`ephemerals_count`).
    pub fn ephemerals_count(&self) -> usize {
        self.ephemerals.values().map(HashSet::len).sum()
    }

    /// The paths of the container nodes.
    pub fn containers(&self) -> impl Iterator<Item = &str> + '_ {
        self.containers.iter().map(String::as_str)
    }

    /// The paths of the TTL nodes.
    pub fn ttls(&self) -> impl Iterator<Item = &str> + '_ {
        self.ttls.iter().map(String::as_str)
    }

    /// The ACL cache.
    pub fn acl_cache(&self) -> &AclCache {
        &self.acls
    }

    /// Visits every node reachable from the root, parents before children
    /// (the order of a snapshot), with its path (the root as `""`).
    pub fn for_each_preorder(&self, mut visit: impl FnMut(&str, &Node)) {
        if let Some(root) = self.nodes.root() {
            self.nodes
                .walk_from(root, "", &mut |path, _, node| visit(path, node));
        }
    }

    /// How many nodes ever outlived their parent (a delete applied to a
    /// node with children, which only a replay over a fuzzy snapshot does).
    pub fn orphans_made(&self) -> u64 {
        self.nodes.orphaned()
    }

    /// Every node with its path, in no particular order: those reachable
    /// from the root and those whose parent was deleted before them.
    #[cfg(test)]
    pub(crate) fn all_nodes(&self) -> Vec<(String, &Node)> {
        let mut all = Vec::new();
        self.nodes
            .walk_all(|path, id, _| all.push((path.to_owned(), id)));
        all.into_iter()
            .map(|(path, id)| (path, self.nodes.get(id)))
            .collect()
    }

    // ----- zxids and digests ------------------------------------------------

    /// The zxid of the last transaction applied (or loaded).
    pub fn last_processed_zxid(&self) -> i64 {
        self.last_processed_zxid
    }

    /// Sets the last processed zxid (after loading a snapshot).
    pub fn set_last_processed_zxid(&mut self, zxid: i64) {
        self.last_processed_zxid = zxid;
    }

    /// True if `digest.enabled`.
    pub fn digest_enabled(&self) -> bool {
        self.config.digest_enabled
    }

    /// The tree digest (0 when disabled).
    pub fn digest(&self) -> i64 {
        self.digest
    }

    /// The tree digest computed from every node, for checks.
    pub fn recompute_digest(&self) -> i64 {
        let mut sum = 0i64;
        self.nodes.walk_all(|path, _, node| {
            sum = sum.wrapping_add(i64::from(crc_of(self.config.digest_enabled, path, node)));
        });
        sum
    }

    /// The digest a node would have (0 when disabled), for predicting the
    /// digest of a transaction before it is applied.
    pub fn predict_node_digest(
        &self,
        path: &str,
        data: Option<&[u8]>,
        stat: &StatPersisted,
    ) -> i64 {
        if self.config.digest_enabled {
            node_digest(path, data, stat)
        } else {
            0
        }
    }

    /// The current digest of the node at `path`.
    pub fn current_node_digest(&self, path: &str) -> Option<i64> {
        self.node(path)
            .map(|n| i64::from(crc_of(self.config.digest_enabled, path, n)))
    }

    /// The digest after the last transaction (what a snapshot's trailer
    /// holds); `None` before any, while fuzzy, or when disabled.
    pub fn last_zxid_digest(&self) -> Option<ZxidDigest> {
        self.last_zxid_digest
    }

    /// The digests logged every [`DIGEST_LOG_INTERVAL`] zxids, oldest
    /// first, at most [`DIGEST_LOG_LIMIT`] (the `hash` command).
    pub fn digest_log(&self) -> impl Iterator<Item = &ZxidDigest> + '_ {
        self.digest_log.iter()
    }

    /// How many digest mismatches were found (`digest_mismatches_count`).
    pub fn digest_mismatches(&self) -> u64 {
        self.digest_mismatches
    }

    /// After loading a snapshot: the digest its trailer holds, to compare
    /// when replay reaches that zxid (`deserializeZxidDigest`). An empty
    /// digest (zxid 0) or one older than the snapshot is ignored.
    pub fn expect_snapshot_digest(&mut self, digest: ZxidDigest, snapshot_zxid: i64) {
        if !self.config.digest_enabled {
            return;
        }
        self.snapshot_digest = (digest.zxid > 0 && digest.zxid >= snapshot_zxid).then_some(digest);
    }

    /// The snapshot digest still waited for, if any.
    pub fn pending_snapshot_digest(&self) -> Option<ZxidDigest> {
        self.snapshot_digest
    }

    /// Compares a transaction's digest with the tree (after applying it):
    /// false on a mismatch, which is counted and logged but not fatal.
    /// Nothing is compared when disabled, without a digest, while a
    /// snapshot digest is pending, or for another digest version.
    /// [`apply`](Self::apply) calls this.
    pub fn compare_digest(&mut self, txn: &Txn) -> bool {
        let Some(expected) = &txn.digest else {
            return true;
        };
        if !self.config.digest_enabled || self.snapshot_digest.is_some() {
            return true;
        }
        if expected.version != DIGEST_VERSION {
            tracing::debug!(
                "digest version {} differs from ours at zxid {:#x}",
                expected.version,
                txn.zxid()
            );
            return true;
        }
        if expected.tree_digest == self.digest {
            return true;
        }
        self.digest_mismatches += 1;
        if self.first_mismatch_logged {
            tracing::warn!("digests are not matching at zxid {:#x}", txn.zxid());
        } else {
            self.first_mismatch_logged = true;
            tracing::error!(
                "first digest mismatch on txn {:?}, expected digest is {}, actual digest is {}",
                txn.header,
                expected.tree_digest,
                self.digest
            );
        }
        false
    }

    /// After each whole transaction: log the digest, or check the pending
    /// snapshot digest.
    fn record_digest(&mut self, zxid: i64) {
        if !self.config.digest_enabled {
            return;
        }
        if self.snapshot_digest.is_some() {
            self.compare_snapshot_digest(zxid);
            return;
        }
        let entry = ZxidDigest {
            zxid,
            digest_version: DIGEST_VERSION,
            digest: self.digest,
        };
        self.last_zxid_digest = Some(entry);
        if zxid % DIGEST_LOG_INTERVAL == 0 {
            self.digest_log.push_back(entry);
            if self.digest_log.len() > DIGEST_LOG_LIMIT {
                self.digest_log.pop_front();
            }
        }
    }

    /// Compares the pending snapshot digest with the tree if `zxid` is its
    /// zxid, and then stops waiting for it (`compareSnapshotDigests`). A
    /// loader calls this with the snapshot's zxid right after loading, for
    /// a snapshot whose digest was taken at its start; replay calls it after
    /// each transaction.
    pub fn compare_snapshot_digest(&mut self, zxid: i64) {
        let Some(expected) = self.snapshot_digest else {
            return;
        };
        if zxid == expected.zxid {
            if expected.digest_version != DIGEST_VERSION {
                tracing::info!(
                    "digest version changed, local: {}, new: {}, skip comparing digest now",
                    expected.digest_version,
                    DIGEST_VERSION
                );
            } else if expected.digest != self.digest {
                self.digest_mismatches += 1;
                tracing::warn!("digest mismatch with the snapshot at zxid {zxid:#x}");
            }
            self.snapshot_digest = None;
        } else if expected.zxid != 0 && zxid > expected.zxid {
            tracing::warn!(
                "the txn {:#x} of the snapshot digest does not exist",
                expected.zxid
            );
        }
    }

    // ----- quotas ----------------------------------------------------------

    /// The deepest path at or above `path` with a quota
    /// (`getMaxPrefixWithQuota`).
    pub fn max_prefix_with_quota(&self, path: &str) -> Option<String> {
        self.quotas.find_max_prefix(path)
    }

    /// The quota trie.
    pub fn quota_trie(&self) -> &PathTrie {
        &self.quotas
    }

    /// Checks a create (`is_create`) or setData at `path` against the
    /// quota above it, as the prepare stage does (`checkQuota`). Nothing is
    /// checked unless `enforce` (`zookeeper.enforceQuota`); then exceeding
    /// a soft limit (`count`, `bytes`) logs a warning and exceeding a hard
    /// limit (`countHardLimit`, `byteHardLimit`) is QUOTAEXCEEDED.
    pub fn check_quota(
        &self,
        path: &str,
        last_data_len: usize,
        new_data_len: usize,
        is_create: bool,
        enforce: bool,
    ) -> Result<(), ErrorCode> {
        if !enforce {
            return Ok(());
        }
        let Some(prefix) = self.max_prefix_with_quota(path) else {
            return Ok(());
        };
        let (bytes_diff, count_diff) = if is_create {
            (new_data_len as i64, 1)
        } else {
            (new_data_len as i64 - last_data_len as i64, 0)
        };
        let limit_path = limit_path(&prefix);
        let Some(limits) = self.quota_stats(&limit_path) else {
            return Ok(());
        };
        let check_count =
            count_diff != 0 && (limits.count() > -1 || limits.count_hard_limit() > -1);
        let check_bytes = bytes_diff != 0 && (limits.bytes() > -1 || limits.byte_hard_limit() > -1);
        if !check_count && !check_bytes {
            return Ok(());
        }
        let Some(current) = self.quota_stats(&stat_path(&prefix)) else {
            return Ok(());
        };
        let checks = [
            (
                check_count,
                "count",
                current.count() + count_diff,
                limits.count(),
                limits.count_hard_limit(),
            ),
            (
                check_bytes,
                "bytes",
                current.bytes() + bytes_diff,
                limits.bytes(),
                limits.byte_hard_limit(),
            ),
        ];
        for (check, what, new_value, soft, hard) in checks {
            if !check {
                continue;
            }
            let is_hard = hard > -1;
            let limit = if is_hard { hard } else { soft };
            if new_value > limit {
                let kind = if is_hard { "hard" } else { "soft" };
                tracing::warn!(
                    "Quota exceeded: {prefix} [current {what}={new_value}, {kind} limit={limit}]"
                );
                if is_hard {
                    return Err(ErrorCode::QuotaExceeded);
                }
            }
        }
        Ok(())
    }

    /// The parsed text of a quota node; `None` (logged) if it is missing or
    /// unreadable.
    fn quota_stats(&self, path: &str) -> Option<StatsTrack> {
        let Some(node) = self.node(path) else {
            tracing::error!("missing quota node {path}");
            return None;
        };
        let Some(data) = node.data() else {
            tracing::warn!("quota node {path} has null data");
            return None;
        };
        match StatsTrack::parse_bytes(data) {
            Ok(track) => Some(track),
            Err(e) => {
                tracing::warn!("quota node {path}: {e}");
                None
            }
        }
    }

    /// Adds to the usage of the quota at `prefix` (`updateQuotaStat`). Like
    /// Java, neither the stat node's stat nor the approximate size change.
    fn update_quota_stat(&mut self, prefix: &str, bytes_diff: i64, count_diff: i64) {
        let path = stat_path(prefix);
        let Some(mut track) = self.quota_stats(&path) else {
            return;
        };
        track.set_count(track.count().wrapping_add(count_diff));
        track.set_bytes(track.bytes().wrapping_add(bytes_diff));
        self.set_quota_data(&path, track);
    }

    fn set_quota_data(&mut self, path: &str, track: StatsTrack) {
        let enabled = self.config.digest_enabled;
        if let Some(id) = self.nodes.lookup(path) {
            let node = self.nodes.get_mut(id);
            let old = crc_of(enabled, path, node);
            node.set_data(Some(track.to_string().as_bytes()));
            rehash(enabled, &mut self.digest, path, node, old);
        }
    }

    /// Recounts the subtree at `path` into its stat node
    /// (`updateQuotaForPath`).
    fn update_quota_for_path(&mut self, path: &str) {
        let (mut count, mut bytes) = (0i64, 0i64);
        if let Some(id) = self.nodes.lookup(path) {
            self.nodes.walk_from(id, path, &mut |_, _, node| {
                count += 1;
                bytes += data_len(node.data());
            });
        }
        let stat_path = stat_path(path);
        if !self.contains(&stat_path) {
            tracing::warn!("missing quota stat node {stat_path}");
            return;
        }
        self.set_quota_data(&stat_path, StatsTrack::with_count_and_bytes(count, bytes));
    }

    /// Rebuilds the quota trie and every quota's usage from the nodes under
    /// `/zookeeper/quota` (`setupQuota`, after loading a snapshot).
    pub fn rebuild_quotas(&mut self) {
        self.quotas.clear();
        let mut quotas = Vec::new();
        if let Some(id) = self.nodes.lookup(QUOTA_PATH) {
            self.nodes.walk_from(id, QUOTA_PATH, &mut |path, _, node| {
                if node.child_count == 0 {
                    if let Some(real) = quota::quota_of_limit_leaf(path) {
                        quotas.push((real.to_owned(), path.to_owned()));
                    }
                }
            });
        }
        for (real, leaf) in quotas {
            self.update_quota_for_path(&real);
            if real.is_empty() {
                tracing::warn!("ignoring a quota on the root ({leaf})");
            } else {
                self.quotas.add_path(&real);
            }
        }
    }

    // ----- the operations ----------------------------------------------------

    /// Creates a node (`createNode`). `parent_cversion` −1 means the
    /// parent's plus one; the parent's cversion and pzxid change only if
    /// that is larger. If the node exists it is NODEEXISTS, but its ACL is
    /// re-pointed to `acl` first (3.9.4+; the old index keeps its count, as
    /// in Java). Returns the new node's client stat.
    #[allow(clippy::too_many_arguments)]
    pub fn create_node(
        &mut self,
        path: &str,
        data: Option<Bytes>,
        acl: Option<&[ACL]>,
        ephemeral_owner: i64,
        parent_cversion: i32,
        zxid: i64,
        time: i64,
        triggers: &mut Vec<WatchTrigger>,
    ) -> Result<Stat, ErrorCode> {
        let (parent_name, child_name) = split_path(path).ok_or(ErrorCode::NoNode)?;
        if child_name.is_empty() && path != "/" {
            // Java would add a child named "" (and loop when serializing).
            return Err(ErrorCode::BadArguments);
        }
        let parent_key = key(parent_name);
        let parent_id = self.nodes.lookup(parent_key).ok_or(ErrorCode::NoNode)?;
        let parent_acl_index = self.nodes.get(parent_id).acl;
        let acl_index = self.acls.convert_acls(acl);
        let existing = match self.nodes.child(parent_id, child_name) {
            // "/" itself (the root), or a node whose parent went first.
            None if child_name.is_empty() || self.nodes.has_orphans() => self.nodes.lookup(path),
            found => found,
        };
        if let Some(existing) = existing {
            self.nodes.get_mut(existing).acl = acl_index;
            return Err(ErrorCode::NodeExists);
        }

        let enabled = self.config.digest_enabled;
        let parent = self.nodes.get_mut(parent_id);
        let old = crc_of(enabled, parent_key, parent);
        let cversion = if parent_cversion == -1 {
            parent.stat.cversion.wrapping_add(1)
        } else {
            parent_cversion
        };
        if cversion > parent.stat.cversion {
            parent.stat.cversion = cversion;
            parent.stat.pzxid = zxid;
        }
        // The child is linked below; a node's digest covers its stat, not its children.
        rehash(enabled, &mut self.digest, parent_key, parent, old);

        let data_bytes = data_len(data.as_deref());
        let node = Node::new(
            child_name,
            data.as_deref(),
            acl_index,
            node::new_stat(zxid, time, ephemeral_owner),
        );
        self.digest = self
            .digest
            .wrapping_add(i64::from(crc_of(enabled, path, &node)));
        self.approximate_data_size += java_len(path) + data_bytes;
        let stat = node.client_stat(self.config.owners);
        self.nodes.insert_child(parent_id, child_name, node);
        match EphemeralType::of(ephemeral_owner, self.config.owners) {
            EphemeralType::Container => {
                self.containers.insert(path.to_owned());
            }
            EphemeralType::Ttl => {
                self.ttls.insert(path.to_owned());
            }
            EphemeralType::Normal => {
                self.ephemerals
                    .entry(ephemeral_owner)
                    .or_default()
                    .insert(path.to_owned());
            }
            EphemeralType::Void => {}
        }

        if parent_name.starts_with(QUOTA_PATH) {
            let real = quota::trim_quota_path(parent_name).unwrap_or_default();
            if child_name == LIMIT_NODE {
                if real.is_empty() {
                    tracing::warn!("ignoring a quota limit on the root ({path})");
                } else {
                    self.quotas.add_path(real);
                }
            }
            if child_name == STAT_NODE {
                let real = real.to_owned();
                self.update_quota_for_path(&real);
            }
        }
        if let Some(prefix) = self.max_prefix_with_quota(path) {
            self.update_quota_stat(&prefix, data_bytes, 1);
        }

        triggers.push(WatchTrigger {
            path: path.to_owned(),
            event_type: event::NODE_CREATED,
            zxid,
            acl: self.trigger_acl(acl_index),
            target: TriggerTarget::Data,
        });
        triggers.push(WatchTrigger {
            path: watch_path(parent_name),
            event_type: event::NODE_CHILDREN_CHANGED,
            zxid,
            acl: self.trigger_acl(parent_acl_index),
            target: TriggerTarget::Child,
        });
        Ok(stat)
    }

    /// Deletes a node (`deleteNode`). The parent loses the child name and
    /// its pzxid rises to `zxid` (only ever up) even when the node turns
    /// out not to exist (NONODE). Children are not checked, as in Java.
    /// Deleting the root is BADARGUMENTS (Java would corrupt its map).
    pub fn delete_node(
        &mut self,
        path: &str,
        zxid: i64,
        triggers: &mut Vec<WatchTrigger>,
    ) -> Result<(), ErrorCode> {
        if path.is_empty() || path == "/" {
            return Err(ErrorCode::BadArguments);
        }
        let (parent_name, child_name) = split_path(path).ok_or(ErrorCode::NoNode)?;
        let parent_key = key(parent_name);
        let enabled = self.config.digest_enabled;
        let parent_id = self.nodes.lookup(parent_key).ok_or(ErrorCode::NoNode)?;
        let parent = self.nodes.get_mut(parent_id);
        let old = crc_of(enabled, parent_key, parent);
        if zxid > parent.stat.pzxid {
            parent.stat.pzxid = zxid;
        }
        rehash(enabled, &mut self.digest, parent_key, parent, old);
        let parent_acl_index = parent.acl;

        // Unlinked from the parent by the removal (which also finds a node
        // whose parent went before it).
        let id = match self.nodes.child(parent_id, child_name) {
            Some(id) => id,
            None if self.nodes.has_orphans() => self.nodes.lookup(path).ok_or(ErrorCode::NoNode)?,
            None => return Err(ErrorCode::NoNode),
        };
        let node = self.nodes.remove(id, path);
        self.digest = self
            .digest
            .wrapping_sub(i64::from(crc_of(enabled, path, &node)));
        let acl = self.trigger_acl(node.acl);
        self.acls.remove_usage(node.acl);
        self.approximate_data_size -= java_len(path) + data_len(node.data());

        let owner = node.stat.ephemeral_owner;
        match EphemeralType::of(owner, self.config.owners) {
            EphemeralType::Container => {
                self.containers.remove(path);
            }
            EphemeralType::Ttl => {
                self.ttls.remove(path);
            }
            EphemeralType::Normal => {
                if let Some(set) = self.ephemerals.get_mut(&owner) {
                    set.remove(path);
                }
            }
            EphemeralType::Void => {}
        }

        if parent_name.starts_with(ZOOKEEPER_PATH) && child_name == LIMIT_NODE {
            match quota::trim_quota_path(parent_name) {
                Some(real) if !real.is_empty() => self.quotas.delete_path(real),
                _ => tracing::warn!("ignoring the deletion of quota limit {path}"),
            }
        }
        if let Some(prefix) = self.max_prefix_with_quota(path) {
            self.update_quota_stat(&prefix, -data_len(node.data()), -1);
        }

        triggers.push(WatchTrigger {
            path: path.to_owned(),
            event_type: event::NODE_DELETED,
            zxid,
            acl,
            target: TriggerTarget::DataThenChild,
        });
        triggers.push(WatchTrigger {
            path: watch_path(parent_name),
            event_type: event::NODE_CHILDREN_CHANGED,
            zxid,
            acl: self.trigger_acl(parent_acl_index),
            target: TriggerTarget::Child,
        });
        Ok(())
    }

    /// Replaces a node's data (`setData`; also reconfig): `version` is the
    /// new version, mtime and mzxid are set. Returns the client stat.
    pub fn set_data(
        &mut self,
        path: &str,
        data: Option<Bytes>,
        version: i32,
        zxid: i64,
        time: i64,
        triggers: &mut Vec<WatchTrigger>,
    ) -> Result<Stat, ErrorCode> {
        let enabled = self.config.digest_enabled;
        let node_key = key(path);
        let id = self.nodes.lookup(node_key).ok_or(ErrorCode::NoNode)?;
        let node = self.nodes.get_mut(id);
        let old = crc_of(enabled, node_key, node);
        let new_len = data_len(data.as_deref());
        let last_len = data_len(node.data());
        node.set_data(data.as_deref());
        node.stat.mtime = time;
        node.stat.mzxid = zxid;
        node.stat.version = version;
        rehash(enabled, &mut self.digest, node_key, node, old);
        let stat = node.client_stat(self.config.owners);
        let acl_index = node.acl;

        if let Some(prefix) = self.max_prefix_with_quota(path) {
            self.update_quota_stat(&prefix, new_len - last_len, 0);
        }
        self.approximate_data_size += new_len - last_len;
        triggers.push(WatchTrigger {
            path: path.to_owned(),
            event_type: event::NODE_DATA_CHANGED,
            zxid,
            acl: self.trigger_acl(acl_index),
            target: TriggerTarget::Data,
        });
        Ok(stat)
    }

    /// Replaces a node's ACL (`setACL`): `version` is the new aversion. The
    /// old index is released before the new list is looked up, so setting
    /// the same list on its only user moves it to a new index, as in Java.
    /// Fires no watches.
    pub fn set_acl(
        &mut self,
        path: &str,
        acl: Option<&[ACL]>,
        version: i32,
    ) -> Result<Stat, ErrorCode> {
        let enabled = self.config.digest_enabled;
        let node_key = key(path);
        let id = self.nodes.lookup(node_key).ok_or(ErrorCode::NoNode)?;
        let node = self.nodes.get_mut(id);
        let old = crc_of(enabled, node_key, node);
        self.acls.remove_usage(node.acl);
        node.stat.aversion = version;
        node.acl = self.acls.convert_acls(acl);
        rehash(enabled, &mut self.digest, node_key, node, old);
        Ok(node.client_stat(self.config.owners))
    }

    /// Raises a node's cversion to `cversion` (−1: plus one) and sets its
    /// pzxid, only if that is larger (`setCversionPzxid`; one trailing `/`
    /// of `path` is ignored).
    pub fn set_cversion_pzxid(
        &mut self,
        path: &str,
        cversion: i32,
        zxid: i64,
    ) -> Result<(), ErrorCode> {
        let path = path.strip_suffix('/').unwrap_or(path);
        let enabled = self.config.digest_enabled;
        let node_key = key(path);
        let id = self.nodes.lookup(node_key).ok_or(ErrorCode::NoNode)?;
        let node = self.nodes.get_mut(id);
        let cversion = if cversion == -1 {
            node.stat.cversion.wrapping_add(1)
        } else {
            cversion
        };
        if cversion > node.stat.cversion {
            let old = crc_of(enabled, node_key, node);
            node.stat.cversion = cversion;
            node.stat.pzxid = zxid;
            rehash(enabled, &mut self.digest, node_key, node, old);
        }
        Ok(())
    }

    /// Deletes a closed session's ephemerals (`killSession`): first the
    /// paths the transaction lists (whoever owns them), then whatever else
    /// the session still owns (with a warning when the transaction had a
    /// list). Missing nodes are skipped with a warning.
    pub fn kill_session(
        &mut self,
        session: i64,
        zxid: i64,
        paths_in_txn: Option<&[String]>,
        triggers: &mut Vec<WatchTrigger>,
    ) {
        let owned = self.ephemerals.remove(&session);
        if let Some(paths) = paths_in_txn {
            self.delete_ephemerals(session, zxid, paths.iter().map(String::as_str), triggers);
        }
        let Some(mut owned) = owned else {
            return;
        };
        if let Some(paths) = paths_in_txn {
            for path in paths {
                owned.remove(path);
            }
            if !owned.is_empty() {
                tracing::warn!(
                    "unexpected extra paths under session {session:#x} which are not in txn {zxid:#x}: {owned:?}"
                );
            }
        }
        let mut rest: Vec<String> = owned.into_iter().collect();
        rest.sort();
        self.delete_ephemerals(session, zxid, rest.iter().map(String::as_str), triggers);
    }

    fn delete_ephemerals<'p>(
        &mut self,
        session: i64,
        zxid: i64,
        paths: impl Iterator<Item = &'p str>,
        triggers: &mut Vec<WatchTrigger>,
    ) {
        for path in paths {
            match self.delete_node(path, zxid, triggers) {
                Ok(()) => tracing::debug!("deleting ephemeral node {path} for session {session:#x}"),
                Err(e) => tracing::warn!(
                    "ignoring {e} for path {path} while removing ephemeral for dead session {session:#x}"
                ),
            }
        }
    }

    // ----- applying transactions ------------------------------------------------

    /// Applies a committed transaction (`processTxn` with its digest):
    /// errors in the body become `err` (nothing is half-applied except as
    /// Java does), `lastProcessedZxid` moves after the whole transaction,
    /// the digest is logged, and the transaction's digest is compared.
    pub fn apply(&mut self, txn: &Txn) -> Applied {
        let ctx = TxnContext::of(&txn.header);
        let mut triggers = Vec::new();
        let rc = self.process(ctx, &txn.body, &mut triggers);
        if ctx.zxid > self.last_processed_zxid {
            self.last_processed_zxid = ctx.zxid;
        }
        self.record_digest(ctx.zxid);
        let digest_mismatch = !self.compare_digest(txn);
        Applied {
            session_id: txn.header.client_id,
            cxid: txn.header.cxid,
            zxid: txn.header.zxid,
            op: rc.op,
            err: rc.err,
            path: rc.path,
            stat: rc.stat,
            multi: rc.multi,
            triggers,
            digest_mismatch,
        }
    }

    /// One body, including the fix-up of a replayed create that finds its
    /// node already there.
    fn process(
        &mut self,
        ctx: TxnContext,
        body: &TxnBody,
        triggers: &mut Vec<WatchTrigger>,
    ) -> Processed {
        let mut rc = Processed::new(body.op());
        let outcome = match body {
            TxnBody::Create(t) | TxnBody::Create2(t) => {
                rc.path = t.path.clone();
                let owner = if t.ephemeral { ctx.session_id } else { 0 };
                let created = self.create_from_txn(
                    ctx,
                    t.path.as_deref(),
                    &t.data,
                    &t.acl,
                    owner,
                    t.parent_c_version,
                    triggers,
                );
                created.map(|stat| {
                    if matches!(body, TxnBody::Create2(_)) {
                        rc.stat = Some(stat);
                    }
                })
            }
            TxnBody::CreateTtl(t) => {
                rc.path = t.path.clone();
                match EphemeralType::ttl_owner(t.ttl) {
                    Some(owner) => self
                        .create_from_txn(
                            ctx,
                            t.path.as_deref(),
                            &t.data,
                            &t.acl,
                            owner,
                            t.parent_c_version,
                            triggers,
                        )
                        .map(|stat| rc.stat = Some(stat)),
                    None => Err(ErrorCode::BadArguments),
                }
            }
            TxnBody::CreateContainer(t) => {
                rc.path = t.path.clone();
                self.create_from_txn(
                    ctx,
                    t.path.as_deref(),
                    &t.data,
                    &t.acl,
                    CONTAINER_EPHEMERAL_OWNER,
                    t.parent_c_version,
                    triggers,
                )
                .map(|stat| rc.stat = Some(stat))
            }
            TxnBody::Delete(t) | TxnBody::DeleteContainer(t) => {
                rc.path = t.path.clone();
                match t.path.as_deref() {
                    Some(path) => self.delete_node(path, ctx.zxid, triggers),
                    None => Err(ErrorCode::NoNode),
                }
            }
            TxnBody::SetData(t) | TxnBody::Reconfig(t) => {
                rc.path = t.path.clone();
                match t.path.as_deref() {
                    Some(path) => self
                        .set_data(
                            path,
                            t.data.clone(),
                            t.version,
                            ctx.zxid,
                            ctx.time,
                            triggers,
                        )
                        .map(|stat| rc.stat = Some(stat)),
                    None => Err(ErrorCode::NoNode),
                }
            }
            TxnBody::SetAcl(t) => {
                rc.path = t.path.clone();
                match t.path.as_deref() {
                    Some(path) => self
                        .set_acl(path, t.acl.as_deref(), t.version)
                        .map(|stat| rc.stat = Some(stat)),
                    None => Err(ErrorCode::NoNode),
                }
            }
            TxnBody::CloseSession(t) => {
                let paths = t.as_ref().and_then(|t| t.paths2_delete.as_deref());
                self.kill_session(ctx.session_id, ctx.zxid, paths, triggers);
                Ok(())
            }
            TxnBody::CreateSession(_) => Ok(()),
            TxnBody::Error(t) => {
                rc.err = t.err;
                Ok(())
            }
            TxnBody::Check(t) => {
                rc.path = t.path.clone();
                Ok(())
            }
            TxnBody::Multi(ops) => {
                let (results, err) = self.process_multi(ctx, ops, triggers);
                rc.multi = Some(results);
                rc.err = err;
                Ok(())
            }
        };
        if let Err(code) = outcome {
            rc.err = code.code();
        }

        // A create replayed over a node that already exists (a fuzzy
        // snapshot, or a node re-created by another session) still moves
        // the parent's cversion and pzxid. Only type 1, as in Java.
        if let TxnBody::Create(t) = body {
            if rc.err == ErrorCode::NodeExists.code() {
                if let Some((parent, _)) = rc.path.as_deref().and_then(split_path) {
                    if let Err(e) = self.set_cversion_pzxid(parent, t.parent_c_version, ctx.zxid) {
                        tracing::error!("failed to set parent cversion for {parent}: {e}");
                        rc.err = e.code();
                    }
                }
            }
        }
        rc
    }

    #[allow(clippy::too_many_arguments)]
    fn create_from_txn(
        &mut self,
        ctx: TxnContext,
        path: Option<&str>,
        data: &Option<Bytes>,
        acl: &Option<Vec<ACL>>,
        owner: i64,
        parent_cversion: i32,
        triggers: &mut Vec<WatchTrigger>,
    ) -> Result<Stat, ErrorCode> {
        let path = path.ok_or(ErrorCode::NoNode)?;
        self.create_node(
            path,
            data.clone(),
            acl.as_deref(),
            owner,
            parent_cversion,
            ctx.zxid,
            ctx.time,
            triggers,
        )
    }

    /// A multi: if any operation is an error, none is applied and the
    /// others report 0 before the first error and RUNTIMEINCONSISTENCY
    /// after it; otherwise each is applied in turn. An operation type that
    /// cannot be in a multi stops processing there (Java's IOException).
    /// Returns the results and the first non-zero error.
    fn process_multi(
        &mut self,
        ctx: TxnContext,
        ops: &[TxnBody],
        triggers: &mut Vec<WatchTrigger>,
    ) -> (Vec<OpResult>, i32) {
        let failed = ops.iter().any(|op| matches!(op, TxnBody::Error(_)));
        let mut after_failure = false;
        let mut results = Vec::with_capacity(ops.len());
        let mut err = 0;
        for sub in ops {
            if !allowed_in_multi(sub) {
                tracing::warn!("invalid type of op in a multi: {}", sub.op());
                break;
            }
            let is_error = matches!(sub, TxnBody::Error(_));
            after_failure |= is_error;
            let result = if failed && !is_error {
                let code = if after_failure {
                    ErrorCode::RuntimeInconsistency.code()
                } else {
                    ErrorCode::Ok.code()
                };
                let mut rc = Processed::new(op::ERROR);
                rc.err = code;
                rc.into_op_result()
            } else {
                self.process(ctx, sub, triggers).into_op_result()
            };
            if result.err != 0 && err == 0 {
                err = result.err;
            }
            results.push(result);
        }
        (results, err)
    }
}

/// The operation types `processTxn` reads inside a multi.
fn allowed_in_multi(body: &TxnBody) -> bool {
    matches!(
        body,
        TxnBody::Create(_)
            | TxnBody::Create2(_)
            | TxnBody::CreateTtl(_)
            | TxnBody::CreateContainer(_)
            | TxnBody::Delete(_)
            | TxnBody::DeleteContainer(_)
            | TxnBody::SetData(_)
            | TxnBody::Error(_)
            | TxnBody::Check(_)
    )
}
