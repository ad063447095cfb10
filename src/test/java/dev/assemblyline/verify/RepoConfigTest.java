package dev.assemblyline.verify;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** assembly.yml bound to records: every key read, and a key that is not one is an error naming it and its line. */
class RepoConfigTest {
    static RepoConfig parse(String yaml) {
        return RepoConfig.parse(yaml.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void everyKeyIsRead() {
        RepoConfig c = parse("""
                coverage_min: 70
                test_timeout: 20m
                services:
                  billing:
                    build_files: [pom.xml, Dockerfile]
                    test: mvn -q -B test
                    coverage_min: 60
                    deploy: ./deploy.sh
                    deploy_secrets: [DEPLOY_TOKEN]
                    health: https://billing.example.com/health
                    restart: ./restart.sh
                    network: true
                  plain:
                """);
        assertThat(c.problem()).isNull();
        assertThat(c.coverageMin()).isEqualTo(70);
        assertThat(c.testTimeout()).isEqualTo(Duration.ofMinutes(20));
        RepoConfig.Service b = c.service("billing");
        assertThat(b).isEqualTo(new RepoConfig.Service(List.of("pom.xml", "Dockerfile"), "mvn -q -B test", 60.0, "./deploy.sh",
                List.of("DEPLOY_TOKEN"), "https://billing.example.com/health", "./restart.sh", true));
        assertThat(c.coverageMin("plain")).isEqualTo(70);
        assertThat(c.service("plain").network()).isFalse();
        assertThat(c.service("other")).isEqualTo(RepoConfig.Service.NONE);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "coverge_min: 60                                   | assembly.yml line 1: unknown key 'coverge_min' (known: build, ci_context, coverage_min, production, root, services, spec, test_timeout, tests)",
        "services:\\n  billing:\\n    deploy: x\\n    helth: y | assembly.yml line 4: unknown key 'helth' in services.billing (known: build_files",
        "coverage_min: lots                                | assembly.yml line 1: wrong type in coverage_min",
        "services: [a, b]                                  | assembly.yml line 1: wrong type in services",
        "- a\\n- b                                          | assembly.yml line 1: wrong type",
        "services:\\n  a: {deploy: [x]}                   | assembly.yml line 2: wrong type in services.a.deploy",
        "coverage_min: \"80                                | assembly.yml line 1: not YAML",
        "test_timeout: soon                                | assembly.yml: test_timeout: 'soon' is not a duration"})
    void aMistakeIsNamedWithItsLineAndTheFileIsIgnored(String yaml, String problem) {
        RepoConfig c = parse(yaml.replace("\\n", "\n"));
        assertThat(c.problem()).startsWith(problem).endsWith("; the whole file is ignored until it is fixed");
        assertThat(c.services()).isEmpty();
        assertThat(c.coverageMin()).isEqualTo(RepoConfig.DEFAULT.coverageMin());
    }

    @Test
    void aSingleValueWhereAListIsExpectedIsAListOfOne() {
        RepoConfig c = parse("services:\n  billing:\n    build_files: pom.xml\n    deploy_secrets: DEPLOY_TOKEN\n");
        assertThat(c.problem()).isNull();
        assertThat(c.service("billing").buildFiles()).containsExactly("pom.xml");
        assertThat(c.service("billing").deploySecrets()).containsExactly("DEPLOY_TOKEN");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"test_timeout: 90 | PT1M30S", "test_timeout: 2d | PT15M", "test_timeout: 5s | PT15M", "'# only a comment' | PT15M"})
    void durationsAreWrittenAsEverywhereElseAndKeptBetweenTenSecondsAndADay(String yaml, String expected) {
        RepoConfig c = parse(yaml);
        assertThat(c.problem()).isNull();
        assertThat(c.testTimeout()).isEqualTo(Duration.parse(expected));
    }

    @Test
    void testsCiHandsVerdictsToTheForgesCiGloballyOrPerService() {
        RepoConfig c = RepoConfig.parse("""
                tests: ci
                ci_context: "test ({service})"
                services:
                  billing:
                    ci_context: unit
                  local:
                    tests: run
                """.getBytes());
        assertThat(c.problem()).isNull();
        assertThat(c.testsByCi("auth")).isTrue();
        assertThat(c.testsByCi("local")).isFalse();
        assertThat(c.ciContext("auth")).isEqualTo("test (auth)");
        assertThat(c.ciContext("billing")).isEqualTo("unit");
        assertThat(c.layout("SERVICES").tests()).as("'ci' is not a folder of tests").isEqualTo(RepoConfig.DEFAULT.layout("SERVICES").tests());
        RepoConfig one = RepoConfig.parse("services:\n  billing:\n    tests: ci\n".getBytes());
        assertThat(one.testsByCi("billing")).isTrue();
        assertThat(one.testsByCi("auth")).isFalse();
        assertThat(one.ciContext("billing")).isNull();
        assertThat(RepoConfig.parse("services:\n  billing:\n    tests: sometimes\n".getBytes()).problem())
                .contains("services.billing.tests must be 'ci'");
        assertThat(RepoConfig.parse("tests: [ci/]\n".getBytes()).testsByCi("billing")).as("a folder named ci").isFalse();
    }
}
