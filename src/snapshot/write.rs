//! Writing snapshots without stopping the server.
//!
//! [`SnapshotWalk`] is the serializer as a resumable state machine: the
//! core calls [`step`](SnapshotWalk::step) with the current tree and a
//! byte budget between requests, and gets back chunks of uncompressed
//! snapshot bytes. Like Java's fuzzy snapshot it captures the sessions,
//! the ACL cache and the tree's last processed zxid (the file's zxid) when
//! it starts, lists a node's children when it visits the node, skips
//! children deleted since, and misses nodes created under nodes already
//! visited; replaying the log from the snapshot's zxid repairs all that.
//! The trailers (digest, last processed zxid) are taken from the tree when
//! the walk ends, as Java writes them after the tree.
//!
//! [`BackgroundWriter`] does the heavy work on a thread of its own: the
//! checksum, compression, file writes, fsync and rename. [`FuzzySnapshot`]
//! ties the two together for the server core.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Instant;

use bytes::BufMut;
use jute::archive::write_string;
use jute::data::ACL;

use super::format::{put_acl_list, put_header, put_node, put_terminator, put_zxid_digest};
use super::stream::CheckedSink;
use super::{snapshot_file_name, SnapshotCompression, SnapshotError, SYNC_SIGNATURE, TMP_SUFFIX};
use crate::config::ZooKeeperProperties;
use crate::tree::{DataTree, NodeId, ZxidDigest, DIGEST_VERSION};

/// What to write after the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteOptions {
    /// `zookeeper.snapshot.compression.method`.
    pub compression: SnapshotCompression,
    /// `zookeeper.serializeLastProcessedZxid.enabled` (3.9): write the
    /// last processed zxid trailer. The digest trailer follows the tree's
    /// `digest.enabled`.
    pub last_processed_zxid: bool,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            compression: SnapshotCompression::Checked,
            last_processed_zxid: true,
        }
    }
}

impl WriteOptions {
    /// The options of a server with these properties.
    pub fn from_props(props: &ZooKeeperProperties) -> Self {
        WriteOptions {
            compression: props.snapshot_compression,
            last_processed_zxid: props.serialize_last_processed_zxid_enabled,
        }
    }
}

/// The trailers, taken from the tree when the node list is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trailer {
    /// The digest trailer, if the digest is enabled.
    pub digest: Option<ZxidDigest>,
    /// The 3.9 trailer, if enabled.
    pub last_processed_zxid: Option<i64>,
}

/// A piece of snapshot output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chunk {
    /// Uncompressed bytes, to be checksummed and compressed.
    Data(Vec<u8>),
    /// The node list is complete: seal, then the trailers, each sealed.
    /// Always the last chunk of a file snapshot.
    End(Trailer),
}

/// Where the walk is.
#[derive(Debug)]
enum Phase {
    Sessions { next: usize },
    Acls { next: usize },
    Nodes,
    Done,
}

/// One level of the pre-order walk: the children of the node whose path
/// is `path[..base]`, as they were when it was visited. The names are
/// copied into one buffer (a million children cost two allocations).
#[derive(Debug)]
struct Frame {
    base: usize,
    names: String,
    ends: Vec<usize>,
    next: usize,
    /// The node whose children these are, found again at the start of
    /// each step (an id is valid only while the tree does not change);
    /// `None` if it is gone, and then each child is looked up by path.
    parent: Option<NodeId>,
}

impl Frame {
    fn new<'a>(
        base: usize,
        parent: Option<NodeId>,
        children: impl Iterator<Item = &'a str>,
    ) -> Frame {
        let (lower, _) = children.size_hint();
        let mut names = String::with_capacity(lower * 12);
        let mut ends = Vec::with_capacity(lower);
        for name in children {
            names.push_str(name);
            ends.push(names.len());
        }
        Frame {
            base,
            names,
            ends,
            next: 0,
            parent,
        }
    }

    fn name(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.names[start..self.ends[i]]
    }
}

/// The stream being produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    /// A snapshot file: header, body, then [`Chunk::End`].
    File,
    /// The SNAP sync stream: body and the signature only.
    Sync,
}

/// The resumable, fuzzy serializer (see the module docs).
#[derive(Debug)]
pub struct SnapshotWalk {
    zxid: i64,
    form: Form,
    last_processed_zxid_trailer: bool,
    sessions: Vec<(i64, i32)>,
    acls: Vec<(i64, Arc<[ACL]>)>,
    phase: Phase,
    started: bool,
    path: String,
    stack: Vec<Frame>,
    nodes: u64,
    bytes: u64,
}

impl SnapshotWalk {
    /// Starts a snapshot of `tree` with these sessions (id → timeout; the
    /// committed sessions). The snapshot's zxid is the tree's last
    /// processed zxid now.
    pub fn new(
        tree: &DataTree,
        sessions: impl IntoIterator<Item = (i64, i32)>,
        options: &WriteOptions,
    ) -> SnapshotWalk {
        SnapshotWalk::with_form(tree, sessions, options.last_processed_zxid, Form::File)
    }

    /// Starts the SNAP sync stream (`ZKDatabase.serializeSnapshot` followed
    /// by the `"BenWasHere"` signature): no header, seals or trailers.
    pub fn new_sync(
        tree: &DataTree,
        sessions: impl IntoIterator<Item = (i64, i32)>,
    ) -> SnapshotWalk {
        SnapshotWalk::with_form(tree, sessions, false, Form::Sync)
    }

    fn with_form(
        tree: &DataTree,
        sessions: impl IntoIterator<Item = (i64, i32)>,
        last_processed_zxid_trailer: bool,
        form: Form,
    ) -> SnapshotWalk {
        SnapshotWalk {
            zxid: tree.last_processed_zxid(),
            form,
            last_processed_zxid_trailer,
            sessions: sessions.into_iter().collect(),
            acls: tree
                .acl_cache()
                .iter()
                .map(|(index, acl)| (index, acl.clone()))
                .collect(),
            phase: Phase::Sessions { next: 0 },
            started: false,
            path: String::new(),
            stack: Vec::new(),
            nodes: 0,
            bytes: 0,
        }
    }

    /// The snapshot's zxid: the tree's last processed zxid at the start.
    pub fn zxid(&self) -> i64 {
        self.zxid
    }

    /// Nodes written so far.
    pub fn nodes_written(&self) -> u64 {
        self.nodes
    }

    /// Uncompressed bytes produced so far (trailers excluded).
    pub fn bytes_written(&self) -> u64 {
        self.bytes
    }

    /// True once the last chunk was returned.
    pub fn is_done(&self) -> bool {
        matches!(self.phase, Phase::Done)
    }

    /// Produces the next chunk of about `budget` bytes (at least one node
    /// per call, so a single large node can exceed it), or `None` when the
    /// snapshot is complete. `tree` must be the tree the walk started on,
    /// possibly changed since.
    pub fn step(&mut self, tree: &DataTree, budget: usize) -> Option<Chunk> {
        let budget = budget.max(1);
        let mut out = Vec::with_capacity(budget.min(1 << 20) + 256);
        if !self.started {
            self.started = true;
            if self.form == Form::File {
                put_header(&mut out);
            }
            out.put_i32(self.sessions.len() as i32);
        }
        loop {
            match &mut self.phase {
                Phase::Sessions { next } => {
                    while *next < self.sessions.len() && out.len() < budget {
                        let (id, timeout) = self.sessions[*next];
                        out.put_i64(id);
                        out.put_i32(timeout);
                        *next += 1;
                    }
                    if *next < self.sessions.len() {
                        break;
                    }
                    self.sessions = Vec::new();
                    self.phase = Phase::Acls { next: 0 };
                    out.put_i32(self.acls.len() as i32);
                }
                Phase::Acls { next } => {
                    while *next < self.acls.len() && out.len() < budget {
                        let (index, acl) = &self.acls[*next];
                        out.put_i64(*index);
                        put_acl_list(&mut out, acl);
                        *next += 1;
                    }
                    if *next < self.acls.len() {
                        break;
                    }
                    self.acls = Vec::new();
                    self.phase = Phase::Nodes;
                    self.visit_root(tree, &mut out);
                }
                Phase::Nodes => {
                    if self.walk(tree, budget, &mut out) {
                        put_terminator(&mut out);
                        if self.form == Form::Sync {
                            write_string(&mut out, SYNC_SIGNATURE);
                        }
                        self.phase = Phase::Done;
                        self.bytes += out.len() as u64;
                        return Some(Chunk::Data(out));
                    }
                    break;
                }
                Phase::Done => {
                    if !out.is_empty() {
                        break;
                    }
                    return None;
                }
            }
            if out.len() >= budget {
                break;
            }
        }
        self.bytes += out.len() as u64;
        Some(Chunk::Data(out))
    }

    /// The trailer chunk, after the last data chunk of a file snapshot:
    /// the tree's digest after its last transaction (`{0, 2, 0}` if none)
    /// when the digest is enabled, and its last processed zxid when
    /// enabled. `None` for the sync form.
    pub fn trailer(&self, tree: &DataTree) -> Option<Trailer> {
        if self.form == Form::Sync {
            return None;
        }
        let digest = tree.digest_enabled().then(|| {
            tree.last_zxid_digest().unwrap_or(ZxidDigest {
                zxid: 0,
                digest_version: DIGEST_VERSION,
                digest: 0,
            })
        });
        Some(Trailer {
            digest,
            last_processed_zxid: self
                .last_processed_zxid_trailer
                .then(|| tree.last_processed_zxid()),
        })
    }

    /// Writes the root (as `""`) and lists its children.
    fn visit_root(&mut self, tree: &DataTree, out: &mut Vec<u8>) {
        let Some(node) = tree.node("") else {
            return;
        };
        put_node(out, "", node.data(), node.acl_index(), &node.stat());
        self.nodes += 1;
        self.path.clear();
        self.stack.push(Frame::new(
            0,
            tree.lookup(""),
            tree.children_of(node)
                .map(|(_, c)| c.name())
                .filter(|c| !c.is_empty()),
        ));
    }

    /// Walks until `out` reaches `budget`; true when the walk is complete.
    fn walk(&mut self, tree: &DataTree, budget: usize, out: &mut Vec<u8>) -> bool {
        let mut path = std::mem::take(&mut self.path);
        for frame in &mut self.stack {
            frame.parent = path.get(..frame.base).and_then(|p| tree.lookup(p));
        }
        let done = loop {
            let Some(frame) = self.stack.last_mut() else {
                break true;
            };
            if frame.next >= frame.ends.len() {
                self.stack.pop();
                continue;
            }
            if out.len() >= budget {
                break false;
            }
            path.truncate(frame.base);
            path.push('/');
            path.push_str(frame.name(frame.next));
            let name_at = frame.base + 1;
            frame.next += 1;
            let found = match frame.parent {
                Some(parent) => tree.child(parent, &path[name_at..]),
                None => tree.lookup(&path),
            };
            let Some(id) = found else {
                continue;
            };
            let node = tree.node_by_id(id);
            put_node(out, &path, node.data(), node.acl_index(), &node.stat());
            self.nodes += 1;
            if node.num_children() != 0 {
                self.stack.push(Frame::new(
                    path.len(),
                    Some(id),
                    tree.children_of(node).map(|(_, c)| c.name()),
                ));
            }
        };
        self.path = path;
        done
    }
}

/// A snapshot that was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenSnapshot {
    /// The final file.
    pub path: PathBuf,
    /// The snapshot's zxid.
    pub zxid: i64,
    /// Uncompressed bytes, trailers included.
    pub uncompressed_bytes: u64,
}

/// How the file is made durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Written in place under its final name, no fsync: Java's periodic
    /// snapshots (`FileOutputStream`).
    Plain,
    /// Written to `<name>.tmp`, fsynced, then renamed: Java's snapshots
    /// "with fsync" (after a SNAP sync, `AtomicFileOutputStream`).
    Atomic,
}

/// Writes the chunks of one snapshot to any writer (seals and trailers on
/// [`Chunk::End`]); returns the writer and the uncompressed size.
pub fn write_chunks<W: Write>(
    out: W,
    compression: SnapshotCompression,
    chunks: impl IntoIterator<Item = Chunk>,
) -> io::Result<(W, u64)> {
    let mut sink = CheckedSink::new(out, compression);
    for chunk in chunks {
        sink_chunk(&mut sink, chunk)?;
    }
    let written = sink.written();
    Ok((sink.finish()?, written))
}

fn sink_chunk<W: Write>(sink: &mut CheckedSink<W>, chunk: Chunk) -> io::Result<()> {
    match chunk {
        Chunk::Data(bytes) => sink.write_bytes(&bytes),
        Chunk::End(trailer) => {
            sink.seal()?;
            if let Some(digest) = trailer.digest {
                let mut buf = Vec::with_capacity(20);
                put_zxid_digest(&mut buf, &digest);
                sink.write_bytes(&buf)?;
                sink.seal()?;
            }
            if let Some(zxid) = trailer.last_processed_zxid {
                sink.write_bytes(&zxid.to_be_bytes())?;
                sink.seal()?;
            }
            Ok(())
        }
    }
}

/// Serializes a whole snapshot of `tree` at once into `out` (tests, tools,
/// and a server that is not serving yet). Returns the uncompressed size.
pub fn write_snapshot<W: Write>(
    out: W,
    tree: &DataTree,
    sessions: impl IntoIterator<Item = (i64, i32)>,
    options: &WriteOptions,
) -> io::Result<(W, u64)> {
    let mut walk = SnapshotWalk::new(tree, sessions, options);
    let mut chunks = Vec::new();
    while let Some(chunk) = walk.step(tree, 1 << 20) {
        chunks.push(chunk);
    }
    chunks.extend(walk.trailer(tree).map(Chunk::End));
    write_chunks(out, options.compression, chunks)
}

/// Writes a whole snapshot of `tree` into `dir` (the `version-2`
/// directory) under its zxid's name, blocking.
pub fn write_snapshot_file(
    dir: &Path,
    tree: &DataTree,
    sessions: impl IntoIterator<Item = (i64, i32)>,
    options: &WriteOptions,
    durability: Durability,
) -> Result<WrittenSnapshot, SnapshotError> {
    let zxid = tree.last_processed_zxid();
    let mut walk = SnapshotWalk::new(tree, sessions, options);
    let mut file = SnapshotFile::create(dir, zxid, options.compression, durability)?;
    let result = (|| {
        while let Some(chunk) = walk.step(tree, 1 << 20) {
            file.write(chunk)?;
        }
        if let Some(trailer) = walk.trailer(tree) {
            file.write(Chunk::End(trailer))?;
        }
        Ok(())
    })();
    match result {
        Ok(()) => file.finish(),
        Err(e) => {
            file.abort();
            Err(SnapshotError::Io(e))
        }
    }
}

/// How many (uncompressed) bytes a snapshot writer lets the page cache hold
/// before it writes them back.
const WRITEBACK_EVERY: u64 = 4 << 20;

/// Writes the file's dirty pages to the disk and waits for them. A
/// snapshot left to the kernel's writeback goes to the disk all at once,
/// tens of seconds later; on ext4 (data=ordered) the transaction log's next
/// fsync then waits for all of it — a stall of hundreds of milliseconds for
/// every write. Written back a few megabytes at a time, the log's fsyncs
/// only ever wait for a few megabytes. (An error is only a missed
/// opportunity: the data is still written, as the kernel would.)
fn write_back(fd: std::os::fd::RawFd) {
    let flags = libc::SYNC_FILE_RANGE_WAIT_BEFORE
        | libc::SYNC_FILE_RANGE_WRITE
        | libc::SYNC_FILE_RANGE_WAIT_AFTER;
    // SAFETY: `fd` is the descriptor of a file that is open for as long as
    // the caller holds it; sync_file_range only reads its arguments.
    let result = unsafe { libc::sync_file_range(fd, 0, 0, flags) };
    if result != 0 {
        tracing::debug!(
            "sync_file_range on a snapshot: {}",
            io::Error::last_os_error()
        );
    }
}

/// An open snapshot file.
struct SnapshotFile {
    sink: CheckedSink<BufWriter<File>>,
    /// The file's descriptor (owned by `sink`), for its writeback.
    fd: std::os::fd::RawFd,
    /// `sink.written()` when the file's pages were last written back.
    written_back: u64,
    path: PathBuf,
    writing: PathBuf,
    durability: Durability,
    zxid: i64,
}

impl SnapshotFile {
    fn create(
        dir: &Path,
        zxid: i64,
        compression: SnapshotCompression,
        durability: Durability,
    ) -> io::Result<SnapshotFile> {
        let path = dir.join(snapshot_file_name(zxid, compression));
        let writing = match durability {
            Durability::Plain => path.clone(),
            Durability::Atomic => {
                let mut name = path.as_os_str().to_owned();
                name.push(TMP_SUFFIX);
                PathBuf::from(name)
            }
        };
        tracing::info!("Snapshotting: {zxid:#x} to {}", path.display());
        let file = File::create(&writing)?;
        let fd = std::os::fd::AsRawFd::as_raw_fd(&file);
        Ok(SnapshotFile {
            sink: CheckedSink::new(BufWriter::with_capacity(256 * 1024, file), compression),
            fd,
            written_back: 0,
            path,
            writing,
            durability,
            zxid,
        })
    }

    fn write(&mut self, chunk: Chunk) -> io::Result<()> {
        sink_chunk(&mut self.sink, chunk)?;
        if self.sink.written() - self.written_back >= WRITEBACK_EVERY {
            self.written_back = self.sink.written();
            write_back(self.fd);
        }
        Ok(())
    }

    fn finish(self) -> Result<WrittenSnapshot, SnapshotError> {
        let uncompressed_bytes = self.sink.written();
        let result = (|| {
            let file = self
                .sink
                .finish()?
                .into_inner()
                .map_err(|e| e.into_error())?;
            if self.durability == Durability::Atomic {
                file.sync_all()?;
                drop(file);
                fs::rename(&self.writing, &self.path)?;
            }
            Ok(())
        })();
        match result {
            Ok(()) => Ok(WrittenSnapshot {
                path: self.path,
                zxid: self.zxid,
                uncompressed_bytes,
            }),
            Err(e) => {
                remove_failed(&self.writing, self.durability);
                Err(SnapshotError::Io(e))
            }
        }
    }

    /// Gives up: the temporary file is removed; a plain file only if it is
    /// empty (Java keeps a partial one, which is not valid at startup).
    fn abort(self) {
        let SnapshotFile {
            sink,
            writing,
            durability,
            ..
        } = self;
        drop(sink);
        remove_failed(&writing, durability);
    }
}

fn remove_failed(path: &Path, durability: Durability) {
    let remove = match durability {
        Durability::Atomic => true,
        Durability::Plain => fs::metadata(path).is_ok_and(|m| m.len() == 0),
    };
    if remove {
        if let Err(e) = fs::remove_file(path) {
            tracing::warn!(
                "could not delete the failed snapshot {}: {e}",
                path.display()
            );
        }
    }
}

/// A thread that checksums, compresses and writes the chunks it is sent.
#[derive(Debug)]
pub struct BackgroundWriter {
    tx: Option<SyncSender<Chunk>>,
    handle: Option<JoinHandle<Result<WrittenSnapshot, SnapshotError>>>,
    zxid: i64,
}

impl BackgroundWriter {
    /// Starts the thread; it creates the file for `zxid` in `dir`. At most
    /// `queue` chunks wait for it.
    pub fn spawn(
        dir: &Path,
        zxid: i64,
        compression: SnapshotCompression,
        durability: Durability,
        queue: usize,
    ) -> io::Result<BackgroundWriter> {
        let (tx, rx) = mpsc::sync_channel::<Chunk>(queue.max(1));
        let dir = dir.to_path_buf();
        let handle = thread::Builder::new()
            .name(format!("snapshot-{zxid:x}"))
            .spawn(move || write_from_channel(&dir, zxid, compression, durability, rx))?;
        Ok(BackgroundWriter {
            tx: Some(tx),
            handle: Some(handle),
            zxid,
        })
    }

    /// The snapshot's zxid.
    pub fn zxid(&self) -> i64 {
        self.zxid
    }

    /// Queues a chunk without blocking; gives it back if the queue is
    /// full. A chunk sent after the thread failed is dropped (the failure
    /// is reported by [`finish`](Self::finish)).
    pub fn try_send(&self, chunk: Chunk) -> Result<(), Chunk> {
        let Some(tx) = &self.tx else {
            return Ok(());
        };
        match tx.try_send(chunk) {
            Ok(()) | Err(TrySendError::Disconnected(_)) => Ok(()),
            Err(TrySendError::Full(chunk)) => Err(chunk),
        }
    }

    /// Queues a chunk, waiting for room.
    pub fn send(&self, chunk: Chunk) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(chunk);
        }
    }

    /// Closes the queue: nothing more will be sent.
    pub fn close(&mut self) {
        self.tx = None;
    }

    /// True once the thread is done (after [`close`](Self::close) or a
    /// failure); [`finish`](Self::finish) then does not block.
    pub fn is_finished(&self) -> bool {
        self.handle.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Closes the queue and waits for the thread.
    pub fn finish(mut self) -> Result<WrittenSnapshot, SnapshotError> {
        self.close();
        match self.handle.take() {
            Some(handle) => handle.join().unwrap_or_else(|_| {
                Err(SnapshotError::Io(io::Error::other(
                    "snapshot writer panicked",
                )))
            }),
            None => Err(SnapshotError::Io(io::Error::other(
                "snapshot writer already finished",
            ))),
        }
    }
}

impl Drop for BackgroundWriter {
    fn drop(&mut self) {
        self.tx = None;
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

fn write_from_channel(
    dir: &Path,
    zxid: i64,
    compression: SnapshotCompression,
    durability: Durability,
    rx: Receiver<Chunk>,
) -> Result<WrittenSnapshot, SnapshotError> {
    let mut file = SnapshotFile::create(dir, zxid, compression, durability)?;
    let mut ended = false;
    for chunk in rx {
        ended |= matches!(chunk, Chunk::End(_));
        if let Err(e) = file.write(chunk) {
            file.abort();
            return Err(SnapshotError::Io(e));
        }
    }
    if !ended {
        // Abandoned before the end: never leave a file that looks whole.
        let SnapshotFile { sink, writing, .. } = file;
        drop(sink);
        let _ = fs::remove_file(&writing);
        return Err(SnapshotError::Io(io::Error::other("snapshot abandoned")));
    }
    file.finish()
}

/// What a [`FuzzySnapshot::step`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// A chunk was produced and queued; call again.
    Progress,
    /// The writer's queue is full: call again later (the disk is behind).
    Full,
    /// Everything is queued; wait for [`FuzzySnapshot::is_written`].
    Done,
}

/// A fuzzy snapshot in progress: the walk on the caller's thread, the
/// writing on a background thread.
///
/// The core starts it with the committed sessions and calls
/// [`step`](Self::step) between requests with the current tree until it
/// returns [`Step::Done`], then [`finish`](Self::finish)es it once
/// [`is_written`](Self::is_written) (or from a blocking task).
#[derive(Debug)]
pub struct FuzzySnapshot {
    walk: SnapshotWalk,
    writer: BackgroundWriter,
    pending: Option<Chunk>,
    ended: bool,
    started: Instant,
}

impl FuzzySnapshot {
    /// Chunks waiting for the writer, at most (of about `budget` bytes).
    pub const QUEUE: usize = 16;

    /// Starts a snapshot of `tree` into `dir` (the `version-2` directory)
    /// named after the tree's last processed zxid.
    pub fn start(
        dir: &Path,
        tree: &DataTree,
        sessions: impl IntoIterator<Item = (i64, i32)>,
        options: &WriteOptions,
        durability: Durability,
    ) -> io::Result<FuzzySnapshot> {
        let walk = SnapshotWalk::new(tree, sessions, options);
        let writer = BackgroundWriter::spawn(
            dir,
            walk.zxid(),
            options.compression,
            durability,
            Self::QUEUE,
        )?;
        Ok(FuzzySnapshot {
            walk,
            writer,
            pending: None,
            ended: false,
            started: Instant::now(),
        })
    }

    /// The snapshot's zxid.
    pub fn zxid(&self) -> i64 {
        self.walk.zxid()
    }

    /// Nodes serialized so far.
    pub fn nodes_written(&self) -> u64 {
        self.walk.nodes_written()
    }

    /// Serializes about `budget` bytes of the tree and queues them.
    pub fn step(&mut self, tree: &DataTree, budget: usize) -> Step {
        if self.ended {
            return Step::Done;
        }
        let chunk = match self.pending.take() {
            Some(chunk) => chunk,
            None => match self.walk.step(tree, budget) {
                Some(chunk) => chunk,
                None => match self.walk.trailer(tree) {
                    Some(trailer) => Chunk::End(trailer),
                    None => {
                        self.ended = true;
                        self.writer.close();
                        return Step::Done;
                    }
                },
            },
        };
        let is_end = matches!(chunk, Chunk::End(_));
        match self.writer.try_send(chunk) {
            Ok(()) if is_end => {
                self.ended = true;
                self.writer.close();
                Step::Done
            }
            Ok(()) => Step::Progress,
            Err(chunk) => {
                self.pending = Some(chunk);
                Step::Full
            }
        }
    }

    /// True once the file is complete (or failed); then
    /// [`finish`](Self::finish) does not block.
    pub fn is_written(&self) -> bool {
        self.ended && self.writer.is_finished()
    }

    /// Waits for the writer and reports the file.
    pub fn finish(self) -> Result<WrittenSnapshot, SnapshotError> {
        let FuzzySnapshot {
            writer,
            ended,
            started,
            walk,
            ..
        } = self;
        if !ended {
            drop(writer);
            return Err(SnapshotError::Io(io::Error::other("snapshot abandoned")));
        }
        let written = writer.finish()?;
        tracing::info!(
            "snapshot {:#x}: {} nodes, {} bytes in {:?}",
            written.zxid,
            walk.nodes_written(),
            written.uncompressed_bytes,
            started.elapsed()
        );
        Ok(written)
    }
}
