//! Four-letter words on the client port, in Java's output formats (tools
//! such as `zkServer.sh status` and monitoring agents parse them).

use std::fmt::Write as _;
use std::path::Path;

use super::core::{Core, Now};
use super::stats::{java_double, MinMaxAvg};
use super::ConnId;
use crate::session::{format_session_id, java_date_utc};
use crate::ZOOKEEPER_VERSION;

/// The version line: Java prints `3.9.5-<git hash>, built on <date>`.
pub fn full_version() -> String {
    format!(
        "{ZOOKEEPER_VERSION}-rzk-{}, built on 1970-01-01 00:00 UTC",
        env!("CARGO_PKG_VERSION")
    )
}

/// Runs a whitelisted four-letter word.
pub(super) fn run(core: &mut Core, conn: ConnId, word: &str, now: Now) -> String {
    match word {
        "ruok" => "imok".to_string(),
        "srvr" => server_stats(core, false, conn),
        "stat" => server_stats(core, true, conn),
        "conf" => conf(core),
        "cons" => connections(core, false),
        "crst" => {
            for c in core.conns.values_mut() {
                c.stats.reset();
            }
            "Connection stats reset.\n".to_string()
        }
        "srst" => {
            core.stats.reset();
            "Server stats reset.\n".to_string()
        }
        "dirs" => {
            let (data, log) = dir_sizes(core);
            format!("datadir_size: {data}\nlogdir_size: {log}\n")
        }
        "isro" => "rw".to_string(),
        "envi" => environment(),
        "mntr" => monitor(core, now),
        "dump" => dump(core, now),
        "wchs" => core.watches.wchs_output(),
        "wchc" => {
            let sessions = session_of(core);
            core.watches.wchc_output(sessions)
        }
        "wchp" => {
            let sessions = session_of(core);
            core.watches.wchp_output(sessions)
        }
        "hash" => {
            let mut out = String::new();
            for d in core.tree.digest_log() {
                let _ = writeln!(out, "{:x}: {}", d.zxid, d.digest);
            }
            out
        }
        "gtmk" => core.trace_mask.to_string(),
        // Telnet's interrupt sequence is a known word that runs nothing:
        // the connection is just closed.
        "telnet close" => String::new(),
        _ => String::new(),
    }
}

/// A function from watcher (connection) to its session id.
fn session_of(core: &Core) -> impl Fn(u64) -> i64 {
    let map: std::collections::HashMap<u64, i64> = core
        .conns
        .iter()
        .map(|(&id, c)| (id, c.session_id))
        .collect();
    move |w| map.get(&w).copied().unwrap_or(0)
}

fn server_stats(core: &Core, with_clients: bool, this_conn: ConnId) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Zookeeper version: {}", full_version());
    if with_clients {
        out.push_str("Clients:\n");
        for (&id, c) in sorted_conns(core) {
            out.push_str(&connection_line(core, id, c, true, this_conn));
            out.push('\n');
        }
        out.push('\n');
    }
    let latency = &core.stats.latency;
    let _ = writeln!(
        out,
        "Latency min/avg/max: {}/{}/{}",
        latency.min(),
        java_double(latency.avg()),
        latency.max()
    );
    let _ = writeln!(out, "Received: {}", core.stats.packets_received);
    let _ = writeln!(out, "Sent: {}", core.stats.packets_sent);
    let _ = writeln!(out, "Connections: {}", core.connection_count());
    let _ = writeln!(out, "Outstanding: {}", core.outstanding_requests());
    let _ = writeln!(out, "Zxid: 0x{:x}", core.tree.last_processed_zxid());
    out.push_str("Mode: standalone\n");
    let _ = writeln!(out, "Node count: {}", core.tree.node_count());
    out
}

fn sorted_conns(core: &Core) -> Vec<(&ConnId, &super::core::Conn)> {
    let mut conns: Vec<_> = core.conns.iter().collect();
    conns.sort_by_key(|(id, _)| **id);
    conns
}

/// One connection as `cons` (and `stat`, briefly) prints it.
fn connection_line(
    core: &Core,
    _id: ConnId,
    c: &super::core::Conn,
    brief: bool,
    _this_conn: ConnId,
) -> String {
    let _ = core;
    let mut out = format!(
        " /{}[1](queued={},recved={},sent={}",
        c.remote, c.outstanding, c.stats.packets_received, c.stats.packets_sent
    );
    if !brief && c.session_id != 0 {
        let s = &c.stats;
        let _ = write!(
            out,
            ",sid=0x{:x},lop={},est={},to={}",
            c.session_id, s.last_operation, c.established_wall_ms, c.timeout
        );
        if s.last_cxid >= 0 {
            let _ = write!(out, ",lcxid=0x{:x}", s.last_cxid);
        }
        let _ = write!(
            out,
            ",lzxid=0x{:x},lresp={},llat={},minlat={},avglat={},maxlat={}",
            s.last_zxid,
            s.last_response_time,
            s.last_latency,
            s.latency.min(),
            java_double(s.latency.avg()),
            s.latency.max()
        );
    }
    out.push(')');
    out
}

fn connections(core: &Core, brief: bool) -> String {
    let mut out = String::new();
    for (&id, c) in sorted_conns(core) {
        out.push_str(&connection_line(core, id, c, brief, id));
        out.push('\n');
    }
    out.push('\n');
    out
}

fn conf(core: &Core) -> String {
    let info = &core.settings.info;
    let (data_size, log_size) = dir_sizes(core);
    let mut out = String::new();
    let _ = writeln!(out, "clientPort={}", info.client_port);
    let _ = writeln!(out, "secureClientPort={}", info.secure_client_port);
    let _ = writeln!(out, "dataDir={}", snap_dir(&info.data_dir).display());
    let _ = writeln!(out, "dataDirSize={data_size}");
    let _ = writeln!(out, "dataLogDir={}", snap_dir(&info.data_log_dir).display());
    let _ = writeln!(out, "dataLogSize={log_size}");
    let _ = writeln!(out, "tickTime={}", core.settings.tick_time);
    let _ = writeln!(out, "maxClientCnxns={}", info.max_client_cnxns);
    let _ = writeln!(
        out,
        "minSessionTimeout={}",
        core.settings.min_session_timeout
    );
    let _ = writeln!(
        out,
        "maxSessionTimeout={}",
        core.settings.max_session_timeout
    );
    let _ = writeln!(
        out,
        "clientPortListenBacklog={}",
        info.client_port_listen_backlog
    );
    let _ = writeln!(out, "serverId={}", info.server_id);
    out
}

/// `<dir>/version-2`, absolute.
fn snap_dir(dir: &str) -> std::path::PathBuf {
    let path = Path::new(dir);
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|cwd| cwd.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    absolute.join("version-2")
}

/// The bytes in the snapshot and log directories (`getDataDirSize`).
fn dir_sizes(core: &Core) -> (u64, u64) {
    let size = |dir: &str| -> u64 {
        std::fs::read_dir(snap_dir(dir))
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter_map(|e| e.metadata().ok())
                    .filter(|m| m.is_file())
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0)
    };
    let info = &core.settings.info;
    (size(&info.data_dir), size(&info.data_log_dir))
}

fn environment() -> String {
    let mut out = String::from("Environment:\n");
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into());
    let entries = [
        ("zookeeper.version", full_version()),
        ("host.name", host),
        ("rzk.version", env!("CARGO_PKG_VERSION").to_string()),
        ("os.name", "Linux".to_string()),
        ("os.arch", std::env::consts::ARCH.to_string()),
        (
            "os.version",
            std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map(|v| v.trim().to_string())
                .unwrap_or_default(),
        ),
        ("user.name", std::env::var("USER").unwrap_or_default()),
        ("user.home", std::env::var("HOME").unwrap_or_default()),
        (
            "user.dir",
            std::env::current_dir()
                .map(|d| d.display().to_string())
                .unwrap_or_default(),
        ),
    ];
    for (key, value) in entries {
        let _ = writeln!(out, "{key}={value}");
    }
    out
}

fn dump(core: &Core, now: Now) -> String {
    let to_wall = |elapsed: i64| now.wall_ms + (elapsed - now.elapsed_ms);
    let mut out = String::from("SessionTracker dump:\n");
    out.push_str(
        &core
            .sessions
            .dump_sessions(|elapsed| java_date_utc(to_wall(elapsed))),
    );
    out.push_str("ephemeral nodes dump:\n");
    let mut sessions: Vec<(i64, Vec<&str>)> = core
        .tree
        .all_ephemerals()
        .map(|(s, paths)| (s, paths.iter().map(String::as_str).collect()))
        .collect();
    sessions.sort_by_key(|(s, _)| *s);
    let _ = writeln!(out, "Sessions with Ephemerals ({}):", sessions.len());
    for (session, mut paths) in sessions {
        paths.sort_unstable();
        let _ = writeln!(out, "{}:", format_session_id(session));
        for path in paths {
            let _ = writeln!(out, "\t{path}");
        }
    }
    out.push_str("Connections dump:\n");
    out.push_str("Connections ");
    core.conn_expiry.dump(
        &mut out,
        |elapsed| java_date_utc(to_wall(elapsed)),
        |conn| {
            let (remote, session) = core
                .conns
                .get(conn)
                .map_or((String::from("unknown"), 0), |c| {
                    (c.remote.to_string(), c.session_id)
                });
            format!("ip: /{remote} sessionId: 0x{session:x}")
        },
    );
    out
}

/// `mntr`: tab-separated `zk_<name>\t<value>` lines.
fn monitor(core: &Core, now: Now) -> String {
    let mut out = String::new();
    let mut line = |key: &str, value: String| {
        let _ = writeln!(out, "zk_{key}\t{value}");
    };
    let s = &core.stats;
    line("version", full_version());
    line("server_state", "standalone".into());
    line("ephemerals_count", core.tree.ephemerals_count().to_string());
    line("num_alive_connections", core.connection_count().to_string());
    line("avg_latency", java_double(s.latency.avg()));
    line(
        "outstanding_requests",
        core.outstanding_requests().to_string(),
    );
    line("znode_count", core.tree.node_count().to_string());
    line(
        "global_sessions",
        core.sessions.committed_count().to_string(),
    );
    line("non_mtls_remote_conn_count", "0".into());
    line(
        "last_client_response_size",
        s.last_response_size.to_string(),
    );
    line("packets_sent", s.packets_sent.to_string());
    line("packets_received", s.packets_received.to_string());
    line(
        "max_client_response_size",
        s.max_response_size.unwrap_or(-1).to_string(),
    );
    line("connection_drop_probability", "0.0".into());
    line("watch_count", core.watches.watch_count().to_string());
    line("auth_failed_count", s.auth_failed.to_string());
    line("min_latency", s.latency.min().to_string());
    line("max_file_descriptor_count", max_fds().to_string());
    line(
        "approximate_data_size",
        core.tree.approximate_data_size().to_string(),
    );
    line("open_file_descriptor_count", open_fds().to_string());
    line("local_sessions", "0".into());
    line(
        "uptime",
        (now.elapsed_ms - core.started_elapsed_ms).to_string(),
    );
    line("max_latency", s.latency.max().to_string());
    line("outstanding_tls_handshake", "0".into());
    line(
        "min_client_response_size",
        s.min_response_size.unwrap_or(-1).to_string(),
    );
    line("non_mtls_local_conn_count", "0".into());
    // Counters.
    line("watch_bytes", "0".into());
    line("bytes_received_count", s.bytes_received.to_string());
    line("response_bytes", s.response_bytes.to_string());
    line(
        "sessionless_connections_expired",
        s.sessionless_connections_expired.to_string(),
    );
    line("connection_rejected", s.connections_rejected.to_string());
    line(
        "unsuccessful_handshake",
        s.unsuccessful_handshakes.to_string(),
    );
    line(
        "digest_mismatches_count",
        core.tree.digest_mismatches().to_string(),
    );
    for name in ZERO_COUNTERS {
        line(name, "0".into());
    }
    // Summaries with their statistics.
    let mut summary = |name: &str, m: &MinMaxAvg, advanced: bool| {
        line(&format!("avg_{name}"), java_double(m.avg()));
        line(&format!("min_{name}"), m.min().to_string());
        line(&format!("max_{name}"), m.max().to_string());
        line(&format!("cnt_{name}"), m.count().to_string());
        line(&format!("sum_{name}"), m.sum().to_string());
        if advanced {
            for (label, p) in [("p50", 50.0), ("p95", 95.0), ("p99", 99.0), ("p999", 99.9)] {
                line(&format!("{label}_{name}"), m.percentile(p).to_string());
            }
        }
    };
    summary("readlatency", &s.read_latency, true);
    summary("updatelatency", &s.update_latency, true);
    summary("node_created_watch_count", &s.node_created_watches, false);
    summary("node_deleted_watch_count", &s.node_deleted_watches, false);
    summary("node_changed_watch_count", &s.node_changed_watches, false);
    summary("node_children_watch_count", &s.node_children_watches, false);
    for (namespace, m) in &s.write_per_namespace {
        summary(&format!("{namespace}_write_per_namespace"), m, false);
    }
    for (namespace, m) in &s.read_per_namespace {
        summary(&format!("{namespace}_read_per_namespace"), m, false);
    }
    let empty = MinMaxAvg::default();
    for name in ZERO_BASIC_SUMMARIES {
        summary(name, &empty, false);
    }
    for name in ZERO_ADVANCED_SUMMARIES {
        summary(name, &empty, true);
    }
    out
}

/// Counters Java reports that count events a standalone rzk server does not
/// have (quorum, throttling, caches, JVM): always 0 here.
const ZERO_COUNTERS: &[&str] = &[
    "stale_requests_dropped",
    "throttled_ops",
    "insecure_admin_count",
    "dead_watchers_queued",
    "stale_requests",
    "connection_drop_count",
    "response_packet_cache_hits",
    "add_dead_watcher_stall_time",
    "request_throttle_wait_count",
    "requests_not_forwarded_to_commit_processor",
    "response_packet_cache_misses",
    "prep_processor_request_queued",
    "stale_replies",
    "ensemble_auth_fail",
    "diff_count",
    "connection_revalidate_count",
    "quit_leading_due_to_disloyal_voter",
    "unrecoverable_error_count",
    "commit_count",
    "outstanding_changes_queued",
    "request_commit_queued",
    "ensemble_auth_skip",
    "skip_learner_request_to_next_processor_count",
    "proposal_count",
    "large_requests_rejected",
    "outstanding_changes_removed",
    "restore_error_count",
    "cnxn_closed_without_zk_server_running",
    "looking_count",
    "snapshot_rate_limited_count",
    "learner_proposal_received_count",
    "dead_watchers_cleared",
    "ensemble_auth_success",
    "learner_commit_received_count",
    "snapshot_error_count",
    "connection_request_count",
    "response_packet_get_children_cache_misses",
    "snap_count",
    "stale_sessions_expired",
    "restore_rate_limited_count",
    "response_packet_get_children_cache_hits",
    "sync_processor_request_queued",
    "tls_handshake_exceeded",
    "revalidate_count",
];

const ZERO_BASIC_SUMMARIES: &[&str] = &[
    "socket_closing_time",
    "proposal_process_time",
    "leader_unavailable_time",
    "session_queues_drained",
    "write_commit_proc_req_queued",
    "connection_token_deficit",
    "read_commit_proc_req_queued",
    "startup_txns_load_time",
    "sync_processor_queue_size",
    "follower_sync_time",
    "prep_processor_queue_size",
    "fsynctime",
    "inflight_snap_count",
    "reads_issued_from_session_queue",
    "restore_time",
    "learner_request_processor_queue_size",
    "snapshottime",
    "unavailable_time",
    "startup_txns_loaded",
    "reads_after_write_in_session_queue",
    "requests_in_session_queue",
    "write_commit_proc_issued",
    "prep_process_time",
    "pending_session_queue_size",
    "time_waiting_empty_pool_in_commit_processor_read_ms",
    "commit_process_time",
    "dbinittime",
    "inflight_diff_count",
    "netty_queued_buffer_capacity",
    "election_time",
    "commit_commit_proc_req_queued",
    "sync_processor_batch_size",
    "write_batch_time_in_commit_processor",
    "read_commit_proc_issued",
    "concurrent_request_processing_in_commit_processor",
    "observer_sync_time",
    "sync_process_time",
    "startup_snap_load_time",
];

const ZERO_ADVANCED_SUMMARIES: &[&str] = &[
    "prep_processor_queue_time_ms",
    "jvm_pause_time_ms",
    "close_session_prep_time",
    "read_commitproc_time_ms",
    "local_write_committed_time_ms",
    "request_throttle_queue_time_ms",
    "quorum_ack_latency",
    "om_commit_process_time_ms",
    "read_final_proc_time_ms",
    "commit_propagation_latency",
    "dead_watchers_cleaner_latency",
    "write_final_proc_time_ms",
    "proposal_ack_creation_latency",
    "proposal_latency",
    "om_proposal_process_time_ms",
    "sync_processor_queue_and_flush_time_ms",
    "propagation_latency",
    "server_write_committed_time_ms",
    "sync_processor_queue_time_ms",
    "sync_processor_queue_flush_time_ms",
    "write_commitproc_time_ms",
];

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

fn max_fds() -> u64 {
    std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("Max open files"))
                .and_then(|l| l.split_whitespace().nth(3))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}
