//! One znode: its data, ACL-cache index, persisted stat and children, and
//! how its `ephemeralOwner` is interpreted (`DataNode`, `EphemeralType`).

use std::collections::hash_set;

use super::HashSet;

use bytes::Bytes;
use jute::data::{Stat, StatPersisted};

/// The `ephemeralOwner` of a container node (`Long.MIN_VALUE`), recognised
/// whatever the settings.
pub const CONTAINER_EPHEMERAL_OWNER: i64 = i64::MIN;

/// The largest TTL in milliseconds (40 bits, about 34.8 years).
pub const MAX_TTL_MS: i64 = 0xFF_FFFF_FFFF;

/// The top byte that marks an extended `ephemeralOwner`.
const EXTENDED_MASK: i64 = 0xFF00_0000_0000_0000_u64 as i64;
/// Bits 40–55: which extended feature (0 = TTL).
const EXTENDED_FEATURE_MASK: i64 = 0x00FF_FF00_0000_0000;
const EXTENDED_FEATURE_SHIFT: u32 = 40;
const EXTENDED_FEATURE_TTL: i64 = 0;

/// How the server reads `ephemeralOwner` (the `zookeeper.extendedTypesEnabled`
/// and `zookeeper.emulate353TTLNodes` system properties).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OwnerEncoding {
    /// `zookeeper.extendedTypesEnabled`: a top byte of 0xFF marks an
    /// extended type (TTL). Off by default, and then a TTL owner reads as
    /// an ordinary session id.
    pub extended_types_enabled: bool,
    /// `zookeeper.emulate353TTLNodes` (only with extended types): any other
    /// negative owner is a TTL node, as 3.5.3 encoded them.
    pub emulate_353_ttl_nodes: bool,
}

/// What kind of node an `ephemeralOwner` denotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EphemeralType {
    /// A persistent node (owner 0).
    Void,
    /// An ephemeral node owned by a session.
    Normal,
    /// A container node.
    Container,
    /// A persistent node with a time to live.
    Ttl,
}

impl EphemeralType {
    /// Interprets `owner` as Java's `EphemeralType.get` does. An extended
    /// owner with an unknown feature (Java throws) reads as `Normal`.
    pub fn of(owner: i64, encoding: OwnerEncoding) -> EphemeralType {
        if encoding.extended_types_enabled {
            if encoding.emulate_353_ttl_nodes && owner < 0 && owner != CONTAINER_EPHEMERAL_OWNER {
                return EphemeralType::Ttl;
            }
            if owner & EXTENDED_MASK == EXTENDED_MASK {
                let feature = (owner & EXTENDED_FEATURE_MASK) >> EXTENDED_FEATURE_SHIFT;
                return if feature == EXTENDED_FEATURE_TTL {
                    EphemeralType::Ttl
                } else {
                    tracing::warn!("invalid ephemeralOwner {owner:#x}: unknown extended type");
                    EphemeralType::Normal
                };
            }
        }
        match owner {
            CONTAINER_EPHEMERAL_OWNER => EphemeralType::Container,
            0 => EphemeralType::Void,
            _ => EphemeralType::Normal,
        }
    }

    /// The `ephemeralOwner` of a TTL node (`EphemeralType.TTL.toEphemeralOwner`),
    /// or `None` if `ttl_ms` is not in `1..=MAX_TTL_MS`.
    pub fn ttl_owner(ttl_ms: i64) -> Option<i64> {
        (1..=MAX_TTL_MS)
            .contains(&ttl_ms)
            .then_some(EXTENDED_MASK | (EXTENDED_FEATURE_TTL << EXTENDED_FEATURE_SHIFT) | ttl_ms)
    }

    /// The TTL in milliseconds held by a TTL owner (`EphemeralType.TTL.getValue`).
    pub fn ttl_of(owner: i64) -> i64 {
        owner & MAX_TTL_MS
    }
}

/// The children of a node: their last path components. Leaves, most nodes,
/// cost one pointer (a bare `HashSet` is 48 bytes).
#[derive(Debug, Clone, Default)]
#[allow(clippy::box_collection)]
pub struct ChildSet(Option<Box<HashSet<Box<str>>>>);

impl ChildSet {
    /// Adds `name`; false if it was already there.
    pub(crate) fn insert(&mut self, name: &str) -> bool {
        self.0
            .get_or_insert_with(|| {
                Box::new(HashSet::with_capacity_and_hasher(4, Default::default()))
            })
            .insert(name.into())
    }

    /// Removes `name`; false if it was not there. An emptied set is freed.
    pub(crate) fn remove(&mut self, name: &str) -> bool {
        let Some(set) = self.0.as_mut() else {
            return false;
        };
        let removed = set.remove(name);
        if set.is_empty() {
            self.0 = None;
        }
        removed
    }

    /// The number of children.
    pub fn len(&self) -> usize {
        self.0.as_ref().map_or(0, |set| set.len())
    }

    /// True if there are no children.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True if `name` is a child.
    pub fn contains(&self, name: &str) -> bool {
        self.0.as_ref().is_some_and(|set| set.contains(name))
    }

    /// The children's names, in no particular order.
    pub fn iter(&self) -> Children<'_> {
        Children(self.0.as_ref().map(|set| set.iter()))
    }
}

/// An iterator over the names in a [`ChildSet`].
#[derive(Debug, Clone)]
pub struct Children<'a>(Option<hash_set::Iter<'a, Box<str>>>);

impl<'a> Iterator for Children<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        self.0.as_mut()?.next().map(|name| &**name)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.as_ref().map_or((0, Some(0)), |it| it.size_hint())
    }
}

/// A znode as the tree stores it (`DataNode`).
#[derive(Debug, Clone)]
pub struct Node {
    /// The data; `None` (a null buffer) is distinct from empty.
    pub(crate) data: Option<Bytes>,
    /// The ACL-cache index (−1 = OPEN_ACL_UNSAFE).
    pub(crate) acl: i64,
    pub(crate) stat: StatPersisted,
    pub(crate) children: ChildSet,
    /// This node's share of the tree digest (0 when excluded or disabled).
    pub(crate) digest: u32,
}

impl Node {
    pub(crate) fn new(data: Option<Bytes>, acl: i64, stat: StatPersisted) -> Node {
        Node {
            data,
            acl,
            stat,
            children: ChildSet::default(),
            digest: 0,
        }
    }

    /// The data (`None` for null).
    pub fn data(&self) -> Option<&Bytes> {
        self.data.as_ref()
    }

    /// The length of the data (0 for null).
    pub fn data_len(&self) -> usize {
        self.data.as_ref().map_or(0, Bytes::len)
    }

    /// The index of the node's ACL in the tree's [`AclCache`](super::AclCache).
    pub fn acl_index(&self) -> i64 {
        self.acl
    }

    /// The stat as stored in snapshots.
    pub fn stat(&self) -> &StatPersisted {
        &self.stat
    }

    /// The children's names.
    pub fn children(&self) -> &ChildSet {
        &self.children
    }

    /// The stat a client sees (`DataNode.copyStat`): cversion counts changes
    /// (`2 × creates − children`), the owner is shown only for ordinary
    /// ephemerals, and dataLength and numChildren are computed.
    pub fn client_stat(&self, encoding: OwnerEncoding) -> Stat {
        let s = &self.stat;
        let num_children = self.children.len() as i32;
        let ephemeral_owner = match EphemeralType::of(s.ephemeral_owner, encoding) {
            EphemeralType::Normal => s.ephemeral_owner,
            _ => 0,
        };
        Stat {
            czxid: s.czxid,
            mzxid: s.mzxid,
            ctime: s.ctime,
            mtime: s.mtime,
            version: s.version,
            cversion: s.cversion.wrapping_mul(2).wrapping_sub(num_children),
            aversion: s.aversion,
            ephemeral_owner,
            data_length: self.data_len() as i32,
            num_children,
            pzxid: s.pzxid,
        }
    }
}

/// A fresh node's stat (`DataTree.createStat`).
pub fn new_stat(zxid: i64, time: i64, ephemeral_owner: i64) -> StatPersisted {
    StatPersisted {
        czxid: zxid,
        mzxid: zxid,
        ctime: time,
        mtime: time,
        version: 0,
        cversion: 0,
        aversion: 0,
        ephemeral_owner,
        pzxid: zxid,
    }
}
