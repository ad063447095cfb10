package dev.assemblyline.git;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.lib.ObjectId;
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
            org.eclipse.jgit.lib.StoredConfig c = r.getConfig();
            c.setInt("core", null, "compression", 1); // the status write-back's loose objects: see HostedRepo
            c.setInt("pack", null, "compression", -1);
            c.save();
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
     * Pushes {@code commit} to the remote's tracked branch, not forced: git itself refuses it when the
     * remote's branch is no longer {@code base} (someone pushed first), which is {@link Outcome#BEHIND}.
     * A refusal for any other reason (a protected branch, a token that may only read) is {@link
     * Outcome#REFUSED}; the local branch follows only what the remote took.
     */
    @Override
    public synchronized Publication publish(ObjectId base, ObjectId commit) {
        try (Git g = Git.wrap(repo.repository())) {
            org.eclipse.jgit.transport.RemoteRefUpdate u = null;
            for (org.eclipse.jgit.transport.PushResult r : g.push().setRemote(url).setCredentialsProvider(credentials).setForce(false)
                    .setRefSpecs(new RefSpec(commit.name() + ":refs/heads/" + branch))
                    // a lease: only if the remote branch is still at base (a person who reset it meanwhile is not undone)
                    .setRefLeaseSpecs(new org.eclipse.jgit.transport.RefLeaseSpec("refs/heads/" + branch, base.name())).call()) {
                u = r.getRemoteUpdate("refs/heads/" + branch);
            }
            if (u == null) {
                return new Publication(Outcome.FAILED, "the push gave no answer for " + branch);
            }
            return switch (u.getStatus()) {
                case OK, UP_TO_DATE -> {
                    var ru = repo.repository().updateRef("refs/heads/" + branch);
                    ru.setNewObjectId(commit);
                    ru.setForceUpdate(true); // the mirror follows the remote, which now has it
                    ru.update();
                    yield new Publication(Outcome.PUBLISHED, u.getStatus().name());
                }
                case REJECTED_NONFASTFORWARD, REJECTED_REMOTE_CHANGED -> new Publication(Outcome.BEHIND, u.getStatus().name());
                default -> {
                    String why = u.getStatus().name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ')
                            + (u.getMessage() == null ? "" : ": " + redact(u.getMessage()));
                    // a forge that lost the race says so in words ("cannot lock ref", "lock error"): if the branch
                    // moved on meanwhile, it was a race, not a refusal
                    refresh();
                    yield base.equals(head()) ? new Publication(Outcome.REFUSED, why) : new Publication(Outcome.BEHIND, why);
                }
            };
        } catch (org.eclipse.jgit.api.errors.TransportException e) {
            String m = redact(String.valueOf(e.getMessage()));
            // the remote answered, and said no: the credentials may fetch but not push
            boolean refused = m.matches("(?is).*(not authorized|authentication|401|403|forbidden|permission|denied|read[- ]only|not permitted).*");
            return new Publication(refused ? Outcome.REFUSED : Outcome.FAILED, m);
        } catch (GitAPIException | IOException | RuntimeException e) {
            return new Publication(Outcome.FAILED, redact(String.valueOf(e.getMessage())));
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
