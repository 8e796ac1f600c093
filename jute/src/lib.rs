//! ZooKeeper's jute serialization: the wire and disk schema of ZooKeeper
//! 3.9.5 (`zookeeper.jute`), compiled to Rust at build time, and the binary
//! runtime it uses, which reproduces Java's `BinaryInputArchive` and
//! `BinaryOutputArchive` byte for byte.
//!
//! ```
//! use jute::{data::Stat, Record};
//! let stat = Stat { czxid: 1, ..Stat::default() };
//! let bytes = stat.to_bytes();
//! assert_eq!(bytes.len(), 68);
//! assert_eq!(Stat::decode(&bytes, jute::Limits::default()).unwrap(), stat);
//! ```

pub mod archive;
pub mod error;
pub mod idl;
pub mod value;

/// The code generated from `zookeeper.jute` (see `build.rs`).
pub mod generated {
    include!(concat!(env!("OUT_DIR"), "/zookeeper.rs"));
}

pub use archive::{Jute, Limits, Reader, Record};
pub use error::{Error, ErrorKind, Result};
pub use generated::org::apache::zookeeper::server::{persistence, quorum};
pub use generated::org::apache::zookeeper::{data, proto, txn};
pub use generated::RECORDS;
pub use value::{RecordInfo, Reflect, Value, ValueError};

/// The schema source the code was generated from.
pub const SCHEMA_SOURCE: &str = include_str!("../zookeeper.jute");

/// The schema, parsed at run time (for tools and tests that walk it).
pub fn schema() -> idl::Schema {
    idl::parse_schema("zookeeper.jute", SCHEMA_SOURCE)
        .expect("the build checked the schema that is embedded here")
}

/// The entry of [`RECORDS`] with this fully qualified name.
pub fn record_info(name: &str) -> Option<&'static RecordInfo> {
    RECORDS.iter().find(|r| r.name == name)
}
