package dev.assemblyline.store;

import dev.assemblyline.model.Session;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Sessions (the people and agents who take tickets) over JDBC. A token is stored only as its SHA-256;
 * one Slack user maps to at most one session. See docs/ARCHITECTURE.md, "Transactions".
 */
public final class SessionStore {
    private static final String COLS = "id, name, capabilities, status, current_work, slack_user, wip_limit, origin,"
            + " last_heartbeat, last_assigned";
    private static final List<String> SAVED = List.of("id", "name", "capabilities", "status", "current_work", "slack_user", "wip_limit", "origin");

    private final Jdbc db;
    private final String save;
    private final String saveWithToken;

    public SessionStore(Jdbc db) {
        this.db = db;
        this.save = db.upsert("sessions", List.of("id"), SAVED);
        List<String> withToken = new java.util.ArrayList<>(SAVED);
        withToken.add("token_hash");
        this.saveWithToken = db.upsert("sessions", List.of("id"), withToken);
    }

    /** Inserts or updates a session; a null {@code tokenHash} keeps the one it has. */
    public void saveSession(Session s, String tokenHash, Instant now) {
        db.transaction("saving session " + s.id(), c -> {
            if (s.slackUser() != null) {
                List<String> other = Jdbc.list(c, "SELECT id FROM sessions WHERE slack_user = ? AND id <> ?", rs -> rs.getString(1),
                        s.slackUser(), s.id());
                if (!other.isEmpty()) {
                    // one Slack user, one session: otherwise Slack actions could be taken as someone else
                    throw new IllegalArgumentException("slack_user " + s.slackUser() + " is already session " + other.get(0) + "'s");
                }
            }
            Object[] args = {s.id(), s.name(), String.join(",", s.capabilities()), s.status(), s.currentWork(), s.slackUser(), s.wipLimit(),
                s.origin(), tokenHash};
            return Jdbc.update(c, tokenHash == null ? save : saveWithToken, tokenHash == null ? Arrays.copyOf(args, SAVED.size()) : args);
        });
    }

    public List<Session> sessions() {
        return db.list("reading sessions", "SELECT " + COLS + " FROM sessions ORDER BY id", SessionStore::session);
    }

    public Optional<Session> session(String id) {
        return db.first("reading session " + id, "SELECT " + COLS + " FROM sessions WHERE id = ?", SessionStore::session, id);
    }

    public Optional<Session> sessionBySlackUser(String slackUser) {
        return db.first("reading sessions", "SELECT " + COLS + " FROM sessions WHERE slack_user = ? ORDER BY id", SessionStore::session, slackUser);
    }

    public Optional<Session> sessionByToken(String tokenHash) {
        return db.first("reading sessions", "SELECT " + COLS + " FROM sessions WHERE token_hash = ?", SessionStore::session, tokenHash);
    }

    public boolean hasToken(String id) {
        return db.count("reading session " + id, "SELECT COUNT(*) FROM sessions WHERE id = ? AND token_hash IS NOT NULL", id) > 0;
    }

    public boolean deleteSession(String id) {
        return db.update("removing session " + id, "DELETE FROM sessions WHERE id = ?", id) == 1;
    }

    /** Records a heartbeat and extends the lease of every ticket the session has claimed; returns how many. */
    public int heartbeat(String id, Instant now, Instant leaseUntil) {
        // tickets first, then the session: the order claim and progress lock them in, so the two never deadlock
        return db.transaction("recording a heartbeat of " + id, c -> {
            int leases = Jdbc.update(c, "UPDATE tickets SET lease_expires = ? WHERE assignee = ? AND state = 'claimed'", leaseUntil, id);
            Jdbc.update(c, "UPDATE sessions SET last_heartbeat = ? WHERE id = ?", now, id);
            return leases;
        });
    }

    private static Session session(ResultSet rs) throws SQLException {
        String caps = rs.getString(3);
        return new Session(rs.getString(1), rs.getString(2), caps.isEmpty() ? List.of() : Arrays.asList(caps.split(",")), rs.getString(4),
                rs.getString(5), rs.getString(6), rs.getInt(7), rs.getString(8), Jdbc.instant(rs, 9), Jdbc.instant(rs, 10));
    }
}
