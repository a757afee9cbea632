package io.troupe.core.reward;

import java.util.List;

/**
 * A reward expression compiled once against an env's {@link RewardVariables} and evaluated per step with no
 * allocation: arithmetic ({@code + - * / %}), comparisons and logic (true is 1, false 0), {@code c ? a : b}, numbers,
 * the env's variables, and the functions {@code abs sqrt exp log tanh sign floor ceil round sin cos min max pow clamp}.
 * The language cannot name a class, create an object, touch a file or loop, so its cost per step is bounded by its
 * size (at most 400 operations, 2000 characters). Example for CartPole-v1: {@code 1 - abs(theta) / 0.21}.
 */
public final class RewardExpression implements RewardFunction {
    private final String source;
    private final Expr root;
    private final List<String> variablesUsed;

    private RewardExpression(String source, Expr root, List<String> variablesUsed) {
        this.source = source;
        this.root = root;
        this.variablesUsed = variablesUsed;
    }

    /** Compiles {@code source}; a {@link RewardExpressionException} names the column and what was expected. */
    public static RewardExpression compile(String source, RewardVariables variables) {
        ExpressionParser.Parsed p = ExpressionParser.parse(source, variables);
        return new RewardExpression(source, p.root(), p.variablesUsed());
    }

    public String source() {
        return source;
    }

    /** The variables the expression reads, in order of first use. */
    public List<String> variablesUsed() {
        return variablesUsed;
    }

    /** Evaluates over variable slots laid out by the variables it was compiled with. */
    public double evaluate(double[] slots) {
        return root.eval(slots);
    }

    @Override
    public double reward(RewardInput in) {
        return root.eval(in.slots());
    }

    @Override
    public String toString() {
        return source;
    }
}
