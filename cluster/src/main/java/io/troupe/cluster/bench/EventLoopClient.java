package io.troupe.cluster.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * The serving bench's client, built like wrk (closed loop) and wrk2 (open loop): one thread runs an event loop over C
 * non-blocking keep-alive HTTP/1.1 connections. Closed loop ({@link #closed}): every connection sends its next request
 * as soon as its last is answered. Open loop ({@link #run}): request {@code i} is sent when it is due
 * ({@code start + i / rate}) on any connection with nothing in flight; a request that finds every connection busy
 * waits for the first that frees, and its latency still counts from when it was due (no coordinated omission). Unlike
 * {@link LoadClient}'s thread per connection, the client adds one runnable thread, not C, to the machine it shares
 * with the server: it takes less of the CPU the server is measured on, and the latency it reports is the server's and
 * not the wake-up of one of C client threads parked on a 2-core machine.
 */
final class EventLoopClient {
    /** Reads are at most this much per call. */
    private static final int READ_BUFFER = 64 * 1024;
    /** The loop sleeps at most this long between due times, so answers are read within it. */
    private static final long MAX_PARK_NS = 50_000;

    private final InetSocketAddress address;
    private final byte[] request;

    EventLoopClient(String host, int port, String path, String body) {
        this.address = new InetSocketAddress(host, port);
        this.request = LoadClient.request(host, port, path, body);
    }

    /**
     * Requests due at {@code rate} per second over {@code connections} connections for {@code warmupS} seconds
     * (not counted) and then {@code seconds}; answers of requests still in flight at the end are awaited (up to
     * 30 s) and counted.
     */
    LoadClient.Run run(int connections, double rate, double warmupS, double seconds) {
        if (!(rate > 0) || Double.isInfinite(rate)) {
            throw new IllegalArgumentException("open loop needs a finite rate > 0 requests/s, got " + rate);
        }
        return connectAndLoop(connections, rate, warmupS, seconds);
    }

    /**
     * Closed loop over {@code connections} connections: each sends its next request when its last is answered, for
     * {@code warmupS} seconds (not counted) and then {@code seconds}; requests sent before the end are awaited and
     * counted, latency from when each was sent.
     */
    LoadClient.Run closed(int connections, double warmupS, double seconds) {
        return connectAndLoop(connections, 0, warmupS, seconds);
    }

    /** {@code rate} 0: closed loop. */
    private LoadClient.Run connectAndLoop(int connections, double rate, double warmupS, double seconds) {
        if (connections < 1 || !(seconds > 0) || !(warmupS >= 0)) {
            throw new IllegalArgumentException("the event-loop client needs >= 1 connection, seconds > 0 and a "
                    + "warm-up >= 0, got " + connections + " connections, " + warmupS + " + " + seconds + " s");
        }
        try (Selector selector = Selector.open()) {
            List<Connection> idle = new ArrayList<>();
            for (int c = 0; c < connections; c++) {
                SocketChannel ch = SocketChannel.open(address);
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                ch.configureBlocking(false);
                Connection conn = new Connection(ch);
                ch.register(selector, SelectionKey.OP_READ, conn);
                idle.add(conn);
            }
            return loop(selector, idle, rate, warmupS, seconds);
        } catch (IOException e) {
            throw new UncheckedIOException("event-loop client against " + address + ": " + e.getMessage(), e);
        }
    }

    private LoadClient.Run loop(Selector selector, List<Connection> idle, double rate, double warmupS, double seconds)
            throws IOException {
        long start = System.nanoTime();
        long measureFrom = start + (long) (warmupS * 1e9);
        long end = measureFrom + (long) (seconds * 1e9);
        long drainUntil = end + 30_000_000_000L;
        ArrayDeque<Long> waiting = new ArrayDeque<>();
        long next = 0;
        int inFlight = 0;
        long ok = 0;
        long refused = 0;
        long failed = 0;
        long[] latencies = new long[4096];
        int count = 0;
        ByteBuffer in = ByteBuffer.allocate(READ_BUFFER);
        boolean closedLoop = rate == 0;
        CpuClock cpu = new CpuClock();
        while (true) {
            long now = System.nanoTime();
            cpu.tick(now, measureFrom, end);
            long due;
            if (closedLoop) { // every idle connection's next request is due now, until the end
                due = now < end ? now : end;
                for (int i = waiting.size(); i < idle.size() && now < end; i++) {
                    waiting.add(now);
                }
            } else {
                due = start + (long) (next * 1e9 / rate);
                while (due <= now && due < end) {
                    waiting.add(due);
                    next++;
                    due = start + (long) (next * 1e9 / rate);
                }
            }
            while (!waiting.isEmpty() && !idle.isEmpty()) {
                Connection c = idle.remove(idle.size() - 1);
                c.send(waiting.poll(), request, selector);
                inFlight++;
            }
            if (due >= end && waiting.isEmpty() && inFlight == 0) {
                break;
            }
            if (now > drainUntil) {
                failed += inFlight + waiting.size();
                break;
            }
            long wait = Math.min(due - now, MAX_PARK_NS);
            int ready;
            if (closedLoop) { // nothing is due before an answer frees a connection: block until one is readable
                ready = selector.select(1);
            } else if ((ready = selector.selectNow()) == 0 && wait > 0) {
                LockSupport.parkNanos(wait);
                ready = selector.selectNow();
            }
            if (ready == 0) {
                continue;
            }
            for (SelectionKey key : selector.selectedKeys()) {
                Connection c = (Connection) key.attachment();
                if (!c.busy) { // nothing in flight: readable only when the server closed it
                    if (key.isValid() && key.isReadable() && c.read(in) < 0) {
                        idle.remove(c);
                        key.cancel();
                        c.channel.close();
                    }
                    continue;
                }
                if (key.isValid() && key.isWritable()) {
                    c.flush(selector);
                }
                if (!key.isValid() || !key.isReadable()) {
                    continue;
                }
                int status = c.read(in);
                if (status == 0) {
                    continue;
                }
                long done = System.nanoTime();
                inFlight--;
                c.busy = false;
                if (status < 0) {
                    failed++;
                    key.cancel();
                    c.channel.close();
                    continue;
                }
                idle.add(c);
                if (c.due < measureFrom) {
                    continue;
                }
                if (status / 100 == 2) {
                    ok++;
                    if (count == latencies.length) {
                        latencies = Arrays.copyOf(latencies, count * 2);
                    }
                    latencies[count++] = done - c.due;
                } else if (status == 503) {
                    refused++;
                } else {
                    failed++;
                }
            }
            selector.selectedKeys().clear();
        }
        for (SelectionKey key : selector.keys()) {
            key.channel().close();
        }
        return new LoadClient.Run(ok, refused, failed, seconds, Arrays.copyOf(latencies, count), cpu.serverNanos());
    }

    /**
     * The CPU time the rest of the process spends while the client measures: the process's CPU time less this
     * thread's (the client is one thread, so what is left is the server's when both share the JVM), sampled when the
     * loop first sees the measured window open and when it first sees it closed.
     */
    private static final class CpuClock {
        private final com.sun.management.OperatingSystemMXBean os = ManagementFactory.getPlatformMXBean(
                com.sun.management.OperatingSystemMXBean.class);
        private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        private long startProcess = -1;
        private long startThread;
        private long server = -1;

        void tick(long now, long measureFrom, long end) {
            if (startProcess < 0 && now >= measureFrom) {
                startProcess = os.getProcessCpuTime();
                startThread = threads.getCurrentThreadCpuTime();
            } else if (server < 0 && startProcess >= 0 && now >= end) {
                long process = os.getProcessCpuTime() - startProcess;
                long client = threads.getCurrentThreadCpuTime() - startThread;
                server = process < 0 || client < 0 ? -1 : Math.max(0, process - client);
            }
        }

        long serverNanos() {
            return server;
        }
    }

    /** One keep-alive connection with at most one request in flight, and an incremental response parser. */
    private static final class Connection {
        final SocketChannel channel;
        long due;
        boolean busy;
        private ByteBuffer pending;
        private final StringBuilder line = new StringBuilder();
        private int status = -1;
        private long contentLength;
        private long bodyLeft = -1;

        Connection(SocketChannel channel) {
            this.channel = channel;
        }

        void send(long due, byte[] request, Selector selector) throws IOException {
            this.due = due;
            busy = true;
            status = -1;
            contentLength = 0;
            bodyLeft = -1;
            line.setLength(0);
            pending = ByteBuffer.wrap(request);
            flush(selector);
        }

        void flush(Selector selector) throws IOException {
            channel.write(pending);
            int ops = pending.hasRemaining() ? SelectionKey.OP_READ | SelectionKey.OP_WRITE : SelectionKey.OP_READ;
            channel.keyFor(selector).interestOps(ops);
        }

        /** Reads what is there: the answer's status once it is complete, 0 if not yet, -1 if the server closed. */
        int read(ByteBuffer buf) throws IOException {
            buf.clear();
            int n = channel.read(buf);
            if (n < 0) {
                return -1;
            }
            buf.flip();
            while (buf.hasRemaining()) {
                if (bodyLeft >= 0) {
                    int skip = (int) Math.min(bodyLeft, buf.remaining());
                    buf.position(buf.position() + skip);
                    bodyLeft -= skip;
                } else {
                    char ch = (char) (buf.get() & 0xff);
                    if (ch == '\n') {
                        header();
                    } else if (ch != '\r') {
                        line.append(ch);
                    }
                }
                if (bodyLeft == 0) {
                    if (buf.hasRemaining()) {
                        throw new IOException("the server sent " + buf.remaining() + " bytes after an answer");
                    }
                    return status;
                }
            }
            return 0;
        }

        private void header() throws IOException {
            String l = line.toString();
            line.setLength(0);
            if (l.isEmpty()) {
                bodyLeft = contentLength;
            } else if (status < 0) {
                if (l.length() < 12 || !l.startsWith("HTTP/1.")) {
                    throw new IOException("not an HTTP/1.x status line: " + l);
                }
                status = Integer.parseInt(l.substring(9, 12));
            } else if (l.regionMatches(true, 0, "content-length:", 0, 15)) {
                contentLength = Long.parseLong(l.substring(15).trim());
            }
        }
    }
}
