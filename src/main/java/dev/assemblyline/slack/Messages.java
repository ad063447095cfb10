package dev.assemblyline.slack;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Message wording from {@code templates/messages.properties}; Java code only fills in the values. */
public final class Messages {
    private static final Pattern VAR = Pattern.compile("\\{([a-z_]+)}");
    private final Properties props = new Properties();

    private Messages(Properties p) {
        props.putAll(p);
    }

    public static Messages bundled() {
        try (InputStream in = Messages.class.getResourceAsStream("/templates/messages.properties")) {
            if (in == null) {
                throw new IllegalStateException("templates/messages.properties is missing from the jar");
            }
            Properties p = new Properties();
            p.load(new InputStreamReader(in, StandardCharsets.UTF_8));
            return new Messages(p);
        } catch (IOException e) {
            throw new IllegalStateException("reading templates/messages.properties", e);
        }
    }

    public boolean has(String key) {
        return props.containsKey(key);
    }

    /**
     * The template {@code key} with {name} replaced from {@code values} (unknown names stay as they are).
     * Values are escaped for Slack ({@link SlackText#esc}) unless they are {@link SlackText.Markup}: the
     * templates are the only markup.
     */
    public String format(String key, Map<String, ?> values) {
        String t = props.getProperty(key);
        if (t == null) {
            throw new IllegalArgumentException("no message template " + key);
        }
        Matcher m = VAR.matcher(t);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            Object v = values.get(m.group(1));
            String text = v == null ? m.group() : v instanceof SlackText.Markup markup ? markup.text() : SlackText.esc(v);
            m.appendReplacement(sb, Matcher.quoteReplacement(text));
        }
        m.appendTail(sb);
        return sb.toString();
    }
}
