"""kazoo's Barrier and DoubleBarrier recipes with three sessions. Nobody
passes the double barrier's enter() before all three have entered, nor its
leave() before all have left (checked)."""

import threading

from zkt import (
    WAIT,
    Inbox,
    attempt,
    close,
    connect,
    join_thread,
    out,
    start_thread,
    wait_until,
)

names = ("c1", "c2", "c3")
clients = {n: connect(n) for n in names}
c1 = clients["c1"]

# --- Barrier -----------------------------------------------------------------
barrier = c1.Barrier("/barrier")
attempt("wait with no barrier", barrier.wait, 0.2)
attempt("create", barrier.create)
attempt("create again", barrier.create)
attempt("wait 0.2 s while in place", barrier.wait, 0.2)
passed = Inbox("barrier waiters")
waiters = [
    start_thread(lambda n=n: passed.put((n, clients[n].Barrier("/barrier").wait(WAIT))))
    for n in ("c2", "c3")
]
attempt("remove", barrier.remove)
attempt("remove again", barrier.remove)
out("waiters", sorted(passed.get("waiter %d" % i) for i in range(2)))
for i, t in enumerate(waiters):
    join_thread(t, "waiter %d" % i)

# --- DoubleBarrier -------------------------------------------------------------
guard = threading.Lock()
entering = set()
inside = Inbox("double barrier")
leave_now = threading.Event()


def member(name):
    double = clients[name].DoubleBarrier("/double", 3, identifier=name)
    with guard:
        entering.add(name)
    double.enter()
    with guard:
        if len(entering) != 3:
            raise AssertionError("%s passed enter() with %s" % (name, sorted(entering)))
    inside.put("%s entered (participating=%s)" % (name, double.participating))
    if not leave_now.wait(WAIT):
        raise AssertionError("never told to leave")
    double.leave()
    children = clients[name].get_children("/double")
    inside.put("%s left (participating=%s, %d nodes remain)" % (name, double.participating, len(children)))


c1.ensure_path("/double")
threads = []
for n in names:
    count = len(threads) + 1
    threads.append(start_thread(member, n))
    if count < 3:
        wait_until(lambda: len(c1.get_children("/double")) == count, "%s to enter" % n)
        out("members waiting in enter()", count)
out(sorted(inside.get("entered %d" % i) for i in range(3)))
attempt("/double children", lambda: sorted(c for c in c1.get_children("/double") if c == "ready"))
attempt("/double child count", lambda: len(c1.get_children("/double")))
leave_now.set()
out(sorted(inside.get("left %d" % i) for i in range(3)))
for n, t in zip(names, threads):
    join_thread(t, "%s's double barrier thread" % n)
attempt("/double children", c1.get_children, "/double")
inside.assert_empty("at the end")
close(*clients.values())
