//! Helpers for the `dump` four-letter word and the AdminServer `dump`
//! command: Java's time and date rendering and `HashSet<Long>` order.

/// `Time.elapsedTimeToDate(elapsed)` as wall-clock milliseconds since the
/// epoch: `now_wall + elapsed - now_elapsed`, where the two `now`s are the
/// current wall and elapsed (monotonic) clocks.
pub fn elapsed_to_wall(elapsed: i64, now_elapsed: i64, now_wall: i64) -> i64 {
    now_wall.wrapping_add(elapsed).wrapping_sub(now_elapsed)
}

/// `new Date(wall_ms).toString()` in a JVM whose default time zone is UTC
/// (as on the servers rzk is compared with):
/// `EEE MMM dd HH:mm:ss UTC yyyy`, e.g. `Thu Jan 01 00:00:00 UTC 1970`.
///
/// Uses the proleptic Gregorian calendar, which agrees with Java from
/// 15 October 1582 on.
pub fn java_date_utc(wall_ms: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let seconds = wall_ms.div_euclid(1000);
    let days = seconds.div_euclid(86_400);
    let second_of_day = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{} {} {:02} {:02}:{:02}:{:02} UTC {}",
        DAYS[days.rem_euclid(7) as usize],
        MONTHS[(month - 1) as usize],
        day,
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60,
        year
    )
}

/// (year, month 1–12, day 1–31) of a day count since 1970-01-01
/// (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The order in which a `java.util.HashSet<Long>` filled with `ids` one by
/// one (default capacity 16, load factor 0.75) iterates them: by hash
/// bucket, where the bucket is `spread(Long.hashCode(id)) & (capacity - 1)`.
/// Ids that share a bucket keep the order given (Java's order there is the
/// insertion order, which for the session tracker is itself arbitrary).
/// Duplicates are dropped.
///
/// The AdminServer's `dump` serialises `Map<Long, Set<Long>>` with such
/// sets.
pub fn java_hash_set_order_of_longs(ids: impl IntoIterator<Item = i64>) -> Vec<i64> {
    let mut unique: Vec<i64> = Vec::new();
    for id in ids {
        if !unique.contains(&id) {
            unique.push(id);
        }
    }
    let mut capacity: usize = 16;
    while unique.len() > capacity / 4 * 3 {
        capacity *= 2;
    }
    let bucket = |id: i64| {
        let hash = (id ^ ((id as u64) >> 32) as i64) as i32;
        let spread = hash ^ ((hash as u32) >> 16) as i32;
        (spread as u32 as usize) & (capacity - 1)
    };
    // A stable sort keeps the given order within a bucket.
    unique.sort_by_key(|&id| bucket(id));
    unique
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn dates_like_java() {
        // `new Date(0L)` and `new Date(1700000000123L)` under TZ=UTC.
        assert_eq!(java_date_utc(0), "Thu Jan 01 00:00:00 UTC 1970");
        assert_eq!(
            java_date_utc(1_700_000_000_123),
            "Tue Nov 14 22:13:20 UTC 2023"
        );
        assert_eq!(java_date_utc(-1), "Wed Dec 31 23:59:59 UTC 1969");
        assert_eq!(
            java_date_utc(951_782_400_000),
            "Tue Feb 29 00:00:00 UTC 2000"
        );
    }

    #[test]
    fn elapsed_to_wall_offsets() {
        assert_eq!(
            elapsed_to_wall(5_000, 1_000, 1_700_000_000_000),
            1_700_000_004_000
        );
    }

    /// `new HashSet<Long>()` filled in the given order, iterated by
    /// OpenJDK 17.
    #[test]
    fn hash_set_order_matches_java() {
        let base = 0x10000153fd20000i64;
        assert_eq!(
            java_hash_set_order_of_longs([base, base + 1, base + 2]),
            vec![base + 2, base + 1, base]
        );
        let ids: Vec<i64> = (0..20).map(|k| 0x2000089abcd0000 + k * 7).collect();
        let want: Vec<i64> = [
            19, 10, 1, 0, 14, 5, 11, 2, 15, 6, 12, 3, 17, 16, 7, 4, 18, 9, 8, 13,
        ]
        .iter()
        .map(|k| 0x2000089abcd0000 + k * 7)
        .collect();
        assert_eq!(java_hash_set_order_of_longs(ids), want);
        assert_eq!(
            java_hash_set_order_of_longs([
                -1,
                5,
                i64::MIN,
                0x7f00000000000011,
                0x0100000000000001,
                17,
                1,
                5
            ]),
            vec![
                -1,
                i64::MIN,
                0x7f00000000000011,
                0x0100000000000001,
                17,
                1,
                5
            ]
        );
    }

    proptest! {
        #[test]
        fn dates_never_panic(ms in any::<i64>()) {
            let _ = java_date_utc(ms);
        }

        #[test]
        fn hash_order_is_a_permutation(ids in proptest::collection::vec(any::<i64>(), 0..60)) {
            let mut got = java_hash_set_order_of_longs(ids.clone());
            let mut want = ids;
            want.sort();
            want.dedup();
            got.sort();
            prop_assert_eq!(got, want);
        }
    }
}
