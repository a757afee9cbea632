package io.troupe.cluster.run;

import java.io.PrintStream;

/**
 * The live progress line: rewritten in place ({@code \r}) on a terminal, printed as plain periodic lines otherwise
 * (logs, CI, pipes).
 */
public final class ProgressLine {
    private final PrintStream out;
    private final boolean inPlace;
    private int lastLength;

    public ProgressLine(PrintStream out, boolean inPlace) {
        this.out = out;
        this.inPlace = inPlace;
    }

    /** In place when standard output is a terminal. */
    public static ProgressLine forStdout() {
        return new ProgressLine(System.out, System.console() != null);
    }

    public void update(String line) {
        if (inPlace) {
            String padded = line.length() < lastLength ? line + " ".repeat(lastLength - line.length()) : line;
            out.print("\r" + padded);
            lastLength = line.length();
        } else {
            out.println(line);
        }
        out.flush();
    }

    /** An event line of its own (the in-place progress line continues below it). */
    public void log(String line) {
        if (inPlace && lastLength > 0) {
            out.print("\r" + " ".repeat(lastLength) + "\r");
            lastLength = 0;
        }
        out.println(line);
        out.flush();
    }

    /** Ends the in-place line so later output starts on a new line. */
    public void finish() {
        if (inPlace && lastLength > 0) {
            out.println();
        }
        lastLength = 0;
    }
}
