"""Watches through kazoo: raw one-shot watch callbacks on get/exists/
get_children (own and other sessions' changes), the order of events and
replies, and the DataWatch/ChildrenWatch recipes."""

from zkt import Inbox, attempt, close, connect, fmt_event, out

zk = connect("c1")
other = connect("c2")
events = Inbox("watch events")


def watch(name):
    """A watch callback that records `name: TYPE STATE PATH`."""
    return lambda event: events.put("%s: %s" % (name, fmt_event(event)))


def next_event(what):
    out("event", events.get(what))


zk.create("/w", b"")

# A data watch fired by this session's own setData: the event is delivered
# before the reply, so it is already queued when set() returns.
attempt("get /w/a (no node)", zk.get, "/w/a", watch=watch("get-missing"))
attempt("exists /w/a", zk.exists, "/w/a", watch=watch("exists"), zxids=False)
attempt("create /w/a", zk.create, "/w/a", b"0")
next_event("exists -> created")
attempt("get /w/a", zk.get, "/w/a", watch=watch("get"), zxids=False)
attempt("set /w/a", zk.set, "/w/a", b"1", zxids=False)
next_event("get -> changed")
# One-shot: a second set fires nothing. A sentinel watch proves it: events
# arrive in order, so the sentinel's event is the next one.
attempt("set /w/a again", zk.set, "/w/a", b"2", zxids=False)
attempt("exists /w/sentinel1", zk.exists, "/w/sentinel1", watch=watch("sentinel1"))
zk.create("/w/sentinel1")
next_event("sentinel1 only")

# Child watches: create and delete of children, then the parent's delete.
attempt("get_children /w/a", zk.get_children, "/w/a", watch=watch("children"))
attempt("create /w/a/x", zk.create, "/w/a/x", b"")
next_event("children -> child")
attempt("get_children /w/a", zk.get_children, "/w/a", watch=watch("children"))
attempt("delete /w/a/x", zk.delete, "/w/a/x")
next_event("children -> child")
attempt("get_children2 /w/a", zk.get_children, "/w/a", watch=watch("children2"), include_data=True, zxids=False)
attempt("get /w/a", zk.get, "/w/a", watch=watch("data"), zxids=False)
attempt("exists /w/a", zk.exists, "/w/a", watch=watch("exists"), zxids=False)
attempt("delete /w/a", zk.delete, "/w/a")
# Deleting a node fires its data, exist and child watches: kazoo calls each
# registered callback once.
fired = sorted(events.get("delete event %d" % i) for i in range(3))
for event in fired:
    out("event", event)

# Watches set by one session, fired by another.
attempt("c1 exists /w/b", zk.exists, "/w/b", watch=watch("c1-exists"))
attempt("c1 get_children /w", zk.get_children, "/w", watch=watch("c1-children"), sort=True)
attempt("c2 create /w/b", other.create, "/w/b", b"from c2")
fired = sorted(events.get("event from c2 %d" % i) for i in range(2))
for event in fired:
    out("event", event)
attempt("c1 get /w/b", zk.get, "/w/b", watch=watch("c1-get"), zxids=False)
attempt("c2 set /w/b", other.set, "/w/b", b"again", zxids=False)
next_event("c1-get -> changed")
attempt("c1 exists /w/b", zk.exists, "/w/b", watch=watch("c1-exists"), zxids=False)
attempt("c2 delete /w/b", other.delete, "/w/b")
next_event("c1-exists -> deleted")

# The fired exists watch is not fired again, as a sentinel shows.
attempt("c1 exists /w/sentinel3", zk.exists, "/w/sentinel3", watch=watch("sentinel3"))
other.create("/w/sentinel3")
next_event("sentinel3 only")
events.assert_empty("after the raw watches")

# DataWatch: called at once with the current state, then on each change
# (exists watch while the node is missing, data watch while it exists).
calls = Inbox("DataWatch calls")


@zk.DataWatch("/w/dw")
def data_watch(data, stat, event):
    calls.put(
        "DataWatch %r version=%s event=%s"
        % (data, stat.version if stat else None, event.type if event else None)
    )


def next_call(what):
    out(calls.get(what))


next_call("initial DataWatch call")
other.create("/w/dw", b"one")
next_call("DataWatch created")
other.set("/w/dw", b"two")
next_call("DataWatch changed")
other.delete("/w/dw")
next_call("DataWatch deleted")
other.create("/w/dw", b"three")
next_call("DataWatch created again")

# ChildrenWatch with the event: sorted children after each change.
other.create("/w/cw", b"")


@zk.ChildrenWatch("/w/cw", send_event=True)
def children_watch(children, event):
    calls.put(
        "ChildrenWatch %s event=%s"
        % (sorted(children), event.type if event else None)
    )


next_call("initial ChildrenWatch call")
other.create("/w/cw/a", b"")
next_call("ChildrenWatch after a")
other.create("/w/cw/b", b"")
next_call("ChildrenWatch after b")
other.delete("/w/cw/a")
next_call("ChildrenWatch after deleting a")
# Data changes of a child do not fire the parent's child watch; a sentinel
# (the DataWatch) shows nothing came first.
other.set("/w/cw/b", b"x")
other.set("/w/dw", b"four")
next_call("DataWatch changed (sentinel)")
other.delete("/w/cw/b")
next_call("ChildrenWatch after deleting b")
calls.assert_empty("after the recipes")
events.assert_empty("after the recipes")

close(zk, other)
