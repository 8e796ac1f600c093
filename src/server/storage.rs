//! Durable storage around the core, in Java's layout: the data directories
//! and their checks, restoring the tree at startup (the newest valid
//! snapshot, then the transaction logs after it), the snapshot Java takes
//! at every start, the transaction-log stage as the core's [`TxnSink`],
//! fuzzy snapshots while serving, and autopurge.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::config::ServerConfig;
use crate::proto::op;
use crate::snapshot::{self, Durability, FuzzySnapshot, Step, WriteOptions};
use crate::tree::DataTree;
use crate::txn::{Txn, TxnBody};
use crate::txnlog;

use super::ServerError;

/// `version-2` under each directory: where snapshots and logs live.
#[derive(Debug, Clone)]
pub struct DataDirs {
    /// `dataDir/version-2`: snapshots (and `acceptedEpoch`/`currentEpoch`).
    pub snap_dir: PathBuf,
    /// `dataLogDir/version-2`: transaction logs.
    pub log_dir: PathBuf,
}

/// Opens (creating, unless `zookeeper.datadir.autocreate=false`) the
/// snapshot and log directories, and refuses a snapshot directory that
/// holds logs or a log directory that holds snapshots when they are two
/// directories, as Java's `FileTxnSnapLog` does: a sign that dataDir and
/// dataLogDir point at another server's files.
pub fn open_dirs(config: &ServerConfig) -> Result<DataDirs, ServerError> {
    let autocreate = config.zookeeper.datadir_autocreate;
    let dirs = DataDirs {
        snap_dir: config.data_dir.join("version-2"),
        log_dir: config.data_log_dir.join("version-2"),
    };
    for (dir, what) in [(&dirs.log_dir, "data"), (&dirs.snap_dir, "snap")] {
        if !dir.exists() {
            if !autocreate {
                return Err(ServerError(format!(
                    "missing {what} directory {}, automatic data directory creation is disabled \
                     (zookeeper.datadir.autocreate is false); please create this directory manually",
                    dir.display()
                )));
            }
            std::fs::create_dir_all(dir).map_err(|e| {
                ServerError(format!(
                    "unable to create {what} directory {}: {e}",
                    dir.display()
                ))
            })?;
        }
        if !dir.is_dir() {
            return Err(ServerError(format!("{} is not a directory", dir.display())));
        }
    }
    if dirs.snap_dir != dirs.log_dir {
        let names = |dir: &Path| -> Vec<String> {
            std::fs::read_dir(dir)
                .map(|entries| {
                    entries
                        .filter_map(Result::ok)
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .collect()
                })
                .unwrap_or_default()
        };
        if names(&dirs.log_dir)
            .iter()
            .any(|n| n.starts_with("snapshot."))
        {
            return Err(ServerError(
                "log directory has snapshot files; check if dataLogDir and dataDir configuration \
                 is correct"
                    .into(),
            ));
        }
        if names(&dirs.snap_dir).iter().any(|n| n.starts_with("log.")) {
            return Err(ServerError(
                "snapshot directory has log files; check if dataLogDir and dataDir \
                 configuration is correct"
                    .into(),
            ));
        }
    }
    Ok(dirs)
}

/// What was restored at startup.
pub struct Restored {
    pub tree: DataTree,
    /// The committed sessions and their timeouts.
    pub sessions: BTreeMap<i64, i32>,
    /// The snapshot the tree started from, if any.
    pub snapshot: Option<PathBuf>,
    /// Transactions replayed from the logs.
    pub txns_replayed: u64,
    /// Closed sessions whose ephemerals were deleted after the replay: a
    /// change no log holds.
    pub sessions_cleaned: usize,
}

/// Restores the tree as Java does (`FileTxnSnapLog.restore`,
/// `ZKDatabase.loadDataBase`, `ZooKeeperServer.loadData`): the newest
/// valid snapshot (older ones if it is damaged), then every logged
/// transaction after it; sessions that own ephemerals but are not in the
/// restored session table lose them.
pub fn restore(dirs: &DataDirs, config: &ServerConfig) -> Result<Restored, ServerError> {
    let zk = &config.zookeeper;
    let read_options = snapshot::ReadOptions::from_props(zk);
    let loaded = snapshot::load_latest_snapshot(&dirs.snap_dir, &read_options)
        .map_err(|e| ServerError(format!("cannot load a snapshot: {e}")))?;
    let log_options = txnlog::ReadOptions::from_properties(zk);
    let (mut tree, mut sessions, snapshot_path) = match loaded {
        Some(loaded) => (loaded.tree, loaded.sessions, loaded.path),
        None => {
            let last_logged = txnlog::last_logged_zxid(&dirs.log_dir, log_options);
            if last_logged != -1 && !zk.snapshot_trust_empty {
                return Err(ServerError(
                    "no snapshot found, but there are log entries; something is broken! \
                     (zookeeper.snapshot.trust.empty=true allows this when upgrading from 3.4)"
                        .into(),
                ));
            }
            (
                DataTree::new(crate::tree::TreeConfig::from(zk)),
                BTreeMap::new(),
                None,
            )
        }
    };
    // An `initialize` file makes an empty database trusted; without it and
    // with db.autocreate=false, Java starts an empty database at zxid -1.
    // Java looks for it beside the txn log's version-2 (FileTxnSnapLog's
    // `dataDir`, which is the server's dataLogDir), not in dataDir.
    let initialize = initialize_file(dirs);
    let trust_empty = std::fs::remove_file(&initialize).is_ok() || zk.db_autocreate;
    let mut txns_replayed = 0u64;
    let from = tree.last_processed_zxid() + 1;
    let iterator = txnlog::read_from(&dirs.log_dir, from, log_options)
        .map_err(|e| ServerError(format!("cannot read the transaction log: {e}")))?;
    for logged in iterator {
        let logged =
            logged.map_err(|e| ServerError(format!("cannot read the transaction log: {e}")))?;
        replay(&mut tree, &mut sessions, &logged.txn);
        txns_replayed += 1;
    }
    if snapshot_path.is_none() && txns_replayed == 0 && !trust_empty {
        tracing::warn!("unexpected empty data tree, setting zxid to -1");
        tree.set_last_processed_zxid(-1);
    }
    // Sessions that own ephemerals but were closed (or never committed).
    let zxid = tree.last_processed_zxid();
    let dead: Vec<i64> = tree
        .all_ephemerals()
        .map(|(session, _)| session)
        .filter(|session| !sessions.contains_key(session))
        .collect();
    let sessions_cleaned = dead.len();
    for session in dead {
        let mut triggers = Vec::new();
        tree.kill_session(session, zxid, None, &mut triggers);
    }
    Ok(Restored {
        tree,
        sessions,
        snapshot: snapshot_path,
        txns_replayed,
        sessions_cleaned,
    })
}

/// The `initialize` file: `dataLogDir/initialize` (the parent of the log
/// directory), as in Java's `FileTxnSnapLog.restore`.
fn initialize_file(dirs: &DataDirs) -> PathBuf {
    dirs.log_dir
        .parent()
        .unwrap_or(&dirs.log_dir)
        .join("initialize")
}

/// Applies one logged transaction during restore (Java's
/// `processTransaction`): session creates and closes, then the tree.
fn replay(tree: &mut DataTree, sessions: &mut BTreeMap<i64, i32>, txn: &Txn) {
    match (&txn.body, txn.header.r#type) {
        (TxnBody::CreateSession(body), _) => {
            sessions.insert(txn.header.client_id, body.time_out);
        }
        (_, op::CLOSE_SESSION) => {
            sessions.remove(&txn.header.client_id);
        }
        _ => {}
    }
    tree.apply(txn);
}

/// The snapshot Java takes before serving (`loadData`'s `takeSnapshot`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartupSnapshot {
    /// The snapshot the tree came from is of its zxid already.
    NotNeeded,
    /// The tree is the newest snapshot plus the logs: a snapshot only
    /// shortens the next restart, so it is written in the background, a
    /// fuzzy one like the periodic ones, while the server serves. A crash
    /// before it is complete replays the same logs again.
    Background,
    /// Restoring changed the tree beyond what the logs hold (ephemerals of
    /// closed sessions deleted): the snapshot is written before serving,
    /// since txns logged after could not be replayed without it.
    BeforeServing,
}

impl StartupSnapshot {
    /// Which snapshot `restored` needs.
    pub fn of(restored: &Restored) -> StartupSnapshot {
        if restored.sessions_cleaned > 0 {
            return StartupSnapshot::BeforeServing;
        }
        let zxid = restored.tree.last_processed_zxid();
        let same = restored.snapshot.as_ref().is_some_and(|path| {
            path.file_name()
                .map(|n| snapshot::zxid_from_name(&n.to_string_lossy(), "snapshot"))
                == Some(zxid)
        });
        if same && restored.txns_replayed == 0 {
            StartupSnapshot::NotNeeded
        } else {
            StartupSnapshot::Background
        }
    }
}

/// Writes the snapshot before serving, atomically (temporary file, fsync,
/// rename), so a crash here can never damage the only good snapshot.
pub fn startup_snapshot(
    dirs: &DataDirs,
    config: &ServerConfig,
    restored: &Restored,
) -> Result<PathBuf, ServerError> {
    let options = WriteOptions::from_props(&config.zookeeper);
    let written = snapshot::write_snapshot_file(
        &dirs.snap_dir,
        &restored.tree,
        restored
            .sessions
            .iter()
            .map(|(&id, &timeout)| (id, timeout)),
        &options,
        Durability::Atomic,
    )
    .map_err(|e| ServerError(format!("cannot write the startup snapshot: {e}")))?;
    Ok(written.path)
}

/// A fuzzy snapshot being written while the server serves: the core's
/// thread walks the tree in short slices, and between two slices serves for
/// at least as long, so a snapshot takes at most half of the core's time and
/// no request waits behind it for more than a slice.
pub struct Snapshotter {
    dir: PathBuf,
    options: WriteOptions,
    current: Option<FuzzySnapshot>,
    /// When the next slice may start.
    next_slice: Instant,
    /// Told when the snapshot in progress is done.
    when_done: Option<tokio::sync::oneshot::Sender<()>>,
}

/// How long one slice of snapshot work may take before the core serves
/// again.
const SNAPSHOT_SLICE: Duration = Duration::from_millis(1);

/// The time left to serving after a slice, as a multiple of the slice's
/// length (1 = the snapshot gets at most half of the core's time).
const SERVE_PER_SLICE: u32 = 1;

/// The bytes serialized per step.
const SNAPSHOT_STEP_BYTES: usize = 32 * 1024;

impl Snapshotter {
    pub fn new(dirs: &DataDirs, config: &ServerConfig) -> Self {
        Snapshotter {
            dir: dirs.snap_dir.clone(),
            options: WriteOptions::from_props(&config.zookeeper),
            current: None,
            next_slice: Instant::now(),
            when_done: None,
        }
    }

    /// Starts the startup snapshot in the background; `done` hears when
    /// it is written (or failed).
    pub fn start_at_startup(
        &mut self,
        tree: &DataTree,
        sessions: Vec<(i64, i32)>,
        done: tokio::sync::oneshot::Sender<()>,
    ) {
        self.start(tree, sessions);
        if self.current.is_some() {
            self.when_done = Some(done);
        }
    }

    /// Starts a snapshot of `tree`, unless one is still being written
    /// (Java: "Too busy to snap, skipping").
    pub fn start(&mut self, tree: &DataTree, sessions: Vec<(i64, i32)>) {
        if self.current.is_some() {
            tracing::warn!("too busy to snap, skipping");
            return;
        }
        match FuzzySnapshot::start(&self.dir, tree, sessions, &self.options, Durability::Plain) {
            Ok(snapshot) => {
                tracing::info!(
                    "creating new snapshot {}",
                    self.dir
                        .join(snapshot::snapshot_file_name(
                            snapshot.zxid(),
                            self.options.compression
                        ))
                        .display()
                );
                self.current = Some(snapshot);
            }
            Err(e) => tracing::error!("cannot start a snapshot: {e}"),
        }
    }

    /// Does a slice of work on the snapshot in progress, if its turn has
    /// come. Returns how long until it wants to work again (`None`: no
    /// snapshot is being written).
    pub fn work(&mut self, tree: &DataTree) -> Option<Duration> {
        let snapshot = self.current.as_mut()?;
        let started = Instant::now();
        if started < self.next_slice {
            return Some(self.next_slice - started);
        }
        let mut last = Step::Progress;
        while started.elapsed() < SNAPSHOT_SLICE {
            last = snapshot.step(tree, SNAPSHOT_STEP_BYTES);
            if last != Step::Progress {
                break;
            }
        }
        let ended = Instant::now();
        let worked = ended - started;
        let pause = match last {
            Step::Progress => worked * SERVE_PER_SLICE,
            // The writer thread is behind: look again a little later.
            Step::Full => worked.max(SNAPSHOT_SLICE),
            // Everything is queued: the writer finishes the file.
            Step::Done => Duration::from_millis(10),
        };
        self.next_slice = ended + pause;
        if snapshot.is_written() {
            if let Some(done) = self.current.take() {
                match done.finish() {
                    Ok(written) => tracing::info!(
                        "snapshot {} written ({} bytes)",
                        written.path.display(),
                        written.uncompressed_bytes
                    ),
                    Err(e) => tracing::error!("the snapshot failed: {e}"),
                }
                if let Some(tell) = self.when_done.take() {
                    let _ = tell.send(());
                }
            }
            return None;
        }
        Some(pause.max(Duration::from_micros(200)))
    }

    /// Nodes serialized by the snapshot in progress.
    pub fn nodes_written(&self) -> Option<u64> {
        self.current.as_ref().map(FuzzySnapshot::nodes_written)
    }

    /// True while a snapshot is being written.
    pub fn busy(&self) -> bool {
        self.current.is_some()
    }
}

/// Java's `DatadirCleanupManager`: keep the newest `retain` snapshots and
/// the logs they need, every `interval_hours` (from start).
pub fn spawn_autopurge(
    dirs: &DataDirs,
    retain: i32,
    interval_hours: i32,
    after: Option<tokio::sync::oneshot::Receiver<()>>,
) {
    if interval_hours <= 0 {
        tracing::info!("purge task is not scheduled");
        return;
    }
    let (log_dir, snap_dir) = (dirs.log_dir.clone(), dirs.snap_dir.clone());
    let period = std::time::Duration::from_secs(3600 * interval_hours as u64);
    tokio::spawn(async move {
        // The first purge counts the startup snapshot among those it keeps.
        if let Some(after) = after {
            let _ = after.await;
        }
        let mut timer = tokio::time::interval(period);
        loop {
            timer.tick().await;
            let (log_dir, snap_dir) = (log_dir.clone(), snap_dir.clone());
            let result = tokio::task::spawn_blocking(move || {
                txnlog::purge::purge(&log_dir, &snap_dir, retain)
            })
            .await;
            match result {
                Ok(Ok(removed)) => tracing::info!("purge task removed {} files", removed.len()),
                Ok(Err(e)) => tracing::warn!("purge task failed: {e}"),
                Err(e) => tracing::warn!("purge task failed: {e}"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{parse_str, SystemProperties};

    fn config(data: &Path, logs: &Path, db_autocreate: bool) -> ServerConfig {
        let mut sys = SystemProperties::new();
        sys.set("zookeeper.db.autocreate", &db_autocreate.to_string());
        let text = format!(
            "dataDir={}\ndataLogDir={}\nclientPort=2181\n",
            data.display(),
            logs.display()
        );
        parse_str("zoo.cfg", &text, sys).expect("config")
    }

    #[test]
    fn the_startup_snapshot_waits_only_for_changes_no_log_holds() {
        let restored = |snapshot: Option<&str>, zxid: i64, txns: u64, cleaned: usize| {
            let mut tree = DataTree::default();
            tree.set_last_processed_zxid(zxid);
            Restored {
                tree,
                sessions: BTreeMap::new(),
                snapshot: snapshot.map(PathBuf::from),
                txns_replayed: txns,
                sessions_cleaned: cleaned,
            }
        };
        let of = |r: Restored| StartupSnapshot::of(&r);
        let d = "/d/version-2/";
        assert_eq!(
            of(restored(Some(&format!("{d}snapshot.1f")), 0x1f, 0, 0)),
            StartupSnapshot::NotNeeded
        );
        assert_eq!(
            of(restored(Some(&format!("{d}snapshot.1f.gz")), 0x1f, 0, 0)),
            StartupSnapshot::NotNeeded
        );
        assert_eq!(
            of(restored(Some(&format!("{d}snapshot.1f")), 0x30, 0x11, 0)),
            StartupSnapshot::Background
        );
        assert_eq!(
            of(restored(None, 0x30, 0x30, 0)),
            StartupSnapshot::Background
        );
        assert_eq!(of(restored(None, 0, 0, 0)), StartupSnapshot::Background);
        assert_eq!(
            of(restored(Some(&format!("{d}snapshot.1f")), 0x1f, 0, 1)),
            StartupSnapshot::BeforeServing
        );
        assert_eq!(
            of(restored(Some(&format!("{d}snapshot.1f")), 0x30, 0x11, 2)),
            StartupSnapshot::BeforeServing
        );
    }

    /// With db.autocreate=false, an empty database is trusted (zxid 0) only
    /// when `initialize` is in dataLogDir, which restore deletes; one in
    /// dataDir is not Java's and stays (checked against Java 3.9.5 in the
    /// compat test `initialize_file_lives_in_the_data_log_dir`).
    #[test]
    fn the_initialize_file_is_in_the_data_log_dir() {
        for (in_logs, in_data, zxid) in [(true, false, 0), (false, true, -1), (false, false, -1)] {
            let tmp = tempfile::tempdir().unwrap();
            let (data, logs) = (tmp.path().join("data"), tmp.path().join("logs"));
            std::fs::create_dir_all(&data).unwrap();
            std::fs::create_dir_all(&logs).unwrap();
            let (log_file, data_file) = (logs.join("initialize"), data.join("initialize"));
            if in_logs {
                std::fs::write(&log_file, "").unwrap();
            }
            if in_data {
                std::fs::write(&data_file, "").unwrap();
            }
            let config = config(&data, &logs, false);
            let dirs = open_dirs(&config).unwrap();
            let restored = restore(&dirs, &config).unwrap();
            assert_eq!(
                restored.tree.last_processed_zxid(),
                zxid,
                "{in_logs} {in_data}"
            );
            assert!(!log_file.exists());
            assert_eq!(data_file.exists(), in_data);
        }
        // With the default db.autocreate=true an empty database is trusted.
        let tmp = tempfile::tempdir().unwrap();
        let config = config(tmp.path(), tmp.path(), true);
        let restored = restore(&open_dirs(&config).unwrap(), &config).unwrap();
        assert_eq!(restored.tree.last_processed_zxid(), 0);
    }

    /// A snapshot is written in slices: right after a slice the next one
    /// waits (the core serves meanwhile), and the slices together write a
    /// snapshot that loads as the tree.
    #[test]
    fn snapshots_are_written_in_slices_with_serving_between() {
        let tmp = tempfile::tempdir().unwrap();
        let (data, logs) = (tmp.path().join("data"), tmp.path().join("logs"));
        let config = config(&data, &logs, true);
        let dirs = open_dirs(&config).unwrap();
        let mut tree = DataTree::new(crate::tree::TreeConfig {
            digest_enabled: true,
            owners: Default::default(),
        });
        let mut triggers = Vec::new();
        let value = bytes::Bytes::from(vec![7u8; 100]);
        for i in 0..50_000i64 {
            tree.create_node(
                &format!("/n{i}"),
                Some(value.clone()),
                None,
                0,
                -1,
                i + 1,
                0,
                &mut triggers,
            )
            .unwrap();
        }
        let mut snapshots = Snapshotter::new(&dirs, &config);
        assert_eq!(snapshots.work(&tree), None, "nothing to do yet");
        snapshots.start(&tree, vec![(0x42, 30_000)]);
        assert!(snapshots.busy());
        let wait = snapshots.work(&tree).expect("a snapshot in progress");
        let after_first = snapshots.nodes_written().unwrap();
        assert!(after_first > 0 && after_first < 50_000, "{after_first}");
        // Its turn has not come again: no work now.
        assert_eq!(
            snapshots.work(&tree).map(|w| w > Duration::ZERO),
            Some(true)
        );
        assert_eq!(snapshots.nodes_written(), Some(after_first));
        let mut wait = Some(wait);
        let mut slices = 1;
        while let Some(w) = wait {
            std::thread::sleep(w);
            wait = snapshots.work(&tree);
            slices += 1;
        }
        assert!(!snapshots.busy());
        assert!(slices > 2, "{slices} slices");
        let path = dirs.snap_dir.join(snapshot::snapshot_file_name(
            tree.last_processed_zxid(),
            crate::config::SnapshotCompression::Checked,
        ));
        let loaded =
            snapshot::load_snapshot_file(&path, &snapshot::ReadOptions::default()).unwrap();
        assert_eq!(loaded.tree.node_count(), tree.node_count());
        assert_eq!(loaded.tree.digest(), tree.digest());
        assert_eq!(loaded.sessions.get(&0x42), Some(&30_000));
    }
}
