//! The network shell around the server core: a tokio listener on the client
//! port, one reader and one writer task per connection, and the core's task
//! that turns [`Input`]s into [`Output`]s. Everything the protocol decides
//! happens in the core; this module only moves bytes.
//!
//! Per connection:
//! - the reader takes frames off the socket: an `int` length then the body.
//!   On a new connection, a first length that spells a known four-letter
//!   word runs that command instead. A length below 0 or above
//!   `jute.maxbuffer` closes the connection, as Java's `readLength` does;
//! - the writer sends what the core queued for the connection, coalescing
//!   queued frames into one write, and closes the socket when told to.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{mpsc, Semaphore};
use tokio_util::sync::CancellationToken;

use super::{ConnId, Input, Output};
use crate::proto;

/// What the network shell needs to know from the configuration.
#[derive(Debug, Clone)]
pub struct NetConfig {
    pub listen: SocketAddr,
    /// `clientPortListenBacklog`; −1 = the default.
    pub backlog: i32,
    /// `maxClientCnxns` per client IP; 0 = unlimited.
    pub max_client_cnxns: usize,
    /// `jute.maxbuffer`: the largest frame a client may send.
    pub max_frame: i32,
    /// `zookeeper.maxCnxns`: all connections; 0 = unlimited.
    pub max_cnxns: usize,
    /// `zookeeper.globalOutstandingLimit`: requests read from clients and
    /// not yet processed; beyond it, connections stop reading (as Java's
    /// throttling does).
    pub max_outstanding: usize,
    /// How often the core gets a [`Input::Tick`].
    pub tick: Duration,
}

/// A message from the core to one connection's writer.
#[derive(Debug)]
enum ToWriter {
    Bytes(Bytes),
    Close,
}

/// Binds the client port. Returns the listener, so the caller knows the
/// address (port 0 picks a free port) before serving.
pub async fn bind(config: &NetConfig) -> std::io::Result<TcpListener> {
    let socket = match config.listen {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.bind(config.listen)?;
    let backlog = if config.backlog > 0 {
        config.backlog as u32
    } else {
        1024
    };
    socket.listen(backlog)
}

/// Counts connections per client address, for `maxClientCnxns`.
#[derive(Default)]
struct ConnectionCounts {
    per_ip: HashMap<IpAddr, usize>,
    total: usize,
}

/// Serves until `shutdown` resolves or the core asks to stop
/// ([`Output::Stop`], returned as the error): accepts connections and runs
/// `core` on every input — from the connections, the ticker, and `events`
/// (what other threads, such as the transaction log's, report). When `core`
/// returns a duration, it gets an [`Input::Wake`] after that long unless
/// another input comes first (background work that is done in slices).
pub async fn serve<C>(
    listener: TcpListener,
    config: NetConfig,
    mut core: C,
    mut events: mpsc::UnboundedReceiver<Input>,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), String>
where
    C: FnMut(Input, &mut Vec<Output>) -> Option<Duration>,
{
    let (input_tx, mut input_rx) = mpsc::unbounded_channel::<Input>();
    let outstanding = Arc::new(Semaphore::new(config.max_outstanding.max(1)));
    let counts = Arc::new(Mutex::new(ConnectionCounts::default()));
    let mut writers: HashMap<ConnId, mpsc::UnboundedSender<ToWriter>> = HashMap::new();
    let mut next_conn: ConnId = 1;
    let mut ticker = tokio::time::interval(config.tick);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut outputs = Vec::new();
    let wake = tokio::time::sleep(Duration::ZERO);
    let mut wake_armed = false;
    tokio::pin!(shutdown, wake);

    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let (stream, remote) = match accepted {
                    Ok(ok) => ok,
                    Err(e) => {
                        tracing::warn!("accept failed: {e}");
                        continue;
                    }
                };
                if !admit(&counts, &config, remote) {
                    // A hard close (reset), as Java's fastCloseSock.
                    let _ = stream.set_zero_linger();
                    drop(stream);
                    continue;
                }
                let conn = next_conn;
                next_conn += 1;
                let writer = spawn_connection(
                    conn,
                    stream,
                    remote,
                    &config,
                    &input_tx,
                    &counts,
                    &outstanding,
                );
                writers.insert(conn, writer);
            }
            Some(input) = input_rx.recv() => {
                let closed = match &input { Input::Closed { conn } => Some(*conn), _ => None };
                let is_frame = matches!(input, Input::Frame { .. });
                let wake_after = core(input, &mut outputs);
                if is_frame {
                    // The frame is processed: its reader may read another.
                    outstanding.add_permits(1);
                }
                dispatch(&mut outputs, &mut writers)?;
                if let Some(conn) = closed {
                    writers.remove(&conn);
                }
                wake_armed = arm(wake.as_mut(), wake_after);
            }
            Some(event) = events.recv() => {
                let wake_after = core(event, &mut outputs);
                dispatch(&mut outputs, &mut writers)?;
                wake_armed = arm(wake.as_mut(), wake_after);
            }
            _ = ticker.tick() => {
                let wake_after = core(Input::Tick, &mut outputs);
                dispatch(&mut outputs, &mut writers)?;
                wake_armed = arm(wake.as_mut(), wake_after);
            }
            _ = &mut wake, if wake_armed => {
                let wake_after = core(Input::Wake, &mut outputs);
                dispatch(&mut outputs, &mut writers)?;
                wake_armed = arm(wake.as_mut(), wake_after);
            }
        }
    }
    Ok(())
}

/// Sets the wake-up timer for `after` from now; returns whether it is set.
fn arm(timer: std::pin::Pin<&mut tokio::time::Sleep>, after: Option<Duration>) -> bool {
    match after {
        Some(after) => {
            timer.reset(tokio::time::Instant::now() + after);
            true
        }
        None => false,
    }
}

/// Whether a new connection from `remote` is within the limits; logs why not.
fn admit(counts: &Mutex<ConnectionCounts>, config: &NetConfig, remote: SocketAddr) -> bool {
    let mut counts = counts.lock().unwrap_or_else(|e| e.into_inner());
    if config.max_cnxns > 0 && counts.total >= config.max_cnxns {
        tracing::warn!(
            "too many connections ({}), the maximum is {}; refusing {remote}",
            counts.total,
            config.max_cnxns
        );
        return false;
    }
    let from_ip = counts.per_ip.get(&remote.ip()).copied().unwrap_or(0);
    if config.max_client_cnxns > 0 && from_ip >= config.max_client_cnxns {
        tracing::warn!(
            "too many connections from {} - max is {}",
            remote.ip(),
            config.max_client_cnxns
        );
        return false;
    }
    counts.total += 1;
    *counts.per_ip.entry(remote.ip()).or_default() += 1;
    true
}

/// A connection's place in the counts, given back once by whichever of
/// its reader and writer ends first. The writer gives it back *before* it
/// closes the socket, as Java forgets a connection before closing it: a
/// client that has seen the close can connect again at once.
struct Slot {
    counts: Arc<Mutex<ConnectionCounts>>,
    remote: SocketAddr,
    released: AtomicBool,
}

impl Slot {
    fn release(&self) {
        if !self.released.swap(true, Ordering::SeqCst) {
            release(&self.counts, self.remote);
        }
    }
}

fn release(counts: &Mutex<ConnectionCounts>, remote: SocketAddr) {
    let mut counts = counts.lock().unwrap_or_else(|e| e.into_inner());
    counts.total = counts.total.saturating_sub(1);
    if let Some(n) = counts.per_ip.get_mut(&remote.ip()) {
        *n -= 1;
        if *n == 0 {
            counts.per_ip.remove(&remote.ip());
        }
    }
}

/// Hands the core's outputs to the connections' writers; an error stops the
/// server.
fn dispatch(
    outputs: &mut Vec<Output>,
    writers: &mut HashMap<ConnId, mpsc::UnboundedSender<ToWriter>>,
) -> Result<(), String> {
    for output in outputs.drain(..) {
        match output {
            Output::Send { conn, bytes } => {
                if let Some(w) = writers.get(&conn) {
                    let _ = w.send(ToWriter::Bytes(bytes));
                }
            }
            Output::Close { conn } => {
                if let Some(w) = writers.remove(&conn) {
                    let _ = w.send(ToWriter::Close);
                }
            }
            Output::Stop { reason } => return Err(reason),
        }
    }
    Ok(())
}

/// Starts a connection's reader and writer; returns the writer's queue.
fn spawn_connection(
    conn: ConnId,
    stream: TcpStream,
    remote: SocketAddr,
    config: &NetConfig,
    inputs: &mpsc::UnboundedSender<Input>,
    counts: &Arc<Mutex<ConnectionCounts>>,
    outstanding: &Arc<Semaphore>,
) -> mpsc::UnboundedSender<ToWriter> {
    let _ = stream.set_nodelay(true);
    let local = stream.local_addr().ok();
    let (read_half, write_half) = stream.into_split();
    let (to_writer, from_core) = mpsc::unbounded_channel();
    let _ = inputs.send(Input::Accepted {
        conn,
        remote,
        local,
    });
    // The writer cancels the reader once the core has closed the
    // connection, so that a client that keeps its end open is let go.
    let closed = CancellationToken::new();
    let slot = Arc::new(Slot {
        counts: Arc::clone(counts),
        remote,
        released: AtomicBool::new(false),
    });
    tokio::spawn(write_loop(
        write_half,
        from_core,
        closed.clone(),
        Arc::clone(&slot),
    ));
    let inputs = inputs.clone();
    let max_frame = config.max_frame;
    let outstanding = Arc::clone(outstanding);
    tokio::spawn(async move {
        let reason = tokio::select! {
            reason = read_loop(conn, read_half, max_frame, &inputs, &outstanding) => reason,
            _ = closed.cancelled() => "closed by the server".to_string(),
        };
        tracing::debug!(conn, %remote, "connection closed: {reason}");
        let _ = inputs.send(Input::Closed { conn });
        slot.release();
    });
    to_writer
}

/// Reads frames until the socket ends or sends something invalid; returns
/// why it stopped. Reads go into one buffer, so a client that pipelines
/// costs one system call for many frames.
async fn read_loop(
    conn: ConnId,
    mut socket: OwnedReadHalf,
    max_frame: i32,
    inputs: &mpsc::UnboundedSender<Input>,
    outstanding: &Semaphore,
) -> String {
    let mut buffer = BytesMut::with_capacity(READ_BUFFER);
    let mut first = true;
    loop {
        // Frames already in the buffer go first.
        while buffer.len() >= 4 {
            let len = i32::from_be_bytes([buffer[0], buffer[1], buffer[2], buffer[3]]);
            if first {
                if let Some(word) = proto::four_letter_word(len) {
                    let trace_mask = if word == "stmk" {
                        read_trace_mask(&socket, &buffer[4..])
                    } else {
                        None
                    };
                    let _ = inputs.send(Input::FourLetterWord {
                        conn,
                        word,
                        trace_mask,
                    });
                    // The core answers and closes; nothing more is read.
                    return format!("four-letter word {word}");
                }
            }
            if len < 0 || len > max_frame {
                tracing::warn!(
                    conn,
                    "closing: a message with advertised length {len} is either malformed or too \
                     large to process (length is greater than jute.maxbuffer={max_frame})"
                );
                return format!("bad length {len}");
            }
            let whole = 4 + len as usize;
            if buffer.len() < whole {
                buffer.reserve(whole - buffer.len());
                break;
            }
            first = false;
            let mut frame = buffer.split_to(whole);
            frame.advance(4);
            let body = frame.freeze();
            // Wait while too many requests are unprocessed; the core's loop
            // returns the permit.
            match outstanding.acquire().await {
                Ok(permit) => permit.forget(),
                Err(_) => return "server stopped".to_string(),
            }
            if inputs.send(Input::Frame { conn, frame: body }).is_err() {
                return "server stopped".to_string();
            }
        }
        // Room for a whole read, not the crumbs the last frames left.
        if buffer.capacity() - buffer.len() < READ_BUFFER / 2 {
            buffer.reserve(READ_BUFFER);
        }
        match socket.read_buf(&mut buffer).await {
            Ok(0) => {
                return if buffer.is_empty() {
                    "end of stream".to_string()
                } else {
                    "end of stream inside a frame".to_string()
                }
            }
            Ok(_) => {}
            Err(e) => return format!("end of stream ({e})"),
        }
    }
}

/// How much a connection's reader asks for at a time.
const READ_BUFFER: usize = 16 * 1024;

/// `stmk`'s argument, a long: Java takes it with one non-blocking read of
/// 8 bytes right after the command, so it must come with the command
/// (`read` is what came with it into the buffer).
fn read_trace_mask(socket: &OwnedReadHalf, read: &[u8]) -> Option<i64> {
    let mut mask = [0u8; 8];
    let have = read.len().min(8);
    mask[..have].copy_from_slice(&read[..have]);
    if have < 8 {
        match socket.try_read(&mut mask[have..]) {
            Ok(n) if have + n == 8 => {}
            _ => return None,
        }
    }
    Some(i64::from_be_bytes(mask))
}

async fn write_loop(
    mut socket: OwnedWriteHalf,
    mut from_core: mpsc::UnboundedReceiver<ToWriter>,
    closed: CancellationToken,
    slot: Arc<Slot>,
) {
    let _cancel_reader_on_exit = closed.drop_guard();
    let mut batch = BytesMut::new();
    while let Some(first) = from_core.recv().await {
        let mut close = false;
        let mut next = Some(first);
        // Coalesce whatever is already queued into one write.
        while let Some(message) = next.take() {
            match message {
                ToWriter::Bytes(bytes) => batch.extend_from_slice(&bytes),
                ToWriter::Close => {
                    close = true;
                    break;
                }
            }
            if batch.len() >= 256 * 1024 {
                break;
            }
            next = from_core.try_recv().ok();
        }
        if !batch.is_empty() {
            if socket.write_all(&batch).await.is_err() {
                return;
            }
            batch.clear();
        }
        if close {
            slot.release();
            let _ = socket.shutdown().await;
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With `maxClientCnxns=1`, a client whose connection the server has
    /// closed can connect again as soon as it sees the close.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_closed_connection_frees_its_slot_before_the_client_sees_the_close() {
        let config = NetConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            backlog: -1,
            max_client_cnxns: 1,
            max_frame: 1024,
            max_cnxns: 0,
            max_outstanding: 1000,
            tick: Duration::from_secs(3600),
        };
        let listener = bind(&config).await.unwrap();
        let addr = listener.local_addr().unwrap();
        // A core that greets each connection and closes it.
        let core = |input: Input, out: &mut Vec<Output>| {
            if let Input::Accepted { conn, .. } = input {
                out.push(Output::Send {
                    conn,
                    bytes: Bytes::from_static(b"hi"),
                });
                out.push(Output::Close { conn });
            }
            None
        };
        let clients = async {
            for i in 0..200 {
                let mut stream = TcpStream::connect(addr).await.unwrap();
                let mut got = Vec::new();
                let _ = stream.read_to_end(&mut got).await;
                // A refused connection is closed without the greeting.
                assert_eq!(got, b"hi", "connection {i} was refused");
            }
        };
        let (_events_tx, events) = mpsc::unbounded_channel();
        tokio::select! {
            _ = serve(listener, config, core, events, std::future::pending()) => unreachable!(),
            _ = clients => {}
        }
    }

    /// Frames that come several to a read, or split across reads, reach
    /// the core whole and in order; a length over `jute.maxbuffer` closes
    /// the connection.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn frames_are_cut_from_the_read_buffer_whatever_the_reads() {
        let config = NetConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            backlog: -1,
            max_client_cnxns: 0,
            max_frame: 100_000,
            max_cnxns: 0,
            max_outstanding: 2,
            tick: Duration::from_secs(3600),
        };
        let listener = bind(&config).await.unwrap();
        let addr = listener.local_addr().unwrap();
        // A core that answers each frame with its length and first byte.
        let core = |input: Input, out: &mut Vec<Output>| {
            if let Input::Frame { conn, frame } = input {
                let mut reply = (frame.len() as u32).to_be_bytes().to_vec();
                reply.push(frame.first().copied().unwrap_or(0));
                out.push(Output::Send {
                    conn,
                    bytes: Bytes::from(reply),
                });
            }
            None
        };
        fn framed(first: u8, len: usize) -> Vec<u8> {
            let mut bytes = (len as i32).to_be_bytes().to_vec();
            bytes.push(first);
            bytes.resize(4 + len, 0xEE);
            bytes
        }
        let client = async {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            // Three frames in one write (more than the outstanding limit),
            // then a big one in pieces, the length itself split.
            let mut three = framed(1, 10);
            three.extend(framed(2, 1));
            three.extend(framed(3, 20_000));
            stream.write_all(&three).await.unwrap();
            let big = framed(4, 60_000);
            for piece in [&big[..2], &big[2..7], &big[7..30_000], &big[30_000..]] {
                stream.write_all(piece).await.unwrap();
                stream.flush().await.unwrap();
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            let mut replies = [0u8; 20];
            stream.read_exact(&mut replies).await.unwrap();
            let got: Vec<(u32, u8)> = replies
                .chunks(5)
                .map(|r| (u32::from_be_bytes([r[0], r[1], r[2], r[3]]), r[4]))
                .collect();
            assert_eq!(got, vec![(10, 1), (1, 2), (20_000, 3), (60_000, 4)]);
            // Too long: the server closes without an answer.
            stream.write_all(&100_001i32.to_be_bytes()).await.unwrap();
            let mut rest = Vec::new();
            let _ = stream.read_to_end(&mut rest).await;
            assert!(rest.is_empty(), "{rest:?}");
        };
        let (_events_tx, events) = mpsc::unbounded_channel();
        tokio::select! {
            _ = serve(listener, config, core, events, std::future::pending()) => unreachable!(),
            _ = client => {}
        }
    }
}
