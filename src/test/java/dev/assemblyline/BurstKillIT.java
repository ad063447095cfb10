package dev.assemblyline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import dev.assemblyline.store.Postgres;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Kill -9 at {@code -Dchaos.kills} (20) random points while 200 phase changes are being announced one by one
 * (digest off), against a fake Slack that keeps what was posted and answers conversations.history with it,
 * as Slack does: after the last restart every service is announced exactly once, on H2 and PostgreSQL.
 * The fake Slack also fails {@code -Dchaos.slack-faults} (15) percent of posts, a third each way: 500 before
 * posting, 429 with Retry-After, and 500 after posting (the message is in the channel, the answer says it
 * failed: only the history lookup keeps it from being posted twice).
 */
class BurstKillIT {
    static final String ADMIN = "admin-token-for-burst-kill";
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final ObjectMapper JSON = new ObjectMapper();
    static final Pattern SERVICE = Pattern.compile("\\*(burst-\\d+)\\* appeared as");

    @TempDir
    Path tmp;
    Process coordinator;
    HttpServer slack;
    final List<ObjectNode> posted = new ArrayList<>();
    final Random faults = new Random(Long.getLong("chaos.seed", 7) + 1);
    final int faultPercent = Integer.getInteger("chaos.slack-faults", 15);
    final Map<String, Integer> faultCounts = new TreeMap<>();
    Map<String, String> store = Map.of();

    @AfterEach
    void stop() {
        if (coordinator != null) {
            coordinator.destroyForcibly();
        }
        if (slack != null) {
            slack.stop(0);
        }
        if (System.getProperty("chaos.keep") != null) { // -Dchaos.keep=DIR keeps the data and log to look at
            try {
                Tools.ok(null, "cp", "-r", tmp.toString(), System.getProperty("chaos.keep"));
            } catch (Exception e) {
                // only for looking at a failure
            }
        }
    }

    static Map<String, String> form(HttpExchange ex) throws java.io.IOException {
        Map<String, String> out = new HashMap<>();
        for (String pair : new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8).split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                out.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8), URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    static void answer(HttpExchange ex, Object body) throws java.io.IOException {
        answer(ex, 200, body);
    }

    static void answer(HttpExchange ex, int status, Object body) throws java.io.IOException {
        byte[] b = JSON.writeValueAsBytes(body);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
        ex.close();
    }

    void fakeSlack() throws Exception {
        slack = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        slack.createContext("/api/chat.postMessage", ex -> {
            Map<String, String> f = form(ex);
            int roll;
            synchronized (faults) {
                roll = faults.nextInt(100 * 3);
            }
            if (roll < faultPercent) { // 500 before posting: nothing landed
                fault("500 before posting");
                answer(ex, 500, Map.of("ok", false, "error", "internal_error"));
                return;
            }
            if (roll < 2 * faultPercent) {
                fault("429");
                ex.getResponseHeaders().add("Retry-After", "1");
                answer(ex, 429, Map.of("ok", false, "error", "ratelimited"));
                return;
            }
            ObjectNode m = JSON.createObjectNode();
            synchronized (posted) {
                m.put("type", "message").put("ts", "1700000000." + String.format("%06d", posted.size() + 1)).put("text", f.get("text"));
                m.put("channel", f.get("channel"));
                if (f.get("metadata") != null) {
                    m.set("metadata", JSON.readTree(f.get("metadata")));
                }
                posted.add(m);
            }
            if (roll < 3 * faultPercent) { // posted, yet the answer says it failed
                fault("500 after posting");
                answer(ex, 500, Map.of("ok", false, "error", "internal_error"));
                return;
            }
            answer(ex, Map.of("ok", true, "channel", f.getOrDefault("channel", ""), "ts", m.get("ts").asText()));
        });
        slack.createContext("/api/conversations.history", ex -> {
            Map<String, String> f = form(ex);
            ArrayNode messages = JSON.createArrayNode();
            synchronized (posted) {
                for (int i = posted.size() - 1; i >= 0 && messages.size() < 50; i--) {
                    if (posted.get(i).get("channel").asText().equals(f.get("channel"))) {
                        messages.add(posted.get(i));
                    }
                }
            }
            answer(ex, Map.of("ok", true, "messages", messages));
        });
        slack.createContext("/api/", ex -> {
            form(ex);
            answer(ex, Map.of("ok", true, "channel", "C0BURST", "ts", "1", "messages", List.of()));
        });
        slack.start();
    }

    void fault(String kind) {
        synchronized (faultCounts) {
            faultCounts.merge(kind, 1, Integer::sum);
        }
    }

    Process serve(int port) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("java", "-jar", JarIT.jar(), "serve").directory(tmp.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(tmp.resolve("serve.log").toFile()));
        pb.environment().put("PORT", String.valueOf(port));
        pb.environment().put("ASSEMBLY_DATA_DIR", tmp.resolve("data").toString());
        pb.environment().put("ASSEMBLY_ADMIN_TOKEN", ADMIN);
        pb.environment().put("ASSEMBLY_SESSIONS_FILE", tmp.resolve("none.json").toString());
        pb.environment().put("ASSEMBLY_TEST_PARALLELISM", "0");
        pb.environment().put("SLACK_BOT_TOKEN", "xoxb-burst");
        pb.environment().put("ASSEMBLY_SLACK_CHANNEL", "C0BURST");
        pb.environment().put("ASSEMBLY_SLACK_API_URL", "http://127.0.0.1:" + slack.getAddress().getPort() + "/api/");
        pb.environment().put("ASSEMBLY_SLACK_CHANNEL_INTERVAL", "100ms");
        pb.environment().put("ASSEMBLY_SLACK_DIGEST", "1000"); // one announcement per service: 200 to keep exactly once
        pb.environment().putAll(store);
        Process p = pb.start();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
            try {
                return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() < 500;
            } catch (java.io.IOException e) {
                return false;
            }
        });
        return p;
    }

    Map<String, Integer> announcedPerService() {
        Map<String, Integer> count = new TreeMap<>();
        synchronized (posted) {
            for (ObjectNode m : posted) {
                Matcher x = SERVICE.matcher(m.get("text").asText());
                if (x.find()) {
                    count.merge(x.group(1), 1, Integer::sum);
                }
            }
        }
        return count;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"h2", "postgres"})
    void killsDuringAnAnnouncementBurstEndWithEachChangeAnnouncedOnce(String kind) throws Exception {
        int kills = Integer.getInteger("chaos.kills", 20);
        store = kind.equals("h2") ? Map.of() : Map.of("ASSEMBLY_DB_URL", Postgres.get().newDatabase());
        fakeSlack();
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        coordinator = serve(port);
        Path work = tmp.resolve("work");
        Tools.ok(tmp, "git", "clone", "-q", "http://admin:" + ADMIN + "@127.0.0.1:" + port + "/git/services.git", work.toString());
        for (int i = 0; i < 200; i++) {
            Path spec = work.resolve("SERVICES/burst-" + i + "/SPEC.md");
            Files.createDirectories(spec.getParent());
            Files.writeString(spec, TestRepos.completeSpec());
        }
        TestRepos.commitAndPush(work, "SERVICES/burst-0/SPEC.md", TestRepos.completeSpec(), "main");
        Random random = new Random(Long.getLong("chaos.seed", 7));
        for (int k = 0; k < kills; k++) {
            // SIGKILL at a random point of the burst: after 1 to 6 more messages have landed in Slack
            int landed;
            synchronized (posted) {
                landed = posted.size() + 1 + random.nextInt(6);
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                synchronized (posted) {
                    return posted.size() >= landed;
                }
            });
            coordinator.destroyForcibly();
            coordinator.waitFor();
            coordinator = serve(port);
        }
        await().atMost(Duration.ofSeconds(150)).until(() -> announcedPerService().size() == 200);
        // everything queued is sent (a second copy would have been queued, and so sent, by now)
        await().atMost(Duration.ofSeconds(150)).until(() -> Tools.metric(port, "assembly_outbox_depth") == 0);
        Map<String, Integer> counts = announcedPerService();
        List<String> twice = counts.entrySet().stream().filter(e -> e.getValue() != 1).map(Map.Entry::getKey).toList();
        System.out.printf("burst-kill %s: %d kills, Slack faults %s, %d of 200 services announced, %d more than once %s%n",
                kind, kills, faultCounts, counts.size(), twice.size(), twice);
        assertThat(counts).hasSize(200);
        assertThat(twice).as("announced more than once").isEmpty();
        assertThat(faultCounts).as("the fake Slack failed some posts each way").hasSize(3);
    }
}
