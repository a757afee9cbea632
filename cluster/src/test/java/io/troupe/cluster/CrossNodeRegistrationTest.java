package io.troupe.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.troupe.core.CrossNode;
import io.troupe.transport.wire.KryoRegistrations;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Enumeration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every concrete class that implements {@link CrossNode} (so Pekko hands it to Troupe's Kryo serializer) is registered
 * with Kryo: otherwise the first such message to cross nodes fails at run time. Found by walking the class path
 * (every module's classes and jars, under {@code io/troupe}), then every sealed hierarchy from what was found.
 */
class CrossNodeRegistrationTest {

    /** Every class name under io/troupe on the class path, from directories and jars (tests' own classes too). */
    static Set<String> troupeClassNames() {
        Set<String> names = new TreeSet<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(entry);
            if (Files.isDirectory(p.resolve("io/troupe"))) {
                try (Stream<Path> files = Files.walk(p.resolve("io/troupe"))) {
                    files.filter(f -> f.toString().endsWith(".class")).forEach(f -> names.add(className(
                            p.relativize(f).toString().replace(File.separatorChar, '/'))));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            } else if (entry.endsWith(".jar") && Files.isRegularFile(p)) {
                try (JarFile jar = new JarFile(p.toFile())) {
                    for (Enumeration<JarEntry> e = jar.entries(); e.hasMoreElements(); ) {
                        String n = e.nextElement().getName();
                        if (n.startsWith("io/troupe/") && n.endsWith(".class")) {
                            names.add(className(n));
                        }
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
        return names;
    }

    private static String className(String path) {
        return path.substring(0, path.length() - ".class".length()).replace('/', '.');
    }

    /** The concrete CrossNode classes among {@code names}, and every permitted subclass of their sealed supertypes. */
    static Set<Class<?>> concreteCrossNodeClasses(Collection<String> names) {
        List<Class<?>> roots = new ArrayList<>();
        for (String n : names) {
            if (n.endsWith("module-info") || n.endsWith("package-info")) {
                continue;
            }
            try {
                Class<?> c = Class.forName(n, false, CrossNodeRegistrationTest.class.getClassLoader());
                if (CrossNode.class.isAssignableFrom(c) && c != CrossNode.class) {
                    roots.add(c);
                }
            } catch (ClassNotFoundException | LinkageError e) {
                // a class whose optional dependencies are absent here cannot be a message of this build
            }
        }
        Set<Class<?>> out = new TreeSet<>((a, b) -> a.getName().compareTo(b.getName()));
        List<Class<?>> todo = new ArrayList<>(roots);
        while (!todo.isEmpty()) {
            Class<?> c = todo.remove(todo.size() - 1);
            if (c.isSealed()) {
                todo.addAll(List.of(c.getPermittedSubclasses()));
            }
            if (!c.isInterface() && !Modifier.isAbstract(c.getModifiers()) && !c.isAnonymousClass()
                    && !c.getName().startsWith("io.troupe.cluster.CrossNodeRegistrationTest")) {
                out.add(c);
            }
        }
        return out;
    }

    private static Set<Class<?>> registered(KryoRegistrations registrations) {
        return registrations.registrations().stream().map(KryoRegistrations.Registration::type)
                .collect(Collectors.toSet());
    }

    @Test
    void everyCrossNodeClassIsRegisteredWithKryo() {
        Set<Class<?>> crossNode = concreteCrossNodeClasses(troupeClassNames());
        // the walk found every module's messages (a broken walk would pass vacuously)
        for (String expected : List.of("io.troupe.core.PolicyWeights", "io.troupe.core.experience.Unroll",
                "io.troupe.transport.weights.WeightsPublisher$Chunk", "io.troupe.replay.shard.ReplayShard$Sample",
                "io.troupe.learners.Learner$Command", "io.troupe.actors.Agent$Stats")) {
            assertTrue(crossNode.stream().anyMatch(c -> c.getName().equals(expected)
                    || c.getName().startsWith(expected + "$") || isSubtypeOf(c, expected)),
                    expected + " (or an implementation) among " + crossNode);
        }
        Set<Class<?>> registered = registered(KryoRegistrations.fromConfig(ConfigFactory.load()));
        List<String> missing = crossNode.stream().filter(c -> !registered.contains(c)).map(Class::getName).toList();
        assertEquals(List.of(), missing, "CrossNode classes without a kryo id in troupe.serialization.kryo."
                + "registrations of their module's reference.conf");
    }

    @Test
    void aRemovedRegistrationIsFound() {
        String removed = "io.troupe.transport.weights.WeightsPublisher$VersionGone";
        KryoRegistrations without = KryoRegistrations.fromConfig(ConfigFactory.load().withoutPath(
                "troupe.serialization.kryo.registrations.\"" + removed + "\""));
        Set<Class<?>> registered = registered(without);
        List<String> missing = concreteCrossNodeClasses(troupeClassNames()).stream()
                .filter(c -> !registered.contains(c)).map(Class::getName).toList();
        assertEquals(List.of(removed), missing);
    }

    private static boolean isSubtypeOf(Class<?> c, String name) {
        for (Class<?> k = c; k != null; k = k.getSuperclass()) {
            for (Class<?> i : k.getInterfaces()) {
                if (i.getName().equals(name) || isSubtypeOf(i, name)) {
                    return true;
                }
            }
        }
        return false;
    }
}
