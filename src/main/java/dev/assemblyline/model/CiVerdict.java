package dev.assemblyline.model;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a forge's CI said about one check on one commit (docs/ci.md): a GitHub check run, check suite or
 * commit status, a GitLab pipeline or one of its jobs, a Gitea/Forgejo commit status.
 *
 * @param state   {@code pending}, {@code success} or {@code failure}
 * @param tests   counts and coverage when the check's output gives them, else null
 */
public record CiVerdict(String forge, String commit, String context, String state, String url, String summary, Integer tests,
                        Integer failed, Integer skipped, Double coverage) {
    public static final String PENDING = "pending";
    public static final String SUCCESS = "success";
    public static final String FAILURE = "failure";
    /** The context of the commit statuses the coordinator itself reports ({@code assembly/<service>}, docs/ci.md). */
    public static final String OWN_CONTEXT = "assembly/";

    /** Whether a check or job of this name is the coordinator's own status come back, never a verdict of the team's CI. */
    public static boolean own(String context) {
        return context != null && context.startsWith(OWN_CONTEXT);
    }

    private static final Pattern PASSED = Pattern.compile("(\\d+)\\s+(?:tests?\\s+)?passed", Pattern.CASE_INSENSITIVE);
    private static final Pattern FAILED = Pattern.compile("(\\d+)\\s+(?:tests?\\s+)?failed", Pattern.CASE_INSENSITIVE);
    private static final Pattern SKIPPED = Pattern.compile("(\\d+)\\s+(?:tests?\\s+)?skipped", Pattern.CASE_INSENSITIVE);
    private static final Pattern TOTAL = Pattern.compile("(\\d+)\\s+tests?\\b(?!\\s+(?:passed|failed|skipped))", Pattern.CASE_INSENSITIVE);
    private static final Pattern COVERAGE = Pattern.compile("coverage\\D{0,20}?(\\d{1,3}(?:\\.\\d+)?)\\s*%", Pattern.CASE_INSENSITIVE);

    /** A verdict with the counts and coverage found in its text ("12 passed, 1 failed", "coverage: 84.2%"), if any. */
    public static CiVerdict of(String forge, String commit, String context, String state, String url, String text) {
        String t = text == null ? "" : text.length() > 20_000 ? text.substring(0, 20_000) : text;
        Integer passed = number(PASSED, t);
        Integer failed = number(FAILED, t);
        Integer skipped = number(SKIPPED, t);
        Integer total = number(TOTAL, t);
        if (total == null && (passed != null || failed != null)) {
            total = (passed == null ? 0 : passed) + (failed == null ? 0 : failed) + (skipped == null ? 0 : skipped);
        }
        Matcher c = COVERAGE.matcher(t);
        Double coverage = c.find() ? Math.min(100, Double.parseDouble(c.group(1))) : null;
        String summary = t.strip().replaceAll("\\s+", " ");
        return new CiVerdict(forge, commit, context, state, url, summary.length() > 300 ? summary.substring(0, 299) + "…" : summary,
                total, failed, skipped, coverage);
    }

    private static Integer number(Pattern p, String text) {
        Matcher m = p.matcher(text);
        if (!m.find()) {
            return null;
        }
        try {
            return Integer.parseInt(m.group(1));
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
