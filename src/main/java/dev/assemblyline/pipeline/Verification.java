package dev.assemblyline.pipeline;

import dev.assemblyline.git.Checkout;
import dev.assemblyline.git.GitRepo;
import dev.assemblyline.git.ServiceTrees;
import dev.assemblyline.model.Detection;
import dev.assemblyline.model.Facts;
import dev.assemblyline.model.Phase;
import dev.assemblyline.model.ServiceSnapshot;
import dev.assemblyline.model.TestRun;
import dev.assemblyline.phase.BuildRules;
import dev.assemblyline.phase.PhaseDetector;
import dev.assemblyline.verify.ProcessRunner;
import dev.assemblyline.verify.RepoConfig;
import dev.assemblyline.verify.Sandbox;
import dev.assemblyline.verify.TestRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.eclipse.jgit.lib.ObjectId;

/**
 * The spec, build and test checks of one service at one commit: the same code for {@code assembly
 * verify} and for the server's test runs. Tests run on exactly that commit's service tree, written to a
 * temporary folder.
 */
public final class Verification {
    private static final int CONFIG_LIMIT = 256 * 1024;

    /** The detection after the checks, the test run when there was one, and whether BUILD/ exists. */
    public record Outcome(Detection detection, TestRun run, boolean hasBuild) {
        /** The check that failed ("spec", "build", "tests"), or null when every check that could run passed. */
        public String failedCheck() {
            return switch (detection.phase()) {
                case NEEDS_SPEC, SPEC_INCOMPLETE -> "spec";
                case READY_FOR_BUILD -> hasBuild ? "build" : null; // BUILD/ there but incomplete
                case TESTS_FAILING -> "tests";
                default -> run != null && !run.passed() ? "tests" : null;
            };
        }
    }



    private Verification() {
    }

    public static RepoConfig config(GitRepo repo, ObjectId commit) {
        return RepoConfig.parse(repo.fileAt(commit, "assembly.yml", CONFIG_LIMIT));
    }

    /** Facts from assembly.yml alone (required build files). */
    public static Facts facts(RepoConfig config, String service) {
        Facts f = Facts.NONE.withRequiredBuildFiles(config.requiredBuildFiles(service));
        if (config.testsByCi(service)) {
            String context = config.ciContext(service);
            f = f.withTestsBy(context == null ? "the checks of its commit in CI" : "CI check '" + context + "'");
        }
        return f;
    }

    public static Outcome verify(Sandbox sandbox, ServiceTrees trees, PhaseDetector detector, ObjectId commit, String service, RepoConfig config,
                                 Duration timeout, BooleanSupplier cancelled) throws IOException, InterruptedException {
        ServiceSnapshot s = trees.snapshot(commit, service);
        if (s == null) {
            throw new IllegalArgumentException("no service " + service + " under " + trees.root() + "/ at " + commit.abbreviate(12).name());
        }
        Facts facts = facts(config, service);
        Detection before = detector.detect(s, facts);
        if (before.phase() != Phase.TESTING) {
            return new Outcome(before, null, s.hasBuild());
        }
        TestRun run = runTests(sandbox, trees.repo(), s, config, timeout, cancelled, p -> { });
        if (run == null) {
            return new Outcome(before, null, s.hasBuild());
        }
        Detection after = detector.detect(s, facts.withTests(new Facts.TestVerdict(s.treeId(), run.passed(), run.summary())));
        return new Outcome(after, run, s.hasBuild());
    }

    /** Runs a service's tests on its tree, in the sandbox; null when cancelled. */
    public static TestRun runTests(Sandbox sandbox, GitRepo repo, ServiceSnapshot s, RepoConfig config, Duration timeout,
                                   BooleanSupplier cancelled, java.util.function.Consumer<String> progress) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("assembly-test-" + s.name() + "-");
        Path reports = Files.createTempDirectory("assembly-reports-" + s.name() + "-"); // outside the checkout: the tree cannot seed it
        try {
            Checkout.write(repo, s.gitTree(), dir);
            Path build = s.layout().buildFolder() ? dir.resolve(s.layout().build()) : dir;
            RepoConfig.Service sc = config.service(s.name());
            String command = sc.test() != null ? sc.test() : TestRunner.defaultCommand(BuildRules.stack(s.buildFiles()), reports);
            // unbuffered, so pytest's progress lines reach us while it runs; no .pyc files left in the checkout
            Map<String, String> env = Map.of("PYTHONUNBUFFERED", "1", "PYTHONDONTWRITEBYTECODE", "1");
            TestRun run = TestRunner.run(sandbox, s.name(), s.treeId(), dir, build, reports,
                    new TestRunner.Plan(command, timeout != null ? timeout : config.testTimeout(), config.coverageMin(s.name()), env, sc.network()),
                    cancelled, progress);
            return cancelled.getAsBoolean() ? null : run;
        } finally {
            deleteTree(dir);
            deleteTree(reports);
        }
    }

    static void deleteTree(Path dir) {
        ProcessRunner.deleteTree(dir);
    }
}
