package dev.assemblyline.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assemblyline.TestRepos;
import dev.assemblyline.Tools;
import dev.assemblyline.app.Config;
import dev.assemblyline.app.Wiring;
import java.net.ServerSocket;
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
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real browser (Debian's chromium through chromium-driver) against a real coordinator:
 * real git pushes, the embedded H2, the live stream. Screenshots land in target/screenshots/.
 */
class DashboardBrowserTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    static final String ADMIN = "admin-token-of-the-dashboard-test";

    @TempDir
    Path tmp;
    Wiring server;
    ChromeDriver browser;

    @AfterEach
    void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (server != null) {
            server.close();
        }
    }

    Wiring start(int port, Map<String, String> extra) {
        Map<String, String> env = new HashMap<>();
        env.put("PORT", Integer.toString(port));
        env.put("ASSEMBLY_DATA_DIR", tmp.resolve("data").toString());
        env.put("ASSEMBLY_ADMIN_TOKEN", ADMIN);
        env.put("ASSEMBLY_SESSIONS_FILE", tmp.resolve("sessions.json").toString());
        env.putAll(extra);
        return new Wiring(Config.fromEnv(env), Clock.systemUTC(), true);
    }

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    String base() {
        return "http://127.0.0.1:" + server.port();
    }

    HttpResponse<String> http(String method, String path, String bearer, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (bearer != null) {
            b.header("Authorization", "Bearer " + bearer);
        }
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Registers a session; returns its token. */
    String register(String id, List<String> capabilities, int wip) throws Exception {
        HttpResponse<String> r = http("POST", "/api/sessions", ADMIN, JSON.writeValueAsString(Map.of("session_id", id, "name", id,
                "capabilities", capabilities, "wip_limit", wip)));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body()).get("token").asText();
    }

    JsonNode openTicket(String service) throws Exception {
        JsonNode all = JSON.readTree(http("GET", "/api/tickets?service=" + service, ADMIN, null).body());
        for (JsonNode t : all) {
            if (List.of("queued", "offered", "claimed").contains(t.get("state").asText())) {
                return t;
            }
        }
        return null;
    }

    Object js(String script, Object... args) {
        return ((JavascriptExecutor) browser).executeScript(script, args);
    }

    /** Waits for the page; on a timeout says what the page and the server showed. */
    WebDriverWait waitUp(int seconds) {
        WebDriverWait w = new WebDriverWait(browser, Duration.ofSeconds(seconds)) {
            @Override
            protected RuntimeException timeoutException(String message, Throwable lastException) {
                String page;
                try {
                    page = String.valueOf(js("return document.getElementById('live') ? document.getElementById('live').textContent + ' '"
                            + " + JSON.stringify(window.__assembly.applied.slice(-5)) : document.title"));
                } catch (RuntimeException e) {
                    page = "(no page: " + e.getMessage() + ")";
                }
                String board;
                try {
                    board = server == null ? "(no server)" : http("GET", "/api/services", ADMIN, null).body();
                } catch (Exception e) {
                    board = "(" + e + ")";
                }
                return super.timeoutException(message + "\npage: " + page + "\nserver: " + board, lastException);
            }
        };
        w.pollingEvery(Duration.ofMillis(50));
        return w;
    }

    void openPage(String path) {
        browser.get(base() + path);
        waitUp(15).until(d -> Boolean.TRUE.equals(js("return window.__assembly && window.__assembly.ready")));
    }

    String cardAttr(String service, String attr) {
        Object v = js("const c = document.querySelector('.card[data-service=\"' + arguments[0] + '\"]');"
                + " return c ? c.closest('section').dataset.column + '|' + c.getAttribute(arguments[1]) : null;", service, attr);
        return v == null ? null : v.toString();
    }

    @Test
    void aPushedSpecAppearsUnderBuildAndMovesOnAClaimWithoutAReloadAndTheStreamComesBackAfterARestart() throws Exception {
        int port = freePort();
        server = start(port, Map.of());
        String token = register("builder-1", List.of("builder"), 3);
        browser = Browser.open(tmp.resolve("profile"), 1400, 1000);
        openPage("/");
        js("window.__marker = 'the same page'");
        waitUp(10).until(d -> "live".equals(d.findElement(By.id("live")).getText()));

        Path work = tmp.resolve("work");
        Tools.ok(tmp, "git", "clone", "-q", Tools.gitUrl(server), work.toString());
        TestRepos.commitAndPush(work, "SERVICES/hello/SPEC.md", TestRepos.completeSpec(), "main");
        waitUp(10).until(d -> "BUILD|READY_FOR_BUILD".equals(cardAttr("hello", "data-phase")));
        waitUp(10).until(d -> "BUILD|builder-1".equals(cardAttr("hello", "data-holder")));

        long ticket = openTicket("hello").get("id").asLong();
        assertThat(http("POST", "/api/tickets/" + ticket + "/claim", token, "{}").statusCode()).isEqualTo(200);
        waitUp(10).until(d -> "BUILD|BUILD_IN_PROGRESS".equals(cardAttr("hello", "data-phase")));
        assertThat(js("return window.__marker")).as("the card moved without a reload").isEqualTo("the same page");

        // the server goes away and comes back on the same port and data: the page reconnects by itself
        server.close();
        server = null;
        waitUp(10).until(d -> !"live".equals(d.findElement(By.id("live")).getText()));
        server = start(port, Map.of());
        waitUp(20).until(d -> "live".equals(d.findElement(By.id("live")).getText()));
        assertThat(((Number) js("return window.__assembly.connected")).intValue()).isGreaterThanOrEqualTo(2);
        assertThat(http("POST", "/api/tickets/" + ticket + "/progress", token, "{\"percent\": 45, \"note\": \"half way\"}").statusCode())
                .isEqualTo(200);
        waitUp(10).until(d -> d.findElement(By.cssSelector(".card[data-service='hello'] .progress")).getText().equals("45%"));
        assertThat(js("return window.__marker")).isEqualTo("the same page");
    }

    @Test
    void aSessionSignedInOnThePageClaimsAndFinishesItsTicket() throws Exception {
        server = start(0, Map.of());
        String token = register("builder-1", List.of("builder"), 2);
        Path work = tmp.resolve("work");
        Tools.ok(tmp, "git", "clone", "-q", Tools.gitUrl(server), work.toString());
        TestRepos.commitAndPush(work, "SERVICES/world/SPEC.md", TestRepos.completeSpec(), "main");
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            JsonNode t = openTicket("world");
            return t != null && "offered".equals(t.get("state").asText());
        });
        long ticket = openTicket("world").get("id").asLong();

        browser = Browser.open(tmp.resolve("profile"), 1400, 1000);
        browser.get(base() + "/signin?next=/");
        browser.findElement(By.id("token")).sendKeys("wrong-token");
        browser.findElement(By.cssSelector("form button[type=submit]")).click();
        waitUp(10).until(d -> d.findElement(By.id("signin-error")).isDisplayed());
        browser.findElement(By.id("token")).sendKeys(token);
        browser.findElement(By.cssSelector("form button[type=submit]")).click();
        waitUp(15).until(d -> Boolean.TRUE.equals(js("return window.__assembly && window.__assembly.ready")));
        assertThat(browser.findElement(By.id("who")).getText()).contains("signed in as builder-1");

        waitUp(10).ignoring(org.openqa.selenium.StaleElementReferenceException.class).until(d -> {
            WebElement claim = d.findElement(By.cssSelector(".card[data-service='world'] .actions button"));
            assertThat(claim.getText()).isEqualTo("Claim");
            claim.click();
            return true;
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> "claimed".equals(JSON.readTree(http("GET", "/api/tickets/" + ticket, ADMIN, null)
                .body()).get("state").asText()));
        assertThat(JSON.readTree(http("GET", "/api/tickets/" + ticket, ADMIN, null).body()).get("assignee").asText()).isEqualTo("builder-1");
        waitUp(10).until(d -> "BUILD|BUILD_IN_PROGRESS".equals(cardAttr("world", "data-phase")));

        // the panel is redrawn as changes arrive: find the button and click it in one step, again if it was replaced
        waitUp(10).ignoring(org.openqa.selenium.StaleElementReferenceException.class).until(d -> {
            WebElement done = d.findElements(By.cssSelector("#mine [data-ticket='" + ticket + "'] button")).stream()
                    .filter(b -> b.getText().equals("Done")).findFirst().orElse(null);
            if (done == null) {
                return false;
            }
            done.click();
            return true;
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> "done".equals(JSON.readTree(http("GET", "/api/tickets/" + ticket, ADMIN, null)
                .body()).get("state").asText()));
        waitUp(10).until(d -> d.findElement(By.id("toast")).getText().contains("done"));
    }

    @Test
    void theDashboardTokenPutsEveryPageBehindASignInAndItsViewerOnlyReads() throws Exception {
        String dash = "dashboard-token-of-the-test";
        server = start(0, Map.of("ASSEMBLY_DASHBOARD_TOKEN", dash));
        register("builder-1", List.of("builder"), 2);
        Path work = tmp.resolve("work");
        Tools.ok(tmp, "git", "clone", "-q", Tools.gitUrl(server), work.toString());
        TestRepos.commitAndPush(work, "SERVICES/quiet/SPEC.md", TestRepos.completeSpec(), "main");

        for (String page : List.of("/", "/sessions", "/services/quiet")) {
            HttpResponse<String> r = http("GET", page, null, null);
            assertThat(r.statusCode()).as(page).isEqualTo(303);
            assertThat(r.headers().firstValue("Location").orElse("")).startsWith("/signin?next=");
        }
        for (String api : List.of("/api/board", "/api/metrics/flow", "/api/dashboard/sessions", "/api/stream", "/api/services")) {
            assertThat(http("GET", api, null, null).statusCode()).as(api).isEqualTo(401);
        }
        assertThat(http("GET", "/api/board", dash, null).statusCode()).isEqualTo(200);
        assertThat(http("GET", "/api/board", "not-a-token", null).statusCode()).isEqualTo(401);
        assertThat(http("GET", "/assets/app.js", null, null).statusCode()).isEqualTo(200);

        browser = Browser.open(tmp.resolve("profile"), 1400, 1000);
        browser.get(base() + "/sessions");
        waitUp(10).until(d -> d.getCurrentUrl().contains("/signin"));
        browser.findElement(By.id("token")).sendKeys(dash);
        browser.findElement(By.cssSelector("form button[type=submit]")).click();
        waitUp(15).until(d -> Boolean.TRUE.equals(js("return window.__assembly && window.__assembly.ready")));
        assertThat(browser.getCurrentUrl()).endsWith("/sessions");
        assertThat(browser.findElement(By.id("who")).getText()).contains("read-only");
        browser.get(base() + "/");
        waitUp(15).until(d -> Boolean.TRUE.equals(js("return window.__assembly && window.__assembly.ready")));
        waitUp(10).until(d -> cardAttr("quiet", "data-phase") != null);
        assertThat(browser.findElements(By.cssSelector(".card .actions button"))).as("a viewer who is not a session only reads").isEmpty();
    }

    @Test
    void markupFromTheRepositoryIsShownAsTextAndNeverRuns() throws Exception {
        server = start(0, Map.of());
        String spec = TestRepos.completeSpec() + "\n<script>window.__pwned = 1</script>\n\n<img src=x onerror=\"window.__pwned = 2\">\n\n"
                + "[click me](javascript:window.__pwned=3)\n";
        Path work = tmp.resolve("work");
        Tools.ok(tmp, "git", "clone", "-q", Tools.gitUrl(server), work.toString());
        TestRepos.commitAndPush(work, "SERVICES/evil/SPEC.md", spec, "main");
        await().atMost(Duration.ofSeconds(10)).until(() -> http("GET", "/api/services/evil", null, null).statusCode() == 200);

        browser = Browser.open(tmp.resolve("profile"), 1400, 1000);
        openPage("/services/evil");
        WebElement shown = browser.findElement(By.id("spec"));
        assertThat(shown.getText()).contains("<script>window.__pwned = 1</script>").contains("<img src=x");
        assertThat(shown.findElements(By.tagName("script"))).isEmpty();
        assertThat(shown.findElements(By.tagName("img"))).isEmpty();
        for (WebElement a : shown.findElements(By.tagName("a"))) {
            assertThat(String.valueOf(a.getAttribute("href"))).doesNotStartWith("javascript:");
        }
        assertThat(js("return window.__pwned")).isNull();
        assertThat(browser.findElement(By.tagName("h1")).getText()).startsWith("evil");
    }

    @Test
    void screenshotsOfAPipelineInAllFourColumnsAServiceAndTheSessions() throws Exception {
        server = start(0, Map.of());
        String builder = register("builder-1", List.of("builder"), 2);
        register("builder-2", List.of("builder"), 1);
        register("architect-1", List.of("architect"), 2);
        register("tester-1", List.of("tester"), 2);
        register("devops-1", List.of("devops"), 2);
        Path repo = tmp.resolve("repo");
        Tools.ok(tmp, "python3", Tools.projectDir().resolve("bench/gen-monorepo.py").toString(), "--services", "16", "--out", repo.toString(),
                "--seed", "7");
        Tools.ok(repo, "git", "push", "-q", Tools.gitUrl(server), "HEAD:main");
        await().atMost(Duration.ofSeconds(20)).until(() -> JSON.readTree(http("GET", "/api/services", null, null).body()).size() >= 16);
        JsonNode build = null;
        for (JsonNode s : JSON.readTree(http("GET", "/api/services", null, null).body())) {
            JsonNode t = openTicket(s.get("service").asText());
            if (t != null && "build".equals(t.get("kind").asText()) && "builder-1".equals(t.path("assignee").asText())) {
                build = t;
            }
        }
        if (build != null) {
            http("POST", "/api/tickets/" + build.get("id").asLong() + "/claim", builder, "{}");
            http("POST", "/api/tickets/" + build.get("id").asLong() + "/progress", builder, "{\"percent\": 45}");
        }

        browser = Browser.open(tmp.resolve("profile"), 1440, 1800);
        openPage("/");
        waitUp(10).until(d -> ((Number) js("return document.querySelectorAll('.card').length")).intValue() >= 16);
        for (String column : List.of("SPECS", "BUILD", "TEST", "PRODUCTION")) {
            assertThat(browser.findElements(By.cssSelector("#col-" + column + " .card"))).as(column).isNotEmpty();
        }
        assertThat(browser.findElements(By.cssSelector("#metrics svg"))).hasSize(2);
        assertThat(browser.findElements(By.cssSelector(".card.stuck"))).isNotEmpty();
        // the why sentence shows on keyboard focus
        WebElement stuck = browser.findElement(By.cssSelector(".card.stuck"));
        js("arguments[0].focus()", stuck);
        assertThat(stuck.findElement(By.cssSelector(".why")).isDisplayed()).isTrue();
        assertThat(stuck.findElement(By.cssSelector(".why")).getText()).contains(" since ");
        Browser.screenshot(browser, "pipeline");
        Browser.dark(browser, true);
        Browser.screenshot(browser, "pipeline-dark");
        Browser.dark(browser, false);

        String service = build != null ? build.get("service").asText() : "svc-00003-billing";
        openPage("/services/" + service);
        assertThat(browser.findElement(By.id("spec")).getText()).isNotBlank();
        Browser.screenshot(browser, "service");
        openPage("/sessions");
        assertThat(browser.findElements(By.cssSelector("main table tbody tr"))).hasSize(5);
        Browser.screenshot(browser, "sessions");

        browser.manage().window().setSize(new org.openqa.selenium.Dimension(390, 1800));
        openPage("/");
        assertThat(((Number) js("return document.documentElement.scrollWidth")).intValue()).as("no sideways scrolling on a phone")
                .isLessThanOrEqualTo(400);
        Browser.screenshot(browser, "pipeline-phone");
    }
}
