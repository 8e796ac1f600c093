//! A small synchronous ZooKeeper client on [`RawClient`] for tests that need
//! to write fast and exactly (pipelined requests whose replies are counted
//! one by one) and to read a whole tree the same way from any server.
//!
//! It keeps no state a test cannot see: no pings (keep sessions long enough
//! for the test), no reconnects, replies in the order the server sends
//! them. Notifications are skipped.
//!
//! [`ZkClient::dump_tree`] reads every node (data, stat, ACL) of a server
//! level by level, pipelining the requests of a level; [`TreeDump`] prints
//! one line per node, so that the trees two servers serve compare as text.

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::time::{Duration, Instant};

use bytes::Bytes;
use jute::data::{Id, Stat, ACL};
use jute::proto::{
    AuthPacket, Create2Response, CreateRequest, DeleteRequest, GetACLRequest, GetACLResponse,
    GetChildrenRequest, GetChildrenResponse, GetDataRequest, GetDataResponse, ReplyHeader,
    SetDataRequest, SetDataResponse,
};
use jute::{Jute, Limits, Reader};
use rzk::proto::op;

use crate::raw_client::{Handshake, Incoming, RawClient, Reply, PATIENCE};

/// ZooKeeper error codes the tests look at.
pub mod err {
    pub const OK: i32 = 0;
    pub const CONNECTION_LOSS: i32 = -4;
    pub const NO_NODE: i32 = -101;
    pub const NO_AUTH: i32 = -102;
    pub const NODE_EXISTS: i32 = -110;
    pub const SESSION_EXPIRED: i32 = -112;
}

/// `world:anyone` with every permission.
pub fn open_acl() -> Vec<ACL> {
    vec![ACL {
        perms: 31,
        id: Id {
            scheme: Some("world".into()),
            id: Some("anyone".into()),
        },
    }]
}

/// A client connection with a session.
pub struct ZkClient {
    raw: RawClient,
    port: u16,
}

/// Why a reply is not what a test asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZkError {
    /// The server answered with this error code.
    Code(i32),
    /// The connection closed, or no reply came in time.
    Lost(String),
}

impl fmt::Display for ZkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ZkError::Code(code) => write!(f, "error code {code}"),
            ZkError::Lost(why) => write!(f, "connection lost: {why}"),
        }
    }
}

impl std::error::Error for ZkError {}

fn decode<T: Jute>(body: &[u8]) -> T {
    let mut reader = Reader::new(body, Limits::new(64 << 20, None));
    T::read_from(&mut reader).unwrap_or_else(|e| panic!("cannot decode a reply: {e}"))
}

impl ZkClient {
    /// Connects to 127.0.0.1:`port` with a new session of `timeout_ms`.
    pub fn connect(port: u16, timeout_ms: i32) -> io::Result<ZkClient> {
        Self::handshake(port, 0, &[0; 16], timeout_ms, 0)
    }

    /// Reconnects to session `session_id` with its password. Returns
    /// `Ok(None)` if the server says the session is gone (expired).
    pub fn resume(
        port: u16,
        session_id: i64,
        password: &[u8],
        timeout_ms: i32,
        last_zxid_seen: i64,
    ) -> io::Result<Option<ZkClient>> {
        match Self::handshake(port, session_id, password, timeout_ms, last_zxid_seen) {
            Ok(client) => Ok(Some(client)),
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn handshake(
        port: u16,
        session_id: i64,
        password: &[u8],
        timeout_ms: i32,
        last_zxid_seen: i64,
    ) -> io::Result<ZkClient> {
        let mut raw = RawClient::connect(port)?;
        let request = jute::proto::ConnectRequest {
            protocol_version: 0,
            last_zxid_seen,
            time_out: timeout_ms,
            session_id,
            passwd: Some(Bytes::copy_from_slice(password)),
            read_only: false,
        };
        match raw.handshake(&request, true) {
            Handshake::Answered { response, .. } if response.session_id != 0 => {
                Ok(ZkClient { raw, port })
            }
            Handshake::Answered { .. } => Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "the session has expired",
            )),
            other => Err(io::Error::other(format!(
                "no session from port {port}: {other:?}"
            ))),
        }
    }

    /// The session id.
    pub fn session_id(&self) -> i64 {
        self.raw.session_id
    }

    /// The session password.
    pub fn password(&self) -> &[u8] {
        &self.raw.password
    }

    /// The negotiated session timeout.
    pub fn timeout(&self) -> i32 {
        self.raw.timeout
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Sends a request without waiting; returns its xid.
    pub fn send(&mut self, op_code: i32, record: &impl Jute) -> Result<i32, ZkError> {
        let xid = self.raw.next_xid();
        self.raw
            .send(xid, op_code, record)
            .map_err(|e| ZkError::Lost(e.to_string()))?;
        Ok(xid)
    }

    /// The next reply (notifications are skipped), waiting at most
    /// `timeout`.
    pub fn recv(&mut self, timeout: Duration) -> Result<Reply, ZkError> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.raw.read_frame(left) {
                Incoming::Frame(frame) => {
                    let reply = Reply::parse(&frame)
                        .ok_or_else(|| ZkError::Lost(format!("a short frame {frame:?}")))?;
                    if !reply.is_notification() {
                        return Ok(reply);
                    }
                }
                Incoming::Closed { .. } => return Err(ZkError::Lost("closed".into())),
                Incoming::Timeout => return Err(ZkError::Lost(format!("no reply in {timeout:?}"))),
            }
        }
    }

    /// Sends a request and waits for its reply: the header and the body of
    /// a successful reply, or the error code.
    pub fn call(&mut self, op_code: i32, record: &impl Jute) -> Result<(i64, Vec<u8>), ZkError> {
        let xid = self.send(op_code, record)?;
        let reply = self.recv(PATIENCE)?;
        assert_eq!(reply.header.xid, xid, "replies come in order");
        if reply.header.err != err::OK {
            return Err(ZkError::Code(reply.header.err));
        }
        Ok((reply.header.zxid, reply.body))
    }

    /// `addAuth` (digest `user:password`, …); waits for the answer.
    pub fn add_auth(&mut self, scheme: &str, auth: &[u8]) -> Result<(), ZkError> {
        let packet = AuthPacket {
            r#type: 0,
            scheme: Some(scheme.into()),
            auth: Some(Bytes::copy_from_slice(auth)),
        };
        self.raw
            .send(-4, op::AUTH, &packet)
            .map_err(|e| ZkError::Lost(e.to_string()))?;
        let reply = self.recv(PATIENCE)?;
        match reply.header.err {
            err::OK => Ok(()),
            code => Err(ZkError::Code(code)),
        }
    }

    /// `create2` of a persistent node with `world:anyone` ACL: the zxid of
    /// the create.
    pub fn create(&mut self, path: &str, data: &[u8]) -> Result<i64, ZkError> {
        let (_, body) = self.call(op::CREATE2, &create_request(path, data, 0))?;
        Ok(decode::<Create2Response>(&body).stat.czxid)
    }

    /// `setData` with any version: the new stat.
    pub fn set_data(&mut self, path: &str, data: &[u8]) -> Result<Stat, ZkError> {
        let (_, body) = self.call(op::SET_DATA, &set_data_request(path, data))?;
        Ok(decode::<SetDataResponse>(&body).stat)
    }

    pub fn delete(&mut self, path: &str) -> Result<(), ZkError> {
        self.call(
            op::DELETE,
            &DeleteRequest {
                path: Some(path.into()),
                version: -1,
            },
        )
        .map(|_| ())
    }

    /// `getData` without a watch.
    pub fn get_data(&mut self, path: &str) -> Result<(Option<Bytes>, Stat), ZkError> {
        let (_, body) = self.call(op::GET_DATA, &get_data_request(path))?;
        let response = decode::<GetDataResponse>(&body);
        Ok((response.data, response.stat))
    }

    /// Whether `path` exists (a `getData` that finds no node says no).
    pub fn exists(&mut self, path: &str) -> Result<bool, ZkError> {
        match self.get_data(path) {
            Ok(_) => Ok(true),
            Err(ZkError::Code(err::NO_NODE)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    pub fn get_children(&mut self, path: &str) -> Result<Vec<String>, ZkError> {
        let (_, body) = self.call(op::GET_CHILDREN, &get_children_request(path))?;
        Ok(decode::<GetChildrenResponse>(&body)
            .children
            .unwrap_or_default())
    }

    /// Reads the whole tree (data, stat, ACL of every node), a level at a
    /// time with the requests of a level pipelined. Nodes the client may
    /// not read show the error code instead.
    pub fn dump_tree(&mut self) -> Result<TreeDump, ZkError> {
        let mut nodes = BTreeMap::new();
        let mut level = vec!["/".to_string()];
        while !level.is_empty() {
            // Three requests per node, in flight together (in batches, so
            // that the socket buffers never fill on both sides).
            let mut next = Vec::new();
            for batch in level.chunks(200) {
                for path in batch {
                    self.send(op::GET_DATA, &get_data_request(path))?;
                    self.send(
                        op::GET_ACL,
                        &GetACLRequest {
                            path: Some(path.clone()),
                        },
                    )?;
                    self.send(op::GET_CHILDREN, &get_children_request(path))?;
                }
                for path in batch {
                    let data = self.recv(PATIENCE)?;
                    let acl = self.recv(PATIENCE)?;
                    let children = self.recv(PATIENCE)?;
                    let node = NodeDump {
                        data: (data.header.err == err::OK)
                            .then(|| decode::<GetDataResponse>(&data.body)),
                        data_err: data.header.err,
                        acl: (acl.header.err == err::OK)
                            .then(|| decode::<GetACLResponse>(&acl.body).acl.unwrap_or_default()),
                        acl_err: acl.header.err,
                    };
                    if children.header.err == err::OK {
                        let mut names = decode::<GetChildrenResponse>(&children.body)
                            .children
                            .unwrap_or_default();
                        names.sort();
                        for name in names {
                            next.push(if path == "/" {
                                format!("/{name}")
                            } else {
                                format!("{path}/{name}")
                            });
                        }
                    }
                    nodes.insert(path.clone(), node);
                }
            }
            level = next;
        }
        Ok(TreeDump { nodes })
    }

    /// Closes the session (`closeSession`) and waits for the answer.
    pub fn close_session(mut self) -> Result<(), ZkError> {
        let xid = self.raw.next_xid();
        self.raw
            .send_raw(xid, op::CLOSE_SESSION, &[])
            .map_err(|e| ZkError::Lost(e.to_string()))?;
        self.recv(PATIENCE).map(|_| ())
    }

    /// Drops the connection without closing the session (as a client that
    /// dies does): the session lives on until it expires.
    pub fn abandon(mut self) {
        self.raw.shutdown();
    }
}

pub fn create_request(path: &str, data: &[u8], flags: i32) -> CreateRequest {
    CreateRequest {
        path: Some(path.into()),
        data: Some(Bytes::copy_from_slice(data)),
        acl: Some(open_acl()),
        flags,
    }
}

pub fn set_data_request(path: &str, data: &[u8]) -> SetDataRequest {
    SetDataRequest {
        path: Some(path.into()),
        data: Some(Bytes::copy_from_slice(data)),
        version: -1,
    }
}

fn get_data_request(path: &str) -> GetDataRequest {
    GetDataRequest {
        path: Some(path.into()),
        watch: false,
    }
}

fn get_children_request(path: &str) -> GetChildrenRequest {
    GetChildrenRequest {
        path: Some(path.into()),
        watch: false,
    }
}

/// The header and body of a successful reply decoded as `T`.
pub fn decode_reply<T: Jute>(reply: &Reply) -> Result<(ReplyHeader, T), ZkError> {
    if reply.header.err != err::OK {
        return Err(ZkError::Code(reply.header.err));
    }
    Ok((reply.header.clone(), decode(&reply.body)))
}

/// What a server serves for one node.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeDump {
    /// Data and stat, if readable.
    pub data: Option<GetDataResponse>,
    pub data_err: i32,
    pub acl: Option<Vec<ACL>>,
    pub acl_err: i32,
}

impl NodeDump {
    pub fn stat(&self) -> Option<&Stat> {
        self.data.as_ref().map(|d| &d.stat)
    }

    pub fn bytes(&self) -> Option<&[u8]> {
        self.data.as_ref().and_then(|d| d.data.as_deref())
    }
}

/// Every node a server serves, by path.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TreeDump {
    pub nodes: BTreeMap<String, NodeDump>,
}

/// Data as text: hex up to 64 bytes, else its length and CRC-32-like sum
/// (enough to tell two values apart in a diff), `NULL` for null.
fn data_text(data: Option<&[u8]>) -> String {
    match data {
        None => "NULL".into(),
        Some(d) if d.len() <= 64 => d.iter().map(|b| format!("{b:02x}")).collect(),
        Some(d) => {
            let mut h: u64 = 0xcbf2_9ce4_8422_2325;
            for b in d {
                h ^= u64::from(*b);
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
            format!("len={}:fnv={h:016x}", d.len())
        }
    }
}

/// `czxid,mzxid,ctime,mtime,version,cversion,aversion,ephemeralOwner,dataLength,numChildren,pzxid`.
pub fn stat_text(s: &Stat) -> String {
    format!(
        "{},{},{},{},{},{},{},{:#x},{},{},{}",
        s.czxid,
        s.mzxid,
        s.ctime,
        s.mtime,
        s.version,
        s.cversion,
        s.aversion,
        s.ephemeral_owner,
        s.data_length,
        s.num_children,
        s.pzxid
    )
}

pub fn acl_text(acl: &[ACL]) -> String {
    acl.iter()
        .map(|a| {
            format!(
                "{}:{}:{}",
                a.perms,
                a.id.scheme.as_deref().unwrap_or(""),
                a.id.id.as_deref().unwrap_or("")
            )
        })
        .collect::<Vec<_>>()
        .join(";")
}

impl TreeDump {
    /// One line per node, in path order: `path data stat acl`.
    pub fn lines(&self) -> Vec<String> {
        self.nodes
            .iter()
            .map(|(path, node)| {
                let data = match &node.data {
                    Some(d) => format!("{}\t{}", data_text(d.data.as_deref()), stat_text(&d.stat)),
                    None => format!("err {}", node.data_err),
                };
                let acl = match &node.acl {
                    Some(acl) => acl_text(acl),
                    None => format!("err {}", node.acl_err),
                };
                format!("{path}\t{data}\t{acl}")
            })
            .collect()
    }

    pub fn get(&self, path: &str) -> Option<&NodeDump> {
        self.nodes.get(path)
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The largest czxid, mzxid or pzxid of any node.
    pub fn max_zxid(&self) -> i64 {
        self.nodes
            .values()
            .filter_map(NodeDump::stat)
            .map(|s| s.czxid.max(s.mzxid).max(s.pzxid))
            .max()
            .unwrap_or(0)
    }

    /// The paths that differ between two dumps, with both lines (for
    /// assertion messages): `-` only or changed in `self`, `+` in `other`.
    pub fn diff(&self, other: &TreeDump) -> String {
        let ours: BTreeMap<&str, String> = self
            .nodes
            .keys()
            .map(String::as_str)
            .zip(self.lines())
            .collect();
        let theirs: BTreeMap<&str, String> = other
            .nodes
            .keys()
            .map(String::as_str)
            .zip(other.lines())
            .collect();
        let mut out = String::new();
        for (path, line) in &ours {
            if theirs.get(path) != Some(line) {
                out.push_str(&format!("- {line}\n"));
                if let Some(t) = theirs.get(path) {
                    out.push_str(&format!("+ {t}\n"));
                }
            }
        }
        for (path, line) in &theirs {
            if !ours.contains_key(path) {
                out.push_str(&format!("+ {line}\n"));
            }
        }
        out
    }
}

/// Asserts that two dumps are equal, showing only the differing nodes.
#[track_caller]
pub fn assert_same_tree(left: &TreeDump, right: &TreeDump, context: &str) {
    if left != right {
        panic!(
            "{context}: the trees differ ({} vs {} nodes)\n{}",
            left.len(),
            right.len(),
            left.diff(right)
        );
    }
}

/// The whole tree a server serves, read by a fresh session authenticated
/// as digest `u:p` (which the tests' ACLs grant), closed afterwards.
#[track_caller]
pub fn dump_server(port: u16) -> TreeDump {
    let mut client = ZkClient::connect(port, 30_000)
        .unwrap_or_else(|e| panic!("cannot connect to port {port}: {e}"));
    client
        .add_auth("digest", b"u:p")
        .unwrap_or_else(|e| panic!("addAuth on port {port}: {e}"));
    let dump = client
        .dump_tree()
        .unwrap_or_else(|e| panic!("dumping the tree on port {port}: {e}"));
    let _ = client.close_session();
    dump
}
