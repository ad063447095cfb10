package dev.assemblyline.store;

import dev.assemblyline.model.Facts;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Deployments and health checks. */
public final class OpsStore {
    private final Jdbc db;

    private static final java.time.Duration WINDOW = java.time.Duration.ofDays(7);

    public OpsStore(Jdbc db) {
        this.db = db;
        backfill();
    }

    /** One deployment attempt. */
    public record Deployment(String service, String tree, boolean ok, String byWhat, Instant at) {
    }

    public void deployed(String service, String tree, boolean ok, String byWhat, String output, Instant now) {
        db.update("recording a deployment of " + service, "INSERT INTO deployments (service, tree, ok, by_what, output, at) VALUES (?,?,?,?,?,?)",
                service, tree, ok, byWhat, Jdbc.tail(output, 100_000), now);
    }

    /** The newest deployment attempt of every service. */
    public Map<String, Deployment> latestDeployments() {
        Map<String, Deployment> out = new HashMap<>();
        db.list("reading deployments", "SELECT service, tree, ok, by_what, at FROM deployments ORDER BY id",
                rs -> new Deployment(rs.getString(1), rs.getString(2), rs.getBoolean(3), rs.getString(4), Jdbc.instant(rs, 5)))
                .forEach(d -> out.put(d.service(), d));
        return out;
    }

    /** A health verdict before and after a check. */
    public record Transition(Facts.Health before, Facts.Health after) {
    }

    /**
     * Records a check and moves the service's verdict on in the same transaction: the newest two checks
     * agreeing decide it; otherwise the verdict the older checks reached stands (see {@link #verdict}).
     */
    public Transition checked(String service, boolean ok, String detail, Instant now) {
        return db.transaction("recording a health check of " + service, c -> record(c, service, ok, detail, now));
    }

    /** One health check to record. */
    public record NewCheck(String service, boolean ok, String detail) {
    }

    /**
     * Records checks made together, each as {@link #checked} does, in one transaction: a round of checks of
     * many services is one write to the database, not one each.
     */
    public Map<String, Transition> checkedAll(List<NewCheck> checks, Instant now) {
        if (checks.isEmpty()) {
            return Map.of();
        }
        return db.transaction("recording " + checks.size() + " health checks", c -> {
            Map<String, Transition> out = new java.util.LinkedHashMap<>();
            for (NewCheck k : checks) {
                out.put(k.service(), record(c, k.service(), k.ok(), k.detail(), now));
            }
            return out;
        });
    }

    private Transition record(java.sql.Connection c, String service, boolean ok, String detail, Instant now) throws java.sql.SQLException {
        Facts.Health before = null;
        boolean lastOk = false;
        boolean paired = false;
        boolean known = false;
        for (Object[] row : Jdbc.list(c, "SELECT last_ok, paired, verdict, at FROM health_verdicts WHERE service = ?",
                rs -> new Object[] {rs.getBoolean(1), rs.getBoolean(2), rs.getString(3), Jdbc.instant(rs, 4)}, service)) {
            known = true;
            lastOk = (Boolean) row[0];
            paired = (Boolean) row[1];
            before = ((Instant) row[3]).isBefore(now.minus(WINDOW)) ? null : Facts.Health.valueOf((String) row[2]);
            if (before == null) {
                known = false; // a week without checks: the old ones say nothing
            }
        }
        Jdbc.update(c, "INSERT INTO health_checks (service, ok, detail, at) VALUES (?,?,?,?)",
                service, ok, detail == null || detail.length() <= 500 ? detail : detail.substring(0, 500), now);
        Facts.Health after;
        if (known && lastOk == ok) {
            paired = true;
            after = ok ? Facts.Health.HEALTHY : Facts.Health.UNHEALTHY;
        } else if (known && paired) {
            after = before;
        } else {
            paired = false;
            after = ok ? Facts.Health.HEALTHY : Facts.Health.UNKNOWN;
        }
        Jdbc.update(c, db.upsert("health_verdicts", List.of("service"), List.of("service", "last_ok", "paired", "verdict", "at")),
                service, ok, paired, after.name(), now);
        return new Transition(before, after);
    }

    /** The newest checks of a service, newest first. */
    public List<Boolean> recentChecks(String service, int n) {
        return db.list("reading health checks", "SELECT ok FROM health_checks WHERE service = ? ORDER BY id DESC FETCH FIRST " + n
                + " ROWS ONLY", rs -> rs.getBoolean(1), service);
    }

    /**
     * Health as a fact: two failures in a row make it unhealthy, two successes in a row healthy again.
     * Services without a check in the last week are absent. One row per service, kept by {@link #checked}.
     */
    public Map<String, Facts.Health> health(Instant now) {
        Map<String, Facts.Health> out = new HashMap<>();
        db.list("reading health verdicts", "SELECT service, verdict FROM health_verdicts WHERE at >= ?",
                rs -> Map.entry(rs.getString(1), Facts.Health.valueOf(rs.getString(2))), now.minus(WINDOW))
                .forEach(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }

    /** Fills in the verdicts of services checked before the verdict table existed, from their newest checks. */
    private void backfill() {
        if (db.count("counting health verdicts", "SELECT COUNT(*) FROM health_verdicts") > 0) {
            return; // filled in once; every check since keeps its service's row
        }
        List<String> missing = db.list("finding services without a health verdict", "SELECT DISTINCT service FROM health_checks"
                + " WHERE service NOT IN (SELECT service FROM health_verdicts)", rs -> rs.getString(1));
        for (String service : missing) {
            List<Boolean> newest = recentChecks(service, 50);
            Instant at = db.first("reading the newest check of " + service, "SELECT at FROM health_checks WHERE service = ? ORDER BY id DESC"
                    + " FETCH FIRST 1 ROWS ONLY", rs -> Jdbc.instant(rs, 1), service).orElseThrow();
            boolean paired = false;
            for (int i = 0; i + 1 < newest.size(); i++) {
                paired |= newest.get(i).equals(newest.get(i + 1));
            }
            db.update("filling in the health verdict of " + service, db.upsert("health_verdicts", List.of("service"),
                    List.of("service", "last_ok", "paired", "verdict", "at")), service, newest.get(0), paired, verdict(newest).name(), at);
        }
    }

    /** Newest first: the first pair of equal neighbours decides; with none, the newest check does. */
    static Facts.Health verdict(List<Boolean> newestFirst) {
        for (int i = 0; i + 1 < newestFirst.size(); i++) {
            if (newestFirst.get(i).equals(newestFirst.get(i + 1))) {
                return newestFirst.get(i) ? Facts.Health.HEALTHY : Facts.Health.UNHEALTHY;
            }
        }
        return newestFirst.isEmpty() ? Facts.Health.UNKNOWN : newestFirst.get(0) ? Facts.Health.HEALTHY : Facts.Health.UNKNOWN;
    }

    /** Every service's share of passing checks since {@code since}, in percent (services without checks are absent). */
    public Map<String, Double> uptimes(Instant since) {
        Map<String, Double> out = new HashMap<>();
        db.list("computing uptime", "SELECT service, COUNT(*), SUM(CASE WHEN ok THEN 1 ELSE 0 END) FROM health_checks WHERE at >= ?"
                + " GROUP BY service", rs -> Map.entry(rs.getString(1), Math.round(rs.getLong(3) * 10000.0 / rs.getLong(2)) / 100.0), since)
                .forEach(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }

    /** One health check, for a service's history. */
    public record Check(boolean ok, String detail, Instant at) {
    }

    /** The newest checks of a service with their details, newest first. */
    public List<Check> checks(String service, int n) {
        return db.list("reading health checks", "SELECT ok, detail, at FROM health_checks WHERE service = ? ORDER BY id DESC FETCH FIRST "
                + n + " ROWS ONLY", rs -> new Check(rs.getBoolean(1), rs.getString(2), Jdbc.instant(rs, 3)), service);
    }

    /** The newest deployments of a service, newest first. */
    public List<Deployment> deployments(String service, int n) {
        return db.list("reading deployments", "SELECT service, tree, ok, by_what, at FROM deployments WHERE service = ? ORDER BY id DESC"
                + " FETCH FIRST " + n + " ROWS ONLY", rs -> new Deployment(rs.getString(1), rs.getString(2), rs.getBoolean(3),
                rs.getString(4), Jdbc.instant(rs, 5)), service);
    }

    /** Share of passing checks since {@code since}, in percent; null without checks. */
    public Double uptime(String service, Instant since) {
        return db.first("computing uptime", "SELECT COUNT(*), SUM(CASE WHEN ok THEN 1 ELSE 0 END) FROM health_checks"
                + " WHERE service = ? AND at >= ?", rs -> {
                    long all = rs.getLong(1);
                    return all == 0 ? null : Math.round(rs.getLong(2) * 10000.0 / all) / 100.0;
                }, service, since).orElse(null);
    }
}
