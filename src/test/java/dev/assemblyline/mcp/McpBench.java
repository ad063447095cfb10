package dev.assemblyline.mcp;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assemblyline.TestRepos;
import dev.assemblyline.Tools;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A tool call over MCP (streamable HTTP, the SDK's client) against the same action over REST, on a running
 * coordinator: {@code assembly_progress} and {@code POST /api/tickets/{id}/progress} on one claimed ticket,
 * alternated, after a warm-up. Prints one JSON line: medians, p99s and their ratios. Run by bench/mcp.sh.
 */
public final class McpBench {
    private McpBench() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        String url = a.get("url");
        String admin = a.get("token");
        int calls = Integer.parseInt(a.getOrDefault("calls", "2000"));
        ObjectMapper json = new ObjectMapper();
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> reg = http.send(HttpRequest.newBuilder(URI.create(url + "/api/sessions")).header("Authorization", "Bearer " + admin)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                        "{\"session_id\":\"bench-agent\",\"name\":\"bench-agent\",\"capabilities\":[\"builder\"],\"wip_limit\":5}")).build(),
                HttpResponse.BodyHandlers.ofString());
        String token = json.readTree(reg.body()).get("token").asText();
        Path work = Files.createTempDirectory("mcp-bench-");
        Tools.ok(work, "git", "clone", "-q", url.replace("://", "://admin:" + admin + "@") + "/git/services.git", "repo");
        TestRepos.commitAndPush(work.resolve("repo"), "SERVICES/bench/SPEC.md", TestRepos.completeSpec(), "main");
        URI offers = URI.create(url + "/api/tickets?assignee=bench-agent&state=offered");
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> json.readTree(http.send(HttpRequest.newBuilder(offers).build(),
                HttpResponse.BodyHandlers.ofString()).body()).size() > 0);
        long ticket = json.readTree(http.send(HttpRequest.newBuilder(offers).build(), HttpResponse.BodyHandlers.ofString()).body())
                .get(0).get("id").asLong();
        http.send(HttpRequest.newBuilder(URI.create(url + "/api/tickets/" + ticket + "/claim")).header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());

        McpSyncClient mcp = McpClient.sync(HttpClientStreamableHttpTransport.builder(url).endpoint("/mcp").jsonMapper(AssemblyMcp.JSON)
                .customizeRequest(b -> b.header("Authorization", "Bearer " + token)).build()).requestTimeout(Duration.ofSeconds(30)).build();
        mcp.initialize();
        List<Long> viaMcp = new ArrayList<>();
        List<Long> viaRest = new ArrayList<>();
        int warm = Math.min(300, calls / 5);
        for (int i = 0; i < warm + calls; i++) {
            int pct = i % 100;
            long t0 = System.nanoTime();
            McpSchema.CallToolResult r = mcp.callTool(new McpSchema.CallToolRequest("assembly_progress", Map.of("ticket", ticket, "percent", pct,
                    "note", "step " + i)));
            long t1 = System.nanoTime();
            HttpResponse<String> rest = http.send(HttpRequest.newBuilder(URI.create(url + "/api/tickets/" + ticket + "/progress"))
                    .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"percent\":" + pct + ",\"note\":\"step " + i + "\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            long t2 = System.nanoTime();
            if (Boolean.TRUE.equals(r.isError()) || rest.statusCode() != 200) {
                throw new IllegalStateException("a progress report failed: " + r.content() + " / " + rest.statusCode() + " " + rest.body());
            }
            if (i >= warm) {
                viaMcp.add(t1 - t0);
                viaRest.add(t2 - t1);
            }
        }
        mcp.closeGracefully();
        Collections.sort(viaMcp);
        Collections.sort(viaRest);
        double mMed = ms(viaMcp, 0.5);
        double rMed = ms(viaRest, 0.5);
        double mP99 = ms(viaMcp, 0.99);
        double rP99 = ms(viaRest, 0.99);
        System.out.println(json.writeValueAsString(Map.of("calls", calls, "mcp_median_ms", mMed, "rest_median_ms", rMed, "mcp_p99_ms", mP99,
                "rest_p99_ms", rP99, "median_ratio", Math.round(mMed / rMed * 100) / 100.0, "p99_ratio", Math.round(mP99 / rP99 * 100) / 100.0)));
    }

    private static double ms(List<Long> sorted, double q) {
        long v = sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(q * sorted.size()) - 1));
        return Math.round(v / 10_000.0) / 100.0;
    }
}
