//! Znode path rules (Java's `PathUtils.validatePath`).

/// Why a path is invalid, as Java words it.
pub fn path_error(path: &str) -> Option<String> {
    if path.is_empty() {
        return Some("Path length must be > 0".into());
    }
    if !path.starts_with('/') {
        return Some("Path must start with / character".into());
    }
    if path.len() == 1 {
        return None;
    }
    if path.ends_with('/') {
        return Some("Path must not end with / character".into());
    }
    // Java checks UTF-16 code units: any surrogate (so any character
    // outside the BMP) is invalid, as are control and private-use ones.
    let units: Vec<u16> = path.encode_utf16().collect();
    let unit = |i: usize| units.get(i).copied();
    let slash = u16::from(b'/');
    let dot = u16::from(b'.');
    for i in 1..units.len() {
        let c = units[i];
        let last = units[i - 1];
        let ends_component = |at: usize| at + 1 == units.len() || unit(at + 1) == Some(slash);
        let reason = if c == 0 {
            Some("null character not allowed")
        } else if c == slash && last == slash {
            Some("empty node name specified")
        } else if c == dot && last == dot {
            (i >= 2 && units[i - 2] == slash && ends_component(i))
                .then_some("relative paths not allowed")
        } else if c == dot {
            (last == slash && ends_component(i)).then_some("relative paths not allowed")
        } else if (0x01..=0x1f).contains(&c)
            || (0x7f..=0x9f).contains(&c)
            || (0xd800..=0xf8ff).contains(&c)
            || c >= 0xfff0
        {
            Some("invalid character")
        } else {
            None
        };
        if let Some(reason) = reason {
            return Some(format!(
                "Invalid path string \"{path}\" caused by {reason} @{i}"
            ));
        }
    }
    None
}

/// True if `path` is a valid znode path.
pub fn is_valid_path(path: &str) -> bool {
    path_error(path).is_none()
}

/// The parent of `path` (the part before the last `/`; `""` for children
/// of the root), or `None` if there is no `/`.
pub fn parent_of(path: &str) -> Option<&str> {
    path.rfind('/').map(|i| &path[..i])
}

/// The last component of `path`.
pub fn child_name(path: &str) -> &str {
    path.rfind('/').map_or(path, |i| &path[i + 1..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_and_invalid_paths_follow_java() {
        for ok in [
            "/",
            "/a",
            "/a/b",
            "/a.b",
            "/...",
            "/a/.x",
            "/zookeeper",
            "/é",
            "/日本",
        ] {
            assert!(is_valid_path(ok), "{ok}");
        }
        for bad in [
            "",
            "a",
            "/a/",
            "//",
            "/a//b",
            "/.",
            "/..",
            "/a/./b",
            "/a/..",
            "/a\u{0}b",
            "/a\u{1}",
            "/\u{7f}",
            "/\u{9f}",
            "/😀",
            "/\u{e000}",
            "/\u{fff0}",
        ] {
            assert!(!is_valid_path(bad), "{bad:?}");
        }
        assert_eq!(
            path_error("/a//b").unwrap(),
            "Invalid path string \"/a//b\" caused by empty node name specified @3"
        );
    }

    #[test]
    fn parents_and_names() {
        assert_eq!(parent_of("/a"), Some(""));
        assert_eq!(parent_of("/a/b"), Some("/a"));
        assert_eq!(parent_of("a"), None);
        assert_eq!(child_name("/a/b"), "b");
        assert_eq!(child_name("/"), "");
    }
}
