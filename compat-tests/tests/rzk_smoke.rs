//! rzk through the harness: it starts, answers four-letter words like Java,
//! and unmodified clients (the official Java client of 3.9.5 and 3.8.0,
//! kazoo) work against it with the same results as against Java.

use std::time::Duration;

use rzk_compat_tests::{
    deps, java, process, run_kazoo_script, JavaVersion, RzkServer, ServerOptions,
};

#[test]
fn rzk_standalone_starts_answers_and_is_cleaned_up() {
    let server = RzkServer::standalone(&[]);
    let info = server.srvr().expect("srvr parses");
    assert_eq!(info.version, "3.9.5");
    assert_eq!(info.mode, "standalone");
    assert_eq!(info.zxid, 0);
    // A fresh tree: /, /zookeeper, /zookeeper/quota, /zookeeper/config and
    // the root's alias, as Java counts them.
    assert_eq!(info.node_count, 5);
    assert_eq!(server.four_letter_word("ruok"), "imok");
    assert_eq!(server.four_letter_word("isro"), "rw");
    let conf = server.four_letter_word("conf");
    assert!(
        conf.contains(&format!("clientPort={}\n", server.client_port())),
        "{conf}"
    );
    let pid = server.pid().expect("running");
    drop(server);
    assert!(!process::pid_exists(pid), "pid {pid} survived the drop");
}

#[test]
fn four_letter_words_outside_the_whitelist_are_refused_like_java() {
    let server = RzkServer::standalone(&["4lw.commands.whitelist=ruok"]);
    assert_eq!(server.four_letter_word("ruok"), "imok");
    assert_eq!(
        server.four_letter_word("stat"),
        "stat is not executed because it is not in the whitelist.\n"
    );
    // srvr is always enabled.
    assert!(server.four_letter_word("srvr").contains("Mode: standalone"));
}

#[test]
fn official_java_clients_talk_to_rzk() {
    for version in JavaVersion::ALL {
        let server = RzkServer::standalone(&[]);
        let hello = java::compile("hello", &deps::client_classpath(version));
        let out = hello.run("Hello", &[&server.connect_string()]);
        out.assert_success();
        // As with Java: the session is zxid 1, the create zxid 2.
        assert_eq!(
            out.stdout,
            "created /hello\n/hello = world czxid=0x2\n",
            "{version} client: {}",
            out.describe()
        );
    }
}

#[test]
fn kazoo_talks_to_rzk() {
    let server = RzkServer::standalone(&[]);
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

#[test]
fn curator_recipes_and_container_reaping_work_against_rzk() {
    for version in JavaVersion::ALL {
        // The reaper runs every 100 ms, as the Java test server is set up.
        let opts = ServerOptions::new().system_property("znode.container.checkIntervalMs", 100);
        let server = RzkServer::start(opts);
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
