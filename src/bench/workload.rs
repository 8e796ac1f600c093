//! The load generator: N sessions with K pipelined requests each, drawing
//! operations from a weighted mix over a key space, through a warm-up and a
//! measured window; plus the preparation of the key space.

use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write as _;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;
use jute::data::Stat;
use jute::{Limits, Record};

use super::client::{self, create_mode, Connection, Reply, PATIENCE};
use super::procfs;
use super::report::{OpReport, RunReport, ServerUsage};
use crate::proto::codes::xid;
use crate::proto::ErrorCode;

/// An operation the load generator issues.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OpKind {
    GetData,
    SetData,
    Exists,
    GetChildren,
    /// Create an ephemeral sequential node under `<root>/eph`.
    Create,
    /// Delete one of the session's own ephemerals (a create if it has none).
    Delete,
    /// A multi of check + setData.
    Multi,
}

impl OpKind {
    pub const ALL: [OpKind; 7] = [
        OpKind::GetData,
        OpKind::SetData,
        OpKind::Exists,
        OpKind::GetChildren,
        OpKind::Create,
        OpKind::Delete,
        OpKind::Multi,
    ];

    /// The operation's name in reports (the client API's name).
    pub fn name(self) -> &'static str {
        match self {
            OpKind::GetData => "getData",
            OpKind::SetData => "setData",
            OpKind::Exists => "exists",
            OpKind::GetChildren => "getChildren",
            OpKind::Create => "create",
            OpKind::Delete => "delete",
            OpKind::Multi => "multi",
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    pub fn is_write(self) -> bool {
        matches!(
            self,
            OpKind::SetData | OpKind::Create | OpKind::Delete | OpKind::Multi
        )
    }
}

/// The operation mix: a weight per operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mix {
    weights: [u32; 7],
    total: u32,
}

impl Mix {
    /// Parses `get=80,set=20`. Names: `get`/`getData`, `set`/`setData`,
    /// `exists`, `children`/`getChildren`, `create`, `delete`, `multi`, and
    /// `churn` (half create, half delete: ephemeral create/delete churn).
    pub fn parse(text: &str) -> Result<Mix, String> {
        let mut weights = [0u32; 7];
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, weight) = part
                .split_once('=')
                .ok_or_else(|| format!("`{part}`: expected NAME=WEIGHT"))?;
            let weight: u32 = weight
                .trim()
                .parse()
                .map_err(|_| format!("`{part}`: the weight is not a number"))?;
            let kinds: &[OpKind] = match name.trim() {
                "get" | "getData" => &[OpKind::GetData],
                "set" | "setData" => &[OpKind::SetData],
                "exists" => &[OpKind::Exists],
                "children" | "getChildren" => &[OpKind::GetChildren],
                "create" => &[OpKind::Create],
                "delete" => &[OpKind::Delete],
                "multi" => &[OpKind::Multi],
                "churn" => &[OpKind::Create, OpKind::Delete],
                other => {
                    return Err(format!(
                        "unknown operation `{other}` (get, set, exists, children, create, \
                         delete, churn, multi)"
                    ))
                }
            };
            let share = weight / kinds.len() as u32;
            let rest = weight % kinds.len() as u32;
            for (i, kind) in kinds.iter().enumerate() {
                weights[kind.index()] += share + u32::from(i == 0) * rest;
            }
        }
        let total = weights.iter().sum();
        if total == 0 {
            return Err("the mix has no operation with a weight above 0".to_string());
        }
        Ok(Mix { weights, total })
    }

    /// A weighted random operation.
    pub fn pick(&self, rng: &mut fastrand::Rng) -> OpKind {
        let mut r = rng.u32(0..self.total);
        for kind in OpKind::ALL {
            let w = self.weights[kind.index()];
            if r < w {
                return kind;
            }
            r -= w;
        }
        unreachable!("the weights add up to the total")
    }

    /// The canonical text form (`getData=80,setData=20`).
    pub fn describe(&self) -> String {
        OpKind::ALL
            .iter()
            .filter(|k| self.weights[k.index()] > 0)
            .map(|k| format!("{}={}", k.name(), self.weights[k.index()]))
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// Where the key space lives: `<root>/d<j>/k<i>` with `fanout` keys per
/// parent `d<j>`, and ephemerals under `<root>/eph`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    pub root: String,
    pub keys: u64,
    pub fanout: u64,
}

impl Layout {
    pub fn parents(&self) -> u64 {
        self.keys.div_ceil(self.fanout.max(1))
    }

    pub fn key_path(&self, i: u64, out: &mut String) {
        out.clear();
        let _ = write!(out, "{}/d{}/k{}", self.root, i / self.fanout.max(1), i);
    }

    pub fn parent_path(&self, j: u64, out: &mut String) {
        out.clear();
        let _ = write!(out, "{}/d{}", self.root, j);
    }

    pub fn ephemeral_prefix(&self) -> String {
        format!("{}/eph/e-", self.root)
    }
}

/// One workload: what to run against a server.
#[derive(Clone, Debug)]
pub struct Workload {
    pub sessions: usize,
    /// Requests in flight per session.
    pub outstanding: usize,
    pub mix: Mix,
    pub value_size: usize,
    pub layout: Layout,
    pub warmup: Duration,
    pub duration: Duration,
    pub session_timeout_ms: i32,
    /// Requests per second over all sessions (paced; `None`: as fast as
    /// the server answers, `outstanding` in flight per session).
    pub rate: Option<f64>,
}

/// How a run reports as it goes.
#[derive(Clone, Debug, Default)]
pub struct Progress {
    /// Print a progress line on stderr.
    pub enabled: bool,
    /// A label to start the line with.
    pub label: String,
}

impl Progress {
    pub fn print(&self, text: &str) {
        if !self.enabled {
            return;
        }
        use std::io::IsTerminal;
        if std::io::stderr().is_terminal() {
            eprint!("\r\x1b[2K{}{}", self.label, text);
        } else {
            eprintln!("{}{}", self.label, text);
        }
    }

    pub fn done(&self) {
        use std::io::IsTerminal;
        if self.enabled && std::io::stderr().is_terminal() {
            eprint!("\r\x1b[2K");
        }
    }

    /// How often to print: every second on a terminal, else every 5 s.
    fn interval(&self) -> Duration {
        use std::io::IsTerminal;
        if std::io::stderr().is_terminal() {
            Duration::from_secs(1)
        } else {
            Duration::from_secs(5)
        }
    }
}

const WARMUP: u8 = 0;
const MEASURE: u8 = 1;
const STOP: u8 = 2;

/// Latency samples go into the shared histograms in batches of this many.
const SAMPLE_BATCH: usize = 1024;

/// A histogram of latencies in nanoseconds (1 ns to 1 hour, 3 digits).
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000_000, 3).expect("valid histogram bounds")
}

/// What the sessions of a run share.
struct Shared {
    phase: AtomicU8,
    base: Instant,
    /// Replies received (any phase), for the progress line.
    completed: AtomicU64,
    /// When the last reply came (ns since `base`) and the longest time
    /// without any reply in the measured window.
    last_reply_ns: AtomicU64,
    max_gap_ns: AtomicU64,
    /// When the measured window began (ns since `base`).
    measure_start_ns: AtomicU64,
    histograms: Mutex<Vec<Histogram<u64>>>,
    /// The longest latency (ns) of the replies in each second of the
    /// measured window.
    timeline: Mutex<Vec<u64>>,
    /// Error replies by `op:code`.
    errors: Mutex<BTreeMap<String, u64>>,
}

impl Shared {
    fn now_ns(&self) -> u64 {
        self.base.elapsed().as_nanos() as u64
    }

    fn phase(&self) -> u8 {
        self.phase.load(Ordering::Relaxed)
    }

    fn merge(&self, rec: &mut Recorder) {
        {
            let mut hists = self.histograms.lock().unwrap_or_else(|e| e.into_inner());
            for (i, batch) in rec.samples.iter_mut().enumerate() {
                for &v in batch.iter() {
                    hists[i].saturating_record(v.max(1));
                }
                batch.clear();
            }
        }
        if !rec.timeline.is_empty() {
            let mut timeline = self.timeline.lock().unwrap_or_else(|e| e.into_inner());
            if timeline.len() < rec.timeline.len() {
                timeline.resize(rec.timeline.len(), 0);
            }
            for (t, v) in timeline.iter_mut().zip(rec.timeline.iter_mut()) {
                *t = (*t).max(*v);
                *v = 0;
            }
        }
    }
}

/// A session's measurements not yet merged into [`Shared`].
#[derive(Default)]
struct Recorder {
    /// Latencies (ns) per operation kind.
    samples: [Vec<u64>; 7],
    /// The longest latency per second of the measured window.
    timeline: Vec<u64>,
}

impl Recorder {
    fn full(&self) -> bool {
        self.samples.iter().any(|s| s.len() >= SAMPLE_BATCH)
    }
}

/// A request in flight.
struct InFlight {
    xid: i32,
    kind: OpKind,
    sent_ns: u64,
}

/// One session's loop: keep `outstanding` requests in flight until the
/// run stops, then drain and close.
async fn session_loop(
    mut conn: Connection,
    shared: Arc<Shared>,
    workload: Arc<Workload>,
    seed: u64,
) -> io::Result<()> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let data = Bytes::from(vec![b'x'; workload.value_size]);
    let acl = client::open_acl();
    let eph_prefix = workload.layout.ephemeral_prefix();
    let keys = workload.layout.keys.max(1);
    let parents = workload.layout.parents().max(1);
    let mut inflight: VecDeque<InFlight> = VecDeque::with_capacity(workload.outstanding);
    let mut own_ephemerals: VecDeque<String> = VecDeque::new();
    let mut rec = Recorder::default();
    let mut path = String::with_capacity(64);
    let mut path2 = String::with_capacity(64);
    let mut last_send = Instant::now();
    let ping_every = (conn.timeout / 3).max(Duration::from_millis(100));
    // With a rate, each session sends on a schedule (sessions / rate apart,
    // starting at a random offset) and a request's latency counts from its
    // scheduled time, so that a server stall also delays what it held up.
    let pace = workload
        .rate
        .filter(|r| *r > 0.0)
        .map(|r| Duration::from_secs_f64(workload.sessions as f64 / r));
    let mut next_at = Instant::now() + pace.map_or(Duration::ZERO, |p| p.mul_f64(rng.f64()));

    loop {
        let phase = shared.phase();
        if phase == STOP {
            break;
        }
        while inflight.len() < workload.outstanding {
            let sent_ns = match pace {
                Some(pace) => {
                    if next_at > Instant::now() {
                        break;
                    }
                    let at = next_at;
                    next_at += pace;
                    at.saturating_duration_since(shared.base).as_nanos() as u64
                }
                None => shared.now_ns(),
            };
            let mut kind = workload.mix.pick(&mut rng);
            if kind == OpKind::Delete && own_ephemerals.is_empty() {
                kind = OpKind::Create;
            }
            let xid = match kind {
                OpKind::GetData => {
                    workload.layout.key_path(rng.u64(0..keys), &mut path);
                    conn.queue_get_data(&path, false)
                }
                OpKind::SetData => {
                    workload.layout.key_path(rng.u64(0..keys), &mut path);
                    conn.queue_set_data(&path, &data)
                }
                OpKind::Exists => {
                    workload.layout.key_path(rng.u64(0..keys), &mut path);
                    conn.queue_exists(&path)
                }
                OpKind::GetChildren => {
                    workload.layout.parent_path(rng.u64(0..parents), &mut path);
                    conn.queue_get_children(&path)
                }
                OpKind::Create => {
                    conn.queue_create(&eph_prefix, &data, &acl, create_mode::EPHEMERAL_SEQUENTIAL)
                }
                OpKind::Delete => {
                    let victim = own_ephemerals.pop_front().expect("checked above");
                    conn.queue_delete(&victim)
                }
                OpKind::Multi => {
                    workload.layout.key_path(rng.u64(0..keys), &mut path);
                    workload.layout.key_path(rng.u64(0..keys), &mut path2);
                    conn.queue_multi_check_set(&path, &path2, &data)
                }
            };
            inflight.push_back(InFlight { xid, kind, sent_ns });
        }
        if conn.has_queued() {
            last_send = Instant::now();
        } else if last_send.elapsed() >= ping_every {
            // Only if replies stall for a third of the session timeout.
            conn.queue_ping();
            last_send = Instant::now();
        }
        conn.flush().await?;
        let mut wake = Instant::now() + ping_every;
        if pace.is_some() && inflight.len() < workload.outstanding {
            wake = wake.min(next_at);
        }
        let frame = tokio::time::timeout_at(wake.into(), conn.read_frame()).await;
        let frame = match frame {
            Ok(frame) => frame?,
            Err(_) => continue, // nothing in a while: ping (above) and wait on
        };
        let mut handled =
            handle_reply(frame, &mut inflight, &mut own_ephemerals, &mut rec, &shared)?;
        while let Some(frame) = conn.try_frame() {
            handled += handle_reply(frame, &mut inflight, &mut own_ephemerals, &mut rec, &shared)?;
        }
        if handled > 0 {
            shared.completed.fetch_add(handled, Ordering::Relaxed);
            if shared.phase() == MEASURE {
                let now = shared.now_ns();
                let last = shared.last_reply_ns.swap(now, Ordering::Relaxed);
                if last > 0 && now > last {
                    shared.max_gap_ns.fetch_max(now - last, Ordering::Relaxed);
                }
            }
        }
        if rec.full() {
            shared.merge(&mut rec);
        }
    }
    // Drain what is in flight (not measured any more), then close.
    while !inflight.is_empty() {
        let frame = tokio::time::timeout(PATIENCE, conn.read_frame())
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no reply while draining"))??;
        handle_reply(frame, &mut inflight, &mut own_ephemerals, &mut rec, &shared)?;
    }
    shared.merge(&mut rec);
    conn.close().await;
    Ok(())
}

/// Matches a reply with the oldest request in flight and records it.
/// Returns 1 for a reply to a request, 0 for a notification or ping.
fn handle_reply(
    frame: Bytes,
    inflight: &mut VecDeque<InFlight>,
    own_ephemerals: &mut VecDeque<String>,
    rec: &mut Recorder,
    shared: &Shared,
) -> io::Result<u64> {
    let reply = client::parse_reply(frame)?;
    let rxid = reply.header.xid;
    if rxid == xid::NOTIFICATION || rxid == xid::PING {
        return Ok(0);
    }
    let now = shared.now_ns();
    let Some(request) = inflight.pop_front() else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("a reply with xid {rxid} to no request"),
        ));
    };
    if request.xid != rxid {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "replies out of order: got xid {rxid}, expected {} ({})",
                request.xid,
                request.kind.name()
            ),
        ));
    }
    let err = reply.header.err;
    if err != 0 {
        let mut errors = shared.errors.lock().unwrap_or_else(|e| e.into_inner());
        let name = ErrorCode::from_code(err).map_or_else(|| err.to_string(), |c| format!("{c:?}"));
        *errors
            .entry(format!("{}:{}", request.kind.name(), name))
            .or_default() += 1;
    } else if request.kind == OpKind::Create {
        if let Some(path) = client::created_path(&reply.body) {
            own_ephemerals.push_back(path);
        }
    }
    if shared.phase() == MEASURE {
        let latency = now.saturating_sub(request.sent_ns);
        rec.samples[request.kind.index()].push(latency);
        let second = (now.saturating_sub(shared.measure_start_ns.load(Ordering::Relaxed))
            / 1_000_000_000) as usize;
        if rec.timeline.len() <= second {
            rec.timeline.resize(second + 1, 0);
        }
        rec.timeline[second] = rec.timeline[second].max(latency);
    }
    Ok(1)
}

/// The CPU counters at one moment.
struct CpuMark {
    at: Instant,
    server: Option<Duration>,
    client: Option<Duration>,
    machine: Option<procfs::MachineCpu>,
}

impl CpuMark {
    fn take(pid: Option<u32>) -> CpuMark {
        CpuMark {
            at: Instant::now(),
            server: pid.and_then(|p| procfs::process_cpu(p).ok()),
            client: procfs::own_cpu().ok(),
            machine: procfs::MachineCpu::read().ok(),
        }
    }
}

/// Opens `n` sessions, at most 256 handshakes at a time.
pub async fn connect_sessions(
    addr: SocketAddr,
    n: usize,
    timeout_ms: i32,
) -> io::Result<Vec<Connection>> {
    let gate = Arc::new(tokio::sync::Semaphore::new(256));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..n {
        let gate = Arc::clone(&gate);
        tasks.spawn(async move {
            let _permit = gate.acquire().await;
            (i, Connection::connect(addr, timeout_ms).await)
        });
    }
    let mut conns: Vec<Option<Connection>> = (0..n).map(|_| None).collect();
    while let Some(joined) = tasks.join_next().await {
        let (i, conn) = joined.map_err(io::Error::other)?;
        conns[i] = Some(conn.map_err(|e| io::Error::new(e.kind(), format!("session {i}: {e}")))?);
    }
    Ok(conns.into_iter().map(|c| c.expect("joined")).collect())
}

/// Runs `workload` against the server at `addr`. `pid` is the server's
/// process (for its CPU time and memory), if it is local.
pub async fn run(
    addr: SocketAddr,
    workload: &Workload,
    pid: Option<u32>,
    progress: &Progress,
) -> io::Result<RunReport> {
    if workload.sessions == 0 || workload.outstanding == 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "sessions and outstanding must be at least 1",
        ));
    }
    prepare(addr, &workload.layout, workload.value_size, progress).await?;
    let conns = connect_sessions(addr, workload.sessions, workload.session_timeout_ms).await?;
    let shared = Arc::new(Shared {
        phase: AtomicU8::new(WARMUP),
        base: Instant::now(),
        completed: AtomicU64::new(0),
        last_reply_ns: AtomicU64::new(0),
        max_gap_ns: AtomicU64::new(0),
        measure_start_ns: AtomicU64::new(0),
        timeline: Mutex::new(Vec::new()),
        histograms: Mutex::new(OpKind::ALL.iter().map(|_| new_histogram()).collect()),
        errors: Mutex::new(BTreeMap::new()),
    });
    let workload_arc = Arc::new(workload.clone());
    let mut tasks = tokio::task::JoinSet::new();
    let seed = fastrand::u64(..);
    for (i, conn) in conns.into_iter().enumerate() {
        tasks.spawn(session_loop(
            conn,
            Arc::clone(&shared),
            Arc::clone(&workload_arc),
            seed.wrapping_add((i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)),
        ));
    }

    let watch_progress = |phase_name: &str, started: Instant, length: Duration| {
        let shared = Arc::clone(&shared);
        let progress = progress.clone();
        let phase_name = phase_name.to_string();
        async move {
            let interval = progress.interval();
            let mut last_count = shared.completed.load(Ordering::Relaxed);
            let mut last_at = Instant::now();
            let end = started + length;
            loop {
                let now = Instant::now();
                if now >= end {
                    break;
                }
                tokio::time::sleep((end - now).min(interval)).await;
                let count = shared.completed.load(Ordering::Relaxed);
                let rate = (count - last_count) as f64 / last_at.elapsed().as_secs_f64();
                last_count = count;
                last_at = Instant::now();
                let errors: u64 = shared
                    .errors
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .values()
                    .sum();
                progress.print(&format!(
                    "{phase_name} {:>3.0}/{:.0} s  {:>9.0} ops/s  errors {errors}",
                    started.elapsed().as_secs_f64().min(length.as_secs_f64()),
                    length.as_secs_f64(),
                    rate
                ));
            }
        }
    };

    let failed = |tasks: &mut tokio::task::JoinSet<io::Result<()>>| -> Option<io::Error> {
        // A session that ended early ended with an error.
        tasks.try_join_next().map(|r| match r {
            Ok(Ok(())) => io::Error::other("a session ended early"),
            Ok(Err(e)) => e,
            Err(e) => io::Error::other(e),
        })
    };

    watch_progress("warm-up", Instant::now(), workload.warmup).await;
    if let Some(e) = failed(&mut tasks) {
        shared.phase.store(STOP, Ordering::Relaxed);
        return Err(e);
    }
    let start = CpuMark::take(pid);
    let measure_start_unix_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1e3);
    shared.measure_start_ns.store(
        start.at.saturating_duration_since(shared.base).as_nanos() as u64,
        Ordering::Relaxed,
    );
    shared.phase.store(MEASURE, Ordering::Relaxed);
    watch_progress("measure", start.at, workload.duration).await;
    shared.phase.store(STOP, Ordering::Relaxed);
    let end = CpuMark::take(pid);
    progress.done();
    let rss = pid.and_then(|p| procfs::process_rss(p).ok());
    let mut first_error = None;
    while let Some(joined) = tasks.join_next().await {
        let result = joined.map_err(io::Error::other).and_then(|r| r);
        if let Err(e) = result {
            first_error.get_or_insert(e);
        }
    }
    if let Some(e) = first_error {
        return Err(e);
    }

    let elapsed = end.at - start.at;
    let hists = shared
        .histograms
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let errors = shared
        .errors
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let mut ops = BTreeMap::new();
    let mut all = new_histogram();
    for kind in OpKind::ALL {
        let h = &hists[kind.index()];
        if h.is_empty() {
            continue;
        }
        all.add(h).expect("same bounds");
        ops.insert(
            kind.name().to_string(),
            OpReport::from_histogram(h, elapsed),
        );
    }
    let total = OpReport::from_histogram(&all, elapsed);
    let timeline: Vec<f64> = shared
        .timeline
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .map(|ns| *ns as f64 / 1e3)
        .collect();
    let total_ops = total.ops;
    let per_op = |cpu: Duration| {
        if total_ops == 0 {
            None
        } else {
            Some(cpu.as_secs_f64() * 1e6 / total_ops as f64)
        }
    };
    let server_cpu = match (start.server, end.server) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a)),
        _ => None,
    };
    let client_cpu = match (start.client, end.client) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a)),
        _ => None,
    };
    Ok(RunReport {
        sessions: workload.sessions,
        outstanding: workload.outstanding,
        mix: workload.mix.describe(),
        rate: workload.rate,
        value_size: workload.value_size,
        keys: workload.layout.keys,
        warmup_s: workload.warmup.as_secs_f64(),
        duration_s: elapsed.as_secs_f64(),
        total,
        ops,
        errors,
        longest_gap_us: shared.max_gap_ns.load(Ordering::Relaxed) as f64 / 1e3,
        measure_start_unix_ms,
        timeline_max_us: timeline,
        server: ServerUsage {
            pid,
            cpu_s: server_cpu.map(|c| c.as_secs_f64()),
            cpu_us_per_op: server_cpu.and_then(per_op),
            cores_used: server_cpu.map(|c| c.as_secs_f64() / elapsed.as_secs_f64()),
            rss_bytes: rss,
        },
        client_cpu_us_per_op: client_cpu.and_then(per_op),
        client_cores_used: client_cpu.map(|c| c.as_secs_f64() / elapsed.as_secs_f64()),
        machine_busy: match (start.machine, end.machine) {
            (Some(a), Some(b)) => Some(a.busy_since(&b)),
            _ => None,
        },
        load_average: procfs::load_average(),
    })
}

/// Sends one request (queued by `queue`) and waits for its answer.
async fn call(
    conn: &mut Connection,
    queue: impl FnOnce(&mut Connection) -> i32,
) -> io::Result<Reply> {
    queue(conn);
    conn.call().await
}

fn check(reply: &Reply, what: &str, allowed: &[ErrorCode]) -> io::Result<()> {
    let err = reply.header.err;
    if err == 0 || allowed.iter().any(|c| *c as i32 == err) {
        Ok(())
    } else {
        Err(io::Error::other(format!("{what}: error {err}")))
    }
}

/// Makes sure the key space exists: `<root>`, `<root>/eph`, the parents
/// and the keys with values of `value_size` bytes. Skipped when the last
/// key already exists with a value of that size (keys are created in
/// order, so then all are there).
pub async fn prepare(
    addr: SocketAddr,
    layout: &Layout,
    value_size: usize,
    progress: &Progress,
) -> io::Result<PrepareReport> {
    let started = Instant::now();
    let mut conn = Connection::connect(addr, 30_000).await?;
    let acl = client::open_acl();
    let empty = Bytes::new();
    let data = Bytes::from(vec![b'x'; value_size]);
    let mut path = String::new();
    layout.key_path(layout.keys.saturating_sub(1), &mut path);
    let last = call(&mut conn, |c| c.queue_exists(&path)).await?;
    if last.header.err == 0 {
        let stat = Stat::decode(&last.body, Limits::default())
            .map_err(|e| io::Error::other(format!("bad exists reply: {e}")))?;
        if stat.data_length as usize == value_size {
            conn.close().await;
            return Ok(PrepareReport {
                created: 0,
                seconds: started.elapsed().as_secs_f64(),
            });
        }
    }
    for dir in [layout.root.clone(), format!("{}/eph", layout.root)] {
        let reply = call(&mut conn, |c| {
            c.queue_create(&dir, &empty, &acl, create_mode::PERSISTENT)
        })
        .await?;
        check(&reply, &format!("create {dir}"), &[ErrorCode::NodeExists])?;
    }
    // The parents, then the keys: pipelined over a few sessions.
    let parents = layout.parents();
    let parent_paths = Arc::new(layout.clone());
    pipelined(
        addr,
        parents,
        move |i, conn, path| {
            parent_paths.parent_path(i, path);
            conn.queue_create(path, &Bytes::new(), &client::open_acl(), 0)
        },
        progress,
        "creating parents",
    )
    .await?;
    let key_paths = Arc::new(layout.clone());
    let key_data = data.clone();
    pipelined(
        addr,
        layout.keys,
        move |i, conn, path| {
            key_paths.key_path(i, path);
            conn.queue_create(path, &key_data, &client::open_acl(), 0)
        },
        progress,
        "creating keys",
    )
    .await?;
    if last.header.err == 0 {
        // The key space was there with values of another size: resize them.
        let key_paths = Arc::new(layout.clone());
        pipelined(
            addr,
            layout.keys,
            move |i, conn, path| {
                key_paths.key_path(i, path);
                conn.queue_set_data(path, &data)
            },
            progress,
            "resizing values",
        )
        .await?;
    }
    conn.close().await;
    Ok(PrepareReport {
        created: layout.keys,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// What [`prepare`] did.
#[derive(Clone, Copy, Debug)]
pub struct PrepareReport {
    /// Keys it created (0 if the key space was there).
    pub created: u64,
    pub seconds: f64,
}

/// Sends requests `0..n` (each queued by `queue(i, conn, scratch)`) over 8
/// sessions with 64 in flight each, in order within a session. A reply of
/// NodeExists is accepted (the thing is there); a create that finds its
/// node with a value of another size is not corrected.
async fn pipelined<F>(
    addr: SocketAddr,
    n: u64,
    queue: F,
    progress: &Progress,
    what: &str,
) -> io::Result<()>
where
    F: Fn(u64, &mut Connection, &mut String) -> i32 + Send + Sync + 'static,
{
    const SESSIONS: u64 = 8;
    const WINDOW: usize = 64;
    if n == 0 {
        return Ok(());
    }
    let queue = Arc::new(queue);
    let done = Arc::new(AtomicU64::new(0));
    let sessions = SESSIONS.min(n);
    let mut tasks = tokio::task::JoinSet::new();
    // Contiguous ranges, so that each parent's children come from one session
    // and the last key is created last by its session.
    let per = n.div_ceil(sessions);
    for s in 0..sessions {
        let range = (s * per)..((s + 1) * per).min(n);
        let queue = Arc::clone(&queue);
        let done = Arc::clone(&done);
        tasks.spawn(async move {
            let mut conn = Connection::connect(addr, 30_000).await?;
            let mut path = String::new();
            let mut next = range.start;
            let mut inflight = 0usize;
            while next < range.end || inflight > 0 {
                while inflight < WINDOW && next < range.end {
                    queue(next, &mut conn, &mut path);
                    next += 1;
                    inflight += 1;
                }
                conn.flush().await?;
                let reply = tokio::time::timeout(PATIENCE, conn.read_reply())
                    .await
                    .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no reply in time"))??;
                if reply.header.xid == xid::NOTIFICATION || reply.header.xid == xid::PING {
                    continue;
                }
                check(&reply, "create", &[ErrorCode::NodeExists])?;
                inflight -= 1;
                done.fetch_add(1, Ordering::Relaxed);
            }
            conn.close().await;
            Ok::<(), io::Error>(())
        });
    }
    let started = Instant::now();
    let mut ticker = tokio::time::interval(progress.interval());
    ticker.tick().await;
    loop {
        tokio::select! {
            joined = tasks.join_next() => match joined {
                None => break,
                Some(result) => result.map_err(io::Error::other)??,
            },
            _ = ticker.tick() => {
                let d = done.load(Ordering::Relaxed);
                progress.print(&format!(
                    "{what}: {d}/{n} ({:.0}/s)",
                    d as f64 / started.elapsed().as_secs_f64()
                ));
            }
        }
    }
    progress.done();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mixes_parse_and_draw_by_weight() {
        let mix = Mix::parse("get=80, set=20").unwrap();
        assert_eq!(mix.describe(), "getData=80,setData=20");
        let mut rng = fastrand::Rng::with_seed(7);
        let gets = (0..10_000)
            .filter(|_| mix.pick(&mut rng) == OpKind::GetData)
            .count();
        assert!((7_500..8_500).contains(&gets), "{gets}");
        assert_eq!(
            Mix::parse("churn=10,multi=1").unwrap().describe(),
            "create=5,delete=5,multi=1"
        );
        assert!(Mix::parse("get=0").is_err());
        assert!(Mix::parse("frob=1").is_err());
        assert!(Mix::parse("get").is_err());
    }

    #[test]
    fn the_layout_puts_fanout_keys_under_each_parent() {
        let layout = Layout {
            root: "/b".into(),
            keys: 25,
            fanout: 10,
        };
        assert_eq!(layout.parents(), 3);
        let mut p = String::new();
        layout.key_path(24, &mut p);
        assert_eq!(p, "/b/d2/k24");
        layout.parent_path(1, &mut p);
        assert_eq!(p, "/b/d1");
    }
}
