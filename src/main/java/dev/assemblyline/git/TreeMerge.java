package dev.assemblyline.git;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.TreeFormatter;
import org.eclipse.jgit.treewalk.CanonicalTreeParser;

/**
 * A three-way merge of trees by name, for the common landing (docs/agents.md, "Landing"): two sides that
 * changed different files. Only the folders both sides changed are read; a name changed on one side only
 * takes that side's entry whole (a service folder of a hundred files costs one entry). A file changed on
 * both sides (or a file on one side where the other has a folder) is not merged here: null, and the caller
 * runs git's content merge instead.
 */
final class TreeMerge {
    private static final ObjectId EMPTY = new ObjectInserter.Formatter().idFor(org.eclipse.jgit.lib.Constants.OBJ_TREE, new byte[0]);

    private TreeMerge() {
    }

    /** The merged tree of {@code ours} and {@code theirs} from {@code base} (null: none), or null when a file changed on both sides. */
    static ObjectId merge(ObjectReader reader, ObjectInserter ins, ObjectId base, ObjectId ours, ObjectId theirs) throws IOException {
        if (Objects.equals(ours, theirs) || Objects.equals(base, theirs)) {
            return ours;
        }
        if (Objects.equals(base, ours)) {
            return theirs;
        }
        Map<String, TreeEdit.Entry> b = entries(reader, base);
        Map<String, TreeEdit.Entry> o = entries(reader, ours);
        Map<String, TreeEdit.Entry> t = entries(reader, theirs);
        List<TreeEdit.Entry> out = new ArrayList<>();
        Map<String, Boolean> names = new LinkedHashMap<>();
        o.keySet().forEach(n -> names.put(n, true));
        t.keySet().forEach(n -> names.put(n, true));
        for (String name : names.keySet()) {
            TreeEdit.Entry eb = b.get(name);
            TreeEdit.Entry eo = o.get(name);
            TreeEdit.Entry et = t.get(name);
            TreeEdit.Entry keep;
            if (same(eo, et) || same(eb, et)) {
                keep = eo;
            } else if (same(eb, eo)) {
                keep = et;
            } else if (eo != null && et != null && eo.mode() == FileMode.TREE && et.mode() == FileMode.TREE
                    && (eb == null || eb.mode() == FileMode.TREE)) {
                ObjectId sub = merge(reader, ins, eb == null ? null : eb.id(), eo.id(), et.id());
                if (sub == null) {
                    return null;
                }
                keep = sub.equals(EMPTY) ? null : new TreeEdit.Entry(eo.name(), FileMode.TREE, sub); // git keeps no empty folder
            } else {
                return null; // changed on both sides: git's content merge decides
            }
            if (keep != null) {
                out.add(keep);
            }
        }
        if (out.isEmpty()) {
            return ins.insert(new TreeFormatter());
        }
        out.sort(TreeEdit::gitOrder);
        TreeFormatter f = new TreeFormatter();
        for (TreeEdit.Entry e : out) {
            f.append(e.name(), 0, e.name().length, e.mode(), e.id());
        }
        return ins.insert(f);
    }

    private static boolean same(TreeEdit.Entry a, TreeEdit.Entry b) {
        return a == null ? b == null : b != null && a.mode().getBits() == b.mode().getBits() && a.id().equals(b.id());
    }

    private static Map<String, TreeEdit.Entry> entries(ObjectReader reader, ObjectId tree) throws IOException {
        Map<String, TreeEdit.Entry> m = new LinkedHashMap<>();
        if (tree == null) {
            return m;
        }
        for (CanonicalTreeParser p = new CanonicalTreeParser(null, reader, tree); !p.eof(); p.next()) {
            byte[] raw = Arrays.copyOf(p.getEntryPathBuffer(), p.getEntryPathLength());
            m.put(new String(raw, StandardCharsets.ISO_8859_1), new TreeEdit.Entry(raw, p.getEntryFileMode(), p.getEntryObjectId().copy()));
        }
        return m;
    }
}
