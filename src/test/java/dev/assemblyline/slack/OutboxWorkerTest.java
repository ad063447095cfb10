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
import java.util.List;
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

    @Test
    void anUpdateWithANewerOneQueuedIsLeftOutAndOnlyTheNewestTextReachesSlack() throws Exception {
        WireMockServer slack = slackThatTakesPosts();
        try (Database db = Database.open(Database.h2Url(tmp.resolve("h2")), null, null)) {
            OutboxStore outbox = new OutboxStore(db.jdbc());
            java.time.Instant now = Clock.systemUTC().instant();
            slack.stubFor(post(urlPathEqualTo("/api/chat.update")).willReturn(okJson("{\"ok\":true,\"channel\":\"C1\",\"ts\":\"1.1\"}")));
            outbox.add("C1", "announce", "k1", null, "svc", null, "svc: READY_FOR_BUILD", null, now);
            outbox.add("C1", "announce", "k2", null, "api", null, "api: READY_FOR_BUILD", null, now);
            long announcement = outbox.latestAnnouncement("svc").orElseThrow().id();
            long other = outbox.latestAnnouncement("api").orElseThrow().id();
            // three changes of the same ticket queued while the announcement waits: only the last text matters
            for (String state : new String[] {"offered", "claimed", "done"}) {
                outbox.add("C1", "update", null, announcement, "svc", 7L, "svc: ticket #7 " + state, null, now);
            }
            outbox.add("C1", "update", null, other, "api", 8L, "api: ticket #8 offered", null, now);
            try (OutboxWorker w = new OutboxWorker(outbox, "xoxb-t", slack.baseUrl() + "/api/", Clock.systemUTC(), Duration.ofMillis(20),
                    Duration.ofMillis(500))) {
                w.start();
                await().atMost(Duration.ofSeconds(10)).until(() -> outbox.depth() == 0);
            }
            var updates = slack.findAll(postRequestedFor(urlPathEqualTo("/api/chat.update")));
            List<String> texts = updates.stream().map(r -> java.net.URLDecoder.decode(r.getBodyAsString(),
                    java.nio.charset.StandardCharsets.UTF_8)).toList();
            assertThat(texts).as("the newest text of each message, once").hasSize(2);
            assertThat(texts.get(0)).contains("svc: ticket #7 done");
            assertThat(texts.get(1)).contains("api: ticket #8 offered");
            assertThat(db.jdbc().count("test", "SELECT COUNT(*) FROM outbox WHERE state = 'superseded'")).isEqualTo(2);
        } finally {
            slack.stop();
        }
    }

    @Test
    void eachChannelGetsItsMessagesInOrderOnceIncludingAChannelThatAppearsWhileItRuns() throws Exception {
        WireMockServer slack = slackThatTakesPosts();
        try (Database db = Database.open(Database.h2Url(tmp.resolve("h2")), null, null)) {
            OutboxStore outbox = new OutboxStore(db.jdbc());
            java.time.Instant now = Clock.systemUTC().instant();
            for (int i = 0; i < 30; i++) { // interleaved: C1, C2, C1, C2, ...
                String ch = i % 2 == 0 ? "C1" : "C2";
                outbox.add(ch, "post", "k" + i, null, "svc", null, ch + " message " + i, null, now);
            }
            try (OutboxWorker w = new OutboxWorker(outbox, "xoxb-t", slack.baseUrl() + "/api/", Clock.systemUTC(), Duration.ofMillis(20),
                    Duration.ofMillis(500))) {
                w.start();
                await().atMost(Duration.ofSeconds(20)).until(() -> outbox.depth() < 20);
                for (int i = 30; i < 36; i++) { // a third channel, and more for the first, while it runs
                    String ch = i % 2 == 0 ? "C3" : "C1";
                    outbox.add(ch, "post", "k" + i, null, "svc", null, ch + " message " + i, null, Clock.systemUTC().instant());
                }
                w.signal(); // as the line does after queueing: found by id, without reading the whole outbox
                await().atMost(Duration.ofSeconds(20)).until(() -> outbox.depth() == 0);
            }
            java.util.Map<String, List<Integer>> sent = sentByChannel(slack, "(C\\d) message (\\d+)");
            assertThat(sent.get("C1")).as("C1 in order, once each").isSorted().doesNotHaveDuplicates().hasSize(18);
            assertThat(sent.get("C2")).isSorted().doesNotHaveDuplicates().hasSize(15);
            assertThat(sent.get("C3")).containsExactly(30, 32, 34);
        } finally {
            slack.stop();
        }
    }

    @Test
    void aBacklogLongerThanABatchGoesOutInOrderOnceWithARetryInTheMiddleAndMessagesQueuedUnannounced() throws Exception {
        WireMockServer slack = slackThatTakesPosts();
        // Slack fails message 150 once (a 500): it must stay first in its channel and go again, looked up before
        slack.stubFor(post(urlPathEqualTo("/api/chat.postMessage")).withRequestBody(com.github.tomakehurst.wiremock.client.WireMock.containing(
                "message%20150%26")).inScenario("retry").whenScenarioStateIs(com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED)
                .willSetStateTo("failed once").willReturn(com.github.tomakehurst.wiremock.client.WireMock.serverError()));
        try (Database db = Database.open(Database.h2Url(tmp.resolve("h2")), null, null)) {
            OutboxStore outbox = new OutboxStore(db.jdbc());
            int backlog = OutboxWorker.BATCH * 2 + 30;
            for (int i = 0; i < backlog; i++) {
                outbox.add("C1", "post", "k" + i, null, "svc", null, "C1 message " + i + "&", null, Clock.systemUTC().instant());
            }
            try (OutboxWorker w = new OutboxWorker(outbox, "xoxb-t", slack.baseUrl() + "/api/", Clock.systemUTC(), Duration.ofMillis(1),
                    Duration.ofMillis(500))) {
                w.start();
                await().atMost(Duration.ofSeconds(30)).until(() -> outbox.depth() < OutboxWorker.BATCH);
                // queued with no signal (another replica's insert, say): found when the queue runs out or by the periodic read
                for (int i = backlog; i < backlog + 4; i++) {
                    outbox.add(i % 2 == 0 ? "C1" : "C9", "post", "k" + i, null, "svc", null, (i % 2 == 0 ? "C1" : "C9") + " message " + i + "&",
                            null, Clock.systemUTC().instant());
                }
                await().atMost(Duration.ofSeconds(30)).until(() -> outbox.depth() == 0);
            }
            java.util.Map<String, List<Integer>> sent = sentByChannel(slack, "(C\\d) message (\\d+)&");
            List<Integer> expected = new java.util.ArrayList<>();
            for (int i = 0; i < backlog + 4; i += i < backlog ? 1 : 2) {
                expected.add(i);
                if (i == 150) {
                    expected.add(150); // refused once, then sent: nothing overtook it
                }
            }
            assertThat(sent.get("C1")).as("in order, once each but the one Slack refused").containsExactlyElementsOf(expected);
            assertThat(sent.get("C9")).containsExactly(backlog + 1, backlog + 3);
        } finally {
            slack.stop();
        }
    }

    /** The numbers of the messages Slack was sent, per channel, in the order posted ({@code pattern}: channel, number). */
    static java.util.Map<String, List<Integer>> sentByChannel(WireMockServer slack, String pattern) {
        java.util.Map<String, List<Integer>> sent = new java.util.TreeMap<>();
        for (var r : slack.findAll(postRequestedFor(urlPathEqualTo("/api/chat.postMessage")))) {
            String body = java.net.URLDecoder.decode(r.getBodyAsString(), java.nio.charset.StandardCharsets.UTF_8);
            java.util.regex.Matcher m = java.util.regex.Pattern.compile(pattern).matcher(body);
            assertThat(m.find()).as(body).isTrue();
            sent.computeIfAbsent(m.group(1), k -> new java.util.ArrayList<>()).add(Integer.parseInt(m.group(2)));
        }
        return sent;
    }

    /** Slack's Web API stand-in: an empty channel history, and every chat.postMessage taken. */
    static WireMockServer slackThatTakesPosts() {
        WireMockServer slack = new WireMockServer(WireMockConfiguration.options().dynamicPort());
        slack.start();
        slack.stubFor(post(urlPathEqualTo("/api/conversations.history")).willReturn(okJson("{\"ok\":true,\"messages\":[]}")));
        slack.stubFor(post(urlPathEqualTo("/api/chat.postMessage")).willReturn(okJson("{\"ok\":true,\"channel\":\"C1\",\"ts\":\"1.1\"}")));
        return slack;
    }
}
