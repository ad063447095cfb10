package dev.assemblyline.verify;

import dev.assemblyline.model.TestRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * Runs a service's tests in a folder holding exactly its tree, and reads the result: JUnit XML counts
 * when there are reports, the exit code otherwise, coverage against the gate when a report exists.
 */
public final class TestRunner {
    /** What to run, the bar to pass, the stack's own variables and whether the suite may use the network. */
    public record Plan(String command, Duration timeout, double coverageMin, Map<String, String> env, boolean network) {
    }

    private TestRunner() {
    }

    private static final java.util.regex.Pattern PYTEST_LINE = java.util.regex.Pattern.compile("(?m)^([.FEsxX]+)(?:\\s*\\[\\s*(\\d+)%\\]|\\s*$)"); // a warning may follow "[100%]" on its line

    /** Progress from pytest's {@code -q} lines ({@code ..F. [ 40%]}): passed and failed so far; null if none seen. */
    static String progress(String tail) {
        java.util.regex.Matcher m = PYTEST_LINE.matcher(tail);
        int passed = 0;
        int failed = 0;
        String percent = null;
        boolean any = false;
        while (m.find()) {
            any = true;
            for (char c : m.group(1).toCharArray()) {
                if (c == '.') {
                    passed++;
                } else if (c == 'F' || c == 'E') {
                    failed++;
                }
            }
            percent = m.group(2) != null ? m.group(2) : percent;
        }
        if (!any) {
            return null;
        }
        return passed + " passed, " + failed + " failed so far" + (percent == null ? "" : " (" + percent + "%)");
    }

    /**
     * Where the default Python command writes the coverage it measures itself (inside the reports folder):
     * a report the suite writes on its own wins over it (see {@link #run}).
     */
    public static final String MEASURED = ".assembly-measured";

    /** What the default Python command prints when pytest-cov is not there to measure coverage. */
    public static final String NOT_MEASURED = "assembly: coverage not measured: pytest-cov is not installed (Debian: python3-pytest-cov)";

    /**
     * The default test command for a stack (the folder is BUILD/, reports go to {@code reports}). Python:
     * pytest, with line coverage of {@code src/} (of the whole BUILD/ when there is no src/) measured by
     * pytest-cov when it is installed; when it is not, the run says so and the gate cannot apply.
     */
    public static String defaultCommand(String stack, Path reports) {
        return switch (stack) {
            case "java" -> "mvn -q -B test";
            case "node" -> "npm test";
            case "go" -> "go test ./...";
            case "csharp" -> "dotnet test";
            default -> {
                String junit = "--junitxml=" + quote(reports.resolve("junit.xml").toString());
                Path measured = reports.resolve(MEASURED);
                yield "if python3 -c 'import pytest_cov' >/dev/null 2>&1; then"
                        + " mkdir -p " + quote(measured.toString()) + " && if [ -d src ]; then cov=src; else cov=.; fi"
                        + " && COVERAGE_FILE=" + quote(measured.resolve(".coverage").toString())
                        + " python3 -m pytest tests -q " + junit + " --cov=\"$cov\" --cov-report=xml:" + quote(measured.resolve("coverage.xml").toString())
                        + "; else echo '" + NOT_MEASURED + "'; python3 -m pytest tests -q " + junit + "; fi";
            }
        };
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    /**
     * Runs the suite in {@code buildDir} (inside {@code checkout}, the only folder it may write besides
     * {@code reports}, which it is told of as {@code REPORTS_DIR}); {@code progress} hears "12 passed, 1
     * failed so far (40%)" while pytest runs. Reports count when they are in {@code reports} or were
     * written or changed by the run in the checkout; what the tree brought does not.
     */
    public static TestRun run(Sandbox sandbox, String service, String tree, Path checkout, Path buildDir, Path reports, Plan plan,
                              BooleanSupplier cancelled, java.util.function.Consumer<String> progress) throws IOException, InterruptedException {
        Files.createDirectories(reports);
        Map<Path, String> brought = Reports.fingerprints(checkout);
        Map<String, String> env = new java.util.HashMap<>(plan.env());
        env.put("REPORTS_DIR", reports.toAbsolutePath().toString());
        ProcessRunner.Job job = new ProcessRunner.Job(plan.command(), buildDir, List.of(checkout, reports), plan.network(), env, plan.timeout());
        ProcessRunner.Result r = ProcessRunner.run(sandbox, job, cancelled, tail -> {
            String p = progress(tail);
            if (p != null) {
                progress.accept(p);
            }
        });
        Reports.Counts c = Reports.junit(reports, Map.of());
        if (c.files() == 0) {
            c = Reports.junit(checkout, brought);
        }
        // a report the suite wrote itself first (REPORTS_DIR, then the checkout), then what the default command measured
        Double coverage = Reports.coverage(reports, Map.of());
        if (coverage == null) {
            coverage = Reports.coverage(checkout, brought);
        }
        if (coverage == null) {
            coverage = Reports.coverage(reports.resolve(MEASURED), Map.of());
        }
        boolean testsPassed = !r.timedOut() && r.exitCode() == 0 && c.failed() == 0 && c.errors() == 0;
        boolean coverageOk = coverage == null || coverage >= plan.coverageMin();
        StringBuilder summary = new StringBuilder();
        if (r.timedOut()) {
            summary.append("timed out after ").append(plan.timeout().toSeconds()).append(" s; ");
        }
        if (c.files() > 0) {
            summary.append(c.tests() - c.failed() - c.errors() - c.skipped()).append(" passed, ").append(c.failed()).append(" failed, ")
                    .append(c.errors()).append(" errors, ").append(c.skipped()).append(" skipped");
        } else {
            summary.append("no JUnit report; exit code ").append(r.exitCode());
        }
        if (!c.failing().isEmpty()) {
            summary.append(": ").append(String.join(", ", c.failing().subList(0, Math.min(5, c.failing().size()))));
        }
        if (coverage != null) {
            summary.append("; coverage ").append(coverage).append('%').append(coverageOk ? "" : " below the " + plan.coverageMin() + "% gate");
        } else {
            summary.append("; coverage not measured (no coverage report").append(r.output() != null && r.output().contains(NOT_MEASURED)
                    ? ": pytest-cov is not installed)" : ")");
        }
        int failed = c.files() > 0 ? c.failed() : (testsPassed ? 0 : 1);
        int passedCount = c.files() > 0 ? c.tests() - c.failed() - c.errors() - c.skipped() : (testsPassed ? 1 : 0);
        return new TestRun(service, tree, testsPassed && coverageOk, c.files() > 0 ? c.tests() : passedCount + failed, failed, c.errors(),
                c.skipped(), coverage, c.failing(), r.exitCode(), r.timedOut(), summary.toString(), r.output());
    }
}
