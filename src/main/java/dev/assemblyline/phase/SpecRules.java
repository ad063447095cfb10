package dev.assemblyline.phase;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.commonmark.node.AbstractVisitor;
import org.commonmark.node.Code;
import org.commonmark.node.FencedCodeBlock;
import org.commonmark.node.Heading;
import org.commonmark.node.HtmlBlock;
import org.commonmark.node.HtmlInline;
import org.commonmark.node.IndentedCodeBlock;
import org.commonmark.node.Node;
import org.commonmark.node.Text;
import org.commonmark.parser.Parser;

/**
 * The sections a SPEC.md must have, taken from the {@code ##} headings of {@code templates/SPEC.md}, and
 * the check of one spec against them. Markdown is parsed (commonmark), so a heading inside a code block
 * or a block quote does not count; headings match regardless of case and surrounding spaces; a section
 * whose body is empty or only TBD / TODO counts as missing, and so does one whose body is still the
 * template's own text (the same words, whatever the spacing and markup). Thread-safe.
 */
public final class SpecRules {
    private static final Set<String> PLACEHOLDERS = Set.of("tbd", "todo", "tba", "wip");

    private final List<String> required;
    /** The words of each section's body in the template (normalised heading → {@link #words}). */
    private final Map<String, String> templateText;
    private static final Pattern HTML = Pattern.compile("(?s)<!--.*?(-->|$)|<[^>]*>|&[#A-Za-z0-9]+;");
    /** Inline markup that needs the full inline parser to read a heading's text. */
    private static final String INLINE_MARKUP = "*_`[]<>&\\!";

    /**
     * Block structure only: inline content stays raw text. Headings with inline markup are re-read by
     * {@link #fullParser}; bodies only need to know whether they hold a word, which raw text tells.
     */
    private final Parser blockParser = Parser.builder()
            .inlineParserFactory(context -> (lines, node) -> node.appendChild(new Text(lines.getContent())))
            .build();
    private final Parser fullParser = Parser.builder().build();

    public SpecRules(List<String> requiredSections) {
        this(requiredSections, Map.of());
    }

    private SpecRules(List<String> requiredSections, Map<String, String> templateText) {
        if (requiredSections.isEmpty()) {
            throw new IllegalArgumentException("the SPEC.md template has no ## headings: nothing to require");
        }
        this.required = List.copyOf(requiredSections);
        this.templateText = Map.copyOf(templateText);
    }

    /** The rules of the template bundled in the jar ({@code templates/SPEC.md}). */
    public static SpecRules bundled() {
        try (InputStream in = SpecRules.class.getResourceAsStream("/templates/SPEC.md")) {
            if (in == null) {
                throw new IllegalStateException("templates/SPEC.md is missing from the jar");
            }
            return fromTemplate(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("reading the bundled templates/SPEC.md", e);
        }
    }

    /** The rules of a template file on disk, for a team that changed its sections. */
    public static SpecRules fromFile(Path template) throws IOException {
        return fromTemplate(Files.readString(template, StandardCharsets.UTF_8));
    }

    public static SpecRules fromTemplate(String markdown) {
        Node doc = Parser.builder().build().parse(markdown);
        List<String> names = new ArrayList<>();
        for (Node n = doc.getFirstChild(); n != null; n = n.getNext()) {
            if (n instanceof Heading h && h.getLevel() == 2) {
                String title = text(h).trim().replaceAll("\\s+", " ");
                if (!title.isEmpty() && names.stream().noneMatch(x -> normalise(x).equals(normalise(title)))) {
                    names.add(title);
                }
            }
        }
        Map<String, String> bodies = new LinkedHashMap<>();
        new SpecRules(names).walk(markdown, (key, body) -> {
            String w = words(body);
            if (!w.isEmpty()) {
                bodies.putIfAbsent(key, w);
            }
            return State.FILLED;
        });
        return new SpecRules(names, bodies);
    }

    /** What a section's body holds. */
    enum State {
        EMPTY, TEMPLATE, FILLED
    }

    /** How a section with this (normalised) heading and body text counts. */
    State judge(String key, CharSequence body) {
        if (!hasContent(body)) {
            return State.EMPTY;
        }
        String t = templateText.get(key);
        return t != null && t.equals(words(body)) ? State.TEMPLATE : State.FILLED;
    }

    /** The letters and digits of a text as lower-case words joined by one space: spacing and markup do not count. */
    static String words(CharSequence text) {
        StringBuilder sb = new StringBuilder();
        eachWord(text, w -> {
            sb.append(sb.length() > 0 ? " " : "").append(w);
            return false;
        });
        return sb.toString();
    }

    /** Hands each lower-case run of letters and digits to {@code stop} until it says true; returns whether it did. */
    private static boolean eachWord(CharSequence text, java.util.function.Predicate<String> stop) {
        int i = 0;
        int len = text.length();
        while (i < len) {
            while (i < len && !Character.isLetterOrDigit(text.charAt(i))) {
                i++;
            }
            int start = i;
            while (i < len && Character.isLetterOrDigit(text.charAt(i))) {
                i++;
            }
            if (i > start && stop.test(text.subSequence(start, i).toString().toLowerCase(Locale.ROOT))) {
                return true;
            }
        }
        return false;
    }

    public List<String> required() {
        return required;
    }

    /**
     * The problems of one spec, one sentence per required section that is absent or empty, in the
     * template's order; an empty list means the spec is complete.
     */
    public List<String> problems(String markdown) {
        Map<String, State> found = sections(markdown);
        List<String> problems = new ArrayList<>();
        for (String section : required) {
            State state = found.get(normalise(section));
            if (state == null) {
                problems.add("missing section: " + section);
            } else if (state == State.EMPTY) {
                problems.add("empty section: " + section + " (no content, or only TBD / TODO)");
            } else if (state == State.TEMPLATE) {
                problems.add("unfilled section: " + section + " (still the template's text)");
            }
        }
        return problems;
    }

    /** Every top-level {@code ##} heading (normalised) and the best state of any of its occurrences. */
    Map<String, State> sections(String markdown) {
        Map<String, State> plain = PlainSpec.sections(markdown, this::judge);
        return plain != null ? plain : parsedSections(markdown);
    }

    /** The same as {@link #sections}, always through the Markdown parser. */
    Map<String, State> parsedSections(String markdown) {
        return walk(markdown, this::judge);
    }

    private Map<String, State> walk(String markdown, java.util.function.BiFunction<String, CharSequence, State> judge) {
        Node doc = blockParser.parse(markdown);
        Map<String, State> found = new LinkedHashMap<>();
        Node n = doc.getFirstChild();
        while (n != null) {
            if (n instanceof Heading h && h.getLevel() == 2) {
                String key = normalise(headingText(h));
                StringBuilder body = new StringBuilder();
                Node b = h.getNext();
                while (b != null && !(b instanceof Heading bh && bh.getLevel() <= 2)) {
                    body.append(' ').append(text(b));
                    b = b.getNext();
                }
                found.merge(key, judge.apply(key, body), SpecRules::best);
                n = b;
            } else {
                n = n.getNext();
            }
        }
        return found;
    }

    static State best(State a, State b) {
        return a.ordinal() >= b.ordinal() ? a : b;
    }

    /** The heading's visible text; raw text unless it holds inline markup ({@code ## **Purpose**}). */
    private String headingText(Heading h) {
        String raw = text(h);
        for (int i = 0; i < raw.length(); i++) {
            if (INLINE_MARKUP.indexOf(raw.charAt(i)) >= 0) {
                return text(fullParser.parse(raw));
            }
        }
        return raw;
    }

    /** Trimmed, inner whitespace collapsed to one space, lower case. */
    static String normalise(String heading) {
        StringBuilder sb = new StringBuilder(heading.length());
        boolean space = false;
        for (int i = 0; i < heading.length(); i++) {
            char c = heading.charAt(i);
            if (Character.isWhitespace(c)) {
                space = sb.length() > 0;
            } else {
                if (space) {
                    sb.append(' ');
                    space = false;
                }
                sb.append(Character.toLowerCase(c));
            }
        }
        return sb.toString();
    }

    /** True when the text holds a word that is not a placeholder (TBD, TODO, …). */
    static boolean hasContent(CharSequence body) {
        return eachWord(body, w -> !PLACEHOLDERS.contains(w));
    }

    /** The visible text of a node: text, code, code blocks, HTML that is not a comment. */
    private static String text(Node node) {
        StringBuilder sb = new StringBuilder();
        node.accept(new AbstractVisitor() {
            @Override
            public void visit(Text text) {
                String t = text.getLiteral();
                sb.append(t.indexOf('<') >= 0 || t.indexOf('&') >= 0 ? stripHtml(t) : t);
            }

            @Override
            public void visit(Code code) {
                sb.append(code.getLiteral());
            }

            @Override
            public void visit(FencedCodeBlock block) {
                sb.append(' ').append(block.getLiteral());
            }

            @Override
            public void visit(IndentedCodeBlock block) {
                sb.append(' ').append(block.getLiteral());
            }

            @Override
            public void visit(HtmlBlock html) {
                sb.append(' ').append(stripHtml(html.getLiteral()));
            }

            @Override
            public void visit(HtmlInline html) {
                sb.append(stripHtml(html.getLiteral()));
            }
        });
        return sb.toString();
    }

    static String stripHtml(String html) {
        return HTML.matcher(html).replaceAll(" ");
    }
}
