"""Helpers shared by the kazoo compat scenarios (compat-tests/python/*.py).

Each scenario takes the server's connect string as its first argument and
prints a normalised transcript on stdout: one fact per line, without
session ids, times or anything else that differs between two fresh servers
fed the same requests. Session ids are printed as the name the scenario
gave the client (``owner=c1``); zxids are printed only where the scenario
makes them deterministic (one writer at a time, in a fixed order); lists of
children are sorted (servers return them in hash-set order).

Concurrency is made deterministic by construction: participants act in a
fixed order, each waits (with a deadline, never a bare sleep) until the
server has seen the previous step, and the transcript records what the
recipe guarantees rather than what a thread happened to do first.

A wait that times out or a broken invariant raises, so the script exits
non-zero and the Rust test shows its stderr.
"""

import logging
import queue
import sys
import threading
import time

from kazoo.client import KazooClient
from kazoo.exceptions import KazooException
from kazoo.protocol import serialization
from kazoo.protocol.states import ZnodeStat

# The longest any single wait may take, in seconds.
WAIT = 20.0

HOSTS = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:2181"

logging.basicConfig(level=logging.ERROR, stream=sys.stderr)

_session_names = {}
_lock = threading.Lock()


# kazoo keeps the negotiated session timeout to itself: record it from the
# ConnectResponse, by session id.
_negotiated = {}
_connect_deserialize = serialization.Connect.deserialize.__func__


def _recording_deserialize(cls, buffer, offset):
    result = _connect_deserialize(cls, buffer, offset)
    _negotiated[result[0].session_id] = result[0].time_out
    return result


serialization.Connect.deserialize = classmethod(_recording_deserialize)


def negotiated_timeout(zk):
    """The session timeout (ms) the server granted to zk's session."""
    return _negotiated.get(zk.client_id[0])


def out(*parts):
    """Prints one transcript line."""
    with _lock:
        print(" ".join(str(p) for p in parts), flush=True)


def connect(name, hosts=None, timeout=10.0, **kwargs):
    """A started KazooClient whose session prints as `name`."""
    zk = KazooClient(hosts=hosts or HOSTS, timeout=timeout, **kwargs)
    zk.start(timeout=WAIT)
    name_session(zk, name)
    return zk


def name_session(zk, name):
    """From now on the client's (current) session id prints as `name`."""
    _session_names[zk.client_id[0]] = name


def owner(session_id):
    if session_id == 0:
        return "0"
    return _session_names.get(session_id, "unknown-session")


def fmt_stat(stat, zxids=True):
    """A Stat without ctime/mtime; the ephemeral owner by session name."""
    if stat is None:
        return "None"
    fields = []
    if zxids:
        fields += [
            "czxid=%#x" % stat.czxid,
            "mzxid=%#x" % stat.mzxid,
            "pzxid=%#x" % stat.pzxid,
        ]
    fields += [
        "version=%d" % stat.version,
        "cversion=%d" % stat.cversion,
        "aversion=%d" % stat.aversion,
        "owner=%s" % owner(stat.ephemeralOwner),
        "dataLength=%d" % stat.dataLength,
        "numChildren=%d" % stat.numChildren,
    ]
    return " ".join(fields)


def fmt_acl(acl):
    return "%s:%s perms=%d" % (acl.id.scheme, acl.id.id, acl.perms)


def show(value, zxids=True):
    """A printable, deterministic form of a kazoo result."""
    if isinstance(value, ZnodeStat):
        return fmt_stat(value, zxids)
    if isinstance(value, BaseException):
        return type(value).__name__
    if hasattr(value, "perms") and hasattr(value, "id"):
        return fmt_acl(value)
    if isinstance(value, tuple):
        return " ".join(show(v, zxids) for v in value)
    if isinstance(value, list):
        return "[" + ", ".join(show(v, zxids) for v in value) + "]"
    return repr(value) if isinstance(value, bytes) else str(value)


def attempt(label, fn, *args, **kwargs):
    """Runs fn; prints `label -> result` or `label -> ErrorName`.

    Returns the result, or the exception if it raised a KazooException.
    `zxids=False` leaves zxids out of printed stats.
    """
    zxids = kwargs.pop("zxids", True)
    sort = kwargs.pop("sort", False)
    try:
        result = fn(*args, **kwargs)
    except KazooException as e:
        out(label, "->", type(e).__name__)
        return e
    shown = result
    if sort:
        shown = sorted(result)
    out(label, "->", show(shown, zxids))
    return result


class Inbox(object):
    """Things that happened on other threads (watch events, callbacks), in
    the order they happened. Call it as a callback to record its arguments."""

    def __init__(self, name="events"):
        self.name = name
        self._queue = queue.Queue()

    def __call__(self, *args):
        self._queue.put(args[0] if len(args) == 1 else args)

    def put(self, item):
        self._queue.put(item)

    def get(self, what=None):
        """The next item; raises if none arrives within WAIT seconds."""
        try:
            return self._queue.get(timeout=WAIT)
        except queue.Empty:
            raise AssertionError(
                "%s: timed out after %ss waiting for %s"
                % (self.name, WAIT, what or "an item")
            )

    def assert_empty(self, context):
        if not self._queue.empty():
            raise AssertionError(
                "%s: unexpected %r (%s)"
                % (self.name, self._queue.get_nowait(), context)
            )


def fmt_event(event):
    """A kazoo WatchedEvent as `TYPE STATE PATH`."""
    return "%s %s %s" % (event.type, event.state, event.path)


def wait_until(condition, what, timeout=WAIT):
    """Polls condition() until it is true; raises after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %ss waiting for %s" % (timeout, what))
        time.sleep(0.005)


def start_thread(target, *args):
    """A daemon thread running target(*args) that records an exception; call
    join_thread() on it to re-raise."""

    def run():
        try:
            target(*args)
        except BaseException as e:  # noqa: B902 - re-raised in join_thread
            thread.error = e
            raise

    thread = threading.Thread(target=run, daemon=True)
    thread.error = None
    thread.start()
    return thread


def join_thread(thread, what):
    thread.join(WAIT)
    if thread.is_alive():
        raise AssertionError("timed out after %ss waiting for %s" % (WAIT, what))
    if thread.error is not None:
        raise AssertionError("%s failed: %r" % (what, thread.error))


def close(*clients):
    for zk in clients:
        zk.stop()
        zk.close()


class Proxy(object):
    """A TCP proxy on 127.0.0.1 in front of the server, so a scenario can cut
    a client off (partition) and let it back in (heal) deterministically.

    While partitioned, it closes every proxied connection and each new one
    at once; the server only sees the connection go away, so the session
    lives on until it expires.
    """

    def __init__(self, target):
        import socket

        host, port = target.rsplit(":", 1)
        self._target = (host, int(port))
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self.address = "127.0.0.1:%d" % self._listener.getsockname()[1]
        self._partitioned = False
        self._sockets = set()
        self._guard = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        import socket

        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._guard:
                if self._partitioned:
                    client.close()
                    continue
                try:
                    server = socket.create_connection(self._target, timeout=WAIT)
                except OSError:
                    client.close()
                    continue
                server.settimeout(None)
                self._sockets.update((client, server))
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            self._drop(src)
            self._drop(dst)

    def _drop(self, sock):
        import socket

        with self._guard:
            self._sockets.discard(sock)
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()

    def partition(self):
        with self._guard:
            self._partitioned = True
            sockets = list(self._sockets)
        for sock in sockets:
            self._drop(sock)

    def heal(self):
        with self._guard:
            self._partitioned = False


def seq_suffix(name):
    """The recipe node name without its random prefix: `__lock__0000000003`
    for `<uuid hex>__lock__0000000003`, `lock-0000000003` for
    `_c_<uuid>-lock-0000000003`."""
    import re

    name = re.sub(r"^[0-9a-f]{32}", "", name)
    return re.sub(r"^_c_[0-9a-f-]{36}-", "", name)


def children_by_sequence(zk, path):
    """The children of path, normalised with seq_suffix, in sequence order."""
    names = [seq_suffix(n) for n in zk.get_children(path)]
    return sorted(names, key=lambda n: n[-10:])
