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
        Path hook = work.resolve(".git/hooks/pre-push");
        Files.copy(Tools.projectDir().resolve("hooks/pre-push"), hook);
        hook.toFile().setExecutable(true);
        Tools.ok(work, "git", "config", "assembly.jar", jar());
        Files.createDirectories(work.resolve("SERVICES/half"));
        Files.writeString(work.resolve("SERVICES/half/SPEC.md"), TestRepos.specWithout("Purpose"));
        Tools.ok(work, "git", "add", ".");
        Tools.ok(work, "git", "-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qm", "half a spec");

        Tools.Result strict = Tools.run(work, List.of("sh", "-c", "ASSEMBLY_PREPUSH_STRICT=1 git push origin HEAD:main"));
        assertThat(strict.exit()).isNotZero();
        assertThat(strict.err()).contains("half", "SPEC_INCOMPLETE", "push refused");

        Tools.Result lenient = Tools.run(work, List.of("git", "push", "origin", "HEAD:main"));
        assertThat(lenient.exit()).isZero();
        assertThat(lenient.err()).contains("SPEC_INCOMPLETE", "pushing anyway");
    }
}
