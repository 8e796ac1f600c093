"""Session expiry through kazoo (the server runs with tickTime=500, so the
shortest session timeout is 1 s): a client behind a proxy is cut off until
the server expires its session, then let back in. It sees SUSPENDED, LOST
(the server answers the reconnect with an expired session) and CONNECTED
with a new session; its ephemerals are gone, and a ChildrenWatch
re-registers. Also: negotiated timeouts and a resumed (not expired)
session."""

from zkt import (
    Inbox,
    Proxy,
    attempt,
    close,
    connect,
    fmt_event,
    HOSTS,
    name_session,
    negotiated_timeout,
    out,
)

observer = connect("observer")
out("observer negotiated timeout", negotiated_timeout(observer))

# Requested timeouts are clamped to [2, 20] ticks.
for requested in (0.2, 3.0, 60.0):
    zk = connect("probe", timeout=requested)
    out("requested", requested, "negotiated", negotiated_timeout(zk))
    close(zk)

proxy = Proxy(HOSTS)
states = Inbox("states")
retry = dict(max_tries=-1, delay=0.05, backoff=1, max_jitter=0.0, max_delay=0.1)
# 4 s: the short cut below must stay well within the session timeout.
zk = connect("c1", hosts=proxy.address, timeout=4.0, connection_retry=retry)
zk.add_listener(states)
out("c1 negotiated timeout", negotiated_timeout(zk))
first_session = zk.client_id[0]

attempt("c1 create /s", zk.create, "/s", b"")
attempt("c1 create /s/eph", zk.create, "/s/eph", b"", ephemeral=True)
calls = Inbox("ChildrenWatch calls")


@zk.ChildrenWatch("/s")
def children(names):
    calls.put("ChildrenWatch %s" % sorted(names))


out(calls.get("initial ChildrenWatch"))

# Cut c1 off; the observer learns of the expiry from its exists watch.
gone = Inbox("observer events")
attempt("observer exists /s/eph", observer.exists, "/s/eph", watch=gone)
proxy.partition()
out("c1 state", states.get("SUSPENDED"))
out("observer event", fmt_event(gone.get("NodeDeleted of /s/eph")))
attempt("observer get_children /s", observer.get_children, "/s")

# Let c1 back in: its session is gone.
proxy.heal()
out("c1 state", states.get("LOST"))
out("c1 state", states.get("CONNECTED"))
out("c1 has a new session", zk.client_id[0] != first_session)
name_session(zk, "c1-new")
out(calls.get("ChildrenWatch after the new session"))
attempt("c1 exists /s/eph", zk.exists, "/s/eph")
attempt("c1 create /s/eph2", zk.create, "/s/eph2", b"", ephemeral=True)
out(calls.get("ChildrenWatch after eph2"))
attempt("observer exists /s/eph2", observer.exists, "/s/eph2", zxids=False)

# A short cut (the session does not expire): SUSPENDED, then CONNECTED to
# the same session, ephemerals intact.
second_session = zk.client_id[0]
proxy.partition()
out("c1 state", states.get("SUSPENDED"))
proxy.heal()
out("c1 state", states.get("CONNECTED"))
out("c1 same session", zk.client_id[0] == second_session)
attempt("c1 exists /s/eph2", zk.exists, "/s/eph2", zxids=False)
attempt("c1 create /s/eph3", zk.create, "/s/eph3", b"", ephemeral=True)
out(calls.get("ChildrenWatch after eph3"))

# Closing the session removes its ephemerals at once.
close(zk)
out("c1 state", states.get("LOST"))
attempt("observer get_children /s", observer.get_children, "/s", sort=True)
states.assert_empty("at the end")
close(observer)
