package io.troupe.export.bundle;

import ai.onnxruntime.OrtEnvironment;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.troupe.core.Observation;
import io.troupe.edge.EdgeMain;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

/**
 * Writes {@code troupe-edge.jar}, the bundle's runnable jar, from what this JVM runs: the class-path entries (jars or
 * class folders) of Troupe's core and edge modules, ONNX Runtime and Jackson, and nothing else: no Pekko, no DJL, no
 * PyTorch. The same content as the edge module's shaded {@code edge/target/troupe-edge.jar}, assembled here so that
 * the bundle always matches the running build and needs no packaging step. ONNX Runtime's native libraries are kept
 * only for the platforms asked for, its debug symbols never.
 */
public final class EdgeJar {
    /** One class of each part the edge jar holds; their code sources are the parts. */
    private static final List<Class<?>> PARTS = List.of(Observation.class, EdgeMain.class, OrtEnvironment.class,
            ObjectMapper.class, JsonFactory.class, JsonInclude.class);

    /** The packages of the parts: nothing else goes into the jar. */
    private static final List<String> PACKAGES = List.of("io/troupe/core/", "io/troupe/edge/", "ai/onnxruntime/",
            "com/fasterxml/jackson/core/", "com/fasterxml/jackson/databind/", "com/fasterxml/jackson/annotation/");

    private EdgeJar() {
    }

    /** The class-path entries the edge jar is made of. */
    public static List<Path> sources() {
        Set<Path> out = new LinkedHashSet<>();
        for (Class<?> c : PARTS) {
            try {
                out.add(Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()));
            } catch (URISyntaxException | RuntimeException e) {
                throw new IllegalStateException("cannot find where " + c.getName() + " is loaded from (" + e
                        + "); the edge jar needs core, edge, ONNX Runtime and Jackson on the class path", e);
            }
        }
        return List.copyOf(out);
    }

    /** Writes the jar to {@code out} with the natives of {@code platforms}; returns its size in bytes. */
    public static long write(Path out, Collection<EdgePlatform> platforms) throws IOException {
        if (platforms.isEmpty()) {
            throw new IllegalArgumentException("an edge jar needs at least one platform");
        }
        Manifest manifest = new Manifest();
        Attributes main = manifest.getMainAttributes();
        main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        main.put(Attributes.Name.MAIN_CLASS, EdgeMain.class.getName());
        main.put(Attributes.Name.MULTI_RELEASE, "true");
        main.putValue("Created-By", "troupe export --format bundle");
        Set<String> written = new HashSet<>();
        try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(out), manifest)) {
            written.add(JarFile.MANIFEST_NAME);
            written.add("META-INF/");
            for (Path source : sources()) {
                if (Files.isDirectory(source)) {
                    try (Stream<Path> files = Files.walk(source)) {
                        for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                            String name = source.relativize(f).toString().replace('\\', '/');
                            if (keep(name, platforms) && written.add(name)) {
                                copy(jar, name, Files.newInputStream(f));
                            }
                        }
                    }
                } else {
                    try (JarFile in = new JarFile(source.toFile())) {
                        for (JarEntry e : in.stream().filter(e -> !e.isDirectory()).toList()) {
                            if (keep(e.getName(), platforms) && written.add(e.getName())) {
                                copy(jar, e.getName(), in.getInputStream(e));
                            }
                        }
                    }
                }
            }
        }
        return Files.size(out);
    }

    /**
     * Whether entry {@code name} belongs in an edge jar for {@code platforms}: only the parts' packages (also under
     * {@code META-INF/versions/N/}), their service files and licences; so even a class path made of one fat jar
     * gives an edge jar without Pekko or DJL.
     */
    static boolean keep(String name, Collection<EdgePlatform> platforms) {
        String upper = name.toUpperCase(Locale.ROOT);
        if (name.equals(JarFile.MANIFEST_NAME) || name.endsWith("module-info.class") || name.contains(".dSYM/")
                || upper.startsWith("META-INF/") && (upper.endsWith(".SF") || upper.endsWith(".DSA")
                || upper.endsWith(".RSA"))) {
            return false;
        }
        if (name.startsWith(EdgePlatform.NATIVE_ROOT)) {
            return platforms.stream().anyMatch(p -> name.startsWith(p.nativePrefix()));
        }
        String path = name.replaceFirst("^META-INF/versions/\\d+/", "");
        if (path.startsWith("META-INF/services/")) {
            path = path.substring("META-INF/services/".length()).replace('.', '/');
        } else if (path.startsWith("META-INF/") && !path.startsWith("META-INF/maven/")) {
            return !path.endsWith(".class");
        }
        for (String prefix : PACKAGES) {
            if (path.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    private static void copy(JarOutputStream jar, String name, InputStream in) throws IOException {
        try (InputStream data = in) {
            jar.putNextEntry(new JarEntry(name));
            data.transferTo(jar);
            jar.closeEntry();
        }
    }

    /** The entry names of {@code jarFile}, for checks. */
    public static List<String> entries(Path jarFile) throws IOException {
        List<String> out = new ArrayList<>();
        try (JarFile jar = new JarFile(jarFile.toFile())) {
            jar.stream().forEach(e -> out.add(e.getName()));
        }
        return out;
    }
}
