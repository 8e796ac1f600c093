//! The prepare stage (Java's `PrepRequestProcessor`): checks a write
//! request — path, session, ACL, versions, quota — assigns its zxid and
//! turns it into a transaction. A failed write still becomes a transaction:
//! an error transaction that uses a zxid, as in Java.
//!
//! Writes are prepared before earlier ones have been applied (they may be
//! waiting for the log), so the stage keeps *change records*: the state
//! each pending transaction will leave a node in. Lookups see the newest
//! pending record for a path before the tree. Each record also carries the
//! predicted digest of its node and of the whole tree, which goes into the
//! transaction's `TxnDigest`.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use bytes::Bytes;
use jute::data::{Id, StatPersisted, ACL};
use jute::proto::{
    CheckVersionRequest, CreateRequest, CreateTTLRequest, DeleteRequest, ReconfigRequest,
    SetACLRequest, SetDataRequest,
};
use jute::txn::{
    CheckVersionTxn, CloseSessionTxn, CreateContainerTxn, CreateSessionTxn, CreateTTLTxn,
    CreateTxn, DeleteTxn, SetACLTxn, SetDataTxn, TxnDigest,
};
use jute::{Jute, Limits, Reader};

use super::paths::{is_valid_path, parent_of};
use crate::proto::codes::perms;
use crate::proto::multi::{decode_multi, MultiOp};
use crate::proto::{op, ErrorCode};
use crate::session::CONTAINER_EPHEMERAL_OWNER;
use crate::tree::{new_stat, EphemeralType, OwnerEncoding};
use crate::txn::{header, Txn, TxnBody};

/// The digest format version written in every `TxnDigest`.
pub const DIGEST_VERSION: i32 = 2;

/// What the prepare stage needs to know about a node.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeView {
    pub stat: StatPersisted,
    pub child_count: i32,
    pub acl: Arc<[ACL]>,
    pub data: Option<Bytes>,
    /// The node's digest as the tree has it.
    pub digest: u64,
}

/// The prepare stage's view of the rest of the server: the data tree, the
/// session tracker and the ACL rules.
pub trait PrepContext {
    fn node(&self, path: &str) -> Option<NodeView>;
    fn tree_digest(&self) -> u64;
    /// The digest a node would have (Java's `DigestCalculator`).
    fn node_digest(&self, path: &str, data: Option<&[u8]>, stat: &StatPersisted) -> u64;
    /// The session's ephemerals in the tree.
    fn ephemerals(&self, session_id: i64) -> Vec<String>;
    fn is_special_path(&self, path: &str) -> bool;
    fn check_quota(
        &self,
        path: &str,
        last_data: Option<&[u8]>,
        new_data: Option<&[u8]>,
        is_create: bool,
    ) -> Result<(), ErrorCode>;
    /// Java's `sessionTracker.checkSession`.
    fn check_session(&mut self, session_id: i64) -> Result<(), ErrorCode>;
    /// Starts tracking a new global session (the createSession txn).
    fn track_session(&mut self, session_id: i64, timeout: i32);
    fn set_session_closing(&mut self, session_id: i64);
    fn check_acl(&self, acl: &[ACL], perm: i32, auth: &[Id]) -> Result<(), ErrorCode>;
    fn fixup_acl(&self, auth: &[Id], acl: Option<&[ACL]>) -> Result<Vec<ACL>, ErrorCode>;
}

/// Settings of the prepare stage.
#[derive(Debug, Clone)]
pub struct PrepSettings {
    pub digest_enabled: bool,
    /// How `ephemeralOwner` values are read (`extendedTypesEnabled`,
    /// `emulate353TTLNodes`), as the tree reads them.
    pub owners: OwnerEncoding,
    pub close_session_txn_enabled: bool,
    pub reconfig_enabled: bool,
    pub limits: Limits,
}

/// A write to prepare.
#[derive(Debug, Clone)]
pub struct WriteRequest<'a> {
    pub session_id: i64,
    pub cxid: i32,
    pub op: i32,
    /// The request record's bytes (after the `RequestHeader`).
    pub body: &'a [u8],
    pub auth: &'a [Id],
    /// Leader wall-clock time in ms, for the txn header.
    pub time: i64,
}

/// The outcome of preparing a write.
#[derive(Debug, Clone, PartialEq)]
pub enum Prepared {
    /// A transaction to log and apply (possibly an error transaction).
    Txn(Txn),
    /// The request could not be decoded: answer MARSHALLINGERROR without a
    /// transaction. (Java logs an error transaction that reuses the last
    /// zxid; rzk never reuses a zxid.)
    Malformed,
}

/// The state a pending transaction leaves a node in.
#[derive(Debug, Clone)]
struct ChangeRecord {
    /// Identity, so that a path's entry is only removed with its record.
    seq: u64,
    zxid: i64,
    path: String,
    /// `None`: the node is deleted.
    stat: Option<StatPersisted>,
    child_count: i32,
    acl: Arc<[ACL]>,
    data: Option<Bytes>,
    node_digest: u64,
    tree_digest: u64,
}

/// How a change affects the tree digest; the record's own data and stat
/// give its new node digest.
enum DigestChange {
    Add,
    Remove,
    Update,
}

/// The prepare stage's state.
pub struct Prepare {
    settings: PrepSettings,
    /// The last zxid assigned.
    last_zxid: i64,
    changes: VecDeque<ChangeRecord>,
    by_path: HashMap<String, ChangeRecord>,
    next_seq: u64,
}

/// A failure inside the preparation of one operation.
type OpResult<T> = Result<T, ErrorCode>;

impl Prepare {
    /// A prepare stage whose last assigned zxid is `last_zxid`.
    pub fn new(settings: PrepSettings, last_zxid: i64) -> Self {
        Prepare {
            settings,
            last_zxid,
            changes: VecDeque::new(),
            by_path: HashMap::new(),
            next_seq: 0,
        }
    }

    /// The last zxid assigned.
    pub fn last_zxid(&self) -> i64 {
        self.last_zxid
    }

    /// How many change records are pending.
    pub fn outstanding_changes(&self) -> usize {
        self.changes.len()
    }

    fn next_zxid(&mut self) -> i64 {
        self.last_zxid += 1;
        self.last_zxid
    }

    /// Forgets the change records of transactions up to `zxid`, which the
    /// tree has now applied.
    pub fn applied(&mut self, zxid: i64) {
        while self.changes.front().is_some_and(|c| c.zxid <= zxid) {
            let Some(record) = self.changes.pop_front() else {
                break;
            };
            if self.by_path.get(&record.path).map(|r| r.seq) == Some(record.seq) {
                self.by_path.remove(&record.path);
            }
        }
    }

    /// Prepares the createSession transaction of a new session.
    pub fn create_session(
        &mut self,
        ctx: &mut impl PrepContext,
        session_id: i64,
        timeout: i32,
        time: i64,
    ) -> Txn {
        let zxid = self.next_zxid();
        ctx.track_session(session_id, timeout);
        let mut txn = Txn {
            header: header(session_id, 0, zxid, time, op::CREATE_SESSION),
            body: TxnBody::CreateSession(CreateSessionTxn { time_out: timeout }),
            digest: None,
        };
        txn.digest = self.current_digest(ctx);
        txn
    }

    /// Prepares the closeSession transaction of a session, asked for by its
    /// client (`cxid` of the request) or by the expirer (cxid 0).
    pub fn close_session(
        &mut self,
        ctx: &mut impl PrepContext,
        session_id: i64,
        cxid: i32,
        time: i64,
    ) -> Txn {
        let zxid = self.next_zxid();
        let mut txn = Txn {
            header: header(session_id, cxid, zxid, time, op::CLOSE_SESSION),
            body: TxnBody::CloseSession(None),
            digest: None,
        };
        // The session's ephemerals: those in the tree, adjusted by pending
        // deletes and creates.
        let mut ephemerals = ctx.ephemerals(session_id);
        for change in &self.changes {
            match &change.stat {
                None => ephemerals.retain(|p| p != &change.path),
                Some(stat) if stat.ephemeral_owner == session_id => {
                    if !ephemerals.contains(&change.path) {
                        ephemerals.push(change.path.clone());
                    }
                }
                Some(_) => {}
            }
        }
        let mut digest = None;
        for path in &ephemerals {
            // A failure here means the tree changed under us; Java throws
            // and the whole closeSession becomes an error txn.
            if let Err(code) = self.record_ephemeral_delete(ctx, path, zxid, &mut digest) {
                txn.header.r#type = op::ERROR;
                txn.body = TxnBody::error(code.code());
                txn.digest = self.current_digest(ctx);
                return txn;
            }
        }
        if self.settings.close_session_txn_enabled {
            txn.body = TxnBody::CloseSession(Some(CloseSessionTxn {
                paths2_delete: Some(ephemerals),
            }));
        }
        ctx.set_session_closing(session_id);
        txn.digest = digest.or_else(|| self.current_digest(ctx));
        txn
    }

    fn record_ephemeral_delete(
        &mut self,
        ctx: &impl PrepContext,
        path: &str,
        zxid: i64,
        digest: &mut Option<TxnDigest>,
    ) -> OpResult<()> {
        if self.settings.digest_enabled {
            let parent_path = self.parent_and_validate(ctx, path)?.to_string();
            let mut parent = self.record(ctx, &parent_path)?.duplicate(zxid);
            if let Some(stat) = parent.stat.as_mut() {
                stat.pzxid = zxid;
            }
            self.precalculate(ctx, &mut parent, DigestChange::Update)?;
            self.add_change(parent);
        }
        let mut node = ChangeRecord::deleted(zxid, path);
        self.precalculate(ctx, &mut node, DigestChange::Remove)?;
        *digest = self.digest_of(&node);
        self.add_change(node);
        Ok(())
    }

    /// Prepares the deletion of an empty container or expired TTL node,
    /// asked for by the container manager (session 0, cxid 0) — or by a
    /// client sending opcode 20, which Java accepts too, without checking
    /// the session or any ACL.
    pub fn delete_container(
        &mut self,
        ctx: &mut impl PrepContext,
        session_id: i64,
        cxid: i32,
        path: &str,
        time: i64,
    ) -> Txn {
        let zxid = self.next_zxid();
        let mut txn = Txn {
            header: header(session_id, cxid, zxid, time, op::DELETE_CONTAINER),
            body: TxnBody::error(0),
            digest: None,
        };
        match self.delete_container_body(ctx, path, zxid) {
            Ok((body, digest)) => {
                txn.body = body;
                txn.digest = digest;
            }
            Err(code) => {
                txn.header.r#type = op::ERROR;
                txn.body = TxnBody::error(code.code());
                txn.digest = self.current_digest(ctx);
            }
        }
        txn
    }

    fn delete_container_body(
        &mut self,
        ctx: &impl PrepContext,
        path: &str,
        zxid: i64,
    ) -> OpResult<(TxnBody, Option<TxnDigest>)> {
        let parent_path = self.parent_and_validate(ctx, path)?.to_string();
        let node = self.record(ctx, path)?;
        if node.child_count > 0 {
            return Err(ErrorCode::NotEmpty);
        }
        let owner = node.stat.as_ref().map_or(0, |s| s.ephemeral_owner);
        if EphemeralType::of(owner, self.settings.owners) == EphemeralType::Normal {
            return Err(ErrorCode::BadVersion);
        }
        let mut parent = self.record(ctx, &parent_path)?.duplicate(zxid);
        parent.child_count -= 1;
        if let Some(stat) = parent.stat.as_mut() {
            stat.pzxid = zxid;
        }
        self.precalculate(ctx, &mut parent, DigestChange::Update)?;
        self.add_change(parent);
        let mut node = ChangeRecord::deleted(zxid, path);
        self.precalculate(ctx, &mut node, DigestChange::Remove)?;
        let digest = self.digest_of(&node).or_else(|| self.current_digest(ctx));
        self.add_change(node);
        Ok((
            TxnBody::DeleteContainer(DeleteTxn {
                path: Some(path.to_string()),
            }),
            digest,
        ))
    }

    /// Prepares a write request from a client.
    pub fn write(&mut self, ctx: &mut impl PrepContext, request: &WriteRequest<'_>) -> Prepared {
        if request.op == op::MULTI {
            return self.multi(ctx, request);
        }
        if request.op == op::DELETE_CONTAINER {
            // The 3.9 body: the path as a length-prefixed byte buffer.
            let mut reader = Reader::new(request.body, self.settings.limits);
            return match reader.read_opt_buffer() {
                Ok(Some(bytes)) => {
                    let path = jute::archive::decode_utf8_like_java(&bytes);
                    Prepared::Txn(self.delete_container(
                        ctx,
                        request.session_id,
                        request.cxid,
                        &path,
                        request.time,
                    ))
                }
                _ => Prepared::Malformed,
            };
        }
        let limits = self.settings.limits;
        let decoded = decode_write(request.op, request.body, limits);
        let Ok(operation) = decoded else {
            if request.op == op::CREATE_SESSION {
                // Java makes createSession's txn header (with the next
                // zxid) before it reads the body: the failure uses a zxid.
                return Prepared::Txn(self.marshalling_error(ctx, request));
            }
            return Prepared::Malformed;
        };
        let zxid = self.next_zxid();
        let mut txn = Txn {
            header: header(
                request.session_id,
                request.cxid,
                zxid,
                request.time,
                request.op,
            ),
            body: TxnBody::error(0),
            digest: None,
        };
        match self.operation(ctx, request, zxid, &operation) {
            Ok((body, digest)) => {
                txn.body = body;
                txn.digest = digest.or_else(|| self.current_digest(ctx));
            }
            Err(code) => {
                txn.header.r#type = op::ERROR;
                txn.body = TxnBody::error(code.code());
                txn.digest = self.current_digest(ctx);
            }
        }
        Prepared::Txn(txn)
    }

    /// A request Java failed to decode after it had made the txn header:
    /// an error transaction with the next zxid.
    fn marshalling_error(&mut self, ctx: &impl PrepContext, request: &WriteRequest<'_>) -> Txn {
        let zxid = self.next_zxid();
        self.marshalling_error_at(ctx, request, zxid)
    }

    /// The MARSHALLINGERROR transaction of `request` with `zxid`.
    fn marshalling_error_at(
        &self,
        ctx: &impl PrepContext,
        request: &WriteRequest<'_>,
        zxid: i64,
    ) -> Txn {
        Txn {
            header: header(
                request.session_id,
                request.cxid,
                zxid,
                request.time,
                op::ERROR,
            ),
            body: TxnBody::error(ErrorCode::MarshallingError.code()),
            digest: self.current_digest(ctx),
        }
    }

    fn multi(&mut self, ctx: &mut impl PrepContext, request: &WriteRequest<'_>) -> Prepared {
        let ops = match decode_multi(request.body, self.settings.limits) {
            // Java takes the multi's zxid, then dereferences every op's
            // path to save the pending changes: a null path fails the
            // whole request as malformed, with that zxid.
            Ok(ops) if ops.iter().any(|o| o.path().is_none()) => {
                return Prepared::Txn(self.marshalling_error(ctx, request));
            }
            Ok(ops) => ops,
            Err(e) if e.consumes_zxid() => {
                return Prepared::Txn(self.marshalling_error(ctx, request));
            }
            Err(_) => return Prepared::Malformed,
        };
        let zxid = self.next_zxid();
        // Records to restore if an operation fails: the pending ones for
        // each path and its parent.
        let mut saved: HashMap<String, ChangeRecord> = HashMap::new();
        for operation in &ops {
            let Some(path) = operation.path() else {
                continue;
            };
            if let Some(record) = self.by_path.get(path) {
                saved.insert(path.to_string(), record.clone());
            }
            if path.contains('\0') {
                continue;
            }
            if let Some(parent) = parent_of(path) {
                if let Some(record) = self.by_path.get(parent) {
                    saved.insert(parent.to_string(), record.clone());
                }
            }
        }
        let mut bodies = Vec::with_capacity(ops.len());
        let mut failed = false;
        for operation in ops {
            if failed {
                bodies.push(TxnBody::error(ErrorCode::RuntimeInconsistency.code()));
                continue;
            }
            let single = match operation {
                MultiOp::Create { op, request } => Operation::Create(op, request),
                MultiOp::CreateTtl(r) => Operation::CreateTtl(r),
                MultiOp::Delete(r) => Operation::Delete(r),
                MultiOp::SetData(r) => Operation::SetData(r),
                MultiOp::Check(r) => Operation::Check(r),
                // Reads inside a multi: Java finds no transaction for them
                // and fails the request as malformed.
                MultiOp::GetChildren(_) | MultiOp::GetData(_) => {
                    self.rollback(zxid, &saved);
                    return Prepared::Txn(self.marshalling_error_at(ctx, request, zxid));
                }
            };
            match self.operation(ctx, request, zxid, &single) {
                Ok((body, _)) => bodies.push(body),
                Err(code) => {
                    failed = true;
                    bodies.push(TxnBody::error(code.code()));
                    self.rollback(zxid, &saved);
                }
            }
        }
        Prepared::Txn(Txn {
            header: header(
                request.session_id,
                request.cxid,
                zxid,
                request.time,
                op::MULTI,
            ),
            body: TxnBody::Multi(bodies),
            digest: self.current_digest(ctx),
        })
    }

    /// Removes the change records of a failed multi and restores the ones
    /// it replaced.
    fn rollback(&mut self, zxid: i64, saved: &HashMap<String, ChangeRecord>) {
        while self.changes.back().is_some_and(|c| c.zxid == zxid) {
            if let Some(record) = self.changes.pop_back() {
                self.by_path.remove(&record.path);
            }
        }
        let Some(first_zxid) = self.changes.front().map(|c| c.zxid) else {
            return;
        };
        for record in saved.values() {
            if record.zxid >= first_zxid {
                self.by_path.insert(record.path.clone(), record.clone());
            }
        }
    }

    /// Prepares one operation; returns its body and, when the operation
    /// changed the tree digest, the digest after it.
    fn operation(
        &mut self,
        ctx: &mut impl PrepContext,
        request: &WriteRequest<'_>,
        zxid: i64,
        operation: &Operation,
    ) -> OpResult<(TxnBody, Option<TxnDigest>)> {
        let session = request.session_id;
        match operation {
            Operation::Create(op, r) => self.create(
                ctx,
                request,
                zxid,
                *op,
                CreateArgs {
                    path: r.path.as_deref(),
                    data: &r.data,
                    acl: r.acl.as_deref(),
                    flags: r.flags,
                    ttl: -1,
                },
            ),
            Operation::CreateTtl(r) => self.create(
                ctx,
                request,
                zxid,
                op::CREATE_TTL,
                CreateArgs {
                    path: r.path.as_deref(),
                    data: &r.data,
                    acl: r.acl.as_deref(),
                    flags: r.flags,
                    ttl: r.ttl,
                },
            ),
            Operation::Delete(r) => {
                ctx.check_session(session)?;
                // Java dereferences a null path here: MARSHALLINGERROR.
                let path = r.path.as_deref().ok_or(ErrorCode::MarshallingError)?;
                let parent_path = self.parent_and_validate(ctx, path)?.to_string();
                let parent = self.record(ctx, &parent_path)?;
                ctx.check_acl(&parent.acl, perms::DELETE, request.auth)?;
                let node = self.record(ctx, path)?;
                let node_stat = node.stat.clone().unwrap_or_default();
                check_and_inc_version(node_stat.version, r.version)?;
                if node.child_count > 0 {
                    return Err(ErrorCode::NotEmpty);
                }
                let mut parent = parent.duplicate(zxid);
                parent.child_count -= 1;
                if let Some(stat) = parent.stat.as_mut() {
                    stat.pzxid = zxid;
                }
                self.precalculate(ctx, &mut parent, DigestChange::Update)?;
                self.add_change(parent);
                let mut node = ChangeRecord::deleted(zxid, path);
                self.precalculate(ctx, &mut node, DigestChange::Remove)?;
                let digest = self.digest_of(&node);
                self.add_change(node);
                Ok((
                    TxnBody::Delete(DeleteTxn {
                        path: Some(path.to_string()),
                    }),
                    digest,
                ))
            }
            Operation::SetData(r) => {
                ctx.check_session(session)?;
                let path = required(&r.path)?;
                validate_path(path)?;
                let node = self.record(ctx, path)?;
                ctx.check_acl(&node.acl, perms::WRITE, request.auth)?;
                ctx.check_quota(path, node.data.as_deref(), r.data.as_deref(), false)?;
                let stat = node.stat.clone().unwrap_or_default();
                let new_version = check_and_inc_version(stat.version, r.version)?;
                let mut node = node.duplicate(zxid);
                if let Some(stat) = node.stat.as_mut() {
                    stat.version = new_version;
                    stat.mtime = request.time;
                    stat.mzxid = zxid;
                }
                node.data = r.data.clone();
                self.precalculate(ctx, &mut node, DigestChange::Update)?;
                let digest = self.digest_of(&node);
                self.add_change(node);
                Ok((
                    TxnBody::SetData(SetDataTxn {
                        path: Some(path.to_string()),
                        data: r.data.clone(),
                        version: new_version,
                    }),
                    digest,
                ))
            }
            Operation::SetAcl(r) => {
                ctx.check_session(session)?;
                let path = required(&r.path)?;
                validate_path(path)?;
                let acl = ctx.fixup_acl(request.auth, r.acl.as_deref())?;
                let node = self.record(ctx, path)?;
                ctx.check_acl(&node.acl, perms::ADMIN, request.auth)?;
                let stat = node.stat.clone().unwrap_or_default();
                let new_version = check_and_inc_version(stat.aversion, r.version)?;
                let mut node = node.duplicate(zxid);
                if let Some(stat) = node.stat.as_mut() {
                    stat.aversion = new_version;
                }
                self.precalculate(ctx, &mut node, DigestChange::Update)?;
                let digest = self.digest_of(&node);
                self.add_change(node);
                Ok((
                    TxnBody::SetAcl(SetACLTxn {
                        path: Some(path.to_string()),
                        acl: Some(acl),
                        version: new_version,
                    }),
                    digest,
                ))
            }
            Operation::Check(r) => {
                ctx.check_session(session)?;
                let path = required(&r.path)?;
                validate_path(path)?;
                let node = self.record(ctx, path)?;
                ctx.check_acl(&node.acl, perms::READ, request.auth)?;
                let stat = node.stat.clone().unwrap_or_default();
                // Java stores the incremented version in the txn.
                let version = check_and_inc_version(stat.version, r.version)?;
                Ok((
                    TxnBody::Check(CheckVersionTxn {
                        path: Some(path.to_string()),
                        version,
                    }),
                    None,
                ))
            }
            Operation::Reconfig => {
                if !self.settings.reconfig_enabled {
                    return Err(ErrorCode::ReconfigDisabled);
                }
                // A standalone server cannot reconfigure.
                Err(ErrorCode::Unimplemented)
            }
            Operation::CreateSession(t) => {
                ctx.track_session(session, t.time_out);
                Ok((TxnBody::CreateSession(t.clone()), None))
            }
            // A client may send deleteContainer itself: Java prepares it as
            // the container manager's (no session or ACL check).
            Operation::DeleteContainer(path) => self.delete_container_body(ctx, path, zxid),
        }
    }

    fn create(
        &mut self,
        ctx: &mut impl PrepContext,
        request: &WriteRequest<'_>,
        zxid: i64,
        op_code: i32,
        args: CreateArgs<'_>,
    ) -> OpResult<(TxnBody, Option<TxnDigest>)> {
        let mode = CreateMode::from_flags(args.flags).ok_or(ErrorCode::BadArguments)?;
        // validateCreateRequest
        if mode.is_ttl() && !self.settings.owners.extended_types_enabled {
            return Err(ErrorCode::Unimplemented);
        }
        if mode.is_ttl() {
            if EphemeralType::ttl_owner(args.ttl).is_none() {
                return Err(ErrorCode::BadArguments);
            }
        } else if args.ttl >= 0 || op_code == op::CREATE_TTL {
            // Java rejects a TTL for other modes; a createTTL with another
            // mode and a negative TTL crashes Java when applied (in 3.8.0
            // and 3.9.5 alike): rzk refuses it as a bad argument instead.
            return Err(ErrorCode::BadArguments);
        }
        ctx.check_session(request.session_id)?;
        // Java dereferences a null path here: MARSHALLINGERROR.
        let path = args.path.ok_or(ErrorCode::MarshallingError)?;
        // validatePathForCreate
        if path.contains('\0') {
            return Err(ErrorCode::BadArguments);
        }
        let parent_path = parent_of(path).ok_or(ErrorCode::BadArguments)?.to_string();
        let acl = ctx.fixup_acl(request.auth, args.acl)?;
        let parent = self.record(ctx, &parent_path)?;
        ctx.check_acl(&parent.acl, perms::CREATE, request.auth)?;
        let parent_stat = parent.stat.clone().unwrap_or_default();
        let parent_cversion = parent_stat.cversion;
        let path = if mode.is_sequential() {
            format!("{path}{parent_cversion:010}")
        } else {
            path.to_string()
        };
        validate_path(&path)?;
        if self.record(ctx, &path).is_ok() {
            return Err(ErrorCode::NodeExists);
        }
        let ephemeral_parent = EphemeralType::of(parent_stat.ephemeral_owner, self.settings.owners)
            == EphemeralType::Normal;
        if ephemeral_parent {
            return Err(ErrorCode::NoChildrenForEphemerals);
        }
        let new_cversion = parent_cversion + 1;
        ctx.check_quota(&path, None, args.data.as_deref(), true)?;
        let body = match op_code {
            op::CREATE_CONTAINER => TxnBody::CreateContainer(CreateContainerTxn {
                path: Some(path.clone()),
                data: args.data.clone(),
                acl: Some(acl.clone()),
                parent_c_version: new_cversion,
            }),
            op::CREATE_TTL => TxnBody::CreateTtl(CreateTTLTxn {
                path: Some(path.clone()),
                data: args.data.clone(),
                acl: Some(acl.clone()),
                parent_c_version: new_cversion,
                ttl: args.ttl,
            }),
            other => {
                let txn = CreateTxn {
                    path: Some(path.clone()),
                    data: args.data.clone(),
                    acl: Some(acl.clone()),
                    ephemeral: mode.is_ephemeral(),
                    parent_c_version: new_cversion,
                };
                if other == op::CREATE2 {
                    TxnBody::Create2(txn)
                } else {
                    TxnBody::Create(txn)
                }
            }
        };
        let owner = if mode == CreateMode::Container {
            CONTAINER_EPHEMERAL_OWNER
        } else if mode.is_ttl() {
            EphemeralType::ttl_owner(args.ttl).unwrap_or(0)
        } else if mode.is_ephemeral() {
            request.session_id
        } else {
            0
        };
        let stat = new_stat(zxid, request.time, owner);
        let mut parent = parent.duplicate(zxid);
        parent.child_count += 1;
        if let Some(s) = parent.stat.as_mut() {
            s.cversion = new_cversion;
            s.pzxid = zxid;
        }
        self.precalculate(ctx, &mut parent, DigestChange::Update)?;
        self.add_change(parent);
        let mut node = ChangeRecord {
            seq: 0,
            zxid,
            path: path.clone(),
            stat: Some(stat),
            child_count: 0,
            acl: Arc::from(acl),
            data: args.data.clone(),
            node_digest: 0,
            tree_digest: 0,
        };
        self.precalculate(ctx, &mut node, DigestChange::Add)?;
        let digest = self.digest_of(&node);
        self.add_change(node);
        Ok((body, digest))
    }

    /// The newest state of `path`: a pending change, else the tree's node.
    fn record(&self, ctx: &impl PrepContext, path: &str) -> OpResult<ChangeRecord> {
        let record = match self.by_path.get(path) {
            Some(record) => record.clone(),
            None => {
                let node = ctx.node(path).ok_or(ErrorCode::NoNode)?;
                ChangeRecord {
                    seq: u64::MAX,
                    zxid: -1,
                    path: path.to_string(),
                    stat: Some(node.stat),
                    child_count: node.child_count,
                    acl: node.acl,
                    data: node.data,
                    node_digest: node.digest,
                    tree_digest: 0,
                }
            }
        };
        if record.stat.is_none() {
            return Err(ErrorCode::NoNode);
        }
        Ok(record)
    }

    /// Java's `getParentPathAndValidate`.
    fn parent_and_validate<'p>(&self, ctx: &impl PrepContext, path: &'p str) -> OpResult<&'p str> {
        let parent = parent_of(path).ok_or(ErrorCode::BadArguments)?;
        if path.contains('\0') || ctx.is_special_path(path) {
            return Err(ErrorCode::BadArguments);
        }
        Ok(parent)
    }

    fn add_change(&mut self, mut record: ChangeRecord) {
        record.seq = self.next_seq;
        self.next_seq += 1;
        self.by_path.insert(record.path.clone(), record.clone());
        self.changes.push_back(record);
    }

    /// The tree digest once every pending change is applied.
    fn current_tree_digest(&self, ctx: &impl PrepContext) -> u64 {
        match self.changes.back() {
            Some(last) => last.tree_digest,
            None => ctx.tree_digest(),
        }
    }

    fn current_digest(&self, ctx: &impl PrepContext) -> Option<TxnDigest> {
        self.settings.digest_enabled.then(|| TxnDigest {
            version: DIGEST_VERSION,
            tree_digest: self.current_tree_digest(ctx) as i64,
        })
    }

    fn digest_of(&self, record: &ChangeRecord) -> Option<TxnDigest> {
        self.settings.digest_enabled.then_some(TxnDigest {
            version: DIGEST_VERSION,
            tree_digest: record.tree_digest as i64,
        })
    }

    /// Sets the record's node digest and the tree digest after the change
    /// (Java's `precalculateDigest`).
    fn precalculate(
        &self,
        ctx: &impl PrepContext,
        record: &mut ChangeRecord,
        change: DigestChange,
    ) -> OpResult<()> {
        if !self.settings.digest_enabled {
            return Ok(());
        }
        let own_digest = |record: &ChangeRecord| {
            let stat = record.stat.clone().unwrap_or_default();
            ctx.node_digest(&record.path, record.data.as_deref(), &stat)
        };
        let (previous, next) = match change {
            DigestChange::Add => (0, own_digest(record)),
            DigestChange::Remove => (self.record(ctx, &record.path)?.node_digest, 0),
            DigestChange::Update => (
                self.record(ctx, &record.path)?.node_digest,
                own_digest(record),
            ),
        };
        record.node_digest = next;
        record.tree_digest = self
            .current_tree_digest(ctx)
            .wrapping_sub(previous)
            .wrapping_add(next);
        Ok(())
    }
}

impl ChangeRecord {
    fn deleted(zxid: i64, path: &str) -> Self {
        ChangeRecord {
            seq: 0,
            zxid,
            path: path.to_string(),
            stat: None,
            child_count: -1,
            acl: Arc::from(Vec::new()),
            data: None,
            node_digest: 0,
            tree_digest: 0,
        }
    }

    /// A copy for a new pending change at `zxid` (Java's `duplicate`).
    fn duplicate(&self, zxid: i64) -> Self {
        ChangeRecord {
            seq: 0,
            zxid,
            stat: Some(self.stat.clone().unwrap_or_default()),
            ..self.clone()
        }
    }
}

/// A decoded write request.
#[derive(Debug, Clone)]
enum Operation {
    Create(i32, CreateRequest),
    CreateTtl(CreateTTLRequest),
    Delete(DeleteRequest),
    SetData(SetDataRequest),
    SetAcl(SetACLRequest),
    Check(CheckVersionRequest),
    /// Decoded (a malformed one is MARSHALLINGERROR), then refused.
    Reconfig,
    CreateSession(CreateSessionTxn),
    /// `DeleteContainerRequest`: the path as a jute `buffer`.
    DeleteContainer(String),
}

fn decode_write(op_code: i32, body: &[u8], limits: Limits) -> Result<Operation, jute::Error> {
    let mut r = Reader::new(body, limits);
    Ok(match op_code {
        op::CREATE | op::CREATE2 | op::CREATE_CONTAINER => {
            Operation::Create(op_code, CreateRequest::read_from(&mut r)?)
        }
        op::CREATE_TTL => Operation::CreateTtl(CreateTTLRequest::read_from(&mut r)?),
        op::DELETE => Operation::Delete(DeleteRequest::read_from(&mut r)?),
        op::SET_DATA => Operation::SetData(SetDataRequest::read_from(&mut r)?),
        op::SET_ACL => Operation::SetAcl(SetACLRequest::read_from(&mut r)?),
        op::CHECK => Operation::Check(CheckVersionRequest::read_from(&mut r)?),
        op::RECONFIG => {
            ReconfigRequest::read_from(&mut r)?;
            Operation::Reconfig
        }
        op::CREATE_SESSION => Operation::CreateSession(CreateSessionTxn::read_from(&mut r)?),
        op::DELETE_CONTAINER => match r.read_opt_buffer()? {
            Some(path) => Operation::DeleteContainer(jute::archive::decode_utf8_like_java(&path)),
            // Java turns the bytes into a String: a null buffer throws.
            None => return Err(null_element()),
        },
        // Callers only send write opcodes here.
        _ => return Err(null_element()),
    })
}

fn null_element() -> jute::Error {
    jute::Error {
        kind: jute::ErrorKind::NullElement,
        offset: 0,
        fields: Vec::new(),
    }
}

struct CreateArgs<'a> {
    path: Option<&'a str>,
    data: &'a Option<Bytes>,
    acl: Option<&'a [ACL]>,
    flags: i32,
    ttl: i64,
}

/// The create modes (`CreateMode`), by flag value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateMode {
    Persistent,
    Ephemeral,
    PersistentSequential,
    EphemeralSequential,
    Container,
    PersistentWithTtl,
    PersistentSequentialWithTtl,
}

impl CreateMode {
    pub fn from_flags(flags: i32) -> Option<CreateMode> {
        Some(match flags {
            0 => CreateMode::Persistent,
            1 => CreateMode::Ephemeral,
            2 => CreateMode::PersistentSequential,
            3 => CreateMode::EphemeralSequential,
            4 => CreateMode::Container,
            5 => CreateMode::PersistentWithTtl,
            6 => CreateMode::PersistentSequentialWithTtl,
            _ => return None,
        })
    }

    pub fn is_ephemeral(self) -> bool {
        matches!(
            self,
            CreateMode::Ephemeral | CreateMode::EphemeralSequential
        )
    }

    pub fn is_sequential(self) -> bool {
        matches!(
            self,
            CreateMode::PersistentSequential
                | CreateMode::EphemeralSequential
                | CreateMode::PersistentSequentialWithTtl
        )
    }

    pub fn is_ttl(self) -> bool {
        matches!(
            self,
            CreateMode::PersistentWithTtl | CreateMode::PersistentSequentialWithTtl
        )
    }
}

fn check_and_inc_version(current: i32, expected: i32) -> OpResult<i32> {
    if expected != -1 && expected != current {
        return Err(ErrorCode::BadVersion);
    }
    Ok(current.wrapping_add(1))
}

fn validate_path(path: &str) -> OpResult<()> {
    if is_valid_path(path) {
        Ok(())
    } else {
        Err(ErrorCode::BadArguments)
    }
}

/// A path that Java validates before use: null is a bad argument.
fn required(path: &Option<String>) -> OpResult<&str> {
    path.as_deref().ok_or(ErrorCode::BadArguments)
}
