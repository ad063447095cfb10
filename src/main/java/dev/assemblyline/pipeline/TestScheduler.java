package dev.assemblyline.pipeline;

import dev.assemblyline.git.ServiceTrees;
import dev.assemblyline.model.Phase;
import dev.assemblyline.model.ServiceSnapshot;
import dev.assemblyline.model.ServiceState;
import dev.assemblyline.model.TestRun;
import dev.assemblyline.store.ResultStore;
import dev.assemblyline.verify.RepoConfig;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.eclipse.jgit.lib.ObjectId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the tests of services in TESTING, at most {@code parallelism} at once. A result belongs to a tree:
 * a tree with a result is never run again (a push elsewhere re-runs nothing), and a run still going for
 * an old tree is cancelled when the service's tree changes.
 */
public final class TestScheduler implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TestScheduler.class);

    /** A run asked for: {@code started} once it has a runner (before that it waits in the pool's queue). */
    private record Running(String tree, AtomicBoolean cancelled, AtomicBoolean started) {
    }

    private final ServiceTrees trees;
    private final dev.assemblyline.verify.Sandbox sandbox;
    private final ResultStore results;
    private final Clock clock;
    private final Consumer<String> onDone;
    private final ExecutorService pool;
    private final Map<String, Running> running = new ConcurrentHashMap<>();
    private final Map<String, String> progress = new ConcurrentHashMap<>();
    private final Consumer<dev.assemblyline.model.LogEntry> log;

    /** Whether a run of the service's suite is under way or waiting for a runner. */
    public boolean running(String service) {
        return running.containsKey(service);
    }

    /**
     * The suites running now, each with its progress ("starting" before pytest printed a line). A run still
     * waiting for a free runner is not among them: the dashboard and {@code Why} say its service waits for
     * its tests.
     */
    public Map<String, String> runningProgress() {
        Map<String, String> out = new java.util.HashMap<>();
        running.forEach((s, r) -> {
            if (r.started().get()) {
                out.put(s, progress.getOrDefault(s, "starting"));
            }
        });
        return out;
    }

    /** @param log where a cancelled run is recorded (the event log: "tests of tree … cancelled: a newer tree arrived") */
    public TestScheduler(ServiceTrees trees, ResultStore results, int parallelism, Clock clock, Consumer<String> onDone,
                         dev.assemblyline.verify.Sandbox sandbox, Consumer<dev.assemblyline.model.LogEntry> log) {
        this.log = log;
        this.sandbox = sandbox;
        this.trees = trees;
        this.results = results;
        this.clock = clock;
        this.onDone = onDone;
        this.pool = Executors.newFixedThreadPool(Math.max(1, parallelism), r -> {
            Thread t = new Thread(r, "tests");
            t.setDaemon(true);
            return t;
        });
    }

    /** Whether no run is under way (a cancelled one counts until its process has ended). */
    public boolean idle() {
        return running.isEmpty();
    }

    /** Starts runs for services in TESTING whose tree has no result and no run; cancels runs of old trees. */
    public void schedule(Map<String, ServiceState> states, ObjectId head, RepoConfig config) {
        running.forEach((service, r) -> {
            ServiceState s = states.get(service);
            if (s == null || !r.tree().equals(s.tree())) {
                r.cancelled().set(true); // the tree moved on (or the service went): that result would belong to nothing
            }
        });
        for (ServiceState s : states.values()) {
            if (s.phase() != Phase.TESTING || s.tree() == null || config.testsByCi(s.service())) {
                continue; // tests: ci waits for the forge's verdict (CiVerdicts)
            }
            Running r = running.get(s.service());
            if (r != null && r.tree().equals(s.tree()) || results.has(s.service(), s.tree())) {
                continue;
            }
            Running mine = new Running(s.tree(), new AtomicBoolean(), new AtomicBoolean());
            running.put(s.service(), mine);
            pool.submit(() -> run(s.service(), s.tree(), head, config, mine));
        }
    }

    private void run(String service, String tree, ObjectId head, RepoConfig config, Running mine) {
        try {
            if (mine.cancelled().get()) {
                return;
            }
            ServiceSnapshot s = trees.snapshot(head, service);
            if (s == null || !s.treeId().equals(tree)) {
                return;
            }
            mine.started().set(true);
            LOG.info("running the tests of {} (tree {})", service, tree.substring(0, 12));
            TestRun r = Verification.runTests(sandbox, trees.repo(), s, config, null, mine.cancelled()::get, p -> progress.put(service, p));
            if (r == null) {
                LOG.info("the test run of {} for tree {} was cancelled: a newer tree arrived", service, tree.substring(0, 12));
                log.accept(new dev.assemblyline.model.LogEntry(0, clock.instant(), service, "tests",
                        "the test run of tree " + tree.substring(0, 12) + " was cancelled: a newer tree arrived"));
                return;
            }
            results.save(r, clock.instant());
            LOG.info("tests of {}: {}", service, r.summary());
        } catch (Exception e) {
            LOG.warn("the test run of {} failed to run: {}", service, e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName());
            if (!mine.cancelled().get()) {
                // recorded as a failure of this tree, so it is not started again and again; a new push tries again
                results.save(new TestRun(service, tree, false, 0, 0, 1, 0, null, List.of(), -1, false,
                        "the suite could not be run: " + e.getMessage(), ""), clock.instant());
            }
        } finally {
            running.remove(service, mine);
            progress.remove(service);
            onDone.accept(service);
        }
    }

    /** Cancels every run under way (a replica that stops leading: the new leader runs them again). */
    public void cancelAll() {
        running.values().forEach(r -> r.cancelled().set(true));
    }

    @Override
    public void close() {
        running.values().forEach(r -> r.cancelled().set(true));
        pool.shutdownNow();
    }
}
