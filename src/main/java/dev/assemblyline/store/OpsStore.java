package dev.assemblyline.store;

import dev.assemblyline.model.Facts;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/** Deployments and health checks. */
public final class OpsStore {
    private final DataSource ds;

    public OpsStore(DataSource ds) {
        this.ds = ds;
    }

    /** One deployment attempt. */
    public record Deployment(String service, String tree, boolean ok, String byWhat, Instant at) {
    }

    public void deployed(String service, String tree, boolean ok, String byWhat, String output, Instant now) {
        exec("INSERT INTO deployments (service, tree, ok, by_what, output, at) VALUES (?,?,?,?,?,?)", service, tree, ok, byWhat,
                output == null ? null : output.length() > 100_000 ? output.substring(output.length() - 100_000) : output, ts(now));
    }

    /** The newest deployment attempt of every service. */
    public Map<String, Deployment> latestDeployments() {
        Map<String, Deployment> out = new HashMap<>();
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT service, tree, ok, by_what, at FROM deployments ORDER BY id");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.put(rs.getString(1), new Deployment(rs.getString(1), rs.getString(2), rs.getBoolean(3), rs.getString(4),
                        rs.getObject(5, OffsetDateTime.class).toInstant()));
            }
            return out;
        } catch (SQLException e) {
            throw new StoreException("reading deployments", e);
        }
    }

    public void checked(String service, boolean ok, String detail, Instant now) {
        exec("INSERT INTO health_checks (service, ok, detail, at) VALUES (?,?,?,?)", service, ok,
                detail == null || detail.length() <= 500 ? detail : detail.substring(0, 500), ts(now));
    }

    /** The newest checks of a service, newest first. */
    public List<Boolean> recentChecks(String service, int n) {
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT ok FROM health_checks WHERE service = ? ORDER BY id DESC FETCH FIRST " + n + " ROWS ONLY")) {
            ps.setString(1, service);
            try (ResultSet rs = ps.executeQuery()) {
                List<Boolean> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(rs.getBoolean(1));
                }
                return out;
            }
        } catch (SQLException e) {
            throw new StoreException("reading health checks", e);
        }
    }

    /** Health as a fact: two failures in a row make it unhealthy, two successes in a row healthy again. */
    public Map<String, Facts.Health> health(Instant now) {
        Map<String, List<Boolean>> recent = new HashMap<>();
        Map<String, String> detail = new HashMap<>();
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT service, ok, detail FROM health_checks WHERE at >= ? ORDER BY id DESC")) {
            ps.setObject(1, ts(now.minusSeconds(7 * 86400)));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    List<Boolean> l = recent.computeIfAbsent(rs.getString(1), k -> new ArrayList<>());
                    if (l.size() < 50) {
                        l.add(rs.getBoolean(2));
                    }
                    detail.putIfAbsent(rs.getString(1), rs.getString(3));
                }
            }
        } catch (SQLException e) {
            throw new StoreException("reading health checks", e);
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

    /** Share of passing checks since {@code since}, in percent; null without checks. */
    public Double uptime(String service, Instant since) {
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT COUNT(*), SUM(CASE WHEN ok THEN 1 ELSE 0 END) FROM health_checks"
                     + " WHERE service = ? AND at >= ?")) {
            ps.setString(1, service);
            ps.setObject(2, ts(since));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                long all = rs.getLong(1);
                return all == 0 ? null : Math.round(rs.getLong(2) * 10000.0 / all) / 100.0;
            }
        } catch (SQLException e) {
            throw new StoreException("computing uptime", e);
        }
    }

    private void exec(String sql, Object... args) {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("writing operations data", e);
        }
    }

    private static OffsetDateTime ts(Instant i) {
        return OffsetDateTime.ofInstant(i, ZoneOffset.UTC);
    }
}
