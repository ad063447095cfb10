package dev.assemblyline;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
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
 * A Slack Web API that keeps what was posted and answers {@code conversations.history} with it, as Slack
 * does, for tests that count announcements across kills of the coordinator. It fails {@code faultPercent}
 * percent of posts, a third each way: 500 before posting, 429 with Retry-After, and 500 after posting (the
 * message is in the channel, the answer says it failed: only the history lookup keeps it from being
 * posted twice).
 */
final class FakeSlack implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    final List<ObjectNode> posted = new ArrayList<>();
    final Map<String, Integer> faultCounts = new TreeMap<>();
    private final Random faults;
    private final int faultPercent;

    FakeSlack(long seed, int faultPercent) throws IOException {
        this.faults = new Random(seed);
        this.faultPercent = faultPercent;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/api/chat.postMessage", this::post);
        server.createContext("/api/conversations.history", ex -> {
            Map<String, String> f = form(ex);
            ArrayNode messages = JSON.createArrayNode();
            synchronized (posted) {
                for (int i = posted.size() - 1; i >= 0 && messages.size() < 50; i--) {
                    if (posted.get(i).get("channel").asText().equals(f.get("channel"))) {
                        messages.add(posted.get(i));
                    }
                }
            }
            answer(ex, 200, Map.of("ok", true, "messages", messages));
        });
        server.createContext("/api/", ex -> {
            form(ex);
            answer(ex, 200, Map.of("ok", true, "channel", "C0FAKE", "ts", "1", "messages", List.of()));
        });
        server.start();
    }

    /** The Web API's base URL, for ASSEMBLY_SLACK_API_URL. */
    String apiUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/api/";
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

    private void post(HttpExchange ex) throws IOException {
        Map<String, String> f = form(ex);
        int roll;
        synchronized (faults) {
            roll = faults.nextInt(100 * 3);
        }
        if (roll < faultPercent) { // 500 before posting: nothing landed
            fault("500 before posting");
            answer(ex, 500, Map.of("ok", false, "error", "internal_error"));
            return;
        }
        if (roll < 2 * faultPercent) {
            fault("429");
            ex.getResponseHeaders().add("Retry-After", "1");
            answer(ex, 429, Map.of("ok", false, "error", "ratelimited"));
            return;
        }
        ObjectNode m = JSON.createObjectNode();
        synchronized (posted) {
            m.put("type", "message").put("ts", "1700000000." + String.format("%06d", posted.size() + 1)).put("text", f.get("text"));
            m.put("channel", f.get("channel"));
            if (f.get("metadata") != null) {
                m.set("metadata", JSON.readTree(f.get("metadata")));
            }
            posted.add(m);
        }
        if (roll < 3 * faultPercent) { // posted, yet the answer says it failed
            fault("500 after posting");
            answer(ex, 500, Map.of("ok", false, "error", "internal_error"));
            return;
        }
        answer(ex, 200, Map.of("ok", true, "channel", f.getOrDefault("channel", ""), "ts", m.get("ts").asText()));
    }

    private void fault(String kind) {
        synchronized (faultCounts) {
            faultCounts.merge(kind, 1, Integer::sum);
        }
    }

    static Map<String, String> form(HttpExchange ex) throws IOException {
        Map<String, String> out = new HashMap<>();
        for (String pair : new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8).split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                out.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8), URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    static void answer(HttpExchange ex, int status, Object body) throws IOException {
        byte[] b = JSON.writeValueAsBytes(body);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
        ex.close();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
