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
 * (digest off), against Slack on WireMock (FakeSlack) that keeps what was posted and answers conversations.history with it,
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
    FakeSlack slack;
    Map<String, String> store = Map.of();

    @AfterEach
    void stop() {
        if (coordinator != null) {
            coordinator.destroyForcibly();
        }
        if (slack != null) {
            slack.close();
        }
        if (System.getProperty("chaos.keep") != null) { // -Dchaos.keep=DIR keeps the data and log to look at
            try {
                Tools.ok(null, "cp", "-r", tmp.toString(), System.getProperty("chaos.keep"));
            } catch (Exception e) {
                // only for looking at a failure
            }
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
        pb.environment().put("ASSEMBLY_SLACK_API_URL", slack.apiUrl());
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
        return slack.perService(SERVICE);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"h2", "postgres"})
    void killsDuringAnAnnouncementBurstEndWithEachChangeAnnouncedOnce(String kind) throws Exception {
        int kills = Integer.getInteger("chaos.kills", 20);
        store = kind.equals("h2") ? Map.of() : Map.of("ASSEMBLY_DB_URL", Postgres.get().newDatabase());
        slack = new FakeSlack(Long.getLong("chaos.seed", 7) + 1, Integer.getInteger("chaos.slack-faults", 15));
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
            landed = slack.postedCount() + 1 + random.nextInt(6);
            await().atMost(Duration.ofSeconds(60)).until(() -> slack.postedCount() >= landed);
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
                kind, kills, slack.faultCounts, counts.size(), twice.size(), twice);
        assertThat(counts).hasSize(200);
        assertThat(twice).as("announced more than once").isEmpty();
        assertThat(slack.faultCounts).as("the fake Slack failed some posts each way").hasSize(3);
    }
}
