import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.jute.InputArchive;
import org.apache.jute.OutputArchive;
import org.apache.jute.Record;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.proto.CheckVersionRequest;
import org.apache.zookeeper.proto.CreateRequest;
import org.apache.zookeeper.proto.DeleteRequest;
import org.apache.zookeeper.proto.GetChildrenRequest;
import org.apache.zookeeper.proto.GetDataRequest;
import org.apache.zookeeper.proto.MultiHeader;

/** A list of multi ops plus a readable description of each. */
final class Ops {
    final List<Op> ops = new ArrayList<>();
    final List<String> desc = new ArrayList<>();
    /** Set when an op needs an API this client lacks. */
    boolean unsupported;

    private static final List<ACL> OPEN = ZooDefs.Ids.OPEN_ACL_UNSAFE;

    Ops create(String path, byte[] data, CreateMode mode) {
        ops.add(Op.create(path, data, OPEN, mode));
        desc.add("create " + path + " " + mode);
        return this;
    }

    Ops create(String path, byte[] data, CreateMode mode, long ttl) {
        ops.add(Op.create(path, data, OPEN, mode, ttl));
        desc.add("create " + path + " " + mode + " ttl=" + ttl);
        return this;
    }

    /** Op.create(path, data, CreateOptions): opcode create2 inside the multi (3.9 client). */
    Ops create2(String path, byte[] data, CreateMode mode) {
        Op op = Compat.create2Op(path, data, OPEN, mode, -1);
        if (op == null) {
            unsupported = true;
        } else {
            ops.add(op);
        }
        desc.add("create2 " + path + " " + mode);
        return this;
    }

    Ops delete(String path, int version) {
        ops.add(Op.delete(path, version));
        desc.add("delete " + path + " " + version);
        return this;
    }

    Ops setData(String path, byte[] data, int version) {
        ops.add(Op.setData(path, data, version));
        desc.add("setData " + path + " " + Fmt.data(data) + " " + version);
        return this;
    }

    Ops check(String path, int version) {
        ops.add(Op.check(path, version));
        desc.add("check " + path + " " + version);
        return this;
    }

    Ops getChildren(String path) {
        ops.add(Op.getChildren(path));
        desc.add("getChildren " + path);
        return this;
    }

    Ops getData(String path) {
        ops.add(Op.getData(path));
        desc.add("getData " + path);
        return this;
    }

    @Override
    public String toString() {
        return desc.toString();
    }

    /**
     * A multi request written by hand, so that it can hold what the client's
     * MultiOperationRecord refuses: invalid paths or flags, read and write ops
     * mixed, no ops at all.
     */
    static final class Raw implements Record {
        private final List<Integer> types = new ArrayList<>();
        private final List<Record> records = new ArrayList<>();
        private final List<String> desc = new ArrayList<>();

        Raw create(String path, int flags) {
            return add(ZooDefs.OpCode.create, new CreateRequest(path, Scenario.b("r"), OPEN, flags),
                "create " + Fmt.q(path) + " flags=" + flags);
        }

        Raw create2(String path, int flags) {
            return add(ZooDefs.OpCode.create2, new CreateRequest(path, Scenario.b("r"), OPEN, flags),
                "create2 " + Fmt.q(path) + " flags=" + flags);
        }

        Raw delete(String path, int version) {
            return add(ZooDefs.OpCode.delete, new DeleteRequest(path, version), "delete " + Fmt.q(path));
        }

        Raw check(String path, int version) {
            return add(ZooDefs.OpCode.check, new CheckVersionRequest(path, version),
                "check " + Fmt.q(path) + " " + version);
        }

        Raw getData(String path) {
            return add(ZooDefs.OpCode.getData, new GetDataRequest(path, false), "getData " + Fmt.q(path));
        }

        Raw getChildren(String path) {
            return add(ZooDefs.OpCode.getChildren, new GetChildrenRequest(path, false),
                "getChildren " + Fmt.q(path));
        }

        Raw op(int type, Record record, String description) {
            return add(type, record, description);
        }

        private Raw add(int type, Record record, String description) {
            types.add(type);
            records.add(record);
            desc.add(description);
            return this;
        }

        @Override
        public void serialize(OutputArchive archive, String tag) throws IOException {
            archive.startRecord(this, tag);
            for (int i = 0; i < types.size(); i++) {
                new MultiHeader(types.get(i), false, -1).serialize(archive, tag);
                records.get(i).serialize(archive, tag);
            }
            new MultiHeader(-1, true, -1).serialize(archive, tag);
            archive.endRecord(this, tag);
        }

        @Override
        public void deserialize(InputArchive archive, String tag) {
            throw new UnsupportedOperationException("requests only");
        }

        @Override
        public String toString() {
            return desc.toString();
        }
    }
}
