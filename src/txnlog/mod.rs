//! The transaction log, in Java ZooKeeper's on-disk layout
//! (`FileTxnLog`, `FilePadding`, `Util`, `SyncRequestProcessor`,
//! `PurgeTxnLog`, `TxnLogToolkit`), so that a Java server and rzk can take
//! turns on the same `dataLogDir`.
//!
//! A log file `log.<hex zxid of its first txn>` holds a 16-byte file header
//! (`ZKLG`, version 2, dbid 0) and then records:
//!
//! ```text
//! long  Adler32 of the txn bytes (the 32-bit value, zero-extended)
//! int   length of the txn bytes
//! byte  txn bytes[length]        (TxnHeader + body + TxnDigest: Txn::to_bytes)
//! byte  'B'                      end of record
//! ```
//!
//! Files are extended with zeros in `preAllocSize` steps, so a reader stops
//! at the end of the file or at a zero length. A short record or a missing
//! `'B'` is a torn tail: the end of that file. A record whose checksum does
//! not match is fatal, as in Java 3.9.5 (its server exits at startup with
//! `IOException: CRC check failed`, whether the record is in the middle of
//! the log or its last one; checked against the 3.9.5 jar).
//!
//! | Module | Owns |
//! |---|---|
//! | [`format`] | header and record bytes, checksums, `FilePadding`'s arithmetic, file names |
//! | [`writer`] | [`TxnLogWriter`]: appending, preallocation, commit (fsync), rolling, the size limit |
//! | [`reader`] | reading one file record by record, [`TxnLogIterator`] over a directory from a zxid, `last_logged_zxid`, TRUNC, the empty-tail-file rule |
//! | [`stage`] | [`LogStage`]: the group-commit thread (`SyncRequestProcessor`) with the snapshot trigger |
//! | [`purge`] | which snapshots and logs `PurgeTxnLog` deletes, and deleting them |
//! | [`dump`] | `TxnLogToolkit`'s dump format, JSON, checksum verification |
//! | [`cli`] | `rzk txnlog` and `rzk purge` |

pub mod cli;
pub mod dump;
pub mod format;
pub mod purge;
pub mod reader;
pub mod stage;
pub mod writer;

#[cfg(test)]
mod tests;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::config::ZooKeeperProperties;
use crate::txn::TxnError;

pub use format::{log_file_name, zxid_from_name, LOG_FILE_PREFIX, SNAPSHOT_FILE_PREFIX};
pub use reader::{
    last_logged_zxid, list_log_files, read_from, remove_empty_tail_log, truncate, LogFile,
    LoggedTxn, ReadOptions, TailKind, TxnLogIterator,
};
pub use stage::{LogEvent, LogStage, LogStageSettings, SnapshotPolicy, StageClosed};
pub use writer::{TxnLogWriter, WriterStats};

/// The directory Java keeps its files in under `dataDir` and `dataLogDir`.
pub const VERSION_DIR: &str = "version-2";

/// `<dir>/version-2`.
pub fn version_dir(dir: &Path) -> PathBuf {
    dir.join(VERSION_DIR)
}

/// How the log is written: the `zookeeper.*` properties Java's
/// `FileTxnLog` and `FilePadding` read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxnLogSettings {
    /// `zookeeper.preAllocSize` in bytes (the property is in KiB); zero or
    /// negative disables preallocation.
    pub prealloc_size: i64,
    /// `zookeeper.forceSync` (anything but `no`): fsync on commit.
    pub force_sync: bool,
    /// `zookeeper.fsync.warningthresholdms` / `fsync.warningthresholdms`: a
    /// slower fsync is logged as a warning.
    pub fsync_warning_threshold: Duration,
    /// `zookeeper.txnLogSizeLimitInKb` in bytes, when positive: a commit
    /// that leaves the current file larger rolls to a new file.
    pub size_limit: Option<i64>,
    /// The `dbid` written in file headers (always 0 in Java).
    pub dbid: i64,
}

/// Java's default `zookeeper.preAllocSize`: 64 MiB.
pub const DEFAULT_PREALLOC_SIZE: i64 = 64 * 1024 * 1024;

impl Default for TxnLogSettings {
    fn default() -> Self {
        TxnLogSettings {
            prealloc_size: DEFAULT_PREALLOC_SIZE,
            force_sync: true,
            fsync_warning_threshold: Duration::from_millis(1000),
            size_limit: None,
            dbid: 0,
        }
    }
}

impl TxnLogSettings {
    /// The settings from the typed properties.
    pub fn from_properties(props: &ZooKeeperProperties) -> Self {
        TxnLogSettings {
            prealloc_size: props.pre_alloc_size_kb.saturating_mul(1024),
            force_sync: props.force_sync,
            fsync_warning_threshold: Duration::from_millis(
                props.fsync_warning_threshold_ms.max(0) as u64
            ),
            size_limit: (props.txn_log_size_limit_kb > 0)
                .then(|| props.txn_log_size_limit_kb.saturating_mul(1024)),
            dbid: 0,
        }
    }
}

/// Why the log could not be read, written or truncated.
#[derive(Debug)]
pub enum TxnLogError {
    /// An I/O error on `path`.
    Io { path: PathBuf, source: io::Error },
    /// The file does not start with `ZKLG` (Java: "has invalid magic number").
    BadMagic { path: PathBuf, magic: i32 },
    /// The file is shorter than its header and is not an empty last file
    /// (Java: `EOFException` while opening it).
    TruncatedHeader { path: PathBuf, len: u64 },
    /// A record's Adler32 does not match its bytes (Java: "CRC check
    /// failed", fatal at startup).
    ChecksumMismatch {
        path: PathBuf,
        offset: u64,
        stored: i64,
        computed: i64,
    },
    /// A record length Java refuses: −1 (a `NullPointerException` in Java)
    /// or outside `0..=jute.maxbuffer + extrasize` ("Unreasonable length").
    BadLength {
        path: PathBuf,
        offset: u64,
        len: i32,
    },
    /// The txn bytes passed their checksum but do not decode (an unknown
    /// type, a length over the limits…).
    BadTxn {
        path: PathBuf,
        offset: u64,
        error: TxnError,
    },
    /// TRUNC on a directory without log files.
    NoLogFiles { dir: PathBuf },
}

impl TxnLogError {
    pub(crate) fn io(path: &Path, source: io::Error) -> Self {
        TxnLogError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

impl fmt::Display for TxnLogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TxnLogError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            TxnLogError::BadMagic { path, magic } => write!(
                f,
                "transaction log {} has invalid magic number {magic} != {}",
                path.display(),
                format::TXNLOG_MAGIC
            ),
            TxnLogError::TruncatedHeader { path, len } => write!(
                f,
                "transaction log {} is shorter than its header ({len} bytes)",
                path.display()
            ),
            TxnLogError::ChecksumMismatch {
                path,
                offset,
                stored,
                computed,
            } => write!(
                f,
                "CRC check failed: {} record at offset {offset}: stored checksum {stored:#x}, \
                 computed {computed:#x}",
                path.display()
            ),
            TxnLogError::BadLength { path, offset, len } => write!(
                f,
                "{} record at offset {offset}: unreasonable length {len}",
                path.display()
            ),
            TxnLogError::BadTxn {
                path,
                offset,
                error,
            } => write!(f, "{} record at offset {offset}: {error}", path.display()),
            TxnLogError::NoLogFiles { dir } => write!(
                f,
                "no log files found to truncate in {} (snapshots from an old setup, deleted \
                 logs, or a changed dataLogDir?)",
                dir.display()
            ),
        }
    }
}

impl std::error::Error for TxnLogError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TxnLogError::Io { source, .. } => Some(source),
            TxnLogError::BadTxn { error, .. } => Some(error),
            _ => None,
        }
    }
}
