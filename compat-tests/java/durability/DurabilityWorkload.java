import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.StatsTrack;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.cli.SetQuotaCommand;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.data.Stat;
import org.apache.zookeeper.server.auth.DigestAuthenticationProvider;

/**
 * A mixed workload through the official client, for the durability tests:
 * every node type (persistent, sequential, ephemeral of a session left
 * alive, container, TTL), digest/ip/world/auth ACLs, successful and failed
 * multis, failed writes, setData/setACL/deletes, a quota, a container the
 * reaper deletes (the server needs a small znode.container.checkIntervalMs),
 * a closed session with ephemerals, and enough writes to cross a small
 * snapCount many times.
 *
 * <p>Usage: DurabilityWorkload CONNECT a|b. Phase "a" builds the tree on an
 * empty server; phase "b" runs on another server that took over the first
 * one's files: it deletes and changes what phase "a" made (including an
 * ephemeral of a's still-living session and the child of a container),
 * opens new sessions and writes more. Prints "done SESSION_ID_HEX"; the main
 * session is left open (the program exits without closing it), so its
 * ephemerals stay until it expires.
 */
public final class DurabilityWorkload {
    private static final int SESSION_TIMEOUT = 120000;

    private static ZooKeeper connect(String connect) throws Exception {
        CountDownLatch connected = new CountDownLatch(1);
        ZooKeeper zk = new ZooKeeper(connect, SESSION_TIMEOUT, event -> {
            if (event.getState() == Watcher.Event.KeeperState.SyncConnected) {
                connected.countDown();
            }
        });
        if (!connected.await(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("not connected to " + connect);
        }
        zk.addAuthInfo("digest", b("u:p"));
        return zk;
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static final List<ACL> OPEN = ZooDefs.Ids.OPEN_ACL_UNSAFE;

    private static List<ACL> acls(ACL... acls) {
        return new ArrayList<>(Arrays.asList(acls));
    }

    private static ACL digest(String userPass, int perms) throws Exception {
        return new ACL(perms, new Id("digest", DigestAuthenticationProvider.generateDigest(userPass)));
    }

    private static void expectError(Class<? extends KeeperException> type, ThrowingRunnable r)
            throws Exception {
        try {
            r.run();
        } catch (KeeperException e) {
            if (!type.isInstance(e)) {
                throw e;
            }
            return;
        }
        throw new IllegalStateException("expected " + type.getSimpleName());
    }

    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    private static void waitGone(ZooKeeper zk, String path) throws Exception {
        long deadline = System.currentTimeMillis() + 30000;
        while (zk.exists(path, false) != null) {
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException(path + " was not reaped");
            }
            Thread.sleep(20);
        }
    }

    private static void phaseA(ZooKeeper zk, String connect) throws Exception {
        Stat stat = new Stat();
        zk.create("/app", b("config"), OPEN, CreateMode.PERSISTENT);
        StatsTrack quota = new StatsTrack();
        quota.setCount(50);
        quota.setBytes(100000);
        SetQuotaCommand.createQuota(zk, "/app", quota);
        for (int i = 0; i < 12; i++) {
            zk.create("/app/seq-", b("s" + i), OPEN, CreateMode.PERSISTENT_SEQUENTIAL);
        }
        zk.delete("/app/seq-0000000003", -1);
        zk.create("/app/locked", b("secret"),
            acls(digest("u:p", ZooDefs.Perms.ALL), new ACL(ZooDefs.Perms.READ, ZooDefs.Ids.ANYONE_ID_UNSAFE)),
            CreateMode.PERSISTENT);
        zk.create("/app/iponly", b("ip"), acls(new ACL(ZooDefs.Perms.ALL, new Id("ip", "127.0.0.1"))),
            CreateMode.PERSISTENT);
        List<ACL> net = acls(new ACL(ZooDefs.Perms.READ | ZooDefs.Perms.WRITE | ZooDefs.Perms.ADMIN,
            new Id("ip", "127.0.0.0/8")));
        net.addAll(ZooDefs.Ids.CREATOR_ALL_ACL);
        zk.create("/app/ipnet", b("net"), net, CreateMode.PERSISTENT);
        zk.create("/app/world", b("w"), OPEN, CreateMode.PERSISTENT);
        zk.setACL("/app/world", acls(new ACL(ZooDefs.Perms.ALL & ~ZooDefs.Perms.DELETE,
            ZooDefs.Ids.ANYONE_ID_UNSAFE)), 0);
        zk.create("/nulldata", null, OPEN, CreateMode.PERSISTENT);
        zk.create("/unicode-\u00e9\u4e2d", b("caf\u00e9"), OPEN, CreateMode.PERSISTENT);
        byte[] big = new byte[100000];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 31 + i / 251);
        }
        zk.create("/big", big, OPEN, CreateMode.PERSISTENT);
        zk.create("/cont", b("c"), OPEN, CreateMode.CONTAINER);
        zk.create("/cont/c1", b("x"), OPEN, CreateMode.PERSISTENT);
        zk.create("/cont-never", null, OPEN, CreateMode.CONTAINER);
        zk.create("/cont2", b("c"), OPEN, CreateMode.CONTAINER);
        zk.create("/cont2/x", b("x"), OPEN, CreateMode.PERSISTENT);
        zk.delete("/cont2/x", -1);
        waitGone(zk, "/cont2");
        zk.create("/ttl", b("t"), OPEN, CreateMode.PERSISTENT_WITH_TTL, stat, 3600000);
        zk.create("/ttl-seq-", b("ts"), OPEN, CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL, stat, 3600000);
        zk.create("/app/eph", b("mine"), OPEN, CreateMode.EPHEMERAL);
        zk.create("/app/eph-seq-", b("mine"), OPEN, CreateMode.EPHEMERAL_SEQUENTIAL);
        ZooKeeper other = connect(connect);
        other.create("/gone-eph", b("bye"), OPEN, CreateMode.EPHEMERAL);
        other.create("/kept", b("by other"), OPEN, CreateMode.PERSISTENT);
        other.close();
        zk.multi(Arrays.asList(
            Op.create("/m1", b("m"), OPEN, CreateMode.PERSISTENT),
            Op.check("/m1", 0),
            Op.setData("/m1", b("mm"), 0),
            Op.create("/m1/c", b("c"), OPEN, CreateMode.PERSISTENT),
            Op.create("/m1/d", b("d"), OPEN, CreateMode.PERSISTENT),
            Op.delete("/m1/c", -1)));
        expectError(KeeperException.NoNodeException.class, () -> zk.multi(Arrays.asList(
            Op.create("/m2", b("m"), OPEN, CreateMode.PERSISTENT),
            Op.delete("/nonexistent", -1),
            Op.setData("/app", b("never"), -1))));
        expectError(KeeperException.NodeExistsException.class,
            () -> zk.create("/app", b("dup"), OPEN, CreateMode.PERSISTENT));
        expectError(KeeperException.NoNodeException.class, () -> zk.delete("/nope", -1));
        expectError(KeeperException.BadVersionException.class, () -> zk.setData("/app", b("x"), 42));
        zk.create("/bulk", null, OPEN, CreateMode.PERSISTENT);
        for (int i = 0; i < 40; i++) {
            byte[] data = new byte[i * 7];
            Arrays.fill(data, (byte) i);
            zk.create(String.format("/bulk/n%03d", i), data, OPEN, CreateMode.PERSISTENT);
        }
        for (int i = 0; i < 40; i += 5) {
            zk.delete(String.format("/bulk/n%03d", i), -1);
        }
        zk.create("/counter", b("0"), OPEN, CreateMode.PERSISTENT);
        for (int i = 1; i <= 60; i++) {
            zk.setData("/counter", b(Integer.toString(i)), i - 1);
        }
        zk.setData("/app", b("v2"), -1);
        zk.setData("/app/seq-0000000005", null, -1);
    }

    private static void phaseB(ZooKeeper zk, String connect) throws Exception {
        // Deletes of what phase a made, on another server.
        zk.delete("/app/seq-0000000000", -1);
        zk.delete("/app/seq-0000000001", 0);
        zk.delete("/app/eph", -1);
        zk.delete("/cont/c1", -1);
        waitGone(zk, "/cont");
        for (int i = 1; i < 10; i++) {
            if (i % 5 != 0) {
                zk.delete(String.format("/bulk/n%03d", i), -1);
            }
        }
        zk.setData("/app", b("v3"), -1);
        zk.setACL("/app/locked", acls(digest("u:p", ZooDefs.Perms.ALL)), -1);
        zk.setData("/unicode-\u00e9\u4e2d", b("\u4e2d\u6587"), 0);
        zk.setData("/ttl", b("t2"), -1);
        for (int i = 0; i < 5; i++) {
            zk.create("/app/seq-", b("b" + i), OPEN, CreateMode.PERSISTENT_SEQUENTIAL);
        }
        zk.create("/b", b("phase b"), OPEN, CreateMode.PERSISTENT);
        zk.create("/b/eph", b("b's"), OPEN, CreateMode.EPHEMERAL);
        zk.create("/b/cont", null, OPEN, CreateMode.CONTAINER);
        zk.create("/b/cont/child", b("kid"), OPEN, CreateMode.PERSISTENT);
        zk.create("/b/ttl", b("t"), OPEN, CreateMode.PERSISTENT_WITH_TTL, new Stat(), 7200000);
        zk.multi(Arrays.asList(
            Op.create("/b/m", b("m"), OPEN, CreateMode.PERSISTENT),
            Op.setData("/m1/d", b("dd"), -1),
            Op.delete("/kept", -1)));
        expectError(KeeperException.BadVersionException.class, () -> zk.multi(Arrays.asList(
            Op.create("/b/m2", b("m"), OPEN, CreateMode.PERSISTENT),
            Op.check("/b/m", 7))));
        ZooKeeper other = connect(connect);
        other.create("/b/gone", b("bye"), OPEN, CreateMode.EPHEMERAL);
        other.close();
        for (int i = 61; i <= 100; i++) {
            zk.setData("/counter", b(Integer.toString(i)), -1);
        }
        for (int i = 0; i < 10; i++) {
            zk.create("/app/q" + i, new byte[100], OPEN, CreateMode.PERSISTENT);
        }
    }

    public static void main(String[] args) throws Exception {
        String connect = args[0];
        ZooKeeper zk = connect(connect);
        if (args[1].equals("a")) {
            phaseA(zk, connect);
        } else {
            phaseB(zk, connect);
        }
        System.out.println("done " + Long.toHexString(zk.getSessionId()));
        System.out.flush();
        // Leave the session open: its ephemerals live until it expires.
        Runtime.getRuntime().halt(0);
    }
}
