//! The client protocol: its numbers, and (to come) framing, the connect
//! handshake and the request and response records of every opcode.

pub mod codes;

pub use codes::{op, ErrorCode};
