package dev.assemblyline.store;

import com.zaxxer.hikari.SQLExceptionOverride;
import java.sql.SQLException;

/**
 * Tells the pool that a connection to a database H2 has closed (after a disk-full or other I/O error,
 * error 90098 "The database has been closed") is dead. Without it the pool keeps handing out connections
 * to the closed database forever; with it they are evicted, and the next one opens the file again once
 * the disk has room, so the coordinator heals without a restart (docs/reliability.md).
 */
public final class EvictBrokenConnections implements SQLExceptionOverride {
    /** H2's DATABASE_IS_CLOSED, and its file I/O errors (a database that may be closed under us). */
    private static final java.util.Set<Integer> H2_DEAD = java.util.Set.of(90098, 90028, 90030, 90031, 90121);

    @java.lang.Override
    public SQLExceptionOverride.Override adjudicate(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s && (H2_DEAD.contains(s.getErrorCode())
                    || s.getSQLState() != null && (s.getSQLState().startsWith("08") || H2_DEAD.contains(parse(s.getSQLState()))))) {
                return SQLExceptionOverride.Override.MUST_EVICT;
            }
        }
        return SQLExceptionOverride.Override.CONTINUE_EVICT;
    }

    private static int parse(String state) {
        try {
            return Integer.parseInt(state);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
