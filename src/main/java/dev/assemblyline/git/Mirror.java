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
    private volatile String branch;
    /** True while the branch is only a guess (an empty remote whose HEAD could not be read): each fetch asks again. */
    private volatile boolean guessed;
    private final String how;

    private Mirror(GitRepo repo, String url, CredentialsProvider credentials, String branch, boolean guessed, String how) {
        this.repo = repo;
        this.url = url;
        this.credentials = credentials;
        this.branch = branch;
        this.guessed = guessed;
        this.how = how;
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
                GitRepo.clearStaleLocks(dir);
                r = new FileRepositoryBuilder().setGitDir(dir.toFile()).setBare().build();
            }
            GitRepo git = GitRepo.wrap(r);
            // The remote's HEAD names its default branch, even in an empty repository (read where the protocol
            // tells it); the mirror's own HEAD is only what the first clone guessed.
            String tracked = branch;
            String how = "ASSEMBLY_BRANCH";
            boolean guessed = false;
            if (tracked == null) {
                tracked = remoteHead(url, creds);
                how = "the remote's HEAD";
            }
            if (tracked == null && !git.isEmpty()) {
                tracked = git.defaultBranch();
                how = "the mirror's HEAD";
            }
            if (tracked == null) {
                tracked = "main";
                guessed = true;
                how = "the remote is empty and does not say its default branch; set ASSEMBLY_BRANCH to choose";
            }
            Mirror m = new Mirror(git, url, creds, tracked, guessed, how);
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
        if (guessed) {
            String head = remoteHead(url, credentials);
            if (head != null) {
                guessed = false;
                if (!head.equals(branch)) {
                    LOG.info("the remote's HEAD names {}: tracking it (was guessing {})", head, branch);
                    branch = head;
                }
            }
        }
    }

    /**
     * The branch the remote's HEAD names, or null when it cannot be told: a repository on this machine is
     * read directly (its HEAD names a branch even before the first push); over the network the remote
     * says it only once the branch exists.
     */
    static String remoteHead(String url, CredentialsProvider creds) {
        try {
            Path local = url.startsWith("file://") ? Path.of(java.net.URI.create(url)) : url.contains("://") || url.contains("@") ? null : Path.of(url);
            if (local != null) {
                Path dir = Files.exists(local.resolve(".git")) ? local.resolve(".git") : local;
                try (Repository r = new FileRepositoryBuilder().setGitDir(dir.toFile()).setMustExist(true).build()) {
                    var head = r.exactRef(org.eclipse.jgit.lib.Constants.HEAD);
                    return head != null && head.isSymbolic() ? Repository.shortenRefName(head.getTarget().getName()) : null;
                }
            }
            var head = Git.lsRemoteRepository().setRemote(url).setCredentialsProvider(creds).callAsMap().get(org.eclipse.jgit.lib.Constants.HEAD);
            return head != null && head.isSymbolic() ? Repository.shortenRefName(head.getTarget().getName()) : null;
        } catch (IOException | GitAPIException | RuntimeException e) {
            return null;
        }
    }

    @Override
    public String describe() {
        return "mirror of " + redact(url) + " at " + repo.location() + " (tracking " + branch + ", from " + how + ")";
    }

    static String redact(String text) {
        return text.replaceAll("//[^/@\\s]+@", "//***@");
    }

    @Override
    public void close() {
        repo.close();
    }
}
