package dev.assemblyline.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code assembly simulate}: a coordinator on its embedded defaults (the packaged jar, in its own process
 * and folder) and a team of simulated sessions that act only as real workers do: REST calls with their
 * own tokens, and real git pushes with their own credentials. They write specs, a Python HTTP service,
 * its tests (some failing, then fixed), and deploy by starting the service and committing PRODUCTION/;
 * the coordinator does everything else. Scripted trouble: a builder vanishes mid-build, a spec arrives
 * incomplete, a production service is killed, a push lands while its tests run. Ends with a report whose
 * figures are checked from the event log and the test results, not taken from the coordinator's word.
 * See docs/simulate.md.
 */
public final class Simulation {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern MOVE = Pattern.compile("^([A-Z_]+|new) → ([A-Z_]+)");
    /**
     * The slow test of the push-during-tests trouble: long enough for the second push to land while it runs
     * on a loaded machine (20 s was not, with 40 sessions racing for the branch); the run is cancelled
     * when that push lands, so it costs only the time the push takes.
     */
    static final int SLOW_TEST_S = 120;
    private static final Pattern PASSED_TREE = Pattern.compile("tests of tree ([0-9a-f]{12}) passed");
    private static final String[] KINDS = {"billing", "search", "auth", "email", "chat", "match", "orders", "notify", "media", "users"};

    /**
     * The JVM options the coordinator is served with: the README's first command and {@code bin/assembly serve}
     * say the same (SimulationTest checks). The client compiler only: C2 spent 40–50 CPU-s compiling in a
     * five-minute run for code hardly faster here (docs/ARCHITECTURE.md, "The JVM options").
     */
    public static final List<String> COORDINATOR_JVM = List.of("-XX:+UseParallelGC", "-XX:TieredStopAtLevel=1");

    /** What to simulate; {@code coordinatorJvm} are the coordinator's JVM options. */
    public record Options(int services, int sessions, double failureRate, double speed, long seed, boolean json, Path keep,
                          Duration timeout, boolean trouble, List<String> coordinatorJvm) {
    }

    private final Options o;
    private final PrintStream out;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Map<String, Process> running = new ConcurrentHashMap<>();
    private final Map<String, Integer> ports = new ConcurrentHashMap<>();
    private final Map<String, String> deployCommits = new ConcurrentHashMap<>();
    private final Map<String, String> phases = new ConcurrentHashMap<>();
    private final Map<String, Instant> waitingSince = new ConcurrentHashMap<>();
    private final List<String> names = new ArrayList<>();
    private final Set<String> failing = ConcurrentHashMap.newKeySet();
    private final Random random;
    private volatile boolean stopping;
    private volatile double stuckMaxS;
    private int adminCallsAfterSetup;
    private String base;
    private String admin;
    private Path dir;
    private Process coordinator;
    private Instant started;
    private Double machineAtStart;

    // the scripted trouble, and whether each was handled
    private String vanisher;
    private volatile String vanishedOn;
    private String incompleteSpec;
    private String slowTests;
    private volatile String killed;
    private volatile boolean killDone;

    public Simulation(Options o, PrintStream out) {
        this.o = o;
        this.out = out;
        this.random = new Random(o.seed());
    }

    private Duration scaled(double seconds) {
        return Duration.ofMillis(Math.max(50, (long) (seconds * 1000 / o.speed())));
    }

    /** Runs the whole simulation; returns the process exit code (0: everything delivered, nothing unsafe). */
    public int run() throws Exception {
        dir = o.keep() != null ? o.keep().toAbsolutePath() : Files.createTempDirectory("assembly-simulate-");
        Files.createDirectories(dir);
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        byte[] b = new byte[24];
        new SecureRandom().nextBytes(b);
        admin = "sim-admin-" + HexFormat.of().formatHex(b);
        base = "http://127.0.0.1:" + port;
        try {
            startCoordinator(port);
            setUp();
            Map<String, Object> report = drive();
            print(report);
            boolean ok = (int) report.get("in_production") == o.services() && (int) report.get("manual_actions") == 0
                    && (int) report.get("deploys_without_passing_tests") == 0 && Boolean.TRUE.equals(report.get("trouble_handled"));
            if (o.keep() != null) {
                System.err.println("assembly simulate: the coordinator and the services keep running; the dashboard is at " + base
                        + "/ (admin token in " + dir.resolve("admin-token.txt") + "); Ctrl-C ends them");
                Files.writeString(dir.resolve("admin-token.txt"), admin + "\n");
                Thread.currentThread().join();
            }
            return ok ? 0 : 1;
        } finally {
            stopping = true;
            for (Member m : members == null ? List.<Member>of() : members) {
                if (m.mcp != null) {
                    try {
                        m.mcp.close();
                    } catch (RuntimeException e) {
                        // the coordinator may be gone already
                    }
                }
            }
            running.values().forEach(Process::destroy);
            if (fakeSlack != null && o.keep() == null) {
                fakeSlack.stop(0);
            }
            if (coordinator != null) {
                coordinator.destroy();
                coordinator.waitFor(java.util.concurrent.TimeUnit.SECONDS.toMillis(20), java.util.concurrent.TimeUnit.MILLISECONDS);
            }
            if (o.keep() == null) {
                deleteQuietly(dir);
            }
        }
    }

    private com.sun.net.httpserver.HttpServer fakeSlack;
    private final String slackSecret = "simulation-signing-" + Long.toHexString(new SecureRandom().nextLong());
    private final java.util.concurrent.atomic.AtomicInteger slackCommands = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.AtomicInteger slackCalls = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.AtomicInteger mcpCalls = new java.util.concurrent.atomic.AtomicInteger();

    /** A stand-in for Slack's Web API: every method answers ok with a new message ts; the calls are counted. */
    private void startFakeSlack() throws IOException {
        fakeSlack = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        fakeSlack.createContext("/api/", ex -> {
            ex.getRequestBody().readAllBytes();
            int n = slackCalls.incrementAndGet();
            byte[] body = ("{\"ok\":true,\"channel\":\"C0SIMULATION\",\"ts\":\"1700000000." + String.format("%06d", n) + "\"}")
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        fakeSlack.createContext("/platform/deploy/", this::platformDeploy);
        fakeSlack.setExecutor(java.util.concurrent.Executors.newCachedThreadPool()); // a deploy waits for its service
        fakeSlack.start();
    }

    /** Services deployed by assembly.yml's deploy command (one in four), and the blob of main.py each deploy received. */
    private final Set<String> byCommand = ConcurrentHashMap.newKeySet();
    private final Map<String, List<String>> platformDeploys = new ConcurrentHashMap<>();

    /**
     * A stand-in for a deploy target (a platform's API): the deploy command in assembly.yml sends the
     * service's main.py here; the platform starts it on the service's port and answers once it answers
     * health checks, as {@code fly deploy} or {@code kubectl rollout status} would.
     */
    private void platformDeploy(com.sun.net.httpserver.HttpExchange ex) throws IOException {
        String service = ex.getRequestURI().getPath().substring("/platform/deploy/".length());
        byte[] code = ex.getRequestBody().readAllBytes();
        int status = 404;
        if (byCommand.contains(service)) {
            try {
                if (!launch(service, new String(code, java.nio.charset.StandardCharsets.UTF_8))) {
                    throw new IOException(service + " did not answer health checks in 30 s");
                }
                try (org.eclipse.jgit.lib.ObjectInserter.Formatter f = new org.eclipse.jgit.lib.ObjectInserter.Formatter()) {
                    platformDeploys.computeIfAbsent(service, k -> new java.util.concurrent.CopyOnWriteArrayList<>())
                            .add(f.idFor(org.eclipse.jgit.lib.Constants.OBJ_BLOB, code).name());
                }
                status = 200;
            } catch (Exception e) {
                status = 500;
            }
        }
        ex.sendResponseHeaders(status, -1);
        ex.close();
    }

    /** (Re)starts a service's HTTP process from its main.py; true once it answers health checks (within 30 s: a loaded machine). */
    private boolean launch(String service, String mainPy) throws Exception {
        Process old = running.remove(service);
        if (old != null) {
            old.destroyForcibly().waitFor();
        }
        Path main = dir.resolve("run/" + service + "/main.py");
        Files.createDirectories(main.getParent());
        Files.writeString(main, mainPy, java.nio.charset.StandardCharsets.UTF_8);
        ProcessBuilder pb = new ProcessBuilder("python3", main.toString()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("PORT", Integer.toString(ports.get(service)));
        running.put(service, pb.start());
        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < until) {
            try {
                if (http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports.get(service) + "/health")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return true;
                }
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        return false;
    }

    /** assembly.yml: the services deployed by command, with their command and health URL. */
    private String assemblyYml() {
        StringBuilder y = new StringBuilder("# some services deploy through a command (a stand-in for a platform's API)\nservices:\n");
        String platform = "http://127.0.0.1:" + fakeSlack.getAddress().getPort() + "/platform/deploy/";
        for (String n : names) {
            if (byCommand.contains(n)) {
                String command = "python3 -c \"import urllib.request as u; u.urlopen(u.Request('" + platform + n
                        + "', data=open('BUILD/src/main.py', 'rb').read()), timeout=60)\"";
                y.append("  ").append(n).append(":\n    deploy: '").append(command.replace("'", "''")).append("'\n")
                        .append("    health: http://127.0.0.1:").append(ports.get(n)).append("/health\n");
            }
        }
        return y.toString();
    }

    private void startCoordinator(int port) throws Exception {
        startFakeSlack();
        Path jar = jar();
        Files.writeString(dir.resolve("sessions.json"), "[]");
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(o.coordinatorJvm());
        cmd.addAll(List.of("-jar", jar.toString(), "serve"));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("coordinator.log").toFile());
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("ASSEMBLY_") || k.startsWith("SLACK_") || k.equals("PORT"));
        env.put("PORT", Integer.toString(port));
        env.put("ASSEMBLY_DATA_DIR", dir.resolve("data").toString());
        env.put("ASSEMBLY_ADMIN_TOKEN", admin);
        env.put("ASSEMBLY_SESSIONS_FILE", dir.resolve("sessions.json").toString());
        // the timers follow --speed, with floors a loaded machine can keep (a git push may take seconds)
        env.put("ASSEMBLY_LEASE", Math.max(10000, scaled(12).toMillis()) + "ms");
        env.put("ASSEMBLY_OFFER_TIMEOUT", Math.max(3000, scaled(6).toMillis()) + "ms");
        env.put("ASSEMBLY_HEALTH_INTERVAL", Math.max(3000, scaled(1.5).toMillis()) + "ms");
        env.put("ASSEMBLY_TEST_PARALLELISM", "2");
        // every simulated session connects from 127.0.0.1; a real team comes from many addresses
        env.put("ASSEMBLY_MAX_CONNECTIONS_PER_ADDRESS", "0");
        env.put("ASSEMBLY_PUBLIC_URL", base);
        // Slack, faked: the coordinator announces into a local stand-in of Slack's Web API, and some sessions
        // speak to it through signed /assembly commands, as Slack would deliver them
        env.put("SLACK_BOT_TOKEN", "xoxb-simulation");
        env.put("SLACK_SIGNING_SECRET", slackSecret);
        env.put("ASSEMBLY_SLACK_CHANNEL", "C0SIMULATION");
        env.put("ASSEMBLY_SLACK_API_URL", "http://127.0.0.1:" + fakeSlack.getAddress().getPort() + "/api/");
        env.put("ASSEMBLY_SLACK_CHANNEL_INTERVAL", "50ms");
        started = Instant.now();
        machineAtStart = machineBusySeconds();
        coordinator = pb.start();
        long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            try {
                if (http.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(), HttpResponse.BodyHandlers.discarding())
                        .statusCode() == 200) {
                    break;
                }
            } catch (IOException notYet) {
                // starting
            }
            if (!coordinator.isAlive() || System.nanoTime() > until) {
                throw new IllegalStateException("the coordinator did not start; its log: " + dir.resolve("coordinator.log"));
            }
            Thread.sleep(200);
        }
        say("coordinator on " + base + " (dashboard: " + base + "/), data in " + dir);
    }

    private static Path jar() throws Exception {
        Path p = Path.of(Simulation.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        if (!p.toString().endsWith(".jar")) {
            throw new IllegalStateException("assembly simulate starts the coordinator from the packaged jar (mvn package; java -jar"
                    + " target/assembly-line.jar simulate), not from " + p);
        }
        return p;
    }

    /** The team's intent (a folder per service, pushed by admin) and the sessions (registered by admin): the only admin acts. */
    private void setUp() throws Exception {
        for (int i = 0; i < o.services(); i++) {
            String name = String.format("s%02d-%s", i + 1, KINDS[i % KINDS.length]);
            names.add(name);
            ports.put(name, freePort());
            if (i % 4 == 2) {
                byCommand.add(name);
            }
            if (random.nextDouble() < o.failureRate()) {
                failing.add(name);
            }
        }
        if (o.trouble() && names.size() >= 2) {
            incompleteSpec = names.get(random.nextInt(names.size()));
            slowTests = names.get(random.nextInt(names.size()));
            failing.remove(slowTests); // its story is the cancelled run
        }
        team = Workspace.clone(dir.resolve("work/team"), gitUrl("admin", admin));
        Map<String, String> files = new LinkedHashMap<>();
        names.forEach(n -> files.put("SERVICES/" + n + "/README.md", SimFiles.readme(n)));
        if (!byCommand.isEmpty()) {
            files.put("assembly.yml", assemblyYml());
        }
        team.commit(files, "the team's services, to be specified");
        String[] roles = roles(o.sessions());
        List<Member> team2 = new ArrayList<>();
        for (int i = 0; i < roles.length; i++) {
            String id = roles[i] + "-" + (i + 1);
            String slackUser = i % 3 == 2 ? "USIM" + (i + 1) : null; // every third session works through Slack,
            boolean viaMcp = i % 3 == 1; // and every third as an agent, through MCP tools (docs/agents.md)
            Map<String, Object> body = new LinkedHashMap<>(Map.of("session_id", id, "name", id, "capabilities", List.of(roles[i]),
                    "wip_limit", 1));
            if (slackUser != null) {
                body.put("slack_user", slackUser);
            }
            JsonNode reg = api("POST", "/api/sessions", admin, body);
            team2.add(new Member(id, roles[i], reg.get("token").asText(), slackUser, viaMcp));
        }
        if (o.trouble()) {
            vanisher = team2.stream().filter(m -> m.role.equals("builder")).findFirst().map(m -> m.id).orElse(null);
        }
        say(o.services() + " services, " + roles.length + " sessions (" + String.join(", ", team2.stream().map(m -> m.id).toList()) + ")"
                + (o.trouble() ? "; trouble: " + vanisher + " vanishes mid-build, " + incompleteSpec + "'s spec arrives incomplete, "
                + slowTests + " gets a push while its tests run, one production service is killed" : ""));
        members = team2;
    }

    private List<Member> members;
    private Workspace team;

    /** The roles of n sessions: at least two builders, one of each other kind, the rest spread. */
    static String[] roles(int n) {
        String[] base = {"architect", "builder", "tester", "devops", "builder"};
        String[] cycle = {"builder", "tester", "architect", "devops"};
        String[] out = new String[Math.max(5, n)];
        for (int i = 0; i < out.length; i++) {
            out[i] = i < base.length ? base[i] : cycle[(i - base.length) % cycle.length];
        }
        return out;
    }

    private Map<String, Object> drive() throws Exception {
        List<Thread> threads = new ArrayList<>();
        for (Member m : members) {
            Thread t = new Thread(() -> m.live(), "session-" + m.id);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
        Instant deadline = Instant.now().plus(o.timeout());
        while (Instant.now().isBefore(deadline)) {
            watch();
            if (finished()) {
                break;
            }
            // once a second: the watcher reads every service and the claimed tickets, as a dashboard would; it
            // measures the run and should not weigh on it (stuck_max_s is to the second)
            Thread.sleep(1000);
        }
        stopping = true;
        for (Thread t : threads) {
            t.join(5000);
        }
        return report();
    }

    private boolean finished() {
        boolean all = names.stream().allMatch(n -> "PRODUCTION".equals(phases.get(n)));
        return all && (!o.trouble() || (killDone && vanishedOn != null) || names.size() < 2);
    }

    /** Follows the phases (a line per change), how long each service waits with nobody on it, and kills one production service once. */
    private void watch() throws Exception {
        JsonNode services = api("GET", "/api/services", null, null);
        Set<String> claimed = ConcurrentHashMap.newKeySet();
        for (JsonNode t : api("GET", "/api/tickets?state=claimed", null, null)) {
            claimed.add(t.get("service").asText());
        }
        Instant now = Instant.now();
        bar();
        for (JsonNode s : services) {
            String name = s.get("service").asText();
            String phase = s.get("phase").asText();
            String before = phases.put(name, phase);
            if (!phase.equals(before)) {
                say(name + ": " + (before == null ? "new" : before) + " → " + phase);
            }
            boolean someone = claimed.contains(name) || phase.equals("TESTING") || phase.equals("PRODUCTION");
            if (someone) {
                Instant since = waitingSince.remove(name);
                if (since != null) {
                    stuckMaxS = Math.max(stuckMaxS, Duration.between(since, now).toMillis() / 1000.0);
                }
            } else {
                Instant since = waitingSince.computeIfAbsent(name, k -> now);
                stuckMaxS = Math.max(stuckMaxS, Duration.between(since, now).toMillis() / 1000.0);
            }
            if (o.trouble() && killed == null && phase.equals("PRODUCTION") && running.containsKey(name)
                    && s.get("reasons").toString().contains("health checks pass")) {
                killed = name;
                running.get(name).destroyForcibly();
                say(name + ": its process was killed (scripted trouble)");
            }
            if (killed != null && killed.equals(name) && !killDone && phase.equals("PRODUCTION") && "UNHEALTHY".equals(before)) {
                killDone = true;
            }
        }
    }

    /** How long a session's REST poll for offers waits for one (GET /api/tickets?…&wait=N). */
    static final int OFFER_WAIT_S = 10;

    /** One simulated session: takes what it is offered, does the work, says done; sends heartbeats meanwhile. */
    private final class Member {
        final String id;
        final String role;
        final String token;
        Workspace ws;
        Instant lastBeat = Instant.EPOCH;
        volatile boolean gone;

        final String slackUser;

        final boolean viaMcp;
        io.modelcontextprotocol.client.McpSyncClient mcp;

        Member(String id, String role, String token, String slackUser, boolean viaMcp) {
            this.viaMcp = viaMcp;
            this.slackUser = slackUser;
            this.id = id;
            this.role = role;
            this.token = token;
        }

        void live() {
            // heartbeats from their own thread, so a long push never looks like silence; a vanished session stops them
            Thread beats = new Thread(() -> {
                while (!stopping && !gone) {
                    try {
                        beat();
                        Thread.sleep(Math.max(500, scaled(1).toMillis()));
                    } catch (Exception e) {
                        // the next one
                    }
                }
            }, "heartbeat-" + id);
            beats.setDaemon(true);
            beats.start();
            try {
                if (viaMcp) {
                    mcp = io.modelcontextprotocol.client.McpClient.sync(io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport
                            .builder(base).endpoint("/mcp").jsonMapper(new io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper(JSON))
                            .customizeRequest(b -> b.header("Authorization", "Bearer " + token)).build())
                            .requestTimeout(Duration.ofSeconds(60)).build();
                    mcp.initialize();
                }
                ws = Workspace.clone(dir.resolve("work/" + id), gitUrl(id, token));
                while (!stopping) {
                    if (gone) {
                        Thread.sleep(200);
                        continue;
                    }
                    beat();
                    for (JsonNode t : offered()) {
                        long ticket = t.get("id").asLong();
                        if (act("claim", ticket)) {
                            try {
                                work(ticket, t.get("kind").asText(), t.get("service").asText());
                            } catch (IOException e) {
                                // the work could not be delivered (a push kept losing races): hand the ticket back, go on
                                say(id + " released #" + ticket + ": " + e.getMessage());
                                act("release", ticket);
                            }
                        }
                    }
                    if (mcp != null) {
                        Thread.sleep(Math.max(1000, scaled(2).toMillis())); // an agent asks assembly_next no faster than this
                    }
                }
            } catch (Exception e) {
                if (!stopping) {
                    say(id + " stopped: " + e);
                }
            }
        }

        synchronized void beat() throws Exception {
            if (!gone && Duration.between(lastBeat, Instant.now()).toMillis() > Math.max(3000, scaled(3).toMillis())) {
                if (mcp != null) {
                    tool("assembly_next", Map.of()); // every tool call is a heartbeat
                } else {
                    api("POST", "/api/sessions/" + id + "/heartbeat", token, Map.of());
                }
                lastBeat = Instant.now();
            }
        }

        /** The tickets offered to this session: over REST, or an agent's assembly_next. */
        List<JsonNode> offered() throws Exception {
            if (mcp == null) {
                List<JsonNode> out = new ArrayList<>();
                // a long poll: answered as soon as something is offered, else after a few seconds with nothing
                api("GET", "/api/tickets?assignee=" + id + "&state=offered&wait=" + OFFER_WAIT_S, token, null).forEach(out::add);
                return out;
            }
            io.modelcontextprotocol.spec.McpSchema.CallToolResult r = tool("assembly_next", Map.of());
            JsonNode next = JSON.valueToTree(r.structuredContent());
            lastBeat = Instant.now();
            return next.path("offered_to_you").asBoolean() ? List.of(JSON.createObjectNode().put("id", next.get("ticket").asLong())
                    .put("kind", next.get("kind").asText()).put("service", next.get("service").asText())) : List.of();
        }

        io.modelcontextprotocol.spec.McpSchema.CallToolResult tool(String name, Map<String, Object> args) {
            mcpCalls.incrementAndGet();
            return mcp.callTool(new io.modelcontextprotocol.spec.McpSchema.CallToolRequest(name, args));
        }

        void pause(double seconds) throws Exception {
            long until = System.nanoTime() + scaled(seconds).toNanos();
            while (System.nanoTime() < until && !stopping) {
                beat();
                Thread.sleep(Math.min(100, scaled(seconds).toMillis()));
            }
        }

        void progress(long ticket, int percent, String note) throws Exception {
            if (mcp != null) {
                tool("assembly_progress", Map.of("ticket", ticket, "percent", percent, "note", note));
                return;
            }
            apiStatus("POST", "/api/tickets/" + ticket + "/progress", token, Map.of("percent", percent, "note", note));
        }

        void work(long ticket, String kind, String service) throws Exception {
            String folder = "SERVICES/" + service + "/";
            switch (kind) {
                case "spec" -> {
                    pause(0.5);
                    if (service.equals(incompleteSpec) && !phases.getOrDefault(service, "").equals("SPEC_INCOMPLETE")) {
                        ws.commit(Map.of(folder + "SPEC.md", SimFiles.spec(service, ports.get(service), true)), service + ": spec, a first draft");
                        say(service + ": spec pushed without its Success Criteria (scripted trouble)");
                        pause(2);
                    }
                    ws.commit(Map.of(folder + "SPEC.md", SimFiles.spec(service, ports.get(service), false)), service + ": spec");
                }
                case "build" -> {
                    progress(ticket, 20, "scaffolding");
                    pause(0.5);
                    if (id.equals(vanisher) && vanishedOn == null) {
                        vanishedOn = service;
                        progress(ticket, 45, "half way");
                        say(id + " vanished mid-build of " + service + " (scripted trouble): no more heartbeats");
                        gone = true;
                        return;
                    }
                    progress(ticket, 60, "routes written");
                    Map<String, String> files = new LinkedHashMap<>();
                    files.put(folder + "BUILD/src/__init__.py", "");
                    files.put(folder + "BUILD/src/main.py", SimFiles.mainPy(service));
                    files.put(folder + "BUILD/requirements.txt", "pytest\n");
                    files.put(folder + "BUILD/Dockerfile", "FROM python:3.11-slim\nCOPY src /app/src\nCMD [\"python3\", \"/app/src/main.py\"]\n");
                    files.put(folder + "BUILD/.env.example", "PORT=" + ports.get(service) + "\n");
                    ws.commit(files, service + ": build");
                    progress(ticket, 100, "pushed");
                }
                case "tests" -> {
                    pause(0.5);
                    boolean slow = service.equals(slowTests);
                    ws.commit(Map.of(folder + "BUILD/tests/test_main.py", SimFiles.testPy(failing.contains(service), slow ? SLOW_TEST_S : 0, 1),
                            folder + "BUILD/tests/__init__.py", ""), service + ": tests");
                    if (slow) {
                        // wait until the coordinator is running this suite (not only waiting for a free runner, which can
                        // take minutes with many services in TESTING), then push again: the run must be cancelled
                        long until = System.nanoTime() + Duration.ofSeconds(180).toNanos();
                        while (System.nanoTime() < until && !running(service)) {
                            beat();
                            Thread.sleep(250);
                        }
                        ws.commit(Map.of(folder + "BUILD/tests/test_main.py", SimFiles.testPy(false, 0, 2)), service + ": tests, quicker");
                        say(service + ": a push while its tests run (scripted trouble)");
                    }
                }
                case "fix" -> {
                    pause(0.5);
                    failing.remove(service);
                    ws.commit(Map.of(folder + "BUILD/tests/test_main.py", SimFiles.testPy(false, 0, 3)), service + ": fix the failing test");
                }
                case "deploy", "recover" -> {
                    pause(0.3);
                    start(service);
                    if (kind.equals("deploy")) {
                        String commit = ws.commit(Map.of(folder + "PRODUCTION/deploy.json", SimFiles.deployJson(ports.get(service))),
                                service + ": deployed");
                        deployCommits.put(service, commit);
                    }
                }
                default -> pause(0.2);
            }
            act("done", ticket);
        }

        /**
         * A ticket word: through the REST API, or for a Slack session as the signed {@code /assembly claim #id}
         * command Slack would deliver. True when the ticket is then in the state the word asks for.
         */
        boolean act(String verb, long ticket) throws Exception {
            if (mcp != null) {
                return !Boolean.TRUE.equals(tool("assembly_" + verb, Map.of("ticket", ticket)).isError());
            }
            if (slackUser == null) {
                return apiStatus("POST", "/api/tickets/" + ticket + "/" + verb, token, Map.of()) != null;
            }
            String body = "token=x&team_id=TSIM&team_domain=sim&channel_id=C0SIMULATION&channel_name=line&user_id=" + slackUser
                    + "&user_name=" + id + "&command=%2Fassembly&text=" + java.net.URLEncoder.encode(verb + " #" + ticket,
                    java.nio.charset.StandardCharsets.UTF_8) + "&response_url=https%3A%2F%2Fhooks.slack.invalid%2F1&trigger_id=1.1.1";
            String ts = Long.toString(Instant.now().getEpochSecond());
            String sig = new com.slack.api.app_backend.SlackSignature.Generator(slackSecret).generate(ts, body);
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/slack/commands"))
                    .header("X-Slack-Request-Timestamp", ts).header("X-Slack-Signature", sig)
                    .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                return false;
            }
            slackCommands.incrementAndGet();
            JsonNode t = apiStatus("GET", "/api/tickets/" + ticket, token, null);
            String want = verb.equals("claim") ? "claimed" : "done";
            return t != null && want.equals(t.path("state").asText()) && id.equals(t.path("assignee").asText());
        }

        /** Whether the coordinator is running this service's tests now (its dashboard card says so). */
        boolean running(String service) throws Exception {
            for (JsonNode c : api("GET", "/api/board?limit=500&name=" + service, null, null).path("columns")) {
                for (JsonNode card : c.path("cards")) {
                    if (card.path("service").asText().equals(service) && card.path("tests_running").asBoolean()) {
                        return true;
                    }
                }
            }
            return false;
        }

        /** Starts (or restarts) the service's HTTP process from the newest head's BUILD/ (the one that passed its tests). */
        void start(String service) throws Exception {
            ws.sync();
            launch(service, ws.read("SERVICES/" + service + "/BUILD/src/main.py"));
        }
    }

    // ---- the report ----

    private Map<String, Object> report() throws Exception {
        List<JsonNode> log = new ArrayList<>();
        long after = 0;
        while (true) {
            JsonNode page = api("GET", "/api/events?since=" + after, null, null);
            if (page.size() == 0) {
                break;
            }
            page.forEach(log::add);
            after = page.get(page.size() - 1).get("id").asLong();
        }
        int reassignments = 0;
        int recoveries = 0;
        int cancelled = 0;
        int commandFailures = 0;
        Map<String, Instant> first = new LinkedHashMap<>();
        Map<String, Instant> arrived = new LinkedHashMap<>();
        Map<String, String> lastPassedTree = new LinkedHashMap<>();
        Map<String, List<String>> deployedAfter = new LinkedHashMap<>();
        for (JsonNode e : log) {
            String service = e.path("service").asText(null);
            String msg = e.get("message").asText();
            Instant at = Instant.parse(e.get("at").asText());
            if (msg.contains(" taken back: ")) {
                reassignments++;
            }
            if ("tests".equals(e.get("kind").asText()) && msg.contains("was cancelled")) {
                cancelled++;
            }
            if ("deploy".equals(e.get("kind").asText()) && msg.startsWith("the deploy command failed")) {
                commandFailures++;
            }
            if (!"phase".equals(e.get("kind").asText()) || service == null) {
                continue;
            }
            first.putIfAbsent(service, at);
            Matcher m = MOVE.matcher(msg);
            if (!m.find()) {
                continue;
            }
            if (m.group(2).equals("READY_FOR_DEPLOY")) {
                Matcher t = PASSED_TREE.matcher(msg);
                lastPassedTree.put(service, t.find() ? t.group(1) : null);
            }
            if (m.group(2).equals("PRODUCTION")) {
                arrived.putIfAbsent(service, at);
                if (m.group(1).equals("UNHEALTHY")) {
                    recoveries++;
                } else {
                    deployedAfter.computeIfAbsent(service, k -> new ArrayList<>()).add(lastPassedTree.get(service));
                }
            }
        }
        // every deploy: the tree that passed before it has a passing run of that exact tree in the results, and the
        // deployed commit's service folder, without PRODUCTION/, is that tree
        int unsafe = 0;
        team.sync(); // the team's clone, brought to the newest head: every deploy commit is in it
        for (Map.Entry<String, List<String>> d : deployedAfter.entrySet()) {
            JsonNode runs = api("GET", "/api/services/" + d.getKey() + "/tests", null, null).path("runs");
            for (String tree : d.getValue()) {
                boolean passing = false;
                for (JsonNode r : runs) {
                    passing |= tree != null && r.get("passed").asBoolean() && r.get("tree").asText().startsWith(tree);
                }
                String deployed;
                boolean same;
                if (byCommand.contains(d.getKey()) && deployCommits.get(d.getKey()) == null) {
                    // what the platform received is the main.py of the tree that passed (when the command failed, a
                    // devops session deployed it instead, with a PRODUCTION/ commit: checked below)
                    List<String> got = platformDeploys.getOrDefault(d.getKey(), List.of());
                    deployed = got.isEmpty() ? null : "main.py blob " + got.get(got.size() - 1);
                    String tested = tree == null ? null : team.blobIn(tree, "SERVICES/" + d.getKey(), "BUILD/src/main.py");
                    same = tested != null && !got.isEmpty() && got.get(got.size() - 1).equals(tested); // the newest deploy
                } else {
                    String commit = deployCommits.get(d.getKey());
                    deployed = commit == null ? null : team.treeWithoutProduction(commit, "SERVICES/" + d.getKey());
                    same = deployed != null && tree != null && deployed.startsWith(tree);
                }
                if (!passing || !same) {
                    unsafe++;
                    say(d.getKey() + ": a deploy without a passing run of its tree (" + tree + ", deployed " + deployed + ")");
                }
            }
        }
        List<Long> cycles = new ArrayList<>();
        arrived.forEach((s, at) -> {
            Instant f = first.get(s);
            if (f != null) {
                cycles.add(Duration.between(f, at).toSeconds());
            }
        });
        cycles.sort(null);
        int inProduction = (int) names.stream().filter(n -> "PRODUCTION".equals(phases.get(n))).count();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("services", o.services());
        r.put("sessions", members.size());
        r.put("in_production", inProduction);
        r.put("manual_actions", adminCallsAfterSetup + (o.services() - inProduction));
        r.put("deploys_without_passing_tests", unsafe);
        r.put("deploys", deployedAfter.values().stream().mapToInt(List::size).sum());
        r.put("deploy_command_failures", commandFailures);
        r.put("deploys_by_command", deployedAfter.entrySet().stream().filter(e -> byCommand.contains(e.getKey()))
                .mapToInt(e -> e.getValue().size()).sum());
        r.put("reassignments", reassignments);
        r.put("recoveries", recoveries);
        r.put("cancelled_runs", cancelled);
        r.put("cycle_time_median_s", cycles.isEmpty() ? null : cycles.get((cycles.size() - 1) / 2));
        r.put("cycle_time_p90_s", cycles.isEmpty() ? null : cycles.get(Math.max(0, (int) Math.ceil(0.9 * cycles.size()) - 1)));
        r.put("stuck_max_s", Math.round(stuckMaxS * 10) / 10.0);
        // the run's CPU: the whole machine's busy time since the sessions started (/proc/stat), since the test
        // suites run in bubblewrap's PID namespace, whose processes no parent's child times count; on a quiet
        // machine that is the run (this process, the coordinator, its suites and deploys, the services)
        Double coordinatorCpu = cpuSeconds(coordinator.pid());
        Double machine = machineBusySeconds();
        r.put("coordinator_cpu_s", coordinatorCpu);
        r.put("coordinator_jit_cpu_s", threadCpuSeconds(coordinator.pid(), "CompilerThre"));
        if (coordinatorCpu != null && machine != null && machineAtStart != null) {
            double run = machine - machineAtStart; // from the coordinator's start, which it includes
            r.put("run_cpu_s", Math.round(run * 10) / 10.0);
            r.put("coordinator_cpu_share", Math.round(coordinatorCpu / run * 1000) / 1000.0);
        }
        r.put("slack_sessions", members.stream().filter(m -> m.slackUser != null).count());
        r.put("mcp_sessions", members.stream().filter(m -> m.viaMcp).count());
        r.put("mcp_calls", mcpCalls.get());
        r.put("slack_commands", slackCommands.get());
        r.put("slack_api_calls", slackCalls.get());
        r.put("wall_s", Duration.between(started, Instant.now()).toSeconds());
        r.put("longest_reconcile_s", metric("assembly_reconcile_seconds_max"));
        // where the coordinator's CPU went, as its /metrics counts it: its HTTP threads per kind of request
        r.put("coordinator_http_cpu_s", byKind("assembly_http_cpu_seconds_total", 10));
        r.put("coordinator_http_requests", byKind("assembly_http_requests_total", 1));
        Map<String, Object> trouble = new LinkedHashMap<>();
        if (o.trouble()) {
            trouble.put("vanished", Map.of("session", String.valueOf(vanisher), "service", String.valueOf(vanishedOn), "reassigned", reassignments > 0));
            trouble.put("incomplete_spec", Map.of("service", incompleteSpec, "completed", "PRODUCTION".equals(phases.get(incompleteSpec))));
            trouble.put("killed", Map.of("service", String.valueOf(killed), "recovered", killDone));
            trouble.put("push_during_tests", Map.of("service", slowTests, "cancelled_runs", cancelled));
        }
        r.put("trouble", trouble);
        r.put("trouble_handled", !o.trouble() || (reassignments > 0 && vanishedOn != null && killDone && cancelled > 0
                && "PRODUCTION".equals(phases.get(incompleteSpec))));
        r.put("seed", o.seed());
        return r;
    }

    private Double metric(String name) {
        try {
            String body = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
            for (String line : body.split("\n")) {
                if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                    return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
        } catch (Exception e) {
            // no figure
        }
        return null;
    }

    /** A counter's values by their {@code kind} tag, rounded to 1/{@code scale}. */
    private Map<String, Object> byKind(String name, int scale) {
        Map<String, Object> out = new java.util.TreeMap<>();
        try {
            String body = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("^" + java.util.regex.Pattern.quote(name) + "\\{kind=\"([a-z-]+)\"[^}]*} (\\S+)$",
                    java.util.regex.Pattern.MULTILINE).matcher(body);
            while (m.find()) {
                double v = Double.parseDouble(m.group(2));
                out.put(m.group(1), scale == 1 ? (Object) Math.round(v) : (Object) (Math.round(v * scale) / (double) scale));
            }
        } catch (Exception e) {
            // no figure
        }
        return out;
    }

    /** The whole machine's busy CPU time (all but idle and I/O wait) from /proc/stat (Linux); null elsewhere. */
    static Double machineBusySeconds() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long busy = 0;
            for (int i = 1; i < f.length && i <= 7; i++) {
                if (i != 4 && i != 5) { // user nice system (idle iowait) irq softirq; not steal: another guest's
                    busy += Long.parseLong(f[i]);
                }
            }
            return busy / 100.0; // USER_HZ
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * A process's own user and system CPU time (not its children's: the suites it runs in bubblewrap never
     * reach them anyway), from /proc (Linux); null elsewhere.
     */
    static Double cpuSeconds(long pid) {
        try {
            return Math.round(ticks(Files.readString(Path.of("/proc/" + pid + "/stat"))) / 100.0 * 10) / 10.0; // USER_HZ is 100 on Linux
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** User and system CPU ticks of a process's or thread's {@code stat} line (fields 14 and 15, after the name). */
    private static long ticks(String stat) {
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    /**
     * The CPU time of a process's live threads whose name contains {@code part} (the JIT's "C2 CompilerThread0"
     * and the like), from /proc (Linux); null elsewhere. A thread that ended took its time with it.
     */
    static Double threadCpuSeconds(long pid, String part) {
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            long ticks = 0;
            for (Path t : (Iterable<Path>) tasks::iterator) {
                String stat;
                try {
                    stat = Files.readString(t.resolve("stat"));
                } catch (IOException gone) {
                    continue;
                }
                String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                if (name.contains(part)) {
                    ticks += ticks(stat);
                }
            }
            return Math.round(ticks / 100.0 * 10) / 10.0;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private void print(Map<String, Object> r) throws Exception {
        if (o.json()) {
            out.println(JSON.writeValueAsString(r));
            return;
        }
        out.println(terminal ? "\r\033[K" : "");
        out.println("Simulation of " + r.get("services") + " services with " + r.get("sessions") + " sessions, seed " + r.get("seed") + ", in "
                + r.get("wall_s") + " s:");
        out.println("  in production:                  " + r.get("in_production") + " of " + r.get("services"));
        out.println("  manual actions:                 " + r.get("manual_actions"));
        out.println("  deploys without passing tests:  " + r.get("deploys_without_passing_tests") + " (of " + r.get("deploys") + " deploys, checked"
                + " against the test results and the deployed trees)");
        out.println("  reassignments:                  " + r.get("reassignments"));
        out.println("  recoveries:                     " + r.get("recoveries"));
        out.println("  cancelled test runs:            " + r.get("cancelled_runs"));
        out.println("  cycle time, median / p90:       " + r.get("cycle_time_median_s") + " s / " + r.get("cycle_time_p90_s") + " s");
        out.println("  longest wait with nobody on it: " + r.get("stuck_max_s") + " s");
        out.println("  through MCP:                    " + r.get("mcp_sessions") + " sessions made " + r.get("mcp_calls") + " tool calls");
        out.println("  through Slack:                  " + r.get("slack_sessions") + " sessions sent " + r.get("slack_commands")
                + " signed commands; the coordinator made " + r.get("slack_api_calls") + " Slack API calls");
        out.println("  coordinator CPU:                " + r.get("coordinator_cpu_s") + " s" + (r.get("coordinator_cpu_share") == null ? ""
                : " of the run's " + r.get("run_cpu_s") + " s (" + Math.round((double) r.get("coordinator_cpu_share") * 100)
                + "% of the machine's busy time)") + "; longest reconcile "
                + r.get("longest_reconcile_s") + " s");
        out.println("  of it, on HTTP requests:        " + r.get("coordinator_http_cpu_s") + " CPU-s for " + r.get("coordinator_http_requests")
                + " requests; the JIT compiling its code " + r.get("coordinator_jit_cpu_s") + " s");
        out.println("  deployed by assembly.yml:       " + r.get("deploys_by_command") + " (the others by a devops session's PRODUCTION/ commit;"
                + " deploy commands that failed and went to devops: " + r.get("deploy_command_failures") + ")");
        out.println("  scripted trouble handled:       " + r.get("trouble_handled") + " " + r.get("trouble"));
    }

    private final boolean terminal = System.console() != null;

    private synchronized void say(String line) {
        if (!o.json()) {
            // on a terminal the one-line bar is cleared first and drawn again under the line
            out.print(terminal ? "\r\033[K" : "");
            out.println(LocalTime.now(ZoneId.systemDefault()).format(DateTimeFormatter.ofPattern("HH:mm:ss")) + " " + line);
            bar();
        }
    }

    /** On a terminal: one line that says how far the line is, redrawn in place. */
    private synchronized void bar() {
        if (o.json() || !terminal || names.isEmpty()) {
            return;
        }
        long done = names.stream().filter(n -> "PRODUCTION".equals(phases.get(n))).count();
        int width = 30;
        int filled = (int) (done * width / names.size());
        out.print("\r\033[K[" + "#".repeat(filled) + ".".repeat(width - filled) + "] " + done + "/" + names.size() + " in production, "
                + waitingSince.size() + " waiting, " + Duration.between(started, Instant.now()).toSeconds() + " s");
        out.flush();
    }

    private String gitUrl(String user, String password) {
        return "http://" + user + ":" + password + "@" + base.substring("http://".length()) + "/git/services.git";
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private JsonNode api(String method, String path, String token, Object body) throws Exception {
        HttpResponse<String> r = send(method, path, token, body);
        if (r.statusCode() / 100 != 2) {
            throw new IOException(method + " " + path + " answered " + r.statusCode() + ": " + r.body());
        }
        return JSON.readTree(r.body());
    }

    /** A session's action; null when refused (someone else was faster, the ticket moved on): the session goes on. */
    private JsonNode apiStatus(String method, String path, String token, Object body) throws Exception {
        HttpResponse<String> r = send(method, path, token, body);
        return r.statusCode() / 100 == 2 ? JSON.readTree(r.body()) : null;
    }

    private HttpResponse<String> send(String method, String path, String token, Object body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void deleteQuietly(Path p) {
        try (var walk = Files.walk(p)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(x -> x.toFile().delete());
        } catch (IOException e) {
            // a temporary folder
        }
    }
}
