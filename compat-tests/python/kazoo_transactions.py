"""kazoo transactions (multi, opcode 14): successful and failing multis,
per-op results, atomicity, the zxid a multi shares and the one a failed
multi still takes. One writer, so zxids are deterministic."""

from zkt import attempt, close, connect, fmt_stat, out, show

zk = connect("c1")


def commit(label, build):
    t = zk.transaction()
    build(t)
    try:
        results = t.commit()
    except Exception as e:  # kazoo raises only for client-side misuse
        out(label, "->", type(e).__name__)
        return None
    out(label, "->", len(results), "results")
    for i, r in enumerate(results):
        out("  ", i, show(r))
    return results


attempt("create /tx", zk.create, "/tx", b"")

# Everything in one multi: create, create sequential/ephemeral, set, check,
# delete. All ops share one zxid.
commit(
    "multi ok",
    lambda t: (
        t.create("/tx/a", b"a0"),
        t.create("/tx/a/child", b""),
        t.create("/tx/s-", b"", sequence=True),
        t.create("/tx/s-", b"", sequence=True),
        t.create("/tx/e", b"", ephemeral=True),
        t.set_data("/tx/a", b"a1"),
        t.check("/tx/a", 1),
        t.set_data("/tx/a", b"a2", version=1),
        t.delete("/tx/a/child"),
    ),
)
attempt("get /tx/a", zk.get, "/tx/a")
attempt("get /tx", zk.get, "/tx")
attempt("get_children /tx", zk.get_children, "/tx", sort=True)
attempt("exists /tx/e", zk.exists, "/tx/e")

# A failing op: ops before it report RolledBackError (0 on the wire), the
# failing one its error, ops after it RuntimeInconsistency (-2). Nothing is
# applied, yet the failed multi takes a zxid.
commit(
    "multi bad check",
    lambda t: (
        t.create("/tx/b", b""),
        t.check("/tx/a", 99),
        t.set_data("/tx/a", b"never"),
        t.delete("/tx/s-0000000001"),
    ),
)
attempt("exists /tx/b", zk.exists, "/tx/b")
commit("multi create exists", lambda t: (t.set_data("/tx/a", b"x"), t.create("/tx/a", b"")))
commit("multi delete not empty", lambda t: t.delete("/tx"))
commit("multi delete missing", lambda t: (t.delete("/tx/missing"), t.create("/tx/c", b"")))
commit(
    "multi set bad version",
    lambda t: (t.create("/tx/c", b""), t.set_data("/tx/a", b"", version=7)),
)
commit("multi check missing", lambda t: t.check("/tx/missing", 0))
commit("multi create no parent", lambda t: t.create("/tx/missing/x", b""))
commit(
    "multi child of ephemeral", lambda t: (t.create("/tx/e/x", b""),)
)
attempt("get /tx/a after failures", zk.get, "/tx/a")
attempt("get /tx after failures", zk.get, "/tx")

# Ops that depend on earlier ops in the same multi.
commit(
    "multi chain",
    lambda t: (
        t.create("/tx/d", b"d0"),
        t.set_data("/tx/d", b"d1", version=0),
        t.check("/tx/d", 1),
        t.create("/tx/d/x", b""),
        t.delete("/tx/d/x", version=0),
        t.delete("/tx/d", version=1),
    ),
)
attempt("exists /tx/d", zk.exists, "/tx/d")

# An empty multi.
commit("multi empty", lambda t: None)

# The next write after all that: its zxid shows how many the multis took.
attempt("create /tx/last", zk.create, "/tx/last", b"", include_data=True)

# The ephemeral created in a multi belongs to the session.
other = connect("c2")
attempt("c2 exists /tx/e", other.exists, "/tx/e")
close(zk)
attempt("c2 exists /tx/e after c1 closed", other.exists, "/tx/e")
attempt("c2 get_children /tx", other.get_children, "/tx", sort=True)
close(other)
