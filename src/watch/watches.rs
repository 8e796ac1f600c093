//! The data-tree level view of watches: both tables and the operations the
//! request processor needs (Java's `DataTree`/`ZKDatabase` watch methods).

use std::collections::HashSet;
use std::fmt::Write as _;
use std::sync::Arc;

use super::manager::{Triggered, WatchManager};
use super::report::{java_hex, WatchesByPath, WatchesBySession, WatchesSummary};
use super::{
    Notification, TriggerTarget, WatchTrigger, WatchedEvent, WatcherId, WatcherMode, WatcherType,
};
use crate::proto::codes::event;
use jute::data::ACL;

/// Both watch tables of a server.
#[derive(Debug, Default)]
pub struct Watches {
    data: WatchManager,
    child: WatchManager,
}

impl Watches {
    /// No watches.
    pub fn new() -> Watches {
        Watches::default()
    }

    /// The data table: getData and exists watches, persistent and
    /// persistent-recursive ones.
    pub fn data_watches(&self) -> &WatchManager {
        &self.data
    }

    /// The child table: getChildren watches and persistent ones.
    pub fn child_watches(&self) -> &WatchManager {
        &self.child
    }

    /// Registers the one-shot watch of `getData(watch=true)` or
    /// `exists(watch=true)`. Java registers the exists watch whether or not
    /// the node exists (after the READ check, which only applies to an
    /// existing node); getData registers only on an existing, readable node.
    pub fn add_data_watch(&mut self, path: &str, watcher: WatcherId) {
        self.data.add_watch(path, watcher, WatcherMode::Standard);
    }

    /// Registers the one-shot watch of `getChildren(watch=true)` or
    /// `getChildren2(watch=true)` (existing, readable nodes only).
    pub fn add_child_watch(&mut self, path: &str, watcher: WatcherId) {
        self.child.add_watch(path, watcher, WatcherMode::Standard);
    }

    /// `addWatch`: a persistent watch goes into both tables, a recursive one
    /// into the data table only. Java checks neither the node's existence
    /// nor its ACL here.
    pub fn add_watch(&mut self, path: &str, watcher: WatcherId, mode: WatcherMode) {
        self.data.add_watch(path, watcher, mode);
        if !mode.is_recursive() {
            self.child.add_watch(path, watcher, mode);
        }
    }

    /// `checkWatches`: does `watcher` hold a watch of this type on `path`?
    /// The server answers `false` with `NoWatcher`.
    ///
    /// `Children` and `Data` look for a standard watch in their table,
    /// `Persistent` and `PersistentRecursive` for their mode in the data
    /// table, `Any` for any mode in either table.
    pub fn contains_watcher(
        &self,
        path: &str,
        watcher_type: WatcherType,
        watcher: WatcherId,
    ) -> bool {
        match watcher_type {
            WatcherType::Children => {
                self.child
                    .contains_watcher(path, watcher, Some(WatcherMode::Standard))
            }
            WatcherType::Data => {
                self.data
                    .contains_watcher(path, watcher, Some(WatcherMode::Standard))
            }
            WatcherType::Persistent => {
                self.data
                    .contains_watcher(path, watcher, Some(WatcherMode::Persistent))
            }
            WatcherType::PersistentRecursive => {
                self.data
                    .contains_watcher(path, watcher, Some(WatcherMode::PersistentRecursive))
            }
            WatcherType::Any => {
                self.child.contains_watcher(path, watcher, None)
                    || self.data.contains_watcher(path, watcher, None)
            }
        }
    }

    /// `removeWatches`: removes `watcher`'s watches of this type on `path`
    /// and says whether anything went. The server answers `false` with
    /// `NoWatcher`.
    ///
    /// `Children` and `Data` remove the standard watch of their table,
    /// `Persistent` the persistent mode from both tables,
    /// `PersistentRecursive` the recursive mode, `Any` everything on the
    /// path in both tables.
    pub fn remove_watch(
        &mut self,
        path: &str,
        watcher_type: WatcherType,
        watcher: WatcherId,
    ) -> bool {
        match watcher_type {
            WatcherType::Children => {
                self.child
                    .remove_watch(path, watcher, Some(WatcherMode::Standard))
            }
            WatcherType::Data => self
                .data
                .remove_watch(path, watcher, Some(WatcherMode::Standard)),
            WatcherType::Persistent => {
                let from_child =
                    self.child
                        .remove_watch(path, watcher, Some(WatcherMode::Persistent));
                let from_data =
                    self.data
                        .remove_watch(path, watcher, Some(WatcherMode::Persistent));
                from_child || from_data
            }
            WatcherType::PersistentRecursive => {
                self.data
                    .remove_watch(path, watcher, Some(WatcherMode::PersistentRecursive))
            }
            WatcherType::Any => {
                let from_child = self.child.remove_watch(path, watcher, None);
                let from_data = self.data.remove_watch(path, watcher, None);
                from_child || from_data
            }
        }
    }

    /// Forgets every watch of a closed connection (Java's `removeCnxn`).
    pub fn remove_watcher(&mut self, watcher: WatcherId) {
        self.data.remove_watcher(watcher);
        self.child.remove_watcher(watcher);
    }

    /// `setWatches` / `setWatches2` from a reconnecting client that last saw
    /// `relative_zxid`. `node(path)` gives an existing node's
    /// `(mzxid, pzxid)`, `None` for a missing node.
    ///
    /// Returns the catch-up events, in Java's order (data paths, then exist
    /// paths, then child paths, each in the order given), all with zxid −1
    /// and no ACL (Java delivers them unchecked):
    /// * data watch: missing node → `NodeDeleted`; `mzxid > relative_zxid` →
    ///   `NodeDataChanged`; otherwise the watch is registered again;
    /// * exist watch: existing node → `NodeCreated`; otherwise registered;
    /// * child watch: missing node → `NodeDeleted`; `pzxid > relative_zxid`
    ///   → `NodeChildrenChanged`; otherwise registered;
    /// * persistent (both tables) and persistent-recursive watches are
    ///   always registered, with no catch-up event.
    ///
    /// Java sends these events before the `setWatches` reply.
    #[allow(clippy::too_many_arguments)]
    pub fn set_watches<S, F>(
        &mut self,
        relative_zxid: i64,
        data_paths: &[S],
        exist_paths: &[S],
        child_paths: &[S],
        persistent_paths: &[S],
        persistent_recursive_paths: &[S],
        watcher: WatcherId,
        mut node: F,
    ) -> Vec<Notification>
    where
        S: AsRef<str>,
        F: FnMut(&str) -> Option<(i64, i64)>,
    {
        let mut catch_up = Vec::new();
        let mut notify = |event_type: i32, path: &str| {
            catch_up.push(Notification {
                event: WatchedEvent::new(event_type, path, WatchedEvent::NO_ZXID),
                acl: Arc::from(Vec::new()),
                recipients: vec![watcher],
                triggered_watchers: 0,
            });
        };
        for path in data_paths.iter().map(AsRef::as_ref) {
            match node(path) {
                None => notify(event::NODE_DELETED, path),
                Some((mzxid, _)) if mzxid > relative_zxid => notify(event::NODE_DATA_CHANGED, path),
                Some(_) => self.add_data_watch(path, watcher),
            }
        }
        for path in exist_paths.iter().map(AsRef::as_ref) {
            match node(path) {
                Some(_) => notify(event::NODE_CREATED, path),
                None => self.add_data_watch(path, watcher),
            }
        }
        for path in child_paths.iter().map(AsRef::as_ref) {
            match node(path) {
                None => notify(event::NODE_DELETED, path),
                Some((_, pzxid)) if pzxid > relative_zxid => {
                    notify(event::NODE_CHILDREN_CHANGED, path)
                }
                Some(_) => self.add_child_watch(path, watcher),
            }
        }
        for path in persistent_paths.iter().map(AsRef::as_ref) {
            self.child.add_watch(path, watcher, WatcherMode::Persistent);
            self.data.add_watch(path, watcher, WatcherMode::Persistent);
        }
        for path in persistent_recursive_paths.iter().map(AsRef::as_ref) {
            self.data
                .add_watch(path, watcher, WatcherMode::PersistentRecursive);
        }
        catch_up
    }

    /// Fires the watches for one change of the data tree. Returns at most two
    /// notifications (data table first); a table whose trigger hit nobody
    /// contributes none.
    pub fn process_trigger(&mut self, trigger: WatchTrigger) -> Vec<Notification> {
        let WatchTrigger {
            path,
            event_type,
            zxid,
            acl,
            target,
        } = trigger;
        let mut out = Vec::new();
        match target {
            TriggerTarget::Data => {
                push_notification(
                    &mut out,
                    self.data.trigger(&path, event_type, zxid, None),
                    acl,
                );
            }
            TriggerTarget::Child => {
                push_notification(
                    &mut out,
                    self.child.trigger(&path, event_type, zxid, None),
                    acl,
                );
            }
            TriggerTarget::DataThenChild => {
                let from_data = self.data.trigger(&path, event_type, zxid, None);
                if self.child.has_watches_on(&path) {
                    let already: HashSet<WatcherId> = from_data.triggered().collect();
                    let from_child = self.child.trigger(&path, event_type, zxid, Some(&already));
                    push_notification(&mut out, from_data, acl.clone());
                    push_notification(&mut out, from_child, acl);
                } else {
                    push_notification(&mut out, from_data, acl);
                }
            }
        }
        out
    }

    /// [`Watches::process_trigger`] for each trigger in turn, notifications
    /// in order.
    pub fn process_triggers(
        &mut self,
        triggers: impl IntoIterator<Item = WatchTrigger>,
    ) -> Vec<Notification> {
        let mut out = Vec::new();
        for trigger in triggers {
            out.extend(self.process_trigger(trigger));
        }
        out
    }

    /// Watches in both tables: `mntr`'s `zk_watch_count`.
    pub fn watch_count(&self) -> usize {
        self.data.watch_count() + self.child.watch_count()
    }

    /// The `wchs` numbers (data table only, as in Java).
    pub fn summary(&self) -> WatchesSummary {
        self.data.summary()
    }

    /// Watched paths by session (data table only, as in Java), for the
    /// AdminServer's `watches`. `session_of` maps a watcher to its session
    /// id.
    pub fn report_by_session(&self, session_of: impl Fn(WatcherId) -> i64) -> WatchesBySession {
        let mut report = WatchesBySession::new();
        for (watcher, paths) in self.data.paths_by_watcher() {
            report
                .entry(session_of(watcher))
                .or_default()
                .extend(paths.into_iter().map(str::to_owned));
        }
        report
    }

    /// Sessions by watched path (data table only, as in Java), for the
    /// AdminServer's `watches_by_path`.
    pub fn report_by_path(&self, session_of: impl Fn(WatcherId) -> i64) -> WatchesByPath {
        self.data
            .watchers_by_path()
            .into_iter()
            .map(|(path, watchers)| {
                (
                    path.to_owned(),
                    watchers.into_iter().map(&session_of).collect(),
                )
            })
            .collect()
    }

    /// The complete output of the `wchs` four-letter word:
    /// `"<c> connections watching <p> paths\nTotal watches:<t>\n"`.
    pub fn wchs_output(&self) -> String {
        format!("{}\n", self.summary())
    }

    /// The complete output of `wchc`: for each connection `0x<session>` and
    /// then its paths, one per line after a tab, then an empty line.
    /// Connections whose watches have all fired are listed with no paths,
    /// as Java does. Paths come in Java's hash-map order; connections (in
    /// Java: identity-hash order, i.e. random) by session id.
    pub fn wchc_output(&self, session_of: impl Fn(WatcherId) -> i64) -> String {
        let mut watchers = self.data.paths_by_watcher();
        watchers.sort_by_key(|(watcher, _)| (session_of(*watcher), *watcher));
        let mut out = String::new();
        for (watcher, paths) in watchers {
            let _ = writeln!(out, "0x{}", java_hex(session_of(watcher)));
            for path in paths {
                let _ = writeln!(out, "\t{path}");
            }
        }
        out.push('\n');
        out
    }

    /// The complete output of `wchp`: for each path the path and then its
    /// sessions as tab-indented `0x<session>` lines, then an empty line.
    /// Paths come in Java's hash-map order; sessions (random in Java) by
    /// session id.
    pub fn wchp_output(&self, session_of: impl Fn(WatcherId) -> i64) -> String {
        let mut out = String::new();
        for (path, watchers) in self.data.watchers_by_path() {
            let mut sessions: Vec<(i64, WatcherId)> =
                watchers.into_iter().map(|w| (session_of(w), w)).collect();
            sessions.sort_unstable();
            let _ = writeln!(out, "{path}");
            for (session, _) in sessions {
                let _ = writeln!(out, "\t0x{}", java_hex(session));
            }
        }
        out.push('\n');
        out
    }

    /// Checks both tables' internal indexes (tests only).
    #[cfg(test)]
    pub(crate) fn assert_consistent(&self) {
        self.data.assert_consistent();
        self.child.assert_consistent();
    }
}

fn push_notification(out: &mut Vec<Notification>, triggered: Triggered, acl: Arc<[ACL]>) {
    let triggered_watchers = triggered.triggered_count();
    if triggered_watchers == 0 {
        return;
    }
    out.push(Notification {
        event: triggered.event,
        acl,
        recipients: triggered.recipients,
        triggered_watchers,
    });
}
