package io.troupe.environments.reward;

import io.troupe.core.reward.RewardExpression;
import io.troupe.core.reward.RewardFunction;
import io.troupe.core.reward.RewardSpec;
import io.troupe.core.reward.RewardVariables;
import com.typesafe.config.Config;
import java.lang.reflect.Constructor;
import java.lang.reflect.Modifier;
import java.time.Duration;

/**
 * Turns a {@link RewardSpec} into a {@link RewardFunction} for an env's variables: the env's own reward, a compiled
 * expression, or an instance of a class on the class path that implements {@code RewardFunction} (public, with a
 * public no-argument constructor). Errors name the spec and what was expected. A class's calls get a time budget
 * ({@link GuardedReward}).
 */
public final class RewardCompiler {
    /** The default of {@code troupe.reward.java-call-budget}. */
    public static final Duration DEFAULT_JAVA_CALL_BUDGET = Duration.ofMillis(250);

    private RewardCompiler() {
    }

    /** With the default budget for a Java class's calls ({@link #DEFAULT_JAVA_CALL_BUDGET}). */
    public static RewardFunction compile(RewardSpec spec, RewardVariables variables) {
        return compile(spec, variables, DEFAULT_JAVA_CALL_BUDGET);
    }

    /** A Java class's calls that take longer than {@code javaCallBudget} count as failures of its version. */
    public static RewardFunction compile(RewardSpec spec, RewardVariables variables, Duration javaCallBudget) {
        return switch (spec.kind()) {
            case RewardSpec.ENV -> RewardFunction.ENV_REWARD;
            case RewardSpec.EXPR -> RewardExpression.compile(spec.source(), variables);
            case RewardSpec.CLASS -> new GuardedReward(instantiate(spec.source()), "reward class " + spec.source(),
                    javaCallBudget);
            default -> throw new IllegalArgumentException("reward kind '" + spec.kind() + "' is not env, expr or class");
        };
    }

    /** {@code troupe.reward.java-call-budget} of the root {@code config}, validated. */
    public static Duration javaCallBudget(Config config) {
        return checkBudget(config.getDuration("troupe.reward.java-call-budget"));
    }

    static Duration checkBudget(Duration budget) {
        if (budget.isNegative() || budget.isZero()) {
            throw new IllegalArgumentException("troupe.reward.java-call-budget must be > 0, got " + budget);
        }
        return budget;
    }

    private static RewardFunction instantiate(String className) {
        if (!className.matches("[A-Za-z_$][A-Za-z0-9_$]*(\\.[A-Za-z_$][A-Za-z0-9_$]*)*")) {
            throw new IllegalArgumentException("reward class '" + className + "' is not a Java class name");
        }
        Class<?> c;
        try {
            // initialize=false: a class that is not a RewardFunction never runs its static initializer
            c = Class.forName(className, false, RewardCompiler.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            throw new IllegalArgumentException("reward class '" + className + "' is not on the class path of this "
                    + "node (put its jar on every node's class path)");
        }
        if (!RewardFunction.class.isAssignableFrom(c)) {
            throw new IllegalArgumentException("reward class " + className + " does not implement "
                    + RewardFunction.class.getName());
        }
        if (!Modifier.isPublic(c.getModifiers()) || Modifier.isAbstract(c.getModifiers())) {
            throw new IllegalArgumentException("reward class " + className + " must be public and concrete");
        }
        try {
            Constructor<?> k = c.getConstructor();
            return (RewardFunction) k.newInstance();
        } catch (NoSuchMethodException e) {
            throw new IllegalArgumentException("reward class " + className + " needs a public no-argument constructor");
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new IllegalArgumentException("reward class " + className + " could not be created: " + cause);
        }
    }
}
