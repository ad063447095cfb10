package dev.assemblyline.sim;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.dircache.DirCache;
import org.eclipse.jgit.dircache.DirCacheBuilder;
import org.eclipse.jgit.dircache.DirCacheEditor;
import org.eclipse.jgit.dircache.DirCacheEntry;
import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.TreeFormatter;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.transport.PushResult;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.transport.RemoteRefUpdate;
import org.eclipse.jgit.transport.URIish;
import org.eclipse.jgit.transport.UsernamePasswordCredentialsProvider;
import org.eclipse.jgit.treewalk.TreeWalk;

/**
 * One session's copy of the hosted repository, fetched and pushed over git's smart HTTP protocol with the
 * session's own credentials, as a person or an agent would. The git client is JGit in this process, not
 * the command line: forty sessions each starting a handful of git processes per push spent the machine on
 * starting processes (docs/simulate.md). The copy is bare: a commit is built from the fetched head and the
 * session's files, without a working tree. It is pushed to {@code refs/for/main}, which the coordinator
 * lands on main as main is then (docs/agents.md, "Landing"); a push refused all the same (a conflict, a
 * busy server) fetches the new head, builds the commit again on it and pushes again after a random,
 * growing pause; nothing is ever forced.
 */
final class Workspace implements AutoCloseable {
    private static final String REMOTE_MAIN = "refs/remotes/origin/main";

    private final Git git;
    private final String url;
    private final UsernamePasswordCredentialsProvider credentials;
    private final PersonIdent who;
    private int fetches;

    /**
     * Sends the session's credentials with every request, as a CI job or an agent sets git's
     * {@code http.extraHeader}: without it, each fetch and push first draws a 401 and asks again.
     */
    private final org.eclipse.jgit.api.TransportConfigCallback preemptive;

    private Workspace(Git git, String url, UsernamePasswordCredentialsProvider credentials, String user, String password) {
        String basic = "Basic " + java.util.Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        this.preemptive = t -> {
            if (t instanceof org.eclipse.jgit.transport.TransportHttp h) {
                h.setAdditionalHeaders(java.util.Map.of("Authorization", basic));
            }
        };
        this.git = git;
        this.url = url;
        this.credentials = credentials;
        this.who = new PersonIdent(user, user + "@simulation.invalid");
    }

    /** A bare copy in {@code dir} of the repository at {@code url} (credentials in it), fetched once. */
    static Workspace clone(Path dir, String url) throws IOException, InterruptedException {
        URIish uri;
        try {
            uri = new URIish(url);
        } catch (java.net.URISyntaxException e) {
            throw new IOException("not a git URL: " + e.getMessage());
        }
        Files.createDirectories(dir);
        Git git;
        try {
            git = Git.init().setBare(true).setDirectory(dir.toFile()).setInitialBranch("main").call();
            git.getRepository().getConfig().setString("gc", null, "prunePackExpire", "now");
        } catch (GitAPIException e) {
            throw new IOException(e.getMessage(), e);
        }
        Workspace ws = new Workspace(git, uri.setUser(null).setPass(null).toString(),
                new UsernamePasswordCredentialsProvider(uri.getUser(), uri.getPass()), uri.getUser(), uri.getPass());
        for (int attempt = 1; ; attempt++) {
            try {
                ws.sync();
                return ws;
            } catch (IOException busy) {
                if (attempt == 5) {
                    ws.close();
                    throw busy;
                }
                pause(attempt);
            }
        }
    }

    /** Fetches the newest head of main (none yet in an empty repository). */
    void sync() throws IOException {
        try {
            git.fetch().setRemote(url).setCredentialsProvider(credentials).setTransportConfigCallback(preemptive)
                    .setRefSpecs(new RefSpec("+refs/heads/*:refs/remotes/origin/*")).call();
        } catch (GitAPIException e) {
            throw new IOException("fetch failed: " + e.getMessage(), e);
        }
        if (++fetches % 40 == 0) {
            try {
                git.gc().call(); // each fetch leaves a pack; looking objects up searches them all
            } catch (GitAPIException e) {
                throw new IOException("repacking failed: " + e.getMessage(), e);
            }
        }
    }

    /** A file's text at the fetched head, or null when it is not there. */
    String read(String path) throws IOException {
        Repository r = git.getRepository();
        ObjectId head = r.resolve(REMOTE_MAIN);
        if (head == null) {
            return null;
        }
        try (RevWalk walk = new RevWalk(r); TreeWalk tw = TreeWalk.forPath(r, path, walk.parseCommit(head).getTree())) {
            return tw == null ? null : new String(r.open(tw.getObjectId(0)).getBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Writes the files (path → content; null deletes) in one commit on main and pushes it; returns the commit. */
    String commit(Map<String, String> files, String message) throws IOException, InterruptedException {
        long giveUp = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        for (int attempt = 1; ; attempt++) {
            String refused;
            try {
                sync();
                ObjectId commit = build(files, message);
                // to refs/for/main: the coordinator lands it on main as main is when it arrives (a merge if others
                // landed since the fetch), so forty sessions do not keep losing races and fetching again
                PushResult result = git.push().setRemote(url).setCredentialsProvider(credentials).setTransportConfigCallback(preemptive)
                        .setRefSpecs(new RefSpec(commit.name() + ":refs/for/main")).call().iterator().next();
                RemoteRefUpdate update = result.getRemoteUpdate("refs/for/main");
                if (update.getStatus() == RemoteRefUpdate.Status.OK) {
                    return commit.name();
                }
                refused = update.getStatus() + (update.getMessage() == null ? "" : ": " + update.getMessage());
            } catch (GitAPIException | IOException e) {
                refused = e.getMessage(); // a busy server cut the connection: the same as a lost race
            }
            if (System.nanoTime() > giveUp) {
                throw new IOException("push refused " + attempt + " times in 3 minutes: " + refused);
            }
            pause(attempt); // someone else pushed first: the new head, after a random pause (no herd)
        }
    }

    /** The commit of {@code files} on the fetched head (or a first commit), written to this copy only. */
    private ObjectId build(Map<String, String> files, String message) throws IOException {
        Repository r = git.getRepository();
        ObjectId head = r.resolve(REMOTE_MAIN);
        try (ObjectInserter ins = r.newObjectInserter(); ObjectReader reader = r.newObjectReader(); RevWalk walk = new RevWalk(reader)) {
            DirCache index = DirCache.newInCore();
            DirCacheBuilder builder = index.builder();
            if (head != null) {
                builder.addTree(new byte[0], DirCacheEntry.STAGE_0, reader, walk.parseCommit(head).getTree());
            }
            builder.finish();
            DirCacheEditor editor = index.editor();
            for (Map.Entry<String, String> f : files.entrySet()) {
                if (f.getValue() == null) {
                    editor.add(new DirCacheEditor.DeletePath(f.getKey()));
                } else {
                    ObjectId blob = ins.insert(Constants.OBJ_BLOB, f.getValue().getBytes(StandardCharsets.UTF_8));
                    editor.add(new DirCacheEditor.PathEdit(f.getKey()) {
                        @Override
                        public void apply(DirCacheEntry e) {
                            e.setFileMode(FileMode.REGULAR_FILE);
                            e.setObjectId(blob);
                        }
                    });
                }
            }
            editor.finish();
            CommitBuilder c = new CommitBuilder();
            c.setTreeId(index.writeTree(ins));
            if (head != null) {
                c.setParentId(head);
            }
            PersonIdent now = new PersonIdent(who, java.time.Instant.now());
            c.setAuthor(now);
            c.setCommitter(now);
            c.setMessage(message + "\n");
            ObjectId id = ins.insert(c);
            ins.flush();
            return id;
        }
    }

    /**
     * The blob at {@code path} inside the service tree whose identity starts with {@code tree} (as the
     * coordinator names trees: the folder with its README.md status line left out, docs/status-board.md),
     * looked for in the service folder along the fetched main's history (newest first); null when not found.
     */
    String blobIn(String tree, String folder, String path) throws IOException {
        Repository r = git.getRepository();
        ObjectId head = r.resolve(REMOTE_MAIN); // the fetched head (sync first)
        if (head == null) {
            return null;
        }
        try (RevWalk walk = new RevWalk(r)) {
            walk.markStart(walk.parseCommit(head));
            int seen = 0;
            for (RevCommit c : walk) {
                if (++seen > 5000) {
                    return null;
                }
                try (TreeWalk at = TreeWalk.forPath(r, folder, c.getTree())) {
                    if (at == null || !identity(r, at.getObjectId(0), false).startsWith(tree)) {
                        continue;
                    }
                    try (TreeWalk file = TreeWalk.forPath(r, path, at.getObjectId(0))) {
                        return file == null ? null : file.getObjectId(0).name();
                    }
                }
            }
        }
        return null;
    }

    /**
     * The id of the service folder's tree at a commit without its {@code PRODUCTION} entry, as the
     * coordinator identifies trees: the tree its tests ran on. Null when the commit has no such folder.
     */
    String treeWithoutProduction(String commit, String folder) throws IOException {
        Repository r = git.getRepository();
        try (RevWalk walk = new RevWalk(r)) {
            RevCommit c = walk.parseCommit(ObjectId.fromString(commit));
            try (TreeWalk at = TreeWalk.forPath(r, folder, c.getTree())) {
                return at == null ? null : identity(r, at.getObjectId(0), true);
            }
        }
    }

    /** The mark that makes a README line the coordinator's status line (docs/status-board.md). */
    static final String STATUS_MARK = "<!-- assembly-line -->";

    /**
     * A service folder's identity, computed here from the documented rule rather than by the coordinator's
     * code (the check is independent): the folder's tree with every README.md line ending in the status
     * mark removed (the file left out when nothing else is in it), and without PRODUCTION when asked.
     */
    static String identity(Repository r, ObjectId folder, boolean withoutProduction) throws IOException {
        TreeFormatter kept = new TreeFormatter();
        try (TreeWalk entries = new TreeWalk(r)) {
            entries.addTree(folder);
            while (entries.next()) { // one level, in git's own order
                String name = entries.getNameString();
                if (withoutProduction && name.equals("PRODUCTION")) {
                    continue;
                }
                ObjectId id = entries.getObjectId(0);
                if (name.equals("README.md") && entries.getFileMode(0) != FileMode.TREE) {
                    String text = new String(r.open(id, Constants.OBJ_BLOB).getBytes(), StandardCharsets.UTF_8);
                    if (text.contains(STATUS_MARK)) {
                        StringBuilder out = new StringBuilder();
                        for (String line : text.split("(?<=\n)")) {
                            if (!line.stripTrailing().endsWith(STATUS_MARK)) {
                                out.append(line);
                            }
                        }
                        if (out.length() == 0) {
                            continue;
                        }
                        try (ObjectInserter.Formatter f = new ObjectInserter.Formatter()) {
                            id = f.idFor(Constants.OBJ_BLOB, out.toString().getBytes(StandardCharsets.UTF_8));
                        }
                    }
                }
                kept.append(name, entries.getFileMode(0), id);
            }
        }
        try (ObjectInserter.Formatter f = new ObjectInserter.Formatter()) {
            return f.idFor(kept).name();
        }
    }

    private static void pause(int attempt) throws InterruptedException {
        long cap = Math.min(4000, 100L << Math.min(attempt, 6));
        Thread.sleep(50 + ThreadLocalRandom.current().nextLong(cap));
    }

    @Override
    public void close() {
        git.close();
    }
}
