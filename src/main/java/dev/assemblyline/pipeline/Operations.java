package dev.assemblyline.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assemblyline.git.Checkout;
import dev.assemblyline.git.GitRepo;
import dev.assemblyline.model.LogEntry;
import dev.assemblyline.model.Phase;
import dev.assemblyline.model.ServiceState;
import dev.assemblyline.store.OpsStore;
import dev.assemblyline.store.Store;
import dev.assemblyline.verify.ProcessRunner;
import dev.assemblyline.verify.RepoConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jgit.lib.ObjectId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What happens after the tests: the configured deploy command for services ready to deploy (once per
 * tree; its secrets passed by name), and health checks for services in production (each cycle, 5 s
 * timeout; two failures in a row are UNHEALTHY, two successes healthy again), with the restart command
 * run once per outage. Work happens off the reconcile thread; results come back as facts.
 */
public final class Operations implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Operations.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern PORT = Pattern.compile("(?im)^\\s*port\\s*:\\s*(\\d{2,5})\\s*$");

    private final GitRepo repo;
    private final String root;
    private final OpsStore ops;
    private final Store store;
    private final Clock clock;
    private final Duration interval;
    private final Consumer<String> onChange;
    private final Map<String, String> secrets;
    private final dev.assemblyline.verify.Sandbox sandbox;
    private final List<String> healthHosts;
    private final Set<String> refusedLogged = ConcurrentHashMap.newKeySet();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ExecutorService pool = Executors.newFixedThreadPool(4, r -> {
        Thread t = new Thread(r, "operations");
        t.setDaemon(true);
        return t;
    });
    private final Set<String> busy = ConcurrentHashMap.newKeySet();
    private final Map<String, Instant> lastCheck = new ConcurrentHashMap<>();
    private final Set<String> restarted = ConcurrentHashMap.newKeySet();

    /**
     * @param secrets     the coordinator's environment, from which deploy secrets are taken by name
     * @param sandbox     where deploy and restart commands run (with the network)
     * @param healthHosts the only hosts health checks may reach (ASSEMBLY_HEALTH_HOSTS); empty: any
     */
    public Operations(GitRepo repo, String root, OpsStore ops, Store store, Clock clock, Duration interval, Map<String, String> secrets,
                      Consumer<String> onChange, dev.assemblyline.verify.Sandbox sandbox, List<String> healthHosts) {
        this.sandbox = sandbox;
        this.healthHosts = List.copyOf(healthHosts);
        this.repo = repo;
        this.root = root;
        this.ops = ops;
        this.store = store;
        this.clock = clock;
        this.interval = interval;
        this.secrets = secrets;
        this.onChange = onChange;
    }

    /** Whether the deploy command handles this tree (configured, and not failed for it): no deploy ticket then. */
    public boolean deployByCommand(RepoConfig config, String service, String tree) {
        if (config.service(service).deploy() == null) {
            return false;
        }
        OpsStore.Deployment last = ops.latestDeployments().get(service);
        return last == null || !last.tree().equals(tree) || last.ok();
    }

    /** The tree each service's deploy command last deployed successfully. */
    public Map<String, String> deployedTrees() {
        Map<String, String> out = new HashMap<>();
        ops.latestDeployments().forEach((s, d) -> {
            if (d.ok()) {
                out.put(s, d.tree());
            }
        });
        return out;
    }

    public void turn(Map<String, ServiceState> states, ObjectId head, RepoConfig config) {
        if (head == null) {
            return;
        }
        Map<String, OpsStore.Deployment> deployments = ops.latestDeployments();
        Instant now = clock.instant();
        for (ServiceState s : states.values()) {
            RepoConfig.Service sc = config.service(s.service());
            if (s.phase() == Phase.READY_FOR_DEPLOY && sc.deploy() != null) {
                OpsStore.Deployment d = deployments.get(s.service());
                if ((d == null || !d.tree().equals(s.tree())) && busy.add(s.service())) {
                    pool.submit(() -> deploy(s, head, sc));
                }
            }
            if (s.phase() == Phase.PRODUCTION || s.phase() == Phase.UNHEALTHY) {
                Instant last = lastCheck.get(s.service());
                if ((last == null || !now.isBefore(last.plus(interval))) && busy.add(s.service())) {
                    lastCheck.put(s.service(), now);
                    pool.submit(() -> probe(s, head, sc));
                }
            }
            if (s.phase() == Phase.PRODUCTION) {
                restarted.remove(s.service()); // a new outage may restart again
            }
        }
    }

    /** Runs a command in a fresh folder holding exactly the service's tree. */
    private ProcessRunner.Result runInTree(ServiceState s, String what, String command, Map<String, String> passed, Duration timeout)
            throws Exception {
        Path dir = Files.createTempDirectory("assembly-" + what + "-" + s.service() + "-");
        try {
            Checkout.write(repo, s.tree(), dir);
            // deploys and restarts reach the network; everything else of the sandbox holds
            return ProcessRunner.run(sandbox, new ProcessRunner.Job(command, dir, List.of(dir), true, passed, timeout), () -> false);
        } finally {
            Verification.deleteTree(dir);
        }
    }

    private void deploy(ServiceState s, ObjectId head, RepoConfig.Service sc) {
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
        } finally {
            busy.remove(s.service());
            onChange.accept(s.service());
        }
    }

    private void probe(ServiceState s, ObjectId head, RepoConfig.Service sc) {
        try {
            String url = healthUrl(s.service(), head, sc);
            boolean ok;
            String detail;
            String host = url == null ? null : hostOf(url);
            if (url == null) {
                ok = false;
                detail = "no health URL (assembly.yml health, PRODUCTION/deploy.json url, or Port in SPEC.md)";
            } else if (host == null || !healthHosts.isEmpty() && !healthHosts.contains(host)) {
                ok = false;
                detail = "health URL refused: its host is not in ASSEMBLY_HEALTH_HOSTS";
                if (refusedLogged.add(s.service() + " " + host)) {
                    LOG.warn("{}: health URL host {} is not in ASSEMBLY_HEALTH_HOSTS {}; not checked", s.service(),
                            host == null ? "(none)" : dev.assemblyline.model.ServiceName.printable(host), healthHosts);
                }
            } else {
                // only up or down, the status code and the time are kept: nothing the answer says comes back
                long t0 = System.nanoTime();
                try {
                    HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).GET().build(),
                            HttpResponse.BodyHandlers.discarding());
                    ok = r.statusCode() / 100 == 2;
                    detail = "answered " + r.statusCode() + " in " + (System.nanoTime() - t0) / 1_000_000 + " ms";
                } catch (java.net.http.HttpTimeoutException e) {
                    ok = false;
                    detail = "no answer in " + (System.nanoTime() - t0) / 1_000_000 + " ms";
                } catch (Exception e) {
                    ok = false;
                    detail = "unreachable after " + (System.nanoTime() - t0) / 1_000_000 + " ms";
                }
            }
            var before = ops.health(clock.instant()).get(s.service());
            ops.checked(s.service(), ok, detail, clock.instant());
            var after = ops.health(clock.instant()).get(s.service());
            if (before != after) {
                Instant now = clock.instant();
                store.log(List.of(new LogEntry(0, now, s.service(), "health", healthLine(before, after, detail))), now);
                if (after == dev.assemblyline.model.Facts.Health.UNHEALTHY && sc.restart() != null && restarted.add(s.service())) {
                    restart(s, sc);
                }
                onChange.accept(s.service());
            }
        } finally {
            busy.remove(s.service());
        }
    }

    private void restart(ServiceState s, RepoConfig.Service sc) {
        try {
            ProcessRunner.Result r = runInTree(s, "restart", sc.restart(), Map.of(), Duration.ofMinutes(5));
            Instant now = clock.instant();
            store.log(List.of(new LogEntry(0, now, s.service(), "recover", "restart command " + (r.exitCode() == 0 ? "ran" : "failed (exit "
                    + r.exitCode() + ")") + "; a recover ticket goes to devops if the checks keep failing")), now);
        } catch (Exception e) {
            LOG.warn("restarting {} failed: {}", s.service(), e.getMessage());
        }
    }

    /** What a change of health verdict says: a first verdict is not a recovery. */
    static String healthLine(dev.assemblyline.model.Facts.Health before, dev.assemblyline.model.Facts.Health after, String detail) {
        boolean down = after == dev.assemblyline.model.Facts.Health.UNHEALTHY;
        if (before == null || before == dev.assemblyline.model.Facts.Health.UNKNOWN) {
            return (down ? "the first health check failed: " : "the first health check passed: ") + detail;
        }
        return (down ? "two health checks in a row failed: " : "health checks pass again: ") + detail;
    }

    /** The host of an http(s) URL, lower case; null when it has none. */
    static String hostOf(String url) {
        try {
            String h = URI.create(url).getHost();
            return h == null ? null : h.replaceAll("^\\[|]$", "").toLowerCase(java.util.Locale.ROOT); // [::1] → ::1
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** assembly.yml's health, else PRODUCTION/deploy.json's url, else http://localhost:<Port in SPEC.md>/health. */
    String healthUrl(String service, ObjectId head, RepoConfig.Service sc) {
        String url = configuredUrl(service, head, sc);
        return url == null || url.startsWith("http://") || url.startsWith("https://") ? url : null;
    }

    private String configuredUrl(String service, ObjectId head, RepoConfig.Service sc) {
        if (sc.health() != null) {
            return sc.health();
        }
        String base = (root.isEmpty() ? "" : root + "/") + service + "/";
        byte[] deploy = repo.fileAt(head, base + "PRODUCTION/deploy.json", 64 * 1024);
        if (deploy != null) {
            try {
                JsonNode n = JSON.readTree(deploy);
                if (n != null && n.hasNonNull("url")) {
                    return n.get("url").asText();
                }
            } catch (Exception e) {
                LOG.debug("{}: PRODUCTION/deploy.json is not JSON", service);
            }
        }
        byte[] spec = repo.fileAt(head, base + "SPEC.md", 1 << 20);
        if (spec != null) {
            Matcher m = PORT.matcher(new String(spec, StandardCharsets.UTF_8));
            if (m.find()) {
                return "http://localhost:" + m.group(1) + "/health";
            }
        }
        return null;
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
