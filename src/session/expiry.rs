//! `ExpiryQueue`: elements grouped into buckets by the time they expire,
//! rounded up to the next multiple of the expiration interval (the tick).

use std::collections::{BTreeMap, BTreeSet};

/// Java's `ExpiryQueue<E>` with the clock passed in.
///
/// Every element lives in at most one bucket, keyed by its expiry time
/// `round_to_next_interval(now + timeout)`. The expirer takes whole buckets
/// in time order, one interval at a time, starting from the first bucket
/// time after the queue was created. Quirks kept from Java:
/// - a bucket emptied by `remove`/`update` stays (and is counted by
///   [`ExpiryQueue::bucket_count`]) until the expirer reaches it;
/// - polling a bucket does not forget its elements' expiry times
///   ([`ExpiryQueue::len`] still counts them) until they are updated or
///   removed;
/// - a bucket earlier than the next expiration time (only possible with a
///   negative timeout) is never polled.
///
/// Within a bucket Java iterates in hash order of identity hash codes, i.e.
/// arbitrarily; this type uses the elements' order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiryQueue<E: Ord + Clone> {
    expiry_of: BTreeMap<E, i64>,
    buckets: BTreeMap<i64, BTreeSet<E>>,
    next_expiration_time: i64,
    interval: i64,
}

impl<E: Ord + Clone> ExpiryQueue<E> {
    /// `new ExpiryQueue(interval)` created at time `now`.
    ///
    /// Java divides by the interval; an interval below 1 ms (which the
    /// configuration rejects as a `tickTime`) is treated as 1 ms here.
    pub fn new(interval_ms: i32, now: i64) -> Self {
        let interval = i64::from(interval_ms.max(1));
        ExpiryQueue {
            expiry_of: BTreeMap::new(),
            buckets: BTreeMap::new(),
            next_expiration_time: round_to_next_interval(now, interval),
            interval,
        }
    }

    /// The expiration interval in milliseconds.
    pub fn interval(&self) -> i64 {
        self.interval
    }

    /// `roundToNextInterval`: `(time / interval + 1) * interval`, with Java's
    /// truncating division and wrapping arithmetic.
    pub fn round_to_next_interval(&self, time: i64) -> i64 {
        round_to_next_interval(time, self.interval)
    }

    /// `remove`: forgets the element; returns the expiry time it had.
    pub fn remove(&mut self, elem: &E) -> Option<i64> {
        let time = self.expiry_of.remove(elem)?;
        if let Some(bucket) = self.buckets.get_mut(&time) {
            bucket.remove(elem);
        }
        Some(time)
    }

    /// `update`: moves the element to the bucket of `now + timeout_ms`
    /// (rounded up). Returns the new expiry time, or `None` if it is the
    /// one the element already had (then nothing changes).
    pub fn update(&mut self, elem: E, timeout_ms: i32, now: i64) -> Option<i64> {
        let time = self.round_to_next_interval(now.wrapping_add(i64::from(timeout_ms)));
        let previous = self.expiry_of.get(&elem).copied();
        if previous == Some(time) {
            return None;
        }
        self.buckets.entry(time).or_default().insert(elem.clone());
        self.expiry_of.insert(elem.clone(), time);
        if let Some(previous) = previous {
            if let Some(bucket) = self.buckets.get_mut(&previous) {
                bucket.remove(&elem);
            }
        }
        Some(time)
    }

    /// `getWaitTime`: milliseconds from `now` until the next bucket is due,
    /// 0 if it is due already (saturating where Java's subtraction would
    /// wrap).
    pub fn wait_time(&self, now: i64) -> i64 {
        if now < self.next_expiration_time {
            self.next_expiration_time.saturating_sub(now)
        } else {
            0
        }
    }

    /// The time at which the next bucket is due.
    pub fn next_expiration_time(&self) -> i64 {
        self.next_expiration_time
    }

    /// `poll`: if the next bucket is due at `now`, takes it (possibly empty)
    /// and moves the next expiration time one interval on.
    pub fn poll(&mut self, now: i64) -> Vec<E> {
        if now < self.next_expiration_time {
            return Vec::new();
        }
        let time = self.next_expiration_time;
        self.next_expiration_time = time.saturating_add(self.interval);
        self.buckets
            .remove(&time)
            .map(|bucket| bucket.into_iter().collect())
            .unwrap_or_default()
    }

    /// What Java's expirer loop takes at `now`: `poll` again and again while
    /// `wait_time(now)` is 0. Returns the non-empty buckets it takes, in time
    /// order, with their times. Equivalent to the loop but without stepping
    /// through empty intervals one by one.
    pub fn poll_all_due(&mut self, now: i64) -> Vec<(i64, Vec<E>)> {
        if now < self.next_expiration_time {
            return Vec::new();
        }
        let first = i128::from(self.next_expiration_time);
        let interval = i128::from(self.interval);
        let steps = (i128::from(now) - first) / interval + 1;
        let last = first + (steps - 1) * interval;
        let due: Vec<i64> = self
            .buckets
            .range(self.next_expiration_time..=now)
            .map(|(&time, _)| time)
            .filter(|&time| (i128::from(time) - first) % interval == 0 && i128::from(time) <= last)
            .collect();
        let next = first + steps * interval;
        self.next_expiration_time = i64::try_from(next).unwrap_or(i64::MAX);
        due.into_iter()
            .filter_map(|time| {
                let bucket = self.buckets.remove(&time)?;
                (!bucket.is_empty()).then(|| (time, bucket.into_iter().collect()))
            })
            .collect()
    }

    /// The expiry time the queue holds for `elem`.
    pub fn expiry_time(&self, elem: &E) -> Option<i64> {
        self.expiry_of.get(elem).copied()
    }

    /// The number of elements with an expiry time (`elemMap.size()`).
    pub fn len(&self) -> usize {
        self.expiry_of.len()
    }

    /// True if no element has an expiry time.
    pub fn is_empty(&self) -> bool {
        self.expiry_of.is_empty()
    }

    /// The number of buckets, empty ones included (`expiryMap.size()`).
    pub fn bucket_count(&self) -> usize {
        self.buckets.len()
    }

    /// The buckets in time order (`getExpiryMap`), empty ones included.
    pub fn buckets(&self) -> impl Iterator<Item = (i64, &BTreeSet<E>)> {
        self.buckets.iter().map(|(&time, set)| (time, set))
    }

    /// `ExpiryQueue.dump`: `Sets (<buckets>)/(<elements>):` and, per bucket
    /// in time order, `<n> expire at <date>:` followed by one tab-indented
    /// line per element. `format_time` renders a bucket time (Java prints
    /// `Time.elapsedTimeToDate(time)`, see [`super::elapsed_to_wall`] and
    /// [`super::java_date_utc`]); `format_elem` renders an element
    /// (`toString()`).
    pub fn dump(
        &self,
        out: &mut String,
        format_time: impl Fn(i64) -> String,
        format_elem: impl Fn(&E) -> String,
    ) {
        out.push_str(&format!(
            "Sets ({})/({}):\n",
            self.buckets.len(),
            self.expiry_of.len()
        ));
        for (&time, bucket) in &self.buckets {
            out.push_str(&format!(
                "{} expire at {}:\n",
                bucket.len(),
                format_time(time)
            ));
            for elem in bucket {
                out.push('\t');
                out.push_str(&format_elem(elem));
                out.push('\n');
            }
        }
    }
}

fn round_to_next_interval(time: i64, interval: i64) -> i64 {
    (time / interval).wrapping_add(1).wrapping_mul(interval)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rounding_is_to_the_next_multiple() {
        let q: ExpiryQueue<i64> = ExpiryQueue::new(2000, 0);
        assert_eq!(q.round_to_next_interval(0), 2000);
        assert_eq!(q.round_to_next_interval(1999), 2000);
        assert_eq!(q.round_to_next_interval(2000), 4000);
        assert_eq!(q.round_to_next_interval(2001), 4000);
        // Java's division truncates towards zero.
        assert_eq!(q.round_to_next_interval(-1), 2000);
        assert_eq!(q.round_to_next_interval(-2000), 0);
        assert_eq!(q.round_to_next_interval(-2001), 0);
        assert_eq!(q.next_expiration_time(), 2000);
    }

    #[test]
    fn buckets_and_updates() {
        let mut q = ExpiryQueue::new(1000, 10_500);
        assert_eq!(q.next_expiration_time(), 11_000);
        assert_eq!(q.update(1, 3000, 10_500), Some(14_000));
        assert_eq!(q.update(2, 3000, 10_900), Some(14_000));
        // Same bucket again: no change.
        assert_eq!(q.update(1, 3000, 10_999), None);
        assert_eq!(q.update(1, 3000, 11_000), Some(15_000));
        // The emptied bucket 14000 still holds 2; bucket counts include
        // empties.
        assert_eq!(q.bucket_count(), 2);
        assert_eq!(q.remove(&2), Some(14_000));
        assert_eq!(q.remove(&2), None);
        assert_eq!(q.bucket_count(), 2, "empty buckets stay until polled");
        assert_eq!(q.len(), 1);
        assert_eq!(q.expiry_time(&1), Some(15_000));
    }

    #[test]
    fn poll_takes_one_interval_at_a_time() {
        let mut q = ExpiryQueue::new(1000, 0);
        q.update(7, 1500, 0); // bucket 2000
        q.update(8, 500, 0); // bucket 1000
        assert_eq!(q.wait_time(400), 600);
        assert!(q.poll(999).is_empty());
        assert_eq!(q.poll(5000), vec![8]);
        assert_eq!(q.next_expiration_time(), 2000);
        assert_eq!(q.wait_time(5000), 0);
        assert_eq!(q.poll(5000), vec![7]);
        assert!(q.poll(5000).is_empty());
        assert_eq!(q.next_expiration_time(), 4000);
        // Polled elements keep their expiry time, as in Java.
        assert_eq!(q.len(), 2);
        assert_eq!(q.expiry_time(&7), Some(2000));
    }

    #[test]
    fn poll_all_due_walks_buckets_in_order() {
        let mut q = ExpiryQueue::new(1000, 0);
        q.update(1, 4000, 100); // 5000
        q.update(2, 1000, 100); // 2000
        q.update(3, 1000, 200); // 2000
        q.update(4, 9000, 100); // 10000
        assert_eq!(q.poll_all_due(500), vec![]);
        assert_eq!(
            q.poll_all_due(5000),
            vec![(2000, vec![2, 3]), (5000, vec![1])]
        );
        assert_eq!(q.next_expiration_time(), 6000);
        assert_eq!(q.poll_all_due(i64::MAX), vec![(10_000, vec![4])]);
        assert_eq!(q.next_expiration_time(), i64::MAX);
    }

    #[test]
    fn a_bucket_in_the_past_is_never_polled() {
        let mut q = ExpiryQueue::new(1000, 10_000);
        q.update(1, -5000, 10_000); // bucket 6000, before the next time 11000
        assert!(q.poll_all_due(100_000).is_empty());
        assert_eq!(q.bucket_count(), 1);
    }

    #[test]
    fn dump_format() {
        let mut q = ExpiryQueue::new(1000, 0);
        q.update(0x10000153fd20001i64, 3000, 0);
        q.update(0x10000153fd20000i64, 3000, 0);
        q.update(5, 1000, 0);
        q.remove(&5);
        let mut out = String::new();
        q.dump(
            &mut out,
            |t| format!("T{t}"),
            |id| super::super::format_session_id(*id),
        );
        assert_eq!(
            out,
            "Sets (2)/(2):\n0 expire at T2000:\n2 expire at T4000:\n\t0x10000153fd20000\n\t0x10000153fd20001\n"
        );
    }

    /// The Java expirer loop, literally.
    fn java_loop(q: &mut ExpiryQueue<u8>, now: i64) -> Vec<(i64, Vec<u8>)> {
        let mut taken = Vec::new();
        while q.wait_time(now) == 0 {
            let time = q.next_expiration_time();
            let bucket = q.poll(now);
            if !bucket.is_empty() {
                taken.push((time, bucket));
            }
        }
        taken
    }

    proptest! {
        #[test]
        fn poll_all_due_equals_the_java_loop(
            interval in 1i32..500,
            start in -5000i64..5000,
            ops in proptest::collection::vec((0u8..6, -200i32..3000, 0i64..400, any::<bool>()), 0..40),
        ) {
            let mut fast = ExpiryQueue::new(interval, start);
            let mut slow = fast.clone();
            let mut now = start;
            for (elem, timeout, advance, remove) in ops {
                now += advance;
                if remove {
                    prop_assert_eq!(fast.remove(&elem), slow.remove(&elem));
                } else {
                    prop_assert_eq!(fast.update(elem, timeout, now), slow.update(elem, timeout, now));
                }
                prop_assert_eq!(fast.poll_all_due(now), java_loop(&mut slow, now));
                prop_assert_eq!(&fast, &slow);
            }
        }

        #[test]
        fn arbitrary_values_never_panic(
            interval in any::<i32>(),
            now in any::<i64>(),
            timeout in any::<i32>(),
            later in any::<i64>(),
        ) {
            let mut q = ExpiryQueue::new(interval, now);
            q.update(1u8, timeout, now);
            q.update(2u8, timeout, later);
            let _ = q.wait_time(later);
            let _ = q.poll_all_due(later);
            let _ = q.poll(later);
            let mut out = String::new();
            q.dump(&mut out, |t| t.to_string(), |e| e.to_string());
        }
    }
}
