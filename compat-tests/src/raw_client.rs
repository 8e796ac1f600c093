//! A small synchronous ZooKeeper client that speaks the client protocol at
//! the byte level, for tests that need inputs a real client never sends:
//! bad frames, malformed records, odd opcodes, limits.
//!
//! It does nothing behind the caller's back: no pings, no xid bookkeeping
//! beyond a counter the caller may use, no reconnects. Everything the server
//! sends is handed back as it came, and a closed connection is an
//! [`Incoming::Closed`] value rather than an error.
//!
//! ```no_run
//! use rzk_compat_tests::raw_client::{RawClient, new_session_request};
//! let mut client = RawClient::connect(2181).unwrap();
//! let answer = client.handshake(&new_session_request(30_000), true);
//! ```

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use bytes::Bytes;
use jute::proto::{ConnectRequest, ConnectResponse, ReplyHeader, RequestHeader};
use jute::{Jute, Limits, Reader};

/// How long to wait for something that must come: a reply, or the close of
/// a connection the server is expected to close. Generous, because a slow
/// machine running JVMs side by side must not fail a test.
pub const PATIENCE: Duration = Duration::from_secs(15);

/// The password a client sends for a new session: 16 zero bytes, as the
/// Java client does.
pub const EMPTY_PASSWORD: [u8; 16] = [0; 16];

/// What the connection produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// A whole frame, without its length prefix.
    Frame(Vec<u8>),
    /// The server closed the connection (end of stream or reset). Bytes of
    /// an incomplete frame that came before the end are in `partial`.
    Closed { partial: Vec<u8> },
    /// Nothing complete arrived in time; the connection is still open.
    Timeout,
}

/// A reply or notification: the header and the bytes after it.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub header: ReplyHeader,
    pub body: Vec<u8>,
}

impl Reply {
    /// Splits a frame into its `ReplyHeader` and the rest. `None` if the
    /// frame is shorter than a header.
    pub fn parse(frame: &[u8]) -> Option<Reply> {
        let mut reader = Reader::new(frame, Limits::default());
        let header = ReplyHeader::read_from(&mut reader).ok()?;
        Some(Reply {
            header,
            body: reader.remaining().to_vec(),
        })
    }

    /// Whether this is a watch notification (xid −1).
    pub fn is_notification(&self) -> bool {
        self.header.xid == -1
    }
}

/// The server's answer to a `ConnectRequest`.
#[derive(Debug, Clone, PartialEq)]
pub enum Handshake {
    /// A `ConnectResponse` frame came back.
    Answered {
        response: ConnectResponse,
        /// The frame's length (the body without the length prefix).
        frame_len: usize,
        /// Whether the frame carried the trailing `readOnly` byte.
        has_read_only: bool,
        /// The frame itself.
        frame: Vec<u8>,
    },
    /// A frame that is not a `ConnectResponse` (too short for one).
    Other(Vec<u8>),
    /// The connection closed without an answer.
    Closed,
    /// No answer in time, and the connection is open.
    Timeout,
}

/// A `ConnectRequest` for a new session with this timeout.
pub fn new_session_request(timeout_ms: i32) -> ConnectRequest {
    ConnectRequest {
        protocol_version: 0,
        last_zxid_seen: 0,
        time_out: timeout_ms,
        session_id: 0,
        passwd: Some(Bytes::from_static(&EMPTY_PASSWORD)),
        read_only: false,
    }
}

/// The bytes of a `ConnectRequest`, with or without the optional trailing
/// `readOnly` byte (clients before 3.4 do not send it).
pub fn connect_request_bytes(request: &ConnectRequest, with_read_only: bool) -> Vec<u8> {
    let mut body = Vec::with_capacity(45);
    request.protocol_version.write_to(&mut body);
    request.last_zxid_seen.write_to(&mut body);
    request.time_out.write_to(&mut body);
    request.session_id.write_to(&mut body);
    request.passwd.write_to(&mut body);
    if with_read_only {
        request.read_only.write_to(&mut body);
    }
    body
}

/// Decodes a `ConnectResponse` frame, which may lack the `readOnly` byte.
/// Returns the response and whether the byte was there.
pub fn parse_connect_response(frame: &[u8]) -> Option<(ConnectResponse, bool)> {
    let mut reader = Reader::new(frame, Limits::default());
    let protocol_version = reader.read_int().ok()?;
    let time_out = reader.read_int().ok()?;
    let session_id = reader.read_long().ok()?;
    let passwd = reader.read_opt_buffer().ok()?;
    let read_only = reader.read_bool().ok();
    Some((
        ConnectResponse {
            protocol_version,
            time_out,
            session_id,
            passwd,
            read_only: read_only.unwrap_or(false),
        },
        read_only.is_some(),
    ))
}

/// The encoding of any jute value.
pub fn encode(record: &impl Jute) -> Vec<u8> {
    let mut out = Vec::new();
    record.write_to(&mut out);
    out
}

/// A frame: the length, then the body.
pub fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + body.len());
    out.extend_from_slice(&(body.len() as i32).to_be_bytes());
    out.extend_from_slice(body);
    out
}

/// A request frame: `RequestHeader{xid, op}` then `body`.
pub fn request_frame(xid: i32, op: i32, body: &[u8]) -> Vec<u8> {
    let mut payload = encode(&RequestHeader { xid, r#type: op });
    payload.extend_from_slice(body);
    frame(&payload)
}

/// One TCP connection to a server's client port.
pub struct RawClient {
    /// `None` when the server reset the connection before `connect`
    /// returned (see [`RawClient::connect`]).
    stream: Option<TcpStream>,
    /// Bytes read but not yet returned as frames.
    buffer: Vec<u8>,
    /// Set once the end of the stream was seen.
    closed: bool,
    /// The next xid [`RawClient::next_xid`] hands out (starts at 1, like the
    /// Java client).
    xid: i32,
    /// The session established by [`RawClient::handshake`], if any.
    pub session_id: i64,
    pub password: Vec<u8>,
    pub timeout: i32,
}

impl RawClient {
    /// Connects to 127.0.0.1:`port`. A server that closes new connections
    /// at once (e.g. over `maxClientCnxns`) may reset one before `connect`
    /// returns: that gives a client that is already closed, as if the
    /// server had closed it right after. Only a refused connection (no
    /// server) is an error.
    pub fn connect(port: u16) -> io::Result<RawClient> {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let stream = match TcpStream::connect_timeout(&addr, Duration::from_secs(5)) {
            Ok(stream) => {
                // These fail on a connection that is already closed;
                // reading shows that.
                let _ = stream.set_nodelay(true);
                let _ = stream.set_write_timeout(Some(PATIENCE));
                Some(stream)
            }
            Err(e) if matches!(e.kind(), ErrorKind::ConnectionRefused | ErrorKind::TimedOut) => {
                return Err(e)
            }
            Err(_) => None,
        };
        Ok(RawClient {
            closed: stream.is_none(),
            stream,
            buffer: Vec::new(),
            xid: 1,
            session_id: 0,
            password: Vec::new(),
            timeout: 0,
        })
    }

    fn stream(&mut self) -> io::Result<&mut TcpStream> {
        self.stream
            .as_mut()
            .ok_or_else(|| io::Error::from(ErrorKind::ConnectionReset))
    }

    /// The next xid (1, 2, …).
    pub fn next_xid(&mut self) -> i32 {
        let xid = self.xid;
        self.xid += 1;
        xid
    }

    /// Writes raw bytes. A write to a connection the server has closed may
    /// fail; that is reported, not hidden.
    pub fn write_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        let stream = self.stream()?;
        stream.write_all(bytes)?;
        stream.flush()
    }

    /// Writes `bytes` in pieces of `piece` bytes, each its own `write`
    /// (`TCP_NODELAY` is on, so they normally leave as separate segments).
    pub fn write_in_pieces(&mut self, bytes: &[u8], piece: usize) -> io::Result<()> {
        let stream = self.stream()?;
        for chunk in bytes.chunks(piece.max(1)) {
            stream.write_all(chunk)?;
            stream.flush()?;
        }
        Ok(())
    }

    /// Writes one frame around `body`.
    pub fn write_frame(&mut self, body: &[u8]) -> io::Result<()> {
        self.write_raw(&frame(body))
    }

    /// Sends a request: header `{xid, op}` then the raw `body`.
    pub fn send_raw(&mut self, xid: i32, op: i32, body: &[u8]) -> io::Result<()> {
        self.write_raw(&request_frame(xid, op, body))
    }

    /// Sends a request with a record as its body.
    pub fn send(&mut self, xid: i32, op: i32, record: &impl Jute) -> io::Result<()> {
        self.send_raw(xid, op, &encode(record))
    }

    /// Waits up to `timeout` for the next whole frame.
    pub fn read_frame(&mut self, timeout: Duration) -> Incoming {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(frame) = self.take_frame() {
                return Incoming::Frame(frame);
            }
            if self.closed {
                return Incoming::Closed {
                    partial: std::mem::take(&mut self.buffer),
                };
            }
            let now = Instant::now();
            if now >= deadline {
                return Incoming::Timeout;
            }
            let left = (deadline - now).max(Duration::from_millis(1));
            let Ok(stream) = self.stream() else {
                self.closed = true;
                continue;
            };
            if stream.set_read_timeout(Some(left)).is_err() {
                self.closed = true;
                continue;
            }
            let mut chunk = [0u8; 64 * 1024];
            match stream.read(&mut chunk) {
                Ok(0) => self.closed = true,
                Ok(n) => self.buffer.extend_from_slice(&chunk[..n]),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                // Reset, aborted, …: the server is gone.
                Err(_) => self.closed = true,
            }
        }
    }

    /// A whole frame from the buffer, if one is there. A negative length
    /// (which no server sends) is returned as the rest of the buffer.
    fn take_frame(&mut self) -> Option<Vec<u8>> {
        if self.buffer.len() < 4 {
            return None;
        }
        let len = i32::from_be_bytes([
            self.buffer[0],
            self.buffer[1],
            self.buffer[2],
            self.buffer[3],
        ]);
        let len = usize::try_from(len).ok()?;
        if self.buffer.len() < 4 + len {
            return None;
        }
        let frame = self.buffer[4..4 + len].to_vec();
        self.buffer.drain(..4 + len);
        Some(frame)
    }

    /// Reads everything until the server closes the connection (or
    /// `timeout` passes): the raw bytes, and whether it closed.
    pub fn read_to_close(&mut self, timeout: Duration) -> (Vec<u8>, bool) {
        let deadline = Instant::now() + timeout;
        let mut all = std::mem::take(&mut self.buffer);
        while !self.closed {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            let Ok(stream) = self.stream() else {
                self.closed = true;
                break;
            };
            if stream.set_read_timeout(Some(deadline - now)).is_err() {
                self.closed = true;
                break;
            }
            let mut chunk = [0u8; 64 * 1024];
            match stream.read(&mut chunk) {
                Ok(0) => self.closed = true,
                Ok(n) => all.extend_from_slice(&chunk[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                    ) => {}
                Err(_) => self.closed = true,
            }
        }
        (all, self.closed)
    }

    /// Sends a `ConnectRequest` (with or without the `readOnly` byte) and
    /// waits for the answer. On an answer with a session, remembers the
    /// session id, password and timeout.
    pub fn handshake(&mut self, request: &ConnectRequest, with_read_only: bool) -> Handshake {
        let body = connect_request_bytes(request, with_read_only);
        if self.write_frame(&body).is_err() {
            return Handshake::Closed;
        }
        self.read_handshake(PATIENCE)
    }

    /// Waits for a `ConnectResponse` frame.
    pub fn read_handshake(&mut self, timeout: Duration) -> Handshake {
        match self.read_frame(timeout) {
            Incoming::Frame(frame) => {
                let Some((response, has_read_only)) = parse_connect_response(&frame) else {
                    return Handshake::Other(frame);
                };
                if response.session_id != 0 {
                    self.session_id = response.session_id;
                    self.password = response.passwd.as_deref().unwrap_or_default().to_vec();
                    self.timeout = response.time_out;
                }
                Handshake::Answered {
                    response,
                    frame_len: frame.len(),
                    has_read_only,
                    frame,
                }
            }
            Incoming::Closed { .. } => Handshake::Closed,
            Incoming::Timeout => Handshake::Timeout,
        }
    }

    /// Whether the server has closed the connection (as far as seen so far).
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Shuts the connection down from the client side.
    pub fn shutdown(&mut self) {
        if let Some(stream) = &self.stream {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
        self.closed = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_requests_with_and_without_the_read_only_byte() {
        let request = new_session_request(30_000);
        let full = connect_request_bytes(&request, true);
        let old = connect_request_bytes(&request, false);
        assert_eq!(full.len(), 4 + 8 + 4 + 8 + 4 + 16 + 1);
        assert_eq!(&full[..old.len()], &old[..]);
        // With the byte, the bytes are the record's own encoding.
        assert_eq!(full, encode(&request));
    }

    #[test]
    fn connect_responses_parse_with_and_without_the_read_only_byte() {
        let response = ConnectResponse {
            protocol_version: 0,
            time_out: 4000,
            session_id: 7,
            passwd: Some(Bytes::from_static(&[1; 16])),
            read_only: false,
        };
        let full = encode(&response);
        assert_eq!(
            parse_connect_response(&full),
            Some((response.clone(), true))
        );
        assert_eq!(
            parse_connect_response(&full[..full.len() - 1]),
            Some((response, false))
        );
    }

    #[test]
    fn replies_split_into_header_and_body() {
        let mut frame = encode(&ReplyHeader {
            xid: 3,
            zxid: 9,
            err: -101,
        });
        frame.extend_from_slice(&[1, 2]);
        let reply = Reply::parse(&frame).unwrap();
        assert_eq!(reply.header.xid, 3);
        assert_eq!(reply.header.err, -101);
        assert_eq!(reply.body, vec![1, 2]);
        assert!(Reply::parse(&frame[..10]).is_none());
    }

    #[test]
    fn request_frames_carry_their_length_and_header() {
        let f = request_frame(-2, 11, &[]);
        assert_eq!(f, [0, 0, 0, 8, 0xff, 0xff, 0xff, 0xfe, 0, 0, 0, 11]);
    }
}
