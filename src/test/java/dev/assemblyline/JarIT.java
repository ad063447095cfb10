package dev.assemblyline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The packaged jar and the hooks that call it, as a user runs them. */
class JarIT {
    @TempDir
    Path tmp;

    static String jar() {
        Path jar = Tools.projectDir().resolve("target/assembly-line.jar");
        assertThat(jar).as("the fat jar is built by mvn package before this test").exists();
        return jar.toString();
    }

    /** A commit adding a spec without its Purpose section: what the pre-push hook should name. */
    static void commitHalfASpec(Path work) throws Exception {
        Files.createDirectories(work.resolve("SERVICES/half"));
        Files.writeString(work.resolve("SERVICES/half/SPEC.md"), TestRepos.specWithout("Purpose"));
        Tools.ok(work, "git", "add", ".");
        Tools.ok(work, "git", "-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qm", "half a spec");
    }

    @Test
    void helpListsTheCommandsAndAMissingBranchIsExitCodeTwo() throws Exception {
        Tools.Result help = Tools.run(tmp, List.of("java", "-jar", jar(), "--help"));
        assertThat(help.exit()).isZero();
        assertThat(help.out()).contains("serve", "scan", "changed", "bench", "demo");
        Tools.ok(tmp, "git", "init", "-q", "-b", "main", "repo");
        Tools.Result missing = Tools.run(tmp, List.of("java", "-jar", jar(), "scan", "--repo", "repo", "--ref", "nope"));
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err().strip()).startsWith("assembly: no branch or commit 'nope'").doesNotContain("\n");
    }

    @Test
    void prePushWarnsAndRefusesOnlyWhenStrict() throws Exception {
        Path origin = tmp.resolve("origin.git");
        Tools.ok(tmp, "git", "init", "-q", "--bare", "-b", "main", origin.toString());
        Path work = tmp.resolve("work");
        Tools.ok(tmp, "git", "clone", "-q", origin.toString(), work.toString());
        // installed as the README says, from inside the clone, with the jar given by a path relative to elsewhere
        Tools.Result install = Tools.run(work, List.of("java", "-jar", jar(), "hooks", "install", "--pre-push"));
        assertThat(install.exit()).as(install.err()).isZero();
        assertThat(Files.isExecutable(work.resolve(".git/hooks/pre-push"))).isTrue();
        assertThat(Tools.ok(work, "git", "config", "assembly.jar").strip()).isEqualTo(Path.of(jar()).toAbsolutePath().toString());
        commitHalfASpec(work);

        Tools.Result strict = Tools.run(work, List.of("sh", "-c", "ASSEMBLY_PREPUSH_STRICT=1 git push origin HEAD:main"));
        assertThat(strict.exit()).isNotZero();
        assertThat(strict.err()).contains("half", "SPEC_INCOMPLETE", "push refused");

        Tools.Result lenient = Tools.run(work, List.of("git", "push", "origin", "HEAD:main"));
        assertThat(lenient.exit()).isZero();
        assertThat(lenient.err()).contains("SPEC_INCOMPLETE", "pushing anyway");
    }

    @Test
    void aPrePushHookThatCannotRunSaysSoAndRefusesWhenStrict() throws Exception {
        Path origin = tmp.resolve("origin.git");
        Tools.ok(tmp, "git", "init", "-q", "--bare", "-b", "main", origin.toString());
        Path work = tmp.resolve("work");
        Tools.ok(tmp, "git", "clone", "-q", origin.toString(), work.toString());
        Tools.ok(work, "java", "-jar", jar(), "hooks", "install", "--pre-push");
        Tools.ok(work, "git", "config", "assembly.jar", tmp.resolve("gone.jar").toString());
        commitHalfASpec(work);

        Tools.Result strict = Tools.run(work, List.of("sh", "-c", "ASSEMBLY_PREPUSH_STRICT=1 git push origin HEAD:main"));
        assertThat(strict.exit()).isNotZero();
        assertThat(strict.err()).contains("pre-push check could not run: the jar " + tmp.resolve("gone.jar") + " does not exist", "push refused");

        Files.writeString(tmp.resolve("broken.jar"), "not a jar");
        Tools.ok(work, "git", "config", "assembly.jar", tmp.resolve("broken.jar").toString());
        Tools.Result broken = Tools.run(work, List.of("sh", "-c", "ASSEMBLY_PREPUSH_STRICT=1 git push origin HEAD:main"));
        assertThat(broken.exit()).isNotZero();
        assertThat(broken.err()).contains("pre-push check could not run: ", "push refused");

        Tools.Result lenient = Tools.run(work, List.of("git", "push", "origin", "HEAD:main"));
        assertThat(lenient.exit()).isZero();
        assertThat(lenient.err()).contains("pre-push check could not run", "pushing unchecked");

        Files.writeString(work.resolve(".git/hooks/pre-push"), "#!/bin/sh\nexit 0\n");
        Tools.Result foreign = Tools.run(work, List.of("java", "-jar", jar(), "hooks", "install", "--pre-push"));
        assertThat(foreign.exit()).as("someone else's hook is not overwritten").isEqualTo(2);
        assertThat(foreign.err()).contains("exists and is not Assembly Line's; --force replaces it");
    }

    @Test
    void postReceiveIsInstalledInABareRepositoryWithTheUrlAndTheSecretFromTheEnvironment() throws Exception {
        Path origin = tmp.resolve("origin.git");
        Tools.ok(tmp, "git", "init", "-q", "--bare", "-b", "main", origin.toString());
        Tools.Result noUrl = Tools.run(origin, List.of("java", "-jar", jar(), "hooks", "install", "--post-receive"));
        assertThat(noUrl.exit()).isEqualTo(2);
        assertThat(noUrl.err().strip()).isEqualTo("assembly: --post-receive needs --url http(s)://HOST:PORT, the coordinator's address");
        Tools.Result ok = Tools.run(origin, List.of("env", "ASSEMBLY_HOOK_SECRET=s3cret", "java", "-jar", jar(), "hooks", "install",
                "--post-receive", "--url", "http://127.0.0.1:8900/"));
        assertThat(ok.exit()).as(ok.err()).isZero();
        assertThat(ok.out()).contains("reports pushes to http://127.0.0.1:8900/", "signed").doesNotContain("s3cret");
        assertThat(Files.isExecutable(origin.resolve("hooks/post-receive"))).isTrue();
        assertThat(Tools.ok(origin, "git", "config", "assembly.url").strip()).isEqualTo("http://127.0.0.1:8900");
        assertThat(Tools.ok(origin, "git", "config", "assembly.secret").strip()).isEqualTo("s3cret");
        Tools.Result none = Tools.run(tmp, List.of("java", "-jar", jar(), "hooks", "install", "--pre-push", "--repo", tmp.resolve("nowhere").toString()));
        assertThat(none.exit()).isEqualTo(2);
        assertThat(none.err().strip()).doesNotContain("\n").contains("is not inside a git repository");
    }

    @Test
    void theReadmeWalkthroughShowsWhatItSays() throws Exception {
        String readme = Files.readString(Tools.projectDir().resolve("README.md"));
        int at = readme.indexOf("```sh", readme.indexOf("Then, in another terminal"));
        String block = readme.substring(readme.indexOf('\n', at) + 1, readme.indexOf("```", at + 5));
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        // the coordinator's checkout, as the README has it: templates/ beside the folder the clone goes in
        Tools.ok(tmp, "cp", "-r", Tools.projectDir().resolve("templates").toString(), tmp.toString());
        ProcessBuilder pb = new ProcessBuilder("java", "-jar", jar(), "serve").directory(tmp.toFile()).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("serve.log").toFile());
        pb.environment().put("PORT", String.valueOf(port));
        Process serve = pb.start();
        try {
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60)).until(() ->
                    Tools.run(tmp, List.of("curl", "-sf", "-o", "/dev/null", "http://localhost:" + port + "/health")).exit() == 0);
            Tools.Result r = Tools.run(tmp, List.of("env", "GIT_AUTHOR_NAME=New User", "GIT_AUTHOR_EMAIL=new@example.invalid",
                    "GIT_COMMITTER_NAME=New User", "GIT_COMMITTER_EMAIL=new@example.invalid",
                    "bash", "-euc", block.replace("8900", String.valueOf(port))));
            assertThat(r.exit()).as(r.err()).isZero();
            String[] answers = r.out().strip().split("(?<=})(?=\\{\"service\")"); // curl -s ends no line
            assertThat(answers).hasSize(2);
            assertThat(answers[0]).contains("\"phase\":\"SPEC_INCOMPLETE\"", "unfilled section: Purpose (still the template's text)");
            assertThat(answers[1]).contains("\"phase\":\"READY_FOR_BUILD\"", "\"events\"");
            assertThat(r.err()).contains("remote: assembly: hello: new → SPEC_INCOMPLETE",
                    "remote: assembly: hello: SPEC_INCOMPLETE → READY_FOR_BUILD");
        } finally {
            serve.destroyForcibly();
        }
    }
}
