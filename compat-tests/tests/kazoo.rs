//! kazoo (Python) scenarios: each runs against a fresh reference Java 3.9.5
//! server and a fresh candidate server, and the two transcripts must be
//! identical. The scripts are in `compat-tests/python/`; each prints a
//! normalised transcript (see `zkt.py`).
//!
//! The candidate is rzk (`java_3_9_5` as the candidate checks the scenarios
//! themselves).

use rzk_compat_tests::candidate_tests;
use rzk_compat_tests::transcript_clients::{
    compare_with_reference, run_kazoo, Candidate, Transcript,
};
use rzk_compat_tests::{RzkServer, ServerOptions};

candidate_tests!(RzkServer::start => {
    kazoo_crud: crud,
    kazoo_transactions: transactions,
    kazoo_acl: acl,
    kazoo_watches: watches,
    kazoo_session_expiry: session_expiry,
    kazoo_lock: lock,
    kazoo_election: election,
    kazoo_queue: queue,
    kazoo_counter_and_party: counter_and_party,
    kazoo_barrier: barrier,
    kazoo_tree_cache: tree_cache,
});

#[track_caller]
fn kazoo(candidate: Candidate, script: &str, opts: ServerOptions) -> Transcript {
    compare_with_reference(script, opts, candidate, |server| run_kazoo(script, server))
}

fn crud(candidate: Candidate) {
    let t = kazoo(candidate, "kazoo_crud.py", ServerOptions::new());
    t.assert_line_count(77);
    t.assert_value("negotiated timeout", "10000");
    // A fresh server's tree; the root's cversion shows as -1.
    t.assert_value(
        "get /",
        "b'' czxid=0x0 mzxid=0x0 pzxid=0x0 version=0 cversion=-1 aversion=0 owner=0 dataLength=0 numChildren=1",
    );
    // The session is zxid 1, the first create zxid 2.
    t.assert_value(
        "get /crud",
        "b'root' czxid=0x2 mzxid=0x2 pzxid=0x2 version=0 cversion=0 aversion=0 owner=0 dataLength=4 numChildren=0",
    );
    // Sequence numbers come from the parent's cversion, which deletes
    // don't reset.
    t.assert_value("create seq 0", "/crud/seq-0000000001");
    t.assert_value("create ephemeral seq", "/crud/eseq-0000000006");
    t.assert_value("create seq after deletes", "/crud/seq-0000000010");
    t.assert_value("create with a sequence of no name", "/crud/deep/0000000001");
    t.assert_value("create under ephemeral", "NoChildrenForEphemeralsError");
    t.assert_value("create existing", "NodeExistsError");
    t.assert_value("create no parent", "NoNodeError");
    t.assert_value("set /crud stale v0", "BadVersionError");
    t.assert_value("delete not empty", "NotEmptyError");
    t.assert_value("delete /", "BadArgumentsError");
    t.assert_value("exists missing", "None");
    t.assert_value("get 512000 bytes", "512000 True 512000");
    // Failed writes take zxids too: /crud's first setData is zxid 0x18.
    t.assert_value(
        "set /crud v0",
        "czxid=0x2 mzxid=0x18 pzxid=0xf version=1 cversion=10 aversion=0 owner=0 dataLength=2 numChildren=10",
    );
    t.assert_value("sync missing", "/missing");
    // Over jute.maxbuffer: the connection drops, the session survives.
    t.assert_value("set 1 MiB", "ConnectionLoss");
    t.assert_lines_in_order(&["state SUSPENDED", "state CONNECTED"]);
    t.assert_value("same session", "True");
    t.assert_value("c2 exists /crud/eph after c1 closed", "None");
}

fn transactions(candidate: Candidate) {
    let t = kazoo(candidate, "kazoo_transactions.py", ServerOptions::new());
    t.assert_line_count(53);
    t.assert_value("multi ok", "9 results");
    // A multi is one txn: everything it created shares its zxid.
    t.assert_value(
        "get /tx/a",
        "b'a2' czxid=0x3 mzxid=0x3 pzxid=0x3 version=2 cversion=2 aversion=0 owner=0 dataLength=2 numChildren=0",
    );
    t.assert_value("exists /tx/b", "None");
    t.assert_lines_in_order(&[
        "multi bad check -> 4 results",
        "   0 RolledBackError",
        "   1 BadVersionError",
        "   2 RuntimeInconsistency",
        "   3 RuntimeInconsistency",
    ]);
    t.assert_lines_in_order(&["multi delete not empty -> 1 results", "   0 NotEmptyError"]);
    t.assert_value("multi empty", "0 results");
    // 8 failed multis, the chain and the empty multi each took a zxid.
    t.assert_value(
        "create /tx/last",
        "/tx/last czxid=0xe mzxid=0xe pzxid=0xe version=0 cversion=0 aversion=0 owner=0 dataLength=0 numChildren=0",
    );
    t.assert_value("c2 exists /tx/e after c1 closed", "None");
}

fn acl(candidate: Candidate) {
    let t = kazoo(candidate, "kazoo_acl.py", ServerOptions::new());
    t.assert_line_count(60);
    let digest = "digest:admin:fvr2cB/fjGeAiX8g1aGhUm3ZICk= perms=31";
    assert!(
        t.value_of("admin get_acls /acl")
            .is_some_and(|v| v.starts_with(&format!("[{digest}]"))),
        "{t}"
    );
    for op in [
        "get",
        "exists",
        "get_children",
        "get_acls",
        "set",
        "set_acls",
    ] {
        t.assert_value(&format!("anon {op} /acl"), "NoAuthError");
    }
    // Without ADMIN, digest ids are masked.
    assert!(
        t.value_of("anon get_acls /mixed")
            .is_some_and(|v| v.starts_with("[world:anyone perms=1, digest:admin:x perms=31]")),
        "{t}"
    );
    t.assert_value("admin set_acls /mixed stale v0", "BadVersionError");
    t.assert_value("admin set_acls /mixed empty", "InvalidACLError");
    t.assert_value("anon create creator-all", "InvalidACLError");
    t.assert_value("create bad scheme", "InvalidACLError");
    t.assert_value("anon get /ip-other", "NoAuthError");
    t.assert_lines_in_order(&[
        "anon get /acl -> NoAuthError",
        "anon add_auth -> True",
        "anon get /acl -> b'secret' czxid=0x3 mzxid=0x3 pzxid=0x4 version=0 cversion=1 aversion=0 owner=0 dataLength=6 numChildren=1",
    ]);
    t.assert_value("victim add_auth unknown scheme", "AuthFailedError");
    t.assert_line("victim state LOST");
    t.assert_value("third delete /acl", "True");
}

fn watches(candidate: Candidate) {
    let t = kazoo(candidate, "kazoo_watches.py", ServerOptions::new());
    t.assert_line_count(47);
    assert_eq!(t.lines_starting_with("event ").len(), 13, "{t}");
    t.assert_lines_in_order(&[
        "event exists: CREATED CONNECTED /w/a",
        "event get: CHANGED CONNECTED /w/a",
        "event sentinel1: CREATED CONNECTED /w/sentinel1",
        "event children: CHILD CONNECTED /w/a",
        "event children: CHILD CONNECTED /w/a",
        "event children2: DELETED CONNECTED /w/a",
        "event data: DELETED CONNECTED /w/a",
        "event exists: DELETED CONNECTED /w/a",
        "event c1-children: CHILD CONNECTED /w",
        "event c1-exists: CREATED CONNECTED /w/b",
        "event c1-get: CHANGED CONNECTED /w/b",
        "event c1-exists: DELETED CONNECTED /w/b",
        "event sentinel3: CREATED CONNECTED /w/sentinel3",
    ]);
    t.assert_lines_in_order(&[
        "DataWatch None version=None event=None",
        "DataWatch b'one' version=0 event=CREATED",
        "DataWatch b'two' version=1 event=CHANGED",
        "DataWatch None version=None event=DELETED",
        "DataWatch b'three' version=0 event=CREATED",
        "ChildrenWatch [] event=None",
        "ChildrenWatch ['a'] event=CHILD",
        "ChildrenWatch ['a', 'b'] event=CHILD",
        "ChildrenWatch ['b'] event=CHILD",
        "DataWatch b'four' version=1 event=CHANGED",
        "ChildrenWatch [] event=CHILD",
    ]);
}

fn session_expiry(candidate: Candidate) {
    // tickTime 500: sessions may be as short as 1 s.
    let t = kazoo(
        candidate,
        "kazoo_session.py",
        ServerOptions::with_cfg(&["tickTime=500"]),
    );
    t.assert_line_count(28);
    t.assert_line("requested 0.2 negotiated 1000");
    t.assert_line("requested 60.0 negotiated 10000");
    t.assert_line("c1 negotiated timeout 4000");
    t.assert_lines_in_order(&[
        "c1 state SUSPENDED",
        "observer event DELETED CONNECTED /s/eph",
        "observer get_children /s -> []",
        "c1 state LOST",
        "c1 state CONNECTED",
        "c1 has a new session True",
        "ChildrenWatch []",
        "c1 exists /s/eph -> None",
        "ChildrenWatch ['eph2']",
        "c1 state SUSPENDED",
        "c1 state CONNECTED",
        "c1 same session True",
        "ChildrenWatch ['eph2', 'eph3']",
        "c1 state LOST",
        "observer get_children /s -> []",
    ]);
}

fn lock(candidate: Candidate) {
    let t = kazoo(candidate, "kazoo_lock.py", ServerOptions::new());
    t.assert_line_count(41);
    assert_eq!(
        t.lines_starting_with("lock acquired by ").concat(),
        "lock acquired by c1lock acquired by c2lock acquired by c3",
        "{t}"
    );
    t.assert_value("c2 probe non-blocking acquire", "False");
    t.assert_value("c3 probe acquire with 0.2 s timeout", "LockTimeout");
    t.assert_line("contenders ['c1', 'c2', 'c3']");
    // The probes' nodes took sequence numbers 1 and 2.
    t.assert_line("lock nodes ['__lock__0000000000', '__lock__0000000003', '__lock__0000000004']");
    t.assert_line("lock nodes at the end []");
    t.assert_line("c3 semaphore acquired True");
    t.assert_value("c1 acquire non-blocking (full)", "False");
    t.assert_line("rw contenders ['r1', 'r2', 'w3']");
    t.assert_line("w3 acquired True");
    t.assert_value("r4 acquire non-blocking while w3 writes", "False");
    t.assert_line("c2 acquired after c1's session closed True");
}

fn election(candidate: Candidate) {
    let t = kazoo(candidate, "kazoo_election.py", ServerOptions::new());
    t.assert_line_count(14);
    assert_eq!(
        t.lines_starting_with("leader ").concat(),
        "leader c1leader c2leader c4",
        "{t}"
    );
    t.assert_lines_in_order(&[
        "contenders ['c1', 'c2', 'c3', 'c4']",
        "c3 left the election",
        "contenders ['c1', 'c2', 'c4']",
        "contenders []",
        "election nodes []",
    ]);
}

fn queue(candidate: Candidate) {
    let t = kazoo(candidate, "kazoo_queue.py", ServerOptions::new());
    t.assert_line_count(49);
    let gets: Vec<&str> = t
        .lines()
        .filter(|l| l.starts_with("c1 get ->") || l.starts_with("c2 get ->"))
        .collect();
    // Priority first, then FIFO; the queue drains exactly.
    assert_eq!(
        &gets[..5],
        &[
            "c2 get -> b'urgent'",
            "c2 get -> b'a'",
            "c1 get -> b'b'",
            "c2 get -> b'd'",
            "c2 get -> b'c'",
        ],
        "{t}"
    );
    t.assert_value("c2 get (empty)", "None");
    t.assert_value(
        "entries",
        "[entry-001-0000000002, entry-100-0000000000, entry-100-0000000001, entry-100-0000000004, entry-500-0000000003]",
    );
    t.assert_value("c1 get (skips the taken entry)", "b'z'");
    t.assert_value("c2 consume again", "False");
    t.assert_value("c1 get with 0.2 s timeout (empty)", "None");
    t.assert_value("c2 blocking get", "b'w'");
    t.assert_value("taken after c2 closed", "[]");
}

fn counter_and_party(candidate: Candidate) {
    let t = kazoo(candidate, "kazoo_counter.py", ServerOptions::new());
    t.assert_line_count(27);
    t.assert_line("after += 5: 5 pre 0 post 5");
    t.assert_line("float counter: 3.75");
    t.assert_value(
        "get /curator",
        "b'\\x00\\x00\\x00\\x06' version=2 cversion=0 aversion=0 owner=0 dataLength=4 numChildren=0",
    );
    // 3 + 3 x 25: no increment lost, none applied twice.
    t.assert_line("after 75 concurrent increments: 78");
    t.assert_line("/counter version 77");
    t.assert_line("party 3 ['c1', 'c2', 'c3']");
    t.assert_line("shallow party 3 ['c1', 'c2', 'c3']");
    t.assert_lines_in_order(&["party 1 ['c1']", "shallow party 2 ['c1', 'c2']"]);
}

fn barrier(candidate: Candidate) {
    let t = kazoo(candidate, "kazoo_barrier.py", ServerOptions::new());
    t.assert_line_count(14);
    t.assert_value("wait 0.2 s while in place", "False");
    t.assert_line("waiters [('c2', True), ('c3', True)]");
    t.assert_line(
        "['c1 entered (participating=True)', 'c2 entered (participating=True)', 'c3 entered (participating=True)']",
    );
    t.assert_value("/double child count", "4");
    t.assert_line(
        "['c1 left (participating=False, 0 nodes remain)', 'c2 left (participating=False, 0 nodes remain)', 'c3 left (participating=False, 0 nodes remain)']",
    );
}

fn tree_cache(candidate: Candidate) {
    let t = kazoo(candidate, "kazoo_tree_cache.py", ServerOptions::new());
    t.assert_line_count(44);
    t.assert_lines_in_order(&[
        "NODE_ADDED /tree b'root' version=0",
        "NODE_ADDED /tree/a b'a' version=0",
        "NODE_ADDED /tree/a/x b'ax' version=0",
        "NODE_ADDED /tree/b b'b' version=0",
        "INITIALIZED",
        "NODE_ADDED /tree/c b'c' version=0",
        "NODE_UPDATED /tree/a b'a2' version=1",
        "NODE_ADDED /tree/c/deep b'd' version=0",
        "NODE_UPDATED /tree/c/deep b'd2' version=1",
        "NODE_UPDATED /tree b'root2' version=1",
        "NODE_REMOVED /tree/b b'b' version=0",
        "NODE_REMOVED /tree/c b'c' version=0",
        "NODE_REMOVED /tree/c/deep b'd2' version=1",
        "NODE_ADDED /tree/b b'b-again' version=0",
        "NODE_ADDED /tree/e b'' version=0",
        "NODE_REMOVED /tree/e b'' version=0",
    ]);
    t.assert_line("cache /tree b'root2' version=1 ['a', 'b']");
}
