//! Where the znodes live: an arena of nodes addressed by `u32`, each with
//! its own name (not its whole path) and links to its parent, its first
//! child and its siblings, plus one hash index of node ids keyed by
//! (parent id, name). A path is resolved one component at a time.
//!
//! This is what a million znodes cost little memory for: no path string
//! per node, no child set per parent, no map entry holding the node inline
//! in a half-empty table. Freed slots are reused.
//!
//! Java keys its nodes by full path, so a node whose parent was deleted
//! before it (only a replay over a fuzzy snapshot can do that) stays
//! reachable by its path although no parent lists it. Such orphans are kept
//! here by path too, and path lookups fall back to them.

use std::hash::BuildHasher;

use hashbrown::HashTable;

use super::node::Node;
use super::HashMap;

/// A node's place in the arena.
pub type NodeId = u32;

/// No node (the end of a sibling list, the root's parent).
pub(crate) const NIL: NodeId = NodeId::MAX;

/// Slots come in chunks of this many, 512 KiB each (no allocator size class
/// to round up to): the arena grows without copying what it holds (a `Vec`
/// doubling would copy, and leave the old block to the allocator, which
/// keeps it resident).
const CHUNK: usize = (512 << 10) / std::mem::size_of::<Option<Node>>();

/// The nodes of a tree.
#[derive(Clone)]
pub(crate) struct NodeStore {
    /// Slot `id` is `chunks[id / CHUNK][id % CHUNK]`.
    chunks: Vec<Box<[Option<Node>]>>,
    /// Slots handed out so far (freed ones included).
    used: usize,
    /// Freed slots, reused first.
    free: Vec<NodeId>,
    /// Every node with a parent, by (parent, name).
    index: HashTable<NodeId>,
    hasher: foldhash::fast::RandomState,
    root: NodeId,
    len: usize,
    /// Nodes whose parent was deleted before them, by path.
    orphans: HashMap<String, NodeId>,
    /// How many nodes were ever orphaned.
    orphaned: u64,
}

impl std::fmt::Debug for NodeStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeStore")
            .field("len", &self.len)
            .field("slots", &self.used)
            .field("orphans", &self.orphans.len())
            .finish()
    }
}

impl Default for NodeStore {
    fn default() -> Self {
        NodeStore {
            chunks: Vec::new(),
            used: 0,
            free: Vec::new(),
            index: HashTable::new(),
            hasher: foldhash::fast::RandomState::default(),
            root: NIL,
            len: 0,
            orphans: HashMap::default(),
            orphaned: 0,
        }
    }
}

impl NodeStore {
    fn hash(&self, parent: NodeId, name: &[u8]) -> u64 {
        self.hasher.hash_one((parent, name))
    }

    /// The number of nodes, orphans included.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Drops every node.
    pub fn clear(&mut self) {
        *self = NodeStore {
            hasher: self.hasher.clone(),
            ..NodeStore::default()
        };
    }

    /// The root, if there is one.
    pub fn root(&self) -> Option<NodeId> {
        (self.root != NIL).then_some(self.root)
    }

    fn slot(&self, id: NodeId) -> Option<&Option<Node>> {
        let chunk = self.chunks.get(id as usize / CHUNK)?;
        chunk.get(id as usize % CHUNK)
    }

    fn slot_mut(&mut self, id: NodeId) -> Option<&mut Option<Node>> {
        let chunk = self.chunks.get_mut(id as usize / CHUNK)?;
        chunk.get_mut(id as usize % CHUNK)
    }

    /// The node `id` (which must be live).
    pub fn get(&self, id: NodeId) -> &Node {
        match self.slot(id) {
            Some(Some(node)) => node,
            _ => panic!("node {id} is not in the store"),
        }
    }

    /// The node `id` (which must be live), to change.
    pub fn get_mut(&mut self, id: NodeId) -> &mut Node {
        match self.slot_mut(id) {
            Some(Some(node)) => node,
            _ => panic!("node {id} is not in the store"),
        }
    }

    /// The child `name` of `parent`.
    pub fn child(&self, parent: NodeId, name: &str) -> Option<NodeId> {
        let hash = self.hash(parent, name.as_bytes());
        self.index
            .find(hash, |&id| {
                let node = self.get(id);
                node.parent == parent && node.name_bytes() == name.as_bytes()
            })
            .copied()
    }

    /// The node at `path`: `""` and `"/"` are the root, anything else is
    /// `/`-separated names from it (an empty name matches nothing).
    pub fn lookup(&self, path: &str) -> Option<NodeId> {
        if path.is_empty() || path == "/" {
            return self.root();
        }
        let rest = path.strip_prefix('/')?;
        if let Some(id) = self.descend(self.root()?, rest) {
            return Some(id);
        }
        if self.orphans.is_empty() {
            return None;
        }
        // The deepest orphan at or above the path, then down from it.
        let mut end = path.len();
        loop {
            let prefix = &path[..end];
            if let Some(&id) = self.orphans.get(prefix) {
                return if end == path.len() {
                    Some(id)
                } else {
                    self.descend(id, &path[end + 1..])
                };
            }
            end = prefix.rfind('/')?;
            if end == 0 {
                return None;
            }
        }
    }

    fn descend(&self, mut id: NodeId, relative: &str) -> Option<NodeId> {
        for name in relative.split('/') {
            id = self.child(id, name)?;
        }
        Some(id)
    }

    fn alloc(&mut self, node: Node) -> NodeId {
        self.len += 1;
        if let Some(id) = self.free.pop() {
            if let Some(slot) = self.slot_mut(id) {
                *slot = Some(node);
            }
            return id;
        }
        let id = NodeId::try_from(self.used)
            .ok()
            .filter(|&id| id != NIL)
            .expect("more than 2^32 - 1 znodes");
        if self.used % CHUNK == 0 {
            self.chunks.push((0..CHUNK).map(|_| None).collect());
        }
        self.used += 1;
        if let Some(slot) = self.slot_mut(id) {
            *slot = Some(node);
        }
        id
    }

    /// Makes `node` (named `""`) the root, replacing the data, ACL, stat
    /// and digest of a root already there, whose children stay.
    pub fn set_root(&mut self, mut node: Node) -> NodeId {
        debug_assert!(node.name().is_empty());
        node.parent = NIL;
        if let Some(root) = self.root() {
            replace_content(self.get_mut(root), node);
            return root;
        }
        self.root = self.alloc(node);
        self.root
    }

    /// Adds `node` (named `name`) as a child of `parent`, which has no
    /// child of that name.
    pub fn insert_child(&mut self, parent: NodeId, name: &str, node: Node) -> NodeId {
        debug_assert!(self.child(parent, name).is_none());
        debug_assert_eq!(node.name(), name);
        let hash = self.hash(parent, name.as_bytes());
        let id = self.insert_child_unindexed(parent, node);
        let Self {
            index,
            chunks,
            hasher,
            ..
        } = self;
        index.insert_unique(hash, id, |&other| index_hash(chunks, hasher, other));
        id
    }

    /// Adds `node` as the newest child of `parent` without indexing it:
    /// for a loader, which calls [`build_index`](Self::build_index) once
    /// all nodes are in (no lookup by name works before).
    pub fn insert_child_unindexed(&mut self, parent: NodeId, mut node: Node) -> NodeId {
        node.first_child = NIL;
        node.child_count = 0;
        let id = self.alloc(node);
        self.link_first(parent, id);
        id
    }

    /// Makes `id` the first child of `parent`.
    fn link_first(&mut self, parent: NodeId, id: NodeId) {
        let head = self.get(parent).first_child;
        let node = self.get_mut(id);
        node.parent = parent;
        node.prev_sibling = NIL;
        node.next_sibling = head;
        if head != NIL {
            self.get_mut(head).prev_sibling = id;
        }
        let p = self.get_mut(parent);
        p.first_child = id;
        p.child_count += 1;
    }

    /// Takes `id` out of its parent's list of children.
    fn unlink(&mut self, id: NodeId) {
        let (parent, prev, next) = {
            let n = self.get(id);
            (n.parent, n.prev_sibling, n.next_sibling)
        };
        if prev == NIL {
            self.get_mut(parent).first_child = next;
        } else {
            self.get_mut(prev).next_sibling = next;
        }
        if next != NIL {
            self.get_mut(next).prev_sibling = prev;
        }
        self.get_mut(parent).child_count -= 1;
    }

    /// Frees the slot of `id` and returns its node.
    fn release(&mut self, id: NodeId) -> Node {
        let node = self
            .slot_mut(id)
            .and_then(Option::take)
            .expect("a released node is live");
        self.len -= 1;
        self.free.push(id);
        node
    }

    /// Builds the index of every node with a parent, sized for them all
    /// (no growth, no rehashing). Two children of one parent with the same
    /// name (a file that holds a path twice) become one: the first keeps
    /// its place and children, takes the later one's data, ACL and stat,
    /// and adopts its children. Returns how many were merged.
    pub fn build_index(&mut self) -> usize {
        let mut index = HashTable::with_capacity(self.len);
        let mut merged = 0;
        for id in 0..self.used as NodeId {
            let Some(Some(node)) = self.slot(id) else {
                continue;
            };
            if node.parent == NIL {
                continue;
            }
            let parent = node.parent;
            let hash = self.hash(parent, node.name_bytes());
            let existing = index
                .find(hash, |&other: &NodeId| {
                    let o = self.get(other);
                    o.parent == parent && o.name_bytes() == node.name_bytes()
                })
                .copied();
            let Some(first) = existing else {
                let (chunks, hasher) = (&self.chunks, &self.hasher);
                index.insert_unique(hash, id, |&other| index_hash(chunks, hasher, other));
                continue;
            };
            merged += 1;
            self.merge_into(first, id);
        }
        self.index = index;
        merged
    }

    /// The node `later` (a second child of the same name) merges into
    /// `first`: its content replaces `first`'s, its children (all newer
    /// than it, so not indexed yet) move under `first`, and it is removed.
    fn merge_into(&mut self, first: NodeId, later: NodeId) {
        let mut child = self.get(later).first_child;
        while child != NIL {
            let next = self.get(child).next_sibling;
            self.link_first(first, child);
            child = next;
        }
        self.unlink(later);
        let node = self.release(later);
        replace_content(self.get_mut(first), node);
    }

    /// Replaces the data, ACL, stat and digest of `id`, keeping its place.
    pub fn replace(&mut self, id: NodeId, node: Node) {
        replace_content(self.get_mut(id), node);
    }

    /// Removes the node `id`, found at `path`: it leaves its parent's list
    /// (or the orphans) and its children become orphans.
    pub fn remove(&mut self, id: NodeId, path: &str) -> Node {
        let parent = self.get(id).parent;
        if id == self.root {
            self.root = NIL;
        } else if parent == NIL {
            self.orphans.remove(path);
        } else {
            let hash = self.hash(parent, self.get(id).name_bytes());
            if let Ok(entry) = self.index.find_entry(hash, |&other| other == id) {
                entry.remove();
            }
            self.unlink(id);
        }
        let mut child = self.get(id).first_child;
        while child != NIL {
            let hash = self.hash(id, self.get(child).name_bytes());
            if let Ok(entry) = self.index.find_entry(hash, |&other| other == child) {
                entry.remove();
            }
            let c = self.get_mut(child);
            let next = c.next_sibling;
            c.parent = NIL;
            c.prev_sibling = NIL;
            c.next_sibling = NIL;
            let orphan_path = format!("{path}/{}", c.name());
            tracing::warn!(
                "{orphan_path} outlives its deleted parent (kept by path, as Java does)"
            );
            self.orphans.insert(orphan_path, child);
            self.orphaned += 1;
            child = next;
        }
        let mut node = self.release(id);
        node.first_child = NIL;
        node.child_count = 0;
        node
    }

    /// The children of `node`, newest first.
    pub fn children<'a>(&'a self, node: &'a Node) -> impl Iterator<Item = (NodeId, &'a Node)> + 'a {
        let mut next = node.first_child;
        std::iter::from_fn(move || {
            if next == NIL {
                return None;
            }
            let id = next;
            let child = self.get(id);
            next = child.next_sibling;
            Some((id, child))
        })
    }

    /// How many nodes ever outlived their parent.
    pub fn orphaned(&self) -> u64 {
        self.orphaned
    }

    /// True if some node outlived its parent.
    pub fn has_orphans(&self) -> bool {
        !self.orphans.is_empty()
    }

    /// The orphans with their paths.
    pub fn orphans(&self) -> impl Iterator<Item = (&str, NodeId)> + '_ {
        self.orphans.iter().map(|(path, &id)| (path.as_str(), id))
    }

    /// Visits the subtree at `id` (whose path is `path`), parents first,
    /// each node with its path.
    pub fn walk_from(&self, id: NodeId, path: &str, visit: &mut impl FnMut(&str, NodeId, &Node)) {
        let mut buf = path.to_owned();
        visit(&buf, id, self.get(id));
        let mut stack: Vec<(usize, NodeId)> = vec![(buf.len(), self.get(id).first_child)];
        while let Some((base, next)) = stack.last_mut() {
            if *next == NIL {
                stack.pop();
                continue;
            }
            let id = *next;
            let base = *base;
            let node = self.get(id);
            *next = node.next_sibling;
            buf.truncate(base);
            buf.push('/');
            buf.push_str(node.name());
            visit(&buf, id, node);
            if node.first_child != NIL {
                stack.push((buf.len(), node.first_child));
            }
        }
    }

    /// Visits every node, orphans and theirs included, with its path.
    pub fn walk_all(&self, mut visit: impl FnMut(&str, NodeId, &Node)) {
        if let Some(root) = self.root() {
            self.walk_from(root, "", &mut visit);
        }
        for (path, id) in self.orphans() {
            self.walk_from(id, path, &mut visit);
        }
    }
}

/// The index hash of the node `id` (for the index's growth, which rehashes).
fn index_hash(
    chunks: &[Box<[Option<Node>]>],
    hasher: &foldhash::fast::RandomState,
    id: NodeId,
) -> u64 {
    let node = chunks[id as usize / CHUNK][id as usize % CHUNK]
        .as_ref()
        .expect("indexed nodes are live");
    hasher.hash_one((node.parent, node.name_bytes()))
}

fn replace_content(old: &mut Node, new: Node) {
    old.set_data(new.data());
    old.acl = new.acl;
    old.stat = new.stat;
}
