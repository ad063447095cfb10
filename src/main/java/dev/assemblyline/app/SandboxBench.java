package dev.assemblyline.app;

import dev.assemblyline.git.CommitWriter;
import dev.assemblyline.git.GitRepo;
import dev.assemblyline.git.ServiceTrees;
import dev.assemblyline.model.TestRun;
import dev.assemblyline.phase.PhaseDetector;
import dev.assemblyline.phase.SpecRules;
import dev.assemblyline.pipeline.Verification;
import dev.assemblyline.verify.ProcessRunner;
import dev.assemblyline.verify.RepoConfig;
import dev.assemblyline.verify.Sandbox;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * What the sandbox costs: the same 5-test pytest suite run with bubblewrap and without (the process
 * group alone), interleaved so both see the same machine; per test run and per whole verify.
 */
@Command(name = "sandbox", mixinStandardHelpOptions = true,
        description = "Time a 5-test pytest suite with and without bubblewrap; prints one JSON line per measure.")
final class SandboxBench implements Callable<Integer> {
    @Option(names = "--iterations", defaultValue = "15", description = "Timed runs of each kind (default: ${DEFAULT-VALUE}).")
    int iterations;

    @Option(names = "--warmup", defaultValue = "3", description = "Untimed runs of each kind first (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Sandbox bwrap = Sandbox.check(System.getenv(), false, List.of(), List.of());
        if (!bwrap.sandboxed()) {
            throw new Main.UserException("bubblewrap cannot run here: " + bwrap.describe());
        }
        // the same PATH both ways (the sandbox drops folders it does not mount, a pyenv shim under $HOME say),
        // so only the sandbox differs
        Map<String, String> env = new java.util.HashMap<>(System.getenv());
        env.put("PATH", bwrap.environment(Map.of()).get("PATH"));
        Sandbox none = Sandbox.none(env);
        Path dir = Files.createTempDirectory("assembly-sandbox-bench-");
        try (Repository r = new FileRepositoryBuilder().setGitDir(dir.resolve("r.git").toFile()).setBare().build()) {
            r.create(true);
            String b = "SERVICES/calc/";
            StringBuilder tests = new StringBuilder("from src.main import add\n");
            for (int i = 0; i < 5; i++) {
                tests.append("def test_").append(i).append("():\n    assert add(").append(i).append(", 1) == ").append(i + 1).append('\n');
            }
            ObjectId head = new CommitWriter(r, "main").put(b + "SPEC.md", spec())
                    .put(b + "BUILD/src/__init__.py", "").put(b + "BUILD/src/main.py", "def add(a, b):\n    return a + b\n")
                    .put(b + "BUILD/requirements.txt", "pytest\n").put(b + "BUILD/Dockerfile", "FROM python:3.11-slim\n")
                    .put(b + "BUILD/.env.example", "PORT=8000\n").put(b + "BUILD/tests/__init__.py", "")
                    .put(b + "BUILD/tests/test_calc.py", tests.toString()).commit("bench");
            GitRepo git = GitRepo.wrap(r);
            try (ServiceTrees trees = new ServiceTrees(git, "SERVICES")) {
                PhaseDetector detector = new PhaseDetector(SpecRules.bundled());
                var snapshot = trees.snapshot(head, "calc");
                double[][] run = new double[2][iterations];
                double[][] verify = new double[2][iterations];
                Sandbox[] kinds = {none, bwrap};
                for (int i = -warmup; i < iterations; i++) {
                    for (int k = 0; k < 2; k++) {
                        long t0 = System.nanoTime();
                        TestRun t = Verification.runTests(kinds[k], git, snapshot, RepoConfig.DEFAULT, null, () -> false, p -> { });
                        long t1 = System.nanoTime();
                        Verification.verify(kinds[k], trees, detector, head, "calc", RepoConfig.DEFAULT, null, () -> false);
                        long t2 = System.nanoTime();
                        if (t.tests() != 5 || !t.passed()) {
                            throw new IllegalStateException("the bench suite did not pass 5 tests: " + t.summary() + "\n" + t.output());
                        }
                        if (i >= 0) {
                            run[k][i] = (t1 - t0) / 1e6;
                            verify[k][i] = (t2 - t1) / 1e6;
                        }
                    }
                }
                print("sandbox-run", run);
                print("sandbox-verify", verify);
            }
        } finally {
            ProcessRunner.deleteTree(dir);
        }
        return 0;
    }

    private void print(String name, double[][] ms) {
        double plain = median(ms[0]);
        double boxed = median(ms[1]);
        double[] diff = new double[iterations];
        for (int i = 0; i < iterations; i++) {
            diff[i] = ms[1][i] - ms[0][i];
        }
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("bench", name);
        line.put("iterations", iterations);
        line.put("unsandboxed_median_ms", round(plain));
        line.put("bubblewrap_median_ms", round(boxed));
        line.put("added_median_ms", round(median(diff)));
        line.put("ratio", round(boxed / plain));
        try {
            spec.commandLine().getOut().println(new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(line));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        spec.commandLine().getOut().flush();
    }

    private static String spec() throws java.io.IOException {
        try (InputStream in = SandboxBench.class.getResourceAsStream("/templates/SPEC.example.md")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }
}
