package dev.assemblyline.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The Slack outbox: every message is written here first and sent by one worker, so nothing is lost to a
 * restart or an outage, order per channel holds, and an announcement keyed (service, phase, tree) is
 * posted once however often the reconciler decides it.
 */
public final class OutboxStore {
    private static final String COLS = "id, channel, op, dedup_key, parent_id, service, ticket_id, text, blocks, state, ts, attempts,"
            + " next_attempt, last_error, recipient";

    private final DataSource ds;

    public OutboxStore(DataSource ds) {
        this.ds = ds;
    }

    /** One message to send (or sent). */
    public record Message(long id, String channel, String op, String dedupKey, Long parentId, String service, Long ticketId,
                          String text, String blocks, String state, String ts, int attempts, Instant nextAttempt, String lastError,
                          String recipient) {
    }

    /** A message to queue, not yet stored: written with the change it announces ({@link Store.Batch}) or alone ({@link #add}). */
    public record Draft(String channel, String op, String dedupKey, Long parentId, String service, Long ticketId, String text, String blocks) {
    }

    /** Queues a message; false when its dedup key was queued before (nothing is added). */
    public boolean add(String channel, String op, String dedupKey, Long parentId, String service, Long ticketId, String text,
                       String blocks, Instant now) {
        try (Connection c = ds.getConnection()) {
            return insert(c, new Draft(channel, op, dedupKey, parentId, service, ticketId, text, blocks), now);
        } catch (SQLException e) {
            if ("23505".equals(e.getSQLState())) {
                return false;
            }
            throw new StoreException("queueing a Slack message", e);
        }
    }

    /**
     * Queues {@code d} on {@code c}, inside the caller's transaction; false when its dedup key is there
     * already. The check is in the statement, so a duplicate never aborts the transaction (PostgreSQL
     * would abort it on a unique violation).
     */
    static boolean insert(Connection c, Draft d, Instant now) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO outbox (channel, op, dedup_key, parent_id, service, ticket_id, text,"
                + " blocks, state, attempts, next_attempt, created_at) SELECT ?,?,?,?,?,?,?,?,'pending',0,?,? FROM (VALUES (1)) AS one (x)"
                + " WHERE CAST(? AS VARCHAR(300)) IS NULL OR NOT EXISTS (SELECT 1 FROM outbox WHERE dedup_key = ?)")) {
            ps.setString(1, d.channel());
            ps.setString(2, d.op());
            ps.setString(3, d.dedupKey());
            ps.setObject(4, d.parentId(), java.sql.Types.BIGINT);
            ps.setString(5, d.service());
            ps.setObject(6, d.ticketId(), java.sql.Types.BIGINT);
            ps.setString(7, d.text().length() > 4000 ? d.text().substring(0, 3999) + "…" : d.text());
            ps.setString(8, d.blocks());
            ps.setObject(9, ts(now));
            ps.setObject(10, ts(now));
            ps.setString(11, d.dedupKey());
            ps.setString(12, d.dedupKey());
            return ps.executeUpdate() == 1;
        }
    }

    /** Queues an ephemeral message: seen only by {@code user}, in {@code channel}. */
    public void addEphemeral(String channel, String user, String text, Instant now) {
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("INSERT INTO outbox (channel, op, recipient, text, state, attempts, next_attempt,"
                     + " created_at) VALUES (?,'ephemeral',?,?,'pending',0,?,?)")) {
            ps.setString(1, channel);
            ps.setString(2, user);
            ps.setString(3, text.length() > 4000 ? text.substring(0, 3999) + "…" : text);
            ps.setObject(4, ts(now));
            ps.setObject(5, ts(now));
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("queueing an ephemeral Slack message", e);
        }
    }

    /** The oldest pending message of each channel (order per channel: nothing else may go first), oldest first. */
    public List<Message> pending(int limit) {
        return query("SELECT " + COLS + " FROM outbox WHERE id IN (SELECT MIN(id) FROM outbox WHERE state = 'pending' GROUP BY channel)"
                + " ORDER BY id FETCH FIRST " + limit + " ROWS ONLY");
    }

    /** Counts an attempt before the call: after a crash mid-call, the next try knows to look before posting. */
    public void attempting(long id) {
        update("UPDATE outbox SET attempts = attempts + 1 WHERE id = ?", id);
    }

    public Optional<Message> get(long id) {
        return query("SELECT " + COLS + " FROM outbox WHERE id = ?", id).stream().findFirst();
    }

    /** The newest announcement of a service (the message ticket changes update). */
    public Optional<Message> latestAnnouncement(String service) {
        return query("SELECT " + COLS + " FROM outbox WHERE service = ? AND op = 'announce' AND state <> 'failed' ORDER BY id DESC"
                + " FETCH FIRST 1 ROWS ONLY", service).stream().findFirst();
    }

    /** The announcement a thread reply answers: its channel and ts. */
    public Optional<Message> byTs(String channel, String ts) {
        return query("SELECT " + COLS + " FROM outbox WHERE channel = ? AND ts = ? AND op = 'announce'", channel, ts).stream().findFirst();
    }

    public void sent(long id, String ts, Instant now) {
        update("UPDATE outbox SET state = 'sent', ts = ?, sent_at = ?, last_error = NULL WHERE id = ?", ts, ts(now), id);
    }

    public void retry(long id, Instant next, String error) {
        update("UPDATE outbox SET next_attempt = ?, last_error = ? WHERE id = ?", ts(next),
                error.length() > 1000 ? error.substring(0, 1000) : error, id);
    }

    public void failed(long id, String error) {
        update("UPDATE outbox SET state = 'failed', last_error = ? WHERE id = ?",
                error.length() > 1000 ? error.substring(0, 1000) : error, id);
    }

    /** When the oldest message still to send was queued; null when nothing waits. */
    public Instant oldestPending() {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT MIN(created_at) FROM outbox WHERE state = 'pending'");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            OffsetDateTime t = rs.getObject(1, OffsetDateTime.class);
            return t == null ? null : t.toInstant();
        } catch (SQLException e) {
            throw new StoreException("reading the outbox", e);
        }
    }

    public int depth() {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM outbox WHERE state = 'pending'");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getInt(1);
        } catch (SQLException e) {
            throw new StoreException("counting the outbox", e);
        }
    }

    private List<Message> query(String sql, Object... args) {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                List<Message> out = new ArrayList<>();
                while (rs.next()) {
                    OffsetDateTime next = rs.getObject(13, OffsetDateTime.class);
                    out.add(new Message(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), (Long) rs.getObject(5, Long.class),
                            rs.getString(6), (Long) rs.getObject(7, Long.class), rs.getString(8), rs.getString(9), rs.getString(10),
                            rs.getString(11), rs.getInt(12), next == null ? null : next.toInstant(), rs.getString(14), rs.getString(15)));
                }
                return out;
            }
        } catch (SQLException e) {
            throw new StoreException("reading the outbox", e);
        }
    }

    private void update(String sql, Object... args) {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("updating the outbox", e);
        }
    }

    private static OffsetDateTime ts(Instant i) {
        return i == null ? null : OffsetDateTime.ofInstant(i, ZoneOffset.UTC);
    }
}
