"""ACLs and authentication through kazoo: digest ACLs, add_auth (also at
connect time), the auth scheme, get_acls/set_acls with versions, what an
unauthorised session may see, ip ACLs, and a failed auth."""

from kazoo.security import (
    ACL,
    CREATOR_ALL_ACL,
    OPEN_ACL_UNSAFE,
    READ_ACL_UNSAFE,
    Id,
    Permissions,
    make_acl,
    make_digest_acl,
)

from zkt import Inbox, attempt, close, connect, out

admin = connect("admin", auth_data=[("digest", "admin:secret")])
anon = connect("anon")

attempt("get_acls /", anon.get_acls, "/")
attempt("get_acls /zookeeper", anon.get_acls, "/zookeeper")
attempt("get_acls /zookeeper/config", anon.get_acls, "/zookeeper/config")

# A node only admin may touch.
only_admin = [make_digest_acl("admin", "secret", all=True)]
attempt("admin create /acl", admin.create, "/acl", b"secret", acl=only_admin)
attempt("admin get_acls /acl", admin.get_acls, "/acl")
attempt("admin get /acl", admin.get, "/acl")
attempt("admin create /acl/child", admin.create, "/acl/child", b"", acl=only_admin)
attempt("anon get /acl", anon.get, "/acl")
attempt("anon exists /acl", anon.exists, "/acl")
attempt("anon get_children /acl", anon.get_children, "/acl")
attempt("anon get_acls /acl", anon.get_acls, "/acl")
attempt("anon set /acl", anon.set, "/acl", b"x")
attempt("anon create /acl/x", anon.create, "/acl/x", b"")
attempt("anon set_acls /acl", anon.set_acls, "/acl", OPEN_ACL_UNSAFE)
attempt("anon delete /acl/child", anon.delete, "/acl/child")
attempt("anon sync /acl", anon.sync, "/acl")

# World may read, admin may do everything: without ADMIN the digest is masked.
mixed = [
    make_acl("world", "anyone", read=True),
    make_digest_acl("admin", "secret", all=True),
]
attempt("admin create /mixed", admin.create, "/mixed", b"m", acl=mixed)
attempt("anon get /mixed", anon.get, "/mixed")
attempt("anon get_acls /mixed", anon.get_acls, "/mixed")
attempt("admin get_acls /mixed", admin.get_acls, "/mixed")
attempt("anon create /mixed/x", anon.create, "/mixed/x", b"")
attempt("admin create /mixed/x", admin.create, "/mixed/x", b"")
attempt("anon delete /mixed/x", anon.delete, "/mixed/x")

# set_acls with versions (the aversion).
attempt("admin set_acls /mixed v0", admin.set_acls, "/mixed", READ_ACL_UNSAFE + only_admin, version=0)
attempt("admin set_acls /mixed stale v0", admin.set_acls, "/mixed", OPEN_ACL_UNSAFE, version=0)
attempt("admin get_acls /mixed", admin.get_acls, "/mixed")
attempt("admin set_acls /mixed duplicates", admin.set_acls, "/mixed", OPEN_ACL_UNSAFE + OPEN_ACL_UNSAFE)
attempt("admin get_acls /mixed", admin.get_acls, "/mixed")
attempt("admin set_acls /mixed empty", admin.set_acls, "/mixed", [])
attempt("admin set_acls missing", admin.set_acls, "/missing", OPEN_ACL_UNSAFE)

# The auth scheme: the session's own identities.
attempt("anon create creator-all", anon.create, "/creator", b"", acl=CREATOR_ALL_ACL)
attempt("admin create creator-all", admin.create, "/creator", b"", acl=CREATOR_ALL_ACL)
attempt("admin get_acls /creator", admin.get_acls, "/creator")
attempt("anon get /creator", anon.get, "/creator")

# Invalid ACLs.
attempt("create bad scheme", admin.create, "/bad", b"", acl=[ACL(Permissions.ALL, Id("nope", "x"))])
attempt("create bad digest id", admin.create, "/bad", b"", acl=[ACL(Permissions.ALL, Id("digest", "no-colon"))])
attempt("create bad ip", admin.create, "/bad", b"", acl=[make_acl("ip", "not-an-ip", all=True)])
attempt("create no perms", admin.create, "/noperms", b"", acl=[ACL(0, Id("world", "anyone"))])
attempt("anon get /noperms", anon.get, "/noperms")
attempt("anon get_acls /noperms", anon.get_acls, "/noperms")

# ip ACLs: the clients connect from 127.0.0.1.
attempt("create ip 127.0.0.1", admin.create, "/ip-local", b"", acl=[make_acl("ip", "127.0.0.1", read=True)])
attempt("create ip 127.0.0.0/8", admin.create, "/ip-net", b"", acl=[make_acl("ip", "127.0.0.0/8", read=True)])
attempt("create ip 10.1.2.3", admin.create, "/ip-other", b"", acl=[make_acl("ip", "10.1.2.3", read=True)])
attempt("anon get /ip-local", anon.get, "/ip-local")
attempt("anon get /ip-net", anon.get, "/ip-net")
attempt("anon get /ip-other", anon.get, "/ip-other")
attempt("anon set /ip-local", anon.set, "/ip-local", b"x")

# add_auth later in the session.
attempt("anon add_auth wrong password", anon.add_auth, "digest", "admin:wrong")
attempt("anon get /acl", anon.get, "/acl")
attempt("anon add_auth", anon.add_auth, "digest", "admin:secret")
attempt("anon get /acl", anon.get, "/acl")
attempt("anon get_acls /mixed", anon.get_acls, "/mixed")
attempt("anon set /acl", anon.set, "/acl", b"changed")
attempt("anon delete /acl/child", anon.delete, "/acl/child")

# A fresh session that authenticates at connect time sees it too.
other = connect("other", auth_data=[("digest", "admin:secret")])
attempt("other get /acl", other.get, "/acl")
close(other)

# An unknown auth scheme: AUTH_FAILED, and the server drops the connection.
states = Inbox("states")
victim = connect("victim")
victim.add_listener(states)
attempt("victim add_auth unknown scheme", victim.add_auth, "nope", "x")
out("victim state", states.get("LOST"))
attempt("victim get /", victim.get, "/")
close(victim)

# Deleting needs DELETE on the parent only: the world may delete /creator.
third = connect("third")
attempt("third delete /creator", third.delete, "/creator")
attempt("third delete /acl", third.delete, "/acl")
close(third, admin, anon)
