package io.troupe.core;

/** Element types of tensors and {@link io.troupe.core.space.Box} spaces. */
public enum DType {
    /** 32-bit float, backed by {@code float[]}. */
    FLOAT32("float32"),
    /** Unsigned byte (0..255), backed by {@code byte[]}; read with {@code b & 0xFF}. */
    UINT8("uint8"),
    /** 32-bit signed integer, backed by {@code int[]} (token ids, indices). */
    INT32("int32");

    private final String label;

    DType(String label) {
        this.label = label;
    }

    /** The name used in configs and descriptions ({@code float32}, {@code uint8}, {@code int32}). */
    public String label() {
        return label;
    }

    /** Parses a label such as {@code "float32"}; the error names the value and the accepted labels. */
    public static DType parse(String label) {
        for (DType t : values()) {
            if (t.label.equals(label)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown dtype '" + label + "'; expected one of float32, uint8, int32");
    }
}
