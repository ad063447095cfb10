package dev.assemblyline.app;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.assemblyline.git.GitRepo;
import dev.assemblyline.git.ServiceTrees;
import dev.assemblyline.git.WorkTree;
import dev.assemblyline.model.ServiceName;
import dev.assemblyline.model.TestRun;
import dev.assemblyline.pipeline.Verification;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.eclipse.jgit.lib.ObjectId;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"The spec, build and test checks of one service, locally, through the same code as the server:",
                "its tree at the commit (or, with --worktree, as it is on disk) is written to a temporary folder and its",
                "tests run there, in the sandbox, killed at the timeout."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every check that could run passed", "1:a check failed (spec incomplete, BUILD/ incomplete, tests failing)",
                "2:bad input (no such service, repository or ref; a bad option)"})
final class VerifyCommand implements Callable<Integer> {
    @Mixin
    RepoOptions repo;

    @Parameters(index = "0", paramLabel = "SERVICE")
    String service;

    @Option(names = "--ref", paramLabel = "REF", description = "Branch, tag or commit (default: main, else HEAD).")
    String ref;

    @Option(names = "--timeout", paramLabel = "SECONDS", description = "Test timeout (default: assembly.yml's, else 900).")
    Long timeout;

    @Option(names = "--json", description = "Print {service, phase, passed, failed_check, tests, coverage, reasons, output_tail}.")
    boolean json;

    @Option(names = "--worktree", description = "Check the files as they are in the work tree, committed or not (what a pre-push hook or a local run wants).")
    boolean worktree;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        ServiceName.require(service);
        try (GitRepo git = repo.open(); ServiceTrees trees = repo.trees(git)) {
            ObjectId commit = RepoOptions.commit(git, ref);
            repo.layOut(trees, git, commit);
            if (commit == null && !worktree) {
                throw new Main.UserException(repo.repo + " has no commits (--worktree checks the files on disk)");
            }
            java.util.List<String> paths = java.util.List.of(trees.root() + "/" + service, "assembly.yml");
            if (worktree) {
                if (ref != null) {
                    throw new Main.UserException("--worktree checks the files on disk; it cannot be used with --ref");
                }
                commit = WorkTree.snapshot(git.repository(), commit, paths);
            } else {
                java.util.Set<String> dirty = WorkTree.uncommitted(git.repository(), paths);
                if (!dirty.isEmpty()) {
                    PrintWriter err = spec.commandLine().getErr();
                    err.println("assembly: note: " + dirty.size() + " uncommitted change" + (dirty.size() == 1 ? "" : "s") + " under " + trees.root() + "/" + service
                            + " (" + String.join(", ", dirty.stream().limit(3).toList()) + (dirty.size() > 3 ? ", …" : "")
                            + ") not checked: verify reads the commit " + commit.abbreviate(12).name() + "; --worktree checks the files as they are");
                    err.flush();
                }
            }
            dev.assemblyline.verify.RepoConfig config = Verification.config(git, commit);
            if (config.problem() != null) {
                spec.commandLine().getErr().println("assembly: " + config.problem());
                spec.commandLine().getErr().flush();
            }
            Verification.Outcome o = Verification.verify(Config.fromEnv(System.getenv()).sandbox(), trees, repo.detector(), commit, service, config,
                    timeout == null ? null : Duration.ofSeconds(timeout), () -> false);
            print(spec.commandLine().getOut(), o, json);
            return o.failedCheck() == null ? 0 : 1;
        }
    }



    static void print(PrintWriter out, Verification.Outcome o, boolean json) throws Exception {
        TestRun r = o.run();
        if (json) {
            try (JsonGenerator g = ScanCommand.JSON.createGenerator(out)) {
                g.configure(JsonGenerator.Feature.AUTO_CLOSE_TARGET, false);
                write(g, o);
            }
            out.println();
        } else {
            out.println(o.detection().service() + ": " + o.detection().phase() + " — " + String.join("; ", o.detection().reasons()));
            if (r != null) {
                out.println("tests: " + r.summary() + (r.timedOut() ? " (timed out)" : ""));
            }
            String failed = o.failedCheck();
            if (failed != null && r != null && !r.passed()) {
                out.println("--- last lines of the test output ---");
                out.println(TestRun.tail(r.output(), TestRun.TAIL_LINES));
                out.println("---");
            }
            out.println(failed == null ? "PASS" : "FAIL: the " + failed + " check");
        }
        out.flush();
    }

    static void write(JsonGenerator g, Verification.Outcome o) throws Exception {
        TestRun r = o.run();
        g.writeStartObject();
        g.writeStringField("service", o.detection().service());
        g.writeStringField("phase", o.detection().phase().name());
        g.writeStringField("tree", o.detection().tree());
        g.writeBooleanField("passed", o.failedCheck() == null);
        g.writeStringField("failed_check", o.failedCheck());
        if (r == null) {
            g.writeNullField("tests");
            g.writeNullField("coverage");
        } else {
            g.writeObjectFieldStart("tests");
            g.writeNumberField("passed", r.tests() - r.failed() - r.errors() - r.skipped());
            g.writeNumberField("failed", r.failed());
            g.writeNumberField("errors", r.errors());
            g.writeNumberField("skipped", r.skipped());
            g.writeBooleanField("timed_out", r.timedOut());
            g.writeArrayFieldStart("failing");
            for (String f : r.failing()) {
                g.writeString(f);
            }
            g.writeEndArray();
            g.writeEndObject();
            if (r.coverage() == null) {
                g.writeNullField("coverage");
            } else {
                g.writeNumberField("coverage", r.coverage());
            }
            g.writeStringField("output_tail", r.passed() ? "" : TestRun.tail(r.output(), TestRun.TAIL_LINES));
        }
        g.writeArrayFieldStart("reasons");
        for (String s : o.detection().reasons()) {
            g.writeString(s);
        }
        g.writeEndArray();
        g.writeEndObject();
    }
}
