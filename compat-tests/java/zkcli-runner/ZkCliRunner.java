import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.ZooKeeperMain;

/**
 * Drives zkCli (org.apache.zookeeper.ZooKeeperMain, from the client jar
 * under test) through a script, one command per line, and prints a
 * transcript on stdout: "> COMMAND" and then whatever zkCli printed for it,
 * its errors and its watch notifications included.
 *
 * <p>Plain `ZooKeeperMain -server H:P < script` works too (without JLine on
 * the classpath it reads stdin line by line), but zkCli's watcher prints
 * from the client's event thread while the main thread prints the command's
 * result, so the lines interleave by thread timing. Here what the event
 * thread prints is held back and printed after the command's own output,
 * once a round trip (whose callback runs on that event thread, after every
 * notification the command caused) has completed. stderr goes to stdout so
 * that error messages stay in order.
 *
 * <p>Usage: ZkCliRunner HOST:PORT SCRIPT. In the script, empty lines and
 * lines starting with '#' are skipped and ${SERVER} becomes HOST:PORT.
 */
public final class ZkCliRunner {
    private ZkCliRunner() {
    }

    public static void main(String[] args) throws Exception {
        String server = args[0];
        List<String> script = Files.readAllLines(Paths.get(args[1]), StandardCharsets.UTF_8);
        // Set up logging first: its console appender keeps the real stderr,
        // so client warnings do not end up in the transcript.
        org.slf4j.LoggerFactory.getLogger(ZkCliRunner.class).debug("starting");
        PrintStream out = System.out;
        Router router = new Router();
        PrintStream routed = new PrintStream(router, true, "UTF-8");
        System.setOut(routed);
        System.setErr(routed);
        ZooKeeperMain main = new ZooKeeperMain(
            new String[] {"-server", server, "-timeout", "30000", "-waitforconnection"});
        barrier(main);
        router.flushTo(out);
        int commands = 0;
        for (String raw : script) {
            String line = raw.trim();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            out.println("> " + line);
            main.executeLine(line.replace("${SERVER}", server));
            commands++;
            barrier(main);
            router.flushTo(out);
        }
        out.println("END commands=" + commands);
        out.flush();
        System.exit(0);
    }

    /**
     * Collects what zkCli prints: from ZooKeeper event threads into one
     * buffer, from everything else into another; flushTo prints the second,
     * then the first.
     */
    private static final class Router extends OutputStream {
        private final ByteArrayOutputStream command = new ByteArrayOutputStream();
        private final ByteArrayOutputStream events = new ByteArrayOutputStream();

        private ByteArrayOutputStream target() {
            return Thread.currentThread().getName().endsWith("-EventThread") ? events : command;
        }

        @Override
        public synchronized void write(int b) {
            target().write(b);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            target().write(b, off, len);
        }

        synchronized void flushTo(PrintStream out) {
            out.print(command.toString(StandardCharsets.UTF_8));
            out.print(events.toString(StandardCharsets.UTF_8));
            out.flush();
            command.reset();
            events.reset();
        }
    }

    /**
     * A round trip on zkCli's current session: its callback runs on the
     * event thread after every event received before it.
     */
    private static void barrier(ZooKeeperMain main) throws Exception {
        Field field = ZooKeeperMain.class.getDeclaredField("zk");
        field.setAccessible(true);
        ZooKeeper zk = (ZooKeeper) field.get(main);
        if (zk == null || !zk.getState().isAlive()) {
            // Closed (e.g. by `close`): its event thread prints "Closed" and
            // ends; wait for that instead of a round trip.
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                if (t.getName().endsWith("-EventThread")) {
                    t.join(15_000);
                }
            }
            return;
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (true) {
            CountDownLatch done = new CountDownLatch(1);
            int[] rc = new int[1];
            zk.exists("/", false, (code, path, ctx, stat) -> {
                rc[0] = code;
                done.countDown();
            }, null);
            long left = deadline - System.nanoTime();
            if (left <= 0 || !done.await(left, TimeUnit.NANOSECONDS)) {
                throw new IllegalStateException("no answer to a barrier round trip in 15 s");
            }
            if (rc[0] != KeeperException.Code.CONNECTIONLOSS.intValue()) {
                return;
            }
        }
    }
}
