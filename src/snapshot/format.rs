//! The snapshot's records, written with Java's encodings and read as a
//! stream (`BinaryInputArchive` over a `CheckedInputStream`).
//!
//! The parser follows Java's reading rules exactly: a non-positive session
//! or ACL count is empty; lengths above `jute.maxbuffer` + the extra size
//! are rejected; a null ACL list is an error; the tree ends at the path
//! `"/"`; an end of input inside the digest or lastProcessedZxid trailer
//! means the trailer is absent, but one inside a seal that follows a
//! trailer that was read is an error; bytes after the last part are
//! ignored. Strings decode as Java's `new String(bytes, UTF_8)`.

use std::io::{self, Read};

use bytes::{BufMut, Bytes};
use jute::archive::{decode_utf8_like_java, write_string, Limits};
use jute::data::{Id, StatPersisted, ACL};

use super::{SnapshotError, SNAP_DBID, SNAP_MAGIC, SNAP_VERSION};
use crate::tree::ZxidDigest;

// ----- writing -----------------------------------------------------------------

/// The file header (`FileHeader`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileHeader {
    pub magic: i32,
    pub version: i32,
    pub dbid: i64,
}

impl Default for FileHeader {
    fn default() -> Self {
        FileHeader {
            magic: SNAP_MAGIC,
            version: SNAP_VERSION,
            dbid: SNAP_DBID,
        }
    }
}

/// Appends the file header.
pub fn put_header(out: &mut Vec<u8>) {
    let h = FileHeader::default();
    out.put_i32(h.magic);
    out.put_i32(h.version);
    out.put_i64(h.dbid);
}

/// Appends one `vector<ACL>`.
pub fn put_acl_list(out: &mut Vec<u8>, acl: &[ACL]) {
    out.put_i32(acl.len() as i32);
    for entry in acl {
        out.put_i32(entry.perms);
        put_opt_string(out, entry.id.scheme.as_deref());
        put_opt_string(out, entry.id.id.as_deref());
    }
}

fn put_opt_string(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => write_string(out, s),
        None => out.put_i32(-1),
    }
}

/// Appends a `StatPersisted`.
pub fn put_stat(out: &mut Vec<u8>, s: &StatPersisted) {
    out.put_i64(s.czxid);
    out.put_i64(s.mzxid);
    out.put_i64(s.ctime);
    out.put_i64(s.mtime);
    out.put_i32(s.version);
    out.put_i32(s.cversion);
    out.put_i32(s.aversion);
    out.put_i64(s.ephemeral_owner);
    out.put_i64(s.pzxid);
}

/// Appends a node: its path (`""` for the root) and the `DataNode` record.
pub fn put_node(
    out: &mut Vec<u8>,
    path: &str,
    data: Option<&[u8]>,
    acl: i64,
    stat: &StatPersisted,
) {
    write_string(out, path);
    match data {
        Some(d) => {
            out.put_i32(d.len() as i32);
            out.put_slice(d);
        }
        None => out.put_i32(-1),
    }
    out.put_i64(acl);
    put_stat(out, stat);
}

/// Appends the end of the node list, the path `"/"`.
pub fn put_terminator(out: &mut Vec<u8>) {
    write_string(out, "/");
}

/// Appends the digest trailer (`ZxidDigest.serialize`).
pub fn put_zxid_digest(out: &mut Vec<u8>, d: &ZxidDigest) {
    out.put_i64(d.zxid);
    out.put_i32(d.digest_version);
    out.put_i64(d.digest);
}

// ----- reading -----------------------------------------------------------------

/// What a reader must know to read like a Java server configured alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseOptions {
    /// `jute.maxbuffer` and its extra size.
    pub limits: Limits,
    /// Check the seal after the tree.
    pub check_seal: bool,
    /// `digest.enabled`: read the digest trailer (and its seal). Java reads
    /// it only when the digest is enabled.
    pub read_digest: bool,
    /// `serializeLastProcessedZxid.enabled`: read the 3.9 trailer (and its
    /// seal). Java 3.9 reads it only when enabled; 3.8 never.
    pub read_last_processed_zxid: bool,
}

impl Default for ParseOptions {
    /// Java 3.9.5's defaults: everything is read and checked.
    fn default() -> Self {
        ParseOptions {
            limits: Limits::default(),
            check_seal: true,
            read_digest: true,
            read_last_processed_zxid: true,
        }
    }
}

impl ParseOptions {
    /// Only the header and the body, unchecked, as Java's tools read
    /// (`FileSnap.deserialize(dt, sessions, ia)`).
    pub fn body_only(limits: Limits) -> Self {
        ParseOptions {
            limits,
            check_seal: false,
            read_digest: false,
            read_last_processed_zxid: false,
        }
    }
}

/// One node as read.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeRecord {
    pub path: String,
    pub data: Option<Bytes>,
    pub acl: i64,
    pub stat: StatPersisted,
}

/// Receives the parts of a snapshot in file order.
pub trait SnapshotVisitor {
    /// A session and its timeout.
    fn session(&mut self, id: i64, timeout_ms: i32) -> Result<(), SnapshotError>;
    /// An ACL-cache entry.
    fn acl(&mut self, index: i64, acl: Vec<ACL>) -> Result<(), SnapshotError>;
    /// A node, parents first.
    fn node(&mut self, node: NodeRecord) -> Result<(), SnapshotError>;
    /// The `"/"` terminator was read: the tree is complete.
    fn end_of_tree(&mut self) {}
}

/// What follows the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Trailers {
    /// The file header as read.
    pub header: FileHeader,
    /// Uncompressed bytes up to the end of the node list.
    pub body_len: u64,
    /// The first seal was read and matched (false if not checked).
    pub sealed: bool,
    /// The digest trailer, if read (`{0, 2, 0}` means none was known).
    pub digest: Option<ZxidDigest>,
    /// The 3.9 lastProcessedZxid trailer, if read.
    pub last_processed_zxid: Option<i64>,
    /// Uncompressed bytes consumed in all.
    pub consumed: u64,
}

/// A buffered reader that counts and checksums the bytes consumed, with
/// Java's primitive encodings.
pub struct CheckedReader<R: Read> {
    input: R,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    /// Bytes of `buf` before this index are in `adler` already.
    summed: usize,
    adler: adler2::Adler32,
    consumed: u64,
    limits: Limits,
}

/// A read that hit the end of the input, or failed.
enum Short {
    Eof,
    Err(SnapshotError),
}

impl From<SnapshotError> for Short {
    fn from(e: SnapshotError) -> Self {
        Short::Err(e)
    }
}

type ReadResult<T> = Result<T, Short>;

impl<R: Read> CheckedReader<R> {
    /// A reader over the decompressed stream.
    pub fn new(input: R, limits: Limits) -> Self {
        CheckedReader {
            input,
            buf: vec![0u8; 64 * 1024].into_boxed_slice(),
            start: 0,
            end: 0,
            summed: 0,
            adler: adler2::Adler32::new(),
            consumed: 0,
            limits,
        }
    }

    /// The bytes read ahead from the input but not consumed.
    pub fn into_leftover(self) -> Vec<u8> {
        self.buf[self.start..self.end].to_vec()
    }

    /// Uncompressed bytes consumed.
    pub fn consumed(&self) -> u64 {
        self.consumed
    }

    /// The Adler32 of the bytes consumed, as Java's `long`.
    pub fn checksum(&mut self) -> i64 {
        self.sum_consumed();
        i64::from(self.adler.checksum())
    }

    fn sum_consumed(&mut self) {
        if self.summed < self.start {
            self.adler.write_slice(&self.buf[self.summed..self.start]);
            self.summed = self.start;
        }
    }

    /// Makes at least `n` bytes (`n` ≤ the buffer) available; false at EOF.
    fn fill(&mut self, n: usize) -> ReadResult<bool> {
        if self.end - self.start >= n {
            return Ok(true);
        }
        self.sum_consumed();
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            self.summed = 0;
        }
        while self.end < n {
            match self.input.read(&mut self.buf[self.end..]) {
                Ok(0) => return Ok(false),
                Ok(k) => self.end += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Err(Short::Eof),
                Err(e) => return Err(Short::Err(SnapshotError::Io(e))),
            }
        }
        Ok(true)
    }

    fn take_array<const N: usize>(&mut self) -> ReadResult<[u8; N]> {
        if !self.fill(N)? {
            return Err(Short::Eof);
        }
        let mut a = [0u8; N];
        a.copy_from_slice(&self.buf[self.start..self.start + N]);
        self.start += N;
        self.consumed += N as u64;
        Ok(a)
    }

    fn read_int(&mut self) -> ReadResult<i32> {
        Ok(i32::from_be_bytes(self.take_array()?))
    }

    fn read_long(&mut self) -> ReadResult<i64> {
        Ok(i64::from_be_bytes(self.take_array()?))
    }

    /// Reads `len` bytes into a new vector.
    fn take_vec(&mut self, len: usize) -> ReadResult<Vec<u8>> {
        let mut out = Vec::with_capacity(len.min(self.buf.len()));
        let mut left = len;
        while left > 0 {
            if !self.fill(1)? {
                return Err(Short::Eof);
            }
            let n = left.min(self.end - self.start);
            out.extend_from_slice(&self.buf[self.start..self.start + n]);
            self.start += n;
            self.consumed += n as u64;
            left -= n;
        }
        Ok(out)
    }

    /// A length: `None` for −1; Java's "Unreasonable length" otherwise.
    fn read_len(&mut self) -> ReadResult<Option<usize>> {
        let at = self.consumed;
        let len = self.read_int()?;
        if len == -1 {
            return Ok(None);
        }
        let limit = self.limits.total();
        if len < 0 || len > limit {
            return Err(Short::Err(SnapshotError::BadLength {
                offset: at,
                length: len,
                limit,
            }));
        }
        Ok(Some(len as usize))
    }

    fn read_opt_string(&mut self) -> ReadResult<Option<String>> {
        match self.read_len()? {
            None => Ok(None),
            Some(len) => {
                let bytes = self.take_vec(len)?;
                Ok(Some(match String::from_utf8(bytes) {
                    Ok(s) => s,
                    Err(e) => decode_utf8_like_java(e.as_bytes()),
                }))
            }
        }
    }

    fn read_opt_buffer(&mut self) -> ReadResult<Option<Bytes>> {
        match self.read_len()? {
            None => Ok(None),
            Some(len) => Ok(Some(Bytes::from(self.take_vec(len)?))),
        }
    }

    fn read_stat(&mut self) -> ReadResult<StatPersisted> {
        Ok(StatPersisted {
            czxid: self.read_long()?,
            mzxid: self.read_long()?,
            ctime: self.read_long()?,
            mtime: self.read_long()?,
            version: self.read_int()?,
            cversion: self.read_int()?,
            aversion: self.read_int()?,
            ephemeral_owner: self.read_long()?,
            pzxid: self.read_long()?,
        })
    }

    fn read_acl_list(&mut self) -> ReadResult<Vec<ACL>> {
        let at = self.consumed;
        let count = self.read_int()?;
        if count == -1 {
            return Err(Short::Err(SnapshotError::Null {
                offset: at,
                what: "ACL list",
            }));
        }
        let mut acl = Vec::new();
        for _ in 0..count.max(0) {
            let perms = self.read_int()?;
            let scheme = self.read_opt_string()?;
            let id = self.read_opt_string()?;
            acl.push(ACL {
                perms,
                id: Id { scheme, id },
            });
        }
        Ok(acl)
    }

    /// A seal: the stored checksum must equal the one of the bytes before
    /// it; the "/" after it is read and ignored.
    fn check_seal(&mut self, seal: u8) -> ReadResult<()> {
        let actual = self.checksum();
        let expected = self.read_long()?;
        self.read_opt_string()?;
        if expected != actual {
            return Err(Short::Err(SnapshotError::Checksum {
                seal,
                expected,
                actual,
            }));
        }
        Ok(())
    }

    /// `ZxidDigest.deserialize`: a version below 2 holds the digest as a
    /// hex string.
    fn read_zxid_digest(&mut self) -> ReadResult<ZxidDigest> {
        let zxid = self.read_long()?;
        let digest_version = self.read_int()?;
        let digest = if digest_version < 2 {
            match self.read_opt_string()? {
                Some(d) => crate::config::java::parse_long_radix(&d, 16)
                    .map_err(|_| Short::Err(SnapshotError::BadDigest(d)))?,
                None => 0,
            }
        } else {
            self.read_long()?
        };
        Ok(ZxidDigest {
            zxid,
            digest_version,
            digest,
        })
    }
}

fn required<T>(r: ReadResult<T>, offset: u64) -> Result<T, SnapshotError> {
    r.map_err(|short| match short {
        Short::Eof => SnapshotError::Truncated { offset },
        Short::Err(e) => e,
    })
}

/// Reads a snapshot's header and sessions, ACL cache and nodes (handed to
/// `visitor` in file order), then the seals and trailers that `options`
/// asks for. `input` is the decompressed stream.
pub fn parse_snapshot<R: Read>(
    input: R,
    options: &ParseOptions,
    visitor: &mut impl SnapshotVisitor,
) -> Result<Trailers, SnapshotError> {
    let mut r = CheckedReader::new(input, options.limits);
    let header = FileHeader {
        magic: required(r.read_int(), r.consumed())?,
        version: required(r.read_int(), r.consumed())?,
        dbid: required(r.read_long(), r.consumed())?,
    };
    if header.magic != SNAP_MAGIC {
        return Err(SnapshotError::BadMagic(header.magic));
    }
    parse_body(&mut r, visitor)?;
    let mut trailers = Trailers {
        header,
        body_len: r.consumed(),
        ..Trailers::default()
    };
    if options.check_seal {
        required(r.check_seal(1), r.consumed())?;
        trailers.sealed = true;
    }
    if options.read_digest {
        match r.read_zxid_digest() {
            Ok(d) => {
                trailers.digest = Some(d);
                required(r.check_seal(2), r.consumed())?;
            }
            Err(Short::Eof) => {}
            Err(Short::Err(e)) => return Err(e),
        }
    }
    if options.read_last_processed_zxid {
        match r.read_long() {
            Ok(z) => {
                trailers.last_processed_zxid = Some(z);
                required(r.check_seal(3), r.consumed())?;
            }
            Err(Short::Eof) => {}
            Err(Short::Err(e)) => return Err(e),
        }
    }
    trailers.consumed = r.consumed();
    Ok(trailers)
}

/// Sessions, ACL cache and nodes up to the `"/"` terminator
/// (`SerializeUtils.deserializeSnapshot`): the SNAP sync stream's body.
pub(crate) fn parse_body<R: Read>(
    r: &mut CheckedReader<R>,
    visitor: &mut impl SnapshotVisitor,
) -> Result<(), SnapshotError> {
    let count = required(r.read_int(), r.consumed())?;
    for _ in 0..count.max(0) {
        let id = required(r.read_long(), r.consumed())?;
        let timeout = required(r.read_int(), r.consumed())?;
        visitor.session(id, timeout)?;
    }
    let count = required(r.read_int(), r.consumed())?;
    for _ in 0..count.max(0) {
        let index = required(r.read_long(), r.consumed())?;
        let acl = required(r.read_acl_list(), r.consumed())?;
        visitor.acl(index, acl)?;
    }
    loop {
        let at = r.consumed();
        let Some(path) = required(r.read_opt_string(), at)? else {
            return Err(SnapshotError::Null {
                offset: at,
                what: "path",
            });
        };
        if path == "/" {
            visitor.end_of_tree();
            return Ok(());
        }
        let data = required(r.read_opt_buffer(), r.consumed())?;
        let acl = required(r.read_long(), r.consumed())?;
        let stat = required(r.read_stat(), r.consumed())?;
        visitor.node(NodeRecord {
            path,
            data,
            acl,
            stat,
        })?;
    }
}

/// Reads a `ustring` (the SNAP stream's signature); `None` for null.
pub(crate) fn read_string<R: Read>(
    r: &mut CheckedReader<R>,
) -> Result<Option<String>, SnapshotError> {
    required(r.read_opt_string(), r.consumed())
}
