package io.troupe.export.bundle;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A platform an edge bundle can run on: its name on Troupe's command line and the folder of ONNX Runtime's jar that
 * holds its native libraries ({@code ai/onnxruntime/native/<folder>/}).
 */
public enum EdgePlatform {
    LINUX_X86_64("linux-x86_64", "linux-x64"),
    LINUX_AARCH64("linux-aarch64", "linux-aarch64"),
    OSX_AARCH64("osx-aarch64", "osx-aarch64"),
    WINDOWS_X86_64("windows-x86_64", "win-x64");

    /** Where ONNX Runtime's jar keeps its native libraries, one folder per platform. */
    public static final String NATIVE_ROOT = "ai/onnxruntime/native/";

    private final String label;
    private final String nativeFolder;

    EdgePlatform(String label, String nativeFolder) {
        this.label = label;
        this.nativeFolder = nativeFolder;
    }

    /** The name on the command line ({@code --platform linux-x86_64}). */
    public String label() {
        return label;
    }

    /** The prefix of this platform's entries in ONNX Runtime's jar. */
    public String nativePrefix() {
        return NATIVE_ROOT + nativeFolder + "/";
    }

    /** The platform named {@code label}; the error lists the known names. */
    public static EdgePlatform parse(String label) {
        for (EdgePlatform p : values()) {
            if (p.label.equals(label.trim())) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown platform '" + label + "'; known platforms: " + known());
    }

    /** The platforms named in {@code labels}, in order, without repeats; empty means the current platform. */
    public static List<EdgePlatform> parseAll(List<String> labels) {
        if (labels == null || labels.isEmpty()) {
            return List.of(current());
        }
        return labels.stream().map(EdgePlatform::parse).distinct().toList();
    }

    /** The platform this JVM runs on. */
    public static EdgePlatform current() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        boolean x64 = arch.equals("amd64") || arch.equals("x86_64");
        boolean arm = arch.equals("aarch64") || arch.equals("arm64");
        if (os.contains("linux") && (x64 || arm)) {
            return x64 ? LINUX_X86_64 : LINUX_AARCH64;
        }
        if (os.contains("mac") && arm) {
            return OSX_AARCH64;
        }
        if (os.contains("windows") && x64) {
            return WINDOWS_X86_64;
        }
        throw new IllegalArgumentException("ONNX Runtime has no native library for this platform (" + os + " " + arch
                + "); name the bundle's platforms: " + known());
    }

    private static String known() {
        return String.join(", ", Arrays.stream(values()).map(EdgePlatform::label).toList());
    }
}
