import static org.apache.zookeeper.CreateMode.EPHEMERAL;
import static org.apache.zookeeper.CreateMode.PERSISTENT;
import static org.apache.zookeeper.ZooDefs.Perms.ADMIN;
import static org.apache.zookeeper.ZooDefs.Perms.ALL;
import static org.apache.zookeeper.ZooDefs.Perms.CREATE;
import static org.apache.zookeeper.ZooDefs.Perms.DELETE;
import static org.apache.zookeeper.ZooDefs.Perms.READ;
import static org.apache.zookeeper.ZooDefs.Perms.WRITE;

import java.util.ArrayList;
import java.util.List;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooDefs.OpCode;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.proto.SetACLRequest;
import org.apache.zookeeper.proto.SetACLResponse;

/**
 * addAuth (digest, ip, unknown schemes) and whoAmI; ACLs with the world,
 * auth, digest and ip schemes; every permission bit on every operation;
 * getACL digest masking; setACL versions; invalid ACLs; the super digest.
 *
 * <p>Server: DigestAuthenticationProvider.superDigest = digest("super:superpw").
 */
final class AclScenario extends Scenario {
    AclScenario(String server) {
        super(server);
    }

    @Override
    void run() throws Exception {
        Client c1 = connect("c1", server, 30000);
        Client c2 = connect("c2", server, 30000);
        String alice = digest("alice:secret");
        String bob = digest("bob:pw");

        section("addAuth and whoAmI");
        whoAmI(c1);
        addAuth(c1, "digest", "alice:secret");
        whoAmI(c1);
        whoAmI(c2);
        create(c1, "/acl", b("acl"), PERSISTENT);

        section("auth and digest schemes");
        create(c1, "/acl/creator", b("c"), ZooDefs.Ids.CREATOR_ALL_ACL, PERSISTENT);
        getAcl(c1, "/acl/creator");
        getData(c1, "/acl/creator", false);
        getData(c2, "/acl/creator", false);
        getAcl(c2, "/acl/creator");
        exists(c2, "/acl/creator", false);
        setData(c2, "/acl/creator", b("x"), -1);
        create(c2, "/acl/creator/kid", b("k"), PERSISTENT);
        delete(c2, "/acl/creator", -1);
        create(c1, "/acl/creator", b("c"), ZooDefs.Ids.CREATOR_ALL_ACL, PERSISTENT);
        create(c2, "/acl/c2auth", b("x"), ZooDefs.Ids.CREATOR_ALL_ACL, PERSISTENT);
        create(c2, "/acl/c2auth", b("x"), acl(ALL, "auth", "whatever"), PERSISTENT);
        create(c1, "/acl/authid", b("x"), acl(ALL, "auth", "whatever"), PERSISTENT);
        getAcl(c1, "/acl/authid");
        create(c1, "/acl/digest", b("d"), acls(entry(ALL, "digest", bob), entry(READ, "world", "anyone")), PERSISTENT);
        getAcl(c2, "/acl/digest");
        getAcl(c1, "/acl/digest");
        Client c3 = connect("c3", server, 30000);
        addAuth(c3, "digest", "bob:pw");
        getAcl(c3, "/acl/digest");
        setData(c3, "/acl/digest", b("bob was here"), -1);
        setData(c1, "/acl/digest", b("alice was here"), -1);
        addAuth(c1, "digest", "bob:wrong");
        whoAmI(c1);
        create(c1, "/acl/two", b("2"), ZooDefs.Ids.CREATOR_ALL_ACL, PERSISTENT);
        getAcl(c1, "/acl/two");
        addAuth(c3, "digest", "bob:pw");
        whoAmI(c3);
        addAuth(c3, "digest", "nocolon");
        addAuth(c3, "digest", "a:b:c");
        addAuth(c3, "ip", "10.1.2.3");
        whoAmI(c3);
        create(c3, "/acl/c3", b("3"), ZooDefs.Ids.CREATOR_ALL_ACL, PERSISTENT);
        getAcl(c3, "/acl/c3");
        create(c1, "/acl/eph", b("e"), ZooDefs.Ids.CREATOR_ALL_ACL, EPHEMERAL);
        getAcl(c1, "/acl/eph");

        section("setACL");
        setAcl(c1, "/acl/creator", OPEN, 1);
        setAcl(c1, "/acl/creator", OPEN, 0);
        setAcl(c1, "/acl/creator", acls(entry(ALL, "digest", alice), entry(READ, "world", "anyone")), 1);
        setAcl(c1, "/acl/creator", OPEN, 5);
        setAcl(c2, "/acl/creator", OPEN, -1);
        getAcl(c2, "/acl/creator");
        setAcl(c1, "/acl/creator", acls(entry(ALL, "world", "anyone"), entry(ALL, "world", "anyone")), -1);
        getAcl(c1, "/acl/creator");
        setAcl(c1, "/acl/nothing", OPEN, -1);
        setAcl(c1, "/acl/creator", new ArrayList<>(), -1);
        raw(c1, "setACL path=\"/acl/creator\" acl=[] version=-1", OpCode.setACL,
            new SetACLRequest("/acl/creator", new ArrayList<>(), -1), new SetACLResponse(), r -> Fmt.stat(r.getStat()));
        raw(c1, "setACL path=\"/acl/creator\" acl=null version=-1", OpCode.setACL,
            new SetACLRequest("/acl/creator", null, -1), new SetACLResponse(), r -> Fmt.stat(r.getStat()));
        setAcl(c1, "/acl/creator", ZooDefs.Ids.CREATOR_ALL_ACL, -1);
        getAcl(c1, "/acl/creator");
        setAcl(c2, "/acl", ZooDefs.Ids.CREATOR_ALL_ACL, -1);
        setAcl(c1, "/", OPEN, -1);
        getAcl(c1, "/");
        getAcl(c1, "/zookeeper");
        getAcl(c1, "/zookeeper/config");
        getAcl(c1, "/zookeeper/quota");

        section("invalid ACLs");
        List<ACL[]> bad = new ArrayList<>();
        bad.add(new ACL[] {entry(ALL, "digest", "bob")});
        bad.add(new ACL[] {entry(ALL, "digest", "a:b:c")});
        bad.add(new ACL[] {entry(ALL, "digest", "bob:")});
        bad.add(new ACL[] {entry(ALL, "foo", "bar")});
        bad.add(new ACL[] {entry(ALL, "world", "nobody")});
        bad.add(new ACL[] {entry(ALL, "World", "anyone")});
        bad.add(new ACL[] {entry(ALL, "ip", "999.1.1.1")});
        bad.add(new ACL[] {entry(ALL, "ip", "127.0.0.1/33")});
        bad.add(new ACL[] {entry(ALL, "ip", "127.0.0.1/-1")});
        bad.add(new ACL[] {entry(ALL, "ip", "127.0.0")});
        bad.add(new ACL[] {entry(ALL, "ip", "localhost")});
        bad.add(new ACL[] {entry(ALL, "ip", "::1")});
        bad.add(new ACL[] {entry(ALL, "ip", "10.0.0.0/8")});
        bad.add(new ACL[] {entry(ALL, "super", "x")});
        bad.add(new ACL[] {entry(ALL, "sasl", "someone")});
        bad.add(new ACL[] {entry(ALL, "x509", "CN=someone")});
        bad.add(new ACL[] {entry(0, "world", "anyone")});
        bad.add(new ACL[] {entry(32, "world", "anyone")});
        bad.add(new ACL[] {entry(-1, "world", "anyone")});
        bad.add(new ACL[] {entry(ALL, "world", "anyone"), entry(ALL, "foo", "bar")});
        int n = 0;
        for (ACL[] a : bad) {
            String path = "/acl/bad" + n++;
            create(c1, path, b("x"), acls(a), PERSISTENT);
        }
        getChildren(c1, "/acl", false);
        getAcl(c1, "/acl/bad16");
        getAcl(c1, "/acl/bad17");

        section("ip scheme");
        String[] ips = {"127.0.0.1", "127.0.0.0/8", "127.0.0.1/32", "0.0.0.0/0", "10.0.0.0/8", "127.0.0.2",
            "127.0.0.3/31", "::1", "::1/128"};
        n = 0;
        for (String ip : ips) {
            String path = "/acl/ip" + n++;
            create(c1, path, b(ip), acl(ALL, "ip", ip), PERSISTENT);
            getData(c2, path, false);
        }

        section("each permission on each operation");
        Client c4 = connect("c4", server, 30000);
        addAuth(c4, "digest", "super:superpw");
        int[] perms = {READ, WRITE, CREATE, DELETE, ADMIN, ALL & ~READ, 0x20 | READ};
        for (int p : perms) {
            String path = "/acl/p-" + Fmt.perms(p).replace("+", "x");
            create(c1, path, b("p"), acl(ALL, "world", "anyone"), PERSISTENT);
            create(c1, path + "/kid", b("k"), PERSISTENT);
            setAcl(c1, path, acl(p, "world", "anyone"), -1);
            exists(c2, path, false);
            getData(c2, path, false);
            getChildren(c2, path, false);
            getChildren2(c2, path, false);
            step(c2, "getAllChildrenNumber " + path, () -> String.valueOf(c2.zk.getAllChildrenNumber(path)));
            getAcl(c2, path);
            setData(c2, path, b("w"), -1);
            create(c2, path + "/new", b("n"), PERSISTENT);
            delete(c2, path + "/kid", -1);
            sync(c2, path);
            setAcl(c2, path, acl(p, "world", "anyone"), -1);
            exists(c2, path, true);
            step(c2, "addWatch " + path + " PERSISTENT_RECURSIVE", () -> {
                c2.zk.addWatch(path, c2.watcher("rec"), org.apache.zookeeper.AddWatchMode.PERSISTENT_RECURSIVE);
                return "ok";
            });
            setData(c4, path, b("changed"), -1);
            multi(c2, "[getData " + path + ", getChildren " + path + "]",
                new Ops().getData(path).getChildren(path).ops);
        }

        section("super digest");
        whoAmI(c4);
        getData(c4, "/acl/creator", false);
        getAcl(c4, "/acl/digest");
        setData(c4, "/acl/p-r", b("super"), -1);
        create(c4, "/acl/p-r/super", b("s"), PERSISTENT);
        delete(c4, "/acl/p-r/super", -1);
        setAcl(c4, "/acl/p-w", OPEN, -1);
        create(c4, "/acl/super-auth", b("s"), ZooDefs.Ids.CREATOR_ALL_ACL, PERSISTENT);
        getAcl(c4, "/acl/super-auth");
        getData(c1, "/acl/super-auth", false);
        Client c5 = connect("c5", server, 30000);
        addAuth(c5, "digest", "super:wrong");
        whoAmI(c5);
        getData(c5, "/acl/creator", false);

        section("unknown auth scheme fails the connection");
        Client c6 = connect("c6", server, 30000);
        c6.live = false;
        addAuth(c6, "foo", "bar");
        c6.awaitState(Watcher.Event.KeeperState.AuthFailed);
        getData(c6, "/acl", false);
        Client c7 = connect("c7", server, 30000);
        c7.live = false;
        addAuth(c7, "super", "superpw");
        c7.awaitState(Watcher.Event.KeeperState.AuthFailed);
        getData(c1, "/acl", false);
    }
}
