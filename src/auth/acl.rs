//! ACL rules: the permission check (`ZooKeeperServer.checkACL`), the fix-up
//! of ACLs on create/setACL (`PrepRequestProcessor.fixupACL`), `whoAmI`
//! (`AuthUtil.getClientInfos`) and getACL's masking of digest ids.

use jute::data::{ClientInfo, Id, ACL};

use super::java;
use super::provider::ProviderRegistry;
use crate::proto::codes::ErrorCode;

/// What a request gets where Java throws a `NullPointerException` on a null
/// scheme or id: both request processors answer any unexpected exception
/// with `MARSHALLINGERROR`.
const NULL_FIELD: ErrorCode = ErrorCode::MarshallingError;

impl ProviderRegistry {
    /// `checkACL`: may a session holding `auth_ids` do `perm` on a node with
    /// `acl`? Allowed if `skip_acl` (`zookeeper.skipACL=yes`), if the ACL is
    /// empty (a null ACL is passed as empty), if the session holds any
    /// `super` id, or if some entry granting one of the `perm` bits is
    /// `world:anyone` or is matched by the provider of its scheme against
    /// one of the session's ids of that scheme. Otherwise `NoAuth`.
    ///
    /// A null scheme among the session's ids, or a null scheme or id in an
    /// entry granting the bits (impossible through
    /// [`ProviderRegistry::fixup_acl`], only from a crafted snapshot), makes
    /// Java throw (except a digest entry with a null id, which just does not
    /// match); this returns `MarshallingError` for all of them, as the
    /// request would get.
    pub fn check_acl(
        &self,
        acl: &[ACL],
        perm: i32,
        auth_ids: &[Id],
        skip_acl: bool,
    ) -> Result<(), ErrorCode> {
        if skip_acl || acl.is_empty() {
            return Ok(());
        }
        for auth_id in auth_ids {
            if auth_id.scheme.as_deref().ok_or(NULL_FIELD)? == "super" {
                return Ok(());
            }
        }
        for entry in acl.iter().filter(|entry| entry.perms & perm != 0) {
            let scheme = entry.id.scheme.as_deref().ok_or(NULL_FIELD)?;
            if scheme == "world" && entry.id.id.as_deref().ok_or(NULL_FIELD)? == "anyone" {
                return Ok(());
            }
            let Some(provider) = self.provider(scheme) else {
                continue;
            };
            for auth_id in auth_ids
                .iter()
                .filter(|a| a.scheme.as_deref() == Some(scheme))
            {
                let id = auth_id.id.as_deref().ok_or(NULL_FIELD)?;
                let expr = entry.id.id.as_deref().ok_or(NULL_FIELD)?;
                if provider.matches(id, expr) {
                    return Ok(());
                }
            }
        }
        Err(ErrorCode::NoAuth)
    }

    /// `fixupACL`: the ACL a create or setACL request stores.
    ///
    /// - A null or empty list, or one empty after removing duplicates, is
    ///   `InvalidAcl`. Duplicates (equal perms, scheme and id) are removed
    ///   keeping the first.
    /// - Then, entry by entry: a null scheme is `InvalidAcl`; `world:anyone`
    ///   is kept; `auth` (any id) becomes one entry with its perms for each
    ///   of the session's ids whose provider is authenticated (so not `ip`,
    ///   and not `super`, which has no provider), in the session's order —
    ///   none is `InvalidAcl`; any other scheme needs a provider whose
    ///   `is_valid` accepts the id, else `InvalidAcl` (this covers `world`
    ///   with another id, `super`, and unknown schemes).
    /// - Expanded entries are not de-duplicated again.
    ///
    /// Java throws a `NullPointerException` (so the request fails with
    /// `MarshallingError`, in a multi the whole multi) where a null field
    /// meets `equals` or `isValid`: a candidate with a null scheme or id
    /// compared during de-duplication with an earlier entry of the same
    /// perms (and scheme), `world` with a null id, or a null id for a
    /// provider's scheme. Those cases return `MarshallingError` here.
    pub fn fixup_acl(&self, auth_ids: &[Id], acls: Option<&[ACL]>) -> Result<Vec<ACL>, ErrorCode> {
        let unique = remove_duplicates(acls.unwrap_or_default())?;
        if unique.is_empty() {
            return Err(ErrorCode::InvalidAcl);
        }
        let mut fixed = Vec::with_capacity(unique.len());
        for entry in unique {
            let scheme = entry.id.scheme.as_deref().ok_or(ErrorCode::InvalidAcl)?;
            if scheme == "world" && entry.id.id.as_deref().ok_or(NULL_FIELD)? == "anyone" {
                fixed.push(entry.clone());
            } else if scheme == "auth" {
                let before = fixed.len();
                for auth_id in auth_ids {
                    let authenticated = auth_id
                        .scheme
                        .as_deref()
                        .and_then(|s| self.provider(s))
                        .is_some_and(|p| p.is_authenticated());
                    if authenticated {
                        fixed.push(ACL {
                            perms: entry.perms,
                            id: auth_id.clone(),
                        });
                    }
                }
                if fixed.len() == before {
                    return Err(ErrorCode::InvalidAcl);
                }
            } else {
                let provider = self.provider(scheme).ok_or(ErrorCode::InvalidAcl)?;
                let id = entry.id.id.as_deref().ok_or(NULL_FIELD)?;
                if !provider.is_valid(id) {
                    return Err(ErrorCode::InvalidAcl);
                }
                fixed.push(entry.clone());
            }
        }
        Ok(fixed)
    }

    /// `whoAmI` (`AuthUtil.getClientInfos`): one entry per session id, in
    /// order, with the id's scheme and the user name its provider gives, or
    /// `""` for a scheme without provider (such as `super`).
    pub fn who_am_i(&self, auth_ids: &[Id]) -> Vec<ClientInfo> {
        auth_ids
            .iter()
            .map(|id| {
                let user = id
                    .scheme
                    .as_deref()
                    .and_then(|scheme| self.provider(scheme))
                    .zip(id.id.as_deref())
                    .map(|(provider, id)| provider.user_name(id))
                    .unwrap_or_default();
                ClientInfo {
                    auth_scheme: id.scheme.clone(),
                    user: Some(user),
                }
            })
            .collect()
    }
}

/// `removeDuplicates`, including where Java's `ACL.equals` throws: the
/// candidate's scheme (and then id) is dereferenced when an earlier entry has
/// the same perms (and the same scheme).
fn remove_duplicates(acls: &[ACL]) -> Result<Vec<&ACL>, ErrorCode> {
    let mut unique: Vec<&ACL> = Vec::with_capacity(acls.len());
    for candidate in acls {
        let mut duplicate = false;
        for earlier in &unique {
            if candidate.perms != earlier.perms {
                continue;
            }
            let scheme = candidate.id.scheme.as_deref().ok_or(NULL_FIELD)?;
            if Some(scheme) != earlier.id.scheme.as_deref() {
                continue;
            }
            let id = candidate.id.id.as_deref().ok_or(NULL_FIELD)?;
            if Some(id) == earlier.id.id.as_deref() {
                duplicate = true;
                break;
            }
        }
        if !duplicate {
            unique.push(candidate);
        }
    }
    Ok(unique)
}

/// getACL for a caller without ADMIN on the node: every `digest` id
/// `user:hash` is shown as `user:x` (Java's `replaceAll(":.*", ":x")`, so
/// every `:` up to the end of its line). Other entries are unchanged. A
/// digest entry with a null id makes Java throw: `MarshallingError`.
pub fn mask_digest_acls(acls: &[ACL]) -> Result<Vec<ACL>, ErrorCode> {
    acls.iter()
        .map(|entry| {
            if entry.id.scheme.as_deref() != Some("digest") {
                return Ok(entry.clone());
            }
            let id = entry.id.id.as_deref().ok_or(NULL_FIELD)?;
            Ok(ACL {
                perms: entry.perms,
                id: Id {
                    scheme: entry.id.scheme.clone(),
                    id: Some(java::mask_after_colons(id)),
                },
            })
        })
        .collect()
}
