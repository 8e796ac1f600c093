import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.data.Stat;
import org.apache.zookeeper.server.auth.DigestAuthenticationProvider;

/**
 * Makes a server log every kind of transaction the official client can
 * cause: createSession, create (persistent, sequential, ephemeral, with and
 * without a Stat: create and create2), createContainer, createTTL (needs
 * extendedTypesEnabled), setData, setACL, delete, error (a failed create),
 * multi (all succeeding, and one failing: error sub-txns), deleteContainer
 * (the container reaper, with znode.container.checkIntervalMs small) and
 * closeSession with ephemerals to delete.
 *
 * <p>Usage: TxnlogWorkload CONNECT_STRING. Prints "done" when finished.
 */
public final class TxnlogWorkload {
    private static ZooKeeper connect(String connect) throws Exception {
        CountDownLatch connected = new CountDownLatch(1);
        ZooKeeper zk = new ZooKeeper(connect, 30000, event -> {
            if (event.getState() == Watcher.Event.KeeperState.SyncConnected) {
                connected.countDown();
            }
        });
        if (!connected.await(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("not connected to " + connect);
        }
        return zk;
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    public static void main(String[] args) throws Exception {
        String connect = args[0];
        List<ACL> open = ZooDefs.Ids.OPEN_ACL_UNSAFE;
        ZooKeeper zk = connect(connect);
        zk.create("/a", b("hello"), open, CreateMode.PERSISTENT);
        zk.create("/a/seq-", b("x"), open, CreateMode.PERSISTENT_SEQUENTIAL);
        Stat stat = new Stat();
        zk.create("/b", b("with stat"), open, CreateMode.PERSISTENT, stat);
        zk.create("/odd,}%\u00e9", b("\u0000\ud83d\ude00\u00e9 \n,x"), open,
            CreateMode.PERSISTENT);
        zk.create("/nulldata", null, open, CreateMode.PERSISTENT);
        zk.setData("/nulldata", new byte[] {0, 1, (byte) 0xff, (byte) 0x80, (byte) 0xed, (byte) 0xa0, (byte) 0x80, 0x7a}, -1);
        zk.create("/e", b("eph"), open, CreateMode.EPHEMERAL);
        zk.create("/e-seq-", b("eph"), open, CreateMode.EPHEMERAL_SEQUENTIAL);
        zk.create("/ttl", b("t"), open, CreateMode.PERSISTENT_WITH_TTL, stat, 60000);
        zk.setData("/a", b("world"), -1);
        zk.setData("/b", new byte[0], 0);
        List<ACL> acls = new ArrayList<>();
        acls.add(new ACL(ZooDefs.Perms.ALL,
            new Id("digest", DigestAuthenticationProvider.generateDigest("user:pass"))));
        acls.add(new ACL(ZooDefs.Perms.READ, ZooDefs.Ids.ANYONE_ID_UNSAFE));
        zk.setACL("/b", acls, -1);
        try {
            zk.create("/a", b("dup"), open, CreateMode.PERSISTENT);
        } catch (KeeperException.NodeExistsException expected) {
            // An error txn (-110).
        }
        try {
            zk.delete("/nonexistent", -1);
        } catch (KeeperException.NoNodeException expected) {
            // An error txn (-101).
        }
        zk.multi(Arrays.asList(
            Op.create("/m1", b("m"), open, CreateMode.PERSISTENT),
            Op.check("/m1", 0),
            Op.setData("/m1", b("mm"), 0),
            Op.create("/m1/c", b("c"), open, CreateMode.PERSISTENT),
            Op.delete("/m1/c", -1),
            Op.delete("/m1", -1)));
        try {
            zk.multi(Arrays.asList(
                Op.create("/m2", b("m"), open, CreateMode.PERSISTENT),
                Op.delete("/nonexistent", -1),
                Op.setData("/a", b("never"), -1)));
        } catch (KeeperException.NoNodeException expected) {
            // A multi of error sub-txns.
        }
        zk.delete("/a/" + zk.getChildren("/a", false).get(0), -1);
        // A container and its child; once the child is gone the reaper
        // deletes the container (deleteContainer).
        zk.create("/cont", b("c"), open, CreateMode.CONTAINER);
        zk.create("/cont/child", b("x"), open, CreateMode.PERSISTENT);
        zk.delete("/cont/child", -1);
        long deadline = System.currentTimeMillis() + 30000;
        while (zk.exists("/cont", false) != null) {
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("the container was not reaped");
            }
            Thread.sleep(50);
        }
        // closeSession, deleting /e and /e-seq-*.
        zk.close();
        // A second session that only closes.
        ZooKeeper other = connect(connect);
        other.close();
        System.out.println("done");
    }
}
