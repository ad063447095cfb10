package dev.assemblyline.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assemblyline.model.InboxEvent;
import dev.assemblyline.model.LogEntry;
import dev.assemblyline.model.Phase;
import dev.assemblyline.model.ServiceState;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The coordinator's durable state over JDBC: the inbox, each service's phase, the event log and the
 * last processed head. Plain SQL that runs on H2 and PostgreSQL alike.
 */
public final class Store {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String LOG_COLS = "id, at, service, kind, message";
    private static final String STATE_COLS = "service, phase, reasons, tree, since";

    private final Jdbc db;
    private final String upsertState;
    private final String upsertBranch;
    private volatile Runnable onLogged = () -> { };
    private volatile Runnable onSettled = () -> { };
    private volatile Runnable onQueued = () -> { };

    /** Called after every commit that settled inbox events (a push waiting for its outcome looks again). */
    public void onSettled(Runnable listener) {
        this.onSettled = listener;
    }

    /** Called after every commit that queued announcements with the change (the Slack sender looks at once). */
    public void onQueued(Runnable listener) {
        this.onQueued = listener;
    }
    private volatile java.util.function.LongSupplier epoch = () -> 0;

    public Store(Jdbc db) {
        this.db = db;
        this.upsertState = db.upsert("service_state", List.of("service"), List.of("phase", "reasons", "tree", "since", "updated_at", "service"));
        this.upsertBranch = db.upsert("branch_state", List.of("branch"), List.of("head", "updated_at", "branch"));
    }

    /** What became of an event offered to the inbox. */
    public record Accepted(long id, boolean duplicate) {
    }

    /** Stores the event unless its (source, delivery id) was seen before. Committed on return. */
    public Accepted accept(InboxEvent e) {
        return db.connection("storing " + e.source() + " event " + e.deliveryId(), c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO inbox (source, delivery_id, kind, ref, before_sha, after_sha,"
                    + " received_at) VALUES (?,?,?,?,?,?,?)", new String[] {"id"})) {
                Jdbc.bind(ps, e.source(), e.deliveryId(), e.kind(), e.ref(), e.before(), e.after(), e.receivedAt());
                ps.executeUpdate();
                try (ResultSet keys = ps.getGeneratedKeys()) {
                    keys.next();
                    return new Accepted(keys.getLong(1), false);
                }
            } catch (SQLException ex) {
                if (Jdbc.uniqueViolation(ex)) {
                    return new Accepted(0, true);
                }
                throw ex;
            }
        });
    }

    /** What became of a delivery handled after its answer (a Slack event: "claimed …", "ignored"), for operators and tests. */
    public void settle(String source, String deliveryId, String outcome) {
        db.update("recording what became of delivery " + deliveryId, "UPDATE inbox SET outcome = ? WHERE source = ? AND delivery_id = ?",
                Jdbc.head(outcome, 1000), source, deliveryId);
    }

    /** Stores an event that is handled on the spot (a Slack event): a dedup record, settled at once. */
    public Accepted acceptHandled(InboxEvent e, String outcome) {
        return db.connection("storing " + e.source() + " event " + e.deliveryId(), c -> {
            List<Long> seen = Jdbc.list(c, "SELECT id FROM inbox WHERE source = ? AND delivery_id = ?", rs -> rs.getLong(1),
                    e.source(), e.deliveryId());
            if (!seen.isEmpty()) {
                return new Accepted(seen.get(0), true); // a retry: answered without the cost of a failed insert
            }
            try {
                Jdbc.update(c, "INSERT INTO inbox (source, delivery_id, kind, received_at, processed_at, outcome) VALUES (?,?,?,?,?,?)",
                        e.source(), e.deliveryId(), e.kind(), e.receivedAt(), e.receivedAt(), Jdbc.head(outcome, 1000));
                return new Accepted(0, false);
            } catch (SQLException ex) {
                if (Jdbc.uniqueViolation(ex)) {
                    return new Accepted(0, true);
                }
                throw ex;
            }
        });
    }

    /** Unprocessed events, oldest first. */
    public List<InboxEvent> pending(int limit) {
        return db.list("reading the inbox", "SELECT id, source, delivery_id, kind, ref, before_sha, after_sha, received_at FROM inbox"
                + " WHERE processed_at IS NULL AND kind = 'push' ORDER BY id FETCH FIRST " + limit + " ROWS ONLY",
                rs -> new InboxEvent(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                        rs.getString(6), rs.getString(7), Jdbc.instant(rs, 8)));
    }

    public int inboxDepth() {
        return (int) db.count("counting the inbox", "SELECT COUNT(*) FROM inbox WHERE processed_at IS NULL");
    }

    /** The outcome of a delivery once it is processed; empty while pending or unknown. */
    public Optional<String> outcome(String source, String deliveryId) {
        return db.first("reading delivery " + deliveryId, "SELECT outcome FROM inbox WHERE source = ? AND delivery_id = ?"
                + " AND processed_at IS NOT NULL", rs -> rs.getString(1), source, deliveryId);
    }

    public Map<String, ServiceState> services() {
        Map<String, ServiceState> out = new LinkedHashMap<>();
        db.list("reading service states", "SELECT " + STATE_COLS + " FROM service_state ORDER BY service", Store::state)
                .forEach(s -> out.put(s.service(), s));
        return out;
    }

    /** How many services are in each phase, as stored. */
    public Map<Phase, Integer> phaseCounts() {
        Map<Phase, Integer> out = new java.util.EnumMap<>(Phase.class);
        db.list("counting phases", "SELECT phase, COUNT(*) FROM service_state GROUP BY phase", rs -> Map.entry(rs.getString(1), rs.getInt(2)))
                .forEach(e -> {
                    try {
                        out.merge(Phase.valueOf(e.getKey()), e.getValue(), Integer::sum);
                    } catch (IllegalArgumentException unknown) {
                        out.merge(Phase.SKIPPED, e.getValue(), Integer::sum);
                    }
                });
        return out;
    }

    public Optional<ServiceState> service(String name) {
        return db.first("reading service " + name, "SELECT " + STATE_COLS + " FROM service_state WHERE service = ?", Store::state, name);
    }

    /** Whether the branch was ever processed (its row stays, with no head, after the branch is deleted). */
    public boolean branchSeen(String branch) {
        return db.count("reading the state of " + branch, "SELECT COUNT(*) FROM branch_state WHERE branch = ?", branch) > 0;
    }

    public Optional<String> head(String branch) {
        return db.first("reading the head of " + branch, "SELECT head FROM branch_state WHERE branch = ?", rs -> rs.getString(1), branch);
    }

    /**
     * One reconcile's outcome, in one transaction: new and changed service states, removed services,
     * log entries, the processed head, the inbox events it settles, and the announcements of its phase
     * changes (a transactional outbox: a crash at any point neither loses nor doubles one).
     */
    public record Batch(List<ServiceState> upserts, List<String> removals, List<LogEntry> log, String branch, String head,
                        List<Long> processed, String outcome, List<OutboxStore.Draft> announcements) {
        public Batch(List<ServiceState> upserts, List<String> removals, List<LogEntry> log, String branch, String head,
                     List<Long> processed, String outcome) {
            this(upserts, removals, log, branch, head, processed, outcome, List.of());
        }
    }

    public void apply(Batch b, Instant now) {
        db.transaction("saving a reconcile of " + b.upserts().size() + " services", c -> {
            write(c, b, now);
            return null;
        });
        if (!b.processed().isEmpty()) {
            onSettled.run();
        }
        if (!b.announcements().isEmpty()) {
            onQueued.run();
        }
        if (!b.log().isEmpty()) {
            onLogged.run();
        }
    }

    /**
     * Called after every commit that added to the event log (the dashboard's live feed wakes on it; it also
     * polls, so a replica that did not write the entry sees it too).
     */
    public void onLogged(Runnable listener) {
        this.onLogged = listener;
    }

    /** The fencing number each log entry is written with (docs/SCALING.md); 0 (stored as none) on a single process. */
    public void epoch(java.util.function.LongSupplier epoch) {
        this.epoch = epoch;
    }

    /** The newest event id, 0 for an empty log. */
    public long lastEventId() {
        return db.first("reading the event log", "SELECT MAX(id) FROM event_log", rs -> rs.getLong(1)).orElse(0L);
    }

    /** Log entries of the given kinds at or after a time, oldest first (the dashboard's flow metrics). */
    public List<LogEntry> eventsOfKinds(List<String> kinds, Instant since, int limit) {
        String marks = String.join(",", java.util.Collections.nCopies(kinds.size(), "?"));
        Object[] args = new Object[kinds.size() + 1];
        for (int i = 0; i < kinds.size(); i++) {
            args[i] = kinds.get(i);
        }
        args[kinds.size()] = since;
        return db.list("reading the event log", "SELECT " + LOG_COLS + " FROM event_log WHERE kind IN (" + marks + ") AND at >= ?"
                + " ORDER BY id FETCH FIRST " + limit + " ROWS ONLY", Store::entry, args);
    }

    private void write(Connection c, Batch b, Instant now) throws SQLException {
        // batches, not a round trip per row: a bulk change stores thousands of states at once
        try (PreparedStatement up = c.prepareStatement(upsertState)) {
            for (ServiceState s : b.upserts()) {
                Jdbc.bind(up, s.phase().name(), Jdbc.head(json(s.reasons()), 20000), s.tree(), s.since(), now, s.service());
                up.addBatch();
            }
            up.executeBatch();
        }
        try (PreparedStatement del = c.prepareStatement("DELETE FROM service_state WHERE service = ?")) {
            for (String s : b.removals()) {
                Jdbc.bind(del, s);
                del.addBatch();
            }
            del.executeBatch();
        }
        try (PreparedStatement log = c.prepareStatement("INSERT INTO event_log (at, service, kind, message, inbox_id, epoch) VALUES (?,?,?,?,?,?)")) {
            Long inboxId = b.processed().isEmpty() ? null : b.processed().get(b.processed().size() - 1);
            long at = epoch.getAsLong();
            Jdbc.Typed fencing = new Jdbc.Typed(at == 0 ? null : at, java.sql.Types.BIGINT);
            for (LogEntry e : b.log()) {
                Jdbc.bind(log, e.at(), e.service(), e.kind(), Jdbc.head(e.message(), 4000), new Jdbc.Typed(inboxId, java.sql.Types.BIGINT), fencing);
                log.addBatch();
            }
            log.executeBatch();
        }
        if (b.branch() != null) {
            Jdbc.update(c, upsertBranch, b.head(), now, b.branch());
        }
        for (OutboxStore.Draft d : b.announcements()) {
            OutboxStore.insert(c, d, now);
        }
        try (PreparedStatement done = c.prepareStatement("UPDATE inbox SET processed_at = ?, outcome = ? WHERE id = ? AND processed_at IS NULL")) {
            for (Long id : b.processed()) {
                Jdbc.bind(done, now, Jdbc.head(b.outcome(), 1000), id);
                done.addBatch();
            }
            done.executeBatch();
        }
    }

    /** Appends entries to the event log. */
    public void log(List<LogEntry> entries, Instant now) {
        if (!entries.isEmpty()) {
            apply(new Batch(List.of(), List.of(), entries, null, null, List.of(), null), now);
        }
    }

    /** Log entries after {@code afterId}, oldest first; only one service's when {@code service} is set. */
    public List<LogEntry> events(long afterId, String service, int limit) {
        String sql = "SELECT " + LOG_COLS + " FROM event_log WHERE id > ?" + (service == null ? "" : " AND service = ?")
                + " ORDER BY id FETCH FIRST " + limit + " ROWS ONLY";
        return service == null ? db.list("reading the event log", sql, Store::entry, afterId)
                : db.list("reading the event log", sql, Store::entry, afterId, service);
    }

    /** The newest {@code limit} log entries (of one service when set), oldest first. */
    public List<LogEntry> latestEvents(String service, int limit) {
        String sql = "SELECT " + LOG_COLS + " FROM event_log" + (service == null ? "" : " WHERE service = ?")
                + " ORDER BY id DESC FETCH FIRST " + limit + " ROWS ONLY";
        List<LogEntry> newestFirst = service == null ? db.list("reading the event log", sql, Store::entry)
                : db.list("reading the event log", sql, Store::entry, service);
        Collections.reverse(newestFirst);
        return newestFirst;
    }

    /** The {@code limit} log entries before {@code beforeId}, newest first (paging back through the log). */
    public List<LogEntry> eventsBefore(long beforeId, int limit) {
        return db.list("reading the event log", "SELECT " + LOG_COLS + " FROM event_log WHERE id < ? ORDER BY id DESC FETCH FIRST " + limit
                + " ROWS ONLY", Store::entry, beforeId);
    }

    /** Log entries at or after a time. */
    public List<LogEntry> eventsSince(Instant since, int limit) {
        return db.list("reading the event log", "SELECT " + LOG_COLS + " FROM event_log WHERE at >= ? ORDER BY id FETCH FIRST " + limit
                + " ROWS ONLY", Store::entry, since);
    }

    /** True when the database answers. */
    public boolean ping() {
        try {
            return db.count("pinging the database", "SELECT 1") == 1;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Whether a write reaches the store now (a full disk lets reads through and fails writes). */
    public boolean writable(Instant now) {
        try {
            db.update("probing a write", "UPDATE health_probe SET at = ? WHERE id = 1", now);
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static LogEntry entry(ResultSet rs) throws SQLException {
        return new LogEntry(rs.getLong(1), Jdbc.instant(rs, 2), rs.getString(3), rs.getString(4), rs.getString(5));
    }

    private static String json(List<String> reasons) {
        try {
            return JSON.writeValueAsString(reasons);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ServiceState state(ResultSet rs) throws SQLException {
        List<String> reasons;
        String raw = rs.getString(3);
        try {
            reasons = raw == null ? List.of() : JSON.readValue(raw, new TypeReference<List<String>>() { });
        } catch (JsonProcessingException e) {
            reasons = List.of(raw);
        }
        Phase phase;
        try {
            phase = Phase.valueOf(rs.getString(2));
        } catch (IllegalArgumentException | NullPointerException unknown) {
            phase = Phase.SKIPPED; // written by another version: the next resync looks again
        }
        return new ServiceState(rs.getString(1), phase, reasons, rs.getString(4), Jdbc.instant(rs, 5));
    }
}
