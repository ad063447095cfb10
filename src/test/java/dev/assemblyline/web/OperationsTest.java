package dev.assemblyline.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.assemblyline.TestRepos;
import dev.assemblyline.Tools;
import dev.assemblyline.app.Config;
import dev.assemblyline.app.Wiring;
import dev.assemblyline.model.Ticket;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Deploy command, then health checks against a real HTTP server on loopback that goes down and comes back. */
class OperationsTest {
    static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    Path tmp;
    Wiring server;
    HttpServer health;
    HttpServer signals;
    final java.util.List<String> heard = new java.util.concurrent.CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (signals != null) {
            signals.stop(0);
        }
        if (health != null) {
            health.stop(0);
        }
    }

    HttpServer healthServer(int port) throws Exception {
        HttpServer h = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        h.createContext("/health", ex -> {
            byte[] ok = "{\"status\":\"ok\"}".getBytes();
            ex.sendResponseHeaders(200, ok.length);
            ex.getResponseBody().write(ok);
            ex.close();
        });
        h.start();
        return h;
    }

    String phase(String name) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                + "/api/services/" + name)).build(), HttpResponse.BodyHandlers.ofString());
        return r.statusCode() == 200 ? JSON.readTree(r.body()).get("phase").asText() : null;
    }

    @Test
    void deployedByItsCommandThenWatchedDownAndBackUp() throws Exception {
        health = healthServer(0);
        int port = health.getAddress().getPort();
        // deploys and restarts run sandboxed: they reach the outside world over the network, not by writing files
        signals = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        signals.createContext("/", ex -> {
            heard.add(ex.getRequestURI().toString());
            ex.sendResponseHeaders(204, -1);
            ex.close();
        });
        signals.start();
        String to = "http://127.0.0.1:" + signals.getAddress().getPort();
        server = new Wiring(Config.fromEnv(Map.of("PORT", "0", "ASSEMBLY_DATA_DIR", tmp.resolve("data").toString(),
                "ASSEMBLY_SESSIONS_FILE", tmp.resolve("none.json").toString(), "ASSEMBLY_HEALTH_INTERVAL", "200ms")), Clock.systemUTC(), true);
        Path work = tmp.resolve("work");
        Tools.ok(tmp, "git", "clone", "-q", Tools.gitUrl(server), work.toString());
        TestRepos.writePythonService(work, "web");
        Files.writeString(work.resolve("SERVICES/web/BUILD/tests/test_ok.py"), TestRepos.PASSING_TEST);
        TestRepos.writePythonService(work, "broken");
        Files.writeString(work.resolve("SERVICES/broken/BUILD/tests/test_ok.py"), TestRepos.PASSING_TEST);
        TestRepos.commitAndPush(work, "assembly.yml", "services:\n"
                + "  web:\n    deploy: curl -fsS \"" + to + "/deployed?files=$(ls BUILD | tr '\\n' ,)\"\n    restart: curl -fsS " + to + "/restarted\n"
                + "    health: http://127.0.0.1:" + port + "/health\n"
                + "  broken:\n    deploy: exit 3\n", "main");

        await().atMost(Duration.ofSeconds(40)).until(() -> "PRODUCTION".equals(phase("web")));
        assertThat(heard).as("the deploy ran on the service's tree").anyMatch(u -> u.startsWith("/deployed") && u.contains("Dockerfile"));
        await().atMost(Duration.ofSeconds(10)).until(() -> server.desk.tickets().openTickets("broken").stream()
                .anyMatch(t -> t.kind() == Ticket.Kind.DEPLOY));
        assertThat(phase("broken")).isEqualTo("READY_FOR_DEPLOY");
        assertThat(server.desk.tickets().openTickets("web")).as("a deploy command means no deploy ticket")
                .noneMatch(t -> t.kind() == Ticket.Kind.DEPLOY);

        health.stop(0);
        await().atMost(Duration.ofSeconds(15)).until(() -> "UNHEALTHY".equals(phase("web")));
        await().atMost(Duration.ofSeconds(10)).until(() -> heard.contains("/restarted"));
        await().atMost(Duration.ofSeconds(10)).until(() -> server.desk.tickets().openTickets("web").stream()
                .anyMatch(t -> t.kind() == Ticket.Kind.RECOVER));

        health = healthServer(port);
        await().atMost(Duration.ofSeconds(15)).until(() -> "PRODUCTION".equals(phase("web")));
        JsonNode h = JSON.readTree(HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                + "/api/services/web/health")).build(), HttpResponse.BodyHandlers.ofString()).body());
        assertThat(h.get("uptime_24h").asDouble()).isGreaterThan(0).isLessThan(100);
        assertThat(server.store.events(0, "web", 200)).anyMatch(e -> e.kind().equals("health") && e.message().contains("pass again"));
        await("recovered: the recover ticket is superseded").atMost(Duration.ofSeconds(5))
                .until(() -> server.desk.tickets().openTickets("web").isEmpty());
    }

    @Test
    void aHealthHostOutsideTheAllowListIsRefusedAndNothingOfAnAnswerIsKept() throws Exception {
        health = healthServer(0);
        int port = health.getAddress().getPort();
        server = new Wiring(Config.fromEnv(Map.of("PORT", "0", "ASSEMBLY_DATA_DIR", tmp.resolve("data").toString(),
                "ASSEMBLY_SESSIONS_FILE", tmp.resolve("none.json").toString(), "ASSEMBLY_HEALTH_INTERVAL", "200ms",
                "ASSEMBLY_HEALTH_HOSTS", "localhost")), Clock.systemUTC(), true);
        Path work = tmp.resolve("work");
        Tools.ok(tmp, "git", "clone", "-q", Tools.gitUrl(server), work.toString());
        for (String s : List.of("open", "closed")) {
            TestRepos.writePythonService(work, s);
            Files.writeString(work.resolve("SERVICES/" + s + "/BUILD/tests/test_ok.py"), TestRepos.PASSING_TEST);
        }
        TestRepos.commitAndPush(work, "assembly.yml", "services:\n"
                + "  open:\n    deploy: 'true'\n    health: http://localhost:" + port + "/health\n"
                + "  closed:\n    deploy: 'true'\n    health: http://127.0.0.1:" + port + "/health\n", "main");
        await().atMost(Duration.ofSeconds(40)).until(() -> "PRODUCTION".equals(phase("open")) && "UNHEALTHY".equals(phase("closed")));
        String log = server.store.events(0, null, 1000).stream().map(e -> e.service() + ": " + e.message()).toList().toString();
        assertThat(log).contains("closed: the first health check failed: health URL refused: its host is not in ASSEMBLY_HEALTH_HOSTS");
        // PRODUCTION comes with the deploy; the first check is recorded one interval later
        String[] checks = new String[1];
        await("the first health check of 'open' is recorded").atMost(Duration.ofSeconds(10)).until(() -> {
            checks[0] = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                    + "/api/services/open/health")).build(), HttpResponse.BodyHandlers.ofString()).body();
            return !checks[0].contains("\"recent_checks\":[]");
        });
        assertThat(checks[0]).contains("\"recent_checks\":[true").doesNotContain("status\\\":\\\"ok");
        assertThat(log).as("nothing the answer said").doesNotContain("\"status\":\"ok\"");
    }

    @Test
    void aMistakeInAssemblyYmlIsInTheEventLogWithItsKeyAndLine() throws Exception {
        server = new Wiring(Config.fromEnv(Map.of("PORT", "0", "ASSEMBLY_DATA_DIR", tmp.resolve("data").toString(),
                "ASSEMBLY_SESSIONS_FILE", tmp.resolve("none.json").toString())), Clock.systemUTC(), true);
        Path work = tmp.resolve("work");
        Tools.ok(tmp, "git", "clone", "-q", Tools.gitUrl(server), work.toString());
        TestRepos.commitAndPush(work, "assembly.yml", "services:\n  web:\n    deploy: ./deploy.sh\n    helth: http://localhost:1/health\n", "main");
        await().atMost(Duration.ofSeconds(10)).until(() -> server.store.events(0, null, 100).stream().anyMatch(e -> e.kind().equals("config")));
        assertThat(server.store.events(0, null, 100).stream().filter(e -> e.kind().equals("config")).toList()).singleElement()
                .satisfies(e -> assertThat(e.message()).startsWith("assembly.yml line 4: unknown key 'helth' in services.web (known: build_files,")
                        .contains("the whole file is ignored until it is fixed"));
    }
}
