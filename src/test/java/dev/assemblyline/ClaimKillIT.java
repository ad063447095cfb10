package dev.assemblyline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assemblyline.store.Postgres;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;

/**
 * An acknowledgement is a commit: claims answered 200 by the packaged coordinator survive a kill -9 that
 * follows the last answer at once. Each cycle pushes new services (new build tickets, offered to one
 * builder), claims them from 8 threads, kills the process the moment the last answer is in, restarts it
 * and counts. {@code -Dchaos.cycles=N} runs more cycles (the figure in RELIABILITY.md), {@code -Dchaos.claims} and
 * {@code -Dchaos.bulk} set the claims and the size of the concurrent change per cycle (40 and 300).
 */
class ClaimKillIT {
    static final String ADMIN = "admin-token-for-claim-kill";
    static final String TOKEN = "token-builder-1-abcdef";
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;
    Process coordinator;

    @AfterEach
    void stop() {
        if (coordinator != null) {
            coordinator.destroyForcibly();
        }
        if (System.getProperty("chaos.keep") != null) { // -Dchaos.keep=DIR keeps the data and log to look at
            try {
                Tools.ok(null, "cp", "-r", tmp.toString(), System.getProperty("chaos.keep"));
            } catch (Exception e) {
                // only for looking at a failure
            }
        }
    }

    Process serve(int port, Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("java", "-jar", JarIT.jar(), "serve").directory(tmp.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(tmp.resolve("serve.log").toFile()));
        pb.environment().put("PORT", String.valueOf(port));
        pb.environment().put("ASSEMBLY_DATA_DIR", tmp.resolve("data").toString());
        pb.environment().put("ASSEMBLY_ADMIN_TOKEN", ADMIN);
        pb.environment().put("ASSEMBLY_SESSIONS_FILE", tmp.resolve("sessions.json").toString());
        pb.environment().put("ASSEMBLY_TEST_PARALLELISM", "0");
        pb.environment().putAll(env);
        Process p = pb.start();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
            try {
                return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
            } catch (java.io.IOException e) {
                return false;
            }
        });
        return p;
    }

    JsonNode get(int port, String path) throws Exception {
        return JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString()).body());
    }

    /** The acknowledged claims that are not claimed after the restart; the rest are finished (done) to free the WIP. */
    Set<Long> survivors(int port, Set<Long> acked) throws Exception {
        Set<Long> claimed = new java.util.HashSet<>();
        for (JsonNode t : get(port, "/api/tickets?state=claimed&assignee=builder-1")) {
            claimed.add(t.get("id").asLong());
        }
        Set<Long> gone = new java.util.TreeSet<>(acked);
        gone.removeAll(claimed);
        for (long id : claimed) {
            HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/tickets/" + id + "/done"))
                    .header("Authorization", "Bearer " + TOKEN).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
        }
        return gone;
    }

    /** The stores to run on: both, or {@code -Dchaos.stores=postgres} for a long run on one. */
    static java.util.stream.Stream<String> stores() {
        return java.util.Arrays.stream(System.getProperty("chaos.stores", "h2,postgres").split(",")).map(String::strip);
    }

    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.MethodSource("stores")
    void claimsAnsweredBeforeAKillSurviveIt(String kind) throws Exception {
        int cycles = Integer.getInteger("chaos.cycles", 3);
        int perCycle = Integer.getInteger("chaos.claims", 40);
        int bulkSize = Integer.getInteger("chaos.bulk", 300);
        Map<String, String> env = kind.equals("h2") ? Map.of() : Map.of("ASSEMBLY_DB_URL", Postgres.get().newDatabase());
        Files.writeString(tmp.resolve("sessions.json"), "{\"builder-1\": {\"session_id\": \"builder-1\", \"name\": \"Builder One\","
                + " \"capabilities\": [\"builder\"], \"wip_limit\": 100, \"token\": \"" + TOKEN + "\"}}");
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path work = tmp.resolve("work");
        Set<Long> acked = ConcurrentHashMap.newKeySet();
        Set<Long> lost = new java.util.TreeSet<>();
        int[] total = {0};
        ExecutorService pool = Executors.newFixedThreadPool(9);
        try {
            for (int cycle = 0; cycle < cycles; cycle++) {
                coordinator = serve(port, env);
                lost.addAll(survivors(port, acked));
                acked.clear();
                String url = "http://admin:" + ADMIN + "@127.0.0.1:" + port + "/git/services.git";
                if (cycle == 0) {
                    Tools.ok(tmp, "git", "clone", "-q", url, work.toString());
                }
                for (int i = 0; i < perCycle; i++) {
                    Path spec = work.resolve("SERVICES/c" + cycle + "-s" + i + "/SPEC.md");
                    Files.createDirectories(spec.getParent());
                    Files.writeString(spec, TestRepos.completeSpec());
                }
                TestRepos.commitAndPush(work, "SERVICES/c" + cycle + "-s0/SPEC.md", TestRepos.completeSpec(), "main");
                String prefix = "c" + cycle + "-";
                await().atMost(Duration.ofSeconds(30)).until(() -> {
                    int offered = 0;
                    for (JsonNode t : get(port, "/api/tickets?state=offered&assignee=builder-1")) {
                        offered += t.get("service").asText().startsWith(prefix) ? 1 : 0;
                    }
                    return offered == perCycle;
                });
                // meanwhile the loop stores a large change: the claims' commits meet a store in progress
                for (int i = 0; i < bulkSize; i++) {
                    Path spec = work.resolve("SERVICES/bulk" + cycle + "-" + i + "/SPEC.md");
                    Files.createDirectories(spec.getParent());
                    Files.writeString(spec, TestRepos.specWithout("Purpose") + "\n" + "x".repeat(2000));
                }
                Tools.ok(work, "git", "add", ".");
                Tools.ok(work, "git", "-c", "user.name=T", "-c", "user.email=t@x", "commit", "-qm", "bulk");
                Future<?> bulk = pool.submit(() -> Tools.ok(work, "git", "push", "-q", "origin", "HEAD:main"));
                List<Future<?>> claims = new ArrayList<>();
                for (JsonNode t : get(port, "/api/tickets?state=offered&assignee=builder-1")) {
                    long id = t.get("id").asLong();
                    claims.add(pool.submit(() -> {
                        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/tickets/" + id
                                + "/claim")).header("Authorization", "Bearer " + TOKEN).POST(HttpRequest.BodyPublishers.noBody()).build(),
                                HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() == 200) {
                            acked.add(id);
                            synchronized (total) {
                                total[0]++;
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : claims) {
                    f.get();
                }
                bulk.cancel(false);
                coordinator.destroyForcibly(); // SIGKILL, the moment the last answer is in
                coordinator.waitFor();
                if (cycles > 3 && (cycle + 1) % 10 == 0) {
                    System.out.printf("claim-kill %s: %d of %d cycles, %d claims answered 200, %d lost so far%n", kind, cycle + 1, cycles, total[0], lost.size());
                }
            }
            coordinator = serve(port, env);
            lost.addAll(survivors(port, acked));
            System.out.printf("claim-kill %s: %d cycles, %d claims answered 200, %d lost %s%n", kind, cycles, total[0], lost.size(), lost);
            assertThat(total[0]).isEqualTo(cycles * perCycle);
            assertThat(lost).as("claims answered 200 and gone after kill -9").isEmpty();
        } finally {
            pool.shutdownNow();
        }
    }
}
