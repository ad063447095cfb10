package dev.assemblyline.store;

import dev.assemblyline.model.CiVerdict;
import java.sql.Types;
import java.time.Instant;
import java.util.List;

/** The team's CI verdicts, per commit and check (docs/ci.md). */
public final class CiStore {
    private final Jdbc db;
    private final String upsert;

    public CiStore(Jdbc db) {
        this.db = db;
        this.upsert = db.upsert("ci_checks", List.of("forge", "commit_sha", "context"), List.of("state", "url", "summary", "tests", "failed",
                "skipped", "coverage", "received_at", "applied_at", "forge", "commit_sha", "context"));
    }

    /** A stored verdict and when it came. */
    public record Check(long id, CiVerdict verdict, Instant receivedAt) {
    }

    /** Keeps the verdicts (a check's newer state replaces its older one), to be applied. Committed on return. */
    public void record(List<CiVerdict> verdicts, Instant now) {
        db.transaction("storing " + verdicts.size() + " CI verdicts", c -> {
            for (CiVerdict v : verdicts) {
                String commit = v.commit().toLowerCase(java.util.Locale.ROOT);
                if (CiVerdict.PENDING.equals(v.state()) && !Jdbc.list(c, "SELECT state FROM ci_checks WHERE forge = ? AND commit_sha = ?"
                        + " AND context = ? AND state <> 'pending'", rs -> 1, v.forge(), commit, v.context()).isEmpty()) {
                    continue; // "queued" delivered after "completed": the verdict stands
                }
                Jdbc.update(c, upsert, v.state(), Jdbc.head(v.url(), 1000), Jdbc.head(v.summary(), 2000), new Jdbc.Typed(v.tests(), Types.INTEGER),
                        new Jdbc.Typed(v.failed(), Types.INTEGER), new Jdbc.Typed(v.skipped(), Types.INTEGER),
                        new Jdbc.Typed(v.coverage(), Types.DOUBLE), now, new Jdbc.Typed(null, Types.TIMESTAMP_WITH_TIMEZONE),
                        v.forge(), commit, v.context());
            }
            return null;
        });
    }

    /**
     * Verdicts not applied yet, oldest first: the newest {@code limit} and the oldest tenth of that, so verdicts
     * waiting for a commit that has not come (a fork's) neither hide newer ones nor are kept past their hour.
     */
    public List<Check> pending(int limit) {
        java.util.TreeMap<Long, Check> out = new java.util.TreeMap<>();
        for (Check c : db.list("reading CI verdicts", "SELECT " + COLS + " FROM ci_checks WHERE applied_at IS NULL ORDER BY id DESC FETCH FIRST "
                + limit + " ROWS ONLY", CiStore::check)) {
            out.put(c.id(), c);
        }
        if (out.size() == limit) {
            for (Check c : db.list("reading CI verdicts", "SELECT " + COLS + " FROM ci_checks WHERE applied_at IS NULL ORDER BY id FETCH FIRST "
                    + Math.max(1, limit / 10) + " ROWS ONLY", CiStore::check)) {
                out.put(c.id(), c);
            }
        }
        return List.copyOf(out.values());
    }

    /** Every check reported on a commit. */
    public List<Check> onCommit(String commit) {
        return db.list("reading CI verdicts", "SELECT " + COLS + " FROM ci_checks WHERE commit_sha = ? ORDER BY id", CiStore::check, commit);
    }

    /** Settles a verdict as read: a newer state of the same check that came meanwhile stays to be applied. */
    public void applied(Check check, Instant now) {
        db.update("settling a CI verdict", "UPDATE ci_checks SET applied_at = ? WHERE id = ? AND received_at = ?", now, check.id(), check.receivedAt());
    }

    private static final String COLS = "id, forge, commit_sha, context, state, url, summary, tests, failed, skipped, coverage, received_at";

    private static Check check(java.sql.ResultSet rs) throws java.sql.SQLException {
        return new Check(rs.getLong(1), new CiVerdict(rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5), rs.getString(6),
                rs.getString(7), (Integer) rs.getObject(8), (Integer) rs.getObject(9), (Integer) rs.getObject(10),
                rs.getObject(11) == null ? null : rs.getDouble(11)), Jdbc.instant(rs, 12));
    }
}
