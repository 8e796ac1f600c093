"""kazoo's Counter (int, float and Curator-compatible) and Party /
ShallowParty recipes. Concurrent increments from three sessions must add
up exactly."""

from zkt import (
    attempt,
    close,
    connect,
    join_thread,
    out,
    start_thread,
)

# Retry version conflicts at once (the default backs off for seconds).
fast = dict(max_tries=-1, delay=0.001, backoff=1, max_jitter=0.002, max_delay=0.01)
names = ("c1", "c2", "c3")
clients = {n: connect(n, command_retry=fast) for n in names}
c1 = clients["c1"]

# --- Counter -----------------------------------------------------------------
counter = c1.Counter("/counter")
attempt("value", lambda: counter.value)
counter += 5
out("after += 5:", counter.value, "pre", counter.pre_value, "post", counter.post_value)
counter -= 2
out("after -= 2:", counter.value, "pre", counter.pre_value, "post", counter.post_value)
attempt("get /counter", c1.get, "/counter", zxids=False)

floats = c1.Counter("/floats", default=1.5)
floats += 2.25
out("float counter:", floats.value)
attempt("get /floats", c1.get, "/floats", zxids=False)

curator = c1.Counter("/curator", support_curator=True)
curator += 7
curator -= 1
out("curator counter:", curator.value)
attempt("get /curator", c1.get, "/curator", zxids=False)

# 3 sessions x 25 increments, concurrently: conflicts are retried.
PER_CLIENT = 25


def increment(name):
    mine = clients[name].Counter("/counter")
    for _ in range(PER_CLIENT):
        mine += 1


threads = [start_thread(increment, n) for n in names]
for n, t in zip(names, threads):
    join_thread(t, "%s's increments" % n)
out("after %d concurrent increments:" % (PER_CLIENT * len(names)), counter.value)
_, stat = c1.get("/counter")
# Every successful increment is one setData: the version counts them.
out("/counter version", stat.version)

# --- Party ---------------------------------------------------------------------
parties = {n: clients[n].Party("/party", n) for n in names}
for n in names:
    attempt("%s joins" % n, parties[n].join)
    out("party", len(parties["c1"]), sorted(parties["c1"]))
attempt("c2 leaves", parties["c2"].leave)
attempt("c2 leaves again", parties["c2"].leave)
out("party", len(parties["c1"]), sorted(parties["c1"]))
attempt("c1 joins again", parties["c1"].join)
out("party", len(parties["c1"]), sorted(parties["c1"]))

shallow = {n: clients[n].ShallowParty("/shallow", n) for n in names}
for n in names:
    attempt("%s joins the shallow party" % n, shallow[n].join)
out("shallow party", len(shallow["c1"]), sorted(shallow["c1"]))

# Members are ephemeral: a closed session leaves both parties.
close(clients["c3"])
out("party", len(parties["c1"]), sorted(parties["c1"]))
out("shallow party", len(shallow["c1"]), sorted(shallow["c1"]))
close(clients["c1"], clients["c2"])
