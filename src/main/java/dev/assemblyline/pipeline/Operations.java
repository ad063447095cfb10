package dev.assemblyline.pipeline;

import dev.assemblyline.git.GitRepo;
import dev.assemblyline.model.Phase;
import dev.assemblyline.model.ServiceState;
import dev.assemblyline.store.OpsStore;
import dev.assemblyline.store.Store;
import dev.assemblyline.verify.RepoConfig;
import dev.assemblyline.verify.Sandbox;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import org.eclipse.jgit.lib.ObjectId;

/**
 * What happens after the tests, each turn of the loop: the deploy command for services ready to deploy
 * ({@link Deployer}) and health checks for services in production ({@link HealthWatch}), at most one of
 * either per service at a time, on four threads of their own (never the reconcile thread). Results come
 * back as facts; the loop is told of each change.
 */
public final class Operations implements AutoCloseable {
    private final OpsStore ops;
    private final Clock clock;
    private final Duration interval;
    private final Consumer<String> onChange;
    private final Deployer deployer;
    private final HealthWatch health;
    private final ExecutorService pool = Executors.newFixedThreadPool(4, r -> {
        Thread t = new Thread(r, "operations");
        t.setDaemon(true);
        return t;
    });
    private final Set<String> busy = ConcurrentHashMap.newKeySet();
    private final Map<String, Instant> lastCheck = new ConcurrentHashMap<>();

    /**
     * @param interval    between two health checks of a service
     * @param secrets     the coordinator's environment, from which deploy secrets are taken by name
     * @param onChange    told of a service whose deployment or health changed
     * @param sandbox     where deploy and restart commands run (with the network)
     * @param healthHosts the only hosts health checks may reach (ASSEMBLY_HEALTH_HOSTS); empty: any
     * @param checkoutTree (service, identity) → the git tree to check out for it (see ServiceSnapshot)
     */
    public Operations(GitRepo repo, java.util.function.Supplier<dev.assemblyline.model.Layout> layout, OpsStore ops, Store store, Clock clock, Duration interval, Map<String, String> secrets,
                      Consumer<String> onChange, Sandbox sandbox, List<String> healthHosts,
                      java.util.function.BinaryOperator<String> checkoutTree) {
        this.ops = ops;
        this.clock = clock;
        this.interval = interval;
        this.onChange = onChange;
        this.deployer = new Deployer(repo, ops, store, clock, secrets, sandbox, checkoutTree);
        this.health = new HealthWatch(repo, layout, ops, store, clock, deployer, healthHosts);
    }

    /** Whether the deploy command handles this tree (configured, and not failed for it): no deploy ticket then. */
    public boolean deployByCommand(RepoConfig config, String service, String tree) {
        return deployer.byCommand(config, service, tree);
    }

    /** The tree each service's deploy command last deployed successfully. */
    public Map<String, String> deployedTrees() {
        return deployer.deployedTrees();
    }

    /** Whether no deploy, restart or health check is under way. */
    public boolean idle() {
        return busy.isEmpty();
    }

    public void turn(Map<String, ServiceState> states, ObjectId head, RepoConfig config) {
        if (head == null) {
            return;
        }
        Map<String, OpsStore.Deployment> deployments = ops.latestDeployments();
        Instant now = clock.instant();
        List<HealthWatch.Due> due = new java.util.ArrayList<>();
        for (ServiceState s : states.values()) {
            RepoConfig.Service sc = config.service(s.service());
            if (s.phase() == Phase.READY_FOR_DEPLOY && deployer.due(s, sc, deployments) && busy.add(s.service())) {
                submit(s.service(), () -> {
                    deployer.deploy(s, sc);
                    return true;
                });
            }
            if (s.phase() == Phase.PRODUCTION || s.phase() == Phase.UNHEALTHY) {
                Instant last = lastCheck.get(s.service());
                if ((last == null || !now.isBefore(last.plus(interval))) && busy.add(s.service())) {
                    lastCheck.put(s.service(), now);
                    due.add(new HealthWatch.Due(s, sc));
                }
            }
            if (s.phase() == Phase.PRODUCTION) {
                health.recovered(s.service());
            }
        }
        if (!due.isEmpty()) {
            checkAll(due, head);
        }
    }

    /** The health checks due this turn, as one round: side by side, recorded in one transaction. */
    private void checkAll(List<HealthWatch.Due> due, ObjectId head) {
        pool.submit(() -> {
            Set<String> changed = Set.of();
            List<HealthWatch.Due> restarts = List.of();
            try {
                HealthWatch.Round round = health.probeAll(due, head);
                changed = round.changed();
                restarts = round.restarts();
            } catch (Exception e) {
                changed = new java.util.HashSet<>(); // what it did is not known: let the loop look again
                for (HealthWatch.Due d : due) {
                    changed.add(d.state().service());
                }
                org.slf4j.LoggerFactory.getLogger(Operations.class).warn("health checks of {} services: {}", due.size(), e.getMessage());
            } finally {
                for (HealthWatch.Due d : due) {
                    if (!restarts.contains(d)) {
                        busy.remove(d.state().service());
                    }
                }
                changed.forEach(onChange);
            }
            for (HealthWatch.Due d : restarts) { // each restart as the service's own work (it stays busy until it ends)
                submit(d.state().service(), () -> {
                    health.restart(d);
                    return true;
                });
            }
        });
    }

    /** Runs one piece of work of a service (marked busy by the caller); the loop is told when it changed something. */
    private void submit(String service, java.util.concurrent.Callable<Boolean> work) {
        pool.submit(() -> {
            boolean changed = false;
            try {
                changed = work.call();
            } catch (Exception e) {
                changed = true; // what it did is not known: let the loop look again
                org.slf4j.LoggerFactory.getLogger(Operations.class).warn("{}: {}", service, e.getMessage());
            } finally {
                busy.remove(service);
                if (changed) {
                    onChange.accept(service);
                }
            }
        });
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
