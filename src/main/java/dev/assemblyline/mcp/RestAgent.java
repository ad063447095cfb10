package dev.assemblyline.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/**
 * The agent of {@code assembly mcp}: each tool call and resource read is one request to the coordinator's
 * {@code /api/agent/…} with the session's token, answered by the same {@link AgentDesk} as {@code /mcp}.
 * A coordinator that cannot be reached, or refuses the token, is a tool error saying so.
 */
public final class RestAgent implements AssemblyMcp.Agent {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String server;
    private final String token;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    public RestAgent(String server, String token) {
        this.server = server.replaceAll("/+$", "");
        this.token = token;
    }

    @Override
    public AgentDesk.Reply call(String tool, Map<String, Object> args) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(server + "/api/agent/tools/"
                    + URLEncoder.encode(tool, StandardCharsets.UTF_8))).timeout(Duration.ofSeconds(60))
                    .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(args == null ? Map.of() : args))).build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode body = JSON.readTree(r.body());
            if (r.statusCode() != 200) {
                return AgentDesk.Reply.refused("the coordinator at " + server + " answered " + r.statusCode() + ": "
                        + body.path("error").asText(r.body()));
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> data = body.hasNonNull("data") ? JSON.convertValue(body.get("data"), Map.class) : Map.of();
            return new AgentDesk.Reply(body.path("error").asBoolean(), body.path("text").asText(), data);
        } catch (IOException e) {
            return AgentDesk.Reply.refused("cannot reach the coordinator at " + server + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return AgentDesk.Reply.refused("interrupted");
        }
    }

    @Override
    public AgentDesk.Content read(String uri) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(server + "/api/agent/resources?uri="
                    + URLEncoder.encode(uri, StandardCharsets.UTF_8))).timeout(Duration.ofSeconds(60))
                    .header("Authorization", "Bearer " + token).GET().build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 404) {
                return null;
            }
            JsonNode body = JSON.readTree(r.body());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("the coordinator at " + server + " answered " + r.statusCode() + ": "
                        + body.path("error").asText(r.body()));
            }
            return new AgentDesk.Content(body.path("uri").asText(), body.path("mimeType").asText(), body.path("text").asText());
        } catch (IOException e) {
            throw new IllegalStateException("cannot reach the coordinator at " + server + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
