//! The `digest` scheme (`DigestAuthenticationProvider`): ids of the form
//! `user:base64(sha1("user:password"))`.

use base64::Engine;
use jute::data::Id;
use sha1::{Digest, Sha1};

use super::java;
use super::provider::AuthProvider;
use super::AuthConfigError;
use crate::proto::codes::ErrorCode;

/// The hash behind digest ids (`zookeeper.DigestAuthenticationProvider.digestAlg`).
/// Java accepts any `MessageDigest` name; rzk supports SHA-1, the default,
/// under the names the JDK knows it by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DigestAlgorithm {
    /// SHA-1 (`SHA1`, `SHA-1`, `SHA`, case-insensitive): the default.
    #[default]
    Sha1,
}

impl DigestAlgorithm {
    /// The algorithm for a `digestAlg` value. Anything but a SHA-1 name is
    /// an error (Java would accept e.g. `SHA-256` or `MD5`; rzk does not
    /// support them yet, and a server must not start with ids it cannot
    /// check).
    pub fn from_java_name(name: &str) -> Result<Self, AuthConfigError> {
        let upper = name.to_ascii_uppercase();
        match upper.as_str() {
            "SHA1" | "SHA-1" | "SHA" | "1.3.14.3.2.26" | "OID.1.3.14.3.2.26" => {
                Ok(DigestAlgorithm::Sha1)
            }
            _ => Err(AuthConfigError::UnsupportedDigestAlgorithm(name.to_owned())),
        }
    }

    /// The raw hash of `bytes`.
    pub fn hash(self, bytes: &[u8]) -> Vec<u8> {
        match self {
            DigestAlgorithm::Sha1 => Sha1::digest(bytes).to_vec(),
        }
    }
}

/// `DigestAuthenticationProvider.generateDigest("user:password")`:
/// the text before the first `:` (all of it if there is none), a `:`, and
/// the base64 of the hash of the *whole* text's UTF-8 bytes. This is what
/// `digest` ACL ids and `superDigest` hold.
pub fn generate_digest(algorithm: DigestAlgorithm, id_password: &str) -> String {
    let user = java::split(id_password, ":", 2)[0];
    let hash = algorithm.hash(id_password.as_bytes());
    format!(
        "{user}:{}",
        base64::engine::general_purpose::STANDARD.encode(hash)
    )
}

/// The `digest` provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestProvider {
    algorithm: DigestAlgorithm,
    super_digest: Option<String>,
}

impl DigestProvider {
    /// A provider hashing with `algorithm`; a session whose digest equals
    /// `super_digest` (`zookeeper.DigestAuthenticationProvider.superDigest`,
    /// `user:base64hash`) also becomes super user.
    pub fn new(algorithm: DigestAlgorithm, super_digest: Option<String>) -> Self {
        DigestProvider {
            algorithm,
            super_digest,
        }
    }
}

impl AuthProvider for DigestProvider {
    fn scheme(&self) -> &str {
        "digest"
    }

    /// Never fails: the auth data is decoded as Java's `new String(bytes)`
    /// does (UTF-8, malformed bytes replaced by U+FFFD) and hashed whatever
    /// it is — no `:`, an empty user and empty data are all accepted. The
    /// ids are `super:""` first if the digest is the super digest, then
    /// `digest:<digest>`.
    fn handle_authentication(
        &self,
        auth_data: &[u8],
        _remote_host: &str,
    ) -> Result<Vec<Id>, ErrorCode> {
        let text = jute::archive::decode_utf8_like_java(auth_data);
        let digest = generate_digest(self.algorithm, &text);
        let mut ids = Vec::with_capacity(2);
        if self.super_digest.as_deref() == Some(digest.as_str()) {
            ids.push(Id {
                scheme: Some("super".to_owned()),
                id: Some(String::new()),
            });
        }
        ids.push(Id {
            scheme: Some("digest".to_owned()),
            id: Some(digest),
        });
        Ok(ids)
    }

    /// Exact string equality.
    fn matches(&self, id: &str, acl_expr: &str) -> bool {
        id == acl_expr
    }

    fn is_authenticated(&self) -> bool {
        true
    }

    /// Java's `id.split(":").length == 2`: exactly two parts once trailing
    /// empty parts are dropped, so `a:b`, `:b`, `a:b:` and `a:b::` are valid
    /// while `a`, `a:`, `a::b`, `a:b:c` and `:` are not.
    fn is_valid(&self, id: &str) -> bool {
        java::split(id, ":", 0).len() == 2
    }

    /// The text before the first `:`.
    fn user_name(&self, id: &str) -> String {
        java::split(id, ":", 0)
            .first()
            .copied()
            .unwrap_or_default()
            .to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn provider() -> DigestProvider {
        DigestProvider::new(DigestAlgorithm::Sha1, None)
    }

    /// `DigestAuthenticationProvider.generateDigest` of the 3.9.5 jar.
    const JAVA_DIGESTS: &[(&str, &str)] = &[
        ("user:pass", "user:smGaoVKd/cQkjm7b88GyorAUz20="),
        ("super:test", "super:D/InIHSb7yEEbrWz8b9l71RjZJU="),
        ("", ":2jmj7l5rSw0yVb/vlWAYkK/YBwk="),
        ("user", "user:Et6pb+wgWTVmq3VpLJlJWWgzrck="),
        ("user:", "user:kd7q5xGKLW+18xQTfO8iqRaFvsM="),
        (":pass", ":FOJ9D3sjETKOftocyhm1Cytwaj8="),
        ("a:b:c", "a:cLzgnoJ6mP5qz3w+mwvPE2vDgu0="),
        ("héllo:wörld", "héllo:lklmzcYC5fv8yymOuNqURv04ssg="),
        ("é:\u{1F600}", "é:EmE2Av9M7+cqhj6ZLwgxSs2C9LE="),
        ("bob:secret", "bob:fyVmFCwVbTJYrznoSu1koqYEYF0="),
    ];

    #[test]
    fn digests_match_java() {
        for &(input, want) in JAVA_DIGESTS {
            assert_eq!(
                generate_digest(DigestAlgorithm::Sha1, input),
                want,
                "{input:?}"
            );
        }
    }

    fn digest_id(ids: &[Id]) -> &str {
        ids.last().and_then(|i| i.id.as_deref()).unwrap()
    }

    /// The private `handleAuthentication(byte[])` of the 3.9.5 jar, called
    /// by reflection, on raw (partly malformed) auth data.
    #[test]
    fn authentication_matches_java_on_raw_bytes() {
        let cases: &[(&[u8], &str)] = &[
            (b"user:pass", "user:smGaoVKd/cQkjm7b88GyorAUz20="),
            (b"", ":2jmj7l5rSw0yVb/vlWAYkK/YBwk="),
            (
                &[0xff, 0xfe, 0x3a, 0x41],
                "\u{fffd}\u{fffd}:vBgtOUXHpT9g2xS50t1q3Wei8qI=",
            ),
            (
                &[0x61, 0xed, 0xa0, 0x80, 0x3a, 0x62],
                "a\u{fffd}:n0MVaWXdb4SIOy8y3rG4OHNno0Q=",
            ),
            (
                &[0xe2, 0x82, 0x3a, 0xf0, 0x9f, 0x98],
                "\u{fffd}:ipNoT9MRIoSM4DrYkmqaDGEYOsE=",
            ),
            (
                &[0xc0, 0x80, 0x3a, 0xf4, 0x90, 0x80, 0x80, 0x00, 0xf8, 0x88],
                "\u{fffd}\u{fffd}:bAIAkNQ4e6eBJ0ZnHRi7xfj1/24=",
            ),
        ];
        for &(data, want) in cases {
            let ids = provider().handle_authentication(data, "127.0.0.1").unwrap();
            assert_eq!(ids.len(), 1);
            assert_eq!(ids[0].scheme.as_deref(), Some("digest"));
            assert_eq!(digest_id(&ids), want, "{data:x?}");
        }
    }

    #[test]
    fn super_digest_adds_super_first() {
        let p = DigestProvider::new(
            DigestAlgorithm::Sha1,
            Some("super:D/InIHSb7yEEbrWz8b9l71RjZJU=".to_owned()),
        );
        let ids = p.handle_authentication(b"super:test", "h").unwrap();
        assert_eq!(ids.len(), 2);
        assert_eq!(
            ids[0],
            Id {
                scheme: Some("super".into()),
                id: Some(String::new())
            }
        );
        assert_eq!(digest_id(&ids), "super:D/InIHSb7yEEbrWz8b9l71RjZJU=");
        let ids = p.handle_authentication(b"super:wrong", "h").unwrap();
        assert_eq!(ids.len(), 1);
    }

    #[test]
    fn validity_matches_java() {
        // DigestAuthenticationProvider.isValid of the 3.9.5 jar.
        let cases = [
            ("a:b", true),
            ("a:b:", true),
            ("a::", false),
            (":b", true),
            ("::", false),
            (":", false),
            ("", false),
            ("a", false),
            ("a:b:c", false),
            ("a:b::", true),
            (":b:", true),
            ("a:", false),
            ("::b", false),
            ("a::b", false),
        ];
        for (id, want) in cases {
            assert_eq!(provider().is_valid(id), want, "{id:?}");
        }
    }

    #[test]
    fn user_names_match_java() {
        let p = provider();
        assert_eq!(p.user_name("a:b"), "a");
        assert_eq!(p.user_name(":b"), "");
        assert_eq!(p.user_name(""), "");
        assert_eq!(p.user_name("abc"), "abc");
        // Java throws here (the split is empty); never for a real digest id.
        assert_eq!(p.user_name("::"), "");
    }

    #[test]
    fn algorithm_names() {
        for name in ["SHA1", "sha1", "SHA-1", "sha", "OID.1.3.14.3.2.26"] {
            assert_eq!(
                DigestAlgorithm::from_java_name(name),
                Ok(DigestAlgorithm::Sha1)
            );
        }
        for name in ["SHA-256", "MD5", "", "SHA3-256"] {
            assert_eq!(
                DigestAlgorithm::from_java_name(name),
                Err(AuthConfigError::UnsupportedDigestAlgorithm(name.to_owned()))
            );
        }
    }

    proptest! {
        #[test]
        fn any_auth_data_authenticates(data in proptest::collection::vec(any::<u8>(), 0..64)) {
            let ids = provider().handle_authentication(&data, "h").unwrap();
            let id = digest_id(&ids);
            // A session's digest id is always a valid ACL id.
            prop_assert!(provider().is_valid(id));
            // The digest part is 28 base64 characters.
            let (_, hash) = id.rsplit_once(':').unwrap();
            prop_assert_eq!(hash.len(), 28);
        }
    }
}
