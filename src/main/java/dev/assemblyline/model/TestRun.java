package dev.assemblyline.model;

import java.util.List;

/**
 * The outcome of one test run of one service tree.
 *
 * @param coverage line coverage 0..100 from a Cobertura or JaCoCo report, or null when there is none
 * @param failing  names of the first failing or erroring tests
 * @param output   the last part of the suite's output (bounded)
 */
public record TestRun(String service, String tree, boolean passed, int tests, int failed, int errors, int skipped, Double coverage,
                      List<String> failing, int exitCode, boolean timedOut, String summary, String output) {
    /** Lines of a failing suite's output shown to people: by {@code assembly verify} and {@code GET /api/services/{name}/tests}. */
    public static final int TAIL_LINES = 40;

    public TestRun {
        failing = List.copyOf(failing);
    }

    /** The last {@code lines} lines of a suite's output. */
    public static String tail(String output, int lines) {
        if (output == null || output.isEmpty()) {
            return "";
        }
        int at = output.length();
        if (output.endsWith("\n")) {
            at--;
        }
        for (int n = 0; n < lines && at > 0; n++) {
            at = output.lastIndexOf('\n', at - 1);
            if (at < 0) {
                return output;
            }
        }
        return output.substring(at + 1);
    }
}
