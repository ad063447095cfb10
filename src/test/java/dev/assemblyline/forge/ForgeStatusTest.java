package dev.assemblyline.forge;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.assemblyline.TestRepos;
import dev.assemblyline.Tools;
import dev.assemblyline.app.Config;
import dev.assemblyline.app.Wiring;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Commit statuses back to the forge (docs/ci.md): each change of a service's phase reaches WireMock standing
 * in for the GitHub, GitLab and Gitea APIs as {@code assembly/<service>} on the head commit, through the
 * outbox, and GitHub's 403 rate-limit answer holds GitHub's statuses until the reset time it names.
 */
class ForgeStatusTest {
    @TempDir
    Path tmp;
    Wiring server;
    WireMockServer forge;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (forge != null) {
            forge.stop();
        }
    }

    @Test
    void phasesAreReportedAsCommitStatusesToEachForgeAndARateLimitIsWaitedOut() throws Exception {
        forge = new WireMockServer(WireMockConfiguration.options().dynamicPort());
        forge.start();
        long reset = Instant.now().plusSeconds(3).getEpochSecond();
        forge.stubFor(post(urlPathMatching("/gh/repos/team/services/statuses/[0-9a-f]{40}")).inScenario("limit")
                .whenScenarioStateIs(Scenario.STARTED).willSetStateTo("limited")
                .willReturn(aResponse().withStatus(403).withHeader("x-ratelimit-remaining", "0").withHeader("x-ratelimit-reset", String.valueOf(reset))
                        .withHeader("Content-Type", "application/json")
                        .withBody("{\"message\":\"API rate limit exceeded\",\"documentation_url\":\"https://docs.github.com/rest/rate-limit\"}")));
        forge.stubFor(post(urlPathMatching("/gh/repos/team/services/statuses/[0-9a-f]{40}")).inScenario("limit").whenScenarioStateIs("limited")
                .willReturn(aResponse().withStatus(201).withHeader("Content-Type", "application/json").withBody("{\"id\":1,\"state\":\"pending\"}")));
        forge.stubFor(post(urlPathMatching("/gl/api/v4/projects/team%2Fservices/statuses/[0-9a-f]{40}"))
                .willReturn(aResponse().withStatus(201).withHeader("Content-Type", "application/json").withBody("{\"id\":2,\"status\":\"pending\"}")));
        forge.stubFor(post(urlPathMatching("/gitea/api/v1/repos/team/services/statuses/[0-9a-f]{40}"))
                .willReturn(aResponse().withStatus(201).withHeader("Content-Type", "application/json").withBody("{\"id\":3,\"status\":\"pending\"}")));

        Path origin = tmp.resolve("origin.git");
        Tools.ok(tmp, "git", "init", "-q", "--bare", "-b", "main", origin.toString());
        Path work = tmp.resolve("work");
        Tools.ok(tmp, "git", "clone", "-q", origin.toString(), work.toString());
        TestRepos.commitAndPush(work, "SERVICES/billing/SPEC.md", TestRepos.completeSpec(), "main");
        String sha = Tools.ok(work, "git", "rev-parse", "HEAD").trim();
        String api = "http://127.0.0.1:" + forge.port();
        Map<String, String> env = new HashMap<>();
        env.put("PORT", "0");
        env.put("ASSEMBLY_DATA_DIR", tmp.resolve("data").toString());
        env.put("ASSEMBLY_REPO_URL", origin.toString());
        env.put("ASSEMBLY_PUBLIC_URL", "https://line.example.com");
        env.put("ASSEMBLY_FORGE_REPO", "team/services");
        env.put("ASSEMBLY_GITHUB_TOKEN", "ghp-forge-token");
        env.put("ASSEMBLY_GITHUB_API_URL", api + "/gh");
        env.put("ASSEMBLY_GITLAB_TOKEN", "glpat-forge-token");
        env.put("ASSEMBLY_GITLAB_API_URL", api + "/gl/api/v4");
        env.put("ASSEMBLY_GITEA_TOKEN", "gitea-forge-token");
        env.put("ASSEMBLY_GITEA_API_URL", api + "/gitea/api/v1");
        server = new Wiring(Config.fromEnv(env), Clock.systemUTC(), true);

        await().atMost(Duration.ofSeconds(20)).until(() -> server.forgeStatuses.sent() == 3);
        forge.verify(postRequestedFor(urlPathEqualTo("/gl/api/v4/projects/team%2Fservices/statuses/" + sha))
                .withHeader("PRIVATE-TOKEN", equalTo("glpat-forge-token"))
                .withRequestBody(matchingJsonPath("$.name", equalTo("assembly/billing")))
                .withRequestBody(matchingJsonPath("$.state", equalTo("pending")))
                .withRequestBody(matchingJsonPath("$.target_url", equalTo("https://line.example.com/services/billing"))));
        forge.verify(postRequestedFor(urlPathEqualTo("/gitea/api/v1/repos/team/services/statuses/" + sha))
                .withHeader("Authorization", equalTo("token gitea-forge-token"))
                .withRequestBody(matchingJsonPath("$.context", equalTo("assembly/billing")))
                .withRequestBody(matchingJsonPath("$.description", equalTo("READY_FOR_BUILD: spec complete, no BUILD/ yet"))));
        List<LoggedRequest> github = new ArrayList<>(forge.findAll(postRequestedFor(urlPathEqualTo("/gh/repos/team/services/statuses/" + sha))
                .withHeader("Authorization", equalTo("Bearer ghp-forge-token"))
                .withHeader("X-GitHub-Api-Version", equalTo("2022-11-28"))
                .withRequestBody(matchingJsonPath("$.context", equalTo("assembly/billing")))));
        assertThat(github).as("refused once with a rate limit, then sent again").hasSize(2);
        assertThat(github.get(1).getLoggedDate().toInstant()).as("not before the reset GitHub named")
                .isAfterOrEqualTo(Instant.ofEpochSecond(reset));
        assertThat(server.outbox.depth()).isZero();
    }

    @Test
    void theApiAndRepositoryAreReadFromTheRepositoryUrl() {
        List<String> errors = new ArrayList<>();
        List<Forge> gh = Forge.fromEnv(Map.of("ASSEMBLY_GITHUB_TOKEN", "t"), "https://github.com/team/services.git", errors);
        assertThat(gh).containsExactly(new Forge("github", "https://api.github.com", "t", "team/services"));
        assertThat(gh.get(0).toString()).doesNotContain("t@").isEqualTo("github team/services at https://api.github.com");
        List<Forge> gl = Forge.fromEnv(Map.of("ASSEMBLY_GITLAB_TOKEN", "t"), "https://gitlab.example.com/group/sub/services.git", errors);
        assertThat(gl.get(0).statusUri("a".repeat(40)).toString())
                .isEqualTo("https://gitlab.example.com/api/v4/projects/group%2Fsub%2Fservices/statuses/" + "a".repeat(40));
        List<Forge> gt = Forge.fromEnv(Map.of("ASSEMBLY_GITEA_TOKEN", "t"), "http://gitea.local:3000/team/services", errors);
        assertThat(gt.get(0).statusUri("b".repeat(40)).toString()).isEqualTo("http://gitea.local:3000/api/v1/repos/team/services/statuses/" + "b".repeat(40));
        assertThat(errors).isEmpty();
        Forge.fromEnv(Map.of("ASSEMBLY_GITHUB_TOKEN", "t"), "/srv/git/services.git", errors);
        assertThat(errors).singleElement().asString().contains("ASSEMBLY_FORGE_REPO");
    }
}
