"""kazoo's Election recipe with three sessions joining in a fixed order:
leadership passes in that order, a cancelled contender never leads, and
leaders never overlap (checked)."""

import threading

from zkt import (
    WAIT,
    Inbox,
    children_by_sequence,
    close,
    connect,
    join_thread,
    out,
    start_thread,
    wait_until,
)

names = ("c1", "c2", "c3", "c4")
clients = {n: connect(n) for n in names}
c1 = clients["c1"]
elections = {n: clients[n].Election("/election", n) for n in names}
leaders = set()
guard = threading.Lock()
elected = Inbox("leaders")
# Leaving is reported apart: a contender's run() returns while the next
# leader is being elected, in no particular order.
left = Inbox("contenders that left")
step_down = {n: threading.Event() for n in names}


def lead(name):
    with guard:
        leaders.add(name)
        if len(leaders) != 1:
            raise AssertionError("leaders overlap: %s" % sorted(leaders))
    elected.put(name)
    if not step_down[name].wait(WAIT):
        raise AssertionError("%s was never told to step down" % name)
    with guard:
        leaders.discard(name)


def participate(name):
    elections[name].run(lead, name)
    left.put("%s left the election" % name)


threads = {"c1": start_thread(participate, "c1")}
out("leader", elected.get("c1 to lead"))
for n in ("c2", "c3", "c4"):
    count = len(threads) + 1
    threads[n] = start_thread(participate, n)
    wait_until(lambda: len(c1.get_children("/election")) == count, "%s to join" % n)
out("contenders", elections["c2"].contenders())
out("election nodes", children_by_sequence(c1, "/election"))

# c3 gives up before its turn.
elections["c3"].cancel()
out(left.get("c3 to leave"))
join_thread(threads["c3"], "c3's election thread")
out("contenders", elections["c1"].contenders())

for n in ("c1", "c2"):
    step_down[n].set()
    out(left.get("%s to leave" % n))
    join_thread(threads[n], "%s's election thread" % n)
    out("leader", elected.get("the next leader after %s" % n))
    out("contenders", elections["c1"].contenders())
step_down["c4"].set()
out(left.get("c4 to leave"))
join_thread(threads["c4"], "c4's election thread")
out("contenders", elections["c1"].contenders())
out("election nodes", children_by_sequence(c1, "/election"))
elected.assert_empty("at the end")
left.assert_empty("at the end")

close(*clients.values())
