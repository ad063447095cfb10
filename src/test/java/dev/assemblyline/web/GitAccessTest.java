package dev.assemblyline.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assemblyline.TestRepos;
import dev.assemblyline.Tools;
import dev.assemblyline.app.Config;
import dev.assemblyline.app.Wiring;
import dev.assemblyline.store.Postgres;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Who may push to and fetch from the hosted repository, with the real git command line; and answers that survive a restart. */
class GitAccessTest {
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final ObjectMapper JSON = new ObjectMapper();
    static final String SESSIONS = """
            {"builder-1": {"session_id": "builder-1", "name": "Builder One", "capabilities": ["builder"], "token": "token-builder-1-abcdef"}}
            """;

    @TempDir
    Path tmp;
    Wiring server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    void start(Map<String, String> extra) throws Exception {
        Files.writeString(tmp.resolve("sessions.json"), SESSIONS);
        Map<String, String> env = new HashMap<>();
        env.put("PORT", "0");
        env.put("ASSEMBLY_DATA_DIR", tmp.resolve("data").toString());
        env.put("ASSEMBLY_SESSIONS_FILE", tmp.resolve("sessions.json").toString());
        env.putAll(extra);
        server = new Wiring(Config.fromEnv(env), Clock.systemUTC(), true);
    }

    String url(String user, String password) {
        return "http://" + (user == null ? "" : user + ":" + password + "@") + "127.0.0.1:" + server.port() + "/git/services.git";
    }

    /** git that never prompts: a refused credential fails the command. */
    static Tools.Result git(Path dir, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("env", "GIT_TERMINAL_PROMPT=0", "GIT_ASKPASS=", "git", "-c", "user.name=T",
                "-c", "user.email=t@example.invalid", "-c", "credential.helper="));
        cmd.addAll(List.of(args));
        return Tools.run(dir, cmd);
    }

    /** A commit in {@code dir} by a test author; fails the test if git does. */
    static String commit(Path dir, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("git", "-c", "user.name=T", "-c", "user.email=t@x", "commit"));
        cmd.addAll(List.of(args));
        return Tools.ok(dir, cmd.toArray(String[]::new));
    }

    /** A line of {@code git verify-pack -v} for a blob stored as a delta (it ends with its base's id). */
    static final String DELTA_BLOB = "^[0-9a-f]{40} blob .* [0-9a-f]{40}$";

    String head() throws Exception {
        return Tools.ok(tmp, "git", "ls-remote", Tools.gitUrl(server), "refs/heads/main").split("\\s")[0];
    }

    /** A clone (made as admin) with one pushed commit on main. */
    Path seeded() throws Exception {
        Path work = tmp.resolve("work");
        Tools.ok(tmp, "git", "clone", "-q", Tools.gitUrl(server), work.toString());
        TestRepos.commitAndPush(work, "SERVICES/hello/SPEC.md", TestRepos.completeSpec(), "main");
        return work;
    }

    @Test
    void anonymousPushesAndForcePushesAreRefusedAndChangeNothing() throws Exception {
        start(Map.of());
        Path work = seeded();
        String before = head();
        Files.writeString(work.resolve("x.txt"), "anonymous");
        assertThat(git(work, "commit", "-qam", "x", "--allow-empty").exit()).isZero();
        Tools.Result push = git(work, "push", url(null, null), "HEAD:main");
        assertThat(push.exit()).isNotZero();
        assertThat(push.err()).as("git was asked for credentials (401)").contains("could not read Username");
        assertThat(git(work, "reset", "-q", "--hard", "HEAD~1").exit()).isZero();
        commit(work, "-q", "--allow-empty", "-m", "rewritten");
        Tools.Result force = git(work, "push", "-f", url(null, null), "HEAD:main");
        assertThat(force.exit()).isNotZero();
        assertThat(force.err()).contains("could not read Username");
        assertThat(git(work, "push", url("builder-1", "wrong-token"), "HEAD:main").exit()).isNotZero();
        assertThat(git(work, "push", url("admin", "token-builder-1-abcdef"), "HEAD:main").exit())
                .as("a session's token is not the admin's").isNotZero();
        assertThat(head()).isEqualTo(before);
        assertThat(git(tmp, "clone", "-q", url(null, null), tmp.resolve("anon").toString()).exit()).as("fetch needs credentials too").isNotZero();
    }

    @Test
    void theGateAnswers401WithAChallengeSoGitAsks() throws Exception {
        start(Map.of());
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                + "/git/services.git/info/refs?service=git-receive-pack")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Basic realm="));
    }

    @Test
    void aSessionPushesWithItsTokenButCannotRewriteOrDeleteTheTrackedBranch() throws Exception {
        start(Map.of("ASSEMBLY_WRITEBACK", "0")); // the branch moves only by these pushes (the bot's commits are WriteBackTest's)
        Path work = seeded();
        String session = url("builder-1", "token-builder-1-abcdef");
        Files.createDirectories(work.resolve("SERVICES/other"));
        Files.writeString(work.resolve("SERVICES/other/SPEC.md"), TestRepos.completeSpec());
        Tools.ok(work, "git", "add", ".");
        commit(work, "-qm", "other");
        assertThat(git(work, "push", "-q", session, "HEAD:main").exit()).isZero();
        await().atMost(Duration.ofSeconds(10)).until(() -> server.reconciler.states().containsKey("other"));
        String landed = head();

        commit(work, "-q", "--amend", "-m", "rewritten");
        Tools.Result force = git(work, "push", "-f", session, "HEAD:main");
        assertThat(force.exit()).isNotZero();
        assertThat(force.err()).contains("only admin may force-push main");
        Tools.Result delete = git(work, "push", session, ":main");
        assertThat(delete.exit()).isNotZero();
        assertThat(head()).isEqualTo(landed);
        assertThat(git(work, "push", "-q", session, "HEAD:topic").exit()).as("other branches are the session's business").isZero();
        assertThat(git(work, "push", "-q", "-f", Tools.gitUrl(server), "HEAD:main").exit()).as("admin may").isZero();
        assertThat(head()).isNotEqualTo(landed);
    }

    @Test
    void aPushToRefsForMainLandsOnWhatMainIsNowAndOnlyARealConflictIsRefused() throws Exception {
        start(Map.of("ASSEMBLY_WRITEBACK", "0")); // main moves only by these pushes
        Path a = seeded();
        String session = url("builder-1", "token-builder-1-abcdef");
        Path b = tmp.resolve("b");
        assertThat(git(tmp, "clone", "-q", session, b.toString()).exit()).isZero(); // both start from the same head

        Files.createDirectories(a.resolve("SERVICES/alpha"));
        Files.writeString(a.resolve("SERVICES/alpha/SPEC.md"), TestRepos.completeSpec());
        Tools.ok(a, "git", "add", ".");
        commit(a, "-qm", "alpha");
        Tools.Result first = git(a, "push", session, "HEAD:refs/for/main");
        assertThat(first.exit()).as(first.err()).isZero();
        assertThat(first.err()).contains("(fast-forward)");
        String alpha = Tools.ok(a, "git", "rev-parse", "HEAD").strip();
        assertThat(head()).isEqualTo(alpha);

        // b built on the old head: a plain push loses the race, a push to refs/for/main lands by a merge made on the server
        Files.createDirectories(b.resolve("SERVICES/beta"));
        Files.writeString(b.resolve("SERVICES/beta/SPEC.md"), TestRepos.completeSpec());
        Tools.ok(b, "git", "add", ".");
        commit(b, "-qm", "beta");
        assertThat(git(b, "push", session, "HEAD:main").exit()).as("a plain push of a stale head is refused").isNotZero();
        Tools.Result second = git(b, "push", "--progress", session, "HEAD:refs/for/main");
        assertThat(second.exit()).as(second.err()).isZero();
        assertThat(second.err()).contains("merged with what landed since you fetched");
        java.util.regex.Matcher written = java.util.regex.Pattern.compile("Writing objects: 100% \\((\\d+)/").matcher(second.err());
        assertThat(written.find()).as(second.err()).isTrue();
        assertThat(Integer.parseInt(written.group(1))).as("only b's new objects: the old head was advertised as a .have").isLessThanOrEqualTo(4);
        String merged = head();
        String beta = Tools.ok(b, "git", "rev-parse", "HEAD").strip();
        Tools.ok(a, "git", "fetch", "-q", session);
        assertThat(Tools.ok(a, "git", "rev-list", "--parents", "-n", "1", merged).strip()).isEqualTo(merged + " " + alpha + " " + beta);
        assertThat(Tools.ok(a, "git", "ls-tree", "-r", "--name-only", merged)).contains("SERVICES/alpha/SPEC.md", "SERVICES/beta/SPEC.md",
                "SERVICES/hello/SPEC.md");
        assertThat(Tools.ok(a, "git", "ls-remote", session)).as("refs/for/ is never a ref").doesNotContain("refs/for/");
        await().atMost(Duration.ofSeconds(10)).until(() -> server.reconciler.states().containsKey("alpha")
                && server.reconciler.states().containsKey("beta"));

        // the same file changed on both sides, far apart: git's content merge lands it
        Tools.ok(a, "git", "merge", "-q", "--ff-only", merged);
        String spec = TestRepos.completeSpec();
        Files.writeString(a.resolve("SERVICES/hello/SPEC.md"), spec + "\nA last line, from a.\n");
        commit(a, "-qam", "a's last line");
        assertThat(git(a, "push", "-q", session, "HEAD:refs/for/main").exit()).isZero();
        Files.writeString(b.resolve("SERVICES/hello/SPEC.md"), spec.replaceFirst("(?m)^# .*$", "# hello, from b"));
        commit(b, "-qam", "b's title");
        Tools.Result both = git(b, "push", session, "HEAD:refs/for/main");
        assertThat(both.exit()).as(both.err()).isZero();
        Tools.ok(a, "git", "fetch", "-q", session, "main");
        assertThat(Tools.ok(a, "git", "show", "FETCH_HEAD:SERVICES/hello/SPEC.md")).contains("# hello, from b", "A last line, from a.");

        // the same line changed on both sides: refused, and main stays
        Files.writeString(a.resolve("SERVICES/hello/SPEC.md"), spec.replaceFirst("(?m)^# .*$", "# hello, from a") + "\nA last line, from a.\n");
        commit(a, "-qam", "a's title");
        String before = head();
        Tools.Result conflict = git(a, "push", session, "HEAD:refs/for/main");
        assertThat(conflict.exit()).isNotZero();
        assertThat(conflict.err()).contains("conflicts with main in SERVICES/hello/SPEC.md");
        assertThat(head()).isEqualTo(before);
        Tools.Result together = git(b, "push", session, "HEAD:refs/for/main", "HEAD:refs/heads/topic2");
        assertThat(together.err()).as("a landing moves main inside the push: it goes alone").contains("push refs/for/main on its own");
        assertThat(head()).isEqualTo(before);
        Tools.Result elsewhere = git(b, "push", session, "HEAD:refs/for/topic");
        assertThat(elsewhere.exit()).isNotZero();
        assertThat(elsewhere.err()).contains("only a commit pushed to refs/for/main lands");
    }

    @Test
    void aFetchSendsWhatCameSinceTheRepackAsADeltaOfItsPreviousVersion() throws Exception {
        start(Map.of("ASSEMBLY_WRITEBACK", "0"));
        Path work = seeded();
        String session = url("builder-1", "token-builder-1-abcdef");
        // ten versions of one large file (over LandingInserter.SMALL): the repack stores most of them as deltas
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 2000; i++) {
            lines.append("line ").append(i).append(" of a long generated file\n");
        }
        String body = lines.toString();
        for (int i = 0; i < 10; i++) {
            Files.writeString(work.resolve("SERVICES/hello/big.txt"), body + "version " + i + "\n");
            Tools.ok(work, "git", "add", ".");
            commit(work, "-qm", "v" + i);
        }
        assertThat(git(work, "push", "-q", session, "HEAD:main").exit()).isZero();
        ((dev.assemblyline.git.HostedRepo) server.source).repack();
        // after the repack: the file changed at its top on main and at its bottom in an older clone, landed by the
        // server's content merge, whose blob is a new (loose) object much like the packed ones
        Path b = tmp.resolve("b");
        assertThat(git(tmp, "clone", "-q", session, b.toString()).exit()).isZero();
        Files.writeString(work.resolve("SERVICES/hello/big.txt"), "a new first line\n" + body + "version 9\n");
        commit(work, "-qam", "top");
        assertThat(git(work, "push", "-q", session, "HEAD:main").exit()).isZero();
        Files.writeString(b.resolve("SERVICES/hello/big.txt"), body + "version 9, and a last line\n");
        commit(b, "-qam", "bottom");
        Tools.Result landed = git(b, "push", session, "HEAD:refs/for/main");
        assertThat(landed.exit()).as(landed.err()).isZero();
        // on the server, the merge's small objects (its commit, its trees) are in the landing's pack, so fetches send
        // them as they are; the large merged file is a loose object, which fetches send as a delta
        Path objects = ((dev.assemblyline.git.HostedRepo) server.source).repo().location().resolve("objects");
        String landing = head();
        Path hosted = objects.getParent();
        String mergedOnServer = Tools.ok(hosted, "git", "rev-parse", landing + ":SERVICES/hello/big.txt").strip();
        for (String small : List.of(landing, landing + "^{tree}", landing + ":SERVICES", landing + ":SERVICES/hello")) {
            String id = Tools.ok(hosted, "git", "rev-parse", small).strip();
            assertThat(objects.resolve(id.substring(0, 2)).resolve(id.substring(2))).as(small + " is not loose").doesNotExist();
        }
        assertThat(objects.resolve(mergedOnServer.substring(0, 2)).resolve(mergedOnServer.substring(2))).as("the large merged file").exists();

        Path clone = tmp.resolve("clone");
        assertThat(git(tmp, "clone", "-q", session, clone.toString()).exit()).isZero();
        String merged = Tools.ok(clone, "git", "rev-parse", "HEAD:SERVICES/hello/big.txt").strip();
        assertThat(Tools.ok(clone, "git", "show", merged)).startsWith("a new first line\n").endsWith("version 9, and a last line\n");
        Path idx;
        try (var files = Files.list(clone.resolve(".git/objects/pack"))) {
            idx = files.filter(f -> f.toString().endsWith(".idx")).findFirst().orElseThrow();
        }
        String verify = Tools.ok(clone, "git", "verify-pack", "-v", idx.toString());
        long deltas = verify.lines().filter(l -> l.matches(DELTA_BLOB)).count();
        assertThat(deltas).as("the repack's deltas go as they are\n" + verify).isGreaterThanOrEqualTo(8);
        // the object made since the repack is related by a delta to the file's earlier versions (in one direction or
        // the other): a fetch searches deltas for new objects, so a session behind the status write-back does not
        // fetch whole copies of a large registry
        String line = verify.lines().filter(l -> l.startsWith(merged)).findFirst().orElseThrow();
        boolean isDelta = line.matches(DELTA_BLOB);
        boolean isBase = verify.lines().anyMatch(l -> l.endsWith(" " + merged));
        assertThat(isDelta || isBase).as("a delta either way\n" + verify).isTrue();
        assertThat(Tools.run(clone, List.of("git", "fsck", "--strict")).exit()).isZero();
    }

    @Test
    void publicReadOpensFetchesOnly() throws Exception {
        start(Map.of("ASSEMBLY_PUBLIC_READ", "1"));
        Path work = seeded();
        Path anon = tmp.resolve("anon");
        assertThat(git(tmp, "clone", "-q", url(null, null), anon.toString()).exit()).isZero();
        assertThat(anon.resolve("SERVICES/hello/SPEC.md")).exists();
        assertThat(git(work, "commit", "-q", "--allow-empty", "-m", "x").exit()).isZero();
        assertThat(git(work, "push", url(null, null), "HEAD:main").exit()).isNotZero();
        for (String sneaky : List.of("/info/refs?service=git-receive-pac%6B", "/info/refs?service=git-receive-pack&service=git-upload-pack",
                "/git-receive-pac%6B")) {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/git/services.git"
                    + sneaky)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(sneaky + " is not a fetch").isEqualTo(401);
        }
    }

    @Test
    void wrongGitCredentialsAreCountedAndThrottled() throws Exception {
        start(Map.of());
        for (int i = 0; i < 20; i++) {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                            + "/git/services.git/info/refs?service=git-upload-pack"))
                    .header("Authorization", "Basic " + java.util.Base64.getEncoder().encodeToString(("builder-1:nope" + i).getBytes())).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(401);
        }
        assertThat(git(tmp, "clone", "-q", Tools.gitUrl(server), tmp.resolve("late").toString()).err()).contains("429");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"h2", "postgres"})
    void aRestartLeavesEverySinceUnchanged(String kind) throws Exception {
        Map<String, String> db = kind.equals("h2") ? Map.of() : Map.of("ASSEMBLY_DB_URL", Postgres.get().newDatabase());
        start(db);
        seeded();
        await().atMost(Duration.ofSeconds(10)).until(() -> server.reconciler.states().containsKey("hello"));
        String before = body("/api/services");
        JsonNode one = JSON.readTree(body("/api/services/hello"));
        server.close();
        server = null;
        start(db);
        assertThat(body("/api/services")).isEqualTo(before);
        assertThat(JSON.readTree(body("/api/services/hello")).get("since")).isEqualTo(one.get("since"));
    }

    String body(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }
}
