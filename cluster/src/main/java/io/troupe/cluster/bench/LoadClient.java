package io.troupe.cluster.bench;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The serving bench's client: C keep-alive HTTP/1.1 connections over plain {@link Socket}s, one thread each, every
 * request the same POST. As light as a client gets in Java, so the figures are the server's. Closed loop (each
 * connection sends its next request when the last is answered) or open loop (requests due at a fixed rate; latency
 * counted from when a request was due, so a late send counts against the server, not for it).
 */
final class LoadClient {
    /**
     * What a run measured: answers by status class, elapsed seconds, latencies (ns) of the 2xx answers, and the CPU
     * time the rest of the process (the server, when it runs in the client's JVM) used while it measured, without the
     * client's own (-1 when the client cannot tell its CPU time apart: a thread per connection).
     */
    record Run(long ok, long refused, long failed, double seconds, long[] latencies, long serverCpuNanos) {
        Run(long ok, long refused, long failed, double seconds, long[] latencies) {
            this(ok, refused, failed, seconds, latencies, -1);
        }

        double perSecond() {
            return ok / seconds;
        }

        /** CPU microseconds the server used per 2xx answer; NaN when not measured. */
        double serverCpuMicrosPerRequest() {
            return serverCpuNanos < 0 || ok == 0 ? Double.NaN : serverCpuNanos / 1e3 / ok;
        }

        /** The {@code q}-quantile of the latencies in milliseconds. */
        double quantileMs(double q) {
            if (latencies.length == 0) {
                return Double.NaN;
            }
            long[] sorted = latencies.clone();
            Arrays.sort(sorted);
            return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)] / 1e6;
        }
    }

    private final String host;
    private final int port;
    private final byte[] request;

    LoadClient(String host, int port, String path, String body) {
        this.host = host;
        this.port = port;
        this.request = request(host, port, path, body);
    }

    /** The bytes of a keep-alive HTTP/1.1 POST of the JSON {@code body} to {@code path}. */
    static byte[] request(String host, int port, String path, String body) {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        String head = "POST " + path + " HTTP/1.1\r\nHost: " + host + ":" + port + "\r\nContent-Type: "
                + "application/json\r\nContent-Length: " + b.length + "\r\n\r\n";
        byte[] h = head.getBytes(StandardCharsets.US_ASCII);
        byte[] request = Arrays.copyOf(h, h.length + b.length);
        System.arraycopy(b, 0, request, h.length, b.length);
        return request;
    }

    /** Closed loop on {@code connections} connections: {@code warmupS} seconds unmeasured, then {@code seconds}. */
    Run closed(int connections, double warmupS, double seconds) {
        return run(connections, warmupS, seconds, 0);
    }

    /** Open loop at {@code rate} requests/s spread over {@code connections} connections. */
    Run open(int connections, double rate, double warmupS, double seconds) {
        return run(connections, warmupS, seconds, rate);
    }

    private Run run(int connections, double warmupS, double seconds, double rate) {
        long start = System.nanoTime();
        long measureFrom = start + (long) (warmupS * 1e9);
        long end = measureFrom + (long) (seconds * 1e9);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong next = new AtomicLong();
        List<Worker> workers = new ArrayList<>();
        for (int c = 0; c < connections; c++) {
            workers.add(new Worker(measureFrom, end, stop, next, rate, start));
        }
        List<Thread> threads = new ArrayList<>();
        for (Worker w : workers) {
            Thread t = new Thread(w::loop, "bench-client");
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                stop.set(true);
            }
        }
        long ok = 0;
        long refused = 0;
        long failed = 0;
        int n = 0;
        for (Worker w : workers) {
            ok += w.ok;
            refused += w.refused;
            failed += w.failed;
            n += w.count;
        }
        long[] all = new long[n];
        int o = 0;
        for (Worker w : workers) {
            System.arraycopy(w.latencies, 0, all, o, w.count);
            o += w.count;
        }
        return new Run(ok, refused, failed, seconds, all);
    }

    /** One connection's loop. */
    private final class Worker {
        private final long measureFrom;
        private final long end;
        private final AtomicBoolean stop;
        private final AtomicLong next;
        private final double rate;
        private final long start;
        long ok;
        long refused;
        long failed;
        long[] latencies = new long[1024];
        int count;

        Worker(long measureFrom, long end, AtomicBoolean stop, AtomicLong next, double rate, long start) {
            this.measureFrom = measureFrom;
            this.end = end;
            this.stop = stop;
            this.next = next;
            this.rate = rate;
            this.start = start;
        }

        void loop() {
            try (Socket s = new Socket()) {
                s.setTcpNoDelay(true);
                s.connect(new InetSocketAddress(host, port), 10_000);
                s.setSoTimeout(30_000);
                OutputStream out = s.getOutputStream();
                InputStream in = new BufferedInputStream(s.getInputStream(), 16 * 1024);
                while (!stop.get()) {
                    long due;
                    if (rate > 0) {
                        due = start + (long) (next.getAndIncrement() * 1e9 / rate);
                        long wait = due - System.nanoTime();
                        if (wait > 0) {
                            LockSupport.parkNanos(wait);
                        }
                    } else {
                        due = System.nanoTime();
                    }
                    if (due >= end) {
                        return;
                    }
                    out.write(request);
                    out.flush();
                    int status = readResponse(in);
                    long done = System.nanoTime();
                    if (due < measureFrom) {
                        continue;
                    }
                    if (status / 100 == 2) {
                        ok++;
                        if (count == latencies.length) {
                            latencies = Arrays.copyOf(latencies, count * 2);
                        }
                        latencies[count++] = done - due;
                    } else if (status == 503) {
                        refused++;
                    } else {
                        failed++;
                    }
                }
            } catch (IOException e) {
                failed++;
            }
        }
    }

    /** Reads one response (status line, headers, Content-Length body); returns the status. */
    static int readResponse(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int status = -1;
        long length = 0;
        boolean first = true;
        while (true) {
            line.setLength(0);
            int c;
            while ((c = in.read()) != '\n') {
                if (c < 0) {
                    throw new IOException("the server closed the connection");
                }
                if (c != '\r') {
                    line.append((char) c);
                }
            }
            if (line.length() == 0) {
                break;
            }
            String l = line.toString();
            if (first) {
                status = Integer.parseInt(l.substring(9, 12));
                first = false;
            } else if (l.regionMatches(true, 0, "content-length:", 0, 15)) {
                length = Long.parseLong(l.substring(15).trim());
            }
        }
        long skipped = 0;
        while (skipped < length) {
            long k = in.skip(length - skipped);
            if (k <= 0) {
                if (in.read() < 0) {
                    throw new UncheckedIOException(new IOException("truncated body"));
                }
                k = 1;
            }
            skipped += k;
        }
        return status;
    }
}
