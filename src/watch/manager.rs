//! One watch table: Java's `WatchManager` with its 3.9 `WatchStats`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::report::{JavaHashOrder, WatchesSummary};
use super::{WatchedEvent, WatcherId, WatcherMode};

/// The modes one watcher holds on one path (Java's `WatchStats`): any
/// combination of the three [`WatcherMode`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct WatchModes(u8);

impl WatchModes {
    /// No mode at all.
    pub const NONE: WatchModes = WatchModes(0);

    fn bit(mode: WatcherMode) -> u8 {
        match mode {
            WatcherMode::Standard => 1,
            WatcherMode::Persistent => 2,
            WatcherMode::PersistentRecursive => 4,
        }
    }

    /// These modes plus `mode`.
    pub fn with(self, mode: WatcherMode) -> WatchModes {
        WatchModes(self.0 | Self::bit(mode))
    }

    /// These modes minus `mode`.
    pub fn without(self, mode: WatcherMode) -> WatchModes {
        WatchModes(self.0 & !Self::bit(mode))
    }

    /// True if `mode` is among these modes.
    pub fn contains(self, mode: WatcherMode) -> bool {
        self.0 & Self::bit(mode) != 0
    }

    /// True if there is no mode.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// The watchers on one path.
#[derive(Debug)]
struct PathWatchers {
    /// Every watcher on the path with its modes (never empty modes).
    modes: HashMap<WatcherId, WatchModes>,
    /// The watchers whose modes include the recursive one, so that a trigger
    /// below this path need not scan every watcher here.
    recursive: HashSet<WatcherId>,
    /// Insertion stamp in Java's `watchTable`, for its iteration order.
    java_stamp: u64,
}

/// The paths one watcher watches.
#[derive(Debug, Default)]
struct WatcherPaths {
    /// Path → insertion stamp in Java's per-watcher map (for its order).
    paths: HashMap<Arc<str>, u64>,
    /// The shape of that Java map.
    java_order: JavaHashOrder,
}

/// The outcome of [`WatchManager::trigger`].
#[derive(Debug, Clone, PartialEq)]
pub struct Triggered {
    /// The event the triggered watchers get.
    pub event: WatchedEvent,
    /// The triggered watchers to notify, each once.
    pub recipients: Vec<WatcherId>,
    /// The triggered watchers left out because they were in the suppress
    /// set. Their one-shot watches were consumed all the same, as in Java.
    pub suppressed: Vec<WatcherId>,
}

impl Triggered {
    /// Every watcher the trigger hit: recipients and suppressed ones (Java's
    /// returned `WatcherOrBitSet`).
    pub fn triggered(&self) -> impl Iterator<Item = WatcherId> + '_ {
        self.recipients.iter().chain(&self.suppressed).copied()
    }

    /// How many watchers the trigger hit.
    pub fn triggered_count(&self) -> usize {
        self.recipients.len() + self.suppressed.len()
    }
}

/// One table of watches (data or child), indexed both by path and by
/// watcher.
///
/// Java quirk kept on purpose: a watcher whose last watch was consumed by a
/// trigger stays known (with no paths) until it is removed, so `wchs` counts
/// it as a connection and `wchc` lists it with no paths. Removing its last
/// watch through [`WatchManager::remove_watch`] forgets it.
#[derive(Debug, Default)]
pub struct WatchManager {
    by_path: HashMap<Arc<str>, PathWatchers>,
    by_watcher: HashMap<WatcherId, WatcherPaths>,
    /// The shape of Java's `watchTable`.
    path_order: JavaHashOrder,
    /// Number of (path, watcher) pairs with the recursive mode.
    recursive_watches: usize,
    /// Number of (path, watcher) pairs.
    watch_pairs: usize,
}

impl WatchManager {
    /// An empty table.
    pub fn new() -> WatchManager {
        WatchManager::default()
    }

    /// Adds `mode` to `watcher`'s modes on `path`. Returns true if the mode
    /// is new, false if the watcher already had it.
    pub fn add_watch(&mut self, path: &str, watcher: WatcherId, mode: WatcherMode) -> bool {
        let key = match self.by_path.get_key_value(path) {
            Some((key, _)) => Arc::clone(key),
            None => {
                let key: Arc<str> = Arc::from(path);
                let java_stamp = self.path_order.stamp_insert(self.by_path.len() + 1);
                let entry = PathWatchers {
                    modes: HashMap::new(),
                    recursive: HashSet::new(),
                    java_stamp,
                };
                self.by_path.insert(Arc::clone(&key), entry);
                key
            }
        };
        let watcher_paths = self.by_watcher.entry(watcher).or_default();
        if !watcher_paths.paths.contains_key(path) {
            let stamp = watcher_paths
                .java_order
                .stamp_insert(watcher_paths.paths.len() + 1);
            watcher_paths.paths.insert(Arc::clone(&key), stamp);
        }
        let Some(entry) = self.by_path.get_mut(path) else {
            unreachable!("the path entry was just ensured")
        };
        let old = entry.modes.get(&watcher).copied().unwrap_or_default();
        let new = old.with(mode);
        if new == old {
            return false;
        }
        if old.is_empty() {
            self.watch_pairs += 1;
        }
        entry.modes.insert(watcher, new);
        if mode.is_recursive() {
            entry.recursive.insert(watcher);
            self.recursive_watches += 1;
        }
        true
    }

    /// Fires the watches for an event on `path` (Java's `triggerWatch`).
    ///
    /// Every watcher on `path` is hit whatever its modes, and loses its
    /// standard mode (entries left with no mode go away). Then, if any
    /// recursive watch exists, the watchers with a recursive watch on an
    /// ancestor of `path` are hit too (their watches stay). Each watcher is
    /// hit once. Hit watchers in `suppress` are reported as suppressed
    /// rather than as recipients.
    pub fn trigger(
        &mut self,
        path: &str,
        event_type: i32,
        zxid: i64,
        suppress: Option<&HashSet<WatcherId>>,
    ) -> Triggered {
        let mut hit: Vec<WatcherId> = Vec::new();
        // Java's parent iterator yields nothing for an empty path.
        if !path.is_empty() {
            self.fire_exact_path(path, &mut hit);
            if self.recursive_watches > 0 {
                self.fire_recursive_ancestors(path, &mut hit);
            }
        }
        let (suppressed, recipients) = match suppress {
            Some(skip) if !skip.is_empty() => hit.into_iter().partition(|w| skip.contains(w)),
            _ => (Vec::new(), hit),
        };
        Triggered {
            event: WatchedEvent::new(event_type, path, zxid),
            recipients,
            suppressed,
        }
    }

    fn fire_exact_path(&mut self, path: &str, hit: &mut Vec<WatcherId>) {
        let Some(entry) = self.by_path.get_mut(path) else {
            return;
        };
        hit.reserve(entry.modes.len());
        let mut consumed: Vec<WatcherId> = Vec::new();
        entry.modes.retain(|&watcher, modes| {
            hit.push(watcher);
            *modes = modes.without(WatcherMode::Standard);
            if modes.is_empty() {
                consumed.push(watcher);
                false
            } else {
                true
            }
        });
        let path_is_empty = entry.modes.is_empty();
        self.watch_pairs -= consumed.len();
        for watcher in consumed {
            // The watcher itself stays known even with no paths left.
            if let Some(watcher_paths) = self.by_watcher.get_mut(&watcher) {
                watcher_paths.paths.remove(path);
            }
        }
        if path_is_empty {
            self.by_path.remove(path);
        }
    }

    fn fire_recursive_ancestors(&self, path: &str, hit: &mut Vec<WatcherId>) {
        // Each source (the exact path, each ancestor) lists a watcher at
        // most once, so duplicates are possible only from the second
        // non-empty source on; only then is a set worth building.
        let mut seen: Option<HashSet<WatcherId>> = None;
        for ancestor in ancestors(path) {
            let Some(entry) = self.by_path.get(ancestor) else {
                continue;
            };
            if entry.recursive.is_empty() {
                continue;
            }
            if hit.is_empty() {
                hit.extend(entry.recursive.iter().copied());
                continue;
            }
            let seen = seen.get_or_insert_with(|| hit.iter().copied().collect());
            for &watcher in &entry.recursive {
                if seen.insert(watcher) {
                    hit.push(watcher);
                }
            }
        }
    }

    /// Forgets every watch of `watcher` (its connection closed).
    pub fn remove_watcher(&mut self, watcher: WatcherId) {
        let Some(watcher_paths) = self.by_watcher.remove(&watcher) else {
            return;
        };
        for path in watcher_paths.paths.keys() {
            let Some(entry) = self.by_path.get_mut(&**path) else {
                continue;
            };
            if let Some(modes) = entry.modes.remove(&watcher) {
                self.watch_pairs -= 1;
                if modes.contains(WatcherMode::PersistentRecursive) {
                    entry.recursive.remove(&watcher);
                    self.recursive_watches -= 1;
                }
            }
            if entry.modes.is_empty() {
                self.by_path.remove(&**path);
            }
        }
    }

    /// True if `watcher` watches `path` in `mode`, or in any mode when
    /// `mode` is `None`.
    pub fn contains_watcher(
        &self,
        path: &str,
        watcher: WatcherId,
        mode: Option<WatcherMode>,
    ) -> bool {
        let Some(modes) = self.modes(path, watcher) else {
            return false;
        };
        match mode {
            Some(mode) => modes.contains(mode),
            None => true,
        }
    }

    /// The modes `watcher` holds on `path`, if any.
    pub fn modes(&self, path: &str, watcher: WatcherId) -> Option<WatchModes> {
        self.by_path.get(path)?.modes.get(&watcher).copied()
    }

    /// True if anyone watches exactly `path`.
    pub fn has_watches_on(&self, path: &str) -> bool {
        self.by_path.contains_key(path)
    }

    /// Removes `mode` (or every mode when `None`) from `watcher`'s watch on
    /// `path`. Returns true if anything was removed.
    pub fn remove_watch(
        &mut self,
        path: &str,
        watcher: WatcherId,
        mode: Option<WatcherMode>,
    ) -> bool {
        if !self.by_watcher.contains_key(&watcher) {
            return false;
        }
        let Some(entry) = self.by_path.get_mut(path) else {
            return false;
        };
        let Some(&old) = entry.modes.get(&watcher) else {
            return false;
        };
        let new = match mode {
            Some(mode) => old.without(mode),
            None => WatchModes::NONE,
        };
        if new == old {
            return false;
        }
        if old.contains(WatcherMode::PersistentRecursive)
            && !new.contains(WatcherMode::PersistentRecursive)
        {
            entry.recursive.remove(&watcher);
            self.recursive_watches -= 1;
        }
        if !new.is_empty() {
            entry.modes.insert(watcher, new);
            return true;
        }
        // The last mode went: drop the pair, the path if nobody is left on
        // it, and the watcher if it has no path left (Java's `unwatch`).
        entry.modes.remove(&watcher);
        self.watch_pairs -= 1;
        if entry.modes.is_empty() {
            self.by_path.remove(path);
        }
        if let Some(watcher_paths) = self.by_watcher.get_mut(&watcher) {
            watcher_paths.paths.remove(path);
            if watcher_paths.paths.is_empty() {
                self.by_watcher.remove(&watcher);
            }
        }
        true
    }

    /// The number of (path, watcher) pairs (Java's `size()`; the sum over
    /// both tables is `mntr`'s `zk_watch_count`).
    pub fn watch_count(&self) -> usize {
        self.watch_pairs
    }

    /// The number of paths with at least one watch.
    pub fn path_count(&self) -> usize {
        self.by_path.len()
    }

    /// The number of watchers known to this table, including ones whose
    /// watches have all fired (see the type's documentation).
    pub fn watcher_count(&self) -> usize {
        self.by_watcher.len()
    }

    /// The numbers `wchs` prints.
    pub fn summary(&self) -> WatchesSummary {
        WatchesSummary {
            num_connections: self.watcher_count(),
            num_paths: self.path_count(),
            total_watches: self.watch_count(),
        }
    }

    /// Every known watcher with its paths, the paths in the order Java's
    /// per-watcher map iterates them. Watchers come in no particular order.
    pub fn paths_by_watcher(&self) -> Vec<(WatcherId, Vec<&str>)> {
        self.by_watcher
            .iter()
            .map(|(&watcher, watcher_paths)| {
                let paths = watcher_paths.java_order.sorted(
                    watcher_paths
                        .paths
                        .iter()
                        .map(|(path, &stamp)| (&**path, stamp)),
                );
                (watcher, paths)
            })
            .collect()
    }

    /// Every watched path, in the order Java's `watchTable` iterates them,
    /// with its watchers (in no particular order).
    pub fn watchers_by_path(&self) -> Vec<(&str, Vec<WatcherId>)> {
        let paths = self.path_order.sorted(
            self.by_path
                .iter()
                .map(|(path, entry)| (&**path, entry.java_stamp)),
        );
        paths
            .into_iter()
            .map(|path| {
                let watchers = self.by_path[path].modes.keys().copied().collect();
                (path, watchers)
            })
            .collect()
    }

    /// Checks the internal indexes against each other (tests only).
    #[cfg(test)]
    pub(crate) fn assert_consistent(&self) {
        let mut pairs = 0;
        let mut recursive = 0;
        for (path, entry) in &self.by_path {
            assert!(!entry.modes.is_empty(), "empty entry left for {path}");
            for (watcher, modes) in &entry.modes {
                assert!(!modes.is_empty());
                pairs += 1;
                let is_recursive = modes.contains(WatcherMode::PersistentRecursive);
                assert_eq!(entry.recursive.contains(watcher), is_recursive);
                recursive += usize::from(is_recursive);
                assert!(self.by_watcher[watcher].paths.contains_key(path));
            }
            assert!(entry.recursive.iter().all(|w| entry.modes.contains_key(w)));
        }
        for (watcher, watcher_paths) in &self.by_watcher {
            for path in watcher_paths.paths.keys() {
                assert!(self.by_path[path].modes.contains_key(watcher));
            }
        }
        assert_eq!(pairs, self.watch_pairs);
        assert_eq!(recursive, self.recursive_watches);
    }
}

/// The proper ancestors of a path, nearest first: `/a/b/c` → `/a/b`, `/a`,
/// `/` (Java's `PathParentIterator` after its first step). Stops early on a
/// path without a `/`, which validated paths never are.
fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    let mut current = path;
    std::iter::from_fn(move || {
        if current == "/" {
            return None;
        }
        let parent = match current.rfind('/')? {
            0 => "/",
            slash => &current[..slash],
        };
        current = parent;
        Some(parent)
    })
}

#[cfg(test)]
mod ancestor_tests {
    use super::ancestors;

    #[test]
    fn ancestors_walk_up_to_the_root() {
        assert_eq!(ancestors("/a/b/c").collect::<Vec<_>>(), ["/a/b", "/a", "/"]);
        assert_eq!(ancestors("/a").collect::<Vec<_>>(), ["/"]);
        assert!(ancestors("/").next().is_none());
        assert!(ancestors("a").next().is_none());
        assert_eq!(ancestors("a/b").collect::<Vec<_>>(), ["a"]);
    }
}
