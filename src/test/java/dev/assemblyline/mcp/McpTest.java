package dev.assemblyline.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assemblyline.TestRepos;
import dev.assemblyline.Tools;
import dev.assemblyline.app.Config;
import dev.assemblyline.app.Wiring;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The line as an MCP server, driven by the official SDK's client over streamable HTTP against a live
 * coordinator with its hosted repository: the tools and resources, a build ticket from assembly_next to
 * assembly_done with a real git push in between, two agents racing for one ticket, wrong tokens, the
 * offer notification, and each call counting as a heartbeat.
 */
class McpTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final String ADMIN = "admin-token-of-the-mcp-test";

    @TempDir
    Path tmp;
    Wiring server;
    final List<McpSyncClient> clients = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        clients.forEach(McpSyncClient::closeGracefully);
        if (server != null) {
            server.close();
        }
    }

    void start() {
        Map<String, String> env = new HashMap<>();
        env.put("PORT", "0");
        env.put("ASSEMBLY_DATA_DIR", tmp.resolve("data").toString());
        env.put("ASSEMBLY_ADMIN_TOKEN", ADMIN);
        env.put("ASSEMBLY_SESSIONS_FILE", tmp.resolve("sessions.json").toString());
        env.put("ASSEMBLY_TEST_PARALLELISM", "0"); // build tickets only: no suites run
        server = new Wiring(Config.fromEnv(env), Clock.systemUTC(), true);
    }

    String base() {
        return "http://127.0.0.1:" + server.port();
    }

    String register(String id) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/api/sessions")).header("Authorization", "Bearer " + ADMIN)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(Map.of(
                        "session_id", id, "name", id, "capabilities", List.of("builder"), "wip_limit", 1)))).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode() / 100).as(r.body()).isEqualTo(2);
        return JSON.readTree(r.body()).get("token").asText();
    }

    McpSyncClient client(String token, List<McpSchema.LoggingMessageNotification> notices) {
        HttpClientStreamableHttpTransport transport = HttpClientStreamableHttpTransport.builder(base()).endpoint("/mcp")
                .jsonMapper(AssemblyMcp.JSON)
                .customizeRequest(b -> b.header("Authorization", "Bearer " + token)).build();
        McpSyncClient c = McpClient.sync(transport).requestTimeout(Duration.ofSeconds(30))
                .loggingConsumer(n -> notices.add(n)).build();
        clients.add(c);
        c.initialize();
        return c;
    }

    static McpSchema.CallToolResult call(McpSyncClient c, String tool, Map<String, Object> args) {
        return c.callTool(new McpSchema.CallToolRequest(tool, args));
    }

    static String text(McpSchema.CallToolResult r) {
        return ((McpSchema.TextContent) r.content().get(0)).text();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> data(McpSchema.CallToolResult r) {
        return (Map<String, Object>) r.structuredContent();
    }

    @Test
    void anAgentTakesABuildTicketFromNextToDoneAndTheOtherAgentIsToldWhoHoldsIt() throws Exception {
        start();
        String tokenA = register("agent-a");
        String tokenB = register("agent-b");
        Path work = tmp.resolve("work");
        Tools.ok(tmp, "git", "clone", "-q", Tools.gitUrl(server), work.toString());
        TestRepos.commitAndPush(work, "SERVICES/pay/SPEC.md", TestRepos.completeSpec(), "main");

        List<McpSchema.LoggingMessageNotification> noticesA = new CopyOnWriteArrayList<>();
        McpSyncClient a = client(tokenA, noticesA);
        List<McpSchema.LoggingMessageNotification> noticesB = new CopyOnWriteArrayList<>();
        McpSyncClient b = client(tokenB, noticesB);

        assertThat(a.listTools().tools()).extracting(McpSchema.Tool::name).containsExactlyElementsOf(AgentDesk.TOOLS);
        assertThat(a.listTools().tools()).allSatisfy(t -> {
            assertThat(t.description()).endsWith(".");
            assertThat(t.inputSchema().type()).isEqualTo("object");
        });

        // the build ticket: offered to one of the two builders; that one's assembly_next names it and carries the spec
        await().atMost(Duration.ofSeconds(20)).until(() -> data(call(a, "assembly_next", Map.of())).get("ticket") instanceof Number
                && Boolean.TRUE.equals(data(call(a, "assembly_next", Map.of())).get("offered_to_you"))
                || data(call(b, "assembly_next", Map.of())).get("ticket") instanceof Number
                && Boolean.TRUE.equals(data(call(b, "assembly_next", Map.of())).get("offered_to_you")));
        boolean toA = Boolean.TRUE.equals(data(call(a, "assembly_next", Map.of())).get("offered_to_you"));
        McpSyncClient winner = toA ? a : b;
        McpSyncClient loser = toA ? b : a;
        String winnerId = toA ? "agent-a" : "agent-b";
        String winnerToken = toA ? tokenA : tokenB;
        McpSchema.CallToolResult next = call(winner, "assembly_next", Map.of());
        long ticket = ((Number) data(next).get("ticket")).longValue();
        assertThat(text(next)).contains("#" + ticket).contains("Done means").contains("git push")
                .contains(TestRepos.completeSpec().lines().filter(l -> l.startsWith("## ")).findFirst().orElseThrow());
        assertThat(data(next)).containsEntry("service", "pay").containsEntry("kind", "build");
        assertThat((List<?>) data(next).get("git_steps")).anySatisfy(s -> assertThat(s.toString()).contains(":" + server.port() + "/git/services.git"));
        assertThat((List<?>) data(next).get("git_steps")).as("the hosted repository lands a push to refs/for/main")
                .anySatisfy(s -> assertThat(s.toString()).startsWith("git push origin HEAD:refs/for/main"));

        // one claims; the other's claim is a tool error naming the holder, not a protocol error
        McpSchema.CallToolResult won = call(winner, "assembly_claim", Map.of("ticket", ticket));
        assertThat(won.isError()).as(text(won)).isFalse();
        McpSchema.CallToolResult lost = call(loser, "assembly_claim", Map.of("ticket", ticket));
        assertThat(lost.isError()).isTrue();
        assertThat(text(lost)).contains("already claimed by " + winnerId);
        assertThat(call(loser, "assembly_done", Map.of("ticket", ticket)).isError()).as("not yours").isTrue();
        assertThat(call(winner, "assembly_claim", Map.of("ticket", "not a number")).isError()).isTrue();

        McpSchema.CallToolResult progress = call(winner, "assembly_progress", Map.of("ticket", ticket, "note", "routes written", "percent", 60));
        assertThat(progress.isError()).as(text(progress)).isFalse();

        // the work, pushed with the agent's own credentials, then done: the service moves on
        Path own = tmp.resolve("own");
        Tools.ok(tmp, "git", "clone", "-q", "http://" + winnerId + ":" + winnerToken + "@127.0.0.1:" + server.port() + "/git/services.git",
                own.toString());
        TestRepos.writePythonService(own, "pay");
        TestRepos.commitAndPush(own, "SERVICES/pay/BUILD/tests/test_main.py", TestRepos.PASSING_TEST, "main");
        McpSchema.CallToolResult done = call(winner, "assembly_done", Map.of("ticket", ticket));
        assertThat(done.isError()).as(text(done)).isFalse();
        await().atMost(Duration.ofSeconds(20)).until(() -> !"BUILD_IN_PROGRESS".equals(data(call(winner, "assembly_status",
                Map.of("service", "pay"))).get("phase")) && !"READY_FOR_BUILD".equals(data(call(winner, "assembly_status",
                Map.of("service", "pay"))).get("phase")));
        assertThat(text(call(winner, "assembly_why", Map.of("service", "pay")))).startsWith("pay (");
        assertThat(call(winner, "assembly_why", Map.of("service", "../etc")).isError()).isTrue();

        // resources: the services, and a spec as it is at the head
        McpSchema.ReadResourceResult services = winner.readResource(new McpSchema.ReadResourceRequest("assembly://services"));
        assertThat(((McpSchema.TextResourceContents) services.contents().get(0)).text()).contains("\"pay\"");
        McpSchema.ReadResourceResult spec = winner.readResource(new McpSchema.ReadResourceRequest("assembly://services/pay/spec"));
        assertThat(((McpSchema.TextResourceContents) spec.contents().get(0)).text()).isEqualTo(TestRepos.completeSpec());

        // the coordinator's own rule, before a push
        McpSchema.CallToolResult template = call(winner, "assembly_check_spec", Map.of("text", TestRepos.template()));
        assertThat(data(template).get("complete")).isEqualTo(false);
        assertThat(text(template)).contains("Not complete yet");
        assertThat(data(call(winner, "assembly_check_spec", Map.of("text", TestRepos.completeSpec()))).get("complete")).isEqualTo(true);

        // a second service: its build ticket is offered to a builder, who hears of it on its open stream
        Tools.ok(work, "git", "pull", "-q", "--ff-only", "origin", "main");
        TestRepos.commitAndPush(work, "SERVICES/ship/SPEC.md", TestRepos.completeSpec(), "main");
        await().atMost(Duration.ofSeconds(20)).until(() -> JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(base()
                + "/api/tickets?service=ship&state=offered")).build(), HttpResponse.BodyHandlers.ofString()).body()).size() == 1);
        String offeredTo = JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/api/tickets?service=ship&state=offered")).build(),
                HttpResponse.BodyHandlers.ofString()).body()).get(0).get("assignee").asText();
        List<McpSchema.LoggingMessageNotification> heard = offeredTo.equals("agent-a") ? noticesA : noticesB;
        await().atMost(Duration.ofSeconds(10)).until(() -> heard.stream().anyMatch(n -> n.data().contains("build ship")
                && n.data().contains("offered to you")));

        // every call was a heartbeat
        JsonNode sessions = JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/api/sessions")).build(),
                HttpResponse.BodyHandlers.ofString()).body());
        for (JsonNode s : sessions) {
            assertThat(s.path("last_heartbeat").isNull() || s.path("last_heartbeat").isMissingNode()).as(s.toString()).isFalse();
        }
    }

    @Test
    void noTokenOrAWrongOneGetsNoTools() throws Exception {
        start();
        String init = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
                + "\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}";
        for (String auth : new String[] {null, "Bearer wrong-token", "Basic YWRtaW46eA=="}) {
            HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create(base() + "/mcp")).header("Content-Type", "application/json")
                    .header("Accept", "application/json, text/event-stream").POST(HttpRequest.BodyPublishers.ofString(init));
            if (auth != null) {
                rb.header("Authorization", auth);
            }
            HttpResponse<String> r = HTTP.send(rb.build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(auth + ": " + r.body()).isEqualTo(401);
            assertThat(r.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
        }
        // an MCP session belongs to the token that opened it: another session's token cannot use it
        String tokenA = register("agent-x");
        String tokenB = register("agent-y");
        HttpResponse<String> opened = HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/mcp")).header("Content-Type", "application/json")
                .header("Accept", "application/json, text/event-stream").header("Authorization", "Bearer " + tokenA)
                .POST(HttpRequest.BodyPublishers.ofString(init)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(opened.statusCode()).as(opened.body()).isEqualTo(200);
        String mcpSession = opened.headers().firstValue("Mcp-Session-Id").orElseThrow();
        String list = "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}";
        for (String method : new String[] {"POST", "GET", "DELETE"}) {
            HttpResponse<String> hijack = HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/mcp")).header("Content-Type", "application/json")
                    .header("Accept", "application/json, text/event-stream").header("Authorization", "Bearer " + tokenB)
                    .header("Mcp-Session-Id", mcpSession).method(method, method.equals("POST") ? HttpRequest.BodyPublishers.ofString(list)
                            : HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(hijack.statusCode()).as(method + ": " + hijack.body()).isEqualTo(404);
        }
        // the admin's token is not a session's
        HttpResponse<String> admin = HTTP.send(HttpRequest.newBuilder(URI.create(base() + "/mcp")).header("Content-Type", "application/json")
                .header("Accept", "application/json, text/event-stream").header("Authorization", "Bearer " + ADMIN)
                .POST(HttpRequest.BodyPublishers.ofString(init)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(admin.statusCode()).isEqualTo(401);
        // and the SDK's client cannot even start with a wrong token
        McpSyncClient c = McpClient.sync(HttpClientStreamableHttpTransport.builder(base()).endpoint("/mcp").jsonMapper(AssemblyMcp.JSON)
                .customizeRequest(b -> b.header("Authorization", "Bearer nope")).build()).requestTimeout(Duration.ofSeconds(10)).build();
        clients.add(c);
        org.assertj.core.api.Assertions.assertThatThrownBy(c::initialize);
    }
}
