package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One file of JVM flags, conf/jvm.options: the launcher reads it, the process tests' child JVMs get it, and the root
 * pom's troupe.jvm.flags (the test JVMs' argLine) agrees with it.
 */
class JvmOptionsTest {
    @Test
    void theFileNamesTheFlagsEveryTroupeJvmNeeds() throws Exception {
        List<String> flags = NodeProcesses.jvmFlags();
        assertTrue(flags.contains("-XX:+UseSerialGC") && flags.contains("--add-opens=java.base/java.nio=ALL-UNNAMED")
                && flags.contains("--add-opens=java.base/sun.nio.ch=ALL-UNNAMED"), flags.toString());
    }

    @Test
    void asyncStagesRunOnTheCommonPoolNotOnANewThreadEach() throws Exception {
        // the default on 2 cores is a common pool of 1, and CompletableFuture then starts a thread per async stage
        // (every stage of a Scala future Pekko's Java API hands out); conf/jvm.options sets the pool to 2
        assertTrue(ForkJoinPool.getCommonPoolParallelism() >= 2,
                "common pool parallelism " + ForkJoinPool.getCommonPoolParallelism());
        Thread ran = CompletableFuture.supplyAsync(Thread::currentThread).get(10, TimeUnit.SECONDS);
        assertTrue(ran instanceof ForkJoinWorkerThread, "an async stage ran on " + ran);
    }

    @Test
    void thePomsArgLineAgreesWithTheFile() throws Exception {
        String pom = Files.readString(NodeProcesses.HOME.resolve("pom.xml"));
        Matcher m = Pattern.compile("<troupe\\.jvm\\.flags>([^<]*)</troupe\\.jvm\\.flags>").matcher(pom);
        assertTrue(m.find(), "troupe.jvm.flags in the root pom");
        assertEquals(NodeProcesses.jvmFlags(), List.of(m.group(1).trim().split("\\s+")),
                "the root pom's troupe.jvm.flags and conf/jvm.options");
        // and Surefire really started this JVM with them
        List<String> mine = ManagementFactory.getRuntimeMXBean().getInputArguments();
        for (String flag : NodeProcesses.jvmFlags()) {
            assertTrue(mine.contains(flag), flag + " in this test JVM's arguments " + mine);
        }
    }

    @Test
    void theLauncherAndTheChildJvmsReadTheFile() throws Exception {
        assertEquals(NodeProcesses.jvmFlags(), launcherFlags(Map.of()), "the launcher's flags");

        // `train` adds C1 alone (the launcher's comment says why), unless TROUPE_JIT=full; other commands keep C2;
        // and transparent huge pages for the heap, where this kernel offers them
        List<String> hugePages = transparentHugePagesOffered() ? List.of("-XX:+UseTransparentHugePages") : List.of();
        List<String> train = new ArrayList<>(NodeProcesses.jvmFlags());
        train.add("-XX:TieredStopAtLevel=1");
        train.addAll(hugePages);
        assertEquals(train, launcherFlags(Map.of(), "train"), "train's flags");
        List<String> fullJit = new ArrayList<>(NodeProcesses.jvmFlags());
        fullJit.addAll(hugePages);
        assertEquals(fullJit, launcherFlags(Map.of("TROUPE_JIT", "full"), "train"),
                "train's flags with TROUPE_JIT=full");
        assertEquals(NodeProcesses.jvmFlags(), launcherFlags(Map.of(), "serve"), "serve's flags");
        List<String> own = new ArrayList<>(NodeProcesses.jvmFlags());
        own.remove("-XX:+UseSerialGC");
        assertEquals(own, launcherFlags(Map.of("TROUPE_JAVA_OPTS", "-XX:+UseG1GC"), "serve"),
                "no collector from the file when TROUPE_JAVA_OPTS names one");

        List<String> child = NodeProcesses.command(List.of("node"));
        List<String> missing = new ArrayList<>(NodeProcesses.jvmFlags());
        missing.removeAll(child);
        assertTrue(missing.isEmpty(), "a child JVM's command line lacks " + missing + ": " + child);
    }

    /**
     * The image's entrypoint reads the same file the same way, and a collector named in TROUPE_JAVA_OPTS replaces the
     * file's (the JVM refuses to start with two): run by {@code sh} over a copy of conf/jvm.options, with a {@code java}
     * on the PATH that prints its arguments.
     */
    @Test
    void theContainerEntrypointReadsTheFileAndLetsTroupeJavaOptsNameTheCollector(@TempDir Path home)
            throws Exception {
        Files.createDirectories(home.resolve("conf"));
        Files.copy(NodeProcesses.HOME.resolve("conf/jvm.options"), home.resolve("conf/jvm.options"));
        Files.createDirectories(home.resolve("app"));
        Files.writeString(home.resolve("app/jib-classpath-file"), "/opt/troupe/app/libs/a.jar");
        Path bin = Files.createDirectories(home.resolve("bin"));
        Files.writeString(bin.resolve("java"), "#!/bin/sh\nfor a in \"$@\"; do echo \"$a\"; done\n");
        assertTrue(bin.resolve("java").toFile().setExecutable(true));

        List<String> node = containerArgs(home, Map.of()); // no arguments: a training node
        assertTrue(node.containsAll(NodeProcesses.jvmFlags()), node.toString());
        assertTrue(node.containsAll(List.of("node", "--roles", "agent,replay,learner")), node.toString());
        List<String> serve = containerArgs(home, Map.of("TROUPE_JAVA_OPTS", "-XX:+UseG1GC -Xmn64m"), "serve");
        assertEquals(List.of("-XX:+UseG1GC"), serve.stream().filter(a -> a.matches("-XX:\\+Use\\w*GC")).toList(),
                "a collector in TROUPE_JAVA_OPTS is the only one: " + serve);
        assertTrue(serve.containsAll(List.of("-Xmn64m", "serve")), serve.toString());
    }

    /** The arguments the container entrypoint hands {@code java}, one an element. */
    private static List<String> containerArgs(Path home, Map<String, String> env, String... command)
            throws Exception {
        Map<String, String> set = new TreeMap<>(Map.of("TROUPE_HOME", home.toString(),
                "PATH", home.resolve("bin") + ":" + System.getenv("PATH")));
        set.putAll(env);
        return printedLines(set, "sh", "cluster/src/main/jib/opt/troupe/bin/troupe-container", command);
    }

    /** Whether the kernel offers transparent huge pages to a process that asks (always or madvise selected). */
    private static boolean transparentHugePagesOffered() throws Exception {
        Path mode = Path.of("/sys/kernel/mm/transparent_hugepage/enabled");
        return Files.isReadable(mode) && Pattern.compile("\\[(always|madvise)]").matcher(Files.readString(mode)).find();
    }

    /** What {@code TROUPE_PRINT_JVM_FLAGS=1 ./troupe [COMMAND]} prints, one flag an element, with {@code env} set. */
    private static List<String> launcherFlags(Map<String, String> env, String... command) throws Exception {
        Map<String, String> set = new TreeMap<>(Map.of("TROUPE_PRINT_JVM_FLAGS", "1"));
        set.putAll(env);
        return printedLines(set, "bash", "troupe", command);
    }

    /**
     * The lines {@code shell script command...} prints ({@code script} relative to the project), run with {@code env}
     * set and without the launchers' own variables otherwise; it must exit 0 within 30 s.
     */
    private static List<String> printedLines(Map<String, String> env, String shell, String script, String... command)
            throws Exception {
        List<String> args = new ArrayList<>(List.of(shell, NodeProcesses.HOME.resolve(script).toString()));
        args.addAll(List.of(command));
        ProcessBuilder pb = new ProcessBuilder(args).redirectErrorStream(true);
        pb.environment().remove("TROUPE_JAVA_OPTS");
        pb.environment().remove("TROUPE_TORCH_THREADS");
        pb.environment().remove("TROUPE_JIT");
        pb.environment().putAll(env);
        Process p = pb.start();
        String printed = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), printed);
        return printed.lines().toList();
    }

    @Test
    void theLauncherTheContainerTheTestsAndTheChildJvmsSetTheSameMallocAndThreadEnvironment() throws Exception {
        Map<String, String> launcher = exportedDefaults(NodeProcesses.HOME.resolve("troupe"));
        assertEquals(NodeProcesses.LAUNCHER_ENV, launcher, "the launcher's exports and NodeProcesses.LAUNCHER_ENV");
        assertEquals(launcher, exportedDefaults(NodeProcesses.HOME.resolve(
                "cluster/src/main/jib/opt/troupe/bin/troupe-container")), "the container entrypoint's exports");
        // the root pom's Surefire environmentVariables: this JVM's own environment
        launcher.forEach((name, value) -> assertEquals(value, System.getenv(name), name + " in this test JVM"));
    }

    /** The {@code export NAME="${NAME:-default}"} lines of a launcher script, for OMP_ and MALLOC_ names. */
    private static Map<String, String> exportedDefaults(Path script) throws Exception {
        Matcher m = Pattern.compile("(?m)^export ((?:OMP|MALLOC)_\\w+)=\"\\$\\{\\1:-([^}]*)}\"$")
                .matcher(Files.readString(script));
        Map<String, String> found = new TreeMap<>();
        while (m.find()) {
            found.put(m.group(1), m.group(2));
        }
        return found;
    }
}
