package dev.assemblyline.store;

import dev.assemblyline.model.Facts;
import dev.assemblyline.model.TestRun;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import javax.sql.DataSource;

/** Test results by service tree. */
public final class ResultStore {
    private final DataSource ds;

    public ResultStore(DataSource ds) {
        this.ds = ds;
    }

    public void save(TestRun r, Instant now) {
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("INSERT INTO test_results (service, tree, passed, tests, failed, errors, skipped,"
                     + " coverage, failing, summary, output, exit_code, timed_out, finished_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)")) {
            ps.setString(1, r.service());
            ps.setString(2, r.tree());
            ps.setBoolean(3, r.passed());
            ps.setInt(4, r.tests());
            ps.setInt(5, r.failed());
            ps.setInt(6, r.errors());
            ps.setInt(7, r.skipped());
            ps.setObject(8, r.coverage());
            ps.setString(9, cut(String.join("\n", r.failing()), 4000));
            ps.setString(10, cut(r.summary(), 2000));
            String out = r.output() == null ? "" : r.output();
            ps.setString(11, out.length() > 100_000 ? out.substring(out.length() - 100_000) : out);
            ps.setInt(12, r.exitCode());
            ps.setBoolean(13, r.timedOut());
            ps.setObject(14, OffsetDateTime.ofInstant(now, ZoneOffset.UTC));
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("saving the test result of " + r.service(), e);
        }
    }

    /** Whether a result exists for exactly this tree. */
    public boolean has(String service, String tree) {
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT 1 FROM test_results WHERE service = ? AND tree = ?")) {
            ps.setString(1, service);
            ps.setString(2, tree);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        } catch (SQLException e) {
            throw new StoreException("reading test results", e);
        }
    }

    /** The newest verdict of every service, whatever tree it was for (the detector checks the tree). */
    public Map<String, Facts.TestVerdict> latest() {
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT service, tree, passed, summary FROM test_results ORDER BY id");
             ResultSet rs = ps.executeQuery()) {
            Map<String, Facts.TestVerdict> out = new HashMap<>();
            while (rs.next()) {
                out.put(rs.getString(1), new Facts.TestVerdict(rs.getString(2), rs.getBoolean(3), rs.getString(4)));
            }
            return out;
        } catch (SQLException e) {
            throw new StoreException("reading test results", e);
        }
    }

    /** How many runs a service tree has had: for "a push elsewhere re-runs nothing". */
    public int runs(String service) {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM test_results WHERE service = ?")) {
            ps.setString(1, service);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        } catch (SQLException e) {
            throw new StoreException("counting test results", e);
        }
    }

    /**
     * The newest runs of a service, newest first: counts, coverage, the failing tests and the last
     * {@code tailLines} lines of the output (what a person needs to see why a suite failed).
     */
    public java.util.List<Map<String, Object>> recent(String service, int limit, int tailLines) {
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT tree, passed, tests, failed, errors, skipped, coverage, failing, summary, output,"
                     + " exit_code, timed_out, finished_at FROM test_results WHERE service = ? ORDER BY id DESC")) {
            ps.setString(1, service);
            ps.setMaxRows(limit);
            java.util.List<Map<String, Object>> out = new java.util.ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Map<String, Object> m = new java.util.LinkedHashMap<>();
                    m.put("tree", rs.getString(1));
                    m.put("passed", rs.getBoolean(2));
                    m.put("tests", rs.getInt(3));
                    m.put("failed", rs.getInt(4));
                    m.put("errors", rs.getInt(5));
                    m.put("skipped", rs.getInt(6));
                    m.put("coverage", rs.getObject(7));
                    String failing = rs.getString(8);
                    m.put("failing", failing == null || failing.isEmpty() ? java.util.List.of() : java.util.List.of(failing.split("\n")));
                    m.put("summary", rs.getString(9));
                    m.put("output_tail", TestRun.tail(rs.getString(10), tailLines));
                    m.put("exit_code", rs.getInt(11));
                    m.put("timed_out", rs.getBoolean(12));
                    m.put("finished_at", rs.getObject(13, OffsetDateTime.class).toInstant().toString());
                    out.add(m);
                }
            }
            return out;
        } catch (SQLException e) {
            throw new StoreException("reading the test results of " + service, e);
        }
    }

    private static String cut(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max);
    }
}
