//! The server: the core state machine (`core`), its reply stage (`reads`),
//! four-letter words (`fourlw`), statistics (`stats`) and the tokio network
//! shell (`net`), plus [`run`], which starts a standalone server from a
//! configuration.

pub mod core;
pub mod fourlw;
pub mod net;
mod reads;
pub mod stats;
pub mod storage;

use std::fmt;
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use jute::Limits;

use crate::auth::AuthSettings;
use crate::config::ServerConfig;
use crate::pipeline::prepare::PrepSettings;
use crate::tree::TreeConfig;
use crate::txnlog;

pub use self::core::{ContainerSettings, Core, CoreSettings, Now, ServerInfo};

/// A connection's id, unique for the life of the server process.
pub type ConnId = u64;

/// What the network shell tells the core.
#[derive(Debug, Clone)]
pub enum Input {
    /// A client connected.
    Accepted {
        conn: ConnId,
        remote: SocketAddr,
        local: Option<SocketAddr>,
    },
    /// A complete frame (without its length prefix).
    Frame { conn: ConnId, frame: Bytes },
    /// A new connection's first 4 bytes spelled a known four-letter word.
    /// For `stmk`, `trace_mask` is the 8-byte argument that came with it
    /// (`None` if it was not there).
    FourLetterWord {
        conn: ConnId,
        word: &'static str,
        trace_mask: Option<i64>,
    },
    /// The connection is gone (the client closed it, it failed, or the
    /// server closed it).
    Closed { conn: ConnId },
    /// Time passed (sent every few milliseconds).
    Tick,
    /// The transaction log made everything up to `zxid` durable.
    Durable { zxid: i64 },
    /// The transaction log failed: nothing more will become durable.
    LogFailed { reason: String },
    /// The log was rolled by the snapshot rule: time for a snapshot (the
    /// shell takes it; the core ignores this).
    SnapshotDue { zxid: i64 },
    /// The time a background job asked for has come (the shell's
    /// background work; the core ignores this).
    Wake,
}

/// What the core asks the network shell to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Send these bytes (already framed) on the connection.
    Send { conn: ConnId, bytes: Bytes },
    /// Close the connection once what was queued before is sent.
    Close { conn: ConnId },
    /// The server cannot go on (Java exits in these cases).
    Stop { reason: String },
}

/// Why a server could not start or stopped with an error.
#[derive(Debug)]
pub struct ServerError(pub String);

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ServerError {}

/// The core's settings from a configuration.
pub fn core_settings(config: &ServerConfig) -> CoreSettings {
    let zk = &config.zookeeper;
    let limits = Limits::new(zk.jute_max_buffer, Some(zk.jute_max_buffer_extra_size));
    CoreSettings {
        tick_time: config.tick_time,
        min_session_timeout: config.min_session_timeout,
        max_session_timeout: config.max_session_timeout,
        limits,
        skip_acl: zk.skip_acl,
        enforce_quota: zk.enforce_quota,
        prep: PrepSettings {
            digest_enabled: zk.digest_enabled,
            owners: crate::tree::OwnerEncoding {
                extended_types_enabled: zk.extended_types_enabled,
                emulate_353_ttl_nodes: zk.emulate_353_ttl_nodes,
            },
            close_session_txn_enabled: zk.close_session_txn_enabled,
            reconfig_enabled: config.reconfig_enabled,
            limits,
        },
        tree: TreeConfig {
            digest_enabled: zk.digest_enabled,
            owners: crate::tree::OwnerEncoding {
                extended_types_enabled: zk.extended_types_enabled,
                emulate_353_ttl_nodes: zk.emulate_353_ttl_nodes,
            },
        },
        auth: AuthSettings::from_properties(zk),
        four_letter_words: zk.four_letter_words.clone(),
        sessionless_timeout_ms: i64::from(zk.nio_sessionless_cnxn_timeout_ms),
        containers: ContainerSettings {
            check_interval_ms: i64::from(zk.container.check_interval_ms),
            max_per_minute: i64::from(zk.container.max_per_minute),
            max_never_used_interval_ms: zk.container.max_never_used_interval_ms,
        },
        info: ServerInfo {
            client_port: config
                .client_address
                .as_ref()
                .map_or(-1, |a| i32::from(a.port)),
            secure_client_port: config
                .secure_client_address
                .as_ref()
                .map_or(-1, |a| i32::from(a.port)),
            data_dir: config.data_dir.display().to_string(),
            data_log_dir: config.data_log_dir.display().to_string(),
            max_client_cnxns: config.max_client_cnxns,
            client_port_listen_backlog: config.client_port_listen_backlog,
            server_id: 0,
        },
    }
}

/// A clock for the core: wall time and a monotonic elapsed time.
pub struct Clock {
    start: Instant,
    /// The monotonic clock's reading at `start`, in ms.
    base_ms: i64,
}

impl Clock {
    pub fn new() -> Self {
        Clock {
            start: Instant::now(),
            base_ms: monotonic_ms(),
        }
    }

    pub fn now(&self) -> Now {
        let wall_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        Now {
            wall_ms,
            elapsed_ms: self.base_ms + self.start.elapsed().as_millis() as i64,
        }
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::new()
    }
}

/// `CLOCK_MONOTONIC` in ms: what Java's `System.nanoTime()/1e6` reads on
/// Linux. Session ids are seeded from it, so that a restarted server does
/// not hand out the ids of sessions it restored.
fn monotonic_ms() -> i64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the timespec we pass.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    if rc != 0 {
        return 0;
    }
    ts.tv_sec * 1000 + ts.tv_nsec / 1_000_000
}

/// Runs a server with `config` until it is stopped (SIGINT or SIGTERM).
pub fn run(config: ServerConfig) -> Result<(), ServerError> {
    if !config.is_standalone() {
        return Err(ServerError(
            "this rzk build serves standalone configurations only; quorum mode is not \
             implemented yet"
                .to_string(),
        ));
    }
    let Some(client) = config.client_address.clone() else {
        return Err(ServerError(
            "no clientPort is configured: there is nothing to serve".to_string(),
        ));
    };
    let listen: SocketAddr = format!("{}:{}", client.delimited_host(), client.port)
        .parse()
        .map_err(|e| {
            ServerError(format!(
                "clientPortAddress {}: not an IP address ({e})",
                client.host
            ))
        })?;
    let settings = core_settings(&config);
    let net = net::NetConfig {
        listen,
        backlog: config.client_port_listen_backlog,
        max_client_cnxns: config.max_client_cnxns.max(0) as usize,
        max_frame: config.zookeeper.jute_max_buffer,
        max_cnxns: config.zookeeper.max_cnxns.max(0) as usize,
        max_outstanding: config.zookeeper.global_outstanding_limit.max(1) as usize,
        tick: Duration::from_millis(10),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| ServerError(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async move {
        let clock = Clock::new();
        // Restore the data, as Java does before serving.
        let started = Instant::now();
        let dirs = storage::open_dirs(&config)?;
        let restored = storage::restore(&dirs, &config)?;
        tracing::info!(
            "loaded {} nodes and {} sessions from {} and {} logged transactions (zxid 0x{:x}) in {} ms",
            restored.tree.node_count(),
            restored.sessions.len(),
            restored
                .snapshot
                .as_ref()
                .map_or("no snapshot".to_string(), |p| p.display().to_string()),
            restored.txns_replayed,
            restored.tree.last_processed_zxid(),
            started.elapsed().as_millis()
        );
        let startup_snapshot = storage::StartupSnapshot::of(&restored);
        if startup_snapshot == storage::StartupSnapshot::BeforeServing {
            let path = storage::startup_snapshot(&dirs, &config, &restored)?;
            tracing::info!("snapshot {} taken", path.display());
        }
        let mut core = Core::restored(
            settings,
            clock.now(),
            restored.tree,
            restored.sessions,
        )
        .map_err(|e| ServerError(e.to_string()))?;
        // The log stage reports back through the events channel.
        let (events_tx, events_rx) = tokio::sync::mpsc::unbounded_channel();
        let stage = {
            let events = events_tx.clone();
            txnlog::LogStage::start(
                &dirs.log_dir,
                txnlog::LogStageSettings::from_config(&config),
                move |event| {
                    let input = match event {
                        txnlog::LogEvent::Durable { zxid, .. } => Input::Durable { zxid },
                        txnlog::LogEvent::SnapshotDue { zxid } => Input::SnapshotDue { zxid },
                        txnlog::LogEvent::Failed(e) => Input::LogFailed {
                            reason: e.to_string(),
                        },
                    };
                    let _ = events.send(input);
                },
            )
            .map_err(|e| {
                ServerError(format!(
                    "cannot open the transaction log in {}: {e}",
                    dirs.log_dir.display()
                ))
            })?
        };
        let stage = std::sync::Arc::new(std::sync::Mutex::new(Some(stage)));
        core.set_log(Box::new(SharedStage(std::sync::Arc::clone(&stage))));
        let mut snapshots = storage::Snapshotter::new(&dirs, &config);
        let mut startup_written = None;
        if startup_snapshot == storage::StartupSnapshot::Background {
            let (done, written) = tokio::sync::oneshot::channel();
            snapshots.start_at_startup(core.tree(), core.committed_sessions(), done);
            startup_written = Some(written);
        }
        storage::spawn_autopurge(
            &dirs,
            config.snap_retain_count,
            config.purge_interval,
            startup_written,
        );
        let listener = net::bind(&net)
            .await
            .map_err(|e| ServerError(format!("cannot listen on {listen}: {e}")))?;
        tracing::info!(
            "serving standalone on {} (data in {})",
            listener.local_addr().map_or(listen, |a| a),
            config.data_dir.display()
        );
        let shutdown = async {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = async {
                    match term.as_mut() {
                        Some(t) => { t.recv().await; }
                        None => std::future::pending::<()>().await,
                    }
                } => {}
            }
            tracing::info!("shutting down");
        };
        // The core runs as a task of the runtime, not on this thread: a
        // connection's reader then wakes it on the same worker thread
        // (without a cross-thread wake-up per request).
        let serving = tokio::spawn(net::serve(
            listener,
            net,
            move |input, out| {
                match input {
                    Input::SnapshotDue { .. } => {
                        snapshots.start(core.tree(), core.committed_sessions())
                    }
                    Input::Wake => {}
                    input => core.handle(input, clock.now(), out),
                }
                snapshots.work(core.tree())
            },
            events_rx,
            shutdown,
        ));
        let result = match serving.await {
            Ok(result) => result.map_err(ServerError),
            Err(e) => Err(ServerError(format!("the server task failed: {e}"))),
        };
        // What was acknowledged is durable already; let the stage finish
        // what it has.
        let stage = stage.lock().ok().and_then(|mut s| s.take());
        if let Some(stage) = stage {
            if let Err(e) = stage.shutdown() {
                tracing::warn!("closing the transaction log: {e}");
            }
        }
        result
    })
}

/// The log stage shared between the core (which appends) and the shutdown
/// path (which closes it).
struct SharedStage(std::sync::Arc<std::sync::Mutex<Option<txnlog::LogStage>>>);

impl core::TxnSink for SharedStage {
    fn append(&mut self, txn: &crate::txn::Txn) -> Result<(), String> {
        match self.0.lock() {
            Ok(guard) => match guard.as_ref() {
                Some(stage) => stage
                    .submit(txn)
                    .map_err(|_| "the transaction log stage has stopped".to_string()),
                None => Err("the transaction log is closed".to_string()),
            },
            Err(_) => Err("the transaction log is unusable".to_string()),
        }
    }
}

#[cfg(test)]
mod tests;
