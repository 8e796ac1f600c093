//! What a run measured, as JSON (serde) and as a text table.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

/// Latency percentiles in microseconds.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq)]
pub struct Latency {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
    pub mean: f64,
}

impl Latency {
    /// From a histogram of nanoseconds.
    pub fn from_histogram(h: &Histogram<u64>) -> Latency {
        if h.is_empty() {
            return Latency::default();
        }
        let us = |ns: u64| ns as f64 / 1e3;
        Latency {
            p50: us(h.value_at_quantile(0.50)),
            p90: us(h.value_at_quantile(0.90)),
            p99: us(h.value_at_quantile(0.99)),
            p999: us(h.value_at_quantile(0.999)),
            max: us(h.max()),
            mean: h.mean() / 1e3,
        }
    }
}

/// One operation type's (or all operations') figures in a run.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct OpReport {
    /// Replies received in the measured window.
    pub ops: u64,
    pub ops_per_s: f64,
    pub latency_us: Latency,
}

impl OpReport {
    pub fn from_histogram(h: &Histogram<u64>, elapsed: Duration) -> OpReport {
        let secs = elapsed.as_secs_f64().max(1e-9);
        OpReport {
            ops: h.len(),
            ops_per_s: h.len() as f64 / secs,
            latency_us: Latency::from_histogram(h),
        }
    }
}

/// The server process's use of the machine in the measured window.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct ServerUsage {
    pub pid: Option<u32>,
    /// User + system CPU time in the window.
    pub cpu_s: Option<f64>,
    /// CPU time per operation, in microseconds.
    pub cpu_us_per_op: Option<f64>,
    /// CPU time / wall time (1.0 = one core busy all the time).
    pub cores_used: Option<f64>,
    /// Resident memory at the end of the window.
    pub rss_bytes: Option<u64>,
}

/// Everything one workload run measured.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RunReport {
    pub sessions: usize,
    pub outstanding: usize,
    pub mix: String,
    /// The paced request rate, if the run had one.
    pub rate: Option<f64>,
    pub value_size: usize,
    pub keys: u64,
    pub warmup_s: f64,
    /// The measured window's length.
    pub duration_s: f64,
    /// All operations together.
    pub total: OpReport,
    /// Per operation type, by name.
    pub ops: BTreeMap<String, OpReport>,
    /// Error replies by `operation:code` (whole run, warm-up included).
    pub errors: BTreeMap<String, u64>,
    /// The longest time in the window with no reply on any session.
    pub longest_gap_us: f64,
    /// When the measured window began (ms since the Unix epoch).
    pub measure_start_unix_ms: f64,
    /// The longest latency of each second of the measured window (µs).
    pub timeline_max_us: Vec<f64>,
    pub server: ServerUsage,
    /// This process's (the load generator's) CPU time per operation.
    pub client_cpu_us_per_op: Option<f64>,
    pub client_cores_used: Option<f64>,
    /// The fraction of all cores busy in the window (whole machine).
    pub machine_busy: Option<f64>,
    /// The 1-minute load average at the end.
    pub load_average: Option<f64>,
}

/// Formats a number with thousands separators and no decimals.
pub fn thousands(v: f64) -> String {
    let n = v.round() as i64;
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// A latency in µs with a precision that suits its size.
pub fn micros(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

fn opt(v: Option<f64>, f: impl Fn(f64) -> String) -> String {
    v.map_or_else(|| "-".to_string(), f)
}

impl RunReport {
    /// The text table.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} sessions x {} outstanding{}, mix {}, {}-byte values, {} keys; {:.0} s warm-up, {:.1} s measured",
            self.sessions,
            self.outstanding,
            self.rate.map_or(String::new(), |r| format!(" at {} ops/s", thousands(r))),
            self.mix,
            self.value_size,
            thousands(self.keys as f64),
            self.warmup_s,
            self.duration_s
        );
        let _ = writeln!(
            out,
            "{:<12} {:>10} {:>11} {:>9} {:>9} {:>9} {:>9} {:>9}",
            "operation", "ops", "ops/s", "p50 us", "p90 us", "p99 us", "p99.9 us", "max us"
        );
        let rows = self
            .ops
            .iter()
            .map(|(k, v)| (k.as_str(), v))
            .chain(std::iter::once(("all", &self.total)));
        for (name, op) in rows {
            let l = &op.latency_us;
            let _ = writeln!(
                out,
                "{:<12} {:>10} {:>11} {:>9} {:>9} {:>9} {:>9} {:>9}",
                name,
                thousands(op.ops as f64),
                thousands(op.ops_per_s),
                micros(l.p50),
                micros(l.p90),
                micros(l.p99),
                micros(l.p999),
                micros(l.max)
            );
        }
        let _ = writeln!(
            out,
            "server CPU: {} us/op ({} cores busy), RSS {}; load generator CPU: {} us/op ({} cores); machine {} busy, load {}",
            opt(self.server.cpu_us_per_op, |v| format!("{v:.2}")),
            opt(self.server.cores_used, |v| format!("{v:.2}")),
            self.server
                .rss_bytes
                .map_or_else(|| "-".to_string(), |b| format!("{:.1} MiB", b as f64 / 1048576.0)),
            opt(self.client_cpu_us_per_op, |v| format!("{v:.2}")),
            opt(self.client_cores_used, |v| format!("{v:.2}")),
            opt(self.machine_busy, |v| format!("{:.0}%", v * 100.0)),
            opt(self.load_average, |v| format!("{v:.2}")),
        );
        let _ = writeln!(
            out,
            "longest time without a reply: {} us",
            micros(self.longest_gap_us)
        );
        if !self.errors.is_empty() {
            let list: Vec<String> = self
                .errors
                .iter()
                .map(|(k, v)| format!("{k} x{v}"))
                .collect();
            let _ = writeln!(out, "error replies: {}", list.join(", "));
        }
        out
    }
}

/// What the watch fan-out measured.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct FanoutReport {
    pub watchers: usize,
    pub rounds: usize,
    /// Per round: from sending the setData until the last watcher had its
    /// notification, in ms.
    pub all_notified_ms: Vec<f64>,
    /// The median of `all_notified_ms`.
    pub all_notified_median_ms: f64,
    /// Per-watcher notification latency (send of the setData to arrival),
    /// all rounds together.
    pub notify_latency_us: Latency,
    /// The setData's own latency, median over the rounds.
    pub set_data_median_us: f64,
    /// Server CPU per round (registering the watches, the change, the
    /// notifications), in ms.
    pub server_cpu_ms_per_round: Option<f64>,
}

impl FanoutReport {
    pub fn table(&self) -> String {
        let rounds: Vec<String> = self
            .all_notified_ms
            .iter()
            .map(|v| format!("{v:.1}"))
            .collect();
        let l = &self.notify_latency_us;
        format!(
            "watch fan-out: {} watchers on one node, one setData, {} rounds\n\
             all notified after (ms): median {:.1} [{}]\n\
             notification latency us: p50 {} p90 {} p99 {} max {}; setData reply {} us\n\
             server CPU per round: {}\n",
            self.watchers,
            self.rounds,
            self.all_notified_median_ms,
            rounds.join(", "),
            micros(l.p50),
            micros(l.p90),
            micros(l.p99),
            micros(l.max),
            micros(self.set_data_median_us),
            opt(self.server_cpu_ms_per_round, |v| format!("{v:.1} ms")),
        )
    }
}

/// The median of some values (the mean of the middle two for an even
/// count); 0 for none.
pub fn median(values: &[f64]) -> f64 {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(|a, b| a.partial_cmp(b).expect("finite"));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_format_for_tables() {
        assert_eq!(thousands(1234567.4), "1,234,567");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(-1000.0), "-1,000");
        assert_eq!(micros(12.34), "12.3");
        assert_eq!(micros(1234.5), "1234");
    }

    #[test]
    fn medians() {
        assert_eq!(median(&[]), 0.0);
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0]), 2.5);
    }

    #[test]
    fn percentiles_come_from_the_histogram_in_microseconds() {
        let mut h = crate::bench::workload::new_histogram();
        for i in 1..=1000u64 {
            h.record(i * 1000).unwrap();
        }
        let l = Latency::from_histogram(&h);
        assert!((l.p50 - 500.0).abs() < 1.0, "{l:?}");
        assert!((l.p99 - 990.0).abs() < 1.0, "{l:?}");
        assert!((l.max - 1000.0).abs() < 1.0, "{l:?}");
        let op = OpReport::from_histogram(&h, Duration::from_secs(2));
        assert_eq!(op.ops, 1000);
        assert_eq!(op.ops_per_s, 500.0);
    }
}
