import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.retry.RetryOneTime;

/**
 * Checks that a Curator classpath works: creates /smoke/a/b with container
 * parents, takes and releases an InterProcessMutex, and waits until the
 * server reaps the lock's empty container parent.
 *
 * <p>Usage: CuratorSmoke CONNECT_STRING. Prints one line per step.
 */
public final class CuratorSmoke {
    public static void main(String[] args) throws Exception {
        try (CuratorFramework client =
                CuratorFrameworkFactory.newClient(args[0], new RetryOneTime(100))) {
            client.start();
            if (!client.blockUntilConnected(30, TimeUnit.SECONDS)) {
                System.err.println("not connected to " + args[0] + " after 30 s");
                System.exit(2);
            }
            client.create().creatingParentContainersIfNeeded()
                    .forPath("/smoke/a/b", "data".getBytes(StandardCharsets.UTF_8));
            byte[] data = client.getData().forPath("/smoke/a/b");
            System.out.println("/smoke/a/b = " + new String(data, StandardCharsets.UTF_8));
            InterProcessMutex mutex = new InterProcessMutex(client, "/smoke/lock");
            if (!mutex.acquire(30, TimeUnit.SECONDS)) {
                System.err.println("lock not acquired");
                System.exit(3);
            }
            System.out.println("locked: " + mutex.isAcquiredInThisProcess());
            mutex.release();
            System.out.println("released: " + !mutex.isAcquiredInThisProcess());
            // The lock's parent is a container (the server hides that: its
            // Stat says ephemeralOwner=0), so once empty the server reaps
            // it. Start the server with a short
            // -Dznode.container.checkIntervalMs for this to be quick.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (client.checkExists().forPath("/smoke/lock") != null) {
                if (System.nanoTime() > deadline) {
                    System.err.println("container /smoke/lock not reaped after 30 s");
                    System.exit(4);
                }
                Thread.sleep(20);
            }
            System.out.println("container reaped");
        }
    }
}
