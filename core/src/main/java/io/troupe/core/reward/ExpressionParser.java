package io.troupe.core.reward;

import java.util.ArrayList;
import java.util.List;

/**
 * Recursive-descent parser of the reward expression language into {@link Expr} nodes. Grammar, loosest first:
 * {@code c ? a : b}, {@code ||}, {@code &&}, comparisons ({@code < <= > >= == !=}), {@code + -}, {@code * / %},
 * unary {@code - ! +}, then numbers, variables, {@code true}/{@code false}, whitelisted function calls and parentheses.
 * Anything else (strings, dots, brackets, assignments, keywords such as {@code new}) is a syntax error at its column.
 */
final class ExpressionParser {
    static final int MAX_LENGTH = 2000;
    static final int MAX_NODES = 400;
    static final int MAX_DEPTH = 48;

    private final String src;
    private final RewardVariables variables;
    private int pos;
    private int nodes;
    private int depth;
    private final List<String> used = new ArrayList<>();

    private ExpressionParser(String src, RewardVariables variables) {
        this.src = src;
        this.variables = variables;
    }

    /** The compiled root and the variables it reads. */
    record Parsed(Expr root, List<String> variablesUsed) {
    }

    static Parsed parse(String source, RewardVariables variables) {
        if (source == null || source.isBlank()) {
            throw new RewardExpressionException("", 0, "the expression is empty");
        }
        if (source.length() > MAX_LENGTH) {
            throw new RewardExpressionException(source.substring(0, 40) + "...", 0, "the expression has "
                    + source.length() + " characters; at most " + MAX_LENGTH + " are accepted");
        }
        ExpressionParser p = new ExpressionParser(source, variables);
        Expr root = p.ternary();
        p.skipSpace();
        if (p.pos < source.length()) {
            throw p.error("unexpected '" + source.charAt(p.pos) + "' after a complete expression");
        }
        return new Parsed(root, List.copyOf(p.used));
    }

    private RewardExpressionException error(String message) {
        return new RewardExpressionException(src, pos, message);
    }

    private Expr node(Expr e) {
        if (++nodes > MAX_NODES) {
            throw error("the expression has more than " + MAX_NODES + " operations");
        }
        return e;
    }

    private void skipSpace() {
        while (pos < src.length() && Character.isWhitespace(src.charAt(pos))) {
            pos++;
        }
    }

    private boolean eat(String token) {
        skipSpace();
        if (src.startsWith(token, pos)) {
            pos += token.length();
            return true;
        }
        return false;
    }

    private void expect(String token, String context) {
        if (!eat(token)) {
            throw error("expected '" + token + "' " + context + (pos < src.length() ? ", found '" + src.charAt(pos)
                    + "'" : ", found the end"));
        }
    }

    private Expr ternary() {
        if (++depth > MAX_DEPTH) {
            throw error("the expression nests deeper than " + MAX_DEPTH + " levels");
        }
        Expr c = or();
        if (eat("?")) {
            Expr a = ternary();
            expect(":", "in 'condition ? a : b'");
            Expr b = ternary();
            c = node(new Expr.Conditional(c, a, b));
        }
        depth--;
        return c;
    }

    private Expr or() {
        Expr e = and();
        while (eat("||")) {
            e = node(new Expr.Or(e, and()));
        }
        return e;
    }

    private Expr and() {
        Expr e = comparison();
        while (eat("&&")) {
            e = node(new Expr.And(e, comparison()));
        }
        return e;
    }

    private Expr comparison() {
        Expr e = additive();
        skipSpace();
        char op;
        if (eat("<=")) {
            op = Expr.Binary.LE;
        } else if (eat(">=")) {
            op = Expr.Binary.GE;
        } else if (eat("==")) {
            op = Expr.Binary.EQ;
        } else if (eat("!=")) {
            op = Expr.Binary.NE;
        } else if (eat("<")) {
            op = '<';
        } else if (eat(">")) {
            op = '>';
        } else {
            if (pos < src.length() && src.charAt(pos) == '=') {
                throw error("'=' is not an operator: compare with '==' (there is no assignment)");
            }
            return e;
        }
        return node(new Expr.Binary(op, e, additive()));
    }

    private Expr additive() {
        Expr e = multiplicative();
        while (true) {
            if (eat("+")) {
                e = node(new Expr.Binary('+', e, multiplicative()));
            } else if (eat("-")) {
                e = node(new Expr.Binary('-', e, multiplicative()));
            } else {
                return e;
            }
        }
    }

    private Expr multiplicative() {
        Expr e = unary();
        while (true) {
            if (eat("*")) {
                e = node(new Expr.Binary('*', e, unary()));
            } else if (eat("/")) {
                e = node(new Expr.Binary('/', e, unary()));
            } else if (eat("%")) {
                e = node(new Expr.Binary('%', e, unary()));
            } else {
                return e;
            }
        }
    }

    private Expr unary() {
        if (++depth > MAX_DEPTH) {
            throw error("the expression nests deeper than " + MAX_DEPTH + " levels");
        }
        Expr e;
        if (eat("-")) {
            e = node(new Expr.Negate(unary()));
        } else if (eat("!")) {
            e = node(new Expr.Not(unary()));
        } else if (eat("+")) {
            e = unary();
        } else {
            e = primary();
        }
        depth--;
        return e;
    }

    private Expr primary() {
        skipSpace();
        if (pos >= src.length()) {
            throw error("expected a number, a variable, a function call or '(', found the end");
        }
        char c = src.charAt(pos);
        if (c == '(') {
            pos++;
            Expr e = ternary();
            expect(")", "to close '('");
            return e;
        }
        if (Character.isDigit(c) || c == '.') {
            return number();
        }
        if (Character.isLetter(c) || c == '_') {
            int start = pos;
            while (pos < src.length() && (Character.isLetterOrDigit(src.charAt(pos)) || src.charAt(pos) == '_')) {
                pos++;
            }
            String name = src.substring(start, pos);
            skipSpace();
            if (pos < src.length() && src.charAt(pos) == '(') {
                pos = start;
                return call(name);
            }
            if (pos < src.length() && (src.charAt(pos) == '.' || src.charAt(pos) == '[')) {
                throw error("'" + src.charAt(pos) + "' after '" + name + "': the language has no member access or "
                        + "indexing; use the variables " + variables.names());
            }
            if (name.equals("true")) {
                return node(new Expr.Constant(1));
            }
            if (name.equals("false")) {
                return node(new Expr.Constant(0));
            }
            int slot = variables.slot(name);
            if (slot < 0) {
                pos = start;
                throw error("unknown variable '" + name + "'; this env's reward variables are " + variables.names());
            }
            if (!used.contains(name)) {
                used.add(name);
            }
            return node(new Expr.Variable(slot));
        }
        throw error("unexpected '" + c + "': expected a number, a variable, a function call or '('");
    }

    private Expr number() {
        int start = pos;
        while (pos < src.length() && (Character.isDigit(src.charAt(pos)) || src.charAt(pos) == '.')) {
            pos++;
        }
        if (pos < src.length() && (src.charAt(pos) == 'e' || src.charAt(pos) == 'E')) {
            pos++;
            if (pos < src.length() && (src.charAt(pos) == '+' || src.charAt(pos) == '-')) {
                pos++;
            }
            while (pos < src.length() && Character.isDigit(src.charAt(pos))) {
                pos++;
            }
        }
        String text = src.substring(start, pos);
        try {
            double v = Double.parseDouble(text);
            if (!Double.isFinite(v)) {
                pos = start;
                throw error("the number " + text + " is not finite");
            }
            return node(new Expr.Constant(v));
        } catch (NumberFormatException e) {
            pos = start;
            throw error("'" + text + "' is not a number");
        }
    }

    private Expr call(String name) {
        int at = pos;
        pos += name.length();
        expect("(", "after the function name");
        List<Expr> args = new ArrayList<>();
        if (!eat(")")) {
            do {
                args.add(ternary());
            } while (eat(","));
            expect(")", "to close the arguments of " + name + "()");
        }
        int f1 = Expr.Call1.NAMES.indexOf(name);
        int f2 = Expr.Call2.NAMES.indexOf(name);
        int arity = f1 >= 0 ? 1 : f2 >= 0 ? 2 : name.equals("clamp") ? 3 : -1;
        if (arity < 0) {
            pos = at;
            throw error("unknown function '" + name + "'; the functions are " + Expr.Call1.NAMES + ", "
                    + Expr.Call2.NAMES + " and clamp(x, lo, hi)");
        }
        if (args.size() != arity) {
            pos = at;
            throw error(name + "() takes " + arity + " argument" + (arity == 1 ? "" : "s") + ", got " + args.size());
        }
        return node(switch (arity) {
            case 1 -> new Expr.Call1(f1, args.get(0));
            case 2 -> new Expr.Call2(f2, args.get(0), args.get(1));
            default -> new Expr.Clamp(args.get(0), args.get(1), args.get(2));
        });
    }
}
