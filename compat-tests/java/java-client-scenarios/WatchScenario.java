import static org.apache.zookeeper.CreateMode.PERSISTENT;

import org.apache.zookeeper.AddWatchMode;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.Watcher.WatcherType;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooDefs.OpCode;
import org.apache.zookeeper.proto.AddWatchRequest;
import org.apache.zookeeper.proto.CheckWatchesRequest;
import org.apache.zookeeper.proto.ErrorResponse;
import org.apache.zookeeper.proto.RemoveWatchesRequest;

/**
 * One-shot data, exist and child watches; persistent and persistent-recursive
 * watches (addWatch); watch modes that coexist on one path; removeWatches and
 * checkWatches through the client API and raw (the server's own view, every
 * WatcherType); ACL filtering of events; and the catch-up events of
 * SetWatches after a reconnect (the watching client goes through a proxy that
 * the scenario cuts).
 *
 * <p>c1 writes, c2 watches; c3 watches through the proxy.
 */
final class WatchScenario extends Scenario {
    WatchScenario(String server) {
        super(server);
    }

    private String addWatch(Client c, String path, Watcher w, AddWatchMode mode) throws InterruptedException {
        return step(c, "addWatch " + path + " " + mode + " watcher=" + w, () -> {
            c.zk.addWatch(path, w, mode);
            return "ok";
        });
    }

    private String addWatch(Client c, String path, AddWatchMode mode) throws InterruptedException {
        return step(c, "addWatch " + path + " " + mode + " watcher=default", () -> {
            c.zk.addWatch(path, mode);
            return "ok";
        });
    }

    private String removeWatches(Client c, String path, Watcher w, String type, boolean local)
        throws InterruptedException {
        return step(c, "removeWatches " + path + " watcher=" + w + " " + type + (local ? " local" : ""), () -> {
            WatcherType t = Compat.watcherType(type);
            if (t == null) {
                return "client-unsupported";
            }
            c.zk.removeWatches(path, w, t, local);
            return "ok";
        });
    }

    private String removeAllWatches(Client c, String path, String type, boolean local)
        throws InterruptedException {
        return step(c, "removeAllWatches " + path + " " + type + (local ? " local" : ""), () -> {
            WatcherType t = Compat.watcherType(type);
            if (t == null) {
                return "client-unsupported";
            }
            c.zk.removeAllWatches(path, t, local);
            return "ok";
        });
    }

    private String rawCheck(Client c, String path, int type) throws InterruptedException {
        return raw(c, "checkWatches " + Fmt.q(path) + " type=" + type, OpCode.checkWatches,
            new CheckWatchesRequest(path, type), null, null);
    }

    private String rawRemove(Client c, String path, int type) throws InterruptedException {
        return raw(c, "removeWatches " + Fmt.q(path) + " type=" + type, OpCode.removeWatches,
            new RemoveWatchesRequest(path, type), null, null);
    }

    @Override
    void run() throws Exception {
        Client c1 = connect("c1", server, 30000);
        Client c2 = connect("c2", server, 30000);
        create(c1, "/w", b("w"), PERSISTENT);

        section("one-shot watches");
        exists(c2, "/w/a", true);
        create(c1, "/w/a", b("a"), PERSISTENT);
        create(c1, "/w/a2", b("a"), PERSISTENT);
        getData(c2, "/w/a", true);
        setData(c1, "/w/a", b("a1"), -1);
        setData(c1, "/w/a", b("a2"), -1);
        getChildren(c2, "/w", true);
        create(c1, "/w/b", b("b"), PERSISTENT);
        delete(c1, "/w/b", -1);
        getChildren2(c2, "/w", true);
        delete(c1, "/w/a2", -1);
        exists(c2, "/w/a", true);
        getData(c2, "/w/a", true);
        setData(c1, "/w/a", b("a3"), -1);
        exists(c2, "/w/a", true);
        delete(c1, "/w/a", -1);
        create(c1, "/w/x", b("x"), PERSISTENT);
        Watcher w1 = c2.watcher("w1");
        Watcher w2 = c2.watcher("w2");
        Watcher w3 = c2.watcher("w3");
        getData(c2, "/w/x", w1);
        getData(c2, "/w/x", w1);
        exists(c2, "/w/x", w2);
        getChildren(c2, "/w/x", w3);
        delete(c1, "/w/x", -1);
        exists(c2, "/w/y", true);
        create(c1, "/w/y", b("y"), PERSISTENT);
        delete(c1, "/w/y", -1);
        create(c1, "/w/k", b("k"), PERSISTENT);
        getChildren(c2, "/w/k", true);
        delete(c1, "/w/k", -1);
        getChildren(c2, "/", true);
        create(c1, "/wroot", b("r"), PERSISTENT);
        delete(c1, "/wroot", -1);
        exists(c2, "/w/never", true);
        getData(c2, "/w/never", true);
        getChildren(c2, "/w/never", true);
        create(c1, "/w/never", b("n"), PERSISTENT);

        section("persistent watches");
        Watcher p = c2.watcher("p");
        addWatch(c2, "/w/p", p, AddWatchMode.PERSISTENT);
        create(c1, "/w/p", b("p"), PERSISTENT);
        setData(c1, "/w/p", b("p1"), -1);
        create(c1, "/w/p/c", b("c"), PERSISTENT);
        setData(c1, "/w/p/c", b("c1"), -1);
        create(c1, "/w/p/c/d", b("d"), PERSISTENT);
        delete(c1, "/w/p/c/d", -1);
        delete(c1, "/w/p/c", -1);
        delete(c1, "/w/p", -1);
        create(c1, "/w/p", b("p"), PERSISTENT);

        section("persistent recursive watches");
        Watcher r = c2.watcher("r");
        addWatch(c2, "/w/r", r, AddWatchMode.PERSISTENT_RECURSIVE);
        create(c1, "/w/r", b("r"), PERSISTENT);
        create(c1, "/w/r/a", b("a"), PERSISTENT);
        create(c1, "/w/r/a/b", b("b"), PERSISTENT);
        setData(c1, "/w/r/a/b", b("b1"), -1);
        setData(c1, "/w/r", b("r1"), -1);
        delete(c1, "/w/r/a/b", -1);
        create(c1, "/w/rx", b("x"), PERSISTENT);
        addWatch(c2, "/w/r/a", AddWatchMode.PERSISTENT_RECURSIVE);
        create(c1, "/w/r/a/c", b("c"), PERSISTENT);
        addWatch(c2, "/w/nothing/at/all", AddWatchMode.PERSISTENT);
        addWatch(c2, "/", c2.watcher("root"), AddWatchMode.PERSISTENT);
        create(c1, "/wroot2", b("r"), PERSISTENT);

        section("watch modes coexisting on one path");
        create(c1, "/w/co", b("co"), PERSISTENT);
        Watcher one = c2.watcher("one");
        Watcher pers = c2.watcher("pers");
        getData(c2, "/w/co", one);
        addWatch(c2, "/w/co", pers, AddWatchMode.PERSISTENT);
        setData(c1, "/w/co", b("1"), -1);
        setData(c1, "/w/co", b("2"), -1);
        create(c1, "/w/co2", b("co2"), PERSISTENT);
        Watcher pers2 = c2.watcher("pers2");
        Watcher one2 = c2.watcher("one2");
        addWatch(c2, "/w/co2", pers2, AddWatchMode.PERSISTENT);
        getData(c2, "/w/co2", one2);
        setData(c1, "/w/co2", b("1"), -1);
        setData(c1, "/w/co2", b("2"), -1);
        setData(c1, "/w/co2", b("3"), -1);
        create(c1, "/w/co3", b("co3"), PERSISTENT);
        Watcher rec3 = c2.watcher("rec3");
        Watcher kid3 = c2.watcher("kid3");
        addWatch(c2, "/w/co3", rec3, AddWatchMode.PERSISTENT_RECURSIVE);
        getChildren(c2, "/w/co3", kid3);
        create(c1, "/w/co3/x", b("x"), PERSISTENT);
        create(c1, "/w/co3/y", b("y"), PERSISTENT);
        create(c1, "/w/co4", b("co4"), PERSISTENT);
        addWatch(c2, "/w/co4", AddWatchMode.PERSISTENT);
        getData(c2, "/w/co4", true);
        setData(c1, "/w/co4", b("1"), -1);
        setData(c1, "/w/co4", b("2"), -1);

        section("removeWatches and checkWatches through the client");
        create(c1, "/w/rm", b("rm"), PERSISTENT);
        Watcher d1 = c2.watcher("d1");
        Watcher k1 = c2.watcher("k1");
        getData(c2, "/w/rm", d1);
        getChildren(c2, "/w/rm", k1);
        removeWatches(c2, "/w/rm", d1, "Children", false);
        removeWatches(c2, "/w/rm", d1, "Data", false);
        removeWatches(c2, "/w/rm", d1, "Data", false);
        removeAllWatches(c2, "/w/rm", "Any", false);
        removeAllWatches(c2, "/w/rm", "Any", false);
        setData(c1, "/w/rm", b("x"), -1);
        create(c1, "/w/rm/c", b("c"), PERSISTENT);
        Watcher pw = c2.watcher("pw");
        Watcher rw = c2.watcher("rw");
        addWatch(c2, "/w/rm", pw, AddWatchMode.PERSISTENT);
        addWatch(c2, "/w/rm", rw, AddWatchMode.PERSISTENT_RECURSIVE);
        removeWatches(c2, "/w/rm", pw, "Data", false);
        removeWatches(c2, "/w/rm", pw, "Persistent", false);
        removeAllWatches(c2, "/w/rm", "PersistentRecursive", false);
        setData(c1, "/w/rm", b("y"), -1);
        exists(c2, "/w/rm", d1);
        removeWatches(c2, "/w/rm", d1, "Any", true);
        getData(c2, "/w/rm", true);
        removeAllWatches(c2, "/w/rm", "Data", false);
        exists(c2, "/w/rm/none", true);
        removeAllWatches(c2, "/w/rm/none", "Data", false);
        setData(c1, "/w/rm", b("z"), -1);

        section("checkWatches and removeWatches raw: the server's view");
        create(c1, "/w/rr", b("rr"), PERSISTENT);
        getData(c2, "/w/rr", true);
        for (int type = 1; type <= 5; type++) {
            rawCheck(c2, "/w/rr", type);
        }
        rawCheck(c2, "/w/rr", 9);
        rawCheck(c2, "/w/rr", 0);
        rawCheck(c2, "noslash", 2);
        rawCheck(c1, "/w/rr", 2);
        rawRemove(c2, "/w/rr", 1);
        rawRemove(c2, "/w/rr", 2);
        rawRemove(c2, "/w/rr", 2);
        setData(c1, "/w/rr", b("1"), -1);
        addWatch(c2, "/w/rr", AddWatchMode.PERSISTENT);
        for (int type = 1; type <= 5; type++) {
            rawCheck(c2, "/w/rr", type);
        }
        rawRemove(c2, "/w/rr", 2);
        rawRemove(c2, "/w/rr", 4);
        setData(c1, "/w/rr", b("2"), -1);
        addWatch(c2, "/w/rr", AddWatchMode.PERSISTENT_RECURSIVE);
        getChildren(c2, "/w/rr", true);
        for (int type = 1; type <= 5; type++) {
            rawCheck(c2, "/w/rr", type);
        }
        rawRemove(c2, "/w/rr", 3);
        rawCheck(c2, "/w/rr", 3);
        create(c1, "/w/rr/c", b("c"), PERSISTENT);
        for (int mode : new int[] {0, 1, 2, -1}) {
            raw(c2, "addWatch \"/w/rr\" mode=" + mode, OpCode.addWatch, new AddWatchRequest("/w/rr", mode),
                new ErrorResponse(), e -> "err=" + e.getErr());
        }
        raw(c2, "addWatch \"noslash\" mode=0", OpCode.addWatch, new AddWatchRequest("noslash", 0),
            new ErrorResponse(), e -> "err=" + e.getErr());

        section("events are filtered by READ permission");
        create(c1, "/w/acl", b("a"), PERSISTENT);
        addWatch(c2, "/w/acl", c2.watcher("rec"), AddWatchMode.PERSISTENT_RECURSIVE);
        String bob = digest("bob:pw");
        create(c1, "/w/acl/secret", b("s"), acl(ZooDefs.Perms.ALL, "digest", bob), PERSISTENT);
        create(c1, "/w/acl/open", b("o"), PERSISTENT);
        create(c1, "/w/acl/wo", b("o"), acl(ZooDefs.Perms.WRITE, "world", "anyone"), PERSISTENT);
        setData(c1, "/w/acl/wo", b("x"), -1);
        exists(c2, "/w/acl/secret", true);

        section("SetWatches after a reconnect");
        create(c1, "/w/sw", b("sw"), PERSISTENT);
        create(c1, "/w/sw/d", b("d"), PERSISTENT);
        create(c1, "/w/sw/gone", b("g"), PERSISTENT);
        create(c1, "/w/sw/same", b("s"), PERSISTENT);
        try (Proxy proxy = new Proxy(server)) {
            Client c3 = connect("c3", proxy.connectString(), 30000);
            getData(c3, "/w/sw/d", true);
            exists(c3, "/w/sw/e", true);
            exists(c3, "/w/sw/gone", true);
            getData(c3, "/w/sw/same", true);
            getChildren(c3, "/w/sw", true);
            addWatch(c3, "/w/sw/p", c3.watcher("p3"), AddWatchMode.PERSISTENT);
            addWatch(c3, "/w/sw/q", c3.watcher("q3"), AddWatchMode.PERSISTENT_RECURSIVE);
            c3.live = false;
            step(c3, "proxy cut", () -> {
                proxy.cut();
                return "ok";
            });
            c3.awaitState(Watcher.Event.KeeperState.Disconnected);
            setData(c1, "/w/sw/d", b("d1"), -1);
            create(c1, "/w/sw/e", b("e"), PERSISTENT);
            delete(c1, "/w/sw/gone", -1);
            create(c1, "/w/sw/p", b("p"), PERSISTENT);
            create(c1, "/w/sw/q", b("q"), PERSISTENT);
            step(c3, "proxy restore", () -> {
                proxy.restore();
                return "ok";
            });
            c3.awaitState(Watcher.Event.KeeperState.SyncConnected);
            c3.live = true;
            c3.drain();
            setData(c1, "/w/sw/p", b("p1"), -1);
            create(c1, "/w/sw/q/x", b("x"), PERSISTENT);
            setData(c1, "/w/sw/same", b("s1"), -1);
            close(c3);
        }
    }
}
