import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.api.CuratorWatcher;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.curator.framework.api.transaction.CuratorTransactionResult;
import org.apache.curator.framework.recipes.atomic.AtomicValue;
import org.apache.curator.framework.recipes.atomic.DistributedAtomicLong;
import org.apache.curator.framework.recipes.atomic.PromotedToLock;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.apache.curator.framework.recipes.leader.LeaderSelector;
import org.apache.curator.framework.recipes.leader.LeaderSelectorListenerAdapter;
import org.apache.curator.framework.recipes.leader.Participant;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.recipes.locks.InterProcessSemaphoreV2;
import org.apache.curator.framework.recipes.locks.Lease;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.apache.curator.framework.recipes.nodes.PersistentTtlNode;
import org.apache.curator.framework.recipes.queue.DistributedPriorityQueue;
import org.apache.curator.framework.recipes.queue.DistributedQueue;
import org.apache.curator.framework.recipes.queue.MultiItem;
import org.apache.curator.framework.recipes.queue.QueueBuilder;
import org.apache.curator.framework.recipes.queue.QueueConsumer;
import org.apache.curator.framework.recipes.queue.QueueSerializer;
import org.apache.curator.framework.recipes.shared.SharedCount;
import org.apache.curator.framework.recipes.shared.SharedCountListener;
import org.apache.curator.framework.recipes.shared.SharedCountReader;
import org.apache.curator.framework.recipes.shared.VersionedValue;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.RetryNTimes;
import org.apache.zookeeper.AddWatchMode;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.data.Stat;

/**
 * Curator recipes against one server, printing a normalised transcript.
 *
 * <p>Usage: {@code CuratorScenarios CONNECT_STRING SCENARIO...}; with several
 * scenarios each starts with a {@code == name} line. The transcript has no
 * session ids (sessions print by the name the scenario gave the client), no
 * times, no random parts of node names ({@code _c_<uuid>-} protection
 * prefixes are dropped), and sorted lists where the server's order is a
 * hash-set order. zxids are printed only where one client writes in a fixed
 * order. Concurrency is deterministic by construction: participants join in
 * a fixed order, each waiting (with a deadline) until the server has the
 * previous one's node, and the transcript records the order the recipe
 * guarantees. Every wait has a deadline; a missed deadline or a broken
 * invariant (two lock holders, a lost increment) exits non-zero.
 *
 * <p>The source compiles against Curator 5.9.0 (ZooKeeper 3.9.5 client) and
 * Debian's Curator 5.4 (ZooKeeper 3.8.0 client).
 */
public final class CuratorScenarios {
    static final long WAIT_SECONDS = 20;
    static String connectString;
    static final Map<Long, String> SESSIONS = new ConcurrentHashMap<>();
    static final List<CuratorFramework> CLIENTS = Collections.synchronizedList(new ArrayList<>());

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: CuratorScenarios CONNECT_STRING SCENARIO...");
            System.exit(2);
        }
        connectString = args[0];
        int status = 0;
        try {
            for (int i = 1; i < args.length; i++) {
                if (args.length > 2) {
                    out("== " + args[i]);
                }
                run(args[i]);
                closeAll();
            }
        } catch (Throwable t) {
            System.out.flush();
            t.printStackTrace();
            status = 1;
        }
        System.out.flush();
        // Curator and ZooKeeper threads must not keep the JVM alive.
        Runtime.getRuntime().halt(status);
    }

    static void run(String scenario) throws Exception {
        switch (scenario) {
            case "framework": framework(); break;
            case "watches": watches(); break;
            case "mutex": mutex(); break;
            case "semaphore": semaphore(); break;
            case "leader-latch": leaderLatch(); break;
            case "leader-selector": leaderSelector(); break;
            case "cache": cache(); break;
            case "persistent-node": persistentNode(); break;
            case "ttl-node": ttlNode(); break;
            case "shared-count": sharedCount(); break;
            case "atomic-long": atomicLong(); break;
            case "queue": queue(); break;
            case "containers": containers(); break;
            default: throw new IllegalArgumentException("unknown scenario " + scenario);
        }
    }

    // ------------------------------------------------------------------
    // Helpers

    static synchronized void out(String line) {
        System.out.println(line);
        System.out.flush();
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String str(byte[] b) {
        return b == null ? "null" : "'" + new String(b, StandardCharsets.UTF_8) + "'";
    }

    static CuratorFramework client(String name) throws Exception {
        CuratorFramework client = CuratorFrameworkFactory.builder()
                .connectString(connectString)
                .retryPolicy(new RetryNTimes(10, 100))
                .sessionTimeoutMs(30000)
                .connectionTimeoutMs(20000)
                // Not the default (the local host's address): the same bytes
                // on every machine.
                .defaultData(new byte[0])
                .build();
        client.start();
        if (!client.blockUntilConnected((int) WAIT_SECONDS, TimeUnit.SECONDS)) {
            throw new AssertionError(name + " did not connect to " + connectString);
        }
        SESSIONS.put(client.getZookeeperClient().getZooKeeper().getSessionId(), name);
        CLIENTS.add(client);
        return client;
    }

    static void closeAll() {
        List<CuratorFramework> clients;
        synchronized (CLIENTS) {
            clients = new ArrayList<>(CLIENTS);
            CLIENTS.clear();
        }
        Collections.reverse(clients);
        for (CuratorFramework c : clients) {
            c.close();
        }
    }

    static String owner(long session) {
        if (session == 0) {
            return "0";
        }
        return SESSIONS.getOrDefault(session, "unknown-session");
    }

    static String stat(Stat s, boolean zxids) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder();
        if (zxids) {
            b.append("czxid=0x").append(Long.toHexString(s.getCzxid()))
                    .append(" mzxid=0x").append(Long.toHexString(s.getMzxid()))
                    .append(" pzxid=0x").append(Long.toHexString(s.getPzxid())).append(' ');
        }
        return b.append("version=").append(s.getVersion())
                .append(" cversion=").append(s.getCversion())
                .append(" aversion=").append(s.getAversion())
                .append(" owner=").append(owner(s.getEphemeralOwner()))
                .append(" dataLength=").append(s.getDataLength())
                .append(" numChildren=").append(s.getNumChildren())
                .toString();
    }

    /** A node name without Curator's protection prefix. */
    static String norm(String name) {
        return name.replaceAll("_c_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-", "");
    }

    static List<String> normAll(Collection<String> names) {
        List<String> out = names.stream().map(CuratorScenarios::norm).collect(Collectors.toList());
        // By sequence number where there is one, else by name.
        out.sort(Comparator.comparing((String n) -> n.length() >= 10 ? n.substring(n.length() - 10) : n)
                .thenComparing(Comparator.naturalOrder()));
        return out;
    }

    static List<String> sortedChildren(CuratorFramework c, String path) throws Exception {
        List<String> children = new ArrayList<>(c.getChildren().forPath(path));
        Collections.sort(children);
        return children;
    }

    interface Action {
        Object run() throws Exception;
    }

    /** Runs an action; prints {@code label -> result} or {@code label -> ERRORCODE}. */
    static Object attempt(String label, Action action) {
        try {
            Object result = action.run();
            out(label + " -> " + show(result));
            return result;
        } catch (KeeperException e) {
            out(label + " -> " + e.code());
            return e;
        } catch (Exception e) {
            throw new RuntimeException(label, e);
        }
    }

    static String show(Object o) {
        if (o instanceof byte[]) {
            return str((byte[]) o);
        }
        if (o instanceof Stat) {
            return stat((Stat) o, true);
        }
        if (o instanceof String) {
            return norm((String) o);
        }
        if (o instanceof List && !((List<?>) o).isEmpty() && ((List<?>) o).get(0) instanceof ACL) {
            return ((List<?>) o).stream().map(a -> {
                ACL acl = (ACL) a;
                return acl.getId().getScheme() + ":" + acl.getId().getId() + " perms=" + acl.getPerms();
            }).collect(Collectors.toList()).toString();
        }
        return String.valueOf(o);
    }

    static void waitFor(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + WAIT_SECONDS + " s waiting for " + what);
            }
            Thread.sleep(5);
        }
    }

    /** Polls a server-side condition (exceptions count as false). */
    static void waitForServer(String what, Action condition) throws InterruptedException {
        waitFor(what, () -> {
            try {
                return Boolean.TRUE.equals(condition.run());
            } catch (Exception e) {
                return false;
            }
        });
    }

    static <T> T take(BlockingQueue<T> queue, String what) throws InterruptedException {
        T item = queue.poll(WAIT_SECONDS, TimeUnit.SECONDS);
        if (item == null) {
            throw new AssertionError("timed out after " + WAIT_SECONDS + " s waiting for " + what);
        }
        return item;
    }

    static void assertEmpty(BlockingQueue<?> queue, String context) {
        if (!queue.isEmpty()) {
            throw new AssertionError("unexpected " + queue.peek() + " (" + context + ")");
        }
    }

    /** A thread that records its failure for {@link #join}. */
    static final class Worker extends Thread {
        final Action body;
        volatile Throwable failure;

        Worker(String name, Action body) {
            super(name);
            this.body = body;
            setDaemon(true);
            start();
        }

        @Override
        public void run() {
            try {
                body.run();
            } catch (Throwable t) {
                failure = t;
            }
        }

        void join(String what) throws InterruptedException {
            join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
            if (isAlive()) {
                throw new AssertionError("timed out waiting for " + what);
            }
            if (failure != null) {
                throw new AssertionError(what + " failed", failure);
            }
        }
    }

    // ------------------------------------------------------------------
    // framework: the CuratorFramework API itself (one client: zxids are
    // deterministic).

    static void framework() throws Exception {
        CuratorFramework c = client("c1");
        // Every create goes through create2 (opcode 15).
        attempt("create /fw", () -> c.create().forPath("/fw", bytes("v0")));
        Stat st = new Stat();
        attempt("create /fw/a storingStatIn", () -> c.create().storingStatIn(st).forPath("/fw/a", bytes("a")));
        out("  stat " + stat(st, true));
        attempt("create creatingParentsIfNeeded", () -> c.create().creatingParentsIfNeeded().forPath("/fw/p/q/r", bytes("r")));
        attempt("get /fw/p", () -> c.checkExists().forPath("/fw/p"));
        attempt("create persistent sequential", () -> c.create().withMode(CreateMode.PERSISTENT_SEQUENTIAL).forPath("/fw/seq-"));
        attempt("create protected ephemeral sequential", () -> c.create().withProtection().withMode(CreateMode.EPHEMERAL_SEQUENTIAL).forPath("/fw/eseq-", bytes("e")));
        attempt("create ephemeral", () -> c.create().withMode(CreateMode.EPHEMERAL).forPath("/fw/eph"));
        attempt("exists /fw/eph", () -> c.checkExists().forPath("/fw/eph"));
        attempt("create existing", () -> c.create().forPath("/fw/a"));
        attempt("create orSetData existing", () -> c.create().orSetData().forPath("/fw/a", bytes("a1")));
        attempt("create no parent", () -> c.create().forPath("/fw/missing/x"));
        attempt("create under ephemeral", () -> c.create().forPath("/fw/eph/x"));
        attempt("getData /fw/a", () -> c.getData().forPath("/fw/a"));
        Stat st2 = new Stat();
        attempt("getData storingStatIn", () -> c.getData().storingStatIn(st2).forPath("/fw/a"));
        out("  stat " + stat(st2, true));
        attempt("setData v1", () -> c.setData().withVersion(1).forPath("/fw/a", bytes("a2")));
        attempt("setData stale v1", () -> c.setData().withVersion(1).forPath("/fw/a", bytes("a3")));
        attempt("setData any", () -> c.setData().forPath("/fw/a", bytes("a4")));
        attempt("exists missing", () -> c.checkExists().forPath("/fw/missing"));
        attempt("getChildren /fw", () -> c.getChildren().forPath("/fw").stream().map(CuratorScenarios::norm).sorted().collect(Collectors.toList()));
        attempt("getChildren missing", () -> c.getChildren().forPath("/fw/missing"));
        attempt("getACL /fw", () -> c.getACL().forPath("/fw"));
        List<ACL> readOnly = Collections.singletonList(new ACL(ZooDefs.Perms.READ, new Id("world", "anyone")));
        attempt("setACL read-only", () -> c.setACL().withVersion(0).withACL(readOnly).forPath("/fw/p/q/r"));
        attempt("setData read-only", () -> c.setData().forPath("/fw/p/q/r", bytes("x")));
        attempt("getACL read-only", () -> c.getACL().forPath("/fw/p/q/r"));
        attempt("delete bad version", () -> { c.delete().withVersion(9).forPath("/fw/p/q/r"); return "deleted"; });
        attempt("delete not empty", () -> { c.delete().forPath("/fw/p"); return "deleted"; });
        attempt("delete deletingChildrenIfNeeded", () -> { c.delete().deletingChildrenIfNeeded().forPath("/fw/p"); return "deleted"; });
        attempt("delete guaranteed missing", () -> { c.delete().guaranteed().forPath("/fw/missing"); return "deleted"; });
        attempt("exists /fw/p", () -> c.checkExists().forPath("/fw/p"));
        // checkExists can create the parents, as containers.
        attempt("checkExists creatingParentContainersIfNeeded", () -> c.checkExists().creatingParentContainersIfNeeded().forPath("/fw/c1/c2/c3"));
        attempt("exists /fw/c1/c2 (a container)", () -> c.checkExists().forPath("/fw/c1/c2"));
        attempt("create creatingParentContainersIfNeeded", () -> c.create().creatingParentContainersIfNeeded().forPath("/fw/k1/k2", bytes("k")));
        attempt("exists /fw/k1 (a container)", () -> c.checkExists().forPath("/fw/k1"));

        // Transactions (multi).
        List<CuratorTransactionResult> results = c.transaction().forOperations(
                c.transactionOp().create().forPath("/fw/t", bytes("t0")),
                c.transactionOp().create().withMode(CreateMode.PERSISTENT_SEQUENTIAL).forPath("/fw/t/s-"),
                c.transactionOp().setData().withVersion(0).forPath("/fw/t", bytes("t1")),
                c.transactionOp().check().withVersion(1).forPath("/fw/t"),
                c.transactionOp().delete().forPath("/fw/a"));
        out("transaction -> " + results.size() + " results");
        for (CuratorTransactionResult r : results) {
            out("  " + r.getType() + " " + r.getForPath() + " result=" + r.getResultPath()
                    + " stat=" + stat(r.getResultStat(), true) + " error=" + r.getError());
        }
        try {
            c.transaction().forOperations(
                    c.transactionOp().create().forPath("/fw/never"),
                    c.transactionOp().check().withVersion(7).forPath("/fw/t"),
                    c.transactionOp().delete().forPath("/fw/t"));
            out("failing transaction -> committed?!");
        } catch (KeeperException e) {
            out("failing transaction -> " + e.code() + " at " + e.getPath());
            List<OpResult> opResults = e.getResults();
            for (OpResult r : opResults) {
                out("  " + r.getClass().getSimpleName()
                        + (r instanceof OpResult.ErrorResult ? " " + KeeperException.Code.get(((OpResult.ErrorResult) r).getErr()) : ""));
            }
        }
        attempt("exists /fw/never", () -> c.checkExists().forPath("/fw/never"));
        attempt("getData /fw/t", () -> c.getData().forPath("/fw/t"));

        // sync, in the background as Curator requires.
        BlockingQueue<String> synced = new LinkedBlockingQueue<>();
        c.sync().inBackground((client, event) ->
                synced.add(event.getType() + " rc=" + event.getResultCode() + " path=" + event.getPath())).forPath("/fw");
        out("sync -> " + take(synced, "sync"));
        // The ensemble config of a standalone server.
        attempt("getConfig length", () -> c.getConfig().forEnsemble().length);
        attempt("create /fw/last", () -> c.create().storingStatIn(st).forPath("/fw/last"));
        out("  stat " + stat(st, true));
    }

    // ------------------------------------------------------------------
    // watches: one-shot watchers, persistent and persistent recursive
    // watches (addWatch, opcode 106) and their removal.

    static void watches() throws Exception {
        CuratorFramework c = client("c1");
        CuratorFramework other = client("c2");
        BlockingQueue<String> events = new LinkedBlockingQueue<>();
        c.create().forPath("/wt", bytes("0"));

        CuratorWatcher oneShot = e -> events.add("one-shot " + e.getType() + " " + e.getPath());
        c.getData().usingWatcher(oneShot).forPath("/wt");
        other.setData().forPath("/wt", bytes("1"));
        out("event " + take(events, "one-shot data watch"));
        c.checkExists().usingWatcher(oneShot).forPath("/wt/child");
        other.create().forPath("/wt/child");
        out("event " + take(events, "one-shot exists watch"));
        c.getChildren().usingWatcher(oneShot).forPath("/wt");
        other.delete().forPath("/wt/child");
        out("event " + take(events, "one-shot child watch"));

        // Persistent (not recursive): data, child and delete events of
        // exactly this path; it stays after firing.
        Watcher persistent = e -> events.add("persistent " + e.getType() + " " + e.getPath());
        other.create().forPath("/per");
        c.watchers().add().withMode(AddWatchMode.PERSISTENT).usingWatcher(persistent).forPath("/per");
        other.setData().forPath("/per", bytes("a"));
        out("event " + take(events, "persistent: data"));
        other.setData().forPath("/per", bytes("b"));
        out("event " + take(events, "persistent: data again"));
        other.create().forPath("/per/x");
        out("event " + take(events, "persistent: child"));
        other.setData().forPath("/per/x", bytes("ignored"));
        other.delete().forPath("/per/x");
        out("event " + take(events, "persistent: child deleted"));

        // Persistent recursive: created/changed/deleted of the path and all
        // descendants, each with the changed node's path; never
        // NodeChildrenChanged.
        Watcher recursive = e -> events.add("recursive " + e.getType() + " " + e.getPath());
        other.create().forPath("/rec");
        c.watchers().add().withMode(AddWatchMode.PERSISTENT_RECURSIVE).usingWatcher(recursive).forPath("/rec");
        other.create().forPath("/rec/a", bytes("1"));
        out("event " + take(events, "recursive: create /rec/a"));
        other.create().forPath("/rec/a/b", bytes("2"));
        out("event " + take(events, "recursive: create /rec/a/b"));
        other.setData().forPath("/rec/a/b", bytes("3"));
        out("event " + take(events, "recursive: set /rec/a/b"));
        other.delete().forPath("/rec/a/b");
        out("event " + take(events, "recursive: delete /rec/a/b"));
        other.setData().forPath("/rec", bytes("root"));
        out("event " + take(events, "recursive: set /rec"));

        // Removing watches; then a sentinel one-shot watch shows that
        // nothing else fires.
        attempt("remove the recursive watch", () -> { c.watchers().remove(recursive).ofType(Watcher.WatcherType.Any).forPath("/rec"); return "removed"; });
        attempt("remove it again", () -> { c.watchers().remove(recursive).ofType(Watcher.WatcherType.Any).forPath("/rec"); return "removed"; });
        attempt("remove the persistent watch", () -> { c.watchers().remove(persistent).ofType(Watcher.WatcherType.Any).forPath("/per"); return "removed"; });
        c.getData().usingWatcher(oneShot).forPath("/wt");
        attempt("remove data watches on /wt", () -> { c.watchers().removeAll().ofType(Watcher.WatcherType.Data).forPath("/wt"); return "removed"; });
        attempt("remove child watches on /wt", () -> { c.watchers().removeAll().ofType(Watcher.WatcherType.Children).forPath("/wt"); return "removed"; });
        other.create().forPath("/rec/after-removal");
        other.setData().forPath("/per", bytes("after-removal"));
        other.setData().forPath("/wt", bytes("after-removal"));
        c.checkExists().usingWatcher(oneShot).forPath("/sentinel");
        other.create().forPath("/sentinel");
        // The removals' local events, then the sentinel: nothing from the
        // removed watches.
        for (String e = take(events, "the sentinel"); ; e = take(events, "the sentinel")) {
            out("event " + e);
            if (e.endsWith("/sentinel")) {
                break;
            }
        }
        assertEmpty(events, "after the removals");
    }

    // ------------------------------------------------------------------
    // mutex: InterProcessMutex with three clients queueing in order.

    static void mutex() throws Exception {
        String[] names = {"c1", "c2", "c3"};
        Map<String, CuratorFramework> clients = new HashMap<>();
        Map<String, InterProcessMutex> mutexes = new HashMap<>();
        Map<String, CountDownLatch> release = new HashMap<>();
        for (String n : names) {
            clients.put(n, client(n));
            mutexes.put(n, new InterProcessMutex(clients.get(n), "/locks/mutex"));
            release.put(n, new CountDownLatch(1));
        }
        AtomicInteger holders = new AtomicInteger();
        BlockingQueue<String> acquired = new LinkedBlockingQueue<>();
        Map<String, Worker> workers = new HashMap<>();
        CuratorFramework c1 = clients.get("c1");
        for (String n : names) {
            workers.put(n, new Worker(n, () -> {
                InterProcessMutex m = mutexes.get(n);
                if (!m.acquire(WAIT_SECONDS, TimeUnit.SECONDS)) {
                    throw new AssertionError(n + " did not get the lock");
                }
                if (holders.incrementAndGet() != 1) {
                    throw new AssertionError("lock holders overlap");
                }
                acquired.add(n);
                if (!release.get(n).await(WAIT_SECONDS, TimeUnit.SECONDS)) {
                    throw new AssertionError(n + " never told to release");
                }
                holders.decrementAndGet();
                m.release();
                return null;
            }));
            int count = workers.size();
            waitForServer(n + "'s lock node", () -> mutexes.get("c1").getParticipantNodes().size() == count);
            if (n.equals("c1")) {
                out("mutex acquired by " + take(acquired, "c1's lock"));
                InterProcessMutex probe = new InterProcessMutex(clients.get("c2"), "/locks/mutex");
                attempt("c2 probe acquire with 0 wait", () -> probe.acquire(0, TimeUnit.MILLISECONDS));
            }
        }
        out("participant nodes " + normAll(mutexes.get("c1").getParticipantNodes()));
        out("lock node owners " + lockNodeOwners(c1, "/locks/mutex"));
        for (String n : names) {
            release.get(n).countDown();
            workers.get(n).join(n + "'s lock thread");
            if (!n.equals("c3")) {
                out("mutex acquired by " + take(acquired, "the holder after " + n));
                out("participant nodes " + normAll(mutexes.get("c1").getParticipantNodes()));
            }
        }
        out("participant nodes at the end " + normAll(mutexes.get("c1").getParticipantNodes()));
        assertEmpty(acquired, "after the queue");

        // Re-entrant: one node, two holds.
        InterProcessMutex m = new InterProcessMutex(c1, "/locks/mutex");
        attempt("c1 acquire", () -> m.acquire(WAIT_SECONDS, TimeUnit.SECONDS));
        attempt("c1 acquire again", () -> m.acquire(WAIT_SECONDS, TimeUnit.SECONDS));
        out("participant nodes " + normAll(m.getParticipantNodes()));
        m.release();
        attempt("c1 held after one release", () -> m.isAcquiredInThisProcess());
        m.release();
        attempt("c1 held after two releases", () -> m.isAcquiredInThisProcess());
        // The lock's parents are containers (shown like persistent nodes).
        attempt("exists /locks/mutex", () -> stat(c1.checkExists().forPath("/locks/mutex"), false));

        // A holder whose session closes hands over the lock.
        InterProcessMutex first = new InterProcessMutex(clients.get("c2"), "/locks/mutex");
        InterProcessMutex next = new InterProcessMutex(clients.get("c3"), "/locks/mutex");
        attempt("c2 acquire", () -> first.acquire(WAIT_SECONDS, TimeUnit.SECONDS));
        BlockingQueue<Boolean> got = new LinkedBlockingQueue<>();
        Worker waiter = new Worker("c3-waiter", () -> {
            got.add(next.acquire(WAIT_SECONDS, TimeUnit.SECONDS));
            next.release();
            return null;
        });
        waitForServer("c3 to queue", () -> first.getParticipantNodes().size() == 2);
        clients.get("c2").close();
        out("c3 acquired after c2's session closed -> " + take(got, "c3's lock"));
        waiter.join("c3's waiter");
        out("participant nodes at the end " + normAll(m.getParticipantNodes()));
    }

    /** The session that owns each (ephemeral) child, in sequence order. */
    static List<String> lockNodeOwners(CuratorFramework c, String path) throws Exception {
        List<String> children = new ArrayList<>(c.getChildren().forPath(path));
        children.sort(Comparator.comparing((String n) -> n.substring(n.length() - 10)));
        List<String> owners = new ArrayList<>();
        for (String child : children) {
            owners.add(owner(c.checkExists().forPath(path + "/" + child).getEphemeralOwner()));
        }
        return owners;
    }

    // ------------------------------------------------------------------
    // semaphore: InterProcessSemaphoreV2 with 2 leases.

    static void semaphore() throws Exception {
        CuratorFramework c1 = client("c1");
        CuratorFramework c2 = client("c2");
        CuratorFramework c3 = client("c3");
        InterProcessSemaphoreV2 s1 = new InterProcessSemaphoreV2(c1, "/sem", 2);
        InterProcessSemaphoreV2 s2 = new InterProcessSemaphoreV2(c2, "/sem", 2);
        InterProcessSemaphoreV2 s3 = new InterProcessSemaphoreV2(c3, "/sem", 2);
        Collection<Lease> leases = s1.acquire(2, WAIT_SECONDS, TimeUnit.SECONDS);
        out("c1 acquired " + (leases == null ? "nothing" : leases.size() + " leases"));
        out("lease nodes " + normAll(s1.getParticipantNodes()));
        attempt("c2 acquire with a 100 ms wait (none free)", () -> s2.acquire(100, TimeUnit.MILLISECONDS));
        out("lease nodes " + normAll(s1.getParticipantNodes()));
        BlockingQueue<Lease> got = new LinkedBlockingQueue<>();
        Worker w = new Worker("c3", () -> {
            got.add(s3.acquire(WAIT_SECONDS, TimeUnit.SECONDS));
            return null;
        });
        // c3 waits with its lease node already created.
        waitForServer("c3's lease node", () -> s1.getParticipantNodes().size() == 3);
        out("lease nodes while c3 waits " + normAll(s1.getParticipantNodes()));
        Iterator<Lease> it = leases.iterator();
        Lease returned = it.next();
        s1.returnLease(returned);
        Lease l3 = take(got, "c3's lease");
        w.join("c3's acquire");
        out("c3 acquired a lease " + norm(l3.getNodeName().substring(l3.getNodeName().lastIndexOf('/') + 1)));
        out("lease nodes " + normAll(s1.getParticipantNodes()));
        out("lease owners " + lockNodeOwners(c1, "/sem/leases"));
        s1.returnAll(Collections.singletonList(it.next()));
        s3.returnLease(l3);
        out("lease nodes at the end " + normAll(s1.getParticipantNodes()));
        attempt("semaphore children", () -> sortedChildren(c1, "/sem"));
    }

    // ------------------------------------------------------------------
    // leader-latch: LeaderLatch with three participants.

    static void leaderLatch() throws Exception {
        BlockingQueue<String> events = new LinkedBlockingQueue<>();
        Map<String, LeaderLatch> latches = new HashMap<>();
        String[] ids = {"p1", "p2", "p3"};
        for (String id : ids) {
            LeaderLatch latch = new LeaderLatch(client("c-" + id), "/latch", id);
            latch.addListener(new LeaderLatchListener() {
                @Override
                public void isLeader() {
                    events.add(id + " isLeader");
                }

                @Override
                public void notLeader() {
                    events.add(id + " notLeader");
                }
            });
            latches.put(id, latch);
        }
        LeaderLatch p1 = latches.get("p1");
        p1.start();
        out("p1 await -> " + p1.await(WAIT_SECONDS, TimeUnit.SECONDS));
        out("event " + take(events, "p1 isLeader"));
        for (int i = 1; i < ids.length; i++) {
            latches.get(ids[i]).start();
            int count = i + 1;
            waitForServer(ids[i] + " to join", () -> p1.getParticipants().size() == count);
        }
        out("participants " + participants(p1.getParticipants()));
        out("leader " + latches.get("p3").getLeader().getId());
        out("p2 hasLeadership " + latches.get("p2").hasLeadership());
        out("latch nodes " + normAll(CLIENTS.get(0).getChildren().forPath("/latch")));

        // A silent close: no notLeader; p2 takes over.
        p1.close();
        out("p2 await -> " + latches.get("p2").await(WAIT_SECONDS, TimeUnit.SECONDS));
        out("event " + take(events, "p2 isLeader"));
        out("participants " + participants(latches.get("p3").getParticipants()));

        // A notifying close: p2 hears notLeader, p3 isLeader.
        latches.get("p2").close(LeaderLatch.CloseMode.NOTIFY_LEADER);
        out("p3 await -> " + latches.get("p3").await(WAIT_SECONDS, TimeUnit.SECONDS));
        List<String> two = new ArrayList<>();
        two.add(take(events, "p2 notLeader"));
        two.add(take(events, "p3 isLeader"));
        Collections.sort(two);
        out("events " + two);
        out("participants " + participants(latches.get("p3").getParticipants()));
        latches.get("p3").close();
        assertEmpty(events, "at the end");
        CuratorFramework observer = client("observer");
        // close() deletes the node in the background.
        waitForServer("the latch nodes to go", () -> observer.getChildren().forPath("/latch").isEmpty());
        attempt("latch children at the end", () -> sortedChildren(observer, "/latch"));
    }

    static String participants(Collection<Participant> participants) {
        return participants.stream()
                .map(p -> p.getId() + (p.isLeader() ? "(leader)" : ""))
                .collect(Collectors.toList()).toString();
    }

    // ------------------------------------------------------------------
    // leader-selector: LeaderSelector, s1 requeueing itself.

    static void leaderSelector() throws Exception {
        BlockingQueue<String> leaders = new LinkedBlockingQueue<>();
        AtomicInteger current = new AtomicInteger();
        Map<String, Semaphore> stepDown = new ConcurrentHashMap<>();
        Map<String, LeaderSelector> selectors = new HashMap<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        String[] ids = {"s1", "s2", "s3"};
        for (String id : ids) {
            stepDown.put(id, new Semaphore(0));
            LeaderSelector selector = new LeaderSelector(client("c-" + id), "/selector", new LeaderSelectorListenerAdapter() {
                @Override
                public void takeLeadership(CuratorFramework client) throws Exception {
                    if (current.incrementAndGet() != 1) {
                        failure.set(new AssertionError("leaders overlap"));
                    }
                    leaders.add(id);
                    try {
                        if (!stepDown.get(id).tryAcquire(WAIT_SECONDS, TimeUnit.SECONDS)) {
                            failure.set(new AssertionError(id + " never told to step down"));
                        }
                    } finally {
                        current.decrementAndGet();
                    }
                }
            });
            selector.setId(id);
            selectors.put(id, selector);
        }
        selectors.get("s1").autoRequeue();
        selectors.get("s1").start();
        out("leader " + take(leaders, "s1 to lead"));
        for (int i = 1; i < ids.length; i++) {
            selectors.get(ids[i]).start();
            int count = i + 1;
            waitForServer(ids[i] + " to queue", () -> selectors.get("s1").getParticipants().size() == count);
        }
        out("participants " + participants(selectors.get("s2").getParticipants()));
        // s1 steps down and requeues behind s3.
        for (String id : new String[] {"s1", "s2", "s3"}) {
            stepDown.get(id).release();
            out("leader " + take(leaders, "the leader after " + id));
            int expected = id.equals("s1") ? 3 : id.equals("s2") ? 2 : 1;
            waitForServer("participants to settle", () -> selectors.get("s1").getParticipants().size() == expected);
            out("participants " + participants(selectors.get("s1").getParticipants()));
        }
        selectors.get("s1").close();
        stepDown.get("s1").release();
        selectors.get("s2").close();
        selectors.get("s3").close();
        if (failure.get() != null) {
            throw new AssertionError("a leader failed", failure.get());
        }
        assertEmpty(leaders, "at the end");
        CuratorFramework observer = client("observer");
        waitForServer("the selector nodes to go", () -> observer.getChildren().forPath("/selector").isEmpty());
        attempt("selector children at the end", () -> sortedChildren(observer, "/selector"));
    }

    // ------------------------------------------------------------------
    // cache: CuratorCache (a persistent recursive watch): events carry the
    // changed node's path.

    static void cache() throws Exception {
        CuratorFramework c = client("c1");
        CuratorFramework writer = client("c2");
        writer.create().forPath("/cache", bytes("root"));
        writer.create().forPath("/cache/a", bytes("a"));
        writer.create().forPath("/cache/b", bytes("b"));
        writer.create().forPath("/cache/a/x", bytes("ax"));
        BlockingQueue<String> events = new LinkedBlockingQueue<>();
        CuratorCache cache = CuratorCache.build(c, "/cache");
        cache.listenable().addListener(CuratorCacheListener.builder()
                .forAll((type, oldData, data) -> events.add(type + " " + childData(oldData) + " -> " + childData(data)))
                .forInitialized(() -> events.add("initialized"))
                .build());
        cache.start();
        List<String> initial = new ArrayList<>();
        for (String e = take(events, "the initial load"); !e.equals("initialized"); e = take(events, "the initial load")) {
            initial.add(e);
        }
        Collections.sort(initial);
        for (String e : initial) {
            out(e);
        }
        out("initialized");
        showCache(cache);
        step(events, "create /cache/c", 1, () -> writer.create().forPath("/cache/c", bytes("c")));
        step(events, "set /cache/a", 1, () -> writer.setData().forPath("/cache/a", bytes("a2")));
        step(events, "create /cache/c/deep", 1, () -> writer.create().forPath("/cache/c/deep", bytes("d")));
        step(events, "set /cache/c/deep", 1, () -> writer.setData().forPath("/cache/c/deep", bytes("d2")));
        step(events, "set /cache", 1, () -> writer.setData().forPath("/cache", bytes("root2")));
        step(events, "set /cache/a/x to the same data", 1, () -> writer.setData().forPath("/cache/a/x", bytes("ax")));
        step(events, "delete /cache/b", 1, () -> { writer.delete().forPath("/cache/b"); return null; });
        step(events, "delete /cache/c with its child", 2, () -> { writer.delete().deletingChildrenIfNeeded().forPath("/cache/c"); return null; });
        step(events, "ephemeral /cache/e from c3", 1, () -> {
            CuratorFramework c3 = client("c3");
            return c3.create().withMode(CreateMode.EPHEMERAL).forPath("/cache/e", bytes("e"));
        });
        step(events, "c3 closes", 1, () -> { CLIENTS.get(CLIENTS.size() - 1).close(); return null; });
        showCache(cache);
        assertEmpty(events, "at the end");
        cache.close();
    }

    static String childData(ChildData d) {
        if (d == null) {
            return "null";
        }
        return d.getPath() + "=" + str(d.getData()) + " v" + d.getStat().getVersion();
    }

    static void showCache(CuratorCache cache) {
        List<String> entries = cache.stream().map(CuratorScenarios::childData).sorted().collect(Collectors.toList());
        out("cache size " + cache.size() + " " + entries);
        out("cache get /cache/a " + cache.get("/cache/a").map(CuratorScenarios::childData).orElse("absent"));
    }

    static void step(BlockingQueue<String> events, String label, int count, Action action) throws Exception {
        out("> " + label);
        action.run();
        List<String> got = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            got.add(take(events, label));
        }
        Collections.sort(got);
        for (String e : got) {
            out(e);
        }
    }

    // ------------------------------------------------------------------
    // persistent-node: PersistentNode keeps its node alive.

    static void persistentNode() throws Exception {
        CuratorFramework c1 = client("c1");
        CuratorFramework c2 = client("c2");
        PersistentNode pn = new PersistentNode(c1, CreateMode.EPHEMERAL, false, "/pn/node", bytes("v1"));
        pn.start();
        out("waitForInitialCreate -> " + pn.waitForInitialCreate(WAIT_SECONDS, TimeUnit.SECONDS));
        out("actual path " + pn.getActualPath());
        attempt("c2 exists /pn/node", () -> stat(c2.checkExists().forPath("/pn/node"), false));
        attempt("c2 exists /pn (a container)", () -> stat(c2.checkExists().forPath("/pn"), false));
        // Deleted behind its back: PersistentNode recreates it.
        c2.delete().forPath("/pn/node");
        waitForServer("/pn/node to come back", () -> c2.checkExists().forPath("/pn/node") != null);
        attempt("c2 get /pn/node after the delete", () -> str(c2.getData().forPath("/pn/node")) + " " + stat(c2.checkExists().forPath("/pn/node"), false));
        pn.setData(bytes("v2"));
        waitForServer("/pn/node = v2", () -> new String(c2.getData().forPath("/pn/node"), StandardCharsets.UTF_8).equals("v2"));
        attempt("c2 get /pn/node after setData", () -> str(c2.getData().forPath("/pn/node")) + " " + stat(c2.checkExists().forPath("/pn/node"), false));

        // Protected ephemeral-sequential: a deleted node comes back (under
        // the same name: Curator 5.9 re-creates the path it had).
        PersistentNode seq = new PersistentNode(c1, CreateMode.EPHEMERAL_SEQUENTIAL, true, "/pn/seq-", bytes("s"));
        seq.start();
        out("waitForInitialCreate -> " + seq.waitForInitialCreate(WAIT_SECONDS, TimeUnit.SECONDS));
        String first = seq.getActualPath();
        out("actual path " + norm(first));
        attempt("c2 exists it", () -> stat(c2.checkExists().forPath(first), false));
        c2.delete().forPath(first);
        waitForServer("the sequential node to come back", () -> c2.checkExists().forPath(seq.getActualPath()) != null);
        out("actual path after the delete " + norm(seq.getActualPath()));
        attempt("c2 exists it", () -> stat(c2.checkExists().forPath(seq.getActualPath()), false));
        attempt("children of /pn", () -> normAll(c2.getChildren().forPath("/pn")));

        // A persistent PersistentNode: close() deletes it like the others.
        PersistentNode persistent = new PersistentNode(c1, CreateMode.PERSISTENT, false, "/pn/persistent", bytes("p"));
        persistent.start();
        out("waitForInitialCreate -> " + persistent.waitForInitialCreate(WAIT_SECONDS, TimeUnit.SECONDS));
        attempt("c2 exists /pn/persistent", () -> stat(c2.checkExists().forPath("/pn/persistent"), false));
        persistent.close();
        seq.close();
        pn.close();
        attempt("children of /pn after close", () -> normAll(c2.getChildren().forPath("/pn")));
    }

    // ------------------------------------------------------------------
    // ttl-node: PersistentTtlNode and TTL nodes (the server needs
    // extendedTypesEnabled=true and a short container check interval).

    static void ttlNode() throws Exception {
        CuratorFramework c1 = client("c1");
        CuratorFramework c2 = client("c2");
        // Touched every ttl/2; a long TTL keeps a slow machine from letting
        // the touch node expire while the node is in use.
        PersistentTtlNode ttl = new PersistentTtlNode(c1, "/ttl/node", 2000, bytes("data"));
        ttl.start();
        out("waitForInitialCreate -> " + ttl.waitForInitialCreate(WAIT_SECONDS, TimeUnit.SECONDS));
        waitForServer("the touch node", () -> c2.checkExists().forPath("/ttl/node/touch") != null);
        // Containers and TTL nodes look like persistent nodes to clients.
        attempt("get /ttl/node", () -> {
            Stat st = new Stat();
            byte[] data = c2.getData().storingStatIn(st).forPath("/ttl/node");
            return str(data) + " version=" + st.getVersion() + " owner=" + owner(st.getEphemeralOwner())
                    + " numChildren=" + st.getNumChildren();
        });
        attempt("children /ttl/node", () -> sortedChildren(c2, "/ttl/node"));
        attempt("exists /ttl/node/touch owner", () -> owner(c2.checkExists().forPath("/ttl/node/touch").getEphemeralOwner()));
        ttl.close();
        // Nobody touches it any more: the TTL child expires, then the
        // container goes.
        waitForServer("/ttl/node/touch to expire", () -> c2.checkExists().forPath("/ttl/node/touch") == null);
        out("/ttl/node/touch expired");
        waitForServer("/ttl/node to be reaped", () -> c2.checkExists().forPath("/ttl/node") == null);
        out("/ttl/node reaped");
        // Its parent was made a container too (creatingParentContainersIfNeeded).
        waitForServer("/ttl to be reaped", () -> c2.checkExists().forPath("/ttl") == null);
        out("/ttl reaped");

        // TTL nodes made directly (under a persistent parent): one with a
        // child is kept; once expired TTL nodes made after it are gone, the
        // reaper has seen it.
        attempt("create /ttls", () -> c1.create().forPath("/ttls"));
        attempt("create TTL /ttls/parent", () -> c1.create().withTtl(200).withMode(CreateMode.PERSISTENT_WITH_TTL).forPath("/ttls/parent", bytes("p")));
        attempt("create /ttls/parent/child", () -> c1.create().forPath("/ttls/parent/child"));
        attempt("create TTL sequential", () -> c1.create().withTtl(200).withMode(CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL).forPath("/ttls/seq-"));
        attempt("create TTL /ttls/lonely", () -> c1.create().withTtl(200).withMode(CreateMode.PERSISTENT_WITH_TTL).forPath("/ttls/lonely"));
        attempt("exists /ttls/lonely", () -> stat(c2.checkExists().forPath("/ttls/lonely"), false));
        // The reaper deletes a pass's candidates one by one: wait for both.
        waitForServer("/ttls/lonely and /ttls/seq-0000000001 to expire", () -> c2.checkExists().forPath("/ttls/lonely") == null
                && c2.checkExists().forPath("/ttls/seq-0000000001") == null);
        out("/ttls/lonely and /ttls/seq-0000000001 expired");
        attempt("children /ttls", () -> sortedChildren(c2, "/ttls"));
        c1.delete().forPath("/ttls/parent/child");
        waitForServer("/ttls/parent to expire", () -> c2.checkExists().forPath("/ttls/parent") == null);
        out("/ttls/parent expired once empty");
        // setData restarts a TTL node's clock; it still expires.
        attempt("create TTL /ttls/touched", () -> c1.create().withTtl(300).withMode(CreateMode.PERSISTENT_WITH_TTL).forPath("/ttls/touched"));
        attempt("setData /ttls/touched", () -> stat(c1.setData().forPath("/ttls/touched", bytes("t")), false));
        waitForServer("/ttls/touched to expire", () -> c2.checkExists().forPath("/ttls/touched") == null);
        out("/ttls/touched expired");
        attempt("children /ttls", () -> sortedChildren(c2, "/ttls"));
        attempt("exists /ttls (persistent: stays)", () -> stat(c2.checkExists().forPath("/ttls"), false));
    }

    // ------------------------------------------------------------------
    // shared-count: SharedCount with two clients.

    static void sharedCount() throws Exception {
        CuratorFramework c1 = client("c1");
        CuratorFramework c2 = client("c2");
        SharedCount s1 = new SharedCount(c1, "/count", 0);
        SharedCount s2 = new SharedCount(c2, "/count", 0);
        BlockingQueue<String> seen = new LinkedBlockingQueue<>();
        for (SharedCount s : new SharedCount[] {s1, s2}) {
            String name = s == s1 ? "c1" : "c2";
            s.addListener(new SharedCountListener() {
                @Override
                public void countHasChanged(SharedCountReader reader, int newCount) {
                    seen.add(name + " saw " + newCount);
                }

                @Override
                public void stateChanged(CuratorFramework client, ConnectionState state) {
                }
            });
        }
        s1.start();
        s2.start();
        out("c1 count " + s1.getCount() + ", c2 count " + s2.getCount());
        attempt("exists /count", () -> stat(c1.checkExists().forPath("/count"), false));
        s1.setCount(5);
        List<String> first = new ArrayList<>();
        first.add(take(seen, "a listener"));
        first.add(take(seen, "the other listener"));
        Collections.sort(first);
        out("after c1 setCount 5: " + first);
        VersionedValue<Integer> stale = s2.getVersionedValue();
        out("c2 versioned value " + stale.getValue() + " version " + stale.getVersion());
        s1.setCount(6);
        first.clear();
        first.add(take(seen, "a listener"));
        first.add(take(seen, "the other listener"));
        Collections.sort(first);
        out("after c1 setCount 6: " + first);
        out("c2 trySetCount with a stale version -> " + s2.trySetCount(stale, 7));
        VersionedValue<Integer> fresh = s2.getVersionedValue();
        out("c2 versioned value " + fresh.getValue() + " version " + fresh.getVersion());
        out("c2 trySetCount with the current version -> " + s2.trySetCount(fresh, 7));
        first.clear();
        first.add(take(seen, "a listener"));
        first.add(take(seen, "the other listener"));
        Collections.sort(first);
        out("after c2 trySetCount 7: " + first);
        out("c1 count " + s1.getCount() + ", c2 count " + s2.getCount());
        attempt("/count bytes", () -> java.util.Arrays.toString(c1.getData().forPath("/count")));
        s1.close();
        s2.close();
        assertEmpty(seen, "at the end");
    }

    // ------------------------------------------------------------------
    // atomic-long: DistributedAtomicLong, optimistic and promoted to a lock.

    static void atomicLong() throws Exception {
        CuratorFramework c1 = client("c1");
        DistributedAtomicLong dal = new DistributedAtomicLong(c1, "/dal", new RetryNTimes(1000, 1));
        show("get (no node)", dal.get());
        show("increment", dal.increment());
        show("add 10", dal.add(10L));
        show("decrement", dal.decrement());
        show("compareAndSet 10 -> 20", dal.compareAndSet(10L, 20L));
        show("compareAndSet 10 -> 30", dal.compareAndSet(10L, 30L));
        show("trySet 42", dal.trySet(42L));
        dal.forceSet(7L);
        show("after forceSet 7", dal.get());
        attempt("/dal bytes", () -> java.util.Arrays.toString(c1.getData().forPath("/dal")));

        // 3 clients x 25 increments, concurrently: none lost.
        int perClient = 25;
        List<Worker> workers = new ArrayList<>();
        AtomicInteger failures = new AtomicInteger();
        Map<String, CuratorFramework> others = new HashMap<>();
        for (String n : new String[] {"c2", "c3", "c4"}) {
            others.put(n, client(n));
        }
        for (String n : new String[] {"c2", "c3", "c4"}) {
            CuratorFramework c = others.get(n);
            workers.add(new Worker(n, () -> {
                DistributedAtomicLong mine = new DistributedAtomicLong(c, "/dal", new RetryNTimes(1000, 1));
                for (int i = 0; i < perClient; i++) {
                    if (!mine.increment().succeeded()) {
                        failures.incrementAndGet();
                    }
                }
                return null;
            }));
        }
        for (Worker w : workers) {
            w.join("increments of " + w.getName());
        }
        out("failed increments " + failures.get());
        show("after 75 concurrent increments", dal.get());

        // Promoted to a lock when optimistic tries run out.
        PromotedToLock promoted = PromotedToLock.builder().lockPath("/dal-lock").retryPolicy(new RetryNTimes(1000, 1)).timeout(WAIT_SECONDS, TimeUnit.SECONDS).build();
        workers.clear();
        for (String n : new String[] {"c2", "c3", "c4"}) {
            CuratorFramework c = others.get(n);
            workers.add(new Worker(n, () -> {
                DistributedAtomicLong mine = new DistributedAtomicLong(c, "/dal-promoted", new RetryNTimes(0, 0), promoted);
                for (int i = 0; i < 10; i++) {
                    if (!mine.increment().succeeded()) {
                        failures.incrementAndGet();
                    }
                }
                return null;
            }));
        }
        for (Worker w : workers) {
            w.join("promoted increments of " + w.getName());
        }
        out("failed increments " + failures.get());
        show("promoted counter after 30 concurrent increments", new DistributedAtomicLong(c1, "/dal-promoted", new RetryNTimes(0, 0)).get());
    }

    static void show(String label, AtomicValue<Long> v) {
        out(label + " -> succeeded=" + v.succeeded() + " pre=" + v.preValue() + " post=" + v.postValue());
    }

    // ------------------------------------------------------------------
    // queue: DistributedQueue and DistributedPriorityQueue.

    static final QueueSerializer<String> SERIALIZER = new QueueSerializer<String>() {
        @Override
        public byte[] serialize(String item) {
            return bytes(item);
        }

        @Override
        public String deserialize(byte[] bytes) {
            return new String(bytes, StandardCharsets.UTF_8);
        }
    };

    static QueueConsumer<String> consumer(BlockingQueue<String> into) {
        return new QueueConsumer<String>() {
            @Override
            public void consumeMessage(String message) {
                into.add(message);
            }

            @Override
            public void stateChanged(CuratorFramework client, ConnectionState state) {
            }
        };
    }

    static void queue() throws Exception {
        CuratorFramework c1 = client("c1");
        CuratorFramework c2 = client("c2");
        DistributedQueue<String> producer = QueueBuilder.builder(c1, null, SERIALIZER, "/queue").buildQueue();
        producer.start();
        for (String item : new String[] {"a", "b", "c"}) {
            producer.put(item);
        }
        producer.putMulti(new MultiItem<String>() {
            private final Iterator<String> items = java.util.Arrays.asList("m1", "m2").iterator();

            @Override
            public String nextItem() {
                return items.hasNext() ? items.next() : null;
            }
        });
        attempt("queue nodes", () -> sortedChildren(c1, "/queue"));
        BlockingQueue<String> consumed = new LinkedBlockingQueue<>();
        DistributedQueue<String> queue = QueueBuilder.builder(c2, consumer(consumed), SERIALIZER, "/queue").buildQueue();
        queue.start();
        List<String> items = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            items.add(take(consumed, "item " + i));
        }
        out("consumed in order " + items);
        waitForServer("the queue to drain", () -> c1.getChildren().forPath("/queue").isEmpty());
        producer.put("d");
        out("consumed " + take(consumed, "d"));
        queue.close();
        producer.close();

        // A queue with a lock path: items are removed after processing.
        DistributedQueue<String> locked = QueueBuilder.builder(c2, consumer(consumed), SERIALIZER, "/lqueue").lockPath("/lqueue-locks").buildQueue();
        locked.start();
        locked.put("x");
        locked.put("y");
        out("consumed with locks " + take(consumed, "x") + " " + take(consumed, "y"));
        waitForServer("the locked queue to drain", () -> c1.getChildren().forPath("/lqueue").isEmpty());
        // (Its lock nodes come and go while the consumer re-reads a stale
        // list of items, so they are not part of the transcript.)
        attempt("locked queue items", () -> sortedChildren(c1, "/lqueue"));
        locked.close();

        // Priority queue: put while nobody consumes, then consumed by priority.
        DistributedPriorityQueue<String> pproducer = QueueBuilder.builder(c1, null, SERIALIZER, "/pqueue").buildPriorityQueue(0);
        pproducer.start();
        pproducer.put("thirty", 30);
        pproducer.put("ten", 10);
        pproducer.put("minus", -5);
        pproducer.put("twenty", 20);
        attempt("priority queue nodes", () -> sortedChildren(c1, "/pqueue"));
        DistributedPriorityQueue<String> pqueue = QueueBuilder.builder(c2, consumer(consumed), SERIALIZER, "/pqueue").buildPriorityQueue(0);
        pqueue.start();
        items.clear();
        for (int i = 0; i < 4; i++) {
            items.add(take(consumed, "priority item " + i));
        }
        out("consumed by priority " + items);
        pqueue.close();
        pproducer.close();
        assertEmpty(consumed, "at the end");
    }

    // ------------------------------------------------------------------
    // containers: creatingParentContainersIfNeeded and the container
    // reaper (the server runs with a short znode.container.checkIntervalMs).

    static void containers() throws Exception {
        CuratorFramework c1 = client("c1");
        CuratorFramework c2 = client("c2");
        attempt("create /ctr/a/b with container parents", () -> c1.create().creatingParentContainersIfNeeded().forPath("/ctr/a/b", bytes("leaf")));
        attempt("exists /ctr", () -> stat(c1.checkExists().forPath("/ctr"), false));
        attempt("exists /ctr/a", () -> stat(c1.checkExists().forPath("/ctr/a"), false));
        attempt("create a never-used container", () -> c1.create().withMode(CreateMode.CONTAINER).forPath("/ctr-unused"));
        attempt("create a container with a child", () -> c1.create().creatingParentContainersIfNeeded().forPath("/ctr-kept/child"));
        attempt("create a child under a container", () -> c1.create().forPath("/ctr-unused/x"));
        attempt("delete it again", () -> { c1.delete().forPath("/ctr-unused/x"); return "deleted"; });
        attempt("create an ephemeral in a container", () -> c2.create().creatingParentContainersIfNeeded().withMode(CreateMode.EPHEMERAL).forPath("/ctr-eph/e"));

        // Emptied containers go, deepest first.
        c1.delete().forPath("/ctr/a/b");
        waitForServer("/ctr/a to be reaped", () -> c2.checkExists().forPath("/ctr/a") == null);
        out("/ctr/a reaped");
        waitForServer("/ctr to be reaped", () -> c2.checkExists().forPath("/ctr") == null);
        out("/ctr reaped");
        // The reaper has run since: a container that had a child and lost
        // it went; one that never had a child stays... unless it had one
        // (/ctr-unused had /ctr-unused/x).
        waitForServer("/ctr-unused to be reaped", () -> c2.checkExists().forPath("/ctr-unused") == null);
        out("/ctr-unused reaped (it once had a child)");
        attempt("create a container that never gets a child", () -> c1.create().withMode(CreateMode.CONTAINER).forPath("/ctr-never"));
        c2.close();
        waitForServer("/ctr-eph to be reaped", () -> c1.checkExists().forPath("/ctr-eph") == null);
        out("/ctr-eph reaped after its ephemeral's session closed");
        attempt("exists /ctr-kept (still has a child)", () -> stat(c1.checkExists().forPath("/ctr-kept"), false));
        attempt("exists /ctr-never (never had a child)", () -> stat(c1.checkExists().forPath("/ctr-never"), false));

        // Curator's lock parents are containers too.
        InterProcessMutex m = new InterProcessMutex(c1, "/ctr-locks/mutex");
        attempt("acquire", () -> m.acquire(WAIT_SECONDS, TimeUnit.SECONDS));
        m.release();
        waitForServer("/ctr-locks to be reaped", () -> c1.checkExists().forPath("/ctr-locks") == null);
        out("/ctr-locks reaped after the lock was released");
        attempt("root children", () -> sortedChildren(c1, "/"));
    }
}
