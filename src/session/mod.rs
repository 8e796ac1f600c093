//! Client sessions as ZooKeeper 3.9.5 keeps them: session ids, session
//! passwords, the expiry buckets and the session tracker of a standalone
//! server or a quorum leader (`SessionTrackerImpl`).
//!
//! Everything here is plain data driven by the caller: there are no threads
//! and no clocks. Times are Java's "elapsed" milliseconds
//! (`Time.currentElapsedTime()`, a monotonic clock), passed in as `now`.
//!
//! | Java | Rust |
//! |---|---|
//! | `SessionTrackerImpl.initializeNextSessionId` | [`initial_session_id`] |
//! | `ZooKeeperServer.generatePasswd` / `checkPasswd` | [`generate_password`] / [`check_password`] |
//! | `java.util.Random` | [`JavaRandom`] |
//! | `ExpiryQueue` | [`ExpiryQueue`] |
//! | `SessionTrackerImpl` (and its expirer thread) | [`SessionTracker`] |
//! | the timeout clamp in `processConnectRequest` | [`negotiate_timeout`] |

mod dump;
mod expiry;
mod id;
mod password;
mod tracker;

pub use dump::{elapsed_to_wall, java_date_utc, java_hash_set_order_of_longs};
pub use expiry::ExpiryQueue;
pub use id::{
    format_session_id, initial_session_id, SessionIdGenerator, CONTAINER_EPHEMERAL_OWNER,
    STANDALONE_SERVER_ID,
};
pub use password::{check_password, generate_password, JavaRandom, PASSWORD_LEN, PASSWORD_SECRET};
pub use tracker::{negotiate_timeout, SessionInfo, SessionTracker};
