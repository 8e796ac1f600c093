//! `rzk bench` works: a tiny run of the load generator and of the watch
//! fan-out against rzk, and a tiny `rzk bench suite` (Java 3.9.5 and rzk
//! side by side), each checked for sane numbers in its JSON. This is no
//! measurement — `make bench` is — only a sign that the instrument works.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use rzk_compat_tests::{deps, process, RzkServer};
use serde_json::Value;

fn rzk(args: &[&str]) -> Command {
    let mut cmd = Command::new(RzkServer::binary());
    cmd.arg("bench").args(args);
    cmd
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}\n{text}", path.display()))
}

fn num(v: &Value, pointer: &str) -> f64 {
    v.pointer(pointer)
        .and_then(Value::as_f64)
        .unwrap_or_else(|| panic!("{pointer} is not a number in {v:#}"))
}

/// The latency figures of one operation report are ordered and positive.
fn assert_sane_latency(op: &Value, what: &str) {
    let l = |p: &str| num(op, &format!("/latency_us/{p}"));
    assert!(num(op, "/ops") > 0.0, "{what}: no operations: {op:#}");
    assert!(num(op, "/ops_per_s") > 0.0, "{what}: {op:#}");
    assert!(l("p50") > 0.0, "{what}: {op:#}");
    assert!(l("p50") <= l("p90"), "{what}: {op:#}");
    assert!(l("p90") <= l("p99"), "{what}: {op:#}");
    assert!(l("p99") <= l("p999"), "{what}: {op:#}");
    assert!(l("p999") <= l("max") * 1.001, "{what}: {op:#}");
    // A local server answers within seconds, whatever the machine.
    assert!(l("p50") < 5_000_000.0, "{what}: {op:#}");
}

#[test]
fn bench_run_and_watch_against_rzk_report_sane_numbers() {
    let server = RzkServer::standalone(&["maxClientCnxns=0"]);
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("run.json");
    let addr = server.connect_string();
    let pid = server.pid().unwrap().to_string();
    let mut cmd = rzk(&[
        "run",
        "--server",
        &addr,
        "--pid",
        &pid,
        "--sessions",
        "3",
        "--outstanding",
        "4",
        "--keys",
        "200",
        "--mix",
        "get=40,set=15,exists=10,children=10,churn=15,multi=10",
        "--warmup",
        "0.5",
        "--duration",
        "2",
        "-q",
        "--json",
    ]);
    cmd.arg(&json);
    let out = process::run(cmd, Duration::from_secs(60));
    out.assert_success();
    assert!(out.stdout.contains("getData"), "{}", out.describe());
    let report = read_json(&json);
    assert_sane_latency(&report["total"], "all");
    for op in [
        "getData",
        "setData",
        "exists",
        "getChildren",
        "create",
        "delete",
        "multi",
    ] {
        assert_sane_latency(&report["ops"][op], op);
    }
    let errors = report["errors"].as_object().unwrap();
    assert!(errors.is_empty(), "error replies: {errors:?}");
    assert_eq!(num(&report, "/sessions"), 3.0);
    // The server's CPU time was read from /proc (10 ms ticks: at least 0).
    assert!(num(&report, "/server/cpu_us_per_op") >= 0.0);
    assert!(num(&report, "/server/rss_bytes") > 1e6);
    assert!(num(&report, "/client_cpu_us_per_op") > 0.0);

    let json = dir.path().join("watch.json");
    let mut cmd = rzk(&[
        "watch",
        "--server",
        &addr,
        "--watchers",
        "50",
        "--rounds",
        "2",
        "-q",
        "--json",
    ]);
    cmd.arg(&json);
    let out = process::run(cmd, Duration::from_secs(60));
    out.assert_success();
    let report = read_json(&json);
    assert_eq!(num(&report, "/watchers"), 50.0);
    let rounds = report["all_notified_ms"].as_array().unwrap();
    assert_eq!(rounds.len(), 2);
    for r in rounds {
        let ms = r.as_f64().unwrap();
        assert!(ms > 0.0 && ms < 30_000.0, "{report:#}");
    }
    // The server pid was found through /proc (it listens on this machine).
    assert!(report["server_cpu_ms_per_round"].is_number(), "{report:#}");
}

#[test]
fn bench_suite_runs_java_and_rzk_side_by_side() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    let json = dir.path().join("suite.json");
    let mut cmd = rzk(&[
        "suite",
        "--only",
        "read,latency-write,fanout,scale",
        "--warmup",
        "0.5",
        "--duration",
        "1",
        "--repeat",
        "1",
        "--server-warmup",
        "0",
        "--keys",
        "100",
        "--sessions",
        "2",
        "--outstanding",
        "2",
        "--watchers",
        "20",
        "--watch-rounds",
        "1",
        "--scale-parents",
        "5",
        "--scale-children",
        "20",
        "--stall-duration",
        "1",
        "--stall-rate",
        "500",
        "--java-heap",
        "256m",
        "-q",
    ]);
    cmd.arg("--work-dir")
        .arg(&work)
        .arg("--json")
        .arg(&json)
        .arg("--java")
        .arg(deps::java_bin())
        .arg("--java-jars")
        .arg(deps::reference_jar_dir())
        .arg("--rzk-bin")
        .arg(RzkServer::binary());
    let out = process::run(cmd, Duration::from_secs(300));
    out.assert_success();
    assert!(out.stdout.contains("rzk/Java"), "{}", out.describe());
    let report = read_json(&json);
    assert!(
        report["failures"].as_array().unwrap().is_empty(),
        "{report:#}"
    );
    let summary = report["summary"].as_array().unwrap();
    let find = |scenario: &str, figure: &str| {
        summary
            .iter()
            .find(|f| {
                f["scenario"] == scenario && f["figure"].as_str().unwrap().starts_with(figure)
            })
            .unwrap_or_else(|| panic!("no {scenario}/{figure} in {summary:#?}"))
    };
    for (scenario, figure) in [
        ("read", "throughput ops/s"),
        ("read", "p99 us"),
        ("latency-write", "p50 us"),
        ("fanout", "all notified ms"),
        ("scale", "RSS with"),
        ("scale", "restart to serving ms"),
        ("scale", "snapshot size"),
    ] {
        let f = find(scenario, figure);
        let java = f["java"].as_f64().unwrap_or(0.0);
        let rzk = f["rzk"].as_f64().unwrap_or(0.0);
        assert!(java > 0.0 && rzk > 0.0, "{f:#}");
        assert!(f["ratio"].as_f64().unwrap() > 0.0, "{f:#}");
    }
    // Both servers wrote the same tree: their snapshots have the same size.
    let snap = find("scale", "snapshot size");
    assert_eq!(snap["java"], snap["rzk"], "{snap:#}");
    assert!(read_json(&json)["machine"]["cores"].as_u64().unwrap() >= 1);
    assert!(!work.join("java").exists(), "the servers' dirs are removed");
    // …but their logs are kept: the restart's phases are in rzk's.
    for name in ["java", "rzk", "scale-java", "scale-rzk"] {
        assert!(
            work.join(format!("{name}.log")).is_file(),
            "{name}.log kept"
        );
    }
    let scale_log = std::fs::read_to_string(work.join("scale-rzk.log")).unwrap();
    assert!(scale_log.contains("logged transactions"), "{scale_log}");
}
