package dev.assemblyline.model;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one way durations are written, in environment variables and in {@code assembly.yml} alike:
 * {@code 500ms}, {@code 90s}, {@code 30m}, {@code 24h}, {@code 2d}, a bare number of seconds ({@code 90}),
 * or ISO-8601 ({@code PT30M}).
 */
public final class Durations {
    private static final Pattern SHORT = Pattern.compile("(\\d+)(ms|s|m|h|d)?");

    private Durations() {
    }

    /** @throws IllegalArgumentException with a sentence saying how to write one */
    public static Duration parse(String text) {
        String t = text == null ? "" : text.strip();
        Matcher m = SHORT.matcher(t);
        if (m.matches()) {
            if (m.group(1).length() > 12) {
                throw new IllegalArgumentException("'" + text + "' is too long a duration");
            }
            long n = Long.parseLong(m.group(1));
            String unit = m.group(2) == null ? "s" : m.group(2);
            return switch (unit) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
        }
        try {
            return Duration.parse(t);
        } catch (DateTimeParseException | ArithmeticException e) {
            throw new IllegalArgumentException("'" + text + "' is not a duration (write 90s, 30m, 24h, a number of seconds, or PT30M)");
        }
    }

    /** The shortest of {@code 2d}, {@code 3h}, {@code 15m}, {@code 90s} that says {@code d} exactly: the way {@link #parse} reads it. */
    public static String format(Duration d) {
        if (d.toDays() > 0 && d.toHours() % 24 == 0) {
            return d.toDays() + "d";
        }
        if (d.toHours() > 0 && d.toMinutes() % 60 == 0) {
            return d.toHours() + "h";
        }
        if (d.toMinutes() > 0 && d.getSeconds() % 60 == 0) {
            return d.toMinutes() + "m";
        }
        return d.getSeconds() + "s";
    }
}
