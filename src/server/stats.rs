//! Server and connection statistics, as `srvr`, `stat`, `cons` and `mntr`
//! report them (Java's `ServerStats`, `ServerCnxn` counters and
//! `AvgMinMaxCounter`).

/// How many recent values a summary keeps for its percentiles.
const RECENT_VALUES: usize = 1024;

/// min/avg/max/count/sum of a series of values (Java's `AvgMinMaxCounter`),
/// with percentiles over the most recent values (Java's advanced summaries
/// use a sliding reservoir too).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MinMaxAvg {
    count: u64,
    total: i64,
    min: Option<i64>,
    max: Option<i64>,
    recent: std::collections::VecDeque<i64>,
}

impl MinMaxAvg {
    pub fn add(&mut self, value: i64) {
        if self.recent.len() == RECENT_VALUES {
            self.recent.pop_front();
        }
        self.recent.push_back(value);
        self.count += 1;
        self.total = self.total.saturating_add(value);
        self.min = Some(self.min.map_or(value, |m| m.min(value)));
        self.max = Some(self.max.map_or(value, |m| m.max(value)));
    }

    pub fn min(&self) -> i64 {
        self.min.unwrap_or(0)
    }

    pub fn max(&self) -> i64 {
        self.max.unwrap_or(0)
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn sum(&self) -> i64 {
        self.total
    }

    /// The average, 0 with no values.
    pub fn avg(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.total as f64 / self.count as f64
        }
    }

    pub fn reset(&mut self) {
        *self = MinMaxAvg::default();
    }

    /// The `p`-th percentile (0–100) of the recent values; 0 with none.
    pub fn percentile(&self, p: f64) -> i64 {
        if self.recent.is_empty() {
            return 0;
        }
        let mut values: Vec<i64> = self.recent.iter().copied().collect();
        values.sort_unstable();
        let rank = ((p / 100.0) * values.len() as f64).ceil() as usize;
        values[rank.clamp(1, values.len()) - 1]
    }

    /// Forgets the maximum only (Java's `resetMax`).
    pub fn reset_max(&mut self) {
        self.max = None;
    }
}

/// Formats a double the way Java's `Double.toString` does for the values
/// statistics produce: at least one digit after the point, scientific
/// notation outside [10⁻³, 10⁷).
pub fn java_double(value: f64) -> String {
    if value.is_nan() {
        return "NaN".into();
    }
    if value.is_infinite() {
        return if value > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if value == 0.0 {
        return if value.is_sign_negative() {
            "-0.0"
        } else {
            "0.0"
        }
        .into();
    }
    let magnitude = value.abs();
    if (1e-3..1e7).contains(&magnitude) {
        let text = format!("{value}");
        if text.contains('.') {
            text
        } else {
            format!("{text}.0")
        }
    } else {
        // Rust writes 1e7 as "1e7"; Java as "1.0E7".
        let text = format!("{value:e}");
        let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
        let mantissa = if mantissa.contains('.') {
            mantissa.to_string()
        } else {
            format!("{mantissa}.0")
        };
        format!("{mantissa}E{exponent}")
    }
}

/// Whole-server counters (Java's `ServerStats`).
#[derive(Debug, Clone, Default)]
pub struct ServerStats {
    pub latency: MinMaxAvg,
    /// Latencies of write requests (`updatelatency`) and reads
    /// (`readlatency`).
    pub update_latency: MinMaxAvg,
    pub read_latency: MinMaxAvg,
    pub packets_received: u64,
    pub packets_sent: u64,
    pub bytes_received: u64,
    pub response_bytes: u64,
    pub auth_failed: u64,
    pub last_response_size: i64,
    pub min_response_size: Option<i64>,
    pub max_response_size: Option<i64>,
    pub connections_rejected: u64,
    pub sessionless_connections_expired: u64,
    pub unsuccessful_handshakes: u64,
    pub node_created_watches: MinMaxAvg,
    pub node_deleted_watches: MinMaxAvg,
    pub node_changed_watches: MinMaxAvg,
    pub node_children_watches: MinMaxAvg,
    /// Bytes written and read per top-level namespace (Java's
    /// `write_per_namespace` and `read_per_namespace` summary sets).
    pub write_per_namespace: std::collections::BTreeMap<String, MinMaxAvg>,
    pub read_per_namespace: std::collections::BTreeMap<String, MinMaxAvg>,
}

/// Java's `DataTree.STAT_OVERHEAD_BYTES`, counted with every read.
const STAT_OVERHEAD_BYTES: i64 = 6 * 8 + 5 * 4;

/// The top-level namespace of a path (Java's `PathUtils.getTopNamespace`:
/// the second part of `path.split("/")`, which drops trailing empty parts).
pub fn top_namespace(path: &str) -> Option<&str> {
    let parts: Vec<&str> = path.split('/').collect();
    let kept = parts.len() - parts.iter().rev().take_while(|p| p.is_empty()).count();
    (kept > 1).then(|| parts[1])
}

/// A path's length as Java counts it (UTF-16 units).
fn java_length(path: &str) -> i64 {
    path.encode_utf16().count() as i64
}

impl ServerStats {
    /// Java's `updateWriteStat`: a write of `bytes` to `path`.
    pub fn namespace_write(&mut self, path: &str, bytes: usize) {
        if let Some(namespace) = top_namespace(path) {
            self.write_per_namespace
                .entry(namespace.to_string())
                .or_default()
                .add(java_length(path) + bytes as i64);
        }
    }

    /// Java's `updateReadStat`: a read of `bytes` from `path`.
    pub fn namespace_read(&mut self, path: &str, bytes: usize) {
        if let Some(namespace) = top_namespace(path) {
            self.read_per_namespace
                .entry(namespace.to_string())
                .or_default()
                .add(java_length(path) + bytes as i64 + STAT_OVERHEAD_BYTES);
        }
    }

    /// Records the size of a response packet (`BufferStats`).
    pub fn response_size(&mut self, size: usize) {
        let size = size as i64;
        self.last_response_size = size;
        self.min_response_size = Some(self.min_response_size.map_or(size, |m| m.min(size)));
        self.max_response_size = Some(self.max_response_size.map_or(size, |m| m.max(size)));
        self.response_bytes += size as u64;
    }

    /// `srst`: what Java's `ServerStats.reset` clears.
    pub fn reset(&mut self) {
        self.latency.reset();
        self.packets_received = 0;
        self.packets_sent = 0;
        self.last_response_size = -1;
        self.min_response_size = None;
        self.max_response_size = None;
        self.auth_failed = 0;
    }
}

/// Per-connection counters (`cons`).
#[derive(Debug, Clone, Default)]
pub struct ConnStats {
    pub packets_received: u64,
    pub packets_sent: u64,
    pub latency: MinMaxAvg,
    pub last_latency: i64,
    /// `lop`: Java's short name of the last operation, e.g. `GETD`.
    pub last_operation: &'static str,
    pub last_cxid: i64,
    pub last_zxid: i64,
    /// Wall-clock ms of the last response.
    pub last_response_time: i64,
}

impl ConnStats {
    pub fn new() -> Self {
        ConnStats {
            last_operation: "NA",
            last_cxid: -1,
            last_zxid: -1,
            ..ConnStats::default()
        }
    }

    /// `crst`.
    pub fn reset(&mut self) {
        *self = ConnStats::new();
    }
}

/// Java's four-letter short name of an operation, as `cons` shows it in
/// `lop=` (`FinalRequestProcessor`'s `lastOp`).
pub fn last_op_name(op: i32) -> &'static str {
    use crate::proto::op;
    match op {
        op::PING => "PING",
        op::CREATE_SESSION => "SESS",
        op::MULTI => "MULT",
        op::MULTI_READ => "MLTR",
        op::CREATE | op::CREATE2 | op::CREATE_TTL | op::CREATE_CONTAINER => "CREA",
        op::DELETE | op::DELETE_CONTAINER => "DELE",
        op::SET_DATA => "SETD",
        op::RECONFIG => "RECO",
        op::SET_ACL => "SETA",
        op::CLOSE_SESSION => "CLOS",
        op::SYNC => "SYNC",
        op::CHECK => "CHEC",
        op::EXISTS => "EXIS",
        op::GET_DATA => "GETD",
        op::SET_WATCHES => "SETW",
        op::SET_WATCHES2 => "STW2",
        op::ADD_WATCH => "ADDW",
        op::GET_ACL => "GETA",
        op::GET_CHILDREN | op::GET_CHILDREN2 => "GETC",
        op::GET_ALL_CHILDREN_NUMBER => "GETACN",
        op::CHECK_WATCHES => "CHKW",
        op::REMOVE_WATCHES => "REMW",
        op::WHO_AM_I => "HOMI",
        op::GET_EPHEMERALS => "GETE",
        _ => "NA",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_print_like_java() {
        assert_eq!(java_double(0.0), "0.0");
        assert_eq!(java_double(1.0), "1.0");
        assert_eq!(java_double(0.5), "0.5");
        assert_eq!(java_double(1.0 / 3.0), "0.3333333333333333");
        assert_eq!(java_double(1e7), "1.0E7");
        assert_eq!(java_double(1.25e-4), "1.25E-4");
        assert_eq!(java_double(123456.75), "123456.75");
    }

    #[test]
    fn namespaces_follow_javas_split() {
        assert_eq!(top_namespace("/a/b"), Some("a"));
        assert_eq!(top_namespace("/e"), Some("e"));
        assert_eq!(top_namespace("/"), None);
        assert_eq!(top_namespace(""), None);
        assert_eq!(top_namespace("/a/"), Some("a"));
        assert_eq!(top_namespace("//x"), Some(""));
        let mut stats = ServerStats::default();
        stats.namespace_write("/e", 3);
        stats.namespace_read("/e", 3);
        assert_eq!(stats.write_per_namespace["e"].sum(), 2 + 3);
        assert_eq!(stats.read_per_namespace["e"].sum(), 2 + 3 + 68);
    }

    #[test]
    fn min_max_avg() {
        let mut m = MinMaxAvg::default();
        assert_eq!((m.min(), m.max(), m.avg()), (0, 0, 0.0));
        m.add(3);
        m.add(1);
        m.add(2);
        assert_eq!(
            (m.min(), m.max(), m.avg(), m.count(), m.sum()),
            (1, 3, 2.0, 3, 6)
        );
        assert_eq!(m.percentile(50.0), 2);
        assert_eq!(m.percentile(99.0), 3);
        m.reset_max();
        assert_eq!(m.max(), 0);
    }
}
