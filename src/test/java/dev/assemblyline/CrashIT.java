package dev.assemblyline;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged coordinator killed at the worst moment: right after a phase change is committed, before
 * anything else runs (as kill -9 would). After a restart, its announcement reaches Slack exactly once.
 */
class CrashIT {
    static final String ADMIN = "admin-token-for-crash-test";
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path tmp;
    WireMockServer slack;
    Process coordinator;

    @AfterEach
    void stop() {
        if (coordinator != null) {
            coordinator.destroyForcibly();
        }
        if (slack != null) {
            slack.stop();
        }
    }

    Process serve(int port, boolean crash) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("java"));
        if (crash) {
            cmd.add("-Dassembly.crashpoint=after-phase-commit");
        }
        cmd.addAll(List.of("-jar", JarIT.jar(), "serve"));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(tmp.toFile()).redirectErrorStream(true)
                .redirectOutput(tmp.resolve(crash ? "first.log" : "second.log").toFile());
        pb.environment().put("PORT", String.valueOf(port));
        pb.environment().put("ASSEMBLY_DATA_DIR", tmp.resolve("data").toString());
        pb.environment().put("ASSEMBLY_ADMIN_TOKEN", ADMIN);
        pb.environment().put("SLACK_BOT_TOKEN", "xoxb-test");
        pb.environment().put("ASSEMBLY_SLACK_CHANNEL", "C0TEAM");
        pb.environment().put("ASSEMBLY_SLACK_API_URL", slack.baseUrl() + "/api/");
        pb.environment().put("ASSEMBLY_SLACK_CHANNEL_INTERVAL", "50ms");
        Process p = pb.start();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
            try {
                return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
            } catch (java.io.IOException e) {
                return false;
            }
        });
        return p;
    }

    long announcements() {
        return slack.findAll(postRequestedFor(urlPathEqualTo("/api/chat.postMessage"))).stream()
                .map(r -> URLDecoder.decode(r.getBodyAsString(), StandardCharsets.UTF_8))
                .filter(b -> b.contains("channel=C0TEAM") && b.contains("appeared as")).count();
    }

    @Test
    void aKillBetweenPhaseChangeAndAnnouncementEndsWithExactlyOneAnnouncement() throws Exception {
        slack = new WireMockServer(WireMockConfiguration.options().dynamicPort());
        slack.start();
        slack.stubFor(post(urlPathEqualTo("/api/chat.postMessage"))
                .willReturn(okJson("{\"ok\":true,\"channel\":\"C0TEAM\",\"ts\":\"1700000000.{{randomValue length=6 type='NUMERIC'}}\"}")
                        .withTransformers("response-template")));
        slack.stubFor(post(urlPathEqualTo("/api/chat.update")).willReturn(okJson("{\"ok\":true,\"channel\":\"C0TEAM\",\"ts\":\"1\"}")));
        slack.stubFor(post(urlPathEqualTo("/api/conversations.history")).willReturn(okJson("{\"ok\":true,\"messages\":[]}")));
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        coordinator = serve(port, true);
        Path work = tmp.resolve("work");
        String url = "http://admin:" + ADMIN + "@127.0.0.1:" + port + "/git/services.git";
        Tools.ok(tmp, "git", "clone", "-q", url, work.toString());
        try {
            TestRepos.commitAndPush(work, "SERVICES/hello/SPEC.md", TestRepos.completeSpec(), "main");
        } catch (AssertionError pushCutOff) {
            // the process may die before git hears back; the refs had moved already
        }
        assertThat(coordinator.waitFor(30, TimeUnit.SECONDS)).as("halted at the crash point").isTrue();
        assertThat(coordinator.exitValue()).isEqualTo(137);
        assertThat(announcements()).as("nothing was announced before the kill").isZero();

        coordinator = serve(port, false);
        await().atMost(Duration.ofSeconds(30)).until(() -> announcements() >= 1);
        // everything queued is sent (a second announcement would have been queued, and so sent, by now)
        await().atMost(Duration.ofSeconds(30)).until(() -> Tools.metric(port, "assembly_outbox_depth") == 0);
        assertThat(announcements()).isEqualTo(1);
    }
}
