//! The request pipeline, in ZooKeeper's stages: **prepare** (validate,
//! check ACLs, assign the zxid, turn the request into a transaction) →
//! **log** (append, group fsync) → **apply** (data tree, watches) →
//! **reply** (in request order per session).

pub mod paths;
pub mod prepare;
