import static org.apache.zookeeper.CreateMode.CONTAINER;
import static org.apache.zookeeper.CreateMode.EPHEMERAL;
import static org.apache.zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL;
import static org.apache.zookeeper.CreateMode.PERSISTENT;
import static org.apache.zookeeper.CreateMode.PERSISTENT_WITH_TTL;

import java.util.Arrays;
import java.util.List;
import org.apache.zookeeper.AddWatchMode;
import org.apache.zookeeper.Watcher.Event.EventType;
import org.apache.zookeeper.Watcher.Event.KeeperState;

/**
 * Session timeouts (negotiation), resuming a session with its id and
 * password on a new client (ephemerals kept), a wrong password and a closed
 * session (Expired), expiry of a client cut off by a proxy (its ephemerals
 * vanish, it sees Expired), and the reaping of containers and TTL nodes.
 *
 * <p>Server: tickTime=500, minSessionTimeout=3000 (sessions 3 s to 10 s),
 * extendedTypesEnabled=true, znode.container.checkIntervalMs=100.
 */
final class SessionScenario extends Scenario {
    SessionScenario(String server) {
        super(server);
    }

    @Override
    void run() throws Exception {
        Client c1 = connect("c1", server, 30000);
        // Below minSessionTimeout: the server raises it. (Not far below: until
        // the server answers, the client times out by the requested value.)
        Client c0 = connect("c0", server, 2500);
        close(c0);
        create(c1, "/s", b("s"), PERSISTENT);

        section("resume a session with its id and password");
        Client c2 = connect("c2", server, 8000);
        create(c2, "/s/e2", b("e2"), EPHEMERAL);
        create(c2, "/s/e2s-", b("e2s"), EPHEMERAL_SEQUENTIAL);
        exists(c1, "/s/e2", true);
        long id = c2.zk.getSessionId();
        byte[] passwd = c2.zk.getSessionPasswd();
        c2.live = false;
        step(c2, "crash: drop the connection without closing the session", () -> {
            c2.zk.crash();
            return "ok";
        });
        Client c2b = resume("c2b", server, 9000, id, passwd);
        exists(c2b, "/s/e2", false);
        step(c2b, "getEphemerals", () -> Fmt.children(c2b.zk.getEphemerals()));
        create(c2b, "/s/e2b", b("e2b"), EPHEMERAL);
        byte[] wrong = Arrays.copyOf(passwd, passwd.length);
        wrong[0] ^= 1;
        Client c2x = resume("c2x", server, 9000, id, wrong);
        getData(c2x, "/s", false);
        getData(c2b, "/s", false);
        close(c2b);
        Client c2y = resume("c2y", server, 9000, id, passwd);
        getChildren2(c1, "/s", false);

        section("expiry of a session whose client is cut off");
        try (Proxy proxy = new Proxy(server)) {
            Client c3 = connect("c3", proxy.connectString(), 4000);
            create(c3, "/s/e3", b("e3"), EPHEMERAL);
            create(c3, "/s/e3s-", b("e3s"), EPHEMERAL_SEQUENTIAL);
            exists(c1, "/s/e3", true);
            c3.live = false;
            step(c3, "proxy cut", () -> {
                proxy.cut();
                return "ok";
            });
            c3.awaitState(KeeperState.Disconnected);
            c1.awaitEvent(EventType.NodeDeleted, "/s/e3");
            c1.drain();
            step(c3, "proxy restore", () -> {
                proxy.restore();
                return "ok";
            });
            c3.awaitState(KeeperState.Expired);
            getData(c3, "/s", false);
            step(c3, "getState", () -> String.valueOf(c3.zk.getState()));
        }
        getChildren2(c1, "/s", false);

        section("containers and TTL nodes are reaped");
        // The reaper runs on a wall clock and may post a second delete for a
        // node whose first delete is still in the pipeline (an error txn that
        // takes a zxid), so this comes last, and once something can be reaped
        // nothing prints a zxid that a reaping could have moved.
        Client c4 = connect("c4", server, 30000);
        c4.auto = false;
        step(c4, "addWatch /s/reap PERSISTENT_RECURSIVE", () -> {
            c4.zk.addWatch("/s/reap", AddWatchMode.PERSISTENT_RECURSIVE);
            return "ok";
        });
        create(c1, "/s/reap", b("r"), PERSISTENT);
        create(c1, "/s/reap/cont", b("c"), CONTAINER);
        create(c1, "/s/reap/cont/kid", b("k"), PERSISTENT);
        create(c1, "/s/reap/unused", b("u"), CONTAINER);
        // A TTL node with a child is never reaped (created together: alone,
        // it could be reaped before its child arrives).
        multi(c1, "[createTTL /s/reap/ttl-kid 100, create /s/reap/ttl-kid/kid]", new Ops()
            .create("/s/reap/ttl-kid", b("t"), PERSISTENT_WITH_TTL, 100)
            .create("/s/reap/ttl-kid/kid", b("k"), PERSISTENT).ops);
        c4.drain();
        // From here on the reaper may act at any time.
        create2(c1, "/s/reap/ttl", b("t"), PERSISTENT_WITH_TTL, 200);
        delete(c1, "/s/reap/cont/kid", -1);
        step(c4, "wait until /s/reap/cont and /s/reap/ttl are reaped", () -> {
            List<String> reaped = c4.awaitReaped(Arrays.asList("/s/reap/cont", "/s/reap/ttl"));
            return reaped.toString();
        });
        getChildren(c1, "/s/reap", false);
        exists(c1, "/s/reap/ttl-kid", false);
    }
}
