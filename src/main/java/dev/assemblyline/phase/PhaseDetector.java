package dev.assemblyline.phase;

import dev.assemblyline.model.Detection;
import dev.assemblyline.model.Facts;
import dev.assemblyline.model.FileEntry;
import dev.assemblyline.model.Phase;
import dev.assemblyline.model.ServiceSnapshot;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The phase of a service as a pure function of its snapshot and the coordinator's facts (the README's phase
 * table, read top to bottom). The same inputs always give the same phase and the same reasons.
 */
public final class PhaseDetector {
    /** The seed's README marker: {@code 🚧 BUILD IN PROGRESS by <session>}. */
    private static final Pattern BUILD_MARKER = Pattern.compile("BUILD IN PROGRESS(?:[ \\t]+by[ \\t]+([^\\r\\n]{1,80}))?");

    private final SpecRules specRules;

    public PhaseDetector(SpecRules specRules) {
        this.specRules = specRules;
    }

    public SpecRules specRules() {
        return specRules;
    }

    public Detection detect(ServiceSnapshot s, Facts facts) {
        List<String> reasons = new ArrayList<>();
        Phase phase = decide(s, facts, reasons);
        return new Detection(s.name(), phase, reasons, s.treeId());
    }

    private Phase decide(ServiceSnapshot s, Facts facts, List<String> reasons) {
        FileEntry spec = s.spec();
        dev.assemblyline.model.Layout layout = s.layout();
        boolean own = layout.equals(dev.assemblyline.model.Layout.DEFAULT); // the coordinator's own layout: its words as they always were
        if (spec == null) {
            reasons.add("no " + String.join(" or ", layout.spec()));
            return Phase.NEEDS_SPEC;
        }
        if (spec.kind() == FileEntry.Kind.SYMLINK) {
            reasons.add("SPEC.md is a symbolic link; links are not followed, so there is no spec");
            return Phase.NEEDS_SPEC;
        }
        if (!spec.isRegular()) {
            reasons.add("SPEC.md is not a regular file");
            return Phase.NEEDS_SPEC;
        }
        if (isBinary(spec.content())) {
            reasons.add("SPEC.md is binary, not Markdown text");
            return Phase.SPEC_INCOMPLETE;
        }
        Decoded text = decode(spec.content());
        text = new Decoded(dev.assemblyline.model.StatusLine.strip(text.text), text.replaced); // README.md as the spec: the bot's line is not spec text
        List<String> problems = specRules.problems(text.text);
        if (spec.truncated()) {
            reasons.add("SPEC.md is " + spec.size() + " bytes; only the first " + spec.content().length + " were read");
        }
        if (text.replaced && !spec.truncated()) {
            reasons.add("SPEC.md is not valid UTF-8; invalid bytes were read as \uFFFD");
        }
        if (!problems.isEmpty()) {
            reasons.addAll(0, problems);
            return Phase.SPEC_INCOMPLETE;
        }

        String marker = buildMarker(s.readme());
        if (facts.buildClaimedBy() != null) {
            reasons.add(0, "build ticket claimed by " + facts.buildClaimedBy());
            return Phase.BUILD_IN_PROGRESS;
        }
        if (marker != null) {
            reasons.add(0, "README.md says " + marker);
            return Phase.BUILD_IN_PROGRESS;
        }
        if (!s.hasBuild()) {
            reasons.add(0, own ? "spec complete, no BUILD/ yet" : layout.buildFolder() ? "spec complete, no " + layout.build() + "/ yet"
                    : "spec complete, no code yet (no Dockerfile, pom.xml, package.json, go.mod, pyproject.toml or *.csproj in the service folder)");
            return Phase.READY_FOR_BUILD;
        }
        // a listing is only there when the reader took one; phase-table tests build snapshots without it
        if (!s.buildFiles().isEmpty() || facts.requiredBuildFiles() != null) {
            List<String> missing = BuildRules.missing(s.buildFiles(), facts.requiredBuildFiles());
            if (!missing.isEmpty()) {
                reasons.add(0, (layout.buildFolder() ? layout.build() + "/" : "the code") + " is incomplete for a " + BuildRules.stack(s.buildFiles()) + " service: missing " + String.join(", ", missing));
                return Phase.READY_FOR_BUILD;
            }
        }
        if (!s.hasTests()) {
            reasons.add(0, own ? "BUILD/ exists, no BUILD/tests/ yet" : (layout.buildFolder() ? layout.build() + "/ exists" : "code exists")
                    + ", no tests yet (looked for " + layout.testsLabel() + ")");
            return Phase.NEEDS_TESTS;
        }
        boolean deployed = s.hasProduction() || s.treeId().equals(facts.deployedTree());
        if (deployed) {
            if (facts.health() == Facts.Health.UNHEALTHY) {
                reasons.add(0, "health check failing" + detail(facts.healthDetail()));
                return Phase.UNHEALTHY;
            }
            String how = s.hasProduction() ? layout.productionLabel() + " exists" : "tree " + shortId(s.treeId()) + " deployed by its deploy command";
            reasons.add(0, facts.health() == Facts.Health.HEALTHY
                    ? how + ", health checks pass" + detail(facts.healthDetail())
                    : how + ", not yet health-checked");
            return Phase.PRODUCTION;
        }
        Facts.TestVerdict verdict = facts.tests();
        String tree = shortId(s.treeId());
        if (verdict == null || !verdict.treeId().equals(s.treeId())) {
            reasons.add(0, facts.testsBy() != null && (verdict == null || !verdict.treeId().equals(s.treeId()))
                    ? "tests exist, waiting for " + facts.testsBy() + " on tree " + tree
                    : verdict == null
                    ? "tests exist, no result yet for tree " + tree
                    : "tests exist; the last result was for tree " + shortId(verdict.treeId()) + ", not for tree " + tree);
            return Phase.TESTING;
        }
        if (!verdict.passed()) {
            reasons.add(0, "tests of tree " + tree + " failed" + detail(verdict.summary()));
            return Phase.TESTS_FAILING;
        }
        reasons.add(0, "tests of tree " + tree + " passed" + detail(verdict.summary()) + ", no PRODUCTION/ yet");
        return Phase.READY_FOR_DEPLOY;
    }

    /** The README's build marker ("BUILD IN PROGRESS by Session #3"), or null. */
    static String buildMarker(FileEntry readme) {
        if (readme == null || !readme.isRegular() || isBinary(readme.content())) {
            return null;
        }
        String text = dev.assemblyline.model.StatusLine.strip(decode(readme.content()).text); // the coordinator's own line says nothing
        Matcher m = BUILD_MARKER.matcher(text);
        if (!m.find()) {
            return null;
        }
        return m.group(1) == null ? "BUILD IN PROGRESS" : "BUILD IN PROGRESS by " + m.group(1).strip();
    }

    private static String detail(String d) {
        return d == null || d.isBlank() ? "" : " (" + d + ")";
    }

    static String shortId(String id) {
        return id == null ? "?" : id.substring(0, Math.min(12, id.length()));
    }

    /** A NUL byte in the first 8 KB: what git itself calls binary. */
    static boolean isBinary(byte[] content) {
        int n = Math.min(content.length, 8000);
        for (int i = 0; i < n; i++) {
            if (content[i] == 0) {
                return true;
            }
        }
        return false;
    }

    private record Decoded(String text, boolean replaced) {
    }

    private static Decoded decode(byte[] bytes) {
        CharsetDecoder strict = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            CharBuffer cb = strict.decode(ByteBuffer.wrap(bytes));
            return new Decoded(cb.toString(), false);
        } catch (CharacterCodingException e) {
            return new Decoded(new String(bytes, StandardCharsets.UTF_8), true);
        }
    }
}
