//! Decoding errors. Every malformed input becomes one of these, never a panic.

use std::fmt;

/// What went wrong while decoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input ended before the value did.
    Truncated { needed: usize, available: usize },
    /// A string or buffer length below −1 (−1 means null).
    NegativeLength(i32),
    /// A string or buffer length above `jute.maxbuffer` + the extra size;
    /// Java rejects these with "Unreasonable length".
    TooLong { length: i32, limit: i32 },
    /// A null (−1) where a value is required: an element of a vector of
    /// strings, buffers or vectors.
    NullElement,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Truncated { needed, available } => write!(
                f,
                "truncated input: needed {needed} bytes, {available} left"
            ),
            ErrorKind::NegativeLength(len) => write!(f, "negative length {len}"),
            ErrorKind::TooLong { length, limit } => {
                write!(f, "unreasonable length {length} (limit {limit})")
            }
            ErrorKind::NullElement => f.write_str("null element in a vector"),
        }
    }
}

/// A decoding error: what, at which byte offset, and in which field of
/// which record (outermost first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    /// Offset from the start of the decoded input.
    pub offset: usize,
    /// `(record, field)` pairs from the outermost record inwards.
    pub fields: Vec<(&'static str, &'static str)>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, offset: usize) -> Self {
        Error {
            kind,
            offset,
            fields: Vec::new(),
        }
    }

    /// Records that the error happened inside `record.field`.
    pub fn in_field(mut self, record: &'static str, field: &'static str) -> Self {
        self.fields.insert(0, (record, field));
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.kind, self.offset)?;
        if !self.fields.is_empty() {
            f.write_str(" in ")?;
            for (i, (record, field)) in self.fields.iter().enumerate() {
                if i > 0 {
                    f.write_str(" > ")?;
                }
                write!(f, "{record}.{field}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// The result of decoding.
pub type Result<T> = std::result::Result<T, Error>;
