//! The servers the suite measures: Java ZooKeeper 3.9.5 (the reference
//! jars) and rzk, each started from a `zoo.cfg` with the same settings in
//! its own directory, on a free port of 127.0.0.1.
//!
//! A server process gets SIGKILL if the bench process dies
//! (`PR_SET_PDEATHSIG`), and is killed when its handle drops.

use std::fmt;
use std::fs::{self, OpenOptions};
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// The ZooKeeper 3.9.5 server jars (NIO connection factory, log4j2), as
/// `scripts/setup-test-deps.sh` installs them.
pub const JAVA_SERVER_JARS: [&str; 10] = [
    "zookeeper-3.9.5.jar",
    "zookeeper-jute-3.9.5.jar",
    "slf4j-api-2.0.17.jar",
    "log4j-slf4j2-impl-2.25.4.jar",
    "log4j-api-2.25.4.jar",
    "log4j-core-2.25.4.jar",
    "audience-annotations-0.12.0.jar",
    "commons-io-2.22.0.jar",
    "metrics-core-4.2.37.jar",
    "snappy-java-1.1.10.8.jar",
];

/// Java's log configuration: INFO to stdout (the server log), like the
/// console appender of ZooKeeper's own `conf/`.
const LOG4J2_PROPERTIES: &str = "\
status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.target = SYSTEM_OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = %d{ISO8601} - %-5p [%t:%c{1}] - %m%n
rootLogger.level = info
rootLogger.appenderRef.out.ref = OUT
";

/// Which server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Kind {
    Java,
    Rzk,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Java => "java",
            Kind::Rzk => "rzk",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How to start either server.
#[derive(Clone, Debug)]
pub struct Programs {
    pub java: PathBuf,
    pub java_jars: PathBuf,
    /// The JVM's maximum heap, e.g. `3g`.
    pub java_heap: String,
    pub rzk: PathBuf,
}

impl Programs {
    /// Checks that the programs and jars are there.
    pub fn check(&self) -> Result<(), String> {
        for jar in JAVA_SERVER_JARS {
            let path = self.java_jars.join(jar);
            if !path.is_file() {
                return Err(format!(
                    "{} is missing: install the reference jars with scripts/setup-test-deps.sh \
                     (or pass --java-jars)",
                    path.display()
                ));
            }
        }
        if !self.rzk.is_file() {
            return Err(format!("the rzk binary {} is missing", self.rzk.display()));
        }
        Ok(())
    }
}

/// The `zoo.cfg` settings both servers get (besides dataDir and the port).
pub const COMMON_CFG: &[(&str, &str)] = &[
    ("tickTime", "2000"),
    ("initLimit", "10"),
    ("syncLimit", "5"),
    ("clientPortAddress", "127.0.0.1"),
    ("forceSync", "yes"),
    // The load generator opens many sessions from one address.
    ("maxClientCnxns", "0"),
    ("admin.enableServer", "false"),
    ("4lw.commands.whitelist", "srvr,mntr,ruok"),
];

/// A free TCP port on 127.0.0.1 (the OS's pick; free when returned).
pub fn free_port() -> io::Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(listener.local_addr()?.port())
}

/// One server process with its directory.
pub struct Server {
    kind: Kind,
    programs: Programs,
    dir: PathBuf,
    port: u16,
    child: Option<Child>,
}

impl Server {
    /// Creates `dir` (emptied first), writes the config and starts the
    /// server; returns once it serves.
    pub fn start(kind: Kind, programs: &Programs, dir: &Path) -> io::Result<Server> {
        if dir.exists() {
            fs::remove_dir_all(dir)?;
        }
        fs::create_dir_all(dir.join("data"))?;
        let port = free_port()?;
        let mut server = Server {
            kind,
            programs: programs.clone(),
            dir: dir.to_path_buf(),
            port,
            child: None,
        };
        server.write_config()?;
        server.spawn()?;
        server.wait_ready(Duration::from_secs(120))?;
        Ok(server)
    }

    fn write_config(&self) -> io::Result<()> {
        let mut text = String::from("# written by rzk bench\n");
        for (key, value) in COMMON_CFG {
            text.push_str(&format!("{key}={value}\n"));
        }
        text.push_str(&format!("dataDir={}\n", self.data_dir().display()));
        text.push_str(&format!("clientPort={}\n", self.port));
        fs::write(self.config_path(), text)?;
        if self.kind == Kind::Java {
            fs::write(self.dir.join("log4j2.properties"), LOG4J2_PROPERTIES)?;
        }
        Ok(())
    }

    fn command(&self) -> Command {
        match self.kind {
            Kind::Java => {
                let classpath: Vec<PathBuf> = JAVA_SERVER_JARS
                    .iter()
                    .map(|j| self.programs.java_jars.join(j))
                    .collect();
                let classpath = std::env::join_paths(classpath).expect("jar paths without ':'");
                let mut cmd = Command::new(&self.programs.java);
                cmd.arg(format!("-Xmx{}", self.programs.java_heap))
                    .arg(format!(
                        "-Dlog4j2.configurationFile={}",
                        self.dir.join("log4j2.properties").display()
                    ))
                    .arg("-cp")
                    .arg(classpath)
                    .arg("org.apache.zookeeper.server.quorum.QuorumPeerMain")
                    .arg(self.config_path());
                cmd
            }
            Kind::Rzk => {
                let mut cmd = Command::new(&self.programs.rzk);
                cmd.arg("server").arg(self.config_path());
                cmd
            }
        }
    }

    /// Starts the process (it must not be running); returns right away.
    pub fn spawn(&mut self) -> io::Result<()> {
        assert!(self.child.is_none(), "{self} is running already");
        let mut cmd = self.command();
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())?;
        let err = log.try_clone()?;
        cmd.current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err);
        #[cfg(target_os = "linux")]
        {
            use std::os::unix::process::CommandExt;
            // SAFETY: getpid has no preconditions.
            let parent = unsafe { libc::getpid() };
            // SAFETY: only async-signal-safe calls between fork and exec.
            unsafe {
                cmd.pre_exec(move || {
                    if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong) != 0 {
                        return Err(io::Error::last_os_error());
                    }
                    if libc::getppid() != parent {
                        libc::_exit(1);
                    }
                    Ok(())
                });
            }
        }
        self.child = Some(cmd.spawn()?);
        Ok(())
    }

    /// Waits until `srvr` reports a mode.
    pub fn wait_ready(&mut self, timeout: Duration) -> io::Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(reply) = four_letter_word(self.port, "srvr") {
                if reply.contains("Mode:") {
                    return Ok(());
                }
            }
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    self.child = None;
                    return Err(io::Error::other(format!(
                        "{self} exited while starting ({status}); see {}",
                        self.log_path().display()
                    )));
                }
            }
            if Instant::now() >= deadline {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("{self} did not come up; see {}", self.log_path().display()),
                ));
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops gracefully (SIGTERM; SIGKILL after 60 s) and waits.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        // SAFETY: kill has no memory-safety preconditions.
        unsafe {
            libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            match child.try_wait() {
                Ok(Some(_)) => return,
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(10)),
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return;
                }
            }
        }
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// Where both servers keep snapshots and logs.
    pub fn version_dir(&self) -> PathBuf {
        self.data_dir().join("version-2")
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.join("zoo.cfg")
    }

    pub fn log_path(&self) -> PathBuf {
        self.dir.join("server.log")
    }

    /// The snapshot files (`snapshot.<zxid>`), oldest first.
    pub fn snapshots(&self) -> Vec<SnapshotFile> {
        let mut out: Vec<SnapshotFile> = fs::read_dir(self.version_dir())
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_str()?.to_string();
                if !name.starts_with("snapshot.") {
                    return None;
                }
                let meta = e.metadata().ok()?;
                Some(SnapshotFile {
                    size: meta.len(),
                    created: meta.created().ok(),
                    modified: meta.modified().ok(),
                    name,
                })
            })
            .collect();
        out.sort_by_key(|f| {
            u64::from_str_radix(f.name.trim_start_matches("snapshot."), 16).unwrap_or(0)
        });
        out
    }
}

/// A snapshot file in a server's data dir.
#[derive(Clone, Debug)]
pub struct SnapshotFile {
    pub name: String,
    pub size: u64,
    /// When the file was created (its birth time) — when writing began,
    /// for a writer that writes in place or renames a temp file.
    pub created: Option<std::time::SystemTime>,
    /// When it was last written.
    pub modified: Option<std::time::SystemTime>,
}

impl fmt::Display for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} server on 127.0.0.1:{}", self.kind, self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Sends a four-letter word and reads the reply to the end.
pub fn four_letter_word(port: u16, word: &str) -> io::Result<String> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.write_all(word.as_bytes())?;
    let mut reply = String::new();
    stream.read_to_string(&mut reply)?;
    Ok(reply)
}
