package dev.assemblyline.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assemblyline.git.GitRepo;
import dev.assemblyline.model.Facts;
import dev.assemblyline.model.LogEntry;
import dev.assemblyline.model.ServiceName;
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
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jgit.lib.ObjectId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Health checks of services in production: one GET of the health URL (5 s timeout; only up or down, the
 * status code and the time are kept), hosts limited to ASSEMBLY_HEALTH_HOSTS; two failures in a row are
 * UNHEALTHY, two passes healthy again; the restart command runs once per outage. {@link Operations}
 * calls it off the reconcile thread.
 */
final class HealthWatch {
    private static final Logger LOG = LoggerFactory.getLogger(HealthWatch.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern PORT = Pattern.compile("(?im)^\\s*port\\s*:\\s*(\\d{2,5})\\s*$");

    private final GitRepo repo;
    private final java.util.function.Supplier<dev.assemblyline.model.Layout> layout;
    private final OpsStore ops;
    private final Store store;
    private final Clock clock;
    private final Deployer deployer;
    private final List<String> healthHosts;
    private final Set<String> refusedLogged = ConcurrentHashMap.newKeySet();
    private final Set<String> restarted = ConcurrentHashMap.newKeySet();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** @param deployer runs the restart command the way it runs deploys */
    HealthWatch(GitRepo repo, java.util.function.Supplier<dev.assemblyline.model.Layout> layout, OpsStore ops, Store store, Clock clock, Deployer deployer, List<String> healthHosts) {
        this.repo = repo;
        this.layout = layout;
        this.ops = ops;
        this.store = store;
        this.clock = clock;
        this.deployer = deployer;
        this.healthHosts = List.copyOf(healthHosts);
    }

    /** Back in production: a new outage may restart again. */
    void recovered(String service) {
        restarted.remove(service);
    }

    /** Health checks in flight at once. */
    static final int AT_ONCE = 32;
    /**
     * The longest a check may take in all: the request's 5 s timeout ends the wait for the headers only,
     * and a service that sends its headers and then nothing would hold its round for ever.
     */
    static final Duration CHECK_LIMIT = Duration.ofSeconds(12);

    /** A service due for a health check, with its part of assembly.yml. */
    record Due(ServiceState state, RepoConfig.Service config) {
    }

    /** What a round of checks changed: the services whose verdict moved, and those to restart (now UNHEALTHY). */
    record Round(Set<String> changed, List<Due> restarts) {
    }

    /**
     * Checks these services side by side (each GET on its own, 5 s at most) and records every result in one
     * transaction: a round over many services in production is one write, not one each.
     */
    Round probeAll(List<Due> due, ObjectId head) {
        List<OpsStore.NewCheck> done = new java.util.ArrayList<>();
        for (int from = 0; from < due.size(); from += AT_ONCE) { // AT_ONCE GETs in flight at most
            List<java.util.concurrent.CompletableFuture<OpsStore.NewCheck>> checks = new java.util.ArrayList<>();
            for (Due d : due.subList(from, Math.min(due.size(), from + AT_ONCE))) {
                checks.add(check(d.state(), head, d.config()));
            }
            for (var f : checks) {
                done.add(f.join()); // never fails and always ends (CHECK_LIMIT): an error is a failed check
            }
        }
        Instant now = clock.instant();
        Map<String, OpsStore.Transition> verdicts = ops.checkedAll(done, now);
        Set<String> changed = new java.util.HashSet<>();
        List<Due> restarts = new java.util.ArrayList<>();
        List<LogEntry> lines = new java.util.ArrayList<>();
        for (int i = 0; i < due.size(); i++) {
            Due d = due.get(i);
            OpsStore.Transition t = verdicts.get(d.state().service());
            if (t == null || t.before() == t.after()) {
                continue;
            }
            changed.add(d.state().service());
            lines.add(new LogEntry(0, now, d.state().service(), "health", healthLine(t.before(), t.after(), done.get(i).detail())));
            if (t.after() == Facts.Health.UNHEALTHY && d.config().restart() != null && restarted.add(d.state().service())) {
                restarts.add(d);
            }
        }
        if (!lines.isEmpty()) {
            store.log(lines, now);
        }
        return new Round(changed, restarts);
    }

    /** One check, not yet recorded: up or down, the status code and the time (nothing the answer says comes back). */
    private java.util.concurrent.CompletableFuture<OpsStore.NewCheck> check(ServiceState state, ObjectId head, RepoConfig.Service sc) {
        String service = state.service();
        String url = cachedUrl(state, head, sc);
        String host = url == null ? null : hostOf(url);
        if (url == null) {
            return java.util.concurrent.CompletableFuture.completedFuture(new OpsStore.NewCheck(service, false,
                    "no health URL (assembly.yml health, PRODUCTION/deploy.json url, or Port in SPEC.md)"));
        }
        if (host == null || !healthHosts.isEmpty() && !healthHosts.contains(host)) {
            if (refusedLogged.add(service + " " + host)) {
                LOG.warn("{}: health URL host {} is not in ASSEMBLY_HEALTH_HOSTS {}; not checked", service,
                        host == null ? "(none)" : ServiceName.printable(host), healthHosts);
            }
            return java.util.concurrent.CompletableFuture.completedFuture(new OpsStore.NewCheck(service, false,
                    "health URL refused: its host is not in ASSEMBLY_HEALTH_HOSTS"));
        }
        long t0 = System.nanoTime();
        if (url.startsWith("http://")) {
            // its time counts from when a thread takes it: rounds side by side share the pool, and a check waiting
            // behind slow ones must not start with its deadline spent
            return java.util.concurrent.CompletableFuture.supplyAsync(() -> plainGet(service, url, System.nanoTime()), plain);
        }
        try {
            return http.sendAsync(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).GET().build(),
                    HttpResponse.BodyHandlers.discarding()).orTimeout(CHECK_LIMIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS).handle((r, e) -> {
                        long ms = (System.nanoTime() - t0) / 1_000_000;
                        if (e == null) {
                            return new OpsStore.NewCheck(service, r.statusCode() / 100 == 2, "answered " + r.statusCode() + " in " + ms + " ms");
                        }
                        Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
                        return new OpsStore.NewCheck(service, false, cause instanceof java.net.http.HttpTimeoutException
                                || cause instanceof java.util.concurrent.TimeoutException ? "no answer in " + ms + " ms" : "unreachable after " + ms + " ms");
                    });
        } catch (RuntimeException e) { // a URL the client cannot use
            return java.util.concurrent.CompletableFuture.completedFuture(new OpsStore.NewCheck(service, false,
                    "unreachable after " + (System.nanoTime() - t0) / 1_000_000 + " ms"));
        }
    }

    /**
     * A check of a plain-HTTP URL: one GET on its own connection, read up to the status line; the rest of
     * the answer is never read. The JDK's HttpClient spent several times the CPU per check on the same
     * (docs/ARCHITECTURE.md, "Threads"; BENCHMARKS.md, issue 13, seventh pass), and a coordinator with
     * hundreds of services checks each every few seconds. No redirect is followed, as with the HttpClient; HTTPS goes through the HttpClient.
     */
    static OpsStore.NewCheck plainGet(String service, String url, long t0) {
        long deadline = t0 + CHECK_LIMIT.toNanos();
        try {
            URI u = URI.create(url);
            String host = u.getHost();
            int port = u.getPort() < 0 ? 80 : u.getPort();
            String path = (u.getRawPath() == null || u.getRawPath().isEmpty() ? "/" : u.getRawPath())
                    + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
            try (java.net.Socket socket = new java.net.Socket()) {
                socket.connect(new java.net.InetSocketAddress(host, port), (int) Math.max(1, Math.min(TIMEOUT.toNanos(), deadline - System.nanoTime()) / 1_000_000));
                socket.setTcpNoDelay(true);
                String hostHeader = (host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host) + (u.getPort() < 0 ? "" : ":" + port);
                socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: " + hostHeader
                        + "\r\nUser-Agent: assembly-line\r\nAccept: */*\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                java.io.InputStream in = socket.getInputStream();
                byte[] line = new byte[256];
                int n = 0;
                while (n < line.length) {
                    long left = Math.min(TIMEOUT.toNanos(), deadline - System.nanoTime());
                    if (left <= 0) {
                        throw new java.net.SocketTimeoutException();
                    }
                    socket.setSoTimeout((int) Math.max(1, left / 1_000_000));
                    int b = in.read();
                    if (b < 0 || b == '\n') {
                        break;
                    }
                    line[n++] = (byte) b;
                }
                long ms = (System.nanoTime() - t0) / 1_000_000;
                Matcher m = STATUS_LINE.matcher(new String(line, 0, n, StandardCharsets.ISO_8859_1));
                if (!m.lookingAt()) {
                    return new OpsStore.NewCheck(service, false, "unreachable after " + ms + " ms"); // not an HTTP answer
                }
                int code = Integer.parseInt(m.group(1));
                drain(socket, in); // closed with the answer unread, the connection would be reset under the service
                return new OpsStore.NewCheck(service, code / 100 == 2, "answered " + code + " in " + ms + " ms");
            }
        } catch (java.net.SocketTimeoutException e) {
            return new OpsStore.NewCheck(service, false, "no answer in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        } catch (java.io.IOException | RuntimeException e) {
            return new OpsStore.NewCheck(service, false, "unreachable after " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        }
    }

    /** Reads what is left of a short answer (64 KB, a quarter of a second at most), so the close is a clean one. */
    private static void drain(java.net.Socket socket, java.io.InputStream in) {
        try {
            socket.setSoTimeout(250);
            byte[] buf = new byte[8192];
            for (int total = 0, n; total < 64 * 1024 && (n = in.read(buf)) >= 0; total += n) {
                // thrown away: only the status line counts
            }
        } catch (java.io.IOException e) {
            // the verdict is known; the rest does not matter
        }
    }

    private static final Pattern STATUS_LINE = Pattern.compile("HTTP/1\\.[01] (\\d{3})(?: |\r|$)");
    /** The wait for a connection, and for each part of the answer. */
    static final Duration TIMEOUT = Duration.ofSeconds(5);

    /** The plain-HTTP checks' threads, as many as checks in flight ({@link #AT_ONCE}); they end after a minute idle. */
    private final java.util.concurrent.ThreadPoolExecutor plain = plainPool();

    private static java.util.concurrent.ThreadPoolExecutor plainPool() {
        var pool = new java.util.concurrent.ThreadPoolExecutor(AT_ONCE, AT_ONCE, 60, java.util.concurrent.TimeUnit.SECONDS,
                new java.util.concurrent.LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "health-checks");
                    t.setDaemon(true);
                    return t;
                });
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    /** A health URL found in a service's folder, kept while the folder's tree and the layout are the same. */
    private record Found(String tree, dev.assemblyline.model.Layout layout, String url) {
    }

    private final Map<String, Found> urls = new ConcurrentHashMap<>();

    /**
     * {@link #healthUrl}, read from the repository once per version of the service's folder: the deploy.json
     * or SPEC.md it comes from is in the folder, whose tree is the service's state.
     */
    private String cachedUrl(ServiceState state, ObjectId head, RepoConfig.Service sc) {
        if (sc.health() != null || state.tree() == null) {
            return healthUrl(state.service(), head, sc);
        }
        dev.assemblyline.model.Layout l = layout.get();
        Found f = urls.get(state.service());
        if (f != null && f.tree().equals(state.tree()) && f.layout().equals(l)) {
            return f.url();
        }
        String url = healthUrl(state.service(), head, sc);
        urls.put(state.service(), new Found(state.tree(), l, url));
        return url;
    }

    /** Runs the restart command of a service that just became UNHEALTHY (once per outage). */
    void restart(Due d) {
        restart(d.state(), d.config());
    }

    private void restart(ServiceState s, RepoConfig.Service sc) {
        try {
            ProcessRunner.Result r = deployer.runInTree(s, "restart", sc.restart(), Map.of(), Duration.ofMinutes(5));
            Instant now = clock.instant();
            store.log(List.of(new LogEntry(0, now, s.service(), "recover", "restart command " + (r.exitCode() == 0 ? "ran" : "failed (exit "
                    + r.exitCode() + ")") + "; a recover ticket goes to devops if the checks keep failing")), now);
        } catch (Exception e) {
            LOG.warn("restarting {} failed: {}", s.service(), e.getMessage());
        }
    }

    /** What a change of health verdict says: a first verdict is not a recovery. */
    static String healthLine(Facts.Health before, Facts.Health after, String detail) {
        boolean down = after == Facts.Health.UNHEALTHY;
        if (before == null || before == Facts.Health.UNKNOWN) {
            return (down ? "the first health check failed: " : "the first health check passed: ") + detail;
        }
        return (down ? "two health checks in a row failed: " : "health checks pass again: ") + detail;
    }

    /** The host of an http(s) URL, lower case; null when it has none. */
    static String hostOf(String url) {
        try {
            String h = URI.create(url).getHost();
            return h == null ? null : h.replaceAll("^\\[|]$", "").toLowerCase(Locale.ROOT); // [::1] → ::1
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
        dev.assemblyline.model.Layout l = layout.get();
        String base = (l.root().isEmpty() ? "" : l.root() + "/") + service + "/";
        // the production evidence's deploy.json (PRODUCTION/deploy.json by default; a layout may name its own .json)
        for (String evidence : l.production()) {
            String file = evidence.endsWith("/") ? evidence + "deploy.json" : evidence.endsWith(".json") ? evidence : null;
            byte[] deploy = file == null || file.contains("*") ? null : repo.fileAt(head, base + file, 64 * 1024);
            if (deploy == null) {
                continue;
            }
            try {
                JsonNode n = JSON.readTree(deploy);
                if (n != null && n.hasNonNull("url")) {
                    return n.get("url").asText();
                }
            } catch (Exception e) {
                LOG.debug("{}: {} is not JSON", service, file);
            }
        }
        byte[] spec = null;
        for (String name : l.spec()) { // the first spec file there, as the phase detector reads it
            if ((spec = repo.fileAt(head, base + name, 1 << 20)) != null) {
                break;
            }
        }
        if (spec != null) {
            Matcher m = PORT.matcher(new String(spec, StandardCharsets.UTF_8));
            if (m.find()) {
                return "http://localhost:" + m.group(1) + "/health";
            }
        }
        return null;
    }
}
