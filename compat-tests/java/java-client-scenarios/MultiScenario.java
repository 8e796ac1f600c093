import static org.apache.zookeeper.CreateMode.CONTAINER;
import static org.apache.zookeeper.CreateMode.EPHEMERAL;
import static org.apache.zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL;
import static org.apache.zookeeper.CreateMode.PERSISTENT;
import static org.apache.zookeeper.CreateMode.PERSISTENT_SEQUENTIAL;
import static org.apache.zookeeper.CreateMode.PERSISTENT_WITH_TTL;

import org.apache.zookeeper.MultiResponse;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooDefs.OpCode;
import org.apache.zookeeper.proto.SetDataRequest;

/**
 * multi (every op kind, create2 inside a multi, partial-failure results),
 * the Transaction API, multiRead with per-op errors, hand-written multis the
 * client would refuse, and the watches a multi fires.
 *
 * <p>Server: extendedTypesEnabled=true (TTL inside a multi).
 */
final class MultiScenario extends Scenario {
    MultiScenario(String server) {
        super(server);
    }

    private static final long HOUR = 3_600_000L;

    private String multi(Client c, Ops ops) throws InterruptedException {
        if (ops.unsupported) {
            return step(c, "multi " + ops, () -> "client-unsupported");
        }
        return multi(c, ops.toString(), ops.ops);
    }

    private String rawMulti(Client c, int opcode, Ops.Raw ops) throws InterruptedException {
        String name = opcode == OpCode.multi ? "multi" : opcode == OpCode.multiRead ? "multiRead" : "op" + opcode;
        return raw(c, name + " " + ops, opcode, ops, new MultiResponse(), r -> Fmt.results(r.getResultList()));
    }

    @Override
    void run() throws Exception {
        Client c1 = connect("c1", server, 30000);
        Client c2 = connect("c2", server, 30000);

        section("multi: every op kind");
        multi(c1, new Ops()
            .create("/m", b("m"), PERSISTENT)
            .create("/m/a", b("a"), EPHEMERAL)
            .create("/m/s-", b("s"), PERSISTENT_SEQUENTIAL)
            .setData("/m", b("m1"), -1)
            .check("/m", 1)
            .setData("/m/a", b("a1"), 0)
            .check("/m/a", 1));
        getChildren2(c1, "/m", false);
        getData(c1, "/m/a", false);
        multi(c1, new Ops().create2("/m/c2", b("c2"), PERSISTENT));
        multi(c1, new Ops().create2("/m/c2e-", b("c2e"), EPHEMERAL_SEQUENTIAL).create2("/m/c2b", null, PERSISTENT));
        multi(c1, new Ops()
            .create("/m/cont", b("c"), CONTAINER)
            .create("/m/cont/x", b("x"), PERSISTENT)
            .create("/m/ttl", b("t"), PERSISTENT_WITH_TTL, HOUR));
        getChildren2(c1, "/m", false);
        multi(c1, new Ops());
        multi(c1, new Ops().check("/m", -1));
        step(c1, "transaction create /m/t, setData /m/t, check /m/t 1, delete /m/t 1", () -> Fmt.results(
            c1.zk.transaction()
                .create("/m/t", b("t"), OPEN, PERSISTENT)
                .setData("/m/t", b("t1"), 0)
                .check("/m/t", 1)
                .delete("/m/t", 1)
                .commit()));
        multi(c1, new Ops().create("/m/x", b("x"), PERSISTENT).delete("/m/x", 0));
        multi(c1, new Ops().delete("/m/a", -1).create("/m/a", b("again"), PERSISTENT));
        exists(c1, "/m/a", false);

        section("multi: failures roll back, results 0 before and -2 after the failed op");
        multi(c1, new Ops().create("/m/b", b("b"), PERSISTENT).setData("/m/none", b("x"), -1)
            .create("/m/c", b("c"), PERSISTENT));
        exists(c1, "/m/b", false);
        multi(c1, new Ops().check("/m", 99).create("/m/d", b("d"), PERSISTENT));
        multi(c1, new Ops().create("/m/a", b("dup"), PERSISTENT).delete("/m/a", -1));
        multi(c1, new Ops().delete("/m", -1));
        multi(c1, new Ops().create("/m/y", b("y"), PERSISTENT).create("/m/y", b("y"), PERSISTENT));
        multi(c1, new Ops().create("/m/e", b("e"), EPHEMERAL).create("/m/e/c", b("c"), PERSISTENT));
        multi(c1, new Ops().check("/m/none", 0));
        multi(c1, new Ops().setData("/m", b("x"), 5).setData("/m", b("x"), -1));
        multi(c1, new Ops().create("/m/z", b("z"), PERSISTENT).delete("/m/z", 3));
        multi(c1, new Ops().delete("/zookeeper", -1));
        multi(c1, new Ops().create("/m/f", b("f"), PERSISTENT).create("/m/nothing/f", b("f"), PERSISTENT));
        multi(c1, new Ops().create("/m/ttl0", b("t"), PERSISTENT_WITH_TTL, 0));
        multi(c1, new Ops().create("/m/bad/", b("x"), PERSISTENT));
        multi(c1, new Ops().create("/m/g", b("g"), PERSISTENT).getData("/m"));
        getChildren2(c1, "/m", false);
        create2(c1, "/m/after-failures", b("x"), PERSISTENT, -1);

        section("multi: hand-written requests the client would refuse");
        rawMulti(c1, OpCode.multi, new Ops.Raw().create("noslash", 0));
        rawMulti(c1, OpCode.multi, new Ops.Raw().create("/m/r1", 0).create("/m/r1/", 0));
        rawMulti(c1, OpCode.multi, new Ops.Raw().create("/m/r2", 0).getData("/m"));
        rawMulti(c1, OpCode.multi, new Ops.Raw().getData("/m"));
        rawMulti(c1, OpCode.multi, new Ops.Raw().create("/m/r3", 7));
        rawMulti(c1, OpCode.multi, new Ops.Raw().create("/m/r4", 0).create2("/m/r4b", 0));
        rawMulti(c1, OpCode.multi, new Ops.Raw());
        rawMulti(c1, OpCode.multi, new Ops.Raw().check("/m", 1));
        rawMulti(c1, OpCode.multi, new Ops.Raw().op(OpCode.sync, new SetDataRequest("/m", b("x"), -1), "sync-in-multi /m"));
        rawMulti(c1, OpCode.multiRead, new Ops.Raw());
        rawMulti(c1, OpCode.multiRead, new Ops.Raw().create("/m/r5", 0));
        rawMulti(c1, OpCode.multiRead, new Ops.Raw().getData("noslash").getChildren(""));
        create2(c1, "/m/after-raw", b("x"), PERSISTENT, -1);

        section("multiRead: per-op results");
        multi(c1, new Ops().getChildren("/m").getData("/m").getData("/m/none").getChildren("/m/none"));
        String bob = digest("bob:pw");
        create(c1, "/m/secret", b("s"), acl(ZooDefs.Perms.ALL, "digest", bob), PERSISTENT);
        multi(c1, new Ops().getData("/m/secret").getChildren("/m/secret").getData("/m/a"));
        multi(c1, new Ops().getData("/").getChildren("/zookeeper").getData("/zookeeper/config"));
        multi(c1, new Ops().getChildren("/m/cont"));

        section("watches fired by a multi carry its zxid");
        exists(c2, "/m/w", true);
        getChildren(c2, "/m", true);
        getData(c2, "/m", true);
        multi(c1, new Ops().create("/m/w", b("w"), PERSISTENT).setData("/m", b("m2"), -1).delete("/m/r4", -1));
        exists(c2, "/m/w2", true);
        getData(c2, "/m/w", true);
        multi(c1, new Ops().create("/m/w2", b("w"), PERSISTENT).setData("/m/w", b("x"), -1).check("/m", 999));
        exists(c2, "/m/w2", false);
        multi(c1, new Ops().create("/m/w2", b("w"), PERSISTENT).delete("/m/w", -1));
        step(c1, "check outcome types", () -> {
            OpResult r = c1.zk.multi(new Ops().check("/m", 2).ops).get(0);
            return r.getClass().getSimpleName() + " type=" + Fmt.op(r.getType());
        });
    }
}
