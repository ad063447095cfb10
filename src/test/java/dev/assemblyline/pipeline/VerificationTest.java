package dev.assemblyline.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.assemblyline.TestRepos;
import dev.assemblyline.Tools;
import dev.assemblyline.git.CommitWriter;
import dev.assemblyline.git.GitRepo;
import dev.assemblyline.git.ServiceTrees;
import dev.assemblyline.model.Phase;
import dev.assemblyline.phase.PhaseDetector;
import dev.assemblyline.phase.SpecRules;
import dev.assemblyline.verify.Sandbox;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real suites in a real repository: pytest passing, failing, hanging, leaving children, under the coverage bar; Maven. */
class VerificationTest {
    @TempDir
    Path tmp;
    Repository repo;
    ObjectId head;
    final PhaseDetector detector = new PhaseDetector(SpecRules.bundled());

    static CommitWriter python(CommitWriter w, String name, String test) {
        String b = "SERVICES/" + name + "/";
        return w.put(b + "SPEC.md", TestRepos.completeSpec())
                .put(b + "BUILD/src/main.py", "def add(a, b):\n    return a + b\n\nTWO = add(1, 1)\n") // importing it covers every line
                .put(b + "BUILD/requirements.txt", "pytest\n")
                .put(b + "BUILD/Dockerfile", "FROM python:3.11-slim\n")
                .put(b + "BUILD/.env.example", "PORT=8000\n")
                .put(b + "BUILD/tests/test_main.py", test);
    }

    @BeforeEach
    void repository() throws Exception {
        data = tmp.resolve("data");
        port = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        repo = TestRepos.bare(tmp.resolve("r.git"));
        CommitWriter w = TestRepos.on(repo);
        python(w, "passing", "import os\nfrom src.main import add\ndef test_add():\n    assert 1 + 1 == 2\n"
                + "def test_no_secrets():\n    assert 'SLACK_BOT_TOKEN' not in os.environ and 'ASSEMBLY_ADMIN_TOKEN' not in os.environ\n");
        python(w, "failing", "def test_ok():\n    assert True\ndef test_login():\n    assert 1 + 1 == 3\n");
        python(w, "hanging", "import subprocess, time\ndef test_forever():\n    subprocess.Popen(['sleep', '3001'])\n    time.sleep(3000)\n");
        python(w, "orphaning", "import subprocess\nimport src.main\ndef test_starts_a_child():\n    subprocess.Popen(['sleep', '3002'])\n    assert True\n");
        python(w, "uncovered", "def test_ok():\n    assert True\n")
                .put("SERVICES/uncovered/BUILD/tests/conftest.py", "import pathlib\ndef pytest_sessionfinish(session, exitstatus):\n"
                        + "    pathlib.Path('coverage.xml').write_text('<?xml version=\"1.0\"?><coverage line-rate=\"0.42\" branch-rate=\"0\"></coverage>')\n");
        python(w, "measured-low", "def test_ok():\n    assert True\n");
        python(w, "slow", "import time, pytest\n@pytest.mark.parametrize('n', range(6))\ndef test_slow(n):\n    time.sleep(0.4)\n    assert n != 5\n");
        python(w, "incomplete", "def test_ok():\n    assert True\n").remove("SERVICES/incomplete/BUILD/Dockerfile");
        w.put("SERVICES/java-svc/SPEC.md", TestRepos.completeSpec())
                .put("SERVICES/java-svc/BUILD/Dockerfile", "FROM eclipse-temurin:17\n")
                .put("SERVICES/java-svc/BUILD/pom.xml", POM)
                .put("SERVICES/java-svc/BUILD/src/test/java/demo/DemoTest.java", "package demo;\nimport org.junit.jupiter.api.Test;\n"
                        + "import static org.junit.jupiter.api.Assertions.assertEquals;\nclass DemoTest {\n  @Test void adds() { assertEquals(2, 1 + 1); }\n"
                        + "  @Test void breaks() { assertEquals(3, 1 + 1); }\n}\n")
                .put("SERVICES/java-svc/BUILD/tests/README.md", "the Maven tests live under src/test/java\n")
                .put("assembly.yml", "coverage_min: 80\nservices:\n  java-svc:\n    test: mvn -o -q -B -Dmaven.repo.local=" + M2 + " test\n");
        python(w, "brings-coverage", "def test_ok():\n    assert True\n")
                .put("SERVICES/brings-coverage/BUILD/coverage.xml", "<?xml version=\"1.0\"?><coverage line-rate=\"1.0\" branch-rate=\"1\"></coverage>")
                .put("SERVICES/brings-coverage/BUILD/tests/conftest.py", "import pathlib\ndef pytest_sessionfinish(session, exitstatus):\n"
                        + "    pathlib.Path('htmlcov').mkdir(exist_ok=True)\n"
                        + "    pathlib.Path('htmlcov/coverage.xml').write_text('<?xml version=\"1.0\"?><coverage line-rate=\"0.40\" branch-rate=\"0\"></coverage>')\n");
        Files.createDirectories(data);
        Files.writeString(data.resolve("assembly.mv.db"), "the coordinator's database");
        python(w, "snooping", SNOOP.replace("PID", String.valueOf(ProcessHandle.current().pid())).replace("DATA", data.toString())
                .replace("PORT", String.valueOf(port.getLocalPort())));
        head = w.commit("suites");
    }

    /** The local Maven repository, mounted read-only into the sandbox so a suite can build offline. */
    static final String M2 = System.getProperty("maven.repo.local", System.getProperty("user.home") + "/.m2/repository");
    /** The coordinator's environment as the sandbox is given it: secrets among ordinary variables. */
    static final Map<String, String> ENV = Map.of("PATH", System.getenv("PATH"), "LANG", "C.UTF-8", "SLACK_BOT_TOKEN", "xoxb-secret-marker",
            "ASSEMBLY_ADMIN_TOKEN", "admin-secret-marker", "DATABASE_URL", "postgres://secret-marker", "HOME", "/root");
    static Sandbox sandbox;
    Path data;
    java.net.ServerSocket port;

    /** A suite that tries to reach what a sandboxed run must not: the coordinator's processes, data and port. */
    static final String SNOOP = """
            import glob, os, socket
            import src.main
            def test_cannot_see_the_coordinators_processes():
                assert not os.path.exists('/proc/PID/environ')
                cmdlines = []
                for p in glob.glob('/proc/[0-9]*/cmdline'):
                    try:
                        cmdlines.append(open(p, 'rb').read())
                    except OSError:
                        pass
                assert not any(b'java' in c for c in cmdlines)
            def test_cannot_read_the_data_directory():
                assert not os.path.exists('DATA/assembly.mv.db')
            def test_cannot_open_a_socket_to_the_coordinator():
                s = socket.socket()
                s.settimeout(2)
                try:
                    s.connect(('127.0.0.1', PORT))
                    reached = True
                except OSError:
                    reached = False
                assert not reached
            def test_no_secret_in_the_environment():
                assert 'secret-marker' not in repr(dict(os.environ))
                assert os.environ['HOME'] == '/tmp/home'
            def test_no_capabilities_and_no_remount():
                caps = [l for l in open('/proc/self/status') if l.startswith('CapEff:')][0].split()[1]
                assert int(caps, 16) == 0
                assert os.system('mount -o remount,rw /usr 2>/dev/null') != 0
            def test_the_system_is_read_only():
                try:
                    open('/usr/evil', 'w')
                    wrote = True
                except OSError:
                    wrote = False
                assert not wrote
            """;

    @org.junit.jupiter.api.BeforeAll
    static void bubblewrap() {
        sandbox = Sandbox.check(ENV, false, List.of(Path.of(M2)), List.of());
        assertThat(sandbox.sandboxed()).as("bubblewrap must run here (apt-get install bubblewrap; .ci/run does): " + sandbox.describe()).isTrue();
    }

    @org.junit.jupiter.api.AfterEach
    void closePort() throws Exception {
        port.close();
    }

    static final String POM = """
            <project xmlns="http://maven.apache.org/POM/4.0.0">
              <modelVersion>4.0.0</modelVersion>
              <groupId>demo</groupId><artifactId>demo</artifactId><version>1</version>
              <properties><maven.compiler.release>17</maven.compiler.release><project.build.sourceEncoding>UTF-8</project.build.sourceEncoding></properties>
              <dependencies><dependency><groupId>org.junit.jupiter</groupId><artifactId>junit-jupiter</artifactId><version>6.1.3</version><scope>test</scope></dependency></dependencies>
              <build><plugins>
                <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-compiler-plugin</artifactId><version>3.13.0</version></plugin>
                <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-surefire-plugin</artifactId><version>3.5.3</version>
                  <configuration><testFailureIgnore>false</testFailureIgnore></configuration></plugin>
                <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-resources-plugin</artifactId><version>3.3.1</version></plugin>
              </plugins></build>
            </project>
            """;

    Verification.Outcome verify(String service, Duration timeout) throws Exception {
        try (ServiceTrees trees = new ServiceTrees(GitRepo.wrap(repo), "SERVICES")) {
            return Verification.verify(sandbox, trees, detector, head, service, Verification.config(GitRepo.wrap(repo), head), timeout, () -> false);
        }
    }

    static boolean alive(String marker) throws Exception {
        return !Tools.run(null, List.of("pgrep", "-f", marker)).out().isBlank();
    }

    @Test
    void aPassingSuiteMakesTheTreeReadyForDeployAndSeesNoSecrets() throws Exception {
        Verification.Outcome o = verify("passing", null);
        assertThat(o.detection().phase()).isEqualTo(Phase.READY_FOR_DEPLOY);
        assertThat(o.run().tests()).isEqualTo(2);
        assertThat(o.run().failed()).isZero();
    }

    @Test
    void aFailingSuiteNamesItsFailingTests() throws Exception {
        Verification.Outcome o = verify("failing", null);
        assertThat(o.detection().phase()).isEqualTo(Phase.TESTS_FAILING);
        assertThat(o.run().failed()).isEqualTo(1);
        assertThat(o.run().failing()).containsExactly("tests.test_main.test_login");
        assertThat(o.detection().reasons().get(0)).contains("1 passed, 1 failed").contains("test_login");
    }

    @Test
    void aHangingSuiteIsKilledAtTheTimeoutWithItsChildren() throws Exception {
        long t0 = System.nanoTime();
        Verification.Outcome o = verify("hanging", Duration.ofSeconds(3));
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(30));
        assertThat(o.run().timedOut()).isTrue();
        assertThat(o.detection().phase()).isEqualTo(Phase.TESTS_FAILING);
        assertThat(o.detection().reasons().get(0)).contains("timed out after 3 s");
        assertThat(alive("sleep 3001")).as("the suite's child died with it").isFalse();
    }

    @Test
    void aChildThatOutlivesTheSuiteIsKilled() throws Exception {
        Verification.Outcome o = verify("orphaning", null);
        assertThat(o.detection().phase()).isEqualTo(Phase.READY_FOR_DEPLOY);
        assertThat(alive("sleep 3002")).isFalse();
    }

    @Test
    void theDefaultPythonCommandMeasuresCoverageOfSrcAndTheGateApplies() throws Exception {
        Verification.Outcome covered = verify("passing", null);
        assertThat(covered.run().coverage()).as("pytest-cov measured src/: " + covered.run().output()).isEqualTo(100.0);
        Verification.Outcome bare = verify("measured-low", null);
        assertThat(bare.run().coverage()).as("a suite that never imports src/ covers none of it").isEqualTo(0.0);
        assertThat(bare.detection().phase()).isEqualTo(Phase.TESTS_FAILING);
        assertThat(bare.detection().reasons().get(0)).contains("coverage 0.0% below the 80.0% gate");
    }

    @Test
    void withoutPytestCovTheRunSaysCoverageWasNotMeasured() throws Exception {
        // a python3 that has no pytest-cov: the check the default command makes fails, the rest is the real python3
        Path bin = tmp.resolve("no-cov-bin");
        Files.createDirectories(bin);
        Files.writeString(bin.resolve("python3"), "#!/bin/sh\ncase \"$*\" in *pytest_cov*) exit 1 ;; esac\nexec /usr/bin/python3 \"$@\"\n");
        bin.resolve("python3").toFile().setExecutable(true);
        Map<String, String> env = new java.util.HashMap<>(ENV);
        env.put("PATH", bin + ":" + ENV.get("PATH"));
        try (ServiceTrees trees = new ServiceTrees(GitRepo.wrap(repo), "SERVICES")) {
            Verification.Outcome o = Verification.verify(Sandbox.none(env), trees, detector, head, "passing",
                    Verification.config(GitRepo.wrap(repo), head), Duration.ofMinutes(1), () -> false);
            assertThat(o.run().coverage()).isNull();
            assertThat(o.run().output()).contains(dev.assemblyline.verify.TestRunner.NOT_MEASURED);
            assertThat(o.run().summary()).endsWith("coverage not measured (no coverage report: pytest-cov is not installed)");
            assertThat(o.detection().reasons().get(0)).contains("coverage not measured");
        }
    }

    @Test
    void coverageBelowTheGateFails() throws Exception {
        Verification.Outcome o = verify("uncovered", null);
        assertThat(o.run().coverage()).isEqualTo(42.0);
        assertThat(o.detection().phase()).isEqualTo(Phase.TESTS_FAILING);
        assertThat(o.detection().reasons().get(0)).contains("coverage 42.0% below the 80.0% gate");
    }

    @Test
    void aBuildMissingRequiredFilesStaysInTheBuildPhaseNamingThem() throws Exception {
        Verification.Outcome o = verify("incomplete", null);
        assertThat(o.detection().phase()).isEqualTo(Phase.READY_FOR_BUILD);
        assertThat(o.detection().reasons().get(0)).isEqualTo("BUILD/ is incomplete for a python service: missing Dockerfile");
        assertThat(o.run()).isNull();
    }

    @Test
    void aMavenServiceIsReadFromItsRealSurefireReport() throws Exception {
        Verification.Outcome o = verify("java-svc", Duration.ofMinutes(5));
        assertThat(o.run().tests()).as(o.run().output()).isEqualTo(2);
        assertThat(o.run().failed()).isEqualTo(1);
        assertThat(o.run().failing()).containsExactly("demo.DemoTest.breaks");
        assertThat(o.detection().phase()).isEqualTo(Phase.TESTS_FAILING);
    }

    @Test
    void progressIsReportedWhileASuiteRuns() throws Exception {
        java.util.List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (ServiceTrees trees = new ServiceTrees(GitRepo.wrap(repo), "SERVICES")) {
            var s = trees.snapshot(head, "slow");
            var run = Verification.runTests(sandbox, GitRepo.wrap(repo), s, Verification.config(GitRepo.wrap(repo), head), null, () -> false,
                    seen::add);
            assertThat(run.failed()).isEqualTo(1);
        }
        assertThat(seen).isNotEmpty();
        assertThat(seen.get(seen.size() - 1)).isEqualTo("5 passed, 1 failed so far (100%)");
        assertThat(seen).as("heard while running, not only at the end").anyMatch(p -> !p.endsWith("(100%)"));
    }

    @Test
    void theEnvironmentIsAnAllowList() {
        Map<String, String> env = sandbox.environment(Map.of("DEPLOY_KEY", "passed by name"));
        assertThat(env).containsKeys("PATH", "LANG", "HOME", "DEPLOY_KEY").doesNotContainKeys("SLACK_BOT_TOKEN", "ASSEMBLY_ADMIN_TOKEN",
                "DATABASE_URL");
        assertThat(env.get("HOME")).isEqualTo(Sandbox.HOME);
        assertThat(env.get("PATH")).as("folders the sandbox does not mount are dropped").doesNotContain("/root/");
    }

    @Test
    void aSandboxedSuiteCannotReachTheCoordinator() throws Exception {
        Verification.Outcome o = verify("snooping", Duration.ofMinutes(1));
        assertThat(o.run().failing()).as(o.run().output()).isEmpty();
        assertThat(o.run().tests()).isEqualTo(6);
        assertThat(o.detection().phase()).isEqualTo(Phase.READY_FOR_DEPLOY);
    }

    @Test
    void theSnoopingSuiteDoesFindTheCoordinatorWithoutASandbox() throws Exception {
        // the same suite, unsandboxed: it reaches the port and the data, so the test above could fail
        try (ServiceTrees trees = new ServiceTrees(GitRepo.wrap(repo), "SERVICES")) {
            Verification.Outcome o = Verification.verify(Sandbox.none(ENV), trees, detector, head, "snooping",
                    Verification.config(GitRepo.wrap(repo), head), Duration.ofMinutes(1), () -> false);
            assertThat(o.run().failing()).anyMatch(n -> n.endsWith("test_cannot_open_a_socket_to_the_coordinator"))
                    .anyMatch(n -> n.endsWith("test_cannot_read_the_data_directory"));
        }
    }

    @Test
    void aCommittedCoverageReportGetsNoCredit() throws Exception {
        Verification.Outcome o = verify("brings-coverage", null);
        assertThat(o.run().coverage()).as("the run's 40%, not the committed 100%").isEqualTo(40.0);
        assertThat(o.detection().phase()).isEqualTo(Phase.TESTS_FAILING);
    }

    @Test
    void commandsAreRefusedWithoutASandboxUnlessAllowed() {
        Sandbox refusing = Sandbox.without("bubblewrap is not installed", false, ENV);
        assertThat(refusing.runs()).isFalse();
        assertThat(refusing.describe()).contains("ASSEMBLY_UNSANDBOXED=1");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> refusing.command("true", tmp, List.of(), false))
                .isInstanceOf(Sandbox.Unavailable.class).hasMessageContaining("ASSEMBLY_UNSANDBOXED=1");
    }
}
