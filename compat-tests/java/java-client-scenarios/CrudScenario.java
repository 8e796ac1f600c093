import static org.apache.zookeeper.CreateMode.CONTAINER;
import static org.apache.zookeeper.CreateMode.EPHEMERAL;
import static org.apache.zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL;
import static org.apache.zookeeper.CreateMode.PERSISTENT;
import static org.apache.zookeeper.CreateMode.PERSISTENT_SEQUENTIAL;
import static org.apache.zookeeper.CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL;
import static org.apache.zookeeper.CreateMode.PERSISTENT_WITH_TTL;

import java.util.ArrayList;
import java.util.Arrays;
import org.apache.zookeeper.ZooDefs.OpCode;
import org.apache.zookeeper.data.Stat;
import org.apache.zookeeper.proto.DeleteRequest;
import org.apache.zookeeper.proto.ExistsRequest;
import org.apache.zookeeper.proto.ExistsResponse;
import org.apache.zookeeper.proto.GetChildrenRequest;
import org.apache.zookeeper.proto.GetChildrenResponse;
import org.apache.zookeeper.proto.GetDataRequest;
import org.apache.zookeeper.proto.GetDataResponse;
import org.apache.zookeeper.proto.GetEphemeralsRequest;
import org.apache.zookeeper.proto.GetEphemeralsResponse;
import org.apache.zookeeper.proto.SetDataRequest;
import org.apache.zookeeper.proto.SetDataResponse;
import org.apache.zookeeper.proto.SyncRequest;
import org.apache.zookeeper.proto.SyncResponse;

/**
 * Creates in every mode, delete, exists, getData/setData, children, ephemerals,
 * sync and reconfig (disabled), with their errors; raw requests for the
 * server's own checks where the client would refuse to send.
 *
 * <p>Server: extendedTypesEnabled=true (TTL nodes), reaper interval long.
 */
final class CrudScenario extends Scenario {
    CrudScenario(String server) {
        super(server);
    }

    private static final long HOUR = 3_600_000L;

    @Override
    void run() throws Exception {
        Client c1 = connect("c1", server, 30000);
        Client c2 = connect("c2", server, 30000);

        section("create in every mode");
        create(c1, "/crud", b("root"), PERSISTENT);
        exists(c1, "/crud", false);
        create(c1, "/crud", b("again"), PERSISTENT);
        create(c1, "/crud/null", null, PERSISTENT);
        getData(c1, "/crud/null", false);
        create(c1, "/crud/empty", b(""), PERSISTENT);
        getData(c1, "/crud/empty", false);
        create2(c1, "/crud/c2", b("two"), PERSISTENT, -1);
        create2(c1, "/crud/seq-", b("s"), PERSISTENT_SEQUENTIAL, -1);
        create(c1, "/crud/seq-", b("s"), PERSISTENT_SEQUENTIAL);
        create2(c1, "/crud/eph", b("e"), EPHEMERAL, -1);
        create2(c2, "/crud/eph2", b("e2"), EPHEMERAL, -1);
        exists(c1, "/crud/eph2", false);
        create(c1, "/crud/eph/child", b("x"), PERSISTENT);
        create(c1, "/crud/eph/child", b("x"), EPHEMERAL);
        create2(c1, "/crud/eseq-", b("es"), EPHEMERAL_SEQUENTIAL, -1);
        create(c1, "/crud/cont", b("c"), CONTAINER);
        create2(c1, "/crud/cont2", b("c2"), CONTAINER, -1);
        create(c1, "/crud/cont/child", b("x"), PERSISTENT);
        exists(c1, "/crud/cont", false);
        create2(c1, "/crud/ttl", b("t"), PERSISTENT_WITH_TTL, HOUR);
        create2(c1, "/crud/ttlseq-", b("ts"), PERSISTENT_SEQUENTIAL_WITH_TTL, HOUR);
        create(c1, "/crud/ttl/child", b("x"), PERSISTENT);
        exists(c1, "/crud/ttl", false);
        create2(c1, "/crud/ttl0", b("t"), PERSISTENT_WITH_TTL, 0);
        create2(c1, "/crud/", b("slash"), PERSISTENT_SEQUENTIAL, -1);
        create(c1, "/crud/missing/child", b("x"), PERSISTENT);
        create(c1, "/zookeeper/mine", b("x"), PERSISTENT);
        create(c1, "/", b("x"), PERSISTENT);
        create(c1, "/crud/\u00e9t\u00e9", b("unicode"), PERSISTENT);
        create(c1, "/crud/noacl", b("x"), new ArrayList<>(), PERSISTENT);
        exists(c1, "/crud", false);

        section("create: raw requests, the server's own checks");
        for (String path : Arrays.asList("noslash", "", "/crud/", "/crud//x", "/crud/./x", "/crud/../x",
            "/crud/.", "/crud/x\u0000y", "/crud/\u0001", "/crud/\u007f", "/crud/\ud83d\ude00", "/crud/\uffff",
            "/crud/raw\u00e9")) {
            rawCreate(c1, OpCode.create, path, b("r"), OPEN, 0);
        }
        rawCreate(c1, OpCode.create2, "/crud/rawseq-", b("r"), OPEN, 2);
        rawCreate(c1, OpCode.create2, "/crud/rawseq/", b("r"), OPEN, 2);
        rawCreate(c1, OpCode.create, "/crud/flags7", b("r"), OPEN, 7);
        rawCreate(c1, OpCode.create, "/crud/flags-1", b("r"), OPEN, -1);
        rawCreate(c1, OpCode.create, "/crud/flags4", b("r"), OPEN, 4);
        rawCreate(c1, OpCode.create2, "/crud/flags5", b("r"), OPEN, 5);
        rawCreate(c1, OpCode.createContainer, "/crud/cflags0", b("r"), OPEN, 0);
        rawCreate(c1, OpCode.createContainer, "/crud/cflags1", b("r"), OPEN, 1);
        rawCreate(c1, OpCode.create, "/crud/emptyacl", b("r"), new ArrayList<>(), 0);
        rawCreate(c1, OpCode.create, "/crud/nullacl", b("r"), null, 0);
        rawCreate(c1, OpCode.create2, "/crud/nulldata", null, OPEN, 0);
        rawCreateTtl(c1, "/crud/rttl", 5, 1000);
        rawCreateTtl(c1, "/crud/rttl0", 5, 0);
        rawCreateTtl(c1, "/crud/rttlneg", 5, -5);
        rawCreateTtl(c1, "/crud/rttlmax", 5, 0xFF_FFFF_FFFFL);
        rawCreateTtl(c1, "/crud/rttlbig", 5, 0xFF_FFFF_FFFFL + 1);
        rawCreateTtl(c1, "/crud/rttlseq-", 6, 1000);
        rawCreateTtl(c1, "/crud/rttlf0", 0, 1000);
        rawCreateTtl(c1, "/crud/rttlf1", 1, 1000);
        rawCreateTtl(c1, "/crud/rttlf4", 4, 1000);
        getChildren(c1, "/crud", false);

        section("delete");
        delete(c1, "/crud", -1);
        delete(c1, "/crud/missing", -1);
        delete(c1, "/crud/null", 5);
        delete(c1, "/crud/null", -2);
        delete(c1, "/crud/null", 0);
        delete(c1, "/crud/cont", -1);
        delete(c1, "/crud/eph2", 0);
        delete(c1, "/", -1);
        delete(c1, "/zookeeper", -1);
        delete(c1, "/zookeeper/config", -1);
        delete(c1, "/zookeeper/quota", -1);
        delete(c1, "/zookeeper/mine", -1);
        raw(c1, "delete path=\"noslash\"", OpCode.delete, new DeleteRequest("noslash", -1), null, null);
        raw(c1, "delete path=\"/crud/\"", OpCode.delete, new DeleteRequest("/crud/", -1), null, null);
        raw(c1, "delete path=\"\"", OpCode.delete, new DeleteRequest("", -1), null, null);
        raw(c1, "delete path=\"/crud/empty\\u0000\"", OpCode.delete, new DeleteRequest("/crud/empty\u0000", -1),
            null, null);

        section("exists, getData, setData");
        exists(c1, "/crud/nothing", false);
        getData(c1, "/crud/nothing", false);
        setData(c1, "/crud/c2", b("v1"), -1);
        setData(c1, "/crud/c2", b("v2"), 1);
        setData(c1, "/crud/c2", b("v3"), 7);
        setData(c1, "/crud/c2", b("v3"), -2);
        getData(c1, "/crud/c2", false);
        setData(c1, "/crud/c2", null, -1);
        getData(c1, "/crud/c2", false);
        setData(c1, "/crud/c2", b(""), -1);
        getData(c1, "/crud/c2", false);
        setData(c1, "/crud/nothing", b("x"), -1);
        byte[] big = new byte[500_000];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 31 + 7);
        }
        setData(c1, "/crud/c2", big, -1);
        getData(c1, "/crud/c2", false);
        exists(c1, "/", false);
        getData(c1, "/", false);
        getData(c1, "/zookeeper", false);
        setData(c1, "/zookeeper", b("x"), -1);
        raw(c1, "exists path=\"noslash\"", OpCode.exists, new ExistsRequest("noslash", false),
            new ExistsResponse(), r -> Fmt.stat(r.getStat()));
        raw(c1, "exists path=\"/crud/\"", OpCode.exists, new ExistsRequest("/crud/", false),
            new ExistsResponse(), r -> Fmt.stat(r.getStat()));
        raw(c1, "exists path=\"/crud\\u0000\"", OpCode.exists, new ExistsRequest("/crud\u0000", false),
            new ExistsResponse(), r -> Fmt.stat(r.getStat()));
        raw(c1, "getData path=\"noslash\"", OpCode.getData, new GetDataRequest("noslash", false),
            new GetDataResponse(), r -> Fmt.data(r.getData()));
        raw(c1, "getData path=\"\"", OpCode.getData, new GetDataRequest("", false),
            new GetDataResponse(), r -> Fmt.data(r.getData()));
        raw(c1, "setData path=\"noslash\"", OpCode.setData, new SetDataRequest("noslash", b("x"), -1),
            new SetDataResponse(), r -> Fmt.stat(r.getStat()));
        raw(c1, "setData path=\"/crud/\"", OpCode.setData, new SetDataRequest("/crud/", b("x"), -1),
            new SetDataResponse(), r -> Fmt.stat(r.getStat()));

        section("children");
        getChildren(c1, "/crud", false);
        getChildren2(c1, "/crud", false);
        getChildren(c1, "/crud/nothing", false);
        getChildren2(c1, "/crud/nothing", false);
        getChildren(c1, "/", false);
        getChildren2(c1, "/zookeeper", false);
        getChildren2(c1, "/crud/cont", false);
        raw(c1, "getChildren path=\"noslash\"", OpCode.getChildren, new GetChildrenRequest("noslash", false),
            new GetChildrenResponse(), r -> Fmt.children(r.getChildren()));
        for (String path : Arrays.asList("/crud", "/", "/zookeeper", "/crud/cont", "/crud/nothing")) {
            step(c1, "getAllChildrenNumber " + path, () -> String.valueOf(c1.zk.getAllChildrenNumber(path)));
        }

        section("ephemerals");
        create(c1, "/crud/eph-two", b("x"), EPHEMERAL);
        create(c2, "/crud/e-other", b("x"), EPHEMERAL);
        for (String prefix : Arrays.asList("/", "/crud/e", "/crud/eph", "/crud/es", "/nothing", "/cr")) {
            step(c1, "getEphemerals " + prefix, () -> Fmt.children(c1.zk.getEphemerals(prefix)));
        }
        step(c1, "getEphemerals", () -> Fmt.children(c1.zk.getEphemerals()));
        step(c2, "getEphemerals", () -> Fmt.children(c2.zk.getEphemerals()));
        for (String prefix : Arrays.asList("", "crud", "/crud/e-other/", " /")) {
            raw(c1, "getEphemerals prefix=" + Fmt.q(prefix), OpCode.getEphemerals,
                new GetEphemeralsRequest(prefix), new GetEphemeralsResponse(), r -> Fmt.children(r.getEphemerals()));
        }

        section("sync");
        sync(c1, "/crud");
        sync(c1, "/crud/nothing");
        sync(c1, "/");
        raw(c1, "sync path=\"noslash\"", OpCode.sync, new SyncRequest("noslash"), new SyncResponse(),
            r -> "path=" + Fmt.q(r.getPath()));

        section("reconfig, disabled by default");
        step(c1, "reconfigure joining=server.2=127.0.0.1:1234:1235;1236", () -> {
            Stat s = new Stat();
            byte[] cfg = c1.zk.reconfigure("server.2=127.0.0.1:1234:1235;1236", null, null, -1, s);
            return Fmt.data(cfg) + " " + Fmt.stat(s);
        });
        create2(c1, "/crud/after-reconfig", b("x"), PERSISTENT, -1);

        section("session close removes ephemerals");
        exists(c1, "/crud/e-other", true);
        close(c2);
        exists(c1, "/crud/e-other", false);
        getChildren2(c1, "/crud", false);
    }
}
