//! Tests of the log as a whole: writing and reading back, torn tails at
//! every offset, preallocation, rolling, TRUNC, the empty-tail rule, the
//! group-commit stage.

use std::fs::{self, OpenOptions};
use std::path::Path;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use jute::data::{Id, ACL};
use jute::txn::{
    CheckVersionTxn, CloseSessionTxn, CreateContainerTxn, CreateSessionTxn, CreateTTLTxn,
    CreateTxn, DeleteTxn, SetACLTxn, SetDataTxn, TxnDigest,
};
use jute::Limits;
use proptest::prelude::*;

use super::format::{self, FILE_HEADER_LEN};
use super::reader::{self, ReadOptions, TailKind};
use super::stage::{LogEvent, LogStage, LogStageSettings, SnapshotPolicy};
use super::writer::TxnLogWriter;
use super::{TxnLogError, TxnLogSettings};
use crate::txn::{header, Txn, TxnBody};

fn acl() -> Option<Vec<ACL>> {
    Some(vec![ACL {
        perms: 31,
        id: Id {
            scheme: Some("world".into()),
            id: Some("anyone".into()),
        },
    }])
}

fn create(path: &str, data: &[u8]) -> CreateTxn {
    CreateTxn {
        path: Some(path.into()),
        data: Some(Bytes::copy_from_slice(data)),
        acl: acl(),
        ephemeral: false,
        parent_c_version: 1,
    }
}

/// A txn of each kind in turn, with zxid `zxid`.
fn sample_txn(zxid: i64) -> Txn {
    let path = format!("/n{zxid}");
    let body = match zxid % 12 {
        0 => TxnBody::CreateSession(CreateSessionTxn { time_out: 30000 }),
        1 => TxnBody::Create(create(&path, b"data")),
        2 => TxnBody::Create2(create(&path, b"")),
        3 => TxnBody::SetData(SetDataTxn {
            path: Some(path),
            data: Some(Bytes::from_static(b"new")),
            version: 2,
        }),
        4 => TxnBody::Delete(DeleteTxn { path: Some(path) }),
        5 => TxnBody::error(-110),
        6 => TxnBody::CloseSession(Some(CloseSessionTxn {
            paths2_delete: Some(vec!["/e1".into(), "/e2".into()]),
        })),
        7 => TxnBody::CreateContainer(CreateContainerTxn {
            path: Some(path),
            data: None,
            acl: acl(),
            parent_c_version: 4,
        }),
        8 => TxnBody::CreateTtl(CreateTTLTxn {
            path: Some(path),
            data: Some(Bytes::from_static(b"t")),
            acl: acl(),
            parent_c_version: 5,
            ttl: 60_000,
        }),
        9 => TxnBody::SetAcl(SetACLTxn {
            path: Some(path),
            acl: acl(),
            version: 1,
        }),
        10 => TxnBody::Multi(vec![
            TxnBody::Create(create(&path, b"m")),
            TxnBody::Check(CheckVersionTxn {
                path: Some(path.clone()),
                version: 0,
            }),
            TxnBody::Delete(DeleteTxn { path: Some(path) }),
        ]),
        _ => TxnBody::DeleteContainer(DeleteTxn { path: Some(path) }),
    };
    Txn {
        header: header(
            0x1000_0000_0000 + zxid % 3,
            zxid as i32,
            zxid,
            1_700_000_000_000 + zxid,
            body.op(),
        ),
        body,
        digest: Some(TxnDigest {
            version: 2,
            tree_digest: zxid * 7919,
        }),
    }
}

fn settings() -> TxnLogSettings {
    TxnLogSettings {
        // Small steps keep the files small; the arithmetic is the same.
        prealloc_size: 4096,
        force_sync: false,
        ..TxnLogSettings::default()
    }
}

fn write_log(dir: &Path, txns: &[Txn], settings: TxnLogSettings) {
    let mut writer = TxnLogWriter::open(dir, settings).unwrap();
    for txn in txns {
        writer.append(txn).unwrap();
        writer.commit().unwrap();
    }
    writer.close().unwrap();
}

fn read_all(dir: &Path, from: i64) -> Vec<Txn> {
    reader::read_from(dir, from, ReadOptions::default())
        .unwrap()
        .map(|t| t.unwrap().txn)
        .collect()
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_new_file_is_preallocated_like_java() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = TxnLogWriter::open(
        dir.path(),
        TxnLogSettings {
            force_sync: false,
            ..TxnLogSettings::default()
        },
    )
    .unwrap();
    writer.append(&sample_txn(1)).unwrap();
    writer.commit().unwrap();
    let path = dir.path().join("log.1");
    // Java's first file: 64 MiB + 16 (checked against a 3.9.5 server's).
    assert_eq!(fs::metadata(&path).unwrap().len(), 64 * 1024 * 1024 + 16);
    assert_eq!(writer.current_log_size(), 64 * 1024 * 1024 + 16);
    let bytes = fs::read(&path).unwrap();
    assert_eq!(&bytes[..16], &format::file_header_bytes(0)[..]);
    let mut record = Vec::new();
    format::encode_record(&sample_txn(1).to_bytes(), &mut record);
    assert_eq!(&bytes[16..16 + record.len()], &record[..]);
    assert!(bytes[16 + record.len()..].iter().all(|&b| b == 0));
    drop(writer);
    assert_eq!(read_all(dir.path(), 0), vec![sample_txn(1)]);
}

#[test]
fn padding_grows_in_steps_from_the_committed_position() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = TxnLogWriter::open(dir.path(), settings()).unwrap();
    let mut sizes = Vec::new();
    for zxid in 1..=200 {
        writer.append(&sample_txn(zxid)).unwrap();
        writer.commit().unwrap();
        sizes.push(fs::metadata(dir.path().join("log.1")).unwrap().len() as i64);
    }
    // The file size is always the header plus whole steps until records
    // pass a step within a batch, and never less than what was written.
    let mut model_padded = 16i64;
    let mut position = 16i64;
    for (i, zxid) in (1..=200).enumerate() {
        model_padded = format::file_size_with_padding(position, model_padded, 4096);
        position += sample_txn(zxid).to_bytes().len() as i64 + 13;
        assert_eq!(sizes[i], model_padded.max(position), "after zxid {zxid}");
    }
    drop(writer);
    assert_eq!(read_all(dir.path(), 0).len(), 200);
}

#[test]
fn a_big_batch_past_the_preallocation_is_not_clobbered_by_padding() {
    // Records written beyond the preallocated end within one batch, then a
    // padding step whose zero byte would land inside them in Java.
    let dir = tempfile::tempdir().unwrap();
    let mut writer = TxnLogWriter::open(dir.path(), settings()).unwrap();
    let big = |zxid: i64| Txn {
        header: header(1, 1, zxid, 1, crate::proto::op::SET_DATA),
        body: TxnBody::SetData(SetDataTxn {
            path: Some("/big".into()),
            data: Some(Bytes::from(vec![0x5a; 700_000])),
            version: 1,
        }),
        digest: None,
    };
    for zxid in 1..=3 {
        writer.append(&big(zxid)).unwrap();
    }
    writer.commit().unwrap();
    for zxid in 4..=6 {
        writer.append(&big(zxid)).unwrap();
    }
    writer.commit().unwrap();
    drop(writer);
    let txns = read_all(dir.path(), 0);
    assert_eq!(txns.len(), 6);
    assert!(txns.iter().zip(1..).all(|(t, z)| *t == big(z)));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Random sequences with random batching and rolling read back equal,
    /// from any starting zxid.
    #[test]
    fn written_txns_read_back_equal(
        kinds in proptest::collection::vec(0i64..12, 1..60),
        commits in proptest::collection::vec(any::<bool>(), 60),
        rolls in proptest::collection::vec(0u8..10, 60),
        from in 0i64..70,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = TxnLogWriter::open(dir.path(), settings()).unwrap();
        let mut txns = Vec::new();
        for (i, kind) in kinds.iter().enumerate() {
            let zxid = i as i64 + 1;
            let mut txn = sample_txn(zxid * 12 + kind);
            txn.header.zxid = zxid;
            writer.append(&txn).unwrap();
            txns.push(txn);
            if commits[i] {
                writer.commit().unwrap();
            }
            if rolls[i] == 0 {
                writer.roll().unwrap();
            }
        }
        writer.close().unwrap();
        prop_assert_eq!(read_all(dir.path(), 0), txns.clone());
        let expected: Vec<Txn> = txns.iter().filter(|t| t.zxid() >= from).cloned().collect();
        prop_assert_eq!(read_all(dir.path(), from), expected);
        prop_assert_eq!(
            reader::last_logged_zxid(dir.path(), ReadOptions::default()),
            txns.len() as i64
        );
    }
}

#[test]
fn a_tail_cut_at_every_offset_recovers_to_the_last_whole_record() {
    let dir = tempfile::tempdir().unwrap();
    let txns: Vec<Txn> = (4..=9).map(sample_txn).collect();
    write_log(
        dir.path(),
        &txns,
        TxnLogSettings {
            prealloc_size: 0,
            ..settings()
        },
    );
    let path = dir.path().join("log.4");
    let full = fs::read(&path).unwrap();
    // Where each record ends.
    let mut ends = Vec::new();
    let mut pos = FILE_HEADER_LEN as usize;
    for txn in &txns {
        pos += txn.to_bytes().len() + 13;
        ends.push(pos);
    }
    assert_eq!(pos, full.len());
    for cut in FILE_HEADER_LEN as usize..=full.len() {
        for zero_fill in [false, true] {
            let mut bytes = full[..cut].to_vec();
            if zero_fill {
                // The rest preallocated: zeros.
                bytes.resize(full.len() + 100, 0);
            }
            fs::write(&path, &bytes).unwrap();
            let whole = ends.iter().filter(|&&end| end <= cut).count();
            let mut iter = reader::read_from(dir.path(), 0, ReadOptions::default()).unwrap();
            let read: Vec<Txn> = iter.by_ref().map(|t| t.unwrap().txn).collect();
            assert_eq!(
                read,
                txns[..whole].to_vec(),
                "cut at {cut}, zeros {zero_fill}"
            );
            let tail = &iter.tails()[0];
            let boundary = if whole == 0 { 16 } else { ends[whole - 1] };
            assert_eq!(tail.offset as usize, boundary, "cut at {cut}");
            let expected = match (cut == boundary, zero_fill) {
                (true, false) => vec![TailKind::EndOfFile],
                (true, true) => vec![TailKind::ZeroLength],
                (false, false) => vec![TailKind::Torn],
                // The zeros complete the cut record: a zero length, or
                // bytes without their 'B'; never a txn or a checksum error.
                (false, true) => vec![TailKind::ZeroLength, TailKind::MissingEndOfRecord],
            };
            assert!(
                expected.contains(&tail.kind),
                "cut at {cut}, zeros {zero_fill}: {:?}",
                tail.kind
            );
        }
    }
}

#[test]
fn torn_tails_with_zeros_are_never_read_as_txns() {
    // A record cut inside its txn bytes with zeros after it: the zeros fill
    // the bytes, the 'B' is missing, and the record is not returned.
    let dir = tempfile::tempdir().unwrap();
    let txns: Vec<Txn> = (1..=3).map(sample_txn).collect();
    write_log(dir.path(), &txns, settings());
    let path = dir.path().join("log.1");
    let mut bytes = fs::read(&path).unwrap();
    let last_start = 16
        + txns[..2]
            .iter()
            .map(|t| t.to_bytes().len() + 13)
            .sum::<usize>();
    for b in &mut bytes[last_start + 20..] {
        *b = 0;
    }
    fs::write(&path, &bytes).unwrap();
    let mut iter = reader::read_from(dir.path(), 0, ReadOptions::default()).unwrap();
    let read: Vec<Txn> = iter.by_ref().map(|t| t.unwrap().txn).collect();
    assert_eq!(read, txns[..2].to_vec());
    assert_eq!(iter.tails()[0].kind, TailKind::MissingEndOfRecord);
}

#[test]
fn a_checksum_mismatch_is_fatal_with_its_offset() {
    let dir = tempfile::tempdir().unwrap();
    let txns: Vec<Txn> = (1..=5).map(sample_txn).collect();
    write_log(dir.path(), &txns, settings());
    let path = dir.path().join("log.1");
    let mut bytes = fs::read(&path).unwrap();
    let third = 16
        + txns[..2]
            .iter()
            .map(|t| t.to_bytes().len() + 13)
            .sum::<usize>();
    bytes[third + 12 + 40] ^= 1;
    fs::write(&path, &bytes).unwrap();
    let results: Vec<_> = reader::read_from(dir.path(), 0, ReadOptions::default())
        .unwrap()
        .collect();
    assert_eq!(results.len(), 3);
    assert!(results[0].is_ok() && results[1].is_ok());
    match &results[2] {
        Err(TxnLogError::ChecksumMismatch { offset, .. }) => assert_eq!(*offset, third as u64),
        other => panic!("{other:?}"),
    }
    // The last logged zxid stops there, with a warning, as Java's does.
    assert_eq!(
        reader::last_logged_zxid(dir.path(), ReadOptions::default()),
        2
    );
}

#[test]
fn bad_lengths_and_types_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.1");
    let mut bytes = format::file_header_bytes(0);
    bytes.extend_from_slice(&0i64.to_be_bytes());
    bytes.extend_from_slice(&(-1i32).to_be_bytes());
    fs::write(&path, &bytes).unwrap();
    let err = read_all_result(dir.path());
    assert!(
        matches!(
            err,
            Err(TxnLogError::BadLength {
                len: -1,
                offset: 16,
                ..
            })
        ),
        "{err:?}"
    );
    // An unknown txn type with a good checksum.
    let mut txn = header(1, 1, 1, 1, 4).to_bytes_vec();
    txn.extend_from_slice(&[0; 4]);
    let mut bytes = format::file_header_bytes(0);
    format::encode_record(&txn, &mut bytes);
    fs::write(&path, &bytes).unwrap();
    assert!(matches!(
        read_all_result(dir.path()),
        Err(TxnLogError::BadTxn { .. })
    ));
    // A bad magic number.
    fs::write(&path, [0u8; 40]).unwrap();
    assert!(matches!(
        read_all_result(dir.path()),
        Err(TxnLogError::BadMagic { .. })
    ));
}

trait ToBytesVec {
    fn to_bytes_vec(&self) -> Vec<u8>;
}

impl ToBytesVec for jute::txn::TxnHeader {
    fn to_bytes_vec(&self) -> Vec<u8> {
        jute::Record::to_bytes(self)
    }
}

fn read_all_result(dir: &Path) -> Result<Vec<Txn>, TxnLogError> {
    reader::read_from(dir, 0, ReadOptions::default())?
        .map(|t| t.map(|t| t.txn))
        .collect()
}

#[test]
fn reading_from_a_zxid_picks_files_like_java() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = TxnLogWriter::open(dir.path(), settings()).unwrap();
    for zxid in 1..=30 {
        writer.append(&sample_txn(zxid)).unwrap();
        writer.commit().unwrap();
        if zxid % 10 == 0 {
            writer.roll().unwrap();
        }
    }
    writer.close().unwrap();
    assert_eq!(names(dir.path()), ["log.1", "log.15", "log.b"]);
    let files = reader::list_log_files(dir.path()).unwrap();
    assert_eq!(
        files.iter().map(|f| f.zxid).collect::<Vec<_>>(),
        [0x1, 0xb, 0x15]
    );
    let picked = |z| {
        reader::files_from(&files, z)
            .iter()
            .map(|f| f.zxid)
            .collect::<Vec<_>>()
    };
    assert_eq!(picked(0), [0x1, 0xb, 0x15]);
    // The last file named before the zxid may hold it: Java reads it.
    assert_eq!(picked(0xb), [0x1, 0xb, 0x15]);
    assert_eq!(picked(0xc), [0xb, 0x15]);
    assert_eq!(picked(0x100), [0x15]);
    for from in [0, 1, 5, 10, 11, 12, 21, 30, 31] {
        let read: Vec<i64> = read_all(dir.path(), from).iter().map(Txn::zxid).collect();
        let expected: Vec<i64> = (from.max(1)..=30).collect();
        assert_eq!(read, expected, "from {from}");
    }
    // Foreign names are not logs.
    fs::write(dir.path().join("log.zz"), b"x").unwrap();
    fs::write(dir.path().join("snapshot.5"), b"x").unwrap();
    assert_eq!(reader::list_log_files(dir.path()).unwrap().len(), 3);
}

#[test]
fn the_size_limit_rolls_after_a_commit() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = TxnLogWriter::open(
        dir.path(),
        TxnLogSettings {
            prealloc_size: 0,
            size_limit: Some(500),
            ..settings()
        },
    )
    .unwrap();
    for zxid in 1..=20 {
        writer.append(&sample_txn(zxid)).unwrap();
        writer.commit().unwrap();
    }
    writer.close().unwrap();
    let files = reader::list_log_files(dir.path()).unwrap();
    assert!(files.len() >= 3, "{files:?}");
    for file in &files[..files.len() - 1] {
        let len = fs::metadata(&file.path).unwrap().len();
        // Rolled at the first commit past the limit.
        assert!(
            len > 500 && len < 500 + 200,
            "{}: {len}",
            file.path.display()
        );
    }
    assert_eq!(read_all(dir.path(), 0).len(), 20);
}

#[test]
fn truncate_cuts_after_the_zxid_and_deletes_later_files() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = TxnLogWriter::open(dir.path(), settings()).unwrap();
    for zxid in 1..=30 {
        if zxid == 18 {
            continue; // A gap: 18 is not in the log.
        }
        writer.append(&sample_txn(zxid)).unwrap();
        writer.commit().unwrap();
        if zxid % 10 == 0 {
            writer.roll().unwrap();
        }
    }
    writer.close().unwrap();
    let result = reader::truncate(dir.path(), 18, Limits::default()).unwrap();
    assert_eq!(names(dir.path()), ["log.1", "log.b"]);
    assert_eq!(result.deleted.len(), 1);
    let read: Vec<i64> = read_all(dir.path(), 0).iter().map(Txn::zxid).collect();
    assert_eq!(read, (1..=17).collect::<Vec<_>>());
    // The cut file ends right after zxid 17 (no padding left).
    let (cut, len) = result.cut.unwrap();
    assert_eq!(fs::metadata(&cut).unwrap().len(), len);
    // Truncating at the end or past it changes nothing but the padding.
    reader::truncate(dir.path(), 17, Limits::default()).unwrap();
    reader::truncate(dir.path(), 100, Limits::default()).unwrap();
    assert_eq!(read_all(dir.path(), 0).len(), 17);
    // Through a writer, which then starts a new file.
    let mut writer = TxnLogWriter::open(dir.path(), settings()).unwrap();
    writer.append(&sample_txn(18)).unwrap();
    writer.commit().unwrap();
    writer.truncate(16, Limits::default()).unwrap();
    writer.append(&sample_txn(17)).unwrap();
    writer.close().unwrap();
    assert_eq!(names(dir.path()), ["log.1", "log.11", "log.b"]);
    let read: Vec<i64> = read_all(dir.path(), 0).iter().map(Txn::zxid).collect();
    assert_eq!(read, (1..=17).collect::<Vec<_>>());
    // Before every file: all go.
    reader::truncate(dir.path(), 0, Limits::default()).unwrap();
    assert!(names(dir.path()).is_empty());
    assert!(matches!(
        reader::truncate(dir.path(), 0, Limits::default()),
        Err(TxnLogError::NoLogFiles { .. })
    ));
}

#[test]
fn an_empty_tail_file_is_deleted_but_not_an_empty_middle_one() {
    let dir = tempfile::tempdir().unwrap();
    write_log(
        dir.path(),
        &(1..=3).map(sample_txn).collect::<Vec<_>>(),
        settings(),
    );
    fs::write(dir.path().join("log.4"), b"").unwrap();
    let mut iter = reader::read_from(dir.path(), 0, ReadOptions::default()).unwrap();
    assert_eq!(iter.by_ref().count(), 3);
    assert_eq!(
        iter.deleted_empty_tail(),
        Some(dir.path().join("log.4").as_path())
    );
    assert_eq!(names(dir.path()), ["log.1"]);
    // Empty, but not the last: Java fails (EOFException).
    fs::write(dir.path().join("log.0"), b"").unwrap();
    assert!(matches!(
        read_all_result(dir.path()),
        Err(TxnLogError::TruncatedHeader { len: 0, .. })
    ));
    fs::remove_file(dir.path().join("log.0")).unwrap();
    // A partial header at the tail: also an error.
    fs::write(dir.path().join("log.9"), b"ZKLG").unwrap();
    assert!(matches!(
        read_all_result(dir.path()),
        Err(TxnLogError::TruncatedHeader { len: 4, .. })
    ));
    fs::write(dir.path().join("log.9"), b"").unwrap();
    assert_eq!(
        reader::remove_empty_tail_log(dir.path()).unwrap(),
        Some(dir.path().join("log.9"))
    );
    assert_eq!(reader::remove_empty_tail_log(dir.path()).unwrap(), None);
}

#[test]
fn the_writer_never_leaves_temporary_or_empty_files() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join(".log.5.tmp"), b"left by a crash").unwrap();
    let mut writer = TxnLogWriter::open(dir.path(), settings()).unwrap();
    assert!(names(dir.path()).is_empty());
    writer.append(&sample_txn(1)).unwrap();
    // Before any commit the file exists with its header.
    assert_eq!(names(dir.path()), ["log.1"]);
    let len = fs::metadata(dir.path().join("log.1")).unwrap().len();
    assert!(len >= 16);
    let mut header = [0u8; 16];
    use std::io::Read;
    OpenOptions::new()
        .read(true)
        .open(dir.path().join("log.1"))
        .unwrap()
        .read_exact(&mut header)
        .unwrap();
    assert_eq!(&header[..4], b"ZKLG");
}

#[test]
fn snapshot_policy_follows_java() {
    for seed in 0..50 {
        let policy = SnapshotPolicy::new(10, 0, Some(seed));
        let threshold = policy.count_threshold();
        assert!((5..10).contains(&threshold), "{threshold}");
        assert!(!policy.should_snapshot(threshold, 1 << 40));
        assert!(policy.should_snapshot(threshold + 1, 0));
        assert_eq!(policy.size_threshold(), None);
        let sized = SnapshotPolicy::new(100, 1000, Some(seed));
        let limit = sized.size_threshold().unwrap();
        assert!((500..1000).contains(&limit), "{limit}");
        assert!(sized.should_snapshot(0, limit + 1));
        assert!(!sized.should_snapshot(0, limit));
    }
    // snapCount 2: a snapshot after every second txn.
    assert_eq!(SnapshotPolicy::new(2, -1024, Some(1)).count_threshold(), 1);
}

fn stage_settings() -> LogStageSettings {
    LogStageSettings {
        log: TxnLogSettings {
            force_sync: true,
            ..settings()
        },
        snap_count: 20,
        seed: Some(7),
        ..LogStageSettings::default()
    }
}

#[test]
fn the_stage_reports_durable_only_what_is_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let events: Arc<Mutex<Vec<LogEvent>>> = Arc::default();
    let seen = events.clone();
    let log_dir = dir.path().to_path_buf();
    let stage = LogStage::start(dir.path(), stage_settings(), move |event| {
        if let LogEvent::Durable { zxid, .. } = &event {
            // Whatever is reported durable can be read back already.
            let read = read_all(&log_dir, 0);
            assert_eq!(read.last().map(Txn::zxid), Some(*zxid));
        }
        seen.lock().unwrap().push(event);
    })
    .unwrap();
    for zxid in 1..=100 {
        stage.submit(&sample_txn(zxid)).unwrap();
    }
    stage.flush().unwrap();
    let stats = stage.shutdown().unwrap();
    let events = events.lock().unwrap();
    let mut last = 0;
    let mut durable = 0;
    let mut snapshots = Vec::new();
    for event in events.iter() {
        match event {
            LogEvent::Durable { zxid, txns } => {
                assert!(*zxid > last);
                last = *zxid;
                durable = *txns;
            }
            LogEvent::SnapshotDue { zxid } => snapshots.push(*zxid),
            LogEvent::Failed(e) => panic!("{e}"),
        }
    }
    assert_eq!((last, durable), (100, 100));
    // snapCount 20: a snapshot every 11 to 20 txns, each rolling the log.
    assert!((5..=10).contains(&snapshots.len()), "{snapshots:?}");
    let files = reader::list_log_files(dir.path()).unwrap();
    assert_eq!(files.len(), snapshots.len() + 1);
    for (file, snap) in files[1..].iter().zip(&snapshots) {
        assert_eq!(file.zxid, snap + 1);
    }
    // One fsync per batch, not per txn (batches form while the thread
    // writes), plus one per rolled file.
    assert!(stats.fsyncs <= 100 + snapshots.len() as u64, "{stats:?}");
    assert_eq!(
        read_all(dir.path(), 0),
        (1..=100).map(sample_txn).collect::<Vec<_>>()
    );
}

#[test]
fn the_stage_batches_up_to_max_batch_size() {
    let dir = tempfile::tempdir().unwrap();
    let durable: Arc<Mutex<Vec<(i64, u64)>>> = Arc::default();
    let seen = durable.clone();
    let settings = LogStageSettings {
        max_batch_size: 7,
        snap_count: 1_000_000,
        // A long delay: only the batch size or an idle queue flush.
        flush_delay_ms: 60_000,
        max_write_queue_poll_time_ms: 60_000,
        ..stage_settings()
    };
    let stage = LogStage::start(dir.path(), settings, move |event| {
        if let LogEvent::Durable { zxid, txns } = event {
            seen.lock().unwrap().push((zxid, txns));
        }
    })
    .unwrap();
    for zxid in 1..=21 {
        stage.submit(&sample_txn(zxid)).unwrap();
    }
    stage.shutdown().unwrap();
    // With a 60 s poll, nothing but the batch size commits before the
    // shutdown.
    assert_eq!(*durable.lock().unwrap(), [(7, 7), (14, 14), (21, 21)]);
}

#[test]
fn a_failing_stage_reports_and_closes() {
    let dir = tempfile::tempdir().unwrap();
    let failed = Arc::new(Mutex::new(false));
    let seen = failed.clone();
    let stage = LogStage::start(dir.path(), stage_settings(), move |event| {
        if let LogEvent::Failed(_) = event {
            *seen.lock().unwrap() = true;
        }
    })
    .unwrap();
    // Empty txn bytes are refused by the writer, as Java refuses them.
    stage.submit_bytes(1, Vec::new()).unwrap();
    assert!(stage.shutdown().is_err());
    assert!(*failed.lock().unwrap());
}

#[test]
fn dumps_in_the_toolkit_format() {
    use super::dump::{self, DumpError, DumpMode};
    let dir = tempfile::tempdir().unwrap();
    let txns: Vec<Txn> = (1..=13).map(sample_txn).collect();
    write_log(dir.path(), &txns, settings());
    let path = dir.path().join("log.1");
    let mut out = Vec::new();
    let mut notes = Vec::new();
    let summary = dump::dump_file(
        &path,
        DumpMode::Java,
        Limits::default(),
        &mut out,
        &mut notes,
    )
    .unwrap();
    assert_eq!(summary.txns, 13);
    assert_eq!(summary.end, TailKind::ZeroLength);
    let mut expected =
        String::from("ZooKeeper Transactional Log File with dbid 0 txnlog format version 2\n");
    for txn in &txns {
        expected.push_str(&dump::java_txn_line(&txn.to_bytes(), Limits::default()).unwrap());
    }
    expected.push_str("EOF reached after 13 txns.\n");
    assert_eq!(String::from_utf8(out).unwrap(), expected);
    assert!(notes.is_empty());
    // Some lines, as Java prints them.
    let line = |zxid| dump::java_txn_line(&sample_txn(zxid).to_bytes(), Limits::default()).unwrap();
    assert_eq!(
        line(1),
        "11/14/23, 10:13:20 PM UTC session 0x100000000001 cxid 0x1 zxid 0x1 create \
         /n1,data,[31,s{'world,'anyone}\n],false,1\n"
    );
    assert!(line(4).ends_with(" delete '/n4\n"), "{}", line(4));
    assert!(line(5).ends_with(" error -110\n"), "{}", line(5));
    assert!(
        line(6).ends_with(" closeSession v{'/e1,'/e2}\n"),
        "{}",
        line(6)
    );
    assert!(line(8).ends_with(",5,60000\n"), "{}", line(8));
    assert!(
        line(10).contains(" multi create:\0\0\0\u{4}/n10"),
        "{}",
        line(10)
    );

    // JSON: one object a line.
    let mut out = Vec::new();
    dump::dump_file(
        &path,
        DumpMode::Json,
        Limits::default(),
        &mut out,
        &mut notes,
    )
    .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().count(), 13);
    assert!(text
        .lines()
        .next()
        .unwrap()
        .starts_with("{\"offset\":16,\"length\":"));
    assert!(text.contains("\"type\":\"createTTL\",\"op\":21,\"txn\":{\"path\":\"/n8\""));

    // A partial last record: printed, then the error, as Java does.
    let full = fs::read(&path).unwrap();
    let end = 16 + txns.iter().map(|t| t.to_bytes().len() + 13).sum::<usize>();
    let mut bytes = full[..end].to_vec();
    bytes[end - 1] = 0;
    fs::write(&path, &bytes).unwrap();
    let mut out = Vec::new();
    match dump::dump_file(
        &path,
        DumpMode::Java,
        Limits::default(),
        &mut out,
        &mut notes,
    ) {
        Err(DumpError::Partial(summary)) => assert_eq!(summary.txns, 12),
        other => panic!("{other:?}"),
    }
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.ends_with(&line(13)) && !text.contains("EOF reached"),
        "{text}"
    );
    // A bad magic number.
    fs::write(&path, [1u8; 64]).unwrap();
    assert!(matches!(
        dump::dump_file(&path, DumpMode::Java, Limits::default(), &mut Vec::new(), &mut notes),
        Err(DumpError::BadMagic(name)) if name == "log.1"
    ));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Untrusted bytes after a header never panic the reader, the dump or
    /// TRUNC.
    #[test]
    fn arbitrary_bytes_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..300)) {
        use super::dump::{self, DumpMode};
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = format::file_header_bytes(0);
        bytes.extend_from_slice(&tail);
        let path = dir.path().join("log.1");
        fs::write(&path, &bytes).unwrap();
        for result in reader::read_from(dir.path(), 0, ReadOptions::default()).unwrap() {
            let _ = result;
        }
        for mode in [DumpMode::Java, DumpMode::Json, DumpMode::Verify] {
            let _ = dump::dump_file(&path, mode, Limits::default(), &mut Vec::new(), &mut Vec::new());
        }
        let _ = reader::last_logged_zxid(dir.path(), ReadOptions::default());
        let _ = reader::truncate(dir.path(), 5, Limits::default());
    }
}
