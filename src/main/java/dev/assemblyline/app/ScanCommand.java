package dev.assemblyline.app;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonFactory;
import dev.assemblyline.git.GitRepo;
import dev.assemblyline.git.ServiceTrees;
import dev.assemblyline.model.Detection;
import dev.assemblyline.model.Phase;
import dev.assemblyline.model.ServiceName;
import dev.assemblyline.pipeline.Scanner;
import dev.assemblyline.pipeline.Verification;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.eclipse.jgit.lib.ObjectId;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "scan", mixinStandardHelpOptions = true,
        description = {"Print every service under the services root and its phase, read from git at one commit.",
                "No tests are run, so a service with tests is TESTING."})
final class ScanCommand implements Callable<Integer> {
    /** Streaming JSON only: databind's ObjectMapper costs a short command tens of milliseconds to build. */
    static final JsonFactory JSON = new JsonFactory();

    @Mixin
    RepoOptions repo;

    @Option(names = "--ref", paramLabel = "REF",
            description = "Branch, tag or commit to read (default: main, else HEAD).")
    String ref;

    @Option(names = "--json", description = "Print a JSON array of {service, phase, reasons, tree}.")
    boolean json;

    @Option(names = "--run-tests", description = "Run the tests of every service that has them (as `verify` does), two at a time.")
    boolean runTests;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (GitRepo git = repo.open(); ServiceTrees trees = repo.trees(git)) {
            ObjectId commit = RepoOptions.commit(git, ref);
            repo.layOut(trees, git, commit);
            List<Detection> detections;
            boolean noRoot = false;
            if (commit == null) {
                err.println("assembly: " + repo.repo + " has no commits yet: no services");
                detections = List.of();
            } else {
                if (trees.rootTree(commit) == null) {
                    noRoot = true;
                    err.println("assembly: no " + trees.root() + "/ folder at " + commit.abbreviate(12).name() + ": no services"
                            + (repo.root == null ? " (--root or assembly.yml's root names the folder holding one folder per service; `assembly init` proposes one)"
                            : " (--root names the folder holding one folder per service)"));
                }
                var config = Verification.config(git, commit);
                detections = new Scanner(trees, repo.detector()).scan(commit, name -> Verification.facts(config, name));
                if (runTests) {
                    detections = withTests(trees, repo.detector(), commit, config, detections, err);
                }
            }
            if (json) {
                writeJson(out, detections);
            } else {
                writeTable(out, detections);
            }
            out.flush();
            err.flush();
            return noRoot ? 1 : 0; // nothing found where services were expected (README, exit codes)
        }
    }

    /** Re-detects the TESTING services after running their tests, two at a time. */
    private static List<Detection> withTests(ServiceTrees trees, dev.assemblyline.phase.PhaseDetector detector, ObjectId commit,
                                             dev.assemblyline.verify.RepoConfig config, List<Detection> detections, PrintWriter err) {
        dev.assemblyline.verify.Sandbox sandbox = Config.fromEnv(System.getenv()).sandbox();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            List<java.util.concurrent.Future<Detection>> out = new java.util.ArrayList<>();
            for (Detection d : detections) {
                if (d.phase() != Phase.TESTING) {
                    out.add(java.util.concurrent.CompletableFuture.completedFuture(d));
                    continue;
                }
                out.add(pool.submit(() -> Verification.verify(sandbox, trees, detector, commit, d.service(), config, null, () -> false).detection()));
            }
            List<Detection> result = new java.util.ArrayList<>();
            for (var f : out) {
                result.add(f.get());
            }
            return result;
        } catch (Exception e) {
            err.println("assembly: running tests failed: " + e.getMessage());
            return detections;
        } finally {
            pool.shutdownNow();
        }
    }

    static void writeJson(PrintWriter out, List<Detection> detections) throws IOException {
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.configure(JsonGenerator.Feature.AUTO_CLOSE_TARGET, false);
            g.writeStartArray();
            for (Detection d : detections) {
                g.writeStartObject();
                g.writeStringField("service", d.service());
                g.writeStringField("phase", d.phase().name());
                g.writeArrayFieldStart("reasons");
                for (String r : d.reasons()) {
                    g.writeString(r);
                }
                g.writeEndArray();
                g.writeStringField("tree", d.tree());
                g.writeEndObject();
                g.writeRaw('\n');
            }
            g.writeEndArray();
        }
        out.println();
    }

    static void writeTable(PrintWriter out, List<Detection> detections) {
        int width = 7;
        for (Detection d : detections) {
            width = Math.max(width, Math.min(40, ServiceName.printable(d.service()).length()));
        }
        String row = "%-" + width + "s  %-17s  %s%n";
        out.printf(row, "SERVICE", "PHASE", "WHY");
        Map<Phase, Integer> counts = new EnumMap<>(Phase.class);
        for (Detection d : detections) {
            out.printf(row, ServiceName.printable(d.service()), d.phase(), String.join("; ", d.reasons()));
            counts.merge(d.phase(), 1, Integer::sum);
        }
        StringBuilder sum = new StringBuilder();
        counts.forEach((p, n) -> sum.append(sum.length() == 0 ? "" : ", ").append(n).append(' ').append(p));
        out.println();
        out.println(detections.size() + " entries" + (sum.length() == 0 ? "" : ": " + sum));
    }
}
