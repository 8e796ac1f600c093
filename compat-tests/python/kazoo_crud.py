"""kazoo's raw API: create with every flag, get/set/delete with versions,
exists, get_children (with include_data), ensure_path, sync, and the errors
the server answers with. One writer, so zxids are deterministic."""

from zkt import Inbox, attempt, close, connect, fmt_stat, negotiated_timeout, out, show

zk = connect("c1")
out("negotiated timeout ->", negotiated_timeout(zk))
session = zk.client_id[0]

# The tree of a fresh server.
attempt("get_children /", zk.get_children, "/", sort=True)
attempt("get_children /zookeeper", zk.get_children, "/zookeeper", sort=True)
attempt("get /", zk.get, "/")
attempt("get /zookeeper/config", zk.get, "/zookeeper/config")
attempt("get /zookeeper/quota", zk.get, "/zookeeper/quota")

# create with every flag (create = opcode 1, include_data = create2 15).
attempt("create /crud", zk.create, "/crud", b"root")
attempt("get /crud", zk.get, "/crud")
attempt("create2 /crud/c2", zk.create, "/crud/c2", b"two", include_data=True)
for i in range(3):
    attempt("create seq %d" % i, zk.create, "/crud/seq-", b"s%d" % i, sequence=True)
attempt(
    "create2 seq", zk.create, "/crud/seq-", b"s3", sequence=True, include_data=True
)
attempt("create ephemeral", zk.create, "/crud/eph", b"e", ephemeral=True)
attempt("get /crud/eph", zk.get, "/crud/eph")
attempt(
    "create ephemeral seq", zk.create, "/crud/eseq-", b"", ephemeral=True, sequence=True
)
attempt(
    "create2 ephemeral seq",
    zk.create,
    "/crud/eseq-",
    b"",
    ephemeral=True,
    sequence=True,
    include_data=True,
)
attempt("create makepath", zk.create, "/crud/deep/a/b", b"leaf", makepath=True)
attempt("get /crud/deep", zk.get, "/crud/deep")
attempt("get /crud/deep/a/b", zk.get, "/crud/deep/a/b")
attempt("get /crud", zk.get, "/crud")
attempt("create empty data", zk.create, "/crud/empty")
attempt("get /crud/empty", zk.get, "/crud/empty")
attempt("create with a sequence of no name", zk.create, "/crud/deep/", b"", sequence=True)

# create errors (each failed write still takes a zxid on the server).
attempt("create existing", zk.create, "/crud", b"")
attempt("create2 existing", zk.create, "/crud", b"", include_data=True)
attempt("create under ephemeral", zk.create, "/crud/eph/child", b"")
attempt("create no parent", zk.create, "/missing/child", b"")
attempt("create2 no parent", zk.create, "/missing/child", b"", include_data=True)
attempt("create /zookeeper/x", zk.create, "/zookeeper/x", b"")
attempt("delete /zookeeper/x", zk.delete, "/zookeeper/x")
attempt("get /crud after errors", zk.get, "/crud")

# set with versions.
attempt("set /crud v0", zk.set, "/crud", b"v1", version=0)
attempt("set /crud stale v0", zk.set, "/crud", b"v2", version=0)
attempt("set /crud any", zk.set, "/crud", b"v3")
attempt("set /crud v2", zk.set, "/crud", b"v4", version=2)
attempt("set /crud empty", zk.set, "/crud", b"")
attempt("set missing", zk.set, "/missing", b"x")
attempt("get /crud", zk.get, "/crud")
big = bytes(range(256)) * 2000
attempt("set 512000 bytes", zk.set, "/crud/empty", big)
data, stat = zk.get("/crud/empty")
out("get 512000 bytes ->", len(data), data == big, stat.dataLength)

# exists.
attempt("exists /crud", zk.exists, "/crud")
attempt("exists missing", zk.exists, "/missing")
attempt("exists /", zk.exists, "/")

# get_children, with include_data (getChildren2, opcode 12).
attempt("get_children /crud", zk.get_children, "/crud", sort=True)
children, stat = zk.get_children("/crud", include_data=True)
out("get_children2 /crud ->", show(sorted(children)), fmt_stat(stat))
attempt("get_children missing", zk.get_children, "/missing")
attempt("get_children2 missing", zk.get_children, "/missing", include_data=True)
attempt("get_children leaf", zk.get_children, "/crud/deep/a/b")

# delete with versions.
attempt("delete /crud/c2 bad version", zk.delete, "/crud/c2", version=5)
attempt("delete /crud/c2 v0", zk.delete, "/crud/c2", version=0)
attempt("delete /crud/c2 again", zk.delete, "/crud/c2")
attempt("delete not empty", zk.delete, "/crud/deep")
attempt("delete missing", zk.delete, "/missing")
attempt("delete /", zk.delete, "/")
attempt("delete /zookeeper", zk.delete, "/zookeeper")
attempt("delete recursive", zk.delete, "/crud/deep", recursive=True)
attempt("exists /crud/deep", zk.exists, "/crud/deep")
attempt("get /crud", zk.get, "/crud")
# The sequence counter is the parent's cversion: deletes don't reset it.
attempt("create seq after deletes", zk.create, "/crud/seq-", b"", sequence=True)

# ensure_path: exists + create for each missing level; idempotent.
attempt("ensure_path", zk.ensure_path, "/crud/ensure/x/y")
attempt("ensure_path again", zk.ensure_path, "/crud/ensure/x/y")
attempt("get /crud/ensure/x/y", zk.get, "/crud/ensure/x/y")

# sync.
attempt("sync /crud", zk.sync, "/crud")
attempt("sync missing", zk.sync, "/missing")

# A request larger than jute.maxbuffer (1 MiB - 1): the server drops the
# connection; the session survives and the client reconnects to it.
states = Inbox("states")
zk.add_listener(states)
attempt("set 1 MiB", zk.set, "/crud", b"x" * 1048576)
out("state", states.get("SUSPENDED"))
out("state", states.get("CONNECTED"))
attempt("get /crud after the reconnect", zk.get, "/crud")
attempt("create just under 1 MiB", zk.create, "/crud/big", b"y" * 1048000, zxids=False)
out("same session ->", zk.client_id[0] == session)
attempt("delete /crud/big", zk.delete, "/crud/big")

# A second session sees the first one's ephemerals until it closes.
other = connect("c2")
attempt("c2 get_children /crud", other.get_children, "/crud", sort=True)
attempt("c2 exists /crud/eph", other.exists, "/crud/eph")
close(zk)
attempt("c2 get_children /crud after c1 closed", other.get_children, "/crud", sort=True)
attempt("c2 exists /crud/eph after c1 closed", other.exists, "/crud/eph")
attempt("c2 get /crud", other.get, "/crud")
close(other)
