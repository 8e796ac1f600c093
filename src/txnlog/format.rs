//! The bytes of a log file and the names of the files (`FileTxnLog`,
//! `Util`, `FilePadding`).

use jute::persistence::FileHeader;
use jute::Record;

use crate::config::java;

/// `"ZKLG"` as a big-endian int.
pub const TXNLOG_MAGIC: i32 = 0x5A4B_4C47;
/// The log format version written in the header.
pub const TXNLOG_VERSION: i32 = 2;
/// Length of the file header: magic, version, dbid.
pub const FILE_HEADER_LEN: u64 = 16;
/// The byte after every record.
pub const END_OF_RECORD: u8 = b'B';
/// Bytes around a record's txn bytes: checksum, length, end-of-record.
pub const RECORD_OVERHEAD: u64 = 8 + 4 + 1;
/// `FilePadding` extends the file when the position comes this close to
/// its end.
pub const PADDING_MARGIN: i64 = 4096;

/// The prefix of log file names.
pub const LOG_FILE_PREFIX: &str = "log";
/// The prefix of snapshot file names.
pub const SNAPSHOT_FILE_PREFIX: &str = "snapshot";

/// The header Java writes: `ZKLG`, version 2, `dbid`.
pub fn file_header(dbid: i64) -> FileHeader {
    FileHeader {
        magic: TXNLOG_MAGIC,
        version: TXNLOG_VERSION,
        dbid,
    }
}

/// The header's 16 bytes.
pub fn file_header_bytes(dbid: i64) -> Vec<u8> {
    file_header(dbid).to_bytes()
}

/// Adler32 of the txn bytes, as Java's `Checksum.getValue()` returns it (a
/// non-negative long).
pub fn checksum(txn_bytes: &[u8]) -> i64 {
    i64::from(adler2::adler32_slice(txn_bytes))
}

/// Appends one record for `txn_bytes`: checksum, length, bytes, `'B'`.
pub fn encode_record(txn_bytes: &[u8], out: &mut Vec<u8>) {
    out.reserve(txn_bytes.len() + RECORD_OVERHEAD as usize);
    out.extend_from_slice(&checksum(txn_bytes).to_be_bytes());
    out.extend_from_slice(&(txn_bytes.len() as i32).to_be_bytes());
    out.extend_from_slice(txn_bytes);
    out.push(END_OF_RECORD);
}

/// `FilePadding.calculateFileSizeWithPadding`: the file size after padding
/// at `position` when the file is `file_size` long. Only when
/// preallocation is on and the position is within 4 KiB of the end does the
/// size grow: by one step, or (when the position is already past the end)
/// to the next multiple of the step above the position.
pub fn file_size_with_padding(position: i64, file_size: i64, prealloc_size: i64) -> i64 {
    if prealloc_size > 0 && position + PADDING_MARGIN >= file_size {
        if position > file_size {
            let size = position + prealloc_size;
            size - size % prealloc_size
        } else {
            file_size + prealloc_size
        }
    } else {
        file_size
    }
}

/// `Util.makeLogName`: `log.<Long.toHexString(zxid)>`.
pub fn log_file_name(zxid: i64) -> String {
    format!("{LOG_FILE_PREFIX}.{}", java::to_hex_string(zxid))
}

/// `Util.getZxidFromName`: the hex number after `<prefix>.` (the second of
/// the name's dot-separated parts), or −1 when the name has another prefix
/// or the part is not a hex long (`Long.parseLong(part, 16)`).
pub fn zxid_from_name(name: &str, prefix: &str) -> i64 {
    let parts = java::split(name, '.');
    if parts.len() >= 2 && parts[0] == prefix {
        java::parse_long_radix(parts[1], 16).unwrap_or(-1)
    } else {
        -1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_bytes() {
        assert_eq!(
            file_header_bytes(0),
            [0x5a, 0x4b, 0x4c, 0x47, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0]
        );
        assert_eq!(&TXNLOG_MAGIC.to_be_bytes(), b"ZKLG");
    }

    #[test]
    fn record_bytes() {
        let mut out = Vec::new();
        encode_record(b"abc", &mut out);
        // Adler32("abc") = 0x024d0127.
        assert_eq!(
            out,
            [0, 0, 0, 0, 0x02, 0x4d, 0x01, 0x27, 0, 0, 0, 3, b'a', b'b', b'c', b'B']
        );
        // The 32-bit value is zero-extended, never negative.
        assert!(checksum(&[0xff; 5000]) >= 0);
    }

    #[test]
    fn padding_follows_file_padding() {
        let step = 64 * 1024 * 1024;
        // A new file: the header is written, then the first append pads.
        assert_eq!(file_size_with_padding(16, 16, step), 16 + step);
        // Far from the end: no change.
        assert_eq!(file_size_with_padding(1000, 16 + step, step), 16 + step);
        // Within 4 KiB of the end: one more step.
        assert_eq!(
            file_size_with_padding(16 + step - 4096, 16 + step, step),
            16 + 2 * step
        );
        assert_eq!(
            file_size_with_padding(16 + step - 4097, 16 + step, step),
            16 + step
        );
        // Past the end: the next multiple above the position.
        assert_eq!(file_size_with_padding(step + 100, 16 + 50, step), 2 * step);
        // Off.
        assert_eq!(file_size_with_padding(16, 16, 0), 16);
        assert_eq!(file_size_with_padding(16, 16, -5), 16);
    }

    #[test]
    fn names() {
        assert_eq!(log_file_name(0x1_0000_0001), "log.100000001");
        assert_eq!(log_file_name(0), "log.0");
        assert_eq!(log_file_name(-1), "log.ffffffffffffffff");
        assert_eq!(zxid_from_name("log.100000001", "log"), 0x1_0000_0001);
        assert_eq!(zxid_from_name("log.1f.tmp", "log"), 0x1f);
        assert_eq!(zxid_from_name("log.1F", "log"), 0x1f);
        assert_eq!(zxid_from_name("log.-1f", "log"), -0x1f);
        assert_eq!(zxid_from_name("log.xyz", "log"), -1);
        assert_eq!(zxid_from_name("log.", "log"), -1);
        assert_eq!(zxid_from_name("log", "log"), -1);
        assert_eq!(zxid_from_name("log..5", "log"), -1);
        assert_eq!(zxid_from_name("snapshot.5", "log"), -1);
        assert_eq!(zxid_from_name("snapshot.5.gz", "snapshot"), 5);
        // Long.parseLong overflows on 2^64 − 1.
        assert_eq!(zxid_from_name("log.ffffffffffffffff", "log"), -1);
        assert_eq!(zxid_from_name(".log.5.tmp", "log"), -1);
    }
}
