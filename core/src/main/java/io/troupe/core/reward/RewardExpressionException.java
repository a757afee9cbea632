package io.troupe.core.reward;

/** A reward expression that cannot be compiled: the message names the column (1-based) and what was expected. */
public final class RewardExpressionException extends IllegalArgumentException {
    private final int column;

    RewardExpressionException(String source, int position, String message) {
        super("reward expression, column " + (position + 1) + ": " + message + "\n  " + source + "\n  "
                + " ".repeat(Math.max(0, Math.min(position, source.length()))) + "^");
        this.column = position + 1;
    }

    /** The 1-based column the error points at. */
    public int column() {
        return column;
    }
}
