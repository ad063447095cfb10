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

    /**
     * Where a push lands on the tracked branch without racing anyone (docs/agents.md, "Landing"): a commit
     * pushed to {@code refs/for/<branch>} goes onto the branch as it is when it arrives, fast-forward when it
     * builds on the head, else merged with it, and is refused only when the two change the same lines.
     */
    public static final String LANDING = "refs/for/";
    /** First-parent commits of the branch advertised as {@code .have} to a push, so one built on a recent head sends only what is new. */
    static final int ADVERTISED_HAVES = 256;

    /** The fewest and most pushes between two repacks (see {@link #pushesPerRepack}). */
    static final int MIN_PUSHES_PER_REPACK = 10;
    static final int MAX_PUSHES_PER_REPACK = 40;

    private final GitRepo repo;
    private final String branch;
    private final java.util.concurrent.atomic.AtomicInteger pushesSinceRepack = new java.util.concurrent.atomic.AtomicInteger();
    /** Pushes (and write-backs) until the next repack: set after each repack from what it cost. */
    private volatile int repackEvery = pushesPerRepack(100);
    private final java.util.concurrent.atomic.AtomicBoolean repackQueued = new java.util.concurrent.atomic.AtomicBoolean();
    private final java.util.concurrent.ExecutorService repacker = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "hosted-repack");
        t.setDaemon(true);
        return t;
    });

    private final Object landing = new Object();
    /**
     * Read-held from writing a commit's objects (a landing's merge, a status commit) until the branch names
     * it; write-held by a repack, which deletes the packs it merged at once (gc.prunePackExpire now) and
     * would otherwise take a new pack whose commit no ref names yet. A push's own pack is kept by
     * receive-pack's .keep file until its refs have moved.
     */
    private final java.util.concurrent.locks.ReentrantReadWriteLock packs = new java.util.concurrent.locks.ReentrantReadWriteLock();

    /** Whether a repack waits for a {@link #holdNewObjects()} to end (for tests). */
    boolean repackWaiting() {
        return packs.hasQueuedThreads();
    }

    @Override
    public Hold holdNewObjects() {
        packs.readLock().lock();
        return packs.readLock()::unlock;
    }
    private volatile java.util.Map.Entry<ObjectId, java.util.Set<ObjectId>> recentHeads;

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
            // its registry is megabytes at 10,000 services and each commit writes it anew; the repack every 10 to 40
            // pushes compresses them at git's default (pack.compression), and a fetch re-deflates them either way
            c.setInt("core", null, "compression", 0);
            c.setInt("pack", null, "compression", -1);
            // a fetch's delta search in the request's own thread: JGit otherwise starts a pool of threads for each
            // pack it writes (a thousand threads in a 200-service simulation), for no gain on a busy server
            c.setInt("pack", null, "threads", 1);
            // the repacks are this class's (pushesPerRepack): JGit's own after a push, when packs pass gc.autoPackLimit
            // (each push leaves one and each landing's merge another), would repack again on a thread of its own
            c.setBoolean("receive", null, "autogc", false);
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
                    pushed(); // the bot's commits leave a pack and loose objects: repacked like pushes
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
            rp.setAdvertiseRefsHook(new org.eclipse.jgit.transport.AdvertiseRefsHook() {
                @Override
                public void advertiseRefs(org.eclipse.jgit.transport.UploadPack up) {
                    // fetches are not served by this receive-pack
                }

                @Override
                public void advertiseRefs(ReceivePack receive) throws IOException {
                    receive.setAdvertisedRefs(null, recentHeads());
                }
            });
            List<ReceiveCommand> landed = new java.util.ArrayList<>(); // refs/for/<branch> landed: the branch's old and new commit
            String landingRef = LANDING + branch;
            rp.setPreReceiveHook((pack, commands) -> {
                for (ReceiveCommand cmd : commands) {
                    if (cmd.getResult() != ReceiveCommand.Result.NOT_ATTEMPTED) {
                        continue;
                    }
                    if (cmd.getRefName().startsWith(LANDING)) {
                        if (!cmd.getRefName().equals(landingRef) || cmd.getType() != ReceiveCommand.Type.CREATE) {
                            cmd.setResult(ReceiveCommand.Result.REJECTED_OTHER_REASON, "only a commit pushed to " + landingRef + " lands");
                            continue;
                        }
                        if (commands.size() > 1) { // the branch moves here: nothing else in the push may then fail or be undone
                            cmd.setResult(ReceiveCommand.Result.REJECTED_OTHER_REASON, "push " + landingRef + " on its own");
                            continue;
                        }
                        try {
                            Landing l = land(cmd.getNewId(), pusher.toString());
                            if (l.refusal() != null) {
                                cmd.setResult(ReceiveCommand.Result.REJECTED_OTHER_REASON, printable(l.refusal()));
                                continue;
                            }
                            pack.sendMessage("assembly: " + l.how());
                            if (!l.before().equals(l.after())) {
                                landed.add(new ReceiveCommand(l.before(), l.after(), Constants.R_HEADS + branch));
                            }
                            cmd.setResult(ReceiveCommand.Result.OK);
                        } catch (IOException | RuntimeException e) { // a merge JGit cannot make in memory (a huge file) too
                            cmd.setResult(ReceiveCommand.Result.REJECTED_OTHER_REASON, printable("not landed: " + e.getMessage()));
                        }
                        continue;
                    }
                    if (admin || !cmd.getRefName().equals(Constants.R_HEADS + branch)) {
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
                List<ReceiveCommand> moved = new java.util.ArrayList<>(landed);
                for (ReceiveCommand cmd : commands) {
                    if (cmd.getResult() == ReceiveCommand.Result.OK && cmd.getRefName().equals(Constants.R_HEADS + branch)) {
                        moved.add(cmd);
                    }
                }
                for (ReceiveCommand cmd : moved) {
                    String before = cmd.getOldId().name();
                    String after = cmd.getNewId().name();
                    try {
                        // the answer waits for the push to be processed, and the pusher sees what it changed
                        for (String line : onPush.apply(InboxEvent.push("hosted", "hosted:" + java.util.UUID.randomUUID(), Constants.R_HEADS + branch,
                                before, after, clock.instant()))) {
                            pack.sendMessage(line);
                        }
                    } catch (RuntimeException e) {
                        // the refs have moved: the push succeeded; the next resync sees it
                        org.slf4j.LoggerFactory.getLogger(HostedRepo.class).warn("push {}..{} not queued: {}", before, after, e.getMessage());
                    }
                    pushed();
                }
            });
            return rp;
        });
        return servlet;
    }

    /** What a push to {@code refs/for/<branch>} did: the branch before and after, in words; or why it was refused. */
    record Landing(ObjectId before, ObjectId after, String how, String refusal) {
    }

    /**
     * Lands {@code commit} on the tracked branch as the branch is now: the commit itself when it builds on
     * the head (a fast-forward), else a merge of the head and the commit, made here, with the head as first
     * parent. Landings take turns; the branch moves by compare-and-set, so a status write-back or a plain
     * push landing meanwhile makes it merge again with the newer head. Refused when the commit and the
     * head change the same lines of a file (the pusher rebases and pushes again).
     */
    Landing land(ObjectId commit, String pusher) throws IOException {
        Repository r = repo.repository();
        String ref = Constants.R_HEADS + branch;
        synchronized (landing) {
            for (int attempt = 1; ; attempt++) {
                try (Hold hold = holdNewObjects()) { // no repack between the merge's pack and main naming it
                    Landing done = landOnce(r, ref, commit, pusher, attempt);
                    if (done != null) {
                        return done;
                    }
                }
                // a write-back or a plain push moved the branch (or holds its lock): a moment, then merge again with its head
                try {
                    Thread.sleep(java.util.concurrent.ThreadLocalRandom.current().nextLong(5, 25));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while landing");
                }
            }
        }
    }

    /** One try of {@link #land}: the landing, or null when the branch moved meanwhile (try again). */
    private Landing landOnce(Repository r, String ref, ObjectId commit, String pusher, int attempt) throws IOException {
        org.eclipse.jgit.lib.Ref current = r.exactRef(ref);
        ObjectId head = current == null ? null : current.getObjectId();
        ObjectId result;
        String how;
        try (org.eclipse.jgit.revwalk.RevWalk walk = new org.eclipse.jgit.revwalk.RevWalk(r);
             // small objects into a pack, large ones loose: LandingInserter says why; JGit's collision-checked hashing either way
             org.eclipse.jgit.lib.ObjectInserter ins = new LandingInserter((org.eclipse.jgit.internal.storage.file.ObjectDirectory) r.getObjectDatabase())) {
            org.eclipse.jgit.revwalk.RevCommit pushed = walk.parseCommit(commit);
            if (head == null) {
                result = pushed;
                how = "landed " + pushed.abbreviate(10).name() + " as the first commit of " + branch;
            } else {
                org.eclipse.jgit.revwalk.RevCommit tip = walk.parseCommit(head);
                if (walk.isMergedInto(pushed, tip)) {
                    return new Landing(head, head, pushed.abbreviate(10).name() + " is on " + branch + " already", null);
                }
                walk.reset();
                if (walk.isMergedInto(tip, pushed)) {
                    result = pushed;
                    how = "landed " + pushed.abbreviate(10).name() + " on " + branch + " (fast-forward)";
                } else {
                    Merged merged = merge(walk, ins, tip, pushed);
                    if (merged.tree() == null) {
                        List<String> paths = merged.conflicts();
                        return new Landing(head, null, null, "conflicts with " + branch + " in " + String.join(", ", paths.subList(0,
                                Math.min(5, paths.size()))) + (paths.size() > 5 ? " and " + (paths.size() - 5) + " more" : "")
                                + ": fetch, rebase and push again");
                    }
                    org.eclipse.jgit.lib.CommitBuilder cb = new org.eclipse.jgit.lib.CommitBuilder();
                    cb.setTreeId(merged.tree());
                    cb.setParentIds(tip, pushed);
                    cb.setAuthor(new org.eclipse.jgit.lib.PersonIdent(pusher, pusher + "@assembly-line"));
                    cb.setCommitter(new org.eclipse.jgit.lib.PersonIdent("assembly-line", "assembly-line@localhost"));
                    cb.setMessage("Land " + pushed.abbreviate(10).name() + " from " + pusher + ": " + pushed.getShortMessage() + "\n");
                    result = ins.insert(cb);
                    ins.flush();
                    how = "landed " + pushed.abbreviate(10).name() + " on " + branch + " as " + result.abbreviate(10).name()
                            + " (merged with what landed since you fetched)";
                }
            }
        }
        org.eclipse.jgit.lib.RefUpdate ru = r.updateRef(ref);
        ru.setExpectedOldObjectId(head == null ? ObjectId.zeroId() : head);
        ru.setNewObjectId(result);
        ru.setRefLogIdent(new org.eclipse.jgit.lib.PersonIdent(pusher, pusher + "@assembly-line"));
        ru.setRefLogMessage("assembly-line: landed " + commit.name(), false);
        switch (ru.update()) {
            case NEW, FAST_FORWARD -> {
                return new Landing(head == null ? ObjectId.zeroId() : head, result, how, null);
            }
            case LOCK_FAILURE -> {
                if (attempt >= 50) {
                    throw new IOException(branch + " kept moving; push again");
                }
                return null;
            }
            default -> throw new IOException("updating " + branch + ": " + ru.getResult());
        }
    }

    /**
     * Text for the pusher's terminal from the repository (paths) or JGit: no control or format characters
     * (C0, C1, bidi overrides), at most 300 characters.
     */
    static String printable(String s) {
        String clean = String.valueOf(s).replaceAll("[\\p{Cc}\\p{Cf}]", "?");
        return clean.length() > 300 ? clean.substring(0, 300) + "…" : clean;
    }

    /** A merge's tree, or (tree null) the paths git's merge could not reconcile. */
    private record Merged(ObjectId tree, List<String> conflicts) {
    }

    /**
     * {@code tip} and {@code pushed} merged: by name ({@link TreeMerge}) when they have one merge base and
     * changed different files, else by git's content merge.
     */
    private Merged merge(org.eclipse.jgit.revwalk.RevWalk walk, org.eclipse.jgit.lib.ObjectInserter ins, org.eclipse.jgit.revwalk.RevCommit tip,
                         org.eclipse.jgit.revwalk.RevCommit pushed) throws IOException {
        walk.reset();
        walk.setRevFilter(org.eclipse.jgit.revwalk.filter.RevFilter.MERGE_BASE);
        walk.markStart(tip);
        walk.markStart(pushed);
        org.eclipse.jgit.revwalk.RevCommit base = walk.next();
        if (base != null && walk.next() == null) {
            ObjectId tree = TreeMerge.merge(walk.getObjectReader(), ins, base.getTree(), tip.getTree(), pushed.getTree());
            if (tree != null) {
                return new Merged(tree, List.of());
            }
        }
        org.eclipse.jgit.merge.ResolveMerger merger = (org.eclipse.jgit.merge.ResolveMerger) org.eclipse.jgit.merge.MergeStrategy.RECURSIVE
                .newMerger(repo.repository(), true);
        merger.setObjectInserter(ins);
        if (merger.merge(tip, pushed)) {
            return new Merged(merger.getResultTreeId(), List.of());
        }
        List<String> paths = new java.util.ArrayList<>(merger.getUnmergedPaths());
        if (merger.getFailingPaths() != null) {
            paths.addAll(merger.getFailingPaths().keySet());
        }
        return new Merged(null, paths);
    }

    /** The branch's last {@value #ADVERTISED_HAVES} first-parent commits, worked out once per head. */
    private java.util.Set<ObjectId> recentHeads() throws IOException {
        Repository r = repo.repository();
        org.eclipse.jgit.lib.Ref current = r.exactRef(Constants.R_HEADS + branch);
        if (current == null || current.getObjectId() == null) {
            return java.util.Set.of();
        }
        java.util.Map.Entry<ObjectId, java.util.Set<ObjectId>> known = recentHeads;
        if (known != null && known.getKey().equals(current.getObjectId())) {
            return known.getValue();
        }
        java.util.Set<ObjectId> ids = new java.util.LinkedHashSet<>();
        try (org.eclipse.jgit.revwalk.RevWalk walk = new org.eclipse.jgit.revwalk.RevWalk(r)) {
            org.eclipse.jgit.revwalk.RevCommit tip = walk.parseCommit(current.getObjectId());
            if (known != null && tip.getParentCount() > 0 && tip.getParent(0).equals(known.getKey())) {
                // one commit on from the last head (a push, a landing, a write-back): that list, one longer at the front
                ids.add(tip.copy());
                for (ObjectId id : known.getValue()) {
                    if (ids.size() >= ADVERTISED_HAVES) {
                        break;
                    }
                    ids.add(id);
                }
                java.util.Set<ObjectId> frozen = java.util.Collections.unmodifiableSet(ids);
                recentHeads = java.util.Map.entry(current.getObjectId().copy(), frozen);
                return frozen;
            }
            walk.setFirstParent(true);
            walk.markStart(tip);
            for (org.eclipse.jgit.revwalk.RevCommit c : walk) {
                ids.add(c.copy());
                if (ids.size() >= ADVERTISED_HAVES) {
                    break;
                }
            }
        }
        java.util.Set<ObjectId> frozen = java.util.Collections.unmodifiableSet(ids);
        recentHeads = java.util.Map.entry(current.getObjectId().copy(), frozen);
        return frozen;
    }

    /** Counts a push that moved the branch; every {@link #repackEvery} of them, a repack, never two queued at once. */
    private void pushed() {
        int n = pushesSinceRepack.incrementAndGet();
        if (n >= repackEvery && pushesSinceRepack.compareAndSet(n, 0) && repackQueued.compareAndSet(false, true)) {
            repacker.execute(() -> {
                try {
                    repack();
                } finally {
                    repackQueued.set(false);
                }
            });
        }
    }

    /**
     * How many pushes to let pass before the next repack, given the last one's CPU milliseconds. Each push
     * leaves a pack (and the coordinator's merges and write-backs loose objects) that every fetch then reads
     * without bitmaps, so a fetch costs more with each push since the repack, while a repack costs more as
     * the repository grows. The sum of the two per push is least near the square root of twice the repack's
     * cost over a fetch's extra cost per push, which the 200-service simulation puts at about twice the
     * square root of the repack's milliseconds (20 for its ~100 ms repacks: 10 and 40 both cost more,
     * BENCHMARKS.md issue 13). Kept between 10 and 40: the write-back's loose objects are stored uncompressed.
     */
    static int pushesPerRepack(long repackCpuMillis) {
        long n = Math.round(2 * Math.sqrt(Math.max(0, repackCpuMillis)));
        return (int) Math.max(MIN_PUSHES_PER_REPACK, Math.min(MAX_PUSHES_PER_REPACK, n));
    }

    /**
     * Merges the packs the pushes left into one (JGit's garbage collection; unreachable objects younger than
     * two weeks are kept). Runs on its own thread, one at a time, while fetches and pushes go on; public
     * for tests that need a repack at a given point.
     */
    public void repack() {
        long t0 = System.nanoTime();
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        // pack.threads is 1: the repack's work is this thread's; without thread CPU times, its wall time
        boolean cpuTimes = threads.isCurrentThreadCpuTimeSupported() && threads.isThreadCpuTimeEnabled();
        long cpu0 = cpuTimes ? threads.getCurrentThreadCpuTime() : t0;
        packs.writeLock().lock(); // no commit between its pack and its ref (see packs)
        try (org.eclipse.jgit.api.Git git = org.eclipse.jgit.api.Git.wrap(repo.repository())) {
            git.gc().call();
            long cpuMillis = ((cpuTimes ? threads.getCurrentThreadCpuTime() : System.nanoTime()) - cpu0) / 1_000_000;
            repackEvery = pushesPerRepack(cpuMillis);
            org.slf4j.LoggerFactory.getLogger(HostedRepo.class).debug("repacked the hosted repository in {} ms ({} CPU-ms); the next after {} pushes",
                    (System.nanoTime() - t0) / 1_000_000, cpuMillis, repackEvery);
        } catch (Exception e) {
            org.slf4j.LoggerFactory.getLogger(HostedRepo.class).warn("repacking the hosted repository failed: {}", e.getMessage());
        } finally {
            packs.writeLock().unlock();
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
