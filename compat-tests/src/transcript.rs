//! Transcripts: what a client scenario printed against one server, one line
//! per step, and their comparison between a reference server and a
//! candidate.
//!
//! A scenario prints each operation with its outcome and the watch events it
//! caused. Everything that legitimately differs between two fresh servers
//! (session ids, passwords, times, the order of children) is normalised —
//! by the scenario program itself, or afterwards with a [`Normalizer`] for
//! programs whose output we do not control (zkCli). What two correct servers
//! must agree on (zxids, versions, error codes, event order) is kept.
//!
//! [`compare_with_reference`] starts a fresh reference server (Java 3.9.5)
//! and the candidate side by side, runs the scenario against both and
//! panics with a readable line diff if the transcripts differ.

use std::fmt::{self, Write as _};
use std::fs;
use std::path::Path;

use crate::deps::JavaVersion;
use crate::server::{JavaServer, ServerHandle, ServerOptions};

/// Set to a non-empty value other than `0` to rewrite golden files instead
/// of checking them.
pub const BLESS_ENV: &str = "RZK_BLESS";

/// The version every candidate is compared with.
pub const REFERENCE: JavaVersion = JavaVersion::V3_9_5;

/// Lines of output from one scenario run, plus what produced them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transcript {
    /// What produced it, for messages: "crud against java-3.9.5".
    pub label: String,
    /// The lines, without trailing whitespace; empty lines dropped.
    pub lines: Vec<String>,
    /// Anything worth showing when the transcript is wrong (stderr, exit
    /// status); not compared.
    pub notes: String,
}

impl Transcript {
    pub fn new(label: impl Into<String>, text: &str) -> Transcript {
        Transcript {
            label: label.into(),
            lines: text
                .lines()
                .map(|l| l.trim_end().to_string())
                .filter(|l| !l.is_empty())
                .collect(),
            notes: String::new(),
        }
    }

    pub fn with_notes(mut self, notes: impl Into<String>) -> Transcript {
        self.notes = notes.into();
        self
    }

    /// How many lines satisfy `is_step`.
    pub fn count(&self, is_step: impl Fn(&str) -> bool) -> usize {
        self.lines.iter().filter(|l| is_step(l)).count()
    }

    /// Whether some line contains `needle`.
    pub fn contains(&self, needle: &str) -> bool {
        self.lines.iter().any(|l| l.contains(needle))
    }

    /// The first line containing `needle`.
    pub fn find(&self, needle: &str) -> Option<&str> {
        self.lines
            .iter()
            .find(|l| l.contains(needle))
            .map(String::as_str)
    }

    /// This transcript with `normalizer` applied to its lines.
    pub fn normalized(&self, normalizer: &Normalizer) -> Transcript {
        Transcript {
            label: self.label.clone(),
            lines: normalizer.apply(&self.lines),
            notes: self.notes.clone(),
        }
    }

    pub fn text(&self) -> String {
        let mut out = self.lines.join("\n");
        out.push('\n');
        out
    }
}

/// Rewrites raw program output so that two correct servers give the same
/// lines. Rules apply in this order: drop lines, replace text, replace lines,
/// session ids, sort lists, sort blocks.
#[derive(Clone, Debug, Default)]
pub struct Normalizer {
    drop_prefixes: Vec<String>,
    texts: Vec<(String, String)>,
    replacements: Vec<(String, String)>,
    session_markers: Vec<String>,
    sort_lists: bool,
    sorted_blocks: Vec<(String, String)>,
}

impl Normalizer {
    pub fn new() -> Normalizer {
        Normalizer::default()
    }

    /// Drops lines that start with `prefix`.
    pub fn drop_lines(mut self, prefix: &str) -> Normalizer {
        self.drop_prefixes.push(prefix.to_string());
        self
    }

    /// Replaces every occurrence of `text` (e.g. the server's address) by
    /// `replacement`.
    pub fn replace_text(mut self, text: &str, replacement: &str) -> Normalizer {
        self.texts.push((text.to_string(), replacement.to_string()));
        self
    }

    /// Sorts the lines that follow a line equal to `header`, up to (not
    /// including) the next line that starts with `end_prefix` (for output
    /// whose order is a server's hash order, one item per line).
    pub fn sort_block(mut self, header: &str, end_prefix: &str) -> Normalizer {
        self.sorted_blocks
            .push((header.to_string(), end_prefix.to_string()));
        self
    }

    /// Replaces each line that starts with `prefix` by `replacement`.
    pub fn replace_line(mut self, prefix: &str, replacement: &str) -> Normalizer {
        self.replacements
            .push((prefix.to_string(), replacement.to_string()));
        self
    }

    /// After `marker`, a hex number `0x…` other than `0x0` is a session id:
    /// each distinct id becomes `session#1`, `session#2`, … in order of first
    /// appearance anywhere in the transcript.
    pub fn session_ids_after(mut self, marker: &str) -> Normalizer {
        self.session_markers.push(marker.to_string());
        self
    }

    /// A line that is a list `[a, b, c]` gets its elements sorted (children
    /// come back in hash-set order).
    pub fn sort_lists(mut self) -> Normalizer {
        self.sort_lists = true;
        self
    }

    pub fn apply(&self, lines: &[String]) -> Vec<String> {
        let mut sessions: Vec<String> = Vec::new();
        let mut out = Vec::with_capacity(lines.len());
        for line in lines {
            if self.drop_prefixes.iter().any(|p| line.starts_with(p)) {
                continue;
            }
            let mut line = line.clone();
            for (text, replacement) in &self.texts {
                line = line.replace(text.as_str(), replacement);
            }
            if let Some((_, replacement)) =
                self.replacements.iter().find(|(p, _)| line.starts_with(p))
            {
                line = replacement.clone();
            }
            for marker in &self.session_markers {
                line = replace_session_ids(&line, marker, &mut sessions);
            }
            if self.sort_lists {
                line = sort_list(&line);
            }
            out.push(line);
        }
        for (header, end) in &self.sorted_blocks {
            let mut i = 0;
            while i < out.len() {
                if out[i] == *header {
                    let start = i + 1;
                    let stop = out[start..]
                        .iter()
                        .position(|l| l.starts_with(end.as_str()))
                        .map_or(out.len(), |k| start + k);
                    out[start..stop].sort_unstable();
                    i = stop;
                } else {
                    i += 1;
                }
            }
        }
        out
    }
}

fn replace_session_ids(line: &str, marker: &str, sessions: &mut Vec<String>) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(at) = rest.find(marker) {
        let (before, after) = rest.split_at(at + marker.len());
        out.push_str(before);
        let hex_len = after
            .strip_prefix("0x")
            .map(|h| h.chars().take_while(char::is_ascii_hexdigit).count())
            .unwrap_or(0);
        if hex_len == 0 {
            rest = after;
            continue;
        }
        let id = &after[..2 + hex_len];
        if id
            .trim_start_matches("0x")
            .trim_start_matches('0')
            .is_empty()
        {
            out.push_str(id);
        } else {
            let index = match sessions.iter().position(|s| s == id) {
                Some(i) => i,
                None => {
                    sessions.push(id.to_string());
                    sessions.len() - 1
                }
            };
            let _ = write!(out, "session#{}", index + 1);
        }
        rest = &after[2 + hex_len..];
    }
    out.push_str(rest);
    out
}

fn sort_list(line: &str) -> String {
    let Some(inner) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) else {
        return line.to_string();
    };
    if inner.is_empty() {
        return line.to_string();
    }
    let mut items: Vec<&str> = inner.split(", ").collect();
    items.sort_unstable();
    format!("[{}]", items.join(", "))
}

/// One line of a diff.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DiffLine {
    /// In both (reference index, candidate index).
    Same(usize, usize),
    /// Only in the reference (its index).
    Removed(usize),
    /// Only in the candidate (its index).
    Added(usize),
}

/// The longest-common-subsequence line diff of `a` (reference) and `b`
/// (candidate).
pub fn diff_lines(a: &[String], b: &[String]) -> Vec<DiffLine> {
    // Common prefix and suffix first: usually the transcripts agree almost
    // everywhere, and this keeps the quadratic part small.
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (am, bm) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);
    let mut out: Vec<DiffLine> = (0..prefix).map(|i| DiffLine::Same(i, i)).collect();
    let (n, m) = (am.len(), bm.len());
    if n.saturating_mul(m) > 16_000_000 {
        // Too big to align: show it all as replaced.
        out.extend((0..n).map(|i| DiffLine::Removed(prefix + i)));
        out.extend((0..m).map(|j| DiffLine::Added(prefix + j)));
    } else {
        // lcs[i][j] = LCS length of am[i..] and bm[j..].
        let width = m + 1;
        let mut lcs = vec![0u32; (n + 1) * width];
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                lcs[i * width + j] = if am[i] == bm[j] {
                    lcs[(i + 1) * width + j + 1] + 1
                } else {
                    lcs[(i + 1) * width + j].max(lcs[i * width + j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < n || j < m {
            if i < n && j < m && am[i] == bm[j] {
                out.push(DiffLine::Same(prefix + i, prefix + j));
                i += 1;
                j += 1;
            } else if i < n && (j == m || lcs[(i + 1) * width + j] >= lcs[i * width + j + 1]) {
                // Removals first, so a changed line reads "- old" then "+ new".
                out.push(DiffLine::Removed(prefix + i));
                i += 1;
            } else {
                out.push(DiffLine::Added(prefix + j));
                j += 1;
            }
        }
    }
    let (a_end, b_end) = (a.len() - suffix, b.len() - suffix);
    out.extend((0..suffix).map(|k| DiffLine::Same(a_end + k, b_end + k)));
    out
}

/// The lines only in the reference and only in the candidate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Differences {
    pub removed: Vec<String>,
    pub added: Vec<String>,
}

impl Differences {
    pub fn is_empty(&self) -> bool {
        self.removed.is_empty() && self.added.is_empty()
    }

    /// Whether the reference has a line containing `reference_part` and the
    /// candidate, in its place, a line containing `candidate_part`.
    pub fn has(&self, reference_part: &str, candidate_part: &str) -> bool {
        self.removed.iter().any(|l| l.contains(reference_part))
            && self.added.iter().any(|l| l.contains(candidate_part))
    }
}

/// The differing lines of two transcripts.
pub fn differences(reference: &Transcript, candidate: &Transcript) -> Differences {
    let mut d = Differences::default();
    for line in diff_lines(&reference.lines, &candidate.lines) {
        match line {
            DiffLine::Removed(i) => d.removed.push(reference.lines[i].clone()),
            DiffLine::Added(j) => d.added.push(candidate.lines[j].clone()),
            DiffLine::Same(..) => {}
        }
    }
    d
}

/// A unified diff of the two transcripts with `context` lines around each
/// change: `-` reference only, `+` candidate only. Empty if they agree.
pub fn render_diff(reference: &Transcript, candidate: &Transcript, context: usize) -> String {
    let lines = diff_lines(&reference.lines, &candidate.lines);
    let changed: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| !matches!(l, DiffLine::Same(..)))
        .map(|(k, _)| k)
        .collect();
    if changed.is_empty() {
        return String::new();
    }
    let removed = lines
        .iter()
        .filter(|l| matches!(l, DiffLine::Removed(_)))
        .count();
    let added = changed.len() - removed;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "--- reference: {} ({} lines; {removed} only here)",
        reference.label,
        reference.lines.len()
    );
    let _ = writeln!(
        out,
        "+++ candidate: {} ({} lines; {added} only here)",
        candidate.label,
        candidate.lines.len()
    );
    // Group changes whose context overlaps into hunks.
    let mut hunks: Vec<(usize, usize)> = Vec::new();
    for &k in &changed {
        let start = k.saturating_sub(context);
        let end = (k + context + 1).min(lines.len());
        match hunks.last_mut() {
            Some(last) if start <= last.1 => last.1 = end,
            _ => hunks.push((start, end)),
        }
    }
    for (start, end) in hunks {
        let (ra, cb) = position(&lines[start..]);
        let _ = writeln!(out, "@@ reference line {ra}, candidate line {cb} @@");
        for line in &lines[start..end] {
            match *line {
                DiffLine::Same(i, _) => {
                    let _ = writeln!(out, "  {}", reference.lines[i]);
                }
                DiffLine::Removed(i) => {
                    let _ = writeln!(out, "- {}", reference.lines[i]);
                }
                DiffLine::Added(j) => {
                    let _ = writeln!(out, "+ {}", candidate.lines[j]);
                }
            }
        }
    }
    out
}

/// 1-based line numbers in both transcripts where `lines` starts.
fn position(lines: &[DiffLine]) -> (usize, usize) {
    let (mut a, mut b) = (None, None);
    for line in lines {
        match *line {
            DiffLine::Same(i, j) => {
                a.get_or_insert(i);
                b.get_or_insert(j);
            }
            DiffLine::Removed(i) => {
                a.get_or_insert(i);
            }
            DiffLine::Added(j) => {
                b.get_or_insert(j);
            }
        }
        if a.is_some() && b.is_some() {
            break;
        }
    }
    (a.map_or(0, |i| i + 1), b.map_or(0, |j| j + 1))
}

/// Writes `t` (lines, then notes) to `<target>/compat-transcripts/` for
/// inspection after a failure; returns the file's path.
pub fn save(t: &Transcript) -> std::path::PathBuf {
    let dir = crate::java::profile_dir()
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(std::env::temp_dir)
        .join("compat-transcripts");
    let name: String = t
        .label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let path = dir.join(format!("{name}.txt"));
    let text = format!("{}\n--- notes ---\n{}\n", t.text(), t.notes);
    if fs::create_dir_all(&dir)
        .and_then(|()| fs::write(&path, text))
        .is_err()
    {
        eprintln!("could not save {}", path.display());
    }
    path
}

/// Panics with a diff (and the candidate's notes) unless the transcripts
/// have the same lines. Both are saved with [`save`] first.
#[track_caller]
pub fn assert_same(reference: &Transcript, candidate: &Transcript) {
    if reference.lines == candidate.lines {
        return;
    }
    let mut msg = format!(
        "transcripts differ: {} vs {} (saved as {} and {})\n{}",
        reference.label,
        candidate.label,
        save(reference).display(),
        save(candidate).display(),
        render_diff(reference, candidate, 3)
    );
    for t in [reference, candidate] {
        if !t.notes.trim().is_empty() {
            let _ = write!(
                msg,
                "\n--- notes of {} ---\n{}",
                t.label,
                t.notes.trim_end()
            );
        }
    }
    panic!("{msg}");
}

fn bless() -> bool {
    std::env::var(BLESS_ENV).is_ok_and(|v| !v.is_empty() && v != "0")
}

/// Checks `transcript` against the golden file at `path`, or rewrites the
/// file when [`BLESS_ENV`] is set. A golden file records what the reference
/// server answered, for people reading it and to catch a scenario that stops
/// being deterministic.
#[track_caller]
pub fn check_golden(path: &Path, transcript: &Transcript) {
    if bless() {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        }
        fs::write(path, transcript.text()).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        return;
    }
    let text = fs::read_to_string(path).unwrap_or_else(|e| {
        panic!(
            "golden file {} unreadable ({e}); create it with {BLESS_ENV}=1",
            path.display()
        )
    });
    let golden = Transcript::new(format!("golden file {}", path.display()), &text);
    if golden.lines != transcript.lines {
        panic!(
            "{} no longer matches its golden file (rerun with {BLESS_ENV}=1 if the scenario \
             changed on purpose; saved as {})\n{}\n--- notes ---\n{}",
            transcript.label,
            save(transcript).display(),
            render_diff(&golden, transcript, 3),
            transcript.notes.trim_end()
        );
    }
}

/// The reference transcript and the candidate's, from one comparison.
#[derive(Debug)]
pub struct Comparison {
    pub reference: Transcript,
    pub candidate: Transcript,
}

/// Starts a fresh reference server (Java 3.9.5) and `candidate(opts)` side
/// by side, runs `scenario` against each (at the same time), and returns
/// both transcripts without comparing them.
pub fn run_against_reference_and<C, S>(opts: ServerOptions, candidate: C, scenario: S) -> Comparison
where
    C: FnOnce(ServerOptions) -> ServerHandle,
    S: Fn(&ServerHandle) -> Transcript + Sync,
{
    std::thread::scope(|scope| {
        let reference_opts = opts.clone();
        let scenario = &scenario;
        let reference = scope.spawn(move || {
            let server = JavaServer::start(REFERENCE, reference_opts);
            let transcript = scenario(&server);
            (transcript, server)
        });
        let candidate_server = candidate(opts);
        let candidate_transcript = scenario(&candidate_server);
        let (reference_transcript, reference_server) = match reference.join() {
            Ok(r) => r,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        drop(reference_server);
        drop(candidate_server);
        Comparison {
            reference: reference_transcript,
            candidate: candidate_transcript,
        }
    })
}

/// [`run_against_reference_and`], then [`assert_same`].
#[track_caller]
pub fn compare_with_reference<C, S>(opts: ServerOptions, candidate: C, scenario: S) -> Comparison
where
    C: FnOnce(ServerOptions) -> ServerHandle,
    S: Fn(&ServerHandle) -> Transcript + Sync,
{
    let comparison = run_against_reference_and(opts, candidate, scenario);
    assert_same(&comparison.reference, &comparison.candidate);
    comparison
}

impl fmt::Display for Transcript {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "== {} ==", self.label)?;
        for line in &self.lines {
            writeln!(f, "{line}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(label: &str, text: &str) -> Transcript {
        Transcript::new(label, text)
    }

    #[test]
    fn identical_transcripts_have_no_diff() {
        let a = t("a", "x\ny\n");
        assert_eq!(render_diff(&a, &a.clone(), 3), "");
        assert!(differences(&a, &a).is_empty());
    }

    #[test]
    fn diff_shows_changed_lines_with_context() {
        let a = t("ref", "1\n2\n3\n4\n5\n6\n7\n8\n9\n");
        let b = t("cand", "1\n2\n3\n4\nfive\n6\n7\n8\n9\nten\n");
        let d = render_diff(&a, &b, 1);
        assert!(
            d.contains("@@ reference line 4, candidate line 4 @@\n  4\n- 5\n+ five\n  6\n"),
            "{d}"
        );
        assert!(d.contains("+ ten"), "{d}");
        let diffs = differences(&a, &b);
        assert_eq!(diffs.removed, ["5"]);
        assert_eq!(diffs.added, ["five", "ten"]);
        assert!(diffs.has("5", "five"));
    }

    #[test]
    fn diff_aligns_insertions() {
        let a: Vec<String> = ["a", "b", "c", "d"].map(String::from).to_vec();
        let b: Vec<String> = ["a", "x", "b", "c", "d"].map(String::from).to_vec();
        let d = diff_lines(&a, &b);
        assert_eq!(
            d,
            [
                DiffLine::Same(0, 0),
                DiffLine::Added(1),
                DiffLine::Same(1, 2),
                DiffLine::Same(2, 3),
                DiffLine::Same(3, 4)
            ]
        );
    }

    #[test]
    fn normalizer_maps_sessions_times_and_lists() {
        let n = Normalizer::new()
            .drop_lines("Connecting")
            .replace_line("ctime = ", "ctime = <time>")
            .session_ids_after("ephemeralOwner = ")
            .sort_lists()
            .replace_text("127.0.0.1:2181", "<server>")
            .sort_block("Auth scheme: User", "> ");
        let lines: Vec<String> = [
            "Connecting to 127.0.0.1:1234",
            "ctime = Thu Jan 01 00:00:00 UTC 2026",
            "ephemeralOwner = 0x1000abc",
            "ephemeralOwner = 0x0",
            "ephemeralOwner = 0x2000abc",
            "ephemeralOwner = 0x1000abc",
            "[zookeeper, b, a]",
            "[]",
            "Auth scheme: User",
            "ip: 127.0.0.1",
            "digest: alice",
            "> next 127.0.0.1:2181",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            n.apply(&lines),
            [
                "ctime = <time>",
                "ephemeralOwner = session#1",
                "ephemeralOwner = 0x0",
                "ephemeralOwner = session#2",
                "ephemeralOwner = session#1",
                "[a, b, zookeeper]",
                "[]",
                "Auth scheme: User",
                "digest: alice",
                "ip: 127.0.0.1",
                "> next <server>",
            ]
        );
    }

    #[test]
    #[should_panic(expected = "transcripts differ")]
    fn assert_same_panics_on_difference() {
        assert_same(&t("a", "x\n"), &t("b", "y\n"));
    }
}
