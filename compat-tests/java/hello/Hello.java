import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;

/**
 * Connects with the official Java client, creates /hello = "world" (mode
 * "create", the default) and reads it back after a sync (modes "create" and
 * "get").
 *
 * <p>Usage: Hello CONNECT_STRING [create|get]. Prints "created /hello" and
 * "/hello = DATA czxid=0x..." on stdout.
 */
public final class Hello {
    public static void main(String[] args) throws Exception {
        String connect = args[0];
        String mode = args.length > 1 ? args[1] : "create";
        CountDownLatch connected = new CountDownLatch(1);
        ZooKeeper zk = new ZooKeeper(connect, 30000, event -> {
            if (event.getState() == Watcher.Event.KeeperState.SyncConnected) {
                connected.countDown();
            }
        });
        try {
            if (!connected.await(30, TimeUnit.SECONDS)) {
                System.err.println("not connected to " + connect + " after 30 s");
                System.exit(2);
            }
            if (mode.equals("create")) {
                String path = zk.create("/hello", "world".getBytes(StandardCharsets.UTF_8),
                        ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
                System.out.println("created " + path);
            }
            // A new session on another member may lag behind the write:
            // sync first, so "get" sees everything committed before it ran.
            CountDownLatch synced = new CountDownLatch(1);
            zk.sync("/hello", (rc, path, ctx) -> synced.countDown(), null);
            if (!synced.await(30, TimeUnit.SECONDS)) {
                System.err.println("sync did not complete after 30 s");
                System.exit(3);
            }
            Stat stat = new Stat();
            byte[] data = zk.getData("/hello", false, stat);
            System.out.println("/hello = " + new String(data, StandardCharsets.UTF_8)
                    + " czxid=0x" + Long.toHexString(stat.getCzxid()));
        } finally {
            zk.close();
        }
    }
}
