//! Tests of the watch rules. Facts marked "observed" were checked against a
//! Java 3.9.5 standalone server with a raw-socket client (wire bytes of the
//! notifications, `checkWatches`/`removeWatches` results, `wchs`/`wchc`/
//! `wchp` output).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use super::*;
use crate::proto::codes::{event, perms};
use jute::data::{Id, ACL};

const A: WatcherId = 1;
const B: WatcherId = 2;
const C: WatcherId = 3;

fn world() -> Vec<ACL> {
    vec![ACL {
        perms: perms::ALL,
        id: Id {
            scheme: Some("world".into()),
            id: Some("anyone".into()),
        },
    }]
}

fn digest_acl(user: &str) -> Vec<ACL> {
    vec![ACL {
        perms: perms::ALL,
        id: Id {
            scheme: Some("digest".into()),
            id: Some(format!("{user}:hash")),
        },
    }]
}

fn trigger(path: &str, event_type: i32, zxid: i64, target: TriggerTarget) -> WatchTrigger {
    WatchTrigger {
        path: path.into(),
        event_type,
        zxid,
        acl: world().into(),
        target,
    }
}

/// The triggers the data tree produces for a create of `path`.
fn created(path: &str, zxid: i64) -> Vec<WatchTrigger> {
    vec![
        trigger(path, event::NODE_CREATED, zxid, TriggerTarget::Data),
        trigger(
            parent(path),
            event::NODE_CHILDREN_CHANGED,
            zxid,
            TriggerTarget::Child,
        ),
    ]
}

/// The triggers for a delete of `path`.
fn deleted(path: &str, zxid: i64) -> Vec<WatchTrigger> {
    vec![
        trigger(
            path,
            event::NODE_DELETED,
            zxid,
            TriggerTarget::DataThenChild,
        ),
        trigger(
            parent(path),
            event::NODE_CHILDREN_CHANGED,
            zxid,
            TriggerTarget::Child,
        ),
    ]
}

/// The trigger for a setData of `path`.
fn changed(path: &str, zxid: i64) -> Vec<WatchTrigger> {
    vec![trigger(
        path,
        event::NODE_DATA_CHANGED,
        zxid,
        TriggerTarget::Data,
    )]
}

fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(slash) => &path[..slash],
    }
}

/// What each watcher receives, in order, with everyone allowed to read.
fn received(notifications: &[Notification]) -> BTreeMap<WatcherId, Vec<(i32, String, i64)>> {
    let mut out: BTreeMap<WatcherId, Vec<(i32, String, i64)>> = BTreeMap::new();
    for (watcher, e) in readable_deliveries(notifications, |_, _| true) {
        assert_eq!(e.state, 3);
        out.entry(watcher)
            .or_default()
            .push((e.event_type, e.path, e.zxid));
    }
    out
}

fn events_of(
    watches: &mut Watches,
    triggers: Vec<WatchTrigger>,
    watcher: WatcherId,
) -> Vec<(i32, String, i64)> {
    let notifications = watches.process_triggers(triggers);
    watches.assert_consistent();
    received(&notifications)
        .remove(&watcher)
        .unwrap_or_default()
}

fn ev(event_type: i32, path: &str, zxid: i64) -> (i32, String, i64) {
    (event_type, path.to_owned(), zxid)
}

fn session(watcher: WatcherId) -> i64 {
    0x1000023bf830000 + watcher as i64
}

// ---------------------------------------------------------------------------
// Notification bytes

#[test]
fn notification_bytes_by_hand() {
    // NodeCreated for /w1 at zxid 3: observed byte for byte from Java 3.9.5.
    let event = WatchedEvent::new(event::NODE_CREATED, "/w1", 3);
    let expected: Vec<u8> = [
        &[0x00, 0x00, 0x00, 0x1f][..],                     // frame length 31
        &[0xff, 0xff, 0xff, 0xff],                         // xid -1
        &[0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03], // zxid 3 (3.8 sent -1)
        &[0x00, 0x00, 0x00, 0x00],                         // err 0
        &[0x00, 0x00, 0x00, 0x01],                         // type NodeCreated
        &[0x00, 0x00, 0x00, 0x03],                         // state SyncConnected
        &[0x00, 0x00, 0x00, 0x03],                         // path length
        b"/w1",
    ]
    .concat();
    assert_eq!(event.notification_frame(), expected);
    assert_eq!(
        hex(&expected),
        "0000001fffffffff0000000000000003000000000000000100000003000000032f7731"
    );

    // A setWatches catch-up event (observed): zxid -1.
    let catch_up = WatchedEvent::new(event::NODE_DATA_CHANGED, "/s1", WatchedEvent::NO_ZXID);
    assert_eq!(
        hex(&catch_up.notification_frame()),
        "0000001fffffffffffffffffffffffff000000000000000300000003000000032f7331"
    );

    // write_notification appends to what is already there.
    let mut out = vec![0xaa];
    event.write_notification(&mut out);
    assert_eq!(out[0], 0xaa);
    assert_eq!(&out[1..], &expected[..]);
}

#[test]
fn notification_path_uses_java_string_encoding() {
    // The path goes through jute's ustring writer: UTF-8 here, CESU-style
    // for characters outside the BMP.
    let frame = WatchedEvent::new(event::NODE_DELETED, "/ä\u{1F600}", 7).notification_frame();
    // Header 16, type and state 8, path length 4, path 1 + 2 + 6 bytes.
    assert_eq!(&frame[..4], &(16 + 8 + 4 + 9i32).to_be_bytes());
    assert_eq!(
        &frame[28..],
        &[0, 0, 0, 9, b'/', 0xc3, 0xa4, 0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80]
    );
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

// ---------------------------------------------------------------------------
// Standard, persistent, recursive

#[test]
fn standard_data_watch_fires_once() {
    let mut w = Watches::new();
    w.add_data_watch("/w1", A); // exists on a missing node
    assert_eq!(
        events_of(&mut w, created("/w1", 3), A),
        [ev(event::NODE_CREATED, "/w1", 3)]
    );
    assert_eq!(events_of(&mut w, changed("/w1", 4), A), []);
    assert_eq!(w.watch_count(), 0);
}

#[test]
fn fired_watcher_stays_listed_with_no_paths() {
    // Observed: after its only one-shot watch fired, the connection still
    // counts in wchs and appears in wchc with no paths.
    let mut w = Watches::new();
    w.add_data_watch("/t1", A);
    w.process_triggers(changed("/t1", 39));
    assert_eq!(
        w.wchs_output(),
        "1 connections watching 0 paths\nTotal watches:0\n"
    );
    assert_eq!(w.wchc_output(session), "0x1000023bf830001\n\n");
    assert_eq!(w.wchp_output(session), "\n");
    assert_eq!(
        w.report_by_session(session),
        BTreeMap::from([(session(A), BTreeSet::new())])
    );
    // ... while removing the last watch explicitly forgets the connection.
    w.add_data_watch("/t1", A);
    assert!(w.remove_watch("/t1", WatcherType::Data, A));
    assert_eq!(
        w.wchs_output(),
        "0 connections watching 0 paths\nTotal watches:0\n"
    );
    // A connection that closes is forgotten too.
    w.add_data_watch("/t1", A);
    w.process_triggers(changed("/t1", 40));
    w.remove_watcher(A);
    assert_eq!(w.summary(), WatchesSummary::default());
}

#[test]
fn standard_and_persistent_coexist() {
    // 3.9 (observed): getData watch + persistent addWatch on one path; the
    // first setData gives one event (not two) and consumes the one-shot
    // watch; the persistent one keeps firing. In 3.8 the last registration
    // replaced the mode.
    let mut w = Watches::new();
    w.add_data_watch("/w1", A);
    w.add_watch("/w1", A, WatcherMode::Persistent);
    assert!(w.contains_watcher("/w1", WatcherType::Data, A));
    assert_eq!(
        events_of(&mut w, changed("/w1", 4), A),
        [ev(event::NODE_DATA_CHANGED, "/w1", 4)]
    );
    assert!(!w.contains_watcher("/w1", WatcherType::Data, A));
    assert!(w.contains_watcher("/w1", WatcherType::Persistent, A));
    assert_eq!(
        events_of(&mut w, changed("/w1", 5), A),
        [ev(event::NODE_DATA_CHANGED, "/w1", 5)]
    );
    // The persistent watch is also a child watch (observed).
    assert_eq!(
        events_of(&mut w, created("/w1/c", 6), A),
        [ev(event::NODE_CHILDREN_CHANGED, "/w1", 6)]
    );
    // ... and sees the node's own deletion once.
    assert_eq!(
        events_of(&mut w, deleted("/w1", 7), A),
        [ev(event::NODE_DELETED, "/w1", 7)]
    );
    assert!(w.contains_watcher("/w1", WatcherType::Persistent, A));
}

#[test]
fn persistent_watch_sees_only_its_own_path() {
    let mut w = Watches::new();
    w.add_watch("/p", A, WatcherMode::Persistent);
    assert_eq!(events_of(&mut w, created("/p/a/b", 2), A), []);
    assert_eq!(events_of(&mut w, changed("/p/a", 3), A), []);
    assert_eq!(
        events_of(&mut w, created("/p", 4), A),
        [ev(event::NODE_CREATED, "/p", 4)]
    );
}

#[test]
fn recursive_watch_covers_descendants_but_not_child_events() {
    // The observed sequence: addWatch(/r, recursive), then create /r/a,
    // create /r/a/b, set /r/a/b, set /r, delete /r/a/b.
    let mut w = Watches::new();
    w.add_watch("/r", A, WatcherMode::PersistentRecursive);
    let mut got = Vec::new();
    got.extend(events_of(&mut w, created("/r/a", 8), A));
    got.extend(events_of(&mut w, created("/r/a/b", 9), A));
    got.extend(events_of(&mut w, changed("/r/a/b", 10), A));
    got.extend(events_of(&mut w, changed("/r", 11), A));
    got.extend(events_of(&mut w, deleted("/r/a/b", 12), A));
    assert_eq!(
        got,
        [
            ev(event::NODE_CREATED, "/r/a", 8),
            ev(event::NODE_CREATED, "/r/a/b", 9),
            ev(event::NODE_DATA_CHANGED, "/r/a/b", 10),
            ev(event::NODE_DATA_CHANGED, "/r", 11),
            ev(event::NODE_DELETED, "/r/a/b", 12),
        ]
    );
    // Never NodeChildrenChanged, not even for the watched path itself.
    let child_event = trigger("/r", event::NODE_CHILDREN_CHANGED, 13, TriggerTarget::Child);
    assert!(w.process_trigger(child_event).is_empty());
    // Siblings of the watched path are not covered.
    assert_eq!(events_of(&mut w, created("/rr", 14), A), []);
    // A recursive watch on / covers everything.
    w.add_watch("/", B, WatcherMode::PersistentRecursive);
    assert_eq!(
        events_of(&mut w, created("/x/y", 15), B),
        [ev(event::NODE_CREATED, "/x/y", 15)]
    );
    assert_eq!(
        events_of(&mut w, changed("/", 16), B),
        [ev(event::NODE_DATA_CHANGED, "/", 16)]
    );
}

#[test]
fn recursive_and_child_watch_on_one_path() {
    // Observed: recursive + getChildren watch on /r, create /r/z:
    // NodeCreated /r/z (recursive) then NodeChildrenChanged /r (child watch).
    let mut w = Watches::new();
    w.add_watch("/r", A, WatcherMode::PersistentRecursive);
    w.add_child_watch("/r", A);
    assert_eq!(
        events_of(&mut w, created("/r/z", 13), A),
        [
            ev(event::NODE_CREATED, "/r/z", 13),
            ev(event::NODE_CHILDREN_CHANGED, "/r", 13)
        ]
    );
}

#[test]
fn one_event_per_trigger_however_registered() {
    let mut w = Watches::new();
    w.add_watch("/", A, WatcherMode::PersistentRecursive);
    w.add_watch("/a", A, WatcherMode::PersistentRecursive);
    w.add_watch("/a/b", A, WatcherMode::PersistentRecursive);
    w.add_watch("/a/b", A, WatcherMode::Persistent);
    w.add_data_watch("/a/b", A);
    w.add_watch("/a", B, WatcherMode::PersistentRecursive);
    w.add_data_watch("/a/b", C);
    let notifications = w.process_triggers(changed("/a/b", 5));
    assert_eq!(notifications.len(), 1);
    let mut recipients = notifications[0].recipients.clone();
    recipients.sort_unstable();
    assert_eq!(recipients, [A, B, C]);
    assert_eq!(notifications[0].triggered_watchers, 3);
    // The one-shot watches on /a/b went; the persistent ones stayed.
    assert!(!w.contains_watcher("/a/b", WatcherType::Data, A));
    assert!(!w.contains_watcher("/a/b", WatcherType::Any, C));
    assert!(w.contains_watcher("/a/b", WatcherType::Persistent, A));
    assert!(w.contains_watcher("/a/b", WatcherType::PersistentRecursive, A));
}

#[test]
fn ancestors_standard_watches_do_not_fire() {
    let mut w = Watches::new();
    w.add_watch("/", A, WatcherMode::PersistentRecursive); // makes the walk happen
    w.add_data_watch("/a", B);
    w.add_watch("/a", C, WatcherMode::Persistent);
    let notifications = w.process_triggers(changed("/a/b", 3));
    assert_eq!(
        received(&notifications).keys().copied().collect::<Vec<_>>(),
        [A]
    );
    assert!(w.contains_watcher("/a", WatcherType::Data, B));
}

// ---------------------------------------------------------------------------
// NodeDeleted and the suppress set

#[test]
fn node_deleted_reaches_a_data_and_child_watcher_once() {
    // Observed: getData + getChildren watches on /d, delete /d → one event.
    let mut w = Watches::new();
    w.add_data_watch("/d", A);
    w.add_child_watch("/d", A);
    w.add_child_watch("/d", B);
    let notifications = w.process_triggers(deleted("/d", 15));
    assert_eq!(
        notifications.len(),
        2,
        "data and child notification; no watch on /"
    );
    assert_eq!(notifications[0].recipients, [A]);
    assert_eq!(notifications[1].recipients, [B]);
    assert_eq!(
        notifications[1].triggered_watchers, 2,
        "the suppressed watcher still counts"
    );
    let got = received(&notifications);
    assert_eq!(got[&A], [ev(event::NODE_DELETED, "/d", 15)]);
    assert_eq!(got[&B], [ev(event::NODE_DELETED, "/d", 15)]);
    // The suppressed watcher's one-shot child watch was consumed anyway.
    assert!(!w.contains_watcher("/d", WatcherType::Children, A));
    assert_eq!(w.watch_count(), 0);
}

#[test]
fn node_deleted_suppresses_child_watchers_reached_recursively() {
    // Observed: recursive watch on /r, child watch on /r/q, delete /r/q →
    // one NodeDeleted (the NodeCreated before it came from the recursive
    // watch too).
    let mut w = Watches::new();
    w.add_watch("/r", A, WatcherMode::PersistentRecursive);
    let created_events = events_of(&mut w, created("/r/q", 16), A);
    assert_eq!(created_events, [ev(event::NODE_CREATED, "/r/q", 16)]);
    w.add_child_watch("/r/q", A);
    assert_eq!(
        events_of(&mut w, deleted("/r/q", 17), A),
        [ev(event::NODE_DELETED, "/r/q", 17)]
    );
    assert!(!w.contains_watcher("/r/q", WatcherType::Children, A));
}

#[test]
fn all_suppressed_child_trigger_still_reports_its_count() {
    let mut w = Watches::new();
    w.add_data_watch("/d", A);
    w.add_child_watch("/d", A);
    let notifications = w.process_trigger(trigger(
        "/d",
        event::NODE_DELETED,
        9,
        TriggerTarget::DataThenChild,
    ));
    assert_eq!(notifications.len(), 2);
    assert!(notifications[1].recipients.is_empty());
    assert_eq!(notifications[1].triggered_watchers, 1);
    assert_eq!(readable_deliveries(&notifications, |_, _| true).len(), 1);
}

#[test]
fn manager_trigger_partitions_by_suppress_set() {
    let mut m = WatchManager::new();
    m.add_watch("/x", A, WatcherMode::Standard);
    m.add_watch("/x", B, WatcherMode::Persistent);
    let skip = HashSet::from([A]);
    let fired = m.trigger("/x", event::NODE_DELETED, 4, Some(&skip));
    assert_eq!(fired.recipients, [B]);
    assert_eq!(fired.suppressed, [A]);
    assert_eq!(fired.event, WatchedEvent::new(event::NODE_DELETED, "/x", 4));
    let mut all: Vec<_> = fired.triggered().collect();
    all.sort_unstable();
    assert_eq!(all, [A, B]);
    assert!(!m.contains_watcher("/x", A, None));
    assert!(m.contains_watcher("/x", B, Some(WatcherMode::Persistent)));
}

#[test]
fn empty_path_triggers_nothing() {
    let mut m = WatchManager::new();
    m.add_watch("", A, WatcherMode::Standard);
    m.add_watch("/", B, WatcherMode::PersistentRecursive);
    let fired = m.trigger("", event::NODE_CREATED, 1, None);
    assert_eq!(fired.triggered_count(), 0);
    assert!(m.contains_watcher("", A, None));
}

// ---------------------------------------------------------------------------
// checkWatches / removeWatches by type (3.9)

#[test]
fn check_and_remove_by_type_follow_java_3_9() {
    // The observed sequence, step by step (false = NoWatcher, -121).
    let mut w = Watches::new();
    w.add_data_watch("/m", A);
    w.add_watch("/m", A, WatcherMode::Persistent);
    assert!(w.contains_watcher("/m", WatcherType::Data, A));
    assert!(
        !w.contains_watcher("/m", WatcherType::Children, A),
        "persistent is not a standard child watch"
    );
    assert!(w.contains_watcher("/m", WatcherType::Persistent, A));
    assert!(!w.contains_watcher("/m", WatcherType::PersistentRecursive, A));
    assert!(w.contains_watcher("/m", WatcherType::Any, A));
    assert!(
        !w.contains_watcher("/m", WatcherType::Any, B),
        "only the caller's own watches count"
    );

    assert!(w.remove_watch("/m", WatcherType::Data, A));
    assert!(!w.remove_watch("/m", WatcherType::Data, A));
    assert!(!w.contains_watcher("/m", WatcherType::Data, A));
    assert!(
        w.contains_watcher("/m", WatcherType::Persistent, A),
        "removing Data left the persistent watch"
    );
    assert!(!w.remove_watch("/m", WatcherType::Children, A));
    assert!(!w.remove_watch("/m", WatcherType::PersistentRecursive, A));
    assert!(w.remove_watch("/m", WatcherType::Persistent, A));
    assert!(!w.remove_watch("/m", WatcherType::Persistent, A));
    assert!(!w.contains_watcher("/m", WatcherType::Any, A));

    w.add_child_watch("/m", A);
    assert!(!w.contains_watcher("/m", WatcherType::Data, A));
    assert!(w.contains_watcher("/m", WatcherType::Children, A));
    assert!(w.contains_watcher("/m", WatcherType::Any, A));
    assert!(!w.contains_watcher("/m", WatcherType::Persistent, A));
    assert!(w.remove_watch("/m", WatcherType::Any, A));
    assert!(!w.remove_watch("/m", WatcherType::Any, A));

    // All three modes at once: wchs counts one watch (observed).
    w.add_data_watch("/m", A);
    w.add_watch("/m", A, WatcherMode::Persistent);
    w.add_watch("/m", A, WatcherMode::PersistentRecursive);
    assert_eq!(
        w.wchs_output(),
        "1 connections watching 1 paths\nTotal watches:1\n"
    );
    assert!(w.remove_watch("/m", WatcherType::PersistentRecursive, A));
    assert!(w.contains_watcher("/m", WatcherType::Persistent, A));
    assert!(w.contains_watcher("/m", WatcherType::Data, A));
    assert!(w.remove_watch("/m", WatcherType::Any, A));
    assert!(!w.contains_watcher("/m", WatcherType::Any, A));
    assert!(!w.contains_watcher("/nope", WatcherType::Any, A));
    w.assert_consistent();
}

#[test]
fn removing_one_mode_only_affects_that_mode() {
    let mut w = Watches::new();
    w.add_data_watch("/a", A);
    w.add_watch("/a", A, WatcherMode::PersistentRecursive);
    assert!(w.remove_watch("/a", WatcherType::Data, A));
    // The recursive watch still fires for descendants.
    assert_eq!(
        events_of(&mut w, created("/a/b", 2), A),
        [ev(event::NODE_CREATED, "/a/b", 2)]
    );
    // Removing the recursive mode stops the walk.
    assert!(w.remove_watch("/a", WatcherType::PersistentRecursive, A));
    assert_eq!(events_of(&mut w, created("/a/c", 3), A), []);
    assert_eq!(w.watch_count(), 0);
}

#[test]
fn wire_codes() {
    assert_eq!(WatcherType::from_code(1), Some(WatcherType::Children));
    assert_eq!(WatcherType::from_code(2), Some(WatcherType::Data));
    assert_eq!(WatcherType::from_code(3), Some(WatcherType::Any));
    assert_eq!(WatcherType::from_code(4), Some(WatcherType::Persistent));
    assert_eq!(
        WatcherType::from_code(5),
        Some(WatcherType::PersistentRecursive)
    );
    // Observed: types 0 and 9 and addWatch modes 2 and -1 → MarshallingError.
    assert_eq!(WatcherType::from_code(0), None);
    assert_eq!(WatcherType::from_code(9), None);
    for code in 1..=5 {
        assert_eq!(
            WatcherType::from_code(code).map(WatcherType::code),
            Some(code)
        );
    }
    assert_eq!(
        WatcherType::PersistentRecursive.java_name(),
        "PersistentRecursive"
    );
    assert_eq!(
        WatcherMode::from_add_watch_mode(0),
        Some(WatcherMode::Persistent)
    );
    assert_eq!(
        WatcherMode::from_add_watch_mode(1),
        Some(WatcherMode::PersistentRecursive)
    );
    assert_eq!(WatcherMode::from_add_watch_mode(2), None);
    assert_eq!(WatcherMode::from_add_watch_mode(-1), None);
    assert!(WatcherMode::Persistent.is_persistent() && !WatcherMode::Persistent.is_recursive());
    assert!(!WatcherMode::Standard.is_persistent());
}

#[test]
fn add_watch_reports_new_modes() {
    let mut m = WatchManager::new();
    assert!(m.add_watch("/a", A, WatcherMode::Standard));
    assert!(!m.add_watch("/a", A, WatcherMode::Standard));
    assert!(m.add_watch("/a", A, WatcherMode::Persistent));
    assert_eq!(
        m.modes("/a", A),
        Some(
            WatchModes::NONE
                .with(WatcherMode::Standard)
                .with(WatcherMode::Persistent)
        )
    );
    assert_eq!(m.watch_count(), 1);
}

// ---------------------------------------------------------------------------
// setWatches

#[test]
fn set_watches_catch_up_in_java_order() {
    // The observed scenario: /s1 changed after relativeZxid, /s2 unchanged,
    // /s3 got a child after it, /gone and /gone2 missing, /nothere missing.
    let nodes: BTreeMap<&str, (i64, i64)> = BTreeMap::from([
        ("/s1", (24, 21)), // mzxid 24 > 23
        ("/s2", (22, 22)),
        ("/s3", (23, 25)), // pzxid 25 > 23
    ]);
    let mut w = Watches::new();
    let notifications = w.set_watches(
        23,
        &["/s1", "/s2", "/gone"],
        &["/s2", "/nothere"],
        &["/s3", "/s2", "/gone2"],
        &["/p"],
        &["/q"],
        C,
        |path| nodes.get(path).copied(),
    );
    let got: Vec<_> = readable_deliveries(&notifications, |_, _| false)
        .into_iter()
        .map(|(watcher, e)| (watcher, e.event_type, e.path, e.zxid))
        .collect();
    assert_eq!(
        got,
        [
            (C, event::NODE_DATA_CHANGED, "/s1".to_owned(), -1),
            (C, event::NODE_DELETED, "/gone".to_owned(), -1),
            (C, event::NODE_CREATED, "/s2".to_owned(), -1),
            (C, event::NODE_CHILDREN_CHANGED, "/s3".to_owned(), -1),
            (C, event::NODE_DELETED, "/gone2".to_owned(), -1),
        ],
        "delivered even though can_read refuses: catch-up events are not ACL-checked"
    );
    assert!(notifications
        .iter()
        .all(|n| n.acl.is_empty() && n.triggered_watchers == 0));
    // Re-registered: data /s2, exist /nothere, child /s2, persistent /p in
    // both tables, recursive /q in the data table. wchc as observed (Java's
    // hash order of the paths).
    assert_eq!(
        w.wchc_output(|_| 0x1000023bf830004),
        "0x1000023bf830004\n\t/p\n\t/q\n\t/nothere\n\t/s2\n\n"
    );
    assert!(w.contains_watcher("/s2", WatcherType::Children, C));
    assert!(w.contains_watcher("/p", WatcherType::Persistent, C));
    assert!(w
        .child_watches()
        .contains_watcher("/p", C, Some(WatcherMode::Persistent)));
    assert!(!w.child_watches().contains_watcher("/q", C, None));
    assert!(!w.contains_watcher("/s1", WatcherType::Any, C));
    assert_eq!(w.watch_count(), 4 + 2);
}

#[test]
fn set_watches_boundaries() {
    // mzxid == relativeZxid re-registers; exists on an existing node fires.
    let mut w = Watches::new();
    let none: [&str; 0] = [];
    let notifications = w.set_watches(10, &["/a"], &none, &["/a"], &none, &none, A, |_| {
        Some((10, 10))
    });
    assert!(notifications.is_empty());
    assert!(w.contains_watcher("/a", WatcherType::Data, A));
    assert!(w.contains_watcher("/a", WatcherType::Children, A));
    // The re-registered watches then fire with the txn zxid.
    assert_eq!(
        events_of(&mut w, changed("/a", 11), A),
        [ev(event::NODE_DATA_CHANGED, "/a", 11)]
    );
    // Strings or &str both work.
    let data = vec![String::from("/b")];
    let notifications = w.set_watches(0, &data, &[], &[], &[], &[], B, |_| None);
    assert_eq!(
        notifications[0].event,
        WatchedEvent::new(event::NODE_DELETED, "/b", -1)
    );
    assert_eq!(notifications[0].recipients, [B]);
}

// ---------------------------------------------------------------------------
// ACL filtering (3.9)

#[test]
fn events_are_filtered_by_read_on_the_right_acl() {
    // Observed shape: an unauthenticated recursive watcher on / does not see
    // setData on a digest-protected node but does see its world-readable
    // child; a child event is checked against the parent's ACL.
    let mut w = Watches::new();
    w.add_watch("/", A, WatcherMode::PersistentRecursive);
    w.add_watch("/sec", A, WatcherMode::Persistent);
    let can_read = |watcher: WatcherId, acl: &[ACL]| {
        watcher == B || acl.iter().any(|a| a.id.scheme.as_deref() == Some("world"))
    };
    let mut set_sec = trigger("/sec", event::NODE_DATA_CHANGED, 30, TriggerTarget::Data);
    set_sec.acl = digest_acl("u").into();
    let create_child = vec![
        trigger("/sec/y", event::NODE_CREATED, 31, TriggerTarget::Data),
        WatchTrigger {
            acl: digest_acl("u").into(),
            ..trigger(
                "/sec",
                event::NODE_CHILDREN_CHANGED,
                31,
                TriggerTarget::Child,
            )
        },
    ];
    let mut notifications = w.process_trigger(set_sec);
    notifications.extend(w.process_triggers(create_child));
    let got: Vec<_> = readable_deliveries(&notifications, can_read)
        .into_iter()
        .map(|(watcher, e)| (watcher, e.event_type, e.path))
        .collect();
    assert_eq!(got, [(A, event::NODE_CREATED, "/sec/y".to_owned())]);
    // The filter sees each recipient with the notification's ACL.
    let n = &notifications[0];
    let mut asked = Vec::new();
    let allowed: Vec<_> = n
        .readable_recipients(|watcher, acl| {
            asked.push((watcher, acl.to_vec()));
            false
        })
        .collect();
    assert!(allowed.is_empty());
    assert_eq!(asked, [(A, digest_acl("u"))]);
}

#[test]
fn empty_acl_is_readable_by_everyone() {
    let n = Notification {
        event: WatchedEvent::new(event::NODE_CREATED, "/x", 1),
        acl: Vec::new().into(),
        recipients: vec![A, B],
        triggered_watchers: 2,
    };
    assert_eq!(
        n.readable_recipients(|_, _| false).collect::<Vec<_>>(),
        [A, B]
    );
}

// ---------------------------------------------------------------------------
// Reports

#[test]
fn four_letter_outputs_match_java() {
    // Observed after probe 1: session ...0000 with a recursive watch on /r
    // and a persistent one on /w1 (plus a child-table entry for /w1, which
    // wchs/wchc/wchp leave out but zk_watch_count includes).
    let mut w = Watches::new();
    w.add_watch("/w1", A, WatcherMode::Persistent);
    w.add_watch("/r", A, WatcherMode::PersistentRecursive);
    let sid = |_| 0x1000023bf830000;
    assert_eq!(
        w.wchs_output(),
        "1 connections watching 2 paths\nTotal watches:2\n"
    );
    assert_eq!(w.wchc_output(sid), "0x1000023bf830000\n\t/r\n\t/w1\n\n");
    assert_eq!(
        w.wchp_output(sid),
        "/r\n\t0x1000023bf830000\n/w1\n\t0x1000023bf830000\n\n"
    );
    assert_eq!(w.watch_count(), 3);
    // Child watches alone do not show (wchs counts the data table only).
    w.add_child_watch("/kids", B);
    assert_eq!(
        w.wchs_output(),
        "1 connections watching 2 paths\nTotal watches:2\n"
    );
    assert_eq!(w.watch_count(), 4);
}

#[test]
fn wchc_lists_paths_in_java_hash_map_order() {
    // Observed: one connection registers exists watches on these paths in
    // this order; NodeCreated then fires four of them, and two are
    // registered again. Java's wchc lists the session's paths as below.
    let mut names: Vec<String> = (0..40).map(|i| format!("/h{i}")).collect();
    names.extend((0..10).map(|i| format!("/x/y{i}")));
    names.extend(["/zz", "/a", "/ä"].map(String::from));
    let mut w = Watches::new();
    for name in &names {
        w.add_data_watch(name, A);
    }
    for name in ["/h3", "/h17", "/zz", "/a"] {
        w.process_triggers(created(name, 1));
    }
    for name in ["/a", "/h3"] {
        w.add_data_watch(name, A);
    }
    let expected = [
        "/h20", "/h27", "/h28", "/h25", "/h26", "/h23", "/h24", "/h21", "/h22", "/a", "/ä", "/h18",
        "/h19", "/h30", "/h31", "/h38", "/h39", "/h36", "/h37", "/h34", "/h35", "/h32", "/h33",
        "/x/y0", "/x/y2", "/x/y1", "/h29", "/h0", "/h1", "/h2", "/h3", "/h4", "/h5", "/h6", "/h7",
        "/h8", "/h9", "/x/y8", "/x/y7", "/x/y9", "/x/y4", "/x/y3", "/x/y6", "/x/y5", "/h16",
        "/h14", "/h15", "/h12", "/h13", "/h10", "/h11",
    ];
    let mut text = String::from("0x1000023bf830001\n");
    for path in expected {
        text.push('\t');
        text.push_str(path);
        text.push('\n');
    }
    text.push('\n');
    assert_eq!(w.wchc_output(session), text);
    // With a single watcher, the path table has the same history.
    let by_path: Vec<&str> = w
        .data_watches()
        .watchers_by_path()
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    assert_eq!(by_path, expected);
}

#[test]
fn structured_reports() {
    let mut w = Watches::new();
    w.add_data_watch("/a", A);
    w.add_data_watch("/b", A);
    w.add_data_watch("/a", B);
    w.add_child_watch("/c", C);
    assert_eq!(
        w.report_by_session(session),
        BTreeMap::from([
            (
                session(A),
                BTreeSet::from(["/a".to_owned(), "/b".to_owned()])
            ),
            (session(B), BTreeSet::from(["/a".to_owned()])),
        ])
    );
    assert_eq!(
        w.report_by_path(session),
        BTreeMap::from([
            ("/a".to_owned(), BTreeSet::from([session(A), session(B)])),
            ("/b".to_owned(), BTreeSet::from([session(A)])),
        ])
    );
    assert_eq!(
        w.summary(),
        WatchesSummary {
            num_connections: 2,
            num_paths: 2,
            total_watches: 3
        }
    );
    // Sessions are printed as Java's Long.toHexString (negative ids too).
    let negative = |_| -0x7fff_ffff_ffff_fff0;
    assert!(w.wchc_output(negative).starts_with("0x8000000000000010\n"));
    // wchp lists sessions of a path sorted.
    let text = w.wchp_output(session);
    assert!(
        text.contains("/a\n\t0x1000023bf830001\n\t0x1000023bf830002\n"),
        "{text}"
    );
}

#[test]
fn connection_close_removes_everything() {
    let mut w = Watches::new();
    w.add_data_watch("/a", A);
    w.add_child_watch("/a", A);
    w.add_watch("/", A, WatcherMode::PersistentRecursive);
    w.add_watch("/p", A, WatcherMode::Persistent);
    w.add_data_watch("/a", B);
    w.remove_watcher(A);
    w.assert_consistent();
    assert_eq!(w.watch_count(), 1);
    assert_eq!(w.summary().num_connections, 1);
    let notifications = w.process_triggers(created("/a/x", 3));
    assert!(
        notifications.is_empty(),
        "the recursive watch went with the connection"
    );
    w.remove_watcher(A); // twice is harmless
    w.remove_watcher(B);
    assert_eq!(w.summary(), WatchesSummary::default());
}

#[test]
fn fan_out_to_many_watchers_on_one_path() {
    let mut w = Watches::new();
    let watchers = 10_000;
    for watcher in 0..watchers {
        w.add_data_watch("/hot", watcher);
        w.add_watch("/", watcher, WatcherMode::PersistentRecursive);
    }
    let notifications = w.process_triggers(changed("/hot", 2));
    assert_eq!(notifications.len(), 1);
    assert_eq!(notifications[0].recipients.len(), watchers as usize);
    let unique: HashSet<_> = notifications[0].recipients.iter().collect();
    assert_eq!(unique.len(), watchers as usize);
    assert_eq!(w.data_watches().path_count(), 1);
    w.assert_consistent();
}

// ---------------------------------------------------------------------------
// Property test against a naive model of the Java rules

mod model {
    use super::*;
    use proptest::prelude::*;

    const PATHS: [&str; 7] = ["/", "/a", "/a/b", "/a/b/c", "/b", "/b/c", "/a/bc"];

    fn bit(mode: WatcherMode) -> u8 {
        match mode {
            WatcherMode::Standard => 1,
            WatcherMode::Persistent => 2,
            WatcherMode::PersistentRecursive => 4,
        }
    }

    /// One table as the simplest possible data: (path, watcher) → mode bits,
    /// plus the watchers Java keeps in `watch2Paths`.
    #[derive(Default, Debug)]
    struct Table {
        modes: BTreeMap<(String, WatcherId), u8>,
        known: BTreeSet<WatcherId>,
    }

    impl Table {
        fn add(&mut self, path: &str, watcher: WatcherId, mode: WatcherMode) {
            self.known.insert(watcher);
            *self.modes.entry((path.to_owned(), watcher)).or_default() |= bit(mode);
        }

        fn get(&self, path: &str, watcher: WatcherId) -> u8 {
            self.modes
                .get(&(path.to_owned(), watcher))
                .copied()
                .unwrap_or(0)
        }

        fn trigger(&mut self, path: &str) -> BTreeSet<WatcherId> {
            let mut hit = BTreeSet::new();
            for ((p, watcher), modes) in &self.modes {
                let is_ancestor = p != path && (p == "/" || path.starts_with(&format!("{p}/")));
                if p == path || (is_ancestor && modes & 4 != 0) {
                    hit.insert(*watcher);
                }
            }
            self.modes.retain(|(p, _), modes| {
                if p == path {
                    *modes &= !1;
                }
                *modes != 0
            });
            hit
        }

        fn contains(&self, path: &str, watcher: WatcherId, mode: Option<WatcherMode>) -> bool {
            let modes = self.get(path, watcher);
            modes != 0 && mode.is_none_or(|m| modes & bit(m) != 0)
        }

        fn remove(&mut self, path: &str, watcher: WatcherId, mode: Option<WatcherMode>) -> bool {
            let path_watched = self.modes.keys().any(|(p, _)| p == path);
            if !self.known.contains(&watcher) || !path_watched {
                return false;
            }
            let old = self.get(path, watcher);
            let new = mode.map_or(0, |m| old & !bit(m));
            if new == old {
                return false;
            }
            if new == 0 {
                self.modes.remove(&(path.to_owned(), watcher));
                if !self.modes.keys().any(|(_, w)| *w == watcher) {
                    self.known.remove(&watcher);
                }
            } else {
                self.modes.insert((path.to_owned(), watcher), new);
            }
            true
        }

        fn remove_watcher(&mut self, watcher: WatcherId) {
            self.modes.retain(|(_, w), _| *w != watcher);
            self.known.remove(&watcher);
        }

        fn summary(&self) -> WatchesSummary {
            let paths: BTreeSet<&String> = self.modes.keys().map(|(p, _)| p).collect();
            WatchesSummary {
                num_connections: self.known.len(),
                num_paths: paths.len(),
                total_watches: self.modes.len(),
            }
        }

        fn by_session(&self) -> WatchesBySession {
            let mut out: WatchesBySession = self
                .known
                .iter()
                .map(|w| (session(*w), BTreeSet::new()))
                .collect();
            for (p, w) in self.modes.keys() {
                out.entry(session(*w)).or_default().insert(p.clone());
            }
            out
        }

        fn by_path(&self) -> WatchesByPath {
            let mut out = WatchesByPath::new();
            for (p, w) in self.modes.keys() {
                out.entry(p.clone()).or_default().insert(session(*w));
            }
            out
        }
    }

    #[derive(Debug, Clone)]
    enum Op {
        DataWatch(usize, WatcherId),
        ChildWatch(usize, WatcherId),
        AddWatch(usize, WatcherId, bool),
        Created(usize),
        Changed(usize),
        Deleted(usize),
        ChildrenChanged(usize),
        Check(usize, i32, WatcherId),
        Remove(usize, i32, WatcherId),
        Close(WatcherId),
    }

    fn op() -> impl Strategy<Value = Op> {
        let path = 0..PATHS.len();
        let watcher = 1..5u64;
        prop_oneof![
            (path.clone(), watcher.clone()).prop_map(|(p, w)| Op::DataWatch(p, w)),
            (path.clone(), watcher.clone()).prop_map(|(p, w)| Op::ChildWatch(p, w)),
            (path.clone(), watcher.clone(), any::<bool>())
                .prop_map(|(p, w, r)| Op::AddWatch(p, w, r)),
            path.clone().prop_map(Op::Created),
            path.clone().prop_map(Op::Changed),
            path.clone().prop_map(Op::Deleted),
            path.clone().prop_map(Op::ChildrenChanged),
            (path.clone(), 1..6i32, watcher.clone()).prop_map(|(p, t, w)| Op::Check(p, t, w)),
            (path, 1..6i32, watcher.clone()).prop_map(|(p, t, w)| Op::Remove(p, t, w)),
            watcher.prop_map(Op::Close),
        ]
    }

    fn recipients(notification: &Notification) -> BTreeSet<WatcherId> {
        let set: BTreeSet<_> = notification.recipients.iter().copied().collect();
        assert_eq!(
            set.len(),
            notification.recipients.len(),
            "a watcher listed twice"
        );
        set
    }

    fn single(notifications: &[Notification]) -> BTreeSet<WatcherId> {
        assert!(notifications.len() <= 1);
        notifications.first().map(recipients).unwrap_or_default()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn watches_behave_like_the_model(ops in proptest::collection::vec(op(), 1..80)) {
            let mut real = Watches::new();
            let mut data = Table::default();
            let mut child = Table::default();
            for (zxid, op) in ops.into_iter().enumerate() {
                let zxid = zxid as i64;
                match op {
                    Op::DataWatch(p, w) => {
                        real.add_data_watch(PATHS[p], w);
                        data.add(PATHS[p], w, WatcherMode::Standard);
                    }
                    Op::ChildWatch(p, w) => {
                        real.add_child_watch(PATHS[p], w);
                        child.add(PATHS[p], w, WatcherMode::Standard);
                    }
                    Op::AddWatch(p, w, recursive) => {
                        let mode = if recursive { WatcherMode::PersistentRecursive } else { WatcherMode::Persistent };
                        real.add_watch(PATHS[p], w, mode);
                        data.add(PATHS[p], w, mode);
                        if !recursive {
                            child.add(PATHS[p], w, mode);
                        }
                    }
                    Op::Created(p) | Op::Changed(p) => {
                        let event_type = if matches!(op, Op::Created(_)) { event::NODE_CREATED } else { event::NODE_DATA_CHANGED };
                        let got = real.process_trigger(trigger(PATHS[p], event_type, zxid, TriggerTarget::Data));
                        prop_assert_eq!(single(&got), data.trigger(PATHS[p]));
                        for n in &got {
                            prop_assert_eq!(&n.event, &WatchedEvent::new(event_type, PATHS[p], zxid));
                        }
                    }
                    Op::ChildrenChanged(p) => {
                        let got = real.process_trigger(trigger(PATHS[p], event::NODE_CHILDREN_CHANGED, zxid, TriggerTarget::Child));
                        prop_assert_eq!(single(&got), child.trigger(PATHS[p]));
                    }
                    Op::Deleted(p) => {
                        let got = real.process_trigger(trigger(PATHS[p], event::NODE_DELETED, zxid, TriggerTarget::DataThenChild));
                        let from_data = data.trigger(PATHS[p]);
                        let from_child = child.trigger(PATHS[p]);
                        let mut expected = vec![];
                        if !from_data.is_empty() {
                            expected.push((from_data.clone(), from_data.len()));
                        }
                        if !from_child.is_empty() {
                            let rest: BTreeSet<_> = from_child.difference(&from_data).copied().collect();
                            expected.push((rest, from_child.len()));
                        }
                        let actual: Vec<_> = got.iter().map(|n| (recipients(n), n.triggered_watchers)).collect();
                        prop_assert_eq!(actual, expected);
                    }
                    Op::Check(p, code, w) => {
                        let ty = WatcherType::from_code(code).unwrap();
                        let path = PATHS[p];
                        let expected = match ty {
                            WatcherType::Children => child.contains(path, w, Some(WatcherMode::Standard)),
                            WatcherType::Data => data.contains(path, w, Some(WatcherMode::Standard)),
                            WatcherType::Persistent => data.contains(path, w, Some(WatcherMode::Persistent)),
                            WatcherType::PersistentRecursive => data.contains(path, w, Some(WatcherMode::PersistentRecursive)),
                            WatcherType::Any => child.contains(path, w, None) || data.contains(path, w, None),
                        };
                        prop_assert_eq!(real.contains_watcher(path, ty, w), expected);
                    }
                    Op::Remove(p, code, w) => {
                        let ty = WatcherType::from_code(code).unwrap();
                        let path = PATHS[p];
                        let expected = match ty {
                            WatcherType::Children => child.remove(path, w, Some(WatcherMode::Standard)),
                            WatcherType::Data => data.remove(path, w, Some(WatcherMode::Standard)),
                            WatcherType::Persistent => {
                                let c = child.remove(path, w, Some(WatcherMode::Persistent));
                                let d = data.remove(path, w, Some(WatcherMode::Persistent));
                                c || d
                            }
                            WatcherType::PersistentRecursive => data.remove(path, w, Some(WatcherMode::PersistentRecursive)),
                            WatcherType::Any => {
                                let c = child.remove(path, w, None);
                                let d = data.remove(path, w, None);
                                c || d
                            }
                        };
                        prop_assert_eq!(real.remove_watch(path, ty, w), expected);
                    }
                    Op::Close(w) => {
                        real.remove_watcher(w);
                        data.remove_watcher(w);
                        child.remove_watcher(w);
                    }
                }
                real.assert_consistent();
                prop_assert_eq!(real.summary(), data.summary());
                prop_assert_eq!(real.child_watches().summary(), child.summary());
                prop_assert_eq!(real.watch_count(), data.modes.len() + child.modes.len());
                prop_assert_eq!(real.report_by_session(session), data.by_session());
                prop_assert_eq!(real.report_by_path(session), data.by_path());
                for ((path, watcher), modes) in &data.modes {
                    prop_assert_eq!(real.data_watches().modes(path, *watcher).unwrap(), bits_to_modes(*modes));
                }
                let wchc = real.wchc_output(session);
                prop_assert_eq!(wchc.lines().filter(|l| l.starts_with('\t')).count(), data.modes.len());
                prop_assert_eq!(wchc.lines().filter(|l| l.starts_with("0x")).count(), data.known.len());
            }
        }
    }

    fn bits_to_modes(bits: u8) -> WatchModes {
        [
            WatcherMode::Standard,
            WatcherMode::Persistent,
            WatcherMode::PersistentRecursive,
        ]
        .into_iter()
        .filter(|m| bits & bit(*m) != 0)
        .fold(WatchModes::NONE, WatchModes::with)
    }
}
