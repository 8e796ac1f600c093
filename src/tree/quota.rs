//! Quotas: where their nodes live (`Quotas`), the text in them
//! (`StatsTrack`) and the trie of paths that have one (`PathTrie`).

use std::collections::{BTreeMap, HashMap};
use std::fmt;

/// The management node.
pub const ZOOKEEPER_PATH: &str = "/zookeeper";
/// Where quotas are kept: `/zookeeper/quota/<path>/zookeeper_limits` and
/// `/zookeeper_stats`.
pub const QUOTA_PATH: &str = "/zookeeper/quota";
/// The node holding a quota's limits.
pub const LIMIT_NODE: &str = "zookeeper_limits";
/// The node holding a quota's current usage, maintained by the server.
pub const STAT_NODE: &str = "zookeeper_stats";

/// `/zookeeper/quota<path>/zookeeper_limits`.
pub fn limit_path(path: &str) -> String {
    format!("{QUOTA_PATH}{path}/{LIMIT_NODE}")
}

/// `/zookeeper/quota<path>/zookeeper_stats`.
pub fn stat_path(path: &str) -> String {
    format!("{QUOTA_PATH}{path}/{STAT_NODE}")
}

/// The quota-protected path a leaf under `/zookeeper/quota` stands for if
/// it is a limit node (`setupQuota`: the text between the quota root and
/// the first `/zookeeper_limits`; `""` is the root); `None` otherwise.
pub fn quota_of_limit_leaf(leaf: &str) -> Option<&str> {
    if !leaf.ends_with(LIMIT_SUFFIX) {
        return None;
    }
    leaf.get(QUOTA_PATH.len()..leaf.find(LIMIT_SUFFIX)?)
}

/// `/` + [`LIMIT_NODE`].
const LIMIT_SUFFIX: &str = "/zookeeper_limits";

/// The quota-protected path a path under `/zookeeper/quota` stands for
/// (`Quotas.trimQuotaPath`); `None` where Java's substring would throw.
pub(crate) fn trim_quota_path(quota_path: &str) -> Option<&str> {
    quota_path.get(QUOTA_PATH.len()..)
}

/// Why quota text could not be read (Java throws while parsing it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatsTrackError(pub String);

impl fmt::Display for StatsTrackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed quota stats {:?}", self.0)
    }
}

impl std::error::Error for StatsTrackError {}

/// The `key=value` text of quota nodes (`StatsTrack`): `count` and `bytes`
/// (the soft limits, or the usage) and optionally `countHardLimit` and
/// `byteHardLimit`. Absent values read as −1.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatsTrack {
    values: BTreeMap<String, i64>,
}

const COUNT: &str = "count";
const BYTES: &str = "bytes";
const COUNT_HARD_LIMIT: &str = "countHardLimit";
const BYTE_HARD_LIMIT: &str = "byteHardLimit";

impl StatsTrack {
    /// Parses `key=long` pairs separated by runs of `,` and `;`, exactly
    /// where Java accepts them (`String.split` drops trailing empty
    /// pieces; a value that is empty reads as −1; a later key wins).
    pub fn parse(text: &str) -> Result<StatsTrack, StatsTrackError> {
        let err = || StatsTrackError(text.to_owned());
        let mut values = BTreeMap::new();
        for pair in split_pairs(text) {
            let kv = split_trailing_empty_dropped(pair, '=');
            let (Some(key), Some(value)) = (kv.first(), kv.get(1)) else {
                return Err(err());
            };
            let value = if value.is_empty() {
                -1
            } else {
                value.parse::<i64>().map_err(|_| err())?
            };
            values.insert((*key).to_owned(), value);
        }
        Ok(StatsTrack { values })
    }

    /// Parses the data of a quota node (UTF-8, invalid bytes replaced).
    pub fn parse_bytes(data: &[u8]) -> Result<StatsTrack, StatsTrackError> {
        StatsTrack::parse(&String::from_utf8_lossy(data))
    }

    /// Usage or limits with just `count` and `bytes`.
    pub fn with_count_and_bytes(count: i64, bytes: i64) -> StatsTrack {
        let mut track = StatsTrack::default();
        track.set_count(count);
        track.set_bytes(bytes);
        track
    }

    fn get(&self, key: &str) -> i64 {
        self.values.get(key).copied().unwrap_or(-1)
    }

    /// The node count (usage, or soft limit).
    pub fn count(&self) -> i64 {
        self.get(COUNT)
    }

    /// The byte count (usage, or soft limit).
    pub fn bytes(&self) -> i64 {
        self.get(BYTES)
    }

    /// The hard limit on the node count.
    pub fn count_hard_limit(&self) -> i64 {
        self.get(COUNT_HARD_LIMIT)
    }

    /// The hard limit on bytes.
    pub fn byte_hard_limit(&self) -> i64 {
        self.get(BYTE_HARD_LIMIT)
    }

    /// Sets `count`.
    pub fn set_count(&mut self, count: i64) {
        self.values.insert(COUNT.into(), count);
    }

    /// Sets `bytes`.
    pub fn set_bytes(&mut self, bytes: i64) {
        self.values.insert(BYTES.into(), bytes);
    }

    /// Sets `countHardLimit`.
    pub fn set_count_hard_limit(&mut self, count: i64) {
        self.values.insert(COUNT_HARD_LIMIT.into(), count);
    }

    /// Sets `byteHardLimit`.
    pub fn set_byte_hard_limit(&mut self, bytes: i64) {
        self.values.insert(BYTE_HARD_LIMIT.into(), bytes);
    }
}

/// `count=N,bytes=M`, then, if there are other keys, `=` and `;key=value`
/// for each in sorted order (the stray `=` keeps 3.4 parsers happy).
impl fmt::Display for StatsTrack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{COUNT}={},{BYTES}={}", self.count(), self.bytes())?;
        let mut others = self
            .values
            .iter()
            .filter(|(k, _)| k.as_str() != COUNT && k.as_str() != BYTES)
            .peekable();
        if others.peek().is_some() {
            f.write_str("=")?;
            for (key, value) in others {
                write!(f, ";{key}={value}")?;
            }
        }
        Ok(())
    }
}

/// Java's `Pattern.compile("[,;]+").split(text)`: a leading empty piece is
/// kept, runs of separators collapse, trailing empty pieces are dropped.
fn split_pairs(text: &str) -> Vec<&str> {
    if text.is_empty() {
        return Vec::new();
    }
    let mut pieces: Vec<&str> = Vec::new();
    for (i, piece) in text.split([',', ';']).enumerate() {
        if i == 0 || !piece.is_empty() {
            pieces.push(piece);
        }
    }
    while pieces.last().is_some_and(|p| p.is_empty()) {
        pieces.pop();
    }
    pieces
}

/// Java's `String.split(sep)` for a one-character separator.
fn split_trailing_empty_dropped(text: &str, sep: char) -> Vec<&str> {
    let mut pieces: Vec<&str> = text.split(sep).collect();
    while pieces.last().is_some_and(|p| p.is_empty()) {
        pieces.pop();
    }
    pieces
}

/// The components `PathTrie` sees: pieces between slashes, without those
/// that are empty after Java's `trim()` (which strips chars ≤ U+0020).
pub(crate) fn trie_components(path: &str) -> impl Iterator<Item = &str> {
    path.split('/')
        .filter(|part| part.chars().any(|c| c > '\u{20}'))
}

#[derive(Debug, Clone, Default)]
struct TrieNode {
    children: HashMap<String, TrieNode>,
    has_quota: bool,
}

/// The paths that have a quota (`PathTrie`), for finding the deepest quota
/// above a path.
#[derive(Debug, Clone, Default)]
pub struct PathTrie {
    root: TrieNode,
}

impl PathTrie {
    /// Marks `path` as having a quota.
    pub fn add_path(&mut self, path: &str) {
        let mut node = &mut self.root;
        for part in trie_components(path) {
            node = node.children.entry(part.to_owned()).or_default();
        }
        node.has_quota = true;
    }

    /// Unmarks `path`, and removes its trie node if it has no children
    /// (ancestors are left in place, as in Java).
    pub fn delete_path(&mut self, path: &str) {
        let parts: Vec<&str> = trie_components(path).collect();
        let Some((last, ancestors)) = parts.split_last() else {
            return;
        };
        let mut parent = &mut self.root;
        for part in ancestors {
            match parent.children.get_mut(*part) {
                Some(next) => parent = next,
                None => return,
            }
        }
        let Some(node) = parent.children.get_mut(*last) else {
            return;
        };
        node.has_quota = false;
        if node.children.is_empty() {
            parent.children.remove(*last);
        }
    }

    /// True if the trie holds a node for `path` (with or without a quota).
    pub fn contains(&self, path: &str) -> bool {
        let mut node = &self.root;
        for part in trie_components(path) {
            match node.children.get(part) {
                Some(next) => node = next,
                None => return false,
            }
        }
        true
    }

    /// The deepest path at or above `path` with a quota, as `/a/b`; `None`
    /// where Java's `findMaxPrefix` answers `"/"`.
    pub fn find_max_prefix(&self, path: &str) -> Option<String> {
        let mut node = &self.root;
        let mut depth = 0;
        let mut deepest = 0;
        for part in trie_components(path) {
            match node.children.get(part) {
                Some(next) => node = next,
                None => break,
            }
            depth += 1;
            if node.has_quota {
                deepest = depth;
            }
        }
        if deepest == 0 {
            return None;
        }
        let mut prefix = String::new();
        for part in trie_components(path).take(deepest) {
            prefix.push('/');
            prefix.push_str(part);
        }
        Some(prefix)
    }

    /// Removes every path.
    pub fn clear(&mut self) {
        self.root = TrieNode::default();
    }
}
