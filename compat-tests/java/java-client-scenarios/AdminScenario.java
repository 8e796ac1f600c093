import static org.apache.zookeeper.CreateMode.CONTAINER;
import static org.apache.zookeeper.CreateMode.PERSISTENT;

import java.io.IOException;
import org.apache.jute.InputArchive;
import org.apache.jute.OutputArchive;
import org.apache.jute.Record;
import org.apache.zookeeper.data.Stat;
import org.apache.zookeeper.proto.GetDataRequest;
import org.apache.zookeeper.proto.GetDataResponse;

/**
 * The /zookeeper subtree: getConfig, reconfig (enabled, but standalone),
 * quotas with enforcement (hard limits refuse, soft limits do not, the server
 * keeps zookeeper_stats up to date), and the limits of the protocol: data
 * near jute.maxbuffer, an unknown opcode, a client-sent deleteContainer.
 * The last steps make the server close the connection; the client
 * reconnects and its events are part of the transcript.
 *
 * <p>Server: reconfigEnabled=true, enforceQuota=true.
 */
final class AdminScenario extends Scenario {
    AdminScenario(String server) {
        super(server);
    }

    private static final String QUOTA = "/zookeeper/quota";

    /** A request body that is only a jute buffer (3.9's DeleteContainerRequest). */
    private static final class BufferRecord implements Record {
        private final byte[] bytes;

        BufferRecord(byte[] bytes) {
            this.bytes = bytes;
        }

        @Override
        public void serialize(OutputArchive archive, String tag) throws IOException {
            archive.startRecord(this, tag);
            archive.writeBuffer(bytes, "path");
            archive.endRecord(this, tag);
        }

        @Override
        public void deserialize(InputArchive archive, String tag) {
            throw new UnsupportedOperationException("requests only");
        }
    }

    /** An empty request body. */
    private static final class Empty implements Record {
        @Override
        public void serialize(OutputArchive archive, String tag) throws IOException {
            archive.startRecord(this, tag);
            archive.endRecord(this, tag);
        }

        @Override
        public void deserialize(InputArchive archive, String tag) throws IOException {
            archive.startRecord(tag);
            archive.endRecord(tag);
        }
    }

    private static byte[] bytes(int n) {
        byte[] d = new byte[n];
        for (int i = 0; i < n; i++) {
            d[i] = (byte) (i * 7 + 3);
        }
        return d;
    }

    @Override
    void run() throws Exception {
        Client c1 = connect("c1", server, 30000);

        section("/zookeeper and getConfig");
        getChildren2(c1, "/zookeeper", false);
        step(c1, "getConfig", () -> {
            Stat s = new Stat();
            byte[] cfg = c1.zk.getConfig(false, s);
            return Fmt.data(cfg) + " " + Fmt.stat(s);
        });
        step(c1, "getConfig watch", () -> Fmt.data(c1.zk.getConfig(true, null)));
        getData(c1, "/zookeeper/config", false);
        getAcl(c1, "/zookeeper/config");
        setData(c1, "/zookeeper/config", b("server.1=x"), -1);
        create(c1, "/zookeeper/config", b("x"), PERSISTENT);
        create(c1, "/zookeeper/config/x", b("x"), PERSISTENT);
        getData(c1, QUOTA, false);
        exists(c1, "/zookeeper/config", true);

        section("reconfig (enabled, but the server is standalone)");
        step(c1, "reconfigure joining=server.2=127.0.0.1:1234:1235;1236", () -> {
            Stat s = new Stat();
            byte[] cfg = c1.zk.reconfigure("server.2=127.0.0.1:1234:1235;1236", null, null, -1, s);
            return Fmt.data(cfg) + " " + Fmt.stat(s);
        });
        step(c1, "reconfigure leaving=1", () -> Fmt.data(c1.zk.reconfigure(null, "1", null, -1, null)));
        step(c1, "reconfigure members=server.1=127.0.0.1:1234:1235;1236 fromConfig=5",
            () -> Fmt.data(c1.zk.reconfigure(null, null, "server.1=127.0.0.1:1234:1235;1236", 5, null)));
        create2(c1, "/after-reconfig", b("x"), PERSISTENT, -1);

        section("quotas");
        create(c1, "/q", b("q"), PERSISTENT);
        create(c1, "/q/a", b("aaaa"), PERSISTENT);
        create(c1, QUOTA + "/q", null, PERSISTENT);
        create(c1, QUOTA + "/q/zookeeper_limits", b("count=-1,bytes=-1=;byteHardLimit=12;countHardLimit=4"),
            PERSISTENT);
        create(c1, QUOTA + "/q/zookeeper_stats", b("count=0,bytes=0"), PERSISTENT);
        getData(c1, QUOTA + "/q/zookeeper_stats", false);
        create(c1, "/q/b", b("bb"), PERSISTENT);
        getData(c1, QUOTA + "/q/zookeeper_stats", false);
        create(c1, "/q/c", b("c"), PERSISTENT);
        create(c1, "/q/d", b("d"), PERSISTENT);
        create(c1, "/q/a/deep", null, PERSISTENT);
        setData(c1, "/q/a", b("aaaaaaa"), -1);
        setData(c1, "/q/a", b("aaaaaaaaaaaa"), -1);
        setData(c1, "/q/a", b(""), -1);
        getData(c1, QUOTA + "/q/zookeeper_stats", false);
        multi(c1, "[create /q/m1, create /q/m2]", new Ops().create("/q/m1", null, PERSISTENT)
            .create("/q/m2", null, PERSISTENT).ops);
        delete(c1, "/q/b", -1);
        create(c1, "/q/c", b("c"), PERSISTENT);
        getData(c1, QUOTA + "/q/zookeeper_stats", false);
        create(c1, "/q2", b("q2"), PERSISTENT);
        create(c1, QUOTA + "/q2", null, PERSISTENT);
        create(c1, QUOTA + "/q2/zookeeper_limits", b("count=2,bytes=3"), PERSISTENT);
        create(c1, QUOTA + "/q2/zookeeper_stats", b("count=0,bytes=0"), PERSISTENT);
        create(c1, "/q2/a", b("aaaa"), PERSISTENT);
        create(c1, "/q2/b", b("b"), PERSISTENT);
        getData(c1, QUOTA + "/q2/zookeeper_stats", false);
        setData(c1, QUOTA + "/q/zookeeper_limits", b("count=-1,bytes=-1"), -1);
        create(c1, "/q/e", b("eeeeeeeeeeeeeeeeeeeeeeeeee"), PERSISTENT);
        getData(c1, QUOTA + "/q/zookeeper_stats", false);
        delete(c1, QUOTA + "/q/zookeeper_limits", -1);
        delete(c1, QUOTA + "/q/zookeeper_stats", -1);
        create(c1, "/q/f", b("f"), PERSISTENT);
        create(c1, QUOTA + "/q2/zookeeper_limits/x", null, PERSISTENT);
        create(c1, QUOTA + "/nothing", null, PERSISTENT);
        create(c1, QUOTA + "/nothing/zookeeper_limits", b("count=-1,bytes=-1=;countHardLimit=1"), PERSISTENT);
        create(c1, QUOTA + "/nothing/zookeeper_stats", b("count=0,bytes=0"), PERSISTENT);
        getData(c1, QUOTA + "/nothing/zookeeper_stats", false);
        create(c1, "/nothing", null, PERSISTENT);
        create(c1, "/nothing/kid", null, PERSISTENT);
        getData(c1, QUOTA + "/nothing/zookeeper_stats", false);

        section("data size near jute.maxbuffer (1 MiB - 1 per request frame)");
        create(c1, "/big", bytes(1_000_000), PERSISTENT);
        getData(c1, "/big", false);
        setData(c1, "/big", bytes(1_048_551), -1);
        exists(c1, "/big", false);
        setData(c1, "/big", bytes(1_048_552), -1);
        exists(c1, "/big", false);
        getData(c1, "/big", false);
        create2(c1, "/after-big", b("x"), PERSISTENT, -1);

        section("requests no client sends");
        create(c1, "/dc", null, CONTAINER);
        create(c1, "/dc/kid", null, PERSISTENT);
        raw(c1, "deleteContainer(3.9 body) path=\"/dc\"", 20, new BufferRecord(b("/dc")), null, null);
        delete(c1, "/dc/kid", -1);
        raw(c1, "deleteContainer(3.9 body) path=\"/dc\"", 20, new BufferRecord(b("/dc")), null, null);
        exists(c1, "/dc", false);
        raw(c1, "getData path=\"/after-big\"", 4, new GetDataRequest("/after-big", false),
            new GetDataResponse(), r -> Fmt.data(r.getData()));
        raw(c1, "whoAmI with a body", 107, new GetDataRequest("/", false), null, null);
        // The server closes the connection after that answer: wait for the
        // reconnection, or the next request may be sent into the closing
        // socket and fail with CONNECTIONLOSS (the events print as usual).
        int connections = c1.connections.get();
        raw(c1, "opcode 999", 999, new Empty(), null, null);
        c1.awaitReconnection(connections);
        create2(c1, "/after-999", b("x"), PERSISTENT, -1);
    }
}
