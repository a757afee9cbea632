package io.troupe.replay.durable;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The two kinds of fsync a store does: a file's content, and a directory's entries (so a created, renamed or deleted
 * file survives a power loss, not only its bytes). {@link #REAL} everywhere; tests wrap it to record the order.
 */
interface Fsync {

    /** Forces {@code ch}'s content (and, with {@code metadata}, its metadata) to the device. */
    void file(FileChannel ch, boolean metadata) throws IOException;

    /** Forces the entries of {@code dir} to the device (Linux: fsync on the directory opened for reading). */
    void directory(Path dir) throws IOException;

    Fsync REAL = new Fsync() {
        @Override
        public void file(FileChannel ch, boolean metadata) throws IOException {
            ch.force(metadata);
        }

        @Override
        public void directory(Path dir) throws IOException {
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            }
        }
    };
}
