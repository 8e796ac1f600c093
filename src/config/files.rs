//! The file reads the configuration parser needs, behind a small trait so
//! that parsing stays testable without touching the disk.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

/// Read access to the files a configuration refers to (the dynamic
/// configuration file, `<zoo.cfg>.dynamic.next` and `dataDir/myid`).
pub(crate) trait FileAccess {
    /// The whole content of `path`.
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;
    /// Whether `path` is an existing regular file (Java's `File.isFile`).
    fn is_file(&self, path: &Path) -> bool;
    /// Whether `path` exists at all (Java's `File.exists`).
    fn exists(&self, path: &Path) -> bool;
}

/// The real file system.
pub(crate) struct OsFiles;

impl FileAccess for OsFiles {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        std::fs::read(path)
    }

    fn is_file(&self, path: &Path) -> bool {
        path.is_file()
    }

    fn exists(&self, path: &Path) -> bool {
        path.exists()
    }
}

/// An in-memory file system for tests.
#[derive(Debug, Default)]
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) struct MemoryFiles {
    files: BTreeMap<PathBuf, Vec<u8>>,
}

#[cfg_attr(not(test), allow(dead_code))]
impl MemoryFiles {
    /// No files at all.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a file.
    pub(crate) fn with(mut self, path: impl Into<PathBuf>, content: impl AsRef<[u8]>) -> Self {
        self.files.insert(path.into(), content.as_ref().to_vec());
        self
    }
}

impl FileAccess for MemoryFiles {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.files
            .get(path)
            .cloned()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "No such file or directory"))
    }

    fn is_file(&self, path: &Path) -> bool {
        self.files.contains_key(path)
    }

    fn exists(&self, path: &Path) -> bool {
        self.files.contains_key(path)
    }
}
