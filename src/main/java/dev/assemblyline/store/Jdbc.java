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
import java.util.stream.Collectors;
import javax.sql.DataSource;

/**
 * The one data-access helper every store uses: a statement with its arguments bound, rows read by a
 * lambda, a transaction that commits or rolls back, times stored as UTC offsets, and upserts written the
 * way each database does them ({@code MERGE … KEY} on H2, {@code INSERT … ON CONFLICT} on PostgreSQL).
 * Every failure becomes a {@link StoreException} that says what was being done.
 * See docs/ARCHITECTURE.md, "Transactions".
 */
public final class Jdbc {
    /** SQLSTATE of a unique-constraint violation, the same on H2 and PostgreSQL. */
    static final String UNIQUE_VIOLATION = "23505";

    /** Reads one row. */
    @FunctionalInterface
    public interface Row<T> {
        T read(ResultSet rs) throws SQLException;
    }

    /** Work on one connection. */
    @FunctionalInterface
    public interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    /** A value bound with an explicit SQL type (a null the database cannot type by itself). */
    public record Typed(Object value, int sqlType) {
    }

    private final DataSource ds;
    private final boolean postgres;

    public Jdbc(DataSource ds, boolean postgres) {
        this.ds = ds;
        this.postgres = postgres;
    }

    public boolean isPostgres() {
        return postgres;
    }

    /** Runs {@code work} on a connection in auto-commit mode; {@code what} names it in the error. */
    public <T> T connection(String what, Work<T> work) {
        try (Connection c = ds.getConnection()) {
            return work.run(c);
        } catch (SQLException e) {
            throw new StoreException(what, e);
        }
    }

    /**
     * Runs {@code work} in one transaction: committed when it returns, rolled back when it throws. On H2 a
     * transaction that met another's uncommitted change of the same row (CONCURRENT_UPDATE, 90131: two
     * upserts of one new key at once) is run once more, from the start, on a fresh connection.
     */
    public <T> T transaction(String what, Work<T> work) {
        try {
            return attempt(what, work);
        } catch (StoreException e) {
            if (!postgres && e.getCause() instanceof SQLException s && "90131".equals(s.getSQLState())) {
                return attempt(what, work);
            }
            throw e;
        }
    }

    private <T> T attempt(String what, Work<T> work) {
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try {
                T out = work.run(c);
                c.commit();
                return out;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new StoreException(what, e);
        }
    }

    public int update(String what, String sql, Object... args) {
        return connection(what, c -> update(c, sql, args));
    }

    public <T> List<T> list(String what, String sql, Row<T> row, Object... args) {
        return connection(what, c -> list(c, sql, row, args));
    }

    public <T> Optional<T> first(String what, String sql, Row<T> row, Object... args) {
        List<T> rows = list(what, sql, row, args);
        return rows.isEmpty() ? Optional.empty() : Optional.ofNullable(rows.get(0));
    }

    /** The first column of the first row as a number (a COUNT). */
    public long count(String what, String sql, Object... args) {
        return first(what, sql, rs -> rs.getLong(1), args).orElse(0L);
    }

    public static int update(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, args);
            return ps.executeUpdate();
        }
    }

    public static <T> List<T> list(Connection c, String sql, Row<T> row, Object... args) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, args);
            try (ResultSet rs = ps.executeQuery()) {
                List<T> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(row.read(rs));
                }
                return out;
            }
        }
    }

    /** Binds arguments in order; an {@link Instant} is stored as a UTC {@link OffsetDateTime}. */
    public static void bind(PreparedStatement ps, Object... args) throws SQLException {
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            if (a instanceof Typed t) {
                ps.setObject(i + 1, t.value(), t.sqlType());
            } else {
                ps.setObject(i + 1, a instanceof Instant t ? ts(t) : a);
            }
        }
    }

    /**
     * An upsert of one row: {@code columns} in this order as parameters; a row with the same {@code key}
     * columns gets the others replaced. One statement (no window between a failed UPDATE and an INSERT);
     * two writers of the same new key at once: PostgreSQL serialises them, H2 fails one with
     * CONCURRENT_UPDATE, which {@link #transaction} runs again.
     */
    public String upsert(String table, List<String> key, List<String> columns) {
        String cols = String.join(", ", columns);
        String marks = columns.stream().map(c -> "?").collect(Collectors.joining(","));
        if (!postgres) {
            return "MERGE INTO " + table + " (" + cols + ") KEY (" + String.join(", ", key) + ") VALUES (" + marks + ")";
        }
        String set = columns.stream().filter(c -> !key.contains(c)).map(c -> c + " = EXCLUDED." + c).collect(Collectors.joining(", "));
        return "INSERT INTO " + table + " (" + cols + ") VALUES (" + marks + ") ON CONFLICT (" + String.join(", ", key) + ") DO "
                + (set.isEmpty() ? "NOTHING" : "UPDATE SET " + set);
    }

    public static boolean uniqueViolation(SQLException e) {
        return UNIQUE_VIOLATION.equals(e.getSQLState());
    }

    public static OffsetDateTime ts(Instant i) {
        return i == null ? null : OffsetDateTime.ofInstant(i, ZoneOffset.UTC);
    }

    public static Instant instant(ResultSet rs, int col) throws SQLException {
        OffsetDateTime t = rs.getObject(col, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }

    /** At most {@code max} characters, the start kept and an ellipsis where it was cut. */
    public static String head(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max - 1) + "…";
    }

    /** At most {@code max} characters, the end kept (an output's last lines say most). */
    public static String tail(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(s.length() - max);
    }
}
