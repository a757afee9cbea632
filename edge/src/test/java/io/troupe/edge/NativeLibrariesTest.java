package io.troupe.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NativeLibrariesTest {
    @TempDir
    Path cache;

    @Test
    void unpacksOnceAndRepairsADamagedCopy() throws Exception {
        String folder = NativeLibraries.platformFolder();
        Path dir = NativeLibraries.unpack(cache, folder).orElseThrow();
        String lib = System.mapLibraryName("onnxruntime");
        URL resource = getClass().getResource("/ai/onnxruntime/native/" + folder + "/" + lib);
        long size = resource.openConnection().getContentLengthLong();
        assertEquals(size, Files.size(dir.resolve(lib)));
        assertTrue(Files.isRegularFile(dir.resolve(System.mapLibraryName("onnxruntime4j_jni"))));

        FileTime old = FileTime.fromMillis(1_000_000_000_000L);
        Files.setLastModifiedTime(dir.resolve(lib), old);
        assertEquals(Optional.of(dir), NativeLibraries.unpack(cache, folder));
        assertEquals(old, Files.getLastModifiedTime(dir.resolve(lib)), "a good copy is not written again");

        Files.write(dir.resolve(lib), new byte[10]);
        NativeLibraries.unpack(cache, folder);
        assertEquals(size, Files.size(dir.resolve(lib)), "a damaged copy is written again");
        try (var files = Files.list(dir)) {
            assertTrue(files.noneMatch(f -> f.toString().endsWith(".part")), "no partial files left");
        }
    }

    @Test
    void aPlatformWithoutLibrariesOrAnUnwritableCacheLeavesOrtsLoaderAlone() throws Exception {
        assertEquals(Optional.empty(), NativeLibraries.unpack(cache, "plan9-mips"));
        Path file = Files.writeString(cache.resolve("file"), "x");
        assertEquals(Optional.empty(), NativeLibraries.unpack(file, NativeLibraries.platformFolder()));
    }
}
