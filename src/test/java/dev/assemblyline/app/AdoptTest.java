package dev.assemblyline.app;

import static dev.assemblyline.app.CommandLineTest.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assemblyline.TestRepos;
import dev.assemblyline.Tools;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Adopting a repository that is not laid out the coordinator's way (docs/layouts.md): `assembly init`
 * on a polyglot monorepo, `scan` with what it wrote, a coordinator following it; and `assembly new`.
 */
class AdoptTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    /** The phase each service of {@link #polyglot} must have under the proposed layout, with no test run yet. */
    static final Map<String, String> EXPECTED = new LinkedHashMap<>();

    static {
        EXPECTED.put("cs-payments", "TESTING");
        EXPECTED.put("cs-plain", "NEEDS_SPEC");
        EXPECTED.put("go-ledger", "NEEDS_SPEC");
        EXPECTED.put("go-notests", "NEEDS_TESTS");
        EXPECTED.put("java-orders", "PRODUCTION");
        EXPECTED.put("java-plain", "NEEDS_SPEC");
        EXPECTED.put("node-plain", "NEEDS_SPEC");
        EXPECTED.put("node-web", "SPEC_INCOMPLETE");
        EXPECTED.put("py-billing", "TESTING");
        EXPECTED.put("py-plain", "NEEDS_SPEC");
    }

    static void write(Path root, String path, String content) throws Exception {
        Files.createDirectories(root.resolve(path).getParent());
        Files.writeString(root.resolve(path), content);
    }

    /** Services under src/ in Go, Python, Java, Node and C#, with and without tests, as teams lay them out; committed with git. */
    static Path polyglot(Path tmp) throws Exception {
        Path w = tmp.resolve("mono");
        Files.createDirectories(w);
        Tools.ok(w, "git", "init", "-q", "-b", "main");
        String spec = TestRepos.completeSpec();
        write(w, "README.md", "# mono\n");
        write(w, "assembly.yml", "coverage_min: 0\n");
        write(w, "src/go-ledger/go.mod", "module ledger\n");
        write(w, "src/go-ledger/main.go", "package main\n");
        write(w, "src/go-ledger/internal/ledger_test.go", "package internal\n");
        write(w, "src/go-notests/go.mod", "module notests\n");
        write(w, "src/go-notests/main.go", "package main\n");
        write(w, "src/go-notests/SPEC.md", spec);
        write(w, "src/py-billing/pyproject.toml", "[project]\nname = 'billing'\n");
        write(w, "src/py-billing/app/__init__.py", "");
        write(w, "src/py-billing/app/main.py", "GREETING = 'hello'\n");
        write(w, "src/py-billing/tests/test_main.py", "from app.main import GREETING\n\ndef test_ok():\n    assert GREETING == 'hello'\n");
        write(w, "src/py-billing/SPEC.md", spec);
        write(w, "src/py-plain/requirements.txt", "flask\n");
        write(w, "src/py-plain/main.py", "print('hi')\n");
        write(w, "src/java-orders/pom.xml", "<project/>\n");
        write(w, "src/java-orders/src/main/java/Orders.java", "class Orders {}\n");
        write(w, "src/java-orders/src/test/java/OrdersTest.java", "class OrdersTest {}\n");
        write(w, "src/java-orders/k8s/deployment.yaml", "kind: Deployment\n");
        write(w, "src/java-orders/SPEC.md", spec);
        write(w, "src/java-plain/pom.xml", "<project/>\n");
        write(w, "src/java-plain/src/main/java/Plain.java", "class Plain {}\n");
        write(w, "src/node-web/package.json", "{\"name\": \"web\"}\n");
        write(w, "src/node-web/index.js", "module.exports = 1;\n");
        write(w, "src/node-web/index.test.js", "test('x', () => {});\n");
        write(w, "src/node-web/node_modules/left-pad/package.json", "{}\n");
        write(w, "src/node-web/SPEC.md", TestRepos.specWithout("Purpose"));
        write(w, "src/node-plain/package.json", "{\"name\": \"plain\"}\n");
        write(w, "src/node-plain/index.js", "module.exports = 2;\n");
        write(w, "src/cs-payments/Payments.csproj", "<Project/>\n");
        write(w, "src/cs-payments/Program.cs", "class P {}\n");
        write(w, "src/cs-payments/tests/Payments.Tests/Payments.Tests.csproj", "<Project/>\n");
        write(w, "src/cs-payments/SPEC.md", spec);
        write(w, "src/cs-plain/Plain.csproj", "<Project/>\n");
        write(w, "tools/linter/Dockerfile", "FROM scratch\n");
        write(w, "docs/guide/package.json", "{}\n");
        Tools.ok(w, "git", "add", ".");
        Tools.ok(w, "git", "-c", "user.name=T", "-c", "user.email=t@example.invalid", "commit", "-qm", "a monorepo");
        return w;
    }

    static Map<String, String> phases(JsonNode services) {
        Map<String, String> out = new LinkedHashMap<>();
        for (JsonNode s : services) {
            out.put(s.get("service").asText(), s.get("phase").asText());
        }
        return out;
    }

    @Test
    void initFindsEveryServiceAndScanWithTheWrittenFileAgrees() throws Exception {
        Path w = polyglot(tmp);
        assertThat(phases(JSON.readTree(run("scan", "--repo", w.toString(), "--json").out()))).as("before: nothing where the default looks").isEmpty();

        CommandLineTest.Run init = run("init", "--repo", w.toString(), "--json");
        assertThat(init.exit()).as(init.err()).isZero();
        JsonNode proposal = JSON.readTree(init.out());
        assertThat(proposal.get("layout").get("root").asText()).isEqualTo("src");
        assertThat(proposal.get("layout").get("build").asText()).isEqualTo(".");
        assertThat(JSON.convertValue(proposal.get("layout").get("tests"), String[].class))
                .containsExactly("tests/", "src/test/", "*_test.go", "test_*.py", "*.test.js", "*Tests.csproj");
        assertThat(JSON.convertValue(proposal.get("layout").get("production"), String[].class)).containsExactly("k8s/");
        assertThat(phases(proposal.get("services"))).isEqualTo(EXPECTED);
        assertThat(proposal.get("elsewhere").toString()).contains("tools/linter (Dockerfile)").doesNotContain("docs").doesNotContain("left-pad");

        CommandLineTest.Run written = run("init", "--repo", w.toString(), "--write");
        assertThat(written.exit()).as(written.err()).isZero();
        assertThat(written.out()).contains("Found 10 services under src/").contains("Wrote assembly.yml");
        String yml = Files.readString(w.resolve("assembly.yml"));
        assertThat(yml).contains("root: \"src\"").contains("build: \".\"").endsWith("coverage_min: 0\n"); // the team's own keys kept
        var parsed = dev.assemblyline.verify.RepoConfig.parse(Files.readAllBytes(w.resolve("assembly.yml")));
        assertThat(parsed.problem()).isNull();
        assertThat(parsed.coverageMin()).isZero();
        assertThat(parsed.layout("SERVICES")).isEqualTo(new dev.assemblyline.model.Layout("src", java.util.List.of("SPEC.md"), "",
                java.util.List.of(JSON.convertValue(proposal.get("layout").get("tests"), String[].class)), java.util.List.of("k8s/")));
        Tools.ok(w, "git", "add", "assembly.yml");
        Tools.ok(w, "git", "-c", "user.name=T", "-c", "user.email=t@example.invalid", "commit", "-qm", "layout");

        JsonNode scan = JSON.readTree(run("scan", "--repo", w.toString(), "--json").out());
        assertThat(phases(scan)).isEqualTo(EXPECTED);
        Map<String, String> why = new HashMap<>();
        scan.forEach(s -> why.put(s.get("service").asText(), s.get("reasons").get(0).asText()));
        assertThat(why.get("go-notests")).isEqualTo("code exists, no tests yet (looked for tests/, src/test/, *_test.go, test_*.py, *.test.js, *Tests.csproj)");
        assertThat(why.get("java-orders")).isEqualTo("k8s/ exists, not yet health-checked");
        assertThat(why.get("go-ledger")).isEqualTo("no SPEC.md");

        // a second run proposes the same and writes nothing different
        run("init", "--repo", w.toString(), "--write");
        assertThat(Files.readString(w.resolve("assembly.yml"))).isEqualTo(yml);
    }

    @Test
    void aCoordinatorFollowsTheLayoutAndRunsTestsInTheServiceFolder() throws Exception {
        Path w = polyglot(tmp);
        assertThat(run("init", "--repo", w.toString(), "--write").exit()).isZero();
        Map<String, String> env = new HashMap<>();
        env.put("PORT", "0");
        env.put("ASSEMBLY_DATA_DIR", tmp.resolve("data").toString());
        env.put("ASSEMBLY_SESSIONS_FILE", tmp.resolve("sessions.json").toString());
        env.put("ASSEMBLY_TEST_PARALLELISM", "1");
        try (Wiring server = new Wiring(Config.fromEnv(env), Clock.systemUTC(), true)) {
            Tools.ok(w, "git", "add", "assembly.yml");
            Tools.ok(w, "git", "-c", "user.name=T", "-c", "user.email=t@example.invalid", "commit", "-qm", "layout");
            Tools.ok(w, "git", "push", "-q", Tools.gitUrl(server), "HEAD:main");
            HttpClient http = HttpClient.newHttpClient();
            java.util.concurrent.Callable<JsonNode> services = () -> JSON.readTree(http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.port() + "/api/services")).build(), HttpResponse.BodyHandlers.ofString()).body());
            // py-billing's suite runs with pytest in its own folder (no BUILD/): it passes
            await().atMost(Duration.ofSeconds(60)).until(() -> "READY_FOR_DEPLOY".equals(phases(services.call()).get("py-billing")));
            Map<String, String> now = phases(services.call());
            assertThat(now.keySet()).isEqualTo(EXPECTED.keySet());
            for (String s : EXPECTED.keySet()) {
                if (!s.equals("py-billing") && !s.equals("cs-payments")) { // cs-payments' suite needs dotnet, which this machine lacks
                    assertThat(now.get(s)).as(s).isEqualTo(EXPECTED.get(s));
                }
            }
        }
    }

    @Test
    void newWritesASpecFromTheTemplateAndCheckSaysWhatItLacks() throws Exception {
        Path w = tmp.resolve("work");
        Files.createDirectories(w);
        CommandLineTest.Run outside = run("new", "billing", "--repo", w.toString());
        assertThat(outside.exit()).isEqualTo(2);
        assertThat(outside.err()).contains("is not in a git work tree");
        Tools.ok(w, "git", "init", "-q");
        Files.createDirectories(w.resolve("deep/er"));
        CommandLineTest.Run made = run("new", "billing", "--repo", w.resolve("deep/er").toString()); // from a subfolder: the work tree's top
        assertThat(made.exit()).as(made.err()).isZero();
        assertThat(made.out()).contains("Wrote SERVICES/billing/SPEC.md and SERVICES/billing/README.md").contains("git push");
        assertThat(Files.readString(w.resolve("SERVICES/billing/SPEC.md"))).startsWith("# billing\n").contains("## Purpose");

        CommandLineTest.Run check = run("new", "--check", "billing", "--repo", w.toString());
        assertThat(check.exit()).isEqualTo(1);
        assertThat(check.out()).contains("not complete").contains("Purpose");

        Files.writeString(w.resolve("SERVICES/billing/SPEC.md"), TestRepos.completeSpec());
        CommandLineTest.Run done = run("new", "--check", "billing", "--repo", w.toString());
        assertThat(done.exit()).isZero();
        assertThat(done.out()).contains("is complete");

        CommandLineTest.Run again = run("new", "billing", "--repo", w.toString());
        assertThat(again.exit()).isEqualTo(2);
        assertThat(again.err()).contains("already exists");
        CommandLineTest.Run bad = run("new", "../etc", "--repo", w.toString());
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("cannot be a service name");
        assertThat(run("new", "--check", "nothing", "--repo", w.toString()).exit()).isEqualTo(2);

        // in an adopted repository, new writes where assembly.yml says services live, and never into .git
        Files.writeString(w.resolve("assembly.yml"), "root: src\nbuild: \".\"\n");
        assertThat(run("new", "ledger", "--repo", w.toString()).exit()).isZero();
        assertThat(w.resolve("src/ledger/SPEC.md")).exists();
        Files.writeString(w.resolve("assembly.yml"), "root: .git/hooks\n");
        CommandLineTest.Run intoGit = run("new", "evil", "--repo", w.toString());
        assertThat(intoGit.exit()).isEqualTo(2);
        assertThat(w.resolve(".git/hooks/evil")).doesNotExist();
    }
}
