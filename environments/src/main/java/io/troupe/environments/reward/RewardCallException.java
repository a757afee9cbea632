package io.troupe.environments.reward;

/**
 * A reward function's call failed in a way that is not a {@link RuntimeException} of its own: it threw an error or a
 * checked exception ({@link #isFatal non-fatal} ones only), or it ran over its time budget. The shaper treats it as any
 * other failure of that version: the version falls back.
 */
public final class RewardCallException extends RuntimeException {
    public RewardCallException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * Whether {@code t} is the JVM's problem rather than the reward version's, and must propagate: every
     * {@link VirtualMachineError} ({@link OutOfMemoryError}, {@link InternalError}) except {@link StackOverflowError},
     * whose stack has unwound by the time it is caught, so a runaway recursion in a reward costs only that version.
     * Everything else a reward can throw ({@link AssertionError}, {@link LinkageError} such as a missing dependency of
     * a plugin class, {@link StackOverflowError}, a checked exception thrown sneakily) is a failure of the version.
     */
    public static boolean isFatal(Throwable t) {
        return t instanceof VirtualMachineError && !(t instanceof StackOverflowError);
    }
}
