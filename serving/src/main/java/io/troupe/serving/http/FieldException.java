package io.troupe.serving.http;

/**
 * A bad field of a request body outside its observations ({@code deterministic}, {@code outputs[1]}, {@code seed}, an
 * unknown field): a 400 whose {@code field} names it, as an observation's errors name theirs.
 */
final class FieldException extends IllegalArgumentException {
    private final String field;

    /** {@code message} says what is wrong and already names {@code field} (it is read without the field too). */
    FieldException(String field, String message) {
        super(message);
        this.field = field;
    }

    String field() {
        return field;
    }
}
