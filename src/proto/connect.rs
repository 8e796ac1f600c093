//! The connect handshake: the first frame of a client connection and the
//! server's answer.
//!
//! The `readOnly` byte at the end of `ConnectRequest` is optional: clients
//! before 3.4 do not send it. The server reads the fields without it, then
//! tries one more byte; the answer carries `readOnly` only if the request
//! did (Java's `ProtocolManager`, 3.8.0 and 3.9.3+ alike).

use bytes::Bytes;
use jute::proto::{ConnectRequest, ConnectResponse};
use jute::{Jute, Limits, Reader};

/// A decoded connect request and whether it carried the `readOnly` byte.
#[derive(Debug, Clone, PartialEq)]
pub struct Connect {
    pub request: ConnectRequest,
    pub sent_read_only: bool,
}

/// Decodes the first frame of a connection.
pub fn decode_connect(frame: &[u8], limits: Limits) -> Result<Connect, jute::Error> {
    let mut reader = Reader::new(frame, limits);
    let field = |e: jute::Error, name| e.in_field("ConnectRequest", name);
    let protocol_version = reader.read_int().map_err(|e| field(e, "protocolVersion"))?;
    let last_zxid_seen = reader.read_long().map_err(|e| field(e, "lastZxidSeen"))?;
    let time_out = reader.read_int().map_err(|e| field(e, "timeOut"))?;
    let session_id = reader.read_long().map_err(|e| field(e, "sessionId"))?;
    let passwd = reader.read_opt_buffer().map_err(|e| field(e, "passwd"))?;
    let read_only = reader.read_bool().ok();
    Ok(Connect {
        request: ConnectRequest {
            protocol_version,
            last_zxid_seen,
            time_out,
            session_id,
            passwd,
            read_only: read_only.unwrap_or(false),
        },
        sent_read_only: read_only.is_some(),
    })
}

/// Encodes the answer to a connect request as a whole frame (length
/// prefix included), with the `readOnly` byte only if `with_read_only`.
pub fn encode_connect_response(response: &ConnectResponse, with_read_only: bool) -> Bytes {
    let mut body = Vec::with_capacity(40);
    response.protocol_version.write_to(&mut body);
    response.time_out.write_to(&mut body);
    response.session_id.write_to(&mut body);
    response.passwd.write_to(&mut body);
    if with_read_only {
        response.read_only.write_to(&mut body);
    }
    super::frame(&body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jute::Record;

    fn request(read_only: bool) -> ConnectRequest {
        ConnectRequest {
            protocol_version: 0,
            last_zxid_seen: 5,
            time_out: 30000,
            session_id: 0,
            passwd: Some(Bytes::from_static(&[0; 16])),
            read_only,
        }
    }

    #[test]
    fn with_and_without_the_read_only_byte() {
        let full = request(true).to_bytes();
        let connect = decode_connect(&full, Limits::default()).unwrap();
        assert!(connect.sent_read_only);
        assert!(connect.request.read_only);
        // An old client: the same fields without the last byte.
        let old = &full[..full.len() - 1];
        let connect = decode_connect(old, Limits::default()).unwrap();
        assert!(!connect.sent_read_only);
        assert_eq!(connect.request, request(false));
        // Truncated before the password is an error.
        assert!(decode_connect(&full[..20], Limits::default()).is_err());
    }

    #[test]
    fn the_response_echoes_the_read_only_byte_only_if_sent() {
        let response = ConnectResponse {
            protocol_version: 0,
            time_out: 4000,
            session_id: 0x0100_0000_0000_0001,
            passwd: Some(Bytes::from_static(&[7; 16])),
            read_only: false,
        };
        let with = encode_connect_response(&response, true);
        let without = encode_connect_response(&response, false);
        assert_eq!(with.len(), 4 + 4 + 4 + 8 + 4 + 16 + 1);
        assert_eq!(without.len(), with.len() - 1);
        assert_eq!(&with[..4], &((with.len() - 4) as i32).to_be_bytes());
        assert_eq!(&without[4..], &with[4..with.len() - 1]);
    }
}
