//! `rzk txnlog <file>` (Java's `TxnLogToolkit` dump) and `rzk purge`
//! (Java's `PurgeTxnLog`, as `zkCleanup.sh` runs it).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use jute::Limits;

use super::dump::{self, DumpError, DumpMode};
use super::purge::{self, PurgeError};

/// `rzk txnlog`.
#[derive(Args, Debug)]
pub struct TxnlogArgs {
    /// The log file (`version-2/log.<hex zxid>`).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// One JSON object per txn (offset, checksum, header, body, digest)
    /// instead of TxnLogToolkit's lines.
    #[arg(long, conflicts_with = "verify")]
    pub json: bool,

    /// Only check the checksums and that every txn decodes; report damage
    /// by file offset and exit with 1 if there is any.
    #[arg(long)]
    pub verify: bool,

    /// `jute.maxbuffer`: the largest record accepted (plus the same again,
    /// as Java's extra size).
    #[arg(long, value_name = "BYTES", default_value_t = Limits::DEFAULT_MAX_BUFFER)]
    pub jute_maxbuffer: i32,
}

/// Runs `rzk txnlog`. Exit codes as Java's tool: 0, 1 for a partial last
/// txn or an undecodable one, 2 for a bad magic number; `--verify` also
/// exits with 1 on damage.
pub fn run_txnlog(args: &TxnlogArgs) -> ExitCode {
    let mode = if args.json {
        DumpMode::Json
    } else if args.verify {
        DumpMode::Verify
    } else {
        DumpMode::Java
    };
    let limits = Limits::new(args.jute_maxbuffer, None);
    let name = args.file.display();
    match dump::dump_path(&args.file, mode, limits) {
        Ok(summary) => {
            if mode == DumpMode::Verify {
                println!(
                    "{name}: {} txns, records end at offset {} ({:?}), {} damaged",
                    summary.txns,
                    summary.end_offset,
                    summary.end,
                    summary.damage.len()
                );
                if !summary.damage.is_empty() {
                    return ExitCode::FAILURE;
                }
            }
            ExitCode::SUCCESS
        }
        Err(DumpError::BadMagic(file)) => {
            eprintln!("Invalid magic number for {file}");
            ExitCode::from(2)
        }
        Err(DumpError::Short(len)) => {
            eprintln!("{name}: shorter than a log file header ({len} bytes)");
            ExitCode::FAILURE
        }
        Err(DumpError::Partial(summary)) => {
            if mode == DumpMode::Verify {
                println!(
                    "{name}: {} txns, then a partial txn at offset {}",
                    summary.txns, summary.end_offset
                );
            }
            eprintln!("Last transaction was partial.");
            ExitCode::FAILURE
        }
        Err(DumpError::Fatal(msg, _)) => {
            eprintln!("{name}: {msg}");
            ExitCode::FAILURE
        }
        Err(DumpError::Io(e)) => {
            eprintln!("{name}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `rzk purge`: the arguments of Java's `PurgeTxnLog`, in its order
/// (`PurgeTxnLog dataLogDir [snapDir] -n count`, as `zkCleanup.sh` runs it
/// with `$ZOODATALOGDIR $ZOODATADIR`): the log directory first.
#[derive(Args, Debug)]
pub struct PurgeArgs {
    /// The txn log directory (`dataLogDir`; `dataDir` when the logs are
    /// not kept apart, and then also the snapshot directory).
    #[arg(value_name = "DATA_LOG_DIR")]
    pub data_log_dir: PathBuf,

    /// The snapshot directory (`dataDir`), if the logs are kept apart.
    #[arg(value_name = "SNAP_DIR")]
    pub snap_dir: Option<PathBuf>,

    /// How many snapshots to keep (at least 3), with the logs they need.
    #[arg(short = 'n', value_name = "COUNT", allow_negative_numbers = true)]
    pub count: i32,
}

/// Runs `rzk purge`: removes the snapshots and logs older than the newest
/// `count` snapshots, printing a line per file as Java does.
pub fn run_purge(args: &PurgeArgs) -> ExitCode {
    for dir in std::iter::once(&args.data_log_dir).chain(args.snap_dir.iter()) {
        if !dir.exists() {
            eprintln!("Path '{}' does not exist. ", dir.display());
            return ExitCode::FAILURE;
        }
    }
    let log_dir = super::version_dir(&args.data_log_dir);
    let snap_dir = super::version_dir(args.snap_dir.as_ref().unwrap_or(&args.data_log_dir));
    match purge::purge(&log_dir, &snap_dir, args.count) {
        Ok(removed) => {
            let mut out = std::io::stdout().lock();
            let mut failed = false;
            for file in removed {
                let modified = file
                    .modified
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_millis() as i64);
                let _ = writeln!(
                    out,
                    "Removing file: {}\t{}",
                    dump::java_medium_date(modified),
                    file.path.display()
                );
                if let Some(e) = file.error {
                    failed = true;
                    eprintln!("Failed to remove {}: {e}", file.path.display());
                }
            }
            if failed {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e @ PurgeError::CountTooSmall(_)) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        purge: PurgeArgs,
    }

    /// With two directories the log directory comes first, as in
    /// `PurgeTxnLog` and `zkCleanup.sh`: given in that order, the purge
    /// keeps the newest 3 snapshots in the second and the logs they need
    /// in the first (given the other way round, it finds snapshots where it
    /// expects logs and refuses, as Java does).
    #[test]
    fn purge_takes_the_log_dir_first() {
        let tmp = tempfile::tempdir().unwrap();
        let (logs, snaps) = (tmp.path().join("logs"), tmp.path().join("snaps"));
        let (log_v2, snap_v2) = (logs.join("version-2"), snaps.join("version-2"));
        std::fs::create_dir_all(&log_v2).unwrap();
        std::fs::create_dir_all(&snap_v2).unwrap();
        let valid = [0u8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, b'/'];
        for z in [1, 5, 9, 13] {
            std::fs::write(snap_v2.join(format!("snapshot.{z:x}")), valid).unwrap();
            std::fs::write(log_v2.join(format!("log.{z:x}")), b"log").unwrap();
        }
        let parse = |args: &[&std::path::Path]| {
            let mut argv = vec!["purge".to_string()];
            argv.extend(args.iter().map(|p| p.display().to_string()));
            argv.extend(["-n".to_string(), "3".to_string()]);
            Cli::parse_from(argv).purge
        };
        let swapped = parse(&[&snaps, &logs]);
        assert_eq!(run_purge(&swapped), ExitCode::FAILURE);
        assert_eq!(std::fs::read_dir(&snap_v2).unwrap().count(), 4);
        let args = parse(&[&logs, &snaps]);
        assert_eq!(args.data_log_dir, logs);
        assert_eq!(run_purge(&args), ExitCode::SUCCESS);
        let mut left: Vec<String> = std::fs::read_dir(&snap_v2)
            .unwrap()
            .chain(std::fs::read_dir(&log_v2).unwrap())
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                "log.5",
                "log.9",
                "log.d",
                "snapshot.5",
                "snapshot.9",
                "snapshot.d"
            ]
        );
    }
}
