package dev.assemblyline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole line by itself: {@code assembly simulate} from the packaged jar, five services from nothing to
 * production with simulated sessions that only use REST and git, every scripted trouble, and a report
 * whose numbers must all be right.
 */
class SimulateIT {
    @TempDir
    Path tmp;

    @Test
    void fiveServicesReachProductionByThemselvesThroughEveryScriptedTrouble() throws Exception {
        Tools.Result r = Tools.run(tmp, List.of("java", "-jar", JarIT.jar(), "simulate", "--services", "5", "--seed", "2", "--json",
                "--failure-rate", "0.4", "--timeout", "240"));
        String last = r.out().strip().lines().reduce((a, b) -> b).orElse("");
        assertThat(last).as("the report line; stderr:\n" + r.err()).startsWith("{");
        JsonNode report = new ObjectMapper().readTree(last);
        assertThat(report.get("in_production").asInt()).as(last).isEqualTo(5);
        assertThat(report.get("manual_actions").asInt()).as(last).isZero();
        assertThat(report.get("deploys_without_passing_tests").asInt()).as(last).isZero();
        assertThat(report.get("deploys").asInt()).as(last).isGreaterThanOrEqualTo(5);
        assertThat(report.get("reassignments").asInt()).as("the vanished builder's work went to another: " + last).isPositive();
        assertThat(report.get("recoveries").asInt()).as("the killed service came back: " + last).isPositive();
        assertThat(report.get("cancelled_runs").asInt()).as("the push during a test run cancelled it: " + last).isPositive();
        assertThat(report.path("trouble").path("incomplete_spec").path("completed").asBoolean()).as(last).isTrue();
        assertThat(report.get("trouble_handled").asBoolean()).as(last).isTrue();
        assertThat(report.get("deploys_by_command").asInt()).as("s03 deploys through assembly.yml's deploy command: " + last).isPositive();
        assertThat(report.get("coordinator_cpu_s").asDouble()).isPositive();
        assertThat(report.get("coordinator_cpu_share").asDouble()).as(last).isBetween(0.0, 1.0);
        assertThat(report.get("slack_sessions").asInt()).isPositive();
        assertThat(report.get("mcp_sessions").asInt()).as("some sessions are agents working through MCP tools").isPositive();
        assertThat(report.get("mcp_calls").asInt()).as(last).isPositive();
        assertThat(report.get("slack_commands").asInt()).as("some sessions claimed and finished through signed Slack commands: " + last)
                .isGreaterThanOrEqualTo(2);
        assertThat(report.get("slack_api_calls").asInt()).as("the coordinator announced in (a stand-in of) Slack").isPositive();
        assertThat(r.exit()).as(last).isZero();
    }
}
