package dev.assemblyline.app;

import dev.assemblyline.git.GitRepo;
import dev.assemblyline.git.HostedRepo;
import dev.assemblyline.git.RepoSource;
import dev.assemblyline.git.TreeEdit;
import dev.assemblyline.model.InboxEvent;
import dev.assemblyline.pipeline.FactSources;
import dev.assemblyline.pipeline.Reconciler;
import dev.assemblyline.store.Database;
import dev.assemblyline.store.Store;
import dev.assemblyline.writeback.Registry;
import dev.assemblyline.writeback.WriteBack;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.PersonIdent;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** Benchmarks of the status board and of adopting a repository (BENCHMARKS.md, issue 14). */
final class StatusBench {
    private StatusBench() {
    }

    static ObjectId commit(GitRepo git, ObjectId base, TreeEdit edit, String message) throws java.io.IOException {
        return edit.commit(git.repository(), base, new PersonIdent("bench", "bench@localhost"), message);
    }

    static void print(PrintWriter out, Map<String, Object> line) {
        StringBuilder sb = new StringBuilder("{");
        line.forEach((k, v) -> sb.append(sb.length() == 1 ? "" : ", ").append('"').append(k).append("\": ")
                .append(v instanceof String ? "\"" + v + "\"" : String.valueOf(v)));
        out.println(sb.append('}'));
        out.flush();
    }

    static double median(double[] ms) {
        double[] s = ms.clone();
        Arrays.sort(s);
        return BenchCommand.Timing.round(BenchCommand.Timing.median(s));
    }

    @Command(name = "writeback", mixinStandardHelpOptions = true,
            description = {"What the status write-back adds to a reconcile of one changed service: a hosted repository of --services",
                    "services (complete specs), reconciled once; then each round pushes a change to one service and times the",
                    "reconcile of that push alone, then the write-back commit of its new phase plus the reconcile of the bot's commit."})
    static final class WriteBackRun implements Callable<Integer> {
        @Option(names = "--services", defaultValue = "10000")
        int services;

        @Option(names = "--rounds", defaultValue = "30")
        int rounds;

        @Option(names = "--warmup", defaultValue = "5")
        int warmup;

        @Option(names = "--data", required = true, paramLabel = "DIR", description = "Scratch folder (emptied) for the repository and database.")
        Path data;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            dev.assemblyline.verify.ProcessRunner.deleteTree(data);
            Files.createDirectories(data);
            Clock clock = Clock.systemUTC();
            String complete = new String(StatusBench.class.getResourceAsStream("/templates/SPEC.example.md") == null
                    ? "".getBytes() : StatusBench.class.getResourceAsStream("/templates/SPEC.example.md").readAllBytes(), StandardCharsets.UTF_8);
            if (complete.isEmpty()) {
                throw new IllegalStateException("templates/SPEC.example.md is missing from the jar");
            }
            try (Database db = Database.open(Database.h2Url(data), null, null);
                 HostedRepo hosted = HostedRepo.open(data.resolve("services.git"), "main")) {
                TreeEdit all = new TreeEdit();
                for (int i = 0; i < services; i++) {
                    all.put("SERVICES/" + name(i) + "/SPEC.md", complete.getBytes(StandardCharsets.UTF_8));
                    all.put("SERVICES/" + name(i) + "/README.md", ("# " + name(i) + "\n\nA service.\n").getBytes(StandardCharsets.UTF_8));
                }
                ObjectId first = commit(hosted.repo(), null, all, "services");
                hosted.publish(ObjectId.zeroId(), first);
                Store store = new Store(db.jdbc());
                Reconciler reconciler = new Reconciler(store, hosted, "SERVICES",
                        new dev.assemblyline.phase.PhaseDetector(dev.assemblyline.phase.SpecRules.bundled()), clock,
                        new io.micrometer.core.instrument.simple.SimpleMeterRegistry(), (session, service, text) -> { }, 20, FactSources.NONE);
                reconciler.resync();
                WriteBack wb = new WriteBack(hosted, reconciler.trees()::root, reconciler::settledHead, reconciler::states, List::of, WriteBack.Details.NONE,
                        store::accept, e -> { },
                        clock, new WriteBack.Settings(new PersonIdent("bot", "bot@localhost"), Duration.ZERO));
                long t0 = System.nanoTime();
                wb.writeOnce(); // every service's first status line: one commit
                double firstMs = (System.nanoTime() - t0) / 1e6;
                reconciler.drain();
                boolean[] incomplete = new boolean[services];
                int retried = 0;
                double[] base = new double[rounds];
                double[] added = new double[rounds];
                double[] commitMs = new double[rounds];
                double[] botMs = new double[rounds];
                for (int r = -warmup; r < rounds; r++) {
                    int n = Math.floorMod(r * 7919, services);
                    ObjectId head = hosted.head();
                    // complete ↔ incomplete: a phase change each round
                    incomplete[n] = !incomplete[n];
                    String text = incomplete[n] ? "# " + name(n) + "\n\nnot yet\n" : complete;
                    ObjectId c = commit(hosted.repo(), head, new TreeEdit().put("SERVICES/" + name(n) + "/SPEC.md", text.getBytes(StandardCharsets.UTF_8)),
                            "change " + name(n));
                    hosted.publish(head, c);
                    store.accept(InboxEvent.push("bench", "bench-" + r + "-" + System.nanoTime(), "refs/heads/main", head.name(), c.name(), clock.instant()));
                    long a = System.nanoTime();
                    reconciler.drain(); // the reconcile of the person's push
                    long b = System.nanoTime();
                    int tries = 1;
                    while (!wb.writeOnce()) {
                        // a repack (every 10 to 40 commits) held the branch's ref, or removed a pack the reconcile was reading (it
                        // reads the push again): the server's loop and write-back try again too
                        if (++tries > 5) {
                            throw new IllegalStateException("round " + r + ": no status commit for " + name(n) + " (head " + hosted.head().name()
                                    + ", reconciled " + reconciler.settledHead() + ")");
                        }
                        retried++;
                        Thread.sleep(1000);
                        reconciler.drain();
                    }
                    long c2 = System.nanoTime();
                    reconciler.drain(); // the reconcile of the bot's commit (finds nothing to decide)
                    long d = System.nanoTime();
                    if (r >= 0) {
                        base[r] = (b - a) / 1e6;
                        added[r] = (d - b) / 1e6;
                        commitMs[r] = (c2 - b) / 1e6;
                        botMs[r] = (d - c2) / 1e6;
                    }
                }
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("bench", "writeback");
                line.put("services", services);
                line.put("rounds", rounds);
                line.put("first_write_all_ms", BenchCommand.Timing.round(firstMs));
                line.put("reconcile_one_change_median_ms", median(base));
                line.put("writeback_added_median_ms", median(added));
                line.put("of_which_commit_median_ms", median(commitMs));
                line.put("of_which_bot_reconcile_median_ms", median(botMs));
                line.put("registry_kb", hosted.repo().fileAt(hosted.head(), Registry.PATH, Integer.MAX_VALUE).length / 1024);
                line.put("bot_commits", wb.commits());
                line.put("rounds_retried_after_a_repack", retried);
                print(spec.commandLine().getOut(), line);
                return 0;
            }
        }

        static String name(int i) {
            return String.format("svc-%05d", i);
        }
    }

    @Command(name = "init", mixinStandardHelpOptions = true,
            description = {"assembly init's look at a repository (find the services, propose the layout, read every phase under it),",
                    "timed. Without --repo, makes a polyglot monorepo of --services services under src/ in --data first."})
    static final class InitRun implements Callable<Integer> {
        @Option(names = "--repo", paramLabel = "DIR", description = "The repository to look at (default: one made in --data).")
        Path repo;

        @Option(names = "--services", defaultValue = "10000")
        int services;

        @Option(names = "--data", paramLabel = "DIR", description = "Scratch folder for the generated repository.")
        Path data;

        @Option(names = "--iterations", defaultValue = "10")
        int iterations;

        @Option(names = "--warmup", defaultValue = "3")
        int warmup;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            Path dir = repo;
            if (dir == null) {
                if (data == null) {
                    throw new Main.UserException("give --repo, or --data to make a repository in");
                }
                dev.assemblyline.verify.ProcessRunner.deleteTree(data);
                dir = data.resolve("mono.git");
                try (HostedRepo made = HostedRepo.open(dir, "main")) {
                    made.publish(ObjectId.zeroId(), commit(made.repo(), null, polyglot(services), "a polyglot monorepo"));
                }
            }
            try (GitRepo git = GitRepo.open(dir)) {
                ObjectId commit = RepoOptions.commit(git, null);
                int found = 0;
                double[] ms = new double[iterations];
                for (int i = -warmup; i < iterations; i++) {
                    long t0 = System.nanoTime();
                    InitCommand.Look look = InitCommand.look(git, commit);
                    found = look.phases().size();
                    if (i >= 0) {
                        ms[i] = (System.nanoTime() - t0) / 1e6;
                    }
                }
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("bench", "init");
                line.put("services", found);
                line.put("iterations", iterations);
                line.put("median_ms", median(ms));
                line.put("max_ms", BenchCommand.Timing.round(Arrays.stream(ms).max().orElse(0)));
                print(spec.commandLine().getOut(), line);
                return 0;
            }
        }

        /** Services under src/ in five languages, every other one with tests, one in three with a spec. */
        static TreeEdit polyglot(int n) {
            TreeEdit e = new TreeEdit();
            byte[] spec = "# s\n\n## Purpose\n\nx\n".getBytes(StandardCharsets.UTF_8);
            for (int i = 0; i < n; i++) {
                String s = "src/" + String.format("svc-%05d", i) + "/";
                boolean tests = i % 2 == 0;
                switch (i % 5) {
                    case 0 -> {
                        e.put(s + "go.mod", "module x\n".getBytes());
                        e.put(s + "main.go", "package main\n".getBytes());
                        if (tests) {
                            e.put(s + "main_test.go", "package main\n".getBytes());
                        }
                    }
                    case 1 -> {
                        e.put(s + "pyproject.toml", "[project]\n".getBytes());
                        e.put(s + "app/main.py", "x = 1\n".getBytes());
                        if (tests) {
                            e.put(s + "tests/test_main.py", "def test(): pass\n".getBytes());
                        }
                    }
                    case 2 -> {
                        e.put(s + "pom.xml", "<project/>\n".getBytes());
                        e.put(s + "src/main/java/A.java", "class A {}\n".getBytes());
                        if (tests) {
                            e.put(s + "src/test/java/ATest.java", "class ATest {}\n".getBytes());
                        }
                    }
                    case 3 -> {
                        e.put(s + "package.json", "{}\n".getBytes());
                        e.put(s + "index.js", "1\n".getBytes());
                        if (tests) {
                            e.put(s + "index.test.js", "1\n".getBytes());
                        }
                    }
                    default -> {
                        e.put(s + "App.csproj", "<Project/>\n".getBytes());
                        e.put(s + "Program.cs", "class P {}\n".getBytes());
                        if (tests) {
                            e.put(s + "tests/App.Tests/App.Tests.csproj", "<Project/>\n".getBytes());
                        }
                    }
                }
                if (i % 3 == 0) {
                    e.put(s + "SPEC.md", spec);
                }
                e.put(s + "Dockerfile", "FROM scratch\n".getBytes());
            }
            return e;
        }
    }
}
