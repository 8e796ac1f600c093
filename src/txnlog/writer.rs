//! Appending to the log (Java's `FileTxnLog.append/commit/rollLog` with
//! `FilePadding`).
//!
//! The bytes and sizes are Java's: a new file `log.<zxid of its first
//! txn>` starts with the header; before each append the file is extended
//! by one `preAllocSize` step (writing a single zero byte just before the
//! new size) when the position of the last commit is within 4 KiB of its
//! end, so a file that got one commit is exactly 64 MiB + 16 bytes long by
//! default.
//! Records are buffered and reach the file on `commit`, which fsyncs
//! (`fdatasync`, like `FileChannel.force(false)`) unless `forceSync=no`,
//! also fsyncing files rolled since the previous commit.
//!
//! Two things rzk does beyond Java, invisible in the files: a new file is
//! written under a temporary name (`.log.<hex>.tmp`, which no Java code
//! takes for a log), its header fsynced, and then renamed, so a crash never
//! leaves an empty or headerless `log.*` file (an empty tail file stops 3.8
//! from starting, a partial header stops 3.9 too); and the directory is
//! fsynced after a file is created, so the file's name is durable before
//! any txn in it is reported durable.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::format::{self, FILE_HEADER_LEN};
use super::TxnLogSettings;
use crate::txn::Txn;

/// Buffered record bytes beyond this are written to the file before the
/// commit (they are fsynced by the commit either way).
const WRITE_THRESHOLD: usize = 1 << 20;

/// Counters of a writer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriterStats {
    /// Records appended.
    pub appends: u64,
    /// Commits that had something to write or sync.
    pub commits: u64,
    /// fsync calls (one per file per commit).
    pub fsyncs: u64,
    /// fsyncs slower than the warning threshold.
    pub slow_fsyncs: u64,
    /// The duration of the last fsync.
    pub last_fsync: Duration,
    /// Files created.
    pub files_created: u64,
}

/// The file being appended to.
struct OpenLog {
    path: PathBuf,
    file: File,
    /// Record bytes not yet written to the file.
    buffer: Vec<u8>,
    /// Java's `filePosition`: the end of the records as of the last commit.
    file_position: i64,
    /// Java's `unFlushedSize`: record bytes appended since the last commit.
    unflushed: i64,
    /// Java's `fileSize`: what the size accounting sees.
    file_size: i64,
    /// `FilePadding.currentSize`: the size the padding has made the file.
    padded_size: i64,
    /// How far record bytes have been written into the file.
    written_end: i64,
}

impl OpenLog {
    /// Writes the buffered record bytes at the end of what was written.
    fn write_buffer(&mut self) -> io::Result<()> {
        if !self.buffer.is_empty() {
            self.file
                .write_all_at(&self.buffer, self.written_end as u64)?;
            self.written_end += self.buffer.len() as i64;
            self.buffer.clear();
        }
        Ok(())
    }

    /// `FilePadding.padFile` at the last commit's position.
    fn pad(&mut self, prealloc_size: i64) -> io::Result<i64> {
        let new_size =
            format::file_size_with_padding(self.file_position, self.padded_size, prealloc_size);
        if new_size != self.padded_size {
            // A zero written inside record bytes already in the file would
            // destroy them; the file is then longer than that anyway.
            if new_size > self.written_end {
                self.file.write_all_at(&[0], (new_size - 1) as u64)?;
            }
            self.padded_size = new_size;
        }
        Ok(self.padded_size)
    }
}

/// Appends txns to the log files of one directory.
pub struct TxnLogWriter {
    dir: PathBuf,
    settings: TxnLogSettings,
    current: Option<OpenLog>,
    /// Rolled files whose last records still need an fsync (Java's
    /// `streamsToFlush` minus the current one).
    rolled: Vec<OpenLog>,
    last_zxid_seen: i64,
    /// Java's `prevLogsRunningTotal`.
    prev_logs_total: i64,
    stats: WriterStats,
}

/// Fsyncs a directory, so that names created in it are durable.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// The temporary name a new log file is written under.
fn temp_name(zxid: i64) -> String {
    format!(".{}.tmp", format::log_file_name(zxid))
}

impl TxnLogWriter {
    /// A writer for `dir` (which must exist). It appends to a new file on
    /// its first append, never to an existing one, as Java does after a
    /// restart. Temporary files left by a crash are removed.
    pub fn open(dir: &Path, settings: TxnLogSettings) -> io::Result<TxnLogWriter> {
        for entry in fs::read_dir(dir)? {
            let entry = entry?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.starts_with(".log.") && name.ends_with(".tmp") {
                fs::remove_file(entry.path())?;
            }
        }
        Ok(TxnLogWriter {
            dir: dir.to_path_buf(),
            settings,
            current: None,
            rolled: Vec::new(),
            last_zxid_seen: 0,
            prev_logs_total: 0,
            stats: WriterStats::default(),
        })
    }

    /// The directory written to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The settings.
    pub fn settings(&self) -> &TxnLogSettings {
        &self.settings
    }

    /// The counters.
    pub fn stats(&self) -> WriterStats {
        self.stats
    }

    /// The file being appended to, if any.
    pub fn current_file(&self) -> Option<&Path> {
        self.current.as_ref().map(|log| log.path.as_path())
    }

    /// Java's `getCurrentLogSize`: the current file's size as the
    /// accounting sees it (including preallocation), 0 after a roll.
    pub fn current_log_size(&self) -> i64 {
        self.current.as_ref().map_or(0, |log| log.file_size)
    }

    /// Java's `getTotalLogSize`: the files rolled since the last
    /// [`reset_total_log_size`](Self::reset_total_log_size) plus the current one.
    pub fn total_log_size(&self) -> i64 {
        self.prev_logs_total + self.current_log_size()
    }

    /// Java's `setTotalLogSize(0)`, done when a snapshot is triggered.
    pub fn reset_total_log_size(&mut self) {
        self.prev_logs_total = 0;
    }

    /// Creates `log.<zxid>`: header written and (with forceSync) fsynced
    /// under a temporary name, then renamed, then the directory fsynced.
    fn create_file(&mut self, zxid: i64) -> io::Result<OpenLog> {
        let name = format::log_file_name(zxid);
        tracing::info!("Creating new log file: {name}");
        let temp = self.dir.join(temp_name(zxid));
        let path = self.dir.join(&name);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&temp)?;
        file.write_all(&format::file_header_bytes(self.settings.dbid))?;
        if self.settings.force_sync {
            file.sync_data()?;
        }
        fs::rename(&temp, &path)?;
        if self.settings.force_sync {
            sync_dir(&self.dir)?;
        }
        self.stats.files_created += 1;
        let header = FILE_HEADER_LEN as i64;
        Ok(OpenLog {
            path,
            file,
            buffer: Vec::new(),
            file_position: header,
            unflushed: 0,
            file_size: 0,
            padded_size: header,
            written_end: header,
        })
    }

    /// Appends a txn (`Txn::to_bytes` is the record's content).
    pub fn append(&mut self, txn: &Txn) -> io::Result<()> {
        self.append_bytes(txn.zxid(), &txn.to_bytes())
    }

    /// Appends a txn given as its bytes and zxid. Not durable until
    /// [`commit`](Self::commit).
    pub fn append_bytes(&mut self, zxid: i64, txn_bytes: &[u8]) -> io::Result<()> {
        if txn_bytes.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "Faulty serialization for header and txn",
            ));
        }
        if zxid <= self.last_zxid_seen {
            tracing::warn!(
                "Current zxid {zxid} is <= {} for a txn of the log",
                self.last_zxid_seen
            );
        } else {
            self.last_zxid_seen = zxid;
        }
        if self.current.is_none() {
            self.current = Some(self.create_file(zxid)?);
        }
        let prealloc = self.settings.prealloc_size;
        let log = self.current.as_mut().expect("a file is open");
        log.file_size = log.pad(prealloc)?;
        let before = log.buffer.len();
        format::encode_record(txn_bytes, &mut log.buffer);
        log.unflushed += (log.buffer.len() - before) as i64;
        if log.buffer.len() >= WRITE_THRESHOLD {
            log.write_buffer()?;
        }
        self.stats.appends += 1;
        Ok(())
    }

    /// Whether there are appended txns not yet committed.
    pub fn has_uncommitted(&self) -> bool {
        self.current.as_ref().is_some_and(|log| log.unflushed > 0) || !self.rolled.is_empty()
    }

    fn fsync(&mut self, which: Option<usize>) -> io::Result<()> {
        let log = match which {
            Some(i) => &self.rolled[i],
            None => self.current.as_ref().expect("a file is open"),
        };
        let start = Instant::now();
        log.file.sync_data()?;
        let elapsed = start.elapsed();
        self.stats.fsyncs += 1;
        self.stats.last_fsync = elapsed;
        if elapsed > self.settings.fsync_warning_threshold {
            self.stats.slow_fsyncs += 1;
            let size = log.file.metadata().map(|m| m.len()).unwrap_or(0);
            tracing::warn!(
                "fsync-ing the write ahead log took {}ms which will adversely effect operation \
                 latency. File size is {size} bytes. See the ZooKeeper troubleshooting guide",
                elapsed.as_millis()
            );
        }
        Ok(())
    }

    /// Writes what was appended and fsyncs it (unless forceSync is off),
    /// with the files rolled since the last commit; then rolls if the size
    /// limit is passed. When this returns, every txn appended so far is
    /// durable.
    pub fn commit(&mut self) -> io::Result<()> {
        let had_work = self.has_uncommitted();
        if let Some(log) = self.current.as_mut() {
            log.write_buffer()?;
            log.file_position += log.unflushed;
            if log.file_position > log.file_size {
                log.file_size = log.file_position;
            }
            log.unflushed = 0;
        }
        if self.settings.force_sync {
            for i in 0..self.rolled.len() {
                self.fsync(Some(i))?;
            }
            if self.current.is_some() {
                self.fsync(None)?;
            }
        }
        self.rolled.clear();
        if had_work {
            self.stats.commits += 1;
        }
        if let Some(limit) = self.settings.size_limit {
            let size = self.current_log_size();
            if size > limit {
                tracing::debug!("Log size limit reached: {size}");
                self.roll()?;
            }
        }
        Ok(())
    }

    /// Java's `rollLog`: the next append starts a new file. What was
    /// appended to the current file is written now and fsynced by the next
    /// commit.
    pub fn roll(&mut self) -> io::Result<()> {
        if let Some(mut log) = self.current.take() {
            let unsynced = log.unflushed > 0;
            log.write_buffer()?;
            self.prev_logs_total += log.file_size;
            if self.settings.force_sync && unsynced {
                self.rolled.push(log);
            }
        }
        Ok(())
    }

    /// TRUNC (see [`super::reader::truncate`]): commits and leaves the
    /// current file, then removes every logged txn after `zxid`. The next
    /// append starts a new file.
    pub fn truncate(
        &mut self,
        zxid: i64,
        limits: jute::Limits,
    ) -> Result<super::reader::Truncation, super::TxnLogError> {
        self.commit()
            .map_err(|e| super::TxnLogError::io(&self.dir, e))?;
        self.current = None;
        self.last_zxid_seen = zxid;
        super::reader::truncate(&self.dir, zxid, limits)
    }

    /// Commits and closes the files.
    pub fn close(mut self) -> io::Result<WriterStats> {
        self.commit()?;
        Ok(self.stats)
    }
}
