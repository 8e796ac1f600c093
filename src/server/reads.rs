//! The reply stage (Java's `FinalRequestProcessor`): answers reads from the
//! tree, registers their watches, and turns applied writes into replies.
//!
//! A reply is a `ReplyHeader` whose zxid is the last applied zxid, and the
//! response record only when the error code is 0 (a multi always has its
//! results).

use bytes::{BufMut, Bytes, BytesMut};
use jute::proto::{
    AddWatchRequest, CheckWatchesRequest, Create2Response, CreateResponse, ErrorResponse,
    ExistsRequest, ExistsResponse, GetACLRequest, GetACLResponse, GetAllChildrenNumberRequest,
    GetAllChildrenNumberResponse, GetChildren2Request, GetChildren2Response, GetChildrenRequest,
    GetChildrenResponse, GetDataRequest, GetEphemeralsRequest, GetEphemeralsResponse,
    RemoveWatchesRequest, SetACLResponse, SetDataResponse, SetWatches, SetWatches2, SyncRequest,
    SyncResponse, WhoAmIResponse,
};
use jute::{Jute, Reader};

use super::core::{frame_with_body, Core, ReadRequest, MALFORMED_WRITE};
use super::{ConnId, Output};
use crate::auth::mask_digest_acls;
use crate::proto::codes::perms;
use crate::proto::codes::xid;
use crate::proto::multi::{decode_multi, encode_multi_response, MultiOp, MultiResult};
use crate::proto::{op, ErrorCode, WriteRecord};
use crate::tree::Applied;
use crate::txn::{Txn, TxnBody};
use crate::watch::{WatcherMode, WatcherType};

type ReadResult = Result<Option<Bytes>, ErrorCode>;

fn body_of(record: &dyn WriteRecord) -> Option<Bytes> {
    let mut out = BytesMut::new();
    record.write_record(&mut out);
    Some(out.freeze())
}

/// Decodes a request record; a malformed one is MARSHALLINGERROR.
fn decode<T: Jute>(core: &Core, body: &[u8]) -> Result<T, ErrorCode> {
    T::read_from(&mut Reader::new(body, core.settings.limits))
        .map_err(|_| ErrorCode::MarshallingError)
}

fn path_of(path: &Option<String>) -> Result<&str, ErrorCode> {
    // Java would dereference a null path: a generic exception, which the
    // final processor answers with MARSHALLINGERROR.
    path.as_deref().ok_or(ErrorCode::MarshallingError)
}

/// Answers a read. Returns the reply frame and whether to close the
/// connection afterwards.
pub(super) fn read_reply(
    core: &mut Core,
    conn: ConnId,
    read: &ReadRequest,
    out: &mut Vec<Output>,
) -> (Option<Bytes>, bool) {
    if read.op == op::PING {
        let zxid = core.tree.last_processed_zxid();
        return (Some(frame_with_body(xid::PING, zxid, 0, &[])), false);
    }
    if read.op == MALFORMED_WRITE {
        let zxid = core.tree.last_processed_zxid();
        let err = ErrorCode::MarshallingError.code();
        return (Some(frame_with_body(read.xid, zxid, err, &[])), false);
    }
    if read.op == op::MULTI_READ {
        let (err, body) = multi_read(core, conn, &read.body);
        let zxid = core.tree.last_processed_zxid();
        return (Some(frame_with_body(read.xid, zxid, err, &body)), false);
    }
    let result = match read.op {
        op::EXISTS => exists(core, conn, &read.body),
        op::GET_DATA => get_data(core, conn, &read.body),
        op::GET_ACL => get_acl(core, conn, &read.body),
        op::GET_CHILDREN => get_children(core, conn, &read.body),
        op::GET_CHILDREN2 => get_children2(core, conn, &read.body),
        op::GET_ALL_CHILDREN_NUMBER => all_children_number(core, conn, &read.body),
        op::GET_EPHEMERALS => get_ephemerals(core, conn, &read.body),
        op::SET_WATCHES => set_watches(core, conn, &read.body, false, out),
        op::SET_WATCHES2 => set_watches(core, conn, &read.body, true, out),
        op::ADD_WATCH => add_watch(core, conn, &read.body),
        op::CHECK_WATCHES => check_watches(core, conn, &read.body),
        op::REMOVE_WATCHES => remove_watches(core, conn, &read.body),
        op::WHO_AM_I => who_am_i(core, conn),
        _ => Err(ErrorCode::Unimplemented),
    };
    let zxid = core.tree.last_processed_zxid();
    let frame = match result {
        Ok(body) => frame_with_body(read.xid, zxid, 0, body.as_deref().unwrap_or_default()),
        Err(code) => frame_with_body(read.xid, zxid, code.code(), &[]),
    };
    (Some(frame), false)
}

/// The auth ids of a connection.
fn auth_of(core: &Core, conn: ConnId) -> &[jute::data::Id] {
    core.conns.get(&conn).map_or(&[], |c| &c.auth_list)
}

fn check_acl(
    core: &Core,
    conn: ConnId,
    acl: &[jute::data::ACL],
    perm: i32,
) -> Result<(), ErrorCode> {
    core.auth
        .check_acl(acl, perm, auth_of(core, conn), core.settings.skip_acl)
}

fn exists(core: &mut Core, conn: ConnId, body: &[u8]) -> ReadResult {
    let request: ExistsRequest = decode(core, body)?;
    let path = path_of(&request.path)?;
    if path.contains('\0') {
        return Err(ErrorCode::BadArguments);
    }
    if core.tree.node(path).is_some() {
        let acl = core.tree.acl(path)?;
        check_acl(core, conn, &acl, perms::READ)?;
    }
    if request.watch {
        core.watches.add_data_watch(path, conn);
    }
    let stat = core.tree.stat(path)?;
    core.stats.namespace_read(path, 0);
    Ok(body_of(&ExistsResponse { stat }))
}

fn get_data(core: &mut Core, conn: ConnId, body: &[u8]) -> ReadResult {
    let request: GetDataRequest = decode(core, body)?;
    let path = path_of(&request.path)?;
    // GetDataResponse written straight from the node: its data is not
    // copied into a record first.
    let body = read_data(core, conn, path, request.watch, |data, stat| {
        let mut out = BytesMut::with_capacity(4 + data.map_or(0, <[u8]>::len) + 68);
        match data {
            Some(data) => {
                out.put_i32(data.len() as i32);
                out.put_slice(data);
            }
            None => out.put_i32(-1),
        }
        stat.write_to(&mut out);
        out.freeze()
    })?;
    Ok(Some(body))
}

fn get_data_checked(
    core: &mut Core,
    conn: ConnId,
    path: &str,
    watch: bool,
) -> Result<(Option<Bytes>, jute::data::Stat), ErrorCode> {
    read_data(core, conn, path, watch, |data, stat| {
        (data.map(Bytes::copy_from_slice), stat)
    })
}

/// getData on the node at `path` (one lookup): READ is checked, `answer`
/// gets the data and the client stat, then the watch is set and the read
/// counted.
fn read_data<T>(
    core: &mut Core,
    conn: ConnId,
    path: &str,
    watch: bool,
    answer: impl FnOnce(Option<&[u8]>, jute::data::Stat) -> T,
) -> Result<T, ErrorCode> {
    let node = core.tree.node(path).ok_or(ErrorCode::NoNode)?;
    let acl = core
        .tree
        .node_acl(node)
        .ok_or(ErrorCode::MarshallingError)?;
    check_acl(core, conn, &acl, perms::READ)?;
    let data = node.data();
    let len = data.map_or(0, <[u8]>::len);
    let answer = answer(data, core.tree.client_stat(node));
    if watch {
        core.watches.add_data_watch(path, conn);
    }
    core.stats.namespace_read(path, len);
    Ok(answer)
}

fn get_acl(core: &mut Core, conn: ConnId, body: &[u8]) -> ReadResult {
    let request: GetACLRequest = decode(core, body)?;
    let path = path_of(&request.path)?;
    let acl = core.tree.acl(path)?;
    check_acl(core, conn, &acl, perms::READ | perms::ADMIN)?;
    let stat = core.tree.stat(path)?;
    // Without ADMIN, digest ids are masked as user:x.
    let acl = match check_acl(core, conn, &acl, perms::ADMIN) {
        Ok(()) => acl.to_vec(),
        Err(_) => mask_digest_acls(&acl)?,
    };
    Ok(body_of(&GetACLResponse {
        acl: Some(acl),
        stat,
    }))
}

fn children_checked(
    core: &mut Core,
    conn: ConnId,
    path: &str,
    watch: bool,
) -> Result<Vec<String>, ErrorCode> {
    let acl = core.tree.acl(path)?;
    check_acl(core, conn, &acl, perms::READ)?;
    let children = core.tree.children(path)?;
    if watch {
        core.watches.add_child_watch(path, conn);
    }
    let bytes: usize = children.iter().map(|c| c.encode_utf16().count()).sum();
    core.stats.namespace_read(path, bytes);
    Ok(children)
}

fn get_children(core: &mut Core, conn: ConnId, body: &[u8]) -> ReadResult {
    let request: GetChildrenRequest = decode(core, body)?;
    let path = path_of(&request.path)?;
    let children = children_checked(core, conn, path, request.watch)?;
    Ok(body_of(&GetChildrenResponse {
        children: Some(children),
    }))
}

fn get_children2(core: &mut Core, conn: ConnId, body: &[u8]) -> ReadResult {
    let request: GetChildren2Request = decode(core, body)?;
    let path = path_of(&request.path)?;
    let children = children_checked(core, conn, path, request.watch)?;
    let stat = core.tree.stat(path)?;
    Ok(body_of(&GetChildren2Response {
        children: Some(children),
        stat,
    }))
}

fn all_children_number(core: &mut Core, conn: ConnId, body: &[u8]) -> ReadResult {
    let request: GetAllChildrenNumberRequest = decode(core, body)?;
    let path = path_of(&request.path)?;
    let acl = core.tree.acl(path)?;
    check_acl(core, conn, &acl, perms::READ)?;
    let total = core.tree.all_children_number(path) as i32;
    Ok(body_of(&GetAllChildrenNumberResponse {
        total_number: total,
    }))
}

fn get_ephemerals(core: &mut Core, conn: ConnId, body: &[u8]) -> ReadResult {
    let request: GetEphemeralsRequest = decode(core, body)?;
    let session_id = core.conns.get(&conn).map_or(0, |c| c.session_id);
    let prefix = request.prefix_path.as_deref().map(java_trim);
    let all = prefix.is_none_or(|p| p.is_empty() || p == "/");
    let raw_prefix = request.prefix_path.clone().unwrap_or_default();
    let ephemerals: Vec<String> = core
        .tree
        .ephemerals(session_id)
        .filter(|p| all || p.starts_with(raw_prefix.as_str()))
        .map(str::to_owned)
        .collect();
    Ok(body_of(&GetEphemeralsResponse {
        ephemerals: Some(ephemerals),
    }))
}

/// Java's `String.trim`: strips characters ≤ U+0020 at both ends.
fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

fn set_watches(
    core: &mut Core,
    conn: ConnId,
    body: &[u8],
    with_persistent: bool,
    out: &mut Vec<Output>,
) -> ReadResult {
    let (relative_zxid, data, exist, child, persistent, recursive) = if with_persistent {
        let r: SetWatches2 = decode(core, body)?;
        (
            r.relative_zxid,
            r.data_watches.unwrap_or_default(),
            r.exist_watches.unwrap_or_default(),
            r.child_watches.unwrap_or_default(),
            r.persistent_watches.unwrap_or_default(),
            r.persistent_recursive_watches.unwrap_or_default(),
        )
    } else {
        let r: SetWatches = decode(core, body)?;
        (
            r.relative_zxid,
            r.data_watches.unwrap_or_default(),
            r.exist_watches.unwrap_or_default(),
            r.child_watches.unwrap_or_default(),
            Vec::new(),
            Vec::new(),
        )
    };
    let tree = &core.tree;
    let notifications = core.watches.set_watches(
        relative_zxid,
        &data,
        &exist,
        &child,
        &persistent,
        &recursive,
        conn,
        |path| tree.node(path).map(|n| (n.stat.mzxid, n.stat.pzxid)),
    );
    // The catch-up events go out before the reply.
    core.deliver(&notifications, out);
    Ok(None)
}

fn add_watch(core: &mut Core, conn: ConnId, body: &[u8]) -> ReadResult {
    let request: AddWatchRequest = decode(core, body)?;
    let mode = WatcherMode::from_add_watch_mode(request.mode).ok_or(ErrorCode::MarshallingError)?;
    // Java files a null path's watch under the null key, where no event
    // ever finds it: it succeeds and never fires. rzk registers nothing.
    if let Some(path) = request.path.as_deref() {
        core.watches.add_watch(path, conn, mode);
    }
    Ok(body_of(&ErrorResponse { err: 0 }))
}

fn check_watches(core: &mut Core, conn: ConnId, body: &[u8]) -> ReadResult {
    let request: CheckWatchesRequest = decode(core, body)?;
    let kind = WatcherType::from_code(request.r#type).ok_or(ErrorCode::MarshallingError)?;
    // A null path has no watches (Java looks it up in its hash maps).
    let found = request
        .path
        .as_deref()
        .is_some_and(|path| core.watches.contains_watcher(path, kind, conn));
    if found {
        Ok(None)
    } else {
        Err(ErrorCode::NoWatcher)
    }
}

fn remove_watches(core: &mut Core, conn: ConnId, body: &[u8]) -> ReadResult {
    let request: RemoveWatchesRequest = decode(core, body)?;
    let kind = WatcherType::from_code(request.r#type).ok_or(ErrorCode::MarshallingError)?;
    let removed = request
        .path
        .as_deref()
        .is_some_and(|path| core.watches.remove_watch(path, kind, conn));
    if removed {
        Ok(None)
    } else {
        Err(ErrorCode::NoWatcher)
    }
}

fn who_am_i(core: &mut Core, conn: ConnId) -> ReadResult {
    let ids = auth_of(core, conn).to_vec();
    Ok(body_of(&WhoAmIResponse {
        client_info: Some(core.auth.who_am_i(&ids)),
    }))
}

/// Answers a multiRead: the error code and the body. Java starts the
/// response before it runs the operations; an operation that fails with
/// something other than a ZooKeeper error (a write or check operation, a
/// null path) fails the request with MARSHALLINGERROR, and the reply still
/// carries the results so far.
fn multi_read(core: &mut Core, conn: ConnId, body: &[u8]) -> (i32, Bytes) {
    let Ok(ops) = decode_multi(body, core.settings.limits) else {
        return (ErrorCode::MarshallingError.code(), Bytes::new());
    };
    let mut results = Vec::with_capacity(ops.len());
    let mut err = 0;
    for operation in ops {
        let result = match operation {
            MultiOp::GetChildren(GetChildrenRequest {
                path: Some(path), ..
            }) => match children_checked(core, conn, &path, false) {
                Ok(children) => MultiResult::GetChildren(children),
                Err(code) => MultiResult::Error(code.code()),
            },
            MultiOp::GetData(GetDataRequest {
                path: Some(path), ..
            }) => match get_data_checked(core, conn, &path, false) {
                Ok((data, stat)) => MultiResult::GetData(data, stat),
                Err(code) => MultiResult::Error(code.code()),
            },
            _ => {
                err = ErrorCode::MarshallingError.code();
                break;
            }
        };
        results.push(result);
    }
    let mut out = BytesMut::new();
    encode_multi_response(&results, &mut out);
    (err, out.freeze())
}

/// The reply to an applied write (or a sync), or `None` for none.
pub(super) fn write_reply(
    op_code: i32,
    cxid: i32,
    body: &[u8],
    txn: Option<&Txn>,
    applied: Option<&Applied>,
    core: &Core,
    zxid: i64,
) -> Option<Bytes> {
    let error = |code: i32| Some(frame_with_body(cxid, zxid, code, &[]));
    // A failed write: its error transaction holds the code.
    if let Some(txn) = txn {
        if let TxnBody::Error(e) = &txn.body {
            return error(e.err);
        }
    }
    let ok = |body: Option<Bytes>| {
        Some(frame_with_body(
            cxid,
            zxid,
            0,
            body.as_deref().unwrap_or_default(),
        ))
    };
    let applied_err = applied.map_or(0, |a| a.err);
    let stat = || applied.and_then(|a| a.stat.clone()).unwrap_or_default();
    let path = || applied.and_then(|a| a.path.clone());
    match op_code {
        op::SYNC => match SyncRequest::read_from(&mut Reader::new(body, core.settings.limits)) {
            Ok(request) => ok(body_of(&SyncResponse { path: request.path })),
            Err(_) => error(ErrorCode::MarshallingError.code()),
        },
        op::MULTI => {
            let results: Vec<MultiResult> = applied
                .and_then(|a| a.multi.as_ref())
                .map(|ops| {
                    ops.iter()
                        .map(|r| match r.op {
                            op::CHECK => MultiResult::Check,
                            op::CREATE => MultiResult::Create(r.path.clone().unwrap_or_default()),
                            op::CREATE2 | op::CREATE_TTL | op::CREATE_CONTAINER => {
                                MultiResult::Create2(
                                    r.path.clone().unwrap_or_default(),
                                    r.stat.clone().unwrap_or_default(),
                                )
                            }
                            op::DELETE | op::DELETE_CONTAINER => MultiResult::Delete,
                            op::SET_DATA => {
                                MultiResult::SetData(r.stat.clone().unwrap_or_default())
                            }
                            _ => MultiResult::Error(r.err),
                        })
                        .collect()
                })
                .unwrap_or_default();
            let mut out = BytesMut::new();
            encode_multi_response(&results, &mut out);
            ok(Some(out.freeze()))
        }
        _ if applied_err != 0 => error(applied_err),
        op::CREATE => ok(body_of(&CreateResponse { path: path() })),
        op::CREATE2 | op::CREATE_TTL | op::CREATE_CONTAINER => ok(body_of(&Create2Response {
            path: path(),
            stat: stat(),
        })),
        op::DELETE | op::DELETE_CONTAINER | op::CLOSE_SESSION => ok(None),
        op::SET_DATA => ok(body_of(&SetDataResponse { stat: stat() })),
        op::SET_ACL => ok(body_of(&SetACLResponse { stat: stat() })),
        // A client-sent createSession is answered with a connect response
        // by the caller; reconfig never succeeds standalone.
        _ => None,
    }
}
