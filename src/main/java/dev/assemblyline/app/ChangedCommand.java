package dev.assemblyline.app;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.assemblyline.git.ChangedServices;
import dev.assemblyline.git.GitRepo;
import dev.assemblyline.git.ServiceChange;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import org.eclipse.jgit.lib.ObjectId;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "changed", mixinStandardHelpOptions = true,
        description = {"Print the services whose folder differs between two commits (added, modified, deleted, renamed).",
                "--from may be 0000000000000000000000000000000000000000 (a new branch: every service counts);",
                "the commits need not be related (a forced push works)."})
final class ChangedCommand implements Callable<Integer> {
    @Mixin
    RepoOptions repo;

    @Option(names = "--from", required = true, paramLabel = "SHA", description = "The commit before (all zeros: none).")
    String from;

    @Option(names = "--to", required = true, paramLabel = "SHA", description = "The commit after (all zeros: the branch was deleted).")
    String to;

    @Option(names = "--json", description = "Print a JSON array of {service, change, previous, before, after}.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        try (GitRepo git = repo.open()) {
            ObjectId after = commit(git, to);
            List<ServiceChange> changes = new ChangedServices(git, repo.rootAt(git, after)).between(commit(git, from), after);
            if (json) {
                try (JsonGenerator g = ScanCommand.JSON.createGenerator(out)) {
                    g.configure(JsonGenerator.Feature.AUTO_CLOSE_TARGET, false);
                    g.writeStartArray();
                    for (ServiceChange c : changes) {
                        g.writeStartObject();
                        g.writeStringField("service", c.service());
                        g.writeStringField("change", c.kind().name());
                        g.writeStringField("previous", c.previousName());
                        g.writeStringField("before", c.before());
                        g.writeStringField("after", c.after());
                        g.writeEndObject();
                    }
                    g.writeEndArray();
                }
                out.println();
            } else {
                for (ServiceChange c : changes) {
                    out.println(c.kind().name().toLowerCase() + "\t" + c.service()
                            + (c.previousName() == null ? "" : "\t(was " + c.previousName() + ")"));
                }
            }
            out.flush();
            return 0;
        }
    }

    static ObjectId commit(GitRepo git, String sha) {
        if (sha.matches("0{40}")) {
            return ObjectId.zeroId();
        }
        return git.resolveCommit(sha);
    }
}
