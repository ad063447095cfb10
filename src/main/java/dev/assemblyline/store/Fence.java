package dev.assemblyline.store;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * This process's fencing number on PostgreSQL (docs/SCALING.md, "Fencing"): while it leads, every
 * connection it takes from the pool carries its epoch in the session setting {@code assembly.epoch}, and
 * the database refuses any write from it once a newer leader has raised the epoch (SQLSTATE
 * {@value #FENCED}). Zero while it only follows: its writes (webhooks, claims, Slack) are not fenced. The
 * setting is sent once per physical connection and change of epoch, not per use.
 */
public final class Fence {
    /** SQLSTATE raised by the database for a write of a replica that no longer leads. */
    public static final String FENCED = "AL001";

    private volatile long epoch;
    private final Map<Object, Long> applied = Collections.synchronizedMap(new WeakHashMap<>());

    /** The epoch this process writes at, 0 when it does not lead. */
    public long epoch() {
        return epoch;
    }

    /** Writes from now on carry {@code epoch} (0: not fenced). */
    public void set(long epoch) {
        this.epoch = epoch;
    }

    /** Whether a failure is the database refusing a write of a replica that no longer leads. */
    public static boolean fenced(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s && FENCED.equals(s.getSQLState())) {
                return true;
            }
        }
        return false;
    }

    /** The pool as the stores see it: each connection's setting brought in line with the epoch before use. */
    DataSource over(DataSource pool) {
        return new DataSource() {
            @Override
            public Connection getConnection() throws SQLException {
                return apply(pool.getConnection());
            }

            @Override
            public Connection getConnection(String user, String password) throws SQLException {
                return apply(pool.getConnection(user, password));
            }

            @Override
            public PrintWriter getLogWriter() throws SQLException {
                return pool.getLogWriter();
            }

            @Override
            public void setLogWriter(PrintWriter out) throws SQLException {
                pool.setLogWriter(out);
            }

            @Override
            public void setLoginTimeout(int seconds) throws SQLException {
                pool.setLoginTimeout(seconds);
            }

            @Override
            public int getLoginTimeout() throws SQLException {
                return pool.getLoginTimeout();
            }

            @Override
            public Logger getParentLogger() throws SQLFeatureNotSupportedException {
                return pool.getParentLogger();
            }

            @Override
            public <T> T unwrap(Class<T> iface) throws SQLException {
                return pool.unwrap(iface);
            }

            @Override
            public boolean isWrapperFor(Class<?> iface) throws SQLException {
                return pool.isWrapperFor(iface);
            }
        };
    }

    private Connection apply(Connection c) throws SQLException {
        long e = epoch;
        try {
            Object physical = c.unwrap(org.postgresql.PGConnection.class);
            Long was = applied.get(physical);
            if (was == null || was != e) {
                try (PreparedStatement ps = c.prepareStatement("SELECT set_config('assembly.epoch', ?, false)")) {
                    ps.setString(1, e == 0 ? "" : Long.toString(e));
                    ps.execute();
                }
                if (!c.getAutoCommit()) {
                    c.commit();
                }
                applied.put(physical, e);
            }
            return c;
        } catch (SQLException | RuntimeException ex) {
            c.close();
            throw ex;
        }
    }
}
