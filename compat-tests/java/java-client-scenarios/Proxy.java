import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * A TCP proxy in front of the server that can cut a client off: while cut,
 * open connections are closed and new ones are closed as soon as they are
 * accepted, so the client keeps trying to reconnect and the server sees no
 * traffic from the session (it expires once its timeout passes).
 */
final class Proxy implements AutoCloseable {
    private final ServerSocket listener;
    private final InetSocketAddress target;
    private final Object lock = new Object();
    private final List<Socket> open = new ArrayList<>();
    private boolean cut;

    Proxy(String targetHostPort) throws IOException {
        int colon = targetHostPort.lastIndexOf(':');
        target = new InetSocketAddress(targetHostPort.substring(0, colon),
            Integer.parseInt(targetHostPort.substring(colon + 1)));
        listener = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
        Thread t = new Thread(this::acceptLoop, "proxy-accept");
        t.setDaemon(true);
        t.start();
    }

    String connectString() {
        return "127.0.0.1:" + listener.getLocalPort();
    }

    void cut() {
        synchronized (lock) {
            cut = true;
            for (Socket s : open) {
                closeQuietly(s);
            }
            open.clear();
        }
    }

    void restore() {
        synchronized (lock) {
            cut = false;
        }
    }

    @Override
    public void close() {
        cut();
        closeQuietly(listener);
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                return;
            }
            Socket server = new Socket();
            try {
                synchronized (lock) {
                    if (cut) {
                        closeQuietly(client);
                        continue;
                    }
                    server.connect(target, 5000);
                    client.setTcpNoDelay(true);
                    server.setTcpNoDelay(true);
                    open.add(client);
                    open.add(server);
                }
            } catch (IOException e) {
                closeQuietly(client);
                closeQuietly(server);
                continue;
            }
            pump(client, server);
            pump(server, client);
        }
    }

    private static void pump(Socket from, Socket to) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[65536];
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                int n;
                while ((n = in.read(buf)) >= 0) {
                    out.write(buf, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // closed by cut() or by either end
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }, "proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // already closed
        }
    }
}
