package dev.assemblyline.git;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.eclipse.jgit.dircache.DirCache;
import org.eclipse.jgit.dircache.DirCacheEditor;
import org.eclipse.jgit.dircache.DirCacheEntry;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.merge.MergeStrategy;
import org.eclipse.jgit.merge.ResolveMerger;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The by-name merge of a landing gives git's own merge result, or leaves the case to it. */
class TreeMergeTest {
    @TempDir
    Path tmp;

    @Test
    void whatOneSideChangedIsTakenAndTheResultIsGitsOwnMerge() throws Exception {
        try (Repository r = new FileRepositoryBuilder().setGitDir(tmp.resolve("r.git").toFile()).setBare().build()) {
            r.create(true);
            ObjectId base = tree(r, null, Map.of("SERVICES/a/x", "1", "SERVICES/a/y", "2", "SERVICES/b/z", "3", "SERVICES/lone/only", "4",
                    "top.md", "t"));
            // each case: ours and theirs, from base
            Map<String, ObjectId[]> cases = new LinkedHashMap<>();
            cases.put("new folders on both sides", new ObjectId[] {tree(r, base, Map.of("SERVICES/c/n", "5")), tree(r, base, Map.of("SERVICES/d/n", "6"))});
            cases.put("a change and a deleted folder", new ObjectId[] {tree(r, base, Map.of("SERVICES/a/x", "1b")), tree(r, base, edits("SERVICES/b/z", null))});
            cases.put("a folder emptied and a file added", new ObjectId[] {tree(r, base, edits("SERVICES/lone/only", null)),
                    tree(r, base, Map.of("SERVICES/a/w", "7"))});
            cases.put("both change different files of one folder", new ObjectId[] {tree(r, base, Map.of("SERVICES/a/x", "1c")),
                    tree(r, base, Map.of("SERVICES/a/y", "2c", "top.md", "t2"))});
            cases.put("the same change on both sides", new ObjectId[] {tree(r, base, Map.of("SERVICES/b/z", "3d")), tree(r, base, Map.of("SERVICES/b/z", "3d"))});
            for (Map.Entry<String, ObjectId[]> c : cases.entrySet()) {
                ObjectId ours = c.getValue()[0];
                ObjectId theirs = c.getValue()[1];
                try (ObjectInserter ins = r.newObjectInserter(); ObjectReader reader = ins.newReader()) {
                    ObjectId merged = TreeMerge.merge(reader, ins, base, ours, theirs);
                    ins.flush();
                    assertThat(merged).as(c.getKey()).isNotNull().isEqualTo(gitMerge(r, base, ours, theirs));
                }
            }
            ObjectId ours = tree(r, base, Map.of("SERVICES/a/x", "1e"));
            ObjectId theirs = tree(r, base, Map.of("SERVICES/a/x", "1f"));
            try (ObjectInserter ins = r.newObjectInserter(); ObjectReader reader = ins.newReader()) {
                assertThat(TreeMerge.merge(reader, ins, base, ours, theirs)).as("one file changed on both sides is git's content merge's").isNull();
            }
        }
    }

    private static Map<String, String> edits(String path, String content) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(path, content);
        return m;
    }

    /** {@code base} (null: empty) with files set (null content: deleted), as JGit's index makes a tree. */
    static ObjectId tree(Repository r, ObjectId base, Map<String, String> files) throws Exception {
        try (ObjectInserter ins = r.newObjectInserter(); ObjectReader reader = ins.newReader()) {
            DirCache dc = base == null ? DirCache.newInCore() : DirCache.read(reader, base);
            DirCacheEditor ed = dc.editor();
            for (Map.Entry<String, String> f : files.entrySet()) {
                if (f.getValue() == null) {
                    ed.add(new DirCacheEditor.DeletePath(f.getKey()));
                    continue;
                }
                ObjectId blob = ins.insert(Constants.OBJ_BLOB, f.getValue().getBytes(StandardCharsets.UTF_8));
                ed.add(new DirCacheEditor.PathEdit(f.getKey()) {
                    @Override
                    public void apply(DirCacheEntry e) {
                        e.setFileMode(FileMode.REGULAR_FILE);
                        e.setObjectId(blob);
                    }
                });
            }
            ed.finish();
            ObjectId id = dc.writeTree(ins);
            ins.flush();
            return id;
        }
    }

    private static ObjectId gitMerge(Repository r, ObjectId base, ObjectId ours, ObjectId theirs) throws Exception {
        try (ObjectInserter ins = r.newObjectInserter()) {
            ObjectId b = CommitWriter.commit(ins, base, null, new org.eclipse.jgit.lib.PersonIdent("t", "t@x"), "base");
            ObjectId o = CommitWriter.commit(ins, ours, b, new org.eclipse.jgit.lib.PersonIdent("t", "t@x"), "ours");
            ObjectId t = CommitWriter.commit(ins, theirs, b, new org.eclipse.jgit.lib.PersonIdent("t", "t@x"), "theirs");
            ins.flush();
            ResolveMerger m = (ResolveMerger) MergeStrategy.RECURSIVE.newMerger(r, true);
            assertThat(m.merge(o, t)).isTrue();
            return m.getResultTreeId();
        }
    }
}
