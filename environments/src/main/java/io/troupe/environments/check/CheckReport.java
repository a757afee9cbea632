package io.troupe.environments.check;

import java.util.List;
import java.util.Optional;

/** All checks run on one env, with a verdict: passed when no check failed (warnings allowed). */
public record CheckReport(String envId, List<CheckResult> results) {
    public CheckReport {
        results = List.copyOf(results);
    }

    public boolean passed() {
        return results.stream().noneMatch(r -> r.status() == CheckResult.Status.FAIL);
    }

    /** The result of the check called {@code name}, if it ran. */
    public Optional<CheckResult> result(String name) {
        return results.stream().filter(r -> r.name().equals(name)).findFirst();
    }

    public long count(CheckResult.Status status) {
        return results.stream().filter(r -> r.status() == status).count();
    }

    /** One line per check, then the verdict. */
    public String format() {
        StringBuilder sb = new StringBuilder("Checking ").append(envId).append('\n');
        for (CheckResult r : results) {
            sb.append(String.format("  %-4s  %-30s %s%n", r.status(), r.name(), r.detail()));
        }
        sb.append("verdict: ").append(passed() ? "PASS" : "FAIL").append(" (").append(results.size())
                .append(" checks, ").append(count(CheckResult.Status.FAIL)).append(" failed, ")
                .append(count(CheckResult.Status.WARN)).append(" warnings)");
        return sb.toString();
    }
}
