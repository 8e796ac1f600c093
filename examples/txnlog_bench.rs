//! Throughput of the transaction log's group-commit stage with Java's
//! defaults (fsync on, 64 MiB preallocation, maxBatchSize 1000): one thread
//! submits small txns (a setData of 16 bytes, ~90 bytes of record).
//!
//! `cargo run --release --example txnlog_bench [DIR] [COUNT]` (DIR defaults
//! to a temp dir under `target/`).
//!
//! Three runs:
//! - pipelined: submit COUNT txns as fast as possible, wait for the last to
//!   be durable (group commit batches them);
//! - one at a time: submit, wait until durable, repeat (fsync-bound);
//! - forceSync=no, pipelined (write cost only).

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Instant;

use bytes::Bytes;
use jute::txn::{SetDataTxn, TxnDigest};
use rzk::proto::op;
use rzk::txn::{header, Txn, TxnBody};
use rzk::txnlog::{LogEvent, LogStage, LogStageSettings, TxnLogSettings};

fn txn(zxid: i64) -> Txn {
    Txn {
        header: header(
            0x1000_0000_0000_0001,
            zxid as i32,
            zxid,
            1_700_000_000_000,
            op::SET_DATA,
        ),
        body: TxnBody::SetData(SetDataTxn {
            path: Some("/bench/node".into()),
            data: Some(Bytes::from_static(b"0123456789abcdef")),
            version: zxid as i32,
        }),
        digest: Some(TxnDigest {
            version: 2,
            tree_digest: zxid,
        }),
    }
}

fn run(label: &str, dir: &std::path::Path, count: i64, force_sync: bool, one_at_a_time: bool) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).expect("create the bench dir");
    let settings = LogStageSettings {
        log: TxnLogSettings {
            force_sync,
            ..TxnLogSettings::default()
        },
        ..LogStageSettings::default()
    };
    let (tx, rx) = mpsc::channel();
    let stage = LogStage::start(dir, settings, move |event| {
        if let LogEvent::Durable { zxid, .. } = event {
            let _ = tx.send(zxid);
        }
    })
    .expect("start the stage");
    let start = Instant::now();
    let wait_for = |zxid: i64| loop {
        if rx.recv().expect("the stage is running") >= zxid {
            break;
        }
    };
    for zxid in 1..=count {
        stage.submit(&txn(zxid)).expect("submit");
        if one_at_a_time {
            wait_for(zxid);
        }
    }
    if !one_at_a_time {
        wait_for(count);
    }
    let elapsed = start.elapsed().as_secs_f64();
    let stats = stage.shutdown().expect("shutdown");
    println!(
        "{label:<28} {count:>7} txns in {elapsed:>6.3} s: {:>9.0} appends/s, {:>7.0} fsyncs/s, \
         {:>6.1} txns per commit",
        count as f64 / elapsed,
        stats.fsyncs as f64 / elapsed,
        count as f64 / stats.commits.max(1) as f64,
    );
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/txnlog-bench"));
    let count: i64 = args.next().and_then(|c| c.parse().ok()).unwrap_or(200_000);
    run("pipelined, fsync", &dir, count, true, false);
    run(
        "one at a time, fsync",
        &dir,
        (count / 100).max(100),
        true,
        true,
    );
    run("pipelined, forceSync=no", &dir, count, false, false);
    let _ = std::fs::remove_dir_all(&dir);
}
