package dev.assemblyline.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assemblyline.TestRepos;
import dev.assemblyline.Tools;
import dev.assemblyline.app.Config;
import dev.assemblyline.app.Wiring;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dashboard's JSON and its stream, over HTTP: paging, filters, stuck cards, resuming from an event id, the flow gauges. */
class DashboardApiTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final String ADMIN = "admin-token-of-the-dashboard-api-test";

    @TempDir
    Path tmp;
    Wiring server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    void start(Map<String, String> extra) {
        Map<String, String> env = new HashMap<>();
        env.put("PORT", "0");
        env.put("ASSEMBLY_DATA_DIR", tmp.resolve("data").toString());
        env.put("ASSEMBLY_ADMIN_TOKEN", ADMIN);
        env.put("ASSEMBLY_SESSIONS_FILE", tmp.resolve("sessions.json").toString());
        env.put("ASSEMBLY_TEST_PARALLELISM", "0"); // the board only: no suites run
        env.putAll(extra);
        server = new Wiring(Config.fromEnv(env), Clock.systemUTC(), true);
    }

    JsonNode get(String path) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    HttpResponse<String> post(String path, String bearer, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).header("Authorization", "Bearer " + bearer)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    String register(String id, String capability) throws Exception {
        HttpResponse<String> r = post("/api/sessions", ADMIN, JSON.writeValueAsString(Map.of("session_id", id, "name", id,
                "capabilities", List.of(capability), "wip_limit", 5)));
        return JSON.readTree(r.body()).get("token").asText();
    }

    static List<String> names(JsonNode cards) {
        List<String> out = new ArrayList<>();
        cards.forEach(c -> out.add(c.get("service").asText()));
        return out;
    }

    static JsonNode column(JsonNode board, String name) {
        for (JsonNode c : board.get("columns")) {
            if (c.get("column").asText().equals(name)) {
                return c;
            }
        }
        throw new AssertionError("no column " + name);
    }

    @Test
    void theBoardCountsEveryServicePagesEachColumnFiltersAndPutsTheStuckFirst() throws Exception {
        start(Map.of());
        Path repo = tmp.resolve("repo");
        Tools.ok(tmp, "python3", Tools.projectDir().resolve("bench/gen-monorepo.py").toString(), "--services", "80", "--out", repo.toString(),
                "--seed", "3");
        Tools.ok(repo, "git", "push", "-q", Tools.gitUrl(server), "HEAD:main");
        await().atMost(Duration.ofSeconds(20)).until(() -> get("/api/services").size() >= 80);

        JsonNode board = get("/api/board?limit=5");
        int total = 0;
        for (JsonNode c : board.get("columns")) {
            int inColumn = 0;
            for (JsonNode n : c.get("counts")) {
                inColumn += n.asInt();
            }
            total += inColumn;
            assertThat(c.get("matching").asInt()).isEqualTo(inColumn);
            assertThat(c.get("cards").size()).isEqualTo(Math.min(5, inColumn));
            boolean calm = false;
            for (JsonNode card : c.get("cards")) {
                if (card.get("stuck").isNull()) {
                    calm = true;
                } else {
                    assertThat(calm).as("a stuck card after a calm one in " + c.get("column")).isFalse();
                }
                assertThat(card.get("why").asText()).startsWith(card.get("phase").asText() + " since ");
            }
        }
        int skipped = 0;
        for (JsonNode s : get("/api/services")) {
            skipped += s.get("phase").asText().equals("SKIPPED") ? 1 : 0;
        }
        assertThat(total).isEqualTo(get("/api/services").size() - skipped);

        // the next page of a column: new cards, none repeated, until all are seen
        JsonNode test = column(board, "TEST");
        Set<String> seen = new HashSet<>(names(test.get("cards")));
        int offset = test.get("cards").size();
        while (offset < test.get("matching").asInt()) {
            JsonNode next = column(get("/api/board?limit=5&column=TEST&offset=" + offset), "TEST");
            assertThat(next.get("cards").size()).isPositive();
            for (String n : names(next.get("cards"))) {
                assertThat(seen.add(n)).as(n + " shown twice").isTrue();
            }
            offset += next.get("cards").size();
        }
        assertThat(seen).hasSize(test.get("matching").asInt());
        assertThat(column(get("/api/board?limit=5&column=TEST&offset=5"), "BUILD").get("cards")).isEmpty();

        JsonNode failing = get("/api/board?phase=TESTS_FAILING&limit=500");
        assertThat(column(failing, "TEST").get("cards")).allSatisfy(c -> assertThat(c.get("phase").asText()).isEqualTo("TESTS_FAILING"));
        assertThat(column(failing, "SPECS").get("cards")).isEmpty();
        JsonNode named = get("/api/board?name=00001&limit=500");
        List<String> all = new ArrayList<>();
        named.get("columns").forEach(c -> all.addAll(names(c.get("cards"))));
        assertThat(all).isNotEmpty().allSatisfy(n -> assertThat(n).contains("00001"));
        assertThat(HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/api/board?column=NOPE")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(400);
    }

    @Test
    void aClaimedCardIsStuckPastItsDeadlineAndWhenItsHolderGoesSilent() throws Exception {
        start(Map.of("ASSEMBLY_TICKET_DEADLINE", "1s", "ASSEMBLY_LEASE", "6s"));
        String token = register("builder-1", "builder");
        Path work = tmp.resolve("work");
        Tools.ok(tmp, "git", "clone", "-q", Tools.gitUrl(server), work.toString());
        TestRepos.commitAndPush(work, "SERVICES/late/SPEC.md", TestRepos.completeSpec(), "main");
        await().atMost(Duration.ofSeconds(10)).until(() -> server.board.openTickets("late").stream().anyMatch(t -> t.assignee() != null));
        long id = server.board.openTickets("late").get(0).id();
        assertThat(post("/api/tickets/" + id + "/claim", token, "{}").statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> "past deadline".equals(card("late").path("stuck").asText()));
        assertThat(card("late").get("why").asText()).contains("ticket #");
        server.close();
        server = null;

        Path second = tmp.resolve("second");
        java.nio.file.Files.createDirectories(second);
        tmp = second;
        start(Map.of("ASSEMBLY_LEASE", "6s"));
        String quiet = register("builder-2", "builder");
        Path work2 = second.resolve("work");
        Tools.ok(second, "git", "clone", "-q", Tools.gitUrl(server), work2.toString());
        TestRepos.commitAndPush(work2, "SERVICES/quiet/SPEC.md", TestRepos.completeSpec(), "main");
        await().atMost(Duration.ofSeconds(10)).until(() -> server.board.openTickets("quiet").stream().anyMatch(t -> t.assignee() != null));
        long q = server.board.openTickets("quiet").get(0).id();
        assertThat(post("/api/tickets/" + q + "/claim", quiet, "{}").statusCode()).isEqualTo(200);
        assertThat(card("quiet").get("stuck").isNull()).as("just claimed: heard from now").isTrue();
        // half the lease without a heartbeat: silent (and taken back when the lease runs out)
        await().atMost(Duration.ofSeconds(6)).until(() -> "holder silent".equals(card("quiet").path("stuck").asText()));
    }

    @Test
    void signingInNeverRedirectsElsewhereAndWrongTokensAreThrottled() throws Exception {
        start(Map.of("ASSEMBLY_DASHBOARD_TOKEN", "the-dashboard-token"));
        HttpClient noFollow = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
        for (String next : List.of("//evil.example/x", "/\\evil.example", "https://evil.example/", "/ok\r\nSet-Cookie: x=1", "/services/a")) {
            HttpResponse<String> r = noFollow.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/signin"))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString("token=the-dashboard-token&next=" + java.net.URLEncoder.encode(next, StandardCharsets.UTF_8)))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(303);
            assertThat(r.headers().firstValue("Location").orElse("")).as(next).isEqualTo(next.equals("/services/a") ? "/services/a" : "/");
            String cookie = r.headers().firstValue("Set-Cookie").orElse("");
            assertThat(cookie).startsWith(DashboardAuth.COOKIE + "=").contains("HttpOnly").contains("SameSite=Strict");
            HttpResponse<String> withCookie = noFollow.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/api/board"))
                    .header("Cookie", cookie.substring(0, cookie.indexOf(';'))).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(withCookie.statusCode()).isEqualTo(200);
        }
        HttpResponse<String> forged = noFollow.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/api/board"))
                .header("Cookie", DashboardAuth.COOKIE + "=dmlld2VyCgo5OTk5OTk5OTk5.AAAA").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(forged.statusCode()).isEqualTo(401);
        int status = 0;
        for (int i = 0; i < 25 && status != 429; i++) {
            status = noFollow.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/api/board"))
                    .header("Authorization", "Bearer guess-" + i).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
        }
        assertThat(status).as("wrong bearer tokens are throttled like other token checks").isEqualTo(429);
    }

    JsonNode card(String service) throws Exception {
        for (JsonNode c : get("/api/board?name=" + service).get("columns")) {
            for (JsonNode card : c.get("cards")) {
                if (card.get("service").asText().equals(service)) {
                    return card;
                }
            }
        }
        return JSON.createObjectNode();
    }

    /** Reads server-sent events of one name until {@code enough} says so (or the time is up, checked as lines arrive). */
    static List<JsonNode> events(InputStream body, String name, java.util.function.Predicate<List<JsonNode>> enough, Duration within)
            throws Exception {
        List<JsonNode> out = new ArrayList<>();
        long end = System.nanoTime() + within.toNanos();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
            String event = null;
            String id = null;
            String line;
            while (!enough.test(out) && System.nanoTime() < end && (line = r.readLine()) != null) {
                if (line.startsWith("event: ")) {
                    event = line.substring(7);
                } else if (line.startsWith("id: ")) {
                    id = line.substring(4);
                } else if (line.startsWith("data: ") && name.equals(event)) {
                    com.fasterxml.jackson.databind.node.ObjectNode n = (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(line.substring(6));
                    n.put("_id", id);
                    out.add(n);
                }
            }
        }
        return out;
    }

    HttpResponse<InputStream> stream(String lastEventId) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/api/stream"))
                .header("Accept", "text/event-stream");
        if (lastEventId != null) {
            b.header("Last-Event-ID", lastEventId);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
    }

    @Test
    void aReconnectingPageGetsWhatItMissedFromItsLastEventIdThenEveryChange() throws Exception {
        start(Map.of());
        String token = register("builder-1", "builder");
        Path work = tmp.resolve("work");
        Tools.ok(tmp, "git", "clone", "-q", Tools.gitUrl(server), work.toString());
        TestRepos.commitAndPush(work, "SERVICES/one/SPEC.md", TestRepos.completeSpec(), "main");
        await().atMost(Duration.ofSeconds(10)).until(() -> server.board.openTickets("one").stream().anyMatch(t -> t.assignee() != null));
        long seen = get("/api/board").get("last_event_id").asLong();
        // what happens while the page is away
        TestRepos.commitAndPush(work, "SERVICES/two/SPEC.md", TestRepos.completeSpec(), "main");
        await().atMost(Duration.ofSeconds(10)).until(() -> server.board.lastEventId() > seen);

        HttpResponse<InputStream> r = stream(Long.toString(seen));
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
        List<JsonNode> first = events(r.body(), "change", l -> l.size() >= 1, Duration.ofSeconds(5));
        assertThat(first).hasSize(1);
        JsonNode missed = first.get(0);
        assertThat(missed.get("events").get(0).get("id").asLong()).isEqualTo(seen + 1);
        assertThat(names(missed.get("cards"))).contains("two").doesNotContain("one");
        assertThat(missed.get("counts").get("READY_FOR_BUILD").asInt()).isEqualTo(2);
        assertThat(missed.get("_id").asText()).isEqualTo(Long.toString(missed.get("last").asLong()));

        // then live: a claim reaches the open stream
        HttpResponse<InputStream> live = stream(Long.toString(server.board.lastEventId()));
        long one = server.board.openTickets("one").get(0).id();
        Thread claimer = new Thread(() -> {
            try {
                await().atMost(Duration.ofSeconds(5)).until(() -> server.liveFeed.clients() >= 1);
                post("/api/tickets/" + one + "/claim", token, "{}");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        claimer.start();
        java.util.function.Predicate<List<JsonNode>> moved = l -> l.stream().flatMap(c -> {
            List<JsonNode> cards = new ArrayList<>();
            c.get("cards").forEach(cards::add);
            return cards.stream();
        }).anyMatch(c -> c.get("service").asText().equals("one") && c.get("phase").asText().equals("BUILD_IN_PROGRESS"));
        List<JsonNode> changes = events(live.body(), "change", moved, Duration.ofSeconds(10));
        claimer.join();
        assertThat(moved.test(changes)).as("the claim reached the open stream").isTrue();

        String metrics = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics).contains("assembly_flow_work_in_progress 1.0").contains("assembly_flow_deploys_week 0.0");
        JsonNode flow = get("/api/metrics/flow");
        assertThat(flow.get("work_in_progress").asInt()).isEqualTo(1);
        assertThat(flow.get("throughput_14d")).hasSize(14);
        assertThat(flow.get("cumulative_flow_14d").get(13).get("BUILD").asInt()).isEqualTo(2);
    }
}
