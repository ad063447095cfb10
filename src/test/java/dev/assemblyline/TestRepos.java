package dev.assemblyline;

import dev.assemblyline.git.CommitWriter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;

/** Real repositories for tests, built with JGit in a temporary folder. */
public final class TestRepos {
    private TestRepos() {
    }

    /** A new bare repository whose HEAD points to main. */
    public static Repository bare(Path dir) throws IOException {
        Repository r = new FileRepositoryBuilder().setGitDir(dir.toFile()).setBare().build();
        r.create(true);
        r.updateRef("HEAD").link("refs/heads/main");
        return r;
    }

    public static CommitWriter on(Repository r) {
        return new CommitWriter(r, "main");
    }

    /** Writes one file in a clone, commits it and pushes HEAD to {@code remoteRef} of origin, with the git command line. */
    public static void commitAndPush(Path work, String path, String content, String remoteRef) throws Exception {
        java.nio.file.Files.createDirectories(work.resolve(path).getParent());
        java.nio.file.Files.writeString(work.resolve(path), content);
        String[] id = {"-c", "user.name=Test", "-c", "user.email=test@example.invalid"};
        Tools.ok(work, "git", "add", ".");
        Tools.ok(work, "git", id[0], id[1], id[2], id[3], "commit", "-qm", "change " + path);
        push(work, remoteRef);
    }

    /**
     * Pushes HEAD to {@code remoteRef} of origin as a person would: when the branch moved on (the
     * coordinator's status write-back commits to it, docs/status-board.md), pulls with rebase and pushes again.
     */
    public static void push(Path work, String remoteRef) throws Exception {
        for (int attempt = 1; ; attempt++) {
            Tools.Result r = Tools.run(work, java.util.List.of("git", "push", "-q", "origin", "HEAD:" + remoteRef));
            if (r.exit() == 0) {
                return;
            }
            if (attempt == 5 || !(r.err() + r.out()).matches("(?s).*(rejected|fetch first|non-fast-forward|failed to lock|failed to update).*")) {
                throw new AssertionError("git push failed: " + r.err() + r.out());
            }
            Tools.ok(work, "git", "-c", "user.name=Test", "-c", "user.email=test@example.invalid", "pull", "-q", "--rebase", "origin",
                    remoteRef.replaceFirst("^refs/heads/", ""));
        }
    }

    /** The Python service's code: importing it runs every line, so a suite that imports it covers it all. */
    public static final String MAIN_PY = "GREETING = 'hello'\n";

    /** A passing pytest suite for {@link #MAIN_PY} (100% line coverage of src/). */
    public static final String PASSING_TEST = "from src.main import GREETING\n\ndef test_ok():\n    assert GREETING == 'hello'\n";

    /** Writes a complete spec and Python BUILD/ (the seed's required files) into a clone; BUILD/tests/ is left to the caller. */
    public static void writePythonService(Path work, String service) throws Exception {
        String s = "SERVICES/" + service + "/";
        java.nio.file.Files.createDirectories(work.resolve(s + "BUILD/src"));
        java.nio.file.Files.createDirectories(work.resolve(s + "BUILD/tests"));
        java.nio.file.Files.writeString(work.resolve(s + "SPEC.md"), completeSpec());
        java.nio.file.Files.writeString(work.resolve(s + "BUILD/src/main.py"), MAIN_PY);
        java.nio.file.Files.writeString(work.resolve(s + "BUILD/requirements.txt"), "pytest\n");
        java.nio.file.Files.writeString(work.resolve(s + "BUILD/Dockerfile"), "FROM python:3.11-slim\n");
        java.nio.file.Files.writeString(work.resolve(s + "BUILD/.env.example"), "PORT=8000\n");
    }

    /** Pushes a complete Python BUILD/ for a service whose spec is already pushed, without tests. */
    public static void pushPythonBuild(Path work, String service) throws Exception {
        writePythonService(work, service);
        commitAndPush(work, "SERVICES/" + service + "/BUILD/src/main.py", MAIN_PY, "main");
    }

    /** The bundled example: a complete spec (the template itself is not: its sections still hold the template's text). */
    public static String completeSpec() {
        return resource("/templates/SPEC.example.md");
    }

    /** The bundled template, as {@code cp templates/SPEC.md} gives it. */
    public static String template() {
        return resource("/templates/SPEC.md");
    }

    private static String resource(String name) {
        try (InputStream in = TestRepos.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A complete spec without one section. */
    public static String specWithout(String section) {
        String spec = completeSpec();
        int at = spec.indexOf("## " + section);
        int next = spec.indexOf("\n## ", at + 3);
        return spec.substring(0, at) + (next < 0 ? "" : spec.substring(next + 1));
    }
}
