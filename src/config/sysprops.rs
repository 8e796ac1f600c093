//! Java system properties, as operators set them for ZooKeeper.
//!
//! Java ZooKeeper reads many settings with `System.getProperty`. Operators
//! set them with `-Dkey=value` JVM flags, usually through the environment
//! variables `SERVER_JVMFLAGS` and `JVMFLAGS` that `zkServer.sh` puts on the
//! `java` command line (`JVMFLAGS="$SERVER_JVMFLAGS $JVMFLAGS"`, so a later
//! flag wins). rzk reads the same variables, then its own command-line
//! `-Dkey=value` options. Finally every `zoo.cfg` key that the configuration
//! parser does not recognise becomes the property `zookeeper.<key>`,
//! overriding a `-D` of the same name, as Java's `System.setProperty` does.
//!
//! The typed getters mirror the Java accessors ZooKeeper uses; each property
//! must be read the way Java reads it (see `zkprops.rs`).

use std::collections::BTreeMap;

use super::java;

/// Where a system property's effective value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PropertyOrigin {
    /// A `-D` flag in the `SERVER_JVMFLAGS` environment variable.
    ServerJvmFlags,
    /// A `-D` flag in the `JVMFLAGS` environment variable.
    JvmFlags,
    /// A `-D` option on rzk's own command line.
    CommandLine,
    /// An unrecognised key of a configuration file (`zookeeper.<key>`).
    ConfigFile {
        /// The file's name as given.
        file: String,
        /// The line the key is on.
        line: usize,
    },
    /// Set programmatically (tests, or derived by the configuration parser).
    Internal,
}

/// A system property value with its origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemProperty {
    /// The value, exactly as given (not trimmed).
    pub value: String,
    /// Where the value came from.
    pub origin: PropertyOrigin,
}

/// The effective set of Java system properties.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SystemProperties {
    properties: BTreeMap<String, SystemProperty>,
}

impl SystemProperties {
    /// An empty set: every property has its default.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads `-D` flags from `SERVER_JVMFLAGS`, then `JVMFLAGS`, then
    /// `cli_defines` (each `key=value` or `-Dkey=value`); later wins.
    pub fn from_env_and_args(cli_defines: &[String]) -> Self {
        let server_jvmflags =
            std::env::var_os("SERVER_JVMFLAGS").map(|v| v.to_string_lossy().into_owned());
        let jvmflags = std::env::var_os("JVMFLAGS").map(|v| v.to_string_lossy().into_owned());
        Self::from_flags(server_jvmflags.as_deref(), jvmflags.as_deref(), cli_defines)
    }

    /// The pure form of [`SystemProperties::from_env_and_args`]: the values of
    /// `SERVER_JVMFLAGS` and `JVMFLAGS` (if set) and the command-line defines.
    pub fn from_flags(
        server_jvmflags: Option<&str>,
        jvmflags: Option<&str>,
        cli_defines: &[String],
    ) -> Self {
        let mut properties = Self::new();
        if let Some(flags) = server_jvmflags {
            properties.apply_jvm_flags(flags, PropertyOrigin::ServerJvmFlags);
        }
        if let Some(flags) = jvmflags {
            properties.apply_jvm_flags(flags, PropertyOrigin::JvmFlags);
        }
        for define in cli_defines {
            let define = define.strip_prefix("-D").unwrap_or(define);
            if let Some((key, value)) = split_define(define) {
                properties.set_with_origin(key, value, PropertyOrigin::CommandLine);
            }
        }
        properties
    }

    /// Applies the `-Dkey=value` tokens of a JVM flags string. The string is
    /// split on whitespace only, as the shell does for the unquoted
    /// `$JVMFLAGS` in `zkServer.sh` (quotes inside the variable are literal
    /// characters). Tokens other than `-D...` (e.g. `-Xmx1g`) are ignored.
    pub fn apply_jvm_flags(&mut self, flags: &str, origin: PropertyOrigin) {
        for token in flags.split([' ', '\t', '\n']) {
            if let Some(define) = token.strip_prefix("-D") {
                if let Some((key, value)) = split_define(define) {
                    self.set_with_origin(key, value, origin.clone());
                }
            }
        }
    }

    /// Sets a property (`System.setProperty`), replacing any earlier value.
    pub fn set(&mut self, key: &str, value: &str) {
        self.set_with_origin(key, value, PropertyOrigin::Internal);
    }

    /// Sets a property and records where it came from.
    pub fn set_with_origin(&mut self, key: &str, value: &str, origin: PropertyOrigin) {
        self.properties.insert(
            key.to_string(),
            SystemProperty {
                value: value.to_string(),
                origin,
            },
        );
    }

    /// Removes a property, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<String> {
        self.properties.remove(key).map(|p| p.value)
    }

    /// `System.getProperty(key)`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.properties.get(key).map(|p| p.value.as_str())
    }

    /// The value with its origin.
    pub fn property(&self, key: &str) -> Option<&SystemProperty> {
        self.properties.get(key)
    }

    /// `System.getProperty(key, default)`.
    pub fn get_or<'a>(&'a self, key: &str, default: &'a str) -> &'a str {
        self.get(key).unwrap_or(default)
    }

    /// `Boolean.parseBoolean(System.getProperty(key, default))`: the default
    /// when unset, otherwise `true` only for "true" in any case. With
    /// `default == false` this is `Boolean.getBoolean(key)`.
    pub fn get_bool(&self, key: &str, default: bool) -> bool {
        match self.get(key) {
            Some(value) => java::parse_boolean(Some(value)),
            None => default,
        }
    }

    /// `System.getProperty(key, default).equals(literal)`: the exact,
    /// case-sensitive comparison some properties use, e.g. `zookeeper.skipACL`
    /// (`equals("yes")`) or `zookeeper.forceSync` (`!equals("no")`).
    pub fn value_equals(&self, key: &str, default: &str, literal: &str) -> bool {
        self.get_or(key, default) == literal
    }

    /// `Integer.getInteger(key, default)`: the default when unset *or* when the
    /// value is not a valid `Integer.decode` literal (decimal, `0x`/`#` hex,
    /// leading-`0` octal; no surrounding whitespace).
    pub fn get_int(&self, key: &str, default: i32) -> i32 {
        self.get(key).and_then(java::decode_int).unwrap_or(default)
    }

    /// `Long.getLong(key, default)`, with the same rules as [`Self::get_int`].
    pub fn get_long(&self, key: &str, default: i64) -> i64 {
        self.get(key).and_then(java::decode_long).unwrap_or(default)
    }

    /// `Long.getLong(key)`: `None` when unset or unparsable.
    pub fn get_long_opt(&self, key: &str) -> Option<i64> {
        self.get(key).and_then(java::decode_long)
    }

    /// All properties, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &SystemProperty)> {
        self.properties.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The number of properties set.
    pub fn len(&self) -> usize {
        self.properties.len()
    }

    /// Whether no property is set.
    pub fn is_empty(&self) -> bool {
        self.properties.is_empty()
    }
}

/// Splits the part after `-D`: `key=value`, or `key` alone meaning "".
fn split_define(define: &str) -> Option<(&str, &str)> {
    let (key, value) = define.split_once('=').unwrap_or((define, ""));
    if key.is_empty() {
        None
    } else {
        Some((key, value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_defines_and_ignores_other_flags() {
        let sys = SystemProperties::from_flags(
            Some("-Xmx1g -Dzookeeper.snapCount=5 -XX:+UseG1GC -Dflag -Dx=a=b -D -D=v"),
            None,
            &[],
        );
        assert_eq!(sys.get("zookeeper.snapCount"), Some("5"));
        assert_eq!(sys.get("flag"), Some(""));
        assert_eq!(sys.get("x"), Some("a=b"));
        assert_eq!(sys.len(), 3);
    }

    #[test]
    fn later_sources_win() {
        let sys = SystemProperties::from_flags(
            Some("-Da=server -Db=server -Dc=server"),
            Some("-Db=jvm -Dc=jvm -Dd=jvm1 -Dd=jvm2"),
            &["c=cli".to_string(), "-De=cli".to_string()],
        );
        assert_eq!(sys.get("a"), Some("server"));
        assert_eq!(
            sys.property("a").map(|p| &p.origin),
            Some(&PropertyOrigin::ServerJvmFlags)
        );
        assert_eq!(sys.get("b"), Some("jvm"));
        assert_eq!(
            sys.property("b").map(|p| &p.origin),
            Some(&PropertyOrigin::JvmFlags)
        );
        assert_eq!(sys.get("c"), Some("cli"));
        assert_eq!(
            sys.property("c").map(|p| &p.origin),
            Some(&PropertyOrigin::CommandLine)
        );
        assert_eq!(sys.get("d"), Some("jvm2"));
        assert_eq!(sys.get("e"), Some("cli"));
    }

    #[test]
    fn quotes_in_flags_are_literal_like_the_shell() {
        let sys = SystemProperties::from_flags(None, Some("  -Dp=\"a b\"\t-Dq=1\n"), &[]);
        assert_eq!(sys.get("p"), Some("\"a"));
        assert_eq!(sys.get("q"), Some("1"));
    }

    #[test]
    fn bool_getters_follow_boolean_parse_boolean() {
        let mut sys = SystemProperties::new();
        sys.set("t", "TRUE");
        sys.set("y", "yes");
        sys.set("e", "");
        assert!(sys.get_bool("t", false));
        assert!(!sys.get_bool("y", true));
        assert!(!sys.get_bool("e", true));
        assert!(sys.get_bool("unset", true));
        assert!(!sys.get_bool("unset", false));
    }

    #[test]
    fn value_equals_is_exact() {
        let mut sys = SystemProperties::new();
        sys.set("zookeeper.skipACL", "YES");
        assert!(!sys.value_equals("zookeeper.skipACL", "no", "yes"));
        sys.set("zookeeper.skipACL", "yes");
        assert!(sys.value_equals("zookeeper.skipACL", "no", "yes"));
        assert!(sys.value_equals("zookeeper.forceSync", "yes", "yes"));
    }

    #[test]
    fn int_getters_follow_integer_get_integer() {
        let mut sys = SystemProperties::new();
        sys.set("hex", "0x10");
        sys.set("octal", "010");
        sys.set("bad", "12abc");
        sys.set("spaced", " 12");
        sys.set("big", "3000000000");
        assert_eq!(sys.get_int("hex", 1), 16);
        assert_eq!(sys.get_int("octal", 1), 8);
        assert_eq!(sys.get_int("bad", 1), 1);
        assert_eq!(sys.get_int("spaced", 1), 1);
        assert_eq!(sys.get_int("big", 1), 1);
        assert_eq!(sys.get_long("big", 1), 3_000_000_000);
        assert_eq!(sys.get_int("unset", 7), 7);
        assert_eq!(sys.get_long_opt("bad"), None);
    }
}
