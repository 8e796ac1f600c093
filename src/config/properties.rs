//! A faithful reader for `java.util.Properties` files (the format of
//! `zoo.cfg` and of the dynamic configuration files).
//!
//! The rules, as implemented by the JDK 9+ `Properties.load`:
//!
//! * Input read from a file is ISO-8859-1: every byte is one character
//!   (`Properties.load(InputStream)`); see [`Properties::load_latin1`].
//! * Lines end at `\n`, `\r` or `\r\n`. Leading spaces, tabs and form feeds of
//!   a line are skipped; blank lines are ignored.
//! * A line whose first non-blank character is `#` or `!` is a comment.
//!   Comments never continue onto the next line.
//! * A line ending in an odd number of backslashes continues on the next
//!   line; the backslash is dropped and so is the leading whitespace of the
//!   continuation line. A continuation line that starts with `#` or `!`
//!   after a line consisting only of the backslash is a comment (JDK 9+).
//! * The key ends at the first unescaped `=`, `:`, space, tab or form feed.
//!   Whitespace after the key is skipped, then at most one `=` or `:`, then
//!   more whitespace; the rest of the line is the value, trailing whitespace
//!   included.
//! * In keys and values `\t`, `\n`, `\r`, `\f` and `\uXXXX` are escapes;
//!   any other escaped character stands for itself. A malformed `\uXXXX` is
//!   an error for the whole file (`IllegalArgumentException` in Java).
//! * Later duplicates override earlier ones.
//!
//! Java strings may hold unpaired UTF-16 surrogates (from `\uD800` escapes);
//! Rust strings cannot, so an unpaired surrogate becomes U+FFFD. Escaped
//! surrogate pairs (`\uD83D\uDE00`) are combined as Java would.

use std::collections::HashMap;
use std::fmt;

/// One key/value pair, with the (1-based) line its logical line started on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    /// The key after escape processing (not trimmed).
    pub key: String,
    /// The value after escape processing (trailing whitespace kept).
    pub value: String,
    /// The physical line on which the key's logical line starts.
    pub line: usize,
}

/// The loaded properties, in the order in which each key first appeared.
/// A key given more than once keeps its first position but takes the value
/// and line of its last occurrence.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Properties {
    entries: Vec<Property>,
    index: HashMap<String, usize>,
}

/// A syntax error that makes Java's `Properties.load` throw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertiesError {
    /// The line on which the offending logical line starts.
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

impl fmt::Display for PropertiesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

impl std::error::Error for PropertiesError {}

/// Decodes bytes as ISO-8859-1, as `Properties.load(InputStream)` does.
pub fn decode_latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

impl Properties {
    /// An empty set of properties.
    pub fn new() -> Self {
        Self::default()
    }

    /// Loads properties from file bytes (ISO-8859-1), like
    /// `Properties.load(InputStream)`.
    pub fn load_latin1(bytes: &[u8]) -> Result<Self, PropertiesError> {
        Self::load(&decode_latin1(bytes))
    }

    /// Loads properties from already decoded text, like
    /// `Properties.load(Reader)`.
    pub fn load(text: &str) -> Result<Self, PropertiesError> {
        let chars: Vec<char> = text.chars().collect();
        let mut properties = Properties::new();
        for line in LogicalLines::new(&chars) {
            let (key, value) = split_key_value(&line.chars);
            let key = unescape(key).map_err(|reason| PropertiesError {
                line: line.start_line,
                reason,
            })?;
            let value = unescape(value).map_err(|reason| PropertiesError {
                line: line.start_line,
                reason,
            })?;
            properties.insert(key, value, line.start_line);
        }
        Ok(properties)
    }

    /// Sets `key` to `value`; an existing key keeps its position.
    pub fn insert(&mut self, key: String, value: String, line: usize) {
        match self.index.get(&key) {
            Some(&position) => {
                let entry = &mut self.entries[position];
                entry.value = value;
                entry.line = line;
            }
            None => {
                self.index.insert(key.clone(), self.entries.len());
                self.entries.push(Property { key, value, line });
            }
        }
    }

    /// The value of `key` (exact match, as `Properties.getProperty`).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.property(key).map(|p| p.value.as_str())
    }

    /// The entry for `key`, with its line.
    pub fn property(&self, key: &str) -> Option<&Property> {
        self.index.get(key).map(|&position| &self.entries[position])
    }

    /// Whether `key` is present (exact match).
    pub fn contains_key(&self, key: &str) -> bool {
        self.index.contains_key(key)
    }

    /// The entries in first-appearance order.
    pub fn iter(&self) -> std::slice::Iter<'_, Property> {
        self.entries.iter()
    }

    /// The number of distinct keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no keys at all.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<'a> IntoIterator for &'a Properties {
    type Item = &'a Property;
    type IntoIter = std::slice::Iter<'a, Property>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// A logical line: continuation lines joined, comments and blank lines gone.
struct LogicalLine {
    chars: Vec<char>,
    start_line: usize,
}

/// Splits input into logical lines exactly as the JDK's `LineReader` does.
struct LogicalLines<'a> {
    input: &'a [char],
    position: usize,
    /// The physical line of `input[position]`.
    line: usize,
}

impl<'a> LogicalLines<'a> {
    fn new(input: &'a [char]) -> Self {
        LogicalLines {
            input,
            position: 0,
            line: 1,
        }
    }

    /// Takes the next character, keeping the physical line count (a `\r\n`
    /// pair counts as one line break).
    fn next_char(&mut self) -> Option<char> {
        let c = *self.input.get(self.position)?;
        self.position += 1;
        let ends_line = match c {
            '\n' => true,
            '\r' => self.input.get(self.position) != Some(&'\n'),
            _ => false,
        };
        if ends_line {
            self.line += 1;
        }
        Some(c)
    }

    fn peek(&self) -> Option<char> {
        self.input.get(self.position).copied()
    }
}

impl Iterator for LogicalLines<'_> {
    type Item = LogicalLine;

    fn next(&mut self) -> Option<LogicalLine> {
        let mut chars: Vec<char> = Vec::new();
        let mut start_line = self.line;
        let mut skip_whitespace = true;
        let mut appended_line_begin = false;
        let mut preceding_backslash = false;
        loop {
            let line_of_c = self.line;
            let Some(c) = self.next_char() else {
                // End of input.
                if chars.is_empty() {
                    return None;
                }
                if preceding_backslash {
                    chars.pop();
                }
                return Some(LogicalLine { chars, start_line });
            };
            if skip_whitespace {
                if matches!(c, ' ' | '\t' | '\x0c') {
                    continue;
                }
                if !appended_line_begin && matches!(c, '\r' | '\n') {
                    continue;
                }
                skip_whitespace = false;
                appended_line_begin = false;
            }
            if chars.is_empty() && matches!(c, '#' | '!') {
                // A comment: skip to the end of the physical line.
                while let Some(skipped) = self.next_char() {
                    if matches!(skipped, '\r' | '\n') {
                        break;
                    }
                }
                skip_whitespace = true;
                continue;
            }
            if c != '\n' && c != '\r' {
                if chars.is_empty() {
                    start_line = line_of_c;
                }
                chars.push(c);
                preceding_backslash = c == '\\' && !preceding_backslash;
                continue;
            }
            // End of a physical line.
            if chars.is_empty() {
                skip_whitespace = true;
                continue;
            }
            if !preceding_backslash {
                return Some(LogicalLine { chars, start_line });
            }
            if self.peek().is_none() {
                chars.pop();
                return Some(LogicalLine { chars, start_line });
            }
            // Continuation: drop the backslash, skip the next line's indent.
            chars.pop();
            skip_whitespace = true;
            appended_line_begin = true;
            preceding_backslash = false;
            if c == '\r' && self.peek() == Some('\n') {
                self.next_char();
            }
        }
    }
}

/// Splits a logical line into its raw (still escaped) key and value.
fn split_key_value(line: &[char]) -> (&[char], &[char]) {
    let mut key_len = 0;
    let mut value_start = line.len();
    let mut has_separator = false;
    let mut preceding_backslash = false;
    while key_len < line.len() {
        let c = line[key_len];
        if !preceding_backslash {
            if c == '=' || c == ':' {
                value_start = key_len + 1;
                has_separator = true;
                break;
            }
            if matches!(c, ' ' | '\t' | '\x0c') {
                value_start = key_len + 1;
                break;
            }
        }
        preceding_backslash = c == '\\' && !preceding_backslash;
        key_len += 1;
    }
    while value_start < line.len() {
        let c = line[value_start];
        if !matches!(c, ' ' | '\t' | '\x0c') {
            if !has_separator && (c == '=' || c == ':') {
                has_separator = true;
            } else {
                break;
            }
        }
        value_start += 1;
    }
    (&line[..key_len], &line[value_start..])
}

/// Accumulates UTF-16 code units from escapes into a Rust string.
struct Utf16Builder {
    out: String,
    pending_high_surrogate: Option<u16>,
}

impl Utf16Builder {
    fn new() -> Self {
        Utf16Builder {
            out: String::new(),
            pending_high_surrogate: None,
        }
    }

    fn flush(&mut self) {
        if self.pending_high_surrogate.take().is_some() {
            self.out.push(char::REPLACEMENT_CHARACTER);
        }
    }

    fn push_char(&mut self, c: char) {
        self.flush();
        self.out.push(c);
    }

    fn push_unit(&mut self, unit: u16) {
        match unit {
            0xD800..=0xDBFF => {
                self.flush();
                self.pending_high_surrogate = Some(unit);
            }
            0xDC00..=0xDFFF => match self.pending_high_surrogate.take() {
                Some(high) => {
                    let combined =
                        0x10000 + ((u32::from(high) - 0xD800) << 10) + (u32::from(unit) - 0xDC00);
                    self.out
                        .push(char::from_u32(combined).unwrap_or(char::REPLACEMENT_CHARACTER));
                }
                None => self.out.push(char::REPLACEMENT_CHARACTER),
            },
            _ => self
                .push_char(char::from_u32(u32::from(unit)).unwrap_or(char::REPLACEMENT_CHARACTER)),
        }
    }

    fn finish(mut self) -> String {
        self.flush();
        self.out
    }
}

/// Processes backslash escapes (`Properties.loadConvert`).
fn unescape(raw: &[char]) -> Result<String, String> {
    let mut out = Utf16Builder::new();
    let mut position = 0;
    while position < raw.len() {
        let c = raw[position];
        position += 1;
        if c != '\\' {
            out.push_char(c);
            continue;
        }
        // The line reader never leaves an unpaired trailing backslash, but
        // stay total anyway.
        let Some(&escaped) = raw.get(position) else {
            break;
        };
        position += 1;
        match escaped {
            'u' => {
                let digits = raw
                    .get(position..position + 4)
                    .ok_or_else(|| "malformed \\uxxxx encoding".to_string())?;
                let mut unit: u16 = 0;
                for digit in digits {
                    let value = digit
                        .to_digit(16)
                        .ok_or_else(|| "malformed \\uxxxx encoding".to_string())?;
                    unit = (unit << 4) | value as u16;
                }
                position += 4;
                out.push_unit(unit);
            }
            't' => out.push_char('\t'),
            'r' => out.push_char('\r'),
            'n' => out.push_char('\n'),
            'f' => out.push_char('\x0c'),
            other => out.push_char(other),
        }
    }
    Ok(out.finish())
}

/// Escapes a key so that [`Properties::load`] reads it back unchanged
/// (separators, whitespace, comment starters, backslashes, control and
/// non-ASCII characters).
pub fn escape_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for (index, c) in key.chars().enumerate() {
        match c {
            '=' | ':' | ' ' => {
                out.push('\\');
                out.push(c);
            }
            '#' | '!' if index == 0 => {
                out.push('\\');
                out.push(c);
            }
            _ => push_escaped_char(&mut out, c),
        }
    }
    out
}

/// Escapes a value so that [`Properties::load`] reads it back unchanged.
/// Separators inside a value need no escape, so `host:2888:3888` stays
/// readable.
pub fn escape_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for (index, c) in value.chars().enumerate() {
        if index == 0 && matches!(c, ' ' | '=' | ':') {
            out.push('\\');
            out.push(c);
        } else {
            push_escaped_char(&mut out, c);
        }
    }
    out
}

fn push_escaped_char(out: &mut String, c: char) {
    match c {
        '\\' => out.push_str("\\\\"),
        '\t' => out.push_str("\\t"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\x0c' => out.push_str("\\f"),
        ' '..='~' => out.push(c),
        _ => {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04X}"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pairs(text: &str) -> Vec<(String, String, usize)> {
        Properties::load(text)
            .expect("valid properties")
            .iter()
            .map(|p| (p.key.clone(), p.value.clone(), p.line))
            .collect()
    }

    fn kv(text: &str) -> Vec<(String, String)> {
        pairs(text).into_iter().map(|(k, v, _)| (k, v)).collect()
    }

    fn one(key: &str, value: &str) -> Vec<(String, String)> {
        vec![(key.to_string(), value.to_string())]
    }

    #[test]
    fn separators_equals_colon_and_whitespace() {
        assert_eq!(kv("a=b"), one("a", "b"));
        assert_eq!(kv("a:b"), one("a", "b"));
        assert_eq!(kv("a b"), one("a", "b"));
        assert_eq!(kv("a\tb"), one("a", "b"));
        assert_eq!(kv("a\x0cb"), one("a", "b"));
        assert_eq!(kv("a = b"), one("a", "b"));
        assert_eq!(kv("a  :  b"), one("a", "b"));
        // Only one separator is consumed after whitespace.
        assert_eq!(kv("a = = b"), one("a", "= b"));
        assert_eq!(kv("a==b"), one("a", "=b"));
        assert_eq!(kv("a:=b"), one("a", "=b"));
        assert_eq!(kv("a b=c"), one("a", "b=c"));
        // The rest of the line, separators included, is the value.
        assert_eq!(kv("server.1=h:2888:3888"), one("server.1", "h:2888:3888"));
    }

    #[test]
    fn keys_without_values() {
        assert_eq!(kv("a"), one("a", ""));
        assert_eq!(kv("a="), one("a", ""));
        assert_eq!(kv("a   "), one("a", ""));
        assert_eq!(kv("=b"), one("", "b"));
        assert_eq!(kv(":"), one("", ""));
    }

    #[test]
    fn whitespace_handling() {
        assert_eq!(kv("   a=b"), one("a", "b"));
        assert_eq!(kv("\t\x0c a=b"), one("a", "b"));
        // Trailing whitespace of a value is kept by Properties itself.
        assert_eq!(kv("a=b  \t"), one("a", "b  \t"));
        assert_eq!(kv("a=   b"), one("a", "b"));
        // Other control characters are not whitespace to Properties.
        assert_eq!(kv("\x01a=b"), one("\x01a", "b"));
        assert_eq!(kv("\x0ba=b"), one("\x0ba", "b"));
    }

    #[test]
    fn comments_and_blank_lines() {
        assert!(kv("# comment\n! other\n\n   \n\t# indented").is_empty());
        assert_eq!(kv("#a=b\na=c"), one("a", "c"));
        assert_eq!(kv("a=b # not a comment"), one("a", "b # not a comment"));
        assert_eq!(kv("a=#b"), one("a", "#b"));
        // A comment never continues, even with a trailing backslash.
        assert_eq!(kv("# comment \\\na=b"), one("a", "b"));
        assert_eq!(kv("! comment \\\n  a=b"), one("a", "b"));
        // An escaped comment character starts a key.
        assert_eq!(kv("\\#a=b"), one("#a", "b"));
    }

    #[test]
    fn line_terminators() {
        assert_eq!(
            kv("a=1\nb=2"),
            vec![("a".into(), "1".into()), ("b".into(), "2".into())]
        );
        assert_eq!(
            kv("a=1\rb=2"),
            vec![("a".into(), "1".into()), ("b".into(), "2".into())]
        );
        assert_eq!(
            kv("a=1\r\nb=2\r\n"),
            vec![("a".into(), "1".into()), ("b".into(), "2".into())]
        );
    }

    #[test]
    fn continuation_lines() {
        assert_eq!(kv("a=b\\\n   c"), one("a", "bc"));
        assert_eq!(kv("a=b\\\r\n   c"), one("a", "bc"));
        assert_eq!(kv("a=b\\\r   c"), one("a", "bc"));
        assert_eq!(kv("a\\\n  =b"), one("a", "b"));
        assert_eq!(kv("a=b\\\n\\\n  c"), one("a", "bc"));
        // An even number of backslashes does not continue.
        assert_eq!(
            kv("a=b\\\\\nc=d"),
            vec![("a".into(), "b\\".into()), ("c".into(), "d".into())]
        );
        // A backslash at the end of input is dropped.
        assert_eq!(kv("a=b\\"), one("a", "b"));
        assert_eq!(kv("a=b\\\n"), one("a", "b"));
        // A blank line after a continuation ends the logical line.
        assert_eq!(
            kv("a=b\\\n\nc=d"),
            vec![("a".into(), "b".into()), ("c".into(), "d".into())]
        );
        // '#' after a continuation is an ordinary character ...
        assert_eq!(kv("a=b\\\n #c"), one("a", "b#c"));
        // ... unless the logical line is still empty (JDK 9+ LineReader).
        assert_eq!(kv("\\\n#x=1\ny=2"), one("y", "2"));
    }

    #[test]
    fn lone_backslash_lines_give_an_empty_key() {
        assert_eq!(kv("\\"), one("", ""));
        assert_eq!(kv("\\\n"), one("", ""));
    }

    #[test]
    fn escapes() {
        assert_eq!(kv("a\\=b=c"), one("a=b", "c"));
        assert_eq!(kv("a\\:b:c"), one("a:b", "c"));
        assert_eq!(kv("a\\ b c"), one("a b", "c"));
        assert_eq!(kv("a=\\ b"), one("a", " b"));
        assert_eq!(kv("a=\\t\\n\\r\\f"), one("a", "\t\n\r\x0c"));
        assert_eq!(kv("a=\\b\\q\\\\"), one("a", "bq\\"));
        assert_eq!(kv("a=\\u0041\\u00e9"), one("a", "A\u{e9}"));
        assert_eq!(kv("\\u0061=1"), one("a", "1"));
        assert_eq!(kv("a=\\uD83D\\uDE00"), one("a", "\u{1F600}"));
        assert_eq!(kv("a=\\uD83Dx"), one("a", "\u{FFFD}x"));
        assert_eq!(kv("a=\\uDE00"), one("a", "\u{FFFD}"));
        assert_eq!(kv("a=C:\\\\zk\\\\data"), one("a", "C:\\zk\\data"));
    }

    #[test]
    fn malformed_unicode_escapes_are_errors() {
        for text in [
            "a=\\u12",
            "a=\\u12G4",
            "a=\\u",
            "x=1\n\\uzzzz=1",
            "a=\\u12\\\\",
        ] {
            let error = Properties::load(text).expect_err(text);
            assert!(error.reason.contains("malformed"), "{text}: {error}");
        }
        let error = Properties::load("x=1\n\n  a=\\u12").expect_err("malformed");
        assert_eq!(error.line, 3);
    }

    #[test]
    fn later_duplicates_override_but_keep_position() {
        assert_eq!(
            pairs("a=1\nb=2\na=3"),
            vec![("a".into(), "3".into(), 3), ("b".into(), "2".into(), 2)]
        );
    }

    #[test]
    fn line_numbers_are_where_the_logical_line_starts() {
        let text = "# c\n\na=1\r\n  b=2\\\n    3\nc=4\r\r  d=5";
        assert_eq!(
            pairs(text),
            vec![
                ("a".into(), "1".into(), 3),
                ("b".into(), "23".into(), 4),
                ("c".into(), "4".into(), 6),
                ("d".into(), "5".into(), 8),
            ]
        );
    }

    #[test]
    fn latin1_input() {
        let properties =
            Properties::load_latin1(b"dir=/tmp/\xe9t\xe9\nutf8=\xc3\xa9").expect("valid");
        assert_eq!(properties.get("dir"), Some("/tmp/\u{e9}t\u{e9}"));
        // UTF-8 bytes are two Latin-1 characters, as in Java.
        assert_eq!(properties.get("utf8"), Some("\u{c3}\u{a9}"));
    }

    #[test]
    fn escaping_round_trips() {
        for (key, value) in [
            ("a", "b"),
            ("with space", " leading"),
            ("k=:", "=v:"),
            ("#hash", "#v"),
            ("tab\tnl\n", "back\\slash\r\x0c"),
            ("\u{e9}", "\u{1F600}\u{FFFD}"),
            ("", ""),
        ] {
            let line = format!("{}={}", escape_key(key), escape_value(value));
            assert_eq!(kv(&line), one(key, value), "{line}");
        }
        assert_eq!(
            escape_value("h:2888:3888:participant"),
            "h:2888:3888:participant"
        );
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(text in "\\PC*") {
            let _ = Properties::load(&text);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = Properties::load_latin1(&bytes);
        }

        #[test]
        fn property_syntax_soup_never_panics(
            text in proptest::collection::vec(
                prop_oneof![
                    Just("\\"), Just("\\u"), Just("="), Just(":"), Just(" "), Just("\t"),
                    Just("\n"), Just("\r"), Just("#"), Just("!"), Just("a"), Just("0"),
                    Just("\u{e9}"), Just("\x0c"),
                ],
                0..64,
            ).prop_map(|parts| parts.concat())
        ) {
            let _ = Properties::load(&text);
        }

        #[test]
        fn escaped_pairs_round_trip(key in "\\PC{0,12}", value in "\\PC{0,12}") {
            let line = format!("{}={}", escape_key(&key), escape_value(&value));
            let loaded = Properties::load(&line).expect("escaped text is valid");
            prop_assert_eq!(loaded.get(&key), Some(value.as_str()));
        }
    }
}
