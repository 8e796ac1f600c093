//! Snapshots in Java's on-disk format (`FileSnap`, `SnapStream`,
//! `SerializeUtils`, `DataTree.serialize`): writing them without stopping
//! the server, reading and loading them, choosing one at startup, the SNAP
//! sync stream, and the `SnapshotFormatter`/`SnapshotComparer` tools.
//!
//! The file, after decompression (Adler32 over these bytes):
//!
//! | part | encoding |
//! |---|---|
//! | header | `int 0x5A4B534E` ("ZKSN"), `int 2`, `long −1` |
//! | sessions | `int count`, then `long id, int timeout` each |
//! | ACL cache | `int count`, then `long index, vector<ACL>` each |
//! | nodes | pre-order: `ustring path` (root `""`) + `{buffer data, long acl, StatPersisted}`; then `ustring "/"` |
//! | seal | `long adler32` of everything before, `ustring "/"` |
//! | digest (if `digest.enabled`) | `long zxid, int version, long digest` (`{0, 2, 0}` if none), then a seal |
//! | lastProcessedZxid (3.9, if `serializeLastProcessedZxid.enabled`) | `long`, then a seal |
//!
//! Compression is chosen by `zookeeper.snapshot.compression.method` when
//! writing and by the file name's last extension when reading: none, gzip
//! (`.gz`), or snappy-java's `SnappyOutputStream` framing (`.snappy`).
//!
//! Modules: [`stream`] (compression and the checksum), [`format`] (the
//! records and the streaming parser), [`write`] (the resumable fuzzy walk
//! and the background file writer), [`read`] (loading a tree, choosing the
//! snapshot at startup), [`sync`] (the SNAP stream of the quorum
//! protocol), [`tools`] (`rzk snapshot`).

pub mod format;
pub mod read;
pub mod stream;
pub mod sync;
pub mod tools;
pub mod write;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

pub use crate::config::SnapshotCompression;
pub use format::{parse_snapshot, FileHeader, NodeRecord, ParseOptions, SnapshotVisitor, Trailers};
pub use read::{
    find_valid_snapshots, is_valid_snapshot, load_latest_snapshot, load_snapshot_file,
    read_snapshot, LoadedSnapshot, ReadOptions,
};
pub use sync::{read_sync_snapshot, write_sync_snapshot, SyncSnapshot};
pub use write::{
    write_snapshot, write_snapshot_file, BackgroundWriter, Chunk, Durability, FuzzySnapshot,
    SnapshotWalk, Step, Trailer, WriteOptions, WrittenSnapshot,
};

/// `FileSnap.SNAP_MAGIC`: "ZKSN".
pub const SNAP_MAGIC: i32 = 0x5A4B_534E;
/// `FileSnap.VERSION`.
pub const SNAP_VERSION: i32 = 2;
/// `FileSnap.dbId`.
pub const SNAP_DBID: i64 = -1;
/// `FileSnap.SNAPSHOT_FILE_PREFIX`.
pub const SNAPSHOT_FILE_PREFIX: &str = "snapshot";
/// How many of the newest valid snapshots startup tries, newest first.
pub const SNAPSHOTS_TRIED: usize = 100;
/// What the leader writes after the SNAP stream (`LearnerHandler`).
pub const SYNC_SIGNATURE: &str = "BenWasHere";
/// The suffix of a snapshot written with fsync before it is renamed
/// (`AtomicFileOutputStream`).
pub const TMP_SUFFIX: &str = ".tmp";

/// The snapshot file name for `zxid` (`Util.makeSnapshotName`):
/// `snapshot.<Long.toHexString(zxid)>` plus `.gz` or `.snappy`.
pub fn snapshot_file_name(zxid: i64, compression: SnapshotCompression) -> String {
    let ext = compression.name();
    let hex = crate::config::java::to_hex_string(zxid);
    if ext.is_empty() {
        format!("{SNAPSHOT_FILE_PREFIX}.{hex}")
    } else {
        format!("{SNAPSHOT_FILE_PREFIX}.{hex}.{ext}")
    }
}

/// The zxid in a snapshot (`prefix` "snapshot") or log ("log") file name
/// (`Util.getZxidFromName`): the second dot-separated part as a signed hex
/// long, if the first part is `prefix`; −1 otherwise or if it does not
/// parse. So `snapshot.1a.tmp` is zxid 0x1a, as in Java.
pub fn zxid_from_name(name: &str, prefix: &str) -> i64 {
    let parts = crate::config::java::split(name, '.');
    if parts.len() >= 2 && parts[0] == prefix {
        crate::config::java::parse_long_radix(parts[1], 16).unwrap_or(-1)
    } else {
        -1
    }
}

/// The compression of a snapshot file, from its name only
/// (`SnapStream.getStreamMode(fileName)`): the last dot-separated part is
/// compared with "gz" and "snappy" ignoring case; anything else, or no
/// dot, is the plain checked format.
pub fn compression_from_name(name: &str) -> SnapshotCompression {
    let parts = crate::config::java::split(name, '.');
    if parts.len() > 1 {
        SnapshotCompression::from_property(parts.last().copied())
    } else {
        SnapshotCompression::Checked
    }
}

/// The `version-2` directory under a data directory.
pub fn version_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("version-2")
}

/// Everything that can go wrong reading or writing a snapshot. Malformed
/// input is always one of these, never a panic.
#[derive(Debug)]
pub enum SnapshotError {
    /// An I/O error (including decompression errors).
    Io(io::Error),
    /// The stream ended inside a required part.
    Truncated { offset: u64 },
    /// The file header's magic is not "ZKSN".
    BadMagic(i32),
    /// A string or buffer length that Java rejects ("Unreasonable length").
    BadLength {
        offset: u64,
        length: i32,
        limit: i32,
    },
    /// A null where Java requires a value (a null ACL list, a null path).
    Null { offset: u64, what: &'static str },
    /// A seal's checksum does not match ("CRC corruption").
    Checksum {
        /// Which seal: 1 after the tree, 2 after the digest, 3 after the
        /// last processed zxid.
        seal: u8,
        expected: i64,
        actual: i64,
    },
    /// The legacy (version < 2) digest string is not a hex long.
    BadDigest(String),
    /// The nodes do not form a tree.
    Tree(crate::tree::LoadError),
    /// The SNAP sync stream does not end with "BenWasHere".
    MissingSignature(Option<String>),
    /// No snapshot could be loaded from a directory that has some.
    NoValidSnapshot(PathBuf),
}

impl fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SnapshotError::Io(e) => write!(f, "{e}"),
            SnapshotError::Truncated { offset } => {
                write!(f, "unexpected end of snapshot at byte {offset}")
            }
            SnapshotError::BadMagic(magic) => {
                write!(f, "mismatching magic headers {magic} !=  {SNAP_MAGIC}")
            }
            SnapshotError::BadLength {
                offset,
                length,
                limit,
            } => write!(
                f,
                "Unreasonable length = {length} (limit {limit}) at byte {offset}"
            ),
            SnapshotError::Null { offset, what } => write!(f, "null {what} at byte {offset}"),
            SnapshotError::Checksum {
                seal,
                expected,
                actual,
            } => write!(
                f,
                "CRC corruption: seal {seal} holds {expected:#x}, the data sums to {actual:#x}"
            ),
            SnapshotError::BadDigest(d) => write!(f, "invalid legacy digest {d:?}"),
            SnapshotError::Tree(e) => write!(f, "{e}"),
            SnapshotError::MissingSignature(s) => write!(f, "Missing signature. Got {s:?}"),
            SnapshotError::NoValidSnapshot(dir) => {
                write!(f, "Not able to find valid snapshots in {}", dir.display())
            }
        }
    }
}

impl std::error::Error for SnapshotError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SnapshotError::Io(e) => Some(e),
            SnapshotError::Tree(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for SnapshotError {
    fn from(e: io::Error) -> Self {
        SnapshotError::Io(e)
    }
}

impl From<crate::tree::LoadError> for SnapshotError {
    fn from(e: crate::tree::LoadError) -> Self {
        SnapshotError::Tree(e)
    }
}
