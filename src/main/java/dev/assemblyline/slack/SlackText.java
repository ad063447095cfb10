package dev.assemblyline.slack;

/**
 * Slack's three control characters. Everything that did not come from the templates (service names,
 * README lines, test names, reasons, session names, ticket notes) goes through {@link #esc} before it is
 * put into a message, so {@code <!channel>} in a repository is shown, never acted on.
 */
public final class SlackText {
    private SlackText() {
    }

    /** {@code &}, {@code <} and {@code >} as Slack wants them escaped; null stays null. */
    public static String esc(Object value) {
        if (value == null) {
            return null;
        }
        String s = String.valueOf(value);
        if (s.indexOf('&') < 0 && s.indexOf('<') < 0 && s.indexOf('>') < 0) {
            return s;
        }
        StringBuilder sb = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    /** Markup the coordinator made itself (a {@code <@U123>} mention of a checked user id): put in as it is. */
    public record Markup(String text) {
        @Override
        public String toString() {
            return text;
        }
    }
}
