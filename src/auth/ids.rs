//! The auth ids of a connection (`ServerCnxn.authInfo`) and the `ip` id it
//! starts with.
//!
//! Java keeps a connection's ids in a `ConcurrentHashMap`-backed set, and
//! the order that set iterates in is visible to clients: `whoAmI` lists the
//! ids in it, and the `auth` ACL scheme expands to the ids in it, which ends
//! up in the stored ACL. [`AuthIds`] therefore reproduces the iteration
//! order of `ConcurrentHashMap` (JDK 8 onwards) for `Id` keys.

use std::net::{IpAddr, SocketAddr};

use jute::data::Id;

use super::java;

/// Java's `Id.hashCode()` (jute-generated):
/// `37 * (37 * 17 + scheme.hashCode()) + id.hashCode()`. A null field, which
/// would make Java throw, counts as 0.
pub fn java_id_hash(id: &Id) -> i32 {
    let part = |s: &Option<String>| s.as_deref().map_or(0, java::string_hash);
    37i32
        .wrapping_mul(37i32.wrapping_mul(17).wrapping_add(part(&id.scheme)))
        .wrapping_add(part(&id.id))
}

/// What Java's `InetAddress.getHostAddress()` prints for a client's address:
/// dotted quad for IPv4; for IPv6 all eight groups in lower-case hex without
/// zero compression (`0:0:0:0:0:0:0:1`). An IPv4-mapped IPv6 address
/// (`::ffff:a.b.c.d`, what a dual-stack socket reports for an IPv4 client)
/// becomes the IPv4 address, as the JDK turns it into an `Inet4Address`.
pub fn java_host_address(addr: IpAddr) -> String {
    match addr {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => v6
                .segments()
                .iter()
                .map(|g| format!("{g:x}"))
                .collect::<Vec<_>>()
                .join(":"),
        },
    }
}

/// [`java_host_address`] of a socket's peer, with the IPv6 scope id the JDK
/// appends when it is not 0 (`fe80:0:0:0:0:0:0:1%3`).
///
/// Such a scoped address never matches any `ip` ACL: the 3.9.5 IPv6 parser
/// rejects the `%` suffix.
pub fn java_socket_host_address(addr: &SocketAddr) -> String {
    match addr {
        SocketAddr::V6(v6) if v6.scope_id() != 0 && v6.ip().to_ipv4_mapped().is_none() => {
            format!(
                "{}%{}",
                java_host_address(IpAddr::V6(*v6.ip())),
                v6.scope_id()
            )
        }
        other => java_host_address(other.ip()),
    }
}

/// The `ip` id every connection gets when it is accepted
/// (`NIOServerCnxn`/`NettyServerCnxn` constructors).
pub fn ip_id(remote_host: &str) -> Id {
    Id {
        scheme: Some("ip".to_owned()),
        id: Some(remote_host.to_owned()),
    }
}

const INITIAL_CAPACITY: usize = 16;
const TREEIFY_THRESHOLD: usize = 8;
const UNTREEIFY_THRESHOLD: usize = 6;
const MIN_TREEIFY_CAPACITY: usize = 64;

#[derive(Debug, Clone, PartialEq)]
struct Bin {
    /// A red-black tree bin: iterated through its `first` chain, to the
    /// front of which new nodes are added.
    tree: bool,
    /// (spread hash, id) in iteration order.
    nodes: Vec<(i32, Id)>,
}

impl Bin {
    fn list(nodes: Vec<(i32, Id)>) -> Bin {
        Bin { tree: false, nodes }
    }
}

/// The auth ids of a connection: a set with the iteration order of Java's
/// `Collections.newSetFromMap(new ConcurrentHashMap<>())`.
///
/// Reproduced: the 16-bucket initial table, `spread(hash) & (n - 1)`
/// bucketing, appends within a bucket, the resize at ¾ load and its split
/// of each bucket (the "last run" stays in order, the nodes before it are
/// prepended), and tree bins (prepending) for long buckets. Ids are never
/// removed (Java removes them only for SASL re-authentication).
#[derive(Debug, Clone, PartialEq)]
pub struct AuthIds {
    table: Vec<Bin>,
    count: usize,
    size_ctl: usize,
}

impl Default for AuthIds {
    fn default() -> Self {
        AuthIds::new()
    }
}

impl AuthIds {
    /// An empty set.
    pub fn new() -> Self {
        AuthIds {
            table: vec![Bin::list(Vec::new()); INITIAL_CAPACITY],
            count: 0,
            size_ctl: INITIAL_CAPACITY - (INITIAL_CAPACITY >> 2),
        }
    }

    /// The ids of a newly accepted connection: just `ip:<remote_host>`.
    pub fn for_connection(remote_host: &str) -> Self {
        let mut ids = AuthIds::new();
        ids.add(ip_id(remote_host));
        ids
    }

    /// `addAuthInfo`: adds `id` unless an equal id is there; true if added.
    pub fn add(&mut self, id: Id) -> bool {
        let hash = spread(java_id_hash(&id));
        let n = self.table.len();
        let index = bucket(hash, n);
        let bin = &mut self.table[index];
        if bin
            .nodes
            .iter()
            .any(|(h, existing)| *h == hash && *existing == id)
        {
            return false;
        }
        let bin_count = if bin.tree {
            bin.nodes.insert(0, (hash, id));
            2
        } else {
            let before = bin.nodes.len();
            bin.nodes.push((hash, id));
            before
        };
        self.count += 1;
        if bin_count >= TREEIFY_THRESHOLD {
            self.treeify_bin(index);
        }
        while self.count >= self.size_ctl {
            self.transfer();
        }
        true
    }

    /// Whether an equal id is in the set.
    pub fn contains(&self, id: &Id) -> bool {
        let hash = spread(java_id_hash(id));
        self.table[bucket(hash, self.table.len())]
            .nodes
            .iter()
            .any(|(h, existing)| *h == hash && existing == id)
    }

    /// The number of ids.
    pub fn len(&self) -> usize {
        self.count
    }

    /// True if there are no ids.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The ids in Java's iteration order.
    pub fn iter(&self) -> impl Iterator<Item = &Id> {
        self.table
            .iter()
            .flat_map(|bin| bin.nodes.iter().map(|(_, id)| id))
    }

    /// `getAuthInfo()`: a copy of the ids in Java's iteration order, as a
    /// request carries them.
    pub fn to_vec(&self) -> Vec<Id> {
        self.iter().cloned().collect()
    }

    fn treeify_bin(&mut self, index: usize) {
        let n = self.table.len();
        if n < MIN_TREEIFY_CAPACITY {
            self.try_presize(n << 1);
        } else if !self.table[index].nodes.is_empty() {
            self.table[index].tree = true;
        }
    }

    fn try_presize(&mut self, size: usize) {
        let wanted = (size + (size >> 1) + 1).next_power_of_two();
        while wanted > self.size_ctl {
            self.transfer();
        }
    }

    /// Doubles the table, splitting each bin as `ConcurrentHashMap.transfer`
    /// does.
    fn transfer(&mut self) {
        let n = self.table.len();
        let mut next = vec![Bin::list(Vec::new()); n << 1];
        for (i, bin) in std::mem::take(&mut self.table).into_iter().enumerate() {
            let high_bit = |hash: i32| (hash as u32 as usize) & n != 0;
            let (low, high) = if bin.tree {
                let (high, low): (Vec<_>, Vec<_>) =
                    bin.nodes.into_iter().partition(|(h, _)| high_bit(*h));
                let tree_if_long = |nodes: Vec<(i32, Id)>| Bin {
                    tree: nodes.len() > UNTREEIFY_THRESHOLD,
                    nodes,
                };
                (tree_if_long(low), tree_if_long(high))
            } else {
                split_list(bin.nodes, high_bit)
            };
            next[i] = low;
            next[i + n] = high;
        }
        self.table = next;
        self.size_ctl = (n << 1) - (n >> 1);
    }
}

/// Splits a list bin: the longest tail whose nodes all go the same way
/// keeps its order; each node before it is pushed to the front of its side.
fn split_list(nodes: Vec<(i32, Id)>, high_bit: impl Fn(i32) -> bool) -> (Bin, Bin) {
    let mut last_run = 0;
    for (k, (hash, _)) in nodes.iter().enumerate().skip(1) {
        if high_bit(*hash) != high_bit(nodes[last_run].0) {
            last_run = k;
        }
    }
    let mut low = Vec::new();
    let mut high = Vec::new();
    let mut nodes = nodes;
    let tail = nodes.split_off(last_run.min(nodes.len()));
    if let Some((hash, _)) = tail.first() {
        if high_bit(*hash) {
            high = tail;
        } else {
            low = tail;
        }
    }
    for node in nodes {
        if high_bit(node.0) {
            high.insert(0, node);
        } else {
            low.insert(0, node);
        }
    }
    (Bin::list(low), Bin::list(high))
}

fn spread(hash: i32) -> i32 {
    (hash ^ ((hash as u32) >> 16) as i32) & 0x7fff_ffff
}

fn bucket(spread_hash: i32, table_len: usize) -> usize {
    (spread_hash as usize) & (table_len - 1)
}

impl FromIterator<Id> for AuthIds {
    fn from_iter<T: IntoIterator<Item = Id>>(iter: T) -> Self {
        let mut ids = AuthIds::new();
        ids.extend(iter);
        ids
    }
}

impl Extend<Id> for AuthIds {
    fn extend<T: IntoIterator<Item = Id>>(&mut self, iter: T) {
        for id in iter {
            self.add(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV6};

    fn id(scheme: &str, id: &str) -> Id {
        Id {
            scheme: Some(scheme.to_owned()),
            id: Some(id.to_owned()),
        }
    }

    fn text(ids: &AuthIds) -> String {
        ids.iter()
            .map(|i| {
                format!(
                    "{}={}",
                    i.scheme.as_deref().unwrap_or(""),
                    i.id.as_deref().unwrap_or("")
                )
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn id_hashes_match_java() {
        // Id.hashCode() printed by the 3.9.5 jute jar.
        assert_eq!(
            java_id_hash(&id("digest", "user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY=")),
            -371_843_824
        );
        assert_eq!(java_id_hash(&id("ip", "127.0.0.1")), 1_506_146_057);
        assert_eq!(java_id_hash(&id("super", "")), -232_294_480);
        assert_eq!(java_id_hash(&id("ip", "0:0:0:0:0:0:0:1")), 1_719_164_087);
        assert_eq!(java_id_hash(&id("x509", "CN=foo")), 2_126_343_579);
        assert_eq!(java_id_hash(&id("weird", "w")), -113_484_031);
    }

    /// Iteration orders of `newSetFromMap(new ConcurrentHashMap<>())` filled
    /// in the given order, printed by OpenJDK 17.
    #[test]
    fn iteration_order_matches_java() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (
                &[("ip", "127.0.0.1"), ("digest", "user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY=")],
                "digest=user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY= ip=127.0.0.1",
            ),
            (
                &[
                    ("ip", "0:0:0:0:0:0:0:1"),
                    ("super", ""),
                    ("digest", "super:D/InIHSb7yEEbrWz8b9l71RjZJU="),
                ],
                "super= digest=super:D/InIHSb7yEEbrWz8b9l71RjZJU= ip=0:0:0:0:0:0:0:1",
            ),
            (
                &[
                    ("ip", "10.0.0.7"),
                    ("digest", "a:1"),
                    ("digest", "b:2"),
                    ("digest", "c:3"),
                    ("digest", "d:4"),
                    ("x509", "CN=foo"),
                    ("sasl", "bob"),
                    ("weird", "w"),
                ],
                "digest=a:1 digest=b:2 x509=CN=foo ip=10.0.0.7 sasl=bob digest=c:3 weird=w digest=d:4",
            ),
        ];
        for (input, want) in cases {
            let ids: AuthIds = input.iter().map(|(s, i)| id(s, i)).collect();
            assert_eq!(text(&ids), *want);
        }
    }

    #[test]
    fn iteration_order_after_resizes_matches_java() {
        // digest:u0:x … digest:u39:x added in order (two resizes).
        let ids: AuthIds = (0..40).map(|k| id("digest", &format!("u{k}:x"))).collect();
        let got: Vec<&str> = ids.iter().map(|i| i.id.as_deref().unwrap()).collect();
        let want = "u3:x u2:x u5:x u4:x u7:x u21:x u6:x u20:x u9:x u8:x u1:x u0:x u25:x u24:x \
                    u23:x u22:x u29:x u28:x u27:x u26:x u32:x u10:x u31:x u30:x u19:x u13:x \
                    u36:x u14:x u35:x u11:x u34:x u12:x u33:x u18:x u17:x u39:x u15:x u38:x \
                    u16:x u37:x";
        assert_eq!(got.join(" "), want);
        assert_eq!(ids.len(), 40);
    }

    /// Sets from Java's `chm` probe (random schemes and ids, duplicates
    /// included), input order → Java's iteration order.
    #[test]
    fn random_sets_match_java() {
        for (input, want) in JAVA_CHM_CASES {
            let ids: AuthIds = input
                .split(',')
                .filter(|e| !e.is_empty())
                .map(|e| {
                    let (s, i) = e.split_once('=').unwrap();
                    id(s, i)
                })
                .collect();
            let got: String = ids
                .iter()
                .map(|i| {
                    format!(
                        "{}={},",
                        i.scheme.as_deref().unwrap(),
                        i.id.as_deref().unwrap()
                    )
                })
                .collect();
            assert_eq!(&got, want, "input {input}");
        }
    }

    include!("ids_java_cases.rs");

    #[test]
    fn duplicates_are_ignored() {
        let mut ids = AuthIds::for_connection("127.0.0.1");
        assert!(!ids.add(ip_id("127.0.0.1")));
        assert!(ids.add(id("digest", "a:b")));
        assert!(!ids.add(id("digest", "a:b")));
        assert_eq!(ids.len(), 2);
        assert!(ids.contains(&id("digest", "a:b")));
        assert!(!ids.contains(&id("digest", "a:c")));
        let nulls = Id {
            scheme: None,
            id: None,
        };
        assert!(ids.add(nulls.clone()));
        assert!(ids.contains(&nulls));
    }

    #[test]
    fn host_addresses_like_java() {
        // InetAddress.getByAddress(bytes).getHostAddress() on OpenJDK 17.
        let cases: &[(IpAddr, &str)] = &[
            (Ipv4Addr::new(127, 0, 0, 1).into(), "127.0.0.1"),
            (Ipv6Addr::UNSPECIFIED.into(), "0:0:0:0:0:0:0:0"),
            (Ipv6Addr::LOCALHOST.into(), "0:0:0:0:0:0:0:1"),
            ("::ffff:1.2.3.4".parse().unwrap(), "1.2.3.4"),
            ("2001:db8::1".parse().unwrap(), "2001:db8:0:0:0:0:0:1"),
            ("::1.2.3.4".parse().unwrap(), "0:0:0:0:0:0:102:304"),
            ("fe80::abc".parse().unwrap(), "fe80:0:0:0:0:0:0:abc"),
        ];
        for (addr, want) in cases {
            assert_eq!(java_host_address(*addr), *want);
        }
        // Inet6Address.getByAddress(null, bytes, 3).getHostAddress()
        let scoped = SocketAddr::V6(SocketAddrV6::new("fe80::abc".parse().unwrap(), 2181, 0, 3));
        assert_eq!(java_socket_host_address(&scoped), "fe80:0:0:0:0:0:0:abc%3");
        let unscoped = SocketAddr::V6(SocketAddrV6::new("fe80::abc".parse().unwrap(), 2181, 0, 0));
        assert_eq!(java_socket_host_address(&unscoped), "fe80:0:0:0:0:0:0:abc");
        let v4: SocketAddr = "10.1.2.3:5555".parse().unwrap();
        assert_eq!(java_socket_host_address(&v4), "10.1.2.3");
    }

    proptest! {
        #[test]
        fn behaves_as_a_set(entries in proptest::collection::vec((0u8..4, 0u16..300), 0..200)) {
            let schemes = ["ip", "digest", "sasl", "x509"];
            let mut ids = AuthIds::new();
            let mut seen: Vec<Id> = Vec::new();
            for (s, n) in entries {
                let new = id(schemes[s as usize], &n.to_string());
                let fresh = !seen.contains(&new);
                prop_assert_eq!(ids.add(new.clone()), fresh);
                if fresh {
                    seen.push(new);
                }
            }
            prop_assert_eq!(ids.len(), seen.len());
            let listed = ids.to_vec();
            prop_assert_eq!(listed.len(), seen.len());
            for s in &seen {
                prop_assert!(ids.contains(s));
                prop_assert!(listed.contains(s));
            }
        }
    }
}
