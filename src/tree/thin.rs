//! [`ThinBytes`]: an owned byte string behind one thin pointer (8 bytes
//! instead of a boxed slice's 16). Its length is kept at the start of the
//! allocation, as LEB128, so a short string costs one more byte there; for
//! a znode's name and data that byte almost always fits in the allocator's
//! size-class rounding, while the 8 bytes saved in every node do not.

use std::alloc::{self, Layout};
use std::fmt;
use std::ptr::NonNull;

/// Bytes owned through a thin pointer: `[LEB128 length][bytes]` in one
/// allocation (alignment 1, never empty: a zero length is one byte).
pub(crate) struct ThinBytes {
    ptr: NonNull<u8>,
}

// SAFETY: `ThinBytes` owns its allocation exclusively, like `Box<[u8]>`,
// and only hands out shared references to it from `&self`.
unsafe impl Send for ThinBytes {}
// SAFETY: as above; no interior mutability.
unsafe impl Sync for ThinBytes {}

/// The LEB128 encoding of `value` and its length.
pub(crate) fn leb128(mut value: usize) -> ([u8; 10], usize) {
    let mut out = [0u8; 10];
    let mut n = 0;
    loop {
        let low = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out[n] = low;
            return (out, n + 1);
        }
        out[n] = low | 0x80;
        n += 1;
    }
}

impl ThinBytes {
    /// The concatenation of `parts`.
    pub(crate) fn concat(parts: &[&[u8]]) -> ThinBytes {
        let len = parts
            .iter()
            .try_fold(0usize, |sum, p| sum.checked_add(p.len()))
            .expect("a byte string's length fits in usize");
        let (prefix, prefix_len) = leb128(len);
        let layout = Self::layout(prefix_len, len);
        // SAFETY: the layout's size is at least 1.
        let raw = unsafe { alloc::alloc(layout) };
        let Some(ptr) = NonNull::new(raw) else {
            alloc::handle_alloc_error(layout);
        };
        let mut at = 0;
        for part in std::iter::once(&prefix[..prefix_len]).chain(parts.iter().copied()) {
            // SAFETY: `at + part.len()` stays within the `prefix_len + len`
            // bytes just allocated, which nothing else references.
            unsafe {
                std::ptr::copy_nonoverlapping(part.as_ptr(), ptr.as_ptr().add(at), part.len());
            }
            at += part.len();
        }
        ThinBytes { ptr }
    }

    fn layout(prefix_len: usize, len: usize) -> Layout {
        // A length that fits in memory fits in a layout of alignment 1.
        let size = prefix_len
            .checked_add(len)
            .expect("a byte string's length fits in usize");
        Layout::from_size_align(size, 1).expect("a byte string's layout")
    }

    /// The prefix's length and the bytes' length.
    fn header(&self) -> (usize, usize) {
        let mut len = 0usize;
        let mut at = 0;
        loop {
            // SAFETY: the allocation starts with a complete LEB128 number
            // (written by `concat`), and this stops at its last byte.
            let byte = unsafe { *self.ptr.as_ptr().add(at) };
            len |= usize::from(byte & 0x7f) << (7 * at);
            at += 1;
            if byte & 0x80 == 0 {
                return (at, len);
            }
        }
    }

    /// The bytes.
    pub(crate) fn as_slice(&self) -> &[u8] {
        let (prefix_len, len) = self.header();
        // SAFETY: `len` initialized bytes follow the prefix, owned by self
        // for as long as the returned borrow of self lives.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr().add(prefix_len), len) }
    }
}

impl Drop for ThinBytes {
    fn drop(&mut self) {
        let (prefix_len, len) = self.header();
        // SAFETY: allocated by `concat` with this very layout.
        unsafe { alloc::dealloc(self.ptr.as_ptr(), Self::layout(prefix_len, len)) }
    }
}

impl Clone for ThinBytes {
    fn clone(&self) -> Self {
        ThinBytes::concat(&[self.as_slice()])
    }
}

impl PartialEq for ThinBytes {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for ThinBytes {}

impl fmt::Debug for ThinBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_slice().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn is_one_pointer() {
        assert_eq!(std::mem::size_of::<ThinBytes>(), 8);
        assert_eq!(std::mem::size_of::<Option<ThinBytes>>(), 8);
    }

    #[test]
    fn lengths_across_prefix_sizes() {
        for len in [0, 1, 127, 128, 16_383, 16_384, 70_000] {
            let bytes: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let thin = ThinBytes::concat(&[&bytes]);
            assert_eq!(thin.as_slice(), &bytes[..], "{len}");
            assert_eq!(thin.clone(), thin);
        }
    }

    proptest! {
        #[test]
        fn holds_the_concatenation(parts in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..4)) {
            let slices: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
            let thin = ThinBytes::concat(&slices);
            prop_assert_eq!(thin.as_slice(), &parts.concat()[..]);
            let copy = thin.clone();
            drop(thin);
            prop_assert_eq!(copy.as_slice(), &parts.concat()[..]);
        }
    }
}
