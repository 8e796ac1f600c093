//! Authentication and ACLs as ZooKeeper 3.9.5 does them: the auth ids of a
//! connection, the `ip` and `digest` providers (and room for more), `addauth`,
//! the ACL check, the ACL fix-up of create/setACL, `whoAmI` and getACL's
//! masking of digest ids.
//!
//! | Java | Rust |
//! |---|---|
//! | `ServerCnxn.authInfo` (a `ConcurrentHashMap` set) | [`AuthIds`] |
//! | `InetAddress.getHostAddress()` | [`java_host_address`], [`java_socket_host_address`] |
//! | `ProviderRegistry`, `AuthenticationProvider` | [`ProviderRegistry`], [`AuthProvider`] |
//! | `DigestAuthenticationProvider` | [`DigestProvider`], [`generate_digest`] |
//! | `IPAuthenticationProvider` | [`IpProvider`] |
//! | `processPacket`'s `AuthPacket` branch | [`ProviderRegistry::authenticate`] |
//! | `ZooKeeperServer.checkACL` | [`ProviderRegistry::check_acl`] |
//! | `PrepRequestProcessor.fixupACL` | [`ProviderRegistry::fixup_acl`] |
//! | `AuthUtil.getClientInfos` (whoAmI) | [`ProviderRegistry::who_am_i`] |
//! | getACL's `replaceAll(":.*", ":x")` | [`mask_digest_acls`] |
//!
//! A typical connection:
//!
//! ```
//! use rzk::auth::{AuthIds, AuthSettings, ProviderRegistry};
//! use rzk::proto::codes::perms;
//!
//! let registry = ProviderRegistry::new(&AuthSettings::default()).unwrap();
//! let mut ids = AuthIds::for_connection("127.0.0.1");
//! ids.extend(registry.authenticate("digest", b"bob:secret", "127.0.0.1").unwrap());
//! let acl = registry
//!     .fixup_acl(&ids.to_vec(), Some(&[rzk::auth::creator_all_acl()]))
//!     .unwrap();
//! assert_eq!(acl[0].id.id.as_deref(), Some("bob:fyVmFCwVbTJYrznoSu1koqYEYF0="));
//! assert!(registry.check_acl(&acl, perms::WRITE, &ids.to_vec(), false).is_ok());
//! ```

mod acl;
mod digest;
mod ids;
mod ip;
mod java;
mod provider;

use jute::data::{Id, ACL};

pub use acl::mask_digest_acls;
pub use digest::{generate_digest, DigestAlgorithm, DigestProvider};
pub use ids::{ip_id, java_host_address, java_id_hash, java_socket_host_address, AuthIds};
pub use ip::IpProvider;
pub use provider::{AuthProvider, ProviderRegistry};

use crate::config::zkprops::ZooKeeperProperties;
use crate::proto::codes::perms;

/// The settings of the built-in providers (Java system properties).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthSettings {
    /// `zookeeper.DigestAuthenticationProvider.enabled` (default true).
    pub digest_enabled: bool,
    /// `zookeeper.DigestAuthenticationProvider.digestAlg` (default `SHA1`).
    pub digest_algorithm: String,
    /// `zookeeper.DigestAuthenticationProvider.superDigest`:
    /// `user:base64(sha1("user:password"))` of the super user, if any.
    pub super_digest: Option<String>,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            digest_enabled: true,
            digest_algorithm: "SHA1".to_owned(),
            super_digest: None,
        }
    }
}

impl AuthSettings {
    /// The settings from the server's typed `zookeeper.*` properties.
    pub fn from_properties(properties: &ZooKeeperProperties) -> Self {
        AuthSettings {
            digest_enabled: properties.digest_auth_enabled,
            digest_algorithm: properties.digest_algorithm.clone(),
            super_digest: properties.super_digest.clone(),
        }
    }
}

/// A configuration the providers cannot work with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthConfigError {
    /// `digestAlg` names a hash rzk does not implement.
    UnsupportedDigestAlgorithm(String),
}

impl std::fmt::Display for AuthConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuthConfigError::UnsupportedDigestAlgorithm(name) => write!(
                f,
                "unsupported ACL digest algorithm {name:?} \
                 (zookeeper.DigestAuthenticationProvider.digestAlg): rzk supports only SHA1"
            ),
        }
    }
}

impl std::error::Error for AuthConfigError {}

fn id(scheme: &str, id: &str) -> Id {
    Id {
        scheme: Some(scheme.to_owned()),
        id: Some(id.to_owned()),
    }
}

/// `ZooDefs.Ids.OPEN_ACL_UNSAFE`'s entry: `world:anyone` with all perms.
pub fn open_acl_unsafe() -> ACL {
    ACL {
        perms: perms::ALL,
        id: id("world", "anyone"),
    }
}

/// `ZooDefs.Ids.CREATOR_ALL_ACL`'s entry: `auth:` with all perms.
pub fn creator_all_acl() -> ACL {
    ACL {
        perms: perms::ALL,
        id: id("auth", ""),
    }
}

/// `ZooDefs.Ids.READ_ACL_UNSAFE`'s entry: `world:anyone` with READ.
pub fn read_acl_unsafe() -> ACL {
    ACL {
        perms: perms::READ,
        id: id("world", "anyone"),
    }
}

#[cfg(test)]
mod tests;
