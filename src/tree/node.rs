//! One znode: its data, ACL-cache index, persisted stat and links, and
//! how its `ephemeralOwner` is interpreted (`DataNode`, `EphemeralType`).

use bytes::Bytes;

use super::store::{NodeId, NIL};
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

/// A znode as the tree stores it (`DataNode`), with its place in the
/// [`NodeStore`](super::store::NodeStore): its name, parent, children and
/// siblings. The name and the data share one allocation.
#[derive(Debug, Clone)]
pub struct Node {
    pub(crate) stat: StatPersisted,
    /// The last component of the path (`""` for the root), then the data.
    payload: Box<[u8]>,
    /// The ACL-cache index (−1 = OPEN_ACL_UNSAFE).
    pub(crate) acl: i64,
    /// The name's length in the payload; [`NULL_DATA`] set if the data
    /// is null (distinct from empty).
    name_len: u32,
    pub(crate) parent: NodeId,
    pub(crate) first_child: NodeId,
    pub(crate) next_sibling: NodeId,
    pub(crate) prev_sibling: NodeId,
    pub(crate) child_count: u32,
}

/// The bit of `name_len` that says the data is null.
const NULL_DATA: u32 = 1 << 31;

fn payload(name: &str, data: Option<&[u8]>) -> (Box<[u8]>, u32) {
    let data_bytes = data.unwrap_or_default();
    let mut bytes = Vec::with_capacity(name.len() + data_bytes.len());
    bytes.extend_from_slice(name.as_bytes());
    bytes.extend_from_slice(data_bytes);
    // Names come from paths within jute.maxbuffer: far below 2^31 bytes.
    let mut name_len = u32::try_from(name.len()).unwrap_or(u32::MAX) & !NULL_DATA;
    if data.is_none() {
        name_len |= NULL_DATA;
    }
    (bytes.into_boxed_slice(), name_len)
}

impl Node {
    pub(crate) fn new(name: &str, data: Option<&[u8]>, acl: i64, stat: StatPersisted) -> Node {
        let (payload, name_len) = payload(name, data);
        Node {
            stat,
            payload,
            acl,
            name_len,
            parent: NIL,
            first_child: NIL,
            next_sibling: NIL,
            prev_sibling: NIL,
            child_count: 0,
        }
    }

    fn name_end(&self) -> usize {
        (self.name_len & !NULL_DATA) as usize
    }

    /// The data (`None` for null).
    pub fn data(&self) -> Option<&[u8]> {
        if self.name_len & NULL_DATA != 0 {
            None
        } else {
            self.payload.get(self.name_end()..)
        }
    }

    /// Replaces the data.
    pub(crate) fn set_data(&mut self, data: Option<&[u8]>) {
        let (payload, name_len) = payload(self.name(), data);
        self.payload = payload;
        self.name_len = name_len;
    }

    /// The data as a buffer of its own (`None` for null).
    pub fn data_bytes(&self) -> Option<Bytes> {
        self.data().map(Bytes::copy_from_slice)
    }

    /// The length of the data (0 for null).
    pub fn data_len(&self) -> usize {
        self.data().map_or(0, <[u8]>::len)
    }

    /// The name's bytes.
    pub(crate) fn name_bytes(&self) -> &[u8] {
        self.payload.get(..self.name_end()).unwrap_or_default()
    }

    /// The last component of the node's path (`""` for the root).
    pub fn name(&self) -> &str {
        self.payload
            .get(..self.name_end())
            .and_then(|n| std::str::from_utf8(n).ok())
            .unwrap_or_default()
    }

    /// The index of the node's ACL in the tree's [`AclCache`](super::AclCache).
    pub fn acl_index(&self) -> i64 {
        self.acl
    }

    /// The stat as stored in snapshots.
    pub fn stat(&self) -> &StatPersisted {
        &self.stat
    }

    /// How many children the node has.
    pub fn num_children(&self) -> usize {
        self.child_count as usize
    }

    /// The stat a client sees (`DataNode.copyStat`): cversion counts changes
    /// (`2 × creates − children`), the owner is shown only for ordinary
    /// ephemerals, and dataLength and numChildren are computed.
    pub fn client_stat(&self, encoding: OwnerEncoding) -> Stat {
        let s = &self.stat;
        let num_children = self.child_count as i32;
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
