package dev.assemblyline.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The coordinator's README line: taken out, the file is exactly what it was (the identity depends on it). */
class StatusLineTest {
    static final String LINE = StatusLine.render(Phase.BUILD_IN_PROGRESS, "builder-2", 41L);

    @ParameterizedTest
    @ValueSource(strings = {"# billing\n\nText.\n", "# billing", "# billing\r\nText\r\n", "no title\n", "no newline at all", "## Purpose\n\nx\n",
            "\uFEFF# bom\n", "#hashtag\n", "   \n", "```\nStatus: x <!-- assembly-line -->\n```\n", "we write <!-- assembly-line --> in prose\n",
            "Status: mine, not the bot's\n"})
    void strippingGivesBackTheFileExactly(String original) {
        byte[] f = original.getBytes(StandardCharsets.UTF_8);
        byte[] once = StatusLine.apply(f, LINE);
        assertThat(StatusLine.has(once)).isTrue();
        assertThat(StatusLine.current(once)).isEqualTo(LINE);
        assertThat(new String(StatusLine.strip(once), StandardCharsets.UTF_8)).isEqualTo(original);
        byte[] twice = StatusLine.apply(once, StatusLine.render(Phase.NEEDS_TESTS, null, null));
        assertThat(new String(StatusLine.strip(twice), StandardCharsets.UTF_8)).isEqualTo(original);
        String text = new String(twice, StandardCharsets.UTF_8);
        assertThat(text.split(java.util.regex.Pattern.quote(StatusLine.MARK), -1).length - 1).as("one status line, the file's own marks kept")
                .isEqualTo(original.split(java.util.regex.Pattern.quote(StatusLine.MARK), -1).length);
    }

    @Test
    void itGoesAfterATitleWithTheFilesLineEndAndNotIntoASection() {
        assertThat(new String(StatusLine.apply("# a\r\nb\r\n".getBytes(StandardCharsets.UTF_8), "L"), StandardCharsets.UTF_8)).isEqualTo("# a\r\nL\r\nb\r\n");
        assertThat(new String(StatusLine.apply("## Purpose\nx\n".getBytes(StandardCharsets.UTF_8), "L"), StandardCharsets.UTF_8)).isEqualTo("L\n## Purpose\nx\n");
        assertThat(new String(StatusLine.apply("\uFEFF# t\nx\n".getBytes(StandardCharsets.UTF_8), "L"), StandardCharsets.UTF_8)).isEqualTo("\uFEFF# t\nL\nx\n");
    }

    @Test
    void aMarkInProseOrInACodeBlockIsNotAStatusLine() {
        assertThat(StatusLine.has("we write <!-- assembly-line --> at the end\n".getBytes(StandardCharsets.UTF_8))).isFalse();
        assertThat(StatusLine.has("```\nStatus: x <!-- assembly-line -->\n```\n".getBytes(StandardCharsets.UTF_8))).isFalse();
        assertThat(StatusLine.strip("Status: \uD83D\uDEA7 BUILD IN PROGRESS by b <!-- assembly-line -->\nrest")).isEqualTo("rest");
    }

    @Test
    void aHolderCannotWriteMarkupOrMentionAnIssue() {
        String line = StatusLine.render(Phase.BUILD_IN_PROGRESS, "x closes #7 <!-- --> \n*bold*", 3L);
        assertThat(line).doesNotContain("#7").doesNotContain("\n").doesNotContain("*").startsWith("Status: ").endsWith(StatusLine.MARK);
        assertThat(line.indexOf("<!--")).isEqualTo(line.lastIndexOf("<!--"));
    }
}
