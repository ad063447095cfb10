package dev.assemblyline.app;

import dev.assemblyline.sim.Simulation;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code assembly simulate}: the whole line running by itself, with simulated sessions; see docs/simulate.md. */
@Command(name = "simulate", mixinStandardHelpOptions = true,
        description = {"Starts a coordinator on its embedded defaults and a simulated team that works only through the REST API and"
                + " real git pushes (specs, a Python service, its tests, deploys), with scripted trouble (a builder vanishes mid-build,"
                + " an incomplete spec, a killed production service, a push during a test run). Prints each phase change and ends with"
                + " a report; exit 0 when every service reached PRODUCTION with no manual action and no deploy without passing tests.",
                "Needs git and python3; the coordinator runs from this jar."})
final class SimulateCommand implements Callable<Integer> {
    @Option(names = "--services", defaultValue = "20", description = "services to take from nothing to production (default ${DEFAULT-VALUE})")
    int services;

    @Option(names = "--sessions", defaultValue = "6", description = "simulated sessions, at least 5: two builders and one of each other kind (default ${DEFAULT-VALUE})")
    int sessions;

    @Option(names = "--failure-rate", defaultValue = "0.2", description = "share of services whose first tests fail and are fixed on a fix ticket (default ${DEFAULT-VALUE})")
    double failureRate;

    @Option(names = "--speed", defaultValue = "1.0", description = "how fast the sessions work and the coordinator's timers run (default ${DEFAULT-VALUE})")
    double speed;

    @Option(names = "--seed", defaultValue = "1", description = "the story: which tests fail, who vanishes, which spec is incomplete (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--json", description = "the report as one JSON line (progress lines are left out)")
    boolean json;

    @Option(names = "--keep", paramLabel = "DIR", description = "run in DIR and leave the coordinator, the services and the dashboard running until Ctrl-C")
    Path keep;

    @Option(names = "--timeout", defaultValue = "600", description = "give up after this many seconds (default ${DEFAULT-VALUE})")
    int timeoutSeconds;

    @Option(names = "--no-trouble", description = "leave out the scripted trouble")
    boolean noTrouble;

    @Option(names = "--coordinator-jvm", paramLabel = "OPTIONS",
            description = "the coordinator's JVM options, space-separated (default: the README's, ${DEFAULT-VALUE}); to compare JVM settings")
    String coordinatorJvm = String.join(" ", Simulation.COORDINATOR_JVM);

    @Override
    public Integer call() throws Exception {
        if (services < 1 || services > 5000) {
            System.err.println("assembly simulate: --services must be 1..5000");
            return Main.EXIT_USAGE;
        }
        if (speed <= 0 || failureRate < 0 || failureRate > 1) {
            System.err.println("assembly simulate: --speed must be above 0 and --failure-rate within 0..1");
            return Main.EXIT_USAGE;
        }
        return new Simulation(new Simulation.Options(services, sessions, failureRate, speed, seed, json, keep, Duration.ofSeconds(timeoutSeconds),
                !noTrouble, coordinatorJvm.isBlank() ? List.of() : List.of(coordinatorJvm.trim().split("\\s+"))), System.out).run();
    }
}
