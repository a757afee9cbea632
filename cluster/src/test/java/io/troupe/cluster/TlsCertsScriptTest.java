package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * scripts/tls-certs.sh takes its passwords from the environment and hands them to keytool the same way: no keytool
 * command line (visible to every user through {@code ps}) holds one, and the stores it makes open with them. A
 * keytool shim records every command line before running the JDK's keytool.
 */
class TlsCertsScriptTest {
    private static final String PASSWORD = "node-secret-4711";
    private static final String CA_PASSWORD = "ca-secret-0815";

    @TempDir
    Path dir;

    /** A JAVA_HOME whose bin/keytool appends its arguments to {@code argv.log}, then runs the real keytool. */
    private Path recordingJavaHome() throws Exception {
        Path bin = Files.createDirectories(dir.resolve("jdk/bin"));
        Path shim = bin.resolve("keytool");
        Path real = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Files.writeString(shim, "#!/bin/bash\nprintf '%s\\n' \"$*\" >> '" + dir.resolve("argv.log") + "'\nexec '"
                + real + "' \"$@\"\n");
        Files.setPosixFilePermissions(shim, PosixFilePermissions.fromString("rwxr-xr-x"));
        return dir.resolve("jdk");
    }

    private Process run(Path javaHome, List<String> args, boolean withPasswords) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("bash", Path.of("..", "scripts", "tls-certs.sh")
                .toString()));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().put("JAVA_HOME", javaHome.toString());
        pb.environment().remove("TROUPE_TLS_PASSWORD");
        pb.environment().remove("TROUPE_TLS_CA_PASSWORD");
        if (withPasswords) {
            pb.environment().put("TROUPE_TLS_PASSWORD", PASSWORD);
            pb.environment().put("TROUPE_TLS_CA_PASSWORD", CA_PASSWORD);
        }
        return pb.start();
    }

    private static KeyStore open(Path file, String password) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file)) {
            ks.load(in, password.toCharArray());
        }
        return ks;
    }

    @Test
    void passwordsComeFromTheEnvironmentAndNeverReachACommandLine() throws Exception {
        Path javaHome = recordingJavaHome();
        Path out = dir.resolve("certs");
        Process p = run(javaHome, List.of(out.toString(), "n1"), true);
        String printed = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), printed);

        String argv = Files.readString(dir.resolve("argv.log"));
        assertTrue(argv.lines().count() >= 8, "every keytool call was recorded: " + argv);
        assertFalse(argv.contains(PASSWORD) || argv.contains(CA_PASSWORD), "a password on a command line: " + argv);
        assertTrue(argv.lines().allMatch(l -> l.contains("-storepass:env ")), argv);

        KeyStore node = open(out.resolve("n1.p12"), PASSWORD);
        assertTrue(node.isKeyEntry("n1") && node.getKey("n1", PASSWORD.toCharArray()) != null);
        assertTrue(open(out.resolve("truststore.p12"), PASSWORD).isCertificateEntry("ca"));
        assertTrue(open(out.resolve("ca.p12"), CA_PASSWORD).isKeyEntry("ca"), "the CA has its own password");
    }

    @Test
    void aPasswordGivenAsAnArgumentIsRefusedAndWithoutOneNothingIsMade() throws Exception {
        Path javaHome = recordingJavaHome();
        Process asArgument = run(javaHome, List.of(dir.resolve("a").toString(), PASSWORD, "n1"), true);
        String said = new String(asArgument.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(2, asArgument.waitFor(), said);
        assertTrue(said.contains("passwords are not taken as arguments"), said);

        Process none = run(javaHome, List.of(dir.resolve("b").toString(), "n1"), false);
        said = new String(none.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(2, none.waitFor(), said);
        assertTrue(said.contains("TROUPE_TLS_PASSWORD is not set"), said);
        assertFalse(Files.exists(dir.resolve("argv.log")), "keytool never ran");
    }
}
