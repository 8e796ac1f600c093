//! Curator scenarios (`compat-tests/java/curator-scenarios`): each runs
//! against a fresh reference Java 3.9.5 server and a fresh candidate
//! server, and the two transcripts must be identical. Curator 5.9.0 (with
//! the 3.9.5 client) runs one scenario per test; Debian's Curator 5.4 (with
//! the 3.8.0 client) runs them all in two tests.
//!
//! The candidate is rzk (`java_3_9_5` as the candidate checks the scenarios
//! themselves).

use rzk_compat_tests::candidate_tests;
use rzk_compat_tests::transcript_clients::{
    compare_with_reference, curator_scenarios, run_curator, Candidate, Transcript,
};
use rzk_compat_tests::{JavaVersion, RzkServer, ServerOptions};

candidate_tests!(RzkServer::start => {
    curator_framework: framework,
    curator_watches: watches,
    curator_mutex: mutex,
    curator_semaphore: semaphore,
    curator_leader_latch: leader_latch,
    curator_leader_selector: leader_selector,
    curator_cache: cache,
    curator_persistent_node: persistent_node,
    curator_ttl_node: ttl_node,
    curator_shared_count: shared_count,
    curator_atomic_long: atomic_long,
    curator_queue: queue,
    curator_containers: containers,
    curator_5_4_recipes: recipes_with_curator_5_4,
    curator_5_4_containers_and_ttl: containers_and_ttl_with_curator_5_4,
});

/// For the other scenarios: no container reaper run during the test (the
/// default interval, 60 s, could elapse on a loaded machine and delete
/// emptied lock parents while a scenario still prints them).
fn no_reaper_opts() -> ServerOptions {
    ServerOptions::new().system_property("znode.container.checkIntervalMs", 3_600_000)
}

/// For the scenarios that wait for the container and TTL reaper: TTL nodes
/// enabled, and a reaper that runs every 100 ms (default 60 s).
fn reaper_opts() -> ServerOptions {
    ServerOptions::with_cfg(&["extendedTypesEnabled=true"])
        .system_property("znode.container.checkIntervalMs", 100)
}

#[track_caller]
fn curator_with(
    candidate: Candidate,
    version: JavaVersion,
    scenarios: &[&str],
    opts: ServerOptions,
) -> Transcript {
    let program = curator_scenarios(version);
    let name = format!("Curator ({version} client) {}", scenarios.join(" "));
    compare_with_reference(&name, opts, candidate, |server| {
        run_curator(&program, server, scenarios)
    })
}

#[track_caller]
fn curator(candidate: Candidate, scenario: &str, opts: ServerOptions) -> Transcript {
    curator_with(candidate, JavaVersion::V3_9_5, &[scenario], opts)
}

fn framework(candidate: Candidate) {
    let t = curator(candidate, "framework", no_reaper_opts());
    t.assert_line_count(51);
    t.assert_value("create /fw", "/fw");
    // Every Curator create is a create2; zxids are deterministic here.
    t.assert_line(
        "  stat czxid=0x3 mzxid=0x3 pzxid=0x3 version=0 cversion=0 aversion=0 owner=0 dataLength=1 numChildren=0",
    );
    t.assert_value("create persistent sequential", "/fw/seq-0000000002");
    // withProtection: the _c_<uuid>- prefix is dropped from the transcript.
    t.assert_value(
        "create protected ephemeral sequential",
        "/fw/eseq-0000000003",
    );
    t.assert_value("create existing", "NODEEXISTS");
    t.assert_value("create under ephemeral", "NOCHILDRENFOREPHEMERALS");
    t.assert_value("setData stale v1", "BADVERSION");
    t.assert_value("setData read-only", "NOAUTH");
    t.assert_value("delete not empty", "NOTEMPTY");
    t.assert_value("delete deletingChildrenIfNeeded", "deleted");
    t.assert_value("checkExists creatingParentContainersIfNeeded", "null");
    // Containers look like persistent nodes to clients.
    t.assert_value(
        "exists /fw/k1 (a container)",
        "czxid=0x1f mzxid=0x1f pzxid=0x20 version=0 cversion=1 aversion=0 owner=0 dataLength=0 numChildren=1",
    );
    t.assert_value("transaction", "5 results");
    t.assert_line("  CREATE /fw/t/s- result=/fw/t/s-0000000000 stat=null error=0");
    t.assert_lines_in_order(&[
        "failing transaction -> BADVERSION at null",
        "  ErrorResult OK",
        "  ErrorResult BADVERSION",
        "  ErrorResult RUNTIMEINCONSISTENCY",
    ]);
    t.assert_value("exists /fw/never", "null");
    t.assert_value("sync", "SYNC rc=0 path=/fw");
    t.assert_value("getConfig length", "0");
    t.assert_line(
        "  stat czxid=0x23 mzxid=0x23 pzxid=0x23 version=0 cversion=0 aversion=0 owner=0 dataLength=0 numChildren=0",
    );
}

fn watches(candidate: Candidate) {
    let t = curator(candidate, "watches", no_reaper_opts());
    t.assert_line_count(21);
    t.assert_lines_in_order(&[
        "event one-shot NodeDataChanged /wt",
        "event one-shot NodeCreated /wt/child",
        "event one-shot NodeChildrenChanged /wt",
        // addWatch PERSISTENT: data and child events of /per, twice each.
        "event persistent NodeDataChanged /per",
        "event persistent NodeDataChanged /per",
        "event persistent NodeChildrenChanged /per",
        "event persistent NodeChildrenChanged /per",
        // addWatch PERSISTENT_RECURSIVE: the changed node's own path.
        "event recursive NodeCreated /rec/a",
        "event recursive NodeCreated /rec/a/b",
        "event recursive NodeDataChanged /rec/a/b",
        "event recursive NodeDeleted /rec/a/b",
        "event recursive NodeDataChanged /rec",
        "remove the recursive watch -> removed",
        "remove it again -> NOWATCHER",
        "event recursive PersistentWatchRemoved /rec",
        "event persistent PersistentWatchRemoved /per",
        "event one-shot DataWatchRemoved /wt",
        "event one-shot NodeCreated /sentinel",
    ]);
}

fn mutex(candidate: Candidate) {
    let t = curator(candidate, "mutex", no_reaper_opts());
    t.assert_line_count(18);
    assert_eq!(
        t.lines_starting_with("mutex acquired by ").concat(),
        "mutex acquired by c1mutex acquired by c2mutex acquired by c3",
        "{t}"
    );
    t.assert_value("c2 probe acquire with 0 wait", "false");
    // The probe's node took sequence number 1.
    t.assert_line(
        "participant nodes [/locks/mutex/lock-0000000000, /locks/mutex/lock-0000000002, /locks/mutex/lock-0000000003]",
    );
    t.assert_line("lock node owners [c1, c2, c3]");
    t.assert_line("participant nodes [/locks/mutex/lock-0000000004]");
    t.assert_value("c1 held after one release", "true");
    t.assert_value("c1 held after two releases", "false");
    t.assert_value("c3 acquired after c2's session closed", "true");
    assert_eq!(
        t.lines_starting_with("participant nodes at the end ").len(),
        2,
        "{t}"
    );
}

fn semaphore(candidate: Candidate) {
    let t = curator(candidate, "semaphore", no_reaper_opts());
    t.assert_line_count(10);
    t.assert_line("c1 acquired 2 leases");
    t.assert_value("c2 acquire with a 100 ms wait (none free)", "null");
    t.assert_line(
        "lease nodes while c3 waits [lease-0000000000, lease-0000000001, lease-0000000003]",
    );
    t.assert_line("c3 acquired a lease lease-0000000003");
    t.assert_line("lease owners [c1, c3]");
    t.assert_line("lease nodes at the end []");
    t.assert_value("semaphore children", "[leases, locks]");
}

fn leader_latch(candidate: Candidate) {
    let t = curator(candidate, "leader-latch", no_reaper_opts());
    t.assert_line_count(13);
    t.assert_lines_in_order(&[
        "p1 await -> true",
        "event p1 isLeader",
        "participants [p1(leader), p2, p3]",
        "leader p1",
        "p2 hasLeadership false",
        "latch nodes [latch-0000000000, latch-0000000001, latch-0000000002]",
        "p2 await -> true",
        "event p2 isLeader",
        "participants [p2(leader), p3]",
        "p3 await -> true",
        "events [p2 notLeader, p3 isLeader]",
        "participants [p3(leader)]",
        "latch children at the end -> []",
    ]);
}

fn leader_selector(candidate: Candidate) {
    let t = curator(candidate, "leader-selector", no_reaper_opts());
    t.assert_line_count(9);
    // s1 requeues itself behind s3.
    t.assert_lines_in_order(&[
        "leader s1",
        "participants [s1(leader), s2, s3]",
        "leader s2",
        "participants [s2(leader), s3, s1]",
        "leader s3",
        "participants [s3(leader), s1]",
        "leader s1",
        "participants [s1(leader)]",
        "selector children at the end -> []",
    ]);
}

fn cache(candidate: Candidate) {
    let t = curator(candidate, "cache", no_reaper_opts());
    t.assert_line_count(30);
    t.assert_lines_in_order(&[
        "NODE_CREATED null -> /cache/a/x='ax' v0",
        "NODE_CREATED null -> /cache/a='a' v0",
        "NODE_CREATED null -> /cache/b='b' v0",
        "NODE_CREATED null -> /cache='root' v0",
        "initialized",
        "NODE_CREATED null -> /cache/c='c' v0",
        "NODE_CHANGED /cache/a='a' v0 -> /cache/a='a2' v1",
        // Events of the persistent recursive watch carry the changed
        // node's path, however deep.
        "NODE_CREATED null -> /cache/c/deep='d' v0",
        "NODE_CHANGED /cache/c/deep='d' v0 -> /cache/c/deep='d2' v1",
        "NODE_CHANGED /cache='root' v0 -> /cache='root2' v1",
        "NODE_CHANGED /cache/a/x='ax' v0 -> /cache/a/x='ax' v1",
        "NODE_DELETED /cache/b='b' v0 -> null",
        "NODE_DELETED /cache/c/deep='d2' v1 -> null",
        "NODE_DELETED /cache/c='c' v0 -> null",
        "NODE_CREATED null -> /cache/e='e' v0",
        "NODE_DELETED /cache/e='e' v0 -> null",
        "cache size 3 [/cache/a/x='ax' v1, /cache/a='a2' v1, /cache='root2' v1]",
    ]);
}

fn persistent_node(candidate: Candidate) {
    let t = curator(candidate, "persistent-node", no_reaper_opts());
    t.assert_line_count(15);
    t.assert_value(
        "c2 exists /pn/node",
        "version=0 cversion=0 aversion=0 owner=c1 dataLength=2 numChildren=0",
    );
    // Deleted by another session: re-created, still c1's ephemeral.
    t.assert_value(
        "c2 get /pn/node after the delete",
        "'v1' version=0 cversion=0 aversion=0 owner=c1 dataLength=2 numChildren=0",
    );
    t.assert_value(
        "c2 get /pn/node after setData",
        "'v2' version=1 cversion=0 aversion=0 owner=c1 dataLength=2 numChildren=0",
    );
    t.assert_line("actual path /pn/seq-0000000002");
    t.assert_line("actual path after the delete /pn/seq-0000000002");
    t.assert_value("children of /pn", "[seq-0000000002, node]");
    t.assert_value("children of /pn after close", "[]");
}

fn ttl_node(candidate: Candidate) {
    let t = curator(candidate, "ttl-node", reaper_opts());
    t.assert_line_count(21);
    t.assert_line("waitForInitialCreate -> true");
    // A container with a TTL child; both look persistent to clients.
    t.assert_value("get /ttl/node", "'data' version=0 owner=0 numChildren=1");
    t.assert_value("children /ttl/node", "[touch]");
    t.assert_value("exists /ttl/node/touch owner", "0");
    t.assert_lines_in_order(&[
        "/ttl/node/touch expired",
        "/ttl/node reaped",
        "/ttl reaped",
        "create TTL sequential -> /ttls/seq-0000000001",
        "/ttls/lonely and /ttls/seq-0000000001 expired",
        // A TTL node with a child outlives its TTL.
        "children /ttls -> [parent]",
        "/ttls/parent expired once empty",
        "/ttls/touched expired",
        "children /ttls -> []",
    ]);
}

fn shared_count(candidate: Candidate) {
    let t = curator(candidate, "shared-count", no_reaper_opts());
    t.assert_line_count(11);
    t.assert_lines_in_order(&[
        "c1 count 0, c2 count 0",
        "after c1 setCount 5: [c1 saw 5, c2 saw 5]",
        "c2 versioned value 5 version 1",
        "after c1 setCount 6: [c1 saw 6, c2 saw 6]",
        "c2 trySetCount with a stale version -> false",
        "c2 versioned value 6 version 2",
        "c2 trySetCount with the current version -> true",
        "after c2 trySetCount 7: [c1 saw 7, c2 saw 7]",
        "c1 count 7, c2 count 7",
    ]);
    t.assert_value("/count bytes", "[0, 0, 0, 7]");
}

fn atomic_long(candidate: Candidate) {
    let t = curator(candidate, "atomic-long", no_reaper_opts());
    t.assert_line_count(13);
    t.assert_value("increment", "succeeded=true pre=0 post=1");
    t.assert_value("compareAndSet 10 -> 20", "succeeded=true pre=10 post=20");
    t.assert_value("compareAndSet 10 -> 30", "succeeded=false pre=20 post=0");
    t.assert_value("/dal bytes", "[0, 0, 0, 0, 0, 0, 0, 7]");
    // 7 + 3 x 25 concurrent increments, none lost.
    t.assert_value(
        "after 75 concurrent increments",
        "succeeded=true pre=82 post=82",
    );
    t.assert_value(
        "promoted counter after 30 concurrent increments",
        "succeeded=true pre=30 post=30",
    );
    assert_eq!(
        t.lines_starting_with("failed increments ").concat(),
        "failed increments 0failed increments 0",
        "{t}"
    );
}

fn queue(candidate: Candidate) {
    let t = curator(candidate, "queue", no_reaper_opts());
    t.assert_line_count(7);
    t.assert_value(
        "queue nodes",
        "[queue-0000000000, queue-0000000001, queue-0000000002, queue-0000000003]",
    );
    t.assert_line("consumed in order [a, b, c, m1, m2]");
    t.assert_line("consumed d");
    t.assert_line("consumed with locks x y");
    t.assert_value("locked queue items", "[]");
    t.assert_line("consumed by priority [minus, ten, twenty, thirty]");
}

fn containers(candidate: Candidate) {
    let t = curator(candidate, "containers", reaper_opts());
    t.assert_line_count(18);
    t.assert_value(
        "exists /ctr",
        "version=0 cversion=1 aversion=0 owner=0 dataLength=0 numChildren=1",
    );
    t.assert_lines_in_order(&[
        "/ctr/a reaped",
        "/ctr reaped",
        "/ctr-unused reaped (it once had a child)",
        "/ctr-eph reaped after its ephemeral's session closed",
        "/ctr-locks reaped after the lock was released",
    ]);
    // Kept: a container with a child, and one that never had one.
    t.assert_value(
        "exists /ctr-kept (still has a child)",
        "version=0 cversion=1 aversion=0 owner=0 dataLength=0 numChildren=1",
    );
    t.assert_value(
        "exists /ctr-never (never had a child)",
        "version=0 cversion=0 aversion=0 owner=0 dataLength=0 numChildren=0",
    );
    t.assert_value("root children", "[ctr-kept, ctr-never, zookeeper]");
}

/// Every scenario without the reaper, with Debian's Curator 5.4 and the
/// 3.8.0 client, one after the other in one JVM against one server.
fn recipes_with_curator_5_4(candidate: Candidate) {
    let scenarios = [
        "framework",
        "watches",
        "mutex",
        "semaphore",
        "leader-latch",
        "leader-selector",
        "cache",
        "persistent-node",
        "shared-count",
        "atomic-long",
        "queue",
    ];
    let t = curator_with(candidate, JavaVersion::V3_8_0, &scenarios, no_reaper_opts());
    t.assert_line_count(51 + 21 + 18 + 10 + 13 + 9 + 30 + 15 + 11 + 13 + 7 + scenarios.len());
    for scenario in scenarios {
        t.assert_line(&format!("== {scenario}"));
    }
    t.assert_line("lock node owners [c1, c2, c3]");
    t.assert_line("events [p2 notLeader, p3 isLeader]");
    t.assert_line("NODE_CREATED null -> /cache/c/deep='d' v0");
    t.assert_value(
        "after 75 concurrent increments",
        "succeeded=true pre=82 post=82",
    );
    t.assert_line("consumed by priority [minus, ten, twenty, thirty]");
}

/// The reaper scenarios with Debian's Curator 5.4 and the 3.8.0 client.
fn containers_and_ttl_with_curator_5_4(candidate: Candidate) {
    let scenarios = ["containers", "ttl-node"];
    let t = curator_with(candidate, JavaVersion::V3_8_0, &scenarios, reaper_opts());
    t.assert_line_count(18 + 21 + 2);
    t.assert_line("/ctr-eph reaped after its ephemeral's session closed");
    t.assert_line("/ttl reaped");
    t.assert_line("children /ttls -> []");
}
