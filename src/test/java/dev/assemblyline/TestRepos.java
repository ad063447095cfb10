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

    /** The bundled template: a complete spec. */
    public static String completeSpec() {
        try (InputStream in = TestRepos.class.getResourceAsStream("/templates/SPEC.md")) {
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
