//! `multi` (14) and `multiRead` (22): a list of operations, each preceded
//! by a `MultiHeader`, ended by `MultiHeader{-1, true, -1}`; and the list of
//! results in the same framing.
//!
//! Decoding follows Java's `MultiOperationRecord`: a create's flags must be
//! a known create mode (else the whole request is malformed); a container
//! mode turns the operation into `createContainer`, a TTL mode into
//! `createTTL`; a `createTTL` whose flags are not a TTL mode becomes a plain
//! `create`; read and write operations cannot be mixed.

use bytes::BytesMut;
use jute::data::Stat;
use jute::proto::{
    CheckVersionRequest, Create2Response, CreateRequest, CreateResponse, CreateTTLRequest,
    DeleteRequest, ErrorResponse, GetChildrenRequest, GetChildrenResponse, GetDataRequest,
    GetDataResponse, MultiHeader, SetDataRequest, SetDataResponse,
};
use jute::{Jute, Limits, Reader};

use super::op;

/// One operation of a multi request, with the opcode it is processed as.
#[derive(Debug, Clone, PartialEq)]
pub enum MultiOp {
    /// `create` (1), `create2` (15) or `createContainer` (19).
    Create {
        op: i32,
        request: CreateRequest,
    },
    CreateTtl(CreateTTLRequest),
    Delete(DeleteRequest),
    SetData(SetDataRequest),
    Check(CheckVersionRequest),
    GetChildren(GetChildrenRequest),
    GetData(GetDataRequest),
}

impl MultiOp {
    /// The opcode the operation is processed as.
    pub fn op(&self) -> i32 {
        match self {
            MultiOp::Create { op, .. } => *op,
            MultiOp::CreateTtl(_) => op::CREATE_TTL,
            MultiOp::Delete(_) => op::DELETE,
            MultiOp::SetData(_) => op::SET_DATA,
            MultiOp::Check(_) => op::CHECK,
            MultiOp::GetChildren(_) => op::GET_CHILDREN,
            MultiOp::GetData(_) => op::GET_DATA,
        }
    }

    /// True for the read operations (getChildren, getData).
    pub fn is_read(&self) -> bool {
        matches!(self, MultiOp::GetChildren(_) | MultiOp::GetData(_))
    }

    /// The path the operation is about.
    pub fn path(&self) -> Option<&str> {
        match self {
            MultiOp::Create { request, .. } => request.path.as_deref(),
            MultiOp::CreateTtl(r) => r.path.as_deref(),
            MultiOp::Delete(r) => r.path.as_deref(),
            MultiOp::SetData(r) => r.path.as_deref(),
            MultiOp::Check(r) => r.path.as_deref(),
            MultiOp::GetChildren(r) => r.path.as_deref(),
            MultiOp::GetData(r) => r.path.as_deref(),
        }
    }
}

/// Why a multi request is malformed (the client gets MARSHALLINGERROR).
#[derive(Debug, Clone, PartialEq)]
pub enum MultiError {
    Decode(jute::Error),
    InvalidCreateFlags(i32),
    InvalidOpType(i32),
    MixedKinds,
    /// A create without an ACL list: Java fails this with a null-pointer
    /// exception, which it also answers with MARSHALLINGERROR.
    NullAcl,
}

impl MultiError {
    /// Whether Java used up a zxid on this failure: it does when the record
    /// itself fails to decode (the multi's header was already made), not
    /// when its option builder throws a null-pointer exception.
    pub fn consumes_zxid(&self) -> bool {
        !matches!(self, MultiError::NullAcl)
    }
}

impl std::fmt::Display for MultiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MultiError::Decode(e) => write!(f, "malformed multi: {e}"),
            MultiError::InvalidCreateFlags(flags) => {
                write!(f, "invalid flag {flags} for create mode")
            }
            MultiError::InvalidOpType(t) => write!(f, "invalid type of op {t}"),
            MultiError::MixedKinds => f.write_str("mixing read and write operations"),
            MultiError::NullAcl => f.write_str("a create without an ACL list"),
        }
    }
}

impl From<jute::Error> for MultiError {
    fn from(e: jute::Error) -> Self {
        MultiError::Decode(e)
    }
}

/// Create flags 0..=6 are the known create modes.
fn is_create_mode(flags: i32) -> bool {
    (0..=6).contains(&flags)
}

fn is_ttl_mode(flags: i32) -> bool {
    flags == 5 || flags == 6
}

/// Decodes a multi or multiRead request body.
pub fn decode_multi(body: &[u8], limits: Limits) -> Result<Vec<MultiOp>, MultiError> {
    let mut reader = Reader::new(body, limits);
    let mut ops: Vec<MultiOp> = Vec::new();
    loop {
        let header = MultiHeader::read_from(&mut reader)?;
        if header.done {
            break;
        }
        let next = match header.r#type {
            op::CREATE | op::CREATE2 | op::CREATE_CONTAINER => {
                let request = CreateRequest::read_from(&mut reader)?;
                if !is_create_mode(request.flags) {
                    return Err(MultiError::InvalidCreateFlags(request.flags));
                }
                if request.acl.is_none() {
                    return Err(MultiError::NullAcl);
                }
                if is_ttl_mode(request.flags) {
                    // Java builds create options for a TTL mode without a
                    // TTL, which it rejects as malformed.
                    return Err(MultiError::InvalidCreateFlags(request.flags));
                }
                let op = if request.flags == 4 {
                    op::CREATE_CONTAINER
                } else {
                    header.r#type
                };
                MultiOp::Create { op, request }
            }
            op::CREATE_TTL => {
                let request = CreateTTLRequest::read_from(&mut reader)?;
                if is_ttl_mode(request.flags) {
                    MultiOp::CreateTtl(request)
                } else {
                    // Unknown flags default to PERSISTENT here, as in Java.
                    let flags = if is_create_mode(request.flags) {
                        request.flags
                    } else {
                        0
                    };
                    let op = if flags == 4 {
                        op::CREATE_CONTAINER
                    } else {
                        op::CREATE
                    };
                    MultiOp::Create {
                        op,
                        request: CreateRequest {
                            path: request.path,
                            data: request.data,
                            acl: request.acl,
                            flags: request.flags,
                        },
                    }
                }
            }
            op::DELETE => MultiOp::Delete(DeleteRequest::read_from(&mut reader)?),
            op::SET_DATA => MultiOp::SetData(SetDataRequest::read_from(&mut reader)?),
            op::CHECK => MultiOp::Check(CheckVersionRequest::read_from(&mut reader)?),
            op::GET_CHILDREN => MultiOp::GetChildren(GetChildrenRequest::read_from(&mut reader)?),
            op::GET_DATA => MultiOp::GetData(GetDataRequest::read_from(&mut reader)?),
            other => return Err(MultiError::InvalidOpType(other)),
        };
        if let Some(first) = ops.first() {
            if first.is_read() != next.is_read() {
                return Err(MultiError::MixedKinds);
            }
        }
        ops.push(next);
    }
    Ok(ops)
}

/// One result of a multi or multiRead.
#[derive(Debug, Clone, PartialEq)]
pub enum MultiResult {
    /// A `create` (1): the path only.
    Create(String),
    /// `create2`, `createTTL`, `createContainer`: path and stat (type 15).
    Create2(String, Stat),
    Delete,
    SetData(Stat),
    Check,
    GetChildren(Vec<String>),
    GetData(Option<bytes::Bytes>, Stat),
    /// A failed (or rolled-back) operation: its error code.
    Error(i32),
}

/// Encodes the results of a multi or multiRead.
pub fn encode_multi_response(results: &[MultiResult], out: &mut BytesMut) {
    let header = |r#type: i32, err: i32| MultiHeader {
        r#type,
        done: false,
        err,
    };
    for result in results {
        match result {
            MultiResult::Create(path) => {
                header(op::CREATE, 0).write_to(out);
                CreateResponse {
                    path: Some(path.clone()),
                }
                .write_to(out);
            }
            MultiResult::Create2(path, stat) => {
                header(op::CREATE2, 0).write_to(out);
                Create2Response {
                    path: Some(path.clone()),
                    stat: stat.clone(),
                }
                .write_to(out);
            }
            MultiResult::Delete => header(op::DELETE, 0).write_to(out),
            MultiResult::Check => header(op::CHECK, 0).write_to(out),
            MultiResult::SetData(stat) => {
                header(op::SET_DATA, 0).write_to(out);
                SetDataResponse { stat: stat.clone() }.write_to(out);
            }
            MultiResult::GetChildren(children) => {
                header(op::GET_CHILDREN, 0).write_to(out);
                GetChildrenResponse {
                    children: Some(children.clone()),
                }
                .write_to(out);
            }
            MultiResult::GetData(data, stat) => {
                header(op::GET_DATA, 0).write_to(out);
                GetDataResponse {
                    data: data.clone(),
                    stat: stat.clone(),
                }
                .write_to(out);
            }
            MultiResult::Error(err) => {
                header(op::ERROR, *err).write_to(out);
                ErrorResponse { err: *err }.write_to(out);
            }
        }
    }
    MultiHeader {
        r#type: -1,
        done: true,
        err: -1,
    }
    .write_to(out);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(r#type: i32) -> MultiHeader {
        MultiHeader {
            r#type,
            done: false,
            err: -1,
        }
    }

    fn end() -> MultiHeader {
        MultiHeader {
            r#type: -1,
            done: true,
            err: -1,
        }
    }

    fn create(flags: i32) -> CreateRequest {
        CreateRequest {
            path: Some("/a".into()),
            data: None,
            acl: Some(vec![]),
            flags,
        }
    }

    fn encode(parts: &[&dyn super::super::WriteRecord]) -> Vec<u8> {
        let mut out = BytesMut::new();
        for p in parts {
            p.write_record(&mut out);
        }
        out.to_vec()
    }

    #[test]
    fn decodes_ops_and_applies_javas_create_rules() {
        let body = encode(&[
            &header(op::CREATE2),
            &create(0),
            &header(op::CREATE),
            &create(4),
            &header(op::DELETE),
            &DeleteRequest {
                path: Some("/a".into()),
                version: -1,
            },
            &end(),
        ]);
        let ops = decode_multi(&body, Limits::default()).unwrap();
        assert_eq!(ops.len(), 3);
        assert_eq!(ops[0].op(), op::CREATE2);
        assert_eq!(ops[1].op(), op::CREATE_CONTAINER);
        assert_eq!(ops[2].op(), op::DELETE);
    }

    #[test]
    fn malformed_multis_are_errors() {
        let bad_flags = encode(&[&header(op::CREATE), &create(9), &end()]);
        assert_eq!(
            decode_multi(&bad_flags, Limits::default()),
            Err(MultiError::InvalidCreateFlags(9))
        );
        let mixed = encode(&[
            &header(op::GET_DATA),
            &GetDataRequest {
                path: Some("/".into()),
                watch: false,
            },
            &header(op::CREATE),
            &create(0),
            &end(),
        ]);
        assert_eq!(
            decode_multi(&mixed, Limits::default()),
            Err(MultiError::MixedKinds)
        );
        let unknown = encode(&[&header(op::SYNC), &end()]);
        assert_eq!(
            decode_multi(&unknown, Limits::default()),
            Err(MultiError::InvalidOpType(op::SYNC))
        );
        // No end marker.
        let truncated = encode(&[&header(op::CREATE), &create(0)]);
        assert!(matches!(
            decode_multi(&truncated, Limits::default()),
            Err(MultiError::Decode(_))
        ));
    }

    #[test]
    fn an_empty_multi_is_valid() {
        let body = encode(&[&end()]);
        assert_eq!(decode_multi(&body, Limits::default()).unwrap(), vec![]);
    }

    #[test]
    fn results_encode_with_headers_and_end_marker() {
        let mut out = BytesMut::new();
        encode_multi_response(&[MultiResult::Delete, MultiResult::Error(-2)], &mut out);
        // delete header (9 bytes), error header (9) + ErrorResponse (4), end (9).
        assert_eq!(out.len(), 9 + 9 + 4 + 9);
        assert_eq!(&out[..4], &op::DELETE.to_be_bytes());
        assert_eq!(&out[9..13], &(-1i32).to_be_bytes());
        assert_eq!(&out[14..18], &(-2i32).to_be_bytes());
    }
}
