package io.troupe.replay.durable;

import io.troupe.transport.wire.TroupeKryo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.zip.CRC32;

/**
 * Record frames: {@code [int marker][int length][int crc32 of length and body][body]}. The marker lets a reader that
 * met a damaged frame scan forward to the next frame whose checksum passes (resynchronise) instead of dropping
 * everything after the damage. Bodies are at most {@link TroupeKryo#MAX_BYTES}, so a damaged length never allocates
 * more.
 */
final class Frames {
    static final int MARKER = 0xE7A1C5B3;
    static final int HEADER = 12;
    private static final int WINDOW = 64 * 1024;

    /** What {@link #readAt} found: a frame whose checksum passes, or why there is none. */
    sealed interface Read {
    }

    record Frame(byte[] body, long end) implements Read {
    }

    record Bad(String reason) implements Read {
    }

    private Frames() {
    }

    /** A whole frame holding {@code body}. */
    static ByteBuffer frame(byte[] body) {
        ByteBuffer out = ByteBuffer.allocate(HEADER + body.length);
        out.putInt(MARKER).putInt(body.length).putInt(checksum(body.length, body, body.length)).put(body);
        return out.flip();
    }

    /** The frame at {@code offset} of a file of {@code size} bytes. */
    static Read readAt(FileChannel ch, long offset, long size) throws IOException {
        if (size - offset < HEADER) {
            return new Bad("truncated record header");
        }
        ByteBuffer h = ByteBuffer.allocate(HEADER);
        readFully(ch, h, offset);
        int marker = h.getInt(0);
        int length = h.getInt(4);
        int checksum = h.getInt(8);
        if (marker != MARKER) {
            return new Bad("no record marker");
        }
        if (length < 0 || length > TroupeKryo.MAX_BYTES || length > size - offset - HEADER) {
            return new Bad("record length " + length + " runs past the end of the file");
        }
        ByteBuffer body = ByteBuffer.allocate(length);
        readFully(ch, body, offset + HEADER);
        if (checksum(length, body.array(), length) != checksum) {
            return new Bad("checksum mismatch");
        }
        return new Frame(body.array(), offset + HEADER + length);
    }

    /** The offset of the first frame at or after {@code from} whose checksum passes, or -1. */
    static long resync(FileChannel ch, long from, long size) throws IOException {
        ByteBuffer window = ByteBuffer.allocate(WINDOW);
        long pos = from;
        while (size - pos >= HEADER) {
            window.clear();
            window.limit((int) Math.min(WINDOW, size - pos));
            int n = readFully(ch, window, pos);
            if (n < HEADER) {
                break; // the file shrank under us
            }
            for (int i = 0; i + 4 <= n; i++) {
                if (window.getInt(i) == MARKER && readAt(ch, pos + i, size) instanceof Frame) {
                    return pos + i;
                }
            }
            pos += n - 3; // a marker may straddle two windows
        }
        return -1;
    }

    private static int checksum(int length, byte[] body, int n) {
        CRC32 crc = new CRC32();
        crc.update(ByteBuffer.allocate(4).putInt(length).array());
        crc.update(body, 0, n);
        return (int) crc.getValue();
    }

    private static int readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        int total = 0;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, position + total);
            if (n < 0) {
                break;
            }
            total += n;
        }
        return total;
    }
}
