//! Configuration errors and warnings, located by file, line and key.

use std::fmt;

/// Why a configuration cannot be used. Displays as
/// `file:line: key: reason`, leaving out the parts that do not apply, e.g.
/// `zoo.cfg:7: tickTime: invalid value "abc": not an integer`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file the problem is in (as given), or a description such as
    /// `system properties` for `-D` values.
    pub file: String,
    /// The 1-based line, where there is one.
    pub line: Option<usize>,
    /// The configuration key or property name, where there is one.
    pub key: Option<String>,
    /// What is wrong.
    pub reason: String,
}

impl ConfigError {
    /// An error about `file` as a whole.
    pub fn new(file: impl Into<String>, reason: impl Into<String>) -> Self {
        ConfigError {
            file: file.into(),
            line: None,
            key: None,
            reason: reason.into(),
        }
    }

    /// Adds the line (ignored if `None`).
    pub fn at_line(mut self, line: Option<usize>) -> Self {
        self.line = line;
        self
    }

    /// Adds the key.
    pub fn for_key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }
}

fn write_location(
    f: &mut fmt::Formatter<'_>,
    file: &str,
    line: Option<usize>,
    key: Option<&str>,
) -> fmt::Result {
    f.write_str(file)?;
    if let Some(line) = line {
        write!(f, ":{line}")?;
    }
    if let Some(key) = key {
        write!(f, ": {key}")?;
    }
    Ok(())
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_location(f, &self.file, self.line, self.key.as_deref())?;
        write!(f, ": {}", self.reason)
    }
}

impl std::error::Error for ConfigError {}

/// Something Java accepts but logs a warning about (relative paths, values
/// it silently corrects, settings that have no effect).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigWarning {
    /// The file concerned.
    pub file: String,
    /// The line, where there is one.
    pub line: Option<usize>,
    /// The key, where there is one.
    pub key: Option<String>,
    /// The warning.
    pub message: String,
}

impl fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_location(f, &self.file, self.line, self.key.as_deref())?;
        write!(f, ": {}", self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_includes_the_parts_that_apply() {
        let full = ConfigError::new("zoo.cfg", "invalid value \"abc\": not an integer")
            .at_line(Some(7))
            .for_key("tickTime");
        assert_eq!(
            full.to_string(),
            "zoo.cfg:7: tickTime: invalid value \"abc\": not an integer"
        );
        let no_line = ConfigError::new("zoo.cfg", "is not set").for_key("dataDir");
        assert_eq!(no_line.to_string(), "zoo.cfg: dataDir: is not set");
        assert_eq!(
            ConfigError::new("zoo.cfg", "file is missing").to_string(),
            "zoo.cfg: file is missing"
        );
    }
}
