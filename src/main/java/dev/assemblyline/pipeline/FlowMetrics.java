package dev.assemblyline.pipeline;

import dev.assemblyline.model.LogEntry;
import dev.assemblyline.model.Phase;
import dev.assemblyline.model.ServiceState;
import dev.assemblyline.model.Ticket;
import dev.assemblyline.store.Store;
import dev.assemblyline.store.TicketStore;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Flow figures computed from the event log: cycle time from spec to production, assignments today,
 * deploys this week, work in progress, tickets waiting, change failure rate and time to restore, with a
 * 14-day throughput series and a cumulative flow by column. The dashboard's strip, {@code
 * /api/metrics/flow} and the {@code assembly_flow_*} gauges all read one snapshot, recomputed at most every
 * few seconds. Definitions: docs/dashboard.md, "Flow metrics".
 */
public final class FlowMetrics {
    /** "NEEDS_TESTS → TESTING: …" as the reconciler logs a phase change. */
    private static final Pattern MOVE = Pattern.compile("^([A-Z_]+|new) → ([A-Z_]+)");
    private static final Duration FRESH = Duration.ofSeconds(5);
    private static final int MAX_EVENTS = 500_000;

    /** One computation of every figure. Seconds are null where nothing was measured. */
    public record Snapshot(Instant at, Long cycleMedianS, Long cycleP90S, int cycles, int assignmentsToday, int deploysThisWeek,
                           int workInProgress, int waiting, Double changeFailureRate, int deploys30d, Long restoreMedianS,
                           int restores, List<Map<String, Object>> throughput, List<Map<String, Object>> flow) {
    }

    private final Store store;
    private final TicketStore tickets;
    private final Supplier<Map<String, ServiceState>> states;
    private final Clock clock;
    private Snapshot last;

    public FlowMetrics(Store store, TicketStore tickets, Supplier<Map<String, ServiceState>> states, Clock clock, MeterRegistry metrics) {
        this.store = store;
        this.tickets = tickets;
        this.states = states;
        this.clock = clock;
        gauge(metrics, "assembly_flow_cycle_time_median_seconds", "spec to production, median over 30 days", s -> nan(s.cycleMedianS()));
        gauge(metrics, "assembly_flow_cycle_time_p90_seconds", "spec to production, 90th percentile over 30 days", s -> nan(s.cycleP90S()));
        gauge(metrics, "assembly_flow_assignments_today", "tickets offered or assigned since midnight UTC", Snapshot::assignmentsToday);
        gauge(metrics, "assembly_flow_deploys_week", "arrivals in PRODUCTION over 7 days", Snapshot::deploysThisWeek);
        gauge(metrics, "assembly_flow_work_in_progress", "claimed tickets", Snapshot::workInProgress);
        gauge(metrics, "assembly_flow_waiting_tickets", "open tickets no session holds", Snapshot::waiting);
        gauge(metrics, "assembly_flow_change_failure_rate", "deploys followed by UNHEALTHY or failing tests, over 30 days",
                s -> s.changeFailureRate() == null ? Double.NaN : s.changeFailureRate());
        gauge(metrics, "assembly_flow_time_to_restore_median_seconds", "UNHEALTHY back to PRODUCTION, median over 30 days",
                s -> nan(s.restoreMedianS()));
    }

    private void gauge(MeterRegistry metrics, String name, String help, ToDoubleFunction<Snapshot> f) {
        Gauge.builder(name, this, m -> f.applyAsDouble(m.snapshot())).description(help).strongReference(true).register(metrics);
    }

    private static double nan(Long v) {
        return v == null ? Double.NaN : v;
    }

    /** The figures, recomputed when the last computation is older than a few seconds. */
    public synchronized Snapshot snapshot() {
        Instant now = clock.instant();
        if (last == null || last.at().plus(FRESH).isBefore(now)) {
            last = compute(now);
        }
        return last;
    }

    private record Move(Instant at, String service, String from, Phase to) {
    }

    Snapshot compute(Instant now) {
        List<Move> moves = new ArrayList<>();
        for (LogEntry e : store.eventsOfKinds(List.of("phase"), now.minus(Duration.ofDays(60)), MAX_EVENTS)) {
            Matcher m = MOVE.matcher(e.message());
            if (m.find() && e.service() != null) {
                try {
                    moves.add(new Move(e.at(), e.service(), m.group(1), Phase.valueOf(m.group(2))));
                } catch (IllegalArgumentException other) {
                    // a phase this version does not know: not counted
                }
            }
        }
        moves.sort(java.util.Comparator.comparing(Move::at)); // by time (two writers may commit out of id order); stable for ties
        Instant month = now.minus(Duration.ofDays(30));
        // cycle time: from entering a spec phase (or first being seen) to the next arrival in PRODUCTION
        Map<String, Instant> started = new HashMap<>();
        List<Long> cycles = new ArrayList<>();
        // deploys: arrivals in PRODUCTION from a phase of the line (not a recovery from UNHEALTHY, not a first sighting)
        List<Move> deploys = new ArrayList<>();
        Map<String, Instant> unhealthySince = new HashMap<>();
        List<Long> restores = new ArrayList<>();
        for (Move m : moves) {
            // a cycle starts where a spec is being written (or arrives written); a service first seen further on
            // (a repository adopted mid-way) did not travel the line and is not counted
            boolean specPhase = m.to() == Phase.NEEDS_SPEC || m.to() == Phase.SPEC_INCOMPLETE
                    || ("new".equals(m.from()) && m.to() == Phase.READY_FOR_BUILD);
            if (specPhase && !started.containsKey(m.service())) {
                started.put(m.service(), m.at());
            }
            if (m.to() == Phase.PRODUCTION) {
                Instant s = started.remove(m.service());
                if (s != null && !m.at().isBefore(month)) {
                    cycles.add(Duration.between(s, m.at()).toSeconds());
                }
                if (!"UNHEALTHY".equals(m.from()) && !"new".equals(m.from())) {
                    deploys.add(m);
                }
                Instant down = unhealthySince.remove(m.service());
                if (down != null && !m.at().isBefore(month)) {
                    restores.add(Duration.between(down, m.at()).toSeconds());
                }
            } else if (m.to() == Phase.UNHEALTHY) {
                unhealthySince.putIfAbsent(m.service(), m.at());
            }
        }
        // change failure: a deploy after which the service went UNHEALTHY or its tests failed before its next deploy
        Map<String, List<Move>> byService = new HashMap<>();
        moves.forEach(m -> byService.computeIfAbsent(m.service(), k -> new ArrayList<>()).add(m));
        int failed = 0;
        int counted = 0;
        for (Move d : deploys) {
            if (d.at().isBefore(month)) {
                continue;
            }
            counted++;
            for (Move m : byService.get(d.service())) {
                if (m.at().isAfter(d.at())) {
                    if (m.to() == Phase.UNHEALTHY || m.to() == Phase.TESTS_FAILING) {
                        failed++;
                        break;
                    }
                    if (m.to() == Phase.PRODUCTION && !"UNHEALTHY".equals(m.from())) {
                        break;
                    }
                }
            }
        }
        LocalDate today = LocalDate.ofInstant(now, ZoneOffset.UTC);
        int deploysWeek = (int) deploys.stream().filter(d -> d.at().isAfter(now.minus(Duration.ofDays(7)))).count();
        List<Map<String, Object>> throughput = new ArrayList<>();
        for (int i = 13; i >= 0; i--) {
            LocalDate day = today.minusDays(i);
            long n = deploys.stream().filter(d -> LocalDate.ofInstant(d.at(), ZoneOffset.UTC).equals(day)).count();
            Map<String, Object> point = new LinkedHashMap<>();
            point.put("day", day.toString());
            point.put("deploys", n);
            throughput.add(point);
        }
        int assignments = 0;
        for (LogEntry e : store.eventsOfKinds(List.of("ticket"), today.atStartOfDay(ZoneOffset.UTC).toInstant(), MAX_EVENTS)) {
            if (e.message().contains(" offered to ") || e.message().contains(" assigned to ")) {
                assignments++;
            }
        }
        int wip = 0;
        int waiting = 0;
        for (Ticket t : tickets.openTickets()) {
            if (t.state() == Ticket.State.CLAIMED) {
                wip++;
            } else if (t.state() == Ticket.State.QUEUED) {
                waiting++;
            }
        }
        return new Snapshot(now, percentile(cycles, 50), percentile(cycles, 90), cycles.size(), assignments, deploysWeek, wip, waiting,
                counted == 0 ? null : Math.round(failed * 1000.0 / counted) / 1000.0, counted, percentile(restores, 50), restores.size(),
                throughput, flow(moves, today));
    }

    /**
     * Services per column at the end of each of the last 14 days: today's phases, walked back through the
     * phase changes (a change "A → B" undone sets A again; "new → B" removes the service).
     */
    private List<Map<String, Object>> flow(List<Move> moves, LocalDate today) {
        Map<String, Phase> phase = new HashMap<>();
        states.get().values().forEach(s -> phase.put(s.service(), s.phase()));
        List<Map<String, Object>> out = new ArrayList<>();
        int i = moves.size() - 1;
        for (int d = 0; d < 14; d++) {
            LocalDate day = today.minusDays(d);
            Instant end = day.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant();
            while (i >= 0 && !moves.get(i).at().isBefore(end)) {
                Move m = moves.get(i--);
                if ("new".equals(m.from())) {
                    phase.remove(m.service());
                } else {
                    try {
                        phase.put(m.service(), Phase.valueOf(m.from()));
                    } catch (IllegalArgumentException unknown) {
                        phase.remove(m.service());
                    }
                }
            }
            Map<Dashboard.Column, Integer> counts = new EnumMap<>(Dashboard.Column.class);
            for (Dashboard.Column c : Dashboard.Column.values()) {
                counts.put(c, 0);
            }
            phase.values().forEach(p -> {
                Dashboard.Column c = Dashboard.Column.of(p);
                if (c != null) {
                    counts.merge(c, 1, Integer::sum);
                }
            });
            Map<String, Object> point = new LinkedHashMap<>();
            point.put("day", day.toString());
            counts.forEach((c, n) -> point.put(c.name(), n));
            out.add(0, point);
        }
        return out;
    }

    /** The p-th percentile (nearest rank) in seconds; null for no values. */
    static Long percentile(List<Long> values, int p) {
        if (values.isEmpty()) {
            return null;
        }
        List<Long> sorted = new ArrayList<>(values);
        sorted.sort(null);
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return sorted.get(Math.max(0, rank - 1));
    }
}
