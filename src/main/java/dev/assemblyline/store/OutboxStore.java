package dev.assemblyline.store;

import dev.assemblyline.store.Jdbc.Typed;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The Slack outbox: every message is written here first and sent by one worker, so nothing is lost to a
 * restart or an outage, order per channel holds, and an announcement keyed (service, phase, tree) is
 * posted once however often the reconciler decides it.
 */
public final class OutboxStore {
    private static final String COLS = "id, channel, op, dedup_key, parent_id, service, ticket_id, text, blocks, state, ts, attempts,"
            + " next_attempt, last_error, recipient";

    private final Jdbc db;

    public OutboxStore(Jdbc db) {
        this.db = db;
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
        boolean added = db.connection("queueing a Slack message", c -> {
            try {
                return insert(c, new Draft(channel, op, dedupKey, parentId, service, ticketId, text, blocks), now);
            } catch (SQLException e) {
                if (Jdbc.uniqueViolation(e)) {
                    return false; // queued by a concurrent writer between the check and the insert
                }
                throw e;
            }
        });
        if (added) {
            queued.run();
        }
        return added;
    }

    /**
     * Queues the messages of one change (a ticket's announcement update, its thread line, a DM) in one
     * transaction: one durable commit instead of one each. A message whose dedup key was queued before is
     * left out, as by {@link #add}; returns how many were added. Should a concurrent writer queue one of them
     * between the check and the insert, they are queued one by one instead.
     */
    public int addAll(List<Draft> drafts, Instant now) {
        int added;
        try {
            added = db.transaction("queueing Slack messages", c -> {
                int n = 0;
                for (Draft d : drafts) {
                    n += insert(c, d, now) ? 1 : 0;
                }
                return n;
            });
        } catch (StoreException e) {
            if (!(e.getCause() instanceof SQLException s && Jdbc.uniqueViolation(s))) {
                throw e;
            }
            added = 0;
            for (Draft d : drafts) {
                added += add(d.channel(), d.op(), d.dedupKey(), d.parentId(), d.service(), d.ticketId(), d.text(), d.blocks(), now) ? 1 : 0;
            }
            return added;
        }
        if (added > 0) {
            queued.run();
        }
        return added;
    }

    private volatile Runnable queued = () -> { };

    /** Called after each message this store queues on its own ({@link #add}, {@link #addEphemeral}): the sender looks at once. */
    public void onQueued(Runnable listener) {
        this.queued = listener;
    }

    /**
     * Queues {@code d} on {@code c}, inside the caller's transaction; false when its dedup key is there
     * already. The check is in the statement, so a duplicate never aborts the transaction (PostgreSQL
     * would abort it on a unique violation).
     */
    static boolean insert(Connection c, Draft d, Instant now) throws SQLException {
        return Jdbc.update(c, "INSERT INTO outbox (channel, op, dedup_key, parent_id, service, ticket_id, text,"
                + " blocks, state, attempts, next_attempt, created_at) SELECT ?,?,?,?,?,?,?,?,'pending',0,?,? FROM (VALUES (1)) AS one (x)"
                + " WHERE CAST(? AS VARCHAR(300)) IS NULL OR NOT EXISTS (SELECT 1 FROM outbox WHERE dedup_key = ?)",
                d.channel(), d.op(), d.dedupKey(), new Typed(d.parentId(), Types.BIGINT), d.service(), new Typed(d.ticketId(), Types.BIGINT),
                Jdbc.head(d.text(), 4000), d.blocks(), now, now, d.dedupKey(), d.dedupKey()) == 1;
    }

    /** Queues an ephemeral message: seen only by {@code user}, in {@code channel}. */
    public void addEphemeral(String channel, String user, String text, Instant now) {
        db.update("queueing an ephemeral Slack message", "INSERT INTO outbox (channel, op, recipient, text, state, attempts, next_attempt,"
                + " created_at) VALUES (?,'ephemeral',?,?,'pending',0,?,?)", channel, user, Jdbc.head(text, 4000), now, now);
        queued.run();
    }

    /** The oldest pending message of each channel (order per channel: nothing else may go first), oldest first. */
    public List<Message> pending(int limit) {
        return pendingAfter(0, limit);
    }

    /**
     * The oldest {@code limit} pending messages of one channel (not forge statuses), oldest first: what the
     * channel sends next. Read in batches: a backlog of thousands is read once per batch, not once per message.
     */
    public List<Message> next(String channel, int limit) {
        return query("SELECT " + COLS + " FROM outbox WHERE state = 'pending' AND channel = ? AND op <> 'status' ORDER BY id"
                + " FETCH FIRST " + limit + " ROWS ONLY", channel);
    }

    /**
     * The oldest pending message with an id above {@code afterId} of each channel (not forge statuses): what
     * was queued since the last read, found by the (state, id) index without passing over the backlog.
     */
    public List<Message> pendingAfter(long afterId, int limit) {
        // two steps: H2 ran "id IN (subquery)" as a scan of the whole outbox, sent messages too, every round
        List<Long> ids = db.list("reading the outbox", "SELECT MIN(id) FROM outbox WHERE state = 'pending' AND id > ? AND op <> 'status'"
                + " GROUP BY channel ORDER BY 1 FETCH FIRST " + limit + " ROWS ONLY", rs -> rs.getLong(1), afterId);
        if (ids.isEmpty()) {
            return List.of();
        }
        return query("SELECT " + COLS + " FROM outbox WHERE id IN (" + String.join(",", java.util.Collections.nCopies(ids.size(), "?"))
                + ") ORDER BY id", ids.toArray());
    }

    /** The highest id given so far (0 for an empty outbox). */
    public long lastId() {
        return db.first("reading the outbox", "SELECT MAX(id) FROM outbox", rs -> rs.getLong(1)).orElse(0L);
    }

    /** Commit statuses for the forges (docs/ci.md) due by {@code now}, oldest first: they wait in the same outbox as Slack's messages. */
    public List<Message> pendingStatuses(Instant now, int limit) {
        return query("SELECT " + COLS + " FROM outbox WHERE state = 'pending' AND op = 'status' AND next_attempt <= ? ORDER BY id"
                + " FETCH FIRST " + limit + " ROWS ONLY", now);
    }

    /** Whether a later update of the same message waits in the outbox (this one's text is then out of date). */
    public boolean newerUpdate(Message update) {
        return db.count("reading the outbox", "SELECT COUNT(*) FROM outbox WHERE parent_id = ? AND op = 'update' AND state = 'pending'"
                + " AND id > ?", update.parentId(), update.id()) > 0;
    }

    /**
     * Whether a later status of {@code status}'s service whose dedup key starts with {@code place} (the same
     * commit and forge: forge.ForgeStatuses) is queued or sent: sending this one would undo it.
     */
    public boolean newerStatus(Message status, String place) {
        return db.count("reading the outbox", "SELECT COUNT(*) FROM outbox WHERE service = ? AND id > ? AND op = 'status'"
                + " AND state IN ('pending', 'sent') AND dedup_key LIKE ?", status.service(), status.id(),
                place.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%") > 0;
    }

    /** An update left out because a newer one replaces it. */
    public void superseded(long id) {
        db.update("skipping an out-of-date Slack update", "UPDATE outbox SET state = 'superseded', sent_at = NULL WHERE id = ?", id);
    }

    /** Counts an attempt before the call: after a crash mid-call, the next try knows to look before posting. */
    public void attempting(long id) {
        db.update("counting an attempt", "UPDATE outbox SET attempts = attempts + 1 WHERE id = ?", id);
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
        db.update("marking a Slack message sent", "UPDATE outbox SET state = 'sent', ts = ?, sent_at = ?, last_error = NULL WHERE id = ?",
                ts, now, id);
    }

    public void retry(long id, Instant next, String error) {
        db.update("scheduling a retry", "UPDATE outbox SET next_attempt = ?, last_error = ? WHERE id = ?", next, Jdbc.head(error, 1000), id);
    }

    public void failed(long id, String error) {
        db.update("giving up on a Slack message", "UPDATE outbox SET state = 'failed', last_error = ? WHERE id = ?",
                Jdbc.head(error, 1000), id);
    }

    /** When the oldest message still to send was queued; null when nothing waits. */
    public Instant oldestPending() {
        return db.first("reading the outbox", "SELECT MIN(created_at) FROM outbox WHERE state = 'pending'", rs -> Jdbc.instant(rs, 1))
                .orElse(null);
    }

    public int depth() {
        return (int) db.count("counting the outbox", "SELECT COUNT(*) FROM outbox WHERE state = 'pending'");
    }

    private List<Message> query(String sql, Object... args) {
        return db.list("reading the outbox", sql, rs -> new Message(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4),
                rs.getObject(5, Long.class), rs.getString(6), rs.getObject(7, Long.class), rs.getString(8), rs.getString(9), rs.getString(10),
                rs.getString(11), rs.getInt(12), Jdbc.instant(rs, 13), rs.getString(14), rs.getString(15)), args);
    }
}
