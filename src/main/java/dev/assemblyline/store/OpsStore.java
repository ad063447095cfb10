package dev.assemblyline.store;

import dev.assemblyline.model.Facts;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Deployments and health checks. */
public final class OpsStore {
    private final Jdbc db;

    public OpsStore(Jdbc db) {
        this.db = db;
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

    public void checked(String service, boolean ok, String detail, Instant now) {
        db.update("recording a health check of " + service, "INSERT INTO health_checks (service, ok, detail, at) VALUES (?,?,?,?)",
                service, ok, detail == null || detail.length() <= 500 ? detail : detail.substring(0, 500), now);
    }

    /** The newest checks of a service, newest first. */
    public List<Boolean> recentChecks(String service, int n) {
        return db.list("reading health checks", "SELECT ok FROM health_checks WHERE service = ? ORDER BY id DESC FETCH FIRST " + n
                + " ROWS ONLY", rs -> rs.getBoolean(1), service);
    }

    private record ServiceCheck(String service, boolean ok) {
    }

    /** Health as a fact: two failures in a row make it unhealthy, two successes in a row healthy again. */
    public Map<String, Facts.Health> health(Instant now) {
        Map<String, List<Boolean>> recent = new HashMap<>();
        for (ServiceCheck c : db.list("reading health checks", "SELECT service, ok FROM health_checks WHERE at >= ? ORDER BY id DESC",
                rs -> new ServiceCheck(rs.getString(1), rs.getBoolean(2)), now.minusSeconds(7 * 86400))) {
            List<Boolean> l = recent.computeIfAbsent(c.service(), k -> new ArrayList<>());
            if (l.size() < 50) {
                l.add(c.ok());
            }
        }
        Map<String, Facts.Health> out = new HashMap<>();
        recent.forEach((s, l) -> out.put(s, verdict(l)));
        return out;
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
