//! Re-implementations of the few `java.lang` parsing and string rules that
//! ZooKeeper's configuration code relies on.
//!
//! Each function names the Java method whose observable behaviour it
//! reproduces. Digits are ASCII only: Java also accepts other Unicode decimal
//! digits (e.g. `\u0663`), which no real configuration uses.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// `String.trim()`: removes every character `<= U+0020` (space and all ASCII
/// control characters) from both ends, but no other Unicode whitespace.
pub fn trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

/// Why a Java number parse failed (`NumberFormatException`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberError {
    /// The string was empty.
    Empty,
    /// A character is not a digit of the radix, or there are no digits.
    NotANumber,
    /// The value does not fit the target type.
    OutOfRange,
}

impl fmt::Display for NumberError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NumberError::Empty => f.write_str("empty value"),
            NumberError::NotANumber => f.write_str("not an integer"),
            NumberError::OutOfRange => f.write_str("out of range"),
        }
    }
}

/// Parses an optionally signed integer of `radix` whose magnitude may not
/// exceed `max_magnitude` (for a negative value) or `max_magnitude - 1`.
fn parse_signed(s: &str, radix: u32, max_magnitude: u128) -> Result<i128, NumberError> {
    let (negative, digits) = match s.as_bytes().first() {
        None => return Err(NumberError::Empty),
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        Some(_) => (false, s),
    };
    if digits.is_empty() {
        return Err(NumberError::NotANumber);
    }
    let mut magnitude: u128 = 0;
    let mut overflow = false;
    for c in digits.chars() {
        let digit = c.to_digit(radix).ok_or(NumberError::NotANumber)?;
        magnitude = magnitude * u128::from(radix) + u128::from(digit);
        if magnitude > max_magnitude {
            // Keep scanning: a later non-digit makes it "not a number", as in Java.
            overflow = true;
            magnitude = max_magnitude + 1;
        }
    }
    let limit = if negative {
        max_magnitude
    } else {
        max_magnitude - 1
    };
    if overflow || magnitude > limit {
        return Err(NumberError::OutOfRange);
    }
    // Both bounds are at most 2^63, so the value fits an i128.
    let value = magnitude as i128;
    Ok(if negative { -value } else { value })
}

/// `Integer.parseInt(s)`: optional `+`/`-`, decimal digits, no whitespace.
pub fn parse_int(s: &str) -> Result<i32, NumberError> {
    parse_signed(s, 10, 1u128 << 31).map(|v| v as i32)
}

/// `Long.parseLong(s)`: optional `+`/`-`, decimal digits, no whitespace.
pub fn parse_long(s: &str) -> Result<i64, NumberError> {
    parse_long_radix(s, 10)
}

/// `Long.parseLong(s, radix)`, e.g. radix 16 for configuration versions.
pub fn parse_long_radix(s: &str, radix: u32) -> Result<i64, NumberError> {
    parse_signed(s, radix, 1u128 << 63).map(|v| v as i64)
}

/// The shared part of `Integer.decode` and `Long.decode`: an optional sign,
/// then `0x`/`0X`/`#` for hex, a leading `0` for octal, else decimal.
fn decode(s: &str, max_magnitude: u128) -> Option<i128> {
    let (negative, rest) = match s.as_bytes().first() {
        None => return None,
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        Some(_) => (false, s),
    };
    let (radix, digits) = if let Some(hex) = rest
        .strip_prefix("0x")
        .or_else(|| rest.strip_prefix("0X"))
        .or_else(|| rest.strip_prefix('#'))
    {
        (16, hex)
    } else if rest.len() > 1 && rest.starts_with('0') {
        (8, &rest[1..])
    } else {
        (10, rest)
    };
    if digits.starts_with('-') || digits.starts_with('+') {
        return None;
    }
    let signed = if negative {
        format!("-{digits}")
    } else {
        digits.to_string()
    };
    parse_signed(&signed, radix, max_magnitude).ok()
}

/// `Integer.decode(s)`, or `None` where Java throws `NumberFormatException`.
/// This is what `Integer.getInteger(name, default)` applies to a property.
pub fn decode_int(s: &str) -> Option<i32> {
    decode(s, 1u128 << 31).map(|v| v as i32)
}

/// `Long.decode(s)`, or `None` where Java throws. Used by `Long.getLong`.
pub fn decode_long(s: &str) -> Option<i64> {
    decode(s, 1u128 << 63).map(|v| v as i64)
}

/// `Double.parseDouble(s)`, or `None` where Java throws.
///
/// Java trims the input, accepts an optional trailing `d`/`D`/`f`/`F`, and
/// spells the special values `NaN` and `Infinity` (case-sensitive). Hex
/// floating-point literals (`0x1p3`) are not supported here.
pub fn parse_double(s: &str) -> Option<f64> {
    let trimmed = trim(s);
    let unsigned = trimmed
        .strip_prefix('-')
        .or_else(|| trimmed.strip_prefix('+'))
        .unwrap_or(trimmed);
    match unsigned {
        "NaN" => return Some(f64::NAN),
        "Infinity" => {
            return Some(if trimmed.starts_with('-') {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            })
        }
        _ => {}
    }
    let body = trimmed
        .strip_suffix(['d', 'D', 'f', 'F'])
        .unwrap_or(trimmed);
    let is_decimal_literal = !body.is_empty()
        && body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
        && body.chars().any(|c| c.is_ascii_digit());
    if !is_decimal_literal {
        return None;
    }
    body.parse::<f64>().ok()
}

/// `Boolean.parseBoolean(s)`: `true` if `s` equals "true" ignoring case,
/// `false` for everything else (including `None`, "yes", "1").
pub fn parse_boolean(s: Option<&str>) -> bool {
    s.is_some_and(|s| equals_ignore_case(s, "true"))
}

/// The single-character upper-case mapping Java's `Character.toUpperCase`
/// uses (characters whose upper case is several characters are unchanged).
fn simple_upper(c: char) -> char {
    let mut upper = c.to_uppercase();
    match (upper.next(), upper.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

fn simple_lower(c: char) -> char {
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

/// `String.equalsIgnoreCase`: per character, equal as is, after upper-casing,
/// or after upper- then lower-casing (so `"falſe"` equals `"false"` in Java).
pub fn equals_ignore_case(a: &str, b: &str) -> bool {
    let mut left = a.chars();
    let mut right = b.chars();
    loop {
        match (left.next(), right.next()) {
            (None, None) => return true,
            (Some(x), Some(y)) => {
                if x == y {
                    continue;
                }
                let (ux, uy) = (simple_upper(x), simple_upper(y));
                if ux != uy && simple_lower(ux) != simple_lower(uy) {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

/// `Long.toHexString(v)`: lower-case, no padding, two's complement for
/// negative values.
pub fn to_hex_string(v: i64) -> String {
    format!("{:x}", v as u64)
}

/// `String.split(sep)` for a single literal separator: trailing empty
/// strings are removed (so `":".split(":")` is empty), but a string without
/// the separator is returned whole (so `"".split(":")` is `[""]`).
pub fn split(s: &str, sep: char) -> Vec<&str> {
    if !s.contains(sep) {
        return vec![s];
    }
    let mut parts: Vec<&str> = s.split(sep).collect();
    while parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    parts
}

/// An IP literal as `InetAddress.getByName` reads it without DNS: IPv6
/// (IPv4-mapped addresses become IPv4, as Java returns an `Inet4Address`),
/// or IPv4 in Java's one to four part decimal forms (`127.1` is 127.0.0.1,
/// `1.2.3` is 1.2.0.3, `0` is 0.0.0.0; leading zeros are decimal).
pub fn ip_literal(host: &str) -> Option<IpAddr> {
    if let Ok(v6) = host.parse::<Ipv6Addr>() {
        return Some(match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        });
    }
    let parts: Vec<&str> = host.split('.').collect();
    let (last, leading) = parts.split_last()?;
    if leading.len() > 3 {
        return None;
    }
    let decimal = |part: &str| -> Option<u64> {
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        part.parse::<u64>().ok()
    };
    let mut bytes = [0u8; 4];
    for (index, part) in leading.iter().enumerate() {
        bytes[index] = u8::try_from(decimal(part)?).ok()?;
    }
    let remaining_bytes = 4 - leading.len();
    let value = decimal(last)?;
    if value >= 1u64 << (8 * remaining_bytes) {
        return None;
    }
    for index in 0..remaining_bytes {
        let shift = 8 * (remaining_bytes - 1 - index);
        bytes[leading.len() + index] = ((value >> shift) & 0xff) as u8;
    }
    Some(IpAddr::V4(Ipv4Addr::from(bytes)))
}

/// `InetSocketAddress(host, port).getHostString()` without DNS: IP literals
/// are rewritten in Java's form (`::1` is `0:0:0:0:0:0:0:1`, `127.1` is
/// `127.0.0.1`), the empty host is `localhost`, and names are kept as
/// written. This is what Java prints in the canonical server list.
pub fn host_string(host: &str) -> String {
    if host.is_empty() {
        return "localhost".to_string();
    }
    if let Some((address, scope)) = host.split_once('%') {
        // A numeric scope id is kept; an interface name needs the local
        // interfaces, and Java leaves such an address as written when it
        // cannot resolve it.
        return match address.parse::<Ipv6Addr>() {
            Ok(v6) if !scope.is_empty() && scope.bytes().all(|b| b.is_ascii_digit()) => {
                format!("{}%{scope}", ipv6_text(v6))
            }
            _ => host.to_string(),
        };
    }
    match ip_literal(host) {
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => ipv6_text(v6),
        None => host.to_string(),
    }
}

/// `Inet6Address.getHostAddress()`: eight lower-case hex groups without
/// leading zeros and without `::` compression.
fn ipv6_text(address: Ipv6Addr) -> String {
    address
        .segments()
        .iter()
        .map(|segment| format!("{segment:x}"))
        .collect::<Vec<_>>()
        .join(":")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trim_removes_control_characters_but_not_unicode_spaces() {
        assert_eq!(trim("\u{1}\t tick \r\n\0"), "tick");
        assert_eq!(trim("\u{a0}x\u{a0}"), "\u{a0}x\u{a0}");
        assert_eq!(trim(""), "");
    }

    #[test]
    fn parse_int_follows_integer_parse_int() {
        assert_eq!(parse_int("2000"), Ok(2000));
        assert_eq!(parse_int("+7"), Ok(7));
        assert_eq!(parse_int("-0"), Ok(0));
        assert_eq!(parse_int("007"), Ok(7));
        assert_eq!(parse_int("2147483647"), Ok(i32::MAX));
        assert_eq!(parse_int("-2147483648"), Ok(i32::MIN));
        assert_eq!(parse_int("2147483648"), Err(NumberError::OutOfRange));
        assert_eq!(
            parse_int("99999999999999999999999x"),
            Err(NumberError::NotANumber)
        );
        assert_eq!(parse_int(""), Err(NumberError::Empty));
        assert_eq!(parse_int("+"), Err(NumberError::NotANumber));
        assert_eq!(parse_int("-"), Err(NumberError::NotANumber));
        assert_eq!(parse_int(" 1"), Err(NumberError::NotANumber));
        assert_eq!(parse_int("1 "), Err(NumberError::NotANumber));
        assert_eq!(parse_int("0x10"), Err(NumberError::NotANumber));
        assert_eq!(parse_int("1_000"), Err(NumberError::NotANumber));
        assert_eq!(parse_int("+-1"), Err(NumberError::NotANumber));
        assert_eq!(parse_int("١"), Err(NumberError::NotANumber));
    }

    #[test]
    fn parse_long_handles_radix_16_and_extremes() {
        assert_eq!(parse_long("9223372036854775807"), Ok(i64::MAX));
        assert_eq!(parse_long("-9223372036854775808"), Ok(i64::MIN));
        assert_eq!(
            parse_long("9223372036854775808"),
            Err(NumberError::OutOfRange)
        );
        assert_eq!(parse_long_radix("100000000", 16), Ok(0x1_0000_0000));
        assert_eq!(parse_long_radix("DeadBeef", 16), Ok(0xdead_beef));
        assert_eq!(parse_long_radix("-1", 16), Ok(-1));
        assert_eq!(
            parse_long_radix("ffffffffffffffff", 16),
            Err(NumberError::OutOfRange)
        );
        assert_eq!(parse_long_radix("0x1", 16), Err(NumberError::NotANumber));
    }

    #[test]
    fn decode_follows_integer_decode() {
        assert_eq!(decode_int("10"), Some(10));
        assert_eq!(decode_int("010"), Some(8));
        assert_eq!(decode_int("0x10"), Some(16));
        assert_eq!(decode_int("0X1f"), Some(31));
        assert_eq!(decode_int("#ff"), Some(255));
        assert_eq!(decode_int("-0x10"), Some(-16));
        assert_eq!(decode_int("+5"), Some(5));
        assert_eq!(decode_int("0"), Some(0));
        assert_eq!(decode_int("-0"), Some(0));
        assert_eq!(decode_int("00"), Some(0));
        assert_eq!(decode_int("08"), None);
        assert_eq!(decode_int("0x"), None);
        assert_eq!(decode_int("-"), None);
        assert_eq!(decode_int(""), None);
        assert_eq!(decode_int(" 5"), None);
        assert_eq!(decode_int("5 "), None);
        assert_eq!(decode_int("0x-5"), None);
        assert_eq!(decode_int("-+5"), None);
        assert_eq!(decode_int("-2147483648"), Some(i32::MIN));
        assert_eq!(decode_int("-0x80000000"), Some(i32::MIN));
        assert_eq!(decode_int("2147483648"), None);
        assert_eq!(decode_int("abc"), None);
        assert_eq!(decode_long("0x7fffffffffffffff"), Some(i64::MAX));
        assert_eq!(decode_long("4194304"), Some(4_194_304));
    }

    #[test]
    fn parse_double_follows_java() {
        assert_eq!(parse_double("0.33"), Some(0.33));
        assert_eq!(parse_double(" 0.5 "), Some(0.5));
        assert_eq!(parse_double("1e-1"), Some(0.1));
        assert_eq!(parse_double("2d"), Some(2.0));
        assert_eq!(parse_double(".5f"), Some(0.5));
        assert_eq!(parse_double("-Infinity"), Some(f64::NEG_INFINITY));
        assert!(parse_double("NaN").is_some_and(f64::is_nan));
        assert_eq!(parse_double("inf"), None);
        assert_eq!(parse_double("nan"), None);
        assert_eq!(parse_double(""), None);
        assert_eq!(parse_double("abc"), None);
        assert_eq!(parse_double("1,5"), None);
    }

    #[test]
    fn parse_boolean_is_true_only_for_true() {
        assert!(parse_boolean(Some("true")));
        assert!(parse_boolean(Some("TRUE")));
        assert!(parse_boolean(Some("tRuE")));
        assert!(!parse_boolean(Some("yes")));
        assert!(!parse_boolean(Some("1")));
        assert!(!parse_boolean(Some(" true")));
        assert!(!parse_boolean(None));
    }

    #[test]
    fn equals_ignore_case_uses_simple_case_mapping() {
        assert!(equals_ignore_case("FALSE", "false"));
        assert!(equals_ignore_case("fal\u{17f}e", "false"));
        assert!(!equals_ignore_case("false ", "false"));
        assert!(!equals_ignore_case("fals", "false"));
    }

    #[test]
    fn hex_strings_match_long_to_hex_string() {
        assert_eq!(to_hex_string(0), "0");
        assert_eq!(to_hex_string(0x1_0000_0000), "100000000");
        assert_eq!(to_hex_string(-1), "ffffffffffffffff");
    }

    #[test]
    fn ip_literals_like_java() {
        let v4 = |a, b, c, d| Some(IpAddr::V4(Ipv4Addr::new(a, b, c, d)));
        assert_eq!(ip_literal("127.0.0.1"), v4(127, 0, 0, 1));
        assert_eq!(ip_literal("127.1"), v4(127, 0, 0, 1));
        assert_eq!(ip_literal("1.2.3"), v4(1, 2, 0, 3));
        assert_eq!(ip_literal("0"), v4(0, 0, 0, 0));
        assert_eq!(ip_literal("010.0.0.1"), v4(10, 0, 0, 1));
        assert_eq!(ip_literal("4294967295"), v4(255, 255, 255, 255));
        assert_eq!(ip_literal("::ffff:1.2.3.4"), v4(1, 2, 3, 4));
        assert_eq!(ip_literal("::"), Some(IpAddr::V6(Ipv6Addr::UNSPECIFIED)));
        assert_eq!(ip_literal("256.0.0.1"), None);
        assert_eq!(ip_literal("4294967296"), None);
        assert_eq!(ip_literal("1.2.3.4.5"), None);
        assert_eq!(ip_literal("1..2"), None);
        assert_eq!(ip_literal("1.2.3."), None);
        assert_eq!(ip_literal("localhost"), None);
        assert_eq!(ip_literal(""), None);
    }

    #[test]
    fn host_strings_match_java() {
        // Each pair was printed by InetSocketAddress.getHostString() on Java 17.
        for (host, java) in [
            ("127.1", "127.0.0.1"),
            ("010.0.0.1", "10.0.0.1"),
            ("1.2.3", "1.2.0.3"),
            ("0", "0.0.0.0"),
            ("::ffff:127.0.0.1", "127.0.0.1"),
            ("0:0::1", "0:0:0:0:0:0:0:1"),
            ("::", "0:0:0:0:0:0:0:0"),
            ("FE80::1", "fe80:0:0:0:0:0:0:1"),
            ("fe80::1%1", "fe80:0:0:0:0:0:0:1%1"),
            ("fe80::1%lo", "fe80::1%lo"),
            ("::1", "0:0:0:0:0:0:0:1"),
            ("0000:0000::0001", "0:0:0:0:0:0:0:1"),
            ("1.2.3.4.5", "1.2.3.4.5"),
            ("256.1.1.1", "256.1.1.1"),
            ("LocalHost", "LocalHost"),
            ("", "localhost"),
            ("1::", "1:0:0:0:0:0:0:0"),
            ("2001:DB8::A:0:0:1", "2001:db8:0:0:a:0:0:1"),
            ("::1.2.3.4", "0:0:0:0:0:0:102:304"),
            ("4294967295", "255.255.255.255"),
            ("127.0.0.1 ", "127.0.0.1 "),
        ] {
            assert_eq!(host_string(host), java, "{host:?}");
        }
    }

    #[test]
    fn split_drops_trailing_empty_strings_like_java() {
        assert_eq!(split("a:b:c", ':'), vec!["a", "b", "c"]);
        assert_eq!(split("a:b:", ':'), vec!["a", "b"]);
        assert_eq!(split(":a", ':'), vec!["", "a"]);
        assert_eq!(split("a::b", ':'), vec!["a", "", "b"]);
        assert_eq!(split("", ':'), vec![""]);
        assert!(split(":", ':').is_empty());
        assert!(split(":::", ':').is_empty());
        assert_eq!(split("abc", ':'), vec!["abc"]);
    }
}
