//! Java test programs: sources under `compat-tests/java/<name>/`, compiled
//! with plain `javac` against a [`Classpath`] and run with `java`.
//!
//! Compiled classes are cached in `<target>/compat-java/<name>-<hash>`, the
//! hash covering the sources, the classpath and the JDK. Several test
//! processes may compile the same program at once: each compiles into its
//! own temp dir and renames it into place; whoever loses the race uses the
//! winner's copy.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use crate::deps::{self, Classpath};
use crate::process::{self, ProgramOutput};

/// How long a Java test program may run unless told otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

/// JVM flags for every test JVM: small heap, fast startup.
pub const JVM_FLAGS: [&str; 6] = [
    "-Xmx256m",
    "-XX:+UseSerialGC",
    "-Xshare:auto",
    "-XX:TieredStopAtLevel=1",
    "-XX:-UsePerfData",
    "-Djava.net.preferIPv4Stack=true",
];

/// A compiled Java program and the classpath it runs with.
#[derive(Clone, Debug)]
pub struct JavaProgram {
    name: String,
    classes: PathBuf,
    classpath: Classpath,
}

/// The directory of the test executable's profile (`target/debug`).
pub(crate) fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    // target/<profile>/deps/<test>-<hash>
    let parent = exe.parent().expect("test executable has a directory");
    if parent.file_name().is_some_and(|n| n == "deps") {
        parent.parent().expect("deps has a parent").to_path_buf()
    } else {
        parent.to_path_buf()
    }
}

fn cache_root() -> PathBuf {
    let profile = profile_dir();
    let target = profile.parent().unwrap_or(&profile).to_path_buf();
    target.join("compat-java")
}

/// FNV-1a, 64 bits: stable across Rust versions, unlike `DefaultHasher`.
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
        // Separate fields, so ("ab", "c") and ("a", "bc") differ.
        self.0 ^= 0xff;
        self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
    }
}

fn java_sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = fs::read_dir(&d).unwrap_or_else(|e| panic!("reading {}: {e}", d.display()));
        for entry in entries {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "java") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Compiles `compat-tests/java/<name>/**/*.java` against `classpath`, or
/// reuses an earlier compilation of the same sources. Panics with javac's
/// output if compilation fails.
#[track_caller]
pub fn compile(name: &str, classpath: &Classpath) -> JavaProgram {
    // One compilation at a time within the process; other processes are
    // handled by the rename below.
    static COMPILING: Mutex<()> = Mutex::new(());
    let _guard = COMPILING.lock().unwrap_or_else(|e| e.into_inner());

    let src_dir = deps::crate_dir().join("java").join(name);
    let sources = java_sources(&src_dir);
    assert!(
        !sources.is_empty(),
        "no Java sources under {}",
        src_dir.display()
    );
    let javac = deps::javac_bin();
    let mut hash = Fnv::new();
    hash.write(
        fs::canonicalize(&javac)
            .unwrap_or(javac.clone())
            .as_os_str()
            .as_encoded_bytes(),
    );
    hash.write(classpath.to_arg().as_encoded_bytes());
    for source in &sources {
        hash.write(
            source
                .strip_prefix(&src_dir)
                .unwrap()
                .as_os_str()
                .as_encoded_bytes(),
        );
        hash.write(&fs::read(source).unwrap_or_else(|e| panic!("{}: {e}", source.display())));
    }
    let root = cache_root();
    let dest = root.join(format!("{name}-{:016x}", hash.0));
    let program = JavaProgram {
        name: name.to_string(),
        classes: dest.clone(),
        classpath: classpath.clone(),
    };
    if dest.is_dir() {
        return program;
    }

    fs::create_dir_all(&root).unwrap_or_else(|e| panic!("{}: {e}", root.display()));
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let tmp = root.join(format!(
        ".tmp-{name}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = fs::remove_dir_all(&tmp);
    fs::create_dir_all(&tmp).unwrap_or_else(|e| panic!("{}: {e}", tmp.display()));
    let mut cmd = Command::new(&javac);
    cmd.arg("-encoding")
        .arg("UTF-8")
        .arg("-nowarn")
        .arg("-d")
        .arg(&tmp)
        .arg("-cp")
        .arg(classpath.to_arg())
        .args(&sources);
    let output = process::run(cmd, DEFAULT_TIMEOUT);
    if !output.success() {
        let _ = fs::remove_dir_all(&tmp);
        panic!(
            "javac failed for {name}: {}\n{}",
            output.status,
            output.describe()
        );
    }
    if let Err(e) = fs::rename(&tmp, &dest) {
        let _ = fs::remove_dir_all(&tmp);
        // Another process got there first: its classes are as good as ours.
        if !dest.is_dir() {
            panic!("cannot move {} to {}: {e}", tmp.display(), dest.display());
        }
    }
    program
}

impl JavaProgram {
    /// The program's name (its directory under `compat-tests/java/`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Where its classes are.
    pub fn classes_dir(&self) -> &Path {
        &self.classes
    }

    /// The full classpath: the compiled classes first, then the jars.
    pub fn classpath(&self) -> Classpath {
        self.classpath.with_first(&self.classes)
    }

    /// A `java` command for `main_class`, with the test JVM flags and the
    /// classpath's logging flags; add arguments and run it yourself.
    pub fn command(&self, main_class: &str) -> Command {
        let classpath = self.classpath();
        let mut cmd = Command::new(deps::java_bin());
        cmd.args(JVM_FLAGS)
            .args(&classpath.jvm_flags)
            .arg("-cp")
            .arg(classpath.to_arg())
            .arg(main_class);
        cmd
    }

    /// Runs `main_class` with `args` to completion (at most
    /// [`DEFAULT_TIMEOUT`]) and returns what it printed, whatever its exit
    /// status; see [`ProgramOutput::assert_success`].
    #[track_caller]
    pub fn run(&self, main_class: &str, args: &[&str]) -> ProgramOutput {
        self.run_with_timeout(main_class, args, DEFAULT_TIMEOUT)
    }

    #[track_caller]
    pub fn run_with_timeout(
        &self,
        main_class: &str,
        args: &[&str],
        timeout: Duration,
    ) -> ProgramOutput {
        let mut cmd = self.command(main_class);
        cmd.args(args);
        process::run(cmd, timeout)
    }
}
