//! Where the external test dependencies live, and the Java classpaths built
//! from them.
//!
//! `scripts/setup-test-deps.sh` (run by `make test`) installs everything:
//! - ZooKeeper 3.9.5 and Curator 5.9.0 jars in `$RZK_CACHE/jars`
//!   (`RZK_CACHE` defaults to `$HOME/.cache/rzk`), taken from PyPI's pyspark
//!   sdist;
//! - Debian's ZooKeeper 3.8.0 and Curator 5.4 jars in `/usr/share/java`;
//! - a Python venv with kazoo in `$RZK_CACHE/venv`.
//!
//! Anything missing panics with a message that says how to install it: a
//! compat test never skips silently.

use std::env;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The Java ZooKeeper versions the harness can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JavaVersion {
    /// The reference version, from the pyspark sdist's jars.
    V3_9_5,
    /// Debian 12's packaged version.
    V3_8_0,
}

impl JavaVersion {
    /// Every version, newest first.
    pub const ALL: [JavaVersion; 2] = [JavaVersion::V3_9_5, JavaVersion::V3_8_0];

    /// "3.9.5" or "3.8.0", as `srvr` reports it.
    pub fn as_str(self) -> &'static str {
        match self {
            JavaVersion::V3_9_5 => "3.9.5",
            JavaVersion::V3_8_0 => "3.8.0",
        }
    }
}

impl std::fmt::Display for JavaVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Debian's jar directory (ZooKeeper 3.8.0, Curator 5.4 and their deps).
pub const DEBIAN_JAR_DIR: &str = "/usr/share/java";

/// Debian's ZooKeeper C client (package `zookeeper-bin`), installed off PATH.
pub const CLI_MT: &str = "/usr/lib/zookeeper/bin/cli_mt";

const NETTY_VERSION: &str = "4.2.13.Final";
const NETTY_MODULES: [&str; 9] = [
    "buffer",
    "codec",
    "codec-base",
    "common",
    "handler",
    "resolver",
    "transport",
    "transport-classes-epoll",
    "transport-native-unix-common",
];

/// The 3.9.5 server jars (NIO connection factory), logging through log4j2.
const SERVER_3_9_5: [&str; 10] = [
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

const CURATOR_5_9_0: [&str; 3] = [
    "curator-client-5.9.0.jar",
    "curator-framework-5.9.0.jar",
    "curator-recipes-5.9.0.jar",
];

/// The 3.8.0 server jars (NIO), logging through slf4j-simple to stderr.
const SERVER_3_8_0: [&str; 7] = [
    "zookeeper.jar",
    "zookeeper-jute.jar",
    "slf4j-api.jar",
    "slf4j-simple.jar",
    "metrics-core.jar",
    "snappy-java.jar",
    "commons-io.jar",
];

/// Debian's Netty 4.1 jars (`netty-all.jar` is an empty aggregator).
const DEBIAN_NETTY: [&str; 8] = [
    "netty-buffer.jar",
    "netty-codec.jar",
    "netty-common.jar",
    "netty-handler.jar",
    "netty-resolver.jar",
    "netty-transport.jar",
    "netty-transport-native-epoll.jar",
    "netty-transport-native-unix-common.jar",
];

/// Debian's Curator is not shaded: it needs Guava beside it.
const CURATOR_5_4: [&str; 4] = [
    "curator-client.jar",
    "curator-framework.jar",
    "curator-recipes.jar",
    "guava.jar",
];

/// The compat-tests crate directory (holds `java/` and the log configs).
pub fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The dependency cache: `$RZK_CACHE`, else `$HOME/.cache/rzk`.
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = env::var_os("RZK_CACHE").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let home = env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| missing("neither RZK_CACHE nor HOME is set"));
    Path::new(&home).join(".cache").join("rzk")
}

/// Where the 3.9.5 / Curator 5.9.0 jars are cached.
pub fn reference_jar_dir() -> PathBuf {
    cache_dir().join("jars")
}

/// Panics with the standard "install the test dependencies" message.
#[track_caller]
pub fn missing(what: &str) -> ! {
    panic!(
        "compat test dependency missing: {what}\n\
         Install the test dependencies with `make test` or `scripts/setup-test-deps.sh` \
         (RZK_CACHE={}).",
        env::var("RZK_CACHE").unwrap_or_else(|_| "<unset: $HOME/.cache/rzk>".into())
    )
}

fn existing(dir: &Path, names: &[&str]) -> Vec<PathBuf> {
    names
        .iter()
        .map(|name| {
            let path = dir.join(name);
            if !path.is_file() {
                missing(&format!("{}", path.display()));
            }
            path
        })
        .collect()
}

fn netty_jars(version: JavaVersion) -> Vec<PathBuf> {
    match version {
        JavaVersion::V3_9_5 => {
            let names: Vec<String> = NETTY_MODULES
                .iter()
                .map(|m| format!("netty-{m}-{NETTY_VERSION}.jar"))
                .collect();
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            existing(&reference_jar_dir(), &names)
        }
        JavaVersion::V3_8_0 => existing(Path::new(DEBIAN_JAR_DIR), &DEBIAN_NETTY),
    }
}

/// How the test side of a Java program logs: which role the JVM plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LogRole {
    /// INFO to stdout/stderr, which the harness sends to the server log.
    Server,
    /// WARN and above to stderr, so stdout carries only program output.
    Client,
}

fn log_flags(version: JavaVersion, role: LogRole) -> Vec<String> {
    match version {
        JavaVersion::V3_9_5 => {
            let file = match role {
                LogRole::Server => "log4j2-server.properties",
                LogRole::Client => "log4j2-client.properties",
            };
            let path = crate_dir().join("java").join(file);
            if !path.is_file() {
                missing(&format!("{}", path.display()));
            }
            vec![
                format!("-Dlog4j2.configurationFile={}", path.display()),
                "-Dlog4j2.disableJmx=true".into(),
            ]
        }
        JavaVersion::V3_8_0 => {
            let level = match role {
                LogRole::Server => "info",
                LogRole::Client => "warn",
            };
            vec![
                format!("-Dorg.slf4j.simpleLogger.defaultLogLevel={level}"),
                "-Dorg.slf4j.simpleLogger.showDateTime=true".into(),
                "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss,SSS".into(),
            ]
        }
    }
}

/// A Java classpath plus the JVM flags that configure its logging.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Classpath {
    /// Jars and class directories, in order.
    pub entries: Vec<PathBuf>,
    /// JVM flags that go with these jars (the logging configuration).
    pub jvm_flags: Vec<String>,
}

impl Classpath {
    /// The `-cp` argument: entries joined with `:`.
    pub fn to_arg(&self) -> OsString {
        env::join_paths(&self.entries).expect("classpath entries must not contain ':'")
    }

    /// This classpath with `entry` put first (e.g. compiled test classes).
    pub fn with_first(&self, entry: impl Into<PathBuf>) -> Classpath {
        let mut entries = vec![entry.into()];
        entries.extend(self.entries.iter().cloned());
        Classpath {
            entries,
            jvm_flags: self.jvm_flags.clone(),
        }
    }

    /// This classpath with `more` appended.
    pub fn with_entries(&self, more: impl IntoIterator<Item = PathBuf>) -> Classpath {
        let mut entries = self.entries.clone();
        entries.extend(more);
        Classpath {
            entries,
            jvm_flags: self.jvm_flags.clone(),
        }
    }
}

fn zookeeper_jars(version: JavaVersion) -> Vec<PathBuf> {
    match version {
        JavaVersion::V3_9_5 => existing(&reference_jar_dir(), &SERVER_3_9_5),
        JavaVersion::V3_8_0 => existing(Path::new(DEBIAN_JAR_DIR), &SERVER_3_8_0),
    }
}

/// Starts `org.apache.zookeeper.server.quorum.QuorumPeerMain` with the NIO
/// connection factory; logs at INFO to stdout (3.9.5) or stderr (3.8.0).
pub fn server_classpath(version: JavaVersion) -> Classpath {
    Classpath {
        entries: zookeeper_jars(version),
        jvm_flags: log_flags(version, LogRole::Server),
    }
}

/// The server classpath plus Netty, for `NettyServerCnxnFactory` or TLS.
pub fn server_classpath_with_netty(version: JavaVersion) -> Classpath {
    server_classpath(version).with_entries(netty_jars(version))
}

/// For programs using the official Java client (`org.apache.zookeeper.ZooKeeper`):
/// the ZooKeeper jars plus Netty, whose TLS classes the client loads while
/// connecting. Logs only warnings, to stderr.
pub fn client_classpath(version: JavaVersion) -> Classpath {
    let mut entries = zookeeper_jars(version);
    entries.extend(netty_jars(version));
    Classpath {
        entries,
        jvm_flags: log_flags(version, LogRole::Client),
    }
}

/// Debian's commons-cli 1.5.0 (package libcommons-cli-java, a dependency of
/// libzookeeper-java): the version ZooKeeper 3.9.5 is built with, and the one
/// Debian's 3.8.0 uses. zkCli needs it; the reference jar cache lacks it.
const COMMONS_CLI: &str = "commons-cli-1.5.0.jar";

/// For zkCli (`org.apache.zookeeper.ZooKeeperMain`): the client classpath
/// plus commons-cli, which parses zkCli's options.
pub fn zkcli_classpath(version: JavaVersion) -> Classpath {
    client_classpath(version).with_entries(existing(Path::new(DEBIAN_JAR_DIR), &[COMMONS_CLI]))
}

/// The client classpath plus Curator: 5.9.0 with 3.9.5, Debian's 5.4 with 3.8.0.
pub fn curator_classpath(version: JavaVersion) -> Classpath {
    let curator = match version {
        JavaVersion::V3_9_5 => existing(&reference_jar_dir(), &CURATOR_5_9_0),
        JavaVersion::V3_8_0 => existing(Path::new(DEBIAN_JAR_DIR), &CURATOR_5_4),
    };
    client_classpath(version).with_entries(curator)
}

/// The `java` launcher: `$JAVA_HOME/bin/java` if `JAVA_HOME` is set, else PATH.
pub fn java_bin() -> PathBuf {
    jdk_tool("java")
}

/// The `javac` compiler: `$JAVA_HOME/bin/javac` if `JAVA_HOME` is set, else PATH.
pub fn javac_bin() -> PathBuf {
    jdk_tool("javac")
}

fn jdk_tool(name: &str) -> PathBuf {
    if let Some(home) = env::var_os("JAVA_HOME").filter(|h| !h.is_empty()) {
        let path = Path::new(&home).join("bin").join(name);
        if path.is_file() {
            return path;
        }
    }
    find_on_path(name).unwrap_or_else(|| missing(&format!("`{name}` (a Java 17 JDK) on PATH")))
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = env::var_os("PATH")?;
    env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// The Python of the kazoo venv (`$RZK_CACHE/venv/bin/python`).
pub fn kazoo_python() -> PathBuf {
    let python = cache_dir().join("venv").join("bin").join("python");
    if !python.exists() {
        missing(&format!("the kazoo venv ({})", python.display()));
    }
    python
}

/// Debian's C client `cli_mt`.
pub fn cli_mt() -> PathBuf {
    let path = PathBuf::from(CLI_MT);
    if !path.is_file() {
        missing(&format!("{CLI_MT} (Debian package zookeeper-bin)"));
    }
    path
}
