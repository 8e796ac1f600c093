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
use crate::tree::{node_digest, DataTree, TreeConfig, TreeLoader};

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

/// One part of a snapshot, as the parser hands it to the tree builder.
enum Part {
    Session {
        id: i64,
        timeout_ms: i32,
    },
    Acl {
        index: i64,
        acl: Vec<ACL>,
    },
    /// A node and its digest (0 when the digest is off).
    Node {
        node: NodeRecord,
        digest: i64,
    },
}

/// Parts travel in batches of this many, and this many batches may wait:
/// the parser runs ahead of the builder by at most ~8,000 nodes.
const BATCH: usize = 1024;
const BATCHES_IN_FLIGHT: usize = 8;

/// The parser's side: batches the parts (computing each node's digest,
/// a CRC that would otherwise be the builder's) and sends them on.
struct PartSender {
    batch: Vec<Part>,
    tx: std::sync::mpsc::SyncSender<Vec<Part>>,
    digest_enabled: bool,
}

impl PartSender {
    fn push(&mut self, part: Part) -> Result<(), SnapshotError> {
        self.batch.push(part);
        if self.batch.len() >= BATCH {
            self.send()?;
        }
        Ok(())
    }

    fn send(&mut self) -> Result<(), SnapshotError> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        // The builder hung up: it failed, and its error is the one reported.
        self.tx
            .send(batch)
            .map_err(|_| SnapshotError::Io(io::Error::other("the tree builder stopped")))
    }
}

impl SnapshotVisitor for PartSender {
    fn session(&mut self, id: i64, timeout_ms: i32) -> Result<(), SnapshotError> {
        self.push(Part::Session { id, timeout_ms })
    }

    fn acl(&mut self, index: i64, acl: Vec<ACL>) -> Result<(), SnapshotError> {
        self.push(Part::Acl { index, acl })
    }

    fn node(&mut self, node: NodeRecord) -> Result<(), SnapshotError> {
        let digest = if self.digest_enabled {
            node_digest(&node.path, node.data.as_deref(), &node.stat)
        } else {
            0
        };
        self.push(Part::Node { node, digest })
    }
}

/// The builder's side: the tree and the session map.
struct TreeBuilder {
    loader: TreeLoader,
    sessions: BTreeMap<i64, i32>,
}

impl TreeBuilder {
    fn add(&mut self, part: Part) -> Result<(), SnapshotError> {
        match part {
            Part::Session { id, timeout_ms } => {
                self.sessions.insert(id, timeout_ms);
            }
            Part::Acl { index, acl } => self.loader.insert_acl(index, acl),
            Part::Node { node, digest } => {
                self.loader.add_node_with_digest(
                    &node.path,
                    node.data.as_deref(),
                    node.acl,
                    node.stat,
                    digest,
                )?;
            }
        }
        Ok(())
    }
}

/// Reads a snapshot from a decompressed stream whose file name held
/// `zxid`, and builds the tree as Java does: the last processed zxid is
/// `zxid` (not the 3.9 trailer's, which only the admin restore uses), and
/// the trailer's digest is expected when replay reaches its zxid, or
/// compared at once if that is `zxid`.
///
/// Two threads share the work: this one builds the tree while another
/// reads, checks and decodes the stream (and computes node digests). The
/// first error in file order is the one returned, as if one thread did both.
/// When the builder fails first this waits for the parser's current read
/// to return: fine for a file, not for a stream that can stall (a socket).
pub fn read_snapshot<R: Read + Send>(
    input: R,
    zxid: i64,
    options: &ReadOptions,
) -> Result<LoadedSnapshot, SnapshotError> {
    let mut builder = TreeBuilder {
        loader: TreeLoader::new(options.tree),
        sessions: BTreeMap::new(),
    };
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Part>>(BATCHES_IN_FLIGHT);
    let parse_options = options.parse_options();
    let digest_enabled = options.tree.digest_enabled;
    let (parsed, built) = std::thread::scope(|scope| {
        let parser = std::thread::Builder::new()
            .name("snapshot-parse".into())
            .spawn_scoped(scope, move || {
                let mut sender = PartSender {
                    batch: Vec::with_capacity(BATCH),
                    tx,
                    digest_enabled,
                };
                let parsed = parse_snapshot(input, &parse_options, &mut sender);
                // What was read before a failure goes to the builder too:
                // an error it finds there comes first in the file.
                let sent = sender.send();
                let trailers = parsed?;
                sent.map(|()| trailers)
            });
        let parser = match parser {
            Ok(parser) => parser,
            Err(e) => return (Err(SnapshotError::Io(e)), Ok(())),
        };
        // Receives until the parser is done (or failed: the channel closes).
        let built = rx.iter().flatten().try_for_each(|part| builder.add(part));
        // On failure the receiver goes first, so that a parser blocked on a
        // full channel sees it hung up.
        drop(rx);
        let parsed = parser.join().unwrap_or_else(|_| {
            Err(SnapshotError::Io(io::Error::other(
                "the snapshot parser panicked",
            )))
        });
        (parsed, built)
    });
    built?;
    let trailers = parsed?;
    let mut tree = builder.loader.finish()?;
    tree.set_last_processed_zxid(zxid);
    if let Some(digest) = trailers.digest {
        tree.expect_snapshot_digest(digest, zxid);
        tree.compare_snapshot_digest(zxid);
    }
    Ok(LoadedSnapshot {
        tree,
        sessions: builder.sessions,
        zxid,
        path: None,
        trailers,
    })
}

/// Opens a snapshot file's decompressed stream, by its name's extension
/// (`SnapStream.getInputStream`).
pub fn open_snapshot(path: &Path) -> Result<Box<dyn Read + Send>, SnapshotError> {
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
