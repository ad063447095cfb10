package dev.assemblyline.git;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.transport.CredentialsProvider;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.transport.UsernamePasswordCredentialsProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A bare mirror of an outside repository, fetched with a forcing refspec so forced pushes land and
 * deleted branches go. The tracked branch is the configured one, else the remote's default.
 */
public final class Mirror implements RepoSource {
    private static final Logger LOG = LoggerFactory.getLogger(Mirror.class);

    private final GitRepo repo;
    private final String url;
    private final CredentialsProvider credentials;
    private final String branch;

    private Mirror(GitRepo repo, String url, CredentialsProvider credentials, String branch) {
        this.repo = repo;
        this.url = url;
        this.credentials = credentials;
        this.branch = branch;
    }

    /** Clones into {@code dir} the first time, reuses it after; {@code branch} null means the remote's default. */
    public static Mirror open(Path dir, String url, String token, String branch) {
        CredentialsProvider creds = token == null ? null : new UsernamePasswordCredentialsProvider("x-access-token", token);
        try {
            Repository r;
            if (!Files.exists(dir.resolve("HEAD"))) {
                Files.createDirectories(dir.getParent());
                try (Git g = Git.cloneRepository().setURI(url).setDirectory(dir.toFile()).setBare(true).setMirror(true)
                        .setCredentialsProvider(creds).call()) {
                    r = g.getRepository();
                    r.incrementOpen();
                }
            } else {
                r = new FileRepositoryBuilder().setGitDir(dir.toFile()).setBare().build();
            }
            GitRepo git = GitRepo.wrap(r);
            String tracked = branch != null ? branch : git.defaultBranch();
            if (tracked == null) {
                tracked = "main";
            }
            Mirror m = new Mirror(git, url, creds, tracked);
            m.refresh();
            return m;
        } catch (IOException | GitAPIException e) {
            throw new GitException("mirroring " + redact(url) + " into " + dir + ": " + redact(String.valueOf(e.getMessage())), e);
        }
    }

    @Override
    public GitRepo repo() {
        return repo;
    }

    @Override
    public String trackedBranch() {
        return branch;
    }

    @Override
    public synchronized void refresh() {
        try (Git g = Git.wrap(repo.repository())) {
            g.fetch().setRemote(url).setRefSpecs(new RefSpec("+refs/heads/*:refs/heads/*"))
                    .setRemoveDeletedRefs(true).setCredentialsProvider(credentials).call();
        } catch (GitAPIException | RuntimeException e) {
            LOG.warn("fetching {} failed: {}", redact(url), redact(String.valueOf(e.getMessage())));
            throw new GitException("fetching " + redact(url) + ": " + redact(String.valueOf(e.getMessage())), e);
        }
    }

    @Override
    public String describe() {
        return "mirror of " + redact(url) + " at " + repo.location() + " (tracking " + branch + ")";
    }

    static String redact(String text) {
        return text.replaceAll("//[^/@\\s]+@", "//***@");
    }

    @Override
    public void close() {
        repo.close();
    }
}
