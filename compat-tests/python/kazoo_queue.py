"""kazoo's Queue and LockingQueue recipes: priority then FIFO order, entry
node names, consumption by another session, locking, release and consume
(a multi), and a blocking get that a later put wakes up."""

from zkt import (
    WAIT,
    Inbox,
    attempt,
    close,
    connect,
    join_thread,
    out,
    start_thread,
)

c1 = connect("c1")
c2 = connect("c2")

# --- Queue ---------------------------------------------------------------
q1 = c1.Queue("/queue")
q2 = c2.Queue("/queue")
for value, priority in ((b"a", 100), (b"b", 100), (b"urgent", 1), (b"c", 500), (b"d", 100)):
    attempt("put %r priority %d" % (value, priority), q1.put, value, priority=priority)
attempt("len", len, q1)
attempt("entries", c1.get_children, "/queue", sort=True)
attempt("c2 get", q2.get)
attempt("c2 get", q2.get)
attempt("c1 get", q1.get)
attempt("len", len, q2)
attempt("c2 get", q2.get)
attempt("c2 get", q2.get)
attempt("c2 get (empty)", q2.get)
attempt("len", len, q1)
attempt("put after draining", q1.put, b"e")
attempt("entries", c1.get_children, "/queue", sort=True)
attempt("c2 get", q2.get)

# --- LockingQueue --------------------------------------------------------------
l1 = c1.LockingQueue("/lqueue")
l2 = c2.LockingQueue("/lqueue")
attempt("put x", l1.put, b"x")
attempt("put_all y z priority 50", l1.put_all, [b"y", b"z"], priority=50)
attempt("len", len, l1)
attempt("entries", c1.get_children, "/lqueue/entries", sort=True)
attempt("c2 get", l2.get, timeout=WAIT)
attempt("c2 holds_lock", l2.holds_lock)
attempt("taken", c1.get_children, "/lqueue/taken", sort=True)
attempt("c1 get (skips the taken entry)", l1.get, timeout=WAIT)
attempt("c1 get again (same entry)", l1.get, timeout=WAIT)
attempt("c1 release", l1.release)
attempt("c1 holds_lock", l1.holds_lock)
attempt("c2 consume", l2.consume)
attempt("entries", c1.get_children, "/lqueue/entries", sort=True)
attempt("taken", c1.get_children, "/lqueue/taken", sort=True)
attempt("c1 get", l1.get, timeout=WAIT)
attempt("c1 consume", l1.consume)
attempt("c2 get", l2.get, timeout=WAIT)
attempt("c2 consume", l2.consume)
attempt("c2 consume again", l2.consume)
attempt("len", len, l1)
attempt("c1 get with 0.2 s timeout (empty)", l1.get, timeout=0.2)

# A blocking get, then a put from the other session.
got = Inbox("blocking get")
getter = start_thread(lambda: got.put(l2.get(timeout=WAIT)))
attempt("c1 put w", l1.put, b"w")
out("c2 blocking get ->", repr(got.get("c2's entry")))
join_thread(getter, "c2's get")
attempt("c2 consume", l2.consume)
attempt("len", len, l1)

# A consumer whose session closes leaves its entry for the others.
attempt("c1 put v", l1.put, b"v")
attempt("c2 get", l2.get, timeout=WAIT)
attempt("taken", c1.get_children, "/lqueue/taken", sort=True)
close(c2)
attempt("taken after c2 closed", c1.get_children, "/lqueue/taken", sort=True)
attempt("c1 get", l1.get, timeout=WAIT)
attempt("c1 consume", l1.consume)
close(c1)
