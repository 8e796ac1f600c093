//! TCP ports for test servers, reserved so that concurrent tests — threads
//! of one test binary or several test processes — never pick the same one.
//!
//! Binding to port 0 does not work here: a server needs its ports written
//! into its config before it starts, and an ensemble needs 3 per member, so
//! between "the kernel said this port is free" and "the server bound it"
//! anyone may take it. Instead:
//!
//! - Ports come from a fixed range kept outside the kernel's ephemeral range
//!   (`/proc/sys/net/ipv4/ip_local_port_range`, 32768–60999 by default), so
//!   no outgoing connection — a client's, or a quorum peer's — is ever given
//!   one as its local port.
//! - A port is reserved by taking an exclusive `flock` on
//!   `$TMPDIR/rzk-test-ports/<port>.lock` and holding it for as long as the
//!   [`PortReservation`] lives. `flock` locks belong to the open file, so they
//!   exclude other threads of the same process as well as other processes,
//!   and the kernel drops them when a process dies: no stale reservations.
//! - A reserved port must also pass a bind test on 127.0.0.1, which skips
//!   ports that something outside the tests listens on.
//! - Each process walks the range from its own pid-derived offset and never
//!   turns back, so a port freed by one test is not handed straight to the
//!   next (where a lingering client of the old server could reach it).

use std::fs::{self, File, OpenOptions};
use std::io;
use std::net::{Ipv4Addr, TcpListener};
use std::os::unix::io::AsRawFd;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

/// The range ports are taken from, before removing the ephemeral range.
const RANGE: std::ops::Range<u16> = 15000..32700;

/// An exclusively reserved TCP port, free until its holder binds it.
#[derive(Debug)]
pub struct PortReservation {
    port: u16,
    _lock: File,
}

impl PortReservation {
    pub fn port(&self) -> u16 {
        self.port
    }
}

fn lock_dir() -> PathBuf {
    std::env::temp_dir().join("rzk-test-ports")
}

fn ephemeral_range() -> Option<(u16, u16)> {
    let text = fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").ok()?;
    let mut it = text.split_whitespace().map(|n| n.parse::<u16>());
    match (it.next(), it.next()) {
        (Some(Ok(lo)), Some(Ok(hi))) => Some((lo, hi)),
        _ => None,
    }
}

fn candidates() -> &'static [u16] {
    static CANDIDATES: OnceLock<Vec<u16>> = OnceLock::new();
    CANDIDATES.get_or_init(|| {
        let all: Vec<u16> = RANGE.collect();
        let outside: Vec<u16> = match ephemeral_range() {
            Some((lo, hi)) => all.iter().copied().filter(|p| *p < lo || *p > hi).collect(),
            None => all.clone(),
        };
        // If the ephemeral range covers everything, the lock files and the
        // bind test still keep reservations apart.
        if outside.len() >= 1000 {
            outside
        } else {
            all
        }
    })
}

fn cursor() -> &'static AtomicUsize {
    static CURSOR: OnceLock<AtomicUsize> = OnceLock::new();
    CURSOR.get_or_init(|| {
        // Spread processes over the range: consecutive pids land far apart.
        let pid = std::process::id() as usize;
        AtomicUsize::new(pid.wrapping_mul(7919) % candidates().len())
    })
}

fn try_reserve(port: u16) -> io::Result<Option<PortReservation>> {
    let path = lock_dir().join(format!("{port}.lock"));
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)?;
    // SAFETY: flock on a file descriptor we own.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc != 0 {
        let err = io::Error::last_os_error();
        if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
            return Ok(None);
        }
        return Err(err);
    }
    // Reserved against other tests; now check that nothing else holds it.
    // (std sets SO_REUSEADDR, like the Java and tokio listeners do, so a
    // TIME_WAIT left by an earlier server does not count as taken.)
    if TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_err() {
        return Ok(None);
    }
    Ok(Some(PortReservation { port, _lock: file }))
}

/// Reserves one free port on 127.0.0.1. Panics if the whole range is taken.
pub fn reserve() -> PortReservation {
    let dir = lock_dir();
    if let Err(e) = fs::create_dir_all(&dir) {
        panic!("cannot create the port lock dir {}: {e}", dir.display());
    }
    let candidates = candidates();
    for _ in 0..candidates.len() {
        let index = cursor().fetch_add(1, Ordering::Relaxed) % candidates.len();
        let port = candidates[index];
        match try_reserve(port) {
            Ok(Some(reservation)) => return reservation,
            Ok(None) => continue,
            Err(e) => panic!("cannot reserve port {port} in {}: {e}", dir.display()),
        }
    }
    panic!(
        "no free port left in {:?} (lock files in {})",
        RANGE,
        dir.display()
    )
}

/// Reserves `n` distinct ports.
pub fn reserve_n(n: usize) -> Vec<PortReservation> {
    (0..n).map(|_| reserve()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_are_distinct_and_exclusive() {
        let held = reserve_n(50);
        let mut ports: Vec<u16> = held.iter().map(|r| r.port()).collect();
        ports.sort_unstable();
        ports.dedup();
        assert_eq!(ports.len(), 50);
        for r in &held {
            // Held by this process (another open file): not reservable again.
            assert!(try_reserve(r.port()).unwrap().is_none());
        }
        let (lo, hi) = ephemeral_range().unwrap_or((0, 0));
        assert!(ports.iter().all(|p| *p < lo || *p > hi));
    }

    #[test]
    fn released_ports_can_be_reserved_again() {
        let port = reserve().port();
        assert!(try_reserve(port).unwrap().is_some());
    }
}
