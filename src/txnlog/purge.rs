//! Purging old snapshots and logs: Java's `PurgeTxnLog` (used by
//! `zkCleanup.sh` and by the autopurge task of `DatadirCleanupManager`).
//!
//! The rule: keep the newest `count` (≥ 3) valid snapshots; let Z be the
//! zxid of the oldest one kept. Delete every `snapshot.*` and `log.*` file
//! whose name's zxid is below Z (a name whose zxid does not parse counts as
//! −1, so it goes too), except the log files that may hold txns after Z:
//! the newest log named Z or earlier, and every later one.
//!
//! Snapshot validity is Java's `SnapStream.isValidSnapshot`, by the name's
//! last extension (case-insensitive): `.gz` needs the gzip magic `1f 8b`,
//! `.snappy` the snappy-java magic `82 SNAPPY 00`, anything else is a plain
//! snapshot at least 10 bytes long ending with `00 00 00 01 2f` (the
//! `"/"` seal).

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::format::{zxid_from_name, LOG_FILE_PREFIX, SNAPSHOT_FILE_PREFIX};

/// The smallest count `PurgeTxnLog` accepts.
pub const MIN_RETAIN_COUNT: i32 = 3;

/// Java's `SnapStream.isValidSnapshot` (the snapshot module's check).
pub use crate::snapshot::is_valid_snapshot;

/// The names of the regular files in `dir` (none if it does not exist).
fn file_names(dir: &Path) -> io::Result<Vec<String>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry?;
        if let Some(name) = entry.file_name().to_str() {
            names.push(name.to_owned());
        }
    }
    Ok(names)
}

/// Java's `FileSnap.findNValidSnapshots`: the newest `n` valid snapshots
/// of `snap_dir`, newest first. Unreadable files are skipped with a warning.
pub fn find_valid_snapshots(snap_dir: &Path, n: usize) -> io::Result<Vec<PathBuf>> {
    let mut names = file_names(snap_dir)?;
    names.sort_by_key(|name| std::cmp::Reverse(zxid_from_name(name, SNAPSHOT_FILE_PREFIX)));
    let mut found = Vec::new();
    for name in names {
        if found.len() == n {
            break;
        }
        let path = snap_dir.join(&name);
        match is_valid_snapshot(&path) {
            Ok(true) => found.push(path),
            Ok(false) => {}
            Err(e) => tracing::warn!("invalid snapshot {}: {e}", path.display()),
        }
    }
    Ok(found)
}

/// The log files that may hold txns after `zxid` (Java's
/// `FileTxnLog.getLogFiles(files, zxid)`): the newest one named `zxid` or
/// earlier (with a positive zxid) and every one named later. `names` are
/// all the names in the log directory.
pub fn logs_needed_after<'a>(names: &[&'a str], zxid: i64) -> Vec<&'a str> {
    let mut newest_before = 0;
    for name in names {
        let z = zxid_from_name(name, LOG_FILE_PREFIX);
        if z <= zxid && z > newest_before {
            newest_before = z;
        }
    }
    names
        .iter()
        .copied()
        .filter(|name| zxid_from_name(name, LOG_FILE_PREFIX) >= newest_before)
        .collect()
}

/// What a purge deletes, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PurgeSelection {
    /// From the log directory.
    pub logs: Vec<String>,
    /// From the snapshot directory.
    pub snapshots: Vec<String>,
}

/// The pure part of `PurgeTxnLog.purgeOlderSnapshots`: given every name in
/// the log and snapshot directories and the zxid of the oldest snapshot
/// kept, the names to delete (in the order given).
pub fn select_for_purge(
    log_dir_names: &[&str],
    snap_dir_names: &[&str],
    oldest_retained_zxid: i64,
) -> PurgeSelection {
    let retained: HashSet<&str> = logs_needed_after(log_dir_names, oldest_retained_zxid)
        .into_iter()
        .collect();
    let older = |names: &[&str], prefix: &str, retained: &HashSet<&str>| -> Vec<String> {
        names
            .iter()
            .filter(|name| name.starts_with(&format!("{prefix}.")))
            .filter(|name| !retained.contains(*name))
            .filter(|name| zxid_from_name(name, prefix) < oldest_retained_zxid)
            .map(|name| name.to_string())
            .collect()
    };
    PurgeSelection {
        logs: older(log_dir_names, LOG_FILE_PREFIX, &retained),
        snapshots: older(snap_dir_names, SNAPSHOT_FILE_PREFIX, &HashSet::new()),
    }
}

/// Why a purge did not run.
#[derive(Debug)]
pub enum PurgeError {
    /// `count` below 3.
    CountTooSmall(i32),
    /// The directories look swapped or mixed up (Java's
    /// `LogDirContentCheckException` / `SnapDirContentCheckException`).
    WrongDirectory(String),
    Io(io::Error),
}

impl std::fmt::Display for PurgeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PurgeError::CountTooSmall(_) => {
                f.write_str("count should be greater than or equal to 3")
            }
            PurgeError::WrongDirectory(msg) => f.write_str(msg),
            PurgeError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for PurgeError {}

impl From<io::Error> for PurgeError {
    fn from(e: io::Error) -> Self {
        PurgeError::Io(e)
    }
}

/// A file a purge removed (or failed to).
#[derive(Debug)]
pub struct Removed {
    pub path: PathBuf,
    /// Its modification time, for the report line.
    pub modified: Option<std::time::SystemTime>,
    /// The error if it could not be removed.
    pub error: Option<io::Error>,
}

/// `PurgeTxnLog.purge`: keeps the newest `count` valid snapshots of
/// `snap_dir` and the logs of `log_dir` they need, removes older snapshots
/// and logs. The directories are the `version-2` ones. With two different
/// directories, a log directory holding snapshots or a snapshot directory
/// holding logs is refused, as Java refuses it.
pub fn purge(log_dir: &Path, snap_dir: &Path, count: i32) -> Result<Vec<Removed>, PurgeError> {
    if count < MIN_RETAIN_COUNT {
        return Err(PurgeError::CountTooSmall(count));
    }
    let log_names = file_names(log_dir)?;
    let snap_names = file_names(snap_dir)?;
    if log_dir != snap_dir {
        if log_names.iter().any(|n| n.starts_with("snapshot.")) {
            return Err(PurgeError::WrongDirectory(
                "Log directory has snapshot files. Check if dataLogDir and dataDir \
                 configuration is correct."
                    .into(),
            ));
        }
        if snap_names.iter().any(|n| n.starts_with("log.")) {
            return Err(PurgeError::WrongDirectory(
                "Snapshot directory has log files. Check if dataLogDir and dataDir \
                 configuration is correct."
                    .into(),
            ));
        }
    }
    let snaps = find_valid_snapshots(snap_dir, count as usize)?;
    let Some(oldest) = snaps.last() else {
        return Ok(Vec::new());
    };
    let oldest_name = oldest
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let oldest_zxid = zxid_from_name(oldest_name, SNAPSHOT_FILE_PREFIX);
    let log_refs: Vec<&str> = log_names.iter().map(String::as_str).collect();
    let snap_refs: Vec<&str> = snap_names.iter().map(String::as_str).collect();
    let selection = select_for_purge(&log_refs, &snap_refs, oldest_zxid);
    let files = selection
        .logs
        .iter()
        .map(|n| log_dir.join(n))
        .chain(selection.snapshots.iter().map(|n| snap_dir.join(n)));
    let mut removed = Vec::new();
    for path in files {
        let modified = fs::metadata(&path).and_then(|m| m.modified()).ok();
        let error = fs::remove_file(&path).err();
        removed.push(Removed {
            path,
            modified,
            error,
        });
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_needed_after_a_snapshot() {
        let names = ["log.1", "log.10", "log.20", "log.30", "snapshot.15", "x"];
        // log.10 may hold txns after 0x15; log.20 and log.30 do.
        assert_eq!(
            logs_needed_after(&names, 0x15),
            ["log.10", "log.20", "log.30"]
        );
        // A log named exactly at the zxid is the newest one needed before it.
        assert_eq!(logs_needed_after(&names, 0x20), ["log.20", "log.30"]);
        // Nothing named at or before it (or only log.0): every log.
        assert_eq!(
            logs_needed_after(&["log.0", "log.5"], 0x2),
            ["log.0", "log.5"]
        );
    }

    #[test]
    fn selection_follows_purge_txn_log() {
        let logs = [
            "log.1",
            "log.10",
            "log.20",
            "log.30",
            "log.xyz",
            "other",
            "log.5.tmp",
        ];
        let snaps = [
            "snapshot.0",
            "snapshot.12",
            "snapshot.15",
            "snapshot.25",
            "snapshot.zz",
            "snapshot.12.gz",
            "myid",
        ];
        let sel = select_for_purge(&logs, &snaps, 0x15);
        // log.10 is kept (it may hold txns after 0x15); log.xyz parses to
        // −1 and goes, like log.5.tmp (zxid 5).
        assert_eq!(sel.logs, ["log.1", "log.xyz", "log.5.tmp"]);
        assert_eq!(
            sel.snapshots,
            ["snapshot.0", "snapshot.12", "snapshot.zz", "snapshot.12.gz"]
        );
    }

    #[test]
    fn purge_keeps_the_newest_valid_snapshots() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let valid = [0u8, 0, 0, 0, 0, 0, 0, 0, 0, 1, b'/'];
        for z in [0x1, 0x5, 0x9, 0xd] {
            fs::write(d.join(format!("snapshot.{z:x}")), valid).unwrap();
        }
        // Newest, but invalid: not counted.
        fs::write(d.join("snapshot.20"), b"garbage!!!!!").unwrap();
        for z in [0x1, 0x4, 0x8, 0xc, 0x10] {
            fs::write(d.join(format!("log.{z:x}")), b"x").unwrap();
        }
        assert!(matches!(purge(d, d, 2), Err(PurgeError::CountTooSmall(2))));
        let removed = purge(d, d, 3).unwrap();
        let mut names: Vec<String> = removed
            .iter()
            .map(|r| r.path.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        names.sort();
        // Kept: snapshots 5, 9, d; log.4 (may hold txns after 5) and later.
        assert_eq!(names, ["log.1", "snapshot.1"]);
        // Swapped directories are refused.
        let other = tempfile::tempdir().unwrap();
        assert!(matches!(
            purge(d, other.path(), 3),
            Err(PurgeError::WrongDirectory(_))
        ));
    }
}
