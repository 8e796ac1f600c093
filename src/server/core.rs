//! The standalone server core: a plain state machine driven by [`Input`]s
//! (connections, frames, time) that produces [`Output`]s (bytes to send,
//! connections to close). No sockets, no threads, no clock of its own: the
//! network shell feeds it, and tests drive it directly.
//!
//! A request goes through ZooKeeper's stages:
//! 1. **prepare** (`pipeline::prepare`): a write becomes a transaction with
//!    the next zxid (failed writes become error transactions);
//! 2. **log**: the transaction is handed to the log; it moves on once
//!    durable (in memory for now: at once);
//! 3. **apply**: the data tree applies it, watches fire;
//! 4. **reply**: the client gets its answer.
//!
//! Reads are answered from the tree at once, unless the same connection
//! has writes in flight: then they wait, so that a client never sees its
//! requests answered out of order.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::{BufMut, Bytes, BytesMut};
use jute::data::{Id, StatPersisted, ACL};
use jute::proto::{AuthPacket, ConnectResponse, GetSASLRequest, RequestHeader, SetSASLResponse};
use jute::{Jute, Limits, Reader};

use super::stats::{last_op_name, ConnStats, ServerStats};
use super::{ConnId, Input, Output};
use crate::auth::{java_socket_host_address, AuthIds, AuthSettings, ProviderRegistry};
use crate::config::FourLetterWordWhitelist;
use crate::pipeline::prepare::{
    NodeView, PrepContext, PrepSettings, Prepare, Prepared, WriteRequest,
};
use crate::proto::connect::{decode_connect, encode_connect_response};
use crate::proto::{op, reply_frame, ErrorCode};
use crate::session::{
    generate_password, negotiate_timeout, ExpiryQueue, SessionTracker, STANDALONE_SERVER_ID,
};
use crate::tree::{Applied, DataTree, EphemeralType, TreeConfig};
use crate::txn::Txn;
use crate::watch::{Notification, WatcherId, Watches};

/// The current time, as the shell reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    /// Wall clock, ms since the epoch (txn times, ctime/mtime).
    pub wall_ms: i64,
    /// Monotonic ms (sessions, latencies).
    pub elapsed_ms: i64,
}

/// What the `conf` four-letter word reports, and where the server lives.
#[derive(Debug, Clone, Default)]
pub struct ServerInfo {
    pub client_port: i32,
    pub secure_client_port: i32,
    pub data_dir: String,
    pub data_log_dir: String,
    pub max_client_cnxns: i32,
    pub client_port_listen_backlog: i32,
    pub server_id: i64,
}

/// Everything the core is configured with.
#[derive(Debug, Clone)]
pub struct CoreSettings {
    pub tick_time: i32,
    pub min_session_timeout: i32,
    pub max_session_timeout: i32,
    pub limits: Limits,
    pub skip_acl: bool,
    pub enforce_quota: bool,
    pub prep: PrepSettings,
    pub tree: TreeConfig,
    pub auth: AuthSettings,
    pub four_letter_words: FourLetterWordWhitelist,
    /// `zookeeper.nio.sessionlessCnxnTimeout`: a connection that has not
    /// finished its handshake in this time is closed.
    pub sessionless_timeout_ms: i64,
    /// The container and TTL reaper (`znode.container.*`).
    pub containers: ContainerSettings,
    pub info: ServerInfo,
}

/// How empty containers and expired TTL nodes are reaped (Java's
/// `ContainerManager`).
#[derive(Debug, Clone, Copy)]
pub struct ContainerSettings {
    /// `znode.container.checkIntervalMs`: time between checks.
    pub check_interval_ms: i64,
    /// `znode.container.maxPerMinute`: the deletion rate limit.
    pub max_per_minute: i64,
    /// `znode.container.maxNeverUsedIntervalMs`: a container that never had
    /// a child is deleted after this long (0 = never).
    pub max_never_used_interval_ms: i64,
}

/// The container reaper's schedule.
#[derive(Debug, Default)]
struct Reaper {
    next_check_elapsed_ms: i64,
    next_delete_elapsed_ms: i64,
    queue: VecDeque<String>,
}

/// Where a connection is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ConnState {
    /// Waiting for the ConnectRequest.
    Handshake,
    /// A new session's createSession is in flight.
    Establishing,
    /// Serving requests.
    Open,
}

/// One client connection.
pub(super) struct Conn {
    pub(super) remote: SocketAddr,
    state: ConnState,
    pub(super) session_id: i64,
    pub(super) timeout: i32,
    sent_read_only: bool,
    pub(super) auth: AuthIds,
    /// `auth` in Java's iteration order, as ACL checks take it (kept in
    /// step with `auth`, which only grows with addAuth).
    pub(super) auth_list: Arc<[Id]>,
    /// Requests that wait behind a write of this connection that is in
    /// flight, in arrival order.
    waiting: VecDeque<Waiting>,
    /// Frames that arrived while the session was being established.
    pending_frames: VecDeque<Bytes>,
    pub(super) stats: ConnStats,
    /// Requests accepted and not yet answered.
    pub(super) outstanding: usize,
    pub(super) established_wall_ms: i64,
}

/// A request of a connection that has to wait its turn.
enum Waiting {
    /// A write (or sync) in flight: later requests wait for its reply.
    InFlight,
    /// A read to answer once the writes before it are answered.
    Read(ReadRequest),
}

/// A read, kept until its turn.
pub(super) struct ReadRequest {
    pub(super) xid: i32,
    pub(super) op: i32,
    pub(super) body: Bytes,
    pub(super) created_elapsed_ms: i64,
}

/// Where prepared transactions go to become durable: the transaction log
/// (appended and fsynced by its own thread, which reports back with
/// [`Input::Durable`]). Without one the core keeps data in memory and
/// treats every transaction as durable at once.
pub trait TxnSink: Send {
    /// Hands a transaction over, in zxid order. An error means the log can
    /// take nothing more: the server must stop.
    fn append(&mut self, txn: &Txn) -> Result<(), String>;
}

/// A write in flight: prepared, waiting for the log, then applied.
struct InFlight {
    /// `None` for a sync, which only needs the writes before it.
    txn: Option<Txn>,
    /// Applied once the log is durable up to this zxid: the txn's own, or
    /// for a sync the last zxid handed to the log before it.
    durable_at: i64,
    conn: Option<ConnId>,
    session_id: i64,
    xid: i32,
    op: i32,
    body: Bytes,
    created_elapsed_ms: i64,
}

/// The standalone server core.
pub struct Core {
    pub(super) settings: CoreSettings,
    pub(super) tree: DataTree,
    pub(super) watches: Watches,
    pub(super) sessions: SessionTracker<()>,
    pub(super) auth: ProviderRegistry,
    prep: Prepare,
    pub(super) conns: HashMap<ConnId, Conn>,
    /// The connection each session is attached to.
    by_session: HashMap<i64, ConnId>,
    in_flight: VecDeque<InFlight>,
    pub(super) stats: ServerStats,
    pub(super) started_elapsed_ms: i64,
    reaper: Reaper,
    /// When each connection is closed for idling: its session timeout (or
    /// the sessionless timeout before the handshake) after its last frame,
    /// in buckets as Java's NIO connection factory keeps them.
    pub(super) conn_expiry: ExpiryQueue<ConnId>,
    /// Java's `ZooTrace` text trace mask, which `gtmk` shows and `stmk`
    /// sets (it changes nothing else here).
    pub(super) trace_mask: i64,
    /// The transaction log, or `None` to keep data in memory only.
    log: Option<Box<dyn TxnSink>>,
    /// Every transaction up to this zxid is durable.
    durable_zxid: i64,
    /// Set when the server cannot go on (the log failed).
    fatal: Option<String>,
}

/// `ZooTrace`'s default trace mask: client requests, server packets,
/// sessions and warnings.
pub const DEFAULT_TRACE_MASK: i64 = (1 << 1) | (1 << 4) | (1 << 5) | (1 << 8);

/// An error that stops the server from starting.
#[derive(Debug)]
pub struct CoreError(pub String);

impl std::fmt::Display for CoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CoreError {}

impl Core {
    /// A server with an empty tree.
    pub fn new(settings: CoreSettings, now: Now) -> Result<Core, CoreError> {
        let settings_copy = settings.containers;
        let sessionless_ms = settings
            .sessionless_timeout_ms
            .clamp(1, i64::from(i32::MAX)) as i32;
        let tree = DataTree::new(settings.tree);
        let auth = ProviderRegistry::new(&settings.auth)
            .map_err(|e| CoreError(format!("authentication settings: {e}")))?;
        let sessions = SessionTracker::new(
            settings.tick_time,
            STANDALONE_SERVER_ID,
            now.elapsed_ms,
            std::iter::empty(),
        );
        let prep = Prepare::new(settings.prep.clone(), tree.last_processed_zxid());
        Ok(Core {
            settings,
            tree,
            watches: Watches::new(),
            sessions,
            auth,
            prep,
            conns: HashMap::new(),
            by_session: HashMap::new(),
            in_flight: VecDeque::new(),
            stats: ServerStats {
                last_response_size: -1,
                ..ServerStats::default()
            },
            started_elapsed_ms: now.elapsed_ms,
            reaper: Reaper {
                next_check_elapsed_ms: now.elapsed_ms + settings_check_interval(&settings_copy),
                ..Reaper::default()
            },
            conn_expiry: ExpiryQueue::new(sessionless_ms, now.elapsed_ms),
            trace_mask: DEFAULT_TRACE_MASK,
            log: None,
            durable_zxid: 0,
            fatal: None,
        })
    }

    /// A server that starts from restored state (a snapshot and the logs
    /// after it): the tree and the committed sessions with their timeouts.
    pub fn restored(
        settings: CoreSettings,
        now: Now,
        tree: DataTree,
        sessions: impl IntoIterator<Item = (i64, i32)>,
    ) -> Result<Core, CoreError> {
        let mut core = Core::new(settings, now)?;
        core.sessions = SessionTracker::new(
            core.settings.tick_time,
            STANDALONE_SERVER_ID,
            now.elapsed_ms,
            sessions,
        );
        core.prep = Prepare::new(core.settings.prep.clone(), tree.last_processed_zxid());
        core.durable_zxid = tree.last_processed_zxid();
        core.tree = tree;
        Ok(core)
    }

    /// Sends transactions to `log` from now on; they are applied and
    /// answered when the log reports them durable ([`Input::Durable`]).
    pub fn set_log(&mut self, log: Box<dyn TxnSink>) {
        self.log = Some(log);
    }

    /// The sessions a snapshot records: id → timeout.
    pub fn committed_sessions(&self) -> Vec<(i64, i32)> {
        self.sessions
            .committed_sessions()
            .iter()
            .map(|(&id, &timeout)| (id, timeout))
            .collect()
    }

    /// The data tree (for tests and tools).
    pub fn tree(&self) -> &DataTree {
        &self.tree
    }

    /// Requests accepted and not yet answered, over all connections.
    pub fn outstanding_requests(&self) -> usize {
        self.conns.values().map(|c| c.outstanding).sum()
    }

    /// The number of client connections.
    pub fn connection_count(&self) -> usize {
        self.conns.len()
    }

    /// Handles one input; what to do is appended to `out`.
    pub fn handle(&mut self, input: Input, now: Now, out: &mut Vec<Output>) {
        match input {
            Input::Accepted { conn, remote, .. } => self.accepted(conn, remote, now),
            Input::Frame { conn, frame } => self.frame(conn, frame, now, out),
            Input::FourLetterWord {
                conn,
                word,
                trace_mask,
            } => self.four_letter_word(conn, word, trace_mask, now, out),
            Input::Closed { conn } => self.closed(conn),
            Input::Tick => self.tick(now, out),
            Input::Durable { zxid } => {
                self.durable_zxid = self.durable_zxid.max(zxid);
                self.drain(now, out);
            }
            Input::LogFailed { reason } => {
                self.fatal = Some(format!("the transaction log failed: {reason}"));
            }
            // Snapshots are the shell's business.
            Input::SnapshotDue { .. } | Input::Wake => {}
        }
        if let Some(reason) = self.fatal.take() {
            tracing::error!("{reason}");
            out.push(Output::Stop { reason });
        }
    }

    fn accepted(&mut self, conn: ConnId, remote: SocketAddr, now: Now) {
        let host = java_socket_host_address(&remote);
        self.conn_expiry
            .update(conn, self.sessionless_timeout(), now.elapsed_ms);
        self.conns.insert(
            conn,
            Conn {
                remote,
                state: ConnState::Handshake,
                session_id: 0,
                timeout: 0,
                sent_read_only: false,
                auth_list: AuthIds::for_connection(&host).to_vec().into(),
                auth: AuthIds::for_connection(&host),
                waiting: VecDeque::new(),
                pending_frames: VecDeque::new(),
                stats: ConnStats::new(),
                outstanding: 0,
                established_wall_ms: now.wall_ms,
            },
        );
    }

    fn closed(&mut self, conn: ConnId) {
        self.conn_expiry.remove(&conn);
        if let Some(c) = self.conns.remove(&conn) {
            if self.by_session.get(&c.session_id) == Some(&conn) {
                self.by_session.remove(&c.session_id);
            }
            self.watches.remove_watcher(conn);
        }
    }

    /// Closes a connection from the server side. The connection is
    /// forgotten at once, as Java takes it out of its connection factory
    /// before it closes the socket: a client that sees the close can count
    /// on the connection being gone (from `cons`, `srvr`'s count, …), and
    /// anything more that arrives from it is ignored.
    fn close(&mut self, conn: ConnId, out: &mut Vec<Output>) {
        if self.conns.contains_key(&conn) {
            out.push(Output::Close { conn });
            self.closed(conn);
        }
    }

    /// Sends a reply or notification frame to a connection that is still
    /// there.
    fn send(&mut self, conn: ConnId, bytes: Bytes, out: &mut Vec<Output>) {
        if let Some(c) = self.conns.get_mut(&conn) {
            c.stats.packets_sent += 1;
            self.stats.packets_sent += 1;
            self.stats.response_size(bytes.len());
            out.push(Output::Send { conn, bytes });
        }
    }

    fn frame(&mut self, conn: ConnId, frame: Bytes, now: Now, out: &mut Vec<Output>) {
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        self.stats.packets_received += 1;
        self.stats.bytes_received += 4 + frame.len() as u64;
        c.stats.packets_received += 1;
        let timeout = if c.timeout > 0 {
            c.timeout
        } else {
            self.settings
                .sessionless_timeout_ms
                .clamp(1, i64::from(i32::MAX)) as i32
        };
        self.conn_expiry.update(conn, timeout, now.elapsed_ms);
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        match c.state {
            ConnState::Handshake => self.connect(conn, &frame, now, out),
            ConnState::Open => self.request(conn, frame, now, out),
            // Java does not read while a session is being established: the
            // frames wait, and are processed in order once it is.
            ConnState::Establishing => c.pending_frames.push_back(frame),
        }
    }

    // ----- the handshake ---------------------------------------------------

    fn connect(&mut self, conn: ConnId, frame: &[u8], now: Now, out: &mut Vec<Output>) {
        let connect = match decode_connect(frame, self.settings.limits) {
            Ok(connect) => connect,
            Err(e) => {
                tracing::warn!(conn, "closing: malformed connect request: {e}");
                self.stats.unsuccessful_handshakes += 1;
                self.close(conn, out);
                return;
            }
        };
        let request = connect.request;
        let last_zxid = self.tree.last_processed_zxid();
        if request.last_zxid_seen > last_zxid {
            tracing::info!(
                conn,
                "refusing session request: the client has seen zxid 0x{:x}, our last zxid is 0x{:x}; \
                 the client must try another server",
                request.last_zxid_seen,
                last_zxid
            );
            self.close(conn, out);
            return;
        }
        let timeout = negotiate_timeout(
            request.time_out,
            self.settings.min_session_timeout,
            self.settings.max_session_timeout,
        );
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        c.timeout = timeout;
        c.sent_read_only = connect.sent_read_only;
        if request.session_id == 0 {
            let session_id = self.sessions.create_session(timeout, now.elapsed_ms);
            c.session_id = session_id;
            c.state = ConnState::Establishing;
            tracing::debug!(conn, "new session 0x{session_id:x}, timeout {timeout}");
            let txn = {
                let mut ctx = prep_context!(self, now);
                self.prep
                    .create_session(&mut ctx, session_id, timeout, now.wall_ms)
            };
            self.by_session.insert(session_id, conn);
            self.submit(InFlight {
                durable_at: 0,
                txn: Some(txn),
                conn: Some(conn),
                session_id,
                xid: 0,
                op: op::CREATE_SESSION,
                body: Bytes::new(),
                created_elapsed_ms: now.elapsed_ms,
            });
            self.drain(now, out);
        } else {
            let session_id = request.session_id;
            // Another connection of this session is closed first.
            if let Some(&other) = self.by_session.get(&session_id) {
                if other != conn {
                    self.close(other, out);
                    self.by_session.remove(&session_id);
                }
            }
            let password_ok = request
                .passwd
                .as_deref()
                .is_some_and(|p| p == generate_password(session_id));
            let valid = password_ok
                && self
                    .sessions
                    .touch_session(session_id, timeout, now.elapsed_ms);
            if !password_ok {
                tracing::warn!(conn, "incorrect password for session 0x{session_id:x}");
            }
            self.finish_session_init(conn, session_id, valid, now, out);
        }
    }

    /// Answers the handshake (Java's `finishSessionInit`).
    fn finish_session_init(
        &mut self,
        conn: ConnId,
        session_id: i64,
        valid: bool,
        now: Now,
        out: &mut Vec<Output>,
    ) {
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        let response = ConnectResponse {
            protocol_version: 0,
            time_out: if valid { c.timeout } else { 0 },
            session_id: if valid { session_id } else { 0 },
            passwd: Some(Bytes::copy_from_slice(&if valid {
                generate_password(session_id)
            } else {
                [0u8; 16]
            })),
            read_only: false,
        };
        let bytes = encode_connect_response(&response, c.sent_read_only);
        out.push(Output::Send { conn, bytes });
        if valid {
            c.session_id = session_id;
            c.state = ConnState::Open;
            c.established_wall_ms = now.wall_ms;
            self.by_session.insert(session_id, conn);
            // Requests that arrived while the session was being made.
            let pending = std::mem::take(&mut c.pending_frames);
            for frame in pending {
                self.request(conn, frame, now, out);
            }
        } else {
            tracing::info!(conn, "invalid session 0x{session_id:x}, probably expired");
            self.close(conn, out);
        }
    }

    // ----- requests --------------------------------------------------------

    fn request(&mut self, conn: ConnId, frame: Bytes, now: Now, out: &mut Vec<Output>) {
        let Some(header) = parse_header(&frame) else {
            tracing::warn!(conn, "closing: malformed request header");
            self.close(conn, out);
            return;
        };
        let body = frame.slice(8..);
        let (session_id, timeout) = match self.conns.get(&conn) {
            Some(c) => (c.session_id, c.timeout),
            None => return,
        };
        if header.r#type == op::AUTH {
            self.add_auth(conn, header.xid, &body, out);
            return;
        }
        if header.r#type == op::SASL {
            self.sasl(conn, header.xid, &body, out);
            return;
        }
        // Every request keeps its session alive; a session that is closing
        // or gone drops the request, as Java does.
        if !self
            .sessions
            .touch_session(session_id, timeout, now.elapsed_ms)
        {
            tracing::debug!(
                conn,
                "dropping a request of session 0x{session_id:x}, which is closing"
            );
            return;
        }
        if !is_valid_op(header.r#type) {
            tracing::warn!(conn, "received a request of unknown type {}", header.r#type);
            let frame = reply_frame(header.xid, -1, ErrorCode::Unimplemented.code(), None);
            self.send(conn, frame, out);
            self.close(conn, out);
            return;
        }
        if let Some(c) = self.conns.get_mut(&conn) {
            c.outstanding += 1;
            c.stats.last_cxid = i64::from(header.xid);
        }
        if is_write(header.r#type) {
            self.write(conn, session_id, header, body, now, out);
        } else {
            let read = ReadRequest {
                xid: header.xid,
                op: header.r#type,
                body,
                created_elapsed_ms: now.elapsed_ms,
            };
            let waits = self.conns.get(&conn).is_some_and(|c| !c.waiting.is_empty());
            if waits {
                if let Some(c) = self.conns.get_mut(&conn) {
                    c.waiting.push_back(Waiting::Read(read));
                }
            } else {
                self.read(conn, read, now, out);
            }
        }
    }

    fn add_auth(&mut self, conn: ConnId, xid: i32, body: &[u8], out: &mut Vec<Output>) {
        let Some(c) = self.conns.get(&conn) else {
            return;
        };
        let host = java_socket_host_address(&c.remote);
        let Ok(packet) = AuthPacket::read_from(&mut Reader::new(body, self.settings.limits)) else {
            // Java fails to read the packet before it can answer: the
            // connection is closed without a reply.
            tracing::warn!(conn, "closing: malformed auth packet");
            self.close(conn, out);
            return;
        };
        let result = match (packet.scheme.as_deref(), packet.auth.as_deref()) {
            // Java's digest provider makes a String of the data, which
            // throws on null; the exception is answered as AUTHFAILED.
            (Some("digest"), None) => Err(ErrorCode::AuthFailed),
            (scheme, data) => {
                self.auth
                    .authenticate(scheme.unwrap_or_default(), data.unwrap_or_default(), &host)
            }
        };
        match result {
            Ok(ids) => {
                if let Some(c) = self.conns.get_mut(&conn) {
                    for id in ids {
                        c.auth.add(id);
                    }
                    c.auth_list = c.auth.to_vec().into();
                }
                let frame = reply_frame(xid, 0, 0, None);
                self.send(conn, frame, out);
            }
            Err(_) => {
                tracing::warn!(conn, "authentication failed");
                self.stats.auth_failed += 1;
                let frame = reply_frame(xid, 0, ErrorCode::AuthFailed.code(), None);
                self.send(conn, frame, out);
                self.close(conn, out);
            }
        }
    }

    /// A SASL token (opcode 102) on a server without SASL: Java has no
    /// SASL server for the connection, logs that, and answers OK with a
    /// null token (zxid 0, at once); the connection stays open. A request
    /// it cannot read (or a null token) closes the connection unanswered.
    fn sasl(&mut self, conn: ConnId, xid: i32, body: &[u8], out: &mut Vec<Output>) {
        let request = GetSASLRequest::read_from(&mut Reader::new(body, self.settings.limits));
        if !matches!(request, Ok(GetSASLRequest { token: Some(_) })) {
            tracing::warn!(conn, "closing: malformed SASL request");
            self.close(conn, out);
            return;
        }
        tracing::warn!(conn, "SASL token from a client, but SASL is not configured");
        let frame = reply_frame(xid, 0, 0, Some(&SetSASLResponse { token: None }));
        self.send(conn, frame, out);
    }

    fn write(
        &mut self,
        conn: ConnId,
        session_id: i64,
        header: RequestHeader,
        body: Bytes,
        now: Now,
        out: &mut Vec<Output>,
    ) {
        let auth: Arc<[Id]> = self
            .conns
            .get(&conn)
            .map_or_else(|| Arc::from(Vec::new()), |c| Arc::clone(&c.auth_list));
        let txn = if header.r#type == op::SYNC {
            None
        } else if header.r#type == op::CLOSE_SESSION {
            let mut ctx = prep_context!(self, now);
            Some(
                self.prep
                    .close_session(&mut ctx, session_id, header.xid, now.wall_ms),
            )
        } else {
            let request = WriteRequest {
                session_id,
                cxid: header.xid,
                op: header.r#type,
                body: &body,
                auth: &auth,
                time: now.wall_ms,
            };
            let mut ctx = prep_context!(self, now);
            match self.prep.write(&mut ctx, &request) {
                Prepared::Txn(txn) => Some(txn),
                Prepared::Malformed => {
                    // Answered in turn, without a transaction.
                    let read = ReadRequest {
                        xid: header.xid,
                        op: MALFORMED_WRITE,
                        body,
                        created_elapsed_ms: now.elapsed_ms,
                    };
                    let waits = self.conns.get(&conn).is_some_and(|c| !c.waiting.is_empty());
                    if waits {
                        if let Some(c) = self.conns.get_mut(&conn) {
                            c.waiting.push_back(Waiting::Read(read));
                        }
                    } else {
                        self.read(conn, read, now, out);
                    }
                    return;
                }
            }
        };
        if let Some(c) = self.conns.get_mut(&conn) {
            c.waiting.push_back(Waiting::InFlight);
        }
        self.submit(InFlight {
            durable_at: 0,
            txn,
            conn: Some(conn),
            session_id,
            xid: header.xid,
            op: header.r#type,
            body,
            created_elapsed_ms: now.elapsed_ms,
        });
        self.drain(now, out);
    }

    /// Hands a prepared write to the log stage; `drain` applies it once it
    /// is durable. Without a log it is durable at once.
    fn submit(&mut self, mut in_flight: InFlight) {
        in_flight.durable_at = match &in_flight.txn {
            Some(txn) => txn.zxid(),
            None => self.prep.last_zxid(),
        };
        match (&mut self.log, &in_flight.txn) {
            (Some(log), Some(txn)) => {
                if let Err(e) = log.append(txn) {
                    self.fatal = Some(format!("cannot append to the transaction log: {e}"));
                }
            }
            (None, _) => self.durable_zxid = self.prep.last_zxid(),
            (Some(_), None) => {}
        }
        self.in_flight.push_back(in_flight);
    }

    /// Applies and answers every durable write, in zxid order.
    fn drain(&mut self, now: Now, out: &mut Vec<Output>) {
        while self
            .in_flight
            .front()
            .is_some_and(|w| w.durable_at <= self.durable_zxid)
        {
            let Some(write) = self.in_flight.pop_front() else {
                break;
            };
            self.complete(write, now, out);
        }
    }

    /// The apply and reply stages of one write.
    fn complete(&mut self, write: InFlight, now: Now, out: &mut Vec<Output>) {
        let applied = write.txn.as_ref().map(|txn| self.apply(txn, now, out));
        match write.op {
            op::CREATE_SESSION if write.xid == 0 => {
                // The handshake of a new session completes.
                if let Some(conn) = write.conn {
                    let established = self
                        .conns
                        .get(&conn)
                        .is_some_and(|c| c.state == ConnState::Establishing);
                    if established {
                        self.finish_session_init(conn, write.session_id, true, now, out);
                    }
                }
                return;
            }
            op::CLOSE_SESSION if write.conn.is_none() => {
                // The expirer closed the session: drop its connection.
                if let Some(conn) = self.by_session.remove(&write.session_id) {
                    self.close(conn, out);
                }
                return;
            }
            _ => {}
        }
        let Some(conn) = write.conn else {
            return;
        };
        let zxid = self.tree.last_processed_zxid();
        let frame = super::reads::write_reply(
            write.op,
            write.xid,
            &write.body,
            write.txn.as_ref(),
            applied.as_ref(),
            self,
            zxid,
        );
        self.finish_request(
            conn,
            write.op,
            write.xid,
            zxid,
            write.created_elapsed_ms,
            true,
            now,
        );
        if let Some(frame) = frame {
            self.send(conn, frame, out);
        }
        if write.op == op::CLOSE_SESSION {
            self.by_session.remove(&write.session_id);
            self.close(conn, out);
            return;
        }
        let failed = write
            .txn
            .as_ref()
            .is_some_and(|t| matches!(t.body, crate::txn::TxnBody::Error(_)));
        if write.op == op::CREATE_SESSION && !failed {
            // A client that sent createSession itself gets a connect
            // response, as Java's final processor sends one (a malformed
            // one only gets its MARSHALLINGERROR).
            self.finish_session_init(conn, write.session_id, true, now, out);
        }
        // The write is answered: requests waiting behind it may go.
        if let Some(c) = self.conns.get_mut(&conn) {
            if matches!(c.waiting.front(), Some(Waiting::InFlight)) {
                c.waiting.pop_front();
            }
        }
        self.resume(conn, now, out);
    }

    /// Answers the reads at the front of a connection's queue, up to its
    /// next write in flight.
    fn resume(&mut self, conn: ConnId, now: Now, out: &mut Vec<Output>) {
        loop {
            let next = match self.conns.get_mut(&conn) {
                Some(c) if c.state == ConnState::Open => match c.waiting.front() {
                    Some(Waiting::Read(_)) => c.waiting.pop_front(),
                    _ => None,
                },
                _ => None,
            };
            let Some(Waiting::Read(read)) = next else {
                return;
            };
            self.read(conn, read, now, out);
        }
    }

    /// Bookkeeping when a request is answered.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn finish_request(
        &mut self,
        conn: ConnId,
        op_code: i32,
        cxid: i32,
        zxid: i64,
        created_elapsed_ms: i64,
        is_write: bool,
        now: Now,
    ) {
        let latency = (now.elapsed_ms - created_elapsed_ms).max(0);
        self.stats.latency.add(latency);
        if is_write {
            self.stats.update_latency.add(latency);
        } else {
            self.stats.read_latency.add(latency);
        }
        if let Some(c) = self.conns.get_mut(&conn) {
            c.outstanding = c.outstanding.saturating_sub(1);
            c.stats.latency.add(latency);
            c.stats.last_latency = latency;
            c.stats.last_operation = last_op_name(op_code);
            c.stats.last_cxid = i64::from(cxid);
            c.stats.last_zxid = zxid;
            c.stats.last_response_time = now.wall_ms;
        }
    }

    fn read(&mut self, conn: ConnId, read: ReadRequest, now: Now, out: &mut Vec<Output>) {
        let (frame, close) = super::reads::read_reply(self, conn, &read, out);
        let zxid = self.tree.last_processed_zxid();
        self.finish_request(
            conn,
            read.op,
            read.xid,
            zxid,
            read.created_elapsed_ms,
            false,
            now,
        );
        if let Some(frame) = frame {
            self.send(conn, frame, out);
        }
        if close {
            self.close(conn, out);
        }
    }

    /// The apply stage: the tree applies the transaction, sessions and
    /// pending changes are updated, and watches fire.
    fn apply(&mut self, txn: &Txn, _now: Now, out: &mut Vec<Output>) -> Applied {
        let applied = self.tree.apply(txn);
        match txn.header.r#type {
            op::CREATE_SESSION => {
                if let crate::txn::TxnBody::CreateSession(body) = &txn.body {
                    self.sessions
                        .commit_session(txn.header.client_id, body.time_out);
                }
            }
            op::CLOSE_SESSION => self.sessions.remove_session(txn.header.client_id),
            _ => {}
        }
        self.prep.applied(txn.header.zxid);
        self.record_write_stats(txn, &applied);
        let triggers = applied.triggers.clone();
        let notifications = self.watches.process_triggers(triggers);
        self.deliver(&notifications, out);
        applied
    }

    /// Bytes written per namespace, for each operation the tree applied.
    fn record_write_stats(&mut self, txn: &Txn, applied: &Applied) {
        use crate::txn::TxnBody;
        fn written(body: &TxnBody) -> Option<(&str, usize)> {
            let len = |d: &Option<Bytes>| d.as_ref().map_or(0, Bytes::len);
            match body {
                TxnBody::Create(t) | TxnBody::Create2(t) => {
                    Some((t.path.as_deref()?, len(&t.data)))
                }
                TxnBody::CreateContainer(t) => Some((t.path.as_deref()?, len(&t.data))),
                TxnBody::CreateTtl(t) => Some((t.path.as_deref()?, len(&t.data))),
                TxnBody::SetData(t) => Some((t.path.as_deref()?, len(&t.data))),
                TxnBody::Delete(t) | TxnBody::DeleteContainer(t) => Some((t.path.as_deref()?, 0)),
                _ => None,
            }
        }
        match &txn.body {
            TxnBody::Multi(ops) => {
                let results = applied.multi.as_deref().unwrap_or_default();
                for (op, result) in ops.iter().zip(results) {
                    if result.err == 0 {
                        if let Some((path, bytes)) = written(op) {
                            self.stats.namespace_write(path, bytes);
                        }
                    }
                }
            }
            TxnBody::CloseSession(Some(close)) => {
                for path in close.paths2_delete.iter().flatten() {
                    self.stats.namespace_write(path, 0);
                }
            }
            body if applied.err == 0 => {
                if let Some((path, bytes)) = written(body) {
                    self.stats.namespace_write(path, bytes);
                }
            }
            _ => {}
        }
    }

    /// Sends watch events to the connections allowed to read the node.
    pub(super) fn deliver(&mut self, notifications: &[Notification], out: &mut Vec<Output>) {
        for notification in notifications {
            let mut frame: Option<Bytes> = None;
            let recipients: Vec<WatcherId> = {
                let conns = &self.conns;
                let auth = &self.auth;
                let skip_acl = self.settings.skip_acl;
                notification
                    .readable_recipients(|watcher, acl| {
                        conns.get(&watcher).is_some_and(|c| {
                            auth.check_acl(
                                acl,
                                crate::proto::codes::perms::READ,
                                &c.auth_list,
                                skip_acl,
                            )
                            .is_ok()
                        })
                    })
                    .collect()
            };
            for watcher in recipients {
                let bytes = frame
                    .get_or_insert_with(|| Bytes::from(notification.event.notification_frame()))
                    .clone();
                self.send(watcher, bytes, out);
            }
        }
    }

    // ----- time ------------------------------------------------------------

    fn tick(&mut self, now: Now, out: &mut Vec<Output>) {
        for session_id in self.sessions.expire_due(now.elapsed_ms) {
            tracing::info!("expiring session 0x{session_id:x}: its timeout passed");
            self.sessions.set_session_closing(session_id);
            let txn = {
                let mut ctx = prep_context!(self, now);
                self.prep
                    .close_session(&mut ctx, session_id, 0, now.wall_ms)
            };
            self.submit(InFlight {
                durable_at: 0,
                txn: Some(txn),
                conn: None,
                session_id,
                xid: 0,
                op: op::CLOSE_SESSION,
                body: Bytes::new(),
                created_elapsed_ms: now.elapsed_ms,
            });
        }
        self.drain(now, out);
        self.reap_containers(now);
        self.drain(now, out);
        // Connections idle for longer than their timeout.
        for conn in self.conn_expiry.poll(now.elapsed_ms) {
            let handshaking = self
                .conns
                .get(&conn)
                .is_some_and(|c| c.state == ConnState::Handshake);
            if handshaking {
                self.stats.sessionless_connections_expired += 1;
            }
            tracing::debug!(conn, "closing an idle connection");
            self.close(conn, out);
        }
    }

    fn sessionless_timeout(&self) -> i32 {
        self.settings
            .sessionless_timeout_ms
            .clamp(1, i64::from(i32::MAX)) as i32
    }

    /// Deletes empty containers and expired TTL nodes, at most
    /// `maxPerMinute` a minute (Java's `ContainerManager`).
    fn reap_containers(&mut self, now: Now) {
        let settings = self.settings.containers;
        if self.reaper.queue.is_empty() && now.elapsed_ms >= self.reaper.next_check_elapsed_ms {
            self.reaper.next_check_elapsed_ms = now.elapsed_ms + settings_check_interval(&settings);
            let candidates = self.container_candidates(now);
            self.reaper.queue.extend(candidates);
        }
        let min_interval = 60_000 / settings.max_per_minute.max(1);
        while now.elapsed_ms >= self.reaper.next_delete_elapsed_ms {
            let Some(path) = self.reaper.queue.pop_front() else {
                break;
            };
            tracing::info!("attempting to delete candidate container: {path}");
            let txn = {
                let mut ctx = prep_context!(self, now);
                self.prep
                    .delete_container(&mut ctx, 0, 0, &path, now.wall_ms)
            };
            self.submit(InFlight {
                durable_at: 0,
                txn: Some(txn),
                conn: None,
                session_id: 0,
                xid: 0,
                op: op::DELETE_CONTAINER,
                body: Bytes::new(),
                created_elapsed_ms: now.elapsed_ms,
            });
            self.reaper.next_delete_elapsed_ms = now.elapsed_ms + min_interval;
        }
    }

    /// Containers without children that have had one (or have waited
    /// longer than `maxNeverUsedIntervalMs`), and childless TTL nodes whose
    /// TTL has passed since their last change.
    fn container_candidates(&self, now: Now) -> Vec<String> {
        let never_used = self.settings.containers.max_never_used_interval_ms;
        let owners = self.settings.tree.owners;
        let mut candidates: Vec<String> = Vec::new();
        for path in self.tree.containers() {
            let Some(node) = self.tree.node(path) else {
                continue;
            };
            if node.num_children() != 0 {
                continue;
            }
            let elapsed = now.wall_ms - node.stat().mtime;
            if node.stat().cversion > 0 || (never_used != 0 && elapsed > never_used) {
                candidates.push(path.to_string());
            }
        }
        for path in self.tree.ttls() {
            let Some(node) = self.tree.node(path) else {
                continue;
            };
            if node.num_children() != 0 {
                continue;
            }
            let owner = node.stat().ephemeral_owner;
            if EphemeralType::of(owner, owners) == EphemeralType::Ttl {
                let ttl = EphemeralType::ttl_of(owner);
                if ttl != 0 && now.wall_ms - node.stat().mtime > ttl {
                    candidates.push(path.to_string());
                }
            }
        }
        candidates.sort();
        candidates.dedup();
        candidates
    }

    // ----- four-letter words ----------------------------------------------

    fn four_letter_word(
        &mut self,
        conn: ConnId,
        word: &str,
        trace_mask: Option<i64>,
        now: Now,
        out: &mut Vec<Output>,
    ) {
        self.stats.packets_received += 1;
        let text = if !self.settings.four_letter_words.is_enabled(word) {
            format!("{word} is not executed because it is not in the whitelist.\n")
        } else if word == "stmk" {
            // Without its argument Java's read fails: nothing is answered.
            let Some(mask) = trace_mask else {
                self.close(conn, out);
                return;
            };
            self.trace_mask = mask;
            mask.to_string()
        } else {
            super::fourlw::run(self, conn, word, now)
        };
        self.stats.packets_sent += 1;
        out.push(Output::Send {
            conn,
            bytes: Bytes::from(text),
        });
        self.close(conn, out);
    }
}

/// The prepare stage's view of the core, borrowing only the fields it
/// needs so that the prepare stage itself can be borrowed beside it.
macro_rules! prep_context {
    ($core:expr, $now:expr) => {
        Context {
            tree: &$core.tree,
            sessions: &mut $core.sessions,
            auth: &$core.auth,
            skip_acl: $core.settings.skip_acl,
            enforce_quota: $core.settings.enforce_quota,
            now: $now,
        }
    };
}
use prep_context;

fn settings_check_interval(settings: &ContainerSettings) -> i64 {
    settings.check_interval_ms.max(1)
}

/// A marker op for a write request that could not be decoded: it is
/// answered with MARSHALLINGERROR in its turn.
pub(super) const MALFORMED_WRITE: i32 = i32::MIN;

/// Java's `Request.isValid`: the opcodes a client may send.
fn is_valid_op(op_code: i32) -> bool {
    matches!(
        op_code,
        op::CLOSE_SESSION
            | op::CREATE
            | op::CREATE2
            | op::CREATE_TTL
            | op::CREATE_CONTAINER
            | op::CREATE_SESSION
            | op::DELETE
            | op::DELETE_CONTAINER
            | op::EXISTS
            | op::GET_ACL
            | op::GET_CHILDREN
            | op::GET_ALL_CHILDREN_NUMBER
            | op::GET_CHILDREN2
            | op::GET_DATA
            | op::GET_EPHEMERALS
            | op::MULTI
            | op::MULTI_READ
            | op::PING
            | op::RECONFIG
            | op::SET_ACL
            | op::SET_DATA
            | op::SET_WATCHES
            | op::SET_WATCHES2
            | op::SYNC
            | op::CHECK_WATCHES
            | op::REMOVE_WATCHES
            | op::ADD_WATCH
            | op::WHO_AM_I
    )
}

/// Opcodes that go through the log (sync only waits for what is ahead).
fn is_write(op_code: i32) -> bool {
    matches!(
        op_code,
        op::CREATE
            | op::CREATE2
            | op::CREATE_TTL
            | op::CREATE_CONTAINER
            | op::DELETE
            | op::DELETE_CONTAINER
            | op::SET_DATA
            | op::SET_ACL
            | op::MULTI
            | op::RECONFIG
            | op::CLOSE_SESSION
            | op::CREATE_SESSION
            | op::SYNC
    )
}

fn parse_header(frame: &[u8]) -> Option<RequestHeader> {
    RequestHeader::read_from(&mut Reader::new(frame, Limits::default())).ok()
}

/// The prepare stage's view of the core.
struct Context<'a> {
    tree: &'a DataTree,
    sessions: &'a mut SessionTracker<()>,
    auth: &'a ProviderRegistry,
    skip_acl: bool,
    enforce_quota: bool,
    now: Now,
}

impl PrepContext for Context<'_> {
    fn node(&self, path: &str) -> Option<NodeView> {
        let node = self.tree.node(path)?;
        Some(NodeView {
            stat: node.stat(),
            child_count: node.num_children() as i32,
            acl: self
                .tree
                .node_acl(node)
                .unwrap_or_else(|| Arc::from(Vec::new())),
            data: node.data_bytes(),
            digest: self.tree.current_node_digest(path).unwrap_or(0) as u64,
        })
    }

    fn tree_digest(&self) -> u64 {
        self.tree.digest() as u64
    }

    fn node_digest(&self, path: &str, data: Option<&[u8]>, stat: &StatPersisted) -> u64 {
        self.tree.predict_node_digest(path, data, stat) as u64
    }

    fn ephemerals(&self, session_id: i64) -> Vec<String> {
        self.tree
            .ephemerals(session_id)
            .map(str::to_owned)
            .collect()
    }

    fn is_special_path(&self, path: &str) -> bool {
        matches!(
            path,
            "/" | "/zookeeper" | "/zookeeper/quota" | "/zookeeper/config"
        )
    }

    fn check_quota(
        &self,
        path: &str,
        last_data: Option<&[u8]>,
        new_data: Option<&[u8]>,
        is_create: bool,
    ) -> Result<(), ErrorCode> {
        self.tree.check_quota(
            path,
            last_data.map_or(0, <[u8]>::len),
            new_data.map_or(0, <[u8]>::len),
            is_create,
            self.enforce_quota,
        )
    }

    fn check_session(&mut self, session_id: i64) -> Result<(), ErrorCode> {
        self.sessions.check_session(session_id, &())
    }

    fn track_session(&mut self, session_id: i64, timeout: i32) {
        self.sessions
            .track_session(session_id, timeout, self.now.elapsed_ms);
    }

    fn set_session_closing(&mut self, session_id: i64) {
        self.sessions.set_session_closing(session_id);
    }

    fn check_acl(&self, acl: &[ACL], perm: i32, auth: &[Id]) -> Result<(), ErrorCode> {
        self.auth.check_acl(acl, perm, auth, self.skip_acl)
    }

    fn fixup_acl(&self, auth: &[Id], acl: Option<&[ACL]>) -> Result<Vec<ACL>, ErrorCode> {
        self.auth.fixup_acl(auth, acl)
    }
}

/// A reply frame with an already-encoded body.
pub(super) fn frame_with_body(xid: i32, zxid: i64, err: i32, body: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(20 + body.len());
    out.put_i32((16 + body.len()) as i32);
    out.put_i32(xid);
    out.put_i64(zxid);
    out.put_i32(err);
    out.put_slice(body);
    out.freeze()
}
