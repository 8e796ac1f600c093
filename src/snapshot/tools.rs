//! `rzk snapshot`: Java's `SnapshotFormatter` (the same text for the same
//! file, its `-d` data dump and `-json` ncdu form) with an optional check
//! report (seals, trailers, the digest recomputed), and `SnapshotComparer`.
//!
//! Java prints a node's children in its `HashSet` order and the sessions
//! in its `HashMap` order; both are reproduced from the file order (the
//! order the sets were filled in) and Java's hash functions. Not
//! reproduced: a hash bucket with more than eight entries, which Java
//! turns into a tree (never seen with real path names).

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::Path;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use bytes::Bytes;
use jute::archive::Limits;
use jute::data::{StatPersisted, ACL};

use super::format::{parse_snapshot, NodeRecord, ParseOptions, SnapshotVisitor, Trailers};
use super::read::open_snapshot;
use super::{compression_from_name, zxid_from_name, SnapshotError, SNAPSHOT_FILE_PREFIX};
use crate::tree::{
    node_digest, quota_of_limit_leaf, stat_path, EphemeralType, OwnerEncoding, StatsTrack,
    QUOTA_PATH,
};

/// Java's `HashMap` iteration order for keys inserted in `items`' order
/// into a map of `initial_capacity` that was never shrunk: by bucket of the
/// spread hash, then by insertion. Sorts `items` in place.
pub fn java_hash_order<T>(items: &mut [T], initial_capacity: usize, hash: impl Fn(&T) -> i32) {
    let mut capacity = initial_capacity.next_power_of_two().max(1);
    while items.len() > capacity * 3 / 4 {
        capacity *= 2;
    }
    let mask = (capacity - 1) as u32;
    // sort_by_key is stable: equal buckets keep insertion order.
    items.sort_by_key(|item| {
        let h = hash(item) as u32;
        (h ^ (h >> 16)) & mask
    });
}

/// `Long.hashCode`.
pub fn java_long_hash(v: i64) -> i32 {
    (v ^ ((v as u64) >> 32) as i64) as i32
}

/// `String.hashCode`.
pub fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, unit| {
        h.wrapping_mul(31).wrapping_add(i32::from(unit))
    })
}

/// Java's `String.format("%#016x", v)`: `0x` and at least 14 hex digits.
pub fn java_hex16(v: i64) -> String {
    format!("0x{:0>14}", format!("{:x}", v as u64))
}

/// `new Date(ms).toString()` in the local time zone:
/// `EEE MMM dd HH:mm:ss zzz yyyy`.
pub fn java_date(ms: i64) -> String {
    let zoned = jiff::Timestamp::from_millisecond(ms)
        .ok()
        .map(|ts| ts.to_zoned(jiff::tz::TimeZone::system()));
    match zoned {
        Some(z) => z.strftime("%a %b %d %H:%M:%S %Z %Y").to_string(),
        None => format!("{ms} ms"),
    }
}

/// Jackson's `JsonStringEncoder.quoteAsString`: `"` and `\` escaped,
/// control characters as `\b \t \f \n \r` or `\u00XX`, the rest as is.
pub fn json_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// A snapshot as Java's tools see it: nodes in file order with their
/// children, and the sessions.
#[derive(Debug, Default)]
pub struct SnapshotImage {
    /// Nodes in file order; a path loaded twice keeps its first place.
    pub nodes: Vec<ImageNode>,
    by_path: HashMap<String, usize>,
    session_index: HashMap<i64, usize>,
    /// Sessions in file order.
    pub sessions: Vec<(i64, i32)>,
    /// ACL-cache entries in file order.
    pub acls: Vec<(i64, Vec<ACL>)>,
    /// The `"/"` terminator was read.
    pub complete: bool,
}

/// One node of a [`SnapshotImage`].
#[derive(Debug, Clone)]
pub struct ImageNode {
    pub path: String,
    pub data: Option<Bytes>,
    pub acl: i64,
    pub stat: StatPersisted,
    /// Children (indexes) in insertion order, then in Java's order after
    /// [`SnapshotImage::order_like_java`].
    pub children: Vec<usize>,
}

impl SnapshotImage {
    /// The node at `path` (the root is `""`).
    pub fn node(&self, path: &str) -> Option<&ImageNode> {
        self.by_path.get(path).map(|&i| &self.nodes[i])
    }

    /// `DataTree.getNodeCount()`: the nodes plus the root's `/` alias.
    pub fn java_node_count(&self) -> usize {
        self.by_path.len() + 1
    }

    /// Puts children in Java's `HashSet` order (capacity 8 at first) and
    /// sessions in `HashMap` order (16).
    pub fn order_like_java(&mut self) {
        let names: Vec<String> = self
            .nodes
            .iter()
            .map(|n| n.path.rsplit('/').next().unwrap_or("").to_owned())
            .collect();
        for node in &mut self.nodes {
            java_hash_order(&mut node.children, 8, |&i| java_string_hash(&names[i]));
        }
        java_hash_order(&mut self.sessions, 16, |&(id, _)| java_long_hash(id));
    }

    /// The number of ephemeral nodes per owner, as Java indexes them at
    /// load (`getEphemerals(sid).size()`).
    pub fn ephemeral_counts(&self, owners: OwnerEncoding) -> HashMap<i64, usize> {
        let mut counts = HashMap::new();
        for &i in self.by_path.values() {
            let n = &self.nodes[i];
            let owner = n.stat.ephemeral_owner;
            if !n.path.is_empty() && EphemeralType::of(owner, owners) == EphemeralType::Normal {
                *counts.entry(owner).or_insert(0) += 1;
            }
        }
        counts
    }

    /// Java's loader recounts every quota's usage into its stat node after
    /// the tree is read (`setupQuota`), and its tools print that recount,
    /// not the stored text: in a fuzzy snapshot the two differ when the
    /// stat node was written after a change its subtree missed.
    pub fn recount_quotas(&mut self) {
        let mut quotas = Vec::new();
        let mut stack: Vec<usize> = self.by_path.get(QUOTA_PATH).copied().into_iter().collect();
        while let Some(i) = stack.pop() {
            let node = &self.nodes[i];
            if node.children.is_empty() {
                quotas.extend(quota_of_limit_leaf(&node.path).map(str::to_owned));
            } else {
                stack.extend(node.children.iter().copied());
            }
        }
        for real in quotas {
            let (mut count, mut bytes) = (0i64, 0i64);
            let mut stack: Vec<usize> = self.by_path.get(&real).copied().into_iter().collect();
            while let Some(i) = stack.pop() {
                let node = &self.nodes[i];
                count += 1;
                bytes += node.data.as_ref().map_or(0, |d| d.len() as i64);
                stack.extend(node.children.iter().copied());
            }
            if let Some(&s) = self.by_path.get(&stat_path(&real)) {
                let track = StatsTrack::with_count_and_bytes(count, bytes);
                self.nodes[s].data = Some(Bytes::from(track.to_string()));
            }
        }
    }

    /// The tree digest of these nodes.
    pub fn digest(&self) -> i64 {
        self.by_path.values().fold(0i64, |sum, &i| {
            let n = &self.nodes[i];
            sum.wrapping_add(node_digest(&n.path, n.data.as_deref(), &n.stat))
        })
    }
}

impl SnapshotVisitor for SnapshotImage {
    fn session(&mut self, id: i64, timeout_ms: i32) -> Result<(), SnapshotError> {
        match self.session_index.get(&id) {
            Some(&i) => self.sessions[i].1 = timeout_ms,
            None => {
                self.session_index.insert(id, self.sessions.len());
                self.sessions.push((id, timeout_ms));
            }
        }
        Ok(())
    }

    fn acl(&mut self, index: i64, acl: Vec<ACL>) -> Result<(), SnapshotError> {
        self.acls.push((index, acl));
        Ok(())
    }

    fn node(&mut self, node: NodeRecord) -> Result<(), SnapshotError> {
        let index = self.nodes.len();
        if !node.path.is_empty() {
            let Some(slash) = node.path.rfind('/') else {
                return Err(crate::tree::LoadError::NotAPath(node.path).into());
            };
            let parent = &node.path[..slash];
            let Some(&p) = self.by_path.get(parent) else {
                return Err(crate::tree::LoadError::MissingParent {
                    parent: parent.to_owned(),
                    path: node.path,
                }
                .into());
            };
            if let Some(&existing) = self.by_path.get(&node.path) {
                let old = &mut self.nodes[existing];
                old.data = node.data;
                old.acl = node.acl;
                old.stat = node.stat;
                return Ok(());
            }
            self.nodes[p].children.push(index);
        } else if let Some(&existing) = self.by_path.get("") {
            let old = &mut self.nodes[existing];
            old.data = node.data;
            old.acl = node.acl;
            old.stat = node.stat;
            return Ok(());
        }
        self.by_path.insert(node.path.clone(), index);
        self.nodes.push(ImageNode {
            path: node.path,
            data: node.data,
            acl: node.acl,
            stat: node.stat,
            children: Vec::new(),
        });
        Ok(())
    }

    fn end_of_tree(&mut self) {
        self.complete = true;
    }
}

/// A snapshot file read for the tools: the image, and the seals and
/// trailers (or why they could not be read).
#[derive(Debug)]
pub struct InspectedSnapshot {
    pub image: SnapshotImage,
    /// The trailers, or the error met after the tree.
    pub trailers: Result<Trailers, SnapshotError>,
    /// The zxid in the file name (−1 if none).
    pub file_zxid: i64,
}

/// Reads a snapshot file like Java's tools (header and body; an error
/// there fails), then also its seals and both trailers when present.
pub fn inspect_snapshot(path: &Path, limits: Limits) -> Result<InspectedSnapshot, SnapshotError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut image = SnapshotImage::default();
    let options = ParseOptions {
        limits,
        ..ParseOptions::default()
    };
    let trailers = match parse_snapshot(open_snapshot(path)?, &options, &mut image) {
        Ok(t) => Ok(t),
        Err(e) if image.complete => Err(e),
        Err(e) => return Err(e),
    };
    if image.complete {
        image.recount_quotas();
    }
    image.order_like_java();
    Ok(InspectedSnapshot {
        image,
        trailers,
        file_zxid: zxid_from_name(&name, SNAPSHOT_FILE_PREFIX),
    })
}

/// What `rzk snapshot <file>` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FormatOptions {
    /// `-d`: each node's data in base64 instead of its length.
    pub dump_data: bool,
    /// `-json`: the ncdu JSON form.
    pub json: bool,
    /// After Java's text: the seals, trailers and digests.
    pub check: bool,
}

/// `SnapshotFormatter.printDetails`: the nodes depth first from `/`, the
/// sessions, the last zxid.
pub fn print_details(
    snap: &InspectedSnapshot,
    dump_data: bool,
    out: &mut impl Write,
) -> io::Result<()> {
    let image = &snap.image;
    writeln!(out, "ZNode Details (count={}):", image.java_node_count())?;
    let mut max_zxid = i64::MIN;
    if let Some(root) = image.by_path.get("") {
        // Depth first, children in Java's order.
        let mut stack = vec![(*root, "/".to_owned())];
        while let Some((i, name)) = stack.pop() {
            let n = &image.nodes[i];
            writeln!(out, "----")?;
            writeln!(out, "{name}")?;
            print_stat(&n.stat, out)?;
            max_zxid = max_zxid.max(n.stat.mzxid.max(n.stat.pzxid));
            if dump_data {
                let data = n
                    .data
                    .as_ref()
                    .map(|d| base64::engine::general_purpose::STANDARD.encode(d))
                    .unwrap_or_default();
                writeln!(out, "  data = {data}")?;
            } else {
                writeln!(
                    out,
                    "  dataLength = {}",
                    n.data.as_ref().map_or(0, Bytes::len)
                )?;
            }
            for &c in n.children.iter().rev() {
                let child = image.nodes[c].path.rsplit('/').next().unwrap_or("");
                let path = if name == "/" {
                    format!("/{child}")
                } else {
                    format!("{name}/{child}")
                };
                stack.push((c, path));
            }
        }
    }
    writeln!(out, "----")?;
    writeln!(out, "Session Details (sid, timeout, ephemeralCount):")?;
    let ephemerals = image.ephemeral_counts(OwnerEncoding::default());
    for &(sid, timeout) in &image.sessions {
        let count = ephemerals.get(&sid).copied().unwrap_or(0);
        writeln!(out, "{}, {timeout}, {count}", java_hex16(sid))?;
    }
    writeln!(out, "----")?;
    writeln!(
        out,
        "Last zxid: 0x{:x}",
        snap.file_zxid.max(max_zxid) as u64
    )?;
    Ok(())
}

fn print_stat(stat: &StatPersisted, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "  cZxid = {}", java_hex16(stat.czxid))?;
    writeln!(out, "  ctime = {}", java_date(stat.ctime))?;
    writeln!(out, "  mZxid = {}", java_hex16(stat.mzxid))?;
    writeln!(out, "  mtime = {}", java_date(stat.mtime))?;
    writeln!(out, "  pZxid = {}", java_hex16(stat.pzxid))?;
    writeln!(out, "  cversion = {}", stat.cversion)?;
    writeln!(out, "  dataVersion = {}", stat.version)?;
    writeln!(out, "  aclVersion = {}", stat.aversion)?;
    writeln!(
        out,
        "  ephemeralOwner = {}",
        java_hex16(stat.ephemeral_owner)
    )
}

/// `SnapshotFormatter.printSnapshotJson`: `[1,0,{header}` then each node
/// as `{name, asize, dsize, dev, ino}` (in `[…]` with its children when it
/// has any), then `]`; inode numbers count from 1001. No final newline.
pub fn print_json(
    image: &SnapshotImage,
    timestamp_ms: i64,
    out: &mut impl Write,
) -> io::Result<()> {
    write!(
        out,
        "[1,0,{{\"progname\":\"SnapshotFormatter.java\",\"progver\":\"0.01\",\"timestamp\":{timestamp_ms}}}"
    )?;
    let mut inode = 1000u64;
    enum Item {
        Node(usize),
        Close,
    }
    if let Some(&root) = image.by_path.get("") {
        let mut stack = vec![Item::Node(root)];
        while let Some(item) = stack.pop() {
            let i = match item {
                Item::Close => {
                    write!(out, "]")?;
                    continue;
                }
                Item::Node(i) => i,
            };
            let n = &image.nodes[i];
            let name = if n.path.is_empty() {
                "/"
            } else {
                n.path.rsplit('/').next().unwrap_or("")
            };
            inode += 1;
            let len = n.data.as_ref().map_or(0, Bytes::len);
            let record = format!(
                "{{\"name\":\"{}\",\"asize\":{len},\"dsize\":{len},\"dev\":0,\"ino\":{inode}}}",
                json_quote(name)
            );
            write!(out, ",")?;
            if n.children.is_empty() {
                write!(out, "{record}")?;
            } else {
                write!(out, "[{record}")?;
                stack.push(Item::Close);
                for &c in n.children.iter().rev() {
                    stack.push(Item::Node(c));
                }
            }
        }
    }
    write!(out, "]")
}

/// The check report: compression, seals, trailers, and the digest of the
/// nodes against the trailer's.
pub fn print_check(snap: &InspectedSnapshot, path: &Path, out: &mut impl Write) -> io::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let compression = match compression_from_name(&name).name() {
        "" => "none",
        other => other,
    };
    writeln!(out, "Snapshot check:")?;
    writeln!(out, "  file = {}", path.display())?;
    writeln!(out, "  compression = {compression}")?;
    writeln!(out, "  file zxid = 0x{:x}", snap.file_zxid as u64)?;
    writeln!(out, "  nodes = {}", snap.image.nodes.len())?;
    writeln!(out, "  sessions = {}", snap.image.sessions.len())?;
    writeln!(out, "  acl entries = {}", snap.image.acls.len())?;
    let unused: Vec<i64> = snap
        .image
        .acls
        .iter()
        .map(|(i, _)| *i)
        .filter(|i| !snap.image.nodes.iter().any(|n| n.acl == *i))
        .collect();
    if !unused.is_empty() {
        writeln!(out, "  unused acl entries = {unused:?}")?;
    }
    let missing: Vec<&str> = snap
        .image
        .nodes
        .iter()
        .filter(|n| n.acl != -1 && !snap.image.acls.iter().any(|(i, _)| *i == n.acl))
        .map(|n| n.path.as_str())
        .take(10)
        .collect();
    if !missing.is_empty() {
        writeln!(out, "  nodes with an unknown acl index = {missing:?}")?;
    }
    let computed = snap.image.digest();
    writeln!(out, "  computed digest = {computed}")?;
    match &snap.trailers {
        Err(e) => writeln!(out, "  after the tree: ERROR {e}")?,
        Ok(t) => {
            writeln!(
                out,
                "  header = magic {:#x}, version {}, dbid {}",
                t.header.magic, t.header.version, t.header.dbid
            )?;
            writeln!(out, "  tree bytes = {}", t.body_len)?;
            writeln!(out, "  seal = ok")?;
            match t.digest {
                None => writeln!(out, "  digest trailer = absent")?,
                Some(d) if d.zxid == 0 => writeln!(
                    out,
                    "  digest trailer = empty (zxid 0, version {})",
                    d.digest_version
                )?,
                Some(d) => {
                    writeln!(
                        out,
                        "  digest trailer = zxid 0x{:x}, version {}, digest {}",
                        d.zxid, d.digest_version, d.digest
                    )?;
                    let verdict = if d.zxid == snap.file_zxid {
                        if d.digest == computed {
                            "matches the nodes"
                        } else {
                            "MISMATCH with the nodes"
                        }
                    } else {
                        "taken after the snapshot started (fuzzy): checked when replay reaches its zxid"
                    };
                    writeln!(out, "  digest check = {verdict}")?;
                }
            }
            match t.last_processed_zxid {
                None => writeln!(out, "  lastProcessedZxid trailer = absent")?,
                Some(z) => writeln!(out, "  lastProcessedZxid trailer = 0x{:x}", z as u64)?,
            }
            writeln!(out, "  uncompressed bytes = {}", t.consumed)?;
        }
    }
    Ok(())
}

/// `rzk snapshot <file>`: Java's formatter output (text or JSON), then the
/// check report if asked.
pub fn format_snapshot(
    path: &Path,
    options: FormatOptions,
    limits: Limits,
    out: &mut impl Write,
) -> Result<(), SnapshotError> {
    let snap = inspect_snapshot(path, limits)?;
    if options.json {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        print_json(&snap.image, now, out)?;
    } else {
        print_details(&snap, options.dump_data, out)?;
    }
    if options.check {
        if options.json {
            writeln!(out)?;
        }
        print_check(&snap, path, out)?;
    }
    Ok(())
}

// ----- SnapshotComparer ----------------------------------------------------------

/// One node of a comparer tree (`TreeInfo.TreeNode`).
#[derive(Debug)]
struct TreeNode {
    label: String,
    descendant_size: i64,
    descendant_count: i64,
}

/// `SnapshotComparer.TreeInfo`.
#[derive(Debug)]
struct TreeInfo {
    nodes: Vec<TreeNode>,
    /// Node indexes per depth (depth 0 = the root).
    at_depth: Vec<Vec<usize>>,
}

impl TreeInfo {
    fn build(image: &SnapshotImage) -> TreeInfo {
        let mut info = TreeInfo {
            nodes: Vec::new(),
            at_depth: Vec::new(),
        };
        if let Some(&root) = image.by_path.get("") {
            info.add(image, root, String::new(), 0);
        }
        info
    }

    /// Adds the subtree of image node `i` labelled `label` (its path, the
    /// root `""`); returns its index.
    fn add(&mut self, image: &SnapshotImage, i: usize, label: String, depth: usize) -> usize {
        // Iterative post-order, so deep trees do not overflow the stack.
        struct Pending {
            image: usize,
            label: String,
            depth: usize,
            children: Vec<usize>,
            next: usize,
        }
        let mut stack = vec![Pending {
            image: i,
            label,
            depth,
            children: Vec::new(),
            next: 0,
        }];
        loop {
            let top = stack.last_mut().expect("non-empty");
            let kids = &image.nodes[top.image].children;
            if top.next < kids.len() {
                let c = kids[top.next];
                top.next += 1;
                let name = image.nodes[c].path.rsplit('/').next().unwrap_or("");
                let label = format!("{}/{}", top.label, name);
                let depth = top.depth + 1;
                stack.push(Pending {
                    image: c,
                    label,
                    depth,
                    children: Vec::new(),
                    next: 0,
                });
                continue;
            }
            let done = stack.pop().expect("non-empty");
            let size = image.nodes[done.image].data.as_ref().map_or(0, Bytes::len) as i64;
            let mut descendant_size = size;
            let mut descendant_count = done.children.len() as i64;
            for &c in &done.children {
                descendant_size += self.nodes[c].descendant_size;
                descendant_count += self.nodes[c].descendant_count;
            }
            let index = self.nodes.len();
            self.nodes.push(TreeNode {
                label: done.label,
                descendant_size,
                descendant_count,
            });
            while self.at_depth.len() <= done.depth {
                self.at_depth.push(Vec::new());
            }
            self.at_depth[done.depth].push(index);
            match stack.last_mut() {
                Some(parent) => parent.children.push(index),
                None => return index,
            }
        }
    }

    fn describe(&self, out: &mut impl Write) -> io::Result<()> {
        let total = self.nodes.last().map_or(0, |root| root.descendant_size);
        writeln!(out, "Node count: {}", self.nodes.len())?;
        writeln!(out, "Total size: {total}")?;
        writeln!(out, "Max depth: {}", self.at_depth.len())?;
        for (i, level) in self.at_depth.iter().enumerate() {
            writeln!(out, "Count of nodes at depth {i}: {}", level.len())?;
        }
        writeln!(out)
    }
}

/// `String.compareTo`: by UTF-16 code units.
fn java_compare(a: &str, b: &str) -> std::cmp::Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// `SnapshotComparer`'s options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompareOptions {
    /// `-b`: the data size delta that makes a node worth printing.
    pub byte_threshold: i64,
    /// `-n`: the descendant count delta that makes a node worth printing.
    pub node_threshold: i64,
    /// `-d`: print every comparison.
    pub debug: bool,
}

/// `SnapshotComparer` (non-interactive): both trees' shapes, then the
/// differences depth by depth. The timing lines are Java's too.
pub fn compare_snapshots(
    left: &Path,
    right: &Path,
    options: CompareOptions,
    limits: Limits,
    out: &mut impl Write,
) -> Result<(), SnapshotError> {
    writeln!(out, "Successfully parsed options!")?;
    let mut trees = Vec::new();
    for path in [left, right] {
        let start = Instant::now();
        let mut image = SnapshotImage::default();
        parse_snapshot(
            open_snapshot(path)?,
            &ParseOptions::body_only(limits),
            &mut image,
        )?;
        image.recount_quotas();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        writeln!(
            out,
            "Deserialized snapshot in {name} in {:.6} seconds",
            start.elapsed().as_secs_f64()
        )?;
        let start = Instant::now();
        let info = TreeInfo::build(&image);
        writeln!(
            out,
            "Processed data tree in {:.6} seconds",
            start.elapsed().as_secs_f64()
        )?;
        trees.push(info);
    }
    let (l, r) = (&trees[0], &trees[1]);
    l.describe(out)?;
    r.describe(out)?;
    writeln!(
        out,
        "Printing analysis for nodes difference larger than {} bytes or node count difference larger than {}.",
        options.byte_threshold, options.node_threshold
    )?;
    let depth = l.at_depth.len().max(r.at_depth.len());
    for d in 0..depth {
        writeln!(out, "Analysis for depth {d}")?;
        let empty = Vec::new();
        let left = l.at_depth.get(d).unwrap_or(&empty);
        let right = r.at_depth.get(d).unwrap_or(&empty);
        compare_nodes(l, left, r, right, &options, out)?;
    }
    writeln!(out, "All layers compared.")?;
    Ok(())
}

fn compare_nodes(
    l: &TreeInfo,
    left: &[usize],
    r: &TreeInfo,
    right: &[usize],
    o: &CompareOptions,
    out: &mut impl Write,
) -> io::Result<()> {
    let mut left: Vec<&TreeNode> = left.iter().map(|&i| &l.nodes[i]).collect();
    let mut right: Vec<&TreeNode> = right.iter().map(|&i| &r.nodes[i]).collect();
    left.sort_by(|a, b| java_compare(&a.label, &b.label));
    right.sort_by(|a, b| java_compare(&a.label, &b.label));
    let (mut i, mut j) = (0, 0);
    while i < left.len() || j < right.len() {
        match (left.get(i), right.get(j)) {
            (Some(a), Some(b)) => {
                if o.debug {
                    writeln!(out, "Comparing {} to {}", a.label, b.label)?;
                }
                match java_compare(&a.label, &b.label) {
                    std::cmp::Ordering::Less => {
                        if o.debug {
                            writeln!(out, "left is less")?;
                        }
                        print_only(a, "left", o, out)?;
                        i += 1;
                    }
                    std::cmp::Ordering::Greater => {
                        if o.debug {
                            writeln!(out, "right is less")?;
                        }
                        print_only(b, "right", o, out)?;
                        j += 1;
                    }
                    std::cmp::Ordering::Equal => {
                        if o.debug {
                            writeln!(out, "same")?;
                        }
                        print_both(a, b, o, out)?;
                        i += 1;
                        j += 1;
                    }
                }
            }
            (Some(a), None) => {
                print_only(a, "left", o, out)?;
                i += 1;
            }
            (None, Some(b)) => {
                print_only(b, "right", o, out)?;
                j += 1;
            }
            (None, None) => break,
        }
    }
    Ok(())
}

fn print_only(
    n: &TreeNode,
    side: &str,
    o: &CompareOptions,
    out: &mut impl Write,
) -> io::Result<()> {
    if n.descendant_size > o.byte_threshold || n.descendant_count > o.node_threshold {
        writeln!(
            out,
            "Node {} found only in {side} tree. Descendant size: {}. Descendant count: {}",
            n.label, n.descendant_size, n.descendant_count
        )
    } else if o.debug {
        writeln!(
            out,
            "Filtered {side} node {} of size {}",
            n.label, n.descendant_size
        )
    } else {
        Ok(())
    }
}

fn print_both(
    a: &TreeNode,
    b: &TreeNode,
    o: &CompareOptions,
    out: &mut impl Write,
) -> io::Result<()> {
    let size = b.descendant_size - a.descendant_size;
    let count = b.descendant_count - a.descendant_count;
    if size.abs() > o.byte_threshold || count.abs() > o.node_threshold {
        writeln!(
            out,
            "Node {} found in both trees. Delta: {size} bytes, {count} descendants",
            a.label
        )
    } else if o.debug {
        writeln!(
            out,
            "Filtered node {} of left size {}, right size {}",
            a.label, a.descendant_size, b.descendant_size
        )
    } else {
        Ok(())
    }
}
