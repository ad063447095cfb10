package dev.assemblyline.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assemblyline.TestRepos;
import dev.assemblyline.Tools;
import dev.assemblyline.app.Config;
import dev.assemblyline.app.Wiring;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A whole cycle through REST only (and a git push): spec → build offered → claimed → heartbeats → done → tests offered. */
class AssignmentCycleTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final String ADMIN = "admin-token-for-tests-0123";

    @TempDir
    Path tmp;
    Wiring server;
    /** The database the coordinator runs on: the embedded H2 unless a test says "postgres". */
    String db = "h2";

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    String base() {
        return "http://127.0.0.1:" + server.port();
    }

    record Answer(int status, JsonNode body) {
    }

    Answer call(String method, String path, String token, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), r.body().isEmpty() ? null : JSON.readTree(r.body()));
    }

    JsonNode get(String path) throws Exception {
        return call("GET", path, null, null).body();
    }

    void start(Map<String, String> extra) throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("PORT", "0");
        env.put("ASSEMBLY_DATA_DIR", tmp.resolve("data").toString());
        env.put("ASSEMBLY_SESSIONS_FILE", tmp.resolve("sessions.json").toString());
        env.putAll(dev.assemblyline.store.Postgres.env(db));
        env.putAll(extra);
        server = new Wiring(Config.fromEnv(env), Clock.systemUTC(), true);
    }

    void writeSessions(String json) throws Exception {
        Path tmpFile = tmp.resolve("sessions.json.tmp");
        Files.writeString(tmpFile, json);
        Files.move(tmpFile, tmp.resolve("sessions.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    static final String SESSIONS = """
            {"builder-1": {"session_id": "builder-1", "name": "Builder One", "capabilities": ["builder"], "status": "active",
                           "current_work": null, "slack_user": "U01", "wip_limit": 1, "token": "token-builder-1-abcdef"},
             "builder-2": {"session_id": "builder-2", "name": "Builder Two", "capabilities": ["builder"], "status": "away",
                           "wip_limit": 1, "token": "token-builder-2-abcdef"},
             "tester-1":  {"session_id": "tester-1", "name": "Tester One", "capabilities": ["tester"], "status": "active",
                           "wip_limit": 1}}
            """;

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"h2", "postgres"})
    void specToBuildToTestsThroughRestOnly(String db) throws Exception {
        this.db = db;
        writeSessions(SESSIONS);
        start(Map.of("ASSEMBLY_ADMIN_TOKEN", ADMIN));
        String testerToken = Files.readString(tmp.resolve("data/tokens/tester-1")).strip();
        assertThat(testerToken).startsWith("as_");

        // a long poll for offers: refused unless it is the session's own, answered at once with nothing to offer and wait=0
        String poll = "/api/tickets?assignee=builder-1&state=offered&wait=";
        assertThat(call("GET", poll + "20", null, null).status()).as("no token").isEqualTo(401);
        assertThat(call("GET", poll + "20", "token-builder-2-abcdef", null).status()).as("another session's offers").isEqualTo(403);
        assertThat(call("GET", poll + "26", "token-builder-1-abcdef", null).status()).as("over 25 s").isEqualTo(400);
        assertThat(call("GET", "/api/tickets?assignee=builder-1&wait=5", "token-builder-1-abcdef", null).status()).as("not offers").isEqualTo(400);
        assertThat(call("GET", poll + "0", "token-builder-1-abcdef", null).body()).isEmpty();
        // a new wait of the same session (its client gave up on the last) answers the older one at once and waits in its place
        java.util.concurrent.CompletableFuture<Answer> older = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return call("GET", poll + "20", "token-builder-1-abcdef", null);
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> server.offerWaits.waiting("builder-1") == 1);
        long newer = System.nanoTime();
        assertThat(call("GET", poll + "2", "token-builder-1-abcdef", null).body()).isEmpty();
        assertThat((System.nanoTime() - newer) / 1e9).as("the newer wait waited").isGreaterThan(1.5);
        assertThat(older.get(1, java.util.concurrent.TimeUnit.SECONDS).body()).as("the older one was answered, long before its 20 s").isEmpty();
        long t0 = System.nanoTime();
        java.util.concurrent.CompletableFuture<Answer> waiting = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return call("GET", poll + "20", "token-builder-1-abcdef", null);
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> server.offerWaits.waiting("builder-1") == 1); // waiting before the push

        Path work = tmp.resolve("work");
        Tools.ok(tmp, "git", "clone", "-q", Tools.gitUrl(server), work.toString());
        TestRepos.commitAndPush(work, "SERVICES/hello/SPEC.md", TestRepos.completeSpec(), "main");

        Answer woken = waiting.get(30, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(woken.status()).isEqualTo(200);
        assertThat(woken.body()).as("the offer ends the wait").hasSize(1);
        assertThat(woken.body().get(0).get("kind").asText()).isEqualTo("build");
        assertThat((System.nanoTime() - t0) / 1e9).as("answered when the offer came, not at the end of the wait").isLessThan(15);

        await().atMost(Duration.ofSeconds(10)).until(() -> get("/api/tickets?service=hello&state=offered").size() == 1);
        JsonNode build = get("/api/tickets?service=hello&state=offered").get(0);
        assertThat(build.get("kind").asText()).isEqualTo("build");
        assertThat(build.get("assignee").asText()).isEqualTo("builder-1");
        long id = build.get("id").asLong();
        assertThat(get("/api/services/hello/why").get("why").asText())
                .matches("READY_FOR_BUILD since \\d\\d:\\d\\d: build ticket #" + id + " offered to builder-1 \\(1 of 1 WIP\\), offer ends ([A-Z][a-z]{2} \\d{1,2} )?\\d\\d:\\d\\d"); // a date when the offer ends tomorrow

        assertThat(call("POST", "/api/tickets/" + id + "/claim", null, null).status()).as("no token").isEqualTo(401);
        assertThat(call("POST", "/api/tickets/" + id + "/claim", testerToken, null).status()).as("a tester cannot build").isEqualTo(403);
        Answer claim = call("POST", "/api/tickets/" + id + "/claim", "token-builder-1-abcdef", null);
        assertThat(claim.status()).isEqualTo(200);
        Answer second = call("POST", "/api/tickets/" + id + "/claim", "token-builder-2-abcdef", null);
        assertThat(second.status()).isEqualTo(409);
        assertThat(second.body().get("error").asText()).contains("builder-1");
        await().atMost(Duration.ofSeconds(10)).until(() -> "BUILD_IN_PROGRESS".equals(get("/api/services/hello").get("phase").asText()));

        TestRepos.pushPythonBuild(work, "hello");
        Answer beat = call("POST", "/api/sessions/builder-1/heartbeat", "token-builder-1-abcdef", null);
        assertThat(beat.status()).isEqualTo(200);
        assertThat(beat.body().get("leases_extended").asInt()).isEqualTo(1);
        assertThat(call("POST", "/api/sessions/builder-1/heartbeat", testerToken, null).status()).isEqualTo(403);
        assertThat(call("POST", "/api/sessions/builder-1/heartbeat", ADMIN, null).status())
                .as("only the holder's own heartbeat counts, not the admin's").isEqualTo(401);
        assertThat(call("POST", "/api/tickets/" + id + "/progress", "token-builder-1-abcdef", "{\"note\":\"wiring routes\",\"percent\":60}")
                .status()).isEqualTo(200);
        assertThat(get("/api/services/hello").get("phase").asText()).as("BUILD/ pushed while claimed: still building")
                .isEqualTo("BUILD_IN_PROGRESS");

        assertThat(call("POST", "/api/tickets/" + id + "/done", "token-builder-1-abcdef", null).status()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> "NEEDS_TESTS".equals(get("/api/services/hello").get("phase").asText()));
        await().atMost(Duration.ofSeconds(10)).until(() -> get("/api/tickets?service=hello&state=offered").size() == 1);
        JsonNode tests = get("/api/tickets?service=hello&state=offered").get(0);
        assertThat(tests.get("kind").asText()).isEqualTo("tests");
        assertThat(tests.get("assignee").asText()).isEqualTo("tester-1");
        assertThat(get("/api/tickets/" + id).get("state").asText()).isEqualTo("done");
        assertThat(get("/api/tickets?assignee=builder-1&state=done")).hasSize(1);
    }

    @Test
    void sessionsComeFromTheFileAndTheApiAndLeavingReturnsTheirWork() throws Exception {
        writeSessions(SESSIONS);
        start(Map.of("ASSEMBLY_ADMIN_TOKEN", ADMIN));
        assertThat(get("/api/sessions")).hasSize(3);

        Answer reg = call("POST", "/api/sessions", ADMIN, "{\"session_id\":\"ops-1\",\"name\":\"Ops\",\"capabilities\":[\"devops\"],\"wip_limit\":2}");
        assertThat(reg.status()).isEqualTo(200);
        String opsToken = reg.body().get("token").asText();
        assertThat(opsToken).startsWith("as_");
        assertThat(call("POST", "/api/sessions", "wrong-token", "{\"session_id\":\"x\"}").status()).isEqualTo(401);
        assertThat(call("POST", "/api/sessions", opsToken, "{\"session_id\":\"builder-1\",\"status\":\"away\"}").status())
                .as("a session updates only itself").isEqualTo(403);
        Answer self = call("POST", "/api/sessions", opsToken, "{\"status\":\"away\"}");
        assertThat(self.status()).isEqualTo(200);
        assertThat(self.body().has("token")).as("a token is shown only when it is issued").isFalse();
        assertThat(self.body().get("status").asText()).isEqualTo("away");
        assertThat(call("POST", "/api/sessions", ADMIN, "{\"session_id\":\"bad\",\"capabilities\":[\"wizard\"]}").status()).isEqualTo(400);

        writeSessions(SESSIONS.replace("\"status\": \"away\"", "\"status\": \"active\""));
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            for (JsonNode s : get("/api/sessions")) {
                if (s.get("session_id").asText().equals("builder-2")) {
                    return s.get("status").asText().equals("active");
                }
            }
            return false;
        });

        Path work = tmp.resolve("work");
        Tools.ok(tmp, "git", "clone", "-q", Tools.gitUrl(server), work.toString());
        TestRepos.commitAndPush(work, "SERVICES/hello/SPEC.md", TestRepos.completeSpec(), "main");
        await().atMost(Duration.ofSeconds(10)).until(() -> get("/api/tickets?service=hello&state=offered").size() == 1);
        String holder = get("/api/tickets?service=hello&state=offered").get(0).get("assignee").asText();
        String token = holder.equals("builder-1") ? "token-builder-1-abcdef" : "token-builder-2-abcdef";
        long id = get("/api/tickets?service=hello&state=offered").get(0).get("id").asLong();
        assertThat(call("POST", "/api/tickets/" + id + "/claim", token, null).status()).isEqualTo(200);

        assertThat(call("DELETE", "/api/sessions/" + holder, token, null).status()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            JsonNode offered = get("/api/tickets?service=hello&state=offered");
            return offered.size() == 1 && !offered.get(0).get("assignee").asText().equals(holder);
        });
        assertThat(get("/api/tickets/" + id).get("state").asText()).isEqualTo("expired");
        assertThat(get("/api/tickets/" + id).get("close_reason").asText()).contains(holder + " left");
    }

    /** Runs the command line in-process, returning exit code and what it printed. */
    static String[] cli(String... args) {
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        picocli.CommandLine cl = dev.assemblyline.app.Main.newCommandLine(args);
        cl.setOut(new java.io.PrintWriter(out));
        cl.setErr(new java.io.PrintWriter(err));
        int exit = cl.execute(args);
        return new String[] {String.valueOf(exit), out.toString(), err.toString()};
    }

    @Test
    void theCommandLineClaimsReleasesAndFinishesTickets() throws Exception {
        writeSessions(SESSIONS.replace("\"status\": \"away\"", "\"status\": \"active\""));
        start(Map.of());
        Path work = tmp.resolve("work");
        Tools.ok(tmp, "git", "clone", "-q", Tools.gitUrl(server), work.toString());
        TestRepos.commitAndPush(work, "SERVICES/hello/SPEC.md", TestRepos.completeSpec(), "main");
        await().atMost(Duration.ofSeconds(10)).until(() -> get("/api/tickets?service=hello&state=offered").size() == 1);
        JsonNode offered = get("/api/tickets?service=hello&state=offered").get(0);
        String holder = offered.get("assignee").asText();
        String other = holder.equals("builder-1") ? "builder-2" : "builder-1";
        String id = "#" + offered.get("id").asText();

        String[] lost = cli("claim", id, "--server", base(), "--token", "token-" + other + "-abcdef");
        assertThat(lost[0]).isEqualTo("1");
        assertThat(lost[2]).contains("offered to " + holder);
        String[] won = cli("claim", id, "--server", base(), "--token", "token-" + holder + "-abcdef");
        assertThat(won[0]).as(won[2]).isEqualTo("0");
        assertThat(won[1]).contains("claimed build ticket " + id);
        String note = "half \"done\"\tthen a tab, a backslash \\ and a line\nbreak";
        String[] progress = cli("progress", id, "--note", note, "--percent", "50", "--server", base(), "--token", "token-" + holder + "-abcdef");
        assertThat(progress[0]).as(progress[2]).isEqualTo("0");
        assertThat(get("/api/tickets/" + offered.get("id").asText()).get("note").asText()).as("the CLI's JSON carries any text").isEqualTo(note);
        String[] bad = cli("done", id, "--server", base(), "--token", "nope");
        assertThat(bad[0]).isEqualTo("2");
        assertThat(bad[2]).contains("token not valid for any session");
        String[] done = cli("done", id, "--server", base(), "--token", "token-" + holder + "-abcdef");
        assertThat(done[0]).isEqualTo("0");
        assertThat(cli("claim", "abc", "--server", base(), "--token", "x")[0]).isEqualTo("2");
    }

    @Test
    void withoutAnAdminTokenOneIsMadeOnceAndKeptPrivate() throws Exception {
        writeSessions(SESSIONS);
        start(Map.of());
        Path file = tmp.resolve("data/admin-token");
        assertThat(file).exists();
        assertThat(Files.getPosixFilePermissions(file)).containsExactlyInAnyOrder(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
        String token = Files.readString(file).strip();
        assertThat(call("POST", "/api/sessions", null, "{\"session_id\":\"x\",\"capabilities\":[\"builder\"]}").status()).isEqualTo(401);
        assertThat(call("POST", "/api/sessions", token, "{\"session_id\":\"x\",\"capabilities\":[\"builder\"]}").status()).isEqualTo(200);
        server.close();
        start(Map.of());
        assertThat(Files.readString(file).strip()).as("the same token after a restart").isEqualTo(token);
        assertThat(call("POST", "/api/sessions/builder-1/heartbeat", "token-builder-1-abcdef", null).status()).isEqualTo(200);
    }

    @Test
    void aSessionMayNotRaiseItsOwnCapabilitiesOrTakeAnotherSlackUser() throws Exception {
        writeSessions(SESSIONS);
        start(Map.of("ASSEMBLY_ADMIN_TOKEN", ADMIN));
        String own = "token-builder-2-abcdef";
        Answer raise = call("POST", "/api/sessions", own, "{\"capabilities\":[\"builder\",\"devops\"]}");
        assertThat(raise.status()).isEqualTo(403);
        assertThat(raise.body().get("error").asText()).contains("capabilities");
        Answer impersonate = call("POST", "/api/sessions", own, "{\"slack_user\":\"U01\"}");
        assertThat(impersonate.status()).isEqualTo(403);
        Answer rename = call("POST", "/api/sessions", own, "{\"name\":\"Bee\",\"status\":\"active\",\"wip_limit\":2}");
        assertThat(rename.status()).as("name, status and WIP are the session's own").isEqualTo(200);
        assertThat(rename.body().get("capabilities").toString()).isEqualTo("[\"builder\"]");
        Answer dup = call("POST", "/api/sessions", ADMIN, "{\"session_id\":\"builder-2\",\"slack_user\":\"U01\"}");
        assertThat(dup.status()).as("slack_user is unique, even for the admin").isEqualTo(400);
        assertThat(dup.body().get("error").asText()).contains("U01", "builder-1");
        assertThat(call("POST", "/api/sessions", ADMIN, "{\"session_id\":\"builder-2\",\"capabilities\":[\"builder\",\"devops\"]}")
                .status()).isEqualTo(200);
    }

    @Test
    void twentyFailedTokenChecksAMinuteAreAnswered429AndCounted() throws Exception {
        writeSessions(SESSIONS);
        start(Map.of("ASSEMBLY_ADMIN_TOKEN", ADMIN));
        for (int i = 0; i < 20; i++) {
            assertThat(call("POST", "/api/tickets/1/claim", "wrong-" + i, null).status()).isEqualTo(401);
        }
        assertThat(call("POST", "/api/tickets/1/claim", "wrong", null).status()).isEqualTo(429);
        assertThat(call("POST", "/api/sessions/builder-1/heartbeat", "token-builder-1-abcdef", null).status())
                .as("even a right token waits out the minute from that address").isEqualTo(429);
        String metrics = HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics).containsPattern("assembly_auth_failures_total\\{via=\"api\"} 20\\.0");
    }

    @Test
    void movingASlackUserInTheFileKeepsBothSessionsAndATypoDropsNoOne() throws Exception {
        writeSessions(SESSIONS);
        start(Map.of("ASSEMBLY_ADMIN_TOKEN", ADMIN));
        writeSessions(SESSIONS.replace("\"slack_user\": \"U01\", ", "").replace("\"status\": \"away\",", "\"status\": \"away\", \"slack_user\": \"U01\","));
        await().atMost(Duration.ofSeconds(10)).until(() -> server.board.sessionBySlackUser("U01").map(x -> x.id().equals("builder-2"))
                .orElse(false));
        assertThat(server.board.session("builder-1")).isPresent();
        writeSessions(SESSIONS.replace("\"wip_limit\": 1}}", "\"wip_limit\": 1, \"capabilities\": [\"testr\"]}}")
                .replace("\"Builder One\"", "\"Builder One, renamed\"")); // the rename shows the file was read
        await().atMost(Duration.ofSeconds(10)).until(() -> server.board.session("builder-1").get().name().equals("Builder One, renamed"));
        assertThat(server.board.session("tester-1")).as("an entry with a typo keeps the session stored before").isPresent();
    }

    @Test
    void aTypoInTheSessionsFileCostsNoOneTheirSessionOrToken() throws Exception {
        writeSessions(SESSIONS);
        start(Map.of("ASSEMBLY_ADMIN_TOKEN", ADMIN));
        String testerToken = Files.readString(tmp.resolve("data/tokens/tester-1")).strip();
        assertThat(call("POST", "/api/sessions/tester-1/heartbeat", testerToken, null).status()).isEqualTo(200);

        writeSessions(SESSIONS.replace("\"builder-2\": {", "\"builder-2\" {")); // not JSON any more
        writeSessions(SESSIONS.replace("\"capabilities\": [\"tester\"]", "\"capabilities\": [\"testr\"]")
                .replace("\"Builder Two\"", "\"Builder Two, renamed\"")); // the rename shows the file was read
        await().atMost(Duration.ofSeconds(10)).until(() -> server.board.session("builder-2").get().name().equals("Builder Two, renamed"));
        assertThat(server.board.session("tester-1").get().capabilities()).as("the previous version is kept").containsExactly("tester");
        assertThat(call("POST", "/api/sessions/tester-1/heartbeat", testerToken, null).status()).as("and its token").isEqualTo(200);

        // a typo in the id drops the session (the file no longer names it); fixed, it is back with the token it had
        writeSessions(SESSIONS.replace("\"tester-1\":  {\"session_id\": \"tester-1\"", "\"tester-l\":  {\"session_id\": \"tester-l\""));
        await().atMost(Duration.ofSeconds(10)).until(() -> server.board.session("tester-1").isEmpty());
        Answer gone = call("POST", "/api/sessions/tester-1/heartbeat", testerToken, null);
        assertThat(gone.status()).isEqualTo(401);
        assertThat(gone.body().get("error").asText()).isEqualTo("token not valid for any session");
        writeSessions(SESSIONS);
        await().atMost(Duration.ofSeconds(10)).until(() -> server.board.session("tester-1").isPresent());
        assertThat(Files.readString(tmp.resolve("data/tokens/tester-1")).strip()).isEqualTo(testerToken);
        assertThat(call("POST", "/api/sessions/tester-1/heartbeat", testerToken, null).status()).isEqualTo(200);
        assertThat(call("POST", "/api/tickets/1/claim", null, null).body().get("error").asText()).startsWith("the session's token is required");
    }
}
