//! Tests of the compat harness itself, against the Java servers (the rzk
//! side is in `rzk_smoke.rs`).

use std::fs;
use std::net::{Ipv4Addr, TcpListener};
use std::time::Duration;

use rzk_compat_tests::{
    deps, java, process, run_kazoo_script, Ensemble, JavaEnsemble, JavaServer, JavaVersion,
    ServerKind, ServerOptions,
};

fn version2_files(server: &rzk_compat_tests::ServerHandle) -> Vec<String> {
    let dir = server.data_dir().join("version-2");
    let mut names: Vec<String> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn java_3_9_5_standalone_serves_and_is_cleaned_up() {
    let server = JavaServer::standalone(JavaVersion::V3_9_5, &[]);
    let srvr = server.four_letter_word("srvr");
    assert!(srvr.contains("Zookeeper version: 3.9.5"), "{srvr}");
    assert!(srvr.contains("Mode: standalone"), "{srvr}");
    let info = server.srvr().expect("srvr parses");
    assert_eq!(info.version, "3.9.5");
    assert_eq!(info.mode, "standalone");
    assert_eq!(info.zxid, 0);
    assert_eq!(server.four_letter_word("ruok"), "imok");
    assert!(server.log_text().contains("binding to port"));
    assert!(server
        .data_dir()
        .join("version-2")
        .join("snapshot.0")
        .is_file());

    let pid = server.pid().expect("running");
    let port = server.client_port();
    let dir = server.dir().to_path_buf();
    drop(server);
    assert!(
        !process::pid_exists(pid),
        "pid {pid} still exists after drop"
    );
    assert!(
        TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok(),
        "port {port} still taken after drop"
    );
    if std::env::var_os("RZK_KEEP_TEST_DIRS").is_none() {
        assert!(!dir.exists(), "{} not removed", dir.display());
    }
}

#[test]
fn java_3_8_0_standalone_reports_its_version() {
    let server = JavaServer::standalone(JavaVersion::V3_8_0, &[]);
    let srvr = server.four_letter_word("srvr");
    assert!(srvr.contains("Zookeeper version: 3.8.0"), "{srvr}");
    assert!(srvr.contains("Mode: standalone"), "{srvr}");
    assert_eq!(server.four_letter_word("ruok"), "imok");
}

#[test]
fn extra_config_lines_and_jvm_flags_reach_the_server() {
    let opts = ServerOptions::with_cfg(&["tickTime=500", "maxClientCnxns=7"])
        .jvm_flag("-Dznode.container.checkIntervalMs=100");
    let server = JavaServer::start(JavaVersion::V3_9_5, opts);
    let cfg = fs::read_to_string(server.config_path()).unwrap();
    assert_eq!(cfg.matches("tickTime=").count(), 1, "{cfg}");
    let conf = server.four_letter_word("conf");
    assert!(conf.contains("tickTime=500"), "{conf}");
    assert!(conf.contains("maxClientCnxns=7"), "{conf}");
    let log = server.log_text();
    assert!(
        log.contains("checkIntervalMs=100"),
        "{}",
        server.log_tail(40)
    );
}

#[test]
fn java_ensemble_elects_a_leader_and_reelects_when_it_stops() {
    let mut ensemble = JavaEnsemble::start(JavaVersion::V3_9_5, 3, &[]);
    let leader = ensemble.leader();
    let modes = ensemble.modes();
    assert_eq!(
        modes
            .iter()
            .filter(|m| m.as_deref() == Some("leader"))
            .count(),
        1,
        "{modes:?}"
    );
    assert_eq!(
        modes
            .iter()
            .filter(|m| m.as_deref() == Some("follower"))
            .count(),
        2,
        "{modes:?}"
    );
    for server in ensemble.servers() {
        assert_eq!(server.srvr().unwrap().version, "3.9.5");
    }

    ensemble.server_mut(leader).stop();
    let new_leader = ensemble.wait_for_quorum();
    assert_ne!(new_leader, leader);
    let modes = ensemble.modes();
    assert_eq!(modes[leader], None, "{modes:?}");
    assert_eq!(modes[new_leader].as_deref(), Some("leader"), "{modes:?}");

    // The old leader comes back as a follower of the new one.
    let info = ensemble.server_mut(leader).start();
    assert_eq!(info.mode, "follower");
    assert_eq!(ensemble.wait_for_quorum(), new_leader);
}

#[test]
fn mixed_version_ensemble_forms_a_quorum_and_replicates() {
    let kinds = [
        ServerKind::Java(JavaVersion::V3_9_5),
        ServerKind::Java(JavaVersion::V3_9_5),
        ServerKind::Java(JavaVersion::V3_8_0),
    ];
    let mut ensemble = Ensemble::start(&kinds, ServerOptions::new());
    ensemble.leader();
    let versions: Vec<String> = ensemble
        .servers()
        .iter()
        .map(|s| s.srvr().unwrap().version)
        .collect();
    assert_eq!(versions, ["3.9.5", "3.9.5", "3.8.0"]);

    // Written through a 3.9.5 member, read back through the 3.8.0 one.
    let hello = java::compile("hello", &deps::client_classpath(JavaVersion::V3_9_5));
    let out = hello.run("Hello", &[&ensemble.server(0).connect_string()]);
    out.assert_success();
    let out = hello.run("Hello", &[&ensemble.server(2).connect_string(), "get"]);
    out.assert_success();
    assert!(out.stdout.contains("/hello = world"), "{}", out.describe());
}

#[test]
fn restart_keeps_the_data_dir_and_ports() {
    let mut server = JavaServer::standalone(JavaVersion::V3_9_5, &[]);
    let hello = java::compile("hello", &deps::client_classpath(JavaVersion::V3_9_5));
    hello
        .run("Hello", &[&server.connect_string()])
        .assert_success();
    let before = server.srvr().unwrap();
    assert!(before.zxid > 0, "{}", before.raw);
    let files = version2_files(&server);
    assert!(files.iter().any(|f| f.starts_with("log.")), "{files:?}");
    assert!(
        files.iter().any(|f| f.starts_with("snapshot.")),
        "{files:?}"
    );
    let port = server.client_port();
    let old_pid = server.pid().unwrap();

    let after = server.restart();
    assert_ne!(server.pid().unwrap(), old_pid);
    assert_eq!(server.client_port(), port);
    assert_eq!(after.zxid, before.zxid, "{}", after.raw);
    let out = hello.run("Hello", &[&server.connect_string(), "get"]);
    out.assert_success();
    assert!(out.stdout.contains("/hello = world"), "{}", out.describe());
    assert!(server.log_text().contains("start #2 of"));

    // kill() then start() works too.
    let before = server.srvr().unwrap();
    server.kill();
    assert!(!server.is_running());
    assert_eq!(server.start().zxid, before.zxid);
}

#[test]
fn official_3_9_5_client_talks_to_the_3_9_5_server() {
    let server = JavaServer::standalone(JavaVersion::V3_9_5, &[]);
    let hello = java::compile("hello", &deps::client_classpath(JavaVersion::V3_9_5));
    let out = hello.run("Hello", &[&server.connect_string()]);
    out.assert_success();
    // A fresh server: the session is zxid 1, the create zxid 2.
    assert_eq!(
        out.stdout,
        "created /hello\n/hello = world czxid=0x2\n",
        "{}",
        out.describe()
    );
}

#[test]
fn official_3_8_0_client_talks_to_the_3_8_0_server() {
    let server = JavaServer::standalone(JavaVersion::V3_8_0, &[]);
    let hello = java::compile("hello", &deps::client_classpath(JavaVersion::V3_8_0));
    let out = hello.run("Hello", &[&server.connect_string()]);
    out.assert_success();
    assert_eq!(
        out.stdout,
        "created /hello\n/hello = world czxid=0x2\n",
        "{}",
        out.describe()
    );
}

#[test]
fn curator_classpaths_work() {
    for version in JavaVersion::ALL {
        let opts = ServerOptions::new().jvm_flag("-Dznode.container.checkIntervalMs=100");
        let server = JavaServer::start(version, opts);
        let smoke = java::compile("curator-smoke", &deps::curator_classpath(version));
        let out = smoke.run("CuratorSmoke", &[&server.connect_string()]);
        out.assert_success();
        assert_eq!(
            out.stdout,
            "/smoke/a/b = data\n\
             locked: true\n\
             released: true\n\
             container reaped\n",
            "Curator with {version}: {}",
            out.describe()
        );
    }
}

#[test]
fn kazoo_venv_works() {
    let server = JavaServer::standalone(JavaVersion::V3_9_5, &[]);
    let script = r#"
import sys
from kazoo.client import KazooClient
zk = KazooClient(hosts=sys.argv[1], timeout=30)
zk.start(timeout=30)
zk.create("/kazoo", b"hi")
data, stat = zk.get("/kazoo")
print(data.decode(), hex(stat.czxid))
zk.stop()
zk.close()
"#;
    let out = run_kazoo_script(script, &[&server.connect_string()], Duration::from_secs(60));
    out.assert_success();
    assert_eq!(out.stdout, "hi 0x2\n", "{}", out.describe());
}
