package dev.assemblyline.slack;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import com.slack.api.app_backend.SlackSignature;
import dev.assemblyline.TestRepos;
import dev.assemblyline.Tools;
import dev.assemblyline.app.Config;
import dev.assemblyline.app.Wiring;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Slack end to end: WireMock speaks Slack's Web API, requests are signed as Slack signs them. */
class SlackTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final String SECRET = "8f742231b10e8888abcd99yyyzzz85a5";
    static final AtomicInteger TS = new AtomicInteger(1000);

    @TempDir
    Path tmp;
    WireMockServer slack;
    Wiring server;

    @BeforeEach
    void fakeSlack() {
        slack = new WireMockServer(WireMockConfiguration.options().dynamicPort());
        slack.start();
        stubOk();
    }

    void stubOk() {
        slack.stubFor(post(urlPathEqualTo("/api/chat.postMessage")).atPriority(10)
                .willReturn(okJson("{\"ok\":true,\"channel\":\"C0TEAM\",\"ts\":\"1700000000.{{randomValue length=6 type='NUMERIC'}}\"}")
                        .withTransformers("response-template")));
        slack.stubFor(post(urlPathEqualTo("/api/chat.update")).atPriority(10).willReturn(okJson("{\"ok\":true,\"channel\":\"C0TEAM\",\"ts\":\"1\"}")));
        slack.stubFor(post(urlPathEqualTo("/api/chat.postEphemeral")).atPriority(10).willReturn(okJson("{\"ok\":true,\"message_ts\":\"2\"}")));
        slack.stubFor(post(urlPathEqualTo("/api/conversations.history")).atPriority(10).willReturn(okJson("{\"ok\":true,\"messages\":[]}")));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        slack.stop();
    }

    void start() throws Exception {
        Files.writeString(tmp.resolve("sessions.json"), """
                {"builder-1": {"session_id": "builder-1", "name": "Builder One", "capabilities": ["builder"], "status": "active",
                               "slack_user": "UBUILDER", "wip_limit": 1},
                 "tester-1":  {"session_id": "tester-1", "name": "Tester One", "capabilities": ["tester"], "status": "active",
                               "slack_user": "UTESTER", "wip_limit": 1}}
                """);
        Map<String, String> env = new HashMap<>();
        env.put("PORT", "0");
        env.put("ASSEMBLY_DATA_DIR", tmp.resolve("data").toString());
        env.put("ASSEMBLY_SESSIONS_FILE", tmp.resolve("sessions.json").toString());
        env.put("SLACK_BOT_TOKEN", "xoxb-test");
        env.put("SLACK_SIGNING_SECRET", SECRET);
        env.put("ASSEMBLY_SLACK_CHANNEL", "C0TEAM");
        env.put("ASSEMBLY_SLACK_API_URL", slack.baseUrl() + "/api/");
        env.put("ASSEMBLY_SLACK_CHANNEL_INTERVAL", "50ms");
        env.put("ASSEMBLY_PUBLIC_URL", "https://line.example.test/");
        env.putAll(dev.assemblyline.store.Postgres.env(db));
        server = new Wiring(Config.fromEnv(env), Clock.systemUTC(), true);
    }

    String base() {
        return "http://127.0.0.1:" + server.port();
    }

    static Map<String, String> form(LoggedRequest r) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String pair : r.getBodyAsString().split("&")) {
            int eq = pair.indexOf('=');
            out.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8), URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return out;
    }

    List<Map<String, String>> calls(String method) {
        return slack.findAll(postRequestedFor(urlPathEqualTo("/api/" + method))).stream().map(SlackTest::form).toList();
    }

    HttpResponse<String> signed(String path, String body, long timestamp) throws Exception {
        String sig = new SlackSignature.Generator(SECRET).generate(String.valueOf(timestamp), body);
        return HTTP.send(HttpRequest.newBuilder(URI.create(base() + path)).header("X-Slack-Request-Timestamp", String.valueOf(timestamp))
                .header("X-Slack-Signature", sig).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> signed(String path, String body) throws Exception {
        return signed(path, body, System.currentTimeMillis() / 1000);
    }

    static String command(String text, String user) {
        return "token=x&team_id=T1&team_domain=t&channel_id=C0TEAM&channel_name=team&user_id=" + user + "&user_name=" + user.toLowerCase()
                + "&command=%2Fassembly&text=" + URLEncoder.encode(text, StandardCharsets.UTF_8)
                + "&response_url=https%3A%2F%2Fhooks.slack.invalid%2Fcommands%2F1&trigger_id=1.2.3";
    }

    static String threadReply(String eventId, String user, String text, String threadTs, boolean bot) throws Exception {
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("type", "message");
        event.put("channel", "C0TEAM");
        event.put("user", user);
        event.put("text", text);
        event.put("ts", "1700000999." + TS.incrementAndGet());
        event.put("thread_ts", threadTs);
        if (bot) {
            event.put("bot_id", "B0BOT");
        }
        return JSON.writeValueAsString(Map.of("type", "event_callback", "event_id", eventId, "team_id", "T1", "event", event));
    }

    Path pushSpec() throws Exception {
        Path work = tmp.resolve("work");
        Tools.ok(tmp, "git", "clone", "-q", Tools.gitUrl(server), work.toString());
        TestRepos.commitAndPush(work, "SERVICES/hello/SPEC.md", TestRepos.completeSpec(), "main");
        return work;
    }

    String announcementTs() {
        return server.outbox.latestAnnouncement("hello").orElseThrow().ts();
    }

    @Test
    void aPushIsAnnouncedOnceWithTheAssignmentAndItsButtonsAndTheAssigneeIsMessaged() throws Exception {
        start();
        pushSpec();
        await().atMost(Duration.ofSeconds(10)).until(() -> calls("chat.update").size() >= 1);
        Map<String, String> post = calls("chat.postMessage").stream().filter(m -> m.get("channel").equals("C0TEAM")).findFirst().orElseThrow();
        assertThat(post.get("text")).isEqualTo("*hello* appeared as *READY_FOR_BUILD*. spec complete, no BUILD/ yet");
        assertThat(JSON.readTree(post.get("metadata")).get("event_type").asText()).isEqualTo("assembly_outbox");
        JsonNode blocks = JSON.readTree(calls("chat.update").get(0).get("blocks"));
        assertThat(blocks.get(1).get("text").get("text").asText()).startsWith("*build ticket #1* for *hello* (READY_FOR_BUILD)\nOffered to <@UBUILDER>; claim by ");
        assertThat(blocks.get(2).get("elements").get(0).get("text").asText()).contains("Service *hello*", "phase READY_FOR_BUILD", "<https://line.example.test/services/hello|");
        JsonNode buttons = blocks.get(3).get("elements");
        assertThat(buttons).hasSize(3);
        assertThat(buttons.get(0).get("action_id").asText()).isEqualTo("claim");
        assertThat(buttons.get(0).get("value").asText()).isEqualTo("1");
        assertThat(buttons.get(0).get("text").get("text").asText()).isEqualTo("Claim");
        assertThat(calls("chat.update").get(0).get("ts")).isEqualTo(announcementTs());
        await().atMost(Duration.ofSeconds(5)).until(() -> calls("chat.postMessage").stream().anyMatch(m -> m.get("channel").equals("UBUILDER")));
        await().atMost(Duration.ofSeconds(5)).until(() -> calls("chat.postMessage").stream().anyMatch(m -> announcementTs().equals(m.get("thread_ts"))));

        server.reconciler.resync();
        server.desk.sync(server.reconciler.states());
        await().atMost(Duration.ofSeconds(5)).until(() -> server.outbox.depth() == 0); // everything queued has been sent
        assertThat(calls("chat.postMessage").stream().filter(m -> m.get("channel").equals("C0TEAM") && m.get("thread_ts") == null))
                .as("a re-run never repeats the announcement").hasSize(1);
    }

    @Test
    void textFromTheRepositoryIsNeverMarkupInSlack() throws Exception {
        start();
        Path work = tmp.resolve("work");
        Tools.ok(tmp, "git", "clone", "-q", Tools.gitUrl(server), work.toString());
        Files.createDirectories(work.resolve("SERVICES/hello"));
        Files.writeString(work.resolve("SERVICES/hello/README.md"), "🚧 BUILD IN PROGRESS by <!channel> & <@UBOSS>\n");
        TestRepos.commitAndPush(work, "SERVICES/hello/SPEC.md", TestRepos.completeSpec(), "main");
        await().atMost(Duration.ofSeconds(10)).until(() -> calls("chat.postMessage").stream().anyMatch(m -> m.get("channel").equals("C0TEAM")));
        Map<String, String> post = calls("chat.postMessage").stream().filter(m -> m.get("channel").equals("C0TEAM")).findFirst().orElseThrow();
        assertThat(post.get("text")).contains("BUILD IN PROGRESS by &lt;!channel&gt; &amp; &lt;@UBOSS&gt;").doesNotContain("<!channel>");
        assertThat(post.get("blocks")).doesNotContain("<!channel>", "<@UBOSS>");
        HttpResponse<String> why = signed("/slack/commands", command("why hello", "UBUILDER"));
        assertThat(why.body()).contains("&lt;!channel&gt;").doesNotContain("<!channel>");
    }

    @Test
    void aBulkPushIsOneDigestMessageNotOneEach() throws Exception {
        start();
        Path work = tmp.resolve("work");
        Tools.ok(tmp, "git", "clone", "-q", Tools.gitUrl(server), work.toString());
        for (int i = 0; i < 300; i++) {
            Files.createDirectories(work.resolve("SERVICES/bulk-" + i));
            Files.writeString(work.resolve("SERVICES/bulk-" + i + "/SPEC.md"), TestRepos.completeSpec());
        }
        TestRepos.commitAndPush(work, "SERVICES/bulk-0/SPEC.md", TestRepos.completeSpec(), "main");
        await().atMost(Duration.ofSeconds(20)).until(() -> server.board.openTickets().size() == 300);
        await().atMost(Duration.ofSeconds(10)).until(() -> calls("chat.postMessage").stream().anyMatch(m -> m.get("text").contains("300 services")));
        await().atMost(Duration.ofSeconds(10)).until(() -> server.outbox.depth() == 0); // a message per service, were there one, is sent by now
        List<Map<String, String>> channel = calls("chat.postMessage").stream().filter(m -> m.get("channel").equals("C0TEAM")).toList();
        assertThat(channel.get(0).get("text")).startsWith(":package: *300 services* changed phase in one push: 300 READY_FOR_BUILD");
        assertThat(channel).as("the digest, and one message per ticket offered (the builder's WIP is 1), not 300").hasSizeLessThanOrEqualTo(3);
    }

    @Test
    void aRateLimitIsWaitedOutAndTheMessagePostedOnce() throws Exception {
        slack.stubFor(post(urlPathEqualTo("/api/chat.postMessage")).atPriority(1).inScenario("429").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(aResponse().withStatus(429).withHeader("Retry-After", "1").withBody("{\"ok\":false,\"error\":\"ratelimited\"}"))
                .willSetStateTo("ok"));
        start();
        long t0 = System.currentTimeMillis();
        pushSpec();
        await().atMost(Duration.ofSeconds(10)).until(() -> server.outbox.latestAnnouncement("hello").map(m -> m.ts() != null).orElse(false));
        List<LoggedRequest> posts = slack.findAll(postRequestedFor(urlPathEqualTo("/api/chat.postMessage"))).stream()
                .filter(r -> form(r).get("channel").equals("C0TEAM")).toList();
        assertThat(posts.get(1).getLoggedDate().getTime() - posts.get(0).getLoggedDate().getTime()).as("Retry-After honoured")
                .isGreaterThanOrEqualTo(1000);
        assertThat(calls("chat.postMessage").stream().filter(m -> m.get("channel").equals("C0TEAM") && m.get("thread_ts") == null
                && m.get("text").contains("appeared"))).hasSize(2); // the refused one and the one that landed
        assertThat(System.currentTimeMillis() - t0).isLessThan(10_000);
    }

    @Test
    void serverErrorsAreRetriedAcrossARestartAndNothingIsLost() throws Exception {
        slack.stubFor(post(urlPathEqualTo("/api/chat.postMessage")).atPriority(1).inScenario("5xx").withRequestBody(containing("channel=C0TEAM")).whenScenarioStateIs(Scenario.STARTED)
                .willReturn(aResponse().withStatus(500)).willSetStateTo("one"));
        slack.stubFor(post(urlPathEqualTo("/api/chat.postMessage")).atPriority(1).inScenario("5xx").withRequestBody(containing("channel=C0TEAM")).whenScenarioStateIs("one")
                .willReturn(aResponse().withStatus(503)).willSetStateTo("down"));
        slack.stubFor(post(urlPathEqualTo("/api/chat.postMessage")).atPriority(1).inScenario("5xx").withRequestBody(containing("channel=C0TEAM")).whenScenarioStateIs("down")
                .willReturn(aResponse().withStatus(502)));
        start();
        pushSpec();
        await().atMost(Duration.ofSeconds(10)).until(() -> calls("chat.postMessage").stream().filter(m -> m.get("channel").equals("C0TEAM")).count() >= 2);
        assertThat(server.outbox.latestAnnouncement("hello").orElseThrow().ts()).isNull();
        server.close();
        server = null;

        slack.stubFor(post(urlPathEqualTo("/api/chat.postMessage")).atPriority(1).inScenario("5xx").whenScenarioStateIs("recovered")
                .willReturn(okJson("{\"ok\":true,\"channel\":\"C0TEAM\",\"ts\":\"1700000001.000001\"}")));
        slack.setScenarioState("5xx", "recovered");
        start();
        await().atMost(Duration.ofSeconds(15)).until(() -> server.outbox.latestAnnouncement("hello").map(m -> m.ts() != null).orElse(false));
        assertThat(server.outbox.latestAnnouncement("hello").orElseThrow().attempts()).isGreaterThanOrEqualTo(3);
        await().atMost(Duration.ofSeconds(10)).until(() -> server.outbox.depth() == 0);
    }

    @Test
    void requestsAreVerifiedBeforeTheyAreRead() throws Exception {
        start();
        String vector = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar"
                + "&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands"
                + "%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
        assertThat(new SlackSignature.Generator(SECRET).generate("1531420618", vector))
                .isEqualTo("v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503");
        assertThat(signed("/slack/commands", vector, 1531420618).statusCode()).as("the documented vector is stale today").isEqualTo(401);
        long now = System.currentTimeMillis() / 1000;
        assertThat(signed("/slack/commands", command("help", "U1"), now + 301).statusCode()).as("from the future").isEqualTo(401);
        assertThat(signed("/slack/commands", command("help", "U1"), now - 301).statusCode()).isEqualTo(401);
        HttpResponse<String> forged = HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/slack/commands"))
                .header("X-Slack-Request-Timestamp", String.valueOf(now)).header("X-Slack-Signature", "v0=" + "0".repeat(64))
                .POST(HttpRequest.BodyPublishers.ofString(command("help", "U1"))).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(forged.statusCode()).isEqualTo(401);
        HttpResponse<String> help = signed("/slack/commands", command("help", "U1"));
        assertThat(help.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(help.body()).get("text").asText()).startsWith("*Assembly Line*");
        assertThat(JSON.readTree(signed("/slack/commands", command("frobnicate now", "U1")).body()).get("text").asText())
                .as("unknown words get the help").startsWith("*Assembly Line*");
        HttpResponse<String> challenge = signed("/slack/events", "{\"type\":\"url_verification\",\"challenge\":\"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P\"}");
        assertThat(JSON.readTree(challenge.body()).get("challenge").asText()).isEqualTo("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P");
    }

    /** The database the coordinator runs on: the embedded H2 unless a test says "postgres". */
    String db = "h2";

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"h2", "postgres"})
    void aWholeCycleDrivenOnlyThroughSlack(String db) throws Exception {
        this.db = db;
        start();
        assertThat(JSON.readTree(signed("/slack/commands", command("join devops", "UNEW")).body()).get("text").asText())
                .as("devops is not self-serve").contains("cannot be taken with /assembly join");
        assertThat(JSON.readTree(signed("/slack/commands", command("join tester", "UNEW")).body()).get("text").asText())
                .contains("slack-unew");
        Path work = pushSpec();
        await().atMost(Duration.ofSeconds(10)).until(() -> server.outbox.latestAnnouncement("hello").map(m -> m.ts() != null).orElse(false));
        String thread = announcementTs();
        await().atMost(Duration.ofSeconds(5)).until(() -> server.board.ticket(1).map(t -> t.state().label().equals("offered")).orElse(false));

        assertThat(signed("/slack/events", threadReply("Ev1", "UNEW", "claim", thread, false)).statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(5)).until(() -> calls("chat.postEphemeral").size() == 1);
        assertThat(calls("chat.postEphemeral").get(0).get("user")).isEqualTo("UNEW");
        assertThat(calls("chat.postEphemeral").get(0).get("text")).contains("cannot claim a build ticket");
        assertThat(signed("/slack/events", threadReply("Ev2", "USTRANGER", "claim", thread, false)).statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(5)).until(() -> calls("chat.postEphemeral").size() == 2);
        assertThat(calls("chat.postEphemeral").get(1).get("text")).contains("not a session");
        signed("/slack/events", threadReply("Ev3", "UBUILDER", "claim", thread, true));
        // each event's outcome is recorded once it is handled: the bot's own message is handled as "ignored"
        await().atMost(Duration.ofSeconds(5)).until(() -> server.store.outcome("slack", "Ev3").filter("ignored"::equals).isPresent());
        assertThat(server.board.ticket(1).orElseThrow().state().label()).as("the bot's own message is ignored").isEqualTo("offered");

        String reply = threadReply("Ev4", "UBUILDER", "<@U0BOT> Claim", thread, false);
        assertThat(signed("/slack/events", reply).statusCode()).isEqualTo(200);
        // events are answered first and acted on just after
        await().atMost(Duration.ofSeconds(5)).until(() -> server.board.ticket(1).orElseThrow().state().label().equals("claimed"));
        assertThat(server.board.ticket(1).orElseThrow().assignee()).isEqualTo("builder-1");
        HttpResponse<String> retry = HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/slack/events"))
                .header("X-Slack-Request-Timestamp", String.valueOf(System.currentTimeMillis() / 1000))
                .header("X-Slack-Signature", new SlackSignature.Generator(SECRET).generate(String.valueOf(System.currentTimeMillis() / 1000), reply))
                .header("X-Slack-Retry-Num", "1").header("X-Slack-Retry-Reason", "http_timeout")
                .POST(HttpRequest.BodyPublishers.ofString(reply)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(JSON.readTree(retry.body()).get("duplicate").asBoolean()).as("Slack's retry is processed once").isTrue();
        await().atMost(Duration.ofSeconds(10)).until(() -> "BUILD_IN_PROGRESS".equals(server.reconciler.states().get("hello").phase().name()));

        TestRepos.pushPythonBuild(work, "hello");
        String why = JSON.readTree(signed("/slack/commands", command("why hello", "UTESTER")).body()).get("text").asText();
        assertThat(why).contains("build ticket #1 claimed by builder-1");
        String payload = JSON.writeValueAsString(Map.of("type", "block_actions", "user", Map.of("id", "UBUILDER", "username", "builder"),
                "channel", Map.of("id", "C0TEAM"), "container", Map.of("message_ts", thread), "message", Map.of("ts", thread),
                "response_url", "https://hooks.slack.invalid/actions/1", "trigger_id", "1.2.3",
                "actions", List.of(Map.of("action_id", "done", "block_id", "ticket-1", "value", "1", "type", "button"))));
        HttpResponse<String> press = signed("/slack/interactions", "payload=" + URLEncoder.encode(payload, StandardCharsets.UTF_8));
        assertThat(press.statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> "NEEDS_TESTS".equals(server.reconciler.states().get("hello").phase().name()));
        await().atMost(Duration.ofSeconds(10)).until(() -> server.board.openTickets("hello").stream()
                .anyMatch(t -> t.kind().label().equals("tests") && t.assignee() != null));
        String status = JSON.readTree(signed("/slack/commands", command("status", "UTESTER")).body()).get("text").asText();
        assertThat(status).contains("*1 services*: NEEDS_TESTS 1").contains("tests #")
                .endsWith("<https://line.example.test/|Open the dashboard>");
        assertThat(JSON.readTree(signed("/slack/commands", command("status hello", "UTESTER")).body()).get("text").asText())
                .endsWith("<https://line.example.test/services/hello|Open hello on the dashboard>");
        String mine = JSON.readTree(signed("/slack/commands", command("claim hello", "UTESTER")).body()).get("text").asText();
        String holder = server.board.openTickets("hello").get(0).assignee();
        assertThat(mine).contains(holder.equals("tester-1") ? "claimed tests ticket" : "offered to " + holder);
        assertThat(JSON.readTree(signed("/slack/commands", command("leave", "UNEW")).body()).get("text").asText()).contains("You left");
    }

    @org.junit.jupiter.api.Test
    void theManifestAsksOnlyForTheScopesTheCodeUses() throws Exception {
        com.fasterxml.jackson.databind.JsonNode manifest = new com.fasterxml.jackson.databind.ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory())
                .readTree(dev.assemblyline.Tools.projectDir().resolve("slack-app-manifest.yml").toFile());
        java.util.List<String> scopes = new java.util.ArrayList<>();
        manifest.at("/oauth_config/scopes/bot").forEach(n -> scopes.add(n.asText()));
        // chat.postMessage / chat.update (chat:write), /assembly (commands), conversations.history and thread replies (history)
        assertThat(scopes).containsExactlyInAnyOrder("chat:write", "commands", "channels:history", "groups:history");
        String code = java.nio.file.Files.walk(dev.assemblyline.Tools.projectDir().resolve("src/main/java"))
                .filter(f -> f.toString().endsWith(".java")).map(f -> {
                    try {
                        return java.nio.file.Files.readString(f);
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }).collect(java.util.stream.Collectors.joining("\n"));
        assertThat(code).as("nothing opens conversations (im:write) or reads users (users:read)").doesNotContain("conversationsOpen", "usersInfo");
    }

    @org.junit.jupiter.api.Test
    void theSignatureCheckIsStricterThanTheSdksVerifier() {
        java.time.Clock clock = java.time.Clock.systemUTC();
        SlackGateway g = new SlackGateway("8f742231b10e8888abcd99yyyzzz85a5", null, null, null, null, clock);
        String future = String.valueOf(clock.instant().getEpochSecond() + 3600);
        String body = "token=x&command=%2Fassembly&text=status";
        String sig = new com.slack.api.app_backend.SlackSignature.Generator("8f742231b10e8888abcd99yyyzzz85a5").generate(future, body);
        assertThat(com.slack.api.app_backend.SlackSignature.TimestampVerifier.isValidTimestamp(future, clock.millis()))
                .as("the SDK takes a stamp an hour ahead").isTrue();
        assertThat(g.verified(future, sig, body)).as("the coordinator does not: 5 minutes either way").isFalse();
        String now = String.valueOf(clock.instant().getEpochSecond());
        assertThat(g.verified(now, new com.slack.api.app_backend.SlackSignature.Generator("8f742231b10e8888abcd99yyyzzz85a5").generate(now, body), body))
                .isTrue();
    }
}
