//! Building a tree from a snapshot (`DataTree.deserialize`): the ACL cache
//! first, then the nodes in pre-order, then the indexes and quotas.

use std::fmt;

use jute::data::{StatPersisted, ACL};

use super::{crc_of, split_path, AclCache, DataTree, EphemeralType, Node, NodeId, TreeConfig};

/// Why a node read from a snapshot cannot be added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    /// A path without any `/` other than the root's `""`.
    NotAPath(String),
    /// The parent was not loaded before the child (Java: "Invalid Datatree,
    /// unable to find parent").
    MissingParent { parent: String, path: String },
    /// The first node is not the root.
    NoRoot,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::NotAPath(path) => write!(f, "invalid node path {path:?}"),
            LoadError::MissingParent { parent, path } => write!(
                f,
                "Invalid Datatree, unable to find parent {parent} of path {path}"
            ),
            LoadError::NoRoot => f.write_str("the snapshot has no root node"),
        }
    }
}

impl std::error::Error for LoadError {}

/// A tree being loaded: nodes must come parents first, the root (`""`)
/// first of all. [`finish`](Self::finish) does what Java does once the
/// terminator is read.
#[derive(Debug)]
pub struct TreeLoader {
    tree: DataTree,
    has_root: bool,
    /// The last node added and the last parent used, with their ids: where
    /// the next node's parent mostly is.
    recent: [(String, NodeId); 2],
}

impl TreeLoader {
    /// An empty tree (no built-in nodes, an empty ACL cache).
    pub fn new(config: TreeConfig) -> TreeLoader {
        let mut tree = DataTree::new(config);
        tree.nodes.clear();
        tree.digest = 0;
        tree.acls = AclCache::new();
        tree.approximate_data_size = 0;
        TreeLoader {
            tree,
            has_root: false,
            recent: [(String::from("\0"), 0), (String::from("\0"), 0)],
        }
    }

    /// Adds an ACL-cache entry read from the snapshot (reference count 0
    /// until nodes use it). Entries must all come before the nodes.
    pub fn insert_acl(&mut self, index: i64, acl: Vec<ACL>) {
        self.tree.acls.insert_loaded(index, acl);
    }

    /// Adds a node read from the snapshot. Its parent must already be
    /// there; the node is counted in its ACL entry, the digest, and the
    /// ephemeral, container or TTL index by its owner. A path loaded twice
    /// (never written by Java or rzk) replaces the node but keeps the first
    /// one's children, where Java would orphan them.
    pub fn add_node(
        &mut self,
        path: &str,
        data: Option<&[u8]>,
        acl: i64,
        stat: StatPersisted,
    ) -> Result<(), LoadError> {
        let enabled = self.tree.config.digest_enabled;
        let (parent, name) = if path.is_empty() {
            ("", "")
        } else {
            if !self.has_root {
                return Err(LoadError::NoRoot);
            }
            let (parent, name) =
                split_path(path).ok_or_else(|| LoadError::NotAPath(path.into()))?;
            if name.is_empty() {
                // A child named "" would make the path "…/", which no
                // walk can reach again.
                return Err(LoadError::NotAPath(path.into()));
            }
            (parent, name)
        };
        let mut node = Node::new(name, data, acl, stat);
        node.digest = crc_of(enabled, path, &node);
        let owner = node.stat.ephemeral_owner;
        if path.is_empty() {
            if self.has_root {
                self.subtract_old_digest("");
            }
            self.tree.digest = self.tree.digest.wrapping_add(i64::from(node.digest));
            self.has_root = true;
            let id = self.tree.nodes.set_root(node);
            self.remember("", id);
        } else {
            // Pre-order: the parent is mostly the node before, or its parent.
            let parent_id = if self.recent[0].0 == parent {
                Some(self.recent[0].1)
            } else if self.recent[1].0 == parent {
                Some(self.recent[1].1)
            } else {
                self.tree.nodes.lookup(parent)
            };
            let Some(parent_id) = parent_id else {
                return Err(LoadError::MissingParent {
                    parent: parent.into(),
                    path: path.into(),
                });
            };
            self.tree.digest = self.tree.digest.wrapping_add(i64::from(node.digest));
            let id = match self.tree.nodes.child(parent_id, name) {
                Some(existing) => {
                    self.subtract_old_digest(path);
                    self.tree.nodes.replace(existing, node);
                    existing
                }
                None => self.tree.nodes.insert_child(parent_id, name, node),
            };
            if self.recent[1].0 != parent {
                self.recent[1].0.clear();
                self.recent[1].0.push_str(parent);
                self.recent[1].1 = parent_id;
            }
            self.remember(path, id);
            match EphemeralType::of(owner, self.tree.config.owners) {
                EphemeralType::Container => {
                    self.tree.containers.insert(path.to_owned());
                }
                EphemeralType::Ttl => {
                    self.tree.ttls.insert(path.to_owned());
                }
                EphemeralType::Normal => {
                    self.tree
                        .ephemerals
                        .entry(owner)
                        .or_default()
                        .insert(path.to_owned());
                }
                EphemeralType::Void => {}
            }
        }
        if acl != super::OPEN_ACL_UNSAFE_INDEX && self.tree.acls.ref_count(acl).is_none() {
            tracing::warn!(
                "node {path:?} refers to acl {acl}, which is not in the snapshot's cache"
            );
            self.tree.acls.reserve_index(acl);
        }
        self.tree.acls.add_usage(acl);
        Ok(())
    }

    /// A path loaded twice: the first node's digest leaves the sum.
    fn subtract_old_digest(&mut self, path: &str) {
        if let Some(old) = self.tree.node(path) {
            self.tree.digest = self.tree.digest.wrapping_sub(i64::from(old.digest));
        }
    }

    /// The node just added, as the most recent parent candidate.
    fn remember(&mut self, path: &str, id: NodeId) {
        self.recent[0].0.clear();
        self.recent[0].0.push_str(path);
        self.recent[0].1 = id;
    }

    /// The number of nodes loaded so far.
    pub fn len(&self) -> usize {
        self.tree.nodes.len()
    }

    /// True if no node was loaded.
    pub fn is_empty(&self) -> bool {
        self.tree.nodes.len() == 0
    }

    /// After the terminator: the approximate data size is recounted, the
    /// quota trie and usage are rebuilt (`setupQuota`), and unused ACL
    /// entries are dropped (`purgeUnused`). The caller sets the last
    /// processed zxid and the snapshot digest.
    pub fn finish(self) -> Result<DataTree, LoadError> {
        if !self.has_root {
            return Err(LoadError::NoRoot);
        }
        let mut tree = self.tree;
        tree.approximate_data_size = tree.scan_approximate_data_size();
        tree.rebuild_quotas();
        tree.acls.purge_unused();
        Ok(tree)
    }
}
