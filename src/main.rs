//! The `rzk` binary: `rzk zoo.cfg` (or `rzk server zoo.cfg`) starts a server
//! from a standard ZooKeeper configuration, like Java's `QuorumPeerMain`;
//! the other subcommands are tools.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use rzk::config::{self, SystemProperties};
use tracing_subscriber::EnvFilter;

/// Exit code for a configuration that does not load (like a usage error).
const EXIT_BAD_CONFIG: u8 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "rzk",
    version = rzk::VERSION_LINE,
    about = "A drop-in replacement for Apache ZooKeeper, compatible with the Java servers byte for byte",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    /// Start a server from this configuration (same as `rzk server <CONFIG>`).
    #[command(flatten)]
    server: ServerArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Start a server from a zoo.cfg, as Java's QuorumPeerMain does.
    Server(ServerArgs),
    /// Print the effective configuration: every key with its effective value,
    /// the server list and the system properties that matter.
    Config(ServerArgs),
    /// Dump a transaction log file as Java's TxnLogToolkit does (or as
    /// JSON, or only verify its checksums).
    Txnlog(rzk::txnlog::cli::TxnlogArgs),
    /// Remove the snapshots and logs older than the newest N snapshots, as
    /// zkCleanup.sh (PurgeTxnLog) does.
    Purge(rzk::txnlog::cli::PurgeArgs),
    /// Print a snapshot file as Java's SnapshotFormatter does, or compare
    /// two as SnapshotComparer does.
    Snapshot(SnapshotArgs),
    /// Benchmarks: a load generator (`run`), watch fan-out (`watch`), and
    /// Java ZooKeeper vs rzk side by side (`suite`, what `make bench` runs).
    Bench(Box<rzk::bench::BenchArgs>),
}

#[derive(Args, Debug)]
struct SnapshotArgs {
    /// Dump each node's data (base64) instead of its length.
    #[arg(short = 'd', conflicts_with = "json")]
    dump_data: bool,
    /// Print the ncdu JSON form.
    #[arg(long)]
    json: bool,
    /// Also check the seals and trailers and recompute the digest.
    #[arg(long)]
    check: bool,
    /// Compare the two snapshots (SnapshotComparer); FILES are left, right.
    #[arg(long)]
    compare: bool,
    /// With --compare: the data size delta worth printing.
    #[arg(short = 'b', long = "bytes", default_value_t = 0)]
    bytes: i64,
    /// With --compare: the descendant count delta worth printing.
    #[arg(short = 'n', long = "nodes", default_value_t = 0)]
    nodes: i64,
    /// With --compare: print every comparison.
    #[arg(long)]
    debug: bool,
    /// The snapshot file (two with --compare).
    #[arg(value_name = "FILE", required = true, num_args = 1..=2)]
    files: Vec<PathBuf>,
}

#[derive(Args, Debug)]
struct ServerArgs {
    /// A Java system property, as `-Dkey=value` (e.g. `-Djute.maxbuffer=4194304`).
    /// `-D` options in SERVER_JVMFLAGS and JVMFLAGS are honoured too; these win.
    #[arg(short = 'D', value_name = "KEY=VALUE", action = clap::ArgAction::Append)]
    defines: Vec<String>,

    /// Log level filter (error, warn, info, debug, trace, or a tracing
    /// directive such as `rzk=debug`); RUST_LOG is used when not given.
    #[arg(long, value_name = "FILTER")]
    log_level: Option<String>,

    /// The configuration file (zoo.cfg).
    #[arg(value_name = "CONFIG")]
    config: Option<PathBuf>,
}

fn init_logging(level: Option<&str>) {
    let filter = match level {
        Some(level) => EnvFilter::new(level),
        None => EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

/// Loads the configuration, or prints why it cannot be loaded.
fn load_config(args: &ServerArgs) -> Result<config::ServerConfig, ExitCode> {
    let Some(path) = &args.config else {
        eprintln!("error: no configuration file given (usage: rzk [server] <zoo.cfg>)");
        return Err(ExitCode::from(EXIT_BAD_CONFIG));
    };
    let system = SystemProperties::from_env_and_args(&args.defines);
    config::load(path, system).map_err(|e| {
        eprintln!("error: invalid configuration: {e}");
        ExitCode::from(EXIT_BAD_CONFIG)
    })
}

/// mimalloc: the server allocates a frame on a connection's thread and frees
/// it on the core's; glibc's malloc spent about a tenth of a write's CPU on
/// that (see docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Config(args)) => match load_config(&args) {
            Ok(config) => {
                for warning in &config.warnings {
                    eprintln!("warning: {warning}");
                }
                print!("{}", config.render_effective());
                ExitCode::SUCCESS
            }
            Err(code) => code,
        },
        Some(Command::Server(args)) => serve(&args),
        Some(Command::Txnlog(args)) => rzk::txnlog::cli::run_txnlog(&args),
        Some(Command::Purge(args)) => rzk::txnlog::cli::run_purge(&args),
        Some(Command::Snapshot(args)) => snapshot_tool(&args),
        Some(Command::Bench(args)) => rzk::bench::main(&args),
        None => serve(&cli.server),
    }
}

fn serve(args: &ServerArgs) -> ExitCode {
    init_logging(args.log_level.as_deref());
    let config = match load_config(args) {
        Ok(config) => config,
        Err(code) => return code,
    };
    for warning in &config.warnings {
        tracing::warn!("{warning}");
    }
    match rzk::server::run(config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            ExitCode::FAILURE
        }
    }
}

fn snapshot_tool(args: &SnapshotArgs) -> ExitCode {
    use rzk::snapshot::tools;
    let limits = rzk::jute::archive::Limits::default();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let result = match (args.compare, args.files.as_slice()) {
        (true, [left, right]) => tools::compare_snapshots(
            left,
            right,
            tools::CompareOptions {
                byte_threshold: args.bytes,
                node_threshold: args.nodes,
                debug: args.debug,
            },
            limits,
            &mut out,
        ),
        (false, [file]) => tools::format_snapshot(
            file,
            tools::FormatOptions {
                dump_data: args.dump_data,
                json: args.json,
                check: args.check,
            },
            limits,
            &mut out,
        ),
        _ => {
            eprintln!("usage: rzk snapshot [-d|--json] [--check] FILE | rzk snapshot --compare LEFT RIGHT [-b N] [-n N]");
            return ExitCode::from(EXIT_BAD_CONFIG);
        }
    };
    let flushed = std::io::Write::flush(&mut out);
    match result
        .map_err(|e| e.to_string())
        .and(flushed.map_err(|e| e.to_string()))
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
