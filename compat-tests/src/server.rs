//! Test servers: Java ZooKeeper (3.9.5 or 3.8.0) and rzk, standalone or in
//! an ensemble, each in a fresh temp dir on reserved 127.0.0.1 ports.
//!
//! Layout of a server's temp dir (`$TMPDIR/rzk-tests/<pid>-<kind>-XXXXXX/`):
//! - `zoo.cfg`     the config it was started with,
//! - `data/`       its `dataDir` (with `myid` in an ensemble),
//! - `server.log`  its stdout and stderr; every (re)start appends a marker line.
//!
//! A server is killed (SIGKILL) and its dir removed when its handle drops;
//! set `RZK_KEEP_TEST_DIRS=1` to keep the dirs. If the test is panicking,
//! the drop prints the tail of the server log to stderr first. Dirs of a
//! test process that was killed are swept by the next one (see
//! [`temp_root`]); its servers die with it (see [`crate::process`]).
//!
//! Readiness: Java answers `ruok` before it has loaded its data, so a server
//! counts as up only when `srvr` reports a `Mode:`; an ensemble is up when one
//! running member is the leader and all other running members follow it.

use std::fmt;
use std::fs::{self, OpenOptions};
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::deps::{self, JavaVersion};
use crate::java::{self, JVM_FLAGS};
use crate::ports::{self, PortReservation};
use crate::process;

/// Keep server temp dirs after the test when this env var is set to a
/// non-empty value other than `0`.
pub const KEEP_DIRS_ENV: &str = "RZK_KEEP_TEST_DIRS";

/// Path of the rzk binary to test (default: `target/<profile>/rzk`).
pub const RZK_BIN_ENV: &str = "RZK_BIN";

/// Override of the start deadline, in seconds.
pub const START_TIMEOUT_ENV: &str = "RZK_TEST_START_TIMEOUT_SECS";

const DEFAULT_START_TIMEOUT: Duration = Duration::from_secs(60);
const STOP_TIMEOUT: Duration = Duration::from_secs(20);
const LOG_TAIL_LINES: usize = 60;

/// Which server program to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ServerKind {
    Java(JavaVersion),
    Rzk,
}

impl fmt::Display for ServerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerKind::Java(v) => write!(f, "java-{v}"),
            ServerKind::Rzk => f.write_str("rzk"),
        }
    }
}

/// How to start a server beyond the defaults.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// Extra `zoo.cfg` lines. A `key=value` line whose key the harness
    /// already writes replaces that default; other lines are appended.
    pub cfg: Vec<String>,
    /// Extra JVM flags, e.g. `-Dznode.container.checkIntervalMs=100`. rzk
    /// gets the `-D` ones (it takes system properties the same way).
    pub jvm_flags: Vec<String>,
    /// Extra classpath entries (Java only), after the server jars.
    pub extra_classpath: Vec<PathBuf>,
    /// Extra environment variables for the server process.
    pub env: Vec<(String, String)>,
    /// How long to wait for the server (or ensemble) to come up.
    pub start_timeout: Duration,
    /// An existing `dataDir` to serve from instead of the server's own
    /// `data/` (e.g. another server's, to take over its files). The caller
    /// keeps it alive; the handle never removes it.
    pub data_dir: Option<PathBuf>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        let start_timeout = std::env::var(START_TIMEOUT_ENV)
            .ok()
            .and_then(|s| s.parse().ok())
            .map(Duration::from_secs)
            .unwrap_or(DEFAULT_START_TIMEOUT);
        ServerOptions {
            cfg: Vec::new(),
            jvm_flags: Vec::new(),
            extra_classpath: Vec::new(),
            env: Vec::new(),
            start_timeout,
            data_dir: None,
        }
    }
}

impl ServerOptions {
    pub fn new() -> Self {
        Self::default()
    }

    /// Options with these extra `zoo.cfg` lines.
    pub fn with_cfg(lines: &[&str]) -> Self {
        ServerOptions {
            cfg: lines.iter().map(|s| s.to_string()).collect(),
            ..Self::default()
        }
    }

    pub fn cfg(mut self, line: impl Into<String>) -> Self {
        self.cfg.push(line.into());
        self
    }

    pub fn jvm_flag(mut self, flag: impl Into<String>) -> Self {
        self.jvm_flags.push(flag.into());
        self
    }

    /// A Java system property, `-Dkey=value` (Java only for now).
    pub fn system_property(self, key: &str, value: impl fmt::Display) -> Self {
        self.jvm_flag(format!("-D{key}={value}"))
    }

    pub fn classpath_entry(mut self, entry: impl Into<PathBuf>) -> Self {
        self.extra_classpath.push(entry.into());
        self
    }

    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    pub fn start_timeout(mut self, timeout: Duration) -> Self {
        self.start_timeout = timeout;
        self
    }

    /// Serve from this existing `dataDir` (see [`ServerOptions::data_dir`]).
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }
}

/// The parsed reply to `srvr`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SrvrInfo {
    /// The version number, e.g. `3.9.5` (from `Zookeeper version: 3.9.5-<sha>, built on …`).
    pub version: String,
    /// `standalone`, `leader`, `follower`, `observer`, …
    pub mode: String,
    /// `Zxid:` (the last processed zxid).
    pub zxid: i64,
    /// `Node count:`.
    pub node_count: u64,
    /// The whole reply.
    pub raw: String,
}

impl SrvrInfo {
    /// Parses a `srvr` reply; `None` unless it has a `Mode:` line (a server
    /// that is not serving answers with a single sentence instead).
    pub fn parse(text: &str) -> Option<SrvrInfo> {
        let field = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(name))
                .map(|v| v.trim().to_string())
        };
        let mode = field("Mode:")?;
        let full_version = field("Zookeeper version:").unwrap_or_default();
        let version = full_version
            .split(['-', ','])
            .next()
            .unwrap_or_default()
            .trim()
            .to_string();
        let zxid = field("Zxid:")
            .and_then(|z| {
                let hex = z.trim_start_matches("0x");
                u64::from_str_radix(hex, 16).ok()
            })
            .map(|z| z as i64)
            .unwrap_or(-1);
        let node_count = field("Node count:")
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        Some(SrvrInfo {
            version,
            mode,
            zxid,
            node_count,
            raw: text.to_string(),
        })
    }
}

/// Sends a four-letter word to 127.0.0.1:`port` and reads the reply to EOF.
pub fn four_letter_word_at(port: u16, cmd: &str) -> io::Result<String> {
    assert_eq!(cmd.len(), 4, "four-letter words have four letters: {cmd:?}");
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.set_write_timeout(Some(Duration::from_secs(10)))?;
    stream.write_all(cmd.as_bytes())?;
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply)?;
    Ok(String::from_utf8_lossy(&reply).into_owned())
}

/// The `server.N` entry of one ensemble member.
#[derive(Clone, Debug)]
struct Peer {
    id: u64,
    quorum_port: u16,
    election_port: u16,
}

/// One test server: a Java ZooKeeper or rzk process with its own temp dir
/// and ports. Killed on drop.
pub struct ServerHandle {
    kind: ServerKind,
    myid: Option<u64>,
    root: PathBuf,
    tempdir: Option<tempfile::TempDir>,
    client_port: PortReservation,
    /// Quorum and election ports (ensemble members only).
    peer_ports: Option<(PortReservation, PortReservation)>,
    opts: ServerOptions,
    child: Option<Child>,
    starts: u32,
    /// A panic message already carries the log tail: don't print it again.
    log_shown: bool,
}

/// Starts Java ZooKeeper servers.
pub struct JavaServer;

impl JavaServer {
    /// A standalone Java server with `extra_cfg` lines; waits until it serves.
    #[track_caller]
    pub fn standalone(version: JavaVersion, extra_cfg: &[&str]) -> ServerHandle {
        ServerHandle::standalone(
            ServerKind::Java(version),
            ServerOptions::with_cfg(extra_cfg),
        )
    }

    /// A standalone Java server with full options; waits until it serves.
    #[track_caller]
    pub fn start(version: JavaVersion, opts: ServerOptions) -> ServerHandle {
        ServerHandle::standalone(ServerKind::Java(version), opts)
    }
}

/// Starts rzk servers (`rzk server <cfg>`).
pub struct RzkServer;

impl RzkServer {
    /// A standalone rzk server with `extra_cfg` lines; waits until it serves.
    #[track_caller]
    pub fn standalone(extra_cfg: &[&str]) -> ServerHandle {
        ServerHandle::standalone(ServerKind::Rzk, ServerOptions::with_cfg(extra_cfg))
    }

    #[track_caller]
    pub fn start(opts: ServerOptions) -> ServerHandle {
        ServerHandle::standalone(ServerKind::Rzk, opts)
    }

    /// The rzk binary: `$RZK_BIN`, else `rzk` in the test executable's
    /// profile dir (`target/debug/rzk` for `cargo test`). Panics if absent.
    pub fn binary() -> PathBuf {
        if let Some(bin) = std::env::var_os(RZK_BIN_ENV).filter(|b| !b.is_empty()) {
            let bin = PathBuf::from(bin);
            if !bin.is_file() {
                panic!("{RZK_BIN_ENV}={} does not exist", bin.display());
            }
            return bin;
        }
        let bin = java::profile_dir().join("rzk");
        if !bin.is_file() {
            panic!(
                "the rzk binary {} is not built: run `cargo build --bin rzk` (or `make compat`, \
                 which builds it), or point {RZK_BIN_ENV} at one",
                bin.display()
            );
        }
        bin
    }
}

impl ServerHandle {
    #[track_caller]
    fn standalone(kind: ServerKind, opts: ServerOptions) -> ServerHandle {
        let mut server = ServerHandle::unstarted(kind, opts);
        server.spawn();
        server.wait_ready();
        server
    }

    /// A standalone server with its dir, config and port, not started yet
    /// (start it with [`ServerHandle::start`], or [`ServerHandle::launch`]
    /// to watch a start that may fail).
    pub fn unstarted(kind: ServerKind, opts: ServerOptions) -> ServerHandle {
        let server = ServerHandle::prepare(kind, None, ports::reserve(), None, opts);
        server.write_config(&[]);
        server
    }

    fn prepare(
        kind: ServerKind,
        myid: Option<u64>,
        client_port: PortReservation,
        peer_ports: Option<(PortReservation, PortReservation)>,
        opts: ServerOptions,
    ) -> ServerHandle {
        let pid = std::process::id();
        let prefix = match myid {
            Some(id) => format!("{pid}-{kind}-{id}-"),
            None => format!("{pid}-{kind}-"),
        };
        let tempdir = tempfile::Builder::new()
            .prefix(&prefix)
            .tempdir_in(temp_root())
            .expect("cannot create a temp dir");
        let root = tempdir.path().to_path_buf();
        let data = root.join("data");
        fs::create_dir_all(&data).expect("create data dir");
        if let Some(id) = myid {
            fs::write(data.join("myid"), format!("{id}\n")).expect("write myid");
        }
        ServerHandle {
            kind,
            myid,
            root,
            tempdir: Some(tempdir),
            client_port,
            peer_ports,
            opts,
            child: None,
            starts: 0,
            log_shown: false,
        }
    }

    fn write_config(&self, peers: &[Peer]) {
        let mut defaults: Vec<(String, String)> = vec![
            ("tickTime".into(), "2000".into()),
            ("initLimit".into(), "10".into()),
            ("syncLimit".into(), "5".into()),
            ("dataDir".into(), self.data_dir().display().to_string()),
            ("clientPort".into(), self.client_port().to_string()),
            ("clientPortAddress".into(), "127.0.0.1".into()),
            ("4lw.commands.whitelist".into(), "*".into()),
            ("admin.enableServer".into(), "false".into()),
        ];
        for peer in peers {
            defaults.push((
                format!("server.{}", peer.id),
                format!("127.0.0.1:{}:{}", peer.quorum_port, peer.election_port),
            ));
        }
        let mut appended = Vec::new();
        for line in &self.opts.cfg {
            let replaced = line.split_once('=').and_then(|(key, value)| {
                let key = key.trim();
                defaults
                    .iter_mut()
                    .find(|(k, _)| k == key)
                    .map(|entry| entry.1 = value.trim().to_string())
            });
            if replaced.is_none() {
                appended.push(line.clone());
            }
        }
        let mut text = String::from("# Written by rzk-compat-tests\n");
        for (key, value) in &defaults {
            text.push_str(&format!("{key}={value}\n"));
        }
        for line in appended {
            text.push_str(&line);
            text.push('\n');
        }
        fs::write(self.config_path(), text).expect("write zoo.cfg");
    }

    fn command(&self) -> Command {
        match self.kind {
            ServerKind::Java(version) => {
                let classpath = deps::server_classpath(version)
                    .with_entries(self.opts.extra_classpath.iter().cloned());
                let mut cmd = Command::new(deps::java_bin());
                cmd.args(JVM_FLAGS)
                    .args(&classpath.jvm_flags)
                    .args(&self.opts.jvm_flags)
                    .arg("-cp")
                    .arg(classpath.to_arg())
                    .arg("org.apache.zookeeper.server.quorum.QuorumPeerMain")
                    .arg(self.config_path());
                cmd
            }
            ServerKind::Rzk => {
                // rzk takes Java system properties as `-Dkey=value`, like a
                // JVM; other JVM flags (heap, GC) mean nothing to it.
                assert!(
                    self.opts.extra_classpath.is_empty(),
                    "a classpath means nothing to rzk: {:?}",
                    self.opts.extra_classpath
                );
                let mut cmd = Command::new(RzkServer::binary());
                cmd.arg("server")
                    .args(self.opts.jvm_flags.iter().filter(|f| f.starts_with("-D")))
                    .arg(self.config_path());
                cmd
            }
        }
    }

    fn spawn(&mut self) {
        assert!(self.child.is_none(), "{self} is already running");
        let mut cmd = self.command();
        cmd.current_dir(&self.root)
            .envs(self.opts.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null());
        let mut log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .expect("open server.log");
        self.starts += 1;
        writeln!(
            log,
            "==== rzk-compat-tests: start #{} of {self}: {cmd:?}",
            self.starts
        )
        .expect("write server.log");
        let err = log.try_clone().expect("dup server.log");
        cmd.stdout(log).stderr(err);
        let child = process::spawn(cmd).unwrap_or_else(|e| panic!("cannot start {self}: {e}"));
        self.child = Some(child);
    }

    /// Waits until `srvr` reports a `Mode:`. Panics, with the log tail, if
    /// the process exits or the start deadline passes.
    #[track_caller]
    pub fn wait_ready(&mut self) -> SrvrInfo {
        let deadline = Instant::now() + self.opts.start_timeout;
        loop {
            if let Some(info) = self.srvr() {
                return info;
            }
            self.assert_alive("while starting");
            if Instant::now() >= deadline {
                self.log_shown = true;
                panic!(
                    "{self} did not come up within {:?}\n{}",
                    self.opts.start_timeout,
                    self.log_tail(LOG_TAIL_LINES)
                );
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// Panics, with the log tail, unless the process is running.
    #[track_caller]
    fn assert_alive(&mut self, context: &str) {
        let child = match self.child.as_mut() {
            Some(child) => child,
            None => panic!("{self} is stopped ({context})"),
        };
        if let Ok(Some(status)) = child.try_wait() {
            self.child = None;
            self.log_shown = true;
            panic!(
                "{self} exited {context}: {status}\n{}",
                self.log_tail(LOG_TAIL_LINES)
            );
        }
    }

    pub fn kind(&self) -> ServerKind {
        self.kind
    }

    /// The `myid` of an ensemble member.
    pub fn myid(&self) -> Option<u64> {
        self.myid
    }

    pub fn client_port(&self) -> u16 {
        self.client_port.port()
    }

    /// The quorum and election ports of an ensemble member.
    pub fn peer_ports(&self) -> Option<(u16, u16)> {
        self.peer_ports.as_ref().map(|(q, e)| (q.port(), e.port()))
    }

    /// `127.0.0.1:<client port>`.
    pub fn connect_string(&self) -> String {
        format!("127.0.0.1:{}", self.client_port())
    }

    /// The server's temp dir (holds `zoo.cfg`, `data/`, `server.log`).
    pub fn dir(&self) -> &Path {
        &self.root
    }

    /// Its `dataDir`; Java keeps `version-2/` (snapshots and logs) there.
    /// That is `data/` in its temp dir unless [`ServerOptions::data_dir`]
    /// named another.
    pub fn data_dir(&self) -> PathBuf {
        self.opts
            .data_dir
            .clone()
            .unwrap_or_else(|| self.root.join("data"))
    }

    /// `dataDir/version-2`, where snapshots and logs are.
    pub fn version_dir(&self) -> PathBuf {
        self.data_dir().join("version-2")
    }

    pub fn config_path(&self) -> PathBuf {
        self.root.join("zoo.cfg")
    }

    pub fn log_path(&self) -> PathBuf {
        self.root.join("server.log")
    }

    /// Everything the server has logged so far (all starts).
    pub fn log_text(&self) -> String {
        fs::read(self.log_path())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }

    /// The last `lines` lines of the log, with a header naming the server.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = self.log_text();
        let all: Vec<&str> = text.lines().collect();
        let start = all.len().saturating_sub(lines);
        format!(
            "---- last {} lines of {} ({}) ----\n{}\n---- end of {} log ----",
            all.len() - start,
            self,
            self.log_path().display(),
            all[start..].join("\n"),
            self
        )
    }

    /// The pid of the running process.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Whether the process is running (reaps it if it has exited).
    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut().map(|c| c.try_wait()) {
            Some(Ok(None)) => true,
            Some(_) => {
                self.child = None;
                false
            }
            None => false,
        }
    }

    /// Sends a four-letter word; returns the reply or the I/O error.
    pub fn try_four_letter_word(&self, cmd: &str) -> io::Result<String> {
        four_letter_word_at(self.client_port(), cmd)
    }

    /// Sends a four-letter word and returns the reply; panics on I/O errors.
    #[track_caller]
    pub fn four_letter_word(&self, cmd: &str) -> String {
        self.try_four_letter_word(cmd)
            .unwrap_or_else(|e| panic!("`{cmd}` to {self} failed: {e}"))
    }

    /// `srvr`, parsed; `None` if unreachable or not serving.
    pub fn srvr(&self) -> Option<SrvrInfo> {
        self.try_four_letter_word("srvr")
            .ok()
            .and_then(|reply| SrvrInfo::parse(&reply))
    }

    /// One value of `mntr` (`zk_<key>`), e.g. `digest_mismatches_count`;
    /// panics if the server does not report it.
    #[track_caller]
    pub fn mntr_value(&self, key: &str) -> String {
        let reply = self.four_letter_word("mntr");
        let name = format!("zk_{key}\t");
        reply
            .lines()
            .find_map(|l| l.strip_prefix(&name))
            .map(|v| v.trim().to_string())
            .unwrap_or_else(|| panic!("{self}: no zk_{key} in mntr:\n{reply}"))
    }

    /// The `Mode:` that `srvr` reports, if serving.
    pub fn mode(&self) -> Option<String> {
        self.srvr().map(|info| info.mode)
    }

    /// Stops gracefully: SIGTERM, then waits (SIGKILL after 20 s). Returns
    /// once the process is gone. A stopped server keeps its dir and ports.
    pub fn stop(&mut self) {
        self.terminate(libc::SIGTERM);
    }

    /// Kills with SIGKILL and waits for the process to be gone.
    pub fn kill(&mut self) {
        self.terminate(libc::SIGKILL);
    }

    fn terminate(&mut self, signal: libc::c_int) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        process::signal(child.id(), signal);
        match process::wait_timeout(&mut child, STOP_TIMEOUT) {
            Ok(Some(_)) => {}
            _ => {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }

    /// Starts a stopped server again with the same dir, config and ports,
    /// and waits until it serves.
    #[track_caller]
    pub fn start(&mut self) -> SrvrInfo {
        self.spawn();
        self.wait_ready()
    }

    /// Starts a stopped server without waiting for it to serve (see
    /// [`ServerHandle::wait_ready`], [`ServerHandle::wait_exit`]).
    pub fn launch(&mut self) {
        self.spawn();
    }

    /// Waits at most `timeout` for the process to exit on its own; returns
    /// its status, or `None` if it is still running (it is left running).
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let child = self.child.as_mut()?;
        match process::wait_timeout(child, timeout) {
            Ok(Some(status)) => {
                self.child = None;
                Some(status)
            }
            _ => None,
        }
    }

    /// Makes a stopped server another kind of server: the next start runs
    /// that program with the same dir, config, data and ports. This is how
    /// a test has Java take over rzk's files, or the other way round.
    pub fn set_kind(&mut self, kind: ServerKind) {
        assert!(
            self.child.is_none(),
            "{self} is running: stop it before changing its kind"
        );
        self.kind = kind;
    }

    /// Stops the server gracefully (if running) and starts it again with the
    /// same dir, config and ports; waits until it serves.
    #[track_caller]
    pub fn restart(&mut self) -> SrvrInfo {
        self.stop();
        self.start()
    }
}

impl fmt::Display for ServerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)?;
        if let Some(id) = self.myid {
            write!(f, " myid={id}")?;
        }
        write!(f, " on 127.0.0.1:{}", self.client_port())
    }
}

impl fmt::Debug for ServerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerHandle")
            .field("kind", &self.kind)
            .field("myid", &self.myid)
            .field("client_port", &self.client_port())
            .field("dir", &self.root)
            .field("pid", &self.pid())
            .finish()
    }
}

/// `$TMPDIR/rzk-tests`, which holds the servers' dirs, named
/// `<pid>-<kind>[-<myid>]-XXXXXX`. The first call in a process removes dirs
/// that a dead test process left behind (it was killed, so no destructor
/// ran) unless they were kept on purpose.
pub fn temp_root() -> PathBuf {
    static SWEPT: std::sync::Once = std::sync::Once::new();
    let root = std::env::temp_dir().join("rzk-tests");
    SWEPT.call_once(|| {
        fs::create_dir_all(&root)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", root.display()));
        let Ok(entries) = fs::read_dir(&root) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            let owner = name
                .to_str()
                .and_then(|n| n.split('-').next())
                .and_then(|pid| pid.parse::<u32>().ok());
            if let Some(pid) = owner {
                if !process::pid_exists(pid) && !path.join(KEPT_MARKER).exists() {
                    let _ = fs::remove_dir_all(&path);
                }
            }
        }
    });
    root
}

/// Marks a dir kept with `RZK_KEEP_TEST_DIRS`, so no sweep removes it.
const KEPT_MARKER: &str = "KEPT";

fn keep_dirs() -> bool {
    std::env::var(KEEP_DIRS_ENV).is_ok_and(|v| !v.is_empty() && v != "0")
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.kill();
        if thread::panicking() && !self.log_shown && self.starts > 0 {
            eprintln!("{}", self.log_tail(LOG_TAIL_LINES));
        }
        if let Some(dir) = self.tempdir.take() {
            if keep_dirs() {
                let path = dir.keep();
                let _ = fs::write(path.join(KEPT_MARKER), "");
                eprintln!("{KEEP_DIRS_ENV}: kept {} for {self}", path.display());
            }
            // Otherwise TempDir's drop removes it.
        }
    }
}

/// An ensemble: servers `server.1` … `server.N` of mixed kinds, on 127.0.0.1.
#[derive(Debug)]
pub struct Ensemble {
    servers: Vec<ServerHandle>,
    start_timeout: Duration,
}

/// Starts Java ensembles.
pub struct JavaEnsemble;

impl JavaEnsemble {
    /// `n` Java servers of one version with `extra_cfg` lines each; waits
    /// for a leader and `n - 1` followers.
    #[track_caller]
    pub fn start(version: JavaVersion, n: usize, extra_cfg: &[&str]) -> Ensemble {
        Ensemble::start(
            &vec![ServerKind::Java(version); n],
            ServerOptions::with_cfg(extra_cfg),
        )
    }
}

/// Starts rzk ensembles.
pub struct RzkEnsemble;

impl RzkEnsemble {
    #[track_caller]
    pub fn start(n: usize, extra_cfg: &[&str]) -> Ensemble {
        Ensemble::start(
            &vec![ServerKind::Rzk; n],
            ServerOptions::with_cfg(extra_cfg),
        )
    }
}

impl Ensemble {
    /// One member per entry of `kinds` (myid 1, 2, …), all with `opts`;
    /// waits for a leader and `n - 1` followers.
    #[track_caller]
    pub fn start(kinds: &[ServerKind], opts: ServerOptions) -> Ensemble {
        assert!(!kinds.is_empty(), "an ensemble needs members");
        let start_timeout = opts.start_timeout;
        let mut servers: Vec<ServerHandle> = kinds
            .iter()
            .enumerate()
            .map(|(i, kind)| {
                let mut ports = ports::reserve_n(3).into_iter();
                let client = ports.next().unwrap();
                let quorum = ports.next().unwrap();
                let election = ports.next().unwrap();
                ServerHandle::prepare(
                    *kind,
                    Some(i as u64 + 1),
                    client,
                    Some((quorum, election)),
                    opts.clone(),
                )
            })
            .collect();
        let peers: Vec<Peer> = servers
            .iter()
            .map(|s| {
                let (quorum_port, election_port) = s.peer_ports().unwrap();
                Peer {
                    id: s.myid().unwrap(),
                    quorum_port,
                    election_port,
                }
            })
            .collect();
        for server in &mut servers {
            server.write_config(&peers);
            server.spawn();
        }
        let mut ensemble = Ensemble {
            servers,
            start_timeout,
        };
        ensemble.wait_for_quorum();
        ensemble
    }

    pub fn len(&self) -> usize {
        self.servers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.servers.is_empty()
    }

    pub fn servers(&self) -> &[ServerHandle] {
        &self.servers
    }

    /// Member `index` (0-based; its myid is `index + 1`).
    pub fn server(&self, index: usize) -> &ServerHandle {
        &self.servers[index]
    }

    pub fn server_mut(&mut self, index: usize) -> &mut ServerHandle {
        &mut self.servers[index]
    }

    /// All members' client addresses, comma-separated.
    pub fn connect_string(&self) -> String {
        self.servers
            .iter()
            .map(ServerHandle::connect_string)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Each member's `Mode:` (`None` if stopped or not serving).
    pub fn modes(&mut self) -> Vec<Option<String>> {
        self.servers
            .iter_mut()
            .map(|s| if s.is_running() { s.mode() } else { None })
            .collect()
    }

    /// Waits until exactly one running member leads and every other running
    /// member follows (or observes); returns the leader's index. Panics with
    /// every member's log tail when the start deadline passes.
    #[track_caller]
    pub fn wait_for_quorum(&mut self) -> usize {
        let deadline = Instant::now() + self.start_timeout;
        loop {
            let mut running = 0;
            let mut leaders = Vec::new();
            let mut others = 0;
            for (i, server) in self.servers.iter_mut().enumerate() {
                if server.child.is_none() {
                    continue; // stopped by the test
                }
                // A member that died on its own fails the wait at once.
                server.assert_alive("while the ensemble elects a leader");
                running += 1;
                match server.mode().as_deref() {
                    Some("leader") => leaders.push(i),
                    Some("follower") | Some("observer") => others += 1,
                    _ => {}
                }
            }
            if leaders.len() == 1 && others + 1 == running {
                return leaders[0];
            }
            if Instant::now() >= deadline {
                let modes = self.modes();
                for server in &mut self.servers {
                    server.log_shown = true;
                }
                let tails: Vec<String> = self
                    .servers
                    .iter()
                    .map(|s| s.log_tail(LOG_TAIL_LINES))
                    .collect();
                panic!(
                    "ensemble did not form a quorum within {:?}; modes {:?}\n{}",
                    self.start_timeout,
                    modes,
                    tails.join("\n")
                );
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// The index of the current leader, waiting for a quorum if needed.
    #[track_caller]
    pub fn leader(&mut self) -> usize {
        self.wait_for_quorum()
    }
}
