package io.troupe.environments.reward;

import io.troupe.core.reward.RewardExpression;
import io.troupe.core.reward.RewardFunction;
import io.troupe.core.reward.RewardSpec;
import io.troupe.core.reward.RewardVariables;
import java.lang.reflect.Constructor;
import java.lang.reflect.Modifier;

/**
 * Turns a {@link RewardSpec} into a {@link RewardFunction} for an env's variables: the env's own reward, a compiled
 * expression, or an instance of a class on the class path that implements {@code RewardFunction} (public, with a
 * public no-argument constructor). Errors name the spec and what was expected.
 */
public final class RewardCompiler {
    private RewardCompiler() {
    }

    public static RewardFunction compile(RewardSpec spec, RewardVariables variables) {
        return switch (spec.kind()) {
            case RewardSpec.ENV -> RewardFunction.ENV_REWARD;
            case RewardSpec.EXPR -> RewardExpression.compile(spec.source(), variables);
            case RewardSpec.CLASS -> instantiate(spec.source());
            default -> throw new IllegalArgumentException("reward kind '" + spec.kind() + "' is not env, expr or class");
        };
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
