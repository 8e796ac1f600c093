//! The ZooKeeper C client (Debian's libzookeeper-mt 3.8.0): a C program
//! built against the library (`compat-tests/c/`) and Debian's `cli_mt`
//! shell, each against a fresh reference Java 3.9.5 server and a fresh
//! candidate server; the two transcripts must be identical.
//!
//! The candidate is rzk (`java_3_9_5` as the candidate checks the scenarios
//! themselves).

use rzk_compat_tests::candidate_tests;
use rzk_compat_tests::transcript_clients::{
    compare_with_reference, compile_c, run_c, Candidate, CliMt,
};
use rzk_compat_tests::{RzkServer, ServerOptions};

candidate_tests!(RzkServer::start => {
    c_client_api: api,
    c_client_cli_mt: cli_mt,
});

fn api(candidate: Candidate) {
    let exe = compile_c("zk_transcript");
    // TTL nodes need extendedTypesEnabled; no reaper run during the test.
    let opts = ServerOptions::with_cfg(&["extendedTypesEnabled=true"])
        .system_property("znode.container.checkIntervalMs", 3_600_000);
    let t = compare_with_reference("C client zk_transcript", opts, candidate, |server| {
        run_c(&exe, server)
    });
    t.assert_line_count(97);
    t.assert_value("c1 negotiated timeout", "10000");
    t.assert_value(
        "get /c",
        "'v0' (len 2) czxid=0x2 mzxid=0x2 pzxid=0x2 version=0 cversion=0 aversion=0 owner=0 dataLength=2 numChildren=0",
    );
    t.assert_value("create sequential", "/c/seq-0000000001");
    t.assert_value(
        "create2 ephemeral sequential",
        "/c/eseq-0000000004 czxid=0x7 mzxid=0x7 pzxid=0x7 version=0 cversion=0 aversion=0 owner=c1 dataLength=0 numChildren=0",
    );
    // Containers (opcode 19) and TTL nodes (21) look persistent.
    t.assert_value(
        "create2 container",
        "/c/container czxid=0x9 mzxid=0x9 pzxid=0x9 version=0 cversion=0 aversion=0 owner=0 dataLength=1 numChildren=0",
    );
    t.assert_value(
        "create2 TTL sequential",
        "/c/ttlseq-0000000008 czxid=0xb mzxid=0xb pzxid=0xb version=0 cversion=0 aversion=0 owner=0 dataLength=1 numChildren=0",
    );
    t.assert_value("create existing", "ZNODEEXISTS");
    t.assert_value("create under ephemeral", "ZNOCHILDRENFOREPHEMERALS");
    t.assert_value("create empty ACL", "ZINVALIDACL");
    t.assert_value("set /c stale v0", "ZBADVERSION");
    t.assert_value("delete /c not empty", "ZNOTEMPTY");
    t.assert_value("delete /", "ZBADARGUMENTS");
    t.assert_value("sync /c", "ZOK /c");
    t.assert_lines_in_order(&[
        "multi ok -> ZOK",
        "  1 ZOK /m/s-0000000000",
        "multi bad check -> ZBADVERSION",
        "  0 ZOK",
        "  1 ZBADVERSION",
        "  2 ZRUNTIMEINCONSISTENCY",
    ]);
    t.assert_value("exists /m/never", "ZNONODE");
    t.assert_value(
        "c1 get_acl /acl",
        "[digest:user:5w9W4eL3797Y4Wq8AcKUPPk8ha4= perms=31] aversion=0",
    );
    t.assert_value("c2 get /acl", "ZNOAUTH");
    t.assert_value(
        "c2 get_acl /acl (read only: masked)",
        "[world:anyone perms=1, digest:user:x perms=31] aversion=1",
    );
    // Watch events, in the order the server sends them.
    t.assert_lines_in_order(&[
        "event data: CHANGED CONNECTED /c",
        "event exists: CREATED CONNECTED /c/new",
        "event children: CHILD CONNECTED /c",
        "event children: DELETED CONNECTED /c/new",
        "event data: DELETED CONNECTED /c/new",
        "c1 remove it again -> ZNOWATCHER",
        "event sentinel: CREATED CONNECTED /sentinel",
        "event c2-exists: DELETED CONNECTED /c/eph",
    ]);
    assert_eq!(t.lines_starting_with("event ").len(), 7, "{t}");
    t.assert_value(
        "c2 children /c after c1 closed",
        "[container, null, seq-0000000001, seq-0000000002, ttl, ttlseq-0000000008]",
    );
    t.assert_value("c3 add_auth unknown scheme", "ZAUTHFAILED");
    t.assert_value("c3 state", "AUTH_FAILED");
}

/// Debian's `cli_mt`, driven command by command through its stdin.
fn cli_mt(candidate: Candidate) {
    let commands = [
        "create /cli",
        "create2 /cli/two",
        "create +s /cli/seq-",
        "create2 +s /cli/seq-",
        "create +e /cli/eph",
        "create2 +es /cli/eseq-",
        "create /cli",
        "create /missing/x",
        "get /cli",
        "set /cli hello",
        "get /missing",
        "ls /cli",
        "ls2 /cli",
        "exists /cli/two",
        "delete /cli/two",
        "wexists /cli/new",
        "create /cli/new",
        "delete /cli",
        "delete /cli/new",
        "sync /cli",
        "addauth digest user:secret",
        "config",
        "get /zookeeper/config",
    ];
    let t = compare_with_reference("cli_mt", ServerOptions::new(), candidate, |server| {
        let mut cli = CliMt::connect(server);
        for command in commands {
            cli.run(command);
        }
        cli.finish()
    });
    t.assert_line_count(137);
    assert_eq!(t.lines_starting_with("> ").len(), commands.len(), "{t}");
    t.assert_lines_in_order(&[
        "Got a new session id: <session>",
        "> create /cli",
        "[/cli]: rc = 0",
        "\tname = /cli/seq-0000000001",
        "\tname = /cli/seq-0000000002",
        "\tname = /cli/eseq-0000000004",
        "\tephemeralOwner = <session>",
        "[/cli]: rc = -110",
        "[/missing/x]: rc = -101",
        // get left a data watch: set fires it before its own reply.
        "> set /cli hello",
        "Watcher CHANGED_EVENT state = CONNECTED_STATE for path /cli",
        "/cli: rc = 0 Stat:",
        "\tmzxid=a",
        "\tversion=1\taversion=0",
        "/missing: rc = -101",
        // exists left a data watch on /cli/two and ls a child watch on /cli:
        // the node's own event comes first.
        "> delete /cli/two",
        "Watcher DELETED_EVENT state = CONNECTED_STATE for path /cli/two",
        "Watcher CHILD_EVENT state = CONNECTED_STATE for path /cli",
        "/cli/two: rc = 0",
        "> create /cli/new",
        "Watcher CREATED_EVENT state = CONNECTED_STATE for path /cli/new",
        "/cli: rc = -111",
        "/cli/new: rc = 0",
        "> config",
        "/zookeeper/config: rc = 0",
        " value_len = 0",
        "\tversion=0\taversion=ffffffff",
    ]);
    assert_eq!(t.lines_starting_with("Watcher ").len(), 5, "{t}");
}
