package dev.assemblyline.pipeline;

import dev.assemblyline.git.Checkout;
import dev.assemblyline.git.GitRepo;
import dev.assemblyline.model.LogEntry;
import dev.assemblyline.model.ServiceState;
import dev.assemblyline.store.OpsStore;
import dev.assemblyline.store.Store;
import dev.assemblyline.verify.ProcessRunner;
import dev.assemblyline.verify.RepoConfig;
import dev.assemblyline.verify.Sandbox;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The configured deploy command of a service ready to deploy: run once per tree, sandboxed with the
 * network, in a folder holding exactly the service's tree, with only the secrets assembly.yml names for
 * it. Its outcome is a fact (a tree deployed, or a deploy ticket for devops). {@link Operations} calls it
 * off the reconcile thread.
 */
final class Deployer {
    private static final Logger LOG = LoggerFactory.getLogger(Deployer.class);

    private final GitRepo repo;
    private final OpsStore ops;
    private final Store store;
    private final Clock clock;
    private final Map<String, String> secrets;
    private final Sandbox sandbox;
    private final java.util.function.BinaryOperator<String> checkoutTree;

    Deployer(GitRepo repo, OpsStore ops, Store store, Clock clock, Map<String, String> secrets, Sandbox sandbox,
             java.util.function.BinaryOperator<String> checkoutTree) {
        this.checkoutTree = checkoutTree;
        this.repo = repo;
        this.ops = ops;
        this.store = store;
        this.clock = clock;
        this.secrets = secrets;
        this.sandbox = sandbox;
    }

    /** Whether the deploy command handles this tree (configured, and not failed for it): no deploy ticket then. */
    boolean byCommand(RepoConfig config, String service, String tree) {
        if (config.service(service).deploy() == null) {
            return false;
        }
        OpsStore.Deployment last = ops.latestDeployments().get(service);
        return last == null || !last.tree().equals(tree) || last.ok();
    }

    /** The tree each service's deploy command last deployed successfully. */
    Map<String, String> deployedTrees() {
        Map<String, String> out = new HashMap<>();
        ops.latestDeployments().forEach((s, d) -> {
            if (d.ok()) {
                out.put(s, d.tree());
            }
        });
        return out;
    }

    /** Whether {@code s} waits for its deploy command: configured, and its tree not tried yet. */
    boolean due(ServiceState s, RepoConfig.Service sc, Map<String, OpsStore.Deployment> deployments) {
        OpsStore.Deployment d = deployments.get(s.service());
        return sc.deploy() != null && (d == null || !d.tree().equals(s.tree()));
    }

    /** Runs a command in a fresh folder holding exactly the service's tree. */
    ProcessRunner.Result runInTree(ServiceState s, String what, String command, Map<String, String> passed, Duration timeout)
            throws Exception {
        Path dir = Files.createTempDirectory("assembly-" + what + "-" + s.service() + "-");
        try {
            Checkout.write(repo, checkoutTree.apply(s.service(), s.tree()), dir);
            // deploys and restarts reach the network; everything else of the sandbox holds
            return ProcessRunner.run(sandbox, new ProcessRunner.Job(command, dir, List.of(dir), true, passed, timeout), () -> false);
        } finally {
            Verification.deleteTree(dir);
        }
    }

    void deploy(ServiceState s, RepoConfig.Service sc) {
        try {
            Map<String, String> passed = new HashMap<>();
            for (String name : sc.deploySecrets()) {
                if (ProcessRunner.coordinatorOwned(name)) {
                    // assembly.yml is written by whoever can push: it may not ask for the coordinator's own secrets
                    LOG.warn("{}: deploy_secrets names {}, which belongs to the coordinator; not passed", s.service(), name);
                } else if (secrets.containsKey(name)) {
                    passed.put(name, secrets.get(name)); // only the secrets named for this deploy
                }
            }
            ProcessRunner.Result r = runInTree(s, "deploy", sc.deploy(), passed, Duration.ofMinutes(15));
            boolean ok = r.exitCode() == 0 && !r.timedOut();
            Instant now = clock.instant();
            ops.deployed(s.service(), s.tree(), ok, "deploy command", r.output(), now);
            store.log(List.of(new LogEntry(0, now, s.service(), "deploy", ok ? "deployed tree " + s.tree().substring(0, 12) + " with its deploy command"
                    : "the deploy command failed (exit " + r.exitCode() + (r.timedOut() ? ", timed out" : "") + "): a deploy ticket goes to devops")), now);
        } catch (Exception e) {
            LOG.warn("deploying {} failed to run: {}", s.service(), e.getMessage());
            ops.deployed(s.service(), s.tree(), false, "deploy command", String.valueOf(e.getMessage()), clock.instant());
        }
    }
}
