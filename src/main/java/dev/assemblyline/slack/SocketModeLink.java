package dev.assemblyline.slack;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.slack.api.Slack;
import com.slack.api.SlackConfig;
import com.slack.api.socket_mode.SocketModeClient;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Socket Mode: commands, buttons and thread replies arrive over a WebSocket opened with the app-level
 * token ({@code xapp-…}), so a coordinator with no public URL works. Every envelope is handed to the
 * same {@link SlackGateway} as HTTP and acknowledged with its {@code envelope_id} (a slash command's ack
 * carries the answer). Connecting happens in the background with retries: Slack being away never stops
 * the coordinator from starting.
 */
public final class SocketModeLink implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SocketModeLink.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final SlackGateway gateway;
    private final String appToken;
    private final String apiUrl;
    private final Thread connector;
    private volatile SocketModeClient client;
    private volatile boolean running = true;

    public SocketModeLink(SlackGateway gateway, String appToken, String apiUrl) {
        this.gateway = gateway;
        this.appToken = appToken;
        this.apiUrl = apiUrl;
        this.connector = new Thread(this::connectLoop, "slack-socket-mode");
        this.connector.setDaemon(true);
    }

    public SocketModeLink start() {
        connector.start();
        return this;
    }

    public boolean connected() {
        return client != null;
    }

    private void connectLoop() {
        long backoff = 1000;
        while (running && client == null) {
            try {
                SlackConfig config = new SlackConfig();
                if (apiUrl != null) {
                    config.setMethodsEndpointUrlPrefix(apiUrl.endsWith("/") ? apiUrl : apiUrl + "/");
                }
                SocketModeClient c = Slack.getInstance(config).socketMode(appToken, SocketModeClient.Backend.JavaWebSocket);
                c.addWebSocketMessageListener(message -> handle(c, message));
                c.setAutoReconnectEnabled(true);
                client = c;
                LOG.info("Slack Socket Mode connected");
            } catch (Exception e) {
                LOG.warn("Slack Socket Mode could not connect ({}); retrying in {} s", e.getMessage(), backoff / 1000);
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException ie) {
                    return;
                }
                backoff = Math.min(60_000, backoff * 2);
            }
        }
    }

    void handle(SocketModeClient c, String message) {
        try {
            JsonNode envelope = JSON.readTree(message);
            String id = envelope.path("envelope_id").asText(null);
            if (id == null) {
                return; // hello, disconnect: the client handles those
            }
            JsonNode payload = envelope.path("payload");
            ObjectNode ack = JSON.createObjectNode().put("envelope_id", id);
            switch (envelope.path("type").asText()) {
                case "events_api" -> gateway.event(payload.toString());
                case "interactive" -> gateway.interaction("payload=" + URLEncoder.encode(payload.toString(), StandardCharsets.UTF_8));
                case "slash_commands" -> {
                    SlackGateway.Answer a = gateway.command(form(payload));
                    if (a.body() != null) {
                        ack.set("payload", JSON.valueToTree(a.body()));
                    }
                }
                default -> LOG.debug("Socket Mode envelope of type {} ignored", envelope.path("type").asText());
            }
            c.sendWebSocketMessage(ack.toString());
        } catch (Exception e) {
            LOG.warn("a Socket Mode message could not be handled: {}", e.getMessage());
        }
    }

    /** A slash command's JSON fields as the form body the HTTP endpoint receives. */
    static String form(JsonNode payload) {
        StringBuilder sb = new StringBuilder();
        for (Iterator<Map.Entry<String, JsonNode>> it = payload.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getValue().isValueNode()) {
                sb.append(sb.length() == 0 ? "" : "&").append(URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)).append('=')
                        .append(URLEncoder.encode(e.getValue().asText(), StandardCharsets.UTF_8));
            }
        }
        return sb.toString();
    }

    @Override
    public void close() {
        running = false;
        connector.interrupt();
        SocketModeClient c = client;
        if (c != null) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.debug("closing Socket Mode: {}", e.getMessage());
            }
        }
    }
}
