//! The ensemble membership: `server.N` entries, hierarchical `group.G` /
//! `weight.N` entries and the configuration version (Java's
//! `QuorumPeer.QuorumServer`, `QuorumMaj`, `QuorumHierarchical` and
//! `QuorumOracleMaj`).
//!
//! Grammar of a `server.N` value:
//!
//! ```text
//! <address>[|<address>...][;[<clientHost>:]<clientPort>]
//! <address> = <host>:<quorumPort>:<electionPort>[:participant|:observer]
//! ```
//!
//! Hosts may be bracketed IPv6 literals. Hosts are kept the way Java's
//! `InetSocketAddress.getHostString()` shows them, without any DNS lookup:
//! IP literals in Java's normal form (`[::1]` becomes `0:0:0:0:0:0:0:1`),
//! names as written. The canonical form therefore matches Java's byte for
//! byte.

use std::collections::BTreeMap;
use std::fmt;

use super::java;
use super::properties::Properties;

/// A server's role in the ensemble.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LearnerType {
    /// Votes in elections and in the quorum (the default).
    Participant,
    /// Follows the leader without voting.
    Observer,
}

impl LearnerType {
    /// Parses a role as Java does (trimmed, case-insensitive).
    pub fn parse(text: &str) -> Option<Self> {
        match java::trim(text).to_lowercase().as_str() {
            "participant" => Some(LearnerType::Participant),
            "observer" => Some(LearnerType::Observer),
            _ => None,
        }
    }

    /// The lower-case name used in configuration files.
    pub fn name(self) -> &'static str {
        match self {
            LearnerType::Participant => "participant",
            LearnerType::Observer => "observer",
        }
    }
}

impl fmt::Display for LearnerType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A host (Java's host string: IP literals normalised, names as written,
/// IPv6 without brackets) and a port.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HostPort {
    /// Host name or normalised IP literal, without IPv6 brackets.
    pub host: String,
    /// TCP port.
    pub port: u16,
}

impl HostPort {
    /// The host, bracketed if it contains a colon (Java's
    /// `QuorumServer.delimitedHostString`).
    pub fn delimited_host(&self) -> String {
        delimited_host(&self.host)
    }
}

impl fmt::Display for HostPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.delimited_host(), self.port)
    }
}

fn delimited_host(host: &str) -> String {
    if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

/// One quorum (Zab) address and election address of a server. Both ports
/// share the host.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QuorumAddress {
    /// Host name or normalised IP literal, without IPv6 brackets.
    pub host: String,
    /// The port learners connect to (conventionally 2888).
    pub quorum_port: u16,
    /// The leader-election port (conventionally 3888).
    pub election_port: u16,
}

impl QuorumAddress {
    /// The learner-facing address.
    pub fn quorum_address(&self) -> HostPort {
        HostPort {
            host: self.host.clone(),
            port: self.quorum_port,
        }
    }

    /// The election address.
    pub fn election_address(&self) -> HostPort {
        HostPort {
            host: self.host.clone(),
            port: self.election_port,
        }
    }
}

/// One member of the ensemble.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuorumServer {
    /// The server id (`N` of `server.N`, matched against `myid`).
    pub id: i64,
    /// Its addresses, in the order written (several only with
    /// `-Dzookeeper.multiAddress.enabled=true`).
    pub addresses: Vec<QuorumAddress>,
    /// Participant or observer.
    pub learner_type: LearnerType,
    /// The client address, from the `;` part or, for this server itself,
    /// from the static `clientPort`/`clientPortAddress`.
    pub client_address: Option<HostPort>,
    /// Whether `client_address` was filled in from the static configuration;
    /// such an address is not part of the canonical form.
    pub client_address_from_static: bool,
}

const WRONG_FORMAT: &str =
    "does not have the form host:port:port[:participant|:observer][|host:port:port...]\
                            [;[clientHost:]clientPort]";

impl QuorumServer {
    /// Parses a `server.N` value. `multi_address_enabled` is the system
    /// property `zookeeper.multiAddress.enabled` (Java reads that, not the
    /// `multiAddress.enabled` key of `zoo.cfg`, when parsing server lines).
    pub fn parse(id: i64, spec: &str, multi_address_enabled: bool) -> Result<Self, String> {
        let wrong_format = || format!("\"{spec}\" {WRONG_FORMAT}");
        let server_client_parts = java::split(spec, ';');
        let Some(server_part) = server_client_parts.first() else {
            return Err(wrong_format());
        };
        let server_addresses = java::split(server_part, '|');

        let mut client_address = None;
        if server_client_parts.len() == 2 {
            let client_parts = host_and_port(server_client_parts[1])?;
            let (host, port_text) = match client_parts.as_slice() {
                [port] => ("0.0.0.0".to_string(), port),
                [host, port] => (java::host_string(host), port),
                _ => return Err(wrong_format()),
            };
            let port = parse_port(port_text)
                .map_err(|reason| format!("client port \"{port_text}\" {reason}"))?;
            client_address = Some(HostPort { host, port });
        }

        if server_addresses.len() > 1 && !multi_address_enabled {
            return Err(format!(
                "multiple addresses are given for server {id} but the multiple address feature is disabled \
                 (it needs the system property -Dzookeeper.multiAddress.enabled=true; the zoo.cfg key \
                 multiAddress.enabled is not enough)"
            ));
        }
        if server_addresses.is_empty() || server_client_parts.len() > 2 {
            return Err(wrong_format());
        }

        let mut addresses: Vec<QuorumAddress> = Vec::new();
        let mut role: Option<LearnerType> = None;
        for address in server_addresses {
            let parts = host_and_port(address)?;
            if !(3..=4).contains(&parts.len()) {
                return Err(wrong_format());
            }
            let host = java::host_string(&parts[0]);
            let quorum_port = parse_port(&parts[1]).map_err(|reason| {
                format!("quorum port \"{}\" of host {host} {reason}", parts[1])
            })?;
            let election_port = parse_port(&parts[2]).map_err(|reason| {
                format!("election port \"{}\" of host {host} {reason}", parts[2])
            })?;
            if quorum_port == election_port {
                return Err(format!(
                    "the quorum port and the election port of server.{id} must differ (both are {quorum_port})"
                ));
            }
            if let Some(role_text) = parts.get(3) {
                let this_role = LearnerType::parse(role_text).ok_or_else(|| {
                    format!("unrecognised role \"{role_text}\": expected participant or observer")
                })?;
                match role {
                    None => role = Some(this_role),
                    Some(first) if first != this_role => {
                        return Err(format!(
                            "all addresses of server.{id} must have the same role ({first} vs {this_role})"
                        ))
                    }
                    Some(_) => {}
                }
            }
            let parsed = QuorumAddress {
                host,
                quorum_port,
                election_port,
            };
            if addresses.contains(&parsed) {
                // Java keeps addresses in sets, so an exact repeat collapses.
                continue;
            }
            if addresses.iter().any(|a| {
                a.host == parsed.host
                    && (a.quorum_port == quorum_port || a.election_port == election_port)
            }) {
                return Err(format!(
                    "server.{id} lists {}:{} more than once with different ports",
                    delimited_host(&parsed.host),
                    if addresses
                        .iter()
                        .any(|a| a.host == parsed.host && a.quorum_port == quorum_port)
                    {
                        quorum_port
                    } else {
                        election_port
                    }
                ));
            }
            addresses.push(parsed);
        }

        Ok(QuorumServer {
            id,
            addresses,
            learner_type: role.unwrap_or(LearnerType::Participant),
            client_address,
            client_address_from_static: false,
        })
    }

    /// Java's `QuorumServer.toString()`: the addresses as `host:q:e` sorted
    /// by host and joined with `|`, then `:participant` or `:observer`, then
    /// `;clientHost:clientPort` unless the client address is absent or came
    /// from the static configuration. IPv6 hosts are bracketed.
    pub fn to_canonical_string(&self) -> String {
        let mut addresses: Vec<&QuorumAddress> = self.addresses.iter().collect();
        addresses.sort_by(|a, b| a.host.cmp(&b.host));
        let mut out = addresses
            .iter()
            .map(|a| {
                format!(
                    "{}:{}:{}",
                    delimited_host(&a.host),
                    a.quorum_port,
                    a.election_port
                )
            })
            .collect::<Vec<_>>()
            .join("|");
        out.push(':');
        out.push_str(self.learner_type.name());
        if let Some(client) = &self.client_address {
            if !self.client_address_from_static {
                out.push(';');
                out.push_str(&client.to_string());
            }
        }
        out
    }

    /// Whether this server votes.
    pub fn is_participant(&self) -> bool {
        self.learner_type == LearnerType::Participant
    }
}

/// Splits `host:port[:...]` with IPv6 bracket support, like Java's
/// `ConfigUtils.getHostAndPort`: for `[h]Xrest` the character after `]` is
/// skipped whatever it is and `rest` is split on `:`.
fn host_and_port(text: &str) -> Result<Vec<String>, String> {
    let Some(bracketed) = text.strip_prefix('[') else {
        return Ok(java::split(text, ':')
            .into_iter()
            .map(str::to_string)
            .collect());
    };
    let Some(close) = bracketed.find(']') else {
        return Err(format!(
            "\"{text}\" starts with '[' but has no matching ']'"
        ));
    };
    let host = &bracketed[..close];
    let after_bracket = &bracketed[close + 1..];
    let mut chars = after_bracket.chars();
    match chars.next() {
        None => Ok(vec![text.replace(['[', ']'], "")]),
        Some(_) => {
            let rest = chars.as_str();
            if rest.is_empty() {
                return Err(format!("\"{text}\" has no port after the colon"));
            }
            let mut parts = vec![host.to_string()];
            parts.extend(java::split(rest, ':').into_iter().map(str::to_string));
            Ok(parts)
        }
    }
}

/// `Integer.parseInt` then `InetSocketAddress`'s range check.
fn parse_port(text: &str) -> Result<u16, String> {
    let port = java::parse_int(text).map_err(|e| format!("is invalid: {e}"))?;
    u16::try_from(port).map_err(|_| format!("is out of range (0-65535): {port}"))
}

/// How quorums are counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuorumKind {
    /// More than half of the participants (`QuorumMaj`).
    Majority,
    /// A majority of groups, each by weighted majority (`QuorumHierarchical`),
    /// chosen when any key starts with `group` or `weight`.
    Hierarchical,
    /// Majority, plus an oracle file that can break a tie between two
    /// participants (`QuorumOracleMaj`, `oraclePath`). Groups and weights
    /// are ignored.
    OracleMajority {
        /// The oracle file.
        oracle_path: String,
    },
}

/// The ensemble as described by `server.N` (and `group.G`/`weight.N`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuorumConfig {
    /// How quorums are counted.
    pub kind: QuorumKind,
    /// All members by id.
    pub servers: BTreeMap<i64, QuorumServer>,
    /// Hierarchical only: group id → member server ids, as written.
    pub groups: BTreeMap<i64, Vec<i64>>,
    /// Hierarchical only: server id → weight; participants without a
    /// `weight.N` have weight 1.
    pub weights: BTreeMap<i64, i64>,
    /// The configuration version (hex in files), 0 if none was given.
    pub version: i64,
}

/// Where a problem in a server list is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ServerListError {
    pub line: Option<usize>,
    pub key: Option<String>,
    pub reason: String,
}

impl ServerListError {
    fn at(line: usize, key: &str, reason: String) -> Self {
        ServerListError {
            line: Some(line),
            key: Some(key.to_string()),
            reason,
        }
    }
}

impl QuorumConfig {
    /// An ensemble without members (standalone), version 0.
    pub fn empty() -> Self {
        QuorumConfig {
            kind: QuorumKind::Majority,
            servers: BTreeMap::new(),
            groups: BTreeMap::new(),
            weights: BTreeMap::new(),
            version: 0,
        }
    }

    /// Parses the membership keys of `properties` (other keys are ignored).
    /// Keys and values are used untrimmed, as Java's quorum verifiers do.
    pub(crate) fn parse(
        properties: &Properties,
        hierarchical: bool,
        oracle_path: Option<&str>,
        multi_address_enabled: bool,
    ) -> Result<Self, ServerListError> {
        let kind = match (oracle_path, hierarchical) {
            (Some(path), _) => QuorumKind::OracleMajority {
                oracle_path: path.to_string(),
            },
            (None, true) => QuorumKind::Hierarchical,
            (None, false) => QuorumKind::Majority,
        };
        let use_groups = kind == QuorumKind::Hierarchical;
        let mut config = QuorumConfig {
            kind,
            ..QuorumConfig::empty()
        };
        let mut server_keys: BTreeMap<i64, &str> = BTreeMap::new();
        let mut group_of_server: BTreeMap<i64, (i64, &str)> = BTreeMap::new();

        for property in properties {
            let key = property.key.as_str();
            let value = property.value.as_str();
            let line = property.line;
            if let Some(id_text) = key.strip_prefix("server.") {
                let id = java::parse_long(id_text).map_err(|e| {
                    ServerListError::at(line, key, format!("invalid server id \"{id_text}\": {e}"))
                })?;
                if let Some(previous) = server_keys.insert(id, key) {
                    return Err(ServerListError::at(
                        line,
                        key,
                        format!("server {id} is defined twice ({previous} and {key})"),
                    ));
                }
                let server = QuorumServer::parse(id, value, multi_address_enabled)
                    .map_err(|reason| ServerListError::at(line, key, reason))?;
                config.servers.insert(id, server);
            } else if use_groups && key.starts_with("group") {
                let group = id_after_first_dot(key).map_err(|e| {
                    ServerListError::at(line, key, format!("invalid group id: {e}"))
                })?;
                let mut members = Vec::new();
                for member_text in java::split(value, ':') {
                    let member = java::parse_long(member_text).map_err(|e| {
                        ServerListError::at(
                            line,
                            key,
                            format!("invalid server id \"{member_text}\": {e}"),
                        )
                    })?;
                    if let Some((other_group, other_key)) =
                        group_of_server.insert(member, (group, key))
                    {
                        let also = if other_group == group {
                            format!("twice in {key}")
                        } else {
                            format!("in {other_key} and {key}")
                        };
                        return Err(ServerListError::at(
                            line,
                            key,
                            format!("server {member} is in more than one group ({also})"),
                        ));
                    }
                    members.push(member);
                }
                config.groups.entry(group).or_default().extend(members);
            } else if use_groups && key.starts_with("weight") {
                let server = id_after_first_dot(key).map_err(|e| {
                    ServerListError::at(line, key, format!("invalid server id: {e}"))
                })?;
                let weight = java::parse_long(value).map_err(|e| {
                    ServerListError::at(line, key, format!("invalid weight \"{value}\": {e}"))
                })?;
                config.weights.insert(server, weight);
            } else if key == "version" {
                config.version = java::parse_long_radix(value, 16).map_err(|e| {
                    ServerListError::at(
                        line,
                        key,
                        format!("invalid version \"{value}\": {e} (expected hex)"),
                    )
                })?;
            }
        }

        if use_groups {
            for server in config.servers.values().filter(|s| s.is_participant()) {
                if !group_of_server.contains_key(&server.id) {
                    return Err(ServerListError {
                        line: None,
                        key: Some(format!("server.{}", server.id)),
                        reason: format!(
                            "server {} is a participant but is not in any group",
                            server.id
                        ),
                    });
                }
                config.weights.entry(server.id).or_insert(1);
            }
            for (member, (_, group_key)) in &group_of_server {
                if !config.weights.contains_key(member) {
                    // Java fails with a NullPointerException here.
                    return Err(ServerListError {
                        line: properties.property(group_key).map(|p| p.line),
                        key: Some(group_key.to_string()),
                        reason: format!(
                            "server {member} has no weight: it is not a participant and there is no weight.{member}"
                        ),
                    });
                }
            }
        }
        Ok(config)
    }

    /// The participants, by id.
    pub fn voting_members(&self) -> impl Iterator<Item = &QuorumServer> {
        self.servers.values().filter(|s| s.is_participant())
    }

    /// The observers, by id.
    pub fn observers(&self) -> impl Iterator<Item = &QuorumServer> {
        self.servers.values().filter(|s| !s.is_participant())
    }

    /// The number of participants.
    pub fn voting_count(&self) -> usize {
        self.voting_members().count()
    }

    /// The number of observers.
    pub fn observer_count(&self) -> usize {
        self.observers().count()
    }

    /// The membership lines in canonical form, ordered by id: `server.N=…`,
    /// then (hierarchical) `group.G=…` and `weight.N=…`. No version line.
    pub fn canonical_lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .servers
            .values()
            .map(|s| format!("server.{}={}", s.id, s.to_canonical_string()))
            .collect();
        if self.kind == QuorumKind::Hierarchical {
            for (group, members) in &self.groups {
                let mut sorted = members.clone();
                sorted.sort_unstable();
                let joined = sorted
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(":");
                lines.push(format!("group.{group}={joined}"));
            }
            for (server, weight) in &self.weights {
                lines.push(format!("weight.{server}={weight}"));
            }
        }
        lines
    }

    /// The canonical configuration string (as in `/zookeeper/config` and in
    /// election notifications): [`Self::canonical_lines`] then
    /// `version=<hex>`, joined with `\n`. Java emits members in `HashMap`
    /// order, which is ascending id for small ids; this always uses
    /// ascending id.
    pub fn to_canonical_string(&self) -> String {
        let mut lines = self.canonical_lines();
        lines.push(format!("version={}", java::to_hex_string(self.version)));
        lines.join("\n")
    }
}

/// `Long.parseLong(key.substring(key.indexOf('.') + 1))`: a key without a
/// dot is parsed whole (and fails).
fn id_after_first_dot(key: &str) -> Result<i64, java::NumberError> {
    let text = key.find('.').map_or(key, |dot| &key[dot + 1..]);
    java::parse_long(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(spec: &str) -> Result<QuorumServer, String> {
        QuorumServer::parse(1, spec, false)
    }

    fn canonical(spec: &str) -> String {
        server(spec).expect(spec).to_canonical_string()
    }

    #[test]
    fn basic_forms() {
        let s = server("zk1:2888:3888").expect("valid");
        assert_eq!(
            s.addresses,
            vec![QuorumAddress {
                host: "zk1".into(),
                quorum_port: 2888,
                election_port: 3888
            }]
        );
        assert_eq!(s.learner_type, LearnerType::Participant);
        assert_eq!(s.client_address, None);
        assert_eq!(s.to_canonical_string(), "zk1:2888:3888:participant");
        assert_eq!(
            canonical("zk1:2888:3888:observer"),
            "zk1:2888:3888:observer"
        );
        assert_eq!(
            canonical("zk1:2888:3888: OBSERVER "),
            "zk1:2888:3888:observer"
        );
        assert_eq!(
            canonical("zk1:2888:3888:Participant"),
            "zk1:2888:3888:participant"
        );
    }

    #[test]
    fn client_part() {
        let s = server("zk1:2888:3888;2181").expect("valid");
        assert_eq!(
            s.client_address,
            Some(HostPort {
                host: "0.0.0.0".into(),
                port: 2181
            })
        );
        assert_eq!(
            s.to_canonical_string(),
            "zk1:2888:3888:participant;0.0.0.0:2181"
        );
        assert_eq!(
            canonical("zk1:2888:3888:observer;127.0.0.1:2181"),
            "zk1:2888:3888:observer;127.0.0.1:2181"
        );
        assert_eq!(
            canonical("zk1:2888:3888;[::1]:2181"),
            "zk1:2888:3888:participant;[0:0:0:0:0:0:0:1]:2181"
        );
        assert_eq!(
            canonical("zk1:2888:3888;127.1:2181"),
            "zk1:2888:3888:participant;127.0.0.1:2181"
        );
        // An empty client host is Java's loopback host name.
        assert_eq!(
            canonical("zk1:2888:3888;:2181"),
            "zk1:2888:3888:participant;localhost:2181"
        );
        // A trailing ';' is dropped by Java's split.
        assert_eq!(canonical("zk1:2888:3888;"), "zk1:2888:3888:participant");
    }

    #[test]
    fn client_address_from_static_is_not_canonical() {
        let mut s = server("zk1:2888:3888").expect("valid");
        s.client_address = Some(HostPort {
            host: "0.0.0.0".into(),
            port: 2181,
        });
        s.client_address_from_static = true;
        assert_eq!(s.to_canonical_string(), "zk1:2888:3888:participant");
    }

    #[test]
    fn ipv6_hosts() {
        let s = server("[::1]:2888:3888").expect("valid");
        assert_eq!(s.addresses[0].host, "0:0:0:0:0:0:0:1");
        assert_eq!(
            s.to_canonical_string(),
            "[0:0:0:0:0:0:0:1]:2888:3888:participant"
        );
        assert_eq!(
            canonical("[fe80::1%eth0]:2888:3888:observer;[::]:2181"),
            "[fe80::1%eth0]:2888:3888:observer;[0:0:0:0:0:0:0:0]:2181"
        );
        assert_eq!(
            canonical("[FE80::A]:2888:3888"),
            "[fe80:0:0:0:0:0:0:a]:2888:3888:participant"
        );
        // Java skips whatever character follows ']'.
        assert_eq!(
            canonical("[::1]x2888:3888"),
            "[0:0:0:0:0:0:0:1]:2888:3888:participant"
        );
        assert!(server("[::1:2888:3888")
            .unwrap_err()
            .contains("no matching ']'"));
        assert!(server("[::1]:")
            .unwrap_err()
            .contains("no port after the colon"));
        // Unbracketed IPv6 has too many colons.
        assert!(server("::1:2888:3888")
            .unwrap_err()
            .contains("does not have the form"));
    }

    #[test]
    fn multiple_addresses() {
        let error = server("a:2888:3888|b:2888:3888").unwrap_err();
        assert!(
            error.contains("-Dzookeeper.multiAddress.enabled=true"),
            "{error}"
        );
        let s = QuorumServer::parse(3, "zk2:2888:3888|zk1:2889:3889;2181", true).expect("valid");
        assert_eq!(s.addresses.len(), 2);
        assert_eq!(s.addresses[0].host, "zk2");
        assert_eq!(
            s.to_canonical_string(),
            "zk1:2889:3889|zk2:2888:3888:participant;0.0.0.0:2181"
        );
        let observer = QuorumServer::parse(3, "a:1:2:observer|b:1:2", true).expect("valid");
        assert_eq!(observer.learner_type, LearnerType::Observer);
        let mixed = QuorumServer::parse(3, "a:1:2:observer|b:1:2:participant", true).unwrap_err();
        assert!(mixed.contains("same role"), "{mixed}");
        let repeated = QuorumServer::parse(3, "a:1:2|a:1:2", true).expect("valid");
        assert_eq!(repeated.addresses.len(), 1);
        assert!(QuorumServer::parse(3, "a:1:2|a:1:3", true).is_err());
        // A trailing '|' is dropped by Java's split.
        assert_eq!(
            QuorumServer::parse(3, "a:1:2|", false)
                .expect("valid")
                .addresses
                .len(),
            1
        );
    }

    #[test]
    fn malformed_specs() {
        for (spec, expected) in [
            ("", "does not have the form"),
            ("zk1", "does not have the form"),
            ("zk1:2888", "does not have the form"),
            ("zk1:2888:3888:observer:x", "does not have the form"),
            ("zk1:2888:3888;a;b", "does not have the form"),
            ("zk1:2888:3888;a:b:c", "does not have the form"),
            (";2181", "does not have the form"),
            (";", "does not have the form"),
            ("|", "does not have the form"),
            ("zk1:x:3888", "quorum port \"x\""),
            ("zk1:2888:", "does not have the form"),
            ("zk1::3888", "quorum port \"\""),
            ("zk1:2888:3888 ", "election port \"3888 \""),
            ("zk1:70000:3888", "out of range"),
            ("zk1:2888:-1", "out of range"),
            ("zk1:2888:2888", "must differ"),
            ("zk1:2888:3888:leader", "unrecognised role"),
            ("zk1:2888:3888;x", "client port \"x\""),
            ("zk1:2888:3888;2181 ", "client port \"2181 \""),
            ("zk1:2888:3888;70000", "out of range"),
        ] {
            let error = server(spec).expect_err(spec);
            assert!(error.contains(expected), "{spec}: {error}");
        }
    }

    fn props(text: &str) -> Properties {
        Properties::load(text).expect("valid properties")
    }

    #[test]
    fn majority_config() {
        let config = QuorumConfig::parse(
            &props("server.2=b:2888:3888\nserver.1=a:2888:3888\nserver.3=c:2888:3888:observer\nversion=1a\ntickTime=5"),
            false,
            None,
            false,
        )
        .expect("valid");
        assert_eq!(config.kind, QuorumKind::Majority);
        assert_eq!(config.voting_count(), 2);
        assert_eq!(config.observer_count(), 1);
        assert_eq!(config.version, 0x1a);
        assert_eq!(
            config.to_canonical_string(),
            "server.1=a:2888:3888:participant\nserver.2=b:2888:3888:participant\n\
             server.3=c:2888:3888:observer\nversion=1a"
        );
    }

    #[test]
    fn server_list_errors_carry_key_and_line() {
        let error =
            QuorumConfig::parse(&props("a=1\nserver.x=a:1:2"), false, None, false).unwrap_err();
        assert_eq!(error.line, Some(2));
        assert_eq!(error.key.as_deref(), Some("server.x"));
        assert!(error.reason.contains("invalid server id"));
        let error = QuorumConfig::parse(
            &props("server.1=a:1:2\nserver.01=b:1:2"),
            false,
            None,
            false,
        )
        .unwrap_err();
        assert!(error.reason.contains("defined twice"), "{}", error.reason);
        let error = QuorumConfig::parse(&props("version=xyz"), false, None, false).unwrap_err();
        assert!(error.reason.contains("invalid version"));
        let error = QuorumConfig::parse(&props("version=ffffffffffffffff"), false, None, false)
            .unwrap_err();
        assert!(error.reason.contains("out of range"));
    }

    #[test]
    fn hierarchical_config() {
        let text = "server.1=a:1:2\nserver.2=b:1:2\nserver.3=c:1:2\nserver.4=d:1:2\nserver.5=e:1:2:observer\n\
                    group.1=2:1\ngroup.2=3:4\nweight.1=2\nweight.3=0\n";
        let config = QuorumConfig::parse(&props(text), true, None, false).expect("valid");
        assert_eq!(config.kind, QuorumKind::Hierarchical);
        assert_eq!(config.groups.get(&1), Some(&vec![2, 1]));
        assert_eq!(
            config.weights,
            BTreeMap::from([(1, 2), (2, 1), (3, 0), (4, 1)])
        );
        assert_eq!(
            config.to_canonical_string(),
            "server.1=a:1:2:participant\nserver.2=b:1:2:participant\nserver.3=c:1:2:participant\n\
             server.4=d:1:2:participant\nserver.5=e:1:2:observer\ngroup.1=1:2\ngroup.2=3:4\n\
             weight.1=2\nweight.2=1\nweight.3=0\nweight.4=1\nversion=0"
        );
    }

    #[test]
    fn hierarchical_errors() {
        for (text, expected) in [
            (
                "server.1=a:1:2\ngroup.1=1\ngroup.2=1",
                "more than one group",
            ),
            ("server.1=a:1:2\ngroup.1=1:1", "twice in group.1"),
            (
                "server.1=a:1:2\nserver.2=b:1:2\ngroup.1=1",
                "not in any group",
            ),
            ("server.1=a:1:2\ngroup.1=1:9", "server 9 has no weight"),
            ("server.1=a:1:2\ngroup=1", "invalid group id"),
            ("server.1=a:1:2\ngroup.1=1: 2", "invalid server id \" 2\""),
            ("server.1=a:1:2\ngroup.1=1\nweight.1=x", "invalid weight"),
            ("server.1=a:1:2\ngroup.1=1\nweightx=1", "invalid server id"),
        ] {
            let error = QuorumConfig::parse(&props(text), true, None, false).expect_err(text);
            assert!(error.reason.contains(expected), "{text}: {}", error.reason);
        }
        // An observer may be in a group if it has a weight.
        let text = "server.1=a:1:2\nserver.2=b:1:2:observer\ngroup.1=1:2\nweight.2=1";
        assert!(QuorumConfig::parse(&props(text), true, None, false).is_ok());
    }

    #[test]
    fn oracle_ignores_groups() {
        let config = QuorumConfig::parse(
            &props("server.1=a:1:2\nserver.2=b:1:2\ngroup.1=1:9"),
            true,
            Some("/oracle"),
            false,
        )
        .expect("valid");
        assert_eq!(
            config.kind,
            QuorumKind::OracleMajority {
                oracle_path: "/oracle".into()
            }
        );
        assert!(config.groups.is_empty());
    }
}
