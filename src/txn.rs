//! Transactions: what a write becomes after the prepare stage, and what is
//! logged, proposed to followers and applied to the data tree.
//!
//! A transaction is a `TxnHeader`, a body whose record depends on the
//! header's type, and (since 3.6) a `TxnDigest` with the tree digest after
//! the transaction. The bytes are exactly those of a Java transaction-log
//! record and of a Zab PROPOSAL, and decoding follows Java's
//! `SerializeUtils.deserializeTxn`, including its fallbacks for old
//! formats.

use std::fmt;

use bytes::Bytes;
use jute::txn::{
    CheckVersionTxn, CloseSessionTxn, CreateContainerTxn, CreateSessionTxn, CreateTTLTxn,
    CreateTxn, CreateTxnV0, DeleteTxn, ErrorTxn, MultiTxn, SetACLTxn, SetDataTxn, Txn as SubTxn,
    TxnDigest, TxnHeader,
};
use jute::{ErrorKind, Jute, Limits, Reader};

use crate::proto::op;

/// The body of a transaction, by header type.
#[derive(Debug, Clone, PartialEq)]
pub enum TxnBody {
    /// `createSession` (−10): the negotiated timeout.
    CreateSession(CreateSessionTxn),
    /// `closeSession` (−11): the ephemerals to delete, or no body (logs
    /// older than 3.6, or `closeSessionTxn.enabled=false`).
    CloseSession(Option<CloseSessionTxn>),
    /// `create` (1). Logs older than 3.3 hold a `CreateTxnV0`, read as a
    /// `CreateTxn` with `parentCVersion = -1`.
    Create(CreateTxn),
    /// `create2` (15): the same body as `create`.
    Create2(CreateTxn),
    /// `createContainer` (19).
    CreateContainer(CreateContainerTxn),
    /// `createTTL` (21).
    CreateTtl(CreateTTLTxn),
    /// `delete` (2).
    Delete(DeleteTxn),
    /// `deleteContainer` (20): a container or TTL node reaped by the server.
    DeleteContainer(DeleteTxn),
    /// `setData` (5).
    SetData(SetDataTxn),
    /// `reconfig` (16): a `setData` of `/zookeeper/config`.
    Reconfig(SetDataTxn),
    /// `setACL` (7).
    SetAcl(SetACLTxn),
    /// `check` (13); only ever inside a multi.
    Check(CheckVersionTxn),
    /// `error` (−1): a failed write, which still uses a zxid.
    Error(ErrorTxn),
    /// `multi` (14): the operations, each with its own type.
    Multi(Vec<TxnBody>),
}

impl TxnBody {
    /// The header type of this body.
    pub fn op(&self) -> i32 {
        match self {
            TxnBody::CreateSession(_) => op::CREATE_SESSION,
            TxnBody::CloseSession(_) => op::CLOSE_SESSION,
            TxnBody::Create(_) => op::CREATE,
            TxnBody::Create2(_) => op::CREATE2,
            TxnBody::CreateContainer(_) => op::CREATE_CONTAINER,
            TxnBody::CreateTtl(_) => op::CREATE_TTL,
            TxnBody::Delete(_) => op::DELETE,
            TxnBody::DeleteContainer(_) => op::DELETE_CONTAINER,
            TxnBody::SetData(_) => op::SET_DATA,
            TxnBody::Reconfig(_) => op::RECONFIG,
            TxnBody::SetAcl(_) => op::SET_ACL,
            TxnBody::Check(_) => op::CHECK,
            TxnBody::Error(_) => op::ERROR,
            TxnBody::Multi(_) => op::MULTI,
        }
    }

    /// An error body with `code`.
    pub fn error(code: i32) -> TxnBody {
        TxnBody::Error(ErrorTxn { err: code })
    }

    /// Appends the body's bytes (nothing for a body-less closeSession).
    pub fn write_to(&self, out: &mut Vec<u8>) {
        match self {
            TxnBody::CreateSession(t) => t.write_to(out),
            TxnBody::CloseSession(Some(t)) => t.write_to(out),
            TxnBody::CloseSession(None) => {}
            TxnBody::Create(t) | TxnBody::Create2(t) => t.write_to(out),
            TxnBody::CreateContainer(t) => t.write_to(out),
            TxnBody::CreateTtl(t) => t.write_to(out),
            TxnBody::Delete(t) | TxnBody::DeleteContainer(t) => t.write_to(out),
            TxnBody::SetData(t) | TxnBody::Reconfig(t) => t.write_to(out),
            TxnBody::SetAcl(t) => t.write_to(out),
            TxnBody::Check(t) => t.write_to(out),
            TxnBody::Error(t) => t.write_to(out),
            TxnBody::Multi(ops) => {
                let txns = ops
                    .iter()
                    .map(|body| {
                        let mut data = Vec::new();
                        body.write_to(&mut data);
                        SubTxn {
                            r#type: body.op(),
                            data: Some(Bytes::from(data)),
                        }
                    })
                    .collect();
                MultiTxn { txns: Some(txns) }.write_to(out);
            }
        }
    }

    /// Reads the body of a transaction of type `op` from `reader`, which
    /// holds exactly the bytes after the header (and possibly a digest).
    fn read(op: i32, reader: &mut Reader<'_>) -> Result<TxnBody, TxnError> {
        let start = reader.clone();
        let body = match op {
            op::CREATE_SESSION => TxnBody::CreateSession(CreateSessionTxn::read_from(reader)?),
            op::CLOSE_SESSION => match CloseSessionTxn::read_from(reader) {
                Ok(t) => TxnBody::CloseSession(Some(t)),
                // Written without a body: nothing more to read.
                Err(e) if is_eof(&e) => {
                    *reader = start;
                    TxnBody::CloseSession(None)
                }
                Err(e) => return Err(e.into()),
            },
            op::CREATE => match CreateTxn::read_from(reader) {
                Ok(t) => TxnBody::Create(t),
                Err(e) if is_eof(&e) => {
                    *reader = start;
                    let v0 = CreateTxnV0::read_from(reader)?;
                    TxnBody::Create(CreateTxn {
                        path: v0.path,
                        data: v0.data,
                        acl: v0.acl,
                        ephemeral: v0.ephemeral,
                        parent_c_version: -1,
                    })
                }
                Err(e) => return Err(e.into()),
            },
            op::CREATE2 => TxnBody::Create2(CreateTxn::read_from(reader)?),
            op::CREATE_TTL => TxnBody::CreateTtl(CreateTTLTxn::read_from(reader)?),
            op::CREATE_CONTAINER => {
                TxnBody::CreateContainer(CreateContainerTxn::read_from(reader)?)
            }
            op::DELETE => TxnBody::Delete(DeleteTxn::read_from(reader)?),
            op::DELETE_CONTAINER => TxnBody::DeleteContainer(DeleteTxn::read_from(reader)?),
            op::SET_DATA => TxnBody::SetData(SetDataTxn::read_from(reader)?),
            op::RECONFIG => TxnBody::Reconfig(SetDataTxn::read_from(reader)?),
            op::SET_ACL => TxnBody::SetAcl(SetACLTxn::read_from(reader)?),
            op::ERROR => TxnBody::Error(ErrorTxn::read_from(reader)?),
            op::MULTI => {
                let multi = MultiTxn::read_from(reader)?;
                let mut ops = Vec::new();
                for sub in multi.txns.unwrap_or_default() {
                    let data = sub.data.unwrap_or_default();
                    let mut sub_reader = Reader::new(&data, reader.limits());
                    ops.push(TxnBody::read_sub(sub.r#type, &mut sub_reader)?);
                }
                TxnBody::Multi(ops)
            }
            other => return Err(TxnError::UnsupportedType(other)),
        };
        Ok(body)
    }

    /// Reads one operation of a multi (`DataTree.processTxn`'s rules: the
    /// create types, delete, setData, check and error).
    fn read_sub(op: i32, reader: &mut Reader<'_>) -> Result<TxnBody, TxnError> {
        Ok(match op {
            op::CREATE => TxnBody::Create(CreateTxn::read_from(reader)?),
            op::CREATE2 => TxnBody::Create2(CreateTxn::read_from(reader)?),
            op::CREATE_TTL => TxnBody::CreateTtl(CreateTTLTxn::read_from(reader)?),
            op::CREATE_CONTAINER => {
                TxnBody::CreateContainer(CreateContainerTxn::read_from(reader)?)
            }
            op::DELETE => TxnBody::Delete(DeleteTxn::read_from(reader)?),
            op::DELETE_CONTAINER => TxnBody::DeleteContainer(DeleteTxn::read_from(reader)?),
            op::SET_DATA => TxnBody::SetData(SetDataTxn::read_from(reader)?),
            op::CHECK => TxnBody::Check(CheckVersionTxn::read_from(reader)?),
            op::ERROR => TxnBody::Error(ErrorTxn::read_from(reader)?),
            other => return Err(TxnError::UnsupportedMultiOp(other)),
        })
    }
}

fn is_eof(e: &jute::Error) -> bool {
    matches!(e.kind, ErrorKind::Truncated { .. })
}

/// A whole transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct Txn {
    pub header: TxnHeader,
    pub body: TxnBody,
    /// The tree digest after this transaction (absent in logs written
    /// with `digest.enabled=false` or before 3.6).
    pub digest: Option<TxnDigest>,
}

/// Why transaction bytes could not be decoded.
#[derive(Debug, Clone, PartialEq)]
pub enum TxnError {
    /// The bytes do not hold the records the type calls for.
    Malformed(jute::Error),
    /// A header type Java cannot read back either.
    UnsupportedType(i32),
    /// An operation type that cannot appear inside a multi.
    UnsupportedMultiOp(i32),
}

impl From<jute::Error> for TxnError {
    fn from(e: jute::Error) -> Self {
        TxnError::Malformed(e)
    }
}

impl fmt::Display for TxnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TxnError::Malformed(e) => write!(f, "malformed transaction: {e}"),
            TxnError::UnsupportedType(t) => write!(f, "unsupported transaction type {t}"),
            TxnError::UnsupportedMultiOp(t) => {
                write!(f, "unsupported operation type {t} inside a multi")
            }
        }
    }
}

impl std::error::Error for TxnError {}

impl Txn {
    /// The transaction's zxid.
    pub fn zxid(&self) -> i64 {
        self.header.zxid
    }

    /// The bytes of the transaction: header, body, digest — what the
    /// transaction log stores between the length and the end-of-record
    /// byte, and what a PROPOSAL carries.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        self.header.write_to(&mut out);
        self.body.write_to(&mut out);
        if let Some(digest) = &self.digest {
            digest.write_to(&mut out);
        }
        out
    }

    /// Decodes transaction bytes as Java does. With `digest_enabled`, a
    /// `TxnDigest` after the body is read if present (Java's
    /// `digest.enabled`); otherwise trailing bytes are ignored.
    pub fn decode(bytes: &[u8], limits: Limits, digest_enabled: bool) -> Result<Txn, TxnError> {
        let mut reader = Reader::new(bytes, limits);
        let header = TxnHeader::read_from(&mut reader)?;
        let body = TxnBody::read(header.r#type, &mut reader)?;
        let digest = if digest_enabled {
            match TxnDigest::read_from(&mut reader) {
                Ok(d) => Some(d),
                Err(e) if is_eof(&e) => None,
                Err(e) => return Err(e.into()),
            }
        } else {
            None
        };
        Ok(Txn {
            header,
            body,
            digest,
        })
    }
}

/// A `TxnHeader` for a transaction.
pub fn header(session_id: i64, cxid: i32, zxid: i64, time_ms: i64, op: i32) -> TxnHeader {
    TxnHeader {
        client_id: session_id,
        cxid,
        zxid,
        time: time_ms,
        r#type: op,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jute::data::{Id, ACL};
    use jute::Record;

    fn open_acl() -> Option<Vec<ACL>> {
        Some(vec![ACL {
            perms: 31,
            id: Id {
                scheme: Some("world".into()),
                id: Some("anyone".into()),
            },
        }])
    }

    fn create(path: &str) -> CreateTxn {
        CreateTxn {
            path: Some(path.into()),
            data: Some(Bytes::from_static(b"x")),
            acl: open_acl(),
            ephemeral: false,
            parent_c_version: 1,
        }
    }

    fn round_trip(body: TxnBody) {
        let txn = Txn {
            header: header(0x100, 7, 0x5_0000_0001, 1_700_000_000_000, body.op()),
            body,
            digest: Some(TxnDigest {
                version: 2,
                tree_digest: 12345,
            }),
        };
        let bytes = txn.to_bytes();
        assert_eq!(Txn::decode(&bytes, Limits::default(), true).unwrap(), txn);
    }

    #[test]
    fn every_body_round_trips() {
        round_trip(TxnBody::CreateSession(CreateSessionTxn { time_out: 30000 }));
        round_trip(TxnBody::CloseSession(Some(CloseSessionTxn {
            paths2_delete: Some(vec!["/a".into()]),
        })));
        round_trip(TxnBody::Create(create("/a")));
        round_trip(TxnBody::Create2(create("/b")));
        round_trip(TxnBody::SetData(SetDataTxn {
            path: Some("/a".into()),
            data: None,
            version: 3,
        }));
        round_trip(TxnBody::error(-110));
        round_trip(TxnBody::Multi(vec![
            TxnBody::Create2(create("/m")),
            TxnBody::Check(CheckVersionTxn {
                path: Some("/m".into()),
                version: 1,
            }),
            TxnBody::error(-2),
        ]));
    }

    #[test]
    fn close_session_without_body_and_without_digest() {
        let txn = Txn {
            header: header(1, 0, 2, 3, op::CLOSE_SESSION),
            body: TxnBody::CloseSession(None),
            digest: None,
        };
        let bytes = txn.to_bytes();
        assert_eq!(bytes.len(), 32);
        assert_eq!(Txn::decode(&bytes, Limits::default(), true).unwrap(), txn);
    }

    #[test]
    fn old_create_bodies_read_as_v0() {
        // A CreateTxnV0 body: no parentCVersion.
        let v0 = CreateTxnV0 {
            path: Some("/old".into()),
            data: Some(Bytes::from_static(b"d")),
            acl: open_acl(),
            ephemeral: true,
        };
        let mut bytes = header(9, 1, 5, 6, op::CREATE).to_bytes();
        v0.write_to(&mut bytes);
        let txn = Txn::decode(&bytes, Limits::default(), true).unwrap();
        match txn.body {
            TxnBody::Create(c) => {
                assert_eq!(c.parent_c_version, -1);
                assert!(c.ephemeral);
                assert_eq!(c.path.as_deref(), Some("/old"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(txn.digest, None);
    }

    #[test]
    fn bad_types_are_errors() {
        let bytes = header(1, 1, 1, 1, op::GET_DATA).to_bytes();
        assert_eq!(
            Txn::decode(&bytes, Limits::default(), true),
            Err(TxnError::UnsupportedType(op::GET_DATA))
        );
        // A multi holding a read.
        let mut bytes = header(1, 1, 1, 1, op::MULTI).to_bytes();
        MultiTxn {
            txns: Some(vec![SubTxn {
                r#type: op::GET_DATA,
                data: Some(Bytes::new()),
            }]),
        }
        .write_to(&mut bytes);
        assert_eq!(
            Txn::decode(&bytes, Limits::default(), true),
            Err(TxnError::UnsupportedMultiOp(op::GET_DATA))
        );
        assert!(Txn::decode(&[0; 10], Limits::default(), true).is_err());
    }
}
