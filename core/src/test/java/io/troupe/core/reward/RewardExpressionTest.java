package io.troupe.core.reward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RewardExpressionTest {
    private static final RewardVariables CARTPOLE = new RewardVariables(List.of("x", "x_dot", "theta", "theta_dot"));

    private static double eval(String expr, double theta, double envReward, boolean terminated) {
        RewardInput in = new RewardInput(CARTPOLE);
        in.set(envReward, 1, 7, terminated, false, false);
        in.slots()[CARTPOLE.slot("theta")] = theta;
        in.slots()[CARTPOLE.slot("prev_theta")] = theta / 2;
        return RewardExpression.compile(expr, CARTPOLE).reward(in);
    }

    @Test
    void evaluatesArithmeticFunctionsAndVariables() {
        assertEquals(0.5, eval("1 - abs(theta) / 0.21", -0.105, 1, false), 1e-12);
        assertEquals(7, eval("1 + 2 * 3", 0, 0, false));
        assertEquals(9, eval("(1 + 2) * 3", 0, 0, false));
        assertEquals(-1, eval("-(1) % 2", 0, 0, false));
        assertEquals(1, eval("1 + 2 * 3 == 7", 0, 0, false));
        assertEquals(-10, eval("terminated ? -10 : reward", 0, 1, true));
        assertEquals(1, eval("terminated ? -10 : reward", 0, 1, false));
        assertEquals(0.2, eval("theta - prev_theta", 0.4, 0, false), 1e-12);
        assertEquals(8, eval("step + action", 0, 0, false));
        assertEquals(1, eval("!done && (step >= 7 || false) && 2 != 3 && 1 <= 1 && 2 > 1", 0, 0, false));
        assertEquals(0.25, eval("clamp(theta, -0.25, 0.25)", 3, 0, false));
        assertEquals(3, eval("max(min(3, 4), pow(2, 1.5))", 0, 0, false));
        assertEquals(2e-3, eval("2e-3", 0, 0, false));
        assertEquals(Math.tanh(0.3) + Math.sqrt(4) + Math.exp(0) + Math.log(1) + Math.signum(-2.0),
                eval("tanh(0.3) + sqrt(4) + exp(0) + log(1) + sign(-2)", 0, 0, false), 1e-12);
        assertEquals(List.of("terminated", "reward"),
                RewardExpression.compile("terminated ? -10 : reward + reward", CARTPOLE).variablesUsed());
    }

    private static RewardExpressionException rejected(String expr) {
        return assertThrows(RewardExpressionException.class, () -> RewardExpression.compile(expr, CARTPOLE), expr);
    }

    @Test
    void errorsNameTheColumnAndWhatWasExpected() {
        RewardExpressionException e = rejected("1 - abs(thta) / 0.21");
        assertEquals(9, e.column());
        assertTrue(e.getMessage().contains("unknown variable 'thta'") && e.getMessage().contains("theta_dot"),
                e.getMessage());
        assertTrue(rejected("1 +").getMessage().contains("found the end"));
        assertTrue(rejected("abs(1, 2)").getMessage().contains("abs() takes 1 argument, got 2"));
        assertTrue(rejected("sqr(2)").getMessage().contains("unknown function 'sqr'"));
        assertTrue(rejected("(1 + 2").getMessage().contains("expected ')'"));
        assertTrue(rejected("theta = 1").getMessage().contains("no assignment"));
        assertEquals(3, rejected("1 2").column());
        assertTrue(rejected("").getMessage().contains("empty"));
        assertTrue(rejected("1e999").getMessage().contains("not finite"));
    }

    @Test
    void hostileExpressionsAreRejectedBeforeTheyRun() {
        for (String hostile : List.of(
                "java.lang.Runtime.getRuntime().exec(\"rm -rf /\")",
                "new java.io.File('/etc/passwd')",
                "''.getClass().forName('java.lang.System')",
                "reward.class",
                "x[0]",
                "while (true) { }",
                "for (i : [1..1000000000]) { }",
                "#{theta}",
                "${theta}",
                "theta; reward",
                "System.exit(1)",
                "new int[2147483647]",
                "function() { return 1 }")) {
            rejected(hostile);
        }
        assertTrue(rejected("(".repeat(200) + "1" + ")".repeat(200)).getMessage().contains("nests deeper"));
        assertTrue(rejected("-".repeat(200) + "1").getMessage().contains("nests deeper"));
        assertTrue(rejected("1" + "+1".repeat(500)).getMessage().contains("more than 400 operations"));
        assertTrue(rejected("1+".repeat(1100) + "1").getMessage().contains("at most 2000"));
    }

    @Test
    void historyKeepsEveryVersionAndRollsBackActivations() {
        RewardHistory h = RewardHistory.initial("CartPole-v1");
        assertEquals(0, h.active());
        h = h.submit("expr", "1 - abs(theta) / 0.21", "ann", 1000, "shaped");
        h = h.submit("expr", "reward", "bob", 2000, "plain");
        assertEquals(2, h.active());
        assertEquals("v1 expr \"1 - abs(theta) / 0.21\" by ann: shaped", h.find(1).orElseThrow().describe());
        h = h.rollback(Optional.empty());
        assertEquals(1, h.active());
        h = h.submit("class", "com.acme.Reward", "ann", 3000, "");
        assertEquals(3, h.active());
        assertEquals(1, h.rollback(Optional.empty()).active(), "rolls back to what was active before v3");
        assertEquals(0, h.rollback(Optional.empty()).rollback(Optional.empty()).active());
        assertEquals(2, h.rollback(Optional.of(2L)).active());
        RewardHistory last = h;
        assertTrue(assertThrows(IllegalArgumentException.class, () -> last.rollback(Optional.of(9L))).getMessage()
                .contains("no reward version 9"));
        assertThrows(IllegalArgumentException.class,
                () -> RewardHistory.initial("CartPole-v1").rollback(Optional.empty()));
        assertEquals(4, h.versions().size());
    }
}
