package dev.assemblyline.slack;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import dev.assemblyline.store.Database;
import dev.assemblyline.store.OutboxStore;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutboxWorkerTest {
    @TempDir
    Path tmp;

    @Test
    void aPostWhoseAnswerIsLostIsFoundInTheChannelAndNotPostedTwice() throws Exception {
        WireMockServer slack = new WireMockServer(WireMockConfiguration.options().dynamicPort());
        slack.start();
        try (Database db = Database.open(Database.h2Url(tmp.resolve("h2")), null, null)) {
            OutboxStore outbox = new OutboxStore(db.jdbc());
            outbox.add("C1", "announce", "k1", null, "svc", null, "hello", null, Clock.systemUTC().instant());
            long id = outbox.pending(1).get(0).id();
            // Slack takes the post but the answer never arrives in time; the history shows it with our metadata
            slack.stubFor(post(urlPathEqualTo("/api/chat.postMessage")).inScenario("post").willSetStateTo("posted")
                    .willReturn(okJson("{\"ok\":true,\"channel\":\"C1\",\"ts\":\"111.222\"}").withFixedDelay(3000)));
            // before the post the channel is empty (read once at the worker's start); after it, the message is there
            slack.stubFor(post(urlPathEqualTo("/api/conversations.history")).inScenario("post")
                    .whenScenarioStateIs(com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED)
                    .willReturn(okJson("{\"ok\":true,\"messages\":[]}")));
            slack.stubFor(post(urlPathEqualTo("/api/conversations.history")).inScenario("post").whenScenarioStateIs("posted").willReturn(okJson("{\"ok\":true,\"messages\":[{\"type\":\"message\","
                    + "\"text\":\"hello\",\"ts\":\"111.222\",\"metadata\":{\"event_type\":\"assembly_outbox\",\"event_payload\":{\"outbox_id\":" + id + "}}}]}")));
            try (OutboxWorker w = new OutboxWorker(outbox, "xoxb-t", slack.baseUrl() + "/api/", Clock.systemUTC(), Duration.ofMillis(50),
                    Duration.ofMillis(500))) {
                w.start();
                await().atMost(Duration.ofSeconds(10)).until(() -> outbox.depth() == 0);
            }
            assertThat(outbox.get(id).orElseThrow().ts()).isEqualTo("111.222");
            assertThat(slack.findAll(postRequestedFor(urlPathEqualTo("/api/chat.postMessage")))).hasSize(1);
        } finally {
            slack.stop();
        }
    }
}
