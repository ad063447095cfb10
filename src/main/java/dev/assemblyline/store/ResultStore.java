package dev.assemblyline.store;

import dev.assemblyline.model.Facts;
import dev.assemblyline.model.TestRun;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Test results by service tree. */
public final class ResultStore {
    private final Jdbc db;

    public ResultStore(Jdbc db) {
        this.db = db;
    }

    public void save(TestRun r, Instant now) {
        db.update("saving the test result of " + r.service(), "INSERT INTO test_results (service, tree, passed, tests, failed, errors,"
                + " skipped, coverage, failing, summary, output, exit_code, timed_out, finished_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                r.service(), r.tree(), r.passed(), r.tests(), r.failed(), r.errors(), r.skipped(), r.coverage(),
                cut(String.join("\n", r.failing()), 4000), cut(r.summary(), 2000), Jdbc.tail(r.output() == null ? "" : r.output(), 100_000),
                r.exitCode(), r.timedOut(), now);
    }

    /** Whether a result exists for exactly this tree. */
    public boolean has(String service, String tree) {
        return db.count("reading test results", "SELECT COUNT(*) FROM test_results WHERE service = ? AND tree = ?", service, tree) > 0;
    }

    /** The newest verdict of every service, whatever tree it was for (the detector checks the tree). */
    public Map<String, Facts.TestVerdict> latest() {
        Map<String, Facts.TestVerdict> out = new HashMap<>();
        db.list("reading test results", "SELECT service, tree, passed, summary FROM test_results ORDER BY id",
                rs -> Map.entry(rs.getString(1), new Facts.TestVerdict(rs.getString(2), rs.getBoolean(3), rs.getString(4))))
                .forEach(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }

    /** The counts of one run. */
    public record Counts(String tree, boolean passed, int tests, int failed, int errors, int skipped, Instant finishedAt) {
        /** Tests that passed: all but the failed, the errors and the skipped. */
        public int passing() {
            return Math.max(0, tests - failed - errors - skipped);
        }
    }

    /** The newest run of every service, with its counts. */
    public Map<String, Counts> latestCounts() {
        Map<String, Counts> out = new HashMap<>();
        db.list("reading test results", "SELECT service, tree, passed, tests, failed, errors, skipped, finished_at FROM test_results"
                + " WHERE id IN (SELECT MAX(id) FROM test_results GROUP BY service)", rs -> Map.entry(rs.getString(1),
                new Counts(rs.getString(2), rs.getBoolean(3), rs.getInt(4), rs.getInt(5), rs.getInt(6), rs.getInt(7), Jdbc.instant(rs, 8))))
                .forEach(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }

    /** How many runs a service tree has had: for "a push elsewhere re-runs nothing". */
    public int runs(String service) {
        return (int) db.count("counting test results", "SELECT COUNT(*) FROM test_results WHERE service = ?", service);
    }

    /**
     * The newest runs of a service, newest first: counts, coverage, the failing tests and the last
     * {@code tailLines} lines of the output (what a person needs to see why a suite failed).
     */
    public List<Map<String, Object>> recent(String service, int limit, int tailLines) {
        return db.list("reading the test results of " + service, "SELECT tree, passed, tests, failed, errors, skipped, coverage, failing,"
                + " summary, output, exit_code, timed_out, finished_at FROM test_results WHERE service = ? ORDER BY id DESC FETCH FIRST "
                + limit + " ROWS ONLY", rs -> {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("tree", rs.getString(1));
                    m.put("passed", rs.getBoolean(2));
                    m.put("tests", rs.getInt(3));
                    m.put("failed", rs.getInt(4));
                    m.put("errors", rs.getInt(5));
                    m.put("skipped", rs.getInt(6));
                    m.put("coverage", rs.getObject(7));
                    String failing = rs.getString(8);
                    m.put("failing", failing == null || failing.isEmpty() ? List.of() : List.of(failing.split("\n")));
                    m.put("summary", rs.getString(9));
                    m.put("output_tail", TestRun.tail(rs.getString(10), tailLines));
                    m.put("exit_code", rs.getInt(11));
                    m.put("timed_out", rs.getBoolean(12));
                    m.put("finished_at", Jdbc.instant(rs, 13).toString());
                    return m;
                }, service);
    }

    private static String cut(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max);
    }
}
