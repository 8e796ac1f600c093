/*
 * The ZooKeeper C client (Debian's libzookeeper-mt, 3.8.0) against one
 * server, printing a normalised transcript on stdout.
 *
 * Usage: zk_transcript HOST:PORT
 *
 * Covers create (every mode, create2, container, TTL), get/set/delete with
 * versions, exists, children (with stat), ACLs and digest auth, multi,
 * sync, getconfig, watches (data, exist, child; fired by this and another
 * session; removed), ephemerals vanishing with their session, and a failed
 * auth. Sessions print by name, times are left out, children are sorted;
 * zxids are deterministic since the sessions act one at a time. Every wait
 * has a deadline; a missed one exits non-zero.
 *
 * The server must run with extendedTypesEnabled=true (TTL nodes).
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zookeeper.h>

#define WAIT_SECONDS 20

static void fail(const char *fmt, ...) {
    va_list ap;
    fflush(stdout);
    va_start(ap, fmt);
    fprintf(stderr, "FAILED: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

static void out(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

/* ---- sessions by name ---------------------------------------------------- */

struct session {
    const char *name;
    zhandle_t *zh;
    int64_t id;
};

static struct session sessions[8];
static int nsessions;

static const char *owner(int64_t id) {
    if (id == 0) {
        return "0";
    }
    for (int i = 0; i < nsessions; i++) {
        if (sessions[i].id == id) {
            return sessions[i].name;
        }
    }
    return "unknown-session";
}

static const char *rc_name(int rc) {
    static char other[32];
    switch (rc) {
    case ZOK: return "ZOK";
    case ZSYSTEMERROR: return "ZSYSTEMERROR";
    case ZRUNTIMEINCONSISTENCY: return "ZRUNTIMEINCONSISTENCY";
    case ZDATAINCONSISTENCY: return "ZDATAINCONSISTENCY";
    case ZCONNECTIONLOSS: return "ZCONNECTIONLOSS";
    case ZMARSHALLINGERROR: return "ZMARSHALLINGERROR";
    case ZUNIMPLEMENTED: return "ZUNIMPLEMENTED";
    case ZOPERATIONTIMEOUT: return "ZOPERATIONTIMEOUT";
    case ZBADARGUMENTS: return "ZBADARGUMENTS";
    case ZINVALIDSTATE: return "ZINVALIDSTATE";
    case ZNONODE: return "ZNONODE";
    case ZNOAUTH: return "ZNOAUTH";
    case ZBADVERSION: return "ZBADVERSION";
    case ZNOCHILDRENFOREPHEMERALS: return "ZNOCHILDRENFOREPHEMERALS";
    case ZNODEEXISTS: return "ZNODEEXISTS";
    case ZNOTEMPTY: return "ZNOTEMPTY";
    case ZSESSIONEXPIRED: return "ZSESSIONEXPIRED";
    case ZINVALIDACL: return "ZINVALIDACL";
    case ZAUTHFAILED: return "ZAUTHFAILED";
    case ZCLOSING: return "ZCLOSING";
    case ZNOWATCHER: return "ZNOWATCHER";
    default:
        snprintf(other, sizeof other, "rc=%d", rc);
        return other;
    }
}

static const char *event_name(int type) {
    if (type == ZOO_CREATED_EVENT) return "CREATED";
    if (type == ZOO_DELETED_EVENT) return "DELETED";
    if (type == ZOO_CHANGED_EVENT) return "CHANGED";
    if (type == ZOO_CHILD_EVENT) return "CHILD";
    if (type == ZOO_SESSION_EVENT) return "SESSION";
    if (type == ZOO_NOTWATCHING_EVENT) return "NOTWATCHING";
    return "UNKNOWN";
}

static const char *state_name(int state) {
    if (state == ZOO_CONNECTED_STATE) return "CONNECTED";
    if (state == ZOO_CONNECTING_STATE) return "CONNECTING";
    if (state == ZOO_ASSOCIATING_STATE) return "ASSOCIATING";
    if (state == ZOO_EXPIRED_SESSION_STATE) return "EXPIRED";
    if (state == ZOO_AUTH_FAILED_STATE) return "AUTH_FAILED";
    if (state == 0) return "CLOSED";
    return "OTHER";
}

static const char *fmt_stat(const struct Stat *s) {
    static char buf[512];
    snprintf(buf, sizeof buf,
             "czxid=0x%llx mzxid=0x%llx pzxid=0x%llx version=%d cversion=%d aversion=%d "
             "owner=%s dataLength=%d numChildren=%d",
             (unsigned long long)s->czxid, (unsigned long long)s->mzxid,
             (unsigned long long)s->pzxid, s->version, s->cversion, s->aversion,
             owner(s->ephemeralOwner), s->dataLength, s->numChildren);
    return buf;
}

/* ---- events: a queue filled by watchers, drained with a deadline ---------- */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static char events[64][256];
static int nevents;

static void push_event(const char *fmt, ...) {
    va_list ap;
    pthread_mutex_lock(&lock);
    if (nevents < 64) {
        va_start(ap, fmt);
        vsnprintf(events[nevents++], sizeof events[0], fmt, ap);
        va_end(ap);
    }
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&lock);
}

static struct timespec deadline(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += WAIT_SECONDS;
    return ts;
}

/* Waits for the next event and prints it as `event <text>`. */
static void next_event(const char *what) {
    struct timespec ts = deadline();
    char event[256];
    pthread_mutex_lock(&lock);
    while (nevents == 0) {
        if (pthread_cond_timedwait(&changed, &lock, &ts) != 0) {
            pthread_mutex_unlock(&lock);
            fail("timed out waiting for %s", what);
        }
    }
    memcpy(event, events[0], sizeof event);
    memmove(events[0], events[1], sizeof events[0] * (size_t)(nevents - 1));
    nevents--;
    pthread_mutex_unlock(&lock);
    out("event %s", event);
}

static void assert_no_event(const char *context) {
    pthread_mutex_lock(&lock);
    if (nevents != 0) {
        fail("unexpected event %s (%s)", events[0], context);
    }
    pthread_mutex_unlock(&lock);
}

/* A watcher whose context is its name. */
static void named_watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx) {
    (void)zh;
    push_event("%s: %s %s %s", (const char *)ctx, event_name(type), state_name(state),
               path ? path : "(null)");
}

/* The session watcher: connection states. */
static int session_state[8];

static void session_watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx) {
    (void)zh;
    (void)path;
    if (type != ZOO_SESSION_EVENT) {
        push_event("session watcher: %s %s", event_name(type), path ? path : "(null)");
        return;
    }
    pthread_mutex_lock(&lock);
    session_state[(intptr_t)ctx] = state;
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&lock);
}

static void wait_state(int index, int state, const char *what) {
    struct timespec ts = deadline();
    pthread_mutex_lock(&lock);
    while (session_state[index] != state) {
        if (pthread_cond_timedwait(&changed, &lock, &ts) != 0) {
            pthread_mutex_unlock(&lock);
            fail("timed out waiting for %s", what);
        }
    }
    pthread_mutex_unlock(&lock);
}

static const char *hosts;

static zhandle_t *connect_as(const char *name, int timeout_ms) {
    int index = nsessions;
    zhandle_t *zh = zookeeper_init(hosts, session_watcher, timeout_ms, NULL,
                                   (void *)(intptr_t)index, 0);
    if (!zh) {
        fail("zookeeper_init");
    }
    wait_state(index, ZOO_CONNECTED_STATE, name);
    sessions[index].name = name;
    sessions[index].zh = zh;
    sessions[index].id = zoo_client_id(zh)->client_id;
    nsessions++;
    return zh;
}

/* ---- async completions waited for ------------------------------------------ */

static int completion_rc;
static int completion_done;
static char completion_text[256];

static void void_done(int rc, const void *data) {
    (void)data;
    pthread_mutex_lock(&lock);
    completion_rc = rc;
    completion_done = 1;
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&lock);
}

static void string_done(int rc, const char *value, const void *data) {
    pthread_mutex_lock(&lock);
    snprintf(completion_text, sizeof completion_text, "%s", value ? value : "(null)");
    pthread_mutex_unlock(&lock);
    void_done(rc, data);
}

static int wait_completion(const char *what) {
    struct timespec ts = deadline();
    int rc;
    pthread_mutex_lock(&lock);
    while (!completion_done) {
        if (pthread_cond_timedwait(&changed, &lock, &ts) != 0) {
            pthread_mutex_unlock(&lock);
            fail("timed out waiting for %s", what);
        }
    }
    completion_done = 0;
    rc = completion_rc;
    pthread_mutex_unlock(&lock);
    return rc;
}

/* ---- operations that print ----------------------------------------------- */

static struct ACL_vector *open_acl(void) { return &ZOO_OPEN_ACL_UNSAFE; }

static void do_create(zhandle_t *zh, const char *label, const char *path, const char *data,
                      struct ACL_vector *acl, int mode) {
    char buf[256] = "";
    int rc = zoo_create(zh, path, data, data ? (int)strlen(data) : -1, acl, mode, buf,
                        sizeof buf);
    if (rc == ZOK) {
        out("%s -> %s", label, buf);
    } else {
        out("%s -> %s", label, rc_name(rc));
    }
}

static void do_create2(zhandle_t *zh, const char *label, const char *path, const char *data,
                       int mode, int64_t ttl) {
    char buf[256] = "";
    struct Stat stat;
    int rc = ttl ? zoo_create2_ttl(zh, path, data, (int)strlen(data), open_acl(), mode, ttl,
                                   buf, sizeof buf, &stat)
                 : zoo_create2(zh, path, data, (int)strlen(data), open_acl(), mode, buf,
                               sizeof buf, &stat);
    if (rc == ZOK) {
        out("%s -> %s %s", label, buf, fmt_stat(&stat));
    } else {
        out("%s -> %s", label, rc_name(rc));
    }
}

static void do_get(zhandle_t *zh, const char *label, const char *path) {
    char buf[1024];
    int len = sizeof buf;
    struct Stat stat;
    int rc = zoo_get(zh, path, 0, buf, &len, &stat);
    if (rc == ZOK) {
        out("%s -> '%.*s' (len %d) %s", label, len < 0 ? 0 : len, buf, len, fmt_stat(&stat));
    } else {
        out("%s -> %s", label, rc_name(rc));
    }
}

static void do_wget(zhandle_t *zh, const char *label, const char *path, const char *watcher) {
    char buf[1024];
    int len = sizeof buf;
    struct Stat stat;
    int rc = zoo_wget(zh, path, named_watcher, (void *)watcher, buf, &len, &stat);
    if (rc == ZOK) {
        out("%s -> '%.*s' version=%d", label, len < 0 ? 0 : len, buf, stat.version);
    } else {
        out("%s -> %s", label, rc_name(rc));
    }
}

static void do_set(zhandle_t *zh, const char *label, const char *path, const char *data,
                   int version) {
    struct Stat stat;
    int rc = zoo_set2(zh, path, data, (int)strlen(data), version, &stat);
    if (rc == ZOK) {
        out("%s -> %s", label, fmt_stat(&stat));
    } else {
        out("%s -> %s", label, rc_name(rc));
    }
}

static void do_delete(zhandle_t *zh, const char *label, const char *path, int version) {
    out("%s -> %s", label, rc_name(zoo_delete(zh, path, version)));
}

static void do_exists(zhandle_t *zh, const char *label, const char *path, const char *watcher) {
    struct Stat stat;
    int rc = watcher ? zoo_wexists(zh, path, named_watcher, (void *)watcher, &stat)
                     : zoo_exists(zh, path, 0, &stat);
    if (rc == ZOK) {
        out("%s -> %s", label, fmt_stat(&stat));
    } else {
        out("%s -> %s", label, rc_name(rc));
    }
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void print_children(const char *label, struct String_vector *v, const struct Stat *stat) {
    char line[2048] = "";
    qsort(v->data, (size_t)v->count, sizeof v->data[0], cmp_str);
    for (int i = 0; i < v->count; i++) {
        strncat(line, i ? ", " : "", sizeof line - strlen(line) - 1);
        strncat(line, v->data[i], sizeof line - strlen(line) - 1);
    }
    if (stat) {
        out("%s -> [%s] %s", label, line, fmt_stat(stat));
    } else {
        out("%s -> [%s]", label, line);
    }
}

static void do_children(zhandle_t *zh, const char *label, const char *path, int with_stat,
                        const char *watcher) {
    struct String_vector v = {0, NULL};
    struct Stat stat;
    int rc;
    if (with_stat) {
        rc = watcher ? zoo_wget_children2(zh, path, named_watcher, (void *)watcher, &v, &stat)
                     : zoo_get_children2(zh, path, 0, &v, &stat);
    } else {
        rc = watcher ? zoo_wget_children(zh, path, named_watcher, (void *)watcher, &v)
                     : zoo_get_children(zh, path, 0, &v);
    }
    if (rc == ZOK) {
        print_children(label, &v, with_stat ? &stat : NULL);
        deallocate_String_vector(&v);
    } else {
        out("%s -> %s", label, rc_name(rc));
    }
}

static void do_get_acl(zhandle_t *zh, const char *label, const char *path) {
    struct ACL_vector acl = {0, NULL};
    struct Stat stat;
    int rc = zoo_get_acl(zh, path, &acl, &stat);
    if (rc != ZOK) {
        out("%s -> %s", label, rc_name(rc));
        return;
    }
    char line[1024] = "";
    for (int i = 0; i < acl.count; i++) {
        char one[256];
        snprintf(one, sizeof one, "%s%s:%s perms=%d", i ? ", " : "", acl.data[i].id.scheme,
                 acl.data[i].id.id, acl.data[i].perms);
        strncat(line, one, sizeof line - strlen(line) - 1);
    }
    out("%s -> [%s] aversion=%d", label, line, stat.aversion);
    deallocate_ACL_vector(&acl);
}

static void do_add_auth(zhandle_t *zh, const char *label, const char *scheme, const char *cert) {
    int rc = zoo_add_auth(zh, scheme, cert, (int)strlen(cert), void_done, NULL);
    if (rc != ZOK) {
        out("%s -> %s (not sent)", label, rc_name(rc));
        return;
    }
    out("%s -> %s", label, rc_name(wait_completion(label)));
}

static void do_multi(zhandle_t *zh, const char *label, int count, zoo_op_t *ops) {
    zoo_op_result_t results[16];
    memset(results, 0, sizeof results);
    int rc = zoo_multi(zh, count, ops, results);
    out("%s -> %s", label, rc_name(rc));
    for (int i = 0; i < count; i++) {
        char detail[512] = "";
        if (results[i].err == ZOK && ops[i].type == ZOO_CREATE_OP && ops[i].create_op.buf[0]) {
            snprintf(detail, sizeof detail, " %s", ops[i].create_op.buf);
        } else if (results[i].err == ZOK && ops[i].type == ZOO_SETDATA_OP && results[i].stat) {
            snprintf(detail, sizeof detail, " %s", fmt_stat(results[i].stat));
        }
        out("  %d %s%s", i, rc_name(results[i].err), detail);
    }
}

/* ---- the scenario ---------------------------------------------------------- */

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s HOST:PORT\n", argv[0]);
        return 2;
    }
    hosts = argv[1];
    zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
    zoo_set_log_stream(stderr);
    zoo_deterministic_conn_order(1);

    zhandle_t *c1 = connect_as("c1", 10000);
    out("c1 negotiated timeout -> %d", zoo_recv_timeout(c1));

    /* create: every mode, create2, container, TTL. */
    do_create(c1, "create /c", "/c", "v0", open_acl(), ZOO_PERSISTENT);
    do_get(c1, "get /c", "/c");
    do_create2(c1, "create2 /c/two", "/c/two", "2", ZOO_PERSISTENT, 0);
    do_create(c1, "create sequential", "/c/seq-", "s", open_acl(), ZOO_PERSISTENT_SEQUENTIAL);
    do_create2(c1, "create2 sequential", "/c/seq-", "s", ZOO_PERSISTENT_SEQUENTIAL, 0);
    do_create(c1, "create ephemeral", "/c/eph", "e", open_acl(), ZOO_EPHEMERAL);
    do_create2(c1, "create2 ephemeral sequential", "/c/eseq-", "", ZOO_EPHEMERAL_SEQUENTIAL, 0);
    do_create(c1, "create null data", "/c/null", NULL, open_acl(), ZOO_PERSISTENT);
    do_get(c1, "get /c/null", "/c/null");
    do_create2(c1, "create2 container", "/c/container", "k", ZOO_CONTAINER, 0);
    do_create2(c1, "create2 TTL", "/c/ttl", "t", ZOO_PERSISTENT_WITH_TTL, 60000);
    do_create2(c1, "create2 TTL sequential", "/c/ttlseq-", "t", ZOO_PERSISTENT_SEQUENTIAL_WITH_TTL,
               60000);
    do_create2(c1, "create2 TTL too long", "/c/ttl-bad", "t", ZOO_PERSISTENT_WITH_TTL,
               0x10000000000LL);
    do_get(c1, "get /c", "/c");
    do_create(c1, "create existing", "/c", "", open_acl(), ZOO_PERSISTENT);
    do_create(c1, "create no parent", "/missing/x", "", open_acl(), ZOO_PERSISTENT);
    do_create(c1, "create under ephemeral", "/c/eph/x", "", open_acl(), ZOO_PERSISTENT);
    do_create(c1, "create bad path", "/c/", "", open_acl(), ZOO_PERSISTENT);
    do_create(c1, "create empty ACL", "/c/noacl", "",
              &(struct ACL_vector){0, NULL}, ZOO_PERSISTENT);
    do_get(c1, "get /c after errors", "/c");

    /* get/set/delete with versions; exists; children. */
    do_set(c1, "set /c v0", "/c", "v1", 0);
    do_set(c1, "set /c stale v0", "/c", "v2", 0);
    do_set(c1, "set /c any", "/c", "v3", -1);
    do_set(c1, "set missing", "/missing", "x", -1);
    do_get(c1, "get /c", "/c");
    do_get(c1, "get missing", "/missing");
    do_exists(c1, "exists /c/eph", "/c/eph", NULL);
    do_exists(c1, "exists missing", "/missing", NULL);
    do_children(c1, "children /c", "/c", 0, NULL);
    do_children(c1, "children2 /c", "/c", 1, NULL);
    do_children(c1, "children missing", "/missing", 0, NULL);
    do_children(c1, "children /", "/", 0, NULL);
    do_delete(c1, "delete /c/two bad version", "/c/two", 3);
    do_delete(c1, "delete /c/two v0", "/c/two", 0);
    do_delete(c1, "delete /c/two again", "/c/two", -1);
    do_delete(c1, "delete /c not empty", "/c", -1);
    do_delete(c1, "delete /", "/", -1);

    /* sync and getconfig. */
    int rc = zoo_async(c1, "/c", string_done, NULL);
    if (rc != ZOK) {
        fail("zoo_async: %s", rc_name(rc));
    }
    rc = wait_completion("sync");
    out("sync /c -> %s %s", rc_name(rc), completion_text);
    {
        char buf[1024];
        int len = sizeof buf;
        struct Stat stat;
        rc = zoo_getconfig(c1, 0, buf, &len, &stat);
        out("getconfig -> %s len %d %s", rc_name(rc), len, rc == ZOK ? fmt_stat(&stat) : "");
    }

    /* multi. */
    {
        char p0[64], p1[64], p2[64];
        zoo_op_t ops[5];
        zoo_create_op_init(&ops[0], "/m", "m0", 2, open_acl(), ZOO_PERSISTENT, p0, sizeof p0);
        zoo_create_op_init(&ops[1], "/m/s-", "", 0, open_acl(), ZOO_PERSISTENT_SEQUENTIAL, p1,
                           sizeof p1);
        struct Stat st;
        zoo_set_op_init(&ops[2], "/m", "m1", 2, 0, &st);
        zoo_check_op_init(&ops[3], "/m", 1);
        zoo_create_op_init(&ops[4], "/m/e", "", 0, open_acl(), ZOO_EPHEMERAL, p2, sizeof p2);
        do_multi(c1, "multi ok", 5, ops);
        do_get(c1, "get /m", "/m");

        zoo_op_t bad[3];
        char q0[64];
        zoo_create_op_init(&bad[0], "/m/never", "", 0, open_acl(), ZOO_PERSISTENT, q0, sizeof q0);
        zoo_check_op_init(&bad[1], "/m", 7);
        zoo_delete_op_init(&bad[2], "/m/e", -1);
        do_multi(c1, "multi bad check", 3, bad);
        do_exists(c1, "exists /m/never", "/m/never", NULL);
        zoo_op_t del[2];
        zoo_delete_op_init(&del[0], "/m/e", -1);
        zoo_delete_op_init(&del[1], "/m", -1);
        do_multi(c1, "multi delete not empty", 2, del);
    }

    /* ACLs and digest auth. */
    zhandle_t *c2 = connect_as("c2", 10000);
    do_add_auth(c1, "c1 add_auth digest", "digest", "user:secret");
    do_create(c1, "c1 create creator-all", "/acl", "secret", &ZOO_CREATOR_ALL_ACL, ZOO_PERSISTENT);
    do_get_acl(c1, "c1 get_acl /acl", "/acl");
    do_get(c2, "c2 get /acl", "/acl");
    do_get_acl(c2, "c2 get_acl /acl", "/acl");
    do_set(c2, "c2 set /acl", "/acl", "x", -1);
    do_create(c2, "c2 create creator-all (no auth)", "/acl2", "", &ZOO_CREATOR_ALL_ACL,
              ZOO_PERSISTENT);
    {
        struct ACL mixed_acl[2] = {
            {ZOO_PERM_READ, {"world", "anyone"}},
            {ZOO_PERM_ALL, {"auth", ""}},
        };
        struct ACL_vector mixed = {2, mixed_acl};
        out("c1 set_acl /acl v0 -> %s", rc_name(zoo_set_acl(c1, "/acl", 0, &mixed)));
        out("c1 set_acl /acl stale v0 -> %s", rc_name(zoo_set_acl(c1, "/acl", 0, &mixed)));
    }
    do_get_acl(c2, "c2 get_acl /acl (read only: masked)", "/acl");
    do_get(c2, "c2 get /acl", "/acl");
    do_add_auth(c2, "c2 add_auth digest", "digest", "user:secret");
    do_set(c2, "c2 set /acl", "/acl", "changed", -1);
    do_get_acl(c2, "c2 get_acl /acl", "/acl");

    /* Watches fired by another session. */
    do_wget(c1, "c1 wget /c", "/c", "data");
    do_set(c2, "c2 set /c", "/c", "from-c2", -1);
    next_event("data watch");
    do_exists(c1, "c1 wexists /c/new", "/c/new", "exists");
    do_children(c1, "c1 wget_children2 /c", "/c", 1, "children");
    do_create(c2, "c2 create /c/new", "/c/new", "n", open_acl(), ZOO_PERSISTENT);
    next_event("exists or child watch");
    next_event("exists or child watch");
    /* Watches fired by the same session. */
    do_wget(c1, "c1 wget /c/new", "/c/new", "data");
    do_children(c1, "c1 wget_children /c/new", "/c/new", 0, "children");
    do_delete(c1, "c1 delete /c/new", "/c/new", -1);
    next_event("delete events");
    next_event("delete events");
    /* A removed watch does not fire; a sentinel shows nothing came first. */
    do_wget(c1, "c1 wget /c", "/c", "removed");
    out("c1 remove data watch -> %s",
        rc_name(zoo_remove_watches(c1, "/c", ZWATCHTYPE_DATA, named_watcher, "removed", 0)));
    out("c1 remove it again -> %s",
        rc_name(zoo_remove_watches(c1, "/c", ZWATCHTYPE_DATA, named_watcher, "removed", 0)));
    do_set(c2, "c2 set /c", "/c", "unwatched", -1);
    do_exists(c1, "c1 wexists /sentinel", "/sentinel", "sentinel");
    do_create(c2, "c2 create /sentinel", "/sentinel", "", open_acl(), ZOO_PERSISTENT);
    next_event("the sentinel");
    assert_no_event("after the sentinel");

    /* Ephemerals go with their session. */
    do_exists(c2, "c2 wexists /c/eph", "/c/eph", "c2-exists");
    do_children(c2, "c2 children /c", "/c", 0, NULL);
    zookeeper_close(c1);
    next_event("c1's ephemeral to go");
    do_children(c2, "c2 children /c after c1 closed", "/c", 0, NULL);
    do_get(c2, "c2 get /c", "/c");

    /* An unknown auth scheme: AUTH_FAILED, and the handle is unusable. */
    zhandle_t *c3 = connect_as("c3", 10000);
    do_add_auth(c3, "c3 add_auth unknown scheme", "nope", "x");
    wait_state(2, ZOO_AUTH_FAILED_STATE, "c3's AUTH_FAILED state");
    out("c3 state -> %s", state_name(zoo_state(c3)));
    do_get(c3, "c3 get /c", "/c");
    zookeeper_close(c3);
    assert_no_event("at the end");
    zookeeper_close(c2);
    return 0;
}
