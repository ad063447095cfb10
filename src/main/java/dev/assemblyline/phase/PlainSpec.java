package dev.assemblyline.phase;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A fast path for the common spec: flat Markdown whose only structure is {@code #} / {@code ##} headings
 * at the start of a line. For such text the sections can be read line by line with the same result as
 * the commonmark parser; anything that could change the block structure (a code fence, an HTML block,
 * an indented heading, a setext underline, a link reference definition, a heading with inline markup)
 * makes it answer null, and the parser decides. {@code SpecRulesTest} checks both paths agree.
 */
final class PlainSpec {
    private PlainSpec() {
    }

    /** Sections as {@link SpecRules#sections}, or null when the text needs the real parser. */
    static Map<String, SpecRules.State> sections(String text, java.util.function.BiFunction<String, CharSequence, SpecRules.State> judge) {
        if (text.indexOf('\r') >= 0 || text.indexOf('\u0000') >= 0) {
            return null;
        }
        Map<String, SpecRules.State> found = new LinkedHashMap<>();
        String current = null;
        StringBuilder body = new StringBuilder();
        int len = text.length();
        int start = 0;
        while (start <= len) {
            int end = text.indexOf('\n', start);
            if (end < 0) {
                end = len;
            }
            int lineEnd = end > start && text.charAt(end - 1) == '\r' ? end - 1 : end;
            if (needsParser(text, start, lineEnd)) {
                return null;
            }
            int level = atxLevel(text, start, lineEnd);
            if (level == 1 || level == 2) {
                if (current != null) {
                    found.merge(current, judge.apply(current, body), SpecRules::best);
                }
                body.setLength(0);
                current = null;
                if (level == 2) {
                    String title = headingContent(text, start + 2, lineEnd);
                    if (title == null) {
                        return null;
                    }
                    current = SpecRules.normalise(title);
                }
            } else if (current != null) {
                String line = text.substring(start, lineEnd);
                body.append(' ').append(line.indexOf('<') >= 0 || line.indexOf('&') >= 0 ? SpecRules.stripHtml(line) : line);
            }
            start = end + 1;
        }
        if (current != null) {
            found.merge(current, judge.apply(current, body), SpecRules::best);
        }
        return found;
    }

    /** Lines that could open a block other than a paragraph, list item or column-0 ATX heading. */
    private static boolean needsParser(String t, int s, int e) {
        int i = s;
        while (i < e && t.charAt(i) == ' ') {
            i++;
        }
        if (i == e) {
            return false;
        }
        char c = t.charAt(i);
        if (c == '\t' || i - s >= 4 && i < e) {
            return true; // indented code, or a tab we would have to expand
        }
        if (c == '`' || c == '~' || c == '<' || c == '[' || c == '>' || c == '|' || c == '\\') {
            return true; // fences, HTML blocks, link definitions, block quotes, tables, escapes
        }
        if (c == '#' && i > s) {
            return true; // an indented heading may belong to a list item
        }
        if (c == '=' || c == '_') {
            return true; // setext underlines, thematic breaks
        }
        if (c == '-' || c == '*' || c == '+') {
            // "- item" is a plain list item; "---", "- ```", "- ## x" are not
            return !(i + 1 < e && t.charAt(i + 1) == ' ' && hasWord(t, i + 2, e));
        }
        if (c >= '0' && c <= '9') {
            int j = i;
            while (j < e && t.charAt(j) >= '0' && t.charAt(j) <= '9') {
                j++;
            }
            if (j < e && (t.charAt(j) == '.' || t.charAt(j) == ')')) {
                return !hasWord(t, j + 1, e); // "1. item" is plain; "1. ```" is not
            }
        }
        return false;
    }

    private static boolean hasWord(String t, int s, int e) {
        for (int i = s; i < e; i++) {
            char c = t.charAt(i);
            if (c == '#' || c == '`' || c == '~' || c == '<' || c == '>' || c == '[' || c == '-' || c == '*') {
                return false; // a list item that itself opens a block: let the parser see it
            }
            if (Character.isLetterOrDigit(c)) {
                return true;
            }
        }
        return false;
    }

    /** 1..6 for an ATX heading starting at column 0, else 0. */
    private static int atxLevel(String t, int s, int e) {
        int i = s;
        while (i < e && t.charAt(i) == '#' && i - s < 7) {
            i++;
        }
        int level = i - s;
        if (level == 0 || level > 6) {
            return 0;
        }
        return i == e || t.charAt(i) == ' ' ? level : 0;
    }

    /** The heading's text without its closing #s; null when it holds inline markup. */
    private static String headingContent(String t, int s, int e) {
        String c = t.substring(s, e).strip();
        int j = c.length();
        while (j > 0 && c.charAt(j - 1) == '#') {
            j--;
        }
        if (j == 0) {
            c = "";
        } else if (j < c.length() && c.charAt(j - 1) == ' ') {
            c = c.substring(0, j).strip();
        }
        for (int i = 0; i < c.length(); i++) {
            if ("*_`[]<>&\\!".indexOf(c.charAt(i)) >= 0) {
                return null;
            }
        }
        return c;
    }
}
