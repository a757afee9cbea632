package io.troupe.cluster.compress;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * Files a command writes only if it succeeds: each is written to a temporary file beside its target, and
 * {@link #commit} moves them all into place (atomically where the file system can); {@link #close} without a commit
 * deletes the temporary files, so a failing command leaves nothing behind.
 */
public final class StagedFiles implements AutoCloseable {
    private record Staged(Path temp, Path target) {
    }

    private final List<Staged> staged = new ArrayList<>();
    private boolean committed;

    /** A fresh temporary file beside {@code target} (its directory is created), to be moved there on commit. */
    public Path stage(Path target) {
        try {
            Path abs = target.toAbsolutePath();
            Files.createDirectories(abs.getParent());
            Path temp = Files.createTempFile(abs.getParent(), "." + abs.getFileName(), ".tmp");
            if (Files.getFileStore(temp).supportsFileAttributeView(PosixFileAttributeView.class)) {
                // a temporary file is created owner-only; the written file gets the usual rw-r--r--
                Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-r--r--"));
            }
            staged.add(new Staged(temp, abs));
            return temp;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write beside " + target + ": " + e.getMessage(), e);
        }
    }

    /** {@code bytes} staged for {@code target}. */
    public void write(Path target, byte[] bytes) {
        try {
            Files.write(stage(target), bytes);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
        }
    }

    /** Moves every staged file to its target. */
    public void commit() {
        try {
            for (Staged s : staged) {
                try {
                    Files.move(s.temp(), s.target(), StandardCopyOption.ATOMIC_MOVE,
                            StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(s.temp(), s.target(), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            committed = true;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot move the written files into place: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        if (committed) {
            return;
        }
        for (Staged s : staged) {
            try {
                Files.deleteIfExists(s.temp());
            } catch (IOException ignored) {
                // a temporary file left behind is harmless: its name starts with a dot and ends with .tmp
            }
        }
    }
}
