package io.troupe.edge;

import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * ONNX Runtime's native libraries, unpacked once into a cache folder for the edge command line. ONNX Runtime's own
 * loader copies its 28 MB library out of the jar into a fresh temporary folder on every start; pointing
 * {@value #ORT_PATH} at a folder that already holds them skips that copy (about a third of the edge jar's cold start on
 * the development machine). The folder is named by the platform and the libraries' CRC-32 and size, so another ONNX
 * Runtime build never reuses it; a cached file of the wrong size is written again. Anything that fails leaves the
 * property unset, and ONNX Runtime loads the usual way.
 */
final class NativeLibraries {
    /** ONNX Runtime's property: a folder holding its native libraries, loaded from there instead of the jar. */
    static final String ORT_PATH = "onnxruntime.native.path";
    /** Troupe's property: the cache's root ({@code off} disables it); default {@code ~/.cache/troupe-edge}. */
    static final String CACHE = "troupe.edge.native-cache";

    private NativeLibraries() {
    }

    /** Sets {@value #ORT_PATH} to the cached libraries of this platform, unpacking them first if needed. */
    static Optional<Path> useCache() {
        if (System.getProperty(ORT_PATH) != null || "off".equals(System.getProperty(CACHE))) {
            return Optional.empty();
        }
        Path root = System.getProperty(CACHE) != null ? Path.of(System.getProperty(CACHE))
                : Path.of(System.getProperty("user.home"), ".cache", "troupe-edge");
        Optional<Path> dir = unpack(root, platformFolder());
        dir.ifPresent(d -> System.setProperty(ORT_PATH, d.toString()));
        return dir;
    }

    /** ONNX Runtime's name for this platform's folder in its jar ({@code linux-x64}, {@code osx-aarch64}, ...). */
    static String platformFolder() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String o = os.contains("linux") ? "linux" : os.contains("mac") ? "osx" : os.contains("windows") ? "win" : os;
        String a = arch.equals("amd64") || arch.equals("x86_64") ? "x64" : arch.equals("arm64") ? "aarch64" : arch;
        return o + "-" + a;
    }

    /**
     * The folder under {@code root} holding this class path's ONNX Runtime libraries of {@code folder}, unpacked if
     * missing or damaged; empty if the class path has none for it or the cache cannot be written.
     */
    static Optional<Path> unpack(Path root, String folder) {
        try {
            List<String> names = new ArrayList<>();
            List<URL> urls = new ArrayList<>();
            List<Long> sizes = new ArrayList<>();
            long key = 0;
            for (String lib : List.of("onnxruntime", "onnxruntime4j_jni", "onnxruntime_providers_shared")) {
                String name = System.mapLibraryName(lib);
                URL url = NativeLibraries.class.getResource("/ai/onnxruntime/native/" + folder + "/" + name);
                if (url == null) {
                    if (lib.equals("onnxruntime_providers_shared")) {
                        continue;
                    }
                    return Optional.empty();
                }
                URLConnection c = url.openConnection();
                long size = c.getContentLengthLong();
                long crc = c instanceof JarURLConnection j ? j.getJarEntry().getCrc() : size;
                if (size < 0) {
                    return Optional.empty();
                }
                names.add(name);
                urls.add(url);
                sizes.add(size);
                key = key * 31 + crc * 17 + size;
            }
            Path dir = root.resolve(folder + "-" + Long.toHexString(key));
            Files.createDirectories(dir);
            for (int i = 0; i < names.size(); i++) {
                Path target = dir.resolve(names.get(i));
                if (Files.isRegularFile(target) && Files.size(target) == sizes.get(i)) {
                    continue;
                }
                Path tmp = Files.createTempFile(dir, names.get(i), ".part");
                try (InputStream in = urls.get(i).openStream()) {
                    Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                } finally {
                    Files.deleteIfExists(tmp);
                }
            }
            return Optional.of(dir);
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
