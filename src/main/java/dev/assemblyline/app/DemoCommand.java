package dev.assemblyline.app;

import dev.assemblyline.git.CommitWriter;
import dev.assemblyline.git.GitRepo;
import dev.assemblyline.git.ServiceTrees;
import dev.assemblyline.phase.PhaseDetector;
import dev.assemblyline.phase.SpecRules;
import dev.assemblyline.pipeline.Scanner;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Make a sample repository with one service in each phase a repository alone can show,",
                "then scan it. A first look at what Assembly Line sees."})
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--dir", defaultValue = "data/demo.git", paramLabel = "DIR",
            description = "Where the sample (bare) repository goes (default: ${DEFAULT-VALUE}); reused if it exists.")
    Path dir;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        if (!Files.exists(dir.resolve("HEAD"))) {
            makeSample(dir);
            out.println("Made a sample repository at " + dir + " (bare; clone it with: git clone " + dir + ")");
        } else {
            out.println("Scanning the sample repository at " + dir);
        }
        out.println();
        try (GitRepo git = GitRepo.open(dir); ServiceTrees trees = new ServiceTrees(git, "SERVICES")) {
            PhaseDetector detector = new PhaseDetector(SpecRules.bundled());
            ScanCommand.writeTable(out, new Scanner(trees, detector).scan(git.resolveCommit("main")));
        }
        out.println();
        out.println("Next: java -jar target/assembly-line.jar scan --repo <your monorepo> [--json]");
        out.flush();
        return 0;
    }

    static void makeSample(Path dir) throws IOException {
        Files.createDirectories(dir);
        try (Repository r = new FileRepositoryBuilder().setGitDir(dir.toFile()).setBare().build()) {
            r.create(true);
            r.updateRef("HEAD").link("refs/heads/main");
            String complete = template();
            String incomplete = complete.substring(0, complete.indexOf("## Success Criteria"));
            String build = "SERVICES/%s/BUILD/";
            CommitWriter w = new CommitWriter(r, "main")
                    .put("README.md", "# sample monorepo\n")
                    .put("SERVICES/billing/README.md", "# billing\n\nNo spec yet.\n")
                    .put("SERVICES/search/SPEC.md", incomplete.replace("# hello", "# " + "search"))
                    .put("SERVICES/email/SPEC.md", complete.replace("# hello", "# " + "email"));
            for (String s : new String[] {"auth", "feed", "chat", "media"}) {
                w.put("SERVICES/" + s + "/SPEC.md", complete.replace("# hello", "# " + s))
                        .put(String.format(build, s) + "src/main.py", "print('hello from " + s + "')\n")
                        .put(String.format(build, s) + "requirements.txt", "fastapi\n")
                        .put(String.format(build, s) + "Dockerfile", "FROM python:3.11-slim\n")
                        .put(String.format(build, s) + ".env.example", "PORT=8000\n");
            }
            w.put("SERVICES/auth/README.md", "# auth\n\nStatus: \uD83D\uDEA7 BUILD IN PROGRESS by builder-1\n");
            w.put("SERVICES/chat/BUILD/tests/test_main.py", "def test_ok():\n    assert True\n");
            w.put("SERVICES/media/BUILD/tests/test_main.py", "def test_ok():\n    assert True\n");
            w.put("SERVICES/media/PRODUCTION/deploy.json", "{\"url\": \"http://127.0.0.1:8001/health\"}\n");
            w.commit("sample services, one per phase");
        }
    }

    private static String template() throws IOException {
        try (InputStream in = DemoCommand.class.getResourceAsStream("/templates/SPEC.example.md")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
