package dev.assemblyline.slack;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import dev.assemblyline.app.Config;
import dev.assemblyline.app.Wiring;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.java_websocket.WebSocket;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.server.WebSocketServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Socket Mode against a real WebSocket server standing in for Slack's, handed out by apps.connections.open. */
class SocketModeTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;
    WireMockServer api;
    WebSocketServer socket;
    Wiring server;
    final List<String> acks = new CopyOnWriteArrayList<>();
    volatile WebSocket peer;

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        if (socket != null) {
            socket.stop(1000);
        }
        if (api != null) {
            api.stop();
        }
    }

    @Test
    void slashCommandsArriveOverTheSocketAndAreAnsweredInTheirAck() throws Exception {
        socket = new WebSocketServer(new InetSocketAddress("127.0.0.1", 0)) {
            @Override
            public void onOpen(WebSocket conn, ClientHandshake handshake) {
                peer = conn;
                conn.send("{\"type\":\"hello\",\"num_connections\":1}");
            }

            @Override
            public void onClose(WebSocket conn, int code, String reason, boolean remote) {
            }

            @Override
            public void onMessage(WebSocket conn, String message) {
                acks.add(message);
            }

            @Override
            public void onError(WebSocket conn, Exception ex) {
            }

            @Override
            public void onStart() {
            }
        };
        socket.start();
        await().atMost(Duration.ofSeconds(5)).until(() -> socket.getPort() > 0);
        api = new WireMockServer(WireMockConfiguration.options().dynamicPort());
        api.start();
        api.stubFor(post(urlPathEqualTo("/api/apps.connections.open"))
                .willReturn(okJson("{\"ok\":true,\"url\":\"ws://127.0.0.1:" + socket.getPort() + "/link\"}")));
        Files.writeString(tmp.resolve("sessions.json"), "{}");
        server = new Wiring(Config.fromEnv(Map.of("PORT", "0", "ASSEMBLY_DATA_DIR", tmp.resolve("data").toString(),
                "ASSEMBLY_SESSIONS_FILE", tmp.resolve("sessions.json").toString(), "SLACK_APP_TOKEN", "xapp-1-test",
                "ASSEMBLY_SLACK_API_URL", api.baseUrl() + "/api/")), Clock.systemUTC(), true);
        await().atMost(Duration.ofSeconds(15)).until(() -> peer != null);

        peer.send(JSON.writeValueAsString(Map.of("envelope_id", "env-1", "type", "slash_commands", "accepts_response_payload", true,
                "payload", Map.of("command", "/assembly-dev", "text", "join builder", "user_id", "USOCK", "user_name", "sock",
                        "channel_id", "C1", "response_url", "https://hooks.slack.invalid/x"))));
        await().atMost(Duration.ofSeconds(10)).until(() -> !acks.isEmpty());
        JsonNode ack = JSON.readTree(acks.get(0));
        assertThat(ack.get("envelope_id").asText()).isEqualTo("env-1");
        assertThat(ack.get("payload").get("text").asText()).as("another command name, same text, same answer").contains("slack-usock");
        assertThat(server.board.sessionBySlackUser("USOCK")).isPresent();

        peer.send(JSON.writeValueAsString(Map.of("envelope_id", "env-2", "type", "events_api", "payload",
                Map.of("type", "event_callback", "event_id", "EvSock", "event", Map.of("type", "message", "user", "USOCK", "text", "hello",
                        "channel", "C1", "ts", "1.1")))));
        await().atMost(Duration.ofSeconds(10)).until(() -> acks.size() == 2);
        assertThat(JSON.readTree(acks.get(1)).get("envelope_id").asText()).isEqualTo("env-2");
    }
}
