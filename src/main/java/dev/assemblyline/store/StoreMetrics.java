package dev.assemblyline.store;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Prometheus figures read from the database at scrape time (at most once a second, however many gauges
 * ask): open tickets and the age of the oldest by state, the Slack outbox's depth and failures, and test
 * runs by outcome. A database that cannot be read leaves the last figures (and /health says why).
 */
public final class StoreMetrics {
    // Micrometer holds a gauge's object weakly: without strong references these figures read NaN after the
    // first garbage collection (the packaged server's /metrics showed assembly_outbox_depth NaN)
    private static final List<String> OPEN = List.of("queued", "offered", "claimed");

    private final Jdbc db;
    private final Clock clock;
    private volatile Snapshot last = new Snapshot(Map.of(), Map.of(), 0, 0, Map.of());
    private volatile long readAt;

    private record Snapshot(Map<String, Long> tickets, Map<String, Instant> oldest, long outboxPending, long outboxFailed,
                            Map<String, Long> runs) {
    }

    public StoreMetrics(Jdbc db, Clock clock, MeterRegistry registry) {
        this.db = db;
        this.clock = clock;
        for (String state : OPEN) {
            Gauge.builder("assembly_tickets", this, m -> m.snapshot().tickets().getOrDefault(state, 0L))
                    .description("open tickets by state").tag("state", state).strongReference(true).register(registry);
            Gauge.builder("assembly_ticket_oldest_age", this, m -> {
                Instant t = m.snapshot().oldest().get(state);
                return t == null ? 0 : Math.max(0, (clock.millis() - t.toEpochMilli()) / 1000.0);
            }).description("age of the oldest open ticket in this state (0 when there is none)").baseUnit("seconds").tag("state", state)
                    .strongReference(true).register(registry);
        }
        Gauge.builder("assembly_outbox_depth", this, m -> m.snapshot().outboxPending())
                .description("Slack messages waiting to be sent").strongReference(true).register(registry);
        Gauge.builder("assembly_outbox_failed", this, m -> m.snapshot().outboxFailed())
                .description("Slack messages given up on (see the log for why)").strongReference(true).register(registry);
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
            try {
                last = db.connection("reading figures for /metrics", StoreMetrics::read);
            } catch (RuntimeException e) {
                // keep the last figures; /health reports the database
            }
            readAt = System.nanoTime();
            return last;
        }
    }

    private record Open(String state, long count, Instant oldest) {
    }

    private static Snapshot read(Connection c) throws SQLException {
        Map<String, Long> tickets = new HashMap<>();
        Map<String, Instant> oldest = new HashMap<>();
        for (Open o : Jdbc.list(c, "SELECT state, COUNT(*), MIN(created_at) FROM tickets WHERE state IN ('queued', 'offered', 'claimed')"
                + " GROUP BY state", rs -> new Open(rs.getString(1), rs.getLong(2), Jdbc.instant(rs, 3)))) {
            tickets.put(o.state(), o.count());
            if (o.oldest() != null) {
                oldest.put(o.state(), o.oldest());
            }
        }
        Map<String, Long> outbox = new HashMap<>();
        Jdbc.list(c, "SELECT state, COUNT(*) FROM outbox WHERE state IN ('pending', 'failed') GROUP BY state",
                rs -> Map.entry(rs.getString(1), rs.getLong(2))).forEach(e -> outbox.put(e.getKey(), e.getValue()));
        Map<String, Long> runs = new HashMap<>();
        Jdbc.list(c, "SELECT passed, timed_out, COUNT(*) FROM test_results GROUP BY passed, timed_out",
                rs -> Map.entry(rs.getBoolean(2) ? "timed_out" : rs.getBoolean(1) ? "passed" : "failed", rs.getLong(3)))
                .forEach(e -> runs.merge(e.getKey(), e.getValue(), Long::sum));
        return new Snapshot(tickets, oldest, outbox.getOrDefault("pending", 0L), outbox.getOrDefault("failed", 0L), runs);
    }
}
