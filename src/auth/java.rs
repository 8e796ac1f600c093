//! Small pieces of the Java standard library whose exact behaviour the auth
//! providers depend on: `String.split`, `Integer.parseInt`,
//! `Character.digit`, `String.hashCode` and one `replaceAll`.

/// `s.split(literal, limit)` for a non-empty literal delimiter (no regex
/// metacharacters), with Java's rules:
/// - `limit > 0`: at most `limit` parts, the last one holding the rest;
/// - `limit == 0`: all parts, then trailing empty parts removed (so a string
///   made only of delimiters gives no parts at all);
/// - `limit < 0`: all parts.
///
/// If the delimiter does not occur, the result is `[s]` (even for `""`).
pub(crate) fn split<'a>(s: &'a str, delimiter: &str, limit: i32) -> Vec<&'a str> {
    if delimiter.is_empty() || !s.contains(delimiter) {
        return vec![s];
    }
    let mut parts: Vec<&str> = if limit > 0 {
        s.splitn(limit as usize, delimiter).collect()
    } else {
        s.split(delimiter).collect()
    };
    if limit == 0 {
        while parts.last().is_some_and(|p| p.is_empty()) {
            parts.pop();
        }
    }
    parts
}

/// `Character.digit(unit, radix)` for radix 10 or 16 and a UTF-16 code unit:
/// ASCII digits and letters, the other Unicode decimal digits of the BMP
/// (Arabic-Indic, Devanagari, fullwidth, …) and the fullwidth Latin letters.
/// Surrogates are never digits.
///
/// The table was printed by OpenJDK 17 (`Character.digit(c, 16)` for every
/// BMP character), i.e. Unicode 13 as Java 17 knows it.
pub(crate) fn char_digit(unit: u16, radix: u32) -> Option<u32> {
    // (first, last, value of first)
    const RUNS: &[(u16, u16, u32)] = &[
        (0x0030, 0x0039, 0),
        (0x0041, 0x0046, 10),
        (0x0061, 0x0066, 10),
        (0x0660, 0x0669, 0),
        (0x06F0, 0x06F9, 0),
        (0x07C0, 0x07C9, 0),
        (0x0966, 0x096F, 0),
        (0x09E6, 0x09EF, 0),
        (0x0A66, 0x0A6F, 0),
        (0x0AE6, 0x0AEF, 0),
        (0x0B66, 0x0B6F, 0),
        (0x0BE6, 0x0BEF, 0),
        (0x0C66, 0x0C6F, 0),
        (0x0CE6, 0x0CEF, 0),
        (0x0D66, 0x0D6F, 0),
        (0x0DE6, 0x0DEF, 0),
        (0x0E50, 0x0E59, 0),
        (0x0ED0, 0x0ED9, 0),
        (0x0F20, 0x0F29, 0),
        (0x1040, 0x1049, 0),
        (0x1090, 0x1099, 0),
        (0x17E0, 0x17E9, 0),
        (0x1810, 0x1819, 0),
        (0x1946, 0x194F, 0),
        (0x19D0, 0x19D9, 0),
        (0x1A80, 0x1A89, 0),
        (0x1A90, 0x1A99, 0),
        (0x1B50, 0x1B59, 0),
        (0x1BB0, 0x1BB9, 0),
        (0x1C40, 0x1C49, 0),
        (0x1C50, 0x1C59, 0),
        (0xA620, 0xA629, 0),
        (0xA8D0, 0xA8D9, 0),
        (0xA900, 0xA909, 0),
        (0xA9D0, 0xA9D9, 0),
        (0xA9F0, 0xA9F9, 0),
        (0xAA50, 0xAA59, 0),
        (0xABF0, 0xABF9, 0),
        (0xFF10, 0xFF19, 0),
        (0xFF21, 0xFF26, 10),
        (0xFF41, 0xFF46, 10),
    ];
    let value = RUNS
        .iter()
        .find(|&&(first, last, _)| (first..=last).contains(&unit))
        .map(|&(first, _, base)| base + u32::from(unit - first))?;
    (value < radix).then_some(value)
}

/// `Integer.parseInt(s, radix)` (radix 10 or 16): an optional `+` or `-`,
/// then at least one digit as [`char_digit`] reads them, and the value must
/// fit in an `int`. `None` where Java throws `NumberFormatException`.
pub(crate) fn parse_int(s: &str, radix: u32) -> Option<i32> {
    let units: Vec<u16> = s.encode_utf16().collect();
    let (negative, digits) = match units.first() {
        Some(&u) if u == u16::from(b'-') => (true, &units[1..]),
        Some(&u) if u == u16::from(b'+') => (false, &units[1..]),
        Some(_) => (false, &units[..]),
        None => return None,
    };
    if digits.is_empty() {
        return None;
    }
    let limit: i64 = if negative { 1 << 31 } else { (1 << 31) - 1 };
    let mut magnitude: i64 = 0;
    for &unit in digits {
        let digit = char_digit(unit, radix)?;
        magnitude = magnitude * i64::from(radix) + i64::from(digit);
        if magnitude > limit {
            return None;
        }
    }
    let value = if negative { -magnitude } else { magnitude };
    i32::try_from(value).ok()
}

/// `String.hashCode()`: `s[0]*31^(n-1) + … + s[n-1]` over UTF-16 code units,
/// wrapping.
pub(crate) fn string_hash(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, unit| {
        h.wrapping_mul(31).wrapping_add(i32::from(unit))
    })
}

/// `s.replaceAll(":.*", ":x")`: every `:` and the rest of its line (`.`
/// stops at Java's line terminators `\n`, `\r`, U+0085, U+2028, U+2029)
/// become `:x`; the next line is searched again.
pub(crate) fn mask_after_colons(s: &str) -> String {
    let is_line_terminator =
        |c: char| matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}');
    let mut out = String::with_capacity(s.len());
    let mut skipping = false;
    for c in s.chars() {
        if skipping {
            if !is_line_terminator(c) {
                continue;
            }
            skipping = false;
            out.push(c);
        } else if c == ':' {
            out.push_str(":x");
            skipping = true;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn split_like_java() {
        assert_eq!(split("a:b", ":", 0), vec!["a", "b"]);
        assert_eq!(split("a:b:", ":", 0), vec!["a", "b"]);
        assert_eq!(split("a::", ":", 0), vec!["a"]);
        assert_eq!(split(":b", ":", 0), vec!["", "b"]);
        assert_eq!(split("::", ":", 0), Vec::<&str>::new());
        assert_eq!(split("", ":", 0), vec![""]);
        assert_eq!(split("", ":", -1), vec![""]);
        assert_eq!(split("1.2.", ".", -1), vec!["1", "2", ""]);
        assert_eq!(split("a/b/c", "/", 2), vec!["a", "b/c"]);
        assert_eq!(split(":::", "::", -1), vec!["", ":"]);
        assert_eq!(split("1::", "::", -1), vec!["1", ""]);
    }

    #[test]
    fn parse_int_like_java() {
        // Integer.parseInt as printed by OpenJDK 17.
        let cases: &[(&str, Option<i32>)] = &[
            ("1", Some(1)),
            ("+1", Some(1)),
            ("-1", Some(-1)),
            ("+", None),
            ("-", None),
            ("", None),
            ("٣", Some(3)),
            ("\u{ff13}", Some(3)),
            ("\u{b2}", None),
            ("2147483647", Some(i32::MAX)),
            ("2147483648", None),
            ("-2147483648", Some(i32::MIN)),
            ("-2147483649", None),
            ("\u{1d7ce}", None),
            ("\u{967}\u{968}", Some(12)),
            ("1a", None),
            (" 1", None),
        ];
        for &(s, want) in cases {
            assert_eq!(parse_int(s, 10), want, "{s:?}");
        }
        let hex: &[(&str, Option<i32>)] = &[
            ("ff", Some(255)),
            ("FF", Some(255)),
            ("\u{ff21}", Some(10)),
            ("\u{ff41}", Some(10)),
            ("\u{ff26}\u{ff26}", Some(255)),
            ("\u{ff27}", None),
            ("-fff", Some(-4095)),
            ("+0", Some(0)),
            ("\u{663}a", Some(58)),
            ("g", None),
        ];
        for &(s, want) in hex {
            assert_eq!(parse_int(s, 16), want, "{s:?}");
        }
    }

    #[test]
    fn hash_like_java() {
        assert_eq!(string_hash(""), 0);
        assert_eq!(string_hash("a"), 97);
        // The well-known "hello".hashCode().
        assert_eq!(string_hash("hello"), 99_162_322);
        // A character outside the BMP counts as two UTF-16 units.
        assert_eq!(string_hash("\u{1F600}"), 0xD83D * 31 + 0xDE00);
    }

    #[test]
    fn mask_like_java() {
        // String.replaceAll(":.*", ":x") as printed by OpenJDK 17.
        let cases = [
            ("user:abc", "user:x"),
            ("user", "user"),
            (":", ":x"),
            ("a:b:c", "a:x"),
            ("a:b\nc:d", "a:x\nc:x"),
            ("a:b\rc:d", "a:x\rc:x"),
            ("a:b\u{2028}c", "a:x\u{2028}c"),
            ("a:b\u{85}c:d", "a:x\u{85}c:x"),
            ("", ""),
        ];
        for (s, want) in cases {
            assert_eq!(mask_after_colons(s), want, "{s:?}");
        }
    }

    proptest! {
        #[test]
        fn parse_int_agrees_with_rust_on_ascii(n in any::<i32>()) {
            prop_assert_eq!(parse_int(&n.to_string(), 10), Some(n));
            prop_assert_eq!(parse_int(&format!("{n:x}"), 16), i32::from_str_radix(&format!("{n:x}"), 16).ok());
        }

        #[test]
        fn never_panics(s in ".*", d in "[:./]{1,2}", limit in -2i32..4) {
            let _ = split(&s, &d, limit);
            let _ = parse_int(&s, 10);
            let _ = parse_int(&s, 16);
            let _ = string_hash(&s);
            let _ = mask_after_colons(&s);
        }
    }
}
