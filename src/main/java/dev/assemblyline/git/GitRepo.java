package dev.assemblyline.git;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.eclipse.jgit.errors.RevisionSyntaxException;
import org.eclipse.jgit.lib.Config;
import org.eclipse.jgit.storage.file.FileBasedConfig;
import org.eclipse.jgit.util.FS;
import org.eclipse.jgit.util.SystemReader;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.treewalk.TreeWalk;

/**
 * A repository opened for reading objects: never its work tree, so a bare repository works the same.
 * Thread-safe; every call opens its own reader.
 */
public final class GitRepo implements AutoCloseable {
    static {
        isolateFromMachineConfig();
    }

    private final Repository repository;
    private final Path location;

    private GitRepo(Repository repository, Path location) {
        this.repository = repository;
        this.location = location;
    }

    /** Opens a work tree (with {@code .git}) or a bare repository at {@code dir}. */
    public static GitRepo open(Path dir) {
        File d = dir.toFile();
        if (!d.isDirectory()) {
            throw new GitException("not a directory: " + dir);
        }
        try {
            FileRepositoryBuilder b = new FileRepositoryBuilder().setMustExist(true);
            if (Files.exists(dir.resolve(".git"))) {
                b.setWorkTree(d);
            } else if (Files.isRegularFile(dir.resolve("HEAD")) && Files.isDirectory(dir.resolve("objects"))) {
                b.setGitDir(d);
            } else {
                throw new GitException("not a git repository: " + dir);
            }
            return new GitRepo(b.build(), dir);
        } catch (IOException e) {
            throw new GitException("opening the git repository at " + dir + ": " + e.getMessage(), e);
        }
    }

    public static GitRepo wrap(Repository repository) {
        return new GitRepo(repository, repository.getDirectory().toPath());
    }

    public Repository repository() {
        return repository;
    }

    public Path location() {
        return location;
    }

    /** True when the repository has no refs at all (nothing pushed yet). */
    public boolean isEmpty() {
        try {
            return !repository.getRefDatabase().hasRefs();
        } catch (IOException e) {
            throw new GitException("reading the refs of " + location, e);
        }
    }

    /**
     * The commit a ref names: a branch ({@code main}, {@code refs/heads/main}), a tag, {@code HEAD} or a
     * commit id. Throws {@link GitException} with a one-line message when it names nothing.
     */
    public ObjectId resolveCommit(String ref) {
        try {
            Ref branch = repository.exactRef(Constants.R_HEADS + ref);
            ObjectId id = branch != null ? branch.getObjectId() : null;
            if (id == null) {
                if (!ref.startsWith("-") && !ref.contains("..")) {
                    id = repository.resolve(ref + "^{commit}");
                }
            }
            if (id == null) {
                throw new GitException("no branch or commit '" + ref + "' in " + location);
            }
            return id;
        } catch (RevisionSyntaxException | IOException e) {
            throw new GitException("no branch or commit '" + ref + "' in " + location + " (" + e.getMessage() + ")", e);
        }
    }

    /**
     * Removes the lock files a process killed in the middle of a ref update left behind ({@code
     * refs/heads/main.lock}, {@code packed-refs.lock}, …): with one of them every later push to that ref is
     * refused ("failed to lock") until someone deletes it by hand. Only for repositories this process alone
     * writes: the coordinator holds its data directory's lock ({@code serve.lock}) before it opens them.
     */
    public static void clearStaleLocks(java.nio.file.Path gitDir) {
        if (!java.nio.file.Files.isDirectory(gitDir)) {
            return;
        }
        java.util.List<java.nio.file.Path> locks = new java.util.ArrayList<>();
        for (String top : new String[] {"HEAD.lock", "packed-refs.lock", "config.lock", "shallow.lock"}) {
            if (java.nio.file.Files.exists(gitDir.resolve(top))) {
                locks.add(gitDir.resolve(top));
            }
        }
        java.nio.file.Path refs = gitDir.resolve("refs");
        if (java.nio.file.Files.isDirectory(refs)) {
            try (java.util.stream.Stream<java.nio.file.Path> s = java.nio.file.Files.walk(refs)) {
                s.filter(p -> p.getFileName().toString().endsWith(".lock") && java.nio.file.Files.isRegularFile(p)).forEach(locks::add);
            } catch (IOException e) {
                throw new GitException("looking for stale lock files in " + gitDir, e);
            }
        }
        for (java.nio.file.Path lock : locks) {
            try {
                java.nio.file.Files.deleteIfExists(lock);
                org.slf4j.LoggerFactory.getLogger(GitRepo.class).warn("removed {}, left by a process stopped in the middle of an update", lock);
            } catch (IOException e) {
                throw new GitException("removing the stale lock " + lock, e);
            }
        }
    }

    /** The branch HEAD points to ("main"), or null if HEAD is detached or unborn. */
    public String defaultBranch() {
        try {
            Ref head = repository.exactRef(Constants.HEAD);
            if (head != null && head.isSymbolic()) {
                return Repository.shortenRefName(head.getTarget().getName());
            }
            return null;
        } catch (IOException e) {
            throw new GitException("reading HEAD of " + location, e);
        }
    }

    /** A regular file's bytes at a commit (at most {@code limit}), or null when there is no such file. */
    public byte[] fileAt(ObjectId commit, String path, int limit) {
        if (commit == null || ObjectId.zeroId().equals(commit)) {
            return null;
        }
        try (ObjectReader reader = repository.newObjectReader(); RevWalk rw = new RevWalk(reader)) {
            RevCommit c = rw.parseCommit(commit);
            try (TreeWalk tw = TreeWalk.forPath(reader, path, c.getTree())) {
                if (tw == null || (tw.getRawMode(0) & org.eclipse.jgit.lib.FileMode.TYPE_MASK) != org.eclipse.jgit.lib.FileMode.TYPE_FILE) {
                    return null;
                }
                try (var in = reader.open(tw.getObjectId(0)).openStream()) {
                    return in.readNBytes(limit);
                }
            }
        } catch (IOException e) {
            throw new GitException("reading " + path + " at " + commit.name(), e);
        }
    }

    /** The tree id of {@code path} (a folder) at a commit, or null when there is no such folder. */
    ObjectId folderAt(ObjectReader reader, ObjectId commit, String path) throws IOException {
        if (commit == null || ObjectId.zeroId().equals(commit)) {
            return null;
        }
        try (RevWalk rw = new RevWalk(reader)) {
            RevCommit c = rw.parseCommit(commit);
            if (path.isEmpty()) {
                return c.getTree();
            }
            try (TreeWalk tw = TreeWalk.forPath(reader, path, c.getTree())) {
                if (tw == null || !tw.isSubtree()) {
                    return null;
                }
                return tw.getObjectId(0);
            }
        }
    }

    /**
     * Reads no system or user git configuration: the coordinator's view of a repository must not depend
     * on the machine's ~/.gitconfig, and finding the system config makes JGit run {@code git} itself,
     * which costs a whole-process {@code scan} a tenth of a second.
     */
    public static synchronized void isolateFromMachineConfig() {
        SystemReader current = SystemReader.getInstance();
        if (current instanceof Isolated) {
            return;
        }
        SystemReader.setInstance(new Isolated(current));
    }

    private static final class Isolated extends SystemReader.Delegate {
        Isolated(SystemReader delegate) {
            super(delegate);
        }

        @Override
        public FileBasedConfig openSystemConfig(Config parent, FS fs) {
            return empty(parent, fs);
        }

        @Override
        public FileBasedConfig openUserConfig(Config parent, FS fs) {
            return empty(parent, fs);
        }

        private static FileBasedConfig empty(Config parent, FS fs) {
            return new FileBasedConfig(parent, null, fs) {
                @Override
                public void load() {
                }

                @Override
                public boolean isOutdated() {
                    return false;
                }
            };
        }
    }

    @Override
    public void close() {
        repository.close();
    }
}
