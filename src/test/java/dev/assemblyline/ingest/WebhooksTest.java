package dev.assemblyline.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.assemblyline.app.Config;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class WebhooksTest {
    static Map<String, String> headers(String... kv) {
        Map<String, String> m = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    final Webhooks hooks = new Webhooks(new Webhooks.Secrets("It's a Secret to Everybody", null, null, "h", false), () -> "main",
            Clock.systemUTC(), true);

    @Test
    void githubsDocumentedSignatureVectorIsAccepted() {
        byte[] body = "Hello, World!".getBytes(StandardCharsets.UTF_8);
        assertThat("sha256=" + Hmac.sha256Hex("It's a Secret to Everybody", body))
                .isEqualTo("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
        Webhooks.Outcome o = hooks.handle("github", headers("X-GitHub-Event", "ping",
                "X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")::get, body);
        assertThat(o.status()).isEqualTo(200);
    }

    final Webhooks ci = new Webhooks(new Webhooks.Secrets("gh", "gl", null, "h", false), () -> "main", Clock.systemUTC(), true);

    Webhooks.Outcome github(String event, String body) {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        return ci.handle("github", headers("X-GitHub-Event", event, "X-GitHub-Delivery", "d-" + body.hashCode(),
                "X-Hub-Signature-256", "sha256=" + Hmac.sha256Hex("gh", b))::get, b);
    }

    @Test
    void checkSuitesAreVerdictsAndTheCoordinatorsOwnStatusesAndSha256IdsAreNot() {
        String sha = "a".repeat(40);
        Webhooks.Outcome suite = github("check_suite", """
                {"action":"completed","check_suite":{"id":5,"head_branch":"main","head_sha":"%s","status":"completed","conclusion":"failure",
                 "app":{"id":15368,"slug":"github-actions","name":"GitHub Actions"}},
                 "repository":{"full_name":"team/services","html_url":"https://github.com/team/services"}}
                """.formatted(sha));
        assertThat(suite.status()).isEqualTo(202);
        assertThat(suite.verdicts()).singleElement().satisfies(v -> {
            assertThat(v.context()).isEqualTo("suite: GitHub Actions");
            assertThat(v.state()).isEqualTo("failure");
            assertThat(v.url()).isEqualTo("https://github.com/team/services/commit/" + sha + "/checks");
        });
        String own = """
                {"id":1,"sha":"%s","context":"assembly/billing","state":"failure","description":"TESTS_FAILING","repository":{"full_name":"t/s"}}
                """.formatted(sha);
        assertThat(github("status", own).verdicts()).as("the coordinator's own status").isNullOrEmpty();
        assertThat(github("status", own.replace(sha, "b".repeat(64)).replace("assembly/billing", "unit")).status()).isEqualTo(400);
    }

    @Test
    void aGitlabPipelineCountingTheCoordinatorsStatusesIsJudgedByTheTeamsJobs() {
        String body = """
                {"object_kind":"pipeline","object_attributes":{"id":31,"sha":"%s","status":"failed","url":"https://gl.example.com/t/s/-/pipelines/31"},
                 "project":{"id":1,"web_url":"https://gl.example.com/t/s"},
                 "builds":[{"id":380,"stage":"test","name":"unit","status":"success","allow_failure":false},
                           {"id":381,"stage":"lint","name":"lint","status":"failed","allow_failure":true},
                           {"id":382,"stage":"external","name":"assembly/billing","status":"failed","allow_failure":false}]}
                """.formatted("c".repeat(40));
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        Webhooks.Outcome o = ci.handle("gitlab", headers("X-Gitlab-Event", "Pipeline Hook", "X-Gitlab-Token", "gl")::get, b);
        assertThat(o.status()).isEqualTo(202);
        Map<String, String> states = new TreeMap<>();
        o.verdicts().forEach(v -> states.put(v.context(), v.state()));
        assertThat(states).isEqualTo(Map.of("pipeline", "success", "unit", "success", "lint", "failure"));
        String plain = body.replace(",\n           {\"id\":382,\"stage\":\"external\",\"name\":\"assembly/billing\",\"status\":\"failed\",\"allow_failure\":false}", "");
        assertThat(plain).doesNotContain("assembly/");
        byte[] p = plain.getBytes(StandardCharsets.UTF_8);
        assertThat(ci.handle("gitlab", headers("X-Gitlab-Event", "Pipeline Hook", "X-Gitlab-Token", "gl")::get, p).verdicts())
                .filteredOn(v -> v.context().equals("pipeline")).singleElement()
                .satisfies(v -> assertThat(v.state()).as("without the coordinator's jobs GitLab's own status stands").isEqualTo("failure"));
    }

    @Test
    void theSignatureIsCheckedBeforeTheBodyIsRead() {
        Webhooks.Outcome o = hooks.handle("github", headers("X-GitHub-Event", "push", "X-Hub-Signature-256", "sha256=00")::get,
                "{broken".getBytes());
        assertThat(o.status()).as("a forged malformed body is a 401, not a 400").isEqualTo(401);
    }

    @Test
    void postReceiveLinesPickTheTrackedBranch() {
        String a = "a".repeat(40);
        String b = "b".repeat(40);
        byte[] body = (a + " " + b + " refs/heads/topic\n" + b + " " + a + " refs/heads/main\n").getBytes();
        Webhooks.Outcome o = hooks.handle("git", headers("X-Assembly-Signature", "sha256=" + Hmac.sha256Hex("h", body))::get, body);
        assertThat(o.status()).isEqualTo(202);
        assertThat(o.event().after()).isEqualTo(a);
        assertThat(o.event().deliveryId()).startsWith("sha256:");
        byte[] other = (a + " " + b + " refs/heads/topic\n").getBytes();
        assertThat(hooks.handle("git", headers("X-Assembly-Signature", "sha256=" + Hmac.sha256Hex("h", other))::get, other).event()).isNull();
        byte[] junk = "rm -rf /\n".getBytes();
        assertThat(hooks.handle("git", headers("X-Assembly-Signature", "sha256=" + Hmac.sha256Hex("h", junk))::get, junk).status()).isEqualTo(400);
    }

    @Test
    void aSignedPushWhoseIdsAreNotCommitIdsIsMalformed() {
        byte[] body = "{\"ref\":\"refs/heads/main\",\"before\":\"x\",\"after\":\"y\"}".getBytes();
        Webhooks.Outcome o = hooks.handle("github", headers("X-GitHub-Event", "push",
                "X-Hub-Signature-256", "sha256=" + Hmac.sha256Hex("It's a Secret to Everybody", body))::get, body);
        assertThat(o.status()).isEqualTo(400);
    }

    @Test
    void githubsFormContentTypeIsVerifiedOverTheRawBodyAndReadFromItsPayloadField() throws Exception {
        String json = "{\"ref\":\"refs/heads/main\",\"before\":\"" + "0".repeat(40) + "\",\"after\":\"" + "1".repeat(40) + "\",\"head_commit\":{\"message\":\"a & b = c\"}}";
        byte[] body = ("payload=" + java.net.URLEncoder.encode(json, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
        Webhooks.Outcome o = hooks.handle("github", headers("X-GitHub-Event", "push", "X-GitHub-Delivery", "d-1",
                "Content-Type", "application/x-www-form-urlencoded",
                "X-Hub-Signature-256", "sha256=" + Hmac.sha256Hex("It's a Secret to Everybody", body))::get, body);
        assertThat(o.status()).isEqualTo(202);
        assertThat(o.event().after()).isEqualTo("1".repeat(40));
        byte[] noPayload = "other=1".getBytes();
        assertThat(hooks.handle("github", headers("X-GitHub-Event", "push", "Content-Type", "application/x-www-form-urlencoded",
                "X-Hub-Signature-256", "sha256=" + Hmac.sha256Hex("It's a Secret to Everybody", noPayload))::get, noPayload).body().get("error"))
                .isEqualTo("form body has no JSON payload field");
    }

    @Test
    void gitlabsResendKeepsItsIdempotencyKeyAndIsTheSameDelivery() {
        Webhooks gl = new Webhooks(new Webhooks.Secrets(null, "t", null, null, false), () -> "main", Clock.systemUTC(), true);
        byte[] body = ("{\"object_kind\":\"push\",\"ref\":\"refs/heads/main\",\"before\":\"" + "0".repeat(40) + "\",\"after\":\""
                + "1".repeat(40) + "\"}").getBytes();
        String first = gl.handle("gitlab", headers("X-Gitlab-Event", "Push Hook", "X-Gitlab-Token", "t", "X-Gitlab-Event-UUID", "u-1",
                "Idempotency-Key", "k-1")::get, body).event().deliveryId();
        String resend = gl.handle("gitlab", headers("X-Gitlab-Event", "Push Hook", "X-Gitlab-Token", "t", "X-Gitlab-Event-UUID", "u-2",
                "Idempotency-Key", "k-1")::get, body).event().deliveryId();
        assertThat(resend).isEqualTo(first);
        assertThat(gl.handle("gitlab", headers("X-Gitlab-Event", "Push Hook", "X-Gitlab-Token", "t", "X-Gitlab-Event-UUID", "u-3")::get, body)
                .event().deliveryId()).as("without the key, the event UUID").isEqualTo("u-3");
    }

    @Test
    void aForgePushInHostedModeIsRefusedWithTheSentenceThatFixesIt() {
        Webhooks hosted = new Webhooks(new Webhooks.Secrets("s", null, null, null, false), () -> "main", Clock.systemUTC(), false);
        byte[] body = ("{\"ref\":\"refs/heads/main\",\"before\":\"" + "0".repeat(40) + "\",\"after\":\"" + "1".repeat(40) + "\"}").getBytes();
        Webhooks.Outcome o = hosted.handle("github", headers("X-GitHub-Event", "push", "X-Hub-Signature-256", "sha256=" + Hmac.sha256Hex("s", body))::get, body);
        assertThat(o.status()).isEqualTo(409);
        assertThat(o.event()).isNull();
        assertThat(o.body().get("error").toString()).contains("ASSEMBLY_REPO_URL");
        byte[] ping = "{}".getBytes();
        assertThat(hosted.handle("github", headers("X-GitHub-Event", "ping", "X-Hub-Signature-256", "sha256=" + Hmac.sha256Hex("s", ping))::get, ping)
                .status()).as("the hook's test delivery still succeeds").isEqualTo(200);
    }

    @Test
    void endpointsWithoutASecretAreOffUnlessInsecure() {
        assertThat(hooks.handle("gitlab", headers()::get, new byte[0]).status()).isEqualTo(404);
        Webhooks open = new Webhooks(new Webhooks.Secrets(null, null, null, null, true), () -> "main", Clock.systemUTC(), true);
        assertThat(open.handle("gitlab", headers("X-Gitlab-Event", "Push Hook")::get,
                ("{\"object_kind\":\"push\",\"ref\":\"refs/heads/main\",\"before\":\"" + "0".repeat(40) + "\",\"after\":\"" + "1".repeat(40) + "\"}")
                        .getBytes()).status()).isEqualTo(202);
    }

    @Test
    void durationsAreWrittenShortOrIso() {
        assertThat(Config.duration("90s")).isEqualTo(Duration.ofSeconds(90));
        assertThat(Config.duration("30m")).isEqualTo(Duration.ofMinutes(30));
        assertThat(Config.duration("24h")).isEqualTo(Duration.ofHours(24));
        assertThat(Config.duration("PT30M")).isEqualTo(Duration.ofMinutes(30));
        assertThat(Config.duration("90")).as("a bare number is seconds, in the environment as in assembly.yml").isEqualTo(Duration.ofSeconds(90));
        assertThat(dev.assemblyline.verify.RepoConfig.parse("test_timeout: 2d\n".getBytes()).testTimeout()).as("assembly.yml takes days too (capped at 24 h)")
                .isEqualTo(Duration.ofMinutes(15));
        assertThat(dev.assemblyline.verify.RepoConfig.parse("test_timeout: 500ms\n".getBytes()).testTimeout()).isEqualTo(Duration.ofMinutes(15));
        assertThat(dev.assemblyline.verify.RepoConfig.parse("test_timeout: 20h\n".getBytes()).testTimeout()).isEqualTo(Duration.ofHours(20));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Config.duration("ten minutes")).hasMessageContaining("write 90s, 30m");
    }

    @Test
    void aBadConfigurationNamesTheVariable() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Config.fromEnv(Map.of("PORT", "eighty")))
                .isInstanceOf(Config.Invalid.class).hasMessageContaining("PORT");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Config.fromEnv(Map.of("ASSEMBLY_DB_URL", "jdbc:mysql://x")))
                .hasMessageContaining("ASSEMBLY_DB_URL");
        assertThat(Config.fromEnv(Map.of("ASSEMBLY_GITHUB_SECRET", "topsecret")).toString()).doesNotContain("topsecret");
    }
}
