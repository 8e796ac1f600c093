//! Group commit on a thread of its own: Java's `SyncRequestProcessor`.
//!
//! The server core stays single-threaded and pure: it hands each txn to
//! [`LogStage::submit`] in zxid order and later receives, through the
//! callback given to [`LogStage::start`], [`LogEvent::Durable`] ("every txn
//! up to this one is on disk") as one more input. Nothing is reported
//! durable before the fsync that covers it has returned.
//!
//! The batching is Java's: the thread appends what is queued and commits
//! (one write and one fsync for the batch) when the queue is empty — with
//! `zookeeper.flushDelay` > 0, when the delay since the last commit has
//! passed or no txn came for `zookeeper.maxWriteQueuePollTime` — or when
//! `zookeeper.maxBatchSize` txns are waiting.
//!
//! After each append it applies Java's snapshot rule: more than
//! `snapCount/2 + rand(snapCount/2)` txns, or more than
//! `snapSizeLimitInKb/2 + rand` bytes of log (preallocation included, as
//! Java counts it), since the last snapshot. Then it rolls the log (the next txn starts a new
//! file), draws new random offsets and reports [`LogEvent::SnapshotDue`].
//! Taking the snapshot is the server's business; like Java it should skip
//! it ("Too busy to snap, skipping") if the previous one is still running.

use std::fmt;
use std::io;
use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError, TryRecvError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::writer::{TxnLogWriter, WriterStats};
use super::TxnLogSettings;
use crate::config::ServerConfig;
use crate::txn::Txn;

/// What the stage tells the server.
#[derive(Debug)]
pub enum LogEvent {
    /// Every txn submitted up to and including `zxid` is durable; `txns` is
    /// how many txns have been made durable since the stage started.
    Durable { zxid: i64, txns: u64 },
    /// The snapshot rule fired after the txn `zxid` was appended, and the
    /// log was rolled: take a snapshot now. (`zxid` is not durable yet.)
    SnapshotDue { zxid: i64 },
    /// Writing failed; the stage has stopped and nothing after the last
    /// `Durable` will be. Java's server stops in this case.
    Failed(io::Error),
}

/// The settings of the stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogStageSettings {
    /// How files are written.
    pub log: TxnLogSettings,
    /// `zookeeper.maxBatchSize` (default 1000): commit once this many txns
    /// wait; zero or negative: no limit.
    pub max_batch_size: i32,
    /// `zookeeper.flushDelay` in ms (default 0): with a positive value,
    /// commit at least this often while txns keep coming.
    pub flush_delay_ms: i64,
    /// `zookeeper.maxWriteQueuePollTime` in ms (default flushDelay/3): how
    /// long to wait for more txns before committing.
    pub max_write_queue_poll_time_ms: i64,
    /// `zookeeper.snapCount` (default 100000, at least 2).
    pub snap_count: i32,
    /// `zookeeper.snapSizeLimitInKb` × 1024 (default 4 GiB); zero or
    /// negative disables the size rule.
    pub snap_size_bytes: i64,
    /// A seed for the snapshot randomisation (tests); `None`: random.
    pub seed: Option<u64>,
}

impl Default for LogStageSettings {
    fn default() -> Self {
        LogStageSettings {
            log: TxnLogSettings::default(),
            max_batch_size: 1000,
            flush_delay_ms: 0,
            max_write_queue_poll_time_ms: 0,
            snap_count: 100_000,
            snap_size_bytes: 4_194_304 * 1024,
            seed: None,
        }
    }
}

impl LogStageSettings {
    /// The settings of a server configuration (its typed properties and the
    /// three batching properties, read as `Integer.getInteger` /
    /// `Long.getLong` read them).
    pub fn from_config(config: &ServerConfig) -> Self {
        let sys = &config.system;
        let props = &config.zookeeper;
        let flush_delay_ms = sys.get_long("zookeeper.flushDelay", 0);
        LogStageSettings {
            log: TxnLogSettings::from_properties(props),
            max_batch_size: sys.get_int("zookeeper.maxBatchSize", 1000),
            flush_delay_ms,
            max_write_queue_poll_time_ms: sys
                .get_long("zookeeper.maxWriteQueuePollTime", flush_delay_ms / 3),
            snap_count: props.snap_count.max(2),
            snap_size_bytes: props.snap_size_limit_kb.saturating_mul(1024),
            seed: None,
        }
    }
}

/// Java's snapshot trigger, with its randomisation (so that the servers of
/// an ensemble do not all snapshot at once).
#[derive(Debug, Clone)]
pub struct SnapshotPolicy {
    snap_count: i32,
    snap_size_bytes: i64,
    rand_roll: i32,
    rand_size: i64,
    rng: fastrand::Rng,
}

impl SnapshotPolicy {
    /// A policy with fresh random offsets.
    pub fn new(snap_count: i32, snap_size_bytes: i64, seed: Option<u64>) -> Self {
        let mut policy = SnapshotPolicy {
            snap_count: snap_count.max(2),
            snap_size_bytes,
            rand_roll: 0,
            rand_size: 0,
            rng: seed.map_or_else(fastrand::Rng::new, fastrand::Rng::with_seed),
        };
        policy.reset();
        policy
    }

    /// Draws new offsets: `rand(snapCount/2)` and `|nextLong % (size/2)|`.
    /// (Java divides by zero when `snapSizeLimitInKb` is 0, which stops its
    /// sync thread; here the offset is then 0 and the rule stays off.)
    pub fn reset(&mut self) {
        self.rand_roll = self.rng.i32(0..self.snap_count / 2);
        let half = self.snap_size_bytes / 2;
        self.rand_size = if half == 0 {
            0
        } else {
            (self.rng.i64(..) % half).abs()
        };
    }

    /// The txn count that, once exceeded, triggers a snapshot.
    pub fn count_threshold(&self) -> i32 {
        self.snap_count / 2 + self.rand_roll
    }

    /// The log size that, once exceeded, triggers a snapshot (if the size
    /// rule is on).
    pub fn size_threshold(&self) -> Option<i64> {
        (self.snap_size_bytes > 0).then(|| self.snap_size_bytes / 2 + self.rand_size)
    }

    /// Java's `shouldSnapshot`.
    pub fn should_snapshot(&self, txn_count: i32, log_size: i64) -> bool {
        txn_count > self.count_threshold()
            || self.size_threshold().is_some_and(|limit| log_size > limit)
    }
}

enum Msg {
    Txn { zxid: i64, bytes: Vec<u8> },
    Roll,
    Flush(mpsc::Sender<()>),
    Shutdown,
}

/// The stage has stopped (after a failure or shutdown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageClosed;

impl fmt::Display for StageClosed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the transaction log stage has stopped")
    }
}

impl std::error::Error for StageClosed {}

/// The group-commit thread. Dropping it shuts it down (committing what was
/// submitted).
pub struct LogStage {
    tx: mpsc::Sender<Msg>,
    thread: Option<JoinHandle<io::Result<WriterStats>>>,
}

impl LogStage {
    /// Starts the thread writing to `dir` (which must exist). `on_event`
    /// runs on that thread: it should only hand the event over (e.g. send
    /// it to the server's input channel).
    pub fn start<F>(dir: &Path, settings: LogStageSettings, on_event: F) -> io::Result<LogStage>
    where
        F: FnMut(LogEvent) + Send + 'static,
    {
        let writer = TxnLogWriter::open(dir, settings.log.clone())?;
        let (tx, rx) = mpsc::channel();
        let thread = thread::Builder::new()
            .name("txnlog-sync".into())
            .spawn(move || {
                let mut sync = SyncLoop::new(writer, settings, rx, Box::new(on_event));
                let result = sync.run();
                match result {
                    Ok(()) => Ok(sync.writer.stats()),
                    Err(e) => {
                        tracing::error!("the transaction log failed: {e}");
                        let copy = io::Error::new(e.kind(), e.to_string());
                        (sync.on_event)(LogEvent::Failed(e));
                        Err(copy)
                    }
                }
            })?;
        Ok(LogStage {
            tx,
            thread: Some(thread),
        })
    }

    /// Queues a txn for the log.
    pub fn submit(&self, txn: &Txn) -> Result<(), StageClosed> {
        self.submit_bytes(txn.zxid(), txn.to_bytes())
    }

    /// Queues a txn given as its bytes (`Txn::to_bytes`) and zxid.
    pub fn submit_bytes(&self, zxid: i64, bytes: Vec<u8>) -> Result<(), StageClosed> {
        self.tx
            .send(Msg::Txn { zxid, bytes })
            .map_err(|_| StageClosed)
    }

    /// Rolls the log and restarts the snapshot counting, as Java's
    /// `ZKDatabase.rollLog` (for a snapshot the server takes on its own).
    pub fn roll(&self) -> Result<(), StageClosed> {
        self.tx.send(Msg::Roll).map_err(|_| StageClosed)
    }

    /// Commits everything submitted so far and waits for it (the `Durable`
    /// event is sent before this returns).
    pub fn flush(&self) -> Result<(), StageClosed> {
        let (done_tx, done_rx) = mpsc::channel();
        self.tx.send(Msg::Flush(done_tx)).map_err(|_| StageClosed)?;
        done_rx.recv().map_err(|_| StageClosed)
    }

    /// Commits what was submitted, stops the thread and returns its
    /// counters.
    pub fn shutdown(mut self) -> io::Result<WriterStats> {
        self.stop()
    }

    fn stop(&mut self) -> io::Result<WriterStats> {
        let _ = self.tx.send(Msg::Shutdown);
        match self.thread.take() {
            Some(thread) => thread
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("the transaction log thread panicked"))),
            None => Ok(WriterStats::default()),
        }
    }
}

impl Drop for LogStage {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

struct SyncLoop {
    writer: TxnLogWriter,
    settings: LogStageSettings,
    rx: mpsc::Receiver<Msg>,
    on_event: Box<dyn FnMut(LogEvent) + Send>,
    policy: SnapshotPolicy,
    /// Java's `ZKDatabase.txnCount`: txns since the last snapshot trigger.
    txn_count: i32,
    /// Txns appended and not yet committed, and the last one's zxid.
    to_flush: usize,
    last_zxid: i64,
    durable: u64,
    last_flush: Instant,
}

impl SyncLoop {
    fn new(
        writer: TxnLogWriter,
        settings: LogStageSettings,
        rx: mpsc::Receiver<Msg>,
        on_event: Box<dyn FnMut(LogEvent) + Send>,
    ) -> Self {
        let policy =
            SnapshotPolicy::new(settings.snap_count, settings.snap_size_bytes, settings.seed);
        SyncLoop {
            writer,
            settings,
            rx,
            on_event,
            policy,
            txn_count: 0,
            to_flush: 0,
            last_zxid: 0,
            durable: 0,
            last_flush: Instant::now(),
        }
    }

    fn remaining_delay(&self) -> Duration {
        let delay = Duration::from_millis(self.settings.flush_delay_ms.max(0) as u64);
        delay.saturating_sub(self.last_flush.elapsed())
    }

    fn should_flush(&self) -> bool {
        (self.settings.flush_delay_ms > 0 && self.remaining_delay().is_zero())
            || (self.settings.max_batch_size > 0
                && self.to_flush >= self.settings.max_batch_size as usize)
    }

    /// The next message: waits at most the poll time, then commits what is
    /// pending and waits for as long as it takes. `None`: every sender is
    /// gone.
    fn next_msg(&mut self) -> io::Result<Option<Msg>> {
        let max_poll =
            Duration::from_millis(self.settings.max_write_queue_poll_time_ms.max(0) as u64);
        let poll = max_poll.min(self.remaining_delay());
        let polled = if poll.is_zero() {
            match self.rx.try_recv() {
                Ok(msg) => Some(msg),
                Err(TryRecvError::Empty) => None,
                Err(TryRecvError::Disconnected) => return Ok(None),
            }
        } else {
            match self.rx.recv_timeout(poll) {
                Ok(msg) => Some(msg),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => return Ok(None),
            }
        };
        match polled {
            Some(msg) => Ok(Some(msg)),
            None => {
                self.flush()?;
                Ok(self.rx.recv().ok())
            }
        }
    }

    fn run(&mut self) -> io::Result<()> {
        self.last_flush = Instant::now();
        while let Some(msg) = self.next_msg()? {
            match msg {
                Msg::Shutdown => break,
                Msg::Roll => self.roll_for_snapshot()?,
                Msg::Flush(done) => {
                    self.flush()?;
                    let _ = done.send(());
                }
                Msg::Txn { zxid, bytes } => {
                    self.writer.append_bytes(zxid, &bytes)?;
                    self.txn_count = self.txn_count.saturating_add(1);
                    if self
                        .policy
                        .should_snapshot(self.txn_count, self.writer.total_log_size())
                    {
                        self.policy.reset();
                        self.roll_for_snapshot()?;
                        (self.on_event)(LogEvent::SnapshotDue { zxid });
                    }
                    self.to_flush += 1;
                    self.last_zxid = zxid;
                    if self.should_flush() {
                        self.flush()?;
                    }
                }
            }
        }
        self.flush()
    }

    /// `ZKDatabase.rollLog`: roll, and count txns and bytes from zero.
    fn roll_for_snapshot(&mut self) -> io::Result<()> {
        self.writer.roll()?;
        self.txn_count = 0;
        self.writer.reset_total_log_size();
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.to_flush == 0 {
            // A roll with nothing appended after it may still leave a file
            // to fsync.
            if self.writer.has_uncommitted() {
                self.writer.commit()?;
            }
            return Ok(());
        }
        self.writer.commit()?;
        self.durable += self.to_flush as u64;
        self.to_flush = 0;
        (self.on_event)(LogEvent::Durable {
            zxid: self.last_zxid,
            txns: self.durable,
        });
        self.last_flush = Instant::now();
        Ok(())
    }
}
