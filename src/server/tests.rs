//! The core driven directly, without sockets: clients are byte frames in
//! and out, time is a number. Checks the whole pipeline — prepare, apply,
//! reply, watches — and its invariants under random operations.

use std::net::SocketAddr;

use bytes::{Bytes, BytesMut};
use jute::data::{Id, Stat, ACL};
use jute::proto::{
    ConnectRequest, ConnectResponse, CreateRequest, DeleteRequest, GetDataRequest, GetDataResponse,
    MultiHeader, ReplyHeader, RequestHeader, SetACLRequest, SetDataRequest, WatcherEvent,
};
use jute::{Jute, Limits, Reader};
use proptest::prelude::*;

use super::core::{ContainerSettings, Core, CoreSettings, Now, ServerInfo};
use super::{ConnId, Input, Output};
use crate::auth::AuthSettings;
use crate::config::FourLetterWordWhitelist;
use crate::pipeline::prepare::PrepSettings;
use crate::proto::codes::{event, perms, xid};
use crate::proto::{op, ErrorCode};
use crate::tree::TreeConfig;

fn settings() -> CoreSettings {
    let limits = Limits::default();
    CoreSettings {
        tick_time: 2000,
        min_session_timeout: 4000,
        max_session_timeout: 40000,
        limits,
        skip_acl: false,
        enforce_quota: false,
        prep: PrepSettings {
            digest_enabled: true,
            owners: crate::tree::OwnerEncoding {
                extended_types_enabled: true,
                emulate_353_ttl_nodes: false,
            },
            close_session_txn_enabled: true,
            reconfig_enabled: false,
            limits,
        },
        tree: TreeConfig {
            digest_enabled: true,
            owners: crate::tree::OwnerEncoding {
                extended_types_enabled: true,
                emulate_353_ttl_nodes: false,
            },
        },
        auth: AuthSettings::default(),
        four_letter_words: FourLetterWordWhitelist::from_property(Some("*"), false),
        sessionless_timeout_ms: 10_000,
        containers: ContainerSettings {
            check_interval_ms: 60_000,
            max_per_minute: 10_000,
            max_never_used_interval_ms: 0,
        },
        info: ServerInfo::default(),
    }
}

/// A core and a clock, with helpers that speak the client protocol.
struct Harness {
    core: Core,
    now: Now,
    next_conn: ConnId,
}

/// One reply (or notification) received.
#[derive(Debug)]
struct Reply {
    header: ReplyHeader,
    body: Bytes,
}

impl Harness {
    fn new() -> Self {
        let now = Now {
            wall_ms: 1_700_000_000_000,
            elapsed_ms: 1_000_000,
        };
        Harness {
            core: Core::new(settings(), now).expect("core"),
            now,
            next_conn: 1,
        }
    }

    fn input(&mut self, input: Input) -> Vec<Output> {
        let mut out = Vec::new();
        self.core.handle(input, self.now, &mut out);
        out
    }

    /// Connects a new client; returns its connection and session id.
    fn connect(&mut self) -> (ConnId, i64) {
        let conn = self.next_conn;
        self.next_conn += 1;
        let remote: SocketAddr = "127.0.0.1:40000".parse().unwrap();
        self.input(Input::Accepted {
            conn,
            remote,
            local: None,
        });
        let request = ConnectRequest {
            protocol_version: 0,
            last_zxid_seen: 0,
            time_out: 30_000,
            session_id: 0,
            passwd: Some(Bytes::from_static(&[0; 16])),
            read_only: false,
        };
        let out = self.input(Input::Frame {
            conn,
            frame: Bytes::from(jute::Record::to_bytes(&request)),
        });
        let frames = sent_to(&out, conn);
        assert_eq!(frames.len(), 1, "one connect response: {out:?}");
        let response =
            ConnectResponse::read_from(&mut Reader::new(&frames[0][4..], Limits::default()))
                .expect("connect response");
        assert_eq!(response.time_out, 30_000);
        assert_ne!(response.session_id, 0);
        (conn, response.session_id)
    }

    /// Sends a request; returns everything the connection received.
    fn call(
        &mut self,
        conn: ConnId,
        xid: i32,
        op: i32,
        record: &dyn crate::proto::WriteRecord,
    ) -> Vec<Reply> {
        let mut frame = BytesMut::new();
        RequestHeader { xid, r#type: op }.write_to(&mut frame);
        record.write_record(&mut frame);
        let out = self.input(Input::Frame {
            conn,
            frame: frame.freeze(),
        });
        sent_to(&out, conn)
            .into_iter()
            .map(|bytes| {
                let mut reader = Reader::new(&bytes[4..], Limits::default());
                let header = ReplyHeader::read_from(&mut reader).expect("reply header");
                let used = 4 + reader.position();
                Reply {
                    header,
                    body: bytes.slice(used..),
                }
            })
            .collect()
    }

    fn digest_consistent(&self) {
        let tree = self.core.tree();
        assert_eq!(tree.digest_mismatches(), 0, "a predicted digest differed");
        assert_eq!(tree.digest(), tree.recompute_digest());
    }
}

fn sent_to(out: &[Output], conn: ConnId) -> Vec<Bytes> {
    out.iter()
        .filter_map(|o| match o {
            Output::Send { conn: c, bytes } if *c == conn => Some(bytes.clone()),
            _ => None,
        })
        .collect()
}

fn open_acl() -> Option<Vec<ACL>> {
    Some(vec![ACL {
        perms: perms::ALL,
        id: Id {
            scheme: Some("world".into()),
            id: Some("anyone".into()),
        },
    }])
}

fn create(path: &str, data: &[u8], flags: i32) -> CreateRequest {
    CreateRequest {
        path: Some(path.into()),
        data: Some(Bytes::copy_from_slice(data)),
        acl: open_acl(),
        flags,
    }
}

#[test]
fn a_session_creates_reads_and_is_answered_in_order() {
    let mut h = Harness::new();
    let (conn, _) = h.connect();
    let replies = h.call(conn, 1, op::CREATE, &create("/a", b"hello", 0));
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0].header.xid, 1);
    assert_eq!(replies[0].header.err, 0);
    // createSession was zxid 1, the create zxid 2.
    assert_eq!(replies[0].header.zxid, 2);
    let replies = h.call(
        conn,
        2,
        op::GET_DATA,
        &GetDataRequest {
            path: Some("/a".into()),
            watch: true,
        },
    );
    let data =
        GetDataResponse::read_from(&mut Reader::new(&replies[0].body, Limits::default())).unwrap();
    assert_eq!(data.data.as_deref(), Some(&b"hello"[..]));
    assert_eq!(data.stat.czxid, 2);
    // The data watch fires before the setData reply.
    let replies = h.call(
        conn,
        3,
        op::SET_DATA,
        &SetDataRequest {
            path: Some("/a".into()),
            data: None,
            version: 0,
        },
    );
    assert_eq!(replies.len(), 2);
    assert_eq!(replies[0].header.xid, xid::NOTIFICATION);
    assert_eq!(
        replies[0].header.zxid, 3,
        "3.9 notifications carry the zxid"
    );
    let event =
        WatcherEvent::read_from(&mut Reader::new(&replies[0].body, Limits::default())).unwrap();
    assert_eq!(event.r#type, event::NODE_DATA_CHANGED);
    assert_eq!(event.path.as_deref(), Some("/a"));
    assert_eq!(replies[1].header.xid, 3);
    assert_eq!(replies[1].header.err, 0);
    h.digest_consistent();
}

#[test]
fn failed_writes_use_a_zxid_and_answer_with_the_error() {
    let mut h = Harness::new();
    let (conn, _) = h.connect();
    let replies = h.call(conn, 1, op::CREATE, &create("/missing/child", b"", 0));
    assert_eq!(replies[0].header.err, ErrorCode::NoNode.code());
    assert!(replies[0].body.is_empty());
    // The error transaction used zxid 2: the next create gets 3.
    let replies = h.call(conn, 2, op::CREATE, &create("/x", b"", 0));
    assert_eq!(replies[0].header.zxid, 3);
    let replies = h.call(
        conn,
        3,
        op::DELETE,
        &DeleteRequest {
            path: Some("/zookeeper".into()),
            version: -1,
        },
    );
    assert_eq!(replies[0].header.err, ErrorCode::BadArguments.code());
    h.digest_consistent();
}

#[test]
fn unknown_opcodes_are_unimplemented_and_close_the_connection() {
    let mut h = Harness::new();
    let (conn, _) = h.connect();
    let mut frame = BytesMut::new();
    RequestHeader { xid: 5, r#type: 50 }.write_to(&mut frame);
    let out = h.input(Input::Frame {
        conn,
        frame: frame.freeze(),
    });
    let frames = sent_to(&out, conn);
    let header =
        ReplyHeader::read_from(&mut Reader::new(&frames[0][4..], Limits::default())).unwrap();
    assert_eq!(header.err, ErrorCode::Unimplemented.code());
    assert_eq!(header.zxid, -1);
    assert!(out.contains(&Output::Close { conn }));
}

#[test]
fn expired_sessions_lose_their_ephemerals_and_connections() {
    let mut h = Harness::new();
    let (conn, session) = h.connect();
    h.call(conn, 1, op::CREATE, &create("/e", b"", 1));
    assert_eq!(h.core.tree().ephemerals(session).count(), 1);
    // Nothing happens before the timeout.
    h.now.elapsed_ms += 20_000;
    let out = h.input(Input::Tick);
    assert!(out.is_empty(), "{out:?}");
    h.now.elapsed_ms += 20_000;
    h.now.wall_ms += 40_000;
    let out = h.input(Input::Tick);
    assert!(out.contains(&Output::Close { conn }), "{out:?}");
    assert_eq!(h.core.tree().ephemerals(session).count(), 0);
    assert!(h.core.tree().node("/e").is_none());
    h.digest_consistent();
}

/// A random client operation.
#[derive(Debug, Clone)]
enum Action {
    Create {
        session: usize,
        path: usize,
        flags: i32,
        data: Vec<u8>,
    },
    Delete {
        session: usize,
        path: usize,
        version: i32,
    },
    SetData {
        session: usize,
        path: usize,
        version: i32,
        data: Vec<u8>,
    },
    SetAcl {
        session: usize,
        path: usize,
        read_only: bool,
    },
    Multi {
        session: usize,
        creates: Vec<usize>,
        delete: usize,
    },
    Close {
        session: usize,
    },
    Expire,
}

const PATHS: &[&str] = &["/a", "/b", "/a/c", "/a/d", "/b/e", "/a/c/f", "/g"];

fn action() -> impl Strategy<Value = Action> {
    let session = 0usize..3;
    let path = 0usize..PATHS.len();
    prop_oneof![
        4 => (session.clone(), path.clone(), prop::sample::select(vec![0, 1, 2, 3, 4, 5]),
              prop::collection::vec(any::<u8>(), 0..8))
            .prop_map(|(session, path, flags, data)| Action::Create { session, path, flags, data }),
        2 => (session.clone(), path.clone(), -1i32..2)
            .prop_map(|(session, path, version)| Action::Delete { session, path, version }),
        2 => (session.clone(), path.clone(), -1i32..3, prop::collection::vec(any::<u8>(), 0..8))
            .prop_map(|(session, path, version, data)| Action::SetData { session, path, version, data }),
        1 => (session.clone(), path.clone(), any::<bool>())
            .prop_map(|(session, path, read_only)| Action::SetAcl { session, path, read_only }),
        2 => (session.clone(), prop::collection::vec(path.clone(), 1..3), path)
            .prop_map(|(session, creates, delete)| Action::Multi { session, creates, delete }),
        1 => session.prop_map(|session| Action::Close { session }),
        1 => Just(Action::Expire),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Random operations from several sessions keep the tree consistent:
    /// every predicted digest equals the tree's, each reply answers its
    /// request in order, and closed sessions leave no ephemerals.
    #[test]
    fn random_operations_keep_the_pipeline_consistent(actions in prop::collection::vec(action(), 1..40)) {
        let mut h = Harness::new();
        let mut sessions: Vec<(ConnId, i64)> = (0..3).map(|_| h.connect()).collect();
        let mut xid = 0;
        for action in actions {
            xid += 1;
            let (conn, request_op, record): (ConnId, i32, Box<dyn crate::proto::WriteRecord>) = match action {
                Action::Create { session, path, flags, data } => {
                    let mut request = create(PATHS[path], &data, flags);
                    if flags == 4 { request.flags = 4; }
                    let op = if flags == 4 { op::CREATE_CONTAINER } else { op::CREATE2 };
                    if flags == 5 {
                        // A TTL create.
                        let ttl = jute::proto::CreateTTLRequest {
                            path: request.path, data: request.data, acl: request.acl, flags: 5, ttl: 1000,
                        };
                        (sessions[session].0, op::CREATE_TTL, Box::new(ttl))
                    } else {
                        (sessions[session].0, op, Box::new(request))
                    }
                }
                Action::Delete { session, path, version } => (
                    sessions[session].0, op::DELETE,
                    Box::new(DeleteRequest { path: Some(PATHS[path].into()), version }),
                ),
                Action::SetData { session, path, version, data } => (
                    sessions[session].0, op::SET_DATA,
                    Box::new(SetDataRequest { path: Some(PATHS[path].into()), data: Some(data.into()), version }),
                ),
                Action::SetAcl { session, path, read_only } => {
                    let acl = if read_only {
                        vec![ACL { perms: perms::READ | perms::ADMIN, id: Id { scheme: Some("world".into()), id: Some("anyone".into()) } }]
                    } else {
                        open_acl().unwrap()
                    };
                    (sessions[session].0, op::SET_ACL,
                     Box::new(SetACLRequest { path: Some(PATHS[path].into()), acl: Some(acl), version: -1 }))
                }
                Action::Multi { session, creates, delete } => {
                    let mut body = BytesMut::new();
                    for path in creates {
                        MultiHeader { r#type: op::CREATE, done: false, err: -1 }.write_to(&mut body);
                        create(PATHS[path], b"m", 0).write_to(&mut body);
                    }
                    MultiHeader { r#type: op::DELETE, done: false, err: -1 }.write_to(&mut body);
                    DeleteRequest { path: Some(PATHS[delete].into()), version: -1 }.write_to(&mut body);
                    MultiHeader { r#type: -1, done: true, err: -1 }.write_to(&mut body);
                    (sessions[session].0, op::MULTI, Box::new(RawBody(body.freeze())))
                }
                Action::Close { session } => {
                    let (conn, id) = sessions[session];
                    let replies = h.call(conn, xid, op::CLOSE_SESSION, &RawBody(Bytes::new()));
                    prop_assert_eq!(replies.last().map(|r| r.header.xid), Some(xid));
                    prop_assert_eq!(h.core.tree().ephemerals(id).count(), 0);
                    h.input(Input::Closed { conn });
                    sessions[session] = h.connect();
                    continue;
                }
                Action::Expire => {
                    // Every session times out; their replacements connect.
                    h.now.elapsed_ms += 100_000;
                    h.now.wall_ms += 100_000;
                    h.input(Input::Tick);
                    for (i, (conn, id)) in sessions.clone().into_iter().enumerate() {
                        prop_assert_eq!(h.core.tree().ephemerals(id).count(), 0);
                        h.input(Input::Closed { conn });
                        sessions[i] = h.connect();
                    }
                    continue;
                }
            };
            let replies = h.call(conn, xid, request_op, record.as_ref());
            // Notifications may come first; the reply is last and in order.
            let reply = replies.last().expect("a reply");
            prop_assert_eq!(reply.header.xid, xid);
            prop_assert!(ErrorCode::from_code(reply.header.err).is_some(), "{}", reply.header.err);
            for notification in &replies[..replies.len() - 1] {
                prop_assert_eq!(notification.header.xid, xid::NOTIFICATION);
            }
            let tree = h.core.tree();
            prop_assert_eq!(tree.digest_mismatches(), 0);
            prop_assert_eq!(tree.digest(), tree.recompute_digest());
            // Every node's stat matches what a client sees of its children.
            for path in PATHS {
                if let Ok(stat) = tree.stat(path) {
                    let stat: Stat = stat;
                    prop_assert_eq!(stat.num_children as usize, tree.children(path).unwrap().len());
                }
            }
        }
    }
}

/// A request body already encoded.
struct RawBody(Bytes);

impl crate::proto::WriteRecord for RawBody {
    fn write_record(&self, out: &mut BytesMut) {
        out.extend_from_slice(&self.0);
    }
}

// ----- edge cases pinned by the raw-protocol compat suite --------------------

impl Harness {
    /// Sends a request with a raw body; returns the frames sent to the
    /// connection and whether the core closed it.
    fn raw(&mut self, conn: ConnId, xid: i32, op: i32, body: &[u8]) -> (Vec<Reply>, bool) {
        let mut frame = BytesMut::new();
        RequestHeader { xid, r#type: op }.write_to(&mut frame);
        frame.extend_from_slice(body);
        let out = self.input(Input::Frame {
            conn,
            frame: frame.freeze(),
        });
        let replies = sent_to(&out, conn)
            .into_iter()
            .map(|bytes| {
                let mut reader = Reader::new(&bytes[4..], Limits::default());
                let header = ReplyHeader::read_from(&mut reader).expect("reply header");
                let used = 4 + reader.position();
                Reply {
                    header,
                    body: bytes.slice(used..),
                }
            })
            .collect();
        (replies, out.contains(&Output::Close { conn }))
    }
}

fn encoded(record: &dyn crate::proto::WriteRecord) -> Vec<u8> {
    let mut out = BytesMut::new();
    record.write_record(&mut out);
    out.to_vec()
}

fn multi_body(ops: &[(i32, Vec<u8>)]) -> Vec<u8> {
    let mut out = BytesMut::new();
    for (t, body) in ops {
        MultiHeader {
            r#type: *t,
            done: false,
            err: -1,
        }
        .write_to(&mut out);
        out.extend_from_slice(body);
    }
    MultiHeader {
        r#type: -1,
        done: true,
        err: -1,
    }
    .write_to(&mut out);
    out.to_vec()
}

#[test]
fn a_malformed_create_session_uses_a_zxid_and_gets_no_connect_response() {
    let mut h = Harness::new();
    let (conn, _) = h.connect();
    // Java makes createSession's txn header before reading the body.
    let (replies, closed) = h.raw(conn, 1, op::CREATE_SESSION, &[]);
    assert_eq!(replies.len(), 1, "{replies:?}");
    assert_eq!(replies[0].header.err, ErrorCode::MarshallingError.code());
    assert_eq!(replies[0].header.zxid, 2);
    assert!(replies[0].body.is_empty());
    assert!(!closed);
    let replies = h.call(conn, 2, op::CREATE, &create("/a", b"", 0));
    assert_eq!(replies[0].header.zxid, 3);
    // Other malformed writes use none.
    let (replies, _) = h.raw(conn, 3, op::SET_DATA, &[0, 0]);
    assert_eq!(replies[0].header.err, ErrorCode::MarshallingError.code());
    assert_eq!(replies[0].header.zxid, 3);
}

#[test]
fn a_multi_with_a_null_path_is_malformed_and_uses_a_zxid() {
    let mut h = Harness::new();
    let (conn, _) = h.connect();
    let body = multi_body(&[
        (op::CREATE, encoded(&create("/a", b"", 0))),
        (
            op::DELETE,
            encoded(&DeleteRequest {
                path: None,
                version: -1,
            }),
        ),
    ]);
    let (replies, _) = h.raw(conn, 1, op::MULTI, &body);
    assert_eq!(replies[0].header.err, ErrorCode::MarshallingError.code());
    assert_eq!(replies[0].header.zxid, 2);
    assert!(replies[0].body.is_empty(), "no multi body");
    assert!(h.core.tree().node("/a").is_none());
    h.digest_consistent();
}

#[test]
fn a_client_may_send_delete_container() {
    let mut h = Harness::new();
    let (conn, _) = h.connect();
    h.call(conn, 1, op::CREATE, &create("/p", b"", 0));
    h.call(conn, 2, op::CREATE, &create("/p/c", b"", 0));
    // The body is a DeleteContainerRequest: the path as a jute buffer.
    let path = |p: &str| encoded(&Some(Bytes::copy_from_slice(p.as_bytes())));
    let (replies, _) = h.raw(conn, 3, op::DELETE_CONTAINER, &path("/p"));
    assert_eq!(replies[0].header.err, ErrorCode::NotEmpty.code());
    assert_eq!(replies[0].header.zxid, 4, "a failure uses a zxid");
    // No ACL or container check: any empty, non-ephemeral node goes.
    let (replies, _) = h.raw(conn, 4, op::DELETE_CONTAINER, &path("/p/c"));
    assert_eq!(replies[0].header.err, 0);
    assert!(replies[0].body.is_empty());
    assert!(h.core.tree().node("/p/c").is_none());
    let (replies, _) = h.raw(conn, 5, op::DELETE_CONTAINER, &path("/none"));
    assert_eq!(replies[0].header.err, ErrorCode::NoNode.code());
    // A null buffer cannot be read: MARSHALLINGERROR without a zxid.
    let (replies, _) = h.raw(conn, 6, op::DELETE_CONTAINER, &(-1i32).to_be_bytes());
    assert_eq!(replies[0].header.err, ErrorCode::MarshallingError.code());
    assert_eq!(replies[0].header.zxid, 6);
    h.digest_consistent();
}

#[test]
fn watch_requests_with_a_null_path() {
    let mut h = Harness::new();
    let (conn, _) = h.connect();
    let null_path = |t: i32| {
        let mut b = (-1i32).to_be_bytes().to_vec();
        b.extend_from_slice(&t.to_be_bytes());
        b
    };
    // addWatch succeeds (Java files the watch under a null key).
    let (replies, _) = h.raw(conn, 1, op::ADD_WATCH, &null_path(0));
    assert_eq!(replies[0].header.err, 0);
    assert_eq!(&replies[0].body[..], &[0, 0, 0, 0]);
    for op_code in [op::CHECK_WATCHES, op::REMOVE_WATCHES] {
        let (replies, _) = h.raw(conn, 2, op_code, &null_path(3));
        assert_eq!(replies[0].header.err, ErrorCode::NoWatcher.code());
        // The type is checked first.
        let (replies, _) = h.raw(conn, 3, op_code, &null_path(9));
        assert_eq!(replies[0].header.err, ErrorCode::MarshallingError.code());
    }
}

#[test]
fn multi_read_failures_keep_the_results_so_far() {
    let mut h = Harness::new();
    let (conn, _) = h.connect();
    let get = encoded(&GetDataRequest {
        path: Some("/".into()),
        watch: false,
    });
    let null = encoded(&GetDataRequest {
        path: None,
        watch: false,
    });
    let body = multi_body(&[(op::GET_DATA, get.clone()), (op::GET_DATA, null)]);
    let (replies, _) = h.raw(conn, 1, op::MULTI_READ, &body);
    assert_eq!(replies[0].header.err, ErrorCode::MarshallingError.code());
    let mut reader = Reader::new(&replies[0].body, Limits::default());
    let first = MultiHeader::read_from(&mut reader).unwrap();
    assert_eq!((first.r#type, first.done), (op::GET_DATA, false));
    GetDataResponse::read_from(&mut reader).unwrap();
    let end = MultiHeader::read_from(&mut reader).unwrap();
    assert!(end.done);
    assert!(reader.is_empty());
    // A write op: MARSHALLINGERROR with just the end marker.
    let body = multi_body(&[(op::CREATE, encoded(&create("/x", b"", 0)))]);
    let (replies, _) = h.raw(conn, 2, op::MULTI_READ, &body);
    assert_eq!(replies[0].header.err, ErrorCode::MarshallingError.code());
    assert_eq!(replies[0].body.len(), 9);
    // Mixed kinds cannot be decoded: no body at all.
    let body = multi_body(&[
        (op::GET_DATA, get),
        (op::CREATE, encoded(&create("/x", b"", 0))),
    ]);
    let (replies, _) = h.raw(conn, 3, op::MULTI_READ, &body);
    assert_eq!(replies[0].header.err, ErrorCode::MarshallingError.code());
    assert!(replies[0].body.is_empty());
}

#[test]
fn auth_packets_java_cannot_use() {
    let mut h = Harness::new();
    // Unreadable: closed without a reply.
    let (conn, _) = h.connect();
    let (replies, closed) = h.raw(conn, xid::AUTH, op::AUTH, &[0, 0, 0, 0, 0, 0]);
    assert!(replies.is_empty(), "{replies:?}");
    assert!(closed);
    // Digest without data: AUTHFAILED (zxid 0), then closed.
    let (conn, _) = h.connect();
    let packet = jute::proto::AuthPacket {
        r#type: 0,
        scheme: Some("digest".into()),
        auth: None,
    };
    let (replies, closed) = h.raw(conn, xid::AUTH, op::AUTH, &encoded(&packet));
    assert_eq!(replies[0].header.err, ErrorCode::AuthFailed.code());
    assert_eq!(replies[0].header.zxid, 0);
    assert!(closed);
}

#[test]
fn sasl_without_sasl_gets_a_null_token() {
    let mut h = Harness::new();
    let (conn, _) = h.connect();
    let token = encoded(&Some(Bytes::from_static(b"hello")));
    let (replies, closed) = h.raw(conn, 1, op::SASL, &token);
    assert!(!closed);
    assert_eq!(replies[0].header.err, 0);
    assert_eq!(replies[0].header.zxid, 0);
    assert_eq!(&replies[0].body[..], &[0xff, 0xff, 0xff, 0xff]);
    // A null token, or a request that cannot be read: closed, unanswered.
    for body in [&(-1i32).to_be_bytes()[..], &[0, 0]] {
        let (conn, _) = h.connect();
        let (replies, closed) = h.raw(conn, 1, op::SASL, body);
        assert!(replies.is_empty(), "{replies:?}");
        assert!(closed);
    }
}

#[test]
fn stmk_sets_the_trace_mask_that_gtmk_shows() {
    let mut h = Harness::new();
    let word = |h: &mut Harness, word: &'static str, trace_mask: Option<i64>| {
        let conn = h.next_conn;
        h.next_conn += 1;
        h.input(Input::Accepted {
            conn,
            remote: "127.0.0.1:40000".parse().unwrap(),
            local: None,
        });
        let out = h.input(Input::FourLetterWord {
            conn,
            word,
            trace_mask,
        });
        assert!(out.contains(&Output::Close { conn }));
        sent_to(&out, conn)
            .iter()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(word(&mut h, "gtmk", None), ["306"]);
    assert_eq!(word(&mut h, "stmk", Some(0x102)), ["258"]);
    assert_eq!(word(&mut h, "gtmk", None), ["258"]);
    // Without its argument nothing is answered.
    assert!(word(&mut h, "stmk", None).is_empty());
    assert_eq!(word(&mut h, "telnet close", None), [""]);
}

#[test]
fn a_connection_the_server_closes_is_forgotten_at_once() {
    let mut h = Harness::new();
    let (conn, _) = h.connect();
    let (other, _) = h.connect();
    assert_eq!(h.core.connection_count(), 2);
    let (replies, closed) = h.raw(conn, 1, 55, &[]);
    assert_eq!(replies[0].header.err, ErrorCode::Unimplemented.code());
    assert!(closed);
    // Before the shell reports the socket closed.
    assert_eq!(h.core.connection_count(), 1);
    // Anything more from it is ignored; the report changes nothing.
    let (replies, _) = h.raw(conn, 2, op::PING, &[]);
    assert!(replies.is_empty());
    h.input(Input::Closed { conn });
    assert_eq!(h.core.connection_count(), 1);
    let (replies, _) = h.raw(other, 1, op::PING, &[]);
    assert_eq!(replies.len(), 1);
}

/// A transaction log that only records what it was given.
struct RecordingLog(std::sync::Arc<std::sync::Mutex<Vec<i64>>>);

impl super::core::TxnSink for RecordingLog {
    fn append(&mut self, txn: &crate::txn::Txn) -> Result<(), String> {
        self.0.lock().unwrap().push(txn.zxid());
        Ok(())
    }
}

#[test]
fn writes_are_answered_only_once_durable_and_reads_keep_their_turn() {
    let mut h = Harness::new();
    let (writer, _) = h.connect();
    let (other, _) = h.connect();
    let appended = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    h.core
        .set_log(Box::new(RecordingLog(std::sync::Arc::clone(&appended))));
    let get = |path: &str| GetDataRequest {
        path: Some(path.into()),
        watch: false,
    };
    // The write goes to the log, unanswered.
    let replies = h.call(writer, 1, op::CREATE, &create("/d", b"x", 0));
    assert!(replies.is_empty(), "{replies:?}");
    assert_eq!(*appended.lock().unwrap(), vec![3]);
    assert!(
        h.core.tree().node("/d").is_none(),
        "not applied before durable"
    );
    // A read of the same connection waits behind it; another connection's
    // read is answered at once (from the tree without /d).
    assert!(h.call(writer, 2, op::GET_DATA, &get("/d")).is_empty());
    let replies = h.call(other, 1, op::GET_DATA, &get("/d"));
    assert_eq!(replies[0].header.err, ErrorCode::NoNode.code());
    // A sync waits for the write too.
    let sync = jute::proto::SyncRequest {
        path: Some("/".into()),
    };
    assert!(h.call(other, 2, op::SYNC, &sync).is_empty());
    // Durable: the write is applied and answered, then the queued read.
    let out = h.input(Input::Durable { zxid: 3 });
    let to_writer = sent_to(&out, writer);
    assert_eq!(to_writer.len(), 2);
    let first =
        ReplyHeader::read_from(&mut Reader::new(&to_writer[0][4..], Limits::default())).unwrap();
    let second =
        ReplyHeader::read_from(&mut Reader::new(&to_writer[1][4..], Limits::default())).unwrap();
    assert_eq!((first.xid, first.err, first.zxid), (1, 0, 3));
    assert_eq!((second.xid, second.err), (2, 0));
    assert_eq!(sent_to(&out, other).len(), 1, "the sync completes");
    h.digest_consistent();
}

#[test]
fn a_failed_log_stops_the_server() {
    let mut h = Harness::new();
    let out = h.input(Input::LogFailed {
        reason: "disk full".into(),
    });
    assert!(matches!(&out[..], [Output::Stop { reason }] if reason.contains("disk full")));
}

#[test]
fn requests_pipelined_behind_the_handshake_keep_their_order_with_a_log() {
    let mut h = Harness::new();
    let appended = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    h.core
        .set_log(Box::new(RecordingLog(std::sync::Arc::clone(&appended))));
    let conn = 99;
    h.input(Input::Accepted {
        conn,
        remote: "127.0.0.1:40001".parse().unwrap(),
        local: None,
    });
    let connect = ConnectRequest {
        protocol_version: 0,
        last_zxid_seen: 0,
        time_out: 30_000,
        session_id: 0,
        passwd: Some(Bytes::from_static(&[0; 16])),
        read_only: false,
    };
    let frame = |xid: i32, op: i32, record: &dyn crate::proto::WriteRecord| {
        let mut f = BytesMut::new();
        RequestHeader { xid, r#type: op }.write_to(&mut f);
        record.write_record(&mut f);
        f.freeze()
    };
    // The handshake, a create and a read of what it creates, all at once.
    let mut out = h.input(Input::Frame {
        conn,
        frame: Bytes::from(jute::Record::to_bytes(&connect)),
    });
    out.extend(h.input(Input::Frame {
        conn,
        frame: frame(1, op::CREATE, &create("/p", b"x", 0)),
    }));
    out.extend(h.input(Input::Frame {
        conn,
        frame: frame(
            2,
            op::GET_DATA,
            &GetDataRequest {
                path: Some("/p".into()),
                watch: false,
            },
        ),
    }));
    assert!(
        sent_to(&out, conn).is_empty(),
        "nothing before the session is durable"
    );
    let mut out = h.input(Input::Durable { zxid: 1 });
    out.extend(h.input(Input::Durable { zxid: 2 }));
    let frames = sent_to(&out, conn);
    assert_eq!(
        frames.len(),
        3,
        "connect response, create, getData: {frames:?}"
    );
    let header =
        |f: &Bytes| ReplyHeader::read_from(&mut Reader::new(&f[4..], Limits::default())).unwrap();
    assert_eq!((header(&frames[1]).xid, header(&frames[1]).err), (1, 0));
    assert_eq!(
        (header(&frames[2]).xid, header(&frames[2]).err),
        (2, 0),
        "the read sees the create"
    );
}
