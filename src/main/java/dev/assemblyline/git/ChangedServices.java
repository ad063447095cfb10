package dev.assemblyline.git;

import dev.assemblyline.model.ServiceName;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.treewalk.AbstractTreeIterator;
import org.eclipse.jgit.treewalk.CanonicalTreeParser;
import org.eclipse.jgit.treewalk.EmptyTreeIterator;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.eclipse.jgit.treewalk.filter.TreeFilter;

/**
 * The services whose tree differs between two commits, found by comparing the two root folders entry by
 * entry (tree ids only: no blob is read, no service tree is entered). Ancestry does not matter, so a
 * forced push works; an all-zero {@code before} (a new branch) means every service in {@code after},
 * an all-zero {@code after} (a deleted branch) every service in {@code before}.
 */
public final class ChangedServices {
    private final GitRepo repo;
    private final java.util.function.Supplier<String> roots;

    public ChangedServices(GitRepo repo, String root) {
        String r = ServiceTrees.normaliseRoot(root);
        this.repo = repo;
        this.roots = () -> r;
    }

    /** The services of {@code trees}, under whatever root its layout has at the time. */
    public ChangedServices(ServiceTrees trees) {
        this.repo = trees.repo();
        this.roots = trees::root;
    }

    public List<ServiceChange> between(ObjectId before, ObjectId after) {
        String root = roots.get();
        try (ObjectReader reader = repo.repository().newObjectReader()) {
            ObjectId a = repo.folderAt(reader, before, root);
            ObjectId b = repo.folderAt(reader, after, root);
            if (a == null && b == null || a != null && a.equals(b)) {
                return List.of();
            }
            try (TreeWalk tw = new TreeWalk(reader)) {
                tw.setRecursive(false);
                AbstractTreeIterator[] differing = a != null && b != null ? differing(reader, a, b) : null;
                tw.addTree(differing != null ? differing[0] : iterator(reader, a));
                tw.addTree(differing != null ? differing[1] : iterator(reader, b));
                tw.setFilter(TreeFilter.ANY_DIFF);
                List<ServiceChange> changes = new ArrayList<>();
                while (tw.next()) {
                    String name = tw.getNameString();
                    if (!ServiceName.isValid(name)) {
                        continue;
                    }
                    boolean was = tw.getFileMode(0) == FileMode.TREE;
                    boolean is = tw.getFileMode(1) == FileMode.TREE;
                    String oldId = was ? tw.getObjectId(0).name() : null;
                    String newId = is ? tw.getObjectId(1).name() : null;
                    if (was && is) {
                        changes.add(new ServiceChange(name, ServiceChange.Kind.MODIFIED, null, oldId, newId));
                    } else if (is) {
                        changes.add(new ServiceChange(name, ServiceChange.Kind.ADDED, null, null, newId));
                    } else if (was) {
                        changes.add(new ServiceChange(name, ServiceChange.Kind.DELETED, null, oldId, null));
                    }
                }
                return pairRenames(changes);
            }
        } catch (IOException e) {
            throw new GitException("diffing " + shortName(before) + ".." + shortName(after) + " under " + root + "/", e);
        }
    }

    /** A deleted service and an added one with the same tree id are one rename. */
    private static List<ServiceChange> pairRenames(List<ServiceChange> changes) {
        Map<String, ServiceChange> deletedByTree = new HashMap<>();
        for (ServiceChange c : changes) {
            if (c.kind() == ServiceChange.Kind.DELETED) {
                deletedByTree.putIfAbsent(c.before(), c);
            }
        }
        if (deletedByTree.isEmpty()) {
            return changes;
        }
        List<ServiceChange> out = new ArrayList<>(changes.size());
        List<ServiceChange> renamedFrom = new ArrayList<>();
        for (ServiceChange c : changes) {
            ServiceChange gone = c.kind() == ServiceChange.Kind.ADDED ? deletedByTree.remove(c.after()) : null;
            if (gone != null) {
                out.add(new ServiceChange(c.service(), ServiceChange.Kind.RENAMED, gone.service(), gone.before(), c.after()));
                renamedFrom.add(gone);
            } else {
                out.add(c);
            }
        }
        for (Iterator<ServiceChange> it = out.iterator(); it.hasNext(); ) {
            ServiceChange c = it.next();
            if (c.kind() == ServiceChange.Kind.DELETED && renamedFrom.contains(c)) {
                it.remove();
            }
        }
        return out;
    }

    /**
     * The two listings cut to the entries between their common start and their common end: a push that
     * changes a few services of thousands compares those few, not every entry (the bytes before and after
     * are equal, so their entries are too). Null when the part that differs is most of the listing.
     */
    static AbstractTreeIterator[] differing(ObjectReader reader, ObjectId a, ObjectId b) throws IOException {
        byte[] ra = RawTree.read(reader, a);
        byte[] rb = RawTree.read(reader, b);
        int m = java.util.Arrays.mismatch(ra, rb);
        if (m < 0) {
            return null;
        }
        int start = 0; // the first entry that is not wholly in the common start
        for (int next; start < ra.length && (next = RawTree.next(ra, start)) <= m; start = next) {
        }
        int common = 0; // the common end's length, never reaching into the common start's entries
        int limit = Math.min(ra.length, rb.length) - start;
        while (common < limit && ra[ra.length - 1 - common] == rb[rb.length - 1 - common]) {
            common++;
        }
        java.util.Set<Integer> boundsB = new java.util.HashSet<>();
        for (int p = start; p < rb.length; p = RawTree.next(rb, p)) {
            if (p >= rb.length - common) {
                boundsB.add(p);
            }
        }
        boundsB.add(rb.length);
        int delta = rb.length - ra.length;
        int endA = ra.length;
        for (int p = start; p < ra.length; p = RawTree.next(ra, p)) {
            if (p >= ra.length - common && boundsB.contains(p + delta)) {
                endA = p;
                break;
            }
        }
        int endB = endA + delta;
        if ((endA - start) * 2 > ra.length || (endB - start) * 2 > rb.length) {
            return null;
        }
        CanonicalTreeParser pa = new CanonicalTreeParser();
        pa.reset(java.util.Arrays.copyOfRange(ra, start, endA));
        CanonicalTreeParser pb = new CanonicalTreeParser();
        pb.reset(java.util.Arrays.copyOfRange(rb, start, endB));
        return new AbstractTreeIterator[] {pa, pb};
    }

    private static AbstractTreeIterator iterator(ObjectReader reader, ObjectId tree) throws IOException {
        return tree == null ? new EmptyTreeIterator() : new CanonicalTreeParser(null, reader, tree);
    }

    private static String shortName(ObjectId id) {
        return id == null ? "null" : id.name().substring(0, 12);
    }
}
