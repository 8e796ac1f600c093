//! Child processes that cannot outlive the test process, and running a
//! program to completion with a deadline.
//!
//! Servers are killed when their handle drops, but a test process that is
//! itself killed (Ctrl-C, a CI timeout) runs no destructors. So every child
//! is spawned with `PR_SET_PDEATHSIG = SIGKILL`. That signal follows the
//! *thread* that forked the child, so all children are forked by one
//! dedicated thread that lives as long as the process: a server started in
//! a short-lived test thread survives that thread, and dies with the process.

use std::io::{self, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

type SpawnRequest = (Command, mpsc::Sender<io::Result<Child>>);

fn spawner() -> &'static Mutex<mpsc::Sender<SpawnRequest>> {
    static SPAWNER: OnceLock<Mutex<mpsc::Sender<SpawnRequest>>> = OnceLock::new();
    SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<SpawnRequest>();
        thread::Builder::new()
            .name("rzk-compat-spawner".into())
            .spawn(move || {
                // The sender lives in a static, so this loop never ends.
                for (mut cmd, reply) in rx {
                    let _ = reply.send(cmd.spawn());
                }
            })
            .expect("cannot start the spawner thread");
        Mutex::new(tx)
    })
}

/// Spawns `cmd` so that the child gets SIGKILL when the test process dies.
pub fn spawn(mut cmd: Command) -> io::Result<Child> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: getpid has no preconditions.
        let parent = unsafe { libc::getpid() };
        // SAFETY: the closure runs between fork and exec and only makes
        // async-signal-safe calls (prctl, getppid, _exit).
        unsafe {
            cmd.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong) != 0 {
                    return Err(io::Error::last_os_error());
                }
                // The parent may have died before prctl took effect.
                if libc::getppid() != parent {
                    libc::_exit(1);
                }
                Ok(())
            });
        }
    }
    let (reply_tx, reply_rx) = mpsc::channel();
    spawner()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .send((cmd, reply_tx))
        .expect("the spawner thread is gone");
    reply_rx.recv().expect("the spawner thread is gone")
}

/// Sends `signal` to `pid`; an already-gone process is not an error.
pub fn signal(pid: u32, signal: libc::c_int) {
    // SAFETY: kill has no memory-safety preconditions.
    unsafe {
        libc::kill(pid as libc::pid_t, signal);
    }
}

/// Whether a process with this pid exists (a zombie counts as existing).
pub fn pid_exists(pid: u32) -> bool {
    // SAFETY: kill with signal 0 only checks for existence.
    let rc = unsafe { libc::kill(pid as libc::pid_t, 0) };
    rc == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

/// Waits for `child` to exit, at most `timeout`.
pub fn wait_timeout(child: &mut Child, timeout: Duration) -> io::Result<Option<ExitStatus>> {
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(1);
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(None);
        }
        thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

/// What a program run to completion printed.
#[derive(Debug)]
pub struct ProgramOutput {
    /// How it was started, for messages.
    pub command: String,
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl ProgramOutput {
    pub fn success(&self) -> bool {
        self.status.success()
    }

    /// Panics, showing both streams, unless the program exited with 0.
    #[track_caller]
    pub fn assert_success(&self) -> &Self {
        if !self.success() {
            panic!(
                "{} failed: {}\n{}",
                self.command,
                self.status,
                self.describe()
            );
        }
        self
    }

    /// Both streams, labelled, for panic messages.
    pub fn describe(&self) -> String {
        format!(
            "--- stdout ---\n{}\n--- stderr ---\n{}",
            self.stdout.trim_end(),
            self.stderr.trim_end()
        )
    }
}

/// Runs `cmd` to completion with piped stdout and stderr (stdin closed).
/// Panics if it cannot start or does not end within `timeout` (it is killed).
#[track_caller]
pub fn run(mut cmd: Command, timeout: Duration) -> ProgramOutput {
    let description = format!("{cmd:?}");
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = spawn(cmd).unwrap_or_else(|e| panic!("cannot start {description}: {e}"));
    let stdout = reader(child.stdout.take().expect("piped"));
    let stderr = reader(child.stderr.take().expect("piped"));
    let status = wait_timeout(&mut child, timeout).expect("waitpid");
    let timed_out = status.is_none();
    let status = match status {
        Some(status) => status,
        None => {
            let _ = child.kill();
            child.wait().expect("waitpid")
        }
    };
    let output = ProgramOutput {
        command: description,
        status,
        stdout: stdout.join().expect("reader thread"),
        stderr: stderr.join().expect("reader thread"),
    };
    if timed_out {
        panic!(
            "{} did not finish within {timeout:?}; killed\n{}",
            output.command,
            output.describe()
        );
    }
    output
}

fn reader(mut stream: impl Read + Send + 'static) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stream.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}
