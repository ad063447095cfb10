package dev.assemblyline.app;

import dev.assemblyline.git.ChangedServices;
import dev.assemblyline.git.GitRepo;
import dev.assemblyline.git.ServiceTrees;
import dev.assemblyline.model.Detection;
import dev.assemblyline.pipeline.Scanner;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.IntSupplier;
import org.eclipse.jgit.lib.ObjectId;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Time an operation in-process: warm-up runs, then timed runs; prints one JSON line.",
        subcommands = {BenchCommand.Scan.class, BenchCommand.Changed.class, BenchCommand.Resync.class, AssignBench.class, OutboxBench.class, SandboxBench.class,
                StatusBench.WriteBackRun.class, StatusBench.InitRun.class, FencingBench.class})
final class BenchCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static final class Timing {
        @Option(names = "--iterations", defaultValue = "20", description = "Timed runs (default: ${DEFAULT-VALUE}).")
        int iterations;

        @Option(names = "--warmup", defaultValue = "5", description = "Untimed runs first (default: ${DEFAULT-VALUE}).")
        int warmup;

        /** Runs {@code op} and prints {"bench", "services", "iterations", "median_ms", …}. */
        void report(PrintWriter out, String name, IntSupplier op) {
            if (iterations < 1) {
                throw new CommandLine.ParameterException(new CommandLine(this), "--iterations must be at least 1");
            }
            int services = 0;
            for (int i = 0; i < warmup; i++) {
                services = op.getAsInt();
            }
            double[] ms = new double[iterations];
            for (int i = 0; i < iterations; i++) {
                long t0 = System.nanoTime();
                services = op.getAsInt();
                ms[i] = (System.nanoTime() - t0) / 1e6;
            }
            Arrays.sort(ms);
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("bench", name);
            line.put("services", services);
            line.put("iterations", iterations);
            line.put("median_ms", round(median(ms)));
            line.put("min_ms", round(ms[0]));
            line.put("max_ms", round(ms[ms.length - 1]));
            line.put("heap_used_mb", (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) >> 20);
            try (com.fasterxml.jackson.core.JsonGenerator g = ScanCommand.JSON.createGenerator(out)) {
                g.configure(com.fasterxml.jackson.core.JsonGenerator.Feature.AUTO_CLOSE_TARGET, false);
                g.writeStartObject();
                for (Map.Entry<String, Object> e : line.entrySet()) {
                    g.writeFieldName(e.getKey());
                    g.writeObject(e.getValue());
                }
                g.writeEndObject();
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
            out.println();
            out.flush();
        }

        static double median(double[] sorted) {
            int n = sorted.length;
            return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        }

        static double round(double v) {
            return Math.round(v * 1000) / 1000.0;
        }
    }

    @Command(name = "scan", mixinStandardHelpOptions = true,
            description = "Scan every service repeatedly (the repository stays open, as in the server).")
    static final class Scan implements Callable<Integer> {
        @Mixin
        RepoOptions repo;

        @Mixin
        Timing timing;

        @Option(names = "--ref", paramLabel = "REF", description = "Branch, tag or commit (default: main, else HEAD).")
        String ref;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            try (GitRepo git = repo.open(); ServiceTrees trees = repo.trees(git)) {
                ObjectId commit = RepoOptions.commit(git, ref);
                if (commit == null) {
                    throw new Main.UserException(repo.repo + " has no commits to scan");
                }
                Scanner scanner = new Scanner(trees, repo.detector());
                timing.report(spec.commandLine().getOut(), "scan", () -> {
                    List<Detection> d = scanner.scan(commit);
                    return d.size();
                });
                return 0;
            }
        }
    }

    @Command(name = "changed", mixinStandardHelpOptions = true,
            description = "Find the changed services between two commits repeatedly.")
    static final class Changed implements Callable<Integer> {
        @Mixin
        RepoOptions repo;

        @Mixin
        Timing timing;

        @Option(names = "--from", required = true, paramLabel = "SHA")
        String from;

        @Option(names = "--to", required = true, paramLabel = "SHA")
        String to;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            try (GitRepo git = repo.open()) {
                ObjectId a = ChangedCommand.commit(git, from);
                ObjectId b = ChangedCommand.commit(git, to);
                ChangedServices changed = new ChangedServices(git, repo.root == null ? "SERVICES" : repo.root);
                timing.report(spec.commandLine().getOut(), "changed", () -> changed.between(a, b).size());
                return 0;
            }
        }
    }

    @Command(name = "resync", mixinStandardHelpOptions = true,
            description = {"Follow mode's periodic resync with nothing changed: fetch from the remote, look at every service,",
                    "compare with the store. Uses a throw-away H2 database and mirror under --data."})
    static final class Resync implements Callable<Integer> {
        @Option(names = "--repo-url", required = true, paramLabel = "URL", description = "Repository to follow (URL or path).")
        String url;

        @Option(names = "--data", required = true, paramLabel = "DIR", description = "Scratch folder for the mirror and database.")
        java.nio.file.Path data;

        @Option(names = "--root", defaultValue = "SERVICES", paramLabel = "FOLDER")
        String root;

        @Mixin
        Timing timing;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            try (dev.assemblyline.store.Database db = dev.assemblyline.store.Database.open(
                    dev.assemblyline.store.Database.h2Url(data), null, null);
                 dev.assemblyline.git.Mirror mirror = dev.assemblyline.git.Mirror.open(data.resolve("mirror.git"), url, null, null)) {
                var reconciler = new dev.assemblyline.pipeline.Reconciler(new dev.assemblyline.store.Store(db.jdbc()), mirror, root,
                        new dev.assemblyline.phase.PhaseDetector(dev.assemblyline.phase.SpecRules.bundled()), java.time.Clock.systemUTC(),
                        new io.micrometer.core.instrument.simple.SimpleMeterRegistry(), (session, service, text) -> { }, 20,
                        dev.assemblyline.pipeline.FactSources.NONE);
                reconciler.resync();
                timing.report(spec.commandLine().getOut(), "resync", () -> {
                    reconciler.resync();
                    return reconciler.states().size();
                });
                return 0;
            }
        }
    }
}
