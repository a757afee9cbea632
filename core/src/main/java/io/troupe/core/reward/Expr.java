package io.troupe.core.reward;

import java.util.List;

/**
 * A compiled expression node: a pure function of the variable slots. Every node evaluates in constant time and the
 * language has no loops, calls into Java, objects or strings, so an expression's cost is bounded by its size.
 */
sealed interface Expr {
    double eval(double[] v);

    /** A number. */
    record Constant(double value) implements Expr {
        public double eval(double[] v) {
            return value;
        }
    }

    /** A variable, read from its slot. */
    record Variable(int slot) implements Expr {
        public double eval(double[] v) {
            return v[slot];
        }
    }

    /** {@code -x}. */
    record Negate(Expr x) implements Expr {
        public double eval(double[] v) {
            return -x.eval(v);
        }
    }

    /** {@code !x}: 1 when x is 0, else 0. */
    record Not(Expr x) implements Expr {
        public double eval(double[] v) {
            return x.eval(v) == 0 ? 1 : 0;
        }
    }

    /** Arithmetic and comparison operators (comparisons give 1 or 0). */
    record Binary(char op, Expr a, Expr b) implements Expr {
        static final char LE = '≤';
        static final char GE = '≥';
        static final char EQ = '=';
        static final char NE = '≠';

        public double eval(double[] v) {
            double x = a.eval(v);
            double y = b.eval(v);
            return switch (op) {
                case '+' -> x + y;
                case '-' -> x - y;
                case '*' -> x * y;
                case '/' -> x / y;
                case '%' -> x % y;
                case '<' -> x < y ? 1 : 0;
                case '>' -> x > y ? 1 : 0;
                case LE -> x <= y ? 1 : 0;
                case GE -> x >= y ? 1 : 0;
                case EQ -> x == y ? 1 : 0;
                case NE -> x != y ? 1 : 0;
                default -> throw new IllegalStateException("operator " + op);
            };
        }
    }

    /** {@code a && b}, short-circuit, 1 or 0. */
    record And(Expr a, Expr b) implements Expr {
        public double eval(double[] v) {
            return a.eval(v) != 0 && b.eval(v) != 0 ? 1 : 0;
        }
    }

    /** {@code a || b}, short-circuit, 1 or 0. */
    record Or(Expr a, Expr b) implements Expr {
        public double eval(double[] v) {
            return a.eval(v) != 0 || b.eval(v) != 0 ? 1 : 0;
        }
    }

    /** {@code c ? a : b}. */
    record Conditional(Expr c, Expr a, Expr b) implements Expr {
        public double eval(double[] v) {
            return c.eval(v) != 0 ? a.eval(v) : b.eval(v);
        }
    }

    /** A whitelisted function of one argument, by its index in {@link #NAMES}. */
    record Call1(int fn, Expr x) implements Expr {
        static final List<String> NAMES = List.of("abs", "sqrt", "exp", "log", "tanh", "sign",
                "floor", "ceil", "round", "sin", "cos");

        public double eval(double[] v) {
            double a = x.eval(v);
            return switch (fn) {
                case 0 -> Math.abs(a);
                case 1 -> Math.sqrt(a);
                case 2 -> Math.exp(a);
                case 3 -> Math.log(a);
                case 4 -> Math.tanh(a);
                case 5 -> Math.signum(a);
                case 6 -> Math.floor(a);
                case 7 -> Math.ceil(a);
                case 8 -> Math.rint(a);
                case 9 -> Math.sin(a);
                case 10 -> Math.cos(a);
                default -> throw new IllegalStateException("function " + fn);
            };
        }
    }

    /** A whitelisted function of two arguments, by its index in {@link #NAMES}. */
    record Call2(int fn, Expr x, Expr y) implements Expr {
        static final List<String> NAMES = List.of("min", "max", "pow");

        public double eval(double[] v) {
            double a = x.eval(v);
            double b = y.eval(v);
            return switch (fn) {
                case 0 -> Math.min(a, b);
                case 1 -> Math.max(a, b);
                case 2 -> Math.pow(a, b);
                default -> throw new IllegalStateException("function " + fn);
            };
        }
    }

    /** {@code clamp(x, lo, hi)}. */
    record Clamp(Expr x, Expr lo, Expr hi) implements Expr {
        public double eval(double[] v) {
            return Math.max(lo.eval(v), Math.min(hi.eval(v), x.eval(v)));
        }
    }
}
