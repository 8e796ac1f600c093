"""kazoo's TreeCache: the initial load of an existing subtree (events
sorted, since children load in server order), then one change at a time,
each waited for: node added/updated/removed events with the changed node's
path, data and version, and the cache's view (get_data/get_children)."""

from kazoo.recipe.cache import TreeCache, TreeEvent

from zkt import Inbox, close, connect, out

NAMES = {
    TreeEvent.NODE_ADDED: "NODE_ADDED",
    TreeEvent.NODE_UPDATED: "NODE_UPDATED",
    TreeEvent.NODE_REMOVED: "NODE_REMOVED",
    TreeEvent.CONNECTION_SUSPENDED: "CONNECTION_SUSPENDED",
    TreeEvent.CONNECTION_RECONNECTED: "CONNECTION_RECONNECTED",
    TreeEvent.CONNECTION_LOST: "CONNECTION_LOST",
    TreeEvent.INITIALIZED: "INITIALIZED",
}

zk = connect("c1")
writer = connect("c2")
for path, data in (("/tree", b"root"), ("/tree/a", b"a"), ("/tree/b", b"b"), ("/tree/a/x", b"ax")):
    writer.create(path, data)

events = Inbox("TreeCache events")


def listener(event):
    data = event.event_data
    if data is None:
        events.put(NAMES[event.event_type])
    else:
        events.put(
            "%s %s %r version=%d"
            % (NAMES[event.event_type], data.path, data.data, data.stat.version)
        )


cache = TreeCache(zk, "/tree")
cache.listen(listener)
cache.start()

initial = []
while True:
    event = events.get("the initial load")
    if event == "INITIALIZED":
        break
    initial.append(event)
for event in sorted(initial):
    out(event)
out("INITIALIZED")


def step(label, action, count=1):
    out(">", label)
    action()
    for event in sorted(events.get(label) for _ in range(count)):
        out(event)


def show_cache():
    for path in ("/tree", "/tree/a", "/tree/a/x", "/tree/b", "/tree/c", "/tree/c/deep"):
        node = cache.get_data(path)
        children = cache.get_children(path)
        out(
            "cache",
            path,
            "None" if node is None else "%r version=%d" % (node.data, node.stat.version),
            "None" if children is None else sorted(children),
        )


show_cache()
step("create /tree/c", lambda: writer.create("/tree/c", b"c"))
step("set /tree/a", lambda: writer.set("/tree/a", b"a2"))
step("create /tree/c/deep", lambda: writer.create("/tree/c/deep", b"d"))
step("set /tree/c/deep", lambda: writer.set("/tree/c/deep", b"d2"))
step("set /tree", lambda: writer.set("/tree", b"root2"))
step("delete /tree/b", lambda: writer.delete("/tree/b"))
show_cache()
# A recursive delete removes the children first.
step("delete /tree/c recursively", lambda: writer.delete("/tree/c", recursive=True), count=2)
step("create /tree/b again", lambda: writer.create("/tree/b", b"b-again"))
step("an ephemeral from c2", lambda: writer.create("/tree/e", b"", ephemeral=True))
step("c2 closes", lambda: close(writer))
show_cache()
events.assert_empty("before close")
cache.close()
close(zk)
