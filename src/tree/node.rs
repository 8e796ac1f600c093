//! One znode: its data, ACL-cache index, persisted stat and links, and
//! how its `ephemeralOwner` is interpreted (`DataNode`, `EphemeralType`).

use bytes::Bytes;

use super::store::{NodeId, NIL};
use super::thin::{leb128, ThinBytes};
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
    pub(crate) stat: NodeStat,
    /// A header (LEB128 of the name's length times two, plus one if the
    /// data is null), the last component of the path (`""` for the root),
    /// then the data; behind a thin pointer.
    payload: ThinBytes,
    /// The ACL-cache index (−1 = OPEN_ACL_UNSAFE).
    pub(crate) acl: i64,
    pub(crate) parent: NodeId,
    pub(crate) first_child: NodeId,
    pub(crate) next_sibling: NodeId,
    pub(crate) prev_sibling: NodeId,
    pub(crate) child_count: u32,
}

/// [`StatPersisted`] as a node holds it: the same fields without the
/// padding a 60-byte record gets at 8-byte alignment (a million nodes,
/// 4 MB; with it the node would round up by another 8 bytes).
#[repr(C, packed(4))]
#[derive(Clone, Copy)]
pub(crate) struct NodeStat {
    pub czxid: i64,
    pub mzxid: i64,
    pub ctime: i64,
    pub mtime: i64,
    pub version: i32,
    pub cversion: i32,
    pub aversion: i32,
    pub ephemeral_owner: i64,
    pub pzxid: i64,
}

impl From<&StatPersisted> for NodeStat {
    fn from(s: &StatPersisted) -> NodeStat {
        NodeStat {
            czxid: s.czxid,
            mzxid: s.mzxid,
            ctime: s.ctime,
            mtime: s.mtime,
            version: s.version,
            cversion: s.cversion,
            aversion: s.aversion,
            ephemeral_owner: s.ephemeral_owner,
            pzxid: s.pzxid,
        }
    }
}

impl NodeStat {
    pub fn persisted(&self) -> StatPersisted {
        StatPersisted {
            czxid: self.czxid,
            mzxid: self.mzxid,
            ctime: self.ctime,
            mtime: self.mtime,
            version: self.version,
            cversion: self.cversion,
            aversion: self.aversion,
            ephemeral_owner: self.ephemeral_owner,
            pzxid: self.pzxid,
        }
    }
}

impl std::fmt::Debug for NodeStat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.persisted().fmt(f)
    }
}

fn payload(name: &str, data: Option<&[u8]>) -> ThinBytes {
    let (header, header_len) = leb128(name.len() << 1 | usize::from(data.is_none()));
    ThinBytes::concat(&[
        &header[..header_len],
        name.as_bytes(),
        data.unwrap_or_default(),
    ])
}

impl Node {
    pub(crate) fn new(name: &str, data: Option<&[u8]>, acl: i64, stat: StatPersisted) -> Node {
        Node {
            stat: NodeStat::from(&stat),
            payload: payload(name, data),
            acl,
            parent: NIL,
            first_child: NIL,
            next_sibling: NIL,
            prev_sibling: NIL,
            child_count: 0,
        }
    }

    /// Where the name starts, its length, and whether the data is null.
    fn header(&self) -> (usize, usize, bool) {
        let mut value = 0u64;
        let mut at = 0;
        let payload = self.payload.as_slice();
        while let Some(&byte) = payload.get(at) {
            value |= u64::from(byte & 0x7f) << (7 * at);
            at += 1;
            if byte & 0x80 == 0 || at == 10 {
                break;
            }
        }
        (at, (value >> 1) as usize, value & 1 == 1)
    }

    /// The data (`None` for null).
    pub fn data(&self) -> Option<&[u8]> {
        let (start, len, null) = self.header();
        if null {
            None
        } else {
            self.payload.as_slice().get(start + len..)
        }
    }

    /// Replaces the data.
    pub(crate) fn set_data(&mut self, data: Option<&[u8]>) {
        self.payload = payload(self.name(), data);
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
        let (start, len, _) = self.header();
        self.payload
            .as_slice()
            .get(start..start + len)
            .unwrap_or_default()
    }

    /// The last component of the node's path (`""` for the root).
    pub fn name(&self) -> &str {
        std::str::from_utf8(self.name_bytes()).unwrap_or_default()
    }

    /// The index of the node's ACL in the tree's [`AclCache`](super::AclCache).
    pub fn acl_index(&self) -> i64 {
        self.acl
    }

    /// The stat as stored in snapshots.
    pub fn stat(&self) -> StatPersisted {
        self.stat.persisted()
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
