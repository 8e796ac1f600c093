//! The fuzzy snapshot of a large tree, measured (ignored by default):
//!
//! ```text
//! cargo test --release --test snapshot_bench -- --ignored --nocapture
//! ```
//!
//! Builds 1M nodes (a wide level of 1000 parents with 1000 children each,
//! 64-byte data), then for each compression drives a `FuzzySnapshot` in
//! 64 KiB steps as the server core would, and reports the throughput, the
//! longest single step, the background writer's total time, and the load
//! time of the file.

use std::time::{Duration, Instant};

use bytes::Bytes;
use rzk::snapshot::{
    load_snapshot_file, Durability, FuzzySnapshot, ReadOptions, SnapshotCompression, Step,
    WriteOptions,
};
use rzk::tree::DataTree;

fn build(parents: usize, children: usize) -> DataTree {
    let mut tree = DataTree::default();
    let mut triggers = Vec::new();
    let data = Bytes::from(vec![b'x'; 64]);
    let mut zxid = 0;
    for p in 0..parents {
        zxid += 1;
        let parent = format!("/p{p:04}");
        tree.create_node(
            &parent,
            Some(data.clone()),
            None,
            0,
            -1,
            zxid,
            zxid,
            &mut triggers,
        )
        .expect("parent");
        for c in 0..children {
            zxid += 1;
            tree.create_node(
                &format!("{parent}/node-{c:06}"),
                Some(data.clone()),
                None,
                0,
                -1,
                zxid,
                zxid,
                &mut triggers,
            )
            .expect("child");
            triggers.clear();
        }
    }
    tree.set_last_processed_zxid(zxid);
    tree
}

#[test]
#[ignore]
fn fuzzy_snapshot_of_a_million_nodes() {
    for (parents, children) in [(1000, 1000), (1, 1_000_000)] {
        measure(parents, children);
    }
}

fn measure(parents: usize, children: usize) {
    let started = Instant::now();
    let tree = build(parents, children);
    eprintln!(
        "{parents} x {children}: built {} nodes in {:?}",
        tree.node_count() - 1,
        started.elapsed()
    );
    let dir = tempfile::tempdir().expect("tempdir");
    for compression in [
        SnapshotCompression::Checked,
        SnapshotCompression::Gzip,
        SnapshotCompression::Snappy,
    ] {
        let options = WriteOptions {
            compression,
            last_processed_zxid: true,
        };
        let started = Instant::now();
        let mut snap =
            FuzzySnapshot::start(dir.path(), &tree, [(1, 30000)], &options, Durability::Plain)
                .expect("start");
        let (mut steps, mut full, mut longest, mut walking) =
            (0u64, 0u64, Duration::ZERO, Duration::ZERO);
        let mut durations = Vec::new();
        loop {
            let t = Instant::now();
            let step = snap.step(&tree, 64 * 1024);
            let took = t.elapsed();
            walking += took;
            longest = longest.max(took);
            durations.push(took);
            steps += 1;
            match step {
                Step::Progress => {}
                Step::Full => {
                    full += 1;
                    std::thread::sleep(Duration::from_micros(200));
                }
                Step::Done => break,
            }
        }
        let walked = started.elapsed();
        durations.sort();
        let p99 = durations[durations.len() * 99 / 100];
        let p50 = durations[durations.len() / 2];
        while !snap.is_written() {
            std::thread::sleep(Duration::from_millis(1));
        }
        let written = snap.finish().expect("written");
        let total = started.elapsed();
        let size = std::fs::metadata(&written.path).expect("file").len();
        let mb = written.uncompressed_bytes as f64 / 1e6;
        eprintln!(
            "{compression:?}: {mb:.1} MB uncompressed, {:.1} MB on disk; walk {walking:?} of core time in {steps} steps \
             ({full} queue-full), steps p50 {p50:?} p99 {p99:?} max {longest:?}; walk done after {walked:?}, file after {total:?} \
             = {:.0} MB/s",
            size as f64 / 1e6,
            mb / total.as_secs_f64()
        );
        let t = Instant::now();
        let loaded = load_snapshot_file(&written.path, &ReadOptions::default()).expect("load");
        eprintln!(
            "{compression:?}: loaded {} nodes in {:?}",
            loaded.tree.node_count() - 1,
            t.elapsed()
        );
        assert_eq!(loaded.tree.digest(), tree.digest());
        std::fs::remove_file(&written.path).expect("rm");
    }
}
