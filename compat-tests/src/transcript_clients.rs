//! Transcripts of client scenarios — kazoo scripts, Curator programs, C
//! programs and `cli_mt` sessions — compared between the reference Java
//! 3.9.5 server and a candidate server.
//!
//! A scenario is a closure that drives a client against one server and
//! returns its transcript: normalised text, one fact per line, with no
//! session ids, times or other values that differ between two fresh
//! servers fed the same requests (the scenarios normalise what they print).
//! [`compare_with_reference`] runs it against a fresh reference server and a
//! fresh candidate server, concurrently, and panics with a line diff unless
//! the transcripts are identical. The candidate is a parameter, e.g.
//! [`java_3_9_5`] (a second reference server: proves the scenario is
//! deterministic and its normalisation complete) or `RzkServer::start`.
//!
//! (`transcript.rs`, for the Java client, is separate; the two may be merged.)

use std::fmt;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use crate::deps::{self, JavaVersion};
use crate::java::{self, JavaProgram};
use crate::process;
use crate::server::{JavaServer, ServerHandle, ServerOptions};

/// How long one client scenario may run against one server.
pub const SCENARIO_TIMEOUT: Duration = Duration::from_secs(90);

/// A server to compare with the reference: [`java_3_9_5`] today,
/// `RzkServer::start` once rzk serves clients.
pub type Candidate = fn(ServerOptions) -> ServerHandle;

/// Declares one `#[test]` per scenario function, each run with the given
/// [`Candidate`]:
///
/// ```ignore
/// candidate_tests!(java_3_9_5 => { kazoo_crud: crud, kazoo_acl: acl });
/// // rzk, one line per scenario to enable:
/// candidate_tests!(RzkServer::start => { kazoo_crud_rzk: crud });
/// ```
#[macro_export]
macro_rules! candidate_tests {
    ($candidate:expr => { $($test:ident: $scenario:path),* $(,)? }) => {
        $(
            #[test]
            fn $test() {
                $scenario($candidate)
            }
        )*
    };
}

/// The reference server: a fresh standalone Java 3.9.5.
#[track_caller]
pub fn reference_server(opts: ServerOptions) -> ServerHandle {
    JavaServer::start(JavaVersion::V3_9_5, opts)
}

/// A candidate that is a second, fresh Java 3.9.5 server.
#[track_caller]
pub fn java_3_9_5(opts: ServerOptions) -> ServerHandle {
    JavaServer::start(JavaVersion::V3_9_5, opts)
}

/// The normalised output of one scenario against one server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transcript {
    /// The scenario's name, for messages.
    pub scenario: String,
    pub text: String,
}

impl Transcript {
    pub fn new(scenario: impl Into<String>, text: impl Into<String>) -> Transcript {
        Transcript {
            scenario: scenario.into(),
            text: text.into(),
        }
    }

    pub fn lines(&self) -> impl Iterator<Item = &str> {
        self.text.lines()
    }

    pub fn line_count(&self) -> usize {
        self.text.lines().count()
    }

    /// Whether some line is exactly `line`.
    pub fn has_line(&self, line: &str) -> bool {
        self.lines().any(|l| l == line)
    }

    /// The lines that start with `prefix`.
    pub fn lines_starting_with(&self, prefix: &str) -> Vec<&str> {
        self.lines().filter(|l| l.starts_with(prefix)).collect()
    }

    /// The text after `label -> ` on the first line that starts with it.
    pub fn value_of(&self, label: &str) -> Option<&str> {
        let prefix = format!("{label} -> ");
        self.lines().find_map(|l| l.strip_prefix(prefix.as_str()))
    }

    #[track_caller]
    pub fn assert_line_count(&self, expected: usize) {
        assert_eq!(
            self.line_count(),
            expected,
            "{}: expected {expected} transcript lines\n{self}",
            self.scenario
        );
    }

    /// Panics unless some line is exactly `line`.
    #[track_caller]
    pub fn assert_line(&self, line: &str) {
        assert!(
            self.has_line(line),
            "{}: no line {line:?}\n{self}",
            self.scenario
        );
    }

    /// Panics unless the transcript has each of `lines` (exactly), in this
    /// order (other lines may come between them).
    #[track_caller]
    pub fn assert_lines_in_order(&self, lines: &[&str]) {
        let mut rest = self.lines();
        for line in lines {
            assert!(
                rest.any(|l| l == *line),
                "{}: no line {line:?} after the previous expected lines {lines:#?}\n{self}",
                self.scenario
            );
        }
    }

    /// Panics unless `label -> value` is a line.
    #[track_caller]
    pub fn assert_value(&self, label: &str, value: &str) {
        assert_eq!(
            self.value_of(label),
            Some(value),
            "{}: `{label} -> …`\n{self}",
            self.scenario
        );
    }

    /// Panics if any line contains `needle`.
    #[track_caller]
    pub fn assert_no_line_containing(&self, needle: &str) {
        if let Some(line) = self.lines().find(|l| l.contains(needle)) {
            panic!(
                "{}: unexpected {needle:?} in {line:?}\n{self}",
                self.scenario
            );
        }
    }
}

impl fmt::Display for Transcript {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "---- transcript of {} ({} lines) ----",
            self.scenario,
            self.line_count()
        )?;
        for line in self.lines() {
            writeln!(f, "{line}")?;
        }
        write!(f, "---- end of transcript ----")
    }
}

/// Runs `scenario` against a fresh reference Java 3.9.5 server and a fresh
/// `candidate` server, both started with `opts`, concurrently. Panics with
/// a line diff unless the two transcripts are identical; returns the
/// (common) transcript for the caller's own checks.
///
/// The lead enables rzk for a scenario by passing `RzkServer::start` as
/// the candidate.
#[track_caller]
pub fn compare_with_reference<C, S>(
    name: &str,
    opts: ServerOptions,
    candidate: C,
    scenario: S,
) -> Transcript
where
    C: FnOnce(ServerOptions) -> ServerHandle + Send,
    S: Fn(&ServerHandle) -> String + Sync,
{
    let started = Instant::now();
    let (reference, candidate) = thread::scope(|s| {
        let scenario = &scenario;
        let ref_opts = opts.clone();
        let reference = s.spawn(move || {
            let server = reference_server(ref_opts);
            let text = scenario(&server);
            (server.to_string(), text)
        });
        let candidate = s.spawn(move || {
            let server = candidate(opts);
            let text = scenario(&server);
            (server.to_string(), text)
        });
        let reference = reference.join();
        let candidate = candidate.join();
        match (reference, candidate) {
            (Ok(r), Ok(c)) => (r, c),
            (Err(panic), _) | (_, Err(panic)) => std::panic::resume_unwind(panic),
        }
    });
    let (ref_server, ref_text) = reference;
    let (cand_server, cand_text) = candidate;
    if ref_text != cand_text {
        panic!(
            "{name}: the transcripts differ (- reference {ref_server}, + candidate {cand_server})\n{}\n{}",
            line_diff(&ref_text, &cand_text),
            Transcript::new(format!("{name} against the reference"), ref_text.clone()),
        );
    }
    eprintln!(
        "{name}: identical transcripts ({} lines) from {ref_server} and {cand_server} in {:.1?}",
        ref_text.lines().count(),
        started.elapsed()
    );
    Transcript::new(name, ref_text)
}

/// A line diff of `a` (`-`) against `b` (`+`), with 3 lines of context
/// around each change and `@@` headers giving 1-based line numbers.
pub fn line_diff(a: &str, b: &str) -> String {
    let a: Vec<&str> = a.lines().collect();
    let b: Vec<&str> = b.lines().collect();
    // Longest common subsequence table, from the end.
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    // The edit script: (tag, line index in a, line index in b).
    let mut ops: Vec<(char, usize, usize)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            ops.push((' ', i, j));
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            ops.push(('+', i, j));
            j += 1;
        } else {
            ops.push(('-', i, j));
            i += 1;
        }
    }
    const CONTEXT: usize = 3;
    let changed: Vec<usize> = (0..ops.len()).filter(|&k| ops[k].0 != ' ').collect();
    if changed.is_empty() {
        return String::from("(no differences)\n");
    }
    let mut out = String::new();
    let mut k = 0;
    while k < changed.len() {
        let start = changed[k].saturating_sub(CONTEXT);
        let mut end = changed[k];
        while k < changed.len() && changed[k] <= end + 2 * CONTEXT + 1 {
            end = changed[k];
            k += 1;
        }
        let end = (end + CONTEXT + 1).min(ops.len());
        let (_, ai, bi) = ops[start];
        out.push_str(&format!(
            "@@ reference line {}, candidate line {} @@\n",
            ai + 1,
            bi + 1
        ));
        for &(tag, ai, bi) in &ops[start..end] {
            let line = match tag {
                '+' => b[bi],
                _ => a[ai],
            };
            out.push(tag);
            out.push(' ');
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

// ---------------------------------------------------------------------------
// kazoo

/// `compat-tests/python`, home of the kazoo scenarios.
pub fn python_dir() -> PathBuf {
    deps::crate_dir().join("python")
}

/// Runs the kazoo scenario `compat-tests/python/<script>` against `server`
/// with the venv's Python; returns its stdout. Panics (showing both
/// streams) if it fails or runs longer than [`SCENARIO_TIMEOUT`].
#[track_caller]
pub fn run_kazoo(script: &str, server: &ServerHandle) -> String {
    let path = python_dir().join(script);
    assert!(path.is_file(), "no kazoo scenario {}", path.display());
    let mut cmd = Command::new(deps::kazoo_python());
    cmd.arg(&path)
        .arg(server.connect_string())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONUNBUFFERED", "1");
    let out = process::run(cmd, SCENARIO_TIMEOUT);
    if !out.success() {
        panic!(
            "kazoo scenario {script} against {server} failed: {}\n{}",
            out.status,
            out.describe()
        );
    }
    out.stdout
}

// ---------------------------------------------------------------------------
// Curator

/// The Curator scenarios (`compat-tests/java/curator-scenarios`) compiled
/// against the Curator that goes with `version`'s client: 5.9.0 for 3.9.5,
/// Debian's 5.4 for 3.8.0.
#[track_caller]
pub fn curator_scenarios(version: JavaVersion) -> JavaProgram {
    java::compile("curator-scenarios", &deps::curator_classpath(version))
}

/// Runs `CuratorScenarios <connect string> <scenarios…>` against `server`;
/// returns its stdout. Panics (showing both streams) if it fails.
#[track_caller]
pub fn run_curator(program: &JavaProgram, server: &ServerHandle, scenarios: &[&str]) -> String {
    let connect = server.connect_string();
    let mut args = vec![connect.as_str()];
    args.extend_from_slice(scenarios);
    let out = program.run_with_timeout("CuratorScenarios", &args, SCENARIO_TIMEOUT);
    if !out.success() {
        panic!(
            "Curator scenarios {scenarios:?} against {server} failed: {}\n{}",
            out.status,
            out.describe()
        );
    }
    out.stdout
}

// ---------------------------------------------------------------------------
// The C client

/// Debian's C client headers (package `libzookeeper-mt-dev`).
pub const C_CLIENT_HEADER: &str = "/usr/include/zookeeper/zookeeper.h";

/// `compat-tests/c`, home of the C client scenarios.
pub fn c_dir() -> PathBuf {
    deps::crate_dir().join("c")
}

/// Compiles `compat-tests/c/<name>.c` with `cc` against libzookeeper_mt, or
/// reuses an earlier build of the same source; returns the executable.
#[track_caller]
pub fn compile_c(name: &str) -> PathBuf {
    static COMPILING: Mutex<()> = Mutex::new(());
    let _guard = COMPILING.lock().unwrap_or_else(|e| e.into_inner());
    if !Path::new(C_CLIENT_HEADER).is_file() {
        deps::missing(&format!(
            "{C_CLIENT_HEADER} (Debian package libzookeeper-mt-dev)"
        ));
    }
    let source = c_dir().join(format!("{name}.c"));
    let text = fs::read(&source).unwrap_or_else(|e| panic!("{}: {e}", source.display()));
    // FNV-1a over the source: a changed program gets a new binary.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in &text {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let profile = java::profile_dir();
    let root = profile.parent().unwrap_or(&profile).join("compat-c");
    let exe = root.join(format!("{name}-{hash:016x}"));
    if exe.is_file() {
        return exe;
    }
    fs::create_dir_all(&root).unwrap_or_else(|e| panic!("{}: {e}", root.display()));
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let tmp = root.join(format!(
        ".tmp-{name}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let mut cmd = Command::new("cc");
    cmd.args(["-std=gnu11", "-O1", "-Wall", "-Werror", "-DTHREADED"])
        .arg("-I/usr/include/zookeeper")
        .arg("-o")
        .arg(&tmp)
        .arg(&source)
        .args(["-lzookeeper_mt", "-lpthread"]);
    let out = process::run(cmd, Duration::from_secs(120));
    if !out.success() {
        let _ = fs::remove_file(&tmp);
        panic!(
            "cc failed for {}: {}\n{}",
            source.display(),
            out.status,
            out.describe()
        );
    }
    // Another test process may have won the race: its binary is as good.
    if fs::rename(&tmp, &exe).is_err() && !exe.is_file() {
        panic!("cannot move {} to {}", tmp.display(), exe.display());
    }
    let _ = fs::remove_file(&tmp);
    exe
}

/// Runs a compiled C scenario with the server's connect string; returns
/// its stdout. Panics (showing both streams) if it fails.
#[track_caller]
pub fn run_c(exe: &Path, server: &ServerHandle) -> String {
    let mut cmd = Command::new(exe);
    cmd.arg(server.connect_string());
    let out = process::run(cmd, SCENARIO_TIMEOUT);
    if !out.success() {
        panic!(
            "C scenario {} against {server} failed: {}\n{}",
            exe.display(),
            out.status,
            out.describe()
        );
    }
    out.stdout
}

/// An interactive `cli_mt` (Debian's C client shell, multi-threaded
/// build) driven through its stdin.
///
/// `cli_mt` runs each command asynchronously and prints the completion on
/// stderr; its `cmd:` batch mode is ignored by the threaded build, and at
/// EOF it exits without waiting for pending replies. So [`CliMt::run`]
/// sends the command followed by `sync /cli-mt-marker-N` and reads stderr
/// until that sync's completion: replies come in request order, so by then
/// the command's completion (and any watch event it triggered) is printed.
pub struct CliMt {
    child: Child,
    stdin: ChildStdin,
    lines: mpsc::Receiver<String>,
    markers: u32,
    transcript: String,
    session: Option<String>,
}

impl CliMt {
    /// Starts `cli_mt <server>` and waits until it is connected.
    #[track_caller]
    pub fn connect(server: &ServerHandle) -> CliMt {
        let mut cmd = Command::new(deps::cli_mt());
        cmd.arg(server.connect_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = process::spawn(cmd).unwrap_or_else(|e| panic!("cannot start cli_mt: {e}"));
        let stdin = child.stdin.take().expect("piped stdin");
        let stderr = child.stderr.take().expect("piped stderr");
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut cli = CliMt {
            child,
            stdin,
            lines,
            markers: 0,
            transcript: String::new(),
            session: None,
        };
        let connected = cli.read_until(|l| l.starts_with("Got a new session id: "));
        let session = connected
            .last()
            .and_then(|l| l.strip_prefix("Got a new session id: 0x"))
            .map(str::to_string);
        cli.session = session;
        for line in connected {
            cli.record(&line);
        }
        cli
    }

    /// The session id as cli_mt prints it (hex, no `0x`).
    pub fn session_hex(&self) -> Option<&str> {
        self.session.as_deref()
    }

    #[track_caller]
    fn read_until(&mut self, done: impl Fn(&str) -> bool) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let finished = done(&line);
                    seen.push(line);
                    if finished {
                        return seen;
                    }
                }
                Err(_) => panic!(
                    "cli_mt: timed out (or exited) waiting; it printed:\n{}\n--- transcript so far ---\n{}",
                    seen.join("\n"),
                    self.transcript
                ),
            }
        }
    }

    /// Sends one command line and records (normalised) everything cli_mt
    /// prints until the command has completed.
    #[track_caller]
    pub fn run(&mut self, command: &str) {
        self.markers += 1;
        let marker = format!("/cli-mt-marker-{}", self.markers);
        let input = format!("{command}\nsync {marker}\n");
        self.stdin
            .write_all(input.as_bytes())
            .and_then(|_| self.stdin.flush())
            .unwrap_or_else(|e| panic!("writing to cli_mt: {e}"));
        let end = format!("\tname = {marker}");
        let printed = self.read_until(|l| l == end);
        self.transcript.push_str(&format!("> {command}\n"));
        let start = format!("[{marker}]: rc = 0");
        let mut lines: Vec<String> = printed
            .iter()
            .filter(|l| **l != start && **l != end)
            .filter_map(|l| normalise_cli_mt_line(l, self.session.as_deref()))
            .collect();
        sort_children(&mut lines);
        for line in lines {
            self.transcript.push_str(&line);
            self.transcript.push('\n');
        }
    }

    fn record(&mut self, line: &str) {
        if let Some(line) = normalise_cli_mt_line(line, self.session.as_deref()) {
            self.transcript.push_str(&line);
            self.transcript.push('\n');
        }
    }

    /// Sends `quit`, waits for cli_mt to exit, and returns the transcript.
    #[track_caller]
    pub fn finish(mut self) -> String {
        let _ = self.stdin.write_all(b"quit\n");
        let _ = self.stdin.flush();
        match process::wait_timeout(&mut self.child, Duration::from_secs(30)) {
            Ok(Some(_)) => {}
            _ => {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("cli_mt did not quit\n{}", self.transcript);
            }
        }
        std::mem::take(&mut self.transcript)
    }
}

impl Drop for CliMt {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sorts each run of child names that `ls`/`ls2` print (`\t<name>` lines;
/// stat lines have a `=`): the server returns children in hash-set order.
fn sort_children(lines: &mut [String]) {
    let is_child = |l: &String| l.starts_with('\t') && !l.contains('=');
    let mut i = 0;
    while i < lines.len() {
        if is_child(&lines[i]) {
            let start = i;
            while i < lines.len() && is_child(&lines[i]) {
                i += 1;
            }
            lines[start..i].sort();
        } else {
            i += 1;
        }
    }
}

/// cli_mt's stderr without times, dates, session ids and log lines; `None`
/// drops the line.
fn normalise_cli_mt_line(line: &str, session: Option<&str>) -> Option<String> {
    // Elapsed times and the C client's own log lines.
    if line.starts_with("time = ") || line.contains(":ZOO_") || line.contains("@log_env") {
        return None;
    }
    if let Some(rest) = line.strip_prefix("Got a new session id: ") {
        let _ = rest;
        return Some("Got a new session id: <session>".into());
    }
    // dumpStat: "\tctime = <ctime_r date>" ends with ctime_r's newline, so
    // the czxid lands on the next line; the same for mtime.
    if line.starts_with("\tctime = ") {
        return Some("\tctime = <time>".into());
    }
    if line.starts_with("\tmtime=") {
        return Some("\tmtime=<time>".into());
    }
    if let Some(owner) = line.strip_prefix("\tephemeralOwner = ") {
        let owner = match session {
            Some(s) if owner == s => "<session>",
            _ if owner == "0" => "0",
            _ => "<other session>",
        };
        return Some(format!("\tephemeralOwner = {owner}"));
    }
    Some(line.to_string())
}
