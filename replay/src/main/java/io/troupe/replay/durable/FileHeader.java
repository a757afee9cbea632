package io.troupe.replay.durable;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32;

/**
 * The first {@value #SIZE} bytes of every log segment and snapshot: 8 magic bytes naming the kind of file, the
 * format version (int), the fingerprint of the Kryo registrations the records were written with (long), and a CRC32
 * of those 20 bytes. A file of another kind, version or fingerprint is refused with {@link FormatMismatch}; never
 * misread. A header whose magic is intact but whose checksum fails is damage, reported like a damaged record.
 */
public final class FileHeader {
    public static final int SIZE = 24;
    /** Version 1: this header, then records {@code [marker][length][crc32 of length and body][kryo body]}. */
    public static final int VERSION = 1;

    /** The kind of file, by its magic bytes. */
    public enum Kind {
        LOG("replay log", "TROUPEWL"),
        SNAPSHOT("replay snapshot", "TROUPESN");

        private final String description;
        private final byte[] magic;

        Kind(String description, String magic) {
            this.description = description;
            this.magic = magic.getBytes(StandardCharsets.US_ASCII);
        }
    }

    /** A file that is not of the kind, version or registrations this build reads. */
    public static final class FormatMismatch extends IllegalStateException {
        FormatMismatch(String message) {
            super(message);
        }
    }

    private FileHeader() {
    }

    /** The header of a new file of {@code kind}. */
    public static ByteBuffer encode(Kind kind, long fingerprint) {
        ByteBuffer b = ByteBuffer.allocate(SIZE);
        b.put(kind.magic).putInt(VERSION).putLong(fingerprint);
        CRC32 crc = new CRC32();
        crc.update(b.array(), 0, SIZE - 4);
        b.putInt((int) crc.getValue());
        return b.flip();
    }

    /**
     * Checks the {@value #SIZE} bytes {@code header} read from {@code file}. Returns null when the header is intact
     * and matches, or why it is damaged (magic intact, checksum failed: the records behind it can still be read);
     * throws {@link FormatMismatch} naming the file, what was expected and what was found when the file is of
     * another kind, version or fingerprint.
     */
    public static String check(Path file, ByteBuffer header, Kind kind, long fingerprint) {
        byte[] h = new byte[SIZE];
        header.duplicate().get(h);
        ByteBuffer b = ByteBuffer.wrap(h);
        byte[] magic = Arrays.copyOf(h, 8);
        int version = b.getInt(8);
        long found = b.getLong(12);
        CRC32 crc = new CRC32();
        crc.update(h, 0, SIZE - 4);
        boolean intact = (int) crc.getValue() == b.getInt(SIZE - 4);
        if (!Arrays.equals(magic, kind.magic)) {
            throw new FormatMismatch(file + " is not a Troupe " + kind.description + ": expected magic "
                    + printable(kind.magic) + " at its start, found " + printable(magic)
                    + (intact ? "" : " (move the file away if it was damaged)"));
        }
        if (!intact) {
            return "damaged file header (checksum mismatch)";
        }
        if (version != VERSION) {
            throw new FormatMismatch(file + " is a " + kind.description + " of format version " + version
                    + ", this build reads version " + VERSION + ": recover it with the build that wrote it");
        }
        if (found != fingerprint) {
            throw new FormatMismatch(file + " was written with Kryo registrations of fingerprint "
                    + Long.toHexString(found) + ", this node's registrations have fingerprint "
                    + Long.toHexString(fingerprint) + " (troupe.serialization.kryo.registrations differ: a class "
                    + "added, removed, renumbered or given another serializer); recover it with the registrations "
                    + "that wrote it");
        }
        return null;
    }

    private static String printable(byte[] bytes) {
        StringBuilder sb = new StringBuilder("\"");
        for (byte x : bytes) {
            int c = x & 0xff;
            sb.append(c >= 0x20 && c < 0x7f ? String.valueOf((char) c) : String.format("\\x%02x", c));
        }
        return sb.append('"').toString();
    }
}
