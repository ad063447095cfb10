package dev.assemblyline.phase;

import static org.assertj.core.api.Assertions.assertThat;

import dev.assemblyline.TestRepos;
import dev.assemblyline.model.Detection;
import dev.assemblyline.model.Facts;
import dev.assemblyline.model.FileEntry;
import dev.assemblyline.model.Phase;
import dev.assemblyline.model.ServiceSnapshot;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The README's phase table, row by row, as a pure function of snapshot and facts. */
class PhaseDetectorTest {
    private static final String TREE = "1111111111111111111111111111111111111111";
    private static final String OLD_TREE = "2222222222222222222222222222222222222222";
    private final PhaseDetector detector = new PhaseDetector(SpecRules.bundled());

    static FileEntry text(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return new FileEntry(FileEntry.Kind.REGULAR, b.length, b);
    }

    static ServiceSnapshot snap(FileEntry spec, FileEntry readme, boolean build, boolean tests, boolean production) {
        return new ServiceSnapshot("svc", TREE, spec, readme, build, tests, production);
    }

    static final FileEntry SPEC = text(TestRepos.completeSpec());
    static final FileEntry MARKER = text("# svc\n\nStatus: \uD83D\uDEA7 BUILD IN PROGRESS by Session #3\n");

    static Stream<Arguments> table() {
        Facts passed = Facts.NONE.withTests(new Facts.TestVerdict(TREE, true, "3 passed"));
        Facts failed = Facts.NONE.withTests(new Facts.TestVerdict(TREE, false, "1 failed: test_login"));
        Facts passedOld = Facts.NONE.withTests(new Facts.TestVerdict(OLD_TREE, true, "3 passed"));
        return Stream.of(
                Arguments.of("a folder without SPEC.md needs a spec", snap(null, null, false, false, false), Facts.NONE,
                        Phase.NEEDS_SPEC, "no SPEC.md"),
                Arguments.of("a symlinked SPEC.md is not a spec", snap(FileEntry.of(FileEntry.Kind.SYMLINK), null, false, false, false),
                        Facts.NONE, Phase.NEEDS_SPEC, "symbolic link"),
                Arguments.of("a spec missing a section is incomplete", snap(text(TestRepos.specWithout("Purpose")), null, false, false, false),
                        Facts.NONE, Phase.SPEC_INCOMPLETE, "missing section: Purpose"),
                Arguments.of("a complete spec without BUILD/ is ready for build", snap(SPEC, null, false, false, false), Facts.NONE,
                        Phase.READY_FOR_BUILD, "no BUILD/"),
                Arguments.of("the seed's README marker means build in progress", snap(SPEC, MARKER, true, false, false), Facts.NONE,
                        Phase.BUILD_IN_PROGRESS, "BUILD IN PROGRESS by Session #3"),
                Arguments.of("a claimed build ticket means build in progress", snap(SPEC, null, false, false, false),
                        Facts.NONE.withBuildClaimedBy("builder-2"), Phase.BUILD_IN_PROGRESS, "claimed by builder-2"),
                Arguments.of("BUILD/ without tests needs tests", snap(SPEC, null, true, false, false), Facts.NONE,
                        Phase.NEEDS_TESTS, "no BUILD/tests/"),
                Arguments.of("tests with no result are being tested", snap(SPEC, null, true, true, false), Facts.NONE,
                        Phase.TESTING, "no result yet"),
                Arguments.of("a result for an older tree does not count", snap(SPEC, null, true, true, false), passedOld,
                        Phase.TESTING, "not for tree"),
                Arguments.of("failed tests of this tree are failing", snap(SPEC, null, true, true, false), failed,
                        Phase.TESTS_FAILING, "test_login"),
                Arguments.of("passed tests of this tree are ready for deploy", snap(SPEC, null, true, true, false), passed,
                        Phase.READY_FOR_DEPLOY, "passed"),
                Arguments.of("PRODUCTION/ is production", snap(SPEC, null, true, true, true), Facts.NONE,
                        Phase.PRODUCTION, "PRODUCTION/ exists"),
                Arguments.of("production with failing health checks is unhealthy", snap(SPEC, null, true, true, true),
                        Facts.NONE.withHealth(Facts.Health.UNHEALTHY, "2 failures: connection refused"), Phase.UNHEALTHY,
                        "connection refused"),
                Arguments.of("production with passing health checks stays production", snap(SPEC, null, true, true, true),
                        Facts.NONE.withHealth(Facts.Health.HEALTHY, null), Phase.PRODUCTION, "health checks pass"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void phaseTable(String name, ServiceSnapshot snapshot, Facts facts, Phase phase, String reason) {
        Detection d = detector.detect(snapshot, facts);
        assertThat(d.phase()).isEqualTo(phase);
        assertThat(String.join("; ", d.reasons())).contains(reason);
        assertThat(d.tree()).isEqualTo(TREE);
        assertThat(detector.detect(snapshot, facts)).as("same inputs, same answer").isEqualTo(d);
    }

    @Test
    void aBinarySpecIsIncompleteAndSaysWhy() {
        byte[] png = {(byte) 0x89, 'P', 'N', 'G', 0, 0, 0, 13};
        Detection d = detector.detect(snap(new FileEntry(FileEntry.Kind.REGULAR, png.length, png), null, false, false, false), Facts.NONE);
        assertThat(d.phase()).isEqualTo(Phase.SPEC_INCOMPLETE);
        assertThat(d.reasons()).containsExactly("SPEC.md is binary, not Markdown text");
    }

    @Test
    void aLatin1SpecIsReadWithReplacementAndSaysSo() {
        byte[] latin1 = TestRepos.completeSpec().replace("Says hello", "Caf\u00e9 hello").getBytes(StandardCharsets.ISO_8859_1);
        Detection d = detector.detect(snap(new FileEntry(FileEntry.Kind.REGULAR, latin1.length, latin1), null, false, false, false), Facts.NONE);
        assertThat(d.phase()).isEqualTo(Phase.READY_FOR_BUILD);
        assertThat(d.reasons()).anyMatch(r -> r.contains("not valid UTF-8"));
    }

    @Test
    void aTruncatedSpecIsJudgedOnItsStartAndSaysSo() {
        byte[] start = Arrays.copyOf(TestRepos.completeSpec().getBytes(StandardCharsets.UTF_8), 100);
        Detection d = detector.detect(snap(new FileEntry(FileEntry.Kind.REGULAR, 50L << 20, start), null, false, false, false), Facts.NONE);
        assertThat(d.phase()).isEqualTo(Phase.SPEC_INCOMPLETE);
        assertThat(d.reasons()).anyMatch(r -> r.contains("only the first 100 were read"));
    }
}
