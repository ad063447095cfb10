package dev.assemblyline.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.assemblyline.model.CiVerdict;
import dev.assemblyline.model.TestRun;
import dev.assemblyline.store.CiStore;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How a CI verdict becomes a test result, and how the checks on one commit count together (docs/ci.md). */
class CiVerdictsTest {
    static final String SHA = "a".repeat(40);

    static CiVerdict v(String context, String state, Integer tests, Double coverage) {
        return new CiVerdict("github", SHA, context, state, "https://ci.example.com/" + context, "summary of " + context, tests,
                tests == null ? null : 0, null, coverage);
    }

    static CiStore.Check check(long id, CiVerdict v) {
        return new CiStore.Check(id, v, Instant.EPOCH);
    }

    @Test
    void aPassingCheckBelowTheCoverageGateFailsTheTreeAndSaysWhy() {
        TestRun r = CiVerdicts.run("pay", "t".repeat(40), v("unit", CiVerdict.SUCCESS, 12, 61.5), 80.0);
        assertThat(r.passed()).isFalse();
        assertThat(r.summary()).contains("CI check 'unit' passed (12 tests)").contains("coverage 61.5% below the 80.0% gate")
                .contains("https://ci.example.com/unit");
        assertThat(CiVerdicts.run("pay", "t".repeat(40), v("unit", CiVerdict.SUCCESS, 12, 91.0), 80.0).passed()).isTrue();
    }

    @Test
    void checksOnACommitCountTogetherWithoutTheCoordinatorsOwnStatuses() {
        assertThat(CiVerdicts.combined(List.of(check(1, v("unit", CiVerdict.SUCCESS, 3, null)), check(2, v("lint", CiVerdict.PENDING, null, null)))))
                .as("one still running: no verdict yet").isNull();
        CiVerdict failing = CiVerdicts.combined(List.of(check(1, v("unit", CiVerdict.SUCCESS, 3, null)), check(2, v("e2e", CiVerdict.FAILURE, 4, null))));
        assertThat(failing.state()).isEqualTo(CiVerdict.FAILURE);
        assertThat(failing.context()).isEqualTo("e2e");
        assertThat(failing.tests()).isEqualTo(7);
        CiVerdict passing = CiVerdicts.combined(List.of(check(1, v("unit", CiVerdict.SUCCESS, 3, null)),
                check(2, v("assembly/pay", CiVerdict.PENDING, null, null)), check(3, v("assembly/auth", CiVerdict.FAILURE, null, null))));
        assertThat(passing.state()).as("a pending or failing assembly/ status is the coordinator's, not a check").isEqualTo(CiVerdict.SUCCESS);
        assertThat(passing.context()).isEqualTo("unit");
    }
}
