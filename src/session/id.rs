//! Session ids (`SessionTrackerImpl.initializeNextSessionId`).

/// The server id a standalone server puts in the top byte of its session ids
/// (`ZooKeeperServer.createSessionTrackerServerId`).
pub const STANDALONE_SERVER_ID: i64 = 1;

/// The `ephemeralOwner` that marks a container node
/// (`EphemeralType.CONTAINER_EPHEMERAL_OWNER`), so never a session id.
pub const CONTAINER_EPHEMERAL_OWNER: i64 = i64::MIN;

/// The first session id a tracker hands out, as Java computes it:
/// `((elapsed_ms << 24) >>> 8) | (server_id << 56)`, i.e. the server id in the
/// top byte, the low 40 bits of the elapsed-time clock in the next five bytes
/// and zeros in the low two bytes. Like Java, a result equal to the
/// container marker ([`CONTAINER_EPHEMERAL_OWNER`], possible only with server
/// id 128) is bumped by one.
///
/// `elapsed_ms` is Java's `Time.currentElapsedTime()` (`System.nanoTime()`
/// in milliseconds). Server ids above 255 spill into the top byte exactly as
/// the Java shift does.
pub fn initial_session_id(elapsed_ms: i64, server_id: i64) -> i64 {
    let time_part = ((elapsed_ms << 24) as u64 >> 8) as i64;
    let id = time_part | (server_id << 56);
    if id == CONTAINER_EPHEMERAL_OWNER {
        id + 1
    } else {
        id
    }
}

/// Java's `"0x" + Long.toHexString(id)`: lower-case hex without padding,
/// negative ids as their 64-bit two's complement.
pub fn format_session_id(id: i64) -> String {
    format!("0x{:x}", id as u64)
}

/// The counter behind `SessionTracker.createSession`: starts at
/// [`initial_session_id`] and increments by one per new session
/// (`AtomicLong.getAndIncrement`, wrapping like Java's `long`).
///
/// Java checks for the container marker only when it computes the start
/// value; incrementing into it would take 2^56 sessions, so neither Java nor
/// this type guards against it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionIdGenerator {
    next: i64,
}

impl SessionIdGenerator {
    /// A generator starting at [`initial_session_id`]`(elapsed_ms, server_id)`.
    pub fn new(elapsed_ms: i64, server_id: i64) -> Self {
        SessionIdGenerator {
            next: initial_session_id(elapsed_ms, server_id),
        }
    }

    /// The id the next call to [`SessionIdGenerator::next_id`] returns.
    pub fn peek(&self) -> i64 {
        self.next
    }

    /// Returns the next session id and advances the counter.
    pub fn next_id(&mut self) -> i64 {
        let id = self.next;
        self.next = self.next.wrapping_add(1);
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// `((e << 24) >>> 8) | (sid << 56)` evaluated by a JVM (OpenJDK 17) for
    /// these (elapsed, server id) pairs.
    const JAVA_SESSION_IDS: &[(i64, i64, i64)] = &[
        (0, 0, 0),
        (0, 1, 72057594037927936),
        (0, 127, 9151314442816847872),
        (0, 255, -72057594037927936),
        (1, 1, 72057594037993472),
        (1, 128, -9223372036854710272),
        (1234567, 1, 72057674946510848),
        (1234567, 255, -72057513129345024),
        (1099511627775, 0, 72057594037862400),
        (1099511627775, 127, 9223372036854710272),
        (1099511627775, 254, -72057594037993472),
        (2199023255551, 1, 144115188075790336),
        (-1, 2, 216172782113718272),
        (-1, 255, -65536),
        (i64::MAX, 128, -9151314442816913408),
    ];

    #[test]
    fn initial_ids_match_java() {
        for &(elapsed, sid, want) in JAVA_SESSION_IDS {
            assert_eq!(initial_session_id(elapsed, sid), want, "{elapsed} {sid}");
        }
    }

    #[test]
    fn container_marker_is_skipped() {
        // Java computes i64::MIN for (elapsed 0, server id 128) and bumps it.
        assert_eq!(initial_session_id(0, 128), i64::MIN + 1);
        assert_eq!(initial_session_id(1 << 40, 128), i64::MIN + 1);
    }

    #[test]
    fn standalone_layout() {
        // A standalone id seen from a real 3.8.0 server: 0x10000153fd20000.
        let id = initial_session_id(0x153fd2, STANDALONE_SERVER_ID);
        assert_eq!(format_session_id(id), "0x10000153fd20000");
        assert_eq!(format_session_id(-1), "0xffffffffffffffff");
        assert_eq!(format_session_id(0), "0x0");
    }

    #[test]
    fn generator_increments() {
        let mut g = SessionIdGenerator::new(5, 1);
        let first = g.peek();
        assert_eq!(g.next_id(), first);
        assert_eq!(g.next_id(), first + 1);
        assert_eq!(g.peek(), first + 2);
        let mut top = SessionIdGenerator { next: i64::MAX };
        assert_eq!(top.next_id(), i64::MAX);
        assert_eq!(top.next_id(), i64::MIN);
    }

    proptest! {
        #[test]
        fn layout_holds(elapsed in any::<i64>(), sid in 0i64..=255) {
            let id = initial_session_id(elapsed, sid);
            if id != i64::MIN + 1 || sid != 128 {
                prop_assert_eq!((id as u64) >> 56, sid as u64);
                prop_assert_eq!(id & 0xffff, 0);
                prop_assert_eq!(((id as u64) >> 16) & 0xff_ffff_ffff, (elapsed as u64) & 0xff_ffff_ffff);
            }
        }
    }
}
