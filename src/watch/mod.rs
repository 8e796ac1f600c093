//! Watch management with the semantics of ZooKeeper 3.9.5.
//!
//! Plain data structures: no I/O, no threads, no locks. The server owns one
//! [`Watches`] (next to the data tree), feeds it registrations from read
//! requests, `addWatch`, `setWatches`, `checkWatches` and `removeWatches`,
//! and the [`WatchTrigger`]s the tree produces when it applies a
//! transaction. What comes back is a list of [`Notification`]s: one event,
//! the ACL that governs its delivery and the watchers that should get it.
//! Delivering them (the v3.9 READ check through
//! [`Notification::readable_recipients`], then
//! [`WatchedEvent::notification_frame`]) is up to the caller.
//!
//! A watcher is a client connection, named by a [`WatcherId`] the server
//! chooses. Watches belong to the connection, not the session: when the
//! connection closes the server calls [`Watches::remove_watcher`]; the client
//! re-registers its watches on the next connection with `setWatches`.
//!
//! The rules, as Java 3.9.5 implements them (`WatchManager`, `WatchStats`,
//! `DataTree`):
//!
//! * Two tables: data watches (getData, exists — also on a missing node —,
//!   persistent and persistent-recursive `addWatch`) and child watches
//!   (getChildren, persistent `addWatch`).
//! * One watcher may hold several modes on one path at once (standard,
//!   persistent, persistent-recursive); 3.8 kept only the last one.
//! * A trigger notifies every watcher on the exact path, whatever its
//!   modes, then drops their standard (one-shot) mode; persistent modes stay.
//!   Watchers with a recursive watch on an ancestor are notified too. A
//!   watcher gets at most one event per trigger.
//! * Recursive watches live in the data table only, so they never see
//!   `NodeChildrenChanged`.
//! * `NodeDeleted` goes to the data table first, then to the child table
//!   minus the watchers the data table already notified.
//! * Watch notifications carry the zxid of the transaction (3.9; −1 in 3.8);
//!   the catch-up events of `setWatches` carry −1 and are not ACL-checked.
//!
//! What stays with the caller, as in Java's request processor:
//! * Register nothing for a connection that is closing (Java's `isStale`).
//! * getData/getChildren register only after the node is found and READ
//!   passes; exists registers also for a missing node, but not when the
//!   node exists and READ fails. `addWatch` and `setWatches` check nothing.
//! * Unknown `WatcherType` codes and `addWatch` modes fail the request with
//!   `MarshallingError`; `checkWatches`/`removeWatches` answer `false` with
//!   `NoWatcher` (−121).
//! * `setWatches` catch-up events go out before the `setWatches` reply.

mod manager;
mod report;
mod watches;

#[cfg(test)]
mod tests;

pub use manager::{Triggered, WatchManager, WatchModes};
pub use report::{WatchesByPath, WatchesBySession, WatchesSummary};
pub use watches::Watches;

use std::sync::Arc;

use crate::proto::codes::{state, watcher_type, xid};
use jute::data::ACL;
use jute::proto::{ReplyHeader, WatcherEvent};
use jute::Jute;

/// Identifies a watcher: the server's id for one client connection.
pub type WatcherId = u64;

/// How a watch behaves when it fires (Java's `WatcherMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WatcherMode {
    /// One-shot: removed when it fires (getData, exists, getChildren).
    Standard,
    /// Stays after firing; only the watched path (`addWatch` mode 0).
    Persistent,
    /// Stays after firing; the path and all its descendants (`addWatch`
    /// mode 1). Kept in the data table only.
    PersistentRecursive,
}

impl WatcherMode {
    /// The mode of an `AddWatchRequest.mode` (`ZooDefs.AddWatchModes`):
    /// 0 is persistent, 1 persistent-recursive. Java rejects anything else
    /// with an exception that the server answers with `MarshallingError`.
    pub fn from_add_watch_mode(mode: i32) -> Option<WatcherMode> {
        use crate::proto::codes::add_watch_mode;
        match mode {
            add_watch_mode::PERSISTENT => Some(WatcherMode::Persistent),
            add_watch_mode::PERSISTENT_RECURSIVE => Some(WatcherMode::PersistentRecursive),
            _ => None,
        }
    }

    /// True for the modes that survive firing.
    pub fn is_persistent(self) -> bool {
        !matches!(self, WatcherMode::Standard)
    }

    /// True for the mode that also covers descendants.
    pub fn is_recursive(self) -> bool {
        matches!(self, WatcherMode::PersistentRecursive)
    }
}

/// Which watches `checkWatches` and `removeWatches` address
/// (`Watcher.WatcherType`).
///
/// Since 3.9, `Children` and `Data` address only standard (one-shot)
/// watches, `Persistent` and `PersistentRecursive` only their own mode, and
/// `Any` every mode in both tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WatcherType {
    /// Standard child watches (1).
    Children,
    /// Standard data and exist watches (2).
    Data,
    /// Everything on the path (3).
    Any,
    /// Persistent watches (4).
    Persistent,
    /// Persistent-recursive watches (5).
    PersistentRecursive,
}

impl WatcherType {
    /// The type for a wire value; `None` for values Java rejects (the server
    /// answers those with `MarshallingError`).
    pub fn from_code(code: i32) -> Option<WatcherType> {
        match code {
            watcher_type::CHILDREN => Some(WatcherType::Children),
            watcher_type::DATA => Some(WatcherType::Data),
            watcher_type::ANY => Some(WatcherType::Any),
            watcher_type::PERSISTENT => Some(WatcherType::Persistent),
            watcher_type::PERSISTENT_RECURSIVE => Some(WatcherType::PersistentRecursive),
            _ => None,
        }
    }

    /// The wire value.
    pub fn code(self) -> i32 {
        match self {
            WatcherType::Children => watcher_type::CHILDREN,
            WatcherType::Data => watcher_type::DATA,
            WatcherType::Any => watcher_type::ANY,
            WatcherType::Persistent => watcher_type::PERSISTENT,
            WatcherType::PersistentRecursive => watcher_type::PERSISTENT_RECURSIVE,
        }
    }

    /// Java's name for the type, as used in the `NoWatcher` message
    /// `"<path> (type: <name>)"`.
    pub fn java_name(self) -> &'static str {
        match self {
            WatcherType::Children => "Children",
            WatcherType::Data => "Data",
            WatcherType::Any => "Any",
            WatcherType::Persistent => "Persistent",
            WatcherType::PersistentRecursive => "PersistentRecursive",
        }
    }
}

/// One event as the server sends it (Java's `WatchedEvent`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WatchedEvent {
    /// An event type from [`crate::proto::codes::event`].
    pub event_type: i32,
    /// The session state; the server always sends
    /// [`state::SYNC_CONNECTED`].
    pub state: i32,
    /// The full path of the node the event is about (chroot is applied by
    /// the client, never by the server).
    pub path: String,
    /// The zxid of the transaction that caused the event, or −1 for the
    /// catch-up events of `setWatches`. Sent as the reply header's zxid.
    pub zxid: i64,
}

impl WatchedEvent {
    /// The zxid of events that no transaction caused (`WatchedEvent.NO_ZXID`).
    pub const NO_ZXID: i64 = -1;

    /// An event in state `SyncConnected`.
    pub fn new(event_type: i32, path: impl Into<String>, zxid: i64) -> WatchedEvent {
        WatchedEvent {
            event_type,
            state: state::SYNC_CONNECTED,
            path: path.into(),
            zxid,
        }
    }

    /// The reply header of the notification: xid −1, the event's zxid, no
    /// error.
    pub fn reply_header(&self) -> ReplyHeader {
        ReplyHeader {
            xid: xid::NOTIFICATION,
            zxid: self.zxid,
            err: 0,
        }
    }

    /// The notification body (`WatcherEvent{type, state, path}`).
    pub fn wire_event(&self) -> WatcherEvent {
        WatcherEvent {
            r#type: self.event_type,
            state: self.state,
            path: Some(self.path.clone()),
        }
    }

    /// Appends the framed notification: a 4-byte length, the reply header,
    /// then the `WatcherEvent`, exactly as Java's `ServerCnxn.sendResponse`
    /// lays them out.
    pub fn write_notification<B: bytes::BufMut + ?Sized>(&self, out: &mut B) {
        let mut body = Vec::with_capacity(32 + self.path.len());
        self.reply_header().write_to(&mut body);
        self.wire_event().write_to(&mut body);
        let len = i32::try_from(body.len()).expect("a notification is far below 2 GiB");
        out.put_i32(len);
        out.put_slice(&body);
    }

    /// The framed notification as a new buffer. Encode once and share it
    /// among all the recipients of a [`Notification`].
    pub fn notification_frame(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(36 + self.path.len());
        self.write_notification(&mut out);
        out
    }
}

/// What a data-tree change asks of the watch tables: produced by the tree
/// for each node it creates, deletes or changes, consumed by
/// [`Watches::process_trigger`].
#[derive(Debug, Clone, PartialEq)]
pub struct WatchTrigger {
    /// The path the event is about: the node itself, or the parent (`/` for
    /// children of the root) for `NodeChildrenChanged`.
    pub path: String,
    /// The event type ([`crate::proto::codes::event`]).
    pub event_type: i32,
    /// The zxid of the transaction.
    pub zxid: i64,
    /// The ACL the v3.9 READ check uses: the node's ACL, or the parent's for
    /// `NodeChildrenChanged` (shared with the tree's ACL cache).
    pub acl: Arc<[ACL]>,
    /// Which watch tables to fire.
    pub target: TriggerTarget,
}

/// Which watch tables a [`WatchTrigger`] fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TriggerTarget {
    /// The data table (NodeCreated, NodeDataChanged).
    Data,
    /// The child table (NodeChildrenChanged on the parent).
    Child,
    /// NodeDeleted: the data table, then the child table, skipping watchers
    /// the data table already triggered.
    DataThenChild,
}

/// One event and who should get it.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// The event; the same for every recipient.
    pub event: WatchedEvent,
    /// The ACL each recipient needs READ on (v3.9). Empty for the
    /// `setWatches` catch-up events, which Java delivers unchecked.
    pub acl: Arc<[ACL]>,
    /// The watchers to notify, each once.
    pub recipients: Vec<WatcherId>,
    /// How many watchers the trigger hit, including ones skipped because
    /// they were already notified of the same `NodeDeleted` (Java's
    /// `node_{created,deleted,changed,children}_watch_count` samples; 0 for
    /// catch-up events, which Java does not count). A trigger that hits
    /// watchers yields a notification even if every one was skipped, so the
    /// metric can be kept.
    pub triggered_watchers: usize,
}

impl Notification {
    /// The recipients allowed to see the event: Java's
    /// `ServerWatcher.process(event, znodeAcl)` check. An empty ACL lets
    /// everyone through (as `checkACL` does); otherwise `can_read(watcher,
    /// acl)` decides (skipACL, super, `world:anyone` and the auth providers
    /// are the caller's business).
    pub fn readable_recipients<'a, F>(
        &'a self,
        mut can_read: F,
    ) -> impl Iterator<Item = WatcherId> + 'a
    where
        F: FnMut(WatcherId, &[ACL]) -> bool + 'a,
    {
        let acl: &[ACL] = &self.acl;
        self.recipients
            .iter()
            .copied()
            .filter(move |&watcher| acl.is_empty() || can_read(watcher, acl))
    }
}

/// Flattens notifications into `(watcher, event)` deliveries, in order,
/// dropping those `can_read` refuses (see
/// [`Notification::readable_recipients`]).
pub fn readable_deliveries<F>(
    notifications: &[Notification],
    mut can_read: F,
) -> Vec<(WatcherId, WatchedEvent)>
where
    F: FnMut(WatcherId, &[ACL]) -> bool,
{
    let mut out = Vec::new();
    for notification in notifications {
        for watcher in notification.readable_recipients(&mut can_read) {
            out.push((watcher, notification.event.clone()));
        }
    }
    out
}
