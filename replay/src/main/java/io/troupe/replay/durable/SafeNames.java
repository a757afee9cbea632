package io.troupe.replay.durable;

import java.util.regex.Pattern;

/**
 * Entity ids become file names only through here: letters, digits, {@code .}, {@code _} and {@code -}, at most 200
 * characters, and neither {@code .} nor {@code ..}. That excludes separators ({@code /}, {@code \}), NUL and
 * {@code ..}, so a name can never leave the directory it is resolved in.
 */
public final class SafeNames {
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9._-]{1,200}");

    private SafeNames() {
    }

    /** {@code id} if it is safe as a file name; otherwise an error naming {@code what} and the id. */
    public static String requireSafe(String id, String what) {
        if (id == null || !SAFE.matcher(id).matches() || id.equals(".") || id.equals("..")) {
            throw new IllegalArgumentException(what + " " + quote(id) + " cannot be a file name: expected 1 to 200 "
                    + "characters from [A-Za-z0-9._-], not \".\" or \"..\"");
        }
        return id;
    }

    /** The id in quotes with control characters escaped, so a NUL or newline shows in the message. */
    private static String quote(String id) {
        if (id == null) {
            return "null";
        }
        StringBuilder sb = new StringBuilder("\"");
        for (char c : id.toCharArray()) {
            if (c < 0x20 || c == 0x7f) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append('"').toString();
    }
}
