package dev.assemblyline;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import com.github.tomakehurst.wiremock.extension.ResponseDefinitionTransformerV2;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Slack's Web API on WireMock, keeping what was posted and answering {@code conversations.history} with it,
 * as Slack does, for tests that count announcements across kills of the coordinator. The stateful part is
 * a WireMock response transformer. It fails {@code faultPercent} percent of posts, a third each way: 500
 * before posting, 429 with Retry-After, and 500 after posting (the message is in the channel, the answer
 * says it failed: only the history lookup keeps it from being posted twice).
 */
final class FakeSlack implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    private final WireMockServer server;
    final List<ObjectNode> posted = new ArrayList<>();
    final Map<String, Integer> faultCounts = new TreeMap<>();
    private final Random faults;
    private final int faultPercent;

    FakeSlack(long seed, int faultPercent) {
        this.faults = new Random(seed);
        this.faultPercent = faultPercent;
        server = new WireMockServer(WireMockConfiguration.options().bindAddress("127.0.0.1").dynamicPort()
                .extensions(new Channel()));
        server.start();
        server.stubFor(post(urlPathMatching("/api/.*")).willReturn(aResponse().withStatus(200)));
    }

    /** Answers every Web API call from the posted messages (WireMock's journal would only say what was asked). */
    private final class Channel implements ResponseDefinitionTransformerV2 {
        @Override
        public String getName() {
            return "slack-channel";
        }

        @Override
        public ResponseDefinition transform(ServeEvent event) {
            String path = event.getRequest().getUrl();
            int q = path.indexOf('?');
            path = q < 0 ? path : path.substring(0, q);
            Map<String, String> f = form(event.getRequest().getBodyAsString());
            if (path.equals("/api/chat.postMessage")) {
                return postMessage(f);
            }
            if (path.equals("/api/conversations.history")) {
                ArrayNode messages = JSON.createArrayNode();
                synchronized (posted) {
                    for (int i = posted.size() - 1; i >= 0 && messages.size() < 50; i--) {
                        if (posted.get(i).get("channel").asText().equals(f.get("channel"))) {
                            messages.add(posted.get(i));
                        }
                    }
                }
                return answer(200, Map.of("ok", true, "messages", messages));
            }
            return answer(200, Map.of("ok", true, "channel", "C0FAKE", "ts", "1", "messages", List.of()));
        }
    }

    /** The Web API's base URL, for ASSEMBLY_SLACK_API_URL. */
    String apiUrl() {
        return "http://127.0.0.1:" + server.port() + "/api/";
    }

    int postedCount() {
        synchronized (posted) {
            return posted.size();
        }
    }

    /** How many messages name each service, by {@code service}'s first group (e.g. {@code \*(burst-\d+)\* appeared as}). */
    Map<String, Integer> perService(Pattern service) {
        Map<String, Integer> count = new TreeMap<>();
        synchronized (posted) {
            for (ObjectNode m : posted) {
                Matcher x = service.matcher(m.get("text").asText());
                if (x.find()) {
                    count.merge(x.group(1), 1, Integer::sum);
                }
            }
        }
        return count;
    }

    private ResponseDefinition postMessage(Map<String, String> f) {
        int roll;
        synchronized (faults) {
            roll = faults.nextInt(100 * 3);
        }
        if (roll < faultPercent) { // 500 before posting: nothing landed
            fault("500 before posting");
            return answer(500, Map.of("ok", false, "error", "internal_error"));
        }
        if (roll < 2 * faultPercent) {
            fault("429");
            return answer(429, Map.of("ok", false, "error", "ratelimited"), "Retry-After", "1");
        }
        ObjectNode m = JSON.createObjectNode();
        synchronized (posted) {
            m.put("type", "message").put("ts", "1700000000." + String.format("%06d", posted.size() + 1)).put("text", f.get("text"));
            m.put("channel", f.get("channel"));
            if (f.get("metadata") != null) {
                try {
                    m.set("metadata", JSON.readTree(f.get("metadata")));
                } catch (JsonProcessingException e) {
                    throw new UncheckedIOException(e);
                }
            }
            posted.add(m);
        }
        if (roll < 3 * faultPercent) { // posted, yet the answer says it failed
            fault("500 after posting");
            return answer(500, Map.of("ok", false, "error", "internal_error"));
        }
        return answer(200, Map.of("ok", true, "channel", f.getOrDefault("channel", ""), "ts", m.get("ts").asText()));
    }

    private void fault(String kind) {
        synchronized (faultCounts) {
            faultCounts.merge(kind, 1, Integer::sum);
        }
    }

    static Map<String, String> form(String body) {
        Map<String, String> out = new HashMap<>();
        for (String pair : body.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                out.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8), URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    private static ResponseDefinition answer(int status, Object body, String... headers) {
        ResponseDefinitionBuilder r = new ResponseDefinitionBuilder().withStatus(status).withHeader("Content-Type", "application/json");
        for (int i = 0; i + 1 < headers.length; i += 2) {
            r.withHeader(headers[i], headers[i + 1]);
        }
        try {
            return r.withBody(JSON.writeValueAsString(body)).build();
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        server.stop();
    }
}
