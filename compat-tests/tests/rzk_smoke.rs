//! rzk through the harness: it starts, answers four-letter words like Java,
//! and unmodified clients (the official Java client of 3.9.5 and 3.8.0,
//! kazoo) work against it with the same results as against Java.

use std::time::Duration;

use jute::data::{Id, ACL};
use jute::proto::{CreateRequest, GetDataRequest};
use rzk_compat_tests::raw_client::{new_session_request, RawClient};
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

/// The keys of `mntr` (`zk_<name>\t<value>`) and, for the other words, the
/// shape of every line (the text before the first digit), so that tools
/// that parse them find the same things on rzk as on Java 3.9.5.
#[test]
fn four_letter_words_have_javas_formats() {
    let java = rzk_compat_tests::JavaServer::standalone(JavaVersion::V3_9_5, &[]);
    let rzk = RzkServer::standalone(&[]);
    // The same small workload on both: a session with an ephemeral and a
    // watch, kept open while the words are read.
    let _sessions: Vec<RawClient> = [&java, &rzk]
        .into_iter()
        .map(|server| {
            let mut client = RawClient::connect(server.client_port()).expect("connect");
            client.handshake(&new_session_request(30_000), true);
            let create = CreateRequest {
                path: Some("/e".into()),
                data: Some(Vec::new().into()),
                acl: Some(vec![ACL {
                    perms: 31,
                    id: Id {
                        scheme: Some("world".into()),
                        id: Some("anyone".into()),
                    },
                }]),
                flags: 1,
            };
            client.send(1, 1, &create).expect("create");
            client.read_frame(Duration::from_secs(10));
            let watch = GetDataRequest {
                path: Some("/e".into()),
                watch: true,
            };
            client.send(2, 4, &watch).expect("getData");
            client.read_frame(Duration::from_secs(10));
            client
        })
        .collect();
    let keys = |text: &str| -> std::collections::BTreeSet<String> {
        text.lines()
            .map(|l| l.split('\t').next().unwrap_or_default().to_string())
            .collect()
    };
    let java_mntr = java.four_letter_word("mntr");
    let rzk_mntr = rzk.four_letter_word("mntr");
    assert!(rzk_mntr
        .lines()
        .all(|l| l.starts_with("zk_") && l.contains('\t')));
    let (java_keys, rzk_keys) = (keys(&java_mntr), keys(&rzk_mntr));
    let missing: Vec<_> = java_keys.difference(&rzk_keys).collect();
    let extra: Vec<_> = rzk_keys.difference(&java_keys).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "mntr keys missing in rzk: {missing:?}; only in rzk: {extra:?}"
    );
    // Line shapes: labels and punctuation, with numbers and versions
    // blanked (values legitimately differ).
    // An expiry bucket left empty after its sessions were touched into a
    // later one lists as "0 expire at …" until the expirer passes it: in
    // Java that depends on timing, so `dump` is compared without them.
    let shape = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| !l.starts_with("0 expire at "))
            .map(|l| {
                let cut = l.find(|c: char| c.is_ascii_digit()).unwrap_or(l.len());
                l[..cut].to_string()
            })
            .collect()
    };
    for word in [
        "srvr", "conf", "dirs", "isro", "wchs", "wchc", "wchp", "crst", "srst", "ruok", "dump",
    ] {
        let (j, r) = (java.four_letter_word(word), rzk.four_letter_word(word));
        assert_eq!(shape(&j), shape(&r), "{word}\njava:\n{j}\nrzk:\n{r}");
    }
    // envi: rzk is not a JVM; the keys tools read are there.
    let envi = rzk.four_letter_word("envi");
    for key in [
        "Environment:",
        "zookeeper.version=3.9.5",
        "host.name=",
        "os.name=",
        "user.dir=",
    ] {
        assert!(envi.contains(key), "{envi}");
    }
}

/// With `skipACL=yes` no permission is checked: a session without
/// credentials reads, writes and deletes under a digest-only ACL; the same
/// script gives the same output on Java 3.9.5 and rzk.
#[test]
fn skip_acl_disables_every_check_like_java() {
    let script = r#"
import sys
from kazoo.client import KazooClient
from kazoo.security import make_digest_acl
from kazoo.exceptions import NoAuthError
owner = KazooClient(hosts=sys.argv[1], timeout=30, auth_data=[("digest", "u:p")])
owner.start(timeout=30)
owner.create("/private", b"secret", acl=[make_digest_acl("u", "p", all=True)])
other = KazooClient(hosts=sys.argv[1], timeout=30)
other.start(timeout=30)
def attempt(name, f):
    try:
        print(name, "ok", f())
    except NoAuthError:
        print(name, "NOAUTH")
attempt("get", lambda: other.get("/private")[0])
attempt("set", lambda: other.set("/private", b"changed").version)
attempt("child", lambda: other.create("/private/c", b""))
attempt("acl", lambda: [str(a.id) for a in other.get_acls("/private")[0]])
attempt("delete-child", lambda: other.delete("/private/c"))
attempt("delete", lambda: other.delete("/private"))
other.stop(); owner.stop()
"#;
    let run = |server: &rzk_compat_tests::ServerHandle| {
        let out = run_kazoo_script(script, &[&server.connect_string()], Duration::from_secs(60));
        out.assert_success();
        out.stdout
    };
    let java = rzk_compat_tests::JavaServer::standalone(JavaVersion::V3_9_5, &["skipACL=yes"]);
    let rzk = RzkServer::standalone(&["skipACL=yes"]);
    let (java_out, rzk_out) = (run(&java), run(&rzk));
    assert!(java_out.contains("get ok b'secret'"), "{java_out}");
    assert!(java_out.contains("delete ok"), "{java_out}");
    assert_eq!(rzk_out, java_out);
    // Without skipACL the same script is refused.
    let strict = RzkServer::standalone(&[]);
    assert!(run(&strict).contains("get NOAUTH"));
}
