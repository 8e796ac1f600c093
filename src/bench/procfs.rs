//! What `/proc` says about a process and the machine: CPU time, resident
//! memory, load, and which local process listens on a port.

use std::fs;
use std::io;
use std::path::Path;
use std::time::Duration;

/// Clock ticks per second (`sysconf(_SC_CLK_TCK)`), the unit of the CPU
/// times in `/proc/<pid>/stat`.
pub fn clock_ticks_per_second() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 {
        ticks as u64
    } else {
        100
    }
}

/// The user + system CPU time a process has used so far (all its threads,
/// living and exited), from `/proc/<pid>/stat`.
pub fn process_cpu(pid: u32) -> io::Result<Duration> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let ticks = parse_stat_cpu_ticks(&text).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("cannot parse /proc/{pid}/stat"),
        )
    })?;
    Ok(ticks_to_duration(ticks))
}

/// The CPU time this process has used so far.
pub fn own_cpu() -> io::Result<Duration> {
    process_cpu(std::process::id())
}

fn ticks_to_duration(ticks: u64) -> Duration {
    let hz = clock_ticks_per_second();
    Duration::from_nanos(ticks.saturating_mul(1_000_000_000) / hz)
}

/// utime + stime (fields 14 and 15) of a `/proc/<pid>/stat` line. The
/// command name (field 2) is in parentheses and may hold spaces and
/// parentheses itself, so the fields are counted from the last `)`.
pub fn parse_stat_cpu_ticks(text: &str) -> Option<u64> {
    let after = &text[text.rfind(')')? + 1..];
    // After the name: field 3 (state) is the first.
    let fields: Vec<&str> = after.split_whitespace().collect();
    let utime: u64 = fields.get(14 - 3)?.parse().ok()?;
    let stime: u64 = fields.get(15 - 3)?.parse().ok()?;
    Some(utime + stime)
}

/// The resident set size of a process in bytes (`VmRSS` in
/// `/proc/<pid>/status`).
pub fn process_rss(pid: u32) -> io::Result<u64> {
    let text = fs::read_to_string(format!("/proc/{pid}/status"))?;
    parse_status_kb(&text, "VmRSS:")
        .map(|kb| kb * 1024)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no VmRSS"))
}

/// A `Name:   123 kB` field of `/proc/<pid>/status`, in kB.
pub fn parse_status_kb(text: &str, name: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The machine's CPU counters (`cpu` line of `/proc/stat`), in ticks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MachineCpu {
    pub busy: u64,
    pub total: u64,
}

impl MachineCpu {
    pub fn read() -> io::Result<MachineCpu> {
        let text = fs::read_to_string("/proc/stat")?;
        parse_proc_stat(&text)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "cannot parse /proc/stat"))
    }

    /// The fraction of all cores' time that was busy between `self` and
    /// `later` (0 to 1).
    pub fn busy_since(&self, later: &MachineCpu) -> f64 {
        let total = later.total.saturating_sub(self.total);
        if total == 0 {
            return 0.0;
        }
        later.busy.saturating_sub(self.busy) as f64 / total as f64
    }
}

/// The aggregate `cpu` line: user nice system idle iowait irq softirq steal.
/// Idle and iowait count as not busy; guest time is inside user already.
pub fn parse_proc_stat(text: &str) -> Option<MachineCpu> {
    let line = text.lines().find(|l| l.starts_with("cpu "))?;
    let values: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(8)
        .map(|v| v.parse().ok())
        .collect::<Option<_>>()?;
    if values.len() < 4 {
        return None;
    }
    let total: u64 = values.iter().sum();
    let idle = values[3] + values.get(4).copied().unwrap_or(0);
    Some(MachineCpu {
        busy: total - idle,
        total,
    })
}

/// The 1-minute load average.
pub fn load_average() -> Option<f64> {
    fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The machine: cores, memory, kernel, CPU model.
#[derive(Clone, Debug, serde::Serialize)]
pub struct MachineInfo {
    pub cores: usize,
    pub memory_bytes: u64,
    pub cpu_model: String,
    pub kernel: String,
}

impl MachineInfo {
    pub fn read() -> MachineInfo {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let memory_bytes = fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|t| parse_status_kb(&t, "MemTotal:"))
            .map_or(0, |kb| kb * 1024);
        let cpu_model = fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|t| {
                t.lines()
                    .find_map(|l| l.strip_prefix("model name"))
                    .map(|v| v.trim_start_matches([' ', '\t', ':']).trim().to_string())
            })
            .unwrap_or_default();
        let kernel = fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|s| s.trim().to_string())
            .unwrap_or_default();
        MachineInfo {
            cores,
            memory_bytes,
            cpu_model,
            kernel,
        }
    }
}

/// The pid of the local process that listens on TCP `port`, found through
/// the socket's inode in `/proc/net/tcp{,6}` and the processes' fds.
/// `None` if there is none or it is not visible (another user's process).
pub fn pid_listening_on(port: u16) -> Option<u32> {
    let mut inodes = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        if let Ok(text) = fs::read_to_string(table) {
            inodes.extend(listening_inodes(&text, port));
        }
    }
    if inodes.is_empty() {
        return None;
    }
    let targets: Vec<String> = inodes.iter().map(|i| format!("socket:[{i}]")).collect();
    for entry in fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == std::process::id() {
            continue;
        }
        let Ok(fds) = fs::read_dir(entry.path().join("fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            if let Ok(link) = fs::read_link(fd.path()) {
                if targets.iter().any(|t| Path::new(t) == link) {
                    return Some(pid);
                }
            }
        }
    }
    None
}

/// The inodes of the sockets in LISTEN state (`0A`) on `port` in a
/// `/proc/net/tcp` table.
pub fn listening_inodes(table: &str, port: u16) -> Vec<u64> {
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let local = fields.get(1)?;
            let state = fields.get(3)?;
            let inode: u64 = fields.get(9)?.parse().ok()?;
            let local_port = u16::from_str_radix(local.rsplit(':').next()?, 16).ok()?;
            (local_port == port && *state == "0A").then_some(inode)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_cpu_is_counted_after_the_command_name() {
        let line = "1234 (java (x) y) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 30 0";
        assert_eq!(parse_stat_cpu_ticks(line), Some(325));
        assert_eq!(parse_stat_cpu_ticks("garbage"), None);
    }

    #[test]
    fn own_cpu_and_rss_are_readable() {
        assert!(own_cpu().is_ok());
        assert!(process_rss(std::process::id()).unwrap() > 0);
    }

    #[test]
    fn proc_stat_busy_excludes_idle_and_iowait() {
        let text = "cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3 4\n";
        let cpu = parse_proc_stat(text).unwrap();
        assert_eq!(
            cpu,
            MachineCpu {
                busy: 150,
                total: 1000
            }
        );
        let later = MachineCpu {
            busy: 250,
            total: 1200,
        };
        assert!((cpu.busy_since(&later) - 0.5).abs() < 1e-9);
    }

    #[test]
    fn listening_sockets_are_found_by_port() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100007F:0885 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0\n   1: 0100007F:0885 0100007F:D000 01 00000000:00000000 00:00000000 00000000     0        0 4343 1 0000000000000000 100 0 0 10 0\n";
        assert_eq!(listening_inodes(table, 2181), vec![4242]);
        assert!(listening_inodes(table, 2182).is_empty());
    }

    #[test]
    fn a_listener_of_this_process_is_not_reported_as_another_pid() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        // Our own process is skipped on purpose (the bench never measures
        // itself as the server).
        assert_eq!(pid_listening_on(port), None);
    }
}
