package dev.assemblyline.model;

import java.util.regex.Pattern;

/**
 * The one rule for what may be a service name: {@code [A-Za-z0-9][A-Za-z0-9._-]*}, at most 100
 * characters. Checked before a name touches a path, a process or a URL.
 */
public final class ServiceName {
    public static final int MAX_LENGTH = 100;
    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

    private ServiceName() {
    }

    public static boolean isValid(String name) {
        return name != null && name.length() <= MAX_LENGTH && VALID.matcher(name).matches();
    }

    /** Why a name is refused, as a sentence; null when it is valid. */
    public static String problem(String name) {
        if (name == null || name.isEmpty()) {
            return "empty name";
        }
        if (name.length() > MAX_LENGTH) {
            return "name longer than " + MAX_LENGTH + " characters";
        }
        if (name.startsWith(".")) {
            return "hidden folder";
        }
        if (!VALID.matcher(name).matches()) {
            return "name does not match [A-Za-z0-9][A-Za-z0-9._-]*";
        }
        return null;
    }

    /** Returns the name, or throws {@link IllegalArgumentException} naming the problem. */
    public static String require(String name) {
        String problem = problem(name);
        if (problem != null) {
            throw new IllegalArgumentException("not a service name: '" + printable(name) + "' (" + problem + ")");
        }
        return name;
    }

    /** The name with control characters replaced, safe to print in a log line. */
    public static String printable(String name) {
        if (name == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder(Math.min(name.length(), 120));
        for (int i = 0; i < name.length() && i < 120; i++) {
            char c = name.charAt(i);
            sb.append(Character.isISOControl(c) ? '?' : c);
        }
        return sb.toString();
    }
}
