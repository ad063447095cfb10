package dev.assemblyline.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.assemblyline.model.LogEntry;
import dev.assemblyline.model.Phase;
import dev.assemblyline.model.ServiceState;
import dev.assemblyline.store.Database;
import dev.assemblyline.store.Postgres;
import dev.assemblyline.store.Store;
import dev.assemblyline.store.TicketStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The flow figures, from an event log written with known times, on both databases. */
class FlowMetricsTest {
    static final Instant NOW = Instant.parse("2026-11-24T12:00:00Z");

    @TempDir
    Path tmp;

    static LogEntry move(Duration ago, String service, String from, String to) {
        return new LogEntry(0, NOW.minus(ago), service, "phase", from + " → " + to + ": because (test)");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"h2", "postgres"})
    void cycleTimeDeploysFailuresRestoresAndTheFlowComeFromTheEventLog(String kind) {
        try (Database db = Postgres.open(kind, tmp)) {
            Store store = new Store(db.jdbc());
            List<LogEntry> log = new ArrayList<>(List.of(
                    // a: spec written, in production after 2 days, unhealthy for an hour 3 days ago
                    move(Duration.ofDays(10), "a", "new", "NEEDS_SPEC"),
                    move(Duration.ofDays(9), "a", "NEEDS_SPEC", "READY_FOR_BUILD"),
                    move(Duration.ofDays(8), "a", "READY_FOR_DEPLOY", "PRODUCTION"),
                    move(Duration.ofDays(3), "a", "PRODUCTION", "UNHEALTHY"),
                    move(Duration.ofDays(3).minusHours(1), "a", "UNHEALTHY", "PRODUCTION"),
                    // b: arrived with its spec written, deployed a day later, then its tests failed
                    move(Duration.ofDays(2), "b", "new", "READY_FOR_BUILD"),
                    move(Duration.ofDays(1), "b", "READY_FOR_DEPLOY", "PRODUCTION"),
                    move(Duration.ofHours(12), "b", "PRODUCTION", "TESTS_FAILING"),
                    // c: first seen already in production (an adopted repository): neither a cycle nor a deploy
                    move(Duration.ofDays(1), "c", "new", "PRODUCTION"),
                    // d: a spec started 40 days ago, in production 5 days ago: a 35-day cycle
                    move(Duration.ofDays(40), "d", "new", "NEEDS_SPEC"),
                    move(Duration.ofDays(5), "d", "READY_FOR_DEPLOY", "PRODUCTION"),
                    new LogEntry(0, NOW.minus(Duration.ofHours(1)), "b", "ticket", "fix ticket #7 for b offered to builder-1 until 12:15"),
                    new LogEntry(0, NOW.minus(Duration.ofHours(2)), "e", "ticket", "build ticket #8 assigned to builder-2: start now"),
                    new LogEntry(0, NOW.minus(Duration.ofHours(30)), "e", "ticket", "build ticket #6 offered to builder-2 until 07:00"),
                    new LogEntry(0, NOW.minus(Duration.ofHours(1)), "e", "ticket", "build ticket #8 claimed by builder-2")));
            store.log(log, NOW);
            Map<String, ServiceState> now = Map.of(
                    "a", new ServiceState("a", Phase.PRODUCTION, List.of(), null, NOW),
                    "b", new ServiceState("b", Phase.TESTS_FAILING, List.of(), null, NOW),
                    "c", new ServiceState("c", Phase.PRODUCTION, List.of(), null, NOW),
                    "d", new ServiceState("d", Phase.PRODUCTION, List.of(), null, NOW));
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            FlowMetrics flow = new FlowMetrics(store, new TicketStore(db.jdbc()), () -> now, Clock.fixed(NOW, ZoneOffset.UTC), registry);

            FlowMetrics.Snapshot s = flow.snapshot();
            assertThat(s.cycles()).isEqualTo(3);
            assertThat(s.cycleMedianS()).isEqualTo(Duration.ofDays(2).toSeconds());
            assertThat(s.cycleP90S()).isEqualTo(Duration.ofDays(35).toSeconds());
            assertThat(s.deploysThisWeek()).isEqualTo(2); // b and d; a's was 8 days ago, c was never deployed by the line
            assertThat(s.deploys30d()).isEqualTo(3);
            assertThat(s.changeFailureRate()).isEqualTo(0.667); // a went UNHEALTHY, b's tests failed, d is fine
            assertThat(s.restores()).isEqualTo(1);
            assertThat(s.restoreMedianS()).isEqualTo(3600);
            assertThat(s.assignmentsToday()).isEqualTo(2);
            assertThat(s.throughput()).hasSize(14);
            assertThat(s.throughput().stream().mapToLong(p -> ((Number) p.get("deploys")).longValue()).sum()).isEqualTo(3);
            assertThat(s.throughput().get(12)).containsEntry("day", "2026-11-23").containsEntry("deploys", 1L);

            Map<String, Object> today = s.flow().get(13);
            assertThat(today).containsEntry("day", "2026-11-24").containsEntry("PRODUCTION", 3).containsEntry("TEST", 1);
            Map<String, Object> twoDaysAgo = s.flow().get(11);
            // at the end of Nov 22: b was READY_FOR_DEPLOY (its deploy was on the 23rd), c not yet seen
            assertThat(twoDaysAgo).containsEntry("day", "2026-11-22").containsEntry("PRODUCTION", 2).containsEntry("TEST", 1)
                    .containsEntry("BUILD", 0);

            assertThat(registry.get("assembly_flow_deploys_week").gauge().value()).isEqualTo(2.0);
            assertThat(registry.get("assembly_flow_change_failure_rate").gauge().value()).isEqualTo(0.667);
            assertThat(registry.get("assembly_flow_cycle_time_median_seconds").gauge().value()).isEqualTo(172800.0);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"h2"})
    void anEmptyLogMeasuresNothingRatherThanZero(String kind) {
        try (Database db = Postgres.open(kind, tmp)) {
            Store store = new Store(db.jdbc());
            FlowMetrics flow = new FlowMetrics(store, new TicketStore(db.jdbc()), Map::of, Clock.fixed(NOW, ZoneOffset.UTC),
                    new SimpleMeterRegistry());
            FlowMetrics.Snapshot s = flow.snapshot();
            assertThat(s.cycleMedianS()).isNull();
            assertThat(s.changeFailureRate()).isNull();
            assertThat(s.restoreMedianS()).isNull();
            assertThat(s.deploysThisWeek()).isZero();
            assertThat(s.flow()).hasSize(14).allSatisfy(p -> assertThat(p).containsEntry("PRODUCTION", 0));
        }
    }

    @org.junit.jupiter.api.Test
    void percentilesAreNearestRank() {
        assertThat(FlowMetrics.percentile(List.of(5L, 1L, 3L), 50)).isEqualTo(3L);
        assertThat(FlowMetrics.percentile(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L), 90)).isEqualTo(9L);
        assertThat(FlowMetrics.percentile(List.of(), 50)).isNull();
        assertThat(FlowMetrics.percentile(List.of(4L, 1L, 3L, 2L), 50)).as("the lower middle of an even count").isEqualTo(2L);
    }
}
