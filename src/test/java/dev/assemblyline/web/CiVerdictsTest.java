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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tests: ci} (docs/ci.md): the forge's verdicts, in the payload shapes GitHub, GitLab and Gitea send,
 * signed as each signs, drive services from TESTING to READY_FOR_DEPLOY or TESTS_FAILING on a followed
 * repository; the coordinator runs none of those suites itself, and a verdict on an older commit changes nothing.
 */
class CiVerdictsTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final String GITHUB = "github-ci-secret";
    static final String GITLAB = "gitlab-ci-token";
    static final String GITEA = "gitea-ci-secret";

    @TempDir
    Path tmp;
    Wiring server;
    Path work;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    String base() {
        return "http://127.0.0.1:" + server.port();
    }

    JsonNode service(String name) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/api/services/" + name)).build(),
                HttpResponse.BodyHandlers.ofString());
        return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
    }

    String phase(String name) throws Exception {
        JsonNode n = service(name);
        return n == null ? null : n.get("phase").asText();
    }

    int post(String provider, Map<String, String> headers, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base() + "/webhooks/" + provider))
                .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json");
        headers.forEach(b::header);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    int github(String event, String body) throws Exception {
        return post("github", Map.of("X-GitHub-Event", event, "X-GitHub-Delivery", UUID.randomUUID().toString(),
                "X-Hub-Signature-256", "sha256=" + Hmac.sha256Hex(GITHUB, body.getBytes(StandardCharsets.UTF_8))), body);
    }

    int gitlab(String body) throws Exception {
        return post("gitlab", Map.of("X-Gitlab-Event", "Pipeline Hook", "X-Gitlab-Token", GITLAB, "X-Gitlab-Event-UUID", UUID.randomUUID().toString()), body);
    }

    int gitea(String body) throws Exception {
        return post("gitea", Map.of("X-Gitea-Event", "status", "X-Gitea-Delivery", UUID.randomUUID().toString(),
                "X-Gitea-Signature", Hmac.sha256Hex(GITEA, body.getBytes(StandardCharsets.UTF_8))), body);
    }

    /** Pushes what the clone has and tells the coordinator with a signed GitHub push; returns the new head. */
    String push(String message) throws Exception {
        Tools.ok(work, "git", "add", "-A");
        Tools.ok(work, "git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", message);
        Tools.ok(work, "git", "push", "-q", "origin", "HEAD:main");
        String head = Tools.ok(work, "git", "rev-parse", "HEAD").trim();
        assertThat(github("push", "{\"ref\":\"refs/heads/main\",\"before\":\"" + "0".repeat(40) + "\",\"after\":\"" + head
                + "\",\"repository\":{\"full_name\":\"team/services\"},\"commits\":[]}")).isEqualTo(202);
        return head;
    }

    static String checkRun(String sha, String name, String status, String conclusion, String summary) {
        return """
            {"action":"completed","check_run":{"id":4,"head_sha":"%s","external_id":"","url":"https://api.github.com/repos/team/services/check-runs/4",
             "html_url":"https://github.com/team/services/runs/4","details_url":"https://example.com","status":"%s","conclusion":%s,
             "started_at":"2026-11-25T06:00:00Z","completed_at":"2026-11-25T06:01:00Z",
             "output":{"title":"%s","summary":"%s","text":null,"annotations_count":0,"annotations_url":"https://api.github.com/x"},
             "name":"%s","check_suite":{"id":5,"head_branch":"main","head_sha":"%s","status":"completed","conclusion":null},
             "app":{"id":1,"slug":"github-actions","name":"GitHub Actions"},"pull_requests":[]},
             "repository":{"id":1,"name":"services","full_name":"team/services","html_url":"https://github.com/team/services"},
             "sender":{"login":"octocat","id":1}}
            """.formatted(sha, status, conclusion == null ? "null" : "\"" + conclusion + "\"", name, summary, name, sha);
    }

    @Test
    void verdictsFromGithubGitlabAndGiteaDecideTestedPhasesForTheExactTree() throws Exception {
        Path origin = tmp.resolve("origin.git");
        Tools.ok(tmp, "git", "init", "-q", "--bare", "-b", "main", origin.toString());
        work = tmp.resolve("work");
        Tools.ok(tmp, "git", "clone", "-q", origin.toString(), work.toString());
        Files.writeString(work.resolve("assembly.yml"), """
                tests: ci
                ci_context: "test ({service})"
                services:
                  gl:
                    ci_context: unit
                """);
        for (String s : new String[] {"gh-check", "gh-status", "gl", "gt"}) {
            TestRepos.writePythonService(work, s);
            Files.writeString(work.resolve("SERVICES/" + s + "/BUILD/tests/test_main.py"), TestRepos.PASSING_TEST);
        }
        Tools.ok(work, "git", "add", "-A");
        Tools.ok(work, "git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "four services");
        Tools.ok(work, "git", "push", "-q", "origin", "HEAD:main");
        Map<String, String> env = new HashMap<>();
        env.put("PORT", "0");
        env.put("ASSEMBLY_DATA_DIR", tmp.resolve("data").toString());
        env.put("ASSEMBLY_REPO_URL", origin.toString());
        env.put("ASSEMBLY_GITHUB_SECRET", GITHUB);
        env.put("ASSEMBLY_GITLAB_SECRET", GITLAB);
        env.put("ASSEMBLY_GITEA_SECRET", GITEA);
        server = new Wiring(Config.fromEnv(env), Clock.systemUTC(), true);
        String c1 = Tools.ok(work, "git", "rev-parse", "HEAD").trim();
        await().atMost(Duration.ofSeconds(20)).until(() -> "TESTING".equals(phase("gh-check")) && "TESTING".equals(phase("gt")));
        assertThat(service("gl").get("reasons").get(0).asText()).startsWith("tests exist, waiting for CI check 'unit' on tree ");

        // the coordinator's own commit status coming back is never a verdict; a SHA-256 commit id is refused at intake
        String own = """
                {"id":5,"sha":"%s","context":"assembly/gh-status","description":"TESTING","state":"failure","commit":{"sha":"%s"},
                 "repository":{"full_name":"team/services"},"sender":{"login":"assembly-bot"}}
                """.formatted(c1, c1);
        assertThat(github("status", own)).isEqualTo(202);
        assertThat(new dev.assemblyline.store.CiStore(server.database.jdbc()).onCommit(c1)).as("the coordinator's own status is not stored").isEmpty();
        assertThat(github("status", own.replace(c1, "ab".repeat(32)).replace("assembly/gh-status", "test (gh-status)"))).isEqualTo(400);
        // a check still running says nothing yet
        assertThat(github("check_run", checkRun(c1, "test (gh-check)", "in_progress", null, "running"))).isEqualTo(202);
        // GitHub check run, with counts and coverage in its output
        assertThat(github("check_run", checkRun(c1, "test (gh-check)", "completed", "success", "12 passed, 1 skipped; coverage: 91.5%"))).isEqualTo(202);
        // GitHub commit status, failing
        assertThat(github("status", """
                {"id":6,"sha":"%s","name":"team/services","target_url":"https://ci.example.com/builds/77","context":"test (gh-status)",
                 "description":"3 passed, 2 failed","state":"failure","commit":{"sha":"%s"},"branches":[{"name":"main"}],
                 "repository":{"full_name":"team/services"},"sender":{"login":"ci-bot"}}
                """.formatted(c1, c1))).isEqualTo(202);
        // GitLab pipeline: the job named by ci_context counts, not the pipeline as a whole
        assertThat(gitlab("""
                {"object_kind":"pipeline","object_attributes":{"id":31,"iid":3,"ref":"main","tag":false,"sha":"%s","before_sha":"%s",
                 "source":"push","status":"failed","detailed_status":"failed","stages":["test","lint"],"duration":63,
                 "url":"https://gitlab.example.com/team/services/-/pipelines/31"},
                 "project":{"id":1,"name":"services","web_url":"https://gitlab.example.com/team/services","path_with_namespace":"team/services"},
                 "builds":[{"id":380,"stage":"test","name":"unit","status":"success","failure_reason":null},
                           {"id":381,"stage":"lint","name":"lint","status":"failed","failure_reason":"script_failure"}]}
                """.formatted(c1, "0".repeat(40)))).isEqualTo(202);
        // Gitea / Forgejo commit status
        assertThat(gitea("""
                {"id":9,"sha":"%s","context":"test (gt)","description":"8 tests passed","target_url":"https://gitea.example.com/team/services/actions/runs/9",
                 "state":"success","commit":{"id":"%s"},"repository":{"full_name":"team/services"},"sender":{"login":"gitea-actions"}}
                """.formatted(c1, c1))).isEqualTo(202);

        await().atMost(Duration.ofSeconds(20)).until(() -> "READY_FOR_DEPLOY".equals(phase("gh-check")) && "TESTS_FAILING".equals(phase("gh-status"))
                && "READY_FOR_DEPLOY".equals(phase("gl")) && "READY_FOR_DEPLOY".equals(phase("gt")));
        assertThat(service("gh-check").get("reasons").get(0).asText()).contains("CI check 'test (gh-check)' passed (13 tests, 1 skipped); coverage 91.5%");
        String failing = service("gh-status").get("reasons").get(0).asText();
        assertThat(failing).contains("CI check 'test (gh-status)' failed").contains("https://ci.example.com/builds/77").contains("5 tests, 2 failed");
        await("a failing check opens a fix ticket").atMost(Duration.ofSeconds(10)).until(() -> JSON.readTree(HTTP.send(
                HttpRequest.newBuilder(URI.create(base() + "/api/tickets?service=gh-status")).build(), HttpResponse.BodyHandlers.ofString()).body())
                .findValuesAsText("kind").contains("fix"));
        JsonNode tests = JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/api/services/gh-check/tests")).build(),
                HttpResponse.BodyHandlers.ofString()).body());
        assertThat(tests.toString()).contains("\"tests\":13");

        // a new tree for gh-check: a late verdict on the older commit changes nothing; the new commit's decides
        Files.writeString(work.resolve("SERVICES/gh-check/BUILD/src/main.py"), "GREETING = 'hello'\nVERSION = 2\n");
        String c2 = push("gh-check v2");
        await().atMost(Duration.ofSeconds(20)).until(() -> "TESTING".equals(phase("gh-check")));
        assertThat(github("check_run", checkRun(c1, "test (gh-check)", "completed", "success", "12 passed"))).isEqualTo(202);
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).until(() -> "TESTING".equals(phase("gh-check")));
        assertThat(github("check_run", checkRun(c2, "test (gh-check)", "completed", "failure", "11 passed, 1 failed"))).isEqualTo(202);
        await().atMost(Duration.ofSeconds(20)).until(() -> "TESTS_FAILING".equals(phase("gh-check")));
        // unchanged services keep their verdicts across the push
        assertThat(phase("gt")).isEqualTo("READY_FOR_DEPLOY");
        // nothing was run here: every result came from CI
        assertThat(server.store.events(0, null, 1000).stream().noneMatch(e -> e.message().contains("test run"))).isTrue();
    }
}
