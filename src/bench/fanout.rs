//! Watch fan-out: many sessions watch one node, one session changes it;
//! how long until every watcher has its notification.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::client::{self, create_mode, Connection, PATIENCE};
use super::procfs;
use super::report::{median, FanoutReport, Latency};
use super::workload::{connect_sessions, new_histogram, Progress};
use crate::proto::codes::xid;
use crate::proto::ErrorCode;

/// What to run.
#[derive(Clone, Debug)]
pub struct FanoutConfig {
    pub watchers: usize,
    pub rounds: usize,
    pub root: String,
    pub session_timeout_ms: i32,
}

/// Runs the fan-out against the server at `addr` (`pid`: its process, for
/// its CPU time).
pub async fn run(
    addr: SocketAddr,
    config: &FanoutConfig,
    pid: Option<u32>,
    progress: &Progress,
) -> io::Result<FanoutReport> {
    let watched = format!("{}/watched", config.root);
    let mut trigger = Connection::connect(addr, config.session_timeout_ms).await?;
    let acl = client::open_acl();
    for path in [config.root.as_str(), watched.as_str()] {
        trigger.queue_create(path, &Bytes::new(), &acl, create_mode::PERSISTENT);
        let reply = trigger.call().await?;
        if reply.header.err != 0 && reply.header.err != ErrorCode::NodeExists as i32 {
            return Err(io::Error::other(format!(
                "create {path}: error {}",
                reply.header.err
            )));
        }
    }
    progress.print(&format!("connecting {} watcher sessions", config.watchers));
    let mut conns = connect_sessions(addr, config.watchers, config.session_timeout_ms).await?;
    let value = Bytes::from_static(b"changed");
    let mut all_notified_ms = Vec::new();
    let mut set_data_us = Vec::new();
    let mut latencies = new_histogram();
    let cpu_start = pid.and_then(|p| procfs::process_cpu(p).ok());
    for round in 0..config.rounds {
        progress.print(&format!("round {}/{}", round + 1, config.rounds));
        // Each watcher reports its registration, then waits in its socket
        // read: when the change goes out no task is runnable but the readers.
        let (registered_tx, mut registered_rx) = tokio::sync::mpsc::unbounded_channel();
        let watchers = conns.len();
        let mut tasks = tokio::task::JoinSet::new();
        for mut conn in conns.drain(..) {
            let registered_tx = registered_tx.clone();
            let watched = watched.clone();
            tasks.spawn(async move {
                conn.queue_get_data(&watched, true);
                let registered = match conn.call().await {
                    Ok(reply) if reply.header.err == 0 => Ok(()),
                    Ok(reply) => Err(io::Error::other(format!(
                        "getData with a watch: error {}",
                        reply.header.err
                    ))),
                    Err(e) => Err(e),
                };
                let failed = registered.is_err();
                let _ = registered_tx.send(registered);
                if failed {
                    return Err(io::Error::other("the watch was not registered"));
                }
                let arrived = tokio::time::timeout(PATIENCE, async {
                    loop {
                        let reply = conn.read_reply().await?;
                        if reply.header.xid == xid::NOTIFICATION {
                            return Ok::<Instant, io::Error>(Instant::now());
                        }
                    }
                })
                .await
                .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no notification"))??;
                Ok((conn, arrived))
            });
        }
        drop(registered_tx);
        for _ in 0..watchers {
            match registered_rx.recv().await {
                Some(Ok(())) => {}
                Some(Err(e)) => return Err(e),
                None => return Err(io::Error::other("a watcher task ended early")),
            }
        }
        // Every watch is registered: change the node.
        let sent = Instant::now();
        trigger.queue_set_data(&watched, &value);
        let reply = trigger.call().await?;
        let set_done = Instant::now();
        if reply.header.err != 0 {
            return Err(io::Error::other(format!(
                "setData: error {}",
                reply.header.err
            )));
        }
        set_data_us.push((set_done - sent).as_secs_f64() * 1e6);
        let mut last = sent;
        while let Some(joined) = tasks.join_next().await {
            let (conn, arrived) = joined.map_err(io::Error::other)??;
            let latency = arrived.saturating_duration_since(sent);
            latencies.saturating_record(latency.as_nanos().max(1) as u64);
            last = last.max(arrived);
            conns.push(conn);
        }
        all_notified_ms.push((last - sent).as_secs_f64() * 1e3);
        // Let the server settle before the next round.
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let cpu_end = pid.and_then(|p| procfs::process_cpu(p).ok());
    progress.print("closing the watcher sessions");
    let gate = Arc::new(tokio::sync::Semaphore::new(256));
    let mut closing = tokio::task::JoinSet::new();
    for conn in conns {
        let gate = Arc::clone(&gate);
        closing.spawn(async move {
            let _permit = gate.acquire().await;
            conn.close().await;
        });
    }
    while closing.join_next().await.is_some() {}
    trigger.close().await;
    progress.done();
    Ok(FanoutReport {
        watchers: config.watchers,
        rounds: config.rounds,
        all_notified_median_ms: median(&all_notified_ms),
        all_notified_ms,
        notify_latency_us: Latency::from_histogram(&latencies),
        set_data_median_us: median(&set_data_us),
        server_cpu_ms_per_round: match (cpu_start, cpu_end) {
            (Some(a), Some(b)) if config.rounds > 0 => {
                Some(b.saturating_sub(a).as_secs_f64() * 1e3 / config.rounds as f64)
            }
            _ => None,
        },
    })
}
