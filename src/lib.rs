//! rzk: a drop-in replacement for Apache ZooKeeper, compatible with the Java
//! servers byte for byte. See `docs/architecture.md` for the map of modules.

pub mod auth;
pub mod bench;
pub mod config;
pub mod pipeline;
pub mod proto;
pub mod server;
pub mod session;
pub mod snapshot;
pub mod tree;
pub mod txn;
pub mod txnlog;
pub mod watch;

/// The wire schema and its runtime, generated from `jute/zookeeper.jute`.
pub use jute;

/// The ZooKeeper release whose behaviour rzk reproduces.
pub const ZOOKEEPER_VERSION: &str = "3.9.5";

/// What `rzk --version` prints after the program name.
pub const VERSION_LINE: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (compatible with Apache ZooKeeper 3.9.5)"
);
