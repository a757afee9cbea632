package io.troupe.cluster;

import io.troupe.cluster.cli.TroupeCli;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code troupe node} processes (separate JVMs on loopback) for the cluster tests, with their logs in a directory. */
final class NodeProcesses implements AutoCloseable {
    private final Path dir;
    private final List<Process> processes = new ArrayList<>();

    NodeProcesses(Path dir) {
        this.dir = dir;
    }

    private static final Pattern ADDRESS = Pattern.compile("troupe node: roles .* at pekko://[^@\\s]+@[^:\\s]+:(\\d+)");
    private static final Pattern ADMIN = Pattern.compile("troupe node: admin API on http://[^:\\s]+:(\\d+)");

    /** Where {@link #freePort()} looks: outside the kernel's ephemeral range, below it where there is room. */
    private static final int[] PORTS = portsOutsideTheEphemeralRange();
    /** Ports this JVM handed out already: two draws must not give one port to two children. */
    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    /**
     * A port free a moment ago, for a child's setting that needs it in advance. It is drawn outside the kernel's
     * ephemeral range ({@code net.ipv4.ip_local_port_range}): a port the kernel hands out for {@code bind(0)} is also
     * one it hands out as the local end of an outgoing connection, and CI once saw a node's management port taken that
     * way in the seconds its JVM took to start ("Address already in use"). Ports outside the range are only ever taken
     * by a process that asks for them by number.
     */
    static int freePort() throws IOException {
        int span = PORTS[1] - PORTS[0] + 1;
        int start = ThreadLocalRandom.current().nextInt(span);
        for (int i = 0; i < span; i++) {
            int port = PORTS[0] + (start + i) % span;
            if (!HANDED_OUT.add(port)) {
                continue;
            }
            try (ServerSocket s = new ServerSocket()) {
                s.setReuseAddress(false);
                s.bind(new InetSocketAddress(port));
                return port;
            } catch (IOException taken) {
                // try the next one
            }
        }
        throw new IOException("no free port between " + PORTS[0] + " and " + PORTS[1]);
    }

    /**
     * {first, last}: 10000 up to the kernel's ephemeral range (Linux's {@code ip_local_port_range}; 32768-60999 where
     * it cannot be read), or above the range when fewer than 1,000 ports lie below it.
     */
    private static int[] portsOutsideTheEphemeralRange() {
        int low = 32_768;
        int high = 60_999;
        try {
            String[] range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).strip().split("\\s+");
            low = Integer.parseInt(range[0]);
            high = Integer.parseInt(range[1]);
        } catch (IOException | RuntimeException e) {
            // the defaults above
        }
        if (low - 10_000 >= 1_000) {
            return new int[] {10_000, low - 1};
        }
        if (65_535 - high >= 1_000) {
            return new int[] {high + 1, 65_535};
        }
        throw new IllegalStateException("the ephemeral port range " + low + "-" + high + " leaves no room for the "
                + "tests' fixed ports");
    }

    /** The status of GET {@code path} on loopback {@code port}, or -1 when nothing answers within {@code timeout}. */
    static int httpStatus(HttpClient http, int port, String path, Duration timeout) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(timeout).GET().build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** The Troupe directory (the tests run in {@code cluster/}). */
    static final Path HOME = Path.of("..").toAbsolutePath().normalize();
    /** The environment the launcher exports for PyTorch's threads and glibc's heaps (JvmOptionsTest keeps it so). */
    static final Map<String, String> LAUNCHER_ENV = Map.of("OMP_NUM_THREADS", "1",
            "MALLOC_MMAP_THRESHOLD_", "33554432", "MALLOC_TRIM_THRESHOLD_", "1073741824",
            "MALLOC_TOP_PAD_", "67108864");

    /** The flags of {@code conf/jvm.options}, read as the launcher reads them (one a line, # comments). */
    static List<String> jvmFlags() throws IOException {
        List<String> flags = new ArrayList<>();
        for (String line : Files.readAllLines(HOME.resolve("conf/jvm.options"))) {
            int hash = line.indexOf('#');
            String flag = (hash >= 0 ? line.substring(0, hash) : line).strip();
            if (!flag.isEmpty()) {
                flags.add(flag);
            }
        }
        return flags;
    }

    /**
     * The command line of {@code troupe ARGS...} in a child JVM with the launcher's flags. The class path goes in the
     * {@code CLASSPATH} variable ({@link #start(ProcessBuilder)} sets it), not on the command line: ONNX Runtime 1.29
     * crashes (SIGSEGV) while loading in a JVM whose command line is longer than about 4 KB.
     */
    static List<String> command(List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmFlags());
        cmd.addAll(List.of("-Xmx700m", "-Dtroupe.home=" + HOME, TroupeCli.class.getName()));
        cmd.addAll(args);
        return cmd;
    }

    /** The Artery port node {@code name} bound (it prints its address once its actor system started). */
    int port(String name) {
        return printedPort(name, ADDRESS, "its actor system started");
    }

    /** The admin API port node {@code name} bound (started with {@code --admin-port 0}). */
    int adminPort(String name) {
        return printedPort(name, ADMIN, "its admin API started");
    }

    private int printedPort(String name, Pattern pattern, String what) {
        Matcher m = pattern.matcher(awaitLog(name, log -> pattern.matcher(log).find(), 120, what));
        if (!m.find()) {
            throw new AssertionError("node " + name + ": no port in its log");
        }
        return Integer.parseInt(m.group(1));
    }

    /** Starts {@code troupe node ARGS...}, its output in {@code <name>.log}. */
    Process start(String name, List<String> args) throws IOException {
        List<String> all = new ArrayList<>(List.of("node"));
        all.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command(all)).redirectErrorStream(true)
                .redirectOutput(dir.resolve(name + ".log").toFile());
        return start(pb);
    }

    /**
     * Starts {@code pb} (a {@link #command}) with the launcher's environment and this JVM's class path in
     * {@code CLASSPATH}; it is killed on {@link #close}.
     */
    Process start(ProcessBuilder pb) throws IOException {
        pb.environment().put("CLASSPATH", System.getProperty("java.class.path"));
        pb.environment().putAll(LAUNCHER_ENV);
        Process p = pb.start();
        processes.add(p);
        return p;
    }

    String log(String name) {
        try {
            return Files.readString(dir.resolve(name + ".log"));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /**
     * Waits (polling the log, at most {@code seconds}) until the log's complete lines satisfy {@code condition}, and
     * returns them: a line the node is still writing (a {@code printf} reaches the file in pieces) is not seen before
     * its newline.
     */
    String awaitLog(String name, Predicate<String> condition, int seconds, String what) {
        return awaitLog(name, condition, seconds, what, Duration.ofMillis(200));
    }

    /** {@link #awaitLog(String, Predicate, int, String)}, reading the log every {@code poll}. */
    String awaitLog(String name, Predicate<String> condition, int seconds, String what, Duration poll) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            String text = completeLines(log(name));
            if (condition.test(text)) {
                return text;
            }
            LockSupport.parkNanos(poll.toNanos());
        }
        throw new AssertionError("node " + name + ": " + what + " did not happen in " + seconds + " s; its log:\n"
                + log(name));
    }

    /** {@code log} up to and including its last newline. */
    static String completeLines(String log) {
        return log.substring(0, log.lastIndexOf('\n') + 1);
    }

    /** The highest {@code policy vN} the log's progress lines show (-1 if none). */
    static long lastPolicyVersion(String log) {
        Matcher m = Pattern.compile("policy v(\\d+)").matcher(log);
        long v = -1;
        while (m.find()) {
            v = Math.max(v, Long.parseLong(m.group(1)));
        }
        return v;
    }

    @Override
    public void close() {
        processes.forEach(Process::destroyForcibly);
    }
}
