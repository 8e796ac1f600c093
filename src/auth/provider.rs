//! Authentication providers and the registry that finds them by scheme
//! (`AuthenticationProvider`, `ProviderRegistry`).

use std::collections::BTreeMap;
use std::fmt::Debug;

use jute::data::Id;

use super::digest::{DigestAlgorithm, DigestProvider};
use super::ip::IpProvider;
use super::{AuthConfigError, AuthSettings};
use crate::proto::codes::ErrorCode;

/// One authentication scheme (Java's `AuthenticationProvider`).
pub trait AuthProvider: Debug + Send + Sync {
    /// The scheme name, e.g. `digest`.
    fn scheme(&self) -> &str;

    /// An `AuthPacket` for this scheme (`addauth`): the ids to add to the
    /// connection, or `AuthFailed` (after which the server replies and
    /// closes the connection). `remote_host` is the connection's address as
    /// its `ip` id holds it.
    fn handle_authentication(
        &self,
        auth_data: &[u8],
        remote_host: &str,
    ) -> Result<Vec<Id>, ErrorCode>;

    /// Does a session id of this scheme satisfy an ACL id of this scheme?
    fn matches(&self, id: &str, acl_expr: &str) -> bool;

    /// Whether ids of this scheme identify a user; only those are expanded
    /// by the `auth` ACL scheme.
    fn is_authenticated(&self) -> bool;

    /// Whether `id` is a well-formed ACL id of this scheme (checked on
    /// create and setACL).
    fn is_valid(&self, id: &str) -> bool;

    /// The user name `whoAmI` reports for a session id of this scheme.
    fn user_name(&self, id: &str) -> String {
        id.to_owned()
    }
}

/// The providers of a server, by scheme (`ProviderRegistry`).
///
/// Built in, as in Java: `ip` always, `digest` unless disabled. `world`,
/// `auth` and `super` are not providers: `world:anyone` and `super` ids are
/// handled by the ACL check itself and `auth` by the ACL fix-up, so an
/// `addauth` with any of them fails. Providers for `sasl`, `x509` or custom
/// schemes (Java's `zookeeper.authProvider.N`) can be added with
/// [`ProviderRegistry::register`].
#[derive(Debug)]
pub struct ProviderRegistry {
    providers: BTreeMap<String, Box<dyn AuthProvider>>,
}

impl ProviderRegistry {
    /// The built-in providers configured by `settings`. Fails if the digest
    /// algorithm is not supported (Java fails to start then, too).
    pub fn new(settings: &AuthSettings) -> Result<Self, AuthConfigError> {
        let mut registry = ProviderRegistry::empty();
        registry.register(Box::new(IpProvider));
        if settings.digest_enabled {
            let algorithm = DigestAlgorithm::from_java_name(&settings.digest_algorithm)?;
            registry.register(Box::new(DigestProvider::new(
                algorithm,
                settings.super_digest.clone(),
            )));
        }
        Ok(registry)
    }

    /// A registry without any provider.
    pub fn empty() -> Self {
        ProviderRegistry {
            providers: BTreeMap::new(),
        }
    }

    /// Adds a provider, replacing (and returning) any for the same scheme.
    pub fn register(&mut self, provider: Box<dyn AuthProvider>) -> Option<Box<dyn AuthProvider>> {
        self.providers
            .insert(provider.scheme().to_owned(), provider)
    }

    /// The provider for `scheme`.
    pub fn provider(&self, scheme: &str) -> Option<&dyn AuthProvider> {
        self.providers.get(scheme).map(|p| p.as_ref())
    }

    /// The registered schemes, sorted.
    pub fn schemes(&self) -> impl Iterator<Item = &str> {
        self.providers.keys().map(String::as_str)
    }

    /// `processPacket`'s handling of an `AuthPacket`: the ids to add to the
    /// connection's [`super::AuthIds`], in order, or `AuthFailed` for a
    /// scheme without provider or credentials the provider rejects.
    pub fn authenticate(
        &self,
        scheme: &str,
        auth_data: &[u8],
        remote_host: &str,
    ) -> Result<Vec<Id>, ErrorCode> {
        let provider = self.provider(scheme).ok_or(ErrorCode::AuthFailed)?;
        match provider.handle_authentication(auth_data, remote_host) {
            Ok(ids) => Ok(ids),
            Err(_) => Err(ErrorCode::AuthFailed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_providers() {
        let registry = ProviderRegistry::new(&AuthSettings::default()).unwrap();
        assert_eq!(registry.schemes().collect::<Vec<_>>(), ["digest", "ip"]);
        let no_digest = AuthSettings {
            digest_enabled: false,
            ..AuthSettings::default()
        };
        let registry = ProviderRegistry::new(&no_digest).unwrap();
        assert_eq!(registry.schemes().collect::<Vec<_>>(), ["ip"]);
        let bad = AuthSettings {
            digest_algorithm: "SHA-256".into(),
            ..AuthSettings::default()
        };
        assert_eq!(
            ProviderRegistry::new(&bad).unwrap_err(),
            AuthConfigError::UnsupportedDigestAlgorithm("SHA-256".into())
        );
        // A disabled provider's algorithm is never looked at.
        let bad_but_off = AuthSettings {
            digest_enabled: false,
            ..bad
        };
        assert!(ProviderRegistry::new(&bad_but_off).is_ok());
    }

    #[test]
    fn authenticate_outcomes() {
        let registry = ProviderRegistry::new(&AuthSettings::default()).unwrap();
        for scheme in ["world", "auth", "super", "sasl", "x509", "", "DIGEST"] {
            assert_eq!(
                registry.authenticate(scheme, b"a:b", "1.2.3.4"),
                Err(ErrorCode::AuthFailed),
                "{scheme}"
            );
        }
        let ids = registry.authenticate("ip", b"", "1.2.3.4").unwrap();
        assert_eq!(ids[0].id.as_deref(), Some("1.2.3.4"));
        let ids = registry.authenticate("digest", b"", "1.2.3.4").unwrap();
        assert_eq!(ids[0].id.as_deref(), Some(":2jmj7l5rSw0yVb/vlWAYkK/YBwk="));
        let off = ProviderRegistry::new(&AuthSettings {
            digest_enabled: false,
            ..AuthSettings::default()
        })
        .unwrap();
        assert_eq!(
            off.authenticate("digest", b"a:b", "h"),
            Err(ErrorCode::AuthFailed)
        );
    }

    #[derive(Debug)]
    struct Refusing;

    impl AuthProvider for Refusing {
        fn scheme(&self) -> &str {
            "sasl"
        }
        fn handle_authentication(&self, _: &[u8], _: &str) -> Result<Vec<Id>, ErrorCode> {
            Err(ErrorCode::SystemError)
        }
        fn matches(&self, id: &str, acl_expr: &str) -> bool {
            id == acl_expr
        }
        fn is_authenticated(&self) -> bool {
            true
        }
        fn is_valid(&self, _: &str) -> bool {
            true
        }
    }

    #[test]
    fn registered_providers_take_part() {
        let mut registry = ProviderRegistry::new(&AuthSettings::default()).unwrap();
        assert!(registry.register(Box::new(Refusing)).is_none());
        assert!(registry.provider("sasl").is_some());
        // Any failure of a provider is reported as AuthFailed.
        assert_eq!(
            registry.authenticate("sasl", b"", "h"),
            Err(ErrorCode::AuthFailed)
        );
    }
}
