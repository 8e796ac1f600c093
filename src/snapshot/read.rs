//! Loading snapshots (`FileSnap.deserialize`, `DataTree.deserialize`) and
//! choosing one at startup (`findNValidSnapshots`, `isValidSnapshot`).

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use jute::archive::Limits;
use jute::data::ACL;

use super::format::{parse_snapshot, NodeRecord, ParseOptions, SnapshotVisitor, Trailers};
use super::stream::{decompressor, GZIP_MAGIC, SNAPPY_MAGIC};
use super::{
    compression_from_name, zxid_from_name, SnapshotCompression, SnapshotError, SNAPSHOTS_TRIED,
    SNAPSHOT_FILE_PREFIX,
};
use crate::config::ZooKeeperProperties;
use crate::tree::{DataTree, TreeConfig, TreeLoader};

/// How to read: the tree's settings and which trailers to expect, as the
/// Java server with the same properties would.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadOptions {
    pub tree: TreeConfig,
    pub limits: Limits,
    /// `zookeeper.serializeLastProcessedZxid.enabled`.
    pub read_last_processed_zxid: bool,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            tree: TreeConfig::default(),
            limits: Limits::default(),
            read_last_processed_zxid: true,
        }
    }
}

impl ReadOptions {
    /// The options of a server with these properties.
    pub fn from_props(props: &ZooKeeperProperties) -> Self {
        ReadOptions {
            tree: TreeConfig::from(props),
            limits: Limits::new(
                props.jute_max_buffer,
                Some(props.jute_max_buffer_extra_size),
            ),
            read_last_processed_zxid: props.serialize_last_processed_zxid_enabled,
        }
    }

    fn parse_options(&self) -> ParseOptions {
        ParseOptions {
            limits: self.limits,
            check_seal: true,
            read_digest: self.tree.digest_enabled,
            read_last_processed_zxid: self.read_last_processed_zxid,
        }
    }
}

/// A loaded snapshot.
#[derive(Debug)]
pub struct LoadedSnapshot {
    /// The tree, with the file's zxid as its last processed zxid and the
    /// trailer's digest pending (or already compared).
    pub tree: DataTree,
    /// The sessions and their timeouts.
    pub sessions: BTreeMap<i64, i32>,
    /// The zxid in the file name (−1 if the name has none).
    pub zxid: i64,
    /// The file, when loaded from one.
    pub path: Option<PathBuf>,
    /// Seals and trailers as read.
    pub trailers: Trailers,
}

/// Builds a tree and the session map from the parser's events.
struct TreeVisitor {
    loader: TreeLoader,
    sessions: BTreeMap<i64, i32>,
}

impl SnapshotVisitor for TreeVisitor {
    fn session(&mut self, id: i64, timeout_ms: i32) -> Result<(), SnapshotError> {
        self.sessions.insert(id, timeout_ms);
        Ok(())
    }

    fn acl(&mut self, index: i64, acl: Vec<ACL>) -> Result<(), SnapshotError> {
        self.loader.insert_acl(index, acl);
        Ok(())
    }

    fn node(&mut self, node: NodeRecord) -> Result<(), SnapshotError> {
        self.loader
            .add_node(&node.path, node.data.as_deref(), node.acl, node.stat)?;
        Ok(())
    }
}

/// Reads a snapshot from a decompressed stream whose file name held
/// `zxid`, and builds the tree as Java does: the last processed zxid is
/// `zxid` (not the 3.9 trailer's, which only the admin restore uses), and
/// the trailer's digest is expected when replay reaches its zxid, or
/// compared at once if that is `zxid`.
pub fn read_snapshot<R: Read>(
    input: R,
    zxid: i64,
    options: &ReadOptions,
) -> Result<LoadedSnapshot, SnapshotError> {
    let mut visitor = TreeVisitor {
        loader: TreeLoader::new(options.tree),
        sessions: BTreeMap::new(),
    };
    let trailers = parse_snapshot(input, &options.parse_options(), &mut visitor)?;
    let mut tree = visitor.loader.finish()?;
    tree.set_last_processed_zxid(zxid);
    if let Some(digest) = trailers.digest {
        tree.expect_snapshot_digest(digest, zxid);
        tree.compare_snapshot_digest(zxid);
    }
    Ok(LoadedSnapshot {
        tree,
        sessions: visitor.sessions,
        zxid,
        path: None,
        trailers,
    })
}

/// Opens a snapshot file's decompressed stream, by its name's extension
/// (`SnapStream.getInputStream`).
pub fn open_snapshot(path: &Path) -> Result<Box<dyn Read>, SnapshotError> {
    let name = file_name(path);
    let file = BufReader::with_capacity(256 * 1024, File::open(path)?);
    Ok(decompressor(file, compression_from_name(&name))?)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Loads one snapshot file.
pub fn load_snapshot_file(
    path: &Path,
    options: &ReadOptions,
) -> Result<LoadedSnapshot, SnapshotError> {
    let zxid = zxid_from_name(&file_name(path), SNAPSHOT_FILE_PREFIX);
    let mut loaded = read_snapshot(open_snapshot(path)?, zxid, options)?;
    loaded.path = Some(path.to_path_buf());
    Ok(loaded)
}

/// `SnapStream.isValidSnapshot`: the name has a zxid; a gzip or snappy
/// file starts with its magic; a plain one has at least 10 bytes and ends
/// with `00 00 00 01 2F` (a seal's `"/"`).
pub fn is_valid_snapshot(path: &Path) -> io::Result<bool> {
    let name = file_name(path);
    if zxid_from_name(&name, SNAPSHOT_FILE_PREFIX) == -1 {
        return Ok(false);
    }
    let mut file = File::open(path)?;
    match compression_from_name(&name) {
        SnapshotCompression::Gzip => starts_with(&mut file, &GZIP_MAGIC),
        SnapshotCompression::Snappy => starts_with(&mut file, &SNAPPY_MAGIC),
        SnapshotCompression::Checked => {
            let len = file.metadata()?.len();
            if len < 10 {
                return Ok(false);
            }
            file.seek(SeekFrom::Start(len - 5))?;
            let mut tail = [0u8; 5];
            file.read_exact(&mut tail)?;
            Ok(tail == [0, 0, 0, 1, b'/'])
        }
    }
}

fn starts_with(file: &mut File, magic: &[u8]) -> io::Result<bool> {
    let mut head = vec![0u8; magic.len()];
    let mut n = 0;
    while n < head.len() {
        match file.read(&mut head[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n == magic.len() && head == magic)
}

/// The snapshot files of `dir`, newest first by the zxid in their names
/// (`Util.sortDataDir`; names without one sort as −1, last).
fn sorted_snapshot_files(dir: &Path) -> io::Result<Vec<(i64, PathBuf)>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        files.push((zxid_from_name(&name, SNAPSHOT_FILE_PREFIX), entry.path()));
    }
    // Stable, like Collections.sort; ties keep the directory order.
    files.sort_by_key(|f| std::cmp::Reverse(f.0));
    Ok(files)
}

/// `findNValidSnapshots(n)`: the newest `n` files of `dir` that pass
/// [`is_valid_snapshot`], newest first. Files that cannot be checked are
/// skipped with a warning.
pub fn find_valid_snapshots(dir: &Path, n: usize) -> io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for (_, path) in sorted_snapshot_files(dir)? {
        if found.len() == n {
            break;
        }
        match is_valid_snapshot(&path) {
            Ok(true) => found.push(path),
            Ok(false) => {}
            Err(e) => tracing::warn!("invalid snapshot {}: {e}", path.display()),
        }
    }
    Ok(found)
}

/// `FileSnap.deserialize` at startup: tries the newest of the 100 newest
/// valid snapshots in `dir` (the `version-2` directory), then older ones
/// when one fails to load. `Ok(None)` if there is no candidate at all
/// (Java's −1); an error if there are candidates but none loads.
///
/// Unlike Java, each attempt starts from an empty tree and session map
/// (Java keeps the sessions a failed attempt read).
pub fn load_latest_snapshot(
    dir: &Path,
    options: &ReadOptions,
) -> Result<Option<LoadedSnapshot>, SnapshotError> {
    let candidates = find_valid_snapshots(dir, SNAPSHOTS_TRIED)?;
    if candidates.is_empty() {
        return Ok(None);
    }
    for path in &candidates {
        tracing::info!("Reading snapshot {}", path.display());
        match load_snapshot_file(path, options) {
            Ok(loaded) => return Ok(Some(loaded)),
            Err(e) => tracing::warn!("problem reading snap file {}: {e}", path.display()),
        }
    }
    Err(SnapshotError::NoValidSnapshot(dir.to_path_buf()))
}
