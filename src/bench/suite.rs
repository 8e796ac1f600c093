//! `rzk bench suite` (what `make bench` runs): starts a Java ZooKeeper
//! 3.9.5 server and an rzk server with the same settings, runs the same
//! scenarios against each — alternating, so that machine noise hits both —
//! then the scale figures on a million znodes, and prints every figure for
//! both with the ratio rzk/Java and the target.

use std::fmt::Write as _;
use std::io;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;

use super::client::Connection;
use super::fanout::{self, FanoutConfig};
use super::procfs::{self, MachineInfo};
use super::report::{median, micros, thousands, FanoutReport, RunReport};
use super::server::{Kind, Programs, Server, SnapshotFile, COMMON_CFG};
use super::workload::{self, Layout, Mix, Progress, Workload};

/// What the suite runs.
#[derive(Clone, Debug)]
pub struct SuiteConfig {
    pub programs: Programs,
    /// Holds the servers' directories (on the disk being measured).
    pub work_dir: PathBuf,
    pub warmup: Duration,
    pub duration: Duration,
    /// Runs of each scenario on each server.
    pub repeat: usize,
    pub sessions: usize,
    pub outstanding: usize,
    pub keys: u64,
    pub fanout: u64,
    pub value_size: usize,
    /// An unmeasured mixed run on each server first (JIT, caches).
    pub server_warmup: Duration,
    pub watchers: usize,
    pub watch_rounds: usize,
    /// Scale test: parents × children znodes (0 children skips it).
    pub scale_parents: u64,
    pub scale_children: u64,
    pub scale_value_size: usize,
    /// The measured write load on the big tree, during which snapshots are
    /// written.
    pub stall_duration: Duration,
    /// Its paced setData rate.
    pub stall_rate: f64,
    pub client_threads: usize,
    /// Scenario names to run; empty for all.
    pub only: Vec<String>,
    pub progress: bool,
    /// Keep the servers' directories afterwards.
    pub keep: bool,
}

/// What a scenario's targets apply to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    /// Saturating reads: throughput ≥ 3×, CPU/op ≤ ⅓.
    Reads,
    /// Saturating writes: throughput ≥ 2×, CPU/op ≤ ½.
    Writes,
    /// A mix: only the p99 target.
    Mixed,
    /// One request at a time: CPU/op ≤ ⅓ (reads) or ½ (writes), p99.
    LatencyRead,
    LatencyWrite,
}

struct Scenario {
    name: &'static str,
    title: &'static str,
    sessions: Option<usize>,
    outstanding: Option<usize>,
    mix: &'static str,
    class: Class,
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "read",
        title: "100% reads (getData)",
        sessions: None,
        outstanding: None,
        mix: "get=100",
        class: Class::Reads,
    },
    Scenario {
        name: "write",
        title: "100% writes (setData)",
        sessions: None,
        outstanding: None,
        mix: "set=100",
        class: Class::Writes,
    },
    Scenario {
        name: "mixed",
        title: "80% getData / 20% setData",
        sessions: None,
        outstanding: None,
        mix: "get=80,set=20",
        class: Class::Mixed,
    },
    Scenario {
        name: "churn",
        title: "ephemeral sequential create/delete churn",
        sessions: None,
        outstanding: None,
        mix: "churn=100",
        class: Class::Writes,
    },
    Scenario {
        name: "all-ops",
        title: "every operation (get 40, exists 15, children 10, set 15, multi 10, churn 10)",
        sessions: None,
        outstanding: None,
        mix: "get=40,exists=15,children=10,set=15,multi=10,churn=10",
        class: Class::Mixed,
    },
    Scenario {
        name: "latency-read",
        title: "1 session, 1 outstanding: getData",
        sessions: Some(1),
        outstanding: Some(1),
        mix: "get=100",
        class: Class::LatencyRead,
    },
    Scenario {
        name: "latency-write",
        title: "1 session, 1 outstanding: setData",
        sessions: Some(1),
        outstanding: Some(1),
        mix: "set=100",
        class: Class::LatencyWrite,
    },
];

/// All scenario names `--only` knows.
pub fn scenario_names() -> Vec<&'static str> {
    let mut names: Vec<&str> = SCENARIOS.iter().map(|s| s.name).collect();
    names.extend(["fanout", "scale"]);
    names
}

/// A target on one figure.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Target {
    RatioAtLeast(f64),
    RatioAtMost(f64),
    RzkAtMost(f64),
}

impl Target {
    fn describe(self) -> String {
        match self {
            Target::RatioAtLeast(r) => format!(">= {}x", fraction(r)),
            Target::RatioAtMost(r) => format!("<= {}x", fraction(r)),
            Target::RzkAtMost(v) => format!("rzk <= {v}"),
        }
    }

    fn met(self, rzk: Option<f64>, ratio: Option<f64>) -> Option<bool> {
        match self {
            Target::RatioAtLeast(r) => ratio.map(|x| x >= r),
            Target::RatioAtMost(r) => ratio.map(|x| x <= r),
            Target::RzkAtMost(v) => rzk.map(|x| x <= v),
        }
    }
}

fn fraction(r: f64) -> String {
    for (d, text) in [(3.0, "1/3"), (2.0, "1/2"), (4.0, "1/4"), (5.0, "1/5")] {
        if (r - 1.0 / d).abs() < 1e-9 {
            return text.to_string();
        }
    }
    format!("{r}")
}

/// One line of the side-by-side table.
#[derive(Clone, Debug, Serialize)]
pub struct Figure {
    pub scenario: String,
    pub figure: String,
    pub java: Option<f64>,
    pub rzk: Option<f64>,
    /// rzk / Java.
    pub ratio: Option<f64>,
    pub target: Option<String>,
    pub met: Option<bool>,
    /// How to print the values.
    #[serde(skip)]
    format: Format,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Count,
    Micros,
    Decimal2,
    Millis,
    Bytes,
}

impl Format {
    fn show(self, v: Option<f64>) -> String {
        let Some(v) = v else {
            return "-".to_string();
        };
        match self {
            Format::Count => thousands(v),
            Format::Micros => micros(v),
            Format::Decimal2 => format!("{v:.2}"),
            Format::Millis => format!("{v:.1}"),
            Format::Bytes => {
                if v >= 1024.0 * 1024.0 {
                    format!("{:.1} MiB", v / 1048576.0)
                } else {
                    thousands(v)
                }
            }
        }
    }
}

fn figure(
    scenario: &str,
    name: &str,
    format: Format,
    java: Option<f64>,
    rzk: Option<f64>,
    target: Option<Target>,
) -> Figure {
    let ratio = match (java, rzk) {
        (Some(j), Some(r)) if j > 0.0 => Some(r / j),
        _ => None,
    };
    Figure {
        scenario: scenario.to_string(),
        figure: name.to_string(),
        java,
        rzk,
        ratio,
        target: target.map(Target::describe),
        met: target.and_then(|t| t.met(rzk, ratio)),
        format,
    }
}

/// A scenario's runs on both servers.
#[derive(Clone, Debug, Serialize)]
pub struct ScenarioResult {
    pub name: String,
    pub title: String,
    pub java: Vec<RunReport>,
    pub rzk: Vec<RunReport>,
}

/// The fan-out's runs on both servers.
#[derive(Clone, Debug, Serialize)]
pub struct FanoutResult {
    pub java: Vec<FanoutReport>,
    pub rzk: Vec<FanoutReport>,
}

/// The scale figures of one server.
#[derive(Clone, Debug, Serialize)]
pub struct ScaleReport {
    pub znodes: u64,
    pub rss_empty_bytes: u64,
    pub rss_full_bytes: u64,
    /// (RSS full − RSS empty) / znodes.
    pub bytes_per_znode: f64,
    pub fill_seconds: f64,
    pub fill_creates_per_s: f64,
    /// The write load on the big tree while snapshots are written.
    pub stall_run: Option<RunReport>,
    /// Snapshots that appeared during the stall run.
    pub snapshots_during_stall: usize,
    /// When each was being written: [created, last written + 1 s] in ms
    /// from the start of the measured window.
    pub snapshot_windows_ms: Vec<[f64; 2]>,
    /// The longest request latency in the seconds during which a snapshot
    /// was being written, and in the other seconds.
    pub max_latency_during_snapshots_ms: Option<f64>,
    pub max_latency_otherwise_ms: Option<f64>,
    /// Reads at 1000/s from 4 other sessions during the stall run.
    pub read_probe: Option<RunReport>,
    pub max_read_latency_during_snapshots_ms: Option<f64>,
    pub max_read_latency_otherwise_ms: Option<f64>,
    /// From spawning the process to the first successful getData.
    pub restart_to_serving_ms: f64,
    pub rss_after_restart_bytes: u64,
    /// The largest snapshot file after the restart.
    pub snapshot_bytes: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct ScaleResult {
    pub java: Option<ScaleReport>,
    pub rzk: Option<ScaleReport>,
}

/// Everything the suite measured.
#[derive(Clone, Debug, Serialize)]
pub struct SuiteReport {
    pub date: String,
    pub machine: MachineInfo,
    pub load_average_before: Option<f64>,
    pub load_average_after: Option<f64>,
    pub command: String,
    pub settings: Settings,
    pub scenarios: Vec<ScenarioResult>,
    pub fanout: Option<FanoutResult>,
    pub scale: Option<ScaleResult>,
    pub summary: Vec<Figure>,
    /// Runs that failed (they are missing from the figures).
    pub failures: Vec<String>,
    pub seconds: f64,
}

/// The settings, for the report.
#[derive(Clone, Debug, Serialize)]
pub struct Settings {
    pub zoo_cfg: Vec<String>,
    pub java_heap: String,
    pub sessions: usize,
    pub outstanding: usize,
    pub keys: u64,
    pub children_per_parent: u64,
    pub value_size: usize,
    pub warmup_s: f64,
    pub duration_s: f64,
    pub repeat: usize,
    pub server_warmup_s: f64,
    pub watchers: usize,
    pub watch_rounds: usize,
    pub scale_znodes: u64,
    pub stall_duration_s: f64,
    pub stall_rate: f64,
    pub client_threads: usize,
}

const ROOT: &str = "/rzk-bench";
const SCALE_ROOT: &str = "/rzk-scale";

/// How long one probe of a restarted server may wait for its answer.
const RESTART_PROBE_TIMEOUT: Duration = Duration::from_millis(100);

impl SuiteConfig {
    fn wants(&self, name: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|o| o == name)
    }

    fn layout(&self) -> Layout {
        Layout {
            root: ROOT.to_string(),
            keys: self.keys,
            fanout: self.fanout,
        }
    }

    fn progress(&self, label: String) -> Progress {
        Progress {
            enabled: self.progress,
            label,
        }
    }

    fn settings(&self) -> Settings {
        Settings {
            zoo_cfg: COMMON_CFG.iter().map(|(k, v)| format!("{k}={v}")).collect(),
            java_heap: self.programs.java_heap.clone(),
            sessions: self.sessions,
            outstanding: self.outstanding,
            keys: self.keys,
            children_per_parent: self.fanout,
            value_size: self.value_size,
            warmup_s: self.warmup.as_secs_f64(),
            duration_s: self.duration.as_secs_f64(),
            repeat: self.repeat,
            server_warmup_s: self.server_warmup.as_secs_f64(),
            watchers: self.watchers,
            watch_rounds: self.watch_rounds,
            scale_znodes: self.scale_parents * self.scale_children,
            stall_duration_s: self.stall_duration.as_secs_f64(),
            stall_rate: self.stall_rate,
            client_threads: self.client_threads,
        }
    }
}

/// The order of the servers in repeat `r`: Java first in even repeats.
fn order(r: usize) -> [Kind; 2] {
    if r % 2 == 0 {
        [Kind::Java, Kind::Rzk]
    } else {
        [Kind::Rzk, Kind::Java]
    }
}

fn say(text: &str) {
    eprintln!("[bench] {text}");
}

/// Runs the suite; returns the report (the caller prints it).
pub fn run(config: &SuiteConfig, command: String) -> io::Result<SuiteReport> {
    config.programs.check().map_err(io::Error::other)?;
    let started = Instant::now();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config.client_threads.max(1))
        .enable_all()
        .build()?;
    let load_before = procfs::load_average();
    std::fs::create_dir_all(&config.work_dir)?;
    let mut failures = Vec::new();
    let mut scenarios = Vec::new();
    let mut fanout_result = None;

    let wants_main = SCENARIOS.iter().any(|s| config.wants(s.name)) || config.wants("fanout");
    if wants_main {
        say("starting Java ZooKeeper 3.9.5 and rzk");
        let mut java = Server::start(Kind::Java, &config.programs, &config.work_dir.join("java"))?;
        let mut rzk = Server::start(Kind::Rzk, &config.programs, &config.work_dir.join("rzk"))?;
        let servers = |kind: Kind| -> (std::net::SocketAddr, Option<u32>) {
            match kind {
                Kind::Java => (java.addr(), java.pid()),
                Kind::Rzk => (rzk.addr(), rzk.pid()),
            }
        };
        let layout = config.layout();
        for kind in [Kind::Java, Kind::Rzk] {
            let (addr, _) = servers(kind);
            say(&format!("{kind}: creating {} keys", config.keys));
            runtime.block_on(workload::prepare(
                addr,
                &layout,
                config.value_size,
                &config.progress(format!("[{kind}] ")),
            ))?;
        }
        if !config.server_warmup.is_zero() {
            for kind in [Kind::Java, Kind::Rzk] {
                let (addr, pid) = servers(kind);
                say(&format!(
                    "{kind}: warming up ({:.0} s of 80/20, not measured)",
                    config.server_warmup.as_secs_f64()
                ));
                let w = Workload {
                    sessions: config.sessions,
                    outstanding: config.outstanding,
                    mix: Mix::parse("get=80,set=20").expect("valid mix"),
                    value_size: config.value_size,
                    layout: layout.clone(),
                    warmup: config.server_warmup,
                    duration: Duration::from_secs(1),
                    session_timeout_ms: 30_000,
                    rate: None,
                };
                let result = runtime.block_on(workload::run(
                    addr,
                    &w,
                    pid,
                    &config.progress(format!("[{kind} warm-up] ")),
                ));
                if let Err(e) = result {
                    failures.push(format!("{kind} warm-up: {e}"));
                }
            }
        }
        for scenario in SCENARIOS.iter().filter(|s| config.wants(s.name)) {
            let mut result = ScenarioResult {
                name: scenario.name.to_string(),
                title: scenario.title.to_string(),
                java: Vec::new(),
                rzk: Vec::new(),
            };
            let w = Workload {
                sessions: scenario.sessions.unwrap_or(config.sessions),
                outstanding: scenario.outstanding.unwrap_or(config.outstanding),
                mix: Mix::parse(scenario.mix).expect("valid mix"),
                value_size: config.value_size,
                layout: layout.clone(),
                warmup: config.warmup,
                duration: config.duration,
                session_timeout_ms: 30_000,
                rate: None,
            };
            for r in 0..config.repeat {
                for kind in order(r) {
                    let (addr, pid) = servers(kind);
                    say(&format!(
                        "{}: {kind} (run {}/{})",
                        scenario.name,
                        r + 1,
                        config.repeat
                    ));
                    let label = format!("[{} {kind}] ", scenario.name);
                    match runtime.block_on(workload::run(addr, &w, pid, &config.progress(label))) {
                        Ok(report) => {
                            say(&format!(
                                "  {} ops/s, p99 {} us, server {} us/op",
                                thousands(report.total.ops_per_s),
                                micros(report.total.latency_us.p99),
                                report
                                    .server
                                    .cpu_us_per_op
                                    .map_or("-".into(), |v| format!("{v:.1}"))
                            ));
                            match kind {
                                Kind::Java => result.java.push(report),
                                Kind::Rzk => result.rzk.push(report),
                            }
                        }
                        Err(e) => {
                            say(&format!("  failed: {e}"));
                            failures.push(format!("{} on {kind}: {e}", scenario.name));
                        }
                    }
                }
            }
            scenarios.push(result);
        }
        if config.wants("fanout") && config.watchers > 0 {
            let mut result = FanoutResult {
                java: Vec::new(),
                rzk: Vec::new(),
            };
            let fc = FanoutConfig {
                watchers: config.watchers,
                rounds: config.watch_rounds,
                root: ROOT.to_string(),
                session_timeout_ms: 40_000,
            };
            for r in 0..config.repeat {
                for kind in order(r) {
                    let (addr, pid) = servers(kind);
                    say(&format!(
                        "fan-out: {kind}, {} watchers (run {}/{})",
                        config.watchers,
                        r + 1,
                        config.repeat
                    ));
                    let label = format!("[fanout {kind}] ");
                    match runtime.block_on(fanout::run(addr, &fc, pid, &config.progress(label))) {
                        Ok(report) => {
                            say(&format!(
                                "  all notified after {:.1} ms (median)",
                                report.all_notified_median_ms
                            ));
                            match kind {
                                Kind::Java => result.java.push(report),
                                Kind::Rzk => result.rzk.push(report),
                            }
                        }
                        Err(e) => {
                            say(&format!("  failed: {e}"));
                            failures.push(format!("fanout on {kind}: {e}"));
                        }
                    }
                }
            }
            fanout_result = Some(result);
        }
        java.stop();
        rzk.stop();
        save_log(&java, &config.work_dir, "java");
        save_log(&rzk, &config.work_dir, "rzk");
        if !config.keep {
            let _ = std::fs::remove_dir_all(java.dir());
            let _ = std::fs::remove_dir_all(rzk.dir());
        }
    }

    let mut scale = None;
    if config.wants("scale") && config.scale_children > 0 && config.scale_parents > 0 {
        let mut result = ScaleResult {
            java: None,
            rzk: None,
        };
        for kind in [Kind::Java, Kind::Rzk] {
            match scale_test(config, kind, &runtime) {
                Ok(report) => match kind {
                    Kind::Java => result.java = Some(report),
                    Kind::Rzk => result.rzk = Some(report),
                },
                Err(e) => {
                    say(&format!("scale on {kind} failed: {e}"));
                    failures.push(format!("scale on {kind}: {e}"));
                }
            }
        }
        scale = Some(result);
    }

    let mut report = SuiteReport {
        date: jiff::Timestamp::now()
            .strftime("%Y-%m-%d %H:%M UTC")
            .to_string(),
        machine: MachineInfo::read(),
        load_average_before: load_before,
        load_average_after: procfs::load_average(),
        command,
        settings: config.settings(),
        scenarios,
        fanout: fanout_result,
        scale,
        summary: Vec::new(),
        failures,
        seconds: started.elapsed().as_secs_f64(),
    };
    report.summary = summarize(&report);
    Ok(report)
}

/// The zxid `srvr` reports.
fn served_zxid(server: &Server) -> io::Result<i64> {
    let reply = super::server::four_letter_word(server.addr().port(), "srvr")?;
    reply
        .lines()
        .find_map(|l| l.strip_prefix("Zxid: 0x"))
        .and_then(|hex| i64::from_str_radix(hex.trim(), 16).ok())
        .ok_or_else(|| io::Error::other(format!("{server}: no Zxid in srvr: {reply:?}")))
}

/// Waits until `server` has a whole snapshot of the tree at `zxid` or
/// later: the newest file is named for such a zxid, ends as a complete
/// snapshot does (`isValidSnapshot`) and its size holds still for 200 ms (a
/// background writer appends in steps).
fn wait_for_whole_snapshot(server: &Server, zxid: i64, patience: Duration) -> io::Result<()> {
    let deadline = Instant::now() + patience;
    let mut last: Option<(String, u64)> = None;
    loop {
        let newest = server.snapshots().pop().map(|f| (f.name, f.size));
        let valid = newest.as_ref().is_some_and(|(name, _)| {
            crate::snapshot::zxid_from_name(name, "snapshot") >= zxid
                && crate::snapshot::is_valid_snapshot(&server.version_dir().join(name))
                    .unwrap_or(false)
        });
        if valid && newest == last {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("{server}: no whole snapshot after {patience:?} (newest: {newest:?})"),
            ));
        }
        last = newest;
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Keeps a server's log as `<work_dir>/<name>.log` (its data dir is
/// deleted unless `--keep`): where a figure's time went can be read there.
fn save_log(server: &Server, work_dir: &std::path::Path, name: &str) {
    let to = work_dir.join(format!("{name}.log"));
    if let Err(e) = std::fs::copy(server.log_path(), &to) {
        say(&format!("could not keep {}: {e}", to.display()));
    }
}

/// Fills a fresh server with the big tree and takes the scale figures.
fn scale_test(
    config: &SuiteConfig,
    kind: Kind,
    runtime: &tokio::runtime::Runtime,
) -> io::Result<ScaleReport> {
    let znodes = config.scale_parents * config.scale_children;
    let layout = Layout {
        root: SCALE_ROOT.to_string(),
        keys: znodes,
        fanout: config.scale_children,
    };
    say(&format!("scale: {kind}, fresh server"));
    let mut server = Server::start(
        kind,
        &config.programs,
        &config.work_dir.join(format!("scale-{kind}")),
    )?;
    let pid = server.pid().expect("running");
    // Let the JVM (or rzk) settle after start-up.
    std::thread::sleep(Duration::from_secs(2));
    let rss_empty = procfs::process_rss(pid)?;
    say(&format!(
        "scale: {kind}: creating {} parents x {} children",
        config.scale_parents, config.scale_children
    ));
    let fill_started = Instant::now();
    runtime.block_on(workload::prepare(
        server.addr(),
        &layout,
        config.scale_value_size,
        &config.progress(format!("[scale {kind}] ")),
    ))?;
    let fill_seconds = fill_started.elapsed().as_secs_f64();
    // Snapshots started by the fill finish in the background.
    std::thread::sleep(Duration::from_secs(5));
    let rss_full = procfs::process_rss(pid)?;
    let total_znodes = znodes + config.scale_parents;
    say(&format!(
        "scale: {kind}: RSS {:.0} MiB -> {:.0} MiB",
        rss_empty as f64 / 1048576.0,
        rss_full as f64 / 1048576.0
    ));

    let mut stall_run = None;
    let mut snapshots_during_stall = 0;
    let mut snapshot_windows_ms = Vec::new();
    let (mut max_during, mut max_otherwise) = (None, None);
    let (mut read_max_during, mut read_max_otherwise) = (None, None);
    let mut read_probe = None;
    if !config.stall_duration.is_zero() {
        say(&format!(
            "scale: {kind}: {} setData/s on the big tree for {:.0} s (snapshots are written)",
            thousands(config.stall_rate),
            config.stall_duration.as_secs_f64()
        ));
        let before: Vec<String> = server.snapshots().into_iter().map(|f| f.name).collect();
        let w = Workload {
            sessions: config.sessions,
            outstanding: config.outstanding,
            mix: Mix::parse("set=100").expect("valid mix"),
            value_size: config.scale_value_size,
            layout: layout.clone(),
            warmup: config.warmup.min(Duration::from_secs(2)),
            duration: config.stall_duration,
            session_timeout_ms: 30_000,
            rate: Some(config.stall_rate),
        };
        // Alongside, a few sessions that only read: reads wait for no disk,
        // so their latency shows stalls of the server itself (its event
        // loop, a collector) apart from the disk's.
        let probe = Workload {
            sessions: 4,
            outstanding: 4,
            mix: Mix::parse("get=100").expect("valid mix"),
            rate: Some(1000.0),
            ..w.clone()
        };
        let write_progress = config.progress(format!("[stall {kind}] "));
        let quiet = Progress::default();
        let (report, probe_report) = runtime.block_on(async {
            let writes = workload::run(server.addr(), &w, Some(pid), &write_progress);
            let reads = workload::run(server.addr(), &probe, None, &quiet);
            tokio::join!(writes, reads)
        });
        let (report, probe_report) = (report?, probe_report?);
        let new: Vec<SnapshotFile> = server
            .snapshots()
            .into_iter()
            .filter(|f| !before.contains(&f.name))
            .collect();
        snapshots_during_stall = new.len();
        let to_ms = |t: Option<SystemTime>| {
            t.and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map(|d| d.as_secs_f64() * 1e3 - report.measure_start_unix_ms)
        };
        // From the file's creation to a second after its last write (the
        // fsync and rename that follow leave no trace in its times).
        snapshot_windows_ms = new
            .iter()
            .filter_map(|f| Some([to_ms(f.created)?, to_ms(f.modified)? + 1000.0]))
            .collect();
        (max_during, max_otherwise) =
            split_by_windows(&report.timeline_max_us, &snapshot_windows_ms);
        (read_max_during, read_max_otherwise) =
            split_by_windows(&probe_report.timeline_max_us, &snapshot_windows_ms);
        say(&format!(
            "scale: {kind}: max latency {} us (reads {} us), longest gap {} us, {} snapshots",
            micros(report.total.latency_us.max),
            micros(probe_report.total.latency_us.max),
            micros(report.longest_gap_us),
            snapshots_during_stall
        ));
        stall_run = Some(report);
        read_probe = Some(probe_report);
    }

    say(&format!("scale: {kind}: restart"));
    // The restarted server's start-up snapshot is at this zxid or later.
    let last_zxid = served_zxid(&server)?;
    server.stop();
    let spawned = Instant::now();
    server.spawn()?;
    let mut probe = String::new();
    layout.key_path(0, &mut probe);
    let addr = server.addr();
    runtime.block_on(async {
        let deadline = Instant::now() + Duration::from_secs(600);
        loop {
            // Java listens before it has loaded its data, and a request
            // that arrives then can go unanswered: each attempt gets
            // RESTART_PROBE_TIMEOUT (which bounds the error it adds), not
            // the session's 30 s, before the next one.
            let attempt = async {
                let mut conn = Connection::connect(addr, 30_000).await.ok()?;
                conn.queue_get_data(&probe, false);
                let reply = conn.call().await.ok()?;
                if reply.header.err != 0 {
                    return None;
                }
                conn.close().await;
                Some(())
            };
            if let Ok(Some(())) = tokio::time::timeout(RESTART_PROBE_TIMEOUT, attempt).await {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the restarted server did not serve within 600 s",
                ));
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })?;
    let restart_ms = spawned.elapsed().as_secs_f64() * 1e3;
    let pid = server.pid().expect("running");
    let rss_after_restart = procfs::process_rss(pid)?;
    // Java writes its start-up snapshot before serving, rzk in the
    // background: the size is taken once the newest file is whole.
    wait_for_whole_snapshot(&server, last_zxid, Duration::from_secs(300))?;
    let snapshot_bytes = server.snapshots().iter().map(|f| f.size).max().unwrap_or(0);
    say(&format!(
        "scale: {kind}: serving {restart_ms:.0} ms after the restart; snapshot {:.1} MiB",
        snapshot_bytes as f64 / 1048576.0
    ));
    server.stop();
    save_log(&server, &config.work_dir, &format!("scale-{kind}"));
    if !config.keep {
        let _ = std::fs::remove_dir_all(server.dir());
    }
    Ok(ScaleReport {
        znodes: total_znodes,
        rss_empty_bytes: rss_empty,
        rss_full_bytes: rss_full,
        bytes_per_znode: rss_full.saturating_sub(rss_empty) as f64 / total_znodes as f64,
        fill_seconds,
        fill_creates_per_s: znodes as f64 / fill_seconds,
        stall_run,
        snapshots_during_stall,
        snapshot_windows_ms,
        max_latency_during_snapshots_ms: max_during,
        max_latency_otherwise_ms: max_otherwise,
        read_probe,
        max_read_latency_during_snapshots_ms: read_max_during,
        max_read_latency_otherwise_ms: read_max_otherwise,
        restart_to_serving_ms: restart_ms,
        rss_after_restart_bytes: rss_after_restart,
        snapshot_bytes,
    })
}

/// The longest latency (ms) of the seconds that overlap one of `windows`
/// (ms from the window start), and of the other seconds.
fn split_by_windows(timeline_us: &[f64], windows: &[[f64; 2]]) -> (Option<f64>, Option<f64>) {
    let mut during: Option<f64> = None;
    let mut otherwise: Option<f64> = None;
    for (i, &max_us) in timeline_us.iter().enumerate() {
        let (lo, hi) = (i as f64 * 1e3, (i + 1) as f64 * 1e3);
        let overlaps = windows.iter().any(|[c, m]| *c < hi && *m >= lo);
        let slot = if overlaps {
            &mut during
        } else {
            &mut otherwise
        };
        *slot = Some(slot.map_or(max_us / 1e3, |v: f64| v.max(max_us / 1e3)));
    }
    (during, otherwise)
}

/// The median of a figure over runs (`None` if no run has it).
fn med(runs: &[RunReport], f: impl Fn(&RunReport) -> Option<f64>) -> Option<f64> {
    let values: Vec<f64> = runs.iter().filter_map(f).collect();
    (!values.is_empty()).then(|| median(&values))
}

/// The side-by-side figures with ratios and targets.
pub fn summarize(report: &SuiteReport) -> Vec<Figure> {
    let mut out = Vec::new();
    for result in &report.scenarios {
        let class = SCENARIOS
            .iter()
            .find(|s| s.name == result.name)
            .map_or(Class::Mixed, |s| s.class);
        let name = result.name.as_str();
        let both =
            |f: &dyn Fn(&RunReport) -> Option<f64>| (med(&result.java, f), med(&result.rzk, f));
        let (j, r) = both(&|x| Some(x.total.ops_per_s));
        let throughput_target = match class {
            Class::Reads => Some(Target::RatioAtLeast(3.0)),
            Class::Writes => Some(Target::RatioAtLeast(2.0)),
            _ => None,
        };
        out.push(figure(
            name,
            "throughput ops/s",
            Format::Count,
            j,
            r,
            throughput_target,
        ));
        let (j, r) = both(&|x| x.server.cpu_us_per_op);
        let cpu_target = match class {
            Class::Reads | Class::LatencyRead => Some(Target::RatioAtMost(1.0 / 3.0)),
            Class::Writes | Class::LatencyWrite => Some(Target::RatioAtMost(0.5)),
            Class::Mixed => None,
        };
        out.push(figure(
            name,
            "server CPU us/op",
            Format::Decimal2,
            j,
            r,
            cpu_target,
        ));
        let (j, r) = both(&|x| Some(x.total.latency_us.p50));
        out.push(figure(name, "p50 us", Format::Micros, j, r, None));
        let (j, r) = both(&|x| Some(x.total.latency_us.p90));
        out.push(figure(name, "p90 us", Format::Micros, j, r, None));
        let (j, r) = both(&|x| Some(x.total.latency_us.p99));
        out.push(figure(
            name,
            "p99 us",
            Format::Micros,
            j,
            r,
            Some(Target::RatioAtMost(0.5)),
        ));
        let (j, r) = both(&|x| Some(x.total.latency_us.p999));
        out.push(figure(name, "p99.9 us", Format::Micros, j, r, None));
        let (j, r) = both(&|x| Some(x.total.latency_us.max));
        out.push(figure(name, "max us", Format::Micros, j, r, None));
        let (j, r) = both(&|x| x.server.cores_used);
        out.push(figure(
            name,
            "server cores busy",
            Format::Decimal2,
            j,
            r,
            None,
        ));
        let (j, r) = both(&|x| x.client_cpu_us_per_op);
        out.push(figure(
            name,
            "load gen CPU us/op",
            Format::Decimal2,
            j,
            r,
            None,
        ));
    }
    if let Some(fanout) = &report.fanout {
        let med_f = |runs: &[FanoutReport], f: &dyn Fn(&FanoutReport) -> Option<f64>| {
            let v: Vec<f64> = runs.iter().filter_map(f).collect();
            (!v.is_empty()).then(|| median(&v))
        };
        let both = |f: &dyn Fn(&FanoutReport) -> Option<f64>| {
            (med_f(&fanout.java, f), med_f(&fanout.rzk, f))
        };
        let (j, r) = both(&|x| Some(x.all_notified_median_ms));
        out.push(figure(
            "fanout",
            "all notified ms",
            Format::Millis,
            j,
            r,
            None,
        ));
        let (j, r) = both(&|x| Some(x.notify_latency_us.p50));
        out.push(figure(
            "fanout",
            "notification p50 us",
            Format::Micros,
            j,
            r,
            None,
        ));
        let (j, r) = both(&|x| Some(x.notify_latency_us.p99));
        out.push(figure(
            "fanout",
            "notification p99 us",
            Format::Micros,
            j,
            r,
            Some(Target::RatioAtMost(0.5)),
        ));
        let (j, r) = both(&|x| x.server_cpu_ms_per_round);
        out.push(figure(
            "fanout",
            "server CPU ms/round",
            Format::Millis,
            j,
            r,
            None,
        ));
    }
    if let Some(scale) = &report.scale {
        let (j, r) = (scale.java.as_ref(), scale.rzk.as_ref());
        let get = |s: Option<&ScaleReport>, f: &dyn Fn(&ScaleReport) -> Option<f64>| s.and_then(f);
        let pair = |f: &dyn Fn(&ScaleReport) -> Option<f64>| (get(j, f), get(r, f));
        let (a, b) = pair(&|s| Some(s.rss_full_bytes as f64));
        let znodes = j.or(r).map_or(0, |s| s.znodes);
        out.push(figure(
            "scale",
            &format!("RSS with {} znodes", thousands(znodes as f64)),
            Format::Bytes,
            a,
            b,
            None,
        ));
        let (a, b) = pair(&|s| Some(s.bytes_per_znode));
        out.push(figure(
            "scale",
            "bytes per znode",
            Format::Count,
            a,
            b,
            Some(Target::RatioAtMost(0.25)),
        ));
        let (a, b) = pair(&|s| Some(s.restart_to_serving_ms));
        out.push(figure(
            "scale",
            "restart to serving ms",
            Format::Millis,
            a,
            b,
            Some(Target::RatioAtMost(0.2)),
        ));
        let (a, b) = pair(&|s| Some(s.snapshot_bytes as f64));
        out.push(figure("scale", "snapshot size", Format::Bytes, a, b, None));
        let (a, b) = pair(&|s| s.max_latency_during_snapshots_ms);
        out.push(figure(
            "scale",
            "setData max, snapshot writing, ms",
            Format::Millis,
            a,
            b,
            Some(Target::RzkAtMost(5.0)),
        ));
        let (a, b) = pair(&|s| s.max_latency_otherwise_ms);
        out.push(figure(
            "scale",
            "setData max, no snapshot, ms",
            Format::Millis,
            a,
            b,
            None,
        ));
        let (a, b) = pair(&|s| s.stall_run.as_ref().map(|x| x.longest_gap_us / 1e3));
        out.push(figure(
            "scale",
            "longest reply gap ms",
            Format::Millis,
            a,
            b,
            None,
        ));
        let (a, b) = pair(&|s| s.max_read_latency_during_snapshots_ms);
        out.push(figure(
            "scale",
            "getData max, snapshot writing, ms",
            Format::Millis,
            a,
            b,
            Some(Target::RzkAtMost(5.0)),
        ));
        let (a, b) = pair(&|s| s.max_read_latency_otherwise_ms);
        out.push(figure(
            "scale",
            "getData max, no snapshot, ms",
            Format::Millis,
            a,
            b,
            None,
        ));
        let (a, b) = pair(&|s| s.stall_run.as_ref().map(|x| x.total.latency_us.p99 / 1e3));
        out.push(figure(
            "scale",
            "setData p99 then, ms",
            Format::Millis,
            a,
            b,
            None,
        ));
        let (a, b) = pair(&|s| s.stall_run.as_ref().and_then(|x| x.server.cpu_us_per_op));
        out.push(figure(
            "scale",
            "server CPU us/op then",
            Format::Decimal2,
            a,
            b,
            None,
        ));
        let (a, b) = pair(&|s| Some(s.snapshots_during_stall as f64));
        out.push(figure(
            "scale",
            "snapshots during that load",
            Format::Count,
            a,
            b,
            None,
        ));
        let (a, b) = pair(&|s| s.stall_run.as_ref().map(|x| x.total.ops_per_s));
        out.push(figure(
            "scale",
            "paced setData ops/s done",
            Format::Count,
            a,
            b,
            None,
        ));
        let (a, b) = pair(&|s| Some(s.fill_creates_per_s));
        out.push(figure(
            "scale",
            "creates/s while filling",
            Format::Count,
            a,
            b,
            None,
        ));
    }
    out
}

impl SuiteReport {
    /// The side-by-side text table.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "rzk bench suite, {} — {} cores, {:.1} GiB, {}; load average {} before, {} after; {:.0} s",
            self.date,
            self.machine.cores,
            self.machine.memory_bytes as f64 / (1u64 << 30) as f64,
            self.machine.cpu_model,
            self.load_average_before.map_or("-".into(), |v| format!("{v:.2}")),
            self.load_average_after.map_or("-".into(), |v| format!("{v:.2}")),
            self.seconds
        );
        let _ = writeln!(
            out,
            "{} sessions x {} outstanding, {} keys, {}-byte values; {:.0} s warm-up + {:.0} s measured, {} runs per server (median shown)",
            self.settings.sessions,
            self.settings.outstanding,
            thousands(self.settings.keys as f64),
            self.settings.value_size,
            self.settings.warmup_s,
            self.settings.duration_s,
            self.settings.repeat
        );
        let _ = writeln!(
            out,
            "{:<14} {:<30} {:>12} {:>12} {:>9} {:>9} {:>5}",
            "scenario", "figure", "Java 3.9.5", "rzk", "rzk/Java", "target", "met"
        );
        for [scenario, figure, java, rzk, ratio, target, met] in summary_rows(&self.summary, "NO") {
            let _ = writeln!(
                out,
                "{scenario:<14} {figure:<30} {java:>12} {rzk:>12} {ratio:>9} {target:>9} {met:>5}"
            );
        }
        for failure in &self.failures {
            let _ = writeln!(out, "FAILED: {failure}");
        }
        out
    }

    /// The same table in Markdown (for docs/benchmarks.md).
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "| scenario | figure | Java 3.9.5 | rzk | rzk/Java | target | met |\n|---|---|--:|--:|--:|---|---|"
        );
        for row in summary_rows(&self.summary, "**no**") {
            let [scenario, figure, java, rzk, ratio, target, met] = row;
            let target = target.replace("<=", "≤").replace(">=", "≥");
            let _ = writeln!(
                out,
                "| {scenario} | {figure} | {java} | {rzk} | {ratio} | {target} | {met} |"
            );
        }
        out
    }
}

/// The summary's cells, row by row: a scenario's name only on its first
/// row, `missed` where a target is not met.
fn summary_rows<'a>(
    summary: &'a [Figure],
    missed: &'a str,
) -> impl Iterator<Item = [String; 7]> + 'a {
    let mut last = "";
    summary.iter().map(move |f| {
        let scenario = if f.scenario == last {
            String::new()
        } else {
            f.scenario.clone()
        };
        last = &f.scenario;
        [
            scenario,
            f.figure.clone(),
            f.format.show(f.java),
            f.format.show(f.rzk),
            f.ratio.map_or("-".into(), |r| format!("{r:.2}")),
            f.target.clone().unwrap_or_default(),
            match f.met {
                Some(true) => "yes",
                Some(false) => missed,
                None => "",
            }
            .to_string(),
        ]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_judge_ratios_and_absolute_values() {
        assert_eq!(Target::RatioAtLeast(3.0).met(None, Some(3.1)), Some(true));
        assert_eq!(Target::RatioAtMost(0.5).met(None, Some(0.6)), Some(false));
        assert_eq!(Target::RzkAtMost(5.0).met(Some(4.0), None), Some(true));
        assert_eq!(Target::RatioAtMost(0.5).met(Some(1.0), None), None);
        assert_eq!(Target::RatioAtMost(1.0 / 3.0).describe(), "<= 1/3x");
        assert_eq!(Target::RatioAtLeast(2.0).describe(), ">= 2x");
    }

    #[test]
    fn latencies_split_by_snapshot_windows() {
        let timeline = [1000.0, 9000.0, 2000.0, 3000.0];
        // A snapshot written from 1.2 s to 1.8 s: second 1 only.
        assert_eq!(
            split_by_windows(&timeline, &[[1200.0, 1800.0]]),
            (Some(9.0), Some(3.0))
        );
        // One from 0.5 s to 2.1 s: seconds 0, 1 and 2.
        assert_eq!(
            split_by_windows(&timeline, &[[500.0, 2100.0]]),
            (Some(9.0), Some(3.0))
        );
        assert_eq!(split_by_windows(&timeline, &[]), (None, Some(9.0)));
    }

    #[test]
    fn repeats_alternate_the_servers() {
        assert_eq!(order(0), [Kind::Java, Kind::Rzk]);
        assert_eq!(order(1), [Kind::Rzk, Kind::Java]);
    }

    #[test]
    fn figures_carry_ratios() {
        let f = figure("read", "x", Format::Count, Some(100.0), Some(300.0), None);
        assert_eq!(f.ratio, Some(3.0));
        let f = figure("read", "x", Format::Count, None, Some(300.0), None);
        assert_eq!(f.ratio, None);
    }

    #[test]
    fn summary_rows_name_a_scenario_once_and_mark_missed_targets() {
        let mut a = figure(
            "read",
            "ops/s",
            Format::Count,
            Some(100.0),
            Some(300.0),
            None,
        );
        a.target = Some(">= 3x".into());
        a.met = Some(true);
        let mut b = figure("read", "p99", Format::Count, Some(100.0), Some(60.0), None);
        b.met = Some(false);
        let c = figure("write", "ops/s", Format::Count, None, Some(5.0), None);
        let rows: Vec<[String; 7]> = summary_rows(&[a, b, c], "NO").collect();
        let column = |i: usize| rows.iter().map(|r| r[i].as_str()).collect::<Vec<_>>();
        assert_eq!(column(0), ["read", "", "write"]);
        assert_eq!(column(4), ["3.00", "0.60", "-"]);
        assert_eq!(column(5), [">= 3x", "", ""]);
        assert_eq!(column(6), ["yes", "NO", ""]);
    }
}
