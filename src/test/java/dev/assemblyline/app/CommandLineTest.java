package dev.assemblyline.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assemblyline.TestRepos;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CommandLineTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;
    Path repoDir;
    ObjectId first;
    ObjectId second;

    record Run(int exit, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.newCommandLine(args);
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @BeforeEach
    void repo() throws Exception {
        repoDir = tmp.resolve("mono.git");
        try (Repository r = TestRepos.bare(repoDir)) {
            first = TestRepos.on(r).put("SERVICES/a/SPEC.md", TestRepos.completeSpec()).put("SERVICES/b/README.md", "# b").commit("one");
            second = TestRepos.on(r).put("SERVICES/b/SPEC.md", TestRepos.specWithout("Purpose")).commit("two");
        }
    }

    @Test
    void helpListsTheCommands() {
        Run r = run("--help");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("scan", "changed", "bench", "demo");
    }

    @Test
    void scanJsonHasServicePhaseReasonsAndTree() throws Exception {
        Run r = run("scan", "--repo", repoDir.toString(), "--json");
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode arr = JSON.readTree(r.out());
        assertThat(arr).hasSize(2);
        assertThat(arr.get(0).get("service").asText()).isEqualTo("a");
        assertThat(arr.get(0).get("phase").asText()).isEqualTo("READY_FOR_BUILD");
        assertThat(arr.get(1).get("phase").asText()).isEqualTo("SPEC_INCOMPLETE");
        assertThat(arr.get(1).get("reasons").get(0).asText()).isEqualTo("missing section: Purpose");
        assertThat(arr.get(1).get("tree").asText()).hasSize(40);
    }

    @Test
    void scanAtAnOlderRefAndAsATable() {
        Run r = run("scan", "--repo", repoDir.toString(), "--ref", first.name());
        assertThat(r.out()).contains("b        NEEDS_SPEC").contains("2 entries: 1 NEEDS_SPEC, 1 READY_FOR_BUILD");
    }

    @Test
    void aMissingBranchIsOneLineAndExitCodeTwo() {
        Run r = run("scan", "--repo", repoDir.toString(), "--ref", "nope");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err().strip()).doesNotContain("\n").startsWith("assembly: no branch or commit 'nope'");
    }

    @Test
    void notARepositoryIsOneLineAndExitCodeTwo() {
        Run r = run("scan", "--repo", tmp.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).startsWith("assembly: not a git repository");
    }

    @Test
    void anEmptyRepositoryScansToNothing() throws Exception {
        Path empty = tmp.resolve("empty.git");
        TestRepos.bare(empty).close();
        Run r = run("scan", "--repo", empty.toString(), "--json");
        assertThat(r.exit()).isZero();
        assertThat(JSON.readTree(r.out())).isEmpty();
        assertThat(r.err()).contains("no commits yet");
    }

    @Test
    void changedJsonNamesTheService() throws Exception {
        Run r = run("changed", "--repo", repoDir.toString(), "--from", first.name(), "--to", second.name(), "--json");
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode arr = JSON.readTree(r.out());
        assertThat(arr).hasSize(1);
        assertThat(arr.get(0).get("service").asText()).isEqualTo("b");
        assertThat(arr.get(0).get("change").asText()).isEqualTo("MODIFIED");
        Run all = run("changed", "--repo", repoDir.toString(), "--from", "0".repeat(40), "--to", "main", "--json");
        assertThat(JSON.readTree(all.out())).hasSize(2);
    }

    @Test
    void benchPrintsOneJsonLineWithServicesAndMedian() throws Exception {
        Run r = run("bench", "scan", "--repo", repoDir.toString(), "--iterations", "3", "--warmup", "1");
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode line = JSON.readTree(r.out());
        assertThat(line.get("services").asInt()).isEqualTo(2);
        assertThat(line.get("median_ms").asDouble()).isPositive();
        Run c = run("bench", "changed", "--repo", repoDir.toString(), "--from", first.name(), "--to", second.name(), "--iterations", "2");
        assertThat(JSON.readTree(c.out()).get("services").asInt()).isEqualTo(1);
    }

    @Test
    void demoMakesASampleAndScansIt() {
        Run r = run("demo", "--dir", tmp.resolve("demo.git").toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("auth", "BUILD_IN_PROGRESS", "PRODUCTION", "SPEC_INCOMPLETE", "7 entries");
        assertThat(run("demo", "--dir", tmp.resolve("demo.git").toString()).out()).contains("7 entries");
    }

    @Test
    void verifyExitsOneOnAFailingCheckChecksTheWorkTreeWhenAskedAndShowsTheFailingOutput() throws Exception {
        Path work = tmp.resolve("work");
        dev.assemblyline.Tools.ok(tmp, "git", "init", "-q", "-b", "main", work.toString());
        TestRepos.writePythonService(work, "hello");
        java.nio.file.Files.writeString(work.resolve("SERVICES/hello/BUILD/tests/test_main.py"), TestRepos.PASSING_TEST);
        dev.assemblyline.Tools.ok(work, "git", "add", ".");
        dev.assemblyline.Tools.ok(work, "git", "-c", "user.name=T", "-c", "user.email=t@example.invalid", "commit", "-qm", "hello");

        Run pass = run("verify", "--repo", work.toString(), "hello");
        assertThat(pass.exit()).as(pass.out() + pass.err()).isZero();
        assertThat(pass.out()).contains("READY_FOR_DEPLOY").endsWith("PASS\n");
        assertThat(pass.err()).isEmpty();

        java.nio.file.Files.writeString(work.resolve("SERVICES/hello/BUILD/tests/test_main.py"),
                "def test_broken():\n    print('the greeting was wrong')\n    assert 1 + 1 == 3\n");
        Run committed = run("verify", "--repo", work.toString(), "hello");
        assertThat(committed.exit()).as("the commit still passes").isZero();
        assertThat(committed.err()).contains("1 uncommitted change under SERVICES/hello (SERVICES/hello/BUILD/tests/test_main.py) not checked")
                .contains("--worktree");

        Run dirty = run("verify", "--repo", work.toString(), "--worktree", "hello");
        assertThat(dirty.exit()).as(dirty.out()).isEqualTo(1);
        assertThat(dirty.out()).contains("TESTS_FAILING").contains("test_broken").contains("assert 1 + 1 == 3")
                .contains("the greeting was wrong").endsWith("FAIL: the tests check\n");
        JsonNode json = JSON.readTree(run("verify", "--repo", work.toString(), "--worktree", "--json", "hello").out());
        assertThat(json.get("passed").asBoolean()).isFalse();
        assertThat(json.get("failed_check").asText()).isEqualTo("tests");
        assertThat(json.get("output_tail").asText()).contains("assert 1 + 1 == 3");
        assertThat(dev.assemblyline.Tools.ok(work, "git", "status", "--porcelain").strip()).as("the work tree is left as it was")
                .isEqualTo("M SERVICES/hello/BUILD/tests/test_main.py");

        Run incomplete = run("verify", "--repo", repoDir.toString(), "b");
        assertThat(incomplete.exit()).as("an incomplete spec fails the spec check").isEqualTo(1);
        assertThat(incomplete.out()).contains("SPEC_INCOMPLETE").endsWith("FAIL: the spec check\n");
        Run unknown = run("verify", "--repo", repoDir.toString(), "nope");
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.err().strip()).doesNotContain("\n").startsWith("assembly: no service nope");
    }

    @Test
    void errorsAreOneLineInWordsAndNothingFoundIsNotASuccess() {
        Run noRoot = run("scan", "--repo", repoDir.toString(), "--root", "NOPE");
        assertThat(noRoot.exit()).isEqualTo(1);
        assertThat(noRoot.err().strip()).startsWith("assembly: no NOPE/ folder at ").doesNotContain("\n");
        Run demo = run("demo", "--dir", "/proc/nope");
        assertThat(demo.exit()).isEqualTo(2);
        assertThat(demo.err().strip()).isEqualTo("assembly: cannot use /proc/nope: no such file or folder");
        Run missing = run("verify", "--repo", repoDir.toString());
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err().strip()).isEqualTo("assembly: Missing required parameter: 'SERVICE' (see: assembly verify --help)");
        Run unknown = run("scan", "--repo", repoDir.toString(), "--nope");
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.err().strip()).doesNotContain("\n").startsWith("assembly: Unknown option: '--nope'");
        assertThat(Main.describe(new IllegalStateException("connecting to the database", new java.io.IOException("refused"))))
                .isEqualTo("connecting to the database: refused").doesNotContain("Exception");
    }

    @Test
    void aSecondServeOnTheSameDataDirectoryStopsWithOneLineNamingTheFirst() {
        java.util.Map<String, String> env = java.util.Map.of("PORT", "0", "ASSEMBLY_DATA_DIR", tmp.resolve("data").toString(),
                "ASSEMBLY_SESSIONS_FILE", tmp.resolve("none.json").toString());
        try (Wiring first = new Wiring(Config.fromEnv(env), java.time.Clock.systemUTC(), false)) {
            assertThat(first.port()).isPositive();
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> new Wiring(Config.fromEnv(env), java.time.Clock.systemUTC(), false))
                    .isInstanceOf(Main.UserException.class)
                    .hasMessageStartingWith("another assembly serve (pid " + ProcessHandle.current().pid() + ", port 0) is using ")
                    .hasMessageEndingWith("; stop it, or give this one its own ASSEMBLY_DATA_DIR");
        }
        try (Wiring again = new Wiring(Config.fromEnv(env), java.time.Clock.systemUTC(), false)) {
            assertThat(again.port()).as("the lock goes with the first").isPositive();
        }
    }
}
