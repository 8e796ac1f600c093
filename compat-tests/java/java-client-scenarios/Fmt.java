import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Stat;

/**
 * Formats results so that two correct servers print the same text: session
 * ids become client labels, times become facts ("now", "=ctime"), lists of
 * children are sorted. Zxids and versions are printed as they are: two fresh
 * servers fed the same requests assign the same ones.
 */
final class Fmt {
    private Fmt() {
    }

    /** Session id → client label ("c1"), filled in as clients connect. */
    static final Map<Long, String> SESSIONS = new ConcurrentHashMap<>();

    /** Wall-clock window in which a ctime or mtime counts as "now". */
    static final long START_MS = System.currentTimeMillis();

    static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    static String owner(long id) {
        if (id == 0) {
            return "0";
        }
        String label = SESSIONS.get(id);
        return label != null ? label : "unknown-session";
    }

    static String time(long t) {
        if (t == 0) {
            return "0";
        }
        long now = System.currentTimeMillis();
        if (t >= START_MS - 600_000 && t <= now + 600_000) {
            return "now";
        }
        return "BAD(" + t + ")";
    }

    static String stat(Stat s) {
        if (s == null) {
            return "null";
        }
        String mtime;
        if (s.getMzxid() == s.getCzxid()) {
            mtime = s.getMtime() == s.getCtime() ? "ctime" : "BAD(" + s.getMtime() + "!=ctime)";
        } else if (s.getMtime() < s.getCtime()) {
            mtime = "BAD(<ctime)";
        } else {
            mtime = time(s.getMtime());
        }
        return "{czxid=" + hex(s.getCzxid())
            + " mzxid=" + hex(s.getMzxid())
            + " pzxid=" + hex(s.getPzxid())
            + " ctime=" + time(s.getCtime())
            + " mtime=" + mtime
            + " version=" + s.getVersion()
            + " cversion=" + s.getCversion()
            + " aversion=" + s.getAversion()
            + " ephemeralOwner=" + owner(s.getEphemeralOwner())
            + " dataLength=" + s.getDataLength()
            + " numChildren=" + s.getNumChildren() + "}";
    }

    static String data(byte[] d) {
        if (d == null) {
            return "null";
        }
        boolean printable = d.length <= 120;
        for (byte b : d) {
            if (b < 0x20 || b > 0x7e) {
                printable = false;
                break;
            }
        }
        if (printable) {
            return "\"" + new String(d, StandardCharsets.US_ASCII).replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
        }
        CRC32 crc = new CRC32();
        crc.update(d);
        return "<" + d.length + " bytes crc32=" + Long.toHexString(crc.getValue()) + ">";
    }

    static String children(List<String> children) {
        if (children == null) {
            return "null";
        }
        List<String> sorted = new ArrayList<>(children);
        Collections.sort(sorted);
        return sorted.toString();
    }

    static String perms(int p) {
        StringBuilder sb = new StringBuilder();
        if ((p & ZooDefs.Perms.CREATE) != 0) {
            sb.append('c');
        }
        if ((p & ZooDefs.Perms.DELETE) != 0) {
            sb.append('d');
        }
        if ((p & ZooDefs.Perms.READ) != 0) {
            sb.append('r');
        }
        if ((p & ZooDefs.Perms.WRITE) != 0) {
            sb.append('w');
        }
        if ((p & ZooDefs.Perms.ADMIN) != 0) {
            sb.append('a');
        }
        int rest = p & ~ZooDefs.Perms.ALL;
        if (rest != 0) {
            sb.append("+").append(hex(rest & 0xffffffffL));
        }
        return sb.length() == 0 ? "none" : sb.toString();
    }

    static String acl(List<ACL> acl) {
        if (acl == null) {
            return "null";
        }
        List<String> parts = new ArrayList<>();
        for (ACL a : acl) {
            parts.add(a.getId().getScheme() + ":" + a.getId().getId() + "=" + perms(a.getPerms()));
        }
        return parts.toString();
    }

    /** The code's name, e.g. NONODE, or the number if the client does not know it. */
    static String code(int rc) {
        KeeperException.Code code = KeeperException.Code.get(rc);
        return code == null ? "code(" + rc + ")" : code.name();
    }

    static String op(int type) {
        switch (type) {
            case ZooDefs.OpCode.create:
                return "create";
            case ZooDefs.OpCode.delete:
                return "delete";
            case ZooDefs.OpCode.setData:
                return "setData";
            case ZooDefs.OpCode.check:
                return "check";
            case ZooDefs.OpCode.create2:
                return "create2";
            case ZooDefs.OpCode.createContainer:
                return "createContainer";
            case ZooDefs.OpCode.createTTL:
                return "createTTL";
            case ZooDefs.OpCode.getChildren:
                return "getChildren";
            case ZooDefs.OpCode.getData:
                return "getData";
            case ZooDefs.OpCode.error:
                return "error";
            default:
                return "op" + type;
        }
    }

    static String result(OpResult r) {
        if (r instanceof OpResult.CreateResult) {
            OpResult.CreateResult c = (OpResult.CreateResult) r;
            return op(r.getType()) + "(" + c.getPath() + " stat=" + stat(c.getStat()) + ")";
        } else if (r instanceof OpResult.DeleteResult) {
            return "delete()";
        } else if (r instanceof OpResult.SetDataResult) {
            return "setData(stat=" + stat(((OpResult.SetDataResult) r).getStat()) + ")";
        } else if (r instanceof OpResult.CheckResult) {
            return "check()";
        } else if (r instanceof OpResult.ErrorResult) {
            return "error(" + code(((OpResult.ErrorResult) r).getErr()) + ")";
        } else if (r instanceof OpResult.GetChildrenResult) {
            return "getChildren(" + children(((OpResult.GetChildrenResult) r).getChildren()) + ")";
        } else if (r instanceof OpResult.GetDataResult) {
            OpResult.GetDataResult g = (OpResult.GetDataResult) r;
            return "getData(" + data(g.getData()) + " stat=" + stat(g.getStat()) + ")";
        }
        return "unknown-result(" + r.getClass().getName() + ")";
    }

    static String results(List<OpResult> results) {
        if (results == null) {
            return "null";
        }
        List<String> parts = new ArrayList<>();
        for (OpResult r : results) {
            parts.add(result(r));
        }
        return parts.toString();
    }

    /** Quotes a path for printing, escaping control and non-ASCII characters. */
    static String q(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c < 0x20 || c > 0x7e) {
                sb.append(String.format("\\u%04x", (int) c));
            } else if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else {
                sb.append(c);
            }
        }
        return sb.append('"').toString();
    }
}
