"""kazoo's Lock, Semaphore and ReadLock/WriteLock recipes with three
sessions. Contenders queue in a fixed order (each waits until the server
has the previous one's node), so the recipe guarantees the order in which
they get the lock; the transcript records that order and the lock nodes.
Holders never overlap (checked)."""

import threading

from kazoo.exceptions import LockTimeout

from zkt import (
    WAIT,
    Inbox,
    attempt,
    children_by_sequence,
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

# --- Lock ---------------------------------------------------------------
locks = {n: clients[n].Lock("/lock", identifier=n) for n in names}
holders = set()
guard = threading.Lock()
acquired = Inbox("lock acquisitions")
release = {n: threading.Event() for n in names}


def contender(name):
    assert locks[name].acquire(timeout=WAIT), name
    with guard:
        holders.add(name)
        if len(holders) != 1:
            raise AssertionError("lock holders overlap: %s" % sorted(holders))
    acquired.put(name)
    if not release[name].wait(WAIT):
        raise AssertionError("%s was never told to release" % name)
    with guard:
        holders.discard(name)
    locks[name].release()


threads = {}
threads["c1"] = start_thread(contender, "c1")
out("lock acquired by", acquired.get("c1's lock"))
attempt("c2 probe non-blocking acquire", clients["c2"].Lock("/lock", "probe").acquire, blocking=False)
attempt("c3 probe acquire with 0.2 s timeout", clients["c3"].Lock("/lock", "probe").acquire, timeout=0.2)
for n in ("c2", "c3"):
    count = len(threads) + 1
    threads[n] = start_thread(contender, n)
    wait_until(lambda: len(c1.get_children("/lock")) == count, "%s's lock node" % n)
out("contenders", locks["c1"].contenders())
out("lock nodes", children_by_sequence(c1, "/lock"))
for n in names:
    release[n].set()
    join_thread(threads[n], "%s's lock thread" % n)
    if n != "c3":
        out("lock acquired by", acquired.get("the next holder after %s" % n))
        out("lock nodes", children_by_sequence(c1, "/lock"))
out("lock nodes at the end", children_by_sequence(c1, "/lock"))
attempt("lock is_acquired c3", lambda: locks["c3"].is_acquired)
acquired.assert_empty("after the lock")

# Reentrant use of one Lock object is not allowed to take a second node.
lock = c1.Lock("/lock", "again")
attempt("c1 acquire", lock.acquire, timeout=WAIT)
attempt("c1 acquire again (held)", lock.acquire, blocking=False)
out("lock nodes", children_by_sequence(c1, "/lock"))
attempt("c1 release", lock.release)
attempt("c1 release again", lock.release)

# --- Semaphore (2 leases) -------------------------------------------------
sems = {n: clients[n].Semaphore("/sem", identifier=n, max_leases=2) for n in names}
attempt("c1 semaphore acquire", sems["c1"].acquire, timeout=WAIT)
attempt("c2 semaphore acquire", sems["c2"].acquire, timeout=WAIT)
attempt("lease holders", lambda: sorted(sems["c1"].lease_holders()))
attempt("/sem data", lambda: c1.get("/sem")[0])
got = Inbox("semaphore")
sem3 = start_thread(lambda: got.put(sems["c3"].acquire(timeout=WAIT)))
# c3 waits holding the semaphore's internal lock.
wait_until(lambda: c1.exists("/sem-__lock__") and len(c1.get_children("/sem-__lock__")) == 1, "c3 waiting")
attempt("c1 semaphore release", sems["c1"].release)
out("c3 semaphore acquired", got.get("c3's lease"))
join_thread(sem3, "c3's semaphore thread")
attempt("lease holders", lambda: sorted(sems["c1"].lease_holders()))
attempt("c1 acquire non-blocking (full)", sems["c1"].acquire, blocking=False)
for n in ("c2", "c3"):
    attempt("%s semaphore release" % n, sems[n].release)
attempt("lease holders", lambda: sems["c1"].lease_holders())

# --- ReadLock / WriteLock ------------------------------------------------------
r1 = clients["c1"].ReadLock("/rw", "r1")
r2 = clients["c2"].ReadLock("/rw", "r2")
w3 = clients["c3"].WriteLock("/rw", "w3")
attempt("r1 acquire", r1.acquire, timeout=WAIT)
attempt("r2 acquire (shared)", r2.acquire, timeout=WAIT)
writer = Inbox("writer")
w3_thread = start_thread(lambda: writer.put(w3.acquire(timeout=WAIT)))
wait_until(lambda: len(c1.get_children("/rw")) == 3, "w3's lock node")
out("rw contenders", r1.contenders())
out("rw nodes", children_by_sequence(c1, "/rw"))
attempt("r1 release", r1.release)
attempt("r2 release", r2.release)
out("w3 acquired", writer.get("w3's write lock"))
join_thread(w3_thread, "w3's thread")
attempt("r4 acquire non-blocking while w3 writes", clients["c1"].ReadLock("/rw", "r4").acquire, blocking=False)
attempt("w3 release", w3.release)
out("rw nodes at the end", children_by_sequence(c1, "/rw"))

# A holder whose session closes hands the lock over at once.
last = clients["c1"].Lock("/lock", "last-c1")
attempt("c1 acquire", last.acquire, timeout=WAIT)
waiter = clients["c2"].Lock("/lock", "last-c2")
got = Inbox("lock after the session closed")
waiting = start_thread(lambda: got.put(waiter.acquire(timeout=WAIT)))
wait_until(lambda: len(clients["c3"].get_children("/lock")) == 2, "c2 to queue")
clients["c1"].stop()
out("c2 acquired after c1's session closed", got.get("c2's lock"))
join_thread(waiting, "c2's lock thread")
out("lock contenders", waiter.contenders())
attempt("c2 release", waiter.release)
clients["c1"].close()
close(clients["c2"], clients["c3"])
