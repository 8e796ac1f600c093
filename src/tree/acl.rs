//! The reference-counted ACL cache (`ReferenceCountedACLCache`): nodes
//! store a `long` index instead of their ACL list.

use std::collections::hash_map::RandomState;
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::Arc;

use jute::data::{Id, ACL};

use crate::proto::codes::perms;

/// The index of OPEN_ACL_UNSAFE (`world:anyone` with all permissions),
/// never stored in the map.
pub const OPEN_ACL_UNSAFE_INDEX: i64 = -1;

/// `world:anyone` with `perms`.
pub fn world_anyone(perms: i32) -> ACL {
    ACL {
        perms,
        id: Id {
            scheme: Some("world".into()),
            id: Some("anyone".into()),
        },
    }
}

/// `ZooDefs.Ids.OPEN_ACL_UNSAFE`.
pub fn open_acl_unsafe() -> Vec<ACL> {
    vec![world_anyone(perms::ALL)]
}

/// `ZooDefs.Ids.READ_ACL_UNSAFE`.
pub fn read_acl_unsafe() -> Vec<ACL> {
    vec![world_anyone(perms::READ)]
}

#[derive(Debug, Clone)]
struct Entry {
    acl: Arc<[ACL]>,
    /// Java counts with a signed long and drops an entry at ≤ 0.
    refs: i64,
}

/// The ACL lists in use, each under an index, with reference counts.
///
/// Equality is by list (order matters). Java's rules, kept exactly because
/// the indexes end up in snapshots: only a null list maps to −1 (a list
/// equal to OPEN_ACL_UNSAFE gets an index of its own), new lists get
/// `++last_index`, and an entry disappears when its count reaches 0.
#[derive(Debug, Clone)]
pub struct AclCache {
    /// By index, so snapshots can write them in order.
    entries: BTreeMap<i64, Entry>,
    /// List hash → the indexes holding a list with that hash.
    by_hash: HashMap<u64, Vec<i64>>,
    hasher: RandomState,
    last_index: i64,
    open: Arc<[ACL]>,
}

impl Default for AclCache {
    fn default() -> Self {
        AclCache::new()
    }
}

impl AclCache {
    /// An empty cache.
    pub fn new() -> AclCache {
        AclCache {
            entries: BTreeMap::new(),
            by_hash: HashMap::new(),
            hasher: RandomState::new(),
            last_index: 0,
            open: open_acl_unsafe().into(),
        }
    }

    fn hash_of(&self, acl: &[ACL]) -> u64 {
        let mut h = self.hasher.build_hasher();
        acl.len().hash(&mut h);
        for entry in acl {
            entry.perms.hash(&mut h);
            entry.id.scheme.hash(&mut h);
            entry.id.id.hash(&mut h);
        }
        h.finish()
    }

    fn find(&self, hash: u64, acl: &[ACL]) -> Option<i64> {
        // The latest entry wins, as Java's list → index map keeps the last put.
        self.by_hash
            .get(&hash)?
            .iter()
            .rev()
            .copied()
            .find(|index| {
                self.entries
                    .get(index)
                    .is_some_and(|entry| *entry.acl == *acl)
            })
    }

    /// The index for `acl`, adding the list if it is new, and counts one
    /// more use of it (`convertAcls`). A null list is −1.
    pub fn convert_acls(&mut self, acl: Option<&[ACL]>) -> i64 {
        let Some(acl) = acl else {
            return OPEN_ACL_UNSAFE_INDEX;
        };
        let hash = self.hash_of(acl);
        let index = match self.find(hash, acl) {
            Some(index) => index,
            None => {
                self.last_index += 1;
                let index = self.last_index;
                self.entries.insert(
                    index,
                    Entry {
                        acl: acl.into(),
                        refs: 0,
                    },
                );
                self.by_hash.entry(hash).or_default().push(index);
                index
            }
        };
        self.add_usage(index);
        index
    }

    /// The list under `index` (−1 is OPEN_ACL_UNSAFE), or `None` if there is
    /// no such entry (Java throws "Failed to fetch acls").
    pub fn resolve(&self, index: i64) -> Option<&Arc<[ACL]>> {
        if index == OPEN_ACL_UNSAFE_INDEX {
            return Some(&self.open);
        }
        self.entries.get(&index).map(|entry| &entry.acl)
    }

    /// Counts one more use of `index`; unknown indexes are ignored.
    pub fn add_usage(&mut self, index: i64) {
        if index == OPEN_ACL_UNSAFE_INDEX {
            return;
        }
        match self.entries.get_mut(&index) {
            Some(entry) => entry.refs += 1,
            None => tracing::info!("ignoring acl {index} as it does not exist in the cache"),
        }
    }

    /// Counts one use fewer of `index`, dropping the entry at 0.
    pub fn remove_usage(&mut self, index: i64) {
        if index == OPEN_ACL_UNSAFE_INDEX {
            return;
        }
        let Some(entry) = self.entries.get_mut(&index) else {
            tracing::info!("ignoring acl {index} as it does not exist in the cache");
            return;
        };
        entry.refs -= 1;
        if entry.refs <= 0 {
            self.drop_entry(index);
        }
    }

    fn drop_entry(&mut self, index: i64) {
        let Some(entry) = self.entries.remove(&index) else {
            return;
        };
        let hash = self.hash_of(&entry.acl);
        if let Some(bucket) = self.by_hash.get_mut(&hash) {
            bucket.retain(|&i| i != index);
            if bucket.is_empty() {
                self.by_hash.remove(&hash);
            }
        }
    }

    /// Drops every entry no node uses (after loading a snapshot).
    pub fn purge_unused(&mut self) {
        let unused: Vec<i64> = self
            .entries
            .iter()
            .filter(|(_, entry)| entry.refs <= 0)
            .map(|(&index, _)| index)
            .collect();
        for index in unused {
            self.drop_entry(index);
        }
    }

    /// Adds an entry read from a snapshot, with no uses yet; the next new
    /// list gets an index above the largest loaded.
    pub fn insert_loaded(&mut self, index: i64, acl: Vec<ACL>) {
        self.drop_entry(index);
        let hash = self.hash_of(&acl);
        self.entries.insert(
            index,
            Entry {
                acl: acl.into(),
                refs: 0,
            },
        );
        self.by_hash.entry(hash).or_default().push(index);
        self.last_index = self.last_index.max(index);
    }

    /// Makes sure no new list gets `index` or below: for an index a
    /// loaded node refers to but the loaded cache lacks (a fuzzy snapshot
    /// captured the cache before the list was added). Java does not do
    /// this, and can then give a new list the number of such a dangling
    /// index, whose later release drops the new entry under its other
    /// users.
    pub fn reserve_index(&mut self, index: i64) {
        self.last_index = self.last_index.max(index);
    }

    /// Removes every entry. Like Java, the index counter is kept.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.by_hash.clear();
    }

    /// The number of entries (Java's `aclCacheSize`).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True if there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The last index handed out.
    pub fn last_index(&self) -> i64 {
        self.last_index
    }

    /// The reference count of `index`, if it is in the map.
    pub fn ref_count(&self, index: i64) -> Option<i64> {
        self.entries.get(&index).map(|entry| entry.refs)
    }

    /// The entries in index order, as a snapshot writes them.
    pub fn iter(&self) -> impl Iterator<Item = (i64, &Arc<[ACL]>)> + '_ {
        self.entries
            .iter()
            .map(|(&index, entry)| (index, &entry.acl))
    }
}
