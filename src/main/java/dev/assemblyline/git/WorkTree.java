package dev.assemblyline.git;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.Status;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.dircache.DirCache;
import org.eclipse.jgit.dircache.DirCacheBuilder;
import org.eclipse.jgit.dircache.DirCacheEntry;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.treewalk.FileTreeIterator;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.eclipse.jgit.treewalk.WorkingTreeIterator;
import org.eclipse.jgit.treewalk.filter.PathFilterGroup;

/**
 * The files of a work tree as they are, for {@code assembly verify --worktree} and the pre-push hook:
 * what a developer has on disk, committed or not. Only the paths asked for are read from disk (a
 * service's folder and {@code assembly.yml}); everything else comes from the base commit.
 */
public final class WorkTree {
    private WorkTree() {
    }

    /** Files under {@code paths} that differ from HEAD in the work tree (changed, added, deleted, untracked; ignored ones not). */
    public static Set<String> uncommitted(Repository repo, List<String> paths) {
        if (repo.isBare()) {
            return Set.of();
        }
        try (Git git = new Git(repo)) {
            var status = git.status();
            paths.forEach(status::addPath);
            Status s = status.call();
            Set<String> out = new TreeSet<>();
            out.addAll(s.getModified());
            out.addAll(s.getChanged());
            out.addAll(s.getAdded());
            out.addAll(s.getRemoved());
            out.addAll(s.getMissing());
            out.addAll(s.getUntracked());
            return out;
        } catch (GitAPIException e) {
            throw new GitException("reading the work tree's status: " + e.getMessage(), e);
        }
    }

    /**
     * A commit (written to the object database but on no branch, as {@code git stash create} does) whose
     * tree is {@code base}'s with {@code paths} replaced by the work tree's files, untracked ones included
     * and ignored ones left out. {@code base} may be null in a repository with no commits.
     */
    public static ObjectId snapshot(Repository repo, ObjectId base, List<String> paths) {
        if (repo.isBare()) {
            throw new IllegalArgumentException(repo.getDirectory() + " is a bare repository: it has no work tree to check");
        }
        try (ObjectInserter ins = repo.newObjectInserter(); RevWalk rw = new RevWalk(repo)) {
            DirCache index = DirCache.newInCore();
            DirCacheBuilder b = index.builder();
            if (base != null) {
                RevCommit c = rw.parseCommit(base);
                try (TreeWalk tw = new TreeWalk(repo)) {
                    tw.addTree(c.getTree());
                    tw.setRecursive(true);
                    while (tw.next()) {
                        if (!under(tw.getPathString(), paths)) {
                            DirCacheEntry e = new DirCacheEntry(tw.getRawPath());
                            e.setFileMode(tw.getFileMode(0));
                            e.setObjectId(tw.getObjectId(0));
                            b.add(e);
                        }
                    }
                }
            }
            try (TreeWalk tw = new TreeWalk(repo)) {
                tw.addTree(new FileTreeIterator(repo));
                tw.setFilter(PathFilterGroup.createFromStrings(paths));
                tw.setRecursive(false);
                List<DirCacheEntry> files = new ArrayList<>();
                while (tw.next()) {
                    WorkingTreeIterator it = tw.getTree(0, WorkingTreeIterator.class);
                    if (it.isEntryIgnored()) {
                        continue;
                    }
                    if (tw.isSubtree()) {
                        tw.enterSubtree();
                        continue;
                    }
                    FileMode mode = it.getEntryFileMode();
                    if (mode == FileMode.GITLINK) {
                        continue;
                    }
                    DirCacheEntry e = new DirCacheEntry(tw.getRawPath());
                    e.setFileMode(mode);
                    try (InputStream in = it.openEntryStream()) {
                        e.setObjectId(ins.insert(Constants.OBJ_BLOB, it.getEntryContentLength(), in));
                    }
                    files.add(e);
                }
                files.forEach(b::add);
            }
            b.finish();
            ObjectId tree = index.writeTree(ins);
            return CommitWriter.commit(ins, tree, base, new PersonIdent("assembly verify", "verify@assembly.invalid"),
                    "work tree as it is (assembly verify --worktree)\n");
        } catch (IOException e) {
            throw new GitException("reading the work tree: " + e.getMessage(), e);
        }
    }

    private static boolean under(String path, List<String> prefixes) {
        for (String p : prefixes) {
            if (path.equals(p) || path.startsWith(p + "/")) {
                return true;
            }
        }
        return false;
    }
}
