package dev.assemblyline.store;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * Prometheus figures read from the database at scrape time (at most once a second, however many gauges
 * ask): open tickets and the age of the oldest by state, the Slack outbox's depth and failures, and test
 * runs by outcome. A database that cannot be read leaves the last figures (and /health says why).
 */
public final class StoreMetrics {
    private static final List<String> OPEN = List.of("queued", "offered", "claimed");

    private final DataSource ds;
    private final Clock clock;
    private volatile Snapshot last = new Snapshot(Map.of(), Map.of(), 0, 0, Map.of());
    private volatile long readAt;

    private record Snapshot(Map<String, Long> tickets, Map<String, Instant> oldest, long outboxPending, long outboxFailed,
                            Map<String, Long> runs) {
    }

    public StoreMetrics(DataSource ds, Clock clock, MeterRegistry registry) {
        this.ds = ds;
        this.clock = clock;
        for (String state : OPEN) {
            Gauge.builder("assembly_tickets", this, m -> m.snapshot().tickets().getOrDefault(state, 0L))
                    .description("open tickets by state").tag("state", state).register(registry);
            Gauge.builder("assembly_ticket_oldest_age", this, m -> {
                Instant t = m.snapshot().oldest().get(state);
                return t == null ? 0 : Math.max(0, (clock.millis() - t.toEpochMilli()) / 1000.0);
            }).description("age of the oldest open ticket in this state (0 when there is none)").baseUnit("seconds").tag("state", state)
                    .register(registry);
        }
        Gauge.builder("assembly_outbox_depth", this, m -> m.snapshot().outboxPending())
                .description("Slack messages waiting to be sent").register(registry);
        Gauge.builder("assembly_outbox_failed", this, m -> m.snapshot().outboxFailed())
                .description("Slack messages given up on (see the log for why)").register(registry);
        for (String outcome : List.of("passed", "failed", "timed_out")) {
            FunctionCounter.builder("assembly_test_runs", this, m -> m.snapshot().runs().getOrDefault(outcome, 0L))
                    .description("test runs the coordinator made, by outcome").tag("outcome", outcome).register(registry);
        }
    }

    private Snapshot snapshot() {
        long now = System.nanoTime();
        if (now - readAt < 1_000_000_000L) {
            return last;
        }
        synchronized (this) {
            if (now - readAt < 1_000_000_000L) {
                return last;
            }
            try (Connection c = ds.getConnection()) {
                Map<String, Long> tickets = new HashMap<>();
                Map<String, Instant> oldest = new HashMap<>();
                try (PreparedStatement ps = c.prepareStatement("SELECT state, COUNT(*), MIN(created_at) FROM tickets"
                        + " WHERE state IN ('queued', 'offered', 'claimed') GROUP BY state");
                     ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        tickets.put(rs.getString(1), rs.getLong(2));
                        OffsetDateTime t = rs.getObject(3, OffsetDateTime.class);
                        if (t != null) {
                            oldest.put(rs.getString(1), t.toInstant());
                        }
                    }
                }
                long pending = 0;
                long failed = 0;
                try (PreparedStatement ps = c.prepareStatement("SELECT state, COUNT(*) FROM outbox WHERE state IN ('pending', 'failed') GROUP BY state");
                     ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        if (rs.getString(1).equals("pending")) {
                            pending = rs.getLong(2);
                        } else {
                            failed = rs.getLong(2);
                        }
                    }
                }
                Map<String, Long> runs = new HashMap<>();
                try (PreparedStatement ps = c.prepareStatement("SELECT passed, timed_out, COUNT(*) FROM test_results GROUP BY passed, timed_out");
                     ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        String outcome = rs.getBoolean(2) ? "timed_out" : rs.getBoolean(1) ? "passed" : "failed";
                        runs.merge(outcome, rs.getLong(3), Long::sum);
                    }
                }
                last = new Snapshot(tickets, oldest, pending, failed, runs);
            } catch (SQLException | RuntimeException e) {
                // keep the last figures; /health reports the database
            }
            readAt = System.nanoTime();
            return last;
        }
    }
}
