//! Building a tree from a snapshot (`DataTree.deserialize`): the ACL cache
//! first, then the nodes in pre-order, then the indexes and quotas.

use std::fmt;

use jute::data::{StatPersisted, ACL};

use super::{
    crc_of, node_digest, split_path, AclCache, DataTree, EphemeralType, Node, NodeId, TreeConfig,
};

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
    /// While every node's parent is the node before it or one of that
    /// node's ancestors (always, in a pre-order file), nodes are linked
    /// without the name index, which is built once at the end, at its
    /// final size; the first node that breaks the order builds it early.
    indexed: bool,
    /// The path of the last node added.
    path: String,
    /// The last node's ancestors and itself: (length of its path, id).
    ancestors: Vec<(usize, NodeId)>,
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
            indexed: false,
            path: String::new(),
            ancestors: Vec::new(),
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
        let digest = if self.tree.config.digest_enabled {
            node_digest(path, data, &stat)
        } else {
            0
        };
        self.add_node_with_digest(path, data, acl, stat, digest)
    }

    /// [`add_node`](Self::add_node) given the node's digest
    /// ([`node_digest`], or 0 when the tree's digest is off), computed by
    /// whoever read the node.
    pub fn add_node_with_digest(
        &mut self,
        path: &str,
        data: Option<&[u8]>,
        acl: i64,
        stat: StatPersisted,
        digest: i64,
    ) -> Result<(), LoadError> {
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
        let node = Node::new(name, data, acl, stat);
        let owner = node.stat.ephemeral_owner;
        if path.is_empty() {
            if self.has_root {
                self.subtract_old_digest("");
            }
            self.tree.digest = self.tree.digest.wrapping_add(digest);
            self.has_root = true;
            let id = self.tree.nodes.set_root(node);
            self.path.clear();
            self.ancestors.clear();
            self.ancestors.push((0, id));
        } else {
            self.tree.digest = self.tree.digest.wrapping_add(digest);
            let parent_id = if self.indexed {
                None
            } else {
                self.parent_in_order(parent)
            };
            match parent_id {
                Some(parent_id) => {
                    let id = self.tree.nodes.insert_child_unindexed(parent_id, node);
                    self.path.clear();
                    self.path.push_str(path);
                    self.ancestors.push((path.len(), id));
                }
                None => {
                    self.use_index();
                    let Some(parent_id) = self.tree.nodes.lookup(parent) else {
                        return Err(LoadError::MissingParent {
                            parent: parent.into(),
                            path: path.into(),
                        });
                    };
                    match self.tree.nodes.child(parent_id, name) {
                        Some(existing) => {
                            self.subtract_old_digest(path);
                            self.tree.nodes.replace(existing, node);
                        }
                        None => {
                            self.tree.nodes.insert_child(parent_id, name, node);
                        }
                    }
                }
            }
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
        let enabled = self.tree.config.digest_enabled;
        if let Some(old) = self.tree.node(path) {
            let digest = i64::from(crc_of(enabled, path, old));
            self.tree.digest = self.tree.digest.wrapping_sub(digest);
        }
    }

    /// The id of `parent` if it is the last node added or one of its
    /// ancestors (forgetting the deeper ones); `None` otherwise.
    fn parent_in_order(&mut self, parent: &str) -> Option<NodeId> {
        while let Some(&(end, id)) = self.ancestors.last() {
            if end == parent.len() && self.path.get(..end) == Some(parent) {
                return Some(id);
            }
            if end < parent.len() {
                return None;
            }
            self.ancestors.pop();
        }
        None
    }

    /// Builds the name index now (merging a path loaded twice) and looks
    /// nodes up by name from here on.
    fn use_index(&mut self) {
        if self.indexed {
            return;
        }
        self.indexed = true;
        self.ancestors.clear();
        if self.tree.nodes.build_index() > 0 {
            // A path loaded twice: only the later node's digest counts.
            self.tree.digest = self.tree.recompute_digest();
        }
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
    pub fn finish(mut self) -> Result<DataTree, LoadError> {
        if !self.has_root {
            return Err(LoadError::NoRoot);
        }
        self.use_index();
        let mut tree = self.tree;
        tree.approximate_data_size = tree.scan_approximate_data_size();
        tree.rebuild_quotas();
        tree.acls.purge_unused();
        Ok(tree)
    }
}
