package dev.assemblyline.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Where a repository keeps its services and what counts as each phase's evidence (docs/layouts.md). The
 * default is the coordinator's own: {@code SERVICES/<name>/SPEC.md}, code in {@code BUILD/}, tests in
 * {@code BUILD/tests/}, {@code PRODUCTION/} once deployed. {@code assembly.yml} may say otherwise:
 * <pre>
 * root: src                      # the folder holding one folder per service
 * spec: SPEC.md | README.md      # the first that exists is the spec
 * build: "."                     # the service folder itself holds the code (default: BUILD)
 * tests: ["tests/", "*_test.go", "src/test/"]   # in the build folder: a folder/, a file, or a file-name pattern anywhere
 * production: deploy.json | k8s/ # in the service folder: any of them means deployed
 * </pre>
 *
 * @param root       the services' parent folder ("" is the repository's top)
 * @param build      the build folder inside a service ("" for the service folder itself)
 */
public record Layout(String root, List<String> spec, String build, List<String> tests, List<String> production) {
    public static final Layout DEFAULT = new Layout("SERVICES", List.of("SPEC.md"), "BUILD", List.of("tests/"), List.of("PRODUCTION/"));

    public Layout {
        spec = List.copyOf(spec);
        tests = List.copyOf(tests);
        production = List.copyOf(production);
    }

    public Layout withRoot(String r) {
        return new Layout(r, spec, build, tests, production);
    }

    /** Whether the code lives in a folder of its own ({@code BUILD/}), as the coordinator's default has it. */
    public boolean buildFolder() {
        return !build.isEmpty();
    }

    /** What the build is called in a sentence: "BUILD/" or "the service folder". */
    public String buildLabel() {
        return build.isEmpty() ? "code in the service folder" : build + "/";
    }

    /** The tests' evidence in a sentence: "BUILD/tests/" or "tests/, *_test.go". */
    public String testsLabel() {
        List<String> out = new ArrayList<>();
        for (String t : tests) {
            out.add(build.isEmpty() ? t : build + "/" + t);
        }
        return String.join(", ", out);
    }

    /** The production evidence in a sentence: "PRODUCTION/" or "deploy.json or k8s/". */
    public String productionLabel() {
        return String.join(" or ", production);
    }

    /**
     * Splits "a | b" alternatives and checks each is a relative path inside the service; throws {@link
     * IllegalArgumentException} with the key's name otherwise.
     */
    public static List<String> paths(String key, List<String> written, boolean namesOnly) {
        List<String> out = new ArrayList<>();
        for (String w : written) {
            for (String p : w.split("\\|")) {
                String s = p.strip().replace('\\', '/');
                while (s.startsWith("./")) {
                    s = s.substring(2);
                }
                if (s.isEmpty()) {
                    continue;
                }
                if (s.startsWith("/") || Arrays.asList(s.split("/")).contains("..") || Arrays.stream(s.split("/")).anyMatch(x -> x.equalsIgnoreCase(".git"))) {
                    throw new IllegalArgumentException(key + ": '" + p.strip() + "' must be a path inside the service folder");
                }
                if (namesOnly && s.contains("/")) {
                    throw new IllegalArgumentException(key + ": '" + p.strip() + "' must be a file name in the service folder");
                }
                out.add(s);
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(key + " names nothing");
        }
        return out;
    }
}
