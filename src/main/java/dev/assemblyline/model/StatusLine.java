package dev.assemblyline.model;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The one line of a service's README.md that the coordinator owns (docs/status-board.md):
 * <pre>Status: 🚧 BUILD IN PROGRESS by builder-2 (ticket #41) &lt;!-- assembly-line --&gt;</pre>
 * It is recognised as a line that starts with "Status: " and ends with the mark, outside fenced code
 * blocks, never by its words, so a person's own "BUILD IN PROGRESS" line stays theirs. {@link #strip} gives back the file exactly as it was before the line was
 * put in ({@code strip(apply(f, line)) == f}): the service's tree identity is computed on the stripped
 * file, so writing the status line never invalidates a test result.
 */
public final class StatusLine {
    /** The mark that makes a line the coordinator's: an HTML comment, invisible when the Markdown is shown. */
    public static final String MARK = "<!-- assembly-line -->";
    private static final byte[] MARK_BYTES = MARK.getBytes(StandardCharsets.UTF_8);

    private StatusLine() {
    }

    /** The line for a phase and its holder (null: nobody holds the service's work), without a line end. */
    public static String render(Phase phase, String holder, Long ticket) {
        if (holder == null && ticket == null) {
            return UNHELD.get(phase); // most services: one string per phase, not one per service and write
        }
        return build(phase, holder, ticket);
    }

    private static final java.util.Map<Phase, String> UNHELD = new java.util.EnumMap<>(Phase.class);

    static {
        for (Phase p : Phase.values()) {
            UNHELD.put(p, build(p, null, null));
        }
    }

    private static String build(Phase phase, String holder, Long ticket) {
        StringBuilder sb = new StringBuilder("Status: ").append(emoji(phase)).append(' ').append(phase.name().replace('_', ' '));
        if (holder != null) {
            sb.append(" by ").append(safe(holder));
        }
        if (ticket != null) {
            sb.append(" (ticket #").append(ticket).append(')');
        }
        return sb.append(' ').append(MARK).toString();
    }

    private static String emoji(Phase p) {
        return switch (p) {
            case NEEDS_SPEC, SPEC_INCOMPLETE -> "\uD83D\uDCDD"; // memo
            case READY_FOR_BUILD -> "\uD83D\uDCE6"; // package
            case BUILD_IN_PROGRESS -> "\uD83D\uDEA7"; // construction
            case NEEDS_TESTS, TESTING -> "\uD83E\uDDEA"; // test tube
            case TESTS_FAILING -> "\u274C"; // cross
            case READY_FOR_DEPLOY -> "\uD83D\uDE80"; // rocket
            case PRODUCTION -> "\u2705"; // check
            case UNHEALTHY -> "\uD83D\uDD25"; // fire
            case SKIPPED -> "\u2796";
        };
    }

    /** A session's name as it may stand in Markdown: printable, no markup that could close or open a comment. */
    static String safe(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length() && sb.length() < 80; i++) {
            char c = s.charAt(i);
            sb.append(Character.isLetterOrDigit(c) || " ._@()-".indexOf(c) >= 0 ? c : '_'); // no '#': "closes #7" means something to a forge
        }
        return sb.toString().strip();
    }

    /** Whether the file has a status line. */
    public static boolean has(byte[] file) {
        if (file == null || indexOf(file, MARK_BYTES, 0) < 0) {
            return false; // the common case, decided without looking at lines
        }
        boolean[] fenced = {false};
        for (int start = 0; start < file.length; ) {
            int end = lineEnd(file, start);
            if (isStatus(file, start, end, fenced)) {
                return true;
            }
            start = end;
        }
        return false;
    }

    /** The status line in the file (without its line end), or null. */
    public static String current(byte[] file) {
        if (!has(file)) {
            return null;
        }
        boolean[] fenced = {false};
        for (int start = 0; start < file.length; ) {
            int end = lineEnd(file, start);
            if (isStatus(file, start, end, fenced)) {
                return new String(file, start, contentEnd(file, start, end) - start, StandardCharsets.UTF_8);
            }
            start = end;
        }
        return null;
    }

    /** The file without any status line (each removed with its line end); the same array when there is none. */
    public static byte[] strip(byte[] file) {
        if (!has(file)) {
            return file;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(file.length);
        boolean[] fenced = {false};
        for (int start = 0; start < file.length; ) {
            int end = lineEnd(file, start);
            if (!isStatus(file, start, end, fenced)) {
                out.write(file, start, end - start);
            }
            start = end;
        }
        return out.toByteArray();
    }

    /**
     * The file with {@code line} as its status line: the first status line replaced and any others
     * removed; else the line put after a first-line heading, or at the top; a missing file (null) becomes
     * the line alone. Nothing else in the file changes.
     */
    public static byte[] apply(byte[] file, String line) {
        if (file == null || file.length == 0) {
            return (line + "\n").getBytes(StandardCharsets.UTF_8);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(file.length + line.length() + 8);
        byte[] l = line.getBytes(StandardCharsets.UTF_8);
        if (has(file)) {
            boolean written = false;
            boolean[] fenced = {false};
            for (int start = 0; start < file.length; ) {
                int end = lineEnd(file, start);
                if (!isStatus(file, start, end, fenced)) {
                    out.write(file, start, end - start);
                } else if (!written) {
                    written = true;
                    out.writeBytes(l);
                    out.write(file, contentEnd(file, start, end), end - contentEnd(file, start, end)); // its own line end
                }
                start = end;
            }
            return out.toByteArray();
        }
        // after a first-line title ("# name", past a byte-order mark), else at the top; with the file's own line end
        int bom = file.length >= 3 && (file[0] & 0xff) == 0xEF && (file[1] & 0xff) == 0xBB && (file[2] & 0xff) == 0xBF ? 3 : 0;
        int first = lineEnd(file, bom);
        boolean crlf = first >= 2 && file[first - 1] == '\n' && file[first - 2] == '\r';
        byte[] end = crlf ? new byte[] {'\r', '\n'} : new byte[] {'\n'};
        boolean title = file.length > bom + 1 && file[bom] == '#' && file[bom + 1] == ' ' && file[first - 1] == '\n';
        int at = title ? first : bom;
        out.write(file, 0, at);
        out.writeBytes(l);
        out.writeBytes(end);
        out.write(file, at, file.length - at);
        return out.toByteArray();
    }

    /** Text with status lines removed (what the phase detector reads of a README). */
    public static String strip(String text) {
        return text.contains(MARK) ? new String(strip(text.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8) : text;
    }

    private static final byte[] PREFIX = "Status: ".getBytes(StandardCharsets.UTF_8);

    /**
     * Whether a line is a status line: it starts with "Status: " and ends with the mark, outside a fenced
     * code block ({@code fenced} carries that from line to line: a README may show the format in one).
     */
    private static boolean isStatus(byte[] f, int start, int end, boolean[] fenced) {
        int s = start;
        while (s < end && (f[s] == ' ' || f[s] == '\t')) {
            s++;
        }
        if (end - s >= 3 && (f[s] == '`' && f[s + 1] == '`' && f[s + 2] == '`' || f[s] == '~' && f[s + 1] == '~' && f[s + 2] == '~')) {
            fenced[0] = !fenced[0];
            return false;
        }
        if (fenced[0] || end - start < PREFIX.length || !region(f, start, PREFIX)) {
            return false;
        }
        int e = contentEnd(f, start, end);
        while (e > start && (f[e - 1] == ' ' || f[e - 1] == '\t')) {
            e--;
        }
        return e - start >= MARK_BYTES.length && region(f, e - MARK_BYTES.length, MARK_BYTES);
    }

    /** Where the line starting at {@code start} ends, its line end included. */
    private static int lineEnd(byte[] f, int start) {
        int i = start;
        while (i < f.length && f[i] != '\n') {
            i++;
        }
        return i < f.length ? i + 1 : i;
    }

    /** The end of the line's content: before its "\n" or "\r\n". */
    private static int contentEnd(byte[] f, int start, int end) {
        int e = end;
        if (e > start && f[e - 1] == '\n') {
            e--;
            if (e > start && f[e - 1] == '\r') {
                e--;
            }
        }
        return e;
    }

    private static boolean region(byte[] f, int at, byte[] part) {
        if (at < 0 || at + part.length > f.length) {
            return false;
        }
        for (int i = 0; i < part.length; i++) {
            if (f[at + i] != part[i]) {
                return false;
            }
        }
        return true;
    }

    private static int indexOf(byte[] hay, byte[] needle, int from) {
        outer:
        for (int i = Math.max(0, from); i <= hay.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
