//! Tests of the whole configuration parser (the parts have their own).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;

use super::files::MemoryFiles;
use super::*;

const ZOO_SAMPLE: &str = include_str!("../../tests/fixtures/config/zoo_sample.cfg");
const DEBIAN_ZOO_CFG: &str = include_str!("../../tests/fixtures/config/debian_zoo.cfg");

/// Parses `text` as `zoo.cfg` with no files around and no `-D` flags.
fn parse(text: &str) -> Result<ServerConfig, ConfigError> {
    parse_files(text, SystemProperties::new(), &MemoryFiles::new())
}

fn parse_files(
    text: &str,
    sys: SystemProperties,
    files: &MemoryFiles,
) -> Result<ServerConfig, ConfigError> {
    parse::parse_with("zoo.cfg", None, text.as_bytes(), sys, files)
}

fn parse_sys(text: &str, defines: &[&str]) -> Result<ServerConfig, ConfigError> {
    let defines: Vec<String> = defines.iter().map(|d| d.to_string()).collect();
    parse_files(
        text,
        SystemProperties::from_flags(None, None, &defines),
        &MemoryFiles::new(),
    )
}

fn error(text: &str) -> ConfigError {
    match parse(text) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e,
    }
}

fn assert_error(text: &str, expected: &str) {
    let message = error(text).to_string();
    assert!(
        message.contains(expected),
        "expected {expected:?} in {message:?}"
    );
}

/// A three-server quorum with myid 1 at /data/myid.
fn quorum_files() -> MemoryFiles {
    MemoryFiles::new().with("/data/myid", "1\n")
}

const QUORUM: &str = "tickTime=2000\ndataDir=/data\ninitLimit=10\nsyncLimit=5\nclientPort=2181\n\
                      server.1=zk1:2888:3888\nserver.2=zk2:2888:3888\nserver.3=zk3:2888:3888\n";

fn hp(host: &str, port: u16) -> HostPort {
    HostPort {
        host: host.to_string(),
        port,
    }
}

fn check_sample(config: &ServerConfig) {
    assert_eq!(config.tick_time, 2000);
    assert_eq!(config.init_limit, 10);
    assert_eq!(config.sync_limit, 5);
    assert_eq!(config.data_dir, PathBuf::from("/tmp/zookeeper"));
    assert_eq!(config.data_log_dir, PathBuf::from("/tmp/zookeeper"));
    assert_eq!(config.client_address, Some(hp("0.0.0.0", 2181)));
    assert_eq!(config.secure_client_address, None);
    assert_eq!(config.max_client_cnxns, 60);
    assert_eq!(config.min_session_timeout, 4000);
    assert_eq!(config.max_session_timeout, 40000);
    assert_eq!(config.snap_retain_count, 3);
    assert_eq!(config.purge_interval, 0);
    assert_eq!(config.metrics_provider_class_name, DEFAULT_METRICS_PROVIDER);
    assert!(config.metrics_provider_config.is_empty());
    assert_eq!(config.election_alg, 3);
    assert_eq!(config.peer_type, LearnerType::Participant);
    assert!(config.standalone_enabled && !config.reconfig_enabled);
    assert_eq!(config.server_id, None);
    assert!(config.quorum.servers.is_empty());
    assert!(config.is_standalone());
    assert!(config.system.is_empty());
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
    assert_eq!(config.zookeeper.snap_count, 100_000);
    assert_eq!(config.quorum_cnxn_threads_size, 20);
}

#[test]
fn zookeeper_sample_config() {
    let config = parse(ZOO_SAMPLE).expect("sample parses");
    check_sample(&config);
    assert_eq!(config.initial_config, ZOO_SAMPLE);
}

#[test]
fn debian_sample_config() {
    check_sample(&parse(DEBIAN_ZOO_CFG).expect("Debian sample parses"));
}

#[test]
fn sample_with_its_commented_options_enabled() {
    let text = ZOO_SAMPLE
        .lines()
        .map(|line| {
            line.strip_prefix('#')
                .filter(|l| l.contains('='))
                .unwrap_or(line)
        })
        .collect::<Vec<_>>()
        .join("\n");
    let config = parse(&text).expect("parses");
    assert_eq!(config.max_client_cnxns, 60);
    assert_eq!(config.purge_interval, 1);
    assert_eq!(
        config.metrics_provider_class_name,
        "org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider"
    );
    assert_eq!(
        config
            .metrics_provider_config
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>(),
        vec!["exportJvmInfo=true", "httpHost=0.0.0.0", "httpPort=7000"]
    );
}

#[test]
fn defaults_without_optional_keys() {
    let config = parse("dataDir=/d").expect("minimal config");
    assert_eq!(config.tick_time, DEFAULT_TICK_TIME);
    assert_eq!(config.min_session_timeout, 6000);
    assert_eq!(config.max_session_timeout, 60000);
    assert_eq!(config.client_address, None);
    assert_eq!(config.client_port_listen_backlog, -1);
    assert_eq!(config.observer_master_port, None);
    assert!(config.sync_enabled);
    assert_eq!(config.quorum_sasl, QuorumSaslConfig::default());
    assert_eq!(config.jvm_pause_monitor, JvmPauseMonitorConfig::default());
    assert_eq!(
        config.multi_address,
        MultiAddressConfig {
            enabled: false,
            reachability_check_enabled: true,
            reachability_check_timeout_ms: 1000
        }
    );
}

#[test]
fn every_recognised_key() {
    let text = "dataDir=/d\ndataLogDir=/l\nclientPort=2181\nclientPortAddress=127.0.0.1\n\
                secureClientPort=2281\nsecureClientPortAddress=[::1]\nclientPortListenBacklog=50\n\
                tickTime=100\nmaxClientCnxns=0\nminSessionTimeout=300\nmaxSessionTimeout=900\n\
                localSessionsEnabled=TRUE\nlocalSessionsUpgradingEnabled=true\ninitLimit=3\nsyncLimit=2\n\
                connectToLearnerMasterLimit=4\nelectionAlg=3\nquorumListenOnAllIPs=true\npeerType=participant\n\
                syncEnabled=false\nobserverMasterPort=2191\nautopurge.snapRetainCount=5\n\
                autopurge.purgeInterval=24\nstandaloneEnabled=true\nreconfigEnabled=true\nsslQuorum=true\n\
                portUnification=true\nsslQuorumReloadCertFiles=true\nquorum.auth.enableSasl=true\n\
                quorum.auth.learnerRequireSasl=true\nquorum.auth.serverRequireSasl=true\n\
                quorum.auth.learner.saslLoginContext=L\nquorum.auth.server.saslLoginContext=S\n\
                quorum.auth.kerberos.servicePrincipal=zk/_HOST\nquorum.cnxn.threads.size=40\n\
                jvm.pause.monitor=true\njvm.pause.info-threshold.ms=1\njvm.pause.warn-threshold.ms=2\n\
                jvm.pause.sleep.time.ms=3\nmetricsProvider.className=org.apache.zookeeper.metrics.impl.NullMetricsProvider\n\
                metricsProvider.x=y\nmultiAddress.enabled=true\nmultiAddress.reachabilityCheckEnabled=false\n\
                multiAddress.reachabilityCheckTimeoutMs=5\noraclePath=/o\n";
    let c = parse(text).expect("valid");
    assert_eq!(c.data_log_dir, PathBuf::from("/l"));
    assert_eq!(c.client_address, Some(hp("127.0.0.1", 2181)));
    assert_eq!(c.secure_client_address, Some(hp("0:0:0:0:0:0:0:1", 2281)));
    assert_eq!(c.client_port_listen_backlog, 50);
    assert_eq!(
        (
            c.tick_time,
            c.max_client_cnxns,
            c.min_session_timeout,
            c.max_session_timeout
        ),
        (100, 0, 300, 900)
    );
    assert!(c.local_sessions_enabled && c.local_sessions_upgrading_enabled);
    assert_eq!(
        (
            c.init_limit,
            c.sync_limit,
            c.connect_to_learner_master_limit
        ),
        (3, 2, 4)
    );
    assert!(c.quorum_listen_on_all_ips && !c.sync_enabled);
    assert_eq!(c.observer_master_port, Some(2191));
    assert_eq!((c.snap_retain_count, c.purge_interval), (5, 24));
    assert!(
        c.reconfig_enabled && c.ssl_quorum && c.port_unification && c.ssl_quorum_reload_cert_files
    );
    assert!(
        c.quorum_sasl.enabled
            && c.quorum_sasl.learner_require_sasl
            && c.quorum_sasl.server_require_sasl
    );
    assert_eq!(c.quorum_sasl.learner_login_context, "L");
    assert_eq!(c.quorum_sasl.server_login_context, "S");
    assert_eq!(c.quorum_sasl.kerberos_service_principal, "zk/_HOST");
    assert_eq!(c.quorum_cnxn_threads_size, 40);
    assert_eq!(
        c.jvm_pause_monitor,
        JvmPauseMonitorConfig {
            enabled: true,
            info_threshold_ms: 1,
            warn_threshold_ms: 2,
            sleep_time_ms: 3
        }
    );
    assert_eq!(
        c.metrics_provider_config.get("x").map(String::as_str),
        Some("y")
    );
    assert!(c.multi_address.enabled && !c.multi_address.reachability_check_enabled);
    assert_eq!(c.multi_address.reachability_check_timeout_ms, 5);
    assert_eq!(c.oracle_path.as_deref(), Some("/o"));
    // The TLS port installs the x509 auth provider.
    assert_eq!(
        c.system.get("zookeeper.authProvider.x509"),
        Some("org.apache.zookeeper.server.auth.X509AuthenticationProvider")
    );
    // None of the recognised keys leaks into the system properties.
    assert_eq!(c.system.len(), 1);
}

#[test]
fn keys_and_values_are_trimmed() {
    let c =
        parse("  tickTime = 2500 \t\ndataDir=/d  \n\\ clientPort\\ =\\ 2181\\ \n").expect("valid");
    assert_eq!(c.tick_time, 2500);
    assert_eq!(c.data_dir, PathBuf::from("/d"));
    assert_eq!(c.client_address, Some(hp("0.0.0.0", 2181)));
}

#[test]
fn small_corrections_are_warnings() {
    let c = parse("dataDir=relative/dir\nautopurge.snapRetainCount=1\nquorum.cnxn.threads.size=4")
        .expect("valid");
    assert_eq!(c.snap_retain_count, 3);
    assert_eq!(c.quorum_cnxn_threads_size, 20);
    assert_eq!(c.data_dir, PathBuf::from("relative/dir"));
    let warnings: Vec<String> = c.warnings.iter().map(ToString::to_string).collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("zoo.cfg:1: dataDir: relative/dir is relative")),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("zoo.cfg:2: autopurge.snapRetainCount")),
        "{warnings:?}"
    );
}

#[test]
fn session_timeouts() {
    let c = parse("dataDir=/d\ntickTime=2000\nminSessionTimeout=100").expect("valid");
    assert_eq!((c.min_session_timeout, c.max_session_timeout), (100, 40000));
    let c = parse("dataDir=/d\ntickTime=2000\nmaxSessionTimeout=5000").expect("valid");
    assert_eq!((c.min_session_timeout, c.max_session_timeout), (4000, 5000));
    // Only -1 means "unset".
    let c = parse("dataDir=/d\nminSessionTimeout=-2").expect("valid");
    assert_eq!(c.min_session_timeout, -2);
    // A negative tickTime is accepted but gives min > max.
    assert_error(
        "dataDir=/d\ntickTime=-5",
        "minSessionTimeout: -10 must not be larger than maxSessionTimeout (-100)",
    );
}

#[test]
fn error_messages_name_file_line_and_key() {
    assert_eq!(
        error("# comment\ndataDir=/d\n\ntickTime=abc\n").to_string(),
        "zoo.cfg:4: tickTime: invalid value \"abc\": not an integer"
    );
    assert_eq!(
        error("dataDir=/d\ntickTime=0").to_string(),
        "zoo.cfg:2: tickTime: must not be 0"
    );
    assert_eq!(
        error("tickTime=2000").to_string(),
        "zoo.cfg: dataDir: is not set (it is required)"
    );
}

#[test]
fn validation_errors() {
    for (text, expected) in [
        ("dataDir=/d\ntickTime=", "tickTime: invalid value \"\""),
        ("dataDir=/d\ntickTime=99999999999", "tickTime: invalid value \"99999999999\": out of range"),
        ("dataDir=/d\nclientPort=0x10", "clientPort: invalid value \"0x10\""),
        ("dataDir=/d\nclientPort=70000", "zoo.cfg:2: clientPort: port out of range: 70000"),
        ("dataDir=/d\nclientPort=-1", "clientPort: port out of range: -1"),
        ("dataDir=/d\nclientPortAddress=127.0.0.1", "zoo.cfg:2: clientPortAddress: is set but clientPort is not set"),
        (
            "dataDir=/d\nsecureClientPortAddress=::1",
            "secureClientPortAddress: is set but secureClientPort is not set",
        ),
        ("dataDir=/d\nminSessionTimeout=10\nmaxSessionTimeout=5", "zoo.cfg:2: minSessionTimeout: 10 must not be larger"),
        ("dataDir=/d\nelectionAlg=1", "zoo.cfg:2: electionAlg: invalid value 1: only 3"),
        ("dataDir=/d\nelectionAlg=x", "electionAlg: invalid value \"x\": not an integer"),
        ("dataDir=/d\npeerType=leader", "peerType: unrecognised peer type \"leader\""),
        ("dataDir=/d\nsyncEnabled=yes", "zoo.cfg:2: syncEnabled: invalid value \"yes\": expected true or false"),
        ("dataDir=/d\nstandaloneEnabled=1", "standaloneEnabled: invalid value \"1\""),
        ("dataDir=/d\njvm.pause.sleep.time.ms=1.5", "jvm.pause.sleep.time.ms: invalid value \"1.5\""),
        (
            "dataDir=/d\nquorum.auth.serverRequireSasl=true",
            "quorum.auth.serverRequireSasl: cannot be enabled while quorum.auth.enableSasl is disabled",
        ),
        (
            "dataDir=/d\nquorum.auth.learnerRequireSasl=true",
            "quorum.auth.learnerRequireSasl: cannot be enabled while quorum.auth.enableSasl is disabled",
        ),
        (
            "dataDir=/d\nquorum.auth.enableSasl=true\nquorum.auth.serverRequireSasl=true",
            "quorum.auth.serverRequireSasl: cannot be enabled while quorum.auth.learnerRequireSasl is disabled",
        ),
        ("dataDir=/d\nmetricsProvider.className=com.example.Metrics", "metricsProvider.className: metrics provider class"),
        ("dataDir=\n", "dataDir: empty path"),
        ("dataDir=/d\ndataLogDir=", "dataLogDir: empty path"),
        ("dataDir=/d\nkey=\\u12", "zoo.cfg:2: malformed \\uxxxx encoding"),
        (
            "dataDir=/d\ndynamicConfigFile=/dyn\nserver.1=a:1:2",
            "zoo.cfg:3: server.1: must be in the separate dynamic configuration file",
        ),
        ("dataDir=/d\ngroup.1=1\ndynamicConfigFile=/dyn", "zoo.cfg:2: group.1: must be in the separate"),
        ("dataDir=/d\nweight.1=1\ndynamicConfigFile=/dyn", "weight.1: must be in the separate"),
        ("dataDir=/d\nstandaloneEnabled=false", "with standaloneEnabled=false there must be at least one participant"),
        ("dataDir=/d\nserver.1=a:1:2:observer", "observers without participants is an invalid configuration"),
        ("dataDir=/d\nserver.1=a:1:2\nserver.2=b:1:2:observer", "observers without a quorum is an invalid"),
        ("dataDir=/d\ninitLimit=1\nsyncLimit=1\nserver.1=a:1:2\nserver.2=b:3:4", "/d/myid: the myid file is missing"),
        ("dataDir=/d\nserver.1=a:1:2\nserver.2=b:3:4", "zoo.cfg: initLimit: is not set"),
        ("dataDir=/d\nserver.x=a:1:2", "zoo.cfg:2: server.x: invalid server id \"x\""),
        ("dataDir=/d\nserver.1=a:1:1", "zoo.cfg:2: server.1: the quorum port and the election port of server.1 must differ"),
        ("dataDir=/d\nversion=xyz", "zoo.cfg:2: version: invalid version \"xyz\""),
        ("dataDir=/d\ngroupies=1", "zoo.cfg:2: groupies: invalid group id"),
    ] {
        assert_error(text, expected);
    }
}

#[test]
fn quorum_mode_requirements() {
    let files = quorum_files();
    let ok = parse_files(QUORUM, SystemProperties::new(), &files).expect("valid quorum");
    assert!(!ok.is_standalone());
    for (remove, expected) in [
        ("initLimit=10\n", "initLimit: is not set"),
        ("syncLimit=5\n", "syncLimit: is not set"),
    ] {
        let text = QUORUM.replace(remove, "");
        let message = parse_files(&text, SystemProperties::new(), &files)
            .unwrap_err()
            .to_string();
        assert!(message.contains(expected), "{message}");
    }
    let message = parse_files(QUORUM, SystemProperties::new(), &MemoryFiles::new())
        .unwrap_err()
        .to_string();
    assert_eq!(
        message,
        "/data/myid: the myid file is missing (it must hold this server's id in quorum mode)"
    );
    // A standalone configuration needs none of them.
    assert!(parse("dataDir=/d\nserver.1=a:1:2").is_ok());
}

#[test]
fn myid_rules() {
    let parse_myid = |content: &str| {
        parse_files(
            QUORUM,
            SystemProperties::new(),
            &MemoryFiles::new().with("/data/myid", content),
        )
    };
    assert_eq!(parse_myid("2").expect("valid").server_id, Some(2));
    assert_eq!(
        parse_myid("3\r\nignored").expect("valid").server_id,
        Some(3)
    );
    assert_eq!(parse_myid("+1\n").expect("valid").server_id, Some(1));
    for (content, expected) in [
        ("", "/data/myid: empty file"),
        ("\n1", "/data/myid:1: invalid server id \"\""),
        (" 1", "invalid server id \" 1\""),
        ("1 \n", "invalid server id \"1 \""),
        ("one", "invalid server id \"one\": not an integer"),
        (
            "replace this text with the cluster-unique zookeeper's instance id (1-255)\n",
            "invalid server id \"replace this text",
        ),
        ("-1", "the myid file is missing"),
        (
            "4",
            "/data/myid: this server's id 4 is not in the server list",
        ),
    ] {
        let message = parse_myid(content).unwrap_err().to_string();
        assert!(message.contains(expected), "{content:?}: {message}");
    }
    // A standalone server reads myid too (it selects its client address).
    let standalone = parse_files(
        "dataDir=/data\nserver.1=zk1:2888:3888;2181",
        SystemProperties::new(),
        &MemoryFiles::new().with("/data/myid", "1"),
    )
    .expect("valid");
    assert!(standalone.is_standalone());
    assert_eq!(standalone.client_address, Some(hp("0.0.0.0", 2181)));
}

#[test]
fn standalone_versus_quorum() {
    let one = "dataDir=/data\ninitLimit=5\nsyncLimit=2\nserver.1=zk1:2888:3888\n";
    let files = quorum_files();
    let standalone = parse_files(one, SystemProperties::new(), &files).expect("valid");
    assert!(standalone.is_standalone());
    assert!(standalone
        .warnings
        .iter()
        .any(|w| w.message.contains("only one server specified")));
    let forced = parse_files(
        &format!("{one}standaloneEnabled=false\n"),
        SystemProperties::new(),
        &files,
    )
    .expect("valid");
    assert!(!forced.is_standalone());
    let two = parse_files(
        &format!("{one}server.2=zk2:2888:3888\n"),
        SystemProperties::new(),
        &files,
    )
    .expect("valid");
    assert!(two.is_distributed());
    assert!(two
        .warnings
        .iter()
        .any(|w| w.message.contains("no server failure will be tolerated")));
    // Observers do not count.
    let observer = format!("{one}server.2=zk2:2888:3888:observer\nserver.3=zk3:2888:3888\n");
    let c = parse_files(&observer, SystemProperties::new(), &files).expect("valid");
    assert!(c.is_distributed());
    assert_eq!(c.quorum.voting_count(), 2);
}

#[test]
fn roles_come_from_the_server_list() {
    let files = MemoryFiles::new().with("/data/myid", "4");
    let text = format!("{QUORUM}server.4=zk4:2888:3888:observer\n");
    let c = parse_files(&text, SystemProperties::new(), &files).expect("valid");
    assert_eq!(c.peer_type, LearnerType::Observer);
    assert!(c
        .warnings
        .iter()
        .any(|w| w.key.as_deref() == Some("peerType")));
    let c = parse_files(
        &format!("{text}peerType=observer\n"),
        SystemProperties::new(),
        &files,
    )
    .expect("valid");
    assert_eq!(c.peer_type, LearnerType::Observer);
    assert!(!c
        .warnings
        .iter()
        .any(|w| w.key.as_deref() == Some("peerType")));
    // peerType=observer for a participant is overridden.
    let c = parse_files(
        &format!("{QUORUM}peerType=observer\n"),
        SystemProperties::new(),
        &quorum_files(),
    )
    .expect("valid");
    assert_eq!(c.peer_type, LearnerType::Participant);
}

#[test]
fn server_forms() {
    let text = "tickTime=2000\ndataDir=/data\ninitLimit=10\nsyncLimit=5\n\
                server.1=[::1]:2888:3888\n\
                server.2=127.0.0.1:2889:3889:participant;2181\n\
                server.3=zk3:2890:3890;127.0.0.1:2182\n\
                server.4=[fe80::1]:2891:3891:observer;[::]:2183\n";
    let c = parse_files(text, SystemProperties::new(), &quorum_files()).expect("valid");
    let canonical: Vec<String> = c.quorum.canonical_lines();
    assert_eq!(
        canonical,
        vec![
            "server.1=[0:0:0:0:0:0:0:1]:2888:3888:participant",
            "server.2=127.0.0.1:2889:3889:participant;0.0.0.0:2181",
            "server.3=zk3:2890:3890:participant;127.0.0.1:2182",
            "server.4=[fe80:0:0:0:0:0:0:1]:2891:3891:observer;[0:0:0:0:0:0:0:0]:2183",
        ]
    );
    assert_eq!(c.quorum.voting_count(), 3);
    assert_eq!(c.quorum.observer_count(), 1);
    assert_eq!(c.quorum.servers[&1].addresses[0].host, "0:0:0:0:0:0:0:1");
    // Server 1 (this one) has no client address in the list and no clientPort.
    assert_eq!(c.client_address, None);
    assert!(c.quorum.servers[&1].client_address_from_static);
}

#[test]
fn multiple_addresses_need_the_system_property() {
    let text = "dataDir=/data\ninitLimit=10\nsyncLimit=5\nmultiAddress.enabled=true\n\
                server.1=10.0.0.2:2888:3888|10.0.0.1:2888:3888\nserver.2=zk2:2888:3888\n";
    let message = parse_files(text, SystemProperties::new(), &quorum_files())
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("zoo.cfg:5: server.1: multiple addresses"),
        "{message}"
    );
    let sys =
        SystemProperties::from_flags(None, Some("-Dzookeeper.multiAddress.enabled=true"), &[]);
    let c = parse_files(text, sys, &quorum_files()).expect("valid");
    assert_eq!(
        c.quorum.servers[&1].to_canonical_string(),
        "10.0.0.1:2888:3888|10.0.0.2:2888:3888:participant"
    );
    assert!(c.multi_address.enabled);
    assert!(c.zookeeper.multi_address_enabled);
    // The zoo.cfg key does not become a system property.
    assert_eq!(c.system.get("zookeeper.multiAddress.enabled"), Some("true"));
    assert_eq!(
        c.system
            .property("zookeeper.multiAddress.enabled")
            .map(|p| &p.origin),
        Some(&PropertyOrigin::JvmFlags)
    );
}

#[test]
fn client_address_from_the_server_list() {
    let files = quorum_files();
    let text = QUORUM.replace("server.1=zk1:2888:3888", "server.1=zk1:2888:3888;2181");
    let c = parse_files(&text, SystemProperties::new(), &files).expect("same port");
    assert_eq!(c.client_address, Some(hp("0.0.0.0", 2181)));
    // The ';' address is part of the canonical form.
    assert_eq!(
        c.quorum.servers[&1].to_canonical_string(),
        "zk1:2888:3888:participant;0.0.0.0:2181"
    );
    // The list's address replaces a wildcard static one with the same port.
    let text = QUORUM.replace(
        "server.1=zk1:2888:3888",
        "server.1=zk1:2888:3888;10.0.0.1:2181",
    );
    let c = parse_files(&text, SystemProperties::new(), &files).expect("wildcard static");
    assert_eq!(c.client_address, Some(hp("10.0.0.1", 2181)));
    // A different port is an error.
    let text = QUORUM.replace("server.1=zk1:2888:3888", "server.1=zk1:2888:3888;2182");
    let message = parse_files(&text, SystemProperties::new(), &files)
        .unwrap_err()
        .to_string();
    assert!(
        message.starts_with("zoo.cfg:5: clientPort: the client address of this server (id 1)"),
        "{message}"
    );
    // A specific static address must match exactly.
    let text = format!(
        "{}clientPortAddress=127.0.0.1\n",
        QUORUM.replace("server.1=zk1:2888:3888", "server.1=zk1:2888:3888;2181")
    );
    let message = parse_files(&text, SystemProperties::new(), &files)
        .unwrap_err()
        .to_string();
    assert!(message.contains("clientPortAddress: the client address of this server (id 1) is 127.0.0.1:2181 here but 0.0.0.0:2181"), "{message}");
    // Without a ';' part, the static address is recorded but not canonical.
    let c = parse_files(QUORUM, SystemProperties::new(), &files).expect("valid");
    let me = c.this_server().expect("myid 1 is listed");
    assert_eq!(me.client_address, Some(hp("0.0.0.0", 2181)));
    assert!(me.client_address_from_static);
    assert_eq!(me.to_canonical_string(), "zk1:2888:3888:participant");
}

#[test]
fn client_host_names_are_not_resolved() {
    let text = format!(
        "{}clientPortAddress=localhost\n",
        QUORUM.replace(
            "server.1=zk1:2888:3888",
            "server.1=zk1:2888:3888;127.0.0.1:2181"
        )
    );
    let c = parse_files(&text, SystemProperties::new(), &quorum_files())
        .expect("undecidable without DNS");
    assert_eq!(c.client_address, Some(hp("127.0.0.1", 2181)));
    let warning = c
        .warnings
        .iter()
        .find(|w| w.key.as_deref() == Some("clientPortAddress"))
        .expect("a warning");
    assert!(warning
        .message
        .contains("Java requires both to resolve to the same address"));
}

#[test]
fn empty_client_port_address_is_loopback() {
    let c = parse("dataDir=/d\nclientPort=2181\nclientPortAddress=").expect("valid");
    assert_eq!(c.client_address, Some(hp("localhost", 2181)));
    let c = parse("dataDir=/d\nclientPort=2181\nclientPortAddress=[::1]").expect("valid");
    assert_eq!(c.client_address, Some(hp("0:0:0:0:0:0:0:1", 2181)));
}

#[test]
fn startup_checks() {
    let files = MemoryFiles::new().with("/data/myid", "300");
    let text = format!("{QUORUM}server.300=zk4:2888:3888\n");
    assert!(parse_files(&text, SystemProperties::new(), &files).is_ok());
    let sys =
        SystemProperties::from_flags(None, None, &["zookeeper.extendedTypesEnabled=true".into()]);
    let message = parse_files(&text, sys, &files).unwrap_err().to_string();
    assert!(message.contains("server id 300 is too large"), "{message}");
    let message = parse_files(
        &format!("{QUORUM}cnxTimeout=5s\n"),
        SystemProperties::new(),
        &quorum_files(),
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        message,
        "zoo.cfg:9: zookeeper.cnxTimeout: invalid value \"5s\": not an integer"
    );
    // Standalone servers never build the election connection manager.
    assert!(parse("dataDir=/d\ncnxTimeout=5s").is_ok());
    let message = parse_sys(
        "dataDir=/d",
        &["zookeeper.multiAddress.reachabilityCheckTimeoutMs=x"],
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        message,
        "system properties: zookeeper.multiAddress.reachabilityCheckTimeoutMs: invalid value \"x\": not an integer"
    );
    let message = parse_sys(&format!("{QUORUM}kerberos.canonicalizeHostNames=true"), &[])
        .unwrap_err()
        .to_string();
    assert!(message.contains("not supported"), "{message}");
}

#[test]
fn ssl_auth_provider() {
    let c = parse_sys(
        "dataDir=/d\nsecureClientPort=2281",
        &["zookeeper.ssl.authProvider=x509"],
    )
    .expect("x509");
    assert!(c.system.get("zookeeper.authProvider.x509").is_some());
    let message = parse("dataDir=/d\nsecureClientPort=2281\nssl.authProvider=sasl")
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("no auth provider configured for the SSL authentication scheme 'sasl'"),
        "{message}"
    );
    let c =
        parse("dataDir=/d\nsecureClientPort=2281\nssl.authProvider=sasl\nauthProvider.sasl=Sasl")
            .expect("set");
    assert_eq!(c.system.get("zookeeper.authProvider.x509"), None);
}

#[test]
fn unrecognised_keys_become_system_properties() {
    let sys = SystemProperties::from_flags(
        Some("-Dzookeeper.snapCount=7 -Dzookeeper.skipACL=no"),
        Some("-Dzookeeper.skipACL=yes -Djute.maxbuffer=2000000"),
        &["zookeeper.maxCnxns=9".to_string()],
    );
    let text = "dataDir=/d\nsnapCount = 5 \n4lw.commands.whitelist=stat, ruok\njute.maxbuffer=1\n\
                server.1=a:1:2\nversion=10\n";
    let c = parse_files(text, sys, &MemoryFiles::new()).expect("valid");
    assert_eq!(c.system.get("zookeeper.snapCount"), Some("5"));
    assert_eq!(
        c.system.property("zookeeper.snapCount").map(|p| &p.origin),
        Some(&PropertyOrigin::ConfigFile {
            file: "zoo.cfg".into(),
            line: 2
        })
    );
    assert_eq!(c.zookeeper.snap_count, 5);
    assert!(c.zookeeper.skip_acl);
    assert_eq!(c.zookeeper.max_cnxns, 9);
    assert!(c.zookeeper.four_letter_words.is_enabled("ruok"));
    assert!(c.zookeeper.four_letter_words.is_enabled("srvr"));
    assert!(!c.zookeeper.four_letter_words.is_enabled("conf"));
    // jute.maxbuffer only comes from -D; the zoo.cfg key is a no-op (with a warning).
    assert_eq!(c.zookeeper.jute_max_buffer, 2_000_000);
    assert_eq!(c.system.get("zookeeper.jute.maxbuffer"), Some("1"));
    assert!(c
        .warnings
        .iter()
        .any(|w| w.key.as_deref() == Some("jute.maxbuffer")));
    // As in Java, membership keys of the static file are also set as properties.
    assert_eq!(c.system.get("zookeeper.server.1"), Some("a:1:2"));
    assert_eq!(c.quorum.version, 0x10);
}

#[test]
fn server_values_are_not_trimmed() {
    // Java's QuorumServer gets the raw Properties value: trailing blanks break ports.
    let message = error("dataDir=/d\nserver.1=localhost:2888:3888 \n").to_string();
    assert_eq!(
        message,
        "zoo.cfg:2: server.1: election port \"3888 \" of host localhost is invalid: not an integer"
    );
}

#[test]
fn hierarchical_membership_in_static_file() {
    let text = format!("{QUORUM}group.1=1:2\ngroup.2=3\nweight.3=2\n");
    let c = parse_files(&text, SystemProperties::new(), &quorum_files()).expect("valid");
    assert_eq!(c.quorum.kind, QuorumKind::Hierarchical);
    assert_eq!(c.quorum.weights.get(&3), Some(&2));
    let c = parse_files(
        &format!("{text}oraclePath=/oracle\n"),
        SystemProperties::new(),
        &quorum_files(),
    )
    .expect("oracle");
    assert_eq!(
        c.quorum.kind,
        QuorumKind::OracleMajority {
            oracle_path: "/oracle".into()
        }
    );
}

#[test]
fn dynamic_file_in_memory() {
    let files = quorum_files()
        .with("/conf/zoo.cfg.dynamic.100000000", "server.1=zk1:2888:3888:participant;2181\nserver.2=zk2:2888:3888;2181\nserver.3=zk3:2888:3888:observer;2181\n");
    let text = "tickTime=2000\ndataDir=/data\ninitLimit=10\nsyncLimit=5\ndynamicConfigFile=/conf/zoo.cfg.dynamic.100000000\n";
    let c = parse_files(text, SystemProperties::new(), &files).expect("valid");
    assert_eq!(c.quorum.version, 0x1_0000_0000);
    assert_eq!(c.quorum.voting_count(), 2);
    assert_eq!(c.client_address, Some(hp("0.0.0.0", 2181)));
    assert!(c.is_distributed());
    assert!(!c.membership_in_static_file());
    assert_eq!(
        c.quorum.to_canonical_string(),
        "server.1=zk1:2888:3888:participant;0.0.0.0:2181\nserver.2=zk2:2888:3888:participant;0.0.0.0:2181\n\
         server.3=zk3:2888:3888:observer;0.0.0.0:2181\nversion=100000000"
    );

    let with = |content: &str| {
        let files = quorum_files().with("/conf/zoo.cfg.dynamic.1", content);
        let text =
            "dataDir=/data\ninitLimit=10\nsyncLimit=5\ndynamicConfigFile=/conf/zoo.cfg.dynamic.1\n";
        parse_files(text, SystemProperties::new(), &files)
    };
    assert_eq!(
        with("server.1=a:1:2\nversion=5\nserver.2=b:1:2").unwrap_err().to_string(),
        "/conf/zoo.cfg.dynamic.1:2: version: a dynamic configuration file must not contain a version \
         (it comes from the file name suffix)"
    );
    assert_eq!(
        with("server.1=a:1:2\ntickTime=5\nserver.2=b:1:2").unwrap_err().to_string(),
        "/conf/zoo.cfg.dynamic.1:2: tickTime: unrecognised parameter in a dynamic configuration file \
         (only server.N, group.G and weight.N are allowed)"
    );
    assert_eq!(
        with("server.1=a:1:2\nserver.2=b:1:2")
            .expect("valid")
            .quorum
            .version,
        1
    );

    let missing = "dataDir=/data\ndynamicConfigFile=/nowhere\n";
    let message = parse_files(missing, SystemProperties::new(), &quorum_files())
        .unwrap_err()
        .to_string();
    assert!(
        message.starts_with("/nowhere: cannot read the dynamic configuration file"),
        "{message}"
    );
}

#[test]
fn versions_from_file_names() {
    assert_eq!(
        version_from_filename("zoo.cfg.dynamic.100000000").as_deref(),
        Some("100000000")
    );
    assert_eq!(
        version_from_filename("zoo.cfg.dynamic.0").as_deref(),
        Some("0")
    );
    assert_eq!(
        version_from_filename("zoo.cfg.dynamic.00A").as_deref(),
        Some("a")
    );
    assert_eq!(version_from_filename("zoo.cfg.dynamic"), None);
    assert_eq!(version_from_filename("/etc/zk.d/dynamic"), None);
    assert_eq!(version_from_filename("servers.abc").as_deref(), Some("abc"));
    assert_eq!(
        version_from_filename("x.-1").as_deref(),
        Some("ffffffffffffffff")
    );
    assert_eq!(version_from_filename("no_dot"), None);
    // Java then fails to read back a negative version.
    let files = MemoryFiles::new().with("/x.-1", "server.1=a:1:2");
    let message = parse_files(
        "dataDir=/d\ndynamicConfigFile=/x.-1",
        SystemProperties::new(),
        &files,
    )
    .unwrap_err()
    .to_string();
    assert!(
        message.starts_with("/x.-1: version: version \"ffffffffffffffff\" from the file name"),
        "{message}"
    );
}

/// A unique scratch directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "rzk-config-test-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }

    fn write(&self, name: &str, content: &str) -> PathBuf {
        let path = self.0.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create dir");
        }
        std::fs::write(&path, content).expect("write file");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn dynamic_file_myid_and_next_on_disk() {
    let dir = TempDir::new();
    let data = dir.0.join("data");
    dir.write("data/myid", "2\n");
    let dynamic = dir.write(
        "zoo.cfg.dynamic.100000000",
        "server.1=127.0.0.1:2888:3888:participant;127.0.0.1:2181\n\
         server.2=127.0.0.1:2889:3889:participant;127.0.0.1:2182\n\
         server.3=127.0.0.1:2890:3890:participant;127.0.0.1:2183\n",
    );
    dir.write(
        "zoo.cfg.dynamic.next",
        "server.1=127.0.0.1:2888:3888:participant;127.0.0.1:2181\n\
         server.2=127.0.0.1:2889:3889:participant;127.0.0.1:2182\n\
         version=200000000\n",
    );
    let config_path = dir.write(
        "zoo.cfg",
        &format!(
            "tickTime=2000\ninitLimit=10\nsyncLimit=5\ndataDir={}\nreconfigEnabled=true\ndynamicConfigFile={}\n",
            data.display(),
            dynamic.display()
        ),
    );
    let c = load(&config_path, SystemProperties::new()).expect("valid");
    assert_eq!(c.server_id, Some(2));
    assert_eq!(c.client_address, Some(hp("127.0.0.1", 2182)));
    assert_eq!(c.quorum.version, 0x1_0000_0000);
    assert!(c.is_distributed());
    let next = c.last_seen_quorum.as_ref().expect(".dynamic.next is read");
    assert_eq!(next.version, 0x2_0000_0000);
    assert_eq!(next.servers.len(), 2);
    let rendered = c.render_effective();
    assert!(
        rendered.contains("\nserver.2=127.0.0.1:2889:3889:participant;127.0.0.1:2182\n"),
        "{rendered}"
    );
    assert!(rendered.contains("\nversion=100000000\n"), "{rendered}");
    assert!(rendered.contains("\n# version=200000000\n"), "{rendered}");
    assert!(
        rendered.contains(&format!("\ndynamicConfigFile={}\n", dynamic.display())),
        "{rendered}"
    );

    // parse_str reads myid and the dynamic file, but not .dynamic.next.
    let text = std::fs::read_to_string(&config_path).expect("read back");
    let c = parse_str("zoo.cfg", &text, SystemProperties::new()).expect("valid");
    assert_eq!(c.server_id, Some(2));
    assert_eq!(c.last_seen_quorum, None);

    // A missing myid in quorum mode.
    std::fs::remove_file(data.join("myid")).expect("remove myid");
    let message = load(&config_path, SystemProperties::new())
        .unwrap_err()
        .to_string();
    assert!(
        message.ends_with(
            "myid: the myid file is missing (it must hold this server's id in quorum mode)"
        ),
        "{message}"
    );

    let message = load(&dir.0.join("absent.cfg"), SystemProperties::new())
        .unwrap_err()
        .to_string();
    assert!(
        message.ends_with("absent.cfg: file is missing"),
        "{message}"
    );
}

#[test]
fn render_effective_standalone() {
    let sys = SystemProperties::from_flags(
        None,
        Some("-Djute.maxbuffer=4194304 -Dcustom.flag=on -Dzookeeper.ssl.keyStore.password=hunter2"),
        &[],
    );
    let c = parse_files(ZOO_SAMPLE, sys, &MemoryFiles::new()).expect("valid");
    let rendered = c.render_effective();
    let expected_head = "# Effective configuration of zoo.cfg\n# mode: standalone\n# myid: not set\n\
                         dataDir=/tmp/zookeeper\ndataLogDir=/tmp/zookeeper\nclientPort=2181\nclientPortAddress=0.0.0.0\n\
                         # secureClientPort is not set: no TLS client listener\nclientPortListenBacklog=-1\n\
                         tickTime=2000\ninitLimit=10\nsyncLimit=5\nconnectToLearnerMasterLimit=0\nmaxClientCnxns=60\n\
                         minSessionTimeout=4000\nmaxSessionTimeout=40000\n";
    assert!(rendered.starts_with(expected_head), "{rendered}");
    for line in [
        "\nelectionAlg=3\n",
        "\npeerType=participant\n",
        "\nautopurge.snapRetainCount=3\n",
        "\nquorum.cnxn.threads.size=20\n",
        "\nmetricsProvider.className=org.apache.zookeeper.metrics.impl.DefaultMetricsProvider\n",
        "\n# System properties read by ZooKeeper (effective values)\n",
        "\njute.maxbuffer=4194304\n",
        "\nzookeeper.jute.maxbuffer.extrasize=4194304\n",
        "\nzookeeper.4lw.commands.whitelist=srvr\n",
        "\nzookeeper.snapCount=100000\n",
        "\nzookeeper.forceSync=yes\n",
        "\nzookeeper.skipACL=no\n",
        "\nzookeeper.admin.serverPort=8080\n",
        "\n# from JVMFLAGS\ncustom.flag=on\n",
        "\nzookeeper.ssl.keyStore.password=********\n",
    ] {
        assert!(rendered.contains(line), "missing {line:?} in:\n{rendered}");
    }
    assert!(!rendered.contains("hunter2"));
    assert!(!rendered.contains("\nserver."), "{rendered}");
    assert!(
        rendered.contains("\n# zookeeper.DigestAuthenticationProvider.superDigest is not set\n")
    );
    // Stable: the same input renders the same text.
    assert_eq!(rendered, c.render_effective());
    // The rendered file parses back to the same typed values.
    let again = parse(&rendered).expect("rendered config parses");
    assert_eq!(again.tick_time, c.tick_time);
    assert_eq!(again.client_address, c.client_address);
    assert_eq!(again.min_session_timeout, c.min_session_timeout);
}

#[test]
fn render_effective_quorum() {
    let text = format!("{QUORUM}server.4=[::1]:2888:3888:observer;[::1]:2181\nsnapCount=5000\n");
    let c = parse_files(&text, SystemProperties::new(), &quorum_files()).expect("valid");
    let rendered = c.render_effective();
    assert!(rendered.starts_with("# Effective configuration of zoo.cfg\n# mode: quorum (3 participants, 1 observers)\n# myid: 1\n"));
    let ensemble = "\n# Ensemble\nserver.1=zk1:2888:3888:participant\nserver.2=zk2:2888:3888:participant\n\
                    server.3=zk3:2888:3888:participant\n\
                    server.4=[0:0:0:0:0:0:0:1]:2888:3888:observer;[0:0:0:0:0:0:0:1]:2181\nversion=0\n";
    assert!(rendered.contains(ensemble), "{rendered}");
    assert!(
        rendered.contains("\nzookeeper.snapCount=5000\n"),
        "{rendered}"
    );
    // The static membership keys were also set as properties, as in Java.
    assert!(
        rendered.contains("\n# from zoo.cfg:6\nzookeeper.server.1=zk1:2888:3888\n"),
        "{rendered}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC*") {
        let _ = parse(&text);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = parse::parse_with("zoo.cfg", None, &bytes, SystemProperties::new(), &quorum_files());
    }

    #[test]
    fn configuration_soup_never_panics(
        lines in proptest::collection::vec(
            (
                prop_oneof![
                    Just("dataDir"), Just("tickTime"), Just("clientPort"), Just("clientPortAddress"),
                    Just("server.1"), Just("server.2"), Just("server.3"), Just("group.1"), Just("weight.2"),
                    Just("version"), Just("initLimit"), Just("syncLimit"), Just("standaloneEnabled"),
                    Just("dynamicConfigFile"), Just("peerType"), Just("minSessionTimeout"),
                    Just("secureClientPort"), Just("oraclePath"), Just("snapCount"), Just("electionAlg"),
                ],
                prop_oneof![
                    Just("/data".to_string()), Just("0".to_string()), Just("-1".to_string()),
                    Just("2181".to_string()), Just("true".to_string()), Just("observer".to_string()),
                    Just("[::1]:2888:3888;2181".to_string()), Just("a:1:2:observer|b:1:2".to_string()),
                    Just("1:2".to_string()), Just("/dyn.1".to_string()), "\\PC{0,20}",
                ],
            ),
            0..12,
        )
    ) {
        let text: String = lines.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
        let files = quorum_files().with("/dyn.1", text.as_bytes());
        let defines = vec!["zookeeper.multiAddress.enabled=true".to_string()];
        if let Ok(config) = parse_files(&text, SystemProperties::from_flags(None, None, &defines), &files) {
            let _ = config.render_effective();
        }
    }
}

#[test]
fn load_reads_files_as_latin1() {
    let dir = TempDir::new();
    let path = dir.0.join("zoo.cfg");
    std::fs::write(&path, b"dataDir=/tmp/z\xe9\nnote=caf\xc3\xa9\n").expect("write");
    let c = load(&path, SystemProperties::new()).expect("valid");
    assert_eq!(c.data_dir, Path::new("/tmp/z\u{e9}"));
    assert_eq!(c.system.get("zookeeper.note"), Some("caf\u{c3}\u{a9}"));
}
