//! A lean asynchronous client for the load generator: one TCP connection
//! and session, requests encoded with the jute records and written in
//! batches (pipelined), replies read as frames and matched by the caller.
//!
//! The server answers a connection's requests in order, so the caller keeps
//! its in-flight requests in a queue and pops the front for every reply
//! whose xid is not one of the special ones (notifications −1, pings −2).

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use jute::data::{Id, ACL};
use jute::proto::{
    CheckVersionRequest, ConnectRequest, ConnectResponse, CreateRequest, DeleteRequest,
    ExistsRequest, GetChildrenRequest, GetDataRequest, MultiHeader, ReplyHeader, RequestHeader,
    SetDataRequest,
};
use jute::{Jute, Limits, Reader, Record};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;

use crate::proto::codes::{perms, xid};
use crate::proto::op;

/// `CreateMode` flags.
pub mod create_mode {
    pub const PERSISTENT: i32 = 0;
    pub const EPHEMERAL_SEQUENTIAL: i32 = 3;
}

/// How long a handshake or a single awaited reply may take before the
/// client gives up.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// `world:anyone` with every permission (`OPEN_ACL_UNSAFE`).
pub fn open_acl() -> Vec<ACL> {
    vec![ACL {
        perms: perms::ALL,
        id: Id {
            scheme: Some("world".into()),
            id: Some("anyone".into()),
        },
    }]
}

/// A reply or notification: its header and the bytes after it.
#[derive(Debug, Clone)]
pub struct Reply {
    pub header: ReplyHeader,
    pub body: Bytes,
}

/// One session over one connection.
pub struct Connection {
    reader: OwnedReadHalf,
    writer: OwnedWriteHalf,
    rbuf: BytesMut,
    wbuf: BytesMut,
    next_xid: i32,
    pub session_id: i64,
    /// The negotiated session timeout.
    pub timeout: Duration,
}

fn invalid(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

impl Connection {
    /// Connects and creates a session with this timeout.
    pub async fn connect(addr: SocketAddr, timeout_ms: i32) -> io::Result<Connection> {
        let stream = tokio::time::timeout(PATIENCE, TcpStream::connect(addr))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "connect timed out"))??;
        stream.set_nodelay(true)?;
        let (reader, writer) = stream.into_split();
        let mut conn = Connection {
            reader,
            writer,
            rbuf: BytesMut::with_capacity(64 * 1024),
            wbuf: BytesMut::with_capacity(64 * 1024),
            next_xid: 1,
            session_id: 0,
            timeout: Duration::ZERO,
        };
        let request = ConnectRequest {
            protocol_version: 0,
            last_zxid_seen: 0,
            time_out: timeout_ms,
            session_id: 0,
            passwd: Some(Bytes::from_static(&[0; 16])),
            read_only: false,
        };
        let body = request.to_bytes();
        conn.wbuf.put_i32(body.len() as i32);
        conn.wbuf.put_slice(&body);
        conn.flush().await?;
        let frame = tokio::time::timeout(PATIENCE, conn.read_frame())
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "handshake timed out"))??;
        let response = ConnectResponse::decode(&frame, Limits::default())
            .map_err(|e| invalid(format!("bad ConnectResponse: {e}")))?;
        if response.time_out <= 0 {
            return Err(invalid("the server refused the session"));
        }
        conn.session_id = response.session_id;
        conn.timeout = Duration::from_millis(response.time_out as u64);
        Ok(conn)
    }

    /// The xid the next request gets.
    fn take_xid(&mut self) -> i32 {
        let xid = self.next_xid;
        self.next_xid = if xid == i32::MAX { 1 } else { xid + 1 };
        xid
    }

    /// Appends a request frame (header + `body`) to the write buffer;
    /// returns its xid. Nothing is sent until [`Connection::flush`].
    pub fn queue<R: Jute>(&mut self, opcode: i32, body: &R) -> i32 {
        let xid = self.take_xid();
        self.queue_with_xid(xid, opcode, Some(body));
        xid
    }

    fn queue_with_xid<R: Jute>(&mut self, xid: i32, opcode: i32, body: Option<&R>) {
        let start = self.wbuf.len();
        self.wbuf.put_i32(0);
        RequestHeader {
            xid,
            r#type: opcode,
        }
        .write_to(&mut self.wbuf);
        if let Some(body) = body {
            body.write_to(&mut self.wbuf);
        }
        let len = (self.wbuf.len() - start - 4) as i32;
        self.wbuf[start..start + 4].copy_from_slice(&len.to_be_bytes());
    }

    pub fn queue_get_data(&mut self, path: &str, watch: bool) -> i32 {
        self.queue(
            op::GET_DATA,
            &GetDataRequest {
                path: Some(path.to_string()),
                watch,
            },
        )
    }

    pub fn queue_exists(&mut self, path: &str) -> i32 {
        self.queue(
            op::EXISTS,
            &ExistsRequest {
                path: Some(path.to_string()),
                watch: false,
            },
        )
    }

    pub fn queue_get_children(&mut self, path: &str) -> i32 {
        self.queue(
            op::GET_CHILDREN,
            &GetChildrenRequest {
                path: Some(path.to_string()),
                watch: false,
            },
        )
    }

    pub fn queue_set_data(&mut self, path: &str, data: &Bytes) -> i32 {
        self.queue(
            op::SET_DATA,
            &SetDataRequest {
                path: Some(path.to_string()),
                data: Some(data.clone()),
                version: -1,
            },
        )
    }

    pub fn queue_create(&mut self, path: &str, data: &Bytes, acl: &[ACL], flags: i32) -> i32 {
        self.queue(
            op::CREATE,
            &CreateRequest {
                path: Some(path.to_string()),
                data: Some(data.clone()),
                acl: Some(acl.to_vec()),
                flags,
            },
        )
    }

    pub fn queue_delete(&mut self, path: &str) -> i32 {
        self.queue(
            op::DELETE,
            &DeleteRequest {
                path: Some(path.to_string()),
                version: -1,
            },
        )
    }

    /// A multi of `check(check_path, any version)` and
    /// `setData(set_path, data)`: one write transaction with two parts.
    pub fn queue_multi_check_set(&mut self, check_path: &str, set_path: &str, data: &Bytes) -> i32 {
        let mut body = BytesMut::with_capacity(64 + data.len());
        let header = |t: i32, done: bool, err: i32| MultiHeader {
            r#type: t,
            done,
            err,
        };
        header(op::CHECK, false, -1).write_to(&mut body);
        CheckVersionRequest {
            path: Some(check_path.to_string()),
            version: -1,
        }
        .write_to(&mut body);
        header(op::SET_DATA, false, -1).write_to(&mut body);
        SetDataRequest {
            path: Some(set_path.to_string()),
            data: Some(data.clone()),
            version: -1,
        }
        .write_to(&mut body);
        header(-1, true, -1).write_to(&mut body);
        let xid = self.take_xid();
        self.queue_raw(xid, op::MULTI, &body);
        xid
    }

    fn queue_raw(&mut self, xid: i32, opcode: i32, body: &[u8]) {
        self.wbuf.put_i32((8 + body.len()) as i32);
        RequestHeader {
            xid,
            r#type: opcode,
        }
        .write_to(&mut self.wbuf);
        self.wbuf.put_slice(body);
    }

    /// A ping (xid −2); its reply has xid −2 too.
    pub fn queue_ping(&mut self) {
        self.queue_raw(xid::PING, op::PING, &[]);
    }

    /// closeSession; returns its xid.
    pub fn queue_close(&mut self) -> i32 {
        let xid = self.take_xid();
        self.queue_raw(xid, op::CLOSE_SESSION, &[]);
        xid
    }

    /// Whether requests are queued and not yet sent.
    pub fn has_queued(&self) -> bool {
        !self.wbuf.is_empty()
    }

    /// Sends everything queued.
    pub async fn flush(&mut self) -> io::Result<()> {
        if !self.wbuf.is_empty() {
            self.writer.write_all(&self.wbuf).await?;
            self.wbuf.clear();
        }
        Ok(())
    }

    /// A whole frame already read, if there is one (no I/O).
    pub fn try_frame(&mut self) -> Option<Bytes> {
        if self.rbuf.len() < 4 {
            return None;
        }
        let len = i32::from_be_bytes(self.rbuf[..4].try_into().unwrap());
        let len = usize::try_from(len).ok()?;
        if self.rbuf.len() < 4 + len {
            return None;
        }
        self.rbuf.advance(4);
        Some(self.rbuf.split_to(len).freeze())
    }

    /// The next frame, reading from the socket as needed.
    pub async fn read_frame(&mut self) -> io::Result<Bytes> {
        loop {
            if self.rbuf.len() >= 4 {
                let len = i32::from_be_bytes(self.rbuf[..4].try_into().unwrap());
                if len < 0 {
                    return Err(invalid(format!("negative frame length {len}")));
                }
                if let Some(frame) = self.try_frame() {
                    return Ok(frame);
                }
                self.rbuf.reserve(4 + len as usize);
            } else if self.rbuf.capacity() - self.rbuf.len() < 4096 {
                self.rbuf.reserve(64 * 1024);
            }
            let n = self.reader.read_buf(&mut self.rbuf).await?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the server closed the connection",
                ));
            }
        }
    }

    /// The next reply or notification.
    pub async fn read_reply(&mut self) -> io::Result<Reply> {
        let frame = self.read_frame().await?;
        parse_reply(frame)
    }

    /// The next reply that is not a notification or a ping reply, within
    /// [`PATIENCE`].
    pub async fn read_answer(&mut self) -> io::Result<Reply> {
        tokio::time::timeout(PATIENCE, async {
            loop {
                let reply = self.read_reply().await?;
                if reply.header.xid != xid::NOTIFICATION && reply.header.xid != xid::PING {
                    return Ok(reply);
                }
            }
        })
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no reply in time"))?
    }

    /// Sends what is queued and waits for the answer to one request.
    pub async fn call(&mut self) -> io::Result<Reply> {
        self.flush().await?;
        self.read_answer().await
    }

    /// Closes the session (closeSession, then the socket); errors are
    /// ignored, the server cleans up either way.
    pub async fn close(mut self) {
        self.queue_close();
        if self.flush().await.is_ok() {
            let _ = tokio::time::timeout(Duration::from_secs(10), self.read_answer()).await;
        }
        let _ = self.writer.shutdown().await;
    }
}

/// Splits a frame into its reply header and body.
pub fn parse_reply(mut frame: Bytes) -> io::Result<Reply> {
    let header = ReplyHeader::read_from(&mut Reader::new(&frame, Limits::default()))
        .map_err(|e| invalid(format!("bad reply header: {e}")))?;
    frame.advance(16);
    Ok(Reply {
        header,
        body: frame,
    })
}

/// The path in a create's reply (`CreateResponse`).
pub fn created_path(body: &[u8]) -> Option<String> {
    Reader::new(body, Limits::default())
        .read_opt_string()
        .ok()
        .flatten()
}
