package dev.assemblyline.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assemblyline.TestRepos;
import dev.assemblyline.Tools;
import dev.assemblyline.app.Config;
import dev.assemblyline.app.Wiring;
import dev.assemblyline.model.Phase;
import dev.assemblyline.pipeline.Notifier;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** /health tells the truth: a stuck reconcile loop and a deleted tracked branch are 503, and say which part. */
class HealthTest {
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;
    Wiring server;
    final CountDownLatch release = new CountDownLatch(1);

    @AfterEach
    void stop() {
        release.countDown();
        if (server != null) {
            server.close();
        }
    }

    void start(Notifier extra) {
        Map<String, String> env = new HashMap<>();
        env.put("PORT", "0");
        env.put("ASSEMBLY_DATA_DIR", tmp.resolve("data").toString());
        env.put("ASSEMBLY_SESSIONS_FILE", tmp.resolve("none.json").toString());
        env.put("ASSEMBLY_LOOP_STUCK_AFTER", "2s");
        server = new Wiring(Config.fromEnv(env), Clock.systemUTC(), true, extra);
    }

    record Answer(int status, JsonNode body) {
    }

    Answer health() throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/health")).build(),
                HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), JSON.readTree(r.body()));
    }

    @Test
    void aBusyLoopIsReportedStuckAndHealthyAgainWhenItFinishes() throws Exception {
        start(new Notifier() {
            @Override
            public void tell(String session, String service, String text) {
            }

            @Override
            public void advanced(String service, Phase from, Phase to, String tree, List<String> reasons) {
                try {
                    release.await(); // the loop is held here, as by a reconcile that takes minutes
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        Answer first = health();
        assertThat(first.status()).isEqualTo(200);
        assertThat(first.body().get("tracked_branch").asText()).isEqualTo("main: not pushed yet");
        assertThat(first.body().has("outbox_oldest_unsent_s")).isTrue();
        Path work = tmp.resolve("work");
        Tools.ok(tmp, "git", "clone", "-q", Tools.gitUrl(server), work.toString());
        TestRepos.commitAndPush(work, "SERVICES/hello/SPEC.md", TestRepos.completeSpec(), "main");
        await().atMost(Duration.ofSeconds(10)).until(() -> health().status() == 503);
        assertThat(health().body().get("reconcile_loop").asText()).startsWith("stuck: no pass finished for");
        release.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> health().status() == 200);
        assertThat(health().body().get("reconcile_loop").asText()).isEqualTo("ok");
    }

    @Test
    void aDeletedTrackedBranchIs503() throws Exception {
        release.countDown();
        start(null);
        Path work = tmp.resolve("work");
        Tools.ok(tmp, "git", "clone", "-q", Tools.gitUrl(server), work.toString());
        TestRepos.commitAndPush(work, "SERVICES/hello/SPEC.md", TestRepos.completeSpec(), "main");
        await().atMost(Duration.ofSeconds(10)).until(() -> server.reconciler.states().containsKey("hello"));
        assertThat(health().status()).isEqualTo(200);
        assertThat(health().body().get("tracked_branch").asText()).isEqualTo("main: present");
        Tools.ok(work, "git", "push", "-q", Tools.gitUrl(server), ":main"); // admin may delete it
        Answer gone = health();
        assertThat(gone.status()).isEqualTo(503);
        assertThat(gone.body().get("tracked_branch").asText()).isEqualTo("main: gone");
    }
}
