//! `SessionTrackerImpl`: the sessions of a standalone server or of a quorum
//! leader, their owners and their expiry.

use std::collections::BTreeMap;

use super::dump::java_hash_set_order_of_longs;
use super::expiry::ExpiryQueue;
use super::id::{format_session_id, SessionIdGenerator};
use crate::proto::codes::ErrorCode;

/// The timeout a connect request gets (`processConnectRequest`): the
/// requested one raised to `min` and then lowered to `max`, in that order
/// (so `max` wins if the bounds are crossed).
pub fn negotiate_timeout(requested_ms: i32, min_ms: i32, max_ms: i32) -> i32 {
    let mut timeout = requested_ms;
    if timeout < min_ms {
        timeout = min_ms;
    }
    if timeout > max_ms {
        timeout = max_ms;
    }
    timeout
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct SessionState<O> {
    timeout: i32,
    closing: bool,
    owner: Option<O>,
}

/// A read-only view of one tracked session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionInfo<'a, O> {
    /// The session id.
    pub id: i64,
    /// The timeout the session was tracked with first (Java's
    /// `SessionImpl.timeout`; later touches may use other timeouts).
    pub timeout: i32,
    /// Set by [`SessionTracker::set_session_closing`] and by expiry.
    pub closing: bool,
    /// Who may use the session, once a request has claimed it.
    pub owner: Option<&'a O>,
}

/// Java's `SessionTrackerImpl`, including what its expirer thread does
/// ([`SessionTracker::expire_due`]).
///
/// It keeps two maps, as Java does:
/// - the *tracked* sessions (`sessionsById`), which expire, are touched and
///   have owners — a session is tracked from `createSession` on;
/// - the *committed* sessions with their timeouts (`sessionsWithTimeout`,
///   the ZKDatabase map that snapshots store), which a session joins when
///   its createSession txn is applied ([`SessionTracker::commit_session`]).
///
/// `O` identifies an owner: the connection layer of this server or a
/// learner (Java compares owners by identity; here by `==`).
#[derive(Debug, Clone)]
pub struct SessionTracker<O> {
    sessions: BTreeMap<i64, SessionState<O>>,
    committed: BTreeMap<i64, i32>,
    expiry: ExpiryQueue<i64>,
    ids: SessionIdGenerator,
}

impl<O: PartialEq + Clone> SessionTracker<O> {
    /// `new SessionTrackerImpl(...)` at time `now` (elapsed ms): the expiry
    /// queue ticks every `tick_time_ms`, new ids start at
    /// `initial_session_id(now, server_id)`, and every committed session
    /// (e.g. loaded from a snapshot) is tracked with its timeout.
    pub fn new(
        tick_time_ms: i32,
        server_id: i64,
        now: i64,
        committed: impl IntoIterator<Item = (i64, i32)>,
    ) -> Self {
        let mut tracker = SessionTracker {
            sessions: BTreeMap::new(),
            committed: committed.into_iter().collect(),
            expiry: ExpiryQueue::new(tick_time_ms, now),
            ids: SessionIdGenerator::new(now, server_id),
        };
        let loaded: Vec<(i64, i32)> = tracker.committed.iter().map(|(&id, &t)| (id, t)).collect();
        for (id, timeout) in loaded {
            tracker.track_session(id, timeout, now);
        }
        tracker
    }

    /// The id the next [`SessionTracker::create_session`] returns.
    pub fn next_session_id(&self) -> i64 {
        self.ids.peek()
    }

    /// `createSession`: takes the next id and tracks it with `timeout_ms`.
    /// The session is committed later, when its txn is applied.
    pub fn create_session(&mut self, timeout_ms: i32, now: i64) -> i64 {
        let id = self.ids.next_id();
        self.track_session(id, timeout_ms, now);
        id
    }

    /// `trackSession`: tracks `id` if it is not tracked yet (true if it was
    /// added), then moves its expiry to `now + timeout_ms` either way. An
    /// already tracked session keeps its original timeout, owner and
    /// closing flag.
    pub fn track_session(&mut self, id: i64, timeout_ms: i32, now: i64) -> bool {
        let mut added = false;
        self.sessions.entry(id).or_insert_with(|| {
            added = true;
            SessionState {
                timeout: timeout_ms,
                closing: false,
                owner: None,
            }
        });
        self.expiry.update(id, timeout_ms, now);
        added
    }

    /// `commitSession`: records the session and its timeout in the committed
    /// map (replacing any previous timeout). True if it was not there.
    pub fn commit_session(&mut self, id: i64, timeout_ms: i32) -> bool {
        self.committed.insert(id, timeout_ms).is_none()
    }

    /// `touchSession`: moves the session's expiry to `now + timeout_ms`.
    /// False (and nothing changes) if the session is unknown or closing.
    pub fn touch_session(&mut self, id: i64, timeout_ms: i32, now: i64) -> bool {
        match self.sessions.get(&id) {
            Some(session) if !session.closing => {
                self.expiry.update(id, timeout_ms, now);
                true
            }
            _ => false,
        }
    }

    /// `setSessionClosing`: marks a tracked session as closing (no effect on
    /// unknown ids). A closing session can no longer be touched or used.
    pub fn set_session_closing(&mut self, id: i64) {
        if let Some(session) = self.sessions.get_mut(&id) {
            session.closing = true;
        }
    }

    /// `removeSession`: forgets the session in both maps and in the expiry
    /// queue (done when its closeSession txn is applied).
    pub fn remove_session(&mut self, id: i64) {
        self.committed.remove(&id);
        if self.sessions.remove(&id).is_some() {
            self.expiry.remove(&id);
        }
    }

    /// `isTrackingSession`.
    pub fn is_tracking_session(&self, id: i64) -> bool {
        self.sessions.contains_key(&id)
    }

    /// `checkSession`: may `owner` use the session now?
    /// - unknown id → `UnknownSession`;
    /// - closing → `SessionExpired`;
    /// - no owner yet → `owner` becomes the owner, Ok;
    /// - another owner → `SessionMoved`.
    pub fn check_session(&mut self, id: i64, owner: &O) -> Result<(), ErrorCode> {
        let session = self
            .sessions
            .get_mut(&id)
            .ok_or(ErrorCode::UnknownSession)?;
        if session.closing {
            return Err(ErrorCode::SessionExpired);
        }
        match &session.owner {
            None => {
                session.owner = Some(owner.clone());
                Ok(())
            }
            Some(current) if current == owner => Ok(()),
            Some(_) => Err(ErrorCode::SessionMoved),
        }
    }

    /// `checkGlobalSession`: [`SessionTracker::check_session`] with an
    /// unknown session reported as `SessionExpired`.
    pub fn check_global_session(&mut self, id: i64, owner: &O) -> Result<(), ErrorCode> {
        match self.check_session(id, owner) {
            Err(ErrorCode::UnknownSession) => Err(ErrorCode::SessionExpired),
            other => other,
        }
    }

    /// `setOwner`: `SessionExpired` if the session is unknown or closing,
    /// otherwise `owner` becomes its owner (replacing any other).
    pub fn set_owner(&mut self, id: i64, owner: O) -> Result<(), ErrorCode> {
        match self.sessions.get_mut(&id) {
            Some(session) if !session.closing => {
                session.owner = Some(owner);
                Ok(())
            }
            _ => Err(ErrorCode::SessionExpired),
        }
    }

    /// `getSessionTimeout`: the committed timeout of the session (Java
    /// throws a NullPointerException for an uncommitted one).
    pub fn session_timeout(&self, id: i64) -> Option<i32> {
        self.committed.get(&id).copied()
    }

    /// The tracked session `id`.
    pub fn session(&self, id: i64) -> Option<SessionInfo<'_, O>> {
        self.sessions.get(&id).map(|s| SessionInfo {
            id,
            timeout: s.timeout,
            closing: s.closing,
            owner: s.owner.as_ref(),
        })
    }

    /// The tracked sessions in id order (`globalSessions`).
    pub fn sessions(&self) -> impl Iterator<Item = SessionInfo<'_, O>> {
        self.sessions.iter().map(|(&id, s)| SessionInfo {
            id,
            timeout: s.timeout,
            closing: s.closing,
            owner: s.owner.as_ref(),
        })
    }

    /// The number of tracked sessions.
    pub fn tracked_count(&self) -> usize {
        self.sessions.len()
    }

    /// The committed sessions and their timeouts, in id order: what a
    /// snapshot stores (`ZKDatabase.getSessionWithTimeOuts`).
    pub fn committed_sessions(&self) -> &BTreeMap<i64, i32> {
        &self.committed
    }

    /// The number of committed sessions (`ZKDatabase.getSessionCount`).
    pub fn committed_count(&self) -> usize {
        self.committed.len()
    }

    /// What the expirer thread does by time `now`: takes every due bucket
    /// in time order, marks each of its sessions closing and returns their
    /// ids, to be closed (the caller submits a closeSession request for
    /// each, as `ZooKeeperServer.expire` does).
    pub fn expire_due(&mut self, now: i64) -> Vec<i64> {
        let mut expired = Vec::new();
        for (_, bucket) in self.expiry.poll_all_due(now) {
            for id in bucket {
                self.set_session_closing(id);
                expired.push(id);
            }
        }
        expired
    }

    /// When the expirer next has work: the time of the next bucket.
    pub fn next_expiration_time(&self) -> i64 {
        self.expiry.next_expiration_time()
    }

    /// How long the expirer would sleep at `now` (`getWaitTime`).
    pub fn wait_time(&self, now: i64) -> i64 {
        self.expiry.wait_time(now)
    }

    /// The expiry time the session currently has.
    pub fn expiry_time(&self, id: i64) -> Option<i64> {
        self.expiry.expiry_time(&id)
    }

    /// `getSessionExpiryMap` (the AdminServer `dump` command's
    /// `expiry_time_to_session_ids`): bucket time → session ids, every
    /// bucket (empty ones too) in time order, the ids in the order Java's
    /// `HashSet<Long>` gives them.
    pub fn session_expiry_map(&self) -> BTreeMap<i64, Vec<i64>> {
        self.expiry
            .buckets()
            .map(|(time, ids)| (time, java_hash_set_order_of_longs(ids.iter().copied())))
            .collect()
    }

    /// `dumpSessions` (the `dump` four-letter word's session part):
    /// `Session Sets (<buckets>)/(<sessions>):`, then per bucket
    /// `<n> expire at <date>:` and a `\t0x<id>` line per session.
    /// `format_time` renders a bucket's elapsed time as Java's `Date`, e.g.
    /// `|t| java_date_utc(elapsed_to_wall(t, now_elapsed, now_wall))`.
    pub fn dump_sessions(&self, format_time: impl Fn(i64) -> String) -> String {
        let mut out = String::from("Session ");
        self.expiry
            .dump(&mut out, format_time, |&id| format_session_id(id));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::{elapsed_to_wall, initial_session_id, java_date_utc};
    use proptest::prelude::*;

    const ME: u8 = 0;
    const LEARNER: u8 = 7;

    fn tracker(now: i64) -> SessionTracker<u8> {
        SessionTracker::new(2000, 1, now, [])
    }

    #[test]
    fn negotiation_clamps_like_java() {
        assert_eq!(negotiate_timeout(30_000, 4000, 40_000), 30_000);
        assert_eq!(negotiate_timeout(1, 4000, 40_000), 4000);
        assert_eq!(negotiate_timeout(-5, 4000, 40_000), 4000);
        assert_eq!(negotiate_timeout(100_000, 4000, 40_000), 40_000);
        // Crossed bounds: max wins because it is applied last.
        assert_eq!(negotiate_timeout(1, 5000, 3000), 3000);
    }

    #[test]
    fn ids_and_creation() {
        let mut t = tracker(1_000_000);
        let first = initial_session_id(1_000_000, 1);
        assert_eq!(t.next_session_id(), first);
        assert_eq!(t.create_session(30_000, 1_000_000), first);
        assert_eq!(t.create_session(30_000, 1_000_000), first + 1);
        assert!(t.is_tracking_session(first));
        assert_eq!(t.tracked_count(), 2);
        // Not committed until the txn is applied.
        assert_eq!(t.committed_count(), 0);
        assert_eq!(t.session_timeout(first), None);
        assert!(t.commit_session(first, 30_000));
        assert!(!t.commit_session(first, 10_000));
        assert_eq!(t.session_timeout(first), Some(10_000));
    }

    #[test]
    fn loaded_sessions_are_tracked() {
        let t: SessionTracker<u8> = SessionTracker::new(2000, 1, 0, [(5, 4000), (6, 9000)]);
        assert_eq!(t.tracked_count(), 2);
        assert_eq!(t.expiry_time(5), Some(6000));
        assert_eq!(t.expiry_time(6), Some(10_000));
        assert_eq!(t.committed_sessions().len(), 2);
    }

    #[test]
    fn track_keeps_the_first_timeout() {
        let mut t = tracker(0);
        assert!(t.track_session(9, 4000, 0));
        assert!(!t.track_session(9, 8000, 0));
        assert_eq!(t.session(9).unwrap().timeout, 4000);
        // ... but the expiry follows the latest call: round(0 + 8000).
        assert_eq!(t.expiry_time(9), Some(10_000));
    }

    #[test]
    fn touch_rules() {
        let mut t = tracker(0);
        let id = t.create_session(4000, 0);
        assert!(t.touch_session(id, 4000, 1000));
        assert_eq!(t.expiry_time(id), Some(6000));
        assert!(!t.touch_session(12345, 4000, 1000), "unknown");
        t.set_session_closing(id);
        assert!(!t.touch_session(id, 4000, 3000), "closing");
        assert_eq!(t.expiry_time(id), Some(6000));
        t.set_session_closing(999); // unknown: nothing happens
    }

    #[test]
    fn check_session_rules() {
        let mut t = tracker(0);
        assert_eq!(t.check_session(42, &ME), Err(ErrorCode::UnknownSession));
        assert_eq!(
            t.check_global_session(42, &ME),
            Err(ErrorCode::SessionExpired)
        );
        let id = t.create_session(4000, 0);
        assert_eq!(t.check_session(id, &ME), Ok(()));
        assert_eq!(t.session(id).unwrap().owner, Some(&ME));
        assert_eq!(t.check_session(id, &ME), Ok(()));
        assert_eq!(t.check_session(id, &LEARNER), Err(ErrorCode::SessionMoved));
        assert_eq!(t.set_owner(id, LEARNER), Ok(()));
        assert_eq!(t.check_session(id, &LEARNER), Ok(()));
        assert_eq!(
            t.check_global_session(id, &ME),
            Err(ErrorCode::SessionMoved)
        );
        t.set_session_closing(id);
        assert_eq!(
            t.check_session(id, &LEARNER),
            Err(ErrorCode::SessionExpired)
        );
        assert_eq!(t.set_owner(id, ME), Err(ErrorCode::SessionExpired));
        assert_eq!(t.set_owner(4242, ME), Err(ErrorCode::SessionExpired));
    }

    #[test]
    fn expiry_in_bucket_order() {
        let mut t = tracker(0); // next expiration 2000
        let a = t.create_session(5000, 0); // bucket 6000
        let b = t.create_session(3000, 0); // bucket 4000
        let c = t.create_session(3000, 100); // bucket 4000
        assert_eq!(t.next_expiration_time(), 2000);
        assert_eq!(t.wait_time(500), 1500);
        assert!(t.expire_due(3999).is_empty());
        assert_eq!(t.expire_due(4000), vec![b, c]);
        assert!(t.session(b).unwrap().closing);
        assert!(!t.touch_session(b, 3000, 4000));
        assert!(t.touch_session(a, 5000, 4000)); // now bucket 10000
        assert!(t.expire_due(9999).is_empty());
        assert_eq!(t.expire_due(10_000), vec![a]);
        // Closing sessions stay tracked until their close is applied.
        assert!(t.is_tracking_session(b));
        t.remove_session(b);
        assert!(!t.is_tracking_session(b));
        assert_eq!(t.expiry_time(b), None);
    }

    #[test]
    fn removed_sessions_do_not_expire() {
        let mut t = tracker(0);
        let a = t.create_session(3000, 0);
        t.commit_session(a, 3000);
        t.remove_session(a);
        assert_eq!(t.committed_count(), 0);
        assert!(t.expire_due(100_000).is_empty());
    }

    #[test]
    fn dump_text() {
        let mut t: SessionTracker<u8> = SessionTracker::new(2000, 1, 0, []);
        t.track_session(0x10000153fd20000, 3000, 0); // 4000
        t.track_session(0x10000153fd20001, 3000, 0); // 4000
        t.track_session(0x10000153fd20002, 30_000, 0); // 32000
        t.touch_session(0x10000153fd20002, 30_000, 5000); // 36000; 32000 stays, empty
        let text = t.dump_sessions(|time| java_date_utc(elapsed_to_wall(time, 0, 0)));
        assert_eq!(
            text,
            "Session Sets (3)/(3):\n\
             2 expire at Thu Jan 01 00:00:04 UTC 1970:\n\
             \t0x10000153fd20000\n\
             \t0x10000153fd20001\n\
             0 expire at Thu Jan 01 00:00:32 UTC 1970:\n\
             1 expire at Thu Jan 01 00:00:36 UTC 1970:\n\
             \t0x10000153fd20002\n"
        );
        let map = t.session_expiry_map();
        assert_eq!(map.len(), 3);
        assert_eq!(map[&32_000], Vec::<i64>::new());
        assert_eq!(map[&36_000], vec![0x10000153fd20002]);
    }

    proptest! {
        #[test]
        fn random_operations_never_panic_and_stay_consistent(
            ops in proptest::collection::vec((0u8..8, 0i64..6, any::<i32>(), 0i64..5000), 0..60),
        ) {
            let mut t: SessionTracker<u8> = SessionTracker::new(1000, 3, 0, [(1, 3000)]);
            let mut now = 0i64;
            for (op, raw_id, timeout, advance) in ops {
                now += advance;
                let id = raw_id;
                match op {
                    0 => { t.create_session(timeout, now); }
                    1 => { t.track_session(id, timeout, now); }
                    2 => { t.touch_session(id, timeout, now); }
                    3 => t.set_session_closing(id),
                    4 => t.remove_session(id),
                    5 => { let _ = t.check_session(id, &((timeout & 1) as u8)); }
                    6 => { t.commit_session(id, timeout); }
                    _ => {
                        for expired in t.expire_due(now) {
                            prop_assert!(t.session(expired).is_some_and(|s| s.closing));
                        }
                    }
                }
                // Every tracked session has an expiry time.
                for s in t.sessions() {
                    prop_assert!(t.expiry_time(s.id).is_some());
                }
                let _ = t.dump_sessions(|x| x.to_string());
                let _ = t.session_expiry_map();
            }
        }
    }
}
