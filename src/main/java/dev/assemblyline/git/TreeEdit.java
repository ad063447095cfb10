package dev.assemblyline.git;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
import org.eclipse.jgit.treewalk.CanonicalTreeParser;

/**
 * A commit that changes a few files of a large tree, written without walking the tree: only the trees
 * on the changed paths are read and written again (a file in one of 10,000 service folders costs the
 * root folder's listing and that service's, not a walk of every file). Files keep their mode; a new file
 * is a regular one. What is there under a name is never replaced by something of another kind (a folder,
 * link or submodule stays what it is, and that edit is dropped). No ref moves: {@link RepoSource#publish} does that.
 */
public final class TreeEdit {
    private final Map<String, byte[]> files = new LinkedHashMap<>();

    /** Sets a file's content (path from the repository's root, '/'-separated). */
    public TreeEdit put(String path, byte[] content) {
        files.put(path, content);
        return this;
    }

    public boolean isEmpty() {
        return files.isEmpty();
    }

    /**
     * Writes the commit of the edits on {@code base} (null: a first commit) and returns it; null when the
     * edits change nothing (every file already so).
     */
    public ObjectId commit(Repository repository, ObjectId base, PersonIdent who, String message) throws IOException {
        // many files: one pack, not thousands of loose objects
        try (ObjectInserter ins = files.size() > 200 && repository.getObjectDatabase() instanceof org.eclipse.jgit.internal.storage.file.ObjectDirectory od
                ? od.newPackInserter() : OwnObjects.of(repository);
             ObjectReader reader = repository.newObjectReader(); RevWalk rw = new RevWalk(reader)) {
            ObjectId baseTree = null;
            if (base != null) {
                RevCommit c = rw.parseCommit(base);
                baseTree = c.getTree();
            }
            Map<String, Object> edits = new LinkedHashMap<>();
            files.forEach(edits::put);
            ObjectId tree = edit(reader, ins, baseTree, edits);
            if (tree == null) {
                tree = ins.insert(new TreeFormatter());
            }
            if (tree.equals(baseTree)) {
                return null;
            }
            return CommitWriter.commit(ins, tree, base, who, message);
        }
    }

    record Entry(byte[] name, FileMode mode, ObjectId id) {
    }

    /** The tree {@code tree} (null: none) with the edits (relative paths) made; null when it ends up empty. */
    private static ObjectId edit(ObjectReader reader, ObjectInserter ins, ObjectId tree, Map<String, Object> edits) throws IOException {
        Map<String, byte[]> here = new LinkedHashMap<>();
        Map<String, Map<String, Object>> below = new LinkedHashMap<>();
        edits.forEach((path, content) -> {
            int slash = path.indexOf('/');
            if (slash < 0) {
                here.put(path, (byte[]) content);
            } else {
                below.computeIfAbsent(path.substring(0, slash), k -> new LinkedHashMap<>()).put(path.substring(slash + 1), content);
            }
        });
        if (tree != null) {
            ObjectId spliced = splice(reader, ins, tree, here, below);
            if (spliced != null) {
                return spliced;
            }
        }
        List<Entry> entries = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        if (tree != null) {
            CanonicalTreeParser p = new CanonicalTreeParser(null, reader, tree);
            for (; !p.eof(); p.next()) {
                String name = p.getEntryPathString();
                FileMode mode = p.getEntryFileMode();
                byte[] raw = Arrays.copyOf(p.getEntryPathBuffer(), p.getEntryPathLength());
                boolean plain = mode == FileMode.REGULAR_FILE || mode == FileMode.EXECUTABLE_FILE;
                if (here.containsKey(name) || below.containsKey(name)) {
                    seen.add(name); // a name already there is never written a second time
                }
                if (here.containsKey(name) && plain) {
                    entries.add(new Entry(raw, mode, ins.insert(Constants.OBJ_BLOB, here.get(name))));
                } else if (below.containsKey(name) && mode == FileMode.TREE) {
                    ObjectId sub = edit(reader, ins, p.getEntryObjectId(), below.get(name));
                    if (sub != null) {
                        entries.add(new Entry(raw, FileMode.TREE, sub));
                    }
                } else {
                    entries.add(new Entry(raw, mode, p.getEntryObjectId().copy()));
                }
            }
        }
        int kept = entries.size(); // in git's order already: only new entries need sorting in
        for (Map.Entry<String, byte[]> e : here.entrySet()) {
            if (!seen.contains(e.getKey())) {
                entries.add(new Entry(e.getKey().getBytes(StandardCharsets.UTF_8), FileMode.REGULAR_FILE, ins.insert(Constants.OBJ_BLOB, e.getValue())));
            }
        }
        for (Map.Entry<String, Map<String, Object>> e : below.entrySet()) {
            if (!seen.contains(e.getKey())) {
                ObjectId sub = edit(reader, ins, null, e.getValue());
                if (sub != null) {
                    entries.add(new Entry(e.getKey().getBytes(StandardCharsets.UTF_8), FileMode.TREE, sub));
                }
            }
        }
        if (entries.isEmpty()) {
            return null;
        }
        if (entries.size() > kept) {
            entries.sort(TreeEdit::gitOrder);
        }
        TreeFormatter f = new TreeFormatter();
        for (Entry e : entries) {
            f.append(e.name(), 0, e.name().length, e.mode(), e.id());
        }
        return ins.insert(f);
    }

    /**
     * The common case, every edited name already in the tree: its bytes copied with those entries' ids
     * replaced (a 10,000-entry folder costs a scan and a copy, not an object per entry). Null when a name
     * is new, for the general path to sort it in. What is of another kind under a name stays as it is.
     */
    private static ObjectId splice(ObjectReader reader, ObjectInserter ins, ObjectId tree, Map<String, byte[]> here,
                                   Map<String, Map<String, Object>> below) throws IOException {
        byte[] raw = RawTree.read(reader, tree);
        Map<String, Integer> at = new LinkedHashMap<>();
        for (String name : here.keySet()) {
            int p = RawTree.find(raw, name.getBytes(StandardCharsets.UTF_8));
            if (p < 0) {
                return null;
            }
            at.put(name, p);
        }
        for (String name : below.keySet()) {
            int p = here.containsKey(name) ? -1 : RawTree.find(raw, name.getBytes(StandardCharsets.UTF_8));
            if (p < 0) {
                return null;
            }
            at.put(name, p);
        }
        byte[] out = raw.clone(); // the cached bytes belong to the reader
        for (Map.Entry<String, byte[]> e : here.entrySet()) {
            int p = at.get(e.getKey());
            if (RawTree.isPlainFile(raw, p)) {
                RawTree.setId(out, p, ins.insert(Constants.OBJ_BLOB, e.getValue()));
            }
        }
        for (Map.Entry<String, Map<String, Object>> e : below.entrySet()) {
            int p = at.get(e.getKey());
            if (RawTree.isTree(raw, p)) {
                ObjectId sub = edit(reader, ins, RawTree.id(raw, p), e.getValue());
                if (sub == null) {
                    return null; // emptied: the general path drops the entry
                }
                RawTree.setId(out, p, sub);
            }
        }
        ObjectId id = ins.insert(Constants.OBJ_TREE, out);
        RawTree.remember(id, out); // the loop diffs it next
        return id;
    }

    /** Git's order of tree entries: by name bytes, a folder compared as if its name ended in '/'. */
    static int gitOrder(Entry a, Entry b) {
        int n = Math.min(a.name().length, b.name().length);
        for (int i = 0; i < n; i++) {
            int c = Integer.compare(a.name()[i] & 0xff, b.name()[i] & 0xff);
            if (c != 0) {
                return c;
            }
        }
        int ca = a.name().length > n ? a.name()[n] & 0xff : a.mode() == FileMode.TREE ? '/' : 0;
        int cb = b.name().length > n ? b.name()[n] & 0xff : b.mode() == FileMode.TREE ? '/' : 0;
        return Integer.compare(ca, cb);
    }

    /**
     * A file looked for in a folder that exists: its content (null when there is no such file), and whether
     * it may be written (absent, or a plain file: not a folder, a link or a submodule of that name).
     */
    public record Found(byte[] content, boolean editable) {
    }

    /**
     * The file {@code file} in each of some folders under {@code parent} at a commit, read whole, for the
     * folders that exist (a folder that is not there is absent from the answer). The parent's listing is read once.
     */
    public static Map<String, Found> readEach(Repository repository, ObjectId commit, String parent, Set<String> folders, String file)
            throws IOException {
        Map<String, Found> out = new LinkedHashMap<>();
        try (ObjectReader reader = repository.newObjectReader(); RevWalk rw = new RevWalk(reader)) {
            ObjectId dir = ServiceTrees.folderIn(reader, rw.parseCommit(commit).getTree(), parent);
            if (dir == null) {
                return out;
            }
            if (folders.size() <= 64) { // a few folders of many: looked up in the listing's bytes
                byte[] raw = RawTree.read(reader, dir);
                byte[] fileName = file.getBytes(StandardCharsets.UTF_8);
                for (String folder : folders) {
                    int at = RawTree.find(raw, folder.getBytes(StandardCharsets.UTF_8));
                    if (at < 0 || !RawTree.isTree(raw, at)) {
                        continue;
                    }
                    byte[] sub = RawTree.read(reader, RawTree.id(raw, at));
                    int f = RawTree.find(sub, fileName);
                    boolean plain = f >= 0 && RawTree.isPlainFile(sub, f);
                    out.put(folder, f < 0 ? new Found(null, true)
                            : new Found(plain ? reader.open(RawTree.id(sub, f), Constants.OBJ_BLOB).getBytes(Integer.MAX_VALUE - 16) : null, plain));
                }
                return out;
            }
            CanonicalTreeParser p = new CanonicalTreeParser(null, reader, dir);
            for (; !p.eof(); p.next()) {
                if (p.getEntryFileMode() != FileMode.TREE || !folders.contains(p.getEntryPathString())) {
                    continue;
                }
                Found found = new Found(null, true);
                CanonicalTreeParser f = new CanonicalTreeParser(null, reader, p.getEntryObjectId());
                for (; !f.eof(); f.next()) {
                    if (f.getEntryPathString().equals(file)) {
                        FileMode m = f.getEntryFileMode();
                        boolean plain = m == FileMode.REGULAR_FILE || m == FileMode.EXECUTABLE_FILE;
                        found = new Found(plain ? reader.open(f.getEntryObjectId(), Constants.OBJ_BLOB).getBytes(Integer.MAX_VALUE - 16) : null, plain);
                        break;
                    }
                }
                out.put(p.getEntryPathString(), found);
            }
        }
        return out;
    }
}
