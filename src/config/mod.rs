//! Server configuration: `zoo.cfg` with Java properties semantics, Java
//! system properties given with `-D`, and the typed configuration.
//!
//! The parser follows Java ZooKeeper's `QuorumPeerConfig` (3.9.5, also
//! matching 3.8) rule by rule:
//!
//! 1. `zoo.cfg` is read as a `java.util.Properties` file (ISO-8859-1);
//!    keys and values are then trimmed (`String.trim`).
//! 2. Recognised keys ([`ServerConfig`]'s fields) are parsed and checked;
//!    every other key `k` becomes the system property `zookeeper.k`,
//!    overriding a `-D` of the same name.
//! 3. The ensemble comes from the `server.N`/`group.G`/`weight.N` keys of
//!    `zoo.cfg`, or from `dynamicConfigFile` (then those keys may not appear
//!    in `zoo.cfg`). The version of a dynamic file is the hex suffix of its
//!    name (`zoo.cfg.dynamic.100000000`); `<zoo.cfg>.dynamic.next` holds a
//!    proposed configuration.
//! 4. `dataDir/myid` gives the server id (required in quorum mode), which
//!    also selects this server's client address and role from the list.
//!
//! Host names are never resolved: addresses are kept as written. Files are
//! read only where Java reads them (the dynamic file, `.dynamic.next`,
//! `myid`).

mod error;
mod files;
pub mod java;
mod parse;
pub mod properties;
mod render;
pub mod server_list;
pub mod sysprops;
pub mod zkprops;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use error::{ConfigError, ConfigWarning};
pub use properties::{Properties, PropertiesError, Property};
pub use server_list::{
    HostPort, LearnerType, QuorumAddress, QuorumConfig, QuorumKind, QuorumServer,
};
pub use sysprops::{PropertyOrigin, SystemProperties, SystemProperty};
pub use zkprops::{FourLetterWordWhitelist, SnapshotCompression, ZooKeeperProperties};

/// Java's default `tickTime` (ms).
pub const DEFAULT_TICK_TIME: i32 = 3000;
/// Java's default `maxClientCnxns`.
pub const DEFAULT_MAX_CLIENT_CNXNS: i32 = 60;
/// The smallest effective `autopurge.snapRetainCount`.
pub const MIN_SNAP_RETAIN_COUNT: i32 = 3;
/// The smallest effective `quorum.cnxn.threads.size`.
pub const MIN_QUORUM_CNXN_THREADS: i32 = 20;
/// The default `metricsProvider.className`.
pub const DEFAULT_METRICS_PROVIDER: &str =
    "org.apache.zookeeper.metrics.impl.DefaultMetricsProvider";
/// The metrics provider classes rzk accepts (the ones a ZooKeeper
/// distribution ships).
pub const KNOWN_METRICS_PROVIDERS: &[&str] = &[
    DEFAULT_METRICS_PROVIDER,
    "org.apache.zookeeper.metrics.impl.NullMetricsProvider",
    "org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider",
];

/// Quorum-peer SASL authentication (`quorum.auth.*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuorumSaslConfig {
    /// `quorum.auth.enableSasl`, default false.
    pub enabled: bool,
    /// `quorum.auth.learnerRequireSasl`, default false.
    pub learner_require_sasl: bool,
    /// `quorum.auth.serverRequireSasl`, default false.
    pub server_require_sasl: bool,
    /// `quorum.auth.learner.saslLoginContext`, default `QuorumLearner`.
    pub learner_login_context: String,
    /// `quorum.auth.server.saslLoginContext`, default `QuorumServer`.
    pub server_login_context: String,
    /// `quorum.auth.kerberos.servicePrincipal`, default `zkquorum/localhost`.
    pub kerberos_service_principal: String,
}

impl Default for QuorumSaslConfig {
    fn default() -> Self {
        QuorumSaslConfig {
            enabled: false,
            learner_require_sasl: false,
            server_require_sasl: false,
            learner_login_context: "QuorumLearner".to_string(),
            server_login_context: "QuorumServer".to_string(),
            kerberos_service_principal: "zkquorum/localhost".to_string(),
        }
    }
}

/// The JVM pause monitor (`jvm.pause.*`). rzk has no JVM but keeps the
/// settings so the monitor's equivalent can use them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JvmPauseMonitorConfig {
    /// `jvm.pause.monitor`, default false.
    pub enabled: bool,
    /// `jvm.pause.info-threshold.ms`, default 1000.
    pub info_threshold_ms: i64,
    /// `jvm.pause.warn-threshold.ms`, default 10000.
    pub warn_threshold_ms: i64,
    /// `jvm.pause.sleep.time.ms`, default 500.
    pub sleep_time_ms: i64,
}

impl Default for JvmPauseMonitorConfig {
    fn default() -> Self {
        JvmPauseMonitorConfig {
            enabled: false,
            info_threshold_ms: 1000,
            warn_threshold_ms: 10_000,
            sleep_time_ms: 500,
        }
    }
}

/// Several addresses per server (`multiAddress.*` keys).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultiAddressConfig {
    /// `multiAddress.enabled`; its default is the system property
    /// `zookeeper.multiAddress.enabled`. Note that parsing `server.N` with
    /// several addresses needs the *system property*, not this key.
    pub enabled: bool,
    /// `multiAddress.reachabilityCheckEnabled`, default true.
    pub reachability_check_enabled: bool,
    /// `multiAddress.reachabilityCheckTimeoutMs`, default 1000.
    pub reachability_check_timeout_ms: i32,
}

/// The typed server configuration. All fields hold effective values (Java's
/// defaults applied).
#[derive(Debug, Clone, PartialEq)]
pub struct ServerConfig {
    /// The configuration file as given (used in messages).
    pub source: String,
    /// The configuration file's text (AdminServer `initial_configuration`).
    pub initial_config: String,
    /// `dataDir` (required): snapshots, `myid`, epochs. Relative paths are
    /// kept as given (resolved against the working directory).
    pub data_dir: PathBuf,
    /// `dataLogDir`, default `dataDir`: transaction logs.
    pub data_log_dir: PathBuf,
    /// The plaintext client listener: `clientPort` with `clientPortAddress`
    /// (default 0.0.0.0), or this server's `;` part of its `server.N` line,
    /// which takes precedence. `None`: no plaintext listener.
    pub client_address: Option<HostPort>,
    /// The TLS client listener: `secureClientPort` with
    /// `secureClientPortAddress` (default 0.0.0.0).
    pub secure_client_address: Option<HostPort>,
    /// `clientPortListenBacklog`, default −1 (the OS default).
    pub client_port_listen_backlog: i32,
    /// `observerMasterPort`; `None` when unset or not positive.
    pub observer_master_port: Option<i32>,
    /// `tickTime` (ms), default 3000; 0 is an error.
    pub tick_time: i32,
    /// `maxClientCnxns` per client IP, default 60 (0 = unlimited).
    pub max_client_cnxns: i32,
    /// `minSessionTimeout` (ms), default 2 × tickTime.
    pub min_session_timeout: i32,
    /// `maxSessionTimeout` (ms), default 20 × tickTime.
    pub max_session_timeout: i32,
    /// `localSessionsEnabled`, default false.
    pub local_sessions_enabled: bool,
    /// `localSessionsUpgradingEnabled`, default false.
    pub local_sessions_upgrading_enabled: bool,
    /// `initLimit` (ticks); required (non-zero) in quorum mode.
    pub init_limit: i32,
    /// `syncLimit` (ticks); required (non-zero) in quorum mode.
    pub sync_limit: i32,
    /// `connectToLearnerMasterLimit` (ticks), default 0 (meaning initLimit).
    pub connect_to_learner_master_limit: i32,
    /// `electionAlg`: only 3 is accepted.
    pub election_alg: i32,
    /// `quorumListenOnAllIPs`, default false.
    pub quorum_listen_on_all_ips: bool,
    /// This server's role: from the server list (the `peerType` key only
    /// matters when it agrees; a mismatch is a warning).
    pub peer_type: LearnerType,
    /// `syncEnabled`, default true (observers log and snapshot).
    pub sync_enabled: bool,
    /// `dynamicConfigFile`, as given.
    pub dynamic_config_file: Option<PathBuf>,
    /// `autopurge.snapRetainCount`, default 3, never below 3.
    pub snap_retain_count: i32,
    /// `autopurge.purgeInterval` (hours), default 0 (off).
    pub purge_interval: i32,
    /// `standaloneEnabled`, default true.
    pub standalone_enabled: bool,
    /// `reconfigEnabled`, default false.
    pub reconfig_enabled: bool,
    /// `sslQuorum`, default false.
    pub ssl_quorum: bool,
    /// `portUnification`, default false.
    pub port_unification: bool,
    /// `sslQuorumReloadCertFiles`, default false.
    pub ssl_quorum_reload_cert_files: bool,
    /// Quorum SASL settings.
    pub quorum_sasl: QuorumSaslConfig,
    /// Effective `quorum.cnxn.threads.size`: the key's value when above 20,
    /// else 20.
    pub quorum_cnxn_threads_size: i32,
    /// JVM pause monitor settings.
    pub jvm_pause_monitor: JvmPauseMonitorConfig,
    /// `metricsProvider.className`.
    pub metrics_provider_class_name: String,
    /// The other `metricsProvider.*` keys, without the prefix.
    pub metrics_provider_config: BTreeMap<String, String>,
    /// `multiAddress.*` keys.
    pub multi_address: MultiAddressConfig,
    /// `oraclePath` (QuorumOracleMaj for two-node ensembles).
    pub oracle_path: Option<String>,
    /// The server id from `dataDir/myid`; `None` if there is no such file
    /// (or it says −1, Java's "unset").
    pub server_id: Option<i64>,
    /// The active ensemble (empty in a plain standalone configuration).
    pub quorum: QuorumConfig,
    /// The proposed ensemble from `<zoo.cfg>.dynamic.next`, if present.
    pub last_seen_quorum: Option<QuorumConfig>,
    /// The effective system properties (`-D` flags plus unrecognised
    /// `zoo.cfg` keys as `zookeeper.<key>`, plus derived ones).
    pub system: SystemProperties,
    /// The typed view of the system properties that matter.
    pub zookeeper: ZooKeeperProperties,
    /// What Java would log a warning about.
    pub warnings: Vec<ConfigWarning>,
}

impl ServerConfig {
    /// Java's `QuorumPeerConfig.isDistributed`: a quorum peer runs when
    /// `standaloneEnabled=false`, or when there is more than one participant.
    pub fn is_distributed(&self) -> bool {
        !self.standalone_enabled || self.quorum.voting_count() > 1
    }

    /// Whether the server runs standalone (`QuorumPeerMain.initializeAndRun`):
    /// no servers, or a single participant with `standaloneEnabled=true`.
    pub fn is_standalone(&self) -> bool {
        !self.is_distributed()
    }

    /// Whether the membership was given inside the static file (no
    /// `dynamicConfigFile`). With reconfig enabled in quorum mode, Java then
    /// copies the file to `<zoo.cfg>.bak` at startup and later moves the
    /// membership into a dynamic file.
    pub fn membership_in_static_file(&self) -> bool {
        self.dynamic_config_file.is_none()
    }

    /// This server's entry in the server list, if any.
    pub fn this_server(&self) -> Option<&QuorumServer> {
        self.server_id.and_then(|id| self.quorum.servers.get(&id))
    }

    /// The configuration as `zoo.cfg`-style lines, for `rzk config`: every
    /// recognised key with its effective value, the ensemble in canonical
    /// form with its version, then the system properties that matter to
    /// ZooKeeper and any others that are set. Secrets are masked.
    pub fn render_effective(&self) -> String {
        render::render_effective(self)
    }
}

/// Loads and checks a configuration file, like `QuorumPeerConfig.parse`.
/// `sys` holds the `-D` properties (see [`SystemProperties::from_env_and_args`]).
pub fn load(path: &Path, sys: SystemProperties) -> Result<ServerConfig, ConfigError> {
    parse::load_with(path, sys, &files::OsFiles)
}

/// Parses configuration text as if it were the content of a file called
/// `name`. The text is treated as that file's bytes, which Java decodes as
/// ISO-8859-1 (so non-ASCII UTF-8 turns into Latin-1 characters, as in
/// Java). No file is read unless the text names one: `dataDir/myid` and
/// `dynamicConfigFile` are read; `<name>.dynamic.next` is not.
pub fn parse_str(
    name: &str,
    text: &str,
    sys: SystemProperties,
) -> Result<ServerConfig, ConfigError> {
    parse_bytes(name, text.as_bytes(), sys)
}

/// Like [`parse_str`], for raw file bytes.
pub fn parse_bytes(
    name: &str,
    bytes: &[u8],
    sys: SystemProperties,
) -> Result<ServerConfig, ConfigError> {
    parse::parse_with(name, None, bytes, sys, &files::OsFiles)
}

/// `QuorumPeerConfig.getVersionFromFilename`: the text after the last `.` of
/// the path, parsed as a hex long and re-rendered (`Long.toHexString`), or
/// `None`. Note that the whole path is searched, and that a sign is accepted
/// (`x.-1` gives "ffffffffffffffff", which Java then fails to parse).
pub fn version_from_filename(path: &str) -> Option<String> {
    let dot = path.rfind('.')?;
    java::parse_long_radix(&path[dot + 1..], 16)
        .ok()
        .map(java::to_hex_string)
}

#[cfg(test)]
mod tests;
