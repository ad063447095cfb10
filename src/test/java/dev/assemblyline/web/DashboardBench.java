package dev.assemblyline.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard's figures, measured in Debian's chromium against a running coordinator (bench/dashboard.sh
 * starts one and runs this): the first load of the pipeline page with N services (time until the board
 * is drawn and bytes over the wire, each in a fresh browser with an empty cache), and how long a change
 * takes to reach an open page (a claim answered by the API until the page has applied the moved card).
 * Prints one JSON line. Not a test: a benchmark, run by hand; see BENCHMARKS.md.
 */
public final class DashboardBench {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private DashboardBench() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = new LinkedHashMap<>(Map.of("--url", "http://localhost:8900", "--services", "1000", "--loads", "10",
                "--changes", "30"));
        for (int i = 0; i + 1 < args.length; i += 2) {
            a.put(args[i], args[i + 1]);
        }
        String url = a.get("--url");
        String token = a.getOrDefault("--token", System.getenv("ASSEMBLY_ADMIN_TOKEN"));
        if (token == null) {
            throw new IllegalArgumentException("the admin token: --token or ASSEMBLY_ADMIN_TOKEN");
        }
        int services = Integer.parseInt(a.get("--services"));
        int loads = Integer.parseInt(a.get("--loads"));
        int changes = Integer.parseInt(a.get("--changes"));
        Path work = Files.createTempDirectory("dashboard-bench-");

        // the pipeline: N services, and `changes` more whose build tickets the bench's session will claim
        Path repo = work.resolve("mono");
        run(work, "python3", "bench/gen-monorepo.py", "--services", Integer.toString(services), "--out", repo.toString());
        for (int i = 0; i < changes; i++) {
            Path spec = repo.resolve(String.format("SERVICES/lat-%02d/SPEC.md", i));
            Files.createDirectories(spec.getParent());
            Files.copy(Path.of("templates/SPEC.example.md"), spec);
        }
        run(repo, "git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid", "add", ".");
        run(repo, "git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid", "commit", "-qm", "latency services");
        String basic = Base64.getEncoder().encodeToString(("admin:" + token).getBytes(StandardCharsets.UTF_8));
        String session = "bench-" + System.currentTimeMillis();
        String sessionToken = JSON.readTree(send("POST", url + "/api/sessions", token, JSON.writeValueAsString(Map.of("session_id", session,
                "name", session, "capabilities", List.of("builder"), "wip_limit", 100)))).get("token").asText();
        run(repo, "git", "-c", "http.extraHeader=Authorization: Basic " + basic, "push", "-q", "-f", url + "/git/services.git", "main");
        Map<String, Long> tickets = new LinkedHashMap<>();
        org.awaitility.Awaitility.await("the latency services' build tickets offered to " + session).atMost(java.time.Duration.ofSeconds(180))
                .pollInterval(java.time.Duration.ofMillis(200)).until(() -> {
                    for (JsonNode t : JSON.readTree(send("GET", url + "/api/tickets?assignee=" + session + "&state=offered", token, null))) {
                        if (t.get("service").asText().startsWith("lat-") && t.get("kind").asText().equals("build")) {
                            tickets.put(t.get("service").asText(), t.get("id").asLong());
                        }
                    }
                    return tickets.size() >= changes;
                });
        int onBoard = JSON.readTree(send("GET", url + "/api/services", token, null)).size();

        List<Double> readyMs = new ArrayList<>();
        List<Long> bytes = new ArrayList<>();
        List<Long> decoded = new ArrayList<>();
        for (int i = -1; i < loads; i++) { // the first load warms the server up and is not counted
            ChromeDriver d = Browser.open(work.resolve("profile-" + i), 1440, 1000);
            try {
                d.executeCdpCommand("Network.enable", Map.of());
                d.executeCdpCommand("Network.setCacheDisabled", Map.of("cacheDisabled", true));
                d.get(url + "/");
                new WebDriverWait(d, java.time.Duration.ofSeconds(30)).until(x -> Boolean.TRUE.equals(js(d, "return window.__assembly && window.__assembly.ready")));
                double ready = ((Number) js(d, "return window.__assembly.readyAt")).doubleValue();
                @SuppressWarnings("unchecked")
                Map<String, Object> size = (Map<String, Object>) js(d, "const all = [performance.getEntriesByType('navigation')[0],"
                        + " ...performance.getEntriesByType('resource')];"
                        + " return {transfer: all.reduce((a, e) => a + (e.transferSize || 0), 0), decoded: all.reduce((a, e) => a + (e.decodedBodySize || 0), 0)};");
                if (i >= 0) {
                    readyMs.add(ready);
                    bytes.add(((Number) size.get("transfer")).longValue());
                    decoded.add(((Number) size.get("decoded")).longValue());
                }
            } finally {
                d.quit();
            }
        }

        // a change reaching an open page: from just before the claim is sent until the page applied the card
        List<Long> firstUpdate = new ArrayList<>();
        List<Long> moved = new ArrayList<>();
        ChromeDriver d = Browser.open(work.resolve("profile-live"), 1440, 1000);
        try {
            d.get(url + "/?name=lat-");
            new WebDriverWait(d, java.time.Duration.ofSeconds(30)).until(x -> Boolean.TRUE.equals(js(d, "return window.__assembly && window.__assembly.ready")));
            new WebDriverWait(d, java.time.Duration.ofSeconds(10)).until(x -> "live".equals(js(d, "return document.getElementById('live').textContent")));
            for (Map.Entry<String, Long> t : tickets.entrySet()) {
                long t0 = System.currentTimeMillis();
                String answer = send("POST", url + "/api/tickets/" + t.getValue() + "/claim", sessionToken, "{}");
                if (!answer.contains("\"message\"")) {
                    throw new IllegalStateException("claim of #" + t.getValue() + ": " + answer);
                }
                String service = t.getKey();
                Object at = new WebDriverWait(d, java.time.Duration.ofSeconds(10)).until(x -> js(d,
                        "const e = window.__assembly.applied.find(a => a.service === arguments[0] && a.phase === 'BUILD_IN_PROGRESS');"
                                + " return e ? e.at : null;", service));
                Object first = js(d, "const e = window.__assembly.applied.find(a => a.service === arguments[0] && a.at >= arguments[1]);"
                        + " return e ? e.at : null;", service, t0);
                moved.add(((Number) at).longValue() - t0);
                firstUpdate.add(((Number) first).longValue() - t0);
                // no pause: the next claim follows the card's move at once, so it lands inside the feed's 250 ms
                // gathering window (the slower case of the two)
            }
        } finally {
            d.quit();
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("services_on_board", onBoard);
        out.put("first_load_ready_ms_median", median(readyMs));
        out.put("first_load_ready_ms_max", readyMs.stream().mapToDouble(x -> x).max().orElse(0));
        out.put("first_load_bytes_median", median(bytes.stream().map(Long::doubleValue).toList()));
        out.put("first_load_decoded_bytes_median", median(decoded.stream().map(Long::doubleValue).toList()));
        out.put("loads", loads);
        out.put("change_first_update_ms_median", median(firstUpdate.stream().map(Long::doubleValue).toList()));
        out.put("change_moved_ms_median", median(moved.stream().map(Long::doubleValue).toList()));
        out.put("change_moved_ms_p90", percentile(moved.stream().map(Long::doubleValue).toList(), 90));
        out.put("change_moved_ms_max", moved.stream().mapToLong(x -> x).max().orElse(0));
        out.put("changes", moved.size());
        System.out.println(JSON.writeValueAsString(out));
    }

    static Object js(ChromeDriver d, String script, Object... args) {
        return ((JavascriptExecutor) d).executeScript(script, args);
    }

    static double median(List<Double> v) {
        return percentile(v, 50);
    }

    static double percentile(List<Double> v, int p) {
        List<Double> s = new ArrayList<>(v);
        s.sort(null);
        return s.isEmpty() ? 0 : s.get(Math.max(0, (int) Math.ceil(p / 100.0 * s.size()) - 1));
    }

    static String send(String method, String url, String bearer, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + bearer)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    static void run(Path dir, String... command) throws Exception {
        Process p = new ProcessBuilder(command).directory(command[0].equals("python3") ? null : dir.toFile()).inheritIO().start();
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed");
        }
    }
}
