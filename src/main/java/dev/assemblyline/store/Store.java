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
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The coordinator's durable state over JDBC: the inbox, each service's phase, the event log and the
 * last processed head. Plain SQL that runs on H2 and PostgreSQL alike.
 */
public final class Store {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String UNIQUE_VIOLATION = "23505";

    private final DataSource ds;

    public Store(DataSource ds) {
        this.ds = ds;
    }

    /** What became of an event offered to the inbox. */
    public record Accepted(long id, boolean duplicate) {
    }

    /** Stores the event unless its (source, delivery id) was seen before. Committed on return. */
    public Accepted accept(InboxEvent e) {
        String sql = "INSERT INTO inbox (source, delivery_id, kind, ref, before_sha, after_sha, received_at) VALUES (?,?,?,?,?,?,?)";
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement(sql, new String[] {"id"})) {
            ps.setString(1, e.source());
            ps.setString(2, e.deliveryId());
            ps.setString(3, e.kind());
            ps.setString(4, e.ref());
            ps.setString(5, e.before());
            ps.setString(6, e.after());
            ps.setObject(7, ts(e.receivedAt()));
            ps.executeUpdate();
            try (ResultSet keys = ps.getGeneratedKeys()) {
                keys.next();
                return new Accepted(keys.getLong(1), false);
            }
        } catch (SQLException ex) {
            if (UNIQUE_VIOLATION.equals(ex.getSQLState())) {
                return new Accepted(0, true);
            }
            throw new StoreException("storing " + e.source() + " event " + e.deliveryId(), ex);
        }
    }

    /** Stores an event that is handled on the spot (a Slack event): a dedup record, settled at once. */
    /** What became of a delivery handled after its answer (a Slack event: "claimed …", "ignored"), for operators and tests. */
    public void settle(String source, String deliveryId, String outcome) {
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("UPDATE inbox SET outcome = ? WHERE source = ? AND delivery_id = ?")) {
            ps.setString(1, truncate(outcome, 1000));
            ps.setString(2, source);
            ps.setString(3, deliveryId);
            ps.executeUpdate();
        } catch (SQLException ex) {
            throw new StoreException("recording what became of delivery " + deliveryId, ex);
        }
    }

    public Accepted acceptHandled(InboxEvent e, String outcome) {
        try (Connection c = ds.getConnection()) {
            try (PreparedStatement seen = c.prepareStatement("SELECT id FROM inbox WHERE source = ? AND delivery_id = ?")) {
                seen.setString(1, e.source());
                seen.setString(2, e.deliveryId());
                try (ResultSet rs = seen.executeQuery()) {
                    if (rs.next()) {
                        return new Accepted(rs.getLong(1), true); // a retry: answered without the cost of a failed insert
                    }
                }
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO inbox (source, delivery_id, kind, received_at, processed_at, outcome)"
                    + " VALUES (?,?,?,?,?,?)")) {
                ps.setString(1, e.source());
                ps.setString(2, e.deliveryId());
                ps.setString(3, e.kind());
                ps.setObject(4, ts(e.receivedAt()));
                ps.setObject(5, ts(e.receivedAt()));
                ps.setString(6, truncate(outcome, 1000));
                ps.executeUpdate();
                return new Accepted(0, false);
            }
        } catch (SQLException ex) {
            if (UNIQUE_VIOLATION.equals(ex.getSQLState())) {
                return new Accepted(0, true);
            }
            throw new StoreException("storing " + e.source() + " event " + e.deliveryId(), ex);
        }
    }

    /** Unprocessed events, oldest first. */
    public List<InboxEvent> pending(int limit) {
        String sql = "SELECT id, source, delivery_id, kind, ref, before_sha, after_sha, received_at FROM inbox"
                + " WHERE processed_at IS NULL AND kind = 'push' ORDER BY id FETCH FIRST " + limit + " ROWS ONLY";
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            List<InboxEvent> out = new ArrayList<>();
            while (rs.next()) {
                out.add(new InboxEvent(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                        rs.getString(6), rs.getString(7), instant(rs, 8)));
            }
            return out;
        } catch (SQLException e) {
            throw new StoreException("reading the inbox", e);
        }
    }

    public int inboxDepth() {
        return count("SELECT COUNT(*) FROM inbox WHERE processed_at IS NULL");
    }

    /** The outcome of a delivery once it is processed; empty while pending or unknown. */
    public Optional<String> outcome(String source, String deliveryId) {
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT outcome, processed_at FROM inbox WHERE source = ? AND delivery_id = ?")) {
            ps.setString(1, source);
            ps.setString(2, deliveryId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getObject(2) != null ? Optional.ofNullable(rs.getString(1)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new StoreException("reading delivery " + deliveryId, e);
        }
    }

    public Map<String, ServiceState> services() {
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT service, phase, reasons, tree, since FROM service_state ORDER BY service");
             ResultSet rs = ps.executeQuery()) {
            Map<String, ServiceState> out = new LinkedHashMap<>();
            while (rs.next()) {
                ServiceState s = state(rs);
                out.put(s.service(), s);
            }
            return out;
        } catch (SQLException e) {
            throw new StoreException("reading service states", e);
        }
    }

    public Optional<ServiceState> service(String name) {
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT service, phase, reasons, tree, since FROM service_state WHERE service = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(state(rs)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new StoreException("reading service " + name, e);
        }
    }

    /** Whether the branch was ever processed (its row stays, with no head, after the branch is deleted). */
    public boolean branchSeen(String branch) {
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT 1 FROM branch_state WHERE branch = ?")) {
            ps.setString(1, branch);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        } catch (SQLException e) {
            throw new StoreException("reading the state of " + branch, e);
        }
    }

    public Optional<String> head(String branch) {
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT head FROM branch_state WHERE branch = ?")) {
            ps.setString(1, branch);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.ofNullable(rs.getString(1)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new StoreException("reading the head of " + branch, e);
        }
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
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try {
                write(c, b, now);
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new StoreException("saving a reconcile of " + b.upserts().size() + " services", e);
        }
    }

    private static void write(Connection c, Batch b, Instant now) throws SQLException {
        if (!b.upserts().isEmpty()) {
            try (PreparedStatement up = c.prepareStatement(
                    "UPDATE service_state SET phase = ?, reasons = ?, tree = ?, since = ?, updated_at = ? WHERE service = ?");
                 PreparedStatement ins = c.prepareStatement(
                         "INSERT INTO service_state (phase, reasons, tree, since, updated_at, service) VALUES (?,?,?,?,?,?)")) {
                // two batches, not a round trip per row: a bulk change stores thousands of states at once
                for (ServiceState s : b.upserts()) {
                    bindState(up, s, now);
                    up.addBatch();
                }
                int[] updated = up.executeBatch();
                boolean inserts = false;
                for (int i = 0; i < updated.length; i++) {
                    if (updated[i] == 0) {
                        bindState(ins, b.upserts().get(i), now);
                        ins.addBatch();
                        inserts = true;
                    }
                }
                if (inserts) {
                    ins.executeBatch();
                }
            }
        }
        if (!b.removals().isEmpty()) {
            try (PreparedStatement del = c.prepareStatement("DELETE FROM service_state WHERE service = ?")) {
                for (String s : b.removals()) {
                    del.setString(1, s);
                    del.addBatch();
                }
                del.executeBatch();
            }
        }
        if (!b.log().isEmpty()) {
            try (PreparedStatement log = c.prepareStatement(
                    "INSERT INTO event_log (at, service, kind, message, inbox_id) VALUES (?,?,?,?,?)")) {
                Long inboxId = b.processed().isEmpty() ? null : b.processed().get(b.processed().size() - 1);
                for (LogEntry e : b.log()) {
                    log.setObject(1, ts(e.at()));
                    log.setString(2, e.service());
                    log.setString(3, e.kind());
                    log.setString(4, truncate(e.message(), 4000));
                    log.setObject(5, inboxId);
                    log.addBatch();
                }
                log.executeBatch();
            }
        }
        if (b.branch() != null) {
            try (PreparedStatement up = c.prepareStatement("UPDATE branch_state SET head = ?, updated_at = ? WHERE branch = ?")) {
                up.setString(1, b.head());
                up.setObject(2, ts(now));
                up.setString(3, b.branch());
                if (up.executeUpdate() == 0) {
                    try (PreparedStatement ins = c.prepareStatement("INSERT INTO branch_state (head, updated_at, branch) VALUES (?,?,?)")) {
                        ins.setString(1, b.head());
                        ins.setObject(2, ts(now));
                        ins.setString(3, b.branch());
                        ins.executeUpdate();
                    }
                }
            }
        }
        for (OutboxStore.Draft d : b.announcements()) {
            OutboxStore.insert(c, d, now);
        }
        if (!b.processed().isEmpty()) {
            try (PreparedStatement done = c.prepareStatement(
                    "UPDATE inbox SET processed_at = ?, outcome = ? WHERE id = ? AND processed_at IS NULL")) {
                for (Long id : b.processed()) {
                    done.setObject(1, ts(now));
                    done.setString(2, truncate(b.outcome(), 1000));
                    done.setLong(3, id);
                    done.addBatch();
                }
                done.executeBatch();
            }
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
        String sql = "SELECT id, at, service, kind, message FROM event_log WHERE id > ?"
                + (service == null ? "" : " AND service = ?") + " ORDER BY id FETCH FIRST " + limit + " ROWS ONLY";
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, afterId);
            if (service != null) {
                ps.setString(2, service);
            }
            return readLog(ps);
        } catch (SQLException e) {
            throw new StoreException("reading the event log", e);
        }
    }

    /** The newest {@code limit} log entries (of one service when set), oldest first. */
    public List<LogEntry> latestEvents(String service, int limit) {
        String sql = "SELECT id, at, service, kind, message FROM event_log" + (service == null ? "" : " WHERE service = ?")
                + " ORDER BY id DESC FETCH FIRST " + limit + " ROWS ONLY";
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            if (service != null) {
                ps.setString(1, service);
            }
            List<LogEntry> newestFirst = readLog(ps);
            java.util.Collections.reverse(newestFirst);
            return newestFirst;
        } catch (SQLException e) {
            throw new StoreException("reading the event log", e);
        }
    }

    /** Log entries at or after a time. */
    public List<LogEntry> eventsSince(Instant since, int limit) {
        String sql = "SELECT id, at, service, kind, message FROM event_log WHERE at >= ? ORDER BY id FETCH FIRST " + limit + " ROWS ONLY";
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setObject(1, ts(since));
            return readLog(ps);
        } catch (SQLException e) {
            throw new StoreException("reading the event log", e);
        }
    }

    private static List<LogEntry> readLog(PreparedStatement ps) throws SQLException {
        try (ResultSet rs = ps.executeQuery()) {
            List<LogEntry> out = new ArrayList<>();
            while (rs.next()) {
                out.add(new LogEntry(rs.getLong(1), instant(rs, 2), rs.getString(3), rs.getString(4), rs.getString(5)));
            }
            return out;
        }
    }

    /** True when the database answers. */
    public boolean ping() {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT 1")) {
            return ps.execute();
        } catch (SQLException e) {
            return false;
        }
    }

    /** Whether a write reaches the store now (a full disk lets reads through and fails writes). */
    public boolean writable(Instant now) {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("UPDATE health_probe SET at = ? WHERE id = 1")) {
            ps.setObject(1, ts(now));
            ps.executeUpdate();
            return true;
        } catch (SQLException | RuntimeException e) {
            return false;
        }
    }

    private int count(String sql) {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getInt(1);
        } catch (SQLException e) {
            throw new StoreException("counting: " + sql, e);
        }
    }

    private static void bindState(PreparedStatement ps, ServiceState s, Instant now) throws SQLException {
        ps.setString(1, s.phase().name());
        try {
            ps.setString(2, truncate(JSON.writeValueAsString(s.reasons()), 20000));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        ps.setString(3, s.tree());
        ps.setObject(4, ts(s.since()));
        ps.setObject(5, ts(now));
        ps.setString(6, s.service());
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
        return new ServiceState(rs.getString(1), phase, reasons, rs.getString(4), instant(rs, 5));
    }

    private static OffsetDateTime ts(Instant i) {
        return i == null ? null : OffsetDateTime.ofInstant(i, ZoneOffset.UTC);
    }

    private static Instant instant(ResultSet rs, int col) throws SQLException {
        OffsetDateTime t = rs.getObject(col, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }

    private static String truncate(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max - 1) + "…";
    }
}
