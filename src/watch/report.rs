//! The watch reports behind `wchs`, `wchc` and `wchp` (and the AdminServer's
//! `watch_summary`, `watches` and `watches_by_path`), and the bookkeeping
//! that lets us list paths in the order Java's hash maps iterate them.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Counts of the data-watch table (Java's `WatchesSummary`). Java reports
/// the data table only; child watches are not counted here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WatchesSummary {
    /// Connections known to the table (`num_connections`), including those
    /// whose watches have all fired.
    pub num_connections: usize,
    /// Paths with at least one watch (`num_paths`).
    pub num_paths: usize,
    /// (path, connection) pairs (`num_total_watches`).
    pub total_watches: usize,
}

impl fmt::Display for WatchesSummary {
    /// Java's `WatchManager.toString()`: two lines, no final newline.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} connections watching {} paths\nTotal watches:{}",
            self.num_connections, self.num_paths, self.total_watches
        )
    }
}

/// Watched paths by session id (Java's `WatchesReport`). Two connections
/// of one session, which Java would let overwrite each other, are merged.
pub type WatchesBySession = BTreeMap<i64, BTreeSet<String>>;

/// Session ids by watched path (Java's `WatchesPathReport`).
pub type WatchesByPath = BTreeMap<String, BTreeSet<i64>>;

/// Java's `Long.toHexString`: lower-case hex of the two's complement, no
/// padding.
pub(crate) fn java_hex(session_id: i64) -> String {
    format!("{:x}", session_id as u64)
}

/// Enough of a `java.util.HashMap<String, _>`'s history to reproduce the
/// order it iterates its keys: the table capacity (it doubles when the size
/// passes three quarters of it and never shrinks) and an insertion counter.
/// Keys iterate by bucket, `(h ^ h >>> 16) & (capacity - 1)` with `h` the
/// `String.hashCode`, and within a bucket by insertion (re-insertion after
/// removal goes to the end).
///
/// Not modelled: a bucket of more than eight keys, where Java resizes early
/// or switches to a tree bin. Ordinary path names never get there.
#[derive(Debug, Clone, Default)]
pub(crate) struct JavaHashOrder {
    /// Zero until the first insertion (Java allocates the table lazily).
    capacity: usize,
    next_stamp: u64,
}

impl JavaHashOrder {
    const INITIAL_CAPACITY: usize = 16;

    /// Records the insertion of a new key that brings the map to `len_after`
    /// keys, and returns the key's insertion stamp.
    pub(crate) fn stamp_insert(&mut self, len_after: usize) -> u64 {
        if self.capacity == 0 {
            self.capacity = Self::INITIAL_CAPACITY;
        }
        if len_after > self.capacity / 4 * 3 {
            self.capacity *= 2;
        }
        let stamp = self.next_stamp;
        self.next_stamp += 1;
        stamp
    }

    /// The keys in Java's iteration order, given each key's insertion stamp.
    pub(crate) fn sorted<'a>(&self, keys: impl Iterator<Item = (&'a str, u64)>) -> Vec<&'a str> {
        let mask = self.capacity.max(Self::INITIAL_CAPACITY) as u32 - 1;
        let mut keyed: Vec<(u32, u64, &str)> = keys
            .map(|(key, stamp)| {
                let h = java_string_hash(key) as u32;
                ((h ^ (h >> 16)) & mask, stamp, key)
            })
            .collect();
        keyed.sort_unstable();
        keyed.into_iter().map(|(_, _, key)| key).collect()
    }
}

/// Java's `String.hashCode`: `s[0]*31^(n-1) + … + s[n-1]` over UTF-16 code
/// units, wrapping.
pub(crate) fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, unit| {
        h.wrapping_mul(31).wrapping_add(i32::from(unit))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_hash_matches_java() {
        // Values from Java's "…".hashCode().
        assert_eq!(java_string_hash(""), 0);
        assert_eq!(java_string_hash("/"), 47);
        assert_eq!(java_string_hash("/a"), 47 * 31 + 97);
        assert_eq!(java_string_hash("hello"), 99162322);
        assert_eq!(java_string_hash("polygenelubricants"), i32::MIN);
        // One UTF-16 unit for 'ä' (0xe4), two for an astral character.
        assert_eq!(java_string_hash("ä"), 0xe4);
        assert_eq!(java_string_hash("\u{1F600}"), 0xd83d * 31 + 0xde00);
    }

    #[test]
    fn hex_is_java_long_to_hex_string() {
        assert_eq!(java_hex(0x1000023bf830000), "1000023bf830000");
        assert_eq!(java_hex(0), "0");
        assert_eq!(java_hex(-1), "ffffffffffffffff");
        assert_eq!(java_hex(i64::MIN | 0x10), "8000000000000010");
    }

    #[test]
    fn capacity_doubles_past_three_quarters() {
        let mut order = JavaHashOrder::default();
        for len in 1..=12 {
            order.stamp_insert(len);
        }
        assert_eq!(order.capacity, 16);
        order.stamp_insert(13);
        assert_eq!(order.capacity, 32);
        for len in 14..=24 {
            order.stamp_insert(len);
        }
        assert_eq!(order.capacity, 32);
        order.stamp_insert(25);
        assert_eq!(order.capacity, 64);
    }

    #[test]
    fn summary_prints_like_java() {
        let summary = WatchesSummary {
            num_connections: 1,
            num_paths: 2,
            total_watches: 3,
        };
        assert_eq!(
            summary.to_string(),
            "1 connections watching 2 paths\nTotal watches:3"
        );
    }
}
