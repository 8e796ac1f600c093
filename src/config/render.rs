//! The effective configuration as `zoo.cfg`-style text (`rzk config`).

use std::fmt::Write as _;

use super::java;
use super::properties::{escape_key, escape_value};
use super::server_list::QuorumConfig;
use super::sysprops::PropertyOrigin;
use super::zkprops::ZooKeeperProperties;
use super::ServerConfig;

/// Shown instead of secret values.
const MASK: &str = "********";

/// Renders `config`; see [`ServerConfig::render_effective`].
pub(crate) fn render_effective(config: &ServerConfig) -> String {
    let mut out = Output::default();
    out.comment(&format!("Effective configuration of {}", config.source));
    let mode = if config.is_standalone() {
        "standalone".to_string()
    } else {
        format!(
            "quorum ({} participants, {} observers)",
            config.quorum.voting_count(),
            config.quorum.observer_count()
        )
    };
    out.comment(&format!("mode: {mode}"));
    match config.server_id {
        Some(id) => out.comment(&format!("myid: {id}")),
        None => out.comment("myid: not set"),
    }

    out.line("dataDir", &config.data_dir.display().to_string());
    out.line("dataLogDir", &config.data_log_dir.display().to_string());
    match &config.client_address {
        Some(address) => {
            out.line("clientPort", &address.port.to_string());
            out.line("clientPortAddress", &address.host);
        }
        None => out.comment("clientPort is not set: no plaintext client listener"),
    }
    match &config.secure_client_address {
        Some(address) => {
            out.line("secureClientPort", &address.port.to_string());
            out.line("secureClientPortAddress", &address.host);
        }
        None => out.comment("secureClientPort is not set: no TLS client listener"),
    }
    out.line(
        "clientPortListenBacklog",
        &config.client_port_listen_backlog.to_string(),
    );
    out.line("tickTime", &config.tick_time.to_string());
    out.line("initLimit", &config.init_limit.to_string());
    out.line("syncLimit", &config.sync_limit.to_string());
    out.line(
        "connectToLearnerMasterLimit",
        &config.connect_to_learner_master_limit.to_string(),
    );
    out.line("maxClientCnxns", &config.max_client_cnxns.to_string());
    out.line("minSessionTimeout", &config.min_session_timeout.to_string());
    out.line("maxSessionTimeout", &config.max_session_timeout.to_string());
    out.line(
        "localSessionsEnabled",
        &config.local_sessions_enabled.to_string(),
    );
    out.line(
        "localSessionsUpgradingEnabled",
        &config.local_sessions_upgrading_enabled.to_string(),
    );
    out.line("electionAlg", &config.election_alg.to_string());
    out.line(
        "quorumListenOnAllIPs",
        &config.quorum_listen_on_all_ips.to_string(),
    );
    out.line("peerType", config.peer_type.name());
    out.line("syncEnabled", &config.sync_enabled.to_string());
    match config.observer_master_port {
        Some(port) => out.line("observerMasterPort", &port.to_string()),
        None => out.comment("observerMasterPort is not set"),
    }
    if let Some(path) = &config.dynamic_config_file {
        out.line("dynamicConfigFile", &path.display().to_string());
    }
    out.line(
        "autopurge.snapRetainCount",
        &config.snap_retain_count.to_string(),
    );
    out.line(
        "autopurge.purgeInterval",
        &config.purge_interval.to_string(),
    );
    out.line("standaloneEnabled", &config.standalone_enabled.to_string());
    out.line("reconfigEnabled", &config.reconfig_enabled.to_string());
    out.line("sslQuorum", &config.ssl_quorum.to_string());
    out.line("portUnification", &config.port_unification.to_string());
    out.line(
        "sslQuorumReloadCertFiles",
        &config.ssl_quorum_reload_cert_files.to_string(),
    );
    let sasl = &config.quorum_sasl;
    out.line("quorum.auth.enableSasl", &sasl.enabled.to_string());
    out.line(
        "quorum.auth.learnerRequireSasl",
        &sasl.learner_require_sasl.to_string(),
    );
    out.line(
        "quorum.auth.serverRequireSasl",
        &sasl.server_require_sasl.to_string(),
    );
    out.line(
        "quorum.auth.learner.saslLoginContext",
        &sasl.learner_login_context,
    );
    out.line(
        "quorum.auth.server.saslLoginContext",
        &sasl.server_login_context,
    );
    out.line(
        "quorum.auth.kerberos.servicePrincipal",
        &sasl.kerberos_service_principal,
    );
    out.line(
        "quorum.cnxn.threads.size",
        &config.quorum_cnxn_threads_size.to_string(),
    );
    let pause = &config.jvm_pause_monitor;
    out.line("jvm.pause.monitor", &pause.enabled.to_string());
    out.line(
        "jvm.pause.info-threshold.ms",
        &pause.info_threshold_ms.to_string(),
    );
    out.line(
        "jvm.pause.warn-threshold.ms",
        &pause.warn_threshold_ms.to_string(),
    );
    out.line("jvm.pause.sleep.time.ms", &pause.sleep_time_ms.to_string());
    out.line(
        "metricsProvider.className",
        &config.metrics_provider_class_name,
    );
    for (key, value) in &config.metrics_provider_config {
        out.line(&format!("metricsProvider.{key}"), value);
    }
    out.line(
        "multiAddress.enabled",
        &config.multi_address.enabled.to_string(),
    );
    out.line(
        "multiAddress.reachabilityCheckEnabled",
        &config.multi_address.reachability_check_enabled.to_string(),
    );
    out.line(
        "multiAddress.reachabilityCheckTimeoutMs",
        &config
            .multi_address
            .reachability_check_timeout_ms
            .to_string(),
    );
    if let Some(oracle) = &config.oracle_path {
        out.line("oraclePath", oracle);
    }

    if !config.quorum.servers.is_empty() || config.quorum.version != 0 {
        out.blank();
        out.comment("Ensemble");
        out.quorum(&config.quorum, false);
    }
    if let Some(next) = &config.last_seen_quorum {
        out.blank();
        out.comment("Proposed ensemble (.dynamic.next), not active:");
        out.quorum(next, true);
    }

    out.blank();
    out.comment("System properties read by ZooKeeper (effective values)");
    for (name, value) in config.zookeeper.effective_values() {
        match value {
            Some(value) => out.line(name, &masked(name, &value)),
            None => out.comment(&format!("{name} is not set")),
        }
    }
    let others: Vec<_> = config
        .system
        .iter()
        .filter(|(name, _)| !ZooKeeperProperties::is_known(name))
        .collect();
    if !others.is_empty() {
        out.blank();
        out.comment("Other system properties");
        for (name, property) in others {
            let origin = match &property.origin {
                PropertyOrigin::ServerJvmFlags => "SERVER_JVMFLAGS".to_string(),
                PropertyOrigin::JvmFlags => "JVMFLAGS".to_string(),
                PropertyOrigin::CommandLine => "command line".to_string(),
                PropertyOrigin::ConfigFile { file, line } => format!("{file}:{line}"),
                PropertyOrigin::Internal => "derived".to_string(),
            };
            out.comment(&format!("from {origin}"));
            out.line(name, &masked(name, &property.value));
        }
    }
    out.text
}

/// Whether a property holds a secret that must not be printed.
fn is_secret(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.contains("password") || lower.contains("secret") || lower.contains("superdigest")
}

fn masked(name: &str, value: &str) -> String {
    if is_secret(name) && !value.is_empty() {
        MASK.to_string()
    } else {
        value.to_string()
    }
}

#[derive(Default)]
struct Output {
    text: String,
}

impl Output {
    fn line(&mut self, key: &str, value: &str) {
        let _ = writeln!(self.text, "{}={}", escape_key(key), escape_value(value));
    }

    fn comment(&mut self, text: &str) {
        let _ = writeln!(self.text, "# {}", text.replace(['\n', '\r'], " "));
    }

    fn blank(&mut self) {
        self.text.push('\n');
    }

    fn quorum(&mut self, quorum: &QuorumConfig, commented: bool) {
        let mut lines = quorum.canonical_lines();
        lines.push(format!("version={}", java::to_hex_string(quorum.version)));
        for line in lines {
            match (commented, line.split_once('=')) {
                (true, _) => self.comment(&line),
                (false, Some((key, value))) => self.line(key, value),
                (false, None) => self.comment(&line),
            }
        }
    }
}
