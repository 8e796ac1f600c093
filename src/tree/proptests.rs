//! Property tests: random transaction sequences keep the tree's invariants.
//!
//! Two generators: "prepared" actions go through a small model of the
//! prepare stage (so they are what a leader would log, including failed
//! multis), and must apply without error and keep the tree consistent;
//! "nonsense" bodies are arbitrary, and must only never panic and keep the
//! digest, the indexes and the ACL counts right.

use proptest::prelude::*;

use super::tests::{check_exact_acl_counts, check_invariants, create_body, txn_at};
use super::*;
use jute::data::Id;
use jute::txn::{
    CheckVersionTxn, CloseSessionTxn, CreateContainerTxn, CreateSessionTxn, CreateTTLTxn,
    CreateTxn, DeleteTxn, SetACLTxn, SetDataTxn,
};

pub(crate) const SESSIONS: [i64; 3] = [0x1_0000_0001, 0x1_0000_0002, 0x2_0000_0001];
const NAMES: [&str; 3] = ["a", "b", "c"];

fn acl_choice(i: u8) -> Option<Vec<ACL>> {
    match i % 4 {
        0 => None,
        1 => Some(open_acl_unsafe()),
        2 => Some(read_acl_unsafe()),
        _ => Some(vec![ACL {
            perms: 31,
            id: Id {
                scheme: Some("digest".into()),
                id: Some("u:p".into()),
            },
        }]),
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    Persistent,
    Ephemeral,
    Sequential,
    EphemeralSequential,
    Container,
    Ttl,
}

/// A node a request is about: one that exists (by index into the sorted
/// paths), or any path.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    Existing(u16),
    Random(Vec<u8>),
}

/// A client request, before the prepare stage.
#[derive(Debug, Clone)]
pub(crate) enum Action {
    Create {
        parent: Target,
        name: u8,
        kind: Kind,
        data: Option<Vec<u8>>,
        acl: u8,
        create2: bool,
    },
    Delete(Target),
    SetData(Target, Option<Vec<u8>>),
    SetAcl(Target, u8),
    Check(Target, bool),
    Multi(Vec<Action>),
    CloseSession {
        with_list: bool,
    },
    CreateSession,
}

fn resolve(tree: &DataTree, target: &Target) -> String {
    match target {
        Target::Existing(i) => {
            let mut paths: Vec<String> = tree.all_nodes().into_iter().map(|(p, _)| p).collect();
            paths.sort_unstable();
            let path = &paths[usize::from(*i) % paths.len()];
            if path.is_empty() {
                "/".to_owned()
            } else {
                path.to_owned()
            }
        }
        Target::Random(components) => path_of(components),
    }
}

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![
        3 => any::<u16>().prop_map(Target::Existing),
        1 => components().prop_map(Target::Random),
    ]
}

fn path_of(components: &[u8]) -> String {
    let mut path = String::new();
    for &c in components {
        path.push('/');
        path.push_str(NAMES[usize::from(c) % NAMES.len()]);
    }
    if path.is_empty() {
        path.push('/');
    }
    path
}

/// A path of 1–3 components, mostly shallow so that parents exist.
fn node_components() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        5 => prop::collection::vec(0u8..3, 1..2),
        4 => prop::collection::vec(0u8..3, 2..3),
        2 => prop::collection::vec(0u8..3, 3..4),
    ]
}

/// A node path, sometimes the root.
fn components() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => Just(Vec::new()),
        12 => node_components(),
    ]
}

fn data() -> impl Strategy<Value = Option<Vec<u8>>> {
    prop::option::of(prop::collection::vec(any::<u8>(), 0..6))
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        3 => Just(Kind::Persistent),
        2 => Just(Kind::Ephemeral),
        1 => Just(Kind::Sequential),
        1 => Just(Kind::EphemeralSequential),
        1 => Just(Kind::Container),
        1 => Just(Kind::Ttl),
    ]
}

/// The requests a multi can hold (and, at the top level, setACL).
fn multi_op() -> impl Strategy<Value = Action> {
    prop_oneof![
        5 => (target(), 0u8..3, kind(), data(), any::<u8>(), any::<bool>())
            .prop_map(|(parent, name, kind, data, acl, create2)| Action::Create { parent, name, kind, data, acl, create2 }),
        3 => target().prop_map(Action::Delete),
        2 => (target(), data()).prop_map(|(p, d)| Action::SetData(p, d)),
        1 => (target(), any::<bool>()).prop_map(|(p, ok)| Action::Check(p, ok)),
    ]
}

pub(crate) fn action() -> impl Strategy<Value = (usize, Action)> {
    let action = prop_oneof![
        8 => multi_op(),
        1 => (target(), any::<u8>()).prop_map(|(p, a)| Action::SetAcl(p, a)),
        2 => prop::collection::vec(multi_op(), 0..5).prop_map(Action::Multi),
        1 => any::<bool>().prop_map(|with_list| Action::CloseSession { with_list }),
        1 => Just(Action::CreateSession),
    ];
    (0..SESSIONS.len(), action)
}

/// The prepare stage's checks, enough to produce the transactions a leader
/// would: the body, or the error code it would log instead.
pub(crate) fn prepare(
    tree: &DataTree,
    session: i64,
    action: &Action,
) -> Result<TxnBody, ErrorCode> {
    let owners = tree.config().owners;
    let existing = |path: &str| tree.node(path).ok_or(ErrorCode::NoNode);
    match action {
        Action::Create {
            parent,
            name,
            kind,
            data,
            acl,
            create2,
        } => {
            let parent = resolve(tree, parent);
            let mut path = format!(
                "{}/{}",
                key(&parent),
                NAMES[usize::from(*name) % NAMES.len()]
            );
            let parent_path = path[..path.rfind('/').unwrap_or(0)].to_owned();
            let parent = existing(&parent_path)?;
            let cversion = parent.stat().cversion;
            if matches!(kind, Kind::Sequential | Kind::EphemeralSequential) {
                path.push_str(&format!("{cversion:010}"));
            }
            if tree.contains(&path) {
                return Err(ErrorCode::NodeExists);
            }
            if EphemeralType::of(parent.stat().ephemeral_owner, owners) == EphemeralType::Normal {
                return Err(ErrorCode::NoChildrenForEphemerals);
            }
            let data = data.clone().map(Bytes::from);
            let acl = acl_choice(*acl);
            let new_cversion = cversion + 1;
            Ok(match kind {
                Kind::Container => TxnBody::CreateContainer(CreateContainerTxn {
                    path: Some(path),
                    data,
                    acl,
                    parent_c_version: new_cversion,
                }),
                Kind::Ttl => TxnBody::CreateTtl(CreateTTLTxn {
                    path: Some(path),
                    data,
                    acl,
                    parent_c_version: new_cversion,
                    ttl: 1000,
                }),
                _ => {
                    let txn = CreateTxn {
                        path: Some(path),
                        data,
                        acl,
                        ephemeral: matches!(kind, Kind::Ephemeral | Kind::EphemeralSequential),
                        parent_c_version: new_cversion,
                    };
                    if *create2 {
                        TxnBody::Create2(txn)
                    } else {
                        TxnBody::Create(txn)
                    }
                }
            })
        }
        Action::Delete(path) => {
            let path = resolve(tree, path);
            if ["/", ZOOKEEPER_PATH, QUOTA_PATH, CONFIG_PATH].contains(&path.as_str()) {
                return Err(ErrorCode::BadArguments);
            }
            if existing(&path)?.num_children() != 0 {
                return Err(ErrorCode::NotEmpty);
            }
            Ok(TxnBody::Delete(DeleteTxn { path: Some(path) }))
        }
        Action::SetData(path, data) => {
            let path = resolve(tree, path);
            let version = existing(&path)?.stat().version + 1;
            Ok(TxnBody::SetData(SetDataTxn {
                path: Some(path),
                data: data.clone().map(Bytes::from),
                version,
            }))
        }
        Action::SetAcl(path, acl) => {
            let path = resolve(tree, path);
            let version = existing(&path)?.stat().aversion + 1;
            Ok(TxnBody::SetAcl(SetACLTxn {
                path: Some(path),
                acl: acl_choice(*acl),
                version,
            }))
        }
        Action::Check(path, matching) => {
            let path = resolve(tree, path);
            let version = existing(&path)?.stat().version;
            if !matching {
                return Err(ErrorCode::BadVersion);
            }
            Ok(TxnBody::Check(CheckVersionTxn {
                path: Some(path),
                version,
            }))
        }
        Action::Multi(ops) => {
            // Prepare each op against the tree as the earlier ops leave it.
            let mut scratch = tree.clone();
            let mut bodies = Vec::new();
            for (i, op) in ops.iter().enumerate() {
                match prepare(&scratch, session, op) {
                    Ok(body) => {
                        let applied = scratch.apply(&txn_at(session, i64::MAX, 0, body.clone()));
                        assert_eq!(applied.err, 0, "{applied:?}");
                        bodies.push(body);
                    }
                    Err(code) => {
                        bodies.push(TxnBody::error(code.code()));
                        let rest = ops.len() - i - 1;
                        bodies.extend(
                            (0..rest)
                                .map(|_| TxnBody::error(ErrorCode::RuntimeInconsistency.code())),
                        );
                        break;
                    }
                }
            }
            Ok(TxnBody::Multi(bodies))
        }
        Action::CloseSession { with_list } => {
            let mut paths: Vec<String> = tree.ephemerals(session).map(str::to_owned).collect();
            paths.sort();
            Ok(TxnBody::CloseSession(with_list.then_some(
                CloseSessionTxn {
                    paths2_delete: Some(paths),
                },
            )))
        }
        Action::CreateSession => Ok(TxnBody::CreateSession(CreateSessionTxn { time_out: 30000 })),
    }
}

/// The consistency a tree fed only prepared transactions keeps.
fn check_consistent(tree: &DataTree) {
    check_invariants(tree);
    check_exact_acl_counts(tree);
    let all = tree.all_nodes();
    for (path, node) in &all {
        let stat = node.stat();
        // cversion counts creates; the built-in children were never created.
        let builtin = match path.as_str() {
            "" => 1,
            ZOOKEEPER_PATH => 2,
            _ => 0,
        };
        assert!(
            stat.cversion + builtin >= node.num_children() as i32,
            "{path}"
        );
        let client = tree.client_stat(node);
        assert!(
            client.cversion + 2 * builtin >= client.num_children,
            "{path}"
        );
        assert!(
            stat.mzxid >= stat.czxid && stat.pzxid >= stat.czxid,
            "{path}"
        );
        if path.is_empty() {
            continue;
        }
        // No orphans: the parent exists and lists the node.
        let (parent_path, name) = split_path(path).expect(path);
        let parent_id = tree.lookup(parent_path).expect(parent_path);
        let parent = tree.node_by_id(parent_id);
        assert_eq!(tree.child(parent_id, name), tree.lookup(path), "{path}");
        assert!(parent.stat().pzxid >= stat.czxid, "{path}");
    }
    // The tree's numChildren are the children the map holds.
    let mut counted: HashMap<&str, usize> = HashMap::default();
    for (path, _) in all.iter().filter(|(p, _)| !p.is_empty()) {
        if let Some((parent, _)) = split_path(path) {
            *counted.entry(parent).or_default() += 1;
        }
    }
    for (path, node) in &all {
        let expected = counted.get(path.as_str()).copied().unwrap_or(0);
        assert_eq!(
            tree.client_stat(node).num_children as usize,
            expected,
            "{path}"
        );
    }
    assert_eq!(tree.all_children_number("/"), all.len() - 1);
    let mut walked = 0;
    tree.for_each_preorder(|_, _| walked += 1);
    assert_eq!(walked, all.len());
}

pub(crate) fn owners(extended: bool) -> TreeConfig {
    TreeConfig {
        digest_enabled: true,
        owners: OwnerEncoding {
            extended_types_enabled: extended,
            emulate_353_ttl_nodes: false,
        },
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn prepared_transactions_keep_the_tree_consistent(
        extended in any::<bool>(),
        actions in prop::collection::vec(action(), 1..40),
    ) {
        let mut tree = DataTree::new(owners(extended));
        let mut zxid = 0;
        for (session_index, action) in &actions {
            let session = SESSIONS[*session_index];
            zxid += 1;
            let (body, expected_err) = match prepare(&tree, session, action) {
                Ok(body) => {
                    let err = match &body {
                        TxnBody::Multi(ops) => ops
                            .iter()
                            .find_map(|op| match op {
                                TxnBody::Error(e) => Some(e.err),
                                _ => None,
                            })
                            .unwrap_or(0),
                        _ => 0,
                    };
                    (body, err)
                }
                Err(code) => (TxnBody::error(code.code()), code.code()),
            };
            let before = tree.clone();
            let applied = tree.apply(&txn_at(session, zxid, zxid * 10, body.clone()));
            prop_assert_eq!(applied.err, expected_err, "{:?}", body);
            prop_assert_eq!(tree.last_processed_zxid(), zxid);
            if expected_err != 0 {
                // Failed writes (and failed multis) change nothing.
                prop_assert_eq!(tree.digest(), before.digest());
                prop_assert_eq!(tree.node_count(), before.node_count());
                prop_assert!(applied.triggers.is_empty());
                if let Some(results) = &applied.multi {
                    let first = results.iter().position(|r| r.err != 0).unwrap_or(results.len());
                    for (i, r) in results.iter().enumerate() {
                        prop_assert_eq!(r.op, op::ERROR);
                        let want = if i < first { 0 } else if i == first { expected_err } else { -2 };
                        prop_assert_eq!(r.err, want);
                    }
                }
            }
            check_consistent(&tree);
        }
    }

    #[test]
    fn nonsense_never_panics_and_keeps_the_bookkeeping(
        extended in any::<bool>(),
        bodies in prop::collection::vec((0..SESSIONS.len(), any::<i64>(), nonsense_body()), 1..40),
    ) {
        let mut tree = DataTree::new(owners(extended));
        for (session_index, zxid, body) in &bodies {
            let zxid = zxid % 1000;
            let applied = tree.apply(&txn_at(SESSIONS[*session_index], zxid, zxid, body.clone()));
            prop_assert!(applied.triggers.iter().all(|t| t.zxid == zxid));
            check_nonsense_invariants(&tree);
        }
    }
}

/// What holds whatever was applied: the digest, the container and TTL
/// indexes, ACL references, and an ephemerals index that is never wrong
/// (closing a session forgets ephemerals it could not delete, as Java does).
fn check_nonsense_invariants(tree: &DataTree) {
    assert_eq!(tree.digest(), tree.recompute_digest());
    let all = tree.all_nodes();
    assert_eq!(all.len() + 1, tree.node_count());
    for (path, node) in &all {
        assert!(
            std::ptr::eq(tree.node(path).expect(path), *node),
            "{path} leads to its node"
        );
        for (_, child) in tree.children_of(node) {
            assert!(tree.contains(&format!("{path}/{}", child.name())));
        }
        assert!(tree.acl_cache().resolve(node.acl_index()).is_some());
    }
    for (session, paths) in tree.all_ephemerals() {
        for path in paths {
            let node = tree.node(path).expect(path);
            assert_eq!(node.stat().ephemeral_owner, session);
        }
    }
    for path in tree.containers() {
        assert_eq!(
            tree.node(path).map(|n| n.stat().ephemeral_owner),
            Some(i64::MIN)
        );
    }
    for path in tree.ttls() {
        let owner = tree.node(path).expect(path).stat().ephemeral_owner;
        assert_eq!(
            EphemeralType::of(owner, tree.config().owners),
            EphemeralType::Ttl
        );
    }
    let mut users: HashMap<i64, i64> = HashMap::default();
    for (_, node) in &all {
        *users.entry(node.acl_index()).or_default() += 1;
    }
    for (index, _) in tree.acl_cache().iter() {
        let refs = tree.acl_cache().ref_count(index).unwrap_or(0);
        assert!(refs >= users.get(&index).copied().unwrap_or(0));
    }
    let mut walked = 0;
    tree.for_each_preorder(|_, _| walked += 1);
    assert!(walked <= all.len());
}

fn nonsense_path() -> impl Strategy<Value = Option<String>> {
    let fixed = prop::sample::select(vec![
        "",
        "/",
        "//",
        "a",
        "a/b",
        "/a/",
        "/a//b",
        "/zookeeper",
        "/zookeeper/quota",
        "/zookeeper/config",
        "/zookeeper/quota/a",
        "/zookeeper/quota/a/zookeeper_limits",
        "/zookeeper/quota/a/zookeeper_stats",
        "/zookeeper/quota/zookeeper_limits",
        "/zookeeper/quota/zookeeper_stats",
        "/zookeeper/zookeeper_limits",
        "/zookeeper/quotaX",
        "/é",
        "/a/ /b",
    ])
    .prop_map(str::to_owned);
    prop::option::weighted(
        0.95,
        prop_oneof![
            3 => components().prop_map(|c| path_of(&c)),
            1 => fixed,
        ],
    )
}

fn nonsense_acl() -> impl Strategy<Value = Option<Vec<ACL>>> {
    any::<u8>().prop_map(acl_choice)
}

fn nonsense_bytes() -> impl Strategy<Value = Option<Bytes>> {
    prop_oneof![
        3 => data().prop_map(|d| d.map(Bytes::from)),
        1 => prop::sample::select(vec!["count=1,bytes=2", "count=x", "count=-1,bytes=-1=;countHardLimit=1"])
            .prop_map(|s| Some(Bytes::from_static(s.as_bytes()))),
    ]
}

fn pcv() -> impl Strategy<Value = i32> {
    prop_oneof![Just(-1), Just(0), 0..20, any::<i32>()]
}

fn nonsense_simple() -> impl Strategy<Value = TxnBody> {
    prop_oneof![
        4 => (nonsense_path(), nonsense_bytes(), nonsense_acl(), any::<bool>(), pcv(), any::<bool>())
            .prop_map(|(path, data, acl, ephemeral, parent_c_version, two)| {
                let txn = CreateTxn { path, data, acl, ephemeral, parent_c_version };
                if two { TxnBody::Create2(txn) } else { TxnBody::Create(txn) }
            }),
        1 => (nonsense_path(), nonsense_bytes(), nonsense_acl(), pcv())
            .prop_map(|(path, data, acl, parent_c_version)| {
                TxnBody::CreateContainer(CreateContainerTxn { path, data, acl, parent_c_version })
            }),
        1 => (nonsense_path(), nonsense_bytes(), nonsense_acl(), pcv(), prop_oneof![Just(-1i64), 0..100_000i64, any::<i64>()])
            .prop_map(|(path, data, acl, parent_c_version, ttl)| {
                TxnBody::CreateTtl(CreateTTLTxn { path, data, acl, parent_c_version, ttl })
            }),
        3 => (nonsense_path(), any::<bool>()).prop_map(|(path, container)| {
            if container { TxnBody::DeleteContainer(DeleteTxn { path }) } else { TxnBody::Delete(DeleteTxn { path }) }
        }),
        2 => (nonsense_path(), nonsense_bytes(), any::<i32>(), any::<bool>()).prop_map(|(path, data, version, reconfig)| {
            let txn = SetDataTxn { path, data, version };
            if reconfig { TxnBody::Reconfig(txn) } else { TxnBody::SetData(txn) }
        }),
        1 => (nonsense_path(), nonsense_acl(), any::<i32>())
            .prop_map(|(path, acl, version)| TxnBody::SetAcl(SetACLTxn { path, acl, version })),
        1 => (nonsense_path(), any::<i32>())
            .prop_map(|(path, version)| TxnBody::Check(CheckVersionTxn { path, version })),
        1 => prop_oneof![Just(0), Just(-101), Just(-2), any::<i32>()].prop_map(TxnBody::error),
        1 => prop::option::of(prop::option::of(prop::collection::vec(nonsense_path(), 0..4)))
            .prop_map(|list| TxnBody::CloseSession(list.map(|paths| CloseSessionTxn {
                paths2_delete: paths.map(|p| p.into_iter().flatten().collect()),
            }))),
        1 => Just(TxnBody::CreateSession(CreateSessionTxn { time_out: 1 })),
    ]
}

fn nonsense_body() -> impl Strategy<Value = TxnBody> {
    prop_oneof![
        6 => nonsense_simple(),
        1 => prop::collection::vec(nonsense_simple(), 0..5).prop_map(TxnBody::Multi),
        1 => prop::collection::vec(
            prop_oneof![
                4 => nonsense_simple(),
                1 => Just(TxnBody::Multi(vec![])),
            ],
            0..4,
        )
        .prop_map(TxnBody::Multi),
    ]
}

#[test]
fn the_prepare_model_produces_sequential_names_like_java() {
    let mut tree = DataTree::default();
    let a = prepare(
        &tree,
        1,
        &Action::Create {
            parent: Target::Random(vec![]),
            name: 0,
            kind: Kind::Sequential,
            data: None,
            acl: 1,
            create2: false,
        },
    )
    .unwrap();
    match &a {
        TxnBody::Create(t) => assert_eq!(t.path.as_deref(), Some("/a0000000000")),
        other => panic!("{other:?}"),
    }
    tree.apply(&txn_at(1, 1, 0, a));
    let body = TxnBody::Create(create_body("/x", None, false, -1));
    assert_eq!(tree.apply(&txn_at(1, 2, 0, body)).err, 0);
    check_consistent(&tree);
}

// ----- the tree against Java's map of paths ------------------------------------------------

/// Java's `DataTree` reduced to what decides which nodes exist: a map of
/// full paths, each node with its children's names. A delete does not look
/// at children, so a node can outlive its parent and stay reachable by path.
#[derive(Debug, Default)]
struct PathMapModel {
    nodes:
        std::collections::BTreeMap<String, (Option<Vec<u8>>, std::collections::BTreeSet<String>)>,
}

impl PathMapModel {
    fn new() -> PathMapModel {
        let mut m = PathMapModel::default();
        for path in ["", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"] {
            m.nodes
                .insert(path.to_owned(), (Some(Vec::new()), Default::default()));
        }
        for (parent, name) in [
            ("", "zookeeper"),
            ("/zookeeper", "quota"),
            ("/zookeeper", "config"),
        ] {
            m.nodes.get_mut(parent).unwrap().1.insert(name.to_owned());
        }
        m
    }

    fn split(path: &str) -> (&str, &str) {
        let slash = path.rfind('/').unwrap_or(0);
        (&path[..slash], &path[slash + 1..])
    }

    fn create(&mut self, path: &str, data: Option<Vec<u8>>) -> Result<(), ErrorCode> {
        let (parent, name) = Self::split(path);
        if !self.nodes.contains_key(parent) {
            return Err(ErrorCode::NoNode);
        }
        if self.nodes.contains_key(path) {
            return Err(ErrorCode::NodeExists);
        }
        self.nodes
            .get_mut(parent)
            .unwrap()
            .1
            .insert(name.to_owned());
        self.nodes
            .insert(path.to_owned(), (data, Default::default()));
        Ok(())
    }

    fn delete(&mut self, path: &str) -> Result<(), ErrorCode> {
        let (parent, name) = Self::split(path);
        let Some(p) = self.nodes.get_mut(parent) else {
            return Err(ErrorCode::NoNode);
        };
        p.1.remove(name);
        self.nodes.remove(path).map(|_| ()).ok_or(ErrorCode::NoNode)
    }

    fn set_data(&mut self, path: &str, data: Option<Vec<u8>>) -> Result<(), ErrorCode> {
        let node = self.nodes.get_mut(path).ok_or(ErrorCode::NoNode)?;
        node.0 = data;
        Ok(())
    }
}

#[derive(Debug, Clone)]
enum MapOp {
    Create(String, Option<Vec<u8>>),
    Delete(String),
    SetData(String, Option<Vec<u8>>),
}

fn map_path() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(NAMES.to_vec()), 1..=3)
        .prop_map(|names| names.iter().map(|n| format!("/{n}")).collect())
}

fn map_data() -> impl Strategy<Value = Option<Vec<u8>>> {
    prop::option::of(prop::collection::vec(any::<u8>(), 0..4))
}

fn map_op() -> impl Strategy<Value = MapOp> {
    prop_oneof![
        3 => (map_path(), map_data()).prop_map(|(p, d)| MapOp::Create(p, d)),
        2 => map_path().prop_map(MapOp::Delete),
        1 => (map_path(), map_data()).prop_map(|(p, d)| MapOp::SetData(p, d)),
    ]
}

proptest! {
    /// Creates, deletes (of nodes with children too, which leaves them
    /// reachable only by path, as in Java) and setData, with the arena's
    /// slots freed and reused: the same answers, nodes, data and children
    /// as Java's map of paths, and the tree's own invariants.
    #[test]
    fn the_arena_answers_like_javas_map_of_paths(ops in prop::collection::vec(map_op(), 1..80)) {
        let mut tree = DataTree::default();
        let mut model = PathMapModel::new();
        let mut t = Vec::new();
        for (i, op) in ops.iter().enumerate() {
            let zxid = i as i64 + 1;
            let (ours, java) = match op {
                MapOp::Create(path, data) => (
                    tree.create_node(path, data.clone().map(Bytes::from), None, 0, -1, zxid, 0, &mut t)
                        .map(|_| ()),
                    model.create(path, data.clone()),
                ),
                MapOp::Delete(path) => (tree.delete_node(path, zxid, &mut t), model.delete(path)),
                MapOp::SetData(path, data) => (
                    tree.set_data(path, data.clone().map(Bytes::from), 1, zxid, 0, &mut t)
                        .map(|_| ()),
                    model.set_data(path, data.clone()),
                ),
            };
            prop_assert_eq!(ours, java, "{:?}", op);
            let mut paths: Vec<String> = tree.all_nodes().into_iter().map(|(p, _)| p).collect();
            paths.sort();
            let expected: Vec<String> = model.nodes.keys().cloned().collect();
            prop_assert_eq!(&paths, &expected, "after {:?}", op);
            for (path, (data, children)) in &model.nodes {
                let node = tree.node(path).expect("listed");
                prop_assert_eq!(node.data(), data.as_deref(), "{}", path);
                let mut kids = tree.children(path).expect("exists");
                kids.sort();
                let expected: Vec<String> = children.iter().cloned().collect();
                prop_assert_eq!(kids, expected, "{}", path);
            }
        }
        check_invariants(&tree);
    }
}
