package dev.assemblyline.writeback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assemblyline.TestRepos;
import dev.assemblyline.Tools;
import dev.assemblyline.app.Config;
import dev.assemblyline.app.Wiring;
import dev.assemblyline.git.CommitWriter;
import dev.assemblyline.git.RepoSource;
import dev.assemblyline.model.Phase;
import dev.assemblyline.model.StatusLine;
import dev.assemblyline.pipeline.Notifier;
import io.javalin.Javalin;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jgit.http.server.GitServlet;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.transport.ReceiveCommand;
import org.eclipse.jgit.transport.ReceivePack;
import org.eclipse.jgit.transport.PreReceiveHook;
import org.eclipse.jgit.transport.resolver.ReceivePackFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The status board written back to real repositories (docs/status-board.md): the hosted one, pushed to
 * with git; a followed one served over smart HTTP, which races the bot or refuses it.
 */
class WriteBackTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final String BUILDER = "token-builder-1-abcdef";

    @TempDir
    Path tmp;
    Wiring server;
    Javalin remote;

    /** Every phase change the coordinator announced, as "service:PHASE". */
    final List<String> announced = Collections.synchronizedList(new ArrayList<>());
    final Notifier recorder = new Notifier() {
        @Override
        public void tell(String session, String service, String text) {
        }

        @Override
        public void advanced(String service, Phase from, Phase to, String tree, List<String> reasons) {
            announced.add(service + ":" + to);
        }
    };

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (remote != null) {
            remote.stop();
        }
    }

    void start(Map<String, String> extra) throws Exception {
        Files.writeString(tmp.resolve("sessions.json"), """
                {"builder-1": {"session_id": "builder-1", "name": "Builder One", "capabilities": ["builder"], "status": "active",
                               "wip_limit": 1, "token": "%s"}}
                """.formatted(BUILDER));
        Map<String, String> env = new HashMap<>();
        env.put("PORT", "0");
        env.put("ASSEMBLY_DATA_DIR", tmp.resolve("data").toString());
        env.put("ASSEMBLY_SESSIONS_FILE", tmp.resolve("sessions.json").toString());
        env.put("ASSEMBLY_TEST_PARALLELISM", "0");
        env.put("ASSEMBLY_WRITEBACK_QUIET", "1s");
        env.putAll(extra);
        server = new Wiring(Config.fromEnv(env), Clock.systemUTC(), true, recorder);
    }

    JsonNode get(String path) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(r.body());
    }

    int post(String path, String token) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    static String file(Repository r, String path) throws Exception {
        ObjectId head = r.resolve("refs/heads/main");
        byte[] b = dev.assemblyline.git.GitRepo.wrap(r).fileAt(head, path, Integer.MAX_VALUE);
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    static RevCommit headCommit(Repository r) throws Exception {
        try (RevWalk rw = new RevWalk(r)) {
            return rw.parseCommit(r.resolve("refs/heads/main"));
        }
    }

    @Test
    void theHostedRepositoryShowsPhaseAndHolderAndTheBotCommitDecidesNothing() throws Exception {
        start(Map.of("ASSEMBLY_BOT_NAME", "Line Bot", "ASSEMBLY_BOT_EMAIL", "line-bot@example.invalid"));
        Path work = tmp.resolve("work");
        Tools.ok(tmp, "git", "clone", "-q", Tools.gitUrl(server), work.toString());
        String readme = "# hello\n\nSays hello.\r\nKeep this line exactly.\n";
        Files.createDirectories(work.resolve("SERVICES/hello"));
        Files.writeString(work.resolve("SERVICES/hello/README.md"), readme);
        TestRepos.commitAndPush(work, "SERVICES/hello/SPEC.md", TestRepos.completeSpec(), "main");

        await().atMost(Duration.ofSeconds(15)).until(() -> get("/api/tickets?service=hello&state=offered").size() == 1);
        long id = get("/api/tickets?service=hello&state=offered").get(0).get("id").asLong();
        assertThat(post("/api/tickets/" + id + "/claim", BUILDER)).isEqualTo(200);
        Repository repo = server.source.repo().repository();
        String line = "Status: \uD83D\uDEA7 BUILD IN PROGRESS by builder-1 (ticket #" + id + ") " + StatusLine.MARK;
        await().atMost(Duration.ofSeconds(15)).until(() -> String.valueOf(file(repo, "SERVICES/hello/README.md")).contains(line));

        // only the marked line was added, after the heading; the rest is byte for byte what the person wrote
        String written = file(repo, "SERVICES/hello/README.md");
        assertThat(written).isEqualTo("# hello\n" + line + "\n\nSays hello.\r\nKeep this line exactly.\n");
        RevCommit bot = headCommit(repo);
        assertThat(bot.getAuthorIdent().getEmailAddress()).isEqualTo("line-bot@example.invalid");
        assertThat(bot.getAuthorIdent().getName()).isEqualTo("Line Bot");
        assertThat(bot.getFullMessage()).startsWith("assembly: status of hello").contains("hello: \uD83D\uDEA7 BUILD IN PROGRESS by builder-1");

        // the bot's commit is read like any push, and changes no phase, tree or announcement
        await().atMost(Duration.ofSeconds(15)).until(() -> bot.name().equals(server.store.head("main").orElse(null)));
        JsonNode hello = get("/api/services/hello");
        assertThat(hello.get("phase").asText()).isEqualTo("BUILD_IN_PROGRESS");
        assertThat(hello.get("reasons").get(0).asText()).isEqualTo("build ticket claimed by builder-1");
        String treeBefore = hello.get("tree").asText();
        assertThat(treeBefore).as("the identity leaves the status line out").isNotEqualTo(repo.resolve("refs/heads/main:SERVICES/hello").name());
        assertThat(announced).containsExactly("hello:READY_FOR_BUILD", "hello:BUILD_IN_PROGRESS");

        // the registry parses and says what the API says
        JsonNode registry = JSON.readTree(file(repo, Registry.PATH));
        JsonNode entry = registry.get("services").get("hello");
        assertThat(entry.get("phase").asText()).isEqualTo("BUILD_IN_PROGRESS");
        assertThat(entry.get("holder").asText()).isEqualTo("builder-1");
        assertThat(entry.get("ticket").asLong()).isEqualTo(id);
        assertThat(entry.get("tree").asText()).isEqualTo(treeBefore);
        assertThat(entry.get("since").asText()).isEqualTo(hello.get("since").asText());

        // a release: the line says so, and the person's own README stays theirs
        TestRepos.pushPythonBuild(work, "hello");
        await().atMost(Duration.ofSeconds(15)).until(() -> get("/api/services/hello").get("phase").asText().equals("BUILD_IN_PROGRESS")
                && String.valueOf(file(repo, "SERVICES/hello/README.md")).contains("BUILD IN PROGRESS by builder-1"));
        assertThat(post("/api/tickets/" + id + "/done", BUILDER)).isEqualTo(200);
        await().atMost(Duration.ofSeconds(15)).until(() -> String.valueOf(file(repo, "SERVICES/hello/README.md"))
                .contains("Status: \uD83E\uDDEA NEEDS TESTS " + StatusLine.MARK));
        await().atMost(Duration.ofSeconds(15)).until(() -> headCommit(repo).name().equals(server.store.head("main").orElse(null)));
        assertThat(get("/api/services/hello").get("phase").asText()).as("the bot's own BUILD IN PROGRESS line is not a person's marker")
                .isEqualTo("NEEDS_TESTS");
        assertThat(announced).containsExactly("hello:READY_FOR_BUILD", "hello:BUILD_IN_PROGRESS", "hello:NEEDS_TESTS");
        JsonNode services = get("/api/services");
        JsonNode reg = JSON.readTree(file(repo, Registry.PATH)).get("services");
        for (JsonNode s : services) {
            JsonNode r = reg.get(s.get("service").asText());
            assertThat(r.get("phase").asText()).isEqualTo(s.get("phase").asText());
            assertThat(r.get("tree").asText()).isEqualTo(s.get("tree").asText());
            assertThat(r.get("since").asText()).isEqualTo(s.get("since").asText());
        }
        assertThat(reg.size()).isEqualTo(services.size());
        assertThat(get("/health").get("writeback").asText()).startsWith("on: ");
    }

    /** A person's push lands between the bot's reading of the head and its publishing: theirs stands, the bot's goes on top. */
    @Test
    void aPersonsPushWinsTheRaceAndTheBotBuildsAgainOnIt() throws Exception {
        start(Map.of("ASSEMBLY_WRITEBACK", "0")); // only the write-back below writes
        Path work = tmp.resolve("work");
        Tools.ok(tmp, "git", "clone", "-q", Tools.gitUrl(server), work.toString());
        TestRepos.commitAndPush(work, "SERVICES/hello/SPEC.md", TestRepos.completeSpec(), "main");
        await().atMost(Duration.ofSeconds(15)).until(() -> get("/api/services/hello").path("phase").asText().equals("READY_FOR_BUILD"));

        AtomicInteger offers = new AtomicInteger();
        String[] person = new String[1];
        RepoSource racing = new RacingSource(server.source, () -> {
            if (offers.incrementAndGet() == 1) { // the person pushes first, with real git
                Files.writeString(work.resolve("SERVICES/hello/NOTES.md"), "mine\n");
                Tools.ok(work, "git", "add", ".");
                Tools.ok(work, "git", "-c", "user.name=P", "-c", "user.email=p@example.invalid", "commit", "-qm", "notes");
                Tools.ok(work, "git", "push", "-q", "origin", "HEAD:main");
                person[0] = Tools.ok(work, "git", "rev-parse", "HEAD").strip();
            }
        });
        WriteBack wb = new WriteBack(racing, () -> "SERVICES", server.reconciler::head, server.reconciler::states, server.board::openTickets,
                WriteBack.Details.NONE, e -> { },
                e -> { }, Clock.systemUTC(), new WriteBack.Settings(new org.eclipse.jgit.lib.PersonIdent("Bot", "bot@example.invalid"), Duration.ZERO));
        assertThat(wb.writeOnce()).isTrue();
        assertThat(offers.get()).as("the first offer lost the race, the second landed").isEqualTo(2);

        Repository repo = server.source.repo().repository();
        RevCommit head = headCommit(repo);
        assertThat(head.getParent(0).name()).as("built on the person's commit: nothing forced, nothing of theirs lost").isEqualTo(person[0]);
        assertThat(file(repo, "SERVICES/hello/NOTES.md")).isEqualTo("mine\n");
        assertThat(file(repo, "SERVICES/hello/README.md")).isEqualTo("Status: \uD83D\uDCE6 READY FOR BUILD " + StatusLine.MARK + "\n");
        assertThat(file(repo, "SERVICES/hello/SPEC.md")).isEqualTo(TestRepos.completeSpec());
    }

    /** The bot edits only plain README files of folders that exist, and puts back a line a person's push took out. */
    @Test
    void theBotNeverMakesAFolderNorWritesOverWhatIsNotAPlainReadmeAndRepairsWhatAPersonRemoved() throws Exception {
        start(Map.of("ASSEMBLY_WRITEBACK", "0"));
        Repository repo = server.source.repo().repository();
        Path work = tmp.resolve("work");
        Tools.ok(tmp, "git", "clone", "-q", Tools.gitUrl(server), work.toString());
        for (String s : List.of("plain", "linked", "folder")) {
            Files.createDirectories(work.resolve("SERVICES/" + s));
            Files.writeString(work.resolve("SERVICES/" + s + "/SPEC.md"), TestRepos.completeSpec());
        }
        Files.writeString(work.resolve("SERVICES/plain/README.md"), "# plain\n");
        Files.createSymbolicLink(work.resolve("SERVICES/linked/README.md"), Path.of("SPEC.md"));
        Files.createDirectories(work.resolve("SERVICES/folder/README.md"));
        Files.writeString(work.resolve("SERVICES/folder/README.md/notes.txt"), "keep\n");
        Tools.ok(work, "git", "add", ".");
        Tools.ok(work, "git", "-c", "user.name=P", "-c", "user.email=p@example.invalid", "commit", "-qm", "three");
        Tools.ok(work, "git", "push", "-q", "origin", "HEAD:main");
        await().atMost(Duration.ofSeconds(15)).until(() -> server.reconciler.states().size() == 3);
        java.util.function.Supplier<Map<String, dev.assemblyline.model.ServiceState>> withGone = () -> {
            Map<String, dev.assemblyline.model.ServiceState> m = new HashMap<>(server.reconciler.states());
            m.put("gone", new dev.assemblyline.model.ServiceState("gone", Phase.READY_FOR_BUILD, List.of(), "0".repeat(40), java.time.Instant.now()));
            return m;
        };
        WriteBack wb = new WriteBack(server.source, () -> "SERVICES", server.reconciler::head, withGone, server.board::openTickets, WriteBack.Details.NONE,
                e -> { }, e -> { }, Clock.systemUTC(), new WriteBack.Settings(new org.eclipse.jgit.lib.PersonIdent("Bot", "bot@example.invalid"),
                Duration.ZERO));
        assertThat(wb.writeOnce()).isTrue();
        assertThat(file(repo, "SERVICES/plain/README.md")).contains(StatusLine.MARK);
        assertThat(file(repo, "SERVICES/gone/README.md")).as("no folder made for a service that is not there").isNull();
        assertThat(file(repo, "SERVICES/folder/README.md/notes.txt")).isEqualTo("keep\n");
        assertThat(repo.resolve("refs/heads/main:SERVICES/linked/README.md")).isNotNull();
        try (org.eclipse.jgit.treewalk.TreeWalk tw = org.eclipse.jgit.treewalk.TreeWalk.forPath(repo, "SERVICES/linked/README.md",
                headCommit(repo).getTree())) {
            assertThat(tw.getFileMode(0)).isEqualTo(org.eclipse.jgit.lib.FileMode.SYMLINK);
        }
        assertThat(wb.writeOnce()).as("nothing more to write").isFalse();

        // a person's push takes the line out (an old README kept in a merge): the next write puts it back
        Tools.ok(work, "git", "pull", "-q", "--rebase", "origin", "main");
        Files.writeString(work.resolve("SERVICES/plain/README.md"), "# plain\n\nmore words\n");
        Tools.ok(work, "git", "-c", "user.name=P", "-c", "user.email=p@example.invalid", "commit", "-qam", "readme");
        Tools.ok(work, "git", "push", "-q", "origin", "HEAD:main");
        ObjectId pushed = repo.resolve("refs/heads/main");
        await().atMost(Duration.ofSeconds(15)).until(() -> pushed.name().equals(server.store.head("main").orElse(null)));
        assertThat(wb.writeOnce()).isTrue();
        assertThat(file(repo, "SERVICES/plain/README.md")).isEqualTo("# plain\n" + StatusLine.render(Phase.READY_FOR_BUILD, null, null) + "\n\nmore words\n");
    }

    interface Step {
        void run() throws Exception;
    }

    /** The hosted repository, with something done just before each publish. */
    record RacingSource(RepoSource inner, Step before) implements RepoSource {
        @Override
        public dev.assemblyline.git.GitRepo repo() {
            return inner.repo();
        }

        @Override
        public String trackedBranch() {
            return inner.trackedBranch();
        }

        @Override
        public void refresh() {
            inner.refresh();
        }

        @Override
        public Publication publish(ObjectId base, ObjectId commit) {
            try {
                before.run();
            } catch (Exception e) {
                throw new AssertionError(e);
            }
            return inner.publish(base, commit);
        }

        @Override
        public String describe() {
            return inner.describe();
        }

        @Override
        public void close() {
        }
    }

    /** A followed repository served over smart HTTP; {@code hook} decides about each push to main. */
    Repository serveRemote(PreReceiveHook hook) throws Exception {
        return serveRemote(hook, false);
    }

    /** @param readOnly pushes are refused before any hook, as for a token that may only read (HTTP 403) */
    Repository serveRemote(PreReceiveHook hook, boolean readOnly) throws Exception {
        Repository bare = TestRepos.bare(tmp.resolve("remote.git"));
        GitServlet git = new GitServlet();
        git.setRepositoryResolver((req, name) -> {
            bare.incrementOpen();
            return bare;
        });
        ReceivePackFactory<jakarta.servlet.http.HttpServletRequest> receive = (req, db) -> {
            if (readOnly) {
                throw new org.eclipse.jgit.transport.resolver.ServiceNotEnabledException("this token may only read");
            }
            ReceivePack rp = new ReceivePack(db);
            rp.setPreReceiveHook(hook);
            return rp;
        };
        git.setReceivePackFactory(receive);
        remote = Javalin.create(c -> c.jetty.modifyServletContextHandler(h -> h.addServlet(
                new org.eclipse.jetty.ee10.servlet.ServletHolder(git), "/git/*"))).start(0);
        return bare;
    }

    String remoteUrl() {
        return "http://127.0.0.1:" + remote.port() + "/git/remote.git";
    }

    @Test
    void aFollowedRepositoryThatRefusesIsReportedOnceAndTheLineGoesOn() throws Exception {
        AtomicInteger refusals = new AtomicInteger();
        Repository bare = serveRemote((rp, commands) -> {
            for (ReceiveCommand c : commands) {
                refusals.incrementAndGet();
                c.setResult(ReceiveCommand.Result.REJECTED_OTHER_REASON, "protected branch: main");
            }
        });
        new CommitWriter(bare, "main").put("SERVICES/hello/SPEC.md", TestRepos.completeSpec()).commit("spec");
        start(Map.of("ASSEMBLY_REPO_URL", remoteUrl(), "ASSEMBLY_WRITEBACK", "1", "ASSEMBLY_RESYNC_SECONDS", "1"));
        await().atMost(Duration.ofSeconds(15)).until(() -> get("/health").path("writeback").asText().startsWith("off: "));
        assertThat(get("/health").get("writeback").asText()).contains("protected branch: main");
        assertThat(get("/health").get("status").asText()).as("write-back being off does not make the line unhealthy").isEqualTo("ok");

        // the line carries on: a new service is seen, and nothing more is tried or said about write-back
        new CommitWriter(bare, "main").put("SERVICES/world/SPEC.md", TestRepos.completeSpec()).commit("another");
        await().atMost(Duration.ofSeconds(15)).until(() -> get("/api/services/world").path("phase").asText().equals("READY_FOR_BUILD"));
        assertThat(refusals.get()).isEqualTo(1);
        long said = server.board.eventsSince(java.time.Instant.EPOCH, 1000).stream().filter(e -> e.kind().equals("writeback")).count();
        assertThat(said).isEqualTo(1);
        assertThat(file(bare, "SERVICES/hello/README.md")).isNull();
    }

    @Test
    void aReadOnlyTokenIsReportedOnceAndTheLineGoesOn() throws Exception {
        Repository bare = serveRemote((rp, commands) -> { }, true);
        new CommitWriter(bare, "main").put("SERVICES/hello/SPEC.md", TestRepos.completeSpec()).commit("spec");
        start(Map.of("ASSEMBLY_REPO_URL", remoteUrl(), "ASSEMBLY_WRITEBACK", "1", "ASSEMBLY_RESYNC_SECONDS", "1"));
        await().atMost(Duration.ofSeconds(15)).until(() -> get("/health").path("writeback").asText().startsWith("off: "));
        assertThat(get("/health").get("status").asText()).isEqualTo("ok");
        new CommitWriter(bare, "main").put("SERVICES/world/SPEC.md", TestRepos.completeSpec()).commit("another");
        await().atMost(Duration.ofSeconds(15)).until(() -> get("/api/services/world").path("phase").asText().equals("READY_FOR_BUILD"));
        assertThat(server.board.eventsSince(java.time.Instant.EPOCH, 1000).stream().filter(e -> e.kind().equals("writeback")).count()).isEqualTo(1);
        assertThat(file(bare, Registry.PATH)).isNull();
    }

    @Test
    void aFollowedRepositoryThatMovesDuringThePushGetsTheStatusOnTop() throws Exception {
        AtomicBoolean raced = new AtomicBoolean();
        Repository[] bare = new Repository[1];
        String[] person = new String[1];
        bare[0] = serveRemote((rp, commands) -> {
            if (raced.compareAndSet(false, true)) { // a person's push lands while the bot's is being received
                try {
                    person[0] = new CommitWriter(bare[0], "main").put("SERVICES/hello/NOTES.md", "mine\n").commit("person").name();
                } catch (java.io.IOException e) {
                    throw new IllegalStateException(e);
                }
            }
        });
        new CommitWriter(bare[0], "main").put("SERVICES/hello/SPEC.md", TestRepos.completeSpec()).commit("spec");
        start(Map.of("ASSEMBLY_REPO_URL", remoteUrl(), "ASSEMBLY_WRITEBACK", "1", "ASSEMBLY_RESYNC_SECONDS", "1"));
        await().atMost(Duration.ofSeconds(20)).until(() -> String.valueOf(file(bare[0], "SERVICES/hello/README.md")).contains(StatusLine.MARK));
        RevCommit head = headCommit(bare[0]);
        assertThat(head.getParent(0).name()).as("the bot's commit went on top of the person's").isEqualTo(person[0]);
        assertThat(file(bare[0], "SERVICES/hello/NOTES.md")).isEqualTo("mine\n");
        assertThat(get("/health").get("writeback").asText()).startsWith("on: ");
        assertThat(announced).containsOnlyOnce("hello:READY_FOR_BUILD");
    }
}
