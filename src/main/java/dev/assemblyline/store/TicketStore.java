package dev.assemblyline.store;

import dev.assemblyline.model.Session;
import dev.assemblyline.model.Ticket;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;

/**
 * Sessions and tickets over JDBC. Every state change is one conditional UPDATE (or one transaction),
 * so concurrent actions on a ticket cannot both win: of fifty simultaneous claims exactly one changes
 * a row. At most one open ticket per (service, kind) is a UNIQUE constraint, not a hope.
 */
public final class TicketStore {
    private static final String UNIQUE_VIOLATION = "23505";
    private static final String TICKET_COLS = "id, service, kind, tree, state, assignee, skip, waiting, note, percent, created_at,"
            + " offered_at, offer_expires, claimed_at, lease_expires, deadline, closed_at, close_reason";
    private static final String SESSION_COLS = "id, name, capabilities, status, current_work, slack_user, wip_limit, origin,"
            + " last_heartbeat, last_assigned";

    private final DataSource ds;

    public TicketStore(DataSource ds) {
        this.ds = ds;
    }

    // ---- sessions -------------------------------------------------------------------------------

    /** Inserts or updates a session; a null {@code tokenHash} keeps the one it has. */
    public void saveSession(Session s, String tokenHash, Instant now) {
        try (Connection c = ds.getConnection()) {
            if (s.slackUser() != null) {
                try (PreparedStatement other = c.prepareStatement("SELECT id FROM sessions WHERE slack_user = ? AND id <> ?")) {
                    other.setString(1, s.slackUser());
                    other.setString(2, s.id());
                    try (ResultSet rs = other.executeQuery()) {
                        if (rs.next()) {
                            // one Slack user, one session: otherwise Slack actions could be taken as someone else
                            throw new IllegalArgumentException("slack_user " + s.slackUser() + " is already session " + rs.getString(1) + "'s");
                        }
                    }
                }
            }
            try (PreparedStatement up = c.prepareStatement("UPDATE sessions SET name = ?, capabilities = ?, status = ?, current_work = ?,"
                    + " slack_user = ?, wip_limit = ?, origin = ?, token_hash = COALESCE(?, token_hash) WHERE id = ?")) {
                bindSession(up, s, tokenHash);
                if (up.executeUpdate() == 1) {
                    return;
                }
            }
            try (PreparedStatement ins = c.prepareStatement("INSERT INTO sessions (name, capabilities, status, current_work, slack_user,"
                    + " wip_limit, origin, token_hash, id, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)")) {
                bindSession(ins, s, tokenHash);
                ins.setObject(10, ts(now));
                ins.executeUpdate();
            }
        } catch (SQLException e) {
            throw new StoreException("saving session " + s.id(), e);
        }
    }

    private static void bindSession(PreparedStatement ps, Session s, String tokenHash) throws SQLException {
        ps.setString(1, s.name());
        ps.setString(2, String.join(",", s.capabilities()));
        ps.setString(3, s.status());
        ps.setString(4, s.currentWork());
        ps.setString(5, s.slackUser());
        ps.setInt(6, s.wipLimit());
        ps.setString(7, s.origin());
        ps.setString(8, tokenHash);
        ps.setString(9, s.id());
    }

    public List<Session> sessions() {
        return querySessions("SELECT " + SESSION_COLS + " FROM sessions ORDER BY id");
    }

    public Optional<Session> session(String id) {
        return querySessions("SELECT " + SESSION_COLS + " FROM sessions WHERE id = ?", id).stream().findFirst();
    }

    public Optional<Session> sessionBySlackUser(String slackUser) {
        return querySessions("SELECT " + SESSION_COLS + " FROM sessions WHERE slack_user = ? ORDER BY id", slackUser).stream().findFirst();
    }

    public Optional<Session> sessionByToken(String tokenHash) {
        return querySessions("SELECT " + SESSION_COLS + " FROM sessions WHERE token_hash = ?", tokenHash).stream().findFirst();
    }

    public boolean hasToken(String id) {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT token_hash FROM sessions WHERE id = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getString(1) != null;
            }
        } catch (SQLException e) {
            throw new StoreException("reading session " + id, e);
        }
    }

    public boolean deleteSession(String id) {
        return update("DELETE FROM sessions WHERE id = ?", id) == 1;
    }

    /** Records a heartbeat and extends the lease of every ticket the session has claimed. */
    public int heartbeat(String id, Instant now, Instant leaseUntil) {
        update("UPDATE sessions SET last_heartbeat = ? WHERE id = ?", ts(now), id);
        return update("UPDATE tickets SET lease_expires = ? WHERE assignee = ? AND state = 'claimed'", ts(leaseUntil), id);
    }

    private List<Session> querySessions(String sql, Object... args) {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, args);
            try (ResultSet rs = ps.executeQuery()) {
                List<Session> out = new ArrayList<>();
                while (rs.next()) {
                    String caps = rs.getString(3);
                    out.add(new Session(rs.getString(1), rs.getString(2), caps.isEmpty() ? List.of() : Arrays.asList(caps.split(",")),
                            rs.getString(4), rs.getString(5), rs.getString(6), rs.getInt(7), rs.getString(8), instant(rs, 9),
                            instant(rs, 10)));
                }
                return out;
            }
        } catch (SQLException e) {
            throw new StoreException("reading sessions", e);
        }
    }

    // ---- tickets --------------------------------------------------------------------------------

    /** Opens a queued ticket unless one is open for (service, kind); returns the open one either way. */
    public Ticket open(String service, Ticket.Kind kind, String tree, List<String> skip, Instant now) {
        try (Connection c = ds.getConnection()) {
            return open(c, service, kind, tree, skip, now);
        } catch (SQLException e) {
            throw new StoreException("opening a " + kind.label() + " ticket for " + service, e);
        }
    }

    private Ticket open(Connection c, String service, Ticket.Kind kind, String tree, List<String> skip, Instant now) throws SQLException {
        for (int attempt = 0; ; attempt++) {
            insertOpen(c, service, kind, tree, skip, now);
            List<Ticket> found = queryTickets(c, "SELECT " + TICKET_COLS + " FROM tickets WHERE open_key = ?", service + "/" + kind.label());
            if (!found.isEmpty()) {
                return found.get(0);
            }
            if (attempt == 3) {
                throw new SQLException("no open " + kind.label() + " ticket for " + service + " after 4 attempts");
            }
            // the open one was closed between our INSERT and SELECT: try again
        }
    }

    private static void insertOpen(Connection c, String service, Ticket.Kind kind, String tree, List<String> skip, Instant now)
            throws SQLException {
        try (PreparedStatement ins = c.prepareStatement("INSERT INTO tickets (service, kind, tree, state, open_key, skip, created_at)"
                + " VALUES (?,?,?,'queued',?,?,?)")) {
            ins.setString(1, service);
            ins.setString(2, kind.label());
            ins.setString(3, tree);
            ins.setString(4, service + "/" + kind.label());
            ins.setString(5, skipColumn(new LinkedHashSet<>(skip)));
            ins.setObject(6, ts(now));
            ins.executeUpdate();
        } catch (SQLException e) {
            if (!UNIQUE_VIOLATION.equals(e.getSQLState())) {
                throw e;
            }
            if (!c.getAutoCommit()) {
                throw e; // inside a transaction the caller must see it (PostgreSQL aborts the transaction)
            }
        }
    }

    public Optional<Ticket> ticket(long id) {
        return tickets("SELECT " + TICKET_COLS + " FROM tickets WHERE id = ?", id).stream().findFirst();
    }

    /** Open tickets, oldest first. */
    /** Who holds a claimed build ticket, per service: the fact that makes BUILD_IN_PROGRESS without a push. */
    public Map<String, String> buildClaims() {
        Map<String, String> out = new java.util.HashMap<>();
        for (Ticket t : tickets("SELECT " + TICKET_COLS + " FROM tickets WHERE state = 'claimed' AND kind = '" + Ticket.Kind.BUILD.label() + "'")) {
            out.put(t.service(), t.assignee());
        }
        return out;
    }

    public List<Ticket> openTickets() {
        return tickets("SELECT " + TICKET_COLS + " FROM tickets WHERE open_key IS NOT NULL ORDER BY id");
    }

    public List<Ticket> openTickets(String service) {
        return tickets("SELECT " + TICKET_COLS + " FROM tickets WHERE open_key IS NOT NULL AND service = ? ORDER BY id", service);
    }

    /** Tickets matching the filters that are set, newest first. */
    public List<Ticket> find(String service, Ticket.State state, String assignee, int limit) {
        StringBuilder sql = new StringBuilder("SELECT " + TICKET_COLS + " FROM tickets WHERE 1 = 1");
        List<Object> args = new ArrayList<>();
        if (service != null) {
            sql.append(" AND service = ?");
            args.add(service);
        }
        if (state != null) {
            sql.append(" AND state = ?");
            args.add(state.label());
        }
        if (assignee != null) {
            sql.append(" AND assignee = ?");
            args.add(assignee);
        }
        sql.append(" ORDER BY id DESC FETCH FIRST ").append(limit).append(" ROWS ONLY");
        return tickets(sql.toString(), args.toArray());
    }

    /** Offers a queued ticket; false if it is no longer queued. */
    public boolean offer(long id, String session, Instant now, Instant expires) {
        boolean ok = update("UPDATE tickets SET state = 'offered', assignee = ?, offered_at = ?, offer_expires = ?, waiting = NULL"
                + " WHERE id = ? AND state = 'queued'", session, ts(now), ts(expires), id) == 1;
        if (ok) {
            update("UPDATE sessions SET last_assigned = ? WHERE id = ?", ts(now), session);
        }
        return ok;
    }

    /** One planned offer. */
    public record Offer(long ticket, String session) {
    }

    /**
     * Makes many offers in one transaction (a pass may offer hundreds); each row still changes only if
     * its ticket is queued. Returns, per offer, whether it was made.
     */
    public boolean[] offerAll(List<Offer> offers, Instant now, Instant expires) {
        boolean[] made = new boolean[offers.size()];
        if (offers.isEmpty()) {
            return made;
        }
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            // the session must still exist and be below its WIP limit when the row is written, whatever the
            // snapshot the pass was planned on said (a claim over HTTP may have landed since)
            try (PreparedStatement ps = c.prepareStatement("UPDATE tickets SET state = 'offered', assignee = ?, offered_at = ?,"
                    + " offer_expires = ?, waiting = NULL WHERE id = ? AND state = 'queued'"
                    + " AND (SELECT COUNT(*) FROM tickets x WHERE x.assignee = ? AND x.open_key IS NOT NULL)"
                    + " < (SELECT s.wip_limit FROM sessions s WHERE s.id = ?)");
                 PreparedStatement last = c.prepareStatement("UPDATE sessions SET last_assigned = ? WHERE id = ?")) {
                for (int i = 0; i < offers.size(); i++) {
                    Offer o = offers.get(i);
                    ps.setString(1, o.session());
                    ps.setObject(2, ts(now));
                    ps.setObject(3, ts(expires));
                    ps.setLong(4, o.ticket());
                    ps.setString(5, o.session());
                    ps.setString(6, o.session());
                    ps.addBatch(); // rows run in order inside the transaction: each WIP count sees the offers before it
                }
                int[] counts = ps.executeBatch();
                for (int i = 0; i < counts.length; i++) {
                    made[i] = counts[i] == 1;
                    if (made[i]) {
                        last.setObject(1, ts(now));
                        last.setString(2, offers.get(i).session());
                        last.addBatch();
                    }
                }
                last.executeBatch();
                c.commit();
                return made;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new StoreException("offering " + offers.size() + " tickets", e);
        }
    }

    /** Lapses many expired offers in one transaction; returns per ticket whether it lapsed. */
    public boolean[] lapseAll(List<Ticket> offered, Instant now) {
        boolean[] done = new boolean[offered.size()];
        if (offered.isEmpty()) {
            return done;
        }
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("UPDATE tickets SET state = 'queued', assignee = NULL, offered_at = NULL,"
                    + " offer_expires = NULL, skip = ? WHERE id = ? AND state = 'offered' AND offer_expires <= ?")) {
                for (Ticket t : offered) {
                    Set<String> skip = new LinkedHashSet<>(t.skip());
                    skip.add(t.assignee());
                    ps.setString(1, skipColumn(skip));
                    ps.setLong(2, t.id());
                    ps.setObject(3, ts(now));
                    ps.addBatch();
                }
                int[] counts = ps.executeBatch();
                c.commit();
                for (int i = 0; i < counts.length; i++) {
                    done[i] = counts[i] == 1;
                }
                return done;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new StoreException("lapsing " + offered.size() + " offers", e);
        }
    }

    /** Claims a queued or offered ticket for a session: the one conditional UPDATE that makes claims atomic. */
    public boolean claim(long id, String session, Instant now, Instant leaseUntil, Instant deadline, boolean bySession) {
        // queued: anyone below its WIP limit; offered: only the session it was offered to (it already counts in WIP)
        boolean ok = update("UPDATE tickets SET state = 'claimed', assignee = ?, claimed_at = ?, lease_expires = ?, deadline = ?,"
                + " waiting = NULL WHERE id = ? AND (state = 'offered' AND assignee = ? OR state = 'queued'"
                + " AND (SELECT COUNT(*) FROM tickets x WHERE x.assignee = ? AND x.open_key IS NOT NULL)"
                + " < (SELECT s.wip_limit FROM sessions s WHERE s.id = ?))",
                session, ts(now), ts(leaseUntil), ts(deadline), id, session, session, session) == 1;
        if (ok) {
            update("UPDATE sessions SET last_assigned = ? WHERE id = ?", ts(now), session);
            if (bySession) {
                update("UPDATE sessions SET last_heartbeat = ? WHERE id = ?", ts(now), session);
            }
        }
        return ok;
    }

    /** Done by its holder (an offered ticket counts as claimed and done at once). */
    public boolean done(long id, String session, Instant now) {
        return update("UPDATE tickets SET state = 'done', open_key = NULL, closed_at = ?, close_reason = 'done by ' || ?,"
                + " claimed_at = COALESCE(claimed_at, ?) WHERE id = ? AND assignee = ? AND state IN ('offered', 'claimed')",
                ts(now), session, ts(now), id, session) == 1;
    }

    public boolean progress(long id, String session, String note, Integer percent, Instant now, Instant leaseUntil) {
        boolean ok = update("UPDATE tickets SET note = COALESCE(?, note), percent = COALESCE(?, percent), lease_expires = ?"
                + " WHERE id = ? AND assignee = ? AND state = 'claimed'",
                note, percent, ts(leaseUntil), id, session) == 1;
        if (ok) {
            update("UPDATE sessions SET last_heartbeat = ? WHERE id = ?", ts(now), session);
        }
        return ok;
    }

    /**
     * Takes a ticket back from its holder: closed as released or expired, and a new queued ticket for the
     * same work opened in the same transaction with the holder added to its skip list. Returns the new
     * ticket, or empty when the ticket was not in {@code from} with that holder any more.
     */
    public Optional<Ticket> takeBack(long id, String holder, Set<Ticket.State> from, Ticket.State to, String reason, Instant now) {
        return takeBack(id, holder, from, to, reason, now, false);
    }

    /**
     * As above; with {@code onlyIfDue} the locked row must still be past its lease or deadline, so a
     * heartbeat that landed after the caller looked wins.
     */
    public Optional<Ticket> takeBack(long id, String holder, Set<Ticket.State> from, Ticket.State to, String reason, Instant now,
                                     boolean onlyIfDue) {
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try {
                List<Ticket> found = queryTickets(c, "SELECT " + TICKET_COLS + " FROM tickets WHERE id = ? FOR UPDATE", id);
                if (found.isEmpty() || !from.contains(found.get(0).state()) || !holder.equals(found.get(0).assignee())) {
                    c.rollback();
                    return Optional.empty();
                }
                Ticket t = found.get(0);
                boolean due = t.leaseExpires() != null && !now.isBefore(t.leaseExpires()) || t.deadline() != null && !now.isBefore(t.deadline());
                if (onlyIfDue && !due) {
                    c.rollback();
                    return Optional.empty();
                }
                try (PreparedStatement close = c.prepareStatement(
                        "UPDATE tickets SET state = ?, open_key = NULL, closed_at = ?, close_reason = ? WHERE id = ?")) {
                    close.setString(1, to.label());
                    close.setObject(2, ts(now));
                    close.setString(3, reason);
                    close.setLong(4, id);
                    close.executeUpdate();
                }
                Set<String> skip = new LinkedHashSet<>(t.skip());
                skip.add(holder);
                Ticket next = open(c, t.service(), t.kind(), t.tree(), new ArrayList<>(skip), now);
                c.commit();
                return Optional.of(next);
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new StoreException("taking back ticket #" + id, e);
        }
    }

    /** An offer that lapsed goes back to the queue, passing over the session that let it lapse. */
    public boolean lapse(Ticket t, Instant now) {
        Set<String> skip = new LinkedHashSet<>(t.skip());
        skip.add(t.assignee());
        return update("UPDATE tickets SET state = 'queued', assignee = NULL, offered_at = NULL, offer_expires = NULL, skip = ?"
                + " WHERE id = ? AND state = 'offered' AND offer_expires <= ?", skipColumn(skip), t.id(), ts(now)) == 1;
    }

    public boolean supersede(long id, String reason, Instant now) {
        return update("UPDATE tickets SET state = 'superseded', open_key = NULL, closed_at = ?, close_reason = ?"
                + " WHERE id = ? AND open_key IS NOT NULL", ts(now), reason, id) == 1;
    }

    /** The note of an open ticket (a fix ticket carries the failing tests). */
    public void setNote(long id, String note) {
        update("UPDATE tickets SET note = ? WHERE id = ? AND open_key IS NOT NULL", note == null || note.length() <= 2000 ? note : note.substring(0, 2000), id);
    }

    public void setWaiting(long id, String waiting) {
        update("UPDATE tickets SET waiting = ? WHERE id = ? AND state = 'queued'", waiting, id);
    }

    /** {@link #setWaiting} for many tickets, in one transaction (a bulk change queues thousands at once). */
    public void setWaitingAll(Map<Long, String> waiting) {
        if (waiting.isEmpty()) {
            return;
        }
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("UPDATE tickets SET waiting = ? WHERE id = ? AND state = 'queued'")) {
                for (Map.Entry<Long, String> e : waiting.entrySet()) {
                    ps.setString(1, e.getValue());
                    ps.setLong(2, e.getKey());
                    ps.addBatch();
                }
                ps.executeBatch();
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new StoreException("recording why " + waiting.size() + " tickets wait", e);
        }
    }

    /** A ticket to open: the work a service's phase asks for. */
    public record Opening(String service, Ticket.Kind kind, String tree, String note) {
    }

    /**
     * Opens many tickets in one transaction (queued, no skip list), leaving out any that has an open ticket
     * of its kind already; returns the tickets this call opened, in no particular order.
     */
    public List<Ticket> openAll(List<Opening> openings, Instant now) {
        if (openings.isEmpty()) {
            return List.of();
        }
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try {
                try (PreparedStatement ins = c.prepareStatement("INSERT INTO tickets (service, kind, tree, state, open_key, skip, note,"
                        + " created_at) SELECT ?,?,?,'queued',?,'',?,? FROM (VALUES (1)) AS one (x)"
                        + " WHERE NOT EXISTS (SELECT 1 FROM tickets WHERE open_key = ?)")) {
                    for (Opening o : openings) {
                        String key = o.service() + "/" + o.kind().label();
                        ins.setString(1, o.service());
                        ins.setString(2, o.kind().label());
                        ins.setString(3, o.tree());
                        ins.setString(4, key);
                        ins.setString(5, o.note() == null ? null : o.note().length() > 2000 ? o.note().substring(0, 2000) : o.note());
                        ins.setObject(6, ts(now));
                        ins.setString(7, key);
                        ins.addBatch();
                    }
                    int[] counts = ins.executeBatch();
                    List<Opening> inserted = new ArrayList<>();
                    for (int i = 0; i < counts.length; i++) {
                        if (counts[i] > 0 || counts[i] == java.sql.Statement.SUCCESS_NO_INFO) {
                            inserted.add(openings.get(i)); // 0: an open ticket of that kind was there already
                        }
                    }
                    openings = inserted;
                }
                List<Ticket> out = new ArrayList<>(openings.size());
                for (int from = 0; from < openings.size(); from += 500) {
                    List<Opening> part = openings.subList(from, Math.min(openings.size(), from + 500));
                    String in = String.join(",", java.util.Collections.nCopies(part.size(), "?"));
                    out.addAll(queryTickets(c, "SELECT " + TICKET_COLS + " FROM tickets WHERE open_key IN (" + in + ")",
                            part.stream().map(o -> (Object) (o.service() + "/" + o.kind().label())).toArray()));
                }
                c.commit();
                return out;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new StoreException("opening " + openings.size() + " tickets", e);
        }
    }

    /** One finished ticket: who, what kind, how long from claim to done. */
    public record Finished(String assignee, Ticket.Kind kind, String service, Instant claimedAt, Instant closedAt) {
    }

    /** Done tickets closed after {@code since}, oldest first. */
    public List<Finished> finished(Instant since) {
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT assignee, kind, service, claimed_at, closed_at FROM tickets"
                     + " WHERE state = 'done' AND closed_at >= ? ORDER BY closed_at")) {
            ps.setObject(1, ts(since));
            try (ResultSet rs = ps.executeQuery()) {
                List<Finished> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(new Finished(rs.getString(1), Ticket.Kind.parse(rs.getString(2)), rs.getString(3), instant(rs, 4), instant(rs, 5)));
                }
                return out;
            }
        } catch (SQLException e) {
            throw new StoreException("reading finished tickets", e);
        }
    }

    /** A ticket done for one exact tree of a service. */
    public record DoneWork(long id, String assignee, Instant closedAt) {
    }

    /** Done tickets closed after {@code since}, keyed "service/kind/tree": work finished for that exact tree. */
    public Map<String, DoneWork> doneFor(Instant since) {
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT service, kind, tree, id, assignee, closed_at FROM tickets"
                     + " WHERE state = 'done' AND closed_at >= ? ORDER BY id")) {
            ps.setObject(1, ts(since));
            try (ResultSet rs = ps.executeQuery()) {
                Map<String, DoneWork> out = new HashMap<>();
                while (rs.next()) {
                    out.put(rs.getString(1) + "/" + rs.getString(2) + "/" + rs.getString(3), new DoneWork(rs.getLong(4), rs.getString(5), instant(rs, 6)));
                }
                return out;
            }
        } catch (SQLException e) {
            throw new StoreException("reading done tickets", e);
        }
    }

    /** Open tickets per holder (offered or claimed): each session's WIP. */
    public Map<String, Integer> wip() {
        Map<String, Integer> out = new HashMap<>();
        for (Ticket t : openTickets()) {
            if (t.assignee() != null) {
                out.merge(t.assignee(), 1, Integer::sum);
            }
        }
        return out;
    }

    // ---- plumbing -------------------------------------------------------------------------------

    /** The skip list as stored: the newest names kept when it would outgrow its column. */
    static String skipColumn(Set<String> skip) {
        List<String> names = new ArrayList<>(skip);
        String joined = String.join(",", names);
        while (joined.length() > 1900 && !names.isEmpty()) {
            names.remove(0);
            joined = String.join(",", names);
        }
        return joined;
    }

    private List<Ticket> tickets(String sql, Object... args) {
        try (Connection c = ds.getConnection()) {
            return queryTickets(c, sql, args);
        } catch (SQLException e) {
            throw new StoreException("reading tickets", e);
        }
    }

    private static List<Ticket> queryTickets(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, args);
            try (ResultSet rs = ps.executeQuery()) {
                List<Ticket> out = new ArrayList<>();
                while (rs.next()) {
                    String skip = rs.getString(7);
                    out.add(new Ticket(rs.getLong(1), rs.getString(2), Ticket.Kind.parse(rs.getString(3)), rs.getString(4),
                            Ticket.State.parse(rs.getString(5)), rs.getString(6), skip == null || skip.isEmpty() ? List.of() : Arrays.asList(skip.split(",")),
                            rs.getString(8), rs.getString(9), (Integer) rs.getObject(10), instant(rs, 11), instant(rs, 12), instant(rs, 13),
                            instant(rs, 14), instant(rs, 15), instant(rs, 16), instant(rs, 17), rs.getString(18)));
                }
                return out;
            }
        }
    }

    private int update(String sql, Object... args) {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, args);
            return ps.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("updating tickets", e);
        }
    }

    private static void bind(PreparedStatement ps, Object... args) throws SQLException {
        for (int i = 0; i < args.length; i++) {
            ps.setObject(i + 1, args[i]);
        }
    }

    private static OffsetDateTime ts(Instant i) {
        return i == null ? null : OffsetDateTime.ofInstant(i, ZoneOffset.UTC);
    }

    private static Instant instant(ResultSet rs, int col) throws SQLException {
        OffsetDateTime t = rs.getObject(col, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }
}
