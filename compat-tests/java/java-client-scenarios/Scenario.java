import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.jute.Record;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.ClientInfo;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.data.Stat;
import org.apache.zookeeper.proto.Create2Response;
import org.apache.zookeeper.proto.CreateRequest;
import org.apache.zookeeper.proto.CreateResponse;
import org.apache.zookeeper.proto.CreateTTLRequest;
import org.apache.zookeeper.proto.ReplyHeader;

/**
 * A scenario: a fixed sequence of client operations whose outcomes are
 * printed one line per step ("c1 create /a PERSISTENT => /a"), each followed
 * by the watch events the step caused.
 *
 * <p>Line kinds: "## title" (a section, not a step), "CLIENT OP ARGS =>
 * OUTCOME" (a step), "CLIENT event TYPE STATE PATH zxid=… -> WATCHERS" (a
 * delivery), and a final "END NAME steps=N".
 */
abstract class Scenario {
    private static int steps;

    /** The server's client address ("127.0.0.1:port"). */
    final String server;
    final List<Client> clients = new ArrayList<>();

    Scenario(String server) {
        this.server = server;
    }

    abstract void run() throws Exception;

    static int steps() {
        return steps;
    }

    static void line(String s) {
        System.out.println(s);
    }

    interface Action {
        String run() throws Exception;
    }

    static byte[] b(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    static final List<ACL> OPEN = ZooDefs.Ids.OPEN_ACL_UNSAFE;

    static List<ACL> acl(int perms, String scheme, String id) {
        return new ArrayList<>(Collections.singletonList(new ACL(perms, new Id(scheme, id))));
    }

    static List<ACL> acls(ACL... entries) {
        return new ArrayList<>(Arrays.asList(entries));
    }

    static ACL entry(int perms, String scheme, String id) {
        return new ACL(perms, new Id(scheme, id));
    }

    /** The digest ACL id for "user:password": user:base64(sha1("user:password")). */
    static String digest(String userPassword) {
        try {
            byte[] sha1 = java.security.MessageDigest.getInstance("SHA1")
                .digest(userPassword.getBytes(StandardCharsets.UTF_8));
            return userPassword.split(":", 2)[0] + ":" + java.util.Base64.getEncoder().encodeToString(sha1);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    void section(String title) {
        line("## " + title);
    }

    /** Runs one step, prints its outcome, then the events it caused. */
    String step(Client c, String desc, Action action) throws InterruptedException {
        String outcome = outcome(action);
        line(c.name + " " + desc + " => " + outcome);
        steps++;
        drainAll();
        return outcome;
    }

    /** A step with no event drain afterwards (the client is known not to answer). */
    String stepNoDrain(Client c, String desc, Action action) {
        String outcome = outcome(action);
        line(c.name + " " + desc + " => " + outcome);
        steps++;
        return outcome;
    }

    static String outcome(Action action) {
        try {
            String r = action.run();
            return r == null ? "ok" : r;
        } catch (KeeperException e) {
            if (e.code() == KeeperException.Code.REQUESTTIMEOUT && Client.TIMEOUTS.incrementAndGet() >= 3) {
                throw new IllegalStateException("three requests timed out; giving up", e);
            }
            String s = "err " + e.code().name();
            if (e.getResults() != null) {
                s += " results=" + Fmt.results(e.getResults());
            }
            return s;
        } catch (IllegalArgumentException e) {
            return "client-rejected IllegalArgumentException(" + e.getMessage() + ")";
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        } catch (Exception e) {
            throw new IllegalStateException("step failed unexpectedly", e);
        }
    }

    void drainAll() throws InterruptedException {
        for (Client c : clients) {
            if (c.auto && c.live) {
                c.drain();
            }
        }
    }

    /** Connects a new session and waits until it is connected. */
    Client connect(String name, String connectString, int timeoutMs) throws IOException, InterruptedException {
        Client c = Client.create(name, connectString, timeoutMs);
        return connected(c, "connect timeout=" + timeoutMs);
    }

    /** Connects with an existing session's id and password. */
    Client resume(String name, String connectString, int timeoutMs, long sessionId, byte[] passwd)
        throws IOException, InterruptedException {
        Client c = Client.resume(name, connectString, timeoutMs, sessionId, passwd);
        return connected(c, "resume session=" + Fmt.owner(sessionId) + " timeout=" + timeoutMs);
    }

    private Client connected(Client c, String desc) throws InterruptedException {
        // The first state the client reaches: SyncConnected, or Expired for
        // a session the server does not (or no longer) know.
        boolean done = c.awaitQuietly(e -> e.getType() == Watcher.Event.EventType.None
            && (e.getState() == Watcher.Event.KeeperState.SyncConnected
                || Client.isTerminal(e)));
        String outcome;
        if (!done) {
            outcome = "TIMEOUT";
            c.live = false;
        } else if (c.lastState == Watcher.Event.KeeperState.SyncConnected) {
            Fmt.SESSIONS.putIfAbsent(c.zk.getSessionId(), c.name);
            outcome = "SyncConnected session=" + Fmt.owner(c.zk.getSessionId())
                + " negotiatedTimeout=" + c.zk.getSessionTimeout();
        } else {
            outcome = String.valueOf(c.lastState);
            c.live = false;
        }
        clients.add(c);
        stepNoDrain(c, desc, () -> outcome);
        if (!done) {
            throw new IllegalStateException(c.name + " could not connect to " + server);
        }
        drainAll();
        return c;
    }

    /** Closes the session (closeSession) and stops draining the client. */
    void close(Client c) throws InterruptedException {
        c.live = false;
        step(c, "close", () -> {
            c.zk.close();
            return "ok";
        });
    }

    /** Sends a request as is and prints rc, the reply zxid and the response. */
    <R extends Record> String raw(Client c, String desc, int type, Record request, R response,
        Function<R, String> show) throws InterruptedException {
        return step(c, "raw " + desc, () -> {
            ReplyHeader r = c.zk.raw(type, request, response);
            String s = "rc=" + Fmt.code(r.getErr()) + " zxid=" + Fmt.hex(r.getZxid());
            if (r.getErr() == 0 && show != null) {
                s += " " + show.apply(response);
            }
            return s;
        });
    }

    // ---- common operations, printed uniformly ----

    String create(Client c, String path, byte[] data, CreateMode mode) throws InterruptedException {
        return create(c, path, data, OPEN, mode);
    }

    String create(Client c, String path, byte[] data, List<ACL> acl, CreateMode mode) throws InterruptedException {
        String aclDesc = acl == OPEN ? "" : " acl=" + Fmt.acl(acl);
        return step(c, "create " + path + " " + mode + " data=" + Fmt.data(data) + aclDesc,
            () -> c.zk.create(path, data, acl, mode));
    }

    /** create with a Stat (opcode create2, or createContainer/createTTL by mode). */
    String create2(Client c, String path, byte[] data, CreateMode mode, long ttl) throws InterruptedException {
        String ttlDesc = ttl >= 0 ? " ttl=" + ttl : "";
        return step(c, "create2 " + path + " " + mode + ttlDesc + " data=" + Fmt.data(data), () -> {
            Stat s = new Stat();
            String p = c.zk.create(path, data, OPEN, mode, s, ttl);
            return p + " " + Fmt.stat(s);
        });
    }

    String delete(Client c, String path, int version) throws InterruptedException {
        return step(c, "delete " + path + " version=" + version, () -> {
            c.zk.delete(path, version);
            return "ok";
        });
    }

    String exists(Client c, String path, boolean watch) throws InterruptedException {
        return step(c, "exists " + path + (watch ? " watch" : ""), () -> Fmt.stat(c.zk.exists(path, watch)));
    }

    String exists(Client c, String path, Watcher w) throws InterruptedException {
        return step(c, "exists " + path + " watcher=" + w, () -> Fmt.stat(c.zk.exists(path, w)));
    }

    String getData(Client c, String path, boolean watch) throws InterruptedException {
        return step(c, "getData " + path + (watch ? " watch" : ""), () -> {
            Stat s = new Stat();
            byte[] d = c.zk.getData(path, watch, s);
            return Fmt.data(d) + " " + Fmt.stat(s);
        });
    }

    String getData(Client c, String path, Watcher w) throws InterruptedException {
        return step(c, "getData " + path + " watcher=" + w, () -> {
            Stat s = new Stat();
            byte[] d = c.zk.getData(path, w, s);
            return Fmt.data(d) + " " + Fmt.stat(s);
        });
    }

    String setData(Client c, String path, byte[] data, int version) throws InterruptedException {
        return step(c, "setData " + path + " data=" + Fmt.data(data) + " version=" + version,
            () -> Fmt.stat(c.zk.setData(path, data, version)));
    }

    String getChildren(Client c, String path, boolean watch) throws InterruptedException {
        return step(c, "getChildren " + path + (watch ? " watch" : ""),
            () -> Fmt.children(c.zk.getChildren(path, watch)));
    }

    String getChildren(Client c, String path, Watcher w) throws InterruptedException {
        return step(c, "getChildren " + path + " watcher=" + w, () -> Fmt.children(c.zk.getChildren(path, w)));
    }

    /** getChildren with a Stat: opcode getChildren2. */
    String getChildren2(Client c, String path, boolean watch) throws InterruptedException {
        return step(c, "getChildren2 " + path + (watch ? " watch" : ""), () -> {
            Stat s = new Stat();
            List<String> children = c.zk.getChildren(path, watch, s);
            return Fmt.children(children) + " " + Fmt.stat(s);
        });
    }

    String getAcl(Client c, String path) throws InterruptedException {
        return step(c, "getACL " + path, () -> {
            Stat s = new Stat();
            List<ACL> acl = c.zk.getACL(path, s);
            return Fmt.acl(acl) + " " + Fmt.stat(s);
        });
    }

    String setAcl(Client c, String path, List<ACL> acl, int version) throws InterruptedException {
        return step(c, "setACL " + path + " acl=" + Fmt.acl(acl) + " version=" + version,
            () -> Fmt.stat(c.zk.setACL(path, acl, version)));
    }

    /** Asynchronous sync (the only form the 3.8 client has); prints rc and path. */
    String sync(Client c, String path) throws InterruptedException {
        return step(c, "sync " + path, () -> {
            CountDownLatch done = new CountDownLatch(1);
            String[] result = new String[1];
            c.zk.sync(path, (rc, p, ctx) -> {
                result[0] = "rc=" + Fmt.code(rc) + " path=" + p;
                done.countDown();
            }, null);
            if (!done.await(Client.WAIT_SECONDS, TimeUnit.SECONDS)) {
                return "TIMEOUT";
            }
            return result[0];
        });
    }

    String multi(Client c, String desc, List<Op> ops) throws InterruptedException {
        return step(c, "multi " + desc, () -> Fmt.results(c.zk.multi(ops)));
    }

    String whoAmI(Client c) throws InterruptedException {
        return step(c, "whoAmI", () -> {
            List<String> out = new ArrayList<>();
            for (ClientInfo info : c.zk.whoAmI()) {
                out.add(info.getAuthScheme() + ":" + info.getUser());
            }
            Collections.sort(out);
            return out.toString();
        });
    }

    String addAuth(Client c, String scheme, String auth) throws InterruptedException {
        return step(c, "addAuth " + scheme + " " + Fmt.q(auth), () -> {
            c.zk.addAuthInfo(scheme, b(auth));
            return "sent";
        });
    }

    /** Raw create-family request (opcode create, create2, createContainer). */
    String rawCreate(Client c, int opcode, String path, byte[] data, List<ACL> acl, int flags)
        throws InterruptedException {
        CreateRequest req = new CreateRequest(path, data, acl, flags);
        String desc = Fmt.op(opcode) + " path=" + Fmt.q(path) + " flags=" + flags
            + (acl == OPEN ? "" : " acl=" + Fmt.acl(acl));
        if (opcode == ZooDefs.OpCode.create) {
            return raw(c, desc, opcode, req, new CreateResponse(), r -> Fmt.q(r.getPath()));
        }
        return raw(c, desc, opcode, req, new Create2Response(), r -> Fmt.q(r.getPath()) + " " + Fmt.stat(r.getStat()));
    }

    String rawCreateTtl(Client c, String path, int flags, long ttl) throws InterruptedException {
        CreateTTLRequest req = new CreateTTLRequest(path, b("t"), OPEN, flags, ttl);
        return raw(c, "createTTL path=" + Fmt.q(path) + " flags=" + flags + " ttl=" + ttl,
            ZooDefs.OpCode.createTTL, req, new Create2Response(),
            r -> Fmt.q(r.getPath()) + " " + Fmt.stat(r.getStat()));
    }

    /** Closes every client still open, without steps (the scenario is over). */
    void closeAll() throws InterruptedException {
        for (Client c : clients) {
            c.zk.close();
        }
    }
}
