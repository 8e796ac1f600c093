//! The snapshot a leader sends a learner in a SNAP sync (`LearnerHandler`
//! → `Learner.syncWithLeader`): right after the `SNAP` packet, the
//! sessions, ACL cache and nodes (`ZKDatabase.serializeSnapshot`, no file
//! header, seals or trailers), then the `ustring "BenWasHere"`. The learner
//! sets the tree's last processed zxid to the `SNAP` packet's zxid.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};

use jute::data::ACL;

use super::format::{parse_body, read_string, CheckedReader, NodeRecord, SnapshotVisitor};
use super::read::ReadOptions;
use super::write::SnapshotWalk;
use super::{SnapshotError, SYNC_SIGNATURE};
use crate::tree::{DataTree, TreeLoader};

/// A tree received in a SNAP sync.
#[derive(Debug)]
pub struct SyncSnapshot {
    /// The tree (its last processed zxid is still 0: use the packet's).
    pub tree: DataTree,
    /// The sessions and their timeouts.
    pub sessions: BTreeMap<i64, i32>,
    /// Bytes read from the input after the signature (the next quorum
    /// packets), which the caller must process first.
    pub leftover: Vec<u8>,
}

/// Writes the SNAP stream of `tree` and `sessions`, ending with the
/// signature, all at once. The server uses [`SnapshotWalk::new_sync`] to
/// produce it in steps.
pub fn write_sync_snapshot<W: Write>(
    mut out: W,
    tree: &DataTree,
    sessions: impl IntoIterator<Item = (i64, i32)>,
) -> io::Result<W> {
    let mut walk = SnapshotWalk::new_sync(tree, sessions);
    while let Some(super::Chunk::Data(bytes)) = walk.step(tree, 1 << 20) {
        out.write_all(&bytes)?;
    }
    Ok(out)
}

struct Visitor {
    loader: TreeLoader,
    sessions: BTreeMap<i64, i32>,
}

impl SnapshotVisitor for Visitor {
    fn session(&mut self, id: i64, timeout_ms: i32) -> Result<(), SnapshotError> {
        self.sessions.insert(id, timeout_ms);
        Ok(())
    }

    fn acl(&mut self, index: i64, acl: Vec<ACL>) -> Result<(), SnapshotError> {
        self.loader.insert_acl(index, acl);
        Ok(())
    }

    fn node(&mut self, node: NodeRecord) -> Result<(), SnapshotError> {
        Ok(self
            .loader
            .add_node(&node.path, node.data.as_deref(), node.acl, node.stat)?)
    }
}

/// Reads a SNAP stream and its signature (`ZKDatabase.deserializeSnapshot`
/// and the check in `Learner.syncWithLeader`).
pub fn read_sync_snapshot<R: Read>(
    input: R,
    options: &ReadOptions,
) -> Result<SyncSnapshot, SnapshotError> {
    let mut r = CheckedReader::new(input, options.limits);
    let mut visitor = Visitor {
        loader: TreeLoader::new(options.tree),
        sessions: BTreeMap::new(),
    };
    parse_body(&mut r, &mut visitor)?;
    let signature = read_string(&mut r)?;
    if signature.as_deref() != Some(SYNC_SIGNATURE) {
        return Err(SnapshotError::MissingSignature(signature));
    }
    Ok(SyncSnapshot {
        tree: visitor.loader.finish()?,
        sessions: visitor.sessions,
        leftover: r.into_leftover(),
    })
}
