package dev.assemblyline.store;

import dev.assemblyline.model.Ticket;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Tickets over JDBC. Every state change is one conditional UPDATE (or one transaction), so concurrent
 * actions on a ticket cannot both win: of fifty simultaneous claims exactly one changes a row. At most
 * one open ticket per (service, kind) is a UNIQUE constraint, not a hope. Sessions are in
 * {@link SessionStore}; the WIP checks here read their limits. See docs/ARCHITECTURE.md, "Transactions".
 */
public final class TicketStore {
    private static final String COLS = "id, service, kind, tree, state, assignee, skip, waiting, note, percent, created_at,"
            + " offered_at, offer_expires, claimed_at, lease_expires, deadline, closed_at, close_reason";
    /** Whether the session is below its WIP limit (two parameters: the session's id twice). */
    private static final String BELOW_WIP = "(SELECT COUNT(*) FROM tickets x WHERE x.assignee = ? AND x.open_key IS NOT NULL)"
            + " < (SELECT s.wip_limit FROM sessions s WHERE s.id = ?)";
    private static final String LAPSE = "UPDATE tickets SET state = 'queued', assignee = NULL, offered_at = NULL, offer_expires = NULL,"
            + " skip = ? WHERE id = ? AND state = 'offered' AND offer_expires <= ?";

    private final Jdbc db;

    public TicketStore(Jdbc db) {
        this.db = db;
    }

    public Optional<Ticket> ticket(long id) {
        return db.first("reading ticket #" + id, "SELECT " + COLS + " FROM tickets WHERE id = ?", TicketStore::ticket, id);
    }

    /** Who holds a claimed build ticket, per service: the fact that makes BUILD_IN_PROGRESS without a push. */
    public Map<String, String> buildClaims() {
        Map<String, String> out = new HashMap<>();
        db.list("reading tickets", "SELECT " + COLS + " FROM tickets WHERE state = 'claimed' AND kind = ?", TicketStore::ticket,
                Ticket.Kind.BUILD.label()).forEach(t -> out.put(t.service(), t.assignee()));
        return out;
    }

    /** Open tickets, oldest first. */
    public List<Ticket> openTickets() {
        return db.list("reading tickets", "SELECT " + COLS + " FROM tickets WHERE open_key IS NOT NULL ORDER BY id", TicketStore::ticket);
    }

    public List<Ticket> openTickets(String service) {
        return db.list("reading tickets", "SELECT " + COLS + " FROM tickets WHERE open_key IS NOT NULL AND service = ? ORDER BY id",
                TicketStore::ticket, service);
    }

    /** Tickets matching the filters that are set, newest first. */
    public List<Ticket> find(String service, Ticket.State state, String assignee, int limit) {
        StringBuilder sql = new StringBuilder("SELECT " + COLS + " FROM tickets WHERE 1 = 1");
        List<Object> args = new ArrayList<>();
        String[][] filters = {{"service", service}, {"state", state == null ? null : state.label()}, {"assignee", assignee}};
        for (String[] f : filters) {
            if (f[1] != null) {
                sql.append(" AND ").append(f[0]).append(" = ?");
                args.add(f[1]);
            }
        }
        sql.append(" ORDER BY id DESC FETCH FIRST ").append(limit).append(" ROWS ONLY");
        return db.list("reading tickets", sql.toString(), TicketStore::ticket, args.toArray());
    }

    /** One planned offer. */
    public record Offer(long ticket, String session) {
    }

    /**
     * Makes many offers in one transaction (a pass may offer hundreds); each row still changes only if
     * its ticket is queued. Returns, per offer, whether it was made.
     */
    public boolean[] offerAll(List<Offer> offers, Instant now, Instant expires) {
        if (offers.isEmpty()) {
            return new boolean[0];
        }
        return db.transaction("offering " + offers.size() + " tickets", c -> {
            // the session must still exist and be below its WIP limit when the row is written, whatever the
            // snapshot the pass was planned on said (a claim over HTTP may have landed since)
            boolean[] made = new boolean[offers.size()];
            try (PreparedStatement ps = c.prepareStatement("UPDATE tickets SET state = 'offered', assignee = ?, offered_at = ?,"
                    + " offer_expires = ?, waiting = NULL WHERE id = ? AND state = 'queued' AND " + BELOW_WIP);
                 PreparedStatement last = c.prepareStatement("UPDATE sessions SET last_assigned = ? WHERE id = ?")) {
                for (Offer o : offers) {
                    Jdbc.bind(ps, o.session(), now, expires, o.ticket(), o.session(), o.session());
                    ps.addBatch(); // rows run in order inside the transaction: each WIP count sees the offers before it
                }
                int[] counts = ps.executeBatch();
                for (int i = 0; i < counts.length; i++) {
                    made[i] = counts[i] == 1;
                    if (made[i]) {
                        Jdbc.bind(last, now, offers.get(i).session());
                        last.addBatch();
                    }
                }
                last.executeBatch();
            }
            return made;
        });
    }

    /** Lapses many expired offers in one transaction; returns per ticket whether it lapsed. */
    public boolean[] lapseAll(List<Ticket> offered, Instant now) {
        if (offered.isEmpty()) {
            return new boolean[0];
        }
        return db.transaction("lapsing " + offered.size() + " offers", c -> {
            try (PreparedStatement ps = c.prepareStatement(LAPSE)) {
                for (Ticket t : offered) {
                    Jdbc.bind(ps, skipColumn(withSkipped(t.skip(), t.assignee())), t.id(), now);
                    ps.addBatch();
                }
                int[] counts = ps.executeBatch();
                boolean[] done = new boolean[counts.length];
                for (int i = 0; i < counts.length; i++) {
                    done[i] = counts[i] == 1;
                }
                return done;
            }
        });
    }

    /** An offer that lapsed goes back to the queue, passing over the session that let it lapse. */
    public boolean lapse(Ticket t, Instant now) {
        return db.update("lapsing the offer of ticket #" + t.id(), LAPSE, skipColumn(withSkipped(t.skip(), t.assignee())), t.id(), now) == 1;
    }

    /** Claims a queued or offered ticket for a session: the one conditional UPDATE that makes claims atomic. */
    public boolean claim(long id, String session, Instant now, Instant leaseUntil, Instant deadline, boolean bySession) {
        return db.transaction("claiming ticket #" + id, c -> {
            // queued: anyone below its WIP limit; offered: only the session it was offered to (it already counts in WIP)
            boolean ok = Jdbc.update(c, "UPDATE tickets SET state = 'claimed', assignee = ?, claimed_at = ?, lease_expires = ?, deadline = ?,"
                    + " waiting = NULL WHERE id = ? AND (state = 'offered' AND assignee = ? OR state = 'queued' AND " + BELOW_WIP + ")",
                    session, now, leaseUntil, deadline, id, session, session, session) == 1;
            if (ok) {
                Jdbc.update(c, "UPDATE sessions SET last_assigned = ?" + (bySession ? ", last_heartbeat = ?" : "") + " WHERE id = ?",
                        bySession ? new Object[] {now, now, session} : new Object[] {now, session});
            }
            return ok;
        });
    }

    /** Done by its holder (an offered ticket counts as claimed and done at once). */
    public boolean done(long id, String session, Instant now) {
        return db.update("closing ticket #" + id, "UPDATE tickets SET state = 'done', open_key = NULL, closed_at = ?,"
                + " close_reason = 'done by ' || ?, claimed_at = COALESCE(claimed_at, ?) WHERE id = ? AND assignee = ?"
                + " AND state IN ('offered', 'claimed')", now, session, now, id, session) == 1;
    }

    public boolean progress(long id, String session, String note, Integer percent, Instant now, Instant leaseUntil) {
        return db.transaction("recording progress on ticket #" + id, c -> {
            boolean ok = Jdbc.update(c, "UPDATE tickets SET note = COALESCE(?, note), percent = COALESCE(?, percent), lease_expires = ?"
                    + " WHERE id = ? AND assignee = ? AND state = 'claimed'", note, new Jdbc.Typed(percent, java.sql.Types.INTEGER),
                    leaseUntil, id, session) == 1;
            if (ok) {
                Jdbc.update(c, "UPDATE sessions SET last_heartbeat = ? WHERE id = ?", now, session);
            }
            return ok;
        });
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
        return db.transaction("taking back ticket #" + id, c -> {
            List<Ticket> found = Jdbc.list(c, "SELECT " + COLS + " FROM tickets WHERE id = ? FOR UPDATE", TicketStore::ticket, id);
            if (found.isEmpty() || !from.contains(found.get(0).state()) || !holder.equals(found.get(0).assignee())) {
                return Optional.<Ticket>empty();
            }
            Ticket t = found.get(0);
            boolean due = t.leaseExpires() != null && !now.isBefore(t.leaseExpires()) || t.deadline() != null && !now.isBefore(t.deadline());
            if (onlyIfDue && !due) {
                return Optional.<Ticket>empty();
            }
            Jdbc.update(c, "UPDATE tickets SET state = ?, open_key = NULL, closed_at = ?, close_reason = ? WHERE id = ?", to.label(), now,
                    reason, id);
            return Optional.of(open(c, t.service(), t.kind(), t.tree(), withSkipped(t.skip(), holder), now));
        });
    }

    /** Opens a queued ticket on {@code c} (inside the caller's transaction) and returns it. */
    private static Ticket open(Connection c, String service, Ticket.Kind kind, String tree, Set<String> skip, Instant now) throws SQLException {
        String key = service + "/" + kind.label();
        Jdbc.update(c, "INSERT INTO tickets (service, kind, tree, state, open_key, skip, created_at) VALUES (?,?,?,'queued',?,?,?)",
                service, kind.label(), tree, key, skipColumn(skip), now);
        return Jdbc.list(c, "SELECT " + COLS + " FROM tickets WHERE open_key = ?", TicketStore::ticket, key).get(0);
    }

    public boolean supersede(long id, String reason, Instant now) {
        return db.update("closing ticket #" + id, "UPDATE tickets SET state = 'superseded', open_key = NULL, closed_at = ?, close_reason = ?"
                + " WHERE id = ? AND open_key IS NOT NULL", now, reason, id) == 1;
    }

    /** Why each queued ticket waits, in one transaction (a bulk change queues thousands at once). */
    public void setWaitingAll(Map<Long, String> waiting) {
        if (waiting.isEmpty()) {
            return;
        }
        db.transaction("recording why " + waiting.size() + " tickets wait", c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE tickets SET waiting = ? WHERE id = ? AND state = 'queued'")) {
                for (Map.Entry<Long, String> e : waiting.entrySet()) {
                    Jdbc.bind(ps, e.getValue(), e.getKey());
                    ps.addBatch();
                }
                return ps.executeBatch();
            }
        });
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
        // one per (service, kind) in the batch: a batch's later row need not see its earlier ones
        Map<String, Opening> unique = new java.util.LinkedHashMap<>();
        openings.forEach(o -> unique.putIfAbsent(o.service() + "/" + o.kind().label(), o));
        List<Opening> distinct = new ArrayList<>(unique.values());
        return db.transaction("opening " + distinct.size() + " tickets", c -> {
            List<Opening> inserted = new ArrayList<>();
            try (PreparedStatement ins = c.prepareStatement("INSERT INTO tickets (service, kind, tree, state, open_key, skip, note,"
                    + " created_at) SELECT ?,?,?,'queued',?,'',?,? FROM (VALUES (1)) AS one (x)"
                    + " WHERE NOT EXISTS (SELECT 1 FROM tickets WHERE open_key = ?)")) {
                for (Opening o : distinct) {
                    String key = o.service() + "/" + o.kind().label();
                    Jdbc.bind(ins, o.service(), o.kind().label(), o.tree(), key, o.note() == null || o.note().length() <= 2000 ? o.note()
                            : o.note().substring(0, 2000), now, key);
                    ins.addBatch();
                }
                int[] counts = ins.executeBatch();
                for (int i = 0; i < counts.length; i++) {
                    if (counts[i] > 0 || counts[i] == Statement.SUCCESS_NO_INFO) {
                        inserted.add(distinct.get(i)); // 0: an open ticket of that kind was there already
                    }
                }
            }
            List<Ticket> out = new ArrayList<>(inserted.size());
            for (int from = 0; from < inserted.size(); from += 500) {
                List<Opening> part = inserted.subList(from, Math.min(inserted.size(), from + 500));
                out.addAll(Jdbc.list(c, "SELECT " + COLS + " FROM tickets WHERE open_key IN (" + String.join(",", Collections.nCopies(part.size(), "?"))
                        + ")", TicketStore::ticket, part.stream().map(o -> (Object) (o.service() + "/" + o.kind().label())).toArray()));
            }
            return out;
        });
    }

    /** One finished ticket: who, what kind, how long from claim to done. */
    public record Finished(String assignee, Ticket.Kind kind, String service, Instant claimedAt, Instant closedAt) {
    }

    /** Done tickets closed after {@code since}, oldest first. */
    public List<Finished> finished(Instant since) {
        return db.list("reading finished tickets", "SELECT assignee, kind, service, claimed_at, closed_at FROM tickets"
                + " WHERE state = 'done' AND closed_at >= ? ORDER BY closed_at", rs -> new Finished(rs.getString(1),
                Ticket.Kind.parse(rs.getString(2)), rs.getString(3), Jdbc.instant(rs, 4), Jdbc.instant(rs, 5)), since);
    }

    /** A ticket done for one exact tree of a service. */
    public record DoneWork(long id, String assignee, Instant closedAt) {
    }

    /** Done tickets closed after {@code since}, keyed "service/kind/tree": work finished for that exact tree. */
    public Map<String, DoneWork> doneFor(Instant since) {
        Map<String, DoneWork> out = new HashMap<>();
        db.list("reading done tickets", "SELECT service, kind, tree, id, assignee, closed_at FROM tickets WHERE state = 'done'"
                + " AND closed_at >= ? ORDER BY id", rs -> Map.entry(rs.getString(1) + "/" + rs.getString(2) + "/" + rs.getString(3),
                new DoneWork(rs.getLong(4), rs.getString(5), Jdbc.instant(rs, 6))), since).forEach(e -> out.put(e.getKey(), e.getValue()));
        return out;
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

    private static Set<String> withSkipped(List<String> skip, String session) {
        Set<String> out = new LinkedHashSet<>(skip);
        out.add(session);
        return out;
    }

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

    private static Ticket ticket(ResultSet rs) throws SQLException {
        String skip = rs.getString(7);
        return new Ticket(rs.getLong(1), rs.getString(2), Ticket.Kind.parse(rs.getString(3)), rs.getString(4),
                Ticket.State.parse(rs.getString(5)), rs.getString(6), skip == null || skip.isEmpty() ? List.of() : Arrays.asList(skip.split(",")),
                rs.getString(8), rs.getString(9), (Integer) rs.getObject(10), Jdbc.instant(rs, 11), Jdbc.instant(rs, 12), Jdbc.instant(rs, 13),
                Jdbc.instant(rs, 14), Jdbc.instant(rs, 15), Jdbc.instant(rs, 16), Jdbc.instant(rs, 17), rs.getString(18));
    }
}
