package dev.assemblyline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assemblyline.app.Config;
import dev.assemblyline.app.Wiring;
import dev.assemblyline.mcp.AgentDesk;
import dev.assemblyline.mcp.AssemblyMcp;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code assembly mcp}, the stdio bridge, started from the packaged jar by the official SDK's stdio client
 * (over the process's stdin and stdout) against a live coordinator: the same tools, a ticket claimed
 * through it, a refusal as a tool error; a wrong token or address stops it at once with a sentence.
 */
class McpStdioIT {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String ADMIN = "admin-token-of-the-mcp-stdio-test";

    @TempDir
    Path tmp;
    Wiring server;
    McpSyncClient client;

    @AfterEach
    void stop() {
        if (client != null) {
            client.closeGracefully();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void theBridgeServesTheToolsOverStdioAsTheSessionWhoseTokenItHas() throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("PORT", "0");
        env.put("ASSEMBLY_DATA_DIR", tmp.resolve("data").toString());
        env.put("ASSEMBLY_ADMIN_TOKEN", ADMIN);
        env.put("ASSEMBLY_SESSIONS_FILE", tmp.resolve("sessions.json").toString());
        env.put("ASSEMBLY_TEST_PARALLELISM", "0");
        server = new Wiring(Config.fromEnv(env), Clock.systemUTC(), true);
        String base = "http://127.0.0.1:" + server.port();
        HttpResponse<String> reg = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base + "/api/sessions"))
                .header("Authorization", "Bearer " + ADMIN).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"session_id\":\"agent-s\",\"name\":\"agent-s\",\"capabilities\":[\"builder\"]}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        String token = JSON.readTree(reg.body()).get("token").asText();
        Path work = tmp.resolve("work");
        Tools.ok(tmp, "git", "clone", "-q", Tools.gitUrl(server), work.toString());
        TestRepos.commitAndPush(work, "SERVICES/pay/SPEC.md", TestRepos.completeSpec(), "main");

        // a wrong token or a wrong address: one sentence on stderr, exit 2, before any MCP
        Tools.Result wrong = Tools.run(tmp, List.of("java", "-jar", JarIT.jar(), "mcp", "--server", base, "--token", "not-a-token"));
        assertThat(wrong.exit()).isEqualTo(2);
        assertThat(wrong.err()).contains("does not know this token");
        Tools.Result nowhere = Tools.run(tmp, List.of("java", "-jar", JarIT.jar(), "mcp", "--server", "http://127.0.0.1:1", "--token", token));
        assertThat(nowhere.exit()).isEqualTo(2);
        assertThat(nowhere.err()).contains("cannot reach the coordinator");

        // the token through the environment, as docs/agents.md shows (not in the process list)
        ServerParameters params = ServerParameters.builder("java").args("-jar", JarIT.jar(), "mcp", "--server", base)
                .addEnvVar("ASSEMBLY_TOKEN", token).build();
        client = McpClient.sync(new StdioClientTransport(params, AssemblyMcp.JSON)).requestTimeout(Duration.ofSeconds(60)).build();
        client.initialize();
        assertThat(client.listTools().tools()).extracting(McpSchema.Tool::name).containsExactlyElementsOf(AgentDesk.TOOLS);

        await().atMost(Duration.ofSeconds(30)).until(() -> structured(call("assembly_next", Map.of())).get("ticket") instanceof Number);
        McpSchema.CallToolResult next = call("assembly_next", Map.of());
        long ticket = ((Number) structured(next).get("ticket")).longValue();
        assertThat(text(next)).contains("#" + ticket).contains("build for pay");
        McpSchema.CallToolResult claim = call("assembly_claim", Map.of("ticket", ticket));
        assertThat(claim.isError()).as(text(claim)).isFalse();
        McpSchema.CallToolResult again = call("assembly_claim", Map.of("ticket", ticket + 100));
        assertThat(again.isError()).isTrue();
        assertThat(text(call("assembly_status", Map.of("service", "pay")))).startsWith("pay: BUILD_IN_PROGRESS");
        McpSchema.ReadResourceResult spec = client.readResource(new McpSchema.ReadResourceRequest("assembly://services/pay/spec"));
        assertThat(((McpSchema.TextResourceContents) spec.contents().get(0)).text()).isEqualTo(TestRepos.completeSpec());
        McpSchema.CallToolResult release = call("assembly_release", Map.of("ticket", ticket));
        assertThat(release.isError()).as(text(release)).isFalse();
    }

    McpSchema.CallToolResult call(String tool, Map<String, Object> args) {
        return client.callTool(new McpSchema.CallToolRequest(tool, args));
    }

    static String text(McpSchema.CallToolResult r) {
        return ((McpSchema.TextContent) r.content().get(0)).text();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> structured(McpSchema.CallToolResult r) {
        return (Map<String, Object>) r.structuredContent();
    }
}
