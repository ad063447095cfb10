package dev.assemblyline.store;

import java.io.PrintWriter;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.Locale;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * H2's answer to "is it on disk?". With {@code WRITE_DELAY=0}, H2 2.x ends a transaction with
 * {@code MVStore.tryCommit()}, which gives up when another thread is storing at that moment; the change
 * then waits in memory for the next store, and a kill -9 in between loses a write that was already
 * acknowledged (a claim answered 200 came back "offered"). So a connection that wrote runs
 * {@code CHECKPOINT} (a blocking {@code MVStore.commit()}, no fsync) before it goes back to the pool:
 * every caller closes its connection before it answers, so an answer always follows the store. When the
 * transaction's own store went through, the checkpoint finds nothing to do. See docs/reliability.md.
 */
final class DurableH2 implements DataSource {
    private final DataSource pool;

    DurableH2(DataSource pool) {
        this.pool = pool;
    }

    @Override
    public Connection getConnection() throws SQLException {
        return wrap(pool.getConnection());
    }

    @Override
    public Connection getConnection(String user, String password) throws SQLException {
        return wrap(pool.getConnection(user, password));
    }

    private static Connection wrap(Connection c) {
        return (Connection) Proxy.newProxyInstance(DurableH2.class.getClassLoader(), new Class<?>[] {Connection.class}, new Handler(c));
    }

    private static final class Handler implements InvocationHandler {
        private final Connection c;
        private boolean wrote;

        Handler(Connection c) {
            this.c = c;
        }

        @Override
        public Object invoke(Object proxy, Method m, Object[] args) throws Throwable {
            String name = m.getName();
            if (name.equals("equals") && args != null && args.length == 1) {
                return proxy == args[0];
            }
            if (name.equals("hashCode") && (args == null || args.length == 0)) {
                return System.identityHashCode(proxy);
            }
            if (name.equals("close") && (args == null || args.length == 0)) {
                try {
                    if (wrote && !c.isClosed() && c.getAutoCommit()) {
                        try (Statement s = c.createStatement()) {
                            s.execute("CHECKPOINT");
                        }
                    }
                } finally {
                    c.close();
                }
                return null;
            }
            if ((name.equals("prepareStatement") || name.equals("prepareCall")) && args != null && args[0] instanceof String sql && writes(sql)) {
                wrote = true;
            } else if (name.equals("createStatement")) {
                wrote = true; // a plain statement may write anything
            } else if (name.equals("unwrap") && args != null && args[0] == Connection.class) {
                return proxy;
            }
            try {
                Object out = m.invoke(c, args);
                if (name.equals("commit")) {
                    // committed explicitly: make it durable now, so the caller's answer follows the store
                    try (Statement s = c.createStatement()) {
                        s.execute("CHECKPOINT");
                    }
                    wrote = false;
                } else if (name.equals("rollback") && (args == null || args.length == 0)) {
                    wrote = false;
                }
                return out;
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        }

        private static boolean writes(String sql) {
            String s = sql.stripLeading().toUpperCase(Locale.ROOT);
            return !s.startsWith("SELECT") && !s.startsWith("VALUES") && !s.startsWith("WITH") && !s.startsWith("EXPLAIN");
        }
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
        return iface.isInstance(this) ? iface.cast(this) : pool.unwrap(iface);
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) throws SQLException {
        return iface.isInstance(this) || pool.isWrapperFor(iface);
    }
}
