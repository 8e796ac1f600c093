//! The byte streams under a snapshot (`SnapStream`): the Adler32 checksum
//! over the uncompressed bytes, gzip (`java.util.zip.GZIP*Stream`), and
//! snappy-java's `SnappyOutputStream`/`SnappyInputStream` framing.
//!
//! snappy-java 1.1.10.x framing, which is not the standard Snappy framing
//! format: a 16-byte header (`82 'S' 'N' 'A' 'P' 'P' 'Y' 00`, `int version
//! 1`, `int compatible version 1`), then blocks of `int compressedLength` +
//! one raw Snappy block. The writer compresses its input in 32 KiB blocks
//! (`DEFAULT_BLOCK_SIZE`; only the last is shorter) and writes the header
//! with the first block, or alone when closed empty. The reader also
//! accepts: a stream without the header (one raw block, read whole), a
//! second header between blocks (concatenated streams; an invalid one ends
//! the stream), and a truncated block length at the end (end of stream).
//! A block length that is negative or above 512 MiB, or a truncated
//! block, is an error.

use std::io::{self, BufRead, Read, Write};

use flate2::bufread::GzDecoder;
use flate2::write::GzEncoder;

use super::SnapshotCompression;

/// snappy-java's `SnappyCodec.MAGIC_HEADER`.
pub const SNAPPY_MAGIC: [u8; 8] = [0x82, b'S', b'N', b'A', b'P', b'P', b'Y', 0];
/// `SnappyCodec.HEADER_SIZE`: the magic, then version and compatible
/// version.
pub const SNAPPY_HEADER_SIZE: usize = 16;
/// `SnappyCodec.DEFAULT_VERSION` and `MINIMUM_COMPATIBLE_VERSION`.
pub const SNAPPY_VERSION: i32 = 1;
/// `SnappyOutputStream.DEFAULT_BLOCK_SIZE`: uncompressed bytes per block.
pub const SNAPPY_BLOCK_SIZE: usize = 32 * 1024;
/// `SnappyInputStream.MAX_CHUNK_SIZE`: the largest compressed block read.
pub const SNAPPY_MAX_CHUNK: usize = 512 * 1024 * 1024;
/// The gzip magic bytes (`GZIPInputStream.GZIP_MAGIC`, little-endian).
pub const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The snappy-java header bytes.
pub fn snappy_header() -> [u8; SNAPPY_HEADER_SIZE] {
    let mut h = [0u8; SNAPPY_HEADER_SIZE];
    h[..8].copy_from_slice(&SNAPPY_MAGIC);
    h[8..12].copy_from_slice(&SNAPPY_VERSION.to_be_bytes());
    h[12..16].copy_from_slice(&SNAPPY_VERSION.to_be_bytes());
    h
}

// ----- writing ---------------------------------------------------------------

/// `SnappyOutputStream` with the default block size.
#[derive(Debug)]
pub struct SnappyJavaWriter<W: Write> {
    out: W,
    input: Vec<u8>,
    encoder: snap::raw::Encoder,
    compressed: Vec<u8>,
    header_written: bool,
}

impl<W: Write> SnappyJavaWriter<W> {
    /// A writer that frames into `out`.
    pub fn new(out: W) -> Self {
        SnappyJavaWriter {
            out,
            input: Vec::with_capacity(SNAPPY_BLOCK_SIZE),
            encoder: snap::raw::Encoder::new(),
            compressed: vec![0; snap::raw::max_compress_len(SNAPPY_BLOCK_SIZE)],
            header_written: false,
        }
    }

    fn compress_input(&mut self) -> io::Result<()> {
        if !self.header_written {
            self.out.write_all(&snappy_header())?;
            self.header_written = true;
        }
        if self.input.is_empty() {
            return Ok(());
        }
        let n = self
            .encoder
            .compress(&self.input, &mut self.compressed)
            .map_err(io::Error::other)?;
        self.out.write_all(&(n as i32).to_be_bytes())?;
        self.out.write_all(&self.compressed[..n])?;
        self.input.clear();
        Ok(())
    }

    /// Compresses what is buffered (a shorter block) and returns the
    /// underlying writer, flushed.
    pub fn finish(mut self) -> io::Result<W> {
        self.compress_input()?;
        self.out.flush()?;
        Ok(self.out)
    }
}

impl<W: Write> Write for SnappyJavaWriter<W> {
    fn write(&mut self, mut buf: &[u8]) -> io::Result<usize> {
        let total = buf.len();
        while !buf.is_empty() {
            let room = SNAPPY_BLOCK_SIZE - self.input.len();
            let n = room.min(buf.len());
            self.input.extend_from_slice(&buf[..n]);
            buf = &buf[n..];
            if self.input.len() == SNAPPY_BLOCK_SIZE {
                self.compress_input()?;
            }
        }
        Ok(total)
    }

    /// Like Java's, a flush ends the current block early. The snapshot
    /// writer never flushes before the end.
    fn flush(&mut self) -> io::Result<()> {
        self.compress_input()?;
        self.out.flush()
    }
}

/// A compressor over `W`, chosen by the setting.
#[derive(Debug)]
pub enum Compressor<W: Write> {
    /// No compression (Java buffers; so does the caller).
    Checked(W),
    /// gzip at the default level, like `GZIPOutputStream`.
    Gzip(Box<GzEncoder<W>>),
    /// snappy-java framing.
    Snappy(Box<SnappyJavaWriter<W>>),
}

impl<W: Write> Compressor<W> {
    /// A compressor writing into `out`.
    pub fn new(out: W, compression: SnapshotCompression) -> Self {
        match compression {
            SnapshotCompression::Checked => Compressor::Checked(out),
            SnapshotCompression::Gzip => Compressor::Gzip(Box::new(GzEncoder::new(
                out,
                flate2::Compression::default(),
            ))),
            SnapshotCompression::Snappy => Compressor::Snappy(Box::new(SnappyJavaWriter::new(out))),
        }
    }

    /// Ends the compressed stream and returns the writer, flushed.
    pub fn finish(self) -> io::Result<W> {
        match self {
            Compressor::Checked(mut w) => {
                w.flush()?;
                Ok(w)
            }
            Compressor::Gzip(g) => {
                let mut w = g.finish()?;
                w.flush()?;
                Ok(w)
            }
            Compressor::Snappy(s) => (*s).finish(),
        }
    }
}

impl<W: Write> Write for Compressor<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Compressor::Checked(w) => w.write(buf),
            Compressor::Gzip(w) => w.write(buf),
            Compressor::Snappy(w) => w.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Compressor::Checked(w) => w.write_all(buf),
            Compressor::Gzip(w) => w.write_all(buf),
            Compressor::Snappy(w) => w.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Compressor::Checked(w) => w.flush(),
            Compressor::Gzip(w) => w.flush(),
            Compressor::Snappy(w) => w.flush(),
        }
    }
}

/// `CheckedOutputStream(Adler32)` over a compressor: the checksum covers
/// the uncompressed bytes; [`seal`](Self::seal) writes it (`sealStream`).
#[derive(Debug)]
pub struct CheckedSink<W: Write> {
    out: Compressor<W>,
    adler: adler2::Adler32,
    written: u64,
}

impl<W: Write> CheckedSink<W> {
    /// A sink compressing into `out`.
    pub fn new(out: W, compression: SnapshotCompression) -> Self {
        CheckedSink {
            out: Compressor::new(out, compression),
            adler: adler2::Adler32::new(),
            written: 0,
        }
    }

    /// Writes uncompressed snapshot bytes.
    pub fn write_bytes(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.adler.write_slice(bytes);
        self.written += bytes.len() as u64;
        self.out.write_all(bytes)
    }

    /// The Adler32 of everything written so far, as Java's `long`.
    pub fn checksum(&self) -> i64 {
        i64::from(self.adler.checksum())
    }

    /// Uncompressed bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// `SnapStream.sealStream`: the checksum so far as a `long`, then the
    /// string "/" (both covered by later checksums).
    pub fn seal(&mut self) -> io::Result<()> {
        let mut seal = [0u8; 13];
        seal[..8].copy_from_slice(&self.checksum().to_be_bytes());
        seal[8..12].copy_from_slice(&1i32.to_be_bytes());
        seal[12] = b'/';
        self.write_bytes(&seal)
    }

    /// Ends the compressed stream and returns the writer.
    pub fn finish(self) -> io::Result<W> {
        self.out.finish()
    }
}

// ----- reading ---------------------------------------------------------------

/// `SnappyInputStream`, with its leniencies (see the module docs).
#[derive(Debug)]
pub struct SnappyJavaReader<R: Read> {
    input: R,
    block: Vec<u8>,
    pos: usize,
    finished: bool,
    decoder: snap::raw::Decoder,
    compressed: Vec<u8>,
}

fn read_up_to<R: Read>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn snappy_error(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

impl<R: Read> SnappyJavaReader<R> {
    /// Reads the header (`SnappyInputStream`'s constructor). An empty
    /// input is an error; input without the magic is one raw block.
    pub fn new(mut input: R) -> io::Result<Self> {
        let mut header = [0u8; SNAPPY_HEADER_SIZE];
        let n = read_up_to(&mut input, &mut header)?;
        if n == 0 {
            return Err(snappy_error("Cannot decompress empty stream"));
        }
        let mut reader = SnappyJavaReader {
            input,
            block: Vec::new(),
            pos: 0,
            finished: false,
            decoder: snap::raw::Decoder::new(),
            compressed: Vec::new(),
        };
        let prefix = n.min(SNAPPY_MAGIC.len());
        if n < SNAPPY_HEADER_SIZE || header[..prefix] != SNAPPY_MAGIC[..prefix] {
            // Not framed: the whole input is one raw block.
            let mut all = header[..n].to_vec();
            reader.input.read_to_end(&mut all)?;
            reader.finished = true;
            reader.block = reader.decode(&all)?;
        }
        Ok(reader)
    }

    fn decode(&mut self, compressed: &[u8]) -> io::Result<Vec<u8>> {
        let len = snap::raw::decompress_len(compressed).map_err(io::Error::other)?;
        // A Snappy block expands at most about 22 times (a 3-byte copy of
        // 64 bytes); refuse claims beyond that before allocating.
        if len > compressed.len().saturating_mul(32).saturating_add(64) {
            return Err(snappy_error(format!(
                "a snappy block of {} bytes claims {len} uncompressed bytes",
                compressed.len()
            )));
        }
        self.decoder
            .decompress_vec(compressed)
            .map_err(io::Error::other)
    }

    /// `hasNextChunk`: false at the end of the stream.
    fn next_block(&mut self) -> io::Result<bool> {
        loop {
            if self.finished {
                return Ok(false);
            }
            let mut len = [0u8; 4];
            if read_up_to(&mut self.input, &mut len)? < 4 {
                self.finished = true;
                return Ok(false);
            }
            if len == SNAPPY_MAGIC[..4] {
                // Another stream's header: go on if it is valid.
                let mut rest = [0u8; SNAPPY_HEADER_SIZE - 4];
                if read_up_to(&mut self.input, &mut rest)? < rest.len() {
                    return Err(snappy_error(
                        "Insufficient header size in a concatenated block",
                    ));
                }
                let version = i32::from_be_bytes([rest[4], rest[5], rest[6], rest[7]]);
                if rest[..4] != SNAPPY_MAGIC[4..] {
                    self.finished = true;
                    return Ok(false);
                }
                if version < SNAPPY_VERSION {
                    return Err(snappy_error(format!(
                        "Compressed with an incompatible codec version {version}"
                    )));
                }
                continue;
            }
            let chunk = i32::from_be_bytes(len);
            if chunk < 0 || chunk as usize > SNAPPY_MAX_CHUNK {
                return Err(snappy_error(format!("invalid snappy chunk size {chunk}")));
            }
            let chunk = chunk as usize;
            let mut compressed = std::mem::take(&mut self.compressed);
            compressed.resize(chunk, 0);
            let got = read_up_to(&mut self.input, &mut compressed)?;
            if got < chunk {
                return Err(snappy_error("failed to read chunk"));
            }
            let block = self.decode(&compressed);
            self.compressed = compressed;
            self.block = block?;
            self.pos = 0;
            if !self.block.is_empty() {
                return Ok(true);
            }
        }
    }
}

impl<R: Read> Read for SnappyJavaReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        while self.pos >= self.block.len() {
            if !self.next_block()? {
                return Ok(0);
            }
        }
        let n = (self.block.len() - self.pos).min(buf.len());
        buf[..n].copy_from_slice(&self.block[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// `GZIPInputStream`: members one after another; after a member, anything
/// that does not start like a gzip header is ignored (Java ignores
/// trailing garbage).
pub struct JavaGzReader<R: BufRead> {
    member: Option<GzDecoder<R>>,
}

impl<R: BufRead> JavaGzReader<R> {
    /// A reader of the gzip stream `input`.
    pub fn new(input: R) -> Self {
        JavaGzReader {
            member: Some(GzDecoder::new(input)),
        }
    }
}

impl<R: BufRead> Read for JavaGzReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            let Some(member) = self.member.as_mut() else {
                return Ok(0);
            };
            let n = member.read(buf)?;
            if n > 0 {
                return Ok(n);
            }
            // End of a member: another one follows only if a header does.
            let Some(mut input) = self.member.take().map(GzDecoder::into_inner) else {
                return Ok(0);
            };
            let next = input.fill_buf()?;
            if next.len() >= 3 && next[..2] == GZIP_MAGIC && next[2] == 8 {
                self.member = Some(GzDecoder::new(input));
            } else {
                return Ok(0);
            }
        }
    }
}

/// A decompressing reader for `compression`.
pub fn decompressor<'a, R: BufRead + Send + 'a>(
    input: R,
    compression: SnapshotCompression,
) -> io::Result<Box<dyn Read + Send + 'a>> {
    Ok(match compression {
        SnapshotCompression::Checked => Box::new(input),
        SnapshotCompression::Gzip => Box::new(JavaGzReader::new(input)),
        SnapshotCompression::Snappy => Box::new(SnappyJavaReader::new(input)?),
    })
}
