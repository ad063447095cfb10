package dev.assemblyline.pipeline;

import dev.assemblyline.store.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which replica leads, on PostgreSQL (docs/SCALING.md). Every replica answers webhooks, Slack, the API
 * and the dashboard; the leader alone runs the reconcile loop, the outbox, test runs and health checks.
 * <ul>
 * <li>The leader holds a session advisory lock on a connection of its own, and renews a lease row on it
 *     every second with the database's clock. A renewal that fails or finds another replica named in
 *     the lease ends its leadership at once.</li>
 * <li>A follower tries the lock each second. The lock is free as soon as a dead leader's connection
 *     closes (kill -9: at once). A leader that stopped renewing for {@code lease} (paused, cut off)
 *     still holds it: the follower ends that replica's database sessions, which frees it.</li>
 * <li>A new leader raises the fencing number ({@code leader_fence.epoch}) before it decides anything;
 *     every write from a connection carrying an older epoch is refused by the database (see
 *     {@link dev.assemblyline.store.Fence}), so a paused old leader that wakes up writes nothing.</li>
 * </ul>
 * Followers tell the leader about news (a webhook stored, a claim) with {@code NOTIFY assembly}; the
 * leader listens on the same connection and passes it on to its loop.
 */
public final class Leadership extends Worker {
    private static final Logger LOG = LoggerFactory.getLogger(Leadership.class);
    /** The advisory lock's key: "asmbline". */
    public static final long LOCK = 0x61736d626c696e65L;
    public static final String CHANNEL = "assembly";

    /** What the process does as leader and as follower. */
    public interface Role {
        /** Start leading at {@code epoch}: the fence is already raised in the database. */
        void lead(long epoch);

        /**
         * Stop leading (and stay a follower). True once everything the leader ran has stopped; until then
         * this process keeps its old epoch, so whatever still runs is refused by the database.
         */
        boolean follow(String why);
    }

    /** The lease as last read: who leads, at what epoch, and how long ago it renewed. */
    public record Lease(String replica, long epoch, double ageSeconds) {
    }

    private final Database db;
    private final String replica;
    private final Duration lease;
    private final Role role;
    private final Consumer<String> onNotice;
    private Connection conn;
    private volatile long epoch;
    /** When the last renewal that succeeded was sent (System.nanoTime). */
    private volatile long renewedAt;
    private volatile boolean stepping;
    private volatile Lease seen = new Lease(null, 0, 0);
    private volatile long takeovers;

    /**
     * @param lease    how long a leader may go without renewing before a follower takes over (ASSEMBLY_LEADER_LEASE)
     * @param onNotice what a follower's NOTIFY said ("inbox", "changed", "recheck:billing"), on the leader
     */
    public Leadership(Database db, String replica, Duration lease, Role role, Consumer<String> onNotice) {
        super("leadership", Duration.ofSeconds(6));
        this.db = db;
        this.replica = replica;
        this.lease = lease;
        this.role = role;
        this.onNotice = onNotice;
    }

    /** This replica's name. */
    public String replica() {
        return replica;
    }

    /** Whether this replica leads now. */
    public boolean leads() {
        return epoch != 0;
    }

    /** The epoch this replica leads at, 0 when it follows. */
    public long epoch() {
        return epoch;
    }

    /**
     * Whether this replica may still act outside the database (post to Slack, push, start a process): it
     * leads and its last renewal is recent enough that no follower can have taken over yet, by its own
     * clock. A leader paused past its lease wakes up unsure, and does nothing until it knows.
     */
    public boolean sure() {
        return epoch != 0 && System.nanoTime() - renewedAt < lease.toNanos() - TimeUnit.SECONDS.toNanos(1);
    }

    /** Who leads, as last read (this replica's own lease while it leads). */
    public Lease lease() {
        return seen;
    }

    /** How many times this replica has taken over. */
    public long takeovers() {
        return takeovers;
    }

    @Override
    protected long round() {
        try {
            if (stepping) {
                if (!role.follow("still stopping")) {
                    return TimeUnit.SECONDS.toNanos(1);
                }
                stepping = false;
            }
            if (conn == null) {
                conn = db.dedicated();
                try (Statement s = conn.createStatement()) {
                    s.execute("LISTEN " + CHANNEL);
                }
            }
            if (epoch != 0) {
                renew();
            } else {
                tryToLead();
            }
        } catch (SQLException | RuntimeException e) {
            lost("the database did not answer (" + e.getMessage() + ")");
            closeConnection();
        }
        return TimeUnit.SECONDS.toNanos(1);
    }

    /** Waits for the next round, passing on what followers NOTIFY meanwhile (the leader only). */
    @Override
    protected void pause(long nanos) throws InterruptedException {
        Connection c = conn;
        if (c == null) {
            super.pause(nanos);
            return;
        }
        long until = System.nanoTime() + nanos;
        try {
            org.postgresql.PGConnection pg = c.unwrap(org.postgresql.PGConnection.class);
            long left;
            while ((left = until - System.nanoTime()) > 0) {
                org.postgresql.PGNotification[] got = pg.getNotifications((int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                if (got != null && epoch != 0) {
                    for (org.postgresql.PGNotification n : got) {
                        onNotice.accept(n.getParameter());
                    }
                }
                if (stopping()) {
                    return;
                }
            }
        } catch (SQLException e) {
            // the dedicated connection held the lock: without it this replica no longer leads
            lost("the connection holding the lock failed: " + e.getMessage());
            closeConnection(); // the next round reconnects and tries to lead again
        }
    }

    private volatile boolean closing;

    @Override
    protected void starting() {
        closing = false;
    }

    private boolean stopping() {
        return closing;
    }

    private void renew() throws SQLException {
        long sent = System.nanoTime();
        try (PreparedStatement ps = conn.prepareStatement("UPDATE leader_lease SET renewed_at = now() WHERE id = 1 AND epoch = ? AND replica = ?")) {
            ps.setQueryTimeout(3);
            ps.setLong(1, epoch);
            ps.setString(2, replica);
            if (ps.executeUpdate() == 1) {
                renewedAt = sent;
                seen = new Lease(replica, epoch, 0);
                return;
            }
        }
        Lease now = readLease();
        lost(now.replica() + " took over at epoch " + now.epoch());
    }

    private void tryToLead() throws SQLException {
        boolean got = tryLock();
        Lease current = readLease();
        seen = current;
        if (!got && current.replica() != null && current.ageSeconds() * 1000 > lease.toMillis()) {
            LOG.warn("{} leads but has not renewed its lease for {} s: ending its database sessions to take over",
                    current.replica(), Math.round(current.ageSeconds()));
            endSessionsOf(current.replica());
            for (int i = 0; i < 30 && !got; i++) { // a terminated backend lets its locks go within moments
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
                got = tryLock();
            }
        }
        if (!got) {
            return;
        }
        long was = current.epoch();
        long next = takeOver(current);
        takeovers++;
        renewedAt = System.nanoTime();
        epoch = next;
        seen = new Lease(replica, next, 0);
        LOG.info("this replica ({}) leads now at epoch {} (after {})", replica, next,
                current.replica() == null ? "no leader" : current.replica() + " at epoch " + was);
        role.lead(next);
    }

    private boolean tryLock() throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
            ps.setQueryTimeout(3);
            ps.setLong(1, LOCK);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    private Lease readLease() throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement(
                "SELECT replica, epoch, EXTRACT(EPOCH FROM (now() - renewed_at)) FROM leader_lease WHERE id = 1")) {
            ps.setQueryTimeout(3);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return new Lease(null, 0, 0);
                }
                return new Lease(rs.getString(1), rs.getLong(2), rs.getDouble(3));
            }
        }
    }

    /** Ends every database session of another replica (its pool and its lock), so nothing of it is left half done. */
    private void endSessionsOf(String other) throws SQLException {
        if (other == null || other.equals(replica)) {
            return;
        }
        try (PreparedStatement ps = conn.prepareStatement("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                + " WHERE application_name = ? AND pid <> pg_backend_pid() AND datname = current_database()")) {
            ps.setQueryTimeout(3);
            ps.setString(1, Database.applicationName(other));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                LOG.info("ended {} database sessions of {}", rs.getLong(1), other);
            }
        }
    }

    /**
     * With the lock held: raises the epoch under FOR UPDATE (it waits for writes in flight under the old
     * epoch to end) and names this replica in the lease. A previous leader paused inside a transaction
     * would hold up the fence: when the fence stays locked for 2 s, that replica's sessions are ended and
     * it is tried again (a replica that left cleanly, or came back as a follower, keeps its sessions).
     * Returns the new epoch.
     */
    private long takeOver(Lease previous) throws SQLException {
        try {
            return raiseEpoch("2s");
        } catch (SQLException e) {
            if (!"55P03".equals(e.getSQLState()) || previous.replica() == null) { // lock_not_available
                throw e;
            }
            LOG.warn("the fence is held by a transaction of {}: ending its database sessions", previous.replica());
            endSessionsOf(previous.replica());
            return raiseEpoch("5s");
        }
    }

    private long raiseEpoch(String lockTimeout) throws SQLException {
        conn.setAutoCommit(false);
        try (Statement s = conn.createStatement()) {
            s.setQueryTimeout(10);
            s.execute("SET LOCAL lock_timeout = '" + lockTimeout + "'");
            s.executeQuery("SELECT epoch FROM leader_fence WHERE id = 1 FOR UPDATE").close();
            long next;
            try (ResultSet rs = s.executeQuery("UPDATE leader_fence SET epoch = epoch + 1 WHERE id = 1 RETURNING epoch")) {
                rs.next();
                next = rs.getLong(1);
            }
            try (PreparedStatement ps = conn.prepareStatement("UPDATE leader_lease SET replica = ?, epoch = ?, backend_pid = pg_backend_pid(),"
                    + " since = now(), renewed_at = now() WHERE id = 1")) {
                ps.setString(1, replica);
                ps.setLong(2, next);
                ps.executeUpdate();
            }
            conn.commit();
            return next;
        } catch (SQLException e) {
            conn.rollback();
            throw e;
        } finally {
            conn.setAutoCommit(true);
        }
    }

    private void lost(String why) {
        if (epoch == 0) {
            return;
        }
        long was = epoch;
        epoch = 0;
        LOG.warn("this replica ({}) no longer leads (epoch {}): {}", replica, was, why);
        closeConnection(); // lets the lock go if the database still holds it
        stepping = !role.follow(why);
    }

    private void closeConnection() {
        Connection c = conn;
        conn = null;
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // it is gone either way
            }
        }
    }

    @Override
    public void close() {
        closing = true;
        super.close();
        if (epoch != 0) {
            epoch = 0;
            role.follow("shutting down");
        }
        closeConnection();
    }

    /**
     * Takes the lock for good, for a coordinator that must be alone on its database (the hosted repository):
     * the connection returned holds it until closed. Fails, saying why, when another process holds it.
     */
    public static Connection exclusive(Database db) {
        try {
            Connection c = db.dedicated();
            // a process just killed may hold it for a moment more, until the database sees its connection close
            for (long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10); ; LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200))) {
                try (PreparedStatement ps = c.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
                    ps.setLong(1, LOCK);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        if (rs.getBoolean(1)) {
                            return c;
                        }
                    }
                }
                if (System.nanoTime() > until) {
                    break;
                }
            }
            c.close();
        } catch (SQLException e) {
            throw new dev.assemblyline.store.StoreException("taking the coordinator's lock on the database", e);
        }
        throw new IllegalStateException("another coordinator already runs on this database. The hosted repository is a single-process"
                + " feature: run replicas in follow mode (ASSEMBLY_REPO_URL), see docs/SCALING.md");
    }
}
