//! A server's files (`dataDir/version-2`): listing logs and snapshots in
//! zxid order, copying a data dir so that two servers can start on the same
//! files, and running Java's file tools (`TxnLogToolkit`,
//! `SnapshotFormatter`, `SnapshotComparer`) many times in one JVM.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::deps::{self, JavaVersion};
use crate::java;
use crate::process;

/// Flags that make Java's dates and output encoding what rzk's tools print.
pub const LOCALE_FLAGS: [&str; 5] = [
    "-Duser.timezone=UTC",
    "-Duser.language=en",
    "-Duser.country=US",
    "-Dfile.encoding=UTF-8",
    "-Dsun.stdout.encoding=UTF-8",
];

/// The zxid in a `log.<hex>` or `snapshot.<hex>[.ext]` name.
pub fn zxid_of(path: &Path) -> Option<i64> {
    let name = path.file_name()?.to_str()?;
    let rest = name
        .strip_prefix("log.")
        .or_else(|| name.strip_prefix("snapshot."))?;
    let hex = rest.split('.').next()?;
    u64::from_str_radix(hex, 16).ok().map(|z| z as i64)
}

fn files_with_prefix(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = match fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(prefix) && !n.ends_with(".tmp"))
            })
            .filter(|p| zxid_of(p).is_some())
            .collect(),
        Err(_) => Vec::new(),
    };
    files.sort_by_key(|p| zxid_of(p));
    files
}

/// The `log.*` files of a `version-2` dir, oldest first.
pub fn log_files(version_dir: &Path) -> Vec<PathBuf> {
    files_with_prefix(version_dir, "log.")
}

/// The `snapshot.*` files of a `version-2` dir, oldest first.
pub fn snapshot_files(version_dir: &Path) -> Vec<PathBuf> {
    files_with_prefix(version_dir, "snapshot.")
}

/// Every name in a dir, sorted.
pub fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Copies a directory tree (files a server deletes meanwhile are skipped).
pub fn copy_dir(from: &Path, to: &Path) -> io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        let target = to.join(entry.file_name());
        let kind = match entry.file_type() {
            Ok(kind) => kind,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        let copied = if kind.is_dir() {
            copy_dir(&entry.path(), &target)
        } else {
            copy_sparse(&entry.path(), &target)
        };
        match copied {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Copies a file, leaving its holes holes: a log file is 64 MiB of
/// mostly unwritten preallocation, which a plain copy would write out.
fn copy_sparse(from: &Path, to: &Path) -> io::Result<()> {
    use std::os::unix::fs::FileExt;
    use std::os::unix::io::AsRawFd;
    let src = fs::File::open(from)?;
    let len = src.metadata()?.len();
    let dst = fs::File::create(to)?;
    let fd = src.as_raw_fd();
    let mut pos: i64 = 0;
    let mut buf = vec![0u8; 1 << 20];
    while (pos as u64) < len {
        // SAFETY: lseek on a file descriptor we own; no memory is passed.
        let data = unsafe { libc::lseek(fd, pos, libc::SEEK_DATA) };
        if data < 0 {
            break; // ENXIO: only a hole is left
        }
        // SAFETY: as above.
        let hole = unsafe { libc::lseek(fd, data, libc::SEEK_HOLE) };
        let end = if hole < 0 { len as i64 } else { hole };
        let mut at = data;
        while at < end {
            let n = ((end - at) as usize).min(buf.len());
            src.read_exact_at(&mut buf[..n], at as u64)?;
            dst.write_all_at(&buf[..n], at as u64)?;
            at += n as i64;
        }
        pos = end;
    }
    dst.set_len(len)
}

/// One invocation of a Java file tool.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JavaTool {
    /// `TxnLogToolkit FILE` (dump mode, which also checks every checksum).
    TxnLogToolkit(PathBuf),
    /// `SnapshotFormatter [-d] FILE`.
    SnapshotFormatter { file: PathBuf, dump_data: bool },
    /// `SnapshotComparer -l L -r R -b BYTES -n NODES [-d]`.
    SnapshotComparer {
        left: PathBuf,
        right: PathBuf,
        bytes: u32,
        nodes: u32,
        debug: bool,
    },
}

impl JavaTool {
    fn line(&self) -> String {
        let words: Vec<String> = match self {
            JavaTool::TxnLogToolkit(file) => {
                vec!["TxnLogToolkit".into(), file.display().to_string()]
            }
            JavaTool::SnapshotFormatter { file, dump_data } => {
                let mut w = vec!["SnapshotFormatter".to_string()];
                if *dump_data {
                    w.push("-d".into());
                }
                w.push(file.display().to_string());
                w
            }
            JavaTool::SnapshotComparer {
                left,
                right,
                bytes,
                nodes,
                debug,
            } => {
                let mut w = vec![
                    "SnapshotComparer".to_string(),
                    "-l".into(),
                    left.display().to_string(),
                    "-r".into(),
                    right.display().to_string(),
                    "-b".into(),
                    bytes.to_string(),
                    "-n".into(),
                    nodes.to_string(),
                ];
                if *debug {
                    w.push("-d".into());
                }
                w
            }
        };
        words.join("\t")
    }
}

/// Runs Java's tools (of `version`) in one JVM; returns each one's standard
/// output, in order. Panics if a tool fails (throws or exits).
#[track_caller]
pub fn run_java_tools(version: JavaVersion, tools: &[JavaTool]) -> Vec<String> {
    let classpath = deps::client_classpath(version).with_entries([
        PathBuf::from(deps::DEBIAN_JAR_DIR).join("commons-cli.jar"),
        PathBuf::from(deps::DEBIAN_JAR_DIR).join("jackson-core.jar"),
    ]);
    let program = java::compile("durability-tools", &classpath);
    let commands = tempfile::NamedTempFile::new().expect("temp file");
    let text: String = tools.iter().map(|t| t.line() + "\n").collect();
    fs::write(commands.path(), text).expect("write the command file");
    let classpath = program.classpath();
    let mut cmd = Command::new(deps::java_bin());
    cmd.args(java::JVM_FLAGS)
        .args(&classpath.jvm_flags)
        .args(LOCALE_FLAGS)
        .arg("-cp")
        .arg(classpath.to_arg())
        .arg("JavaTools")
        .arg(commands.path());
    let out = process::run(cmd, Duration::from_secs(300));
    out.assert_success();
    let mut outputs = Vec::new();
    let mut rest = out.stdout.as_str();
    for tool in tools {
        let header = format!("#### {}\n", tool.line());
        rest = rest
            .strip_prefix(&header)
            .unwrap_or_else(|| panic!("no output for {}\n{}", tool.line(), out.describe()));
        let end = rest
            .find("#### end ")
            .unwrap_or_else(|| panic!("no end for {}", tool.line()));
        let (output, after) = rest.split_at(end);
        let status_end = after.find('\n').map_or(after.len(), |i| i + 1);
        let status = after["#### end ".len()..status_end].trim();
        assert_eq!(
            status,
            "ok",
            "{} failed\n{output}\n{}",
            tool.line(),
            out.stderr
        );
        outputs.push(output.to_string());
        rest = &after[status_end..];
    }
    outputs
}
