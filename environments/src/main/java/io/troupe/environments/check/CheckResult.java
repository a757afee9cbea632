package io.troupe.environments.check;

/** The outcome of one named check of the env checker. */
public record CheckResult(String name, Status status, String detail) {
    public enum Status { PASS, WARN, FAIL }

    static CheckResult pass(String name, String detail) {
        return new CheckResult(name, Status.PASS, detail);
    }

    static CheckResult warn(String name, String detail) {
        return new CheckResult(name, Status.WARN, detail);
    }

    static CheckResult fail(String name, String detail) {
        return new CheckResult(name, Status.FAIL, detail);
    }
}
