//! Reading logs: one file record by record ([`LogFileReader`]), a directory
//! from a zxid on ([`TxnLogIterator`], Java's `FileTxnIterator`), the last
//! logged zxid, and TRUNC.
//!
//! Java's rules, which these follow:
//! - Log files are the names `log.<hex>` with a hex part that parses to a
//!   non-negative long, in zxid order. Reading from zxid Z takes every file
//!   named Z or later plus the last one named before Z, and skips the txns
//!   before Z (only at the start: once a txn ≥ Z is seen, everything after
//!   it is returned).
//! - A file ends at the end of its bytes, at a zero length (preallocated
//!   zeros), at a short record or a missing `'B'` (a torn tail, logged by
//!   Java as "Last transaction was partial."), or at txn bytes that end
//!   before their record does (Java's `EOFException` while deserializing).
//!   Reading then goes on with the next file.
//! - A checksum mismatch, a length of −1 or above the jute limits, an
//!   unknown txn type, a bad magic number, or a file shorter than its header
//!   are errors: Java's server does not start.
//! - 3.9: if the newest file selected is empty (0 bytes, created but never
//!   written), it is deleted and reading ends there. A non-empty file
//!   shorter than a header is still an error, and so is an empty file that
//!   is not the last.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use jute::persistence::FileHeader;
use jute::{ErrorKind, Limits, Record};

use super::format::{self, FILE_HEADER_LEN, LOG_FILE_PREFIX, TXNLOG_MAGIC};
use super::TxnLogError;
use crate::txn::{Txn, TxnError};

/// How txn bytes are decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadOptions {
    /// `jute.maxbuffer` and its extra size: the largest record length and
    /// string/buffer length accepted.
    pub limits: Limits,
    /// `zookeeper.digest.enabled`: read the `TxnDigest` after the body.
    pub digest_enabled: bool,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            limits: Limits::default(),
            digest_enabled: true,
        }
    }
}

impl ReadOptions {
    /// The options the server's properties give.
    pub fn from_properties(props: &crate::config::ZooKeeperProperties) -> Self {
        ReadOptions {
            limits: Limits::new(
                props.jute_max_buffer,
                Some(props.jute_max_buffer_extra_size),
            ),
            digest_enabled: props.digest_enabled,
        }
    }
}

/// A log file in a directory.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct LogFile {
    /// The zxid in its name: that of its first txn.
    pub zxid: i64,
    pub path: PathBuf,
}

/// The log files of `dir` in zxid order (Java's `getLogFiles(files, 0)`):
/// regular files named `log.<hex>` whose hex part is a non-negative long.
/// A missing directory has none.
pub fn list_log_files(dir: &Path) -> io::Result<Vec<LogFile>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        let zxid = format::zxid_from_name(&name, LOG_FILE_PREFIX);
        if zxid < 0 || !entry.file_type()?.is_file() {
            continue;
        }
        files.push(LogFile {
            zxid,
            path: entry.path(),
        });
    }
    files.sort();
    Ok(files)
}

/// Why a file's records ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TailKind {
    /// The bytes ended exactly after a record (or the header).
    EndOfFile,
    /// A zero length: preallocated zeros (or a zero-length record).
    ZeroLength,
    /// The bytes ended inside a record: a torn write.
    Torn,
    /// The byte after the txn bytes is not `'B'`: a torn write (Java:
    /// "Last transaction was partial.").
    MissingEndOfRecord,
    /// The txn bytes passed their checksum but ended before the record they
    /// hold (Java takes the `EOFException` for the end of the file).
    TruncatedTxn,
}

/// Where and why a file's records ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tail {
    pub path: PathBuf,
    /// The offset of the first byte that is not part of a whole record.
    pub offset: u64,
    pub kind: TailKind,
}

/// One record as stored, before its checksum is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRecord {
    /// Offset of the record (its checksum) in the file.
    pub offset: u64,
    /// The stored checksum.
    pub stored_checksum: i64,
    /// The txn bytes.
    pub bytes: Vec<u8>,
    /// Whether `'B'` followed the bytes. `None`: the file ended first.
    pub end_of_record: Option<u8>,
}

impl RawRecord {
    /// The Adler32 of the bytes.
    pub fn computed_checksum(&self) -> i64 {
        format::checksum(&self.bytes)
    }

    /// Whether the stored checksum matches the bytes.
    pub fn checksum_ok(&self) -> bool {
        self.stored_checksum == self.computed_checksum()
    }

    /// Whether the record ends with `'B'`.
    pub fn complete(&self) -> bool {
        self.end_of_record == Some(format::END_OF_RECORD)
    }

    /// The offset just after the record.
    pub fn end_offset(&self) -> u64 {
        self.offset + format::RECORD_OVERHEAD + self.bytes.len() as u64
    }
}

/// What reading the next record found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordRead {
    /// A record whose length and bytes were all there (its `'B'` and
    /// checksum are for the caller to judge).
    Record(RawRecord),
    /// The records ended at this offset (`EndOfFile`, `ZeroLength` or `Torn`).
    End { offset: u64, kind: TailKind },
}

/// Reads one log file record by record, like Java's `BinaryInputArchive`
/// over the file.
pub struct LogFileReader {
    path: PathBuf,
    input: BufReader<File>,
    position: u64,
    limits: Limits,
    len: u64,
}

/// How a file could not be opened as a log.
pub enum OpenError {
    /// The file is shorter than a header (`len` bytes).
    Short { len: u64 },
    /// Another error.
    Other(TxnLogError),
}

impl LogFileReader {
    /// Opens `path` and reads its header. A bad magic number is an error;
    /// a file shorter than the header is [`OpenError::Short`].
    pub fn open(path: &Path, limits: Limits) -> Result<(LogFileReader, FileHeader), OpenError> {
        let file = File::open(path).map_err(|e| OpenError::Other(TxnLogError::io(path, e)))?;
        let len = file
            .metadata()
            .map_err(|e| OpenError::Other(TxnLogError::io(path, e)))?
            .len();
        let mut reader = LogFileReader {
            path: path.to_path_buf(),
            input: BufReader::with_capacity(64 * 1024, file),
            position: 0,
            limits,
            len,
        };
        let mut header = [0u8; FILE_HEADER_LEN as usize];
        match reader.read_full(&mut header) {
            Ok(true) => {}
            Ok(false) => return Err(OpenError::Short { len }),
            Err(e) => return Err(OpenError::Other(e)),
        }
        let header =
            FileHeader::decode(&header, limits).expect("16 bytes always decode as a file header");
        if header.magic != TXNLOG_MAGIC {
            return Err(OpenError::Other(TxnLogError::BadMagic {
                path: path.to_path_buf(),
                magic: header.magic,
            }));
        }
        Ok((reader, header))
    }

    /// Opens `path`, turning a short file into [`TxnLogError::TruncatedHeader`].
    pub fn open_checked(
        path: &Path,
        limits: Limits,
    ) -> Result<(LogFileReader, FileHeader), TxnLogError> {
        LogFileReader::open(path, limits).map_err(|e| match e {
            OpenError::Short { len } => TxnLogError::TruncatedHeader {
                path: path.to_path_buf(),
                len,
            },
            OpenError::Other(e) => e,
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The length of the file when it was opened.
    pub fn file_len(&self) -> u64 {
        self.len
    }

    /// The offset of the next unread byte.
    pub fn position(&self) -> u64 {
        self.position
    }

    /// Fills `buf`; `false` if the file ended first (the position then
    /// counts the bytes that were there).
    fn read_full(&mut self, buf: &mut [u8]) -> Result<bool, TxnLogError> {
        let mut filled = 0;
        while filled < buf.len() {
            match self.input.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(TxnLogError::io(&self.path, e)),
            }
        }
        self.position += filled as u64;
        Ok(filled == buf.len())
    }

    /// Reads the next record.
    pub fn next_record(&mut self) -> Result<RecordRead, TxnLogError> {
        let offset = self.position;
        let mut head = [0u8; 12];
        if !self.read_full(&mut head)? {
            let kind = if self.position == offset {
                TailKind::EndOfFile
            } else {
                TailKind::Torn
            };
            return Ok(RecordRead::End { offset, kind });
        }
        let stored_checksum = i64::from_be_bytes(head[..8].try_into().expect("8 bytes"));
        let len = i32::from_be_bytes(head[8..].try_into().expect("4 bytes"));
        if len == 0 {
            return Ok(RecordRead::End {
                offset,
                kind: TailKind::ZeroLength,
            });
        }
        if len < 0 || len > self.limits.total() {
            return Err(TxnLogError::BadLength {
                path: self.path.clone(),
                offset,
                len,
            });
        }
        // Do not trust the length with memory beyond what the file holds.
        let available = self.len.saturating_sub(self.position);
        if len as u64 > available {
            return Ok(RecordRead::End {
                offset,
                kind: TailKind::Torn,
            });
        }
        let mut bytes = vec![0u8; len as usize];
        if !self.read_full(&mut bytes)? {
            return Ok(RecordRead::End {
                offset,
                kind: TailKind::Torn,
            });
        }
        let mut eor = [0u8; 1];
        let end_of_record = self.read_full(&mut eor)?.then_some(eor[0]);
        Ok(RecordRead::Record(RawRecord {
            offset,
            stored_checksum,
            bytes,
            end_of_record,
        }))
    }
}

/// A txn read from the log, with where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedTxn {
    pub txn: Txn,
    /// The file holding it.
    pub file: PathBuf,
    /// The offset of its record in the file.
    pub offset: u64,
    /// The offset just after its record.
    pub end_offset: u64,
}

/// The txns of a directory's log files from a zxid on (Java's
/// `FileTxnIterator` with fast-forward). Ends after the first error.
pub struct TxnLogIterator {
    /// Files still to open, in zxid order.
    pending: std::collections::VecDeque<LogFile>,
    current: Option<LogFileReader>,
    start_zxid: i64,
    fast_forwarding: bool,
    options: ReadOptions,
    failed: bool,
    tails: Vec<Tail>,
    deleted_empty_tail: Option<PathBuf>,
}

/// The files Java's iterator reads to find `zxid`: every file named `zxid`
/// or later, and the last one named before it.
pub fn files_from(files: &[LogFile], zxid: i64) -> &[LogFile] {
    match files.iter().rposition(|f| f.zxid < zxid) {
        Some(i) => &files[i..],
        None => files,
    }
}

/// Reads the txns in `dir`'s log files with zxid ≥ `zxid`.
pub fn read_from(
    dir: &Path,
    zxid: i64,
    options: ReadOptions,
) -> Result<TxnLogIterator, TxnLogError> {
    let files = list_log_files(dir).map_err(|e| TxnLogError::io(dir, e))?;
    Ok(TxnLogIterator {
        pending: files_from(&files, zxid).iter().cloned().collect(),
        current: None,
        start_zxid: zxid,
        fast_forwarding: true,
        options,
        failed: false,
        tails: Vec::new(),
        deleted_empty_tail: None,
    })
}

impl TxnLogIterator {
    /// Where and why each file read so far ended.
    pub fn tails(&self) -> &[Tail] {
        &self.tails
    }

    /// The empty last file that was deleted, if any (3.9's rule).
    pub fn deleted_empty_tail(&self) -> Option<&Path> {
        self.deleted_empty_tail.as_deref()
    }

    /// The file being read and the offset after the last record returned.
    pub fn position(&self) -> Option<(&Path, u64)> {
        self.current.as_ref().map(|r| (r.path(), r.position()))
    }

    /// Opens the next file; `Ok(false)` when there is none.
    fn open_next(&mut self) -> Result<bool, TxnLogError> {
        let Some(file) = self.pending.pop_front() else {
            return Ok(false);
        };
        match LogFileReader::open(&file.path, self.options.limits) {
            Ok((reader, _header)) => {
                self.current = Some(reader);
                Ok(true)
            }
            Err(OpenError::Short { len: 0 }) if self.pending.is_empty() => {
                fs::remove_file(&file.path).map_err(|e| TxnLogError::io(&file.path, e))?;
                tracing::warn!(
                    "Delete empty tail log file to recover from corruption file: {}",
                    file.path.display()
                );
                self.deleted_empty_tail = Some(file.path);
                Ok(false)
            }
            Err(OpenError::Short { len }) => Err(TxnLogError::TruncatedHeader {
                path: file.path,
                len,
            }),
            Err(OpenError::Other(e)) => Err(e),
        }
    }

    fn end_file(&mut self, offset: u64, kind: TailKind) {
        if let Some(reader) = self.current.take() {
            if matches!(
                kind,
                TailKind::MissingEndOfRecord | TailKind::Torn | TailKind::TruncatedTxn
            ) {
                tracing::warn!(
                    "{}: last transaction was partial ({kind:?} at offset {offset})",
                    reader.path().display()
                );
            }
            self.tails.push(Tail {
                path: reader.path,
                offset,
                kind,
            });
        }
    }

    fn next_txn(&mut self) -> Result<Option<LoggedTxn>, TxnLogError> {
        loop {
            if self.current.is_none() && !self.open_next()? {
                return Ok(None);
            }
            let reader = self.current.as_mut().expect("a file is open");
            let record = match reader.next_record()? {
                RecordRead::End { offset, kind } => {
                    self.end_file(offset, kind);
                    continue;
                }
                RecordRead::Record(record) => record,
            };
            if !record.complete() {
                let kind = match record.end_of_record {
                    None => TailKind::Torn,
                    Some(_) => TailKind::MissingEndOfRecord,
                };
                self.end_file(record.offset, kind);
                continue;
            }
            let computed = record.computed_checksum();
            if computed != record.stored_checksum {
                return Err(TxnLogError::ChecksumMismatch {
                    path: reader.path().to_path_buf(),
                    offset: record.offset,
                    stored: record.stored_checksum,
                    computed,
                });
            }
            let txn = match Txn::decode(
                &record.bytes,
                self.options.limits,
                self.options.digest_enabled,
            ) {
                Ok(txn) => txn,
                Err(TxnError::Malformed(e)) if matches!(e.kind, ErrorKind::Truncated { .. }) => {
                    self.end_file(record.offset, TailKind::TruncatedTxn);
                    continue;
                }
                Err(error) => {
                    return Err(TxnLogError::BadTxn {
                        path: reader.path().to_path_buf(),
                        offset: record.offset,
                        error,
                    })
                }
            };
            if self.fast_forwarding {
                if txn.zxid() < self.start_zxid {
                    continue;
                }
                self.fast_forwarding = false;
            }
            return Ok(Some(LoggedTxn {
                txn,
                file: reader.path().to_path_buf(),
                offset: record.offset,
                end_offset: record.end_offset(),
            }));
        }
    }
}

impl Iterator for TxnLogIterator {
    type Item = Result<LoggedTxn, TxnLogError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        match self.next_txn() {
            Ok(Some(txn)) => Some(Ok(txn)),
            Ok(None) => None,
            Err(e) => {
                self.failed = true;
                self.current = None;
                Some(Err(e))
            }
        }
    }
}

/// Java's `FileTxnLog.getLastLoggedZxid`: the zxid of the last txn in the
/// newest log files, starting from the newest file's name; −1 without log
/// files. Like Java, a read error ends the scan with a warning and the zxid
/// found so far, and the newest file's name counts even if that file holds
/// no txn.
pub fn last_logged_zxid(dir: &Path, options: ReadOptions) -> i64 {
    let files = match list_log_files(dir) {
        Ok(files) => files,
        Err(e) => {
            tracing::warn!("Unexpected exception: {}: {e}", dir.display());
            return -1;
        }
    };
    let Some(newest) = files.last() else {
        return -1;
    };
    let mut zxid = newest.zxid;
    match read_from(dir, newest.zxid, options) {
        Ok(iter) => {
            for txn in iter {
                match txn {
                    Ok(txn) => zxid = txn.txn.zxid(),
                    Err(e) => {
                        tracing::warn!("Unexpected exception: {e}");
                        break;
                    }
                }
            }
        }
        Err(e) => tracing::warn!("Unexpected exception: {e}"),
    }
    zxid
}

/// 3.9's startup rule on its own: deletes the newest log file if it is
/// empty (0 bytes). Returns the deleted file.
pub fn remove_empty_tail_log(dir: &Path) -> io::Result<Option<PathBuf>> {
    let files = list_log_files(dir)?;
    let Some(newest) = files.last() else {
        return Ok(None);
    };
    if fs::metadata(&newest.path)?.len() != 0 {
        return Ok(None);
    }
    fs::remove_file(&newest.path)?;
    tracing::warn!(
        "Delete empty tail log file to recover from corruption file: {}",
        newest.path.display()
    );
    Ok(Some(newest.path.clone()))
}

/// What [`truncate`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Truncation {
    /// The file cut, and its new length.
    pub cut: Option<(PathBuf, u64)>,
    /// The later files deleted.
    pub deleted: Vec<PathBuf>,
}

/// TRUNC: removes every txn after `zxid`. The file that can hold `zxid`
/// (the last named `zxid` or earlier) is cut right after its last record
/// with a zxid ≤ `zxid` (so its preallocated zeros and any torn tail go
/// too), and every later file is deleted. Changes are fsynced.
///
/// Java's `FileTxnLog.truncate` differs where it is arguably wrong: it
/// cuts after the first txn ≥ `zxid`, so when `zxid` itself is not in the
/// log it keeps one txn too many, and when the log ends before `zxid` it
/// fails. Here the log never keeps a txn after `zxid`. Like Java, it fails
/// when there is no log file at all, and on a checksum mismatch.
pub fn truncate(dir: &Path, zxid: i64, limits: Limits) -> Result<Truncation, TxnLogError> {
    let files = list_log_files(dir).map_err(|e| TxnLogError::io(dir, e))?;
    if files.is_empty() {
        return Err(TxnLogError::NoLogFiles {
            dir: dir.to_path_buf(),
        });
    }
    let holder = files.iter().rposition(|f| f.zxid <= zxid);
    let later = match holder {
        Some(i) => &files[i + 1..],
        None => &files[..],
    };
    let mut result = Truncation {
        cut: None,
        deleted: Vec::new(),
    };
    if let Some(i) = holder {
        let path = &files[i].path;
        let keep = match LogFileReader::open(path, limits) {
            Ok((mut reader, _)) => {
                let mut keep = FILE_HEADER_LEN;
                loop {
                    let record = match reader.next_record()? {
                        RecordRead::End { .. } => break,
                        RecordRead::Record(record) if !record.complete() => break,
                        RecordRead::Record(record) => record,
                    };
                    let computed = record.computed_checksum();
                    if computed != record.stored_checksum {
                        return Err(TxnLogError::ChecksumMismatch {
                            path: path.clone(),
                            offset: record.offset,
                            stored: record.stored_checksum,
                            computed,
                        });
                    }
                    let header = match jute::txn::TxnHeader::decode(&record.bytes, limits) {
                        Ok(header) => header,
                        Err(_) => break,
                    };
                    if header.zxid > zxid {
                        break;
                    }
                    keep = record.end_offset();
                }
                keep
            }
            // Shorter than a header: nothing in it to keep.
            Err(OpenError::Short { len }) => len,
            Err(OpenError::Other(e)) => return Err(e),
        };
        let file = OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| TxnLogError::io(path, e))?;
        file.set_len(keep).map_err(|e| TxnLogError::io(path, e))?;
        file.sync_all().map_err(|e| TxnLogError::io(path, e))?;
        result.cut = Some((path.clone(), keep));
    }
    for file in later {
        fs::remove_file(&file.path).map_err(|e| TxnLogError::io(&file.path, e))?;
        result.deleted.push(file.path.clone());
    }
    super::writer::sync_dir(dir).map_err(|e| TxnLogError::io(dir, e))?;
    Ok(result)
}
