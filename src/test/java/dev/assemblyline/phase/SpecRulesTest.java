package dev.assemblyline.phase;

import static org.assertj.core.api.Assertions.assertThat;

import dev.assemblyline.TestRepos;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SpecRulesTest {
    /** The body of the example's Dependencies section. */
    static final String DEPS = "None: it stores nothing and calls nothing.";
    private final SpecRules rules = SpecRules.bundled();

    @Test
    void requiredSectionsComeFromTheTemplatesHeadings() {
        assertThat(rules.required()).containsExactly("Purpose", "Requirements", "API Specs", "Dependencies", "Success Criteria");
        assertThat(SpecRules.fromTemplate("# T\n## One\nx\n### Sub\n## Two\n```\n## Not\n```\n").required())
                .containsExactly("One", "Two");
    }

    @Test
    void theExampleIsACompleteSpecAndTheTemplateIsNot() {
        assertThat(rules.problems(TestRepos.completeSpec())).isEmpty();
        assertThat(rules.problems(TestRepos.template())).containsExactly(
                "unfilled section: Purpose (still the template's text)",
                "unfilled section: Requirements (still the template's text)",
                "unfilled section: API Specs (still the template's text)",
                "unfilled section: Dependencies (still the template's text)",
                "unfilled section: Success Criteria (still the template's text)");
    }

    @Test
    void aSectionIsTheTemplatesTextWhateverItsSpacingAndMarkupButAnyOwnWordFillsIt() {
        String t = TestRepos.template();
        assertThat(rules.problems(t.replace("What the service is for, in two or three sentences.", "*What   the service is for*,\nin two or three sentences")))
                .contains("unfilled section: Purpose (still the template's text)");
        assertThat(rules.problems(t.replace("in two or three sentences.", "in two or three sentences. It says hello.")))
                .doesNotContain("unfilled section: Purpose (still the template's text)");
        assertThat(rules.parsedSections(t)).isEqualTo(rules.sections(t));
    }

    static Stream<Arguments> specs() {
        String full = TestRepos.completeSpec();
        return Stream.of(
                Arguments.of("a missing section is named", TestRepos.specWithout("Dependencies"),
                        List.of("missing section: Dependencies")),
                Arguments.of("headings match regardless of case and spaces",
                        full.replace("## API Specs", "##    api   SPECS   ").replace("## Purpose", "## PURPOSE"), List.of()),
                Arguments.of("a closing sequence of #s is not part of the heading",
                        full.replace("## Purpose", "## Purpose ##"), List.of()),
                Arguments.of("a heading inside a fenced code block does not count",
                        TestRepos.specWithout("Purpose") + "\n```\n## Purpose\nsome text\n```\n",
                        List.of("missing section: Purpose")),
                Arguments.of("a heading inside an indented code block does not count",
                        TestRepos.specWithout("Purpose") + "\n    ## Purpose\n    text\n",
                        List.of("missing section: Purpose")),
                Arguments.of("a heading inside a block quote does not count",
                        TestRepos.specWithout("Purpose") + "\n> ## Purpose\n> text\n",
                        List.of("missing section: Purpose")),
                Arguments.of("a section holding only TBD is empty",
                        full.replace(DEPS, "TBD"),
                        List.of("empty section: Dependencies (no content, or only TBD / TODO)")),
                Arguments.of("a section holding only TODO items is empty",
                        full.replace(DEPS, "TODO.\n- todo\n"),
                        List.of("empty section: Dependencies (no content, or only TBD / TODO)")),
                Arguments.of("a section with no body is empty",
                        full.replace("- " + DEPS, ""),
                        List.of("empty section: Dependencies (no content, or only TBD / TODO)")),
                Arguments.of("an HTML comment is not content",
                        full.replace("- " + DEPS, "<!-- fill me in -->"),
                        List.of("empty section: Dependencies (no content, or only TBD / TODO)")),
                Arguments.of("a level-3 heading inside a section is content",
                        full.replace("- " + DEPS, "### Postgres"), List.of()),
                Arguments.of("a setext heading counts as a level-2 heading",
                        full.replace("## Purpose", "Purpose\n-------"), List.of()),
                Arguments.of("a heading with inline markup is read as its text",
                        full.replace("## Purpose", "## **Purpose**"), List.of()),
                Arguments.of("a section filled by a later duplicate heading counts",
                        full.replace("- " + DEPS, "TBD") + "\n## Dependencies\n\nPostgres\n",
                        List.of()),
                Arguments.of("an empty document misses everything", "",
                        List.of("missing section: Purpose", "missing section: Requirements", "missing section: API Specs",
                                "missing section: Dependencies", "missing section: Success Criteria")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void specProblems(String name, String spec, List<String> problems) {
        assertThat(rules.problems(spec)).containsExactlyElementsOf(problems);
        assertThat(rules.parsedSections(spec)).isEqualTo(rules.sections(spec));
    }

    /** The line-by-line fast path must agree with the Markdown parser on every input it accepts. */
    @Test
    void fastPathAgreesWithTheParserOnRandomDocuments() {
        String[] pieces = {"## Purpose", "## purpose ##", "# Title", "### Sub", "TBD", "todo", "text here", "", "  ",
                "- item", "- ## Purpose", "* x", "1. one", "1. ```", "```", "~~~", "    ## Requirements", "> ## Dependencies",
                "<!-- c -->", "<div>", "---", "===", "Dependencies", "## API Specs", "##Success Criteria",
                "## Success Criteria", "[ref]: http://x", "  ## Purpose", "\t## Purpose", "## **Requirements**",
                "## C#", "## #", "&amp;", "text <b>TBD</b>", "+ ```", "| a | b |", "\\## Purpose"};
        Random random = new Random(42);
        int fast = 0;
        for (int n = 0; n < 20_000; n++) {
            List<String> lines = new ArrayList<>();
            int count = 1 + random.nextInt(12);
            for (int i = 0; i < count; i++) {
                lines.add(pieces[random.nextInt(pieces.length)]);
            }
            String doc = String.join("\n", lines);
            var plain = PlainSpec.sections(doc, rules::judge);
            if (plain != null) {
                fast++;
                assertThat(plain).as("sections of:\n%s", doc).isEqualTo(rules.parsedSections(doc));
            }
        }
        assertThat(fast).as("documents the fast path decided").isGreaterThan(1000);
    }
}
