package dev.assemblyline.git;

import dev.assemblyline.model.InboxEvent;
import jakarta.servlet.http.HttpServlet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.eclipse.jgit.http.server.GitServlet;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.StoredConfig;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.transport.ReceiveCommand;
import org.eclipse.jgit.transport.ReceivePack;
import org.eclipse.jgit.transport.resolver.RepositoryResolver;

/**
 * The coordinator's own bare repository, served over smart HTTP. A push to the tracked branch becomes
 * an inbox event from inside the receive hook, so it is processed with no webhook at all.
 */
public final class HostedRepo implements RepoSource {
    public static final String NAME = "services.git";
    /** Request attributes set by the HTTP gate: who pushes, and whether it is the admin. */
    public static final String PUSHER = "assembly.pusher";
    public static final String ADMIN = "assembly.admin";

    /** Pushes between two repacks: JGit keeps each push as its own pack, and every lookup searches all of them. */
    static final int PUSHES_PER_REPACK = 40;

    private final GitRepo repo;
    private final String branch;
    private final java.util.concurrent.atomic.AtomicInteger pushesSinceRepack = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.ExecutorService repacker = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "hosted-repack");
        t.setDaemon(true);
        return t;
    });

    private HostedRepo(GitRepo repo, String branch) {
        this.repo = repo;
        this.branch = branch;
    }

    /** Opens {@code dir}, creating an empty bare repository (HEAD → branch) the first time. */
    public static HostedRepo open(Path dir, String branch) {
        try {
            GitRepo.clearStaleLocks(dir);
            Repository r = new FileRepositoryBuilder().setGitDir(dir.toFile()).setBare().build();
            if (!Files.exists(dir.resolve("HEAD"))) {
                Files.createDirectories(dir.getParent());
                r.create(true);
                r.updateRef(Constants.HEAD).link(Constants.R_HEADS + branch);
            }
            StoredConfig c = r.getConfig();
            c.setBoolean("http", null, "receivepack", true);
            c.setBoolean("receive", null, "denyNonFastForwards", false);
            // a repack replaces the packs it merged at once (JGit's default keeps them an hour); readers that
            // still hold one go on reading it, and a lookup that misses a removed pack searches again
            c.setString("gc", null, "prunePackExpire", "now");
            // unreachable loose objects are kept git's two weeks (gc.pruneExpire): a shorter time saved no measurable
            // CPU in the 200-service simulation, and an old unreachable object the write-back finds and uses again
            // must not be pruned before the commit naming it is published (OwnObjects touches it, as git does)
            c.unset("gc", null, "pruneExpire");
            // loose objects (the status write-back's commits; pushes arrive as packs) are stored, not compressed:
            // its registry is megabytes at 10,000 services and each commit writes it anew; the repack every 40
            // pushes compresses them at git's default (pack.compression), and a fetch re-deflates them either way
            c.setInt("core", null, "compression", 0);
            c.setInt("pack", null, "compression", -1);
            c.save();
            return new HostedRepo(GitRepo.wrap(r), branch);
        } catch (IOException e) {
            throw new GitException("creating the hosted repository at " + dir, e);
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
    public void refresh() {
        // pushes land here directly
    }

    /** A compare-and-set of the branch: a push landing meanwhile holds the ref or has moved it, and this fails. */
    @Override
    public Publication publish(ObjectId base, ObjectId commit) {
        try {
            org.eclipse.jgit.lib.RefUpdate ru = repo.repository().updateRef(Constants.R_HEADS + branch);
            ru.setExpectedOldObjectId(base);
            ru.setNewObjectId(commit);
            ru.setRefLogIdent(new org.eclipse.jgit.lib.PersonIdent("assembly-line", "assembly-line@localhost"));
            ru.setRefLogMessage("assembly-line: status write-back", false);
            org.eclipse.jgit.lib.RefUpdate.Result r = ru.update();
            return switch (r) {
                case FAST_FORWARD, NEW -> {
                    if (pushesSinceRepack.incrementAndGet() >= PUSHES_PER_REPACK) { // the bot's commits are loose objects: packed like pushes
                        pushesSinceRepack.set(0);
                        repacker.execute(this::repack);
                    }
                    yield new Publication(Outcome.PUBLISHED, r.name());
                }
                case LOCK_FAILURE, REJECTED, REJECTED_CURRENT_BRANCH, REJECTED_MISSING_OBJECT, REJECTED_OTHER_REASON, NOT_ATTEMPTED, IO_FAILURE,
                     FORCED, NO_CHANGE, RENAMED -> new Publication(Outcome.BEHIND, r.name());
            };
        } catch (IOException e) {
            return new Publication(Outcome.FAILED, e.getMessage());
        }
    }

    @Override
    public String describe() {
        return "hosted repository " + repo.location() + " (tracking " + branch + "), served at /git/" + NAME;
    }

    /**
     * The smart-HTTP servlet for {@code /git/*}. {@code onPush} receives one event per push to the tracked
     * branch, after the refs moved and before the client hears back.
     */
    public HttpServlet servlet(java.util.function.Function<InboxEvent, List<String>> onPush, Clock clock) {
        GitServlet servlet = new GitServlet();
        RepositoryResolver<jakarta.servlet.http.HttpServletRequest> resolver = (req, name) -> {
            if (!NAME.equals(name) && !NAME.equals(name + ".git")) {
                throw new org.eclipse.jgit.errors.RepositoryNotFoundException(name);
            }
            Repository r = repo.repository();
            r.incrementOpen();
            return r;
        };
        servlet.setRepositoryResolver(resolver);
        servlet.setReceivePackFactory((req, r) -> {
            Object pusher = req.getAttribute(PUSHER);
            if (pusher == null) {
                // the gate in front lets no unauthenticated push through; refuse if ever mounted without it
                throw new org.eclipse.jgit.transport.resolver.ServiceNotAuthorizedException();
            }
            boolean admin = Boolean.TRUE.equals(req.getAttribute(ADMIN));
            ReceivePack rp = new ReceivePack(r);
            rp.setAllowNonFastForwards(true);
            rp.setAllowDeletes(true);
            rp.setRefLogIdent(new org.eclipse.jgit.lib.PersonIdent(pusher.toString(), pusher + "@assembly-line"));
            rp.setPreReceiveHook((pack, commands) -> {
                for (ReceiveCommand cmd : commands) {
                    if (admin || !cmd.getRefName().equals(Constants.R_HEADS + branch) || cmd.getResult() != ReceiveCommand.Result.NOT_ATTEMPTED) {
                        continue;
                    }
                    if (cmd.getType() == ReceiveCommand.Type.DELETE) {
                        cmd.setResult(ReceiveCommand.Result.REJECTED_NODELETE, "only admin may delete " + branch);
                    } else if (cmd.getType() == ReceiveCommand.Type.UPDATE_NONFASTFORWARD) {
                        cmd.setResult(ReceiveCommand.Result.REJECTED_NONFASTFORWARD, "only admin may force-push " + branch);
                    }
                }
            });
            rp.setPostReceiveHook((pack, commands) -> {
                for (ReceiveCommand cmd : commands) {
                    if (cmd.getResult() == ReceiveCommand.Result.OK && cmd.getRefName().equals(Constants.R_HEADS + branch)) {
                        String before = cmd.getOldId().name();
                        String after = cmd.getNewId().name();
                        try {
                            // the answer waits for the push to be processed, and the pusher sees what it changed
                            for (String line : onPush.apply(InboxEvent.push("hosted", "hosted:" + java.util.UUID.randomUUID(), cmd.getRefName(),
                                    before, after, clock.instant()))) {
                                pack.sendMessage(line);
                            }
                        } catch (RuntimeException e) {
                            // the refs have moved: the push succeeded; the next resync sees it
                            org.slf4j.LoggerFactory.getLogger(HostedRepo.class).warn("push {}..{} not queued: {}", before, after, e.getMessage());
                        }
                        if (pushesSinceRepack.incrementAndGet() >= PUSHES_PER_REPACK) {
                            pushesSinceRepack.set(0);
                            repacker.execute(this::repack);
                        }
                    }
                }
            });
            return rp;
        });
        return servlet;
    }

    /**
     * Merges the packs the pushes left into one (JGit's garbage collection; unreachable objects younger than
     * two weeks are kept). Runs on its own thread, one at a time, while fetches and pushes go on.
     */
    void repack() {
        long t0 = System.nanoTime();
        try (org.eclipse.jgit.api.Git git = org.eclipse.jgit.api.Git.wrap(repo.repository())) {
            git.gc().call();
            org.slf4j.LoggerFactory.getLogger(HostedRepo.class).debug("repacked the hosted repository in {} ms",
                    (System.nanoTime() - t0) / 1_000_000);
        } catch (Exception e) {
            org.slf4j.LoggerFactory.getLogger(HostedRepo.class).warn("repacking the hosted repository failed: {}", e.getMessage());
        }
    }

    @Override
    public void close() {
        repacker.shutdown(); // a repack under way finishes: cut off, it would leave its temporary pack behind
        try {
            repacker.awaitTermination(2, java.util.concurrent.TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        repo.close();
    }

}
