import java.lang.reflect.Method;
import java.util.List;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.data.ACL;

/**
 * The few client APIs that the 3.9 client has and the 3.8.0 client lacks,
 * reached by reflection so that the scenarios compile and run with both.
 */
final class Compat {
    private Compat() {
    }

    private static final Method EVENT_ZXID = method(WatchedEvent.class, "getZxid");

    private static Method method(Class<?> cls, String name, Class<?>... params) {
        try {
            return cls.getMethod(name, params);
        } catch (NoSuchMethodException e) {
            return null;
        }
    }

    /** The client library's version, e.g. "3.9.5". */
    static String clientVersion() {
        try {
            Class<?> v = Class.forName("org.apache.zookeeper.Version");
            String full = (String) v.getMethod("getFullVersion").invoke(null);
            return full.split("[-, ]")[0];
        } catch (ReflectiveOperationException e) {
            return "unknown";
        }
    }

    /** " zxid=0x…" with a 3.9 client (WatchedEvent.getZxid), "" with older ones. */
    static String eventZxid(WatchedEvent e) {
        if (EVENT_ZXID == null) {
            return "";
        }
        try {
            long zxid = (Long) EVENT_ZXID.invoke(e);
            return " zxid=" + (zxid == -1 ? "-1" : Fmt.hex(zxid));
        } catch (ReflectiveOperationException ex) {
            throw new IllegalStateException(ex);
        }
    }

    /** WatcherType by name; null if this client lacks it (Persistent*, before 3.9). */
    static Watcher.WatcherType watcherType(String name) {
        try {
            return Watcher.WatcherType.valueOf(name);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * Op.create(path, data, CreateOptions): a create2 inside a multi (3.9
     * client); null if this client lacks it.
     */
    static Op create2Op(String path, byte[] data, List<ACL> acl, CreateMode mode, long ttl) {
        try {
            Class<?> options = Class.forName("org.apache.zookeeper.CreateOptions");
            Object builder = options.getMethod("newBuilder", List.class, CreateMode.class).invoke(null, acl, mode);
            if (ttl >= 0) {
                builder = builder.getClass().getMethod("withTtl", long.class).invoke(builder, ttl);
            }
            Object built = builder.getClass().getMethod("build").invoke(builder);
            return (Op) Op.class.getMethod("create", String.class, byte[].class, options).invoke(null, path, data, built);
        } catch (ClassNotFoundException | NoSuchMethodException e) {
            return null;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }
}
