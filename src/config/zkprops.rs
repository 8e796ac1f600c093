//! The ZooKeeper settings that Java reads from system properties, typed and
//! with Java's defaults.
//!
//! Every field documents the property name and the exact way Java reads it,
//! because the accessors differ in ways that matter:
//!
//! * `Boolean.getBoolean(p)` / `Boolean.parseBoolean(getProperty(p, d))`:
//!   only "true" (any case) is true.
//! * `getProperty(p, "yes").equals("no")` and friends: exact, case-sensitive
//!   words (`skipACL`, `forceSync`, `leaderServes`, `admin.enableServer`).
//! * `Integer.getInteger` / `Long.getLong`: `Integer.decode` syntax (hex,
//!   octal); an unparsable value silently gives the default.
//! * `Integer.parseInt` / `Long.parseLong` on the raw value: decimal only;
//!   some call sites fall back to the default, others fail at startup.
//!
//! Most of these can be written in `zoo.cfg` without the `zookeeper.` prefix
//! (an unrecognised key `k` becomes the property `zookeeper.k`). Those read
//! without the prefix (`jute.maxbuffer`, `readonlymode.enabled`,
//! `znode.container.*`, `leader.nodelay`, `follower.nodelay`) can only be
//! set with `-D`.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use super::java;
use super::sysprops::SystemProperties;

/// `jute.maxbuffer` (`-D` only).
pub const JUTE_MAXBUFFER: &str = "jute.maxbuffer";
/// Default of `jute.maxbuffer`: 1 MiB − 1.
pub const DEFAULT_JUTE_MAXBUFFER: i32 = 0xfffff;
/// `zookeeper.jute.maxbuffer.extrasize`.
pub const JUTE_MAXBUFFER_EXTRASIZE: &str = "zookeeper.jute.maxbuffer.extrasize";
/// The smallest effective `zookeeper.jute.maxbuffer.extrasize`.
pub const MIN_JUTE_MAXBUFFER_EXTRASIZE: i32 = 1024;
/// `zookeeper.4lw.commands.whitelist`.
pub const FOUR_LETTER_WORD_WHITELIST: &str = "zookeeper.4lw.commands.whitelist";
/// `readonlymode.enabled` (`-D` only).
pub const READONLY_MODE_ENABLED: &str = "readonlymode.enabled";
/// `zookeeper.multiAddress.enabled`: read by the `server.N` parser from the
/// system property, not from the `multiAddress.enabled` key of `zoo.cfg`.
pub const MULTI_ADDRESS_ENABLED: &str = "zookeeper.multiAddress.enabled";
/// `zookeeper.multiAddress.reachabilityCheckEnabled` (default of the key).
pub const MULTI_ADDRESS_REACHABILITY_CHECK_ENABLED: &str =
    "zookeeper.multiAddress.reachabilityCheckEnabled";
/// `zookeeper.multiAddress.reachabilityCheckTimeoutMs` (default of the key).
pub const MULTI_ADDRESS_REACHABILITY_CHECK_TIMEOUT_MS: &str =
    "zookeeper.multiAddress.reachabilityCheckTimeoutMs";
/// `zookeeper.kerberos.canonicalizeHostNames`.
pub const KERBEROS_CANONICALIZE_HOST_NAMES: &str = "zookeeper.kerberos.canonicalizeHostNames";
/// `zookeeper.cnxTimeout`.
pub const CNX_TIMEOUT: &str = "zookeeper.cnxTimeout";
/// `zookeeper.extendedTypesEnabled`.
pub const EXTENDED_TYPES_ENABLED: &str = "zookeeper.extendedTypesEnabled";
/// `zookeeper.ssl.authProvider`.
pub const SSL_AUTH_PROVIDER: &str = "zookeeper.ssl.authProvider";
/// Prefix of `zookeeper.authProvider.<scheme>`.
pub const AUTH_PROVIDER_PREFIX: &str = "zookeeper.authProvider.";

/// Every four-letter word the server knows (`FourLetterCommands`).
pub const FOUR_LETTER_WORDS: &[&str] = &[
    "conf",
    "cons",
    "crst",
    "dirs",
    "dump",
    "envi",
    "gtmk",
    "ruok",
    "stmk",
    "srst",
    "srvr",
    "stat",
    "wchc",
    "wchp",
    "wchs",
    "mntr",
    "isro",
    "telnet close",
    "hash",
];

/// The enabled four-letter words (`FourLetterCommands.isEnabled`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FourLetterWordWhitelist {
    /// The enabled words: the comma-separated, trimmed whitelist entries
    /// (`*` expands to every known word), plus `srvr` always, plus `isro`
    /// when `readonlymode.enabled` is exactly "true". Unknown words are kept,
    /// as Java keeps them.
    pub commands: BTreeSet<String>,
}

impl FourLetterWordWhitelist {
    /// Builds the whitelist from the property value as Java does.
    pub fn from_property(whitelist: Option<&str>, readonly_mode_exactly_true: bool) -> Self {
        let mut commands = BTreeSet::new();
        if let Some(list) = whitelist {
            for entry in list.split(',') {
                let entry = java::trim(entry);
                if entry == "*" {
                    commands.extend(FOUR_LETTER_WORDS.iter().map(|w| w.to_string()));
                    break;
                }
                if !entry.is_empty() {
                    commands.insert(entry.to_string());
                }
            }
        }
        if readonly_mode_exactly_true {
            commands.insert("isro".to_string());
        }
        commands.insert("srvr".to_string());
        FourLetterWordWhitelist { commands }
    }

    /// Whether the four-letter word `command` may be run.
    pub fn is_enabled(&self, command: &str) -> bool {
        self.commands.contains(command)
    }
}

/// `zookeeper.snapshot.compression.method` (`SnapStream.StreamMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotCompression {
    /// Plain snapshot with an Adler32 checksum (the default, name "").
    Checked,
    /// `gz`: gzip, file suffix `.gz`.
    Gzip,
    /// `snappy`: snappy-java framing, file suffix `.snappy`.
    Snappy,
}

impl SnapshotCompression {
    /// `StreamMode.fromString`: case-insensitive; anything unknown is the
    /// default (checked).
    pub fn from_property(value: Option<&str>) -> Self {
        match value {
            Some(v) if java::equals_ignore_case(v, "gz") => SnapshotCompression::Gzip,
            Some(v) if java::equals_ignore_case(v, "snappy") => SnapshotCompression::Snappy,
            _ => SnapshotCompression::Checked,
        }
    }

    /// The property spelling ("", "gz" or "snappy").
    pub fn name(self) -> &'static str {
        match self {
            SnapshotCompression::Checked => "",
            SnapshotCompression::Gzip => "gz",
            SnapshotCompression::Snappy => "snappy",
        }
    }
}

/// The AdminServer (`JettyAdminServer`, `AdminServerFactory`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminServerProperties {
    /// `zookeeper.admin.enableServer`: enabled unless exactly "false".
    pub enable_server: bool,
    /// `zookeeper.admin.serverAddress`, default 0.0.0.0.
    pub server_address: String,
    /// `zookeeper.admin.serverPort` (`Integer.getInteger`), default 8080.
    pub server_port: i32,
    /// `zookeeper.admin.commandURL`, default `/commands`.
    pub command_url: String,
    /// `zookeeper.admin.idleTimeout` (ms), default 30000.
    pub idle_timeout_ms: i32,
    /// `zookeeper.admin.portUnification` (`Boolean.getBoolean`).
    pub port_unification: bool,
    /// `zookeeper.admin.forceHttps` (`Boolean.getBoolean`).
    pub force_https: bool,
    /// `zookeeper.admin.needClientAuth` (`Boolean.getBoolean`, v3.9).
    pub need_client_auth: bool,
    /// `zookeeper.admin.snapshot.enabled` (`parseBoolean`, default true, v3.9).
    pub snapshot_enabled: bool,
    /// `zookeeper.admin.restore.enabled` (`parseBoolean`, default true, v3.9).
    pub restore_enabled: bool,
    /// `zookeeper.admin.rateLimiterIntervalInMS`, default 300000. Java parses
    /// it with `Integer.parseInt`; an invalid value gives the default here.
    pub rate_limiter_interval_ms: i64,
}

/// The container and TTL node reaper (`-D` only, no `zookeeper.` prefix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerProperties {
    /// `znode.container.checkIntervalMs` (`Integer.getInteger`), default 60000.
    pub check_interval_ms: i32,
    /// `znode.container.maxPerMinute` (`Integer.getInteger`), default 10000.
    pub max_per_minute: i32,
    /// `znode.container.maxNeverUsedIntervalMs` (`Long.getLong`), default 0.
    pub max_never_used_interval_ms: i64,
}

/// The typed view of the system properties that matter to ZooKeeper.
#[derive(Debug, Clone, PartialEq)]
pub struct ZooKeeperProperties {
    /// Enabled four-letter words (`zookeeper.4lw.commands.whitelist`).
    pub four_letter_words: FourLetterWordWhitelist,
    /// `jute.maxbuffer` (`Integer.getInteger`, `-D` only), default 0xfffff.
    /// Writing `jute.maxbuffer` in `zoo.cfg` sets `zookeeper.jute.maxbuffer`,
    /// which nothing reads.
    pub jute_max_buffer: i32,
    /// `zookeeper.jute.maxbuffer.extrasize` (`Integer.getInteger`), default
    /// `jute_max_buffer`, raised to at least 1024.
    pub jute_max_buffer_extra_size: i32,
    /// `zookeeper.snapCount` (`Integer.getInteger`), default 100000, at
    /// least 2.
    pub snap_count: i32,
    /// `zookeeper.snapSizeLimitInKb` (`Long.getLong`), default 4194304;
    /// `<= 0` disables size-triggered snapshots.
    pub snap_size_limit_kb: i64,
    /// `zookeeper.txnLogSizeLimitInKb` (`Long.getLong`), default −1; only a
    /// positive value enables the limit.
    pub txn_log_size_limit_kb: i64,
    /// `zookeeper.preAllocSize` in KiB (`Long.parseLong`, decimal only; an
    /// invalid value is ignored), default 65536.
    pub pre_alloc_size_kb: i64,
    /// `zookeeper.forceSync`: fsync unless exactly "no".
    pub force_sync: bool,
    /// `zookeeper.fsync.warningthresholdms`, else `fsync.warningthresholdms`
    /// (`Long.getLong` both), default 1000.
    pub fsync_warning_threshold_ms: i64,
    /// `zookeeper.snapshot.compression.method`.
    pub snapshot_compression: SnapshotCompression,
    /// `zookeeper.snapshot.trust.empty` (`Boolean.getBoolean`).
    pub snapshot_trust_empty: bool,
    /// `zookeeper.datadir.autocreate` (`parseBoolean`, default true).
    pub datadir_autocreate: bool,
    /// `zookeeper.db.autocreate` (`parseBoolean`, default true).
    pub db_autocreate: bool,
    /// `zookeeper.digest.enabled` (`parseBoolean`, default true).
    pub digest_enabled: bool,
    /// `zookeeper.closeSessionTxn.enabled` (`parseBoolean`, default true).
    pub close_session_txn_enabled: bool,
    /// `zookeeper.serializeLastProcessedZxid.enabled` (`parseBoolean`,
    /// default true; v3.9).
    pub serialize_last_processed_zxid_enabled: bool,
    /// `zookeeper.extendedTypesEnabled` (`Boolean.getBoolean`): TTL nodes;
    /// server ids must then be at most 254.
    pub extended_types_enabled: bool,
    /// `zookeeper.emulate353TTLNodes` (`Boolean.getBoolean`).
    pub emulate_353_ttl_nodes: bool,
    /// `zookeeper.skipACL`: ACL checks are skipped only if exactly "yes".
    pub skip_acl: bool,
    /// `zookeeper.enforceQuota` (`parseBoolean`, default false).
    pub enforce_quota: bool,
    /// `zookeeper.enableEagerACLCheck` (`Boolean.getBoolean`).
    pub enable_eager_acl_check: bool,
    /// `zookeeper.maxCnxns` (`Integer.getInteger`), default 0 (no limit).
    pub max_cnxns: i32,
    /// `zookeeper.globalOutstandingLimit` (`Integer.getInteger`), default 1000.
    pub global_outstanding_limit: i32,
    /// `zookeeper.serverCnxnFactory`: the class name; `None` means NIO.
    pub server_cnxn_factory: Option<String>,
    /// The AdminServer.
    pub admin: AdminServerProperties,
    /// `zookeeper.DigestAuthenticationProvider.superDigest`.
    pub super_digest: Option<String>,
    /// `zookeeper.DigestAuthenticationProvider.enabled` (`parseBoolean`,
    /// default true).
    pub digest_auth_enabled: bool,
    /// `zookeeper.DigestAuthenticationProvider.digestAlg`, default SHA1.
    pub digest_algorithm: String,
    /// The container reaper.
    pub container: ContainerProperties,
    /// `readonlymode.enabled` (`Boolean.getBoolean`, `-D` only).
    pub readonly_mode_enabled: bool,
    /// `zookeeper.commitLogCount` (`Integer.parseInt`, invalid → default),
    /// default 500, and never below 500.
    pub commit_log_count: i32,
    /// `zookeeper.snapshotSizeFactor` (`Double.parseDouble`, invalid →
    /// default), default 0.33; values above 1 give the default.
    pub snapshot_size_factor: f64,
    /// `zookeeper.leaderServes`: the leader serves clients unless exactly "no".
    pub leader_serves: bool,
    /// `zookeeper.cnxTimeout` (ms, `Integer.parseInt`), default 5000. An
    /// invalid value makes a Java quorum peer fail at startup, which the
    /// configuration parser reports as an error in quorum mode.
    pub cnx_timeout_ms: i32,
    /// `zookeeper.electionPortBindRetry` (`Integer.getInteger`), default 3;
    /// 0 means retry forever, negative values give the default.
    pub election_port_bind_retry: i32,
    /// `zookeeper.tcpKeepAlive` (`Boolean.getBoolean`): quorum sockets.
    pub tcp_keep_alive: bool,
    /// `zookeeper.clientTcpKeepAlive` (`Boolean.getBoolean`): client sockets.
    pub client_tcp_keep_alive: bool,
    /// `zookeeper.request_throttle_max_requests` (`Integer.getInteger`),
    /// default 0 (off).
    pub request_throttle_max_requests: i32,
    /// `zookeeper.request_throttle_stall_time` (ms), default 100.
    pub request_throttle_stall_time_ms: i32,
    /// `zookeeper.request_throttle_drop_stale` (`parseBoolean`, default true).
    pub request_throttle_drop_stale: bool,
    /// `zookeeper.throttled_op_wait_time` (ms), default 0.
    pub throttled_op_wait_time_ms: i32,
    /// `zookeeper.largeRequestMaxBytes`, default 100 MiB.
    pub large_request_max_bytes: i32,
    /// `zookeeper.largeRequestThreshold`, default −1 (off).
    pub large_request_threshold: i32,
    /// `zookeeper.maxResponseCacheSize` (getData cache), default 400.
    pub max_response_cache_size: i32,
    /// `zookeeper.maxGetChildrenResponseCacheSize`, default 400.
    pub max_get_children_response_cache_size: i32,
    /// `zookeeper.nio.sessionlessCnxnTimeout` (ms), default 10000.
    pub nio_sessionless_cnxn_timeout_ms: i32,
    /// `zookeeper.nio.numSelectorThreads`; `None` means Java's
    /// `max(sqrt(cores / 2), 1)`.
    pub nio_num_selector_threads: Option<i32>,
    /// `zookeeper.nio.numWorkerThreads`; `None` means 2 × cores.
    pub nio_num_worker_threads: Option<i32>,
    /// `zookeeper.nio.directBufferBytes`, default 65536.
    pub nio_direct_buffer_bytes: i32,
    /// `zookeeper.commitProcessor.numWorkerThreads`; `None` means cores.
    pub commit_processor_num_worker_threads: Option<i32>,
    /// `zookeeper.commitProcessor.maxReadBatchSize`, default −1.
    pub commit_processor_max_read_batch_size: i32,
    /// `zookeeper.commitProcessor.maxCommitBatchSize`, default 1.
    pub commit_processor_max_commit_batch_size: i32,
    /// `zookeeper.leader.maxConcurrentSnapSyncs`, default 10.
    pub leader_max_concurrent_snap_syncs: i32,
    /// `zookeeper.leader.maxConcurrentDiffSyncs`, default 100.
    pub leader_max_concurrent_diff_syncs: i32,
    /// `zookeeper.leader.ackLoggingFrequency`, default 1000.
    pub leader_ack_logging_frequency: i32,
    /// `zookeeper.leader.maxTimeToWaitForEpoch` (ms), default −1.
    pub leader_max_time_to_wait_for_epoch_ms: i32,
    /// `zookeeper.fastleader.minNotificationInterval` (ms), default 200.
    pub fle_min_notification_interval_ms: i32,
    /// `zookeeper.fastleader.maxNotificationInterval` (ms), default 60000.
    pub fle_max_notification_interval_ms: i32,
    /// `zookeeper.observer.syncEnabled` (`Boolean.getBoolean`); when set it
    /// overrides the `syncEnabled` key.
    pub observer_sync_enabled: Option<bool>,
    /// `zookeeper.observer.reconnectDelayMs` (`Long.getLong`), default 0.
    pub observer_reconnect_delay_ms: i64,
    /// `zookeeper.observer.election.DelayMs` (`Long.getLong`), default 200.
    pub observer_election_delay_ms: i64,
    /// `zookeeper.quorumCnxnTimeoutMs`, default −1.
    pub quorum_cnxn_timeout_ms: i32,
    /// `zookeeper.learner.asyncSending`, else `learner.asyncSending`
    /// (trimmed, `parseBoolean`).
    pub learner_async_sending: bool,
    /// `zookeeper.learner.closeSocketAsync`, else `learner.closeSocketAsync`.
    pub learner_close_socket_async: bool,
    /// `zookeeper.leader.closeSocketAsync`, else `leader.closeSocketAsync`.
    pub leader_close_socket_async: bool,
    /// `zookeeper.forceSnapshotSync` (`Boolean.getBoolean`; testing).
    pub force_snapshot_sync: bool,
    /// `leader.nodelay`: TCP_NODELAY on learner sockets unless not exactly
    /// "true" (`-D` only).
    pub leader_nodelay: bool,
    /// `follower.nodelay`: likewise for the learner side (`-D` only).
    pub follower_nodelay: bool,
    /// `zookeeper.connection_throttle_tokens`, default 0 (off).
    pub connection_throttle_tokens: i32,
    /// `zookeeper.connection_throttle_fill_time` (ms), default 1.
    pub connection_throttle_fill_time: i32,
    /// `zookeeper.connection_throttle_fill_count`, default 1.
    pub connection_throttle_fill_count: i32,
    /// `zookeeper.connection_throttle_freeze_time` (ms), default −1.
    pub connection_throttle_freeze_time: i32,
    /// `zookeeper.connection_throttle_weight_enabled` (`Boolean.getBoolean`).
    pub connection_throttle_weight_enabled: bool,
    /// `zookeeper.audit.enable` (`Boolean.getBoolean`).
    pub audit_enabled: bool,
    /// `zookeeper.enforce.auth.enabled` (`parseBoolean`, default false).
    pub enforce_auth_enabled: bool,
    /// `zookeeper.enforce.auth.schemes` (comma-separated).
    pub enforce_auth_schemes: Option<String>,
    /// `zookeeper.sessionRequireClientSASLAuth` (`parseBoolean`).
    pub session_require_client_sasl_auth: bool,
    /// `zookeeper.allowSaslFailedClients` (`Boolean.getBoolean`).
    pub allow_sasl_failed_clients: bool,
    /// `zookeeper.client.portUnification` (`Boolean.getBoolean`, Netty).
    pub client_port_unification: bool,
    /// `zookeeper.multiAddress.enabled` (`parseBoolean`): whether `server.N`
    /// may list several `|`-separated addresses.
    pub multi_address_enabled: bool,
    /// `zookeeper.watchManagerName`: the watch manager class.
    pub watch_manager_name: Option<String>,
    /// `zookeeper.watcherCleanThreshold`, default 1000.
    pub watcher_clean_threshold: i32,
    /// `zookeeper.watcherCleanIntervalInSeconds`, default 600.
    pub watcher_clean_interval_seconds: i32,
    /// `zookeeper.watcherCleanThreadsNum`, default 2.
    pub watcher_clean_threads: i32,
    /// `zookeeper.maxInProcessingDeadWatchers`, default −1.
    pub max_in_processing_dead_watchers: i32,
}

impl ZooKeeperProperties {
    /// Reads every property the way Java reads it.
    pub fn from_system(sys: &SystemProperties) -> Self {
        let jute_max_buffer = sys.get_int(JUTE_MAXBUFFER, DEFAULT_JUTE_MAXBUFFER);
        let readonly_mode_enabled = sys.get_bool(READONLY_MODE_ENABLED, false);
        ZooKeeperProperties {
            four_letter_words: FourLetterWordWhitelist::from_property(
                sys.get(FOUR_LETTER_WORD_WHITELIST),
                sys.value_equals(READONLY_MODE_ENABLED, "false", "true"),
            ),
            jute_max_buffer,
            jute_max_buffer_extra_size: sys
                .get_int(JUTE_MAXBUFFER_EXTRASIZE, jute_max_buffer)
                .max(MIN_JUTE_MAXBUFFER_EXTRASIZE),
            snap_count: sys.get_int("zookeeper.snapCount", 100_000).max(2),
            snap_size_limit_kb: sys.get_long("zookeeper.snapSizeLimitInKb", 4_194_304),
            txn_log_size_limit_kb: sys.get_long("zookeeper.txnLogSizeLimitInKb", -1),
            pre_alloc_size_kb: sys
                .get("zookeeper.preAllocSize")
                .and_then(|v| java::parse_long(v).ok())
                .unwrap_or(65_536),
            force_sync: !sys.value_equals("zookeeper.forceSync", "yes", "no"),
            fsync_warning_threshold_ms: sys
                .get_long_opt("zookeeper.fsync.warningthresholdms")
                .unwrap_or_else(|| sys.get_long("fsync.warningthresholdms", 1000)),
            snapshot_compression: SnapshotCompression::from_property(
                sys.get("zookeeper.snapshot.compression.method"),
            ),
            snapshot_trust_empty: sys.get_bool("zookeeper.snapshot.trust.empty", false),
            datadir_autocreate: sys.get_bool("zookeeper.datadir.autocreate", true),
            db_autocreate: sys.get_bool("zookeeper.db.autocreate", true),
            digest_enabled: sys.get_bool("zookeeper.digest.enabled", true),
            close_session_txn_enabled: sys.get_bool("zookeeper.closeSessionTxn.enabled", true),
            serialize_last_processed_zxid_enabled: sys
                .get_bool("zookeeper.serializeLastProcessedZxid.enabled", true),
            extended_types_enabled: sys.get_bool(EXTENDED_TYPES_ENABLED, false),
            emulate_353_ttl_nodes: sys.get_bool("zookeeper.emulate353TTLNodes", false),
            skip_acl: sys.value_equals("zookeeper.skipACL", "no", "yes"),
            enforce_quota: sys.get_bool("zookeeper.enforceQuota", false),
            enable_eager_acl_check: sys.get_bool("zookeeper.enableEagerACLCheck", false),
            max_cnxns: sys.get_int("zookeeper.maxCnxns", 0),
            global_outstanding_limit: sys.get_int("zookeeper.globalOutstandingLimit", 1000),
            server_cnxn_factory: sys.get("zookeeper.serverCnxnFactory").map(str::to_string),
            admin: AdminServerProperties {
                enable_server: !sys.value_equals("zookeeper.admin.enableServer", "", "false"),
                server_address: sys
                    .get_or("zookeeper.admin.serverAddress", "0.0.0.0")
                    .to_string(),
                server_port: sys.get_int("zookeeper.admin.serverPort", 8080),
                command_url: sys
                    .get_or("zookeeper.admin.commandURL", "/commands")
                    .to_string(),
                idle_timeout_ms: sys.get_int("zookeeper.admin.idleTimeout", 30_000),
                port_unification: sys.get_bool("zookeeper.admin.portUnification", false),
                force_https: sys.get_bool("zookeeper.admin.forceHttps", false),
                need_client_auth: sys.get_bool("zookeeper.admin.needClientAuth", false),
                snapshot_enabled: sys.get_bool("zookeeper.admin.snapshot.enabled", true),
                restore_enabled: sys.get_bool("zookeeper.admin.restore.enabled", true),
                rate_limiter_interval_ms: sys
                    .get("zookeeper.admin.rateLimiterIntervalInMS")
                    .and_then(|v| java::parse_int(v).ok())
                    .map_or(300_000, i64::from),
            },
            super_digest: sys
                .get("zookeeper.DigestAuthenticationProvider.superDigest")
                .map(str::to_string),
            digest_auth_enabled: sys
                .get_bool("zookeeper.DigestAuthenticationProvider.enabled", true),
            digest_algorithm: sys
                .get_or("zookeeper.DigestAuthenticationProvider.digestAlg", "SHA1")
                .to_string(),
            container: ContainerProperties {
                check_interval_ms: sys.get_int("znode.container.checkIntervalMs", 60_000),
                max_per_minute: sys.get_int("znode.container.maxPerMinute", 10_000),
                max_never_used_interval_ms: sys
                    .get_long("znode.container.maxNeverUsedIntervalMs", 0),
            },
            readonly_mode_enabled,
            commit_log_count: sys
                .get("zookeeper.commitLogCount")
                .and_then(|v| java::parse_int(v).ok())
                .unwrap_or(500)
                .max(500),
            snapshot_size_factor: match sys
                .get("zookeeper.snapshotSizeFactor")
                .map(java::parse_double)
            {
                None => 0.33,
                Some(None) => 0.33,
                Some(Some(factor)) if factor > 1.0 => 0.33,
                Some(Some(factor)) => factor,
            },
            leader_serves: !sys.value_equals("zookeeper.leaderServes", "yes", "no"),
            cnx_timeout_ms: sys
                .get(CNX_TIMEOUT)
                .and_then(|v| java::parse_int(v).ok())
                .unwrap_or(5000),
            election_port_bind_retry: match sys.get_int("zookeeper.electionPortBindRetry", 3) {
                retries if retries >= 0 => retries,
                _ => 3,
            },
            tcp_keep_alive: sys.get_bool("zookeeper.tcpKeepAlive", false),
            client_tcp_keep_alive: sys.get_bool("zookeeper.clientTcpKeepAlive", false),
            request_throttle_max_requests: sys
                .get_int("zookeeper.request_throttle_max_requests", 0),
            request_throttle_stall_time_ms: sys
                .get_int("zookeeper.request_throttle_stall_time", 100),
            request_throttle_drop_stale: sys
                .get_bool("zookeeper.request_throttle_drop_stale", true),
            throttled_op_wait_time_ms: sys.get_int("zookeeper.throttled_op_wait_time", 0),
            large_request_max_bytes: sys
                .get_int("zookeeper.largeRequestMaxBytes", 100 * 1024 * 1024),
            large_request_threshold: sys.get_int("zookeeper.largeRequestThreshold", -1),
            max_response_cache_size: sys.get_int("zookeeper.maxResponseCacheSize", 400),
            max_get_children_response_cache_size: sys
                .get_int("zookeeper.maxGetChildrenResponseCacheSize", 400),
            nio_sessionless_cnxn_timeout_ms: sys
                .get_int("zookeeper.nio.sessionlessCnxnTimeout", 10_000),
            nio_num_selector_threads: sys
                .get("zookeeper.nio.numSelectorThreads")
                .and_then(java::decode_int),
            nio_num_worker_threads: sys
                .get("zookeeper.nio.numWorkerThreads")
                .and_then(java::decode_int),
            nio_direct_buffer_bytes: sys.get_int("zookeeper.nio.directBufferBytes", 64 * 1024),
            commit_processor_num_worker_threads: sys
                .get("zookeeper.commitProcessor.numWorkerThreads")
                .and_then(java::decode_int),
            commit_processor_max_read_batch_size: sys
                .get_int("zookeeper.commitProcessor.maxReadBatchSize", -1),
            commit_processor_max_commit_batch_size: sys
                .get_int("zookeeper.commitProcessor.maxCommitBatchSize", 1),
            leader_max_concurrent_snap_syncs: sys
                .get_int("zookeeper.leader.maxConcurrentSnapSyncs", 10),
            leader_max_concurrent_diff_syncs: sys
                .get_int("zookeeper.leader.maxConcurrentDiffSyncs", 100),
            leader_ack_logging_frequency: sys.get_int("zookeeper.leader.ackLoggingFrequency", 1000),
            leader_max_time_to_wait_for_epoch_ms: sys
                .get_int("zookeeper.leader.maxTimeToWaitForEpoch", -1),
            fle_min_notification_interval_ms: sys
                .get_int("zookeeper.fastleader.minNotificationInterval", 200),
            fle_max_notification_interval_ms: sys
                .get_int("zookeeper.fastleader.maxNotificationInterval", 60_000),
            observer_sync_enabled: sys
                .get("zookeeper.observer.syncEnabled")
                .map(|v| java::parse_boolean(Some(v))),
            observer_reconnect_delay_ms: sys.get_long("zookeeper.observer.reconnectDelayMs", 0),
            observer_election_delay_ms: sys.get_long("zookeeper.observer.election.DelayMs", 200),
            quorum_cnxn_timeout_ms: sys.get_int("zookeeper.quorumCnxnTimeoutMs", -1),
            learner_async_sending: backward_compatible_bool(sys, "zookeeper.learner.asyncSending"),
            learner_close_socket_async: backward_compatible_bool(
                sys,
                "zookeeper.learner.closeSocketAsync",
            ),
            leader_close_socket_async: backward_compatible_bool(
                sys,
                "zookeeper.leader.closeSocketAsync",
            ),
            force_snapshot_sync: sys.get_bool("zookeeper.forceSnapshotSync", false),
            leader_nodelay: sys.value_equals("leader.nodelay", "true", "true"),
            follower_nodelay: sys.value_equals("follower.nodelay", "true", "true"),
            connection_throttle_tokens: sys.get_int("zookeeper.connection_throttle_tokens", 0),
            connection_throttle_fill_time: sys
                .get_int("zookeeper.connection_throttle_fill_time", 1),
            connection_throttle_fill_count: sys
                .get_int("zookeeper.connection_throttle_fill_count", 1),
            connection_throttle_freeze_time: sys
                .get_int("zookeeper.connection_throttle_freeze_time", -1),
            connection_throttle_weight_enabled: sys
                .get_bool("zookeeper.connection_throttle_weight_enabled", false),
            audit_enabled: sys.get_bool("zookeeper.audit.enable", false),
            enforce_auth_enabled: sys.get_bool("zookeeper.enforce.auth.enabled", false),
            enforce_auth_schemes: sys
                .get("zookeeper.enforce.auth.schemes")
                .map(str::to_string),
            session_require_client_sasl_auth: sys
                .get_bool("zookeeper.sessionRequireClientSASLAuth", false),
            allow_sasl_failed_clients: sys.get_bool("zookeeper.allowSaslFailedClients", false),
            client_port_unification: sys.get_bool("zookeeper.client.portUnification", false),
            multi_address_enabled: sys.get_bool(MULTI_ADDRESS_ENABLED, false),
            watch_manager_name: sys.get("zookeeper.watchManagerName").map(str::to_string),
            watcher_clean_threshold: sys.get_int("zookeeper.watcherCleanThreshold", 1000),
            watcher_clean_interval_seconds: sys
                .get_int("zookeeper.watcherCleanIntervalInSeconds", 600),
            watcher_clean_threads: sys.get_int("zookeeper.watcherCleanThreadsNum", 2),
            max_in_processing_dead_watchers: sys
                .get_int("zookeeper.maxInProcessingDeadWatchers", -1),
        }
    }

    /// Every known property with its effective value, sorted by name, for
    /// display; `None` for an unset property without a fixed default (such as
    /// `zookeeper.DigestAuthenticationProvider.superDigest`).
    pub fn effective_values(&self) -> Vec<(&'static str, Option<String>)> {
        let mut l = Listing::default();
        let whitelist: Vec<&str> = self
            .four_letter_words
            .commands
            .iter()
            .map(String::as_str)
            .collect();
        l.set(FOUR_LETTER_WORD_WHITELIST, whitelist.join(","));
        l.set(JUTE_MAXBUFFER, self.jute_max_buffer);
        l.set(JUTE_MAXBUFFER_EXTRASIZE, self.jute_max_buffer_extra_size);
        l.set("zookeeper.snapCount", self.snap_count);
        l.set("zookeeper.snapSizeLimitInKb", self.snap_size_limit_kb);
        l.set("zookeeper.txnLogSizeLimitInKb", self.txn_log_size_limit_kb);
        l.set("zookeeper.preAllocSize", self.pre_alloc_size_kb);
        l.set("zookeeper.forceSync", yes_no(self.force_sync));
        l.set(
            "zookeeper.fsync.warningthresholdms",
            self.fsync_warning_threshold_ms,
        );
        l.set(
            "zookeeper.snapshot.compression.method",
            self.snapshot_compression.name(),
        );
        l.set("zookeeper.snapshot.trust.empty", self.snapshot_trust_empty);
        l.set("zookeeper.datadir.autocreate", self.datadir_autocreate);
        l.set("zookeeper.db.autocreate", self.db_autocreate);
        l.set("zookeeper.digest.enabled", self.digest_enabled);
        l.set(
            "zookeeper.closeSessionTxn.enabled",
            self.close_session_txn_enabled,
        );
        l.set(
            "zookeeper.serializeLastProcessedZxid.enabled",
            self.serialize_last_processed_zxid_enabled,
        );
        l.set(EXTENDED_TYPES_ENABLED, self.extended_types_enabled);
        l.set("zookeeper.emulate353TTLNodes", self.emulate_353_ttl_nodes);
        l.set("zookeeper.skipACL", yes_no(self.skip_acl));
        l.set("zookeeper.enforceQuota", self.enforce_quota);
        l.set("zookeeper.enableEagerACLCheck", self.enable_eager_acl_check);
        l.set("zookeeper.maxCnxns", self.max_cnxns);
        l.set(
            "zookeeper.globalOutstandingLimit",
            self.global_outstanding_limit,
        );
        l.set(
            "zookeeper.serverCnxnFactory",
            self.server_cnxn_factory
                .as_deref()
                .unwrap_or("org.apache.zookeeper.server.NIOServerCnxnFactory"),
        );
        let admin = &self.admin;
        l.set("zookeeper.admin.enableServer", admin.enable_server);
        l.set("zookeeper.admin.serverAddress", &admin.server_address);
        l.set("zookeeper.admin.serverPort", admin.server_port);
        l.set("zookeeper.admin.commandURL", &admin.command_url);
        l.set("zookeeper.admin.idleTimeout", admin.idle_timeout_ms);
        l.set("zookeeper.admin.portUnification", admin.port_unification);
        l.set("zookeeper.admin.forceHttps", admin.force_https);
        l.set("zookeeper.admin.needClientAuth", admin.need_client_auth);
        l.set("zookeeper.admin.snapshot.enabled", admin.snapshot_enabled);
        l.set("zookeeper.admin.restore.enabled", admin.restore_enabled);
        l.set(
            "zookeeper.admin.rateLimiterIntervalInMS",
            admin.rate_limiter_interval_ms,
        );
        l.opt(
            "zookeeper.DigestAuthenticationProvider.superDigest",
            &self.super_digest,
        );
        l.set(
            "zookeeper.DigestAuthenticationProvider.enabled",
            self.digest_auth_enabled,
        );
        l.set(
            "zookeeper.DigestAuthenticationProvider.digestAlg",
            &self.digest_algorithm,
        );
        l.set(
            "znode.container.checkIntervalMs",
            self.container.check_interval_ms,
        );
        l.set(
            "znode.container.maxPerMinute",
            self.container.max_per_minute,
        );
        l.set(
            "znode.container.maxNeverUsedIntervalMs",
            self.container.max_never_used_interval_ms,
        );
        l.set(READONLY_MODE_ENABLED, self.readonly_mode_enabled);
        l.set("zookeeper.commitLogCount", self.commit_log_count);
        l.set("zookeeper.snapshotSizeFactor", self.snapshot_size_factor);
        l.set("zookeeper.leaderServes", yes_no(self.leader_serves));
        l.set(CNX_TIMEOUT, self.cnx_timeout_ms);
        l.set(
            "zookeeper.electionPortBindRetry",
            self.election_port_bind_retry,
        );
        l.set("zookeeper.tcpKeepAlive", self.tcp_keep_alive);
        l.set("zookeeper.clientTcpKeepAlive", self.client_tcp_keep_alive);
        l.set(
            "zookeeper.request_throttle_max_requests",
            self.request_throttle_max_requests,
        );
        l.set(
            "zookeeper.request_throttle_stall_time",
            self.request_throttle_stall_time_ms,
        );
        l.set(
            "zookeeper.request_throttle_drop_stale",
            self.request_throttle_drop_stale,
        );
        l.set(
            "zookeeper.throttled_op_wait_time",
            self.throttled_op_wait_time_ms,
        );
        l.set(
            "zookeeper.largeRequestMaxBytes",
            self.large_request_max_bytes,
        );
        l.set(
            "zookeeper.largeRequestThreshold",
            self.large_request_threshold,
        );
        l.set(
            "zookeeper.maxResponseCacheSize",
            self.max_response_cache_size,
        );
        l.set(
            "zookeeper.maxGetChildrenResponseCacheSize",
            self.max_get_children_response_cache_size,
        );
        l.set(
            "zookeeper.nio.sessionlessCnxnTimeout",
            self.nio_sessionless_cnxn_timeout_ms,
        );
        l.opt(
            "zookeeper.nio.numSelectorThreads",
            &self.nio_num_selector_threads,
        );
        l.opt(
            "zookeeper.nio.numWorkerThreads",
            &self.nio_num_worker_threads,
        );
        l.set(
            "zookeeper.nio.directBufferBytes",
            self.nio_direct_buffer_bytes,
        );
        l.opt(
            "zookeeper.commitProcessor.numWorkerThreads",
            &self.commit_processor_num_worker_threads,
        );
        l.set(
            "zookeeper.commitProcessor.maxReadBatchSize",
            self.commit_processor_max_read_batch_size,
        );
        l.set(
            "zookeeper.commitProcessor.maxCommitBatchSize",
            self.commit_processor_max_commit_batch_size,
        );
        l.set(
            "zookeeper.leader.maxConcurrentSnapSyncs",
            self.leader_max_concurrent_snap_syncs,
        );
        l.set(
            "zookeeper.leader.maxConcurrentDiffSyncs",
            self.leader_max_concurrent_diff_syncs,
        );
        l.set(
            "zookeeper.leader.ackLoggingFrequency",
            self.leader_ack_logging_frequency,
        );
        l.set(
            "zookeeper.leader.maxTimeToWaitForEpoch",
            self.leader_max_time_to_wait_for_epoch_ms,
        );
        l.set(
            "zookeeper.fastleader.minNotificationInterval",
            self.fle_min_notification_interval_ms,
        );
        l.set(
            "zookeeper.fastleader.maxNotificationInterval",
            self.fle_max_notification_interval_ms,
        );
        l.opt(
            "zookeeper.observer.syncEnabled",
            &self.observer_sync_enabled,
        );
        l.set(
            "zookeeper.observer.reconnectDelayMs",
            self.observer_reconnect_delay_ms,
        );
        l.set(
            "zookeeper.observer.election.DelayMs",
            self.observer_election_delay_ms,
        );
        l.set("zookeeper.quorumCnxnTimeoutMs", self.quorum_cnxn_timeout_ms);
        l.set("zookeeper.learner.asyncSending", self.learner_async_sending);
        l.set(
            "zookeeper.learner.closeSocketAsync",
            self.learner_close_socket_async,
        );
        l.set(
            "zookeeper.leader.closeSocketAsync",
            self.leader_close_socket_async,
        );
        l.set("zookeeper.forceSnapshotSync", self.force_snapshot_sync);
        l.set("leader.nodelay", self.leader_nodelay);
        l.set("follower.nodelay", self.follower_nodelay);
        l.set(
            "zookeeper.connection_throttle_tokens",
            self.connection_throttle_tokens,
        );
        l.set(
            "zookeeper.connection_throttle_fill_time",
            self.connection_throttle_fill_time,
        );
        l.set(
            "zookeeper.connection_throttle_fill_count",
            self.connection_throttle_fill_count,
        );
        l.set(
            "zookeeper.connection_throttle_freeze_time",
            self.connection_throttle_freeze_time,
        );
        l.set(
            "zookeeper.connection_throttle_weight_enabled",
            self.connection_throttle_weight_enabled,
        );
        l.set("zookeeper.audit.enable", self.audit_enabled);
        l.set("zookeeper.enforce.auth.enabled", self.enforce_auth_enabled);
        l.opt("zookeeper.enforce.auth.schemes", &self.enforce_auth_schemes);
        l.set(
            "zookeeper.sessionRequireClientSASLAuth",
            self.session_require_client_sasl_auth,
        );
        l.set(
            "zookeeper.allowSaslFailedClients",
            self.allow_sasl_failed_clients,
        );
        l.set(
            "zookeeper.client.portUnification",
            self.client_port_unification,
        );
        l.set(MULTI_ADDRESS_ENABLED, self.multi_address_enabled);
        l.opt("zookeeper.watchManagerName", &self.watch_manager_name);
        l.set(
            "zookeeper.watcherCleanThreshold",
            self.watcher_clean_threshold,
        );
        l.set(
            "zookeeper.watcherCleanIntervalInSeconds",
            self.watcher_clean_interval_seconds,
        );
        l.set(
            "zookeeper.watcherCleanThreadsNum",
            self.watcher_clean_threads,
        );
        l.set(
            "zookeeper.maxInProcessingDeadWatchers",
            self.max_in_processing_dead_watchers,
        );
        let mut values = l.0;
        values.sort_by(|a, b| a.0.cmp(b.0));
        values
    }

    /// Whether `name` is one of the properties this type reads.
    pub fn is_known(name: &str) -> bool {
        static KNOWN_NAMES: OnceLock<BTreeSet<&'static str>> = OnceLock::new();
        KNOWN_NAMES
            .get_or_init(|| {
                ZooKeeperProperties::from_system(&SystemProperties::new())
                    .effective_values()
                    .into_iter()
                    .map(|(name, _)| name)
                    .collect()
            })
            .contains(name)
    }
}

/// Collects (name, value) pairs for [`ZooKeeperProperties::effective_values`].
#[derive(Default)]
struct Listing(Vec<(&'static str, Option<String>)>);

impl Listing {
    fn set(&mut self, name: &'static str, value: impl ToString) {
        self.0.push((name, Some(value.to_string())));
    }

    fn opt<T: ToString>(&mut self, name: &'static str, value: &Option<T>) {
        self.0.push((name, value.as_ref().map(ToString::to_string)));
    }
}

/// The rendering Java's "yes"/"no" properties expect.
fn yes_no(value: bool) -> &'static str {
    if value {
        "yes"
    } else {
        "no"
    }
}

/// `ConfigUtils.getPropertyBackwardCompatibleWay` then `parseBoolean`: the
/// `zookeeper.`-prefixed property, else the unprefixed one, trimmed.
fn backward_compatible_bool(sys: &SystemProperties, name: &str) -> bool {
    let value = sys
        .get(name)
        .or_else(|| name.strip_prefix("zookeeper.").and_then(|old| sys.get(old)));
    java::parse_boolean(value.map(java::trim))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> ZooKeeperProperties {
        let mut sys = SystemProperties::new();
        for (k, v) in pairs {
            sys.set(k, v);
        }
        ZooKeeperProperties::from_system(&sys)
    }

    #[test]
    fn defaults_match_java() {
        let p = props(&[]);
        assert_eq!(
            p.four_letter_words.commands.iter().collect::<Vec<_>>(),
            vec!["srvr"]
        );
        assert_eq!(p.jute_max_buffer, 0xfffff);
        assert_eq!(p.jute_max_buffer_extra_size, 0xfffff);
        assert_eq!(p.snap_count, 100_000);
        assert_eq!(p.snap_size_limit_kb, 4_194_304);
        assert_eq!(p.txn_log_size_limit_kb, -1);
        assert_eq!(p.pre_alloc_size_kb, 65_536);
        assert!(p.force_sync);
        assert_eq!(p.fsync_warning_threshold_ms, 1000);
        assert_eq!(p.snapshot_compression, SnapshotCompression::Checked);
        assert!(!p.snapshot_trust_empty);
        assert!(p.datadir_autocreate && p.db_autocreate);
        assert!(
            p.digest_enabled
                && p.close_session_txn_enabled
                && p.serialize_last_processed_zxid_enabled
        );
        assert!(!p.extended_types_enabled && !p.emulate_353_ttl_nodes);
        assert!(!p.skip_acl && !p.enforce_quota);
        assert_eq!(p.max_cnxns, 0);
        assert_eq!(p.global_outstanding_limit, 1000);
        assert_eq!(p.server_cnxn_factory, None);
        assert!(p.admin.enable_server);
        assert_eq!(p.admin.server_port, 8080);
        assert_eq!(p.admin.server_address, "0.0.0.0");
        assert_eq!(p.admin.command_url, "/commands");
        assert_eq!(p.super_digest, None);
        assert_eq!(p.container.check_interval_ms, 60_000);
        assert_eq!(p.container.max_per_minute, 10_000);
        assert_eq!(p.container.max_never_used_interval_ms, 0);
        assert!(!p.readonly_mode_enabled);
        assert_eq!(p.commit_log_count, 500);
        assert_eq!(p.snapshot_size_factor, 0.33);
        assert!(p.leader_serves);
        assert_eq!(p.cnx_timeout_ms, 5000);
        assert_eq!(p.election_port_bind_retry, 3);
        assert!(!p.tcp_keep_alive);
        assert_eq!(p.request_throttle_max_requests, 0);
        assert_eq!(p.request_throttle_stall_time_ms, 100);
        assert!(p.request_throttle_drop_stale);
        assert_eq!(p.max_response_cache_size, 400);
        assert_eq!(p.nio_sessionless_cnxn_timeout_ms, 10_000);
        assert!(p.leader_nodelay && p.follower_nodelay);
        assert!(!p.multi_address_enabled);
    }

    #[test]
    fn yes_no_properties_are_exact_words() {
        assert!(props(&[("zookeeper.skipACL", "yes")]).skip_acl);
        assert!(!props(&[("zookeeper.skipACL", "true")]).skip_acl);
        assert!(!props(&[("zookeeper.skipACL", "Yes")]).skip_acl);
        assert!(!props(&[("zookeeper.forceSync", "no")]).force_sync);
        assert!(props(&[("zookeeper.forceSync", "false")]).force_sync);
        assert!(props(&[("zookeeper.forceSync", "NO")]).force_sync);
        assert!(!props(&[("zookeeper.leaderServes", "no")]).leader_serves);
        assert!(props(&[("zookeeper.leaderServes", "false")]).leader_serves);
        assert!(
            !props(&[("zookeeper.admin.enableServer", "false")])
                .admin
                .enable_server
        );
        assert!(
            props(&[("zookeeper.admin.enableServer", "FALSE")])
                .admin
                .enable_server
        );
        assert!(!props(&[("leader.nodelay", "yes")]).leader_nodelay);
    }

    #[test]
    fn integer_properties_use_decode_and_fall_back() {
        assert_eq!(props(&[("zookeeper.snapCount", "0x10")]).snap_count, 16);
        assert_eq!(props(&[("zookeeper.snapCount", "abc")]).snap_count, 100_000);
        assert_eq!(props(&[("zookeeper.snapCount", "1")]).snap_count, 2);
        assert_eq!(props(&[("zookeeper.maxCnxns", "010")]).max_cnxns, 8);
        assert_eq!(
            props(&[("zookeeper.electionPortBindRetry", "-1")]).election_port_bind_retry,
            3
        );
        assert_eq!(
            props(&[("zookeeper.electionPortBindRetry", "0")]).election_port_bind_retry,
            0
        );
    }

    #[test]
    fn decimal_only_properties() {
        assert_eq!(
            props(&[("zookeeper.preAllocSize", "1024")]).pre_alloc_size_kb,
            1024
        );
        assert_eq!(
            props(&[("zookeeper.preAllocSize", "0x10")]).pre_alloc_size_kb,
            65_536
        );
        assert_eq!(
            props(&[("zookeeper.commitLogCount", "1000")]).commit_log_count,
            1000
        );
        assert_eq!(
            props(&[("zookeeper.commitLogCount", "10")]).commit_log_count,
            500
        );
        assert_eq!(
            props(&[("zookeeper.commitLogCount", "x")]).commit_log_count,
            500
        );
        assert_eq!(
            props(&[("zookeeper.cnxTimeout", "3000")]).cnx_timeout_ms,
            3000
        );
        assert_eq!(
            props(&[("zookeeper.snapshotSizeFactor", "0.5")]).snapshot_size_factor,
            0.5
        );
        assert_eq!(
            props(&[("zookeeper.snapshotSizeFactor", "2")]).snapshot_size_factor,
            0.33
        );
        assert_eq!(
            props(&[("zookeeper.snapshotSizeFactor", "-1")]).snapshot_size_factor,
            -1.0
        );
        assert_eq!(
            props(&[("zookeeper.snapshotSizeFactor", "x")]).snapshot_size_factor,
            0.33
        );
    }

    #[test]
    fn jute_extra_size_defaults_to_max_buffer_with_a_minimum() {
        let p = props(&[("jute.maxbuffer", "4194304")]);
        assert_eq!(p.jute_max_buffer, 4_194_304);
        assert_eq!(p.jute_max_buffer_extra_size, 4_194_304);
        assert_eq!(
            props(&[("jute.maxbuffer", "100")]).jute_max_buffer_extra_size,
            1024
        );
        assert_eq!(
            props(&[("zookeeper.jute.maxbuffer.extrasize", "10")]).jute_max_buffer_extra_size,
            1024
        );
        // The zookeeper.-prefixed form (what zoo.cfg produces) is ignored.
        assert_eq!(
            props(&[("zookeeper.jute.maxbuffer", "5")]).jute_max_buffer,
            0xfffff
        );
    }

    #[test]
    fn four_letter_word_whitelist() {
        let p = props(&[("zookeeper.4lw.commands.whitelist", " stat, ruok ,,conf ")]);
        assert_eq!(
            p.four_letter_words.commands.iter().collect::<Vec<_>>(),
            vec!["conf", "ruok", "srvr", "stat"]
        );
        let all = props(&[("zookeeper.4lw.commands.whitelist", "ruok, * ,bogus")]);
        assert!(FOUR_LETTER_WORDS
            .iter()
            .all(|w| all.four_letter_words.is_enabled(w)));
        assert!(!all.four_letter_words.is_enabled("bogus"));
        // isro needs readonlymode.enabled to be exactly "true" here...
        let ro_upper = props(&[("readonlymode.enabled", "TRUE")]);
        assert!(ro_upper.readonly_mode_enabled);
        assert!(!ro_upper.four_letter_words.is_enabled("isro"));
        let ro = props(&[("readonlymode.enabled", "true")]);
        assert!(ro.four_letter_words.is_enabled("isro"));
    }

    #[test]
    fn snapshot_compression_names() {
        assert_eq!(
            SnapshotCompression::from_property(Some("GZ")),
            SnapshotCompression::Gzip
        );
        assert_eq!(
            SnapshotCompression::from_property(Some("snappy")),
            SnapshotCompression::Snappy
        );
        assert_eq!(
            SnapshotCompression::from_property(Some("lz4")),
            SnapshotCompression::Checked
        );
        assert_eq!(
            SnapshotCompression::from_property(Some(" gz")),
            SnapshotCompression::Checked
        );
    }

    #[test]
    fn fsync_threshold_prefers_the_prefixed_property() {
        assert_eq!(
            props(&[("fsync.warningthresholdms", "5")]).fsync_warning_threshold_ms,
            5
        );
        assert_eq!(
            props(&[
                ("fsync.warningthresholdms", "5"),
                ("zookeeper.fsync.warningthresholdms", "7")
            ])
            .fsync_warning_threshold_ms,
            7
        );
        assert_eq!(
            props(&[
                ("fsync.warningthresholdms", "5"),
                ("zookeeper.fsync.warningthresholdms", "x")
            ])
            .fsync_warning_threshold_ms,
            5
        );
    }

    #[test]
    fn backward_compatible_properties() {
        assert!(props(&[("learner.asyncSending", " true ")]).learner_async_sending);
        assert!(
            !props(&[
                ("learner.asyncSending", "true"),
                ("zookeeper.learner.asyncSending", "false")
            ])
            .learner_async_sending
        );
    }

    #[test]
    fn effective_values_are_sorted_and_known() {
        let values = props(&[]).effective_values();
        assert!(values.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(ZooKeeperProperties::is_known("zookeeper.snapCount"));
        assert!(ZooKeeperProperties::is_known("jute.maxbuffer"));
        assert!(!ZooKeeperProperties::is_known("zookeeper.nonsense"));
    }
}
