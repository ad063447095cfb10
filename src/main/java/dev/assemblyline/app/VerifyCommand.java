package dev.assemblyline.app;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.assemblyline.git.GitRepo;
import dev.assemblyline.git.ServiceTrees;
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
                "its tree at the commit is written to a temporary folder and its tests run there (own process group,",
                "secrets stripped from the environment, killed at the timeout)."})
final class VerifyCommand implements Callable<Integer> {
    @Mixin
    RepoOptions repo;

    @Parameters(index = "0", paramLabel = "SERVICE")
    String service;

    @Option(names = "--ref", paramLabel = "REF", description = "Branch, tag or commit (default: main, else HEAD).")
    String ref;

    @Option(names = "--timeout", paramLabel = "SECONDS", description = "Test timeout (default: assembly.yml's, else 900).")
    Long timeout;

    @Option(names = "--json", description = "Print {service, phase, tests, coverage, reasons}.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        ServiceName.require(service);
        try (GitRepo git = repo.open(); ServiceTrees trees = repo.trees(git)) {
            ObjectId commit = RepoOptions.commit(git, ref);
            if (commit == null) {
                throw new Main.UserException(repo.repo + " has no commits");
            }
            Verification.Outcome o = Verification.verify(Config.fromEnv(System.getenv()).sandbox(), trees, repo.detector(), commit, service, Verification.config(git, commit),
                    timeout == null ? null : Duration.ofSeconds(timeout), () -> false);
            print(spec.commandLine().getOut(), o, json);
            return 0;
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
        }
        out.flush();
    }

    static void write(JsonGenerator g, Verification.Outcome o) throws Exception {
        TestRun r = o.run();
        g.writeStartObject();
        g.writeStringField("service", o.detection().service());
        g.writeStringField("phase", o.detection().phase().name());
        g.writeStringField("tree", o.detection().tree());
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
        }
        g.writeArrayFieldStart("reasons");
        for (String s : o.detection().reasons()) {
            g.writeString(s);
        }
        g.writeEndArray();
        g.writeEndObject();
    }
}
