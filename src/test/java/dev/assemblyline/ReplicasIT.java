package dev.assemblyline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assemblyline.ingest.Hmac;
import dev.assemblyline.store.Postgres;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two {@code assembly serve} processes on one real PostgreSQL, following one repository (docs/SCALING.md):
 * both take signed webhooks; one leads. Killed with -9 during a burst of 200 pushes, the leader is replaced
 * within 10 s, every service ends in its phase and every announcement reaches Slack (WireMock, FakeSlack) exactly once.
 * Paused with SIGSTOP past its lease, the leader is replaced, and after SIGCONT it writes nothing.
 */
class ReplicasIT {
    static final String SECRET = "replicas-webhook-secret";
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    static final ObjectMapper JSON = new ObjectMapper();
    static final Pattern SERVICE = Pattern.compile("\\*(svc-\\d+)\\* appeared as");

    @TempDir
    Path tmp;
    final Map<String, Process> replicas = new LinkedHashMap<>();
    final Map<String, Integer> ports = new LinkedHashMap<>();
    FakeSlack slack;
    String db;
    Path origin;
    Path work;

    @AfterEach
    void stop() throws Exception {
        for (Process p : replicas.values()) {
            Tools.run(null, List.of("kill", "-CONT", String.valueOf(p.pid())));
            p.destroyForcibly();
        }
        if (slack != null) {
            slack.close();
        }
    }

    void setUp(int faultPercent) throws Exception {
        db = Postgres.get().newDatabase();
        slack = new FakeSlack(11, faultPercent);
        origin = tmp.resolve("origin.git");
        Tools.ok(tmp, "git", "init", "-q", "--bare", "-b", "main", origin.toString());
        work = tmp.resolve("work");
        Tools.ok(tmp, "git", "clone", "-q", origin.toString(), work.toString());
        TestRepos.commitAndPush(work, "README.md", "# services\n", "main");
    }

    Process serve(String id) throws Exception {
        int port = ports.computeIfAbsent(id, k -> freePort());
        ProcessBuilder pb = new ProcessBuilder("java", "-jar", JarIT.jar(), "serve").directory(tmp.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(tmp.resolve(id + ".log").toFile()));
        Map<String, String> env = pb.environment();
        env.put("PORT", String.valueOf(port));
        env.put("ASSEMBLY_DATA_DIR", tmp.resolve("data-" + id).toString());
        env.put("ASSEMBLY_DB_URL", db);
        env.put("ASSEMBLY_REPO_URL", origin.toString());
        env.put("ASSEMBLY_REPLICA_ID", id);
        env.put("ASSEMBLY_GITHUB_SECRET", SECRET);
        env.put("ASSEMBLY_SESSIONS_FILE", tmp.resolve("none.json").toString());
        env.put("ASSEMBLY_TEST_PARALLELISM", "0");
        env.put("SLACK_BOT_TOKEN", "xoxb-replicas");
        env.put("ASSEMBLY_SLACK_CHANNEL", "C0REPL");
        env.put("ASSEMBLY_SLACK_API_URL", slack.apiUrl());
        env.put("ASSEMBLY_SLACK_CHANNEL_INTERVAL", "20ms");
        env.put("ASSEMBLY_SLACK_DIGEST", "1000"); // one announcement per service: each to be counted once
        Process p = pb.start();
        replicas.put(id, p);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> health(id) != null);
        return p;
    }

    static int freePort() {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    /** The replica's /health body, or null when it does not answer. */
    JsonNode health(String id) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports.get(id) + "/health"))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
            return JSON.readTree(r.body());
        } catch (java.io.IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    boolean leads(String id) {
        JsonNode h = health(id);
        return h != null && h.path("replica").path("leads").asBoolean();
    }

    String leader() {
        for (String id : replicas.keySet()) {
            if (replicas.get(id).isAlive() && leads(id)) {
                return id;
            }
        }
        return null;
    }

    /** A signed GitHub push delivery to one replica; its status code (0 when it does not answer). */
    int webhook(String id, String after) {
        byte[] body = ("{\"ref\":\"refs/heads/main\",\"before\":\"" + "0".repeat(40) + "\",\"after\":\"" + after
                + "\",\"repository\":{\"full_name\":\"o/r\"},\"commits\":[]}").getBytes();
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports.get(id) + "/webhooks/github"))
                    .timeout(Duration.ofSeconds(5))
                    .header("X-GitHub-Event", "push").header("X-GitHub-Delivery", UUID.randomUUID().toString())
                    .header("X-Hub-Signature-256", "sha256=" + Hmac.sha256Hex(SECRET, body)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (java.io.IOException e) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    /** Pushes one new service to the followed repository; returns the new head. */
    String pushService(int i) throws Exception {
        Path spec = work.resolve("SERVICES/svc-" + i + "/SPEC.md");
        Files.createDirectories(spec.getParent());
        Files.writeString(spec, TestRepos.completeSpec());
        Tools.ok(work, "git", "add", "-A");
        Tools.ok(work, "git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "svc-" + i);
        Tools.ok(work, "git", "push", "-q", "origin", "HEAD:main");
        return Tools.ok(work, "git", "rev-parse", "HEAD").trim();
    }

    Map<String, String> phases(String id) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports.get(id) + "/api/services")).build(),
                HttpResponse.BodyHandlers.ofString());
        Map<String, String> out = new LinkedHashMap<>();
        JsonNode body = JSON.readTree(r.body());
        for (JsonNode s : body.isArray() ? body : body.path("services")) {
            out.put(s.path("name").asText(s.path("service").asText()), s.path("phase").asText());
        }
        return out;
    }

    long sql(String query) throws Exception {
        try (Connection c = DriverManager.getConnection(db); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(query)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void aLeaderKilledDuringABurstOfPushesIsReplacedWithin10sAndEveryChangeIsAnnouncedOnce() throws Exception {
        setUp(10);
        serve("a");
        serve("b");
        await().atMost(Duration.ofSeconds(20)).until(() -> leader() != null);
        String first = leader();
        String other = first.equals("a") ? "b" : "a";
        assertThat(leads(other)).as("exactly one replica leads").isFalse();
        assertThat(health(other).path("replica").path("leader").asText()).isEqualTo(first);
        assertThat(health(other).path("status").asText()).isEqualTo("ok");
        assertThat(Tools.metric(ports.get(first), "assembly_leader{replica=\"" + first + "\"}")).isEqualTo(1.0);
        assertThat(Tools.metric(ports.get(other), "assembly_leader{replica=\"" + other + "\"}")).isEqualTo(0.0);
        java.util.concurrent.CompletableFuture<Long> failover = null;
        int pushedWithoutLeader = 0;
        List<String> replicaOrder = new ArrayList<>(List.of("a", "b"));
        for (int i = 0; i < 200; i++) {
            String head = pushService(i);
            // every replica takes signed webhooks: they go to each in turn
            String to = replicaOrder.get(i % 2);
            int status = webhook(to, head);
            if (!replicas.get(to).isAlive()) {
                status = webhook(other, head);
            }
            assertThat(status).as("push %d's webhook to a live replica", i).isBetween(200, 299);
            if (failover != null && !failover.isDone()) {
                pushedWithoutLeader++;
            }
            if (i == 80) {
                replicas.get(first).destroyForcibly().waitFor();
                long killed = System.nanoTime();
                // the burst goes on while the other takes over: its webhooks wait in the database for a leader
                failover = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(50)).until(() -> leads(other));
                    return (System.nanoTime() - killed) / 1_000_000;
                });
            }
        }
        long failoverMs = failover.get();
        System.out.printf("replicas: %s killed after 80 of 200 pushes, %s led %d ms later; %d pushes came while nobody led%n", first, other,
                failoverMs, pushedWithoutLeader);
        assertThat(failoverMs).as("the other replica leads within 10 s").isLessThan(10_000);
        await().atMost(Duration.ofSeconds(90)).until(() -> phases(other).values().stream().filter("READY_FOR_BUILD"::equals).count() == 200);
        await().atMost(Duration.ofSeconds(90)).until(() -> slack.perService(SERVICE).size() == 200);
        await().atMost(Duration.ofSeconds(60)).until(() -> Tools.metric(ports.get(other), "assembly_outbox_depth") == 0);
        Map<String, Integer> counts = slack.perService(SERVICE);
        assertThat(counts.entrySet().stream().filter(e -> e.getValue() != 1).map(Map.Entry::getKey).toList())
                .as("announced more than once").isEmpty();
        // the killed replica comes back as a follower, shows what the leader stored, and takes webhooks
        serve(first);
        await().atMost(Duration.ofSeconds(20)).until(() -> phases(first).size() == 200);
        assertThat(leads(first)).isFalse();
        assertThat(health(first).path("replica").path("leader").asText()).isEqualTo(other);
        assertThat(webhook(first, "1".repeat(40))).isEqualTo(202);
        // a dashboard connected to the follower gets the leader's decisions live
        HttpResponse<java.io.InputStream> live = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports.get(first) + "/api/stream"))
                .header("Accept", "text/event-stream").build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(live.statusCode()).isEqualTo(200);
        java.util.concurrent.CompletableFuture<String> seen = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try (java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(live.body(), java.nio.charset.StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    if (line.startsWith("data:") && line.contains("svc-200")) {
                        return line;
                    }
                }
                return null;
            } catch (java.io.IOException e) {
                return null;
            }
        });
        assertThat(webhook(other, pushService(200))).isEqualTo(202);
        assertThat(seen.get(30, java.util.concurrent.TimeUnit.SECONDS)).as("svc-200's change on the follower's live feed").contains("READY_FOR_BUILD");
        assertThat(sql("SELECT COUNT(DISTINCT epoch) FROM event_log WHERE kind = 'phase'")).as("decisions carry the epoch they were made at")
                .isGreaterThanOrEqualTo(2);
    }

    @Test
    void aPausedLeaderIsReplacedAndWritesNothingWhenItWakesUp() throws Exception {
        setUp(0);
        serve("a");
        await().atMost(Duration.ofSeconds(20)).until(() -> leads("a"));
        serve("b");
        for (int i = 0; i < 5; i++) {
            webhook("b", pushService(i)); // to the follower: it tells the leader
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> phases("b").values().stream().filter("READY_FOR_BUILD"::equals).count() == 5);
        long oldEpoch = health("a").path("replica").path("epoch").asLong();
        Tools.ok(null, "kill", "-STOP", String.valueOf(replicas.get("a").pid()));
        long paused = System.nanoTime();
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(50)).until(() -> leads("b"));
        long takeoverMs = (System.nanoTime() - paused) / 1_000_000;
        long takenAt = sql("SELECT COALESCE(MAX(id), 0) FROM event_log");
        assertThat(sql("SELECT epoch FROM leader_fence")).isGreaterThan(oldEpoch);
        for (int i = 5; i < 10; i++) {
            webhook("b", pushService(i));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> phases("b").values().stream().filter("READY_FOR_BUILD"::equals).count() == 10);
        // news for the paused replica waits in its socket: it wakes up with work to do, at its old epoch
        Thread t = new Thread(() -> webhook("a", "2".repeat(40)));
        t.start();
        Tools.ok(null, "kill", "-CONT", String.valueOf(replicas.get("a").pid()));
        await().atMost(Duration.ofSeconds(15)).until(() -> {
            JsonNode h = health("a");
            return h != null && !h.path("replica").path("leads").asBoolean() && "b".equals(h.path("replica").path("leader").asText());
        });
        t.join(10_000);
        webhook("a", pushService(10)); // and as a follower it takes webhooks again
        await().atMost(Duration.ofSeconds(30)).until(() -> phases("b").values().stream().filter("READY_FOR_BUILD"::equals).count() == 11);
        long refused = Files.readAllLines(tmp.resolve("a.log")).stream().filter(l -> l.contains("fenced: this replica led at epoch")).count();
        System.out.printf("replicas: a paused, b led %d ms later; a's writes refused by the fence after it woke: %d%n", takeoverMs, refused);
        assertThat(takeoverMs).as("the follower takes over within 10 s").isLessThan(10_000);
        assertThat(sql("SELECT COUNT(*) FROM event_log WHERE id > " + takenAt + " AND epoch = " + oldEpoch))
                .as("entries written at the paused leader's epoch after the takeover").isZero();
        assertThat(sql("SELECT COUNT(*) FROM event_log WHERE id > " + takenAt + " AND epoch IS NOT NULL AND epoch <> "
                + sql("SELECT epoch FROM leader_fence"))).isZero();
        assertThat(slack.perService(SERVICE)).hasSize(11).allSatisfy((s, n) -> assertThat(n).as(s).isEqualTo(1));
    }
}
