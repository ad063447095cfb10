package dev.assemblyline.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assemblyline.TestRepos;
import dev.assemblyline.Tools;
import dev.assemblyline.app.Config;
import dev.assemblyline.app.Wiring;
import dev.assemblyline.ingest.Hmac;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import dev.assemblyline.store.ResultStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code serve} end to end: real git pushes, real HTTP, the embedded H2. */
class ServeTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path tmp;
    Wiring server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    Wiring start(Map<String, String> extra, boolean loop) {
        Map<String, String> env = new HashMap<>();
        env.put("PORT", "0");
        env.put("ASSEMBLY_DATA_DIR", tmp.resolve("data").toString());
        env.putAll(extra);
        return new Wiring(Config.fromEnv(env), Clock.systemUTC(), loop);
    }

    String base() {
        return "http://127.0.0.1:" + server.port();
    }

    JsonNode get(String path) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base() + path)).build(), HttpResponse.BodyHandlers.ofString());
        return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
    }

    HttpResponse<String> post(String path, Map<String, String> headers, byte[] body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base() + path)).POST(HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(b::header);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The phase-change entries of an event log (tickets write their own entries beside them). */
    static List<JsonNode> phases(JsonNode events) {
        List<JsonNode> out = new java.util.ArrayList<>();
        events.forEach(e -> {
            if (e.get("kind").asText().equals("phase")) {
                out.add(e);
            }
        });
        return out;
    }

    /** A bare repository at {@code origin} (main) and a clone of it, which is returned. */
    Path bareOriginWithClone(Path origin) throws Exception {
        Tools.ok(tmp, "git", "init", "-q", "--bare", "-b", "main", origin.toString());
        Path work = tmp.resolve("work");
        Tools.ok(tmp, "git", "clone", "-q", origin.toString(), work.toString());
        return work;
    }

    String phase(String service) throws Exception {
        JsonNode n = get("/api/services/" + service);
        return n == null ? null : n.get("phase").asText();
    }

    static void git(Path dir, String... args) throws Exception {
        String[] full = new String[args.length + 5];
        full[0] = "git";
        full[1] = "-c";
        full[2] = "user.name=Test";
        full[3] = "-c";
        full[4] = "user.email=test@example.invalid";
        System.arraycopy(args, 0, full, 5, args.length);
        Tools.ok(dir, full);
    }

    /** Clones the hosted repository into tmp/work and pushes one file to main; returns the clone. */
    Path cloneAndPush(String path, String content) throws Exception {
        Path work = tmp.resolve("work");
        Tools.ok(tmp, "git", "clone", "-q", Tools.gitUrl(server), work.toString());
        TestRepos.commitAndPush(work, path, content, "main");
        return work;
    }

    @Test
    void aPlainGitPushToTheHostedRepositoryIsProcessedAtOnce() throws Exception {
        server = start(Map.of(), true);
        Path work = cloneAndPush("SERVICES/hello/SPEC.md", TestRepos.completeSpec());
        await().atMost(Duration.ofSeconds(10)).until(() -> "READY_FOR_BUILD".equals(phase("hello")));

        TestRepos.commitAndPush(work, "SERVICES/hello/SPEC.md", TestRepos.specWithout("Dependencies"), "main");
        await().atMost(Duration.ofSeconds(10)).until(() -> "SPEC_INCOMPLETE".equals(phase("hello")));
        JsonNode svc = get("/api/services/hello");
        assertThat(svc.get("reasons").get(0).asText()).isEqualTo("missing section: Dependencies");
        List<JsonNode> phaseEvents = phases(svc.get("events"));
        assertThat(phaseEvents).hasSize(2);
        assertThat(phaseEvents.get(1).get("message").asText()).startsWith("READY_FOR_BUILD → SPEC_INCOMPLETE");

        JsonNode events = get("/api/events?since=0");
        assertThat(phases(events)).hasSize(2);
        assertThat(get("/api/events?since=" + events.get(events.size() - 2).get("id").asLong())).hasSize(1);

        // a new service pushed to another branch only: a hosted push returns once it is processed, so had the
        // coordinator taken it for the tracked branch, "other" would be listed by now
        TestRepos.commitAndPush(work, "SERVICES/other/SPEC.md", TestRepos.completeSpec(), "feature");
        assertThat(get("/api/services")).extracting(n -> n.get("service").asText()).containsExactly("hello");
        assertThat(get("/api/services/other")).isNull();
        assertThat(get("/health").get("status").asText()).isEqualTo("ok");
        System.gc(); // a figure whose object Micrometer held only weakly reads NaN from here on
        HttpResponse<String> metrics = HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
        // (a flow figure with nothing measured yet, such as a cycle time before any arrival in PRODUCTION, is NaN by design)
        java.util.Set<String> unmeasured = java.util.Set.of("assembly_flow_cycle_time_median_seconds", "assembly_flow_cycle_time_p90_seconds",
                "assembly_flow_change_failure_rate", "assembly_flow_time_to_restore_median_seconds");
        assertThat(metrics.body().lines().filter(l -> l.startsWith("assembly_") && l.endsWith(" NaN")
                && !unmeasured.contains(l.substring(0, l.indexOf(' '))))).as("figures after a GC").isEmpty();
        assertThat(metrics.body()).contains("assembly_flow_deploys_week 0.0", "assembly_flow_work_in_progress 0.0");
        assertThat(metrics.body()).contains("assembly_events_total{outcome=\"accepted\",source=\"hosted\"} 2.0")
                .contains("assembly_services{phase=\"SPEC_INCOMPLETE\"} 1.0").contains("assembly_inbox_depth")
                .contains("jvm_memory_used_bytes{", "jvm_gc_max_data_size_bytes", "process_uptime_seconds", "process_cpu_usage", "jvm_threads_live_threads")
                .contains("assembly_tickets{state=\"queued\"}", "assembly_ticket_oldest_age_seconds{state=\"offered\"}", "assembly_outbox_depth",
                        "assembly_outbox_failed", "assembly_test_runs_total{outcome=\"failed\"}");
        // the requests of this test by kind, and their CPU: the pushes above went through the hosted repository's git gate
        for (String kind : List.of("git-push", "git-fetch", "api")) {
            java.util.regex.Matcher n = java.util.regex.Pattern.compile("(?m)^assembly_http_requests_total\\{kind=\"" + kind + "\"} (\\S+)$")
                    .matcher(metrics.body());
            assertThat(n.find()).as("requests of kind %s", kind).isTrue();
            assertThat(Double.parseDouble(n.group(1))).as("requests of kind %s", kind).isGreaterThan(0);
            java.util.regex.Matcher cpu = java.util.regex.Pattern.compile("(?m)^assembly_http_cpu_seconds_total\\{kind=\"" + kind + "\"} (\\S+)$")
                    .matcher(metrics.body());
            assertThat(cpu.find()).as("CPU of kind %s", kind).isTrue();
            assertThat(Double.parseDouble(cpu.group(1))).as("CPU of kind %s", kind).isGreaterThan(0);
        }
        assertThat(metrics.body()).contains("assembly_http_requests_total{kind=\"mcp\"} 0.0");
        for (String line : metrics.body().split("\n")) {
            if (line.startsWith("# HELP ")) {
                assertThat(line.split(" ", 4)).as("every family says what it is: %s", line).hasSize(4);
                assertThat(line.split(" ", 4)[3]).as(line).isNotBlank();
            }
        }
        assertThat(get("/api/services/nope")).isNull();
    }

    @Test
    void aPushThatCannotBeFetchedStaysInTheInboxUntilItCan() throws Exception {
        Path origin = tmp.resolve("origin.git");
        Path work = bareOriginWithClone(origin);
        TestRepos.commitAndPush(work, "SERVICES/a/README.md", "# a\n", "main");
        server = start(Map.of("ASSEMBLY_REPO_URL", origin.toString(), "ASSEMBLY_HOOK_SECRET", "k"), true);
        await().atMost(Duration.ofSeconds(10)).until(() -> "NEEDS_SPEC".equals(phase("a")));

        Path moved = tmp.resolve("moved.git");
        Files.move(origin, moved);
        String line = "0".repeat(40) + " " + "1".repeat(40) + " refs/heads/main\n";
        HttpResponse<String> r = post("/webhooks/git", Map.of("X-Assembly-Signature", "sha256=" + Hmac.sha256Hex("k", line.getBytes())),
                line.getBytes());
        assertThat(r.statusCode()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(10)).until(() -> server.loop.failingStep() != null); // the loop tried the fetch and says it failed
        assertThat(server.loop.failingStep()).startsWith("processing the inbox");
        assertThat(server.store.inboxDepth()).as("the fetch failed, so the push is not settled").isEqualTo(1);

        Files.move(moved, origin);
        await().atMost(Duration.ofSeconds(10)).until(() -> server.store.inboxDepth() == 0);
    }

    @Test
    void anEmptyHostedRepositoryAcceptsAFirstPushOfAnyBranch() throws Exception {
        server = start(Map.of(), true);
        Path work = tmp.resolve("work");
        Tools.ok(tmp, "git", "init", "-q", "-b", "topic", work.toString());
        Files.createDirectories(work.resolve("SERVICES/x"));
        Files.writeString(work.resolve("SERVICES/x/SPEC.md"), TestRepos.completeSpec());
        git(work, "add", ".");
        git(work, "commit", "-qm", "x");
        git(work, "push", "-q", Tools.gitUrl(server), "topic");
        assertThat(Tools.ok(null, "git", "ls-remote", Tools.gitUrl(server))).contains("refs/heads/topic");
        assertThat(get("/api/services")).as("topic is not the tracked branch").isEmpty();
        git(work, "push", "-q", Tools.gitUrl(server), "topic:main");
        await().atMost(Duration.ofSeconds(10)).until(() -> "READY_FOR_BUILD".equals(phase("x")));
    }

    /** The card of a service in the board's answer, found by name. */
    JsonNode card(String service) throws Exception {
        for (JsonNode c : get("/api/board?limit=500&name=" + service).path("columns")) {
            for (JsonNode card : c.path("cards")) {
                if (card.path("service").asText().equals(service)) {
                    return card;
                }
            }
        }
        return null;
    }

    @Test
    void aRunWaitingForAFreeRunnerIsNotShownAsRunningAndARunningOneIsCancelledByANewTree() throws Exception {
        server = start(Map.of("ASSEMBLY_TEST_PARALLELISM", "1"), true);
        Path work = tmp.resolve("work");
        Tools.ok(tmp, "git", "clone", "-q", Tools.gitUrl(server), work.toString());
        TestRepos.writePythonService(work, "slow");
        TestRepos.commitAndPush(work, "SERVICES/slow/BUILD/tests/test_slow.py", "import time\nfrom src.main import GREETING\ndef test_slow():\n    time.sleep(60)\n", "main");
        await().atMost(Duration.ofSeconds(30)).until(() -> server.tests.runningProgress().containsKey("slow"));
        assertThat(card("slow").path("tests_running").asBoolean()).isTrue();

        TestRepos.writePythonService(work, "quick");
        TestRepos.commitAndPush(work, "SERVICES/quick/BUILD/tests/test_quick.py", "from src.main import GREETING\ndef test_ok():\n    assert 2 * 2 == 4\n", "main");
        await().atMost(Duration.ofSeconds(10)).until(() -> server.tests.running("quick")); // asked for: waits for the one runner
        assertThat(server.tests.runningProgress()).as("waiting is not running").doesNotContainKey("quick");
        JsonNode quick = card("quick");
        assertThat(quick.path("phase").asText()).isEqualTo("TESTING");
        assertThat(quick.path("tests_running").asBoolean()).isFalse();
        assertThat(quick.path("why").asText()).contains("waits for its tests to run");

        // a new tree of the running suite: that run is cancelled (and says so), the runner is free, quick runs
        TestRepos.commitAndPush(work, "SERVICES/slow/BUILD/tests/test_slow.py", "from src.main import GREETING\ndef test_slow():\n    assert True\n", "main");
        await().atMost(Duration.ofSeconds(60)).until(() -> "READY_FOR_DEPLOY".equals(phase("quick")) && "READY_FOR_DEPLOY".equals(phase("slow")));
        assertThat(get("/api/services/slow").toString()).contains("was cancelled: a newer tree arrived");
    }

    @Test
    void testsRunByThemselvesPerTreeAndAPushElsewhereRerunsNothing() throws Exception {
        Files.writeString(tmp.resolve("sessions.json"), "{\"b1\": {\"session_id\": \"b1\", \"name\": \"b1\", \"capabilities\": [\"builder\"]}}");
        server = start(Map.of("ASSEMBLY_SESSIONS_FILE", tmp.resolve("sessions.json").toString()), true);
        Path work = tmp.resolve("work");
        Tools.ok(tmp, "git", "clone", "-q", Tools.gitUrl(server), work.toString());
        String b = "SERVICES/calc/";
        TestRepos.writePythonService(work, "calc");
        TestRepos.commitAndPush(work, b + "BUILD/tests/test_calc.py", "from src.main import GREETING\ndef test_ok():\n    assert 2 * 2 == 4\n", "main");
        await().atMost(Duration.ofSeconds(30)).until(() -> "READY_FOR_DEPLOY".equals(phase("calc")));
        ResultStore results = new ResultStore(server.database.jdbc());
        assertThat(results.runs("calc")).isEqualTo(1);

        TestRepos.commitAndPush(work, "SERVICES/other/README.md", "# other\n", "main");
        await().atMost(Duration.ofSeconds(10)).until(() -> "NEEDS_SPEC".equals(phase("other")));
        server.reconciler.resync();
        long chores = server.loop.choresStarted();
        // a whole pass of the loop's chores (test scheduling among them) after the push: a run, were one due, would have been started
        await().atMost(Duration.ofSeconds(10)).until(() -> server.loop.choresStarted() >= chores + 2);
        assertThat(server.tests.running("calc")).as("no run under way").isFalse();
        assertThat(results.runs("calc")).as("a push elsewhere re-runs nothing").isEqualTo(1);

        TestRepos.commitAndPush(work, b + "BUILD/tests/test_calc.py", "from src.main import GREETING\ndef test_ok():\n    assert 2 * 2 == 4\ndef test_bad():\n    assert 2 * 2 == 5\n", "main");
        await().atMost(Duration.ofSeconds(30)).until(() -> "TESTS_FAILING".equals(phase("calc")));
        assertThat(results.runs("calc")).isEqualTo(2);
        await().atMost(Duration.ofSeconds(10)).until(() -> server.desk.tickets().openTickets("calc").stream()
                .anyMatch(t -> t.kind() == dev.assemblyline.model.Ticket.Kind.FIX));
        assertThat(server.desk.tickets().openTickets("calc").get(0).note()).contains("test_bad");

        JsonNode runs = get("/api/services/calc/tests");
        assertThat(runs.get("runs")).hasSize(2);
        JsonNode last = runs.get("runs").get(0);
        assertThat(last.get("passed").asBoolean()).isFalse();
        assertThat(last.get("tree").asText()).isEqualTo(runs.get("tree").asText());
        assertThat(last.get("failing").get(0).asText()).contains("test_bad");
        assertThat(last.get("output_tail").asText()).as("the failing output, not only its name").contains("assert (2 * 2) == 5");
        assertThat(get("/api/services/nope/tests")).isNull();
    }

    @Test
    void aPushAcceptedBeforeACrashIsProcessedExactlyOnceAfterTheRestart() throws Exception {
        server = start(Map.of(), false);
        Path work = cloneAndPush("SERVICES/billing/SPEC.md", TestRepos.completeSpec());
        assertThat(server.store.inboxDepth()).isEqualTo(1);
        assertThat(server.store.services()).isEmpty();
        server.close();

        server = start(Map.of(), true);
        await().atMost(Duration.ofSeconds(10)).until(() -> "READY_FOR_BUILD".equals(phase("billing")));
        await().atMost(Duration.ofSeconds(5)).until(() -> server.store.inboxDepth() == 0);
        server.reconciler.resync();
        server.reconciler.drain();
        assertThat(server.store.events(0, "billing", 100).stream().filter(e -> e.kind().equals("phase"))).hasSize(1);
        server.close();
        server = start(Map.of(), true);
        await().atMost(Duration.ofSeconds(5)).until(() -> "READY_FOR_BUILD".equals(phase("billing")));
        assertThat(server.store.events(0, "billing", 100).stream().filter(e -> e.kind().equals("phase")))
                .as("a restart adds nothing").hasSize(1);
    }

    @Test
    void aLargeChangeIsLookedAtInSlicesAndASmallPushMeanwhileGoesFirst() throws Exception {
        server = start(Map.of(), false);
        server.reconciler.sliceOf(10);
        Path work = tmp.resolve("work");
        Tools.ok(tmp, "git", "clone", "-q", Tools.gitUrl(server), work.toString());
        for (int i = 0; i < 24; i++) {
            Files.createDirectories(work.resolve("SERVICES/bulk-" + i));
            Files.writeString(work.resolve("SERVICES/bulk-" + i + "/SPEC.md"), TestRepos.completeSpec());
        }
        TestRepos.commitAndPush(work, "SERVICES/bulk-24/SPEC.md", TestRepos.completeSpec(), "main");
        server.reconciler.drain();
        assertThat(server.store.services()).hasSize(10);
        assertThat(server.reconciler.busy()).isTrue();
        assertThat(server.store.head("main")).as("the stored head waits for the last slice").isEmpty();

        TestRepos.commitAndPush(work, "SERVICES/small/SPEC.md", TestRepos.completeSpec(), "main");
        server.reconciler.drain();
        assertThat(server.store.services()).as("the small push is looked at before the rest of the large one")
                .containsKey("small").hasSize(11);
        assertThat(server.reconciler.busy()).isTrue();

        server.reconciler.continueBulk();
        assertThat(server.store.services()).hasSize(21);
        server.close(); // a crash in the middle of the large change: it is looked at again from the stored head
        server = start(Map.of(), false);
        server.reconciler.resync();
        assertThat(server.reconciler.busy()).isFalse();
        String head = Tools.ok(work, "git", "rev-parse", "HEAD").trim();
        assertThat(server.store.head("main")).contains(head);
        assertThat(server.store.services()).hasSize(26).allSatisfy((name, s) -> assertThat(s.phase().name()).isEqualTo("READY_FOR_BUILD"));
        for (String name : server.store.services().keySet()) {
            assertThat(server.store.events(0, name, 100).stream().filter(e -> e.kind().equals("phase")))
                    .as("%s announced once, though looked at again after the restart", name).hasSize(1);
        }
    }

    @Test
    void aRefLockLeftByAKilledPushIsClearedAtStartSoPushesGoOn() throws Exception {
        server = start(Map.of(), true);
        Path work = cloneAndPush("SERVICES/a/SPEC.md", TestRepos.completeSpec());
        server.close();
        // what a kill -9 in the middle of a ref update leaves behind (seen in ClaimKillIT: "failed to lock")
        Files.writeString(tmp.resolve("data/repos/services.git/refs/heads/main.lock"), "0".repeat(40) + "\n");
        server = start(Map.of(), true);
        Tools.ok(work, "git", "remote", "set-url", "origin", Tools.gitUrl(server));
        TestRepos.commitAndPush(work, "SERVICES/b/SPEC.md", TestRepos.completeSpec(), "main");
        await().atMost(Duration.ofSeconds(10)).until(() -> "READY_FOR_BUILD".equals(phase("b")));
        assertThat(tmp.resolve("data/repos/services.git/refs/heads/main.lock")).doesNotExist();
    }

    @Test
    void githubDeliveriesAreVerifiedStoredOnceAndAnswered() throws Exception {
        Path origin = tmp.resolve("origin.git");
        TestRepos.commitAndPush(bareOriginWithClone(origin), "SERVICES/a/README.md", "# a\n", "main");
        server = start(Map.of("ASSEMBLY_GITHUB_SECRET", "It's a Secret to Everybody", "ASSEMBLY_REPO_URL", origin.toString()), true);
        String secret = "It's a Secret to Everybody";
        byte[] body = ("{\"ref\":\"refs/heads/main\",\"before\":\"" + "0".repeat(40) + "\",\"after\":\"" + "1".repeat(40)
                + "\",\"created\":true,\"repository\":{\"full_name\":\"o/r\"},\"commits\":[]}").getBytes();
        Map<String, String> h = new HashMap<>(Map.of("X-GitHub-Event", "push", "X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958",
                "X-Hub-Signature-256", "sha256=" + Hmac.sha256Hex(secret, body), "Content-Type", "application/json"));
        HttpResponse<String> first = post("/webhooks/github", h, body);
        assertThat(first.statusCode()).isEqualTo(202);
        HttpResponse<String> again = post("/webhooks/github", h, body);
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(again.body()).get("duplicate").asBoolean()).isTrue();

        h.put("X-Hub-Signature-256", "sha256=" + "0".repeat(64));
        HttpResponse<String> forged = post("/webhooks/github", h, body);
        assertThat(forged.statusCode()).isEqualTo(401);
        assertThat(JSON.readTree(forged.body()).get("error").asText()).contains("signature");
        h.remove("X-Hub-Signature-256");
        assertThat(post("/webhooks/github", h, body).statusCode()).as("missing signature").isEqualTo(401);

        byte[] notJson = "{not json".getBytes();
        h.put("X-Hub-Signature-256", "sha256=" + Hmac.sha256Hex(secret, notJson));
        h.put("X-GitHub-Delivery", "other");
        assertThat(post("/webhooks/github", h, notJson).statusCode()).isEqualTo(400);

        byte[] ping = "{\"zen\":\"Keep it logically awesome.\"}".getBytes();
        h.put("X-GitHub-Event", "ping");
        h.put("X-Hub-Signature-256", "sha256=" + Hmac.sha256Hex(secret, ping));
        assertThat(post("/webhooks/github", h, ping).statusCode()).isEqualTo(200);

        byte[] branch = body.clone();
        byte[] other = new String(branch).replace("refs/heads/main", "refs/heads/topic").getBytes();
        h.put("X-GitHub-Event", "push");
        h.put("X-GitHub-Delivery", "topic-1");
        h.put("X-Hub-Signature-256", "sha256=" + Hmac.sha256Hex(secret, other));
        HttpResponse<String> untracked = post("/webhooks/github", h, other);
        assertThat(untracked.statusCode()).isEqualTo(202);
        assertThat(untracked.body()).contains("ignored");

        h.put("X-GitHub-Event", "issues");
        assertThat(post("/webhooks/github", h, other).statusCode()).isEqualTo(202);
        // the first delivery is settled by the loop, on its own thread: waited for, not assumed
        await().atMost(Duration.ofSeconds(10)).until(() -> server.store.outcome("github", "72d3162e-cc78-11e3-81ab-4c9367dc0958").isPresent());

        // GitHub's default content type for hooks made over the REST API: the JSON in a form's payload field
        byte[] form = ("payload=" + java.net.URLEncoder.encode(new String(body, java.nio.charset.StandardCharsets.UTF_8).replace("1".repeat(40), "4".repeat(40)),
                java.nio.charset.StandardCharsets.UTF_8)).getBytes();
        Map<String, String> f = Map.of("X-GitHub-Event", "push", "X-GitHub-Delivery", "form-1", "Content-Type", "application/x-www-form-urlencoded",
                "X-Hub-Signature-256", "sha256=" + Hmac.sha256Hex(secret, form));
        assertThat(post("/webhooks/github", f, form).statusCode()).isEqualTo(202);
        assertThat(post("/webhooks/github", f, form).statusCode()).isEqualTo(200);

        assertThat(post("/webhooks/gitlab", Map.of("X-Gitlab-Event", "Push Hook"), body).statusCode())
                .as("an endpoint without its secret is off").isEqualTo(404);
    }

    @Test
    void aForgePushToAHostedCoordinatorIsAnswered409WithWhatToSet() throws Exception {
        server = start(Map.of("ASSEMBLY_GITHUB_SECRET", "s"), true);
        byte[] body = ("{\"ref\":\"refs/heads/main\",\"before\":\"" + "0".repeat(40) + "\",\"after\":\"" + "1".repeat(40) + "\"}").getBytes();
        HttpResponse<String> r = post("/webhooks/github", Map.of("X-GitHub-Event", "push", "X-GitHub-Delivery", "h-1",
                "X-Hub-Signature-256", "sha256=" + Hmac.sha256Hex("s", body), "Content-Type", "application/json"), body);
        assertThat(r.statusCode()).isEqualTo(409);
        assertThat(r.body()).contains("set ASSEMBLY_REPO_URL");
        assertThat(server.store.inboxDepth()).isZero();
    }

    @Test
    void aBodyOverTwentyFiveMegabytesIsRefusedUnread() throws Exception {
        server = start(Map.of("ASSEMBLY_GITHUB_SECRET", "s"), true);
        // Only the headers are sent: the answer must come without the server waiting for (or buffering) the body.
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(("POST /webhooks/github HTTP/1.1\r\nHost: localhost\r\nX-GitHub-Event: push\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + (25 * 1024 * 1024 + 1) + "\r\n\r\n{").getBytes());
            socket.getOutputStream().flush();
            String status = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream())).readLine();
            assertThat(status).isEqualTo("HTTP/1.1 413 Payload Too Large");
        }
        // the same check, with the API's own limit
        HttpResponse<String> api = post("/api/sessions", Map.of("Authorization", "Bearer " + server.config.effectiveAdminToken()),
                ("{\"session_id\":\"x\",\"name\":\"" + "n".repeat(70 * 1024) + "\"}").getBytes());
        assertThat(api.statusCode()).isEqualTo(413);
        assertThat(api.body()).contains("body over 65536 bytes");
    }

    @Test
    void aSmallBodyOverTheLimitIsReadSoTheClientGetsTheAnswerAndTheConnectionLives() throws Exception {
        server = start(Map.of(), true);
        String token = server.config.effectiveAdminToken();
        byte[] body = ("{\"session_id\":\"x\",\"name\":\"" + "n".repeat(70 * 1024) + "\"}").getBytes();
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);
            java.io.OutputStream out = socket.getOutputStream();
            java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream()));
            out.write(("POST /api/sessions HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + token
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes());
            out.flush();
            // all but the body's last kilobyte: the server reads on, and answers nothing yet
            int most = body.length - 1024;
            out.write(body, 0, most);
            out.flush();
            socket.setSoTimeout(300);
            org.assertj.core.api.Assertions.assertThatThrownBy(in::readLine).isInstanceOf(java.net.SocketTimeoutException.class);
            socket.setSoTimeout(10_000);
            out.write(body, most, body.length - most);
            out.flush();
            assertThat(in.readLine()).isEqualTo("HTTP/1.1 413 Payload Too Large");
            long length = 0;
            for (String line = in.readLine(); !line.isEmpty(); line = in.readLine()) {
                if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                    length = Long.parseLong(line.substring(15).trim());
                }
            }
            StringBuilder answer = new StringBuilder();
            while (answer.length() < length) {
                answer.append((char) in.read());
            }
            assertThat(answer.toString()).contains("body over 65536 bytes");
            // the body was read to its end, so the same connection carries the next request
            out.write("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes());
            out.flush();
            assertThat(in.readLine()).isEqualTo("HTTP/1.1 200 OK");
        }
        // a client that waits for "100 Continue" before sending is told 413 at once, never asked for the body
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("POST /api/sessions HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + token
                    + "\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes());
            socket.getOutputStream().flush();
            assertThat(new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream())).readLine())
                    .isEqualTo("HTTP/1.1 413 Payload Too Large");
        }
    }

    @Test
    void gitlabAndGiteaPushesInTheirDocumentedShapes() throws Exception {
        Path origin = tmp.resolve("origin.git");
        TestRepos.commitAndPush(bareOriginWithClone(origin), "SERVICES/a/README.md", "# a\n", "main");
        server = start(Map.of("ASSEMBLY_GITLAB_SECRET", "gl-token", "ASSEMBLY_GITEA_SECRET", "gt-secret", "ASSEMBLY_REPO_URL", origin.toString()), true);
        byte[] gitlab = ("{\"object_kind\":\"push\",\"event_name\":\"push\",\"before\":\"" + "0".repeat(40) + "\",\"after\":\"" + "2".repeat(40)
                + "\",\"ref\":\"refs/heads/main\",\"checkout_sha\":\"" + "2".repeat(40)
                + "\",\"project\":{\"git_http_url\":\"http://example.com/mike/diaspora.git\"},\"commits\":[],\"total_commits_count\":0}").getBytes();
        Map<String, String> gl = Map.of("X-Gitlab-Event", "Push Hook", "X-Gitlab-Token", "gl-token", "X-Gitlab-Event-UUID", "uuid-1");
        assertThat(post("/webhooks/gitlab", gl, gitlab).statusCode()).isEqualTo(202);
        assertThat(post("/webhooks/gitlab", gl, gitlab).statusCode()).isEqualTo(200);
        // "Resend request": the same Idempotency-Key, a new event UUID
        Map<String, String> first = Map.of("X-Gitlab-Event", "Push Hook", "X-Gitlab-Token", "gl-token", "X-Gitlab-Event-UUID", "uuid-2",
                "Idempotency-Key", "idem-2");
        Map<String, String> resend = Map.of("X-Gitlab-Event", "Push Hook", "X-Gitlab-Token", "gl-token", "X-Gitlab-Event-UUID", "uuid-3",
                "Idempotency-Key", "idem-2");
        assertThat(post("/webhooks/gitlab", first, gitlab).statusCode()).isEqualTo(202);
        assertThat(post("/webhooks/gitlab", resend, gitlab).statusCode()).as("a resend is the same delivery").isEqualTo(200);
        assertThat(post("/webhooks/gitlab", Map.of("X-Gitlab-Event", "Push Hook", "X-Gitlab-Token", "wrong"), gitlab).statusCode()).isEqualTo(401);

        byte[] gitea = ("{\"ref\":\"refs/heads/main\",\"before\":\"" + "2".repeat(40) + "\",\"after\":\"" + "3".repeat(40)
                + "\",\"commits\":[],\"repository\":{\"clone_url\":\"http://localhost:3000/o/r.git\"}}").getBytes();
        Map<String, String> gt = Map.of("X-Gitea-Event", "push", "X-Gitea-Delivery", "g-1", "X-Gitea-Signature", Hmac.sha256Hex("gt-secret", gitea));
        assertThat(post("/webhooks/gitea", gt, gitea).statusCode()).isEqualTo(202);
        Map<String, String> fj = Map.of("X-Forgejo-Event", "push", "X-Forgejo-Delivery", "f-1", "X-Forgejo-Signature", Hmac.sha256Hex("gt-secret", gitea));
        assertThat(post("/webhooks/gitea", fj, gitea).statusCode()).isEqualTo(202);
        assertThat(post("/webhooks/gitea", Map.of("X-Gitea-Event", "push", "X-Gitea-Signature", "00"), gitea).statusCode()).isEqualTo(401);
    }

    @Test
    void followingAnEmptyRepositoryTracksTheBranchItsHeadNames() throws Exception {
        Path origin = tmp.resolve("origin.git");
        Tools.ok(tmp, "git", "init", "-q", "--bare", "-b", "trunk", origin.toString());
        server = start(Map.of("ASSEMBLY_REPO_URL", origin.toString(), "ASSEMBLY_HOOK_SECRET", "k"), true);
        assertThat(server.source.trackedBranch()).isEqualTo("trunk");
        assertThat(server.source.describe()).contains("tracking trunk, from the remote's HEAD");
        Path work = tmp.resolve("work");
        Tools.ok(tmp, "git", "clone", "-q", origin.toString(), work.toString());
        TestRepos.commitAndPush(work, "SERVICES/first/SPEC.md", TestRepos.completeSpec(), "trunk");
        server.reconciler.resync();
        assertThat(phase("first")).isEqualTo("READY_FOR_BUILD");
    }

    @Test
    void followModeMirrorsABareRepositoryWhosePostReceiveHookReportsPushes() throws Exception {
        Path origin = tmp.resolve("origin.git");
        Path work = bareOriginWithClone(origin);
        TestRepos.commitAndPush(work, "SERVICES/search/README.md", "# search\n", "main");

        server = start(Map.of("ASSEMBLY_REPO_URL", origin.toString(), "ASSEMBLY_HOOK_SECRET", "hook-secret"), true);
        await().atMost(Duration.ofSeconds(10)).until(() -> "NEEDS_SPEC".equals(phase("search")));

        Path hook = origin.resolve("hooks/post-receive");
        Files.copy(Tools.projectDir().resolve("hooks/post-receive"), hook);
        hook.toFile().setExecutable(true);
        Tools.ok(null, "git", "-C", origin.toString(), "config", "assembly.url", base());
        Tools.ok(null, "git", "-C", origin.toString(), "config", "assembly.secret", "hook-secret");

        Files.writeString(work.resolve("SERVICES/search/SPEC.md"), TestRepos.completeSpec());
        git(work, "add", ".");
        git(work, "commit", "-qm", "search spec");
        Tools.Result push = Tools.run(work, List.of("git", "push", "origin", "HEAD:main"));
        assertThat(push.exit()).isZero();
        assertThat(push.err()).contains("assembly: push reported to " + base() + " (202)");
        await().atMost(Duration.ofSeconds(10)).until(() -> "READY_FOR_BUILD".equals(phase("search")));

        git(work, "commit", "-q", "--amend", "-m", "rewritten");
        Files.writeString(work.resolve("SERVICES/search/SPEC.md"), TestRepos.specWithout("Purpose"));
        git(work, "commit", "-qam", "forced");
        git(work, "push", "-q", "-f", "origin", "HEAD:main");
        await().atMost(Duration.ofSeconds(10)).until(() -> "SPEC_INCOMPLETE".equals(phase("search")));
    }
}
