//! Dumping a log file: the lines of Java's `TxnLogToolkit` (so the two can
//! be compared on the same file), one JSON object per txn, or a checksum
//! check reporting damage by file offset.
//!
//! Java's text format, per txn:
//!
//! ```text
//! <date> session 0x<hex> cxid 0x<hex> zxid 0x<hex> <type> <txn>
//! ```
//!
//! `<date>` is `DateFormat.getDateTimeInstance(SHORT, LONG)` in the JVM's
//! locale and time zone; rzk prints the en-US form in UTC (`11/22/26,
//! 5:24:02 AM UTC`, Java 17's CLDR patterns), which is what Java prints with
//! `-Duser.timezone=UTC -Duser.language=en -Duser.country=US`. `<txn>` is
//! `path,data,acl,ephemeral,parentCVersion` for creates, `path,data,version`
//! for setData and reconfig, `path,data,acl,parentCVersion[,ttl]` for
//! containers and TTL nodes, `type:data;type:data` for a multi (each
//! operation's raw bytes read as UTF-8), and the record's jute `toString()`
//! for the others, whose trailing newline ends the line. A record whose
//! checksum fails is printed twice, first after `CRC ERROR - `.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

use jute::txn::{MultiTxn, TxnHeader};
use jute::{Jute, Limits, Reader, Record, Reflect, Value};

use super::format::{self, TXNLOG_MAGIC};
use super::reader::{LogFileReader, OpenError, RawRecord, RecordRead, TailKind};
use crate::proto::op;
use crate::txn::{Txn, TxnBody, TxnError};

/// Java's `Request.op2String`.
pub fn op_name(op: i32) -> String {
    let name = match op {
        op::NOTIFICATION => "notification",
        op::CREATE => "create",
        op::DELETE => "delete",
        op::EXISTS => "exists",
        op::GET_DATA => "getData",
        op::SET_DATA => "setData",
        op::GET_ACL => "getACL",
        op::SET_ACL => "setACL",
        op::GET_CHILDREN => "getChildren",
        op::SYNC => "sync",
        op::PING => "ping",
        op::GET_CHILDREN2 => "getChildren2",
        op::CHECK => "check",
        op::MULTI => "multi",
        op::CREATE2 => "create2",
        op::RECONFIG => "reconfig",
        op::CHECK_WATCHES => "checkWatches",
        op::REMOVE_WATCHES => "removeWatches",
        op::CREATE_CONTAINER => "createContainer",
        op::DELETE_CONTAINER => "deleteContainer",
        op::CREATE_TTL => "createTTL",
        op::MULTI_READ => "multiRead",
        op::AUTH => "auth",
        op::SET_WATCHES => "setWatches",
        op::SET_WATCHES2 => "setWatches2",
        op::ADD_WATCH => "addWatch",
        op::SASL => "sasl",
        op::GET_EPHEMERALS => "getEphemerals",
        op::GET_ALL_CHILDREN_NUMBER => "getAllChildrenNumber",
        op::CREATE_SESSION => "createSession",
        op::CLOSE_SESSION => "closeSession",
        op::ERROR => "error",
        op::WHO_AM_I => "whoAmI",
        other => return format!("unknown {other}"),
    };
    name.to_string()
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour12: u32,
    minute: u32,
    second: u32,
    pm: bool,
}

fn civil(ms: i64) -> Civil {
    let secs = ms.div_euclid(1000);
    let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
    let in_day = secs.rem_euclid(86_400) as u32;
    let hour = in_day / 3600;
    Civil {
        year,
        month,
        day,
        hour12: if hour % 12 == 0 { 12 } else { hour % 12 },
        minute: in_day / 60 % 60,
        second: in_day % 60,
        pm: hour >= 12,
    }
}

/// `DateFormat.getDateTimeInstance(SHORT, LONG)` for en-US in UTC:
/// `M/d/yy, h:mm:ss a z`.
pub fn java_short_long_date(ms: i64) -> String {
    let c = civil(ms);
    format!(
        "{}/{}/{:02}, {}:{:02}:{:02} {} UTC",
        c.month,
        c.day,
        c.year.rem_euclid(100),
        c.hour12,
        c.minute,
        c.second,
        if c.pm { "PM" } else { "AM" }
    )
}

/// `DateFormat.getDateTimeInstance()` (MEDIUM, MEDIUM) for en-US in UTC:
/// `MMM d, y, h:mm:ss a`.
pub fn java_medium_date(ms: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let c = civil(ms);
    format!(
        "{} {}, {}, {}:{:02}:{:02} {}",
        MONTHS[(c.month - 1) as usize],
        c.day,
        c.year,
        c.hour12,
        c.minute,
        c.second,
        if c.pm { "PM" } else { "AM" }
    )
}

/// A jute record's `toString()` (Java's `ToStringOutputArchive`): fields
/// separated by commas, nested records as `s{…}`, vectors as `v{…}`,
/// strings as `'text` with `\0 \n \r , } %` escaped as `%XX` (null: empty),
/// buffers as `#` and `Integer.toHexString` of each signed byte, booleans
/// as `T`/`F`, and a newline at the end.
pub fn jute_to_string(record: &Value) -> String {
    let mut out = String::new();
    let mut first = true;
    render_to_string(record, true, &mut out, &mut first);
    out
}

fn comma_unless_first(out: &mut String, first: &mut bool) {
    if !*first {
        out.push(',');
    }
    *first = false;
}

fn render_to_string(value: &Value, top: bool, out: &mut String, first: &mut bool) {
    match value {
        Value::Record(fields) => {
            if !top {
                comma_unless_first(out, first);
                out.push_str("s{");
                *first = true;
            }
            for (_, field) in fields {
                render_to_string(field, false, out, first);
            }
            if top {
                out.push('\n');
                *first = true;
            } else {
                out.push('}');
                *first = false;
            }
        }
        Value::Vector(items) => {
            comma_unless_first(out, first);
            out.push_str("v{");
            *first = true;
            for item in items.iter().flatten() {
                render_to_string(item, false, out, first);
            }
            out.push('}');
            *first = false;
        }
        Value::Byte(v) => {
            comma_unless_first(out, first);
            let _ = write!(out, "{v}");
        }
        Value::Int(v) => {
            comma_unless_first(out, first);
            let _ = write!(out, "{v}");
        }
        Value::Long(v) => {
            comma_unless_first(out, first);
            let _ = write!(out, "{v}");
        }
        Value::Float(v) => {
            comma_unless_first(out, first);
            let _ = write!(out, "{v:?}");
        }
        Value::Double(v) => {
            comma_unless_first(out, first);
            let _ = write!(out, "{v:?}");
        }
        Value::Boolean(v) => {
            comma_unless_first(out, first);
            out.push(if *v { 'T' } else { 'F' });
        }
        Value::String(s) => {
            comma_unless_first(out, first);
            if let Some(s) = s {
                out.push('\'');
                for c in s.chars() {
                    match c {
                        '\0' => out.push_str("%00"),
                        '\n' => out.push_str("%0A"),
                        '\r' => out.push_str("%0D"),
                        ',' => out.push_str("%2C"),
                        '}' => out.push_str("%7D"),
                        '%' => out.push_str("%25"),
                        c => out.push(c),
                    }
                }
            }
        }
        Value::Buffer(b) => {
            comma_unless_first(out, first);
            if let Some(b) = b.as_ref().filter(|b| !b.is_empty()) {
                out.push('#');
                for &byte in b.iter() {
                    let _ = write!(out, "{:x}", i32::from(byte as i8) as u32);
                }
            }
        }
    }
}

/// Java's `new String(data, UTF_8)` of a buffer, empty for null.
fn utf8(data: &Option<bytes::Bytes>) -> String {
    data.as_deref()
        .map(jute::archive::decode_utf8_like_java)
        .unwrap_or_default()
}

/// `String.valueOf` of a nullable string.
fn or_null(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("null")
}

/// `List.toString()` of an ACL list (each ACL's `toString()` ends with a
/// newline).
fn acl_list(acl: &Option<Vec<jute::data::ACL>>) -> String {
    match acl {
        None => "null".into(),
        Some(list) => {
            let items: Vec<String> = list.iter().map(|a| jute_to_string(&a.to_value())).collect();
            format!("[{}]", items.join(", "))
        }
    }
}

/// The `<txn>` part of a line, as `TxnLogToolkit.getFormattedTxnStr`.
fn formatted_body(bytes: &[u8], header: &TxnHeader, limits: Limits) -> Result<String, TxnError> {
    if header.r#type == op::MULTI {
        // The toolkit prints each operation's raw bytes.
        let mut reader = Reader::new(bytes, limits);
        TxnHeader::read_from(&mut reader)?;
        let multi = MultiTxn::read_from(&mut reader)?;
        let parts: Vec<String> = multi
            .txns
            .unwrap_or_default()
            .iter()
            .map(|t| format!("{}:{}", op_name(t.r#type), utf8(&t.data)))
            .collect();
        return Ok(parts.join(";"));
    }
    let txn = Txn::decode(bytes, limits, false)?;
    Ok(match &txn.body {
        TxnBody::Create(c) | TxnBody::Create2(c) => format!(
            "{},{},{},{},{}",
            or_null(&c.path),
            utf8(&c.data),
            acl_list(&c.acl),
            c.ephemeral,
            c.parent_c_version
        ),
        TxnBody::SetData(s) | TxnBody::Reconfig(s) => {
            format!("{},{},{}", or_null(&s.path), utf8(&s.data), s.version)
        }
        TxnBody::CreateContainer(c) => format!(
            "{},{},{},{}",
            or_null(&c.path),
            utf8(&c.data),
            acl_list(&c.acl),
            c.parent_c_version
        ),
        TxnBody::CreateTtl(c) => format!(
            "{},{},{},{},{}",
            or_null(&c.path),
            utf8(&c.data),
            acl_list(&c.acl),
            c.parent_c_version,
            c.ttl
        ),
        TxnBody::CloseSession(None) => String::new(),
        other => body_value(other)
            .map(|v| jute_to_string(&v))
            .unwrap_or_default(),
    })
}

/// The record of a body as a [`Value`] (`None` for a body-less
/// closeSession; a multi as `{txns: [{type, op, txn}]}`).
pub fn body_value(body: &TxnBody) -> Option<Value> {
    Some(match body {
        TxnBody::CreateSession(t) => t.to_value(),
        TxnBody::CloseSession(t) => return t.as_ref().map(Reflect::to_value),
        TxnBody::Create(t) | TxnBody::Create2(t) => t.to_value(),
        TxnBody::CreateContainer(t) => t.to_value(),
        TxnBody::CreateTtl(t) => t.to_value(),
        TxnBody::Delete(t) | TxnBody::DeleteContainer(t) => t.to_value(),
        TxnBody::SetData(t) | TxnBody::Reconfig(t) => t.to_value(),
        TxnBody::SetAcl(t) => t.to_value(),
        TxnBody::Check(t) => t.to_value(),
        TxnBody::Error(t) => t.to_value(),
        TxnBody::Multi(ops) => Value::Record(vec![(
            "txns".into(),
            Value::Vector(Some(
                ops.iter()
                    .map(|op| {
                        Value::Record(vec![
                            ("type".into(), Value::String(Some(op_name(op.op())))),
                            ("op".into(), Value::Int(op.op())),
                            (
                                "txn".into(),
                                body_value(op).unwrap_or(Value::Record(vec![])),
                            ),
                        ])
                    })
                    .collect(),
            )),
        )]),
    })
}

/// The line `TxnLogToolkit` prints for txn bytes, with its final newline
/// (the jute `toString()` of most bodies supplies it).
pub fn java_txn_line(bytes: &[u8], limits: Limits) -> Result<String, TxnError> {
    let header = jute::txn::TxnHeader::decode(bytes, limits)?;
    let body = formatted_body(bytes, &header, limits)?;
    let mut line = format!(
        "{} session 0x{:x} cxid 0x{:x} zxid 0x{:x} {} {}",
        java_short_long_date(header.time),
        header.client_id,
        i64::from(header.cxid),
        header.zxid,
        op_name(header.r#type),
        body
    );
    if !line.ends_with('\n') {
        line.push('\n');
    }
    Ok(line)
}

/// Appends `s` as a JSON string.
fn json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Appends a [`Value`] as JSON: records as objects, vectors as arrays,
/// buffers as hex strings, null strings/buffers/vectors as `null`.
pub fn json_value(out: &mut String, value: &Value) {
    match value {
        Value::Record(fields) => {
            out.push('{');
            for (i, (name, field)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_string(out, name);
                out.push(':');
                json_value(out, field);
            }
            out.push('}');
        }
        Value::Vector(None) | Value::String(None) | Value::Buffer(None) => out.push_str("null"),
        Value::Vector(Some(items)) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_value(out, item);
            }
            out.push(']');
        }
        Value::String(Some(s)) => json_string(out, s),
        Value::Buffer(Some(b)) => json_string(out, &jute::value::hex(b)),
        Value::Byte(v) => {
            let _ = write!(out, "{v}");
        }
        Value::Int(v) => {
            let _ = write!(out, "{v}");
        }
        Value::Long(v) => {
            let _ = write!(out, "{v}");
        }
        Value::Float(v) if v.is_finite() => {
            let _ = write!(out, "{v}");
        }
        Value::Double(v) if v.is_finite() => {
            let _ = write!(out, "{v}");
        }
        Value::Float(_) | Value::Double(_) => out.push_str("null"),
        Value::Boolean(v) => out.push_str(if *v { "true" } else { "false" }),
    }
}

/// One txn as a JSON object (no newline).
pub fn json_txn(record: &RawRecord, limits: Limits) -> String {
    let mut out = String::from("{");
    let _ = write!(
        out,
        "\"offset\":{},\"length\":{},\"checksum\":\"{:#x}\",\"checksum_ok\":{}",
        record.offset,
        record.bytes.len(),
        record.stored_checksum,
        record.checksum_ok()
    );
    match Txn::decode(&record.bytes, limits, true) {
        Ok(txn) => {
            let h = &txn.header;
            let _ = write!(
                out,
                ",\"session\":\"{:#x}\",\"cxid\":{},\"zxid\":\"{:#x}\",\"time\":{},\"type\":",
                h.client_id, h.cxid, h.zxid, h.time
            );
            json_string(&mut out, &op_name(h.r#type));
            let _ = write!(out, ",\"op\":{},\"txn\":", h.r#type);
            match body_value(&txn.body) {
                Some(v) => json_value(&mut out, &v),
                None => out.push_str("null"),
            }
            out.push_str(",\"digest\":");
            match &txn.digest {
                Some(d) => json_value(&mut out, &d.to_value()),
                None => out.push_str("null"),
            }
        }
        Err(e) => {
            out.push_str(",\"error\":");
            json_string(&mut out, &e.to_string());
            out.push_str(",\"bytes\":");
            json_string(&mut out, &jute::value::hex(&record.bytes));
        }
    }
    out.push('}');
    out
}

/// How to dump.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DumpMode {
    /// `TxnLogToolkit`'s lines.
    #[default]
    Java,
    /// One JSON object per txn.
    Json,
    /// No per-txn output: only the damage and a summary.
    Verify,
}

/// Something wrong found in a file, by offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Damage {
    /// The stored Adler32 does not match.
    ChecksumMismatch {
        offset: u64,
        zxid: Option<i64>,
        stored: i64,
        computed: i64,
    },
    /// The txn bytes do not decode.
    BadTxn { offset: u64, error: String },
    /// A length of −1 or beyond the jute limits.
    BadLength { offset: u64, len: i32 },
}

impl std::fmt::Display for Damage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Damage::ChecksumMismatch {
                offset,
                zxid,
                stored,
                computed,
            } => {
                write!(f, "checksum mismatch in the record at offset {offset}")?;
                if let Some(zxid) = zxid {
                    write!(f, " (zxid {zxid:#x})")?;
                }
                write!(f, ": stored {stored:#x}, computed {computed:#x}")
            }
            Damage::BadTxn { offset, error } => {
                write!(
                    f,
                    "undecodable txn in the record at offset {offset}: {error}"
                )
            }
            Damage::BadLength { offset, len } => {
                write!(
                    f,
                    "unreasonable length {len} in the record at offset {offset}"
                )
            }
        }
    }
}

/// What a dump found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpSummary {
    /// Whole records read.
    pub txns: u64,
    /// Where the records ended, and why.
    pub end_offset: u64,
    pub end: TailKind,
    pub damage: Vec<Damage>,
}

/// Why a dump stopped early.
#[derive(Debug)]
pub enum DumpError {
    /// Java's exit code 2: "Invalid magic number for <name>".
    BadMagic(String),
    /// A file shorter than its header.
    Short(u64),
    /// Java's "Last transaction was partial." (exit code 1), after the
    /// records so far.
    Partial(DumpSummary),
    /// A record that cannot be printed (Java fails with an exception).
    Fatal(String, DumpSummary),
    Io(io::Error),
}

impl From<io::Error> for DumpError {
    fn from(e: io::Error) -> Self {
        DumpError::Io(e)
    }
}

/// Dumps the log file at `path` to `out` (damage and notes go to `notes`).
pub fn dump_file(
    path: &Path,
    mode: DumpMode,
    limits: Limits,
    out: &mut dyn Write,
    notes: &mut dyn Write,
) -> Result<DumpSummary, DumpError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Java reads the header with the jute archive; only the magic counts.
    let (mut reader, header) = match LogFileReader::open(path, limits) {
        Ok(opened) => opened,
        Err(OpenError::Short { len }) => return Err(DumpError::Short(len)),
        Err(OpenError::Other(super::TxnLogError::BadMagic { .. })) => {
            return Err(DumpError::BadMagic(name))
        }
        Err(OpenError::Other(super::TxnLogError::Io { source, .. })) => {
            return Err(DumpError::Io(source))
        }
        Err(OpenError::Other(e)) => return Err(DumpError::Io(io::Error::other(e.to_string()))),
    };
    debug_assert_eq!(header.magic, TXNLOG_MAGIC);
    if mode == DumpMode::Java {
        writeln!(
            out,
            "ZooKeeper Transactional Log File with dbid {} txnlog format version {}",
            header.dbid, header.version
        )?;
    }
    let mut summary = DumpSummary {
        txns: 0,
        end_offset: format::FILE_HEADER_LEN,
        end: TailKind::EndOfFile,
        damage: Vec::new(),
    };
    loop {
        let record = match reader.next_record() {
            Ok(RecordRead::End { offset, kind }) => {
                summary.end_offset = offset;
                summary.end = kind;
                break;
            }
            Ok(RecordRead::Record(record)) => record,
            Err(super::TxnLogError::BadLength { offset, len, .. }) => {
                let damage = Damage::BadLength { offset, len };
                writeln!(notes, "{name}: {damage}")?;
                summary.damage.push(damage);
                summary.end_offset = offset;
                return Err(DumpError::Fatal(
                    format!("unreasonable length {len} at offset {offset}"),
                    summary,
                ));
            }
            Err(e) => return Err(DumpError::Io(io::Error::other(e.to_string()))),
        };
        if !record.checksum_ok() {
            let zxid = TxnHeader::decode(&record.bytes, limits)
                .ok()
                .map(|h| h.zxid);
            let damage = Damage::ChecksumMismatch {
                offset: record.offset,
                zxid,
                stored: record.stored_checksum,
                computed: record.computed_checksum(),
            };
            writeln!(notes, "{name}: {damage}")?;
            summary.damage.push(damage);
        }
        match mode {
            DumpMode::Java => match java_txn_line(&record.bytes, limits) {
                Ok(line) => {
                    if !record.checksum_ok() {
                        write!(out, "CRC ERROR - {line}")?;
                    }
                    write!(out, "{line}")?;
                }
                Err(e) => {
                    let damage = Damage::BadTxn {
                        offset: record.offset,
                        error: e.to_string(),
                    };
                    writeln!(notes, "{name}: {damage}")?;
                    summary.damage.push(damage);
                    summary.end_offset = record.offset;
                    return Err(DumpError::Fatal(
                        format!("cannot decode the txn at offset {}: {e}", record.offset),
                        summary,
                    ));
                }
            },
            DumpMode::Json => writeln!(out, "{}", json_txn(&record, limits))?,
            DumpMode::Verify => {
                if let Err(e) = Txn::decode(&record.bytes, limits, true) {
                    let damage = Damage::BadTxn {
                        offset: record.offset,
                        error: e.to_string(),
                    };
                    writeln!(notes, "{name}: {damage}")?;
                    summary.damage.push(damage);
                }
            }
        }
        if !record.complete() {
            summary.end_offset = record.offset;
            summary.end = match record.end_of_record {
                None => TailKind::Torn,
                Some(_) => TailKind::MissingEndOfRecord,
            };
            return Err(DumpError::Partial(summary));
        }
        summary.txns += 1;
        summary.end_offset = record.end_offset();
    }
    if mode == DumpMode::Java {
        writeln!(out, "EOF reached after {} txns.", summary.txns)?;
    }
    Ok(summary)
}

/// Opens and dumps `path` to stdout/stderr.
pub fn dump_path(path: &Path, mode: DumpMode, limits: Limits) -> Result<DumpSummary, DumpError> {
    File::open(path)?;
    let stdout = io::stdout();
    let stderr = io::stderr();
    let mut out = io::BufWriter::new(stdout.lock());
    let result = dump_file(path, mode, limits, &mut out, &mut stderr.lock());
    out.flush()?;
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use jute::data::{Id, ACL};

    #[test]
    fn dates_like_java_in_utc() {
        // Checked against Java 17 (en-US, UTC) on a log written in 2026.
        assert_eq!(
            java_short_long_date(1_795_324_642_000),
            "11/22/26, 5:17:22 AM UTC"
        );
        assert_eq!(java_short_long_date(0), "1/1/70, 12:00:00 AM UTC");
        assert_eq!(java_short_long_date(43_200_000), "1/1/70, 12:00:00 PM UTC");
        assert_eq!(java_short_long_date(-1), "12/31/69, 11:59:59 PM UTC");
        assert_eq!(
            java_medium_date(951_782_400_000),
            "Feb 29, 2000, 12:00:00 AM"
        );
    }

    #[test]
    fn jute_to_string_like_java() {
        let acl = ACL {
            perms: 31,
            id: Id {
                scheme: Some("world".into()),
                id: Some("anyone".into()),
            },
        };
        assert_eq!(jute_to_string(&acl.to_value()), "31,s{'world,'anyone}\n");
        let set_acl = jute::txn::SetACLTxn {
            path: Some("/a,b}%\n".into()),
            acl: Some(vec![acl.clone(), acl]),
            version: 3,
        };
        assert_eq!(
            jute_to_string(&set_acl.to_value()),
            "'/a%2Cb%7D%25%0A,v{s{31,s{'world,'anyone}},s{31,s{'world,'anyone}}},3\n"
        );
        let close = jute::txn::CloseSessionTxn {
            paths2_delete: None,
        };
        assert_eq!(jute_to_string(&close.to_value()), "v{}\n");
        let data = jute::txn::SetDataTxn {
            path: None,
            data: Some(bytes::Bytes::from_static(&[0x00, 0x0a, 0x7f, 0x80, 0xff])),
            version: -1,
        };
        assert_eq!(
            jute_to_string(&data.to_value()),
            ",#0a7fffffff80ffffffff,-1\n"
        );
    }

    #[test]
    fn op_names_are_javas() {
        assert_eq!(op_name(op::CREATE_TTL), "createTTL");
        assert_eq!(op_name(op::CLOSE_SESSION), "closeSession");
        assert_eq!(op_name(99), "unknown 99");
    }

    #[test]
    fn json_strings_escape() {
        let mut out = String::new();
        json_value(
            &mut out,
            &Value::Record(vec![
                ("s".into(), Value::String(Some("a\"\\\n\u{1}é".into()))),
                (
                    "b".into(),
                    Value::Buffer(Some(bytes::Bytes::from_static(b"\x01\xff"))),
                ),
                ("v".into(), Value::Vector(None)),
                ("z".into(), Value::Boolean(true)),
            ]),
        );
        assert_eq!(
            out,
            r#"{"s":"a\"\\\n\u0001é","b":"01ff","v":null,"z":true}"#
        );
    }
}
