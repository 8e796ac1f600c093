//! The tree digest (`DigestCalculator`, `NodeHashMapImpl`, `AdHash`): a
//! CRC32 per node, summed modulo 2^64 over the tree.

use jute::data::StatPersisted;

/// The digest algorithm's version, written in every `TxnDigest` and in
/// snapshot trailers.
pub const DIGEST_VERSION: i32 = 2;

/// A digest is logged for every zxid that is a multiple of this.
pub const DIGEST_LOG_INTERVAL: i64 = 128;

/// How many logged digests are kept.
pub const DIGEST_LOG_LIMIT: usize = 1024;

/// Paths below this prefix count 0 (quota bookkeeping is local to each
/// server). `/zookeeper` itself counts.
pub const DIGEST_EXCLUDED_PREFIX: &str = "/zookeeper/";

/// True if a node at `path` is left out of the digest.
pub fn is_digest_excluded(path: &str) -> bool {
    path.starts_with(DIGEST_EXCLUDED_PREFIX)
}

/// The digest of one node: CRC32 over the path's UTF-8 bytes (the root as
/// `""`, whether written `""` or `"/"`), the data, and a 60-byte block of
/// czxid, mzxid, pzxid, ctime, mtime, version, cversion, aversion and
/// ephemeralOwner (big-endian; note pzxid's place, unlike `StatPersisted`).
/// 0 for paths under `/zookeeper/`. The value is in `0..2^32`, as a Java
/// long; the tree digest is the wrapping sum of these.
///
/// This does not look at `digest.enabled`; see
/// [`DataTree::predict_node_digest`](super::DataTree::predict_node_digest).
pub fn node_digest(path: &str, data: Option<&[u8]>, stat: &StatPersisted) -> i64 {
    i64::from(node_crc(path, data, stat))
}

pub(crate) fn node_crc(path: &str, data: Option<&[u8]>, stat: &StatPersisted) -> u32 {
    if is_digest_excluded(path) {
        return 0;
    }
    let path = if path == "/" { "" } else { path };
    let mut block = [0u8; 60];
    let longs = [stat.czxid, stat.mzxid, stat.pzxid, stat.ctime, stat.mtime];
    for (i, v) in longs.iter().enumerate() {
        block[i * 8..i * 8 + 8].copy_from_slice(&v.to_be_bytes());
    }
    let ints = [stat.version, stat.cversion, stat.aversion];
    for (i, v) in ints.iter().enumerate() {
        block[40 + i * 4..44 + i * 4].copy_from_slice(&v.to_be_bytes());
    }
    block[52..60].copy_from_slice(&stat.ephemeral_owner.to_be_bytes());

    let mut crc = crc32fast::Hasher::new();
    crc.update(path.as_bytes());
    if let Some(data) = data {
        crc.update(data);
    }
    crc.update(&block);
    crc.finalize()
}

/// The tree digest after a zxid (`DataTree.ZxidDigest`), as kept in the
/// digest log and written in snapshot trailers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZxidDigest {
    /// The zxid after which the tree had this digest.
    pub zxid: i64,
    /// [`DIGEST_VERSION`] for digests computed here.
    pub digest_version: i32,
    /// The tree digest.
    pub digest: i64,
}
