//! `rzk bench`: the benchmark instrument.
//!
//! - `rzk bench run`: a load generator that speaks the client protocol
//!   (jute records, [`client`]): N sessions with K pipelined requests each,
//!   an operation mix over a key space, a warm-up and a measured window.
//!   It prints throughput, latency percentiles per operation and the
//!   server's CPU time per operation (from `/proc/<pid>/stat`), as a table
//!   and as JSON ([`workload`], [`report`]).
//! - `rzk bench watch`: watch fan-out ([`fanout`]).
//! - `rzk bench suite` (`make bench`): Java ZooKeeper 3.9.5 and rzk side by
//!   side with the ratios and the targets ([`suite`], [`server`]).
//!
//! See the README's "Benchmarks" section for how to read the output.

pub mod client;
pub mod fanout;
pub mod procfs;
pub mod report;
pub mod server;
pub mod suite;
pub mod workload;

use std::io::Write;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};

/// `rzk bench …`
#[derive(Args, Debug)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub command: BenchCommand,
}

#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Run one workload against a server and print the table (and JSON).
    Run(RunArgs),
    /// Watch fan-out: many sessions watch one node, one change; time until
    /// all are notified.
    Watch(WatchArgs),
    /// Java ZooKeeper 3.9.5 and rzk side by side: every scenario on both,
    /// alternating, the scale figures, ratios and targets (`make bench`).
    Suite(SuiteArgs),
}

/// Where the server is and how the output goes, for `run` and `watch`.
#[derive(Args, Debug, Clone)]
pub struct TargetArgs {
    /// The server's client address.
    #[arg(long, default_value = "127.0.0.1:2181")]
    pub server: String,
    /// The server's process id, for its CPU time and memory (found through
    /// /proc when the server listens on this machine and this is not given).
    #[arg(long)]
    pub pid: Option<u32>,
    /// The znode under which the bench works.
    #[arg(long, default_value = "/rzk-bench")]
    pub root: String,
    /// Threads of the load generator's runtime.
    #[arg(long, default_value_t = 2)]
    pub client_threads: usize,
    /// Also write the report as JSON to this file (`-`: JSON on stdout and
    /// the table on stderr).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// No progress line.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Sessions (one connection each).
    #[arg(long, short = 'n', default_value_t = 16)]
    pub sessions: usize,
    /// Requests in flight per session (pipelined).
    #[arg(long, short = 'k', default_value_t = 16)]
    pub outstanding: usize,
    /// The operation mix: NAME=WEIGHT,… with get, set, exists, children,
    /// create, delete, churn (ephemeral sequential create + delete), multi
    /// (check + setData).
    #[arg(long, default_value = "get=80,set=20")]
    pub mix: String,
    /// Bytes per value.
    #[arg(long, default_value_t = 100)]
    pub value_size: usize,
    /// Keys in the key space (`<root>/d<j>/k<i>`).
    #[arg(long, default_value_t = 10_000)]
    pub keys: u64,
    /// Keys per parent znode (getChildren lists a parent).
    #[arg(long, default_value_t = 10)]
    pub children_per_parent: u64,
    /// Seconds of load before the measured window.
    #[arg(long, default_value_t = 5.0)]
    pub warmup: f64,
    /// Seconds measured.
    #[arg(long, default_value_t = 15.0)]
    pub duration: f64,
    /// The session timeout to ask for, in ms.
    #[arg(long, default_value_t = 30_000)]
    pub session_timeout: i32,
    /// Send at this many requests per second in all (paced, latency from
    /// the scheduled send time) instead of as fast as the server answers.
    #[arg(long)]
    pub rate: Option<f64>,
}

#[derive(Args, Debug, Clone)]
pub struct WatchArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Sessions watching the node.
    #[arg(long, default_value_t = 10_000)]
    pub watchers: usize,
    /// Changes (each after every watcher registered again).
    #[arg(long, default_value_t = 5)]
    pub rounds: usize,
}

#[derive(Args, Debug, Clone)]
pub struct SuiteArgs {
    /// The java launcher (default: $JAVA_HOME/bin/java, else java on PATH).
    #[arg(long)]
    pub java: Option<PathBuf>,
    /// The directory of the ZooKeeper 3.9.5 jars (default:
    /// $RZK_CACHE/jars, else ~/.cache/rzk/jars).
    #[arg(long)]
    pub java_jars: Option<PathBuf>,
    /// The JVM's -Xmx (big enough for the million-znode test).
    #[arg(long, default_value = "3g")]
    pub java_heap: String,
    /// The rzk binary to serve with (default: this program).
    #[arg(long)]
    pub rzk_bin: Option<PathBuf>,
    /// Where the servers' directories go (the disk being measured).
    #[arg(long, default_value = "target/bench")]
    pub work_dir: PathBuf,
    #[arg(long, default_value_t = 5.0)]
    pub warmup: f64,
    #[arg(long, default_value_t = 15.0)]
    pub duration: f64,
    /// Runs of each scenario on each server (alternating which goes first).
    #[arg(long, default_value_t = 2)]
    pub repeat: usize,
    #[arg(long, default_value_t = 16)]
    pub sessions: usize,
    #[arg(long, default_value_t = 16)]
    pub outstanding: usize,
    #[arg(long, default_value_t = 10_000)]
    pub keys: u64,
    #[arg(long, default_value_t = 10)]
    pub children_per_parent: u64,
    #[arg(long, default_value_t = 100)]
    pub value_size: usize,
    /// Seconds of unmeasured load on each server before the scenarios.
    #[arg(long, default_value_t = 15.0)]
    pub server_warmup: f64,
    #[arg(long, default_value_t = 10_000)]
    pub watchers: usize,
    #[arg(long, default_value_t = 5)]
    pub watch_rounds: usize,
    /// Scale test: parent znodes …
    #[arg(long, default_value_t = 1000)]
    pub scale_parents: u64,
    /// … and children per parent (0 skips the scale test).
    #[arg(long, default_value_t = 1000)]
    pub scale_children: u64,
    #[arg(long, default_value_t = 100)]
    pub scale_value_size: usize,
    /// Seconds of setData load on the big tree (snapshots happen).
    #[arg(long, default_value_t = 30.0)]
    pub stall_duration: f64,
    /// The setData rate of that load (paced, so that a request's latency
    /// shows a stall rather than queueing).
    #[arg(long, default_value_t = 10_000.0)]
    pub stall_rate: f64,
    #[arg(long, default_value_t = 2)]
    pub client_threads: usize,
    /// Only these parts, comma-separated: read, write, mixed, churn,
    /// all-ops, latency-read, latency-write, fanout, scale.
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// The JSON report (default: <work-dir>/results.json).
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// The Markdown table (default: <work-dir>/results.md).
    #[arg(long)]
    pub markdown: Option<PathBuf>,
    /// Keep the servers' directories.
    #[arg(long)]
    pub keep: bool,
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

fn seconds(s: f64) -> Duration {
    Duration::from_secs_f64(s.max(0.0))
}

fn runtime(threads: usize) -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.max(1))
        .enable_all()
        .build()
}

fn resolve(server: &str) -> Result<SocketAddr, String> {
    server
        .to_socket_addrs()
        .map_err(|e| format!("{server}: {e}"))?
        .next()
        .ok_or_else(|| format!("{server}: no address"))
}

/// The pid given, or the local process listening on the server's port.
fn server_pid(target: &TargetArgs, addr: SocketAddr) -> Option<u32> {
    target.pid.or_else(|| {
        addr.ip()
            .is_loopback()
            .then(|| procfs::pid_listening_on(addr.port()))
            .flatten()
    })
}

/// Prints `table` and, if asked, the JSON.
fn emit(target: &TargetArgs, table: &str, json: &str) -> std::io::Result<()> {
    match target.json.as_deref() {
        Some(path) if path == Path::new("-") => {
            eprint!("{table}");
            println!("{json}");
        }
        Some(path) => {
            print!("{table}");
            std::fs::write(path, format!("{json}\n"))?;
        }
        None => print!("{table}"),
    }
    std::io::stdout().flush()
}

/// Runs `rzk bench …`.
pub fn main(args: &BenchArgs) -> ExitCode {
    let result = match &args.command {
        BenchCommand::Run(a) => run_cmd(a),
        BenchCommand::Watch(a) => watch_cmd(a),
        BenchCommand::Suite(a) => suite_cmd(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run_cmd(a: &RunArgs) -> Result<(), String> {
    let addr = resolve(&a.target.server)?;
    let pid = server_pid(&a.target, addr);
    let workload = workload::Workload {
        sessions: a.sessions,
        outstanding: a.outstanding,
        mix: workload::Mix::parse(&a.mix)?,
        value_size: a.value_size,
        layout: workload::Layout {
            root: a.target.root.trim_end_matches('/').to_string(),
            keys: a.keys.max(1),
            fanout: a.children_per_parent.max(1),
        },
        warmup: seconds(a.warmup),
        duration: seconds(a.duration),
        session_timeout_ms: a.session_timeout,
        rate: a.rate,
    };
    let progress = workload::Progress {
        enabled: !a.target.quiet,
        label: String::new(),
    };
    let rt = runtime(a.target.client_threads).map_err(|e| e.to_string())?;
    let report = rt
        .block_on(workload::run(addr, &workload, pid, &progress))
        .map_err(|e| format!("{addr}: {e}"))?;
    let json = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
    let header = format!(
        "rzk bench run against {addr}{}\n",
        pid.map_or(
            " (server pid unknown: no CPU figures)".to_string(),
            |p| format!(" (server pid {p})")
        )
    );
    emit(&a.target, &(header + &report.table()), &json).map_err(|e| e.to_string())
}

fn watch_cmd(a: &WatchArgs) -> Result<(), String> {
    let addr = resolve(&a.target.server)?;
    let pid = server_pid(&a.target, addr);
    let config = fanout::FanoutConfig {
        watchers: a.watchers.max(1),
        rounds: a.rounds.max(1),
        root: a.target.root.trim_end_matches('/').to_string(),
        session_timeout_ms: 40_000,
    };
    let progress = workload::Progress {
        enabled: !a.target.quiet,
        label: String::new(),
    };
    let rt = runtime(a.target.client_threads).map_err(|e| e.to_string())?;
    let report = rt
        .block_on(fanout::run(addr, &config, pid, &progress))
        .map_err(|e| format!("{addr}: {e}"))?;
    let json = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
    emit(&a.target, &report.table(), &json).map_err(|e| e.to_string())
}

/// `$JAVA_HOME/bin/java` if there is one, else `java` (from PATH).
fn default_java() -> PathBuf {
    if let Some(home) = std::env::var_os("JAVA_HOME").filter(|h| !h.is_empty()) {
        let java = Path::new(&home).join("bin").join("java");
        if java.is_file() {
            return java;
        }
    }
    PathBuf::from("java")
}

/// Where `scripts/setup-test-deps.sh` puts the 3.9.5 jars.
fn default_java_jars() -> PathBuf {
    if let Some(cache) = std::env::var_os("RZK_CACHE").filter(|d| !d.is_empty()) {
        return PathBuf::from(cache).join("jars");
    }
    let home = std::env::var_os("HOME").unwrap_or_default();
    Path::new(&home).join(".cache/rzk/jars")
}

fn suite_cmd(a: &SuiteArgs) -> Result<(), String> {
    let known = suite::scenario_names();
    if let Some(bad) = a.only.iter().find(|o| !known.contains(&o.as_str())) {
        return Err(format!(
            "--only: unknown part `{bad}` (one of {})",
            known.join(", ")
        ));
    }
    let rzk = match &a.rzk_bin {
        Some(bin) => bin.clone(),
        None => std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?,
    };
    let work_dir = if a.work_dir.is_absolute() {
        a.work_dir.clone()
    } else {
        std::env::current_dir()
            .map_err(|e| e.to_string())?
            .join(&a.work_dir)
    };
    let config = suite::SuiteConfig {
        programs: server::Programs {
            java: a.java.clone().unwrap_or_else(default_java),
            java_jars: a.java_jars.clone().unwrap_or_else(default_java_jars),
            java_heap: a.java_heap.clone(),
            rzk,
        },
        work_dir: work_dir.clone(),
        warmup: seconds(a.warmup),
        duration: seconds(a.duration),
        repeat: a.repeat.max(1),
        sessions: a.sessions.max(1),
        outstanding: a.outstanding.max(1),
        keys: a.keys.max(1),
        fanout: a.children_per_parent.max(1),
        value_size: a.value_size,
        server_warmup: seconds(a.server_warmup),
        watchers: a.watchers,
        watch_rounds: a.watch_rounds.max(1),
        scale_parents: a.scale_parents,
        scale_children: a.scale_children,
        scale_value_size: a.scale_value_size,
        stall_duration: seconds(a.stall_duration),
        stall_rate: a.stall_rate,
        client_threads: a.client_threads.max(1),
        only: a.only.clone(),
        progress: !a.quiet,
        keep: a.keep,
    };
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    let report = suite::run(&config, command).map_err(|e| e.to_string())?;
    let json_path = a
        .json
        .clone()
        .unwrap_or_else(|| work_dir.join("results.json"));
    let md_path = a
        .markdown
        .clone()
        .unwrap_or_else(|| work_dir.join("results.md"));
    let json = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
    std::fs::write(&json_path, format!("{json}\n"))
        .map_err(|e| format!("{}: {e}", json_path.display()))?;
    std::fs::write(&md_path, report.markdown())
        .map_err(|e| format!("{}: {e}", md_path.display()))?;
    print!("{}", report.table());
    println!(
        "JSON: {}\nMarkdown: {}",
        json_path.display(),
        md_path.display()
    );
    if report.failures.is_empty() {
        Ok(())
    } else {
        Err(format!("{} runs failed", report.failures.len()))
    }
}
