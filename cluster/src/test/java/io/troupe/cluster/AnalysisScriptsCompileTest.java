package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The analysis scripts of {@code scripts/} (run as {@code java -cp cluster/target/troupe.jar scripts/X.java}, so no
 * build compiles them) still compile against the project's classes: a renamed method fails here rather than when a
 * README figure is reproduced.
 */
class AnalysisScriptsCompileTest {
    @Test
    void everyJavaScriptCompilesAgainstTheProjectsClasses(@TempDir Path out) throws IOException {
        List<Path> scripts;
        try (Stream<Path> files = Files.list(Path.of("..", "scripts"))) {
            scripts = files.filter(p -> p.getFileName().toString().endsWith(".java")).sorted().toList();
        }
        assertTrue(scripts.stream().anyMatch(p -> p.endsWith("GoToRoomFailures.java")),
                "expected the analysis scripts in ../scripts, found " + scripts);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertNotNull(javac, "the tests need a JDK's compiler");
        try (StandardJavaFileManager files = javac.getStandardFileManager(null, null, null)) {
            for (Path script : scripts) {
                StringWriter errors = new StringWriter();
                Path dir = Files.createDirectories(out.resolve(script.getFileName().toString().replace(".java", "")));
                boolean ok = javac.getTask(errors, files, null, List.of("-d", dir.toString(), "-cp",
                        System.getProperty("java.class.path"), "-proc:none"), null,
                        files.getJavaFileObjects(script)).call();
                assertTrue(ok, script + " does not compile against the project's classes:\n" + errors);
                try (Stream<Path> classes = Files.list(dir)) {
                    assertFalse(classes.findAny().isEmpty(), script + " compiled to no class file");
                }
            }
        }
    }
}
