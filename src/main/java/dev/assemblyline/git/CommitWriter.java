package dev.assemblyline.git;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.eclipse.jgit.dircache.DirCache;
import org.eclipse.jgit.dircache.DirCacheBuilder;
import org.eclipse.jgit.dircache.DirCacheEntry;
import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.treewalk.TreeWalk;

/**
 * Writes a commit straight into a repository's object store, without a work tree: the files of the
 * parent with some added, replaced or removed. Used by {@code assembly demo} and by tests that build
 * history in a few lines:
 * <pre>new CommitWriter(repo, "main").put("SERVICES/a/SPEC.md", "...").remove("SERVICES/b").commit("msg")</pre>
 */
public final class CommitWriter {
    private record Entry(FileMode mode, byte[] content) {
    }

    private final Repository repository;
    private final String branch;
    private final Map<String, Entry> changes = new LinkedHashMap<>();
    private ObjectId parent;
    private boolean orphan;

    public CommitWriter(Repository repository, String branch) {
        this.repository = repository;
        this.branch = branch;
    }

    public CommitWriter put(String path, String content) {
        return put(path, content.getBytes(StandardCharsets.UTF_8));
    }

    public CommitWriter put(String path, byte[] content) {
        changes.put(path, new Entry(FileMode.REGULAR_FILE, content));
        return this;
    }

    public CommitWriter symlink(String path, String target) {
        changes.put(path, new Entry(FileMode.SYMLINK, target.getBytes(StandardCharsets.UTF_8)));
        return this;
    }

    /** Removes a file, or every file under a folder. */
    public CommitWriter remove(String path) {
        changes.put(path, null);
        return this;
    }

    /** Builds on this commit instead of the branch's tip (a forced push's history). */
    public CommitWriter parent(ObjectId commit) {
        this.parent = commit;
        return this;
    }

    /** Starts from an empty tree with no parent. */
    public CommitWriter orphan() {
        this.orphan = true;
        return this;
    }

    /** Writes the commit, moves the branch to it (forced) and returns its id. */
    public ObjectId commit(String message) throws IOException {
        ObjectId base = orphan ? null : parent != null ? parent : repository.resolve(Constants.R_HEADS + branch);
        try (ObjectInserter ins = repository.newObjectInserter()) {
            Map<String, ObjectId> ids = new TreeMap<>();
            Map<String, FileMode> modes = new TreeMap<>();
            if (base != null) {
                try (RevWalk rw = new RevWalk(repository); TreeWalk tw = new TreeWalk(repository)) {
                    RevCommit c = rw.parseCommit(base);
                    tw.addTree(c.getTree());
                    tw.setRecursive(true);
                    while (tw.next()) {
                        ids.put(tw.getPathString(), tw.getObjectId(0));
                        modes.put(tw.getPathString(), tw.getFileMode(0));
                    }
                }
            }
            for (Map.Entry<String, Entry> ch : changes.entrySet()) {
                String path = ch.getKey();
                if (ch.getValue() == null) {
                    ids.keySet().removeIf(p -> p.equals(path) || p.startsWith(path + "/"));
                } else {
                    ids.put(path, ins.insert(Constants.OBJ_BLOB, ch.getValue().content()));
                    modes.put(path, ch.getValue().mode());
                }
            }
            DirCache dc = DirCache.newInCore();
            DirCacheBuilder b = dc.builder();
            for (Map.Entry<String, ObjectId> e : ids.entrySet()) {
                DirCacheEntry de = new DirCacheEntry(e.getKey());
                de.setFileMode(modes.get(e.getKey()));
                de.setObjectId(e.getValue());
                b.add(de);
            }
            b.finish();
            ObjectId tree = dc.writeTree(ins);
            ObjectId id = commit(ins, tree, base, new PersonIdent("Assembly Line", "assembly@localhost"), message);
            RefUpdate ru = repository.updateRef(Constants.R_HEADS + branch);
            ru.setNewObjectId(id);
            ru.setForceUpdate(true);
            RefUpdate.Result r = ru.update();
            if (r != RefUpdate.Result.NEW && r != RefUpdate.Result.FORCED && r != RefUpdate.Result.FAST_FORWARD
                    && r != RefUpdate.Result.NO_CHANGE) {
                throw new GitException("moving " + branch + " to " + id.name() + ": " + r);
            }
            return id;
        }
    }

    /** Writes a commit of {@code tree} on {@code base} (none for a first commit) and flushes it; moves no ref. */
    static ObjectId commit(ObjectInserter ins, ObjectId tree, ObjectId base, PersonIdent who, String message) throws IOException {
        CommitBuilder cb = new CommitBuilder();
        cb.setTreeId(tree);
        if (base != null) {
            cb.setParentId(base);
        }
        cb.setAuthor(who);
        cb.setCommitter(who);
        cb.setMessage(message);
        ObjectId id = ins.insert(cb);
        ins.flush();
        return id;
    }
}
