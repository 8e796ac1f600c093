import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.apache.jute.Record;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;
import org.apache.zookeeper.proto.GetDataResponse;
import org.apache.zookeeper.proto.ReconfigRequest;
import org.apache.zookeeper.proto.ReplyHeader;
import org.apache.zookeeper.proto.RequestHeader;

/**
 * One client session of a scenario: the official client (as ZooKeeperAdmin,
 * for reconfig) plus everything its watchers received, in delivery order.
 *
 * <p>Events are printed at defined points only, so the transcript does not
 * depend on thread timing: {@link #drain} first makes a round trip whose
 * callback runs on the client's event thread, behind every event the client
 * had received before the server answered. The server sends a session's
 * notifications before its later replies, so after the round trip every
 * event caused by an earlier step has been delivered.
 */
final class Client implements Watcher {
    /**
     * The official client, with access to its connection for raw requests.
     * (ZooKeeperAdmin has no constructor that resumes a session, so reconfig
     * is sent here exactly as ZooKeeperAdmin.reconfigure sends it.)
     */
    static final class Zk extends ZooKeeper {
        Zk(String connect, int timeoutMs, Watcher watcher) throws IOException {
            super(connect, timeoutMs, watcher);
        }

        Zk(String connect, int timeoutMs, Watcher watcher, long sessionId, byte[] passwd) throws IOException {
            super(connect, timeoutMs, watcher, sessionId, passwd);
        }

        /** Sends one request as it is, bypassing the client's own checks. */
        ReplyHeader raw(int type, Record request, Record response) throws InterruptedException {
            RequestHeader h = new RequestHeader();
            h.setType(type);
            return cnxn.submitRequest(h, request, response, null);
        }

        /** The request ZooKeeperAdmin.reconfigure sends, with its error handling. */
        byte[] reconfigure(String joining, String leaving, String members, long fromConfig, Stat stat)
            throws KeeperException, InterruptedException {
            GetDataResponse response = new GetDataResponse();
            ReplyHeader r = raw(ZooDefs.OpCode.reconfig,
                new ReconfigRequest(joining, leaving, members, fromConfig), response);
            if (r.getErr() != 0) {
                throw KeeperException.create(KeeperException.Code.get(r.getErr()), "");
            }
            if (stat != null) {
                DataTreeStat.copy(response.getStat(), stat);
            }
            return response.getData();
        }

        /** Drops the connection without closing the session, as a crashed client would. */
        void crash() {
            cnxn.disconnect();
        }
    }

    /** Stat.copyFrom is 3.9-only. */
    static final class DataTreeStat {
        static void copy(Stat from, Stat to) {
            to.setCzxid(from.getCzxid());
            to.setMzxid(from.getMzxid());
            to.setCtime(from.getCtime());
            to.setMtime(from.getMtime());
            to.setVersion(from.getVersion());
            to.setCversion(from.getCversion());
            to.setAversion(from.getAversion());
            to.setEphemeralOwner(from.getEphemeralOwner());
            to.setDataLength(from.getDataLength());
            to.setNumChildren(from.getNumChildren());
            to.setPzxid(from.getPzxid());
        }
    }

    /** One delivery: which watcher got which event. */
    static final class Delivery {
        final String watcher;
        final WatchedEvent event;

        Delivery(String watcher, WatchedEvent event) {
            this.watcher = watcher;
            this.event = event;
        }
    }

    /** A watcher object with a name, to tell watchers apart in the transcript. */
    final class Named implements Watcher {
        final String name;

        Named(String name) {
            this.name = name;
        }

        @Override
        public void process(WatchedEvent event) {
            queue.add(new Delivery(name, event));
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static final int WAIT_SECONDS = 15;
    static final AtomicInteger TIMEOUTS = new AtomicInteger();

    final String name;
    final Zk zk;
    /** Printed after every step (auto) or only when the scenario asks (manual). */
    boolean auto = true;
    /** Connected and usable: only live clients are drained after each step. */
    boolean live = true;
    /** The state of the last event that an await matched. */
    Event.KeeperState lastState;

    /** SyncConnected events seen by the default watcher so far. */
    final AtomicInteger connections = new AtomicInteger();

    /**
     * Waits, printing nothing and taking no deliveries, until the default
     * watcher has seen more than `seen` connections (at most WAIT_SECONDS).
     */
    void awaitReconnection(int seen) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (connections.get() <= seen) {
            if (System.nanoTime() > deadline) {
                Scenario.line(name + " TIMEOUT waiting " + WAIT_SECONDS + "s for a reconnection");
                return;
            }
            Thread.sleep(5);
        }
    }
    private final LinkedBlockingQueue<Delivery> queue = new LinkedBlockingQueue<>();

    private Client(String name, String connect, int timeoutMs) throws IOException {
        this.name = name;
        this.zk = new Zk(connect, timeoutMs, this);
    }

    private Client(String name, String connect, int timeoutMs, long sessionId, byte[] passwd) throws IOException {
        this.name = name;
        this.zk = new Zk(connect, timeoutMs, this, sessionId, passwd);
    }

    static Client create(String name, String connect, int timeoutMs) throws IOException {
        return new Client(name, connect, timeoutMs);
    }

    static Client resume(String name, String connect, int timeoutMs, long sessionId, byte[] passwd)
        throws IOException {
        return new Client(name, connect, timeoutMs, sessionId, passwd);
    }

    Named watcher(String name) {
        return new Named(name);
    }

    @Override
    public void process(WatchedEvent event) {
        if (event.getType() == Event.EventType.None && event.getState() == Event.KeeperState.SyncConnected) {
            connections.incrementAndGet();
        }
        queue.add(new Delivery("default", event));
    }

    /** Waits until every event received before a round trip has been delivered. */
    void barrier() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (true) {
            CountDownLatch done = new CountDownLatch(1);
            int[] result = new int[1];
            zk.exists("/", false, (rc, path, ctx, stat) -> {
                result[0] = rc;
                done.countDown();
            }, null);
            long left = deadline - System.nanoTime();
            if (left <= 0 || !done.await(left, TimeUnit.NANOSECONDS)) {
                throw new IllegalStateException(name + ": no answer to a barrier round trip in " + WAIT_SECONDS + " s");
            }
            // A connection the server just closed fails the round trip before
            // the client reports Disconnected: go round again, so that the
            // disconnection and the reconnection are drained together.
            if (result[0] != KeeperException.Code.CONNECTIONLOSS.intValue()) {
                return;
            }
        }
    }

    /**
     * Waits until the event thread has handled everything queued so far,
     * without a round trip: an empty async multi queues its callback locally.
     */
    void localBarrier() throws InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        zk.multi(Collections.emptyList(), (rc, path, ctx, results) -> done.countDown(), null);
        if (!done.await(WAIT_SECONDS, TimeUnit.SECONDS)) {
            throw new IllegalStateException(name + ": the event thread is stuck");
        }
    }

    static boolean isTerminal(WatchedEvent e) {
        return e.getType() == Event.EventType.None
            && (e.getState() == Event.KeeperState.Expired
                || e.getState() == Event.KeeperState.AuthFailed
                || e.getState() == Event.KeeperState.Closed);
    }

    /** Barrier, then print every delivered event. */
    void drain() throws InterruptedException {
        barrier();
        List<Delivery> got = new ArrayList<>();
        queue.drainTo(got);
        print(got);
    }

    /**
     * Takes deliveries until one matches (printing all taken), at most
     * WAIT_SECONDS; prints a TIMEOUT line otherwise. Returns whether it matched.
     */
    boolean await(String what, Predicate<WatchedEvent> match) throws InterruptedException {
        return await(what, match, true);
    }

    /** Like await, but prints nothing (for the connect step, which prints its own line). */
    boolean awaitQuietly(Predicate<WatchedEvent> match) throws InterruptedException {
        return await("connection", match, false);
    }

    private boolean await(String what, Predicate<WatchedEvent> match, boolean printIt) throws InterruptedException {
        List<Delivery> got = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (true) {
            long left = deadline - System.nanoTime();
            Delivery d = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : null;
            if (d == null) {
                if (printIt) {
                    print(got);
                }
                Scenario.line(name + " TIMEOUT waiting " + WAIT_SECONDS + "s for " + what);
                if (TIMEOUTS.incrementAndGet() >= 3) {
                    throw new IllegalStateException("three waits timed out; giving up");
                }
                return false;
            }
            got.add(d);
            if (match.test(d.event)) {
                // Let the event thread finish delivering this event to its
                // other watchers. After a terminal state it stops instead.
                if (!isTerminal(d.event)) {
                    localBarrier();
                }
                Delivery more;
                while ((more = queue.peek()) != null && more.event == d.event) {
                    got.add(queue.poll());
                }
                lastState = d.event.getState();
                if (printIt) {
                    print(got);
                }
                return true;
            }
        }
    }

    /**
     * Waits until NodeDeleted arrived for every path in {@code paths}, in any
     * order (the reaper deletes them on its own schedule), and returns the
     * sorted paths it saw deleted; "TIMEOUT" entries for the missing ones.
     * Other deliveries taken meanwhile are dropped.
     */
    List<String> awaitReaped(List<String> paths) throws InterruptedException {
        java.util.Set<String> left = new java.util.TreeSet<>(paths);
        List<String> seen = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (!left.isEmpty()) {
            long wait = deadline - System.nanoTime();
            Delivery d = wait > 0 ? queue.poll(wait, TimeUnit.NANOSECONDS) : null;
            if (d == null) {
                for (String p : left) {
                    seen.add("TIMEOUT " + p);
                }
                break;
            }
            if (d.event.getType() == Event.EventType.NodeDeleted && left.remove(d.event.getPath())) {
                seen.add(d.event.getPath());
            }
        }
        Collections.sort(seen);
        return seen;
    }

    boolean awaitState(Event.KeeperState state) throws InterruptedException {
        return await("state " + state, e -> e.getType() == Event.EventType.None && e.getState() == state);
    }

    boolean awaitEvent(Event.EventType type, String path) throws InterruptedException {
        return await(type + " " + path, e -> e.getType() == type && path.equals(e.getPath()));
    }

    /** Prints deliveries; consecutive deliveries of one event make one line. */
    private void print(List<Delivery> got) {
        int i = 0;
        while (i < got.size()) {
            WatchedEvent e = got.get(i).event;
            List<String> watchers = new ArrayList<>();
            while (i < got.size() && got.get(i).event == e) {
                watchers.add(got.get(i).watcher);
                i++;
            }
            Collections.sort(watchers);
            Scenario.line(name + " event " + describe(e) + " -> " + String.join(",", watchers));
        }
    }

    static String describe(WatchedEvent e) {
        String path = e.getPath() == null ? "" : " " + e.getPath();
        return e.getType() + " " + e.getState() + path + Compat.eventZxid(e);
    }
}
