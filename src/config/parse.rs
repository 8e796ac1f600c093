//! The parsing and validation steps of Java's `QuorumPeerConfig`, in Java's
//! order: `parseProperties`, then `setupQuorumPeerConfig` for the static
//! file or the dynamic file, then `<zoo.cfg>.dynamic.next`.

use std::collections::{BTreeMap, HashMap};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::error::{ConfigError, ConfigWarning};
use super::files::FileAccess;
use super::java;
use super::properties::{Properties, Property};
use super::server_list::{HostPort, LearnerType, QuorumConfig, ServerListError};
use super::sysprops::{PropertyOrigin, SystemProperties};
use super::zkprops::{self, ZooKeeperProperties};
use super::{
    version_from_filename, JvmPauseMonitorConfig, MultiAddressConfig, QuorumSaslConfig,
    ServerConfig, DEFAULT_MAX_CLIENT_CNXNS, DEFAULT_METRICS_PROVIDER, DEFAULT_TICK_TIME,
    KNOWN_METRICS_PROVIDERS, MIN_QUORUM_CNXN_THREADS, MIN_SNAP_RETAIN_COUNT,
};

/// Where `-D`-derived errors are reported.
const SYSTEM_PROPERTIES: &str = "system properties";

/// System properties Java reads without the `zookeeper.` prefix, so writing
/// them in `zoo.cfg` has no effect.
const DASH_D_ONLY: &[&str] = &[
    "jute.maxbuffer",
    "readonlymode.enabled",
    "znode.container.checkIntervalMs",
    "znode.container.maxPerMinute",
    "znode.container.maxNeverUsedIntervalMs",
    "leader.nodelay",
    "follower.nodelay",
];

/// Reads `path` and parses it (`QuorumPeerConfig.parse(String)`).
pub(crate) fn load_with(
    path: &Path,
    sys: SystemProperties,
    files: &dyn FileAccess,
) -> Result<ServerConfig, ConfigError> {
    let name = path.display().to_string();
    if !files.exists(path) {
        return Err(ConfigError::new(name, "file is missing"));
    }
    let bytes = files
        .read(path)
        .map_err(|e| ConfigError::new(name.clone(), format!("cannot read the file: {e}")))?;
    parse_with(&name, Some(path), &bytes, sys, files)
}

/// Parses configuration bytes named `name`; `config_path` (if the bytes came
/// from a file) locates `<config>.dynamic.next`.
pub(crate) fn parse_with(
    name: &str,
    config_path: Option<&Path>,
    bytes: &[u8],
    sys: SystemProperties,
    files: &dyn FileAccess,
) -> Result<ServerConfig, ConfigError> {
    let properties = Properties::load_latin1(bytes)
        .map_err(|e| ConfigError::new(name, e.reason).at_line(Some(e.line)))?;
    let mut parser = Parser::new(
        name,
        files,
        sys,
        String::from_utf8_lossy(bytes).into_owned(),
    )?;
    parser.parse_properties(&properties)?;
    match parser.config.dynamic_config_file.clone() {
        None => parser.setup_quorum_peer_config(&properties, true, name)?,
        Some(dynamic) => {
            parser.load_dynamic_file(&dynamic)?;
            if let Some(config_path) = config_path {
                parser.load_next_dynamic_file(config_path)?;
            }
        }
    }
    parser.check_startup()?;
    parser.config.zookeeper = ZooKeeperProperties::from_system(&parser.config.system);
    Ok(parser.config)
}

struct Parser<'a> {
    name: String,
    files: &'a dyn FileAccess,
    config: ServerConfig,
    /// Lines of the recognised keys of the static file.
    key_lines: HashMap<&'static str, usize>,
    /// `clientPortAddress` as written, once validated.
    static_client_address: Option<HostPort>,
}

impl<'a> Parser<'a> {
    /// A configuration with Java's field defaults.
    fn new(
        name: &str,
        files: &'a dyn FileAccess,
        system: SystemProperties,
        initial_config: String,
    ) -> Result<Self, ConfigError> {
        // The defaults of the multiAddress keys come from system properties;
        // Java reads them when the parser object is created, and an invalid
        // timeout makes that constructor throw.
        let timeout_property = zkprops::MULTI_ADDRESS_REACHABILITY_CHECK_TIMEOUT_MS;
        let reachability_check_timeout_ms = match system.get(timeout_property) {
            None => 1000,
            Some(value) => java::parse_int(value).map_err(|e| {
                ConfigError::new(SYSTEM_PROPERTIES, format!("invalid value \"{value}\": {e}"))
                    .for_key(timeout_property)
            })?,
        };
        let multi_address = MultiAddressConfig {
            enabled: system.get_bool(zkprops::MULTI_ADDRESS_ENABLED, false),
            reachability_check_enabled: system
                .get_bool(zkprops::MULTI_ADDRESS_REACHABILITY_CHECK_ENABLED, true),
            reachability_check_timeout_ms,
        };
        let zookeeper = ZooKeeperProperties::from_system(&system);
        Ok(Parser {
            name: name.to_string(),
            files,
            config: ServerConfig {
                source: name.to_string(),
                initial_config,
                data_dir: PathBuf::new(),
                data_log_dir: PathBuf::new(),
                client_address: None,
                secure_client_address: None,
                client_port_listen_backlog: -1,
                observer_master_port: None,
                tick_time: DEFAULT_TICK_TIME,
                max_client_cnxns: DEFAULT_MAX_CLIENT_CNXNS,
                min_session_timeout: -1,
                max_session_timeout: -1,
                local_sessions_enabled: false,
                local_sessions_upgrading_enabled: false,
                init_limit: 0,
                sync_limit: 0,
                connect_to_learner_master_limit: 0,
                election_alg: 3,
                quorum_listen_on_all_ips: false,
                peer_type: LearnerType::Participant,
                sync_enabled: true,
                dynamic_config_file: None,
                snap_retain_count: MIN_SNAP_RETAIN_COUNT,
                purge_interval: 0,
                standalone_enabled: true,
                reconfig_enabled: false,
                ssl_quorum: false,
                port_unification: false,
                ssl_quorum_reload_cert_files: false,
                quorum_sasl: QuorumSaslConfig::default(),
                quorum_cnxn_threads_size: 0,
                jvm_pause_monitor: JvmPauseMonitorConfig::default(),
                metrics_provider_class_name: DEFAULT_METRICS_PROVIDER.to_string(),
                metrics_provider_config: BTreeMap::new(),
                multi_address,
                oracle_path: None,
                server_id: None,
                quorum: QuorumConfig::empty(),
                last_seen_quorum: None,
                system,
                zookeeper,
                warnings: Vec::new(),
            },
            key_lines: HashMap::new(),
            static_client_address: None,
        })
    }

    fn error(&self, property: &Property, key: &str, reason: String) -> ConfigError {
        ConfigError::new(self.name.clone(), reason)
            .at_line(Some(property.line))
            .for_key(key)
    }

    /// An error about a recognised key of the static file (with its line if
    /// the key was given).
    fn key_error(&self, key: &'static str, reason: impl Into<String>) -> ConfigError {
        ConfigError::new(self.name.clone(), reason)
            .at_line(self.key_lines.get(key).copied())
            .for_key(key)
    }

    fn warn(
        &mut self,
        file: &str,
        line: Option<usize>,
        key: Option<&str>,
        message: impl Into<String>,
    ) {
        self.config.warnings.push(ConfigWarning {
            file: file.to_string(),
            line,
            key: key.map(str::to_string),
            message: message.into(),
        });
    }

    /// `QuorumPeerConfig.parseProperties`.
    fn parse_properties(&mut self, properties: &Properties) -> Result<(), ConfigError> {
        let mut client_port: Option<i32> = None;
        let mut secure_client_port: Option<i32> = None;
        let mut client_port_address: Option<String> = None;
        let mut secure_client_port_address: Option<String> = None;
        let mut observer_master_port = 0;
        let mut quorum_cnxn_threads_size = 0;
        let mut data_dir: Option<String> = None;
        let mut data_log_dir: Option<String> = None;
        let has_dynamic_file = properties.contains_key("dynamicConfigFile");

        for property in properties {
            let key = java::trim(&property.key);
            let value = java::trim(&property.value);
            let int = |this: &Self| {
                java::parse_int(value).map_err(|e| {
                    this.error(property, key, format!("invalid value \"{value}\": {e}"))
                })
            };
            let long = |this: &Self| {
                java::parse_long(value).map_err(|e| {
                    this.error(property, key, format!("invalid value \"{value}\": {e}"))
                })
            };
            let boolean = |this: &Self| {
                if java::equals_ignore_case(value, "true") {
                    Ok(true)
                } else if java::equals_ignore_case(value, "false") {
                    Ok(false)
                } else {
                    Err(this.error(
                        property,
                        key,
                        format!("invalid value \"{value}\": expected true or false"),
                    ))
                }
            };
            if let Some(&name) = RECOGNISED_KEYS.iter().find(|k| **k == key) {
                self.key_lines.insert(name, property.line);
            }
            match key {
                "dataDir" => data_dir = Some(value.to_string()),
                "dataLogDir" => data_log_dir = Some(value.to_string()),
                "clientPort" => client_port = Some(int(self)?),
                "localSessionsEnabled" => self.config.local_sessions_enabled = boolean(self)?,
                "localSessionsUpgradingEnabled" => {
                    self.config.local_sessions_upgrading_enabled = boolean(self)?
                }
                "clientPortAddress" => client_port_address = Some(value.to_string()),
                "secureClientPort" => secure_client_port = Some(int(self)?),
                "secureClientPortAddress" => secure_client_port_address = Some(value.to_string()),
                "observerMasterPort" => observer_master_port = int(self)?,
                "clientPortListenBacklog" => self.config.client_port_listen_backlog = int(self)?,
                "tickTime" => self.config.tick_time = int(self)?,
                "maxClientCnxns" => self.config.max_client_cnxns = int(self)?,
                "minSessionTimeout" => self.config.min_session_timeout = int(self)?,
                "maxSessionTimeout" => self.config.max_session_timeout = int(self)?,
                "initLimit" => self.config.init_limit = int(self)?,
                "syncLimit" => self.config.sync_limit = int(self)?,
                "connectToLearnerMasterLimit" => {
                    self.config.connect_to_learner_master_limit = int(self)?
                }
                "electionAlg" => {
                    let algorithm = int(self)?;
                    if algorithm != 3 {
                        let reason = format!(
                            "invalid value {algorithm}: only 3 (fast leader election) is supported"
                        );
                        return Err(self.error(property, key, reason));
                    }
                    self.config.election_alg = algorithm;
                }
                "quorumListenOnAllIPs" => self.config.quorum_listen_on_all_ips = boolean(self)?,
                "peerType" => {
                    self.config.peer_type = match value.to_lowercase().as_str() {
                        "observer" => LearnerType::Observer,
                        "participant" => LearnerType::Participant,
                        _ => {
                            let reason = format!(
                                "unrecognised peer type \"{value}\": expected participant or observer"
                            );
                            return Err(self.error(property, key, reason));
                        }
                    }
                }
                "syncEnabled" => self.config.sync_enabled = boolean(self)?,
                "dynamicConfigFile" => {
                    if value.is_empty() {
                        return Err(self.error(property, key, "empty path".to_string()));
                    }
                    self.config.dynamic_config_file = Some(PathBuf::from(value));
                }
                "autopurge.snapRetainCount" => self.config.snap_retain_count = int(self)?,
                "autopurge.purgeInterval" => self.config.purge_interval = int(self)?,
                "standaloneEnabled" => self.config.standalone_enabled = boolean(self)?,
                "reconfigEnabled" => self.config.reconfig_enabled = boolean(self)?,
                "sslQuorum" => self.config.ssl_quorum = boolean(self)?,
                "portUnification" => self.config.port_unification = boolean(self)?,
                "sslQuorumReloadCertFiles" => {
                    self.config.ssl_quorum_reload_cert_files = boolean(self)?
                }
                _ if has_dynamic_file
                    && (key.starts_with("server.")
                        || key.starts_with("group")
                        || key.starts_with("weight")) =>
                {
                    let reason = "must be in the separate dynamic configuration file, \
                                  since dynamicConfigFile is set";
                    return Err(self.error(property, key, reason.to_string()));
                }
                "quorum.auth.enableSasl" => self.config.quorum_sasl.enabled = boolean(self)?,
                "quorum.auth.serverRequireSasl" => {
                    self.config.quorum_sasl.server_require_sasl = boolean(self)?
                }
                "quorum.auth.learnerRequireSasl" => {
                    self.config.quorum_sasl.learner_require_sasl = boolean(self)?
                }
                "quorum.auth.learner.saslLoginContext" => {
                    self.config.quorum_sasl.learner_login_context = value.to_string()
                }
                "quorum.auth.server.saslLoginContext" => {
                    self.config.quorum_sasl.server_login_context = value.to_string()
                }
                "quorum.auth.kerberos.servicePrincipal" => {
                    self.config.quorum_sasl.kerberos_service_principal = value.to_string()
                }
                "quorum.cnxn.threads.size" => quorum_cnxn_threads_size = int(self)?,
                "jvm.pause.info-threshold.ms" => {
                    self.config.jvm_pause_monitor.info_threshold_ms = long(self)?
                }
                "jvm.pause.warn-threshold.ms" => {
                    self.config.jvm_pause_monitor.warn_threshold_ms = long(self)?
                }
                "jvm.pause.sleep.time.ms" => {
                    self.config.jvm_pause_monitor.sleep_time_ms = long(self)?
                }
                "jvm.pause.monitor" => self.config.jvm_pause_monitor.enabled = boolean(self)?,
                "metricsProvider.className" => {
                    self.config.metrics_provider_class_name = value.to_string()
                }
                _ if key.starts_with("metricsProvider.") => {
                    let provider_key = &key["metricsProvider.".len()..];
                    self.config
                        .metrics_provider_config
                        .insert(provider_key.to_string(), value.to_string());
                }
                "multiAddress.enabled" => self.config.multi_address.enabled = boolean(self)?,
                "multiAddress.reachabilityCheckTimeoutMs" => {
                    self.config.multi_address.reachability_check_timeout_ms = int(self)?
                }
                "multiAddress.reachabilityCheckEnabled" => {
                    self.config.multi_address.reachability_check_enabled = boolean(self)?
                }
                "oraclePath" => self.config.oracle_path = Some(value.to_string()),
                _ => {
                    let system_key = format!("zookeeper.{key}");
                    if DASH_D_ONLY.contains(&key) {
                        let message = format!(
                            "has no effect in a configuration file (it sets {system_key}); \
                             use the JVM flag -D{key}=... instead"
                        );
                        let name = self.name.clone();
                        self.warn(&name, Some(property.line), Some(key), message);
                    }
                    self.config.system.set_with_origin(
                        &system_key,
                        value,
                        PropertyOrigin::ConfigFile {
                            file: self.name.clone(),
                            line: property.line,
                        },
                    );
                }
            }
        }

        let sasl = &self.config.quorum_sasl;
        if !sasl.enabled && sasl.server_require_sasl {
            return Err(self.key_error(
                "quorum.auth.serverRequireSasl",
                "cannot be enabled while quorum.auth.enableSasl is disabled",
            ));
        }
        if !sasl.enabled && sasl.learner_require_sasl {
            return Err(self.key_error(
                "quorum.auth.learnerRequireSasl",
                "cannot be enabled while quorum.auth.enableSasl is disabled",
            ));
        }
        if !sasl.learner_require_sasl && sasl.server_require_sasl {
            return Err(self.key_error(
                "quorum.auth.serverRequireSasl",
                "cannot be enabled while quorum.auth.learnerRequireSasl is disabled",
            ));
        }

        if self.config.snap_retain_count < MIN_SNAP_RETAIN_COUNT {
            let message = format!(
                "invalid value {}: using the minimum, {MIN_SNAP_RETAIN_COUNT}",
                self.config.snap_retain_count
            );
            let (name, line) = (
                self.name.clone(),
                self.key_lines.get("autopurge.snapRetainCount").copied(),
            );
            self.warn(&name, line, Some("autopurge.snapRetainCount"), message);
            self.config.snap_retain_count = MIN_SNAP_RETAIN_COUNT;
        }

        let Some(data_dir) = data_dir else {
            return Err(
                ConfigError::new(self.name.clone(), "is not set (it is required)")
                    .for_key("dataDir"),
            );
        };
        self.config.data_dir = self.directory("dataDir", &data_dir)?;
        self.config.data_log_dir = match data_log_dir {
            Some(dir) => self.directory("dataLogDir", &dir)?,
            None => self.config.data_dir.clone(),
        };

        self.config.client_address = self.listen_address(
            "clientPort",
            client_port,
            "clientPortAddress",
            client_port_address,
        )?;
        self.static_client_address = self.config.client_address.clone();
        self.config.secure_client_address = self.listen_address(
            "secureClientPort",
            secure_client_port,
            "secureClientPortAddress",
            secure_client_port_address,
        )?;
        if self.config.secure_client_address.is_some() {
            self.configure_ssl_auth()?;
            let netty = "org.apache.zookeeper.server.NettyServerCnxnFactory";
            if self.config.system.get("zookeeper.serverCnxnFactory") != Some(netty) {
                let (name, line) = (
                    self.name.clone(),
                    self.key_lines.get("secureClientPort").copied(),
                );
                let message = format!(
                    "Java ZooKeeper only starts a TLS client port with serverCnxnFactory={netty}"
                );
                self.warn(&name, line, Some("secureClientPort"), message);
            }
        }

        self.config.observer_master_port =
            (observer_master_port > 0).then_some(observer_master_port);
        self.config.quorum_cnxn_threads_size =
            quorum_cnxn_threads_size.max(MIN_QUORUM_CNXN_THREADS);

        if self.config.tick_time == 0 {
            return Err(self.key_error("tickTime", "must not be 0"));
        }
        // Java computes the defaults with int arithmetic, overflow included.
        let tick = self.config.tick_time;
        if self.config.min_session_timeout == -1 {
            self.config.min_session_timeout = tick.wrapping_mul(2);
        }
        if self.config.max_session_timeout == -1 {
            self.config.max_session_timeout = tick.wrapping_mul(20);
        }
        if self.config.min_session_timeout > self.config.max_session_timeout {
            let reason = format!(
                "{} must not be larger than maxSessionTimeout ({})",
                self.config.min_session_timeout, self.config.max_session_timeout
            );
            return Err(self.key_error("minSessionTimeout", reason));
        }

        if !KNOWN_METRICS_PROVIDERS.contains(&self.config.metrics_provider_class_name.as_str()) {
            let reason = format!(
                "metrics provider class \"{}\" was not found (known: {})",
                self.config.metrics_provider_class_name,
                KNOWN_METRICS_PROVIDERS.join(", ")
            );
            return Err(self.key_error("metricsProvider.className", reason));
        }
        Ok(())
    }

    /// A `dataDir`/`dataLogDir` value. Relative paths are kept (Java warns).
    fn directory(&mut self, key: &'static str, value: &str) -> Result<PathBuf, ConfigError> {
        if value.is_empty() {
            // Java would use "" and then put files at the root ("/myid").
            return Err(self.key_error(key, "empty path"));
        }
        let path = PathBuf::from(value);
        if path.is_relative() {
            let (name, line) = (self.name.clone(), self.key_lines.get(key).copied());
            self.warn(
                &name,
                line,
                Some(key),
                format!("{value} is relative; it is resolved against the working directory"),
            );
        }
        Ok(path)
    }

    /// A listener from a port key and an optional address key.
    fn listen_address(
        &mut self,
        port_key: &'static str,
        port: Option<i32>,
        address_key: &'static str,
        address: Option<String>,
    ) -> Result<Option<HostPort>, ConfigError> {
        let Some(port) = port else {
            if address.is_some() {
                return Err(
                    self.key_error(address_key, format!("is set but {port_key} is not set"))
                );
            }
            return Ok(None);
        };
        let port = u16::try_from(port)
            .map_err(|_| self.key_error(port_key, format!("port out of range: {port}")))?;
        let host = match address {
            None => "0.0.0.0".to_string(),
            Some(text) => {
                let host = strip_ipv6_brackets(&text);
                if host.is_empty() {
                    // InetAddress.getByName("") is the loopback address.
                    let (name, line) =
                        (self.name.clone(), self.key_lines.get(address_key).copied());
                    self.warn(
                        &name,
                        line,
                        Some(address_key),
                        "empty: the loopback address (localhost) is used",
                    );
                }
                java::host_string(host)
            }
        };
        Ok(Some(HostPort { host, port }))
    }

    /// `QuorumPeerConfig.configureSSLAuth`: a TLS client port needs an auth
    /// provider for `zookeeper.ssl.authProvider` (default `x509`).
    fn configure_ssl_auth(&mut self) -> Result<(), ConfigError> {
        let scheme = self
            .config
            .system
            .get_or(zkprops::SSL_AUTH_PROVIDER, "x509")
            .to_string();
        let provider_property = format!("{}{scheme}", zkprops::AUTH_PROVIDER_PREFIX);
        if self.config.system.get(&provider_property).is_some() {
            return Ok(());
        }
        if scheme == "x509" {
            self.config.system.set(
                &provider_property,
                "org.apache.zookeeper.server.auth.X509AuthenticationProvider",
            );
            Ok(())
        } else {
            Err(ConfigError::new(
                self.name.clone(),
                format!("no auth provider configured for the SSL authentication scheme '{scheme}' (set {provider_property})"),
            )
            .for_key(zkprops::SSL_AUTH_PROVIDER))
        }
    }

    /// `setupQuorumPeerConfig`: the ensemble from `properties` (the static
    /// file in backward-compatible mode, or the dynamic file), then `myid`,
    /// the client address, the role and the quorum-mode checks.
    fn setup_quorum_peer_config(
        &mut self,
        properties: &Properties,
        static_file: bool,
        file: &str,
    ) -> Result<(), ConfigError> {
        self.config.quorum = self.parse_dynamic_config(properties, static_file, file, None)?;
        self.setup_my_id()?;
        self.setup_client_port()?;
        self.setup_peer_type();
        self.check_validity()
    }

    /// `parseDynamicConfig`: builds the ensemble and checks its shape.
    fn parse_dynamic_config(
        &mut self,
        properties: &Properties,
        static_file: bool,
        file: &str,
        version: Option<i64>,
    ) -> Result<QuorumConfig, ConfigError> {
        let mut hierarchical = false;
        for property in properties {
            let key = java::trim(&property.key);
            if key.starts_with("group") || key.starts_with("weight") {
                hierarchical = true;
            } else if !static_file && !key.starts_with("server.") && key != "version" {
                return Err(ConfigError::new(
                    file,
                    "unrecognised parameter in a dynamic configuration file (only server.N, group.G and weight.N \
                     are allowed)",
                )
                .at_line(Some(property.line))
                .for_key(key));
            }
        }
        let mut quorum = self.quorum_config(
            properties,
            hierarchical,
            self.config.oracle_path.clone(),
            file,
        )?;
        if let Some(version) = version {
            quorum.version = version;
        }

        let participants = quorum.voting_count();
        let observers = quorum.observer_count();
        if participants == 0 {
            if !self.config.standalone_enabled {
                return Err(ConfigError::new(
                    file,
                    "with standaloneEnabled=false there must be at least one participant",
                ));
            }
            if observers > 0 {
                return Err(ConfigError::new(
                    file,
                    "observers without participants is an invalid configuration",
                ));
            }
        } else if participants == 1 && self.config.standalone_enabled {
            self.warn(
                file,
                None,
                None,
                "only one server specified: running standalone (set standaloneEnabled=false for a one-server quorum)",
            );
            if observers > 0 {
                return Err(ConfigError::new(
                    file,
                    "observers without a quorum is an invalid configuration",
                ));
            }
        } else if participants <= 2 {
            self.warn(
                file,
                None,
                None,
                "no server failure will be tolerated: you need at least 3 servers",
            );
        } else if participants % 2 == 0 {
            self.warn(
                file,
                None,
                None,
                "non-optimal configuration: consider an odd number of servers",
            );
        }
        Ok(quorum)
    }

    /// Parses a membership with the current system properties.
    fn quorum_config(
        &self,
        properties: &Properties,
        hierarchical: bool,
        oracle_path: Option<String>,
        file: &str,
    ) -> Result<QuorumConfig, ConfigError> {
        let multi_address_enabled = self
            .config
            .system
            .get_bool(zkprops::MULTI_ADDRESS_ENABLED, false);
        let quorum = QuorumConfig::parse(
            properties,
            hierarchical,
            oracle_path.as_deref(),
            multi_address_enabled,
        )
        .map_err(|e: ServerListError| ConfigError {
            file: file.to_string(),
            line: e.line,
            key: e.key,
            reason: e.reason,
        })?;
        if !quorum.servers.is_empty()
            && self
                .config
                .system
                .get_bool(zkprops::KERBEROS_CANONICALIZE_HOST_NAMES, false)
        {
            return Err(ConfigError::new(
                file,
                "canonicalizing server host names through DNS is not supported by rzk; \
                 write canonical host names in the server list instead",
            )
            .for_key(zkprops::KERBEROS_CANONICALIZE_HOST_NAMES));
        }
        Ok(quorum)
    }

    /// `setupMyId`: the first line of `dataDir/myid`, if that file exists.
    fn setup_my_id(&mut self) -> Result<(), ConfigError> {
        let path = self.config.data_dir.join("myid");
        if !self.files.is_file(&path) {
            return Ok(());
        }
        let file = path.display().to_string();
        let bytes = self
            .files
            .read(&path)
            .map_err(|e| ConfigError::new(file.clone(), format!("cannot read the file: {e}")))?;
        let text = String::from_utf8_lossy(&bytes);
        let Some(first_line) = text.split(['\n', '\r']).next().filter(|_| !text.is_empty()) else {
            return Err(ConfigError::new(
                file,
                "empty file: expected the server id on the first line",
            ));
        };
        let id = java::parse_long(first_line).map_err(|e| {
            ConfigError::new(
                file.clone(),
                format!("invalid server id \"{first_line}\": {e}"),
            )
            .at_line(Some(1))
        })?;
        if id == -1 {
            self.warn(&file, Some(1), None, "server id -1 means \"not set\"");
            self.config.server_id = None;
        } else {
            self.config.server_id = Some(id);
        }
        Ok(())
    }

    /// `setupClientPort`: this server's `;` client address must agree with
    /// the static one and then replaces it; otherwise the static one is
    /// recorded in the server list (and kept out of the canonical form).
    fn setup_client_port(&mut self) -> Result<(), ConfigError> {
        let Some(id) = self.config.server_id else {
            return Ok(());
        };
        let Some(listed) = self
            .config
            .quorum
            .servers
            .get(&id)
            .map(|s| s.client_address.clone())
        else {
            return Ok(());
        };
        let client_key = if self.key_lines.contains_key("clientPortAddress") {
            "clientPortAddress"
        } else {
            "clientPort"
        };
        if let (Some(listed), Some(configured)) = (&listed, &self.static_client_address) {
            let comparison = compare_listen_addresses(configured, listed);
            let message = format!(
                "the client address of this server (id {id}) is {configured} here but {listed} in the server list"
            );
            match comparison {
                AddressMatch::Same => {}
                AddressMatch::Different => return Err(self.key_error(client_key, message)),
                AddressMatch::Unknown => {
                    let (name, line) = (self.name.clone(), self.key_lines.get(client_key).copied());
                    let message = format!(
                        "{message}; Java requires both to resolve to the same address (the server list's is used)"
                    );
                    self.warn(&name, line, Some(client_key), message);
                }
            }
        }
        match (listed, self.static_client_address.clone()) {
            (Some(listed), _) => {
                self.config.client_address = Some(listed);
                Ok(())
            }
            (None, configured) => {
                if let Some(server) = self.config.quorum.servers.get_mut(&id) {
                    server.client_address = configured;
                    server.client_address_from_static = true;
                }
                Ok(())
            }
        }
    }

    /// `setupPeerType`: the server list decides the role.
    fn setup_peer_type(&mut self) {
        let role_in_list = match self.config.this_server() {
            Some(server) if !server.is_participant() => LearnerType::Observer,
            _ => LearnerType::Participant,
        };
        if role_in_list != self.config.peer_type {
            let message = format!(
                "the server list makes this server a {role_in_list}, which overrides peerType={}",
                self.config.peer_type
            );
            let (name, line) = (self.name.clone(), self.key_lines.get("peerType").copied());
            self.warn(&name, line, Some("peerType"), message);
            self.config.peer_type = role_in_list;
        }
    }

    /// `checkValidity`: what quorum mode requires.
    fn check_validity(&self) -> Result<(), ConfigError> {
        if !self.config.is_distributed() {
            return Ok(());
        }
        if self.config.init_limit == 0 {
            return Err(self.key_error("initLimit", "is not set (it is required in quorum mode)"));
        }
        if self.config.sync_limit == 0 {
            return Err(self.key_error("syncLimit", "is not set (it is required in quorum mode)"));
        }
        if self.config.server_id.is_none() {
            let path = self.config.data_dir.join("myid");
            return Err(ConfigError::new(
                path.display().to_string(),
                "the myid file is missing (it must hold this server's id in quorum mode)",
            ));
        }
        Ok(())
    }

    /// Reads `dynamicConfigFile` and sets the ensemble from it.
    fn load_dynamic_file(&mut self, path: &Path) -> Result<(), ConfigError> {
        let file = path.display().to_string();
        let bytes = self.files.read(path).map_err(|e| {
            ConfigError::new(
                file.clone(),
                format!("cannot read the dynamic configuration file: {e}"),
            )
        })?;
        let properties = Properties::load_latin1(&bytes)
            .map_err(|e| ConfigError::new(file.clone(), e.reason).at_line(Some(e.line)))?;
        if let Some(version) = properties.property("version") {
            return Err(ConfigError::new(
                file,
                "a dynamic configuration file must not contain a version (it comes from the file name suffix)",
            )
            .at_line(Some(version.line))
            .for_key("version"));
        }
        let version = match version_from_filename(&path.to_string_lossy()) {
            None => None,
            Some(hex) => Some(java::parse_long_radix(&hex, 16).map_err(|e| {
                ConfigError::new(
                    file.clone(),
                    format!("version \"{hex}\" from the file name: {e}"),
                )
                .for_key("version")
            })?),
        };
        self.config.quorum = self.parse_dynamic_config(&properties, false, &file, version)?;
        self.setup_my_id()?;
        self.setup_client_port()?;
        self.setup_peer_type();
        self.check_validity()
    }

    /// Reads `<config>.dynamic.next`, the last proposed ensemble, if present.
    /// Unreadable files are ignored, as in Java; malformed ones are errors.
    fn load_next_dynamic_file(&mut self, config_path: &Path) -> Result<(), ConfigError> {
        let mut next: OsString = config_path.as_os_str().to_owned();
        next.push(".dynamic.next");
        let next = PathBuf::from(next);
        if !self.files.exists(&next) {
            return Ok(());
        }
        let file = next.display().to_string();
        let bytes = match self.files.read(&next) {
            Ok(bytes) => bytes,
            Err(e) => {
                self.warn(
                    &file,
                    None,
                    None,
                    format!("ignored: cannot read the file: {e}"),
                );
                return Ok(());
            }
        };
        let properties = Properties::load_latin1(&bytes)
            .map_err(|e| ConfigError::new(file.clone(), e.reason).at_line(Some(e.line)))?;
        let hierarchical = properties.iter().any(|p| {
            let key = java::trim(&p.key);
            key.starts_with("group") || key.starts_with("weight")
        });
        // Java ignores oraclePath for the proposed configuration.
        self.config.last_seen_quorum =
            Some(self.quorum_config(&properties, hierarchical, None, &file)?);
        Ok(())
    }

    /// Conditions that make a Java quorum peer fail right after parsing, at
    /// startup (`QuorumPeer.start`, `SessionTrackerImpl`,
    /// `QuorumCnxManager`), reported here instead.
    fn check_startup(&self) -> Result<(), ConfigError> {
        if !self.config.is_distributed() {
            return Ok(());
        }
        let Some(id) = self.config.server_id else {
            return Ok(());
        };
        if !self.config.quorum.servers.contains_key(&id) {
            let myid = self.config.data_dir.join("myid").display().to_string();
            return Err(ConfigError::new(
                myid,
                format!("this server's id {id} is not in the server list"),
            ));
        }
        let sys = &self.config.system;
        if sys.get_bool(zkprops::EXTENDED_TYPES_ENABLED, false) && id > 254 {
            let myid = self.config.data_dir.join("myid").display().to_string();
            return Err(ConfigError::new(
                myid,
                format!("server id {id} is too large: with zookeeper.extendedTypesEnabled=true it must be at most 254"),
            ));
        }
        if let Some(value) = sys.get(zkprops::CNX_TIMEOUT) {
            if let Err(e) = java::parse_int(value) {
                let file = match sys.property(zkprops::CNX_TIMEOUT).map(|p| &p.origin) {
                    Some(PropertyOrigin::ConfigFile { file, .. }) => file.clone(),
                    _ => SYSTEM_PROPERTIES.to_string(),
                };
                let line = match sys.property(zkprops::CNX_TIMEOUT).map(|p| &p.origin) {
                    Some(PropertyOrigin::ConfigFile { line, .. }) => Some(*line),
                    _ => None,
                };
                return Err(
                    ConfigError::new(file, format!("invalid value \"{value}\": {e}"))
                        .at_line(line)
                        .for_key(zkprops::CNX_TIMEOUT),
                );
            }
        }
        Ok(())
    }
}

/// Every key `parseProperties` recognises (besides the `metricsProvider.*`
/// family and the membership keys).
pub(crate) const RECOGNISED_KEYS: &[&str] = &[
    "dataDir",
    "dataLogDir",
    "clientPort",
    "localSessionsEnabled",
    "localSessionsUpgradingEnabled",
    "clientPortAddress",
    "secureClientPort",
    "secureClientPortAddress",
    "observerMasterPort",
    "clientPortListenBacklog",
    "tickTime",
    "maxClientCnxns",
    "minSessionTimeout",
    "maxSessionTimeout",
    "initLimit",
    "syncLimit",
    "connectToLearnerMasterLimit",
    "electionAlg",
    "quorumListenOnAllIPs",
    "peerType",
    "syncEnabled",
    "dynamicConfigFile",
    "autopurge.snapRetainCount",
    "autopurge.purgeInterval",
    "standaloneEnabled",
    "reconfigEnabled",
    "sslQuorum",
    "portUnification",
    "sslQuorumReloadCertFiles",
    "quorum.auth.enableSasl",
    "quorum.auth.serverRequireSasl",
    "quorum.auth.learnerRequireSasl",
    "quorum.auth.learner.saslLoginContext",
    "quorum.auth.server.saslLoginContext",
    "quorum.auth.kerberos.servicePrincipal",
    "quorum.cnxn.threads.size",
    "jvm.pause.info-threshold.ms",
    "jvm.pause.warn-threshold.ms",
    "jvm.pause.sleep.time.ms",
    "jvm.pause.monitor",
    "metricsProvider.className",
    "multiAddress.enabled",
    "multiAddress.reachabilityCheckTimeoutMs",
    "multiAddress.reachabilityCheckEnabled",
    "oraclePath",
];

/// `InetAddress.getByName` accepts `[v6]`.
fn strip_ipv6_brackets(text: &str) -> &str {
    match text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        Some(inner) if !inner.is_empty() => inner,
        _ => text,
    }
}

/// How a static client address compares with the server list's one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AddressMatch {
    Same,
    Different,
    /// A host name is involved: only DNS could tell.
    Unknown,
}

/// The comparison of `setupClientPort`: a wildcard static address only has
/// to match the port; otherwise host and port must match. Java compares
/// resolved addresses; without DNS, a host name that is not written the
/// same way on both sides cannot be decided.
fn compare_listen_addresses(configured: &HostPort, listed: &HostPort) -> AddressMatch {
    let configured_ip = java::ip_literal(&configured.host);
    if configured_ip.is_some_and(|ip| ip.is_unspecified()) || configured.port != listed.port {
        return if configured.port == listed.port {
            AddressMatch::Same
        } else {
            AddressMatch::Different
        };
    }
    match (configured_ip, java::ip_literal(&listed.host)) {
        (Some(a), Some(b)) if a == b => AddressMatch::Same,
        (Some(_), Some(_)) => AddressMatch::Different,
        _ if configured.host.eq_ignore_ascii_case(&listed.host) => AddressMatch::Same,
        _ => AddressMatch::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_address_comparison() {
        let hp = |host: &str, port| HostPort {
            host: host.into(),
            port,
        };
        use AddressMatch::*;
        let same_listen_address =
            |a: &HostPort, b: &HostPort| compare_listen_addresses(a, b) == Same;
        assert_eq!(
            compare_listen_addresses(&hp("localhost", 2181), &hp("127.0.0.1", 2181)),
            Unknown
        );
        assert_eq!(
            compare_listen_addresses(&hp("localhost", 2181), &hp("127.0.0.1", 2182)),
            Different
        );
        assert_eq!(
            compare_listen_addresses(&hp("10.0.0.1", 2181), &hp("127.0.0.1", 2181)),
            Different
        );
        assert!(same_listen_address(
            &hp("0.0.0.0", 2181),
            &hp("10.0.0.1", 2181)
        ));
        assert!(!same_listen_address(
            &hp("0.0.0.0", 2181),
            &hp("10.0.0.1", 2182)
        ));
        assert!(same_listen_address(
            &hp("127.0.0.1", 2181),
            &hp("127.1", 2181)
        ));
        assert!(!same_listen_address(
            &hp("127.0.0.1", 2181),
            &hp("0.0.0.0", 2181)
        ));
        assert!(same_listen_address(&hp("ZK1", 2181), &hp("zk1", 2181)));
        assert!(same_listen_address(&hp("::", 2181), &hp("zk1", 2181)));
    }
}
