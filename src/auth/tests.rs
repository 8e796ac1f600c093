//! Tests of the ACL rules against what the 3.9.5 jar does (values printed
//! by a Java probe calling `PrepRequestProcessor.fixupACL`,
//! `ZooKeeperServer.checkACL` and `AuthUtil.getClientInfos`).

use jute::data::{ClientInfo, Id, ACL};
use proptest::prelude::*;

use super::*;
use crate::proto::codes::{perms, ErrorCode};

fn id(scheme: &str, value: &str) -> Id {
    Id {
        scheme: Some(scheme.to_owned()),
        id: Some(value.to_owned()),
    }
}

fn acl(perms: i32, scheme: &str, value: &str) -> ACL {
    ACL {
        perms,
        id: id(scheme, value),
    }
}

fn acl_nullable(perms: i32, scheme: Option<&str>, value: Option<&str>) -> ACL {
    ACL {
        perms,
        id: Id {
            scheme: scheme.map(str::to_owned),
            id: value.map(str::to_owned),
        },
    }
}

fn registry() -> ProviderRegistry {
    ProviderRegistry::new(&AuthSettings::default()).unwrap()
}

/// The session the Java probe used for `fixupACL`.
fn probe_session() -> Vec<Id> {
    vec![
        id("ip", "127.0.0.1"),
        id("super", ""),
        id("digest", "u:h"),
        id("digest", "v:h"),
    ]
}

#[test]
fn fixup_acl_matches_java() {
    let r = registry();
    let auth = probe_session();
    let fix = |acls: Option<Vec<ACL>>| r.fixup_acl(&auth, acls.as_deref());
    use ErrorCode::{InvalidAcl, MarshallingError};

    assert_eq!(fix(None), Err(InvalidAcl));
    assert_eq!(fix(Some(vec![])), Err(InvalidAcl));
    assert_eq!(
        fix(Some(vec![acl(31, "world", "anyone")])),
        Ok(vec![acl(31, "world", "anyone")])
    );
    assert_eq!(
        fix(Some(vec![
            acl(31, "world", "anyone"),
            acl(31, "world", "anyone")
        ])),
        Ok(vec![acl(31, "world", "anyone")])
    );
    assert_eq!(fix(Some(vec![acl(31, "world", "nobody")])), Err(InvalidAcl));
    let expanded = vec![acl(31, "digest", "u:h"), acl(31, "digest", "v:h")];
    assert_eq!(fix(Some(vec![acl(31, "auth", "")])), Ok(expanded.clone()));
    assert_eq!(
        fix(Some(vec![acl_nullable(31, Some("auth"), None)])),
        Ok(expanded)
    );
    assert_eq!(
        fix(Some(vec![acl_nullable(31, None, Some("x"))])),
        Err(InvalidAcl)
    );
    assert_eq!(
        fix(Some(vec![acl_nullable(31, Some("world"), None)])),
        Err(MarshallingError)
    );
    assert_eq!(
        fix(Some(vec![acl_nullable(31, Some("digest"), None)])),
        Err(MarshallingError)
    );
    // removeDuplicates compares a null-scheme candidate with an earlier
    // entry of the same perms: NullPointerException.
    assert_eq!(
        fix(Some(vec![
            acl(31, "digest", "u:h"),
            acl_nullable(31, None, Some("x"))
        ])),
        Err(MarshallingError)
    );
    assert_eq!(
        fix(Some(vec![
            acl(31, "digest", "u:h"),
            acl_nullable(1, None, Some("x"))
        ])),
        Err(InvalidAcl)
    );
    assert_eq!(
        fix(Some(vec![
            acl_nullable(31, None, Some("x")),
            acl(31, "digest", "u:h")
        ])),
        Err(InvalidAcl)
    );
    assert_eq!(
        fix(Some(vec![
            acl(31, "digest", "u:h"),
            acl_nullable(31, Some("digest"), None)
        ])),
        Err(MarshallingError)
    );
    assert_eq!(
        fix(Some(vec![
            acl(31, "digest", "u:h"),
            acl_nullable(31, Some("ip"), None)
        ])),
        Err(MarshallingError)
    );
    // Expansion keeps the perms of the auth entry, and nothing is
    // de-duplicated after it.
    assert_eq!(
        fix(Some(vec![
            acl(31, "ip", "1.2.3.4/8"),
            acl(3, "auth", "zzz"),
            acl(31, "digest", "u:h")
        ])),
        Ok(vec![
            acl(31, "ip", "1.2.3.4/8"),
            acl(3, "digest", "u:h"),
            acl(3, "digest", "v:h"),
            acl(31, "digest", "u:h"),
        ])
    );
    assert_eq!(fix(Some(vec![acl(31, "super", "x")])), Err(InvalidAcl));
    assert_eq!(fix(Some(vec![acl(31, "sasl", "x")])), Err(InvalidAcl));
    assert_eq!(fix(Some(vec![acl(31, "ip", "bad")])), Err(InvalidAcl));
    assert_eq!(
        fix(Some(vec![acl(0, "world", "anyone")])),
        Ok(vec![acl(0, "world", "anyone")])
    );

    // Only ip and super: nothing for `auth` to expand to.
    let unauthenticated = vec![id("ip", "1.1.1.1"), id("super", "")];
    assert_eq!(
        r.fixup_acl(&unauthenticated, Some(&[creator_all_acl()])),
        Err(InvalidAcl)
    );
}

#[test]
fn fixup_acl_without_digest_provider() {
    let r = ProviderRegistry::new(&AuthSettings {
        digest_enabled: false,
        ..AuthSettings::default()
    })
    .unwrap();
    assert_eq!(
        r.fixup_acl(&probe_session(), Some(&[acl(31, "digest", "u:h")])),
        Err(ErrorCode::InvalidAcl)
    );
    // Digest ids a session still holds are not expanded without a provider.
    assert_eq!(
        r.fixup_acl(&probe_session(), Some(&[creator_all_acl()])),
        Err(ErrorCode::InvalidAcl)
    );
}

#[test]
fn check_acl_matches_java() {
    let r = registry();
    let check = |acl: Vec<ACL>, perm: i32, ids: Vec<Id>| r.check_acl(&acl, perm, &ids, false);
    use ErrorCode::NoAuth;

    assert_eq!(
        check(vec![acl(1, "digest", "u:h")], 1, vec![id("digest", "u:h")]),
        Ok(())
    );
    assert_eq!(
        check(vec![acl(1, "digest", "u:h")], 2, vec![id("digest", "u:h")]),
        Err(NoAuth)
    );
    assert_eq!(
        check(vec![acl(1, "digest", "u:h")], 1, vec![id("super", "")]),
        Ok(())
    );
    assert_eq!(
        check(
            vec![acl(31, "world", "nobody")],
            1,
            vec![id("world", "nobody")]
        ),
        Err(NoAuth)
    );
    assert_eq!(
        check(vec![acl(31, "super", "")], 1, vec![id("super", "x")]),
        Ok(())
    );
    assert_eq!(
        check(
            vec![acl(31, "ip", "127.0.0.0/8")],
            1,
            vec![id("ip", "127.1.2.3")]
        ),
        Ok(())
    );
    assert_eq!(
        check(
            vec![acl(31, "ip", "127.0.0.0/8")],
            1,
            vec![id("digest", "127.1.2.3")]
        ),
        Err(NoAuth)
    );
    assert_eq!(
        check(vec![acl(3, "world", "anyone")], perms::ADMIN, vec![]),
        Err(NoAuth)
    );
    assert_eq!(
        check(
            vec![acl(3, "world", "anyone")],
            perms::READ | perms::ADMIN,
            vec![]
        ),
        Ok(())
    );
    assert_eq!(check(vec![], perms::ALL, vec![]), Ok(()));
}

#[test]
fn check_acl_more_rules() {
    let r = registry();
    let node = vec![
        acl(perms::READ, "digest", "u:h"),
        acl(perms::WRITE, "ip", "10.0.0.0/8"),
    ];
    let session = vec![id("ip", "10.1.1.1"), id("digest", "u:h")];
    assert_eq!(r.check_acl(&node, perms::READ, &session, false), Ok(()));
    assert_eq!(r.check_acl(&node, perms::WRITE, &session, false), Ok(()));
    assert_eq!(
        r.check_acl(&node, perms::DELETE, &session, false),
        Err(ErrorCode::NoAuth)
    );
    assert_eq!(
        r.check_acl(&node, perms::DELETE, &session, true),
        Ok(()),
        "skipACL"
    );
    // An unknown scheme never matches, even with an equal id.
    let custom = vec![acl(perms::ALL, "custom", "x")];
    assert_eq!(
        r.check_acl(&custom, perms::READ, &[id("custom", "x")], false),
        Err(ErrorCode::NoAuth)
    );
    // Null fields where Java would throw.
    let null_scheme = vec![acl_nullable(perms::ALL, None, Some("x"))];
    assert_eq!(
        r.check_acl(&null_scheme, perms::READ, &[], false),
        Err(ErrorCode::MarshallingError)
    );
    // ... but not in entries that do not grant the bits.
    let null_read_only = vec![
        acl_nullable(perms::READ, None, None),
        acl(perms::WRITE, "world", "anyone"),
    ];
    assert_eq!(
        r.check_acl(&null_read_only, perms::WRITE, &[], false),
        Ok(())
    );
}

#[test]
fn who_am_i_matches_java() {
    let r = registry();
    let infos = |ids: &[(&str, &str)]| -> Vec<(String, String)> {
        let ids: AuthIds = ids.iter().map(|(s, v)| id(s, v)).collect();
        r.who_am_i(&ids.to_vec())
            .into_iter()
            .map(|ClientInfo { auth_scheme, user }| (auth_scheme.unwrap(), user.unwrap()))
            .collect()
    };
    let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    assert_eq!(
        infos(&[
            ("ip", "127.0.0.1"),
            ("digest", "user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY=")
        ]),
        pairs(&[("digest", "user"), ("ip", "127.0.0.1")])
    );
    assert_eq!(
        infos(&[
            ("ip", "0:0:0:0:0:0:0:1"),
            ("super", ""),
            ("digest", "super:D/InIHSb7yEEbrWz8b9l71RjZJU=")
        ]),
        pairs(&[
            ("super", ""),
            ("digest", "super"),
            ("ip", "0:0:0:0:0:0:0:1")
        ])
    );
    assert_eq!(
        infos(&[
            ("ip", "10.0.0.7"),
            ("digest", "a:1"),
            ("digest", "b:2"),
            ("digest", "c:3"),
            ("digest", "d:4"),
            ("x509", "CN=foo"),
            ("sasl", "bob"),
            ("weird", "w"),
        ]),
        pairs(&[
            ("digest", "a"),
            ("digest", "b"),
            ("x509", ""),
            ("ip", "10.0.0.7"),
            ("sasl", ""),
            ("digest", "c"),
            ("weird", ""),
            ("digest", "d"),
        ])
    );
}

#[test]
fn masking_for_get_acl() {
    let acls = vec![
        acl(31, "digest", "user:smGaoVKd/cQkjm7b88GyorAUz20="),
        acl(1, "world", "anyone"),
        acl(3, "ip", "1.2.3.4"),
        acl(1, "digest", "a:b\nc:d"),
    ];
    assert_eq!(
        mask_digest_acls(&acls),
        Ok(vec![
            acl(31, "digest", "user:x"),
            acl(1, "world", "anyone"),
            acl(3, "ip", "1.2.3.4"),
            acl(1, "digest", "a:x\nc:x"),
        ])
    );
    assert_eq!(
        mask_digest_acls(&[acl_nullable(1, Some("digest"), None)]),
        Err(ErrorCode::MarshallingError)
    );
    assert_eq!(
        mask_digest_acls(&[acl_nullable(1, None, None)]),
        Ok(vec![acl_nullable(1, None, None)])
    );
}

#[test]
fn a_whole_session() {
    let r = ProviderRegistry::new(&AuthSettings {
        super_digest: Some(generate_digest(DigestAlgorithm::Sha1, "super:test")),
        ..AuthSettings::default()
    })
    .unwrap();
    let mut bob = AuthIds::for_connection("10.0.0.9");
    bob.extend(r.authenticate("digest", b"bob:secret", "10.0.0.9").unwrap());
    let node = r
        .fixup_acl(&bob.to_vec(), Some(&[creator_all_acl(), read_acl_unsafe()]))
        .unwrap();
    assert_eq!(
        node,
        vec![
            acl(31, "digest", "bob:fyVmFCwVbTJYrznoSu1koqYEYF0="),
            acl(1, "world", "anyone")
        ]
    );
    let anonymous = AuthIds::for_connection("10.0.0.10");
    assert_eq!(
        r.check_acl(&node, perms::READ, &anonymous.to_vec(), false),
        Ok(())
    );
    assert_eq!(
        r.check_acl(&node, perms::WRITE, &anonymous.to_vec(), false),
        Err(ErrorCode::NoAuth)
    );
    assert_eq!(
        r.check_acl(&node, perms::WRITE, &bob.to_vec(), false),
        Ok(())
    );
    let mut admin = AuthIds::for_connection("10.0.0.11");
    let ids = r
        .authenticate("digest", b"super:test", "10.0.0.11")
        .unwrap();
    assert_eq!(ids[0], id("super", ""));
    admin.extend(ids);
    assert_eq!(
        r.check_acl(&node, perms::ADMIN, &admin.to_vec(), false),
        Ok(())
    );
    assert_eq!(
        r.check_acl(&[open_acl_unsafe()], perms::ALL, &anonymous.to_vec(), false),
        Ok(())
    );
}

fn arbitrary_string() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        1 => Just(None),
        2 => prop::sample::select(vec!["world", "auth", "digest", "ip", "super", "sasl", "anyone", ""])
            .prop_map(|s| Some(s.to_owned())),
        2 => "[a-z0-9:./]{0,12}".prop_map(Some),
        1 => ".{0,12}".prop_map(Some),
    ]
}

fn arbitrary_id() -> impl Strategy<Value = Id> {
    (arbitrary_string(), arbitrary_string()).prop_map(|(scheme, id)| Id { scheme, id })
}

fn arbitrary_acl() -> impl Strategy<Value = ACL> {
    (any::<i32>(), arbitrary_id()).prop_map(|(perms, id)| ACL { perms, id })
}

proptest! {
    #[test]
    fn nothing_panics_on_arbitrary_input(
        acls in proptest::option::of(proptest::collection::vec(arbitrary_acl(), 0..8)),
        ids in proptest::collection::vec(arbitrary_id(), 0..6),
        perm in any::<i32>(),
        scheme in ".{0,8}",
        data in proptest::collection::vec(any::<u8>(), 0..40),
    ) {
        let r = registry();
        let _ = r.fixup_acl(&ids, acls.as_deref());
        let _ = r.check_acl(acls.as_deref().unwrap_or_default(), perm, &ids, false);
        let _ = r.who_am_i(&ids);
        let _ = mask_digest_acls(acls.as_deref().unwrap_or_default());
        let _ = r.authenticate(&scheme, &data, "127.0.0.1");
        let _: AuthIds = ids.into_iter().collect();
    }

    #[test]
    fn fixed_acls_are_valid_and_checkable(
        acls in proptest::collection::vec(arbitrary_acl(), 1..8),
        credentials in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..12), 0..3),
    ) {
        let r = registry();
        // Real session ids: the connection's ip id and digest logins.
        let mut session = AuthIds::for_connection("172.16.0.1");
        for data in &credentials {
            session.extend(r.authenticate("digest", data, "172.16.0.1").unwrap());
        }
        let ids = session.to_vec();
        if let Ok(fixed) = r.fixup_acl(&ids, Some(&acls)) {
            prop_assert!(!fixed.is_empty());
            for entry in &fixed {
                let scheme = entry.id.scheme.as_deref().unwrap();
                prop_assert_ne!(scheme, "auth");
                if scheme != "world" {
                    let provider = r.provider(scheme).unwrap();
                    prop_assert!(provider.is_valid(entry.id.id.as_deref().unwrap()));
                }
            }
            // A stored ACL never makes the check fail on a null field.
            prop_assert_ne!(r.check_acl(&fixed, perms::ALL, &ids, false), Err(ErrorCode::MarshallingError));
        }
    }

    #[test]
    fn the_creator_can_always_use_its_node(user in "[a-z]{0,6}", password in ".{0,10}", perm in 1i32..32) {
        let r = registry();
        let mut ids = AuthIds::for_connection("192.168.0.1");
        ids.extend(r.authenticate("digest", format!("{user}:{password}").as_bytes(), "192.168.0.1").unwrap());
        let session = ids.to_vec();
        let node = r.fixup_acl(&session, Some(&[creator_all_acl()])).unwrap();
        prop_assert_eq!(r.check_acl(&node, perm, &session, false), Ok(()));
    }
}
