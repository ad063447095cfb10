package dev.assemblyline.git;

import static org.assertj.core.api.Assertions.assertThat;

import dev.assemblyline.TestRepos;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.treewalk.CanonicalTreeParser;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.eclipse.jgit.treewalk.filter.TreeFilter;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The byte-level shortcuts on large listings (RawTree): the diff cut to the entries that differ, the
 * tree edit that splices ids, and the lookup of a few services must give exactly what the entry-by-entry
 * walks give, over random changes at any place of the listing.
 */
class RawTreeTest {
    @TempDir
    Path tmp;
    Repository repo;
    GitRepo git;
    final Random random = new Random(42);
    // names that sort next to each other in git's order ('-' < '.' < '/' < digits < letters), a file among them
    final List<String> names = new ArrayList<>(List.of("a", "a-b", "a.b", "a0", "ab", "b"));

    @BeforeEach
    void setUp() throws Exception {
        repo = TestRepos.bare(tmp.resolve("r.git"));
        git = GitRepo.wrap(repo);
        for (int i = 0; i < 300; i++) {
            names.add(String.format("svc-%03d", i));
        }
    }

    ObjectId base() throws Exception {
        CommitWriter w = TestRepos.on(repo).orphan();
        for (String n : names) {
            w.put("SERVICES/" + n + "/SPEC.md", "spec of " + n).put("SERVICES/" + n + "/README.md", "# " + n + "\n");
        }
        return w.put("SERVICES/notes.txt", "a file, not a service").put("SERVICE_REGISTRY.json", "{}").commit("base");
    }

    String any() {
        return names.get(random.nextInt(names.size()));
    }

    /** Every entry under SERVICES/ that differs, by a full walk: "name was→is" with the kinds (tree, file, none). */
    Set<String> fullDiff(ObjectId a, ObjectId b) throws Exception {
        Set<String> out = new TreeSet<>();
        try (ObjectReader r = repo.newObjectReader(); TreeWalk tw = new TreeWalk(r)) {
            tw.addTree(new CanonicalTreeParser(null, r, git.folderAt(r, a, "SERVICES")));
            tw.addTree(new CanonicalTreeParser(null, r, git.folderAt(r, b, "SERVICES")));
            tw.setFilter(TreeFilter.ANY_DIFF);
            while (tw.next()) {
                if (dev.assemblyline.model.ServiceName.isValid(tw.getNameString())) {
                    out.add(tw.getNameString() + " " + (tw.getFileMode(0) == FileMode.TREE) + "→" + (tw.getFileMode(1) == FileMode.TREE));
                }
            }
        }
        return out;
    }

    Set<String> shortcutDiff(ObjectId a, ObjectId b) {
        Set<String> out = new TreeSet<>();
        for (ServiceChange c : new ChangedServices(git, "SERVICES").between(a, b)) {
            switch (c.kind()) {
                case MODIFIED -> out.add(c.service() + " true→true");
                case ADDED -> out.add(c.service() + " false→true");
                case DELETED -> out.add(c.service() + " true→false");
                case RENAMED -> {
                    out.add(c.service() + " false→true");
                    out.add(c.previousName() + " true→false");
                }
            }
        }
        return out;
    }

    @Test
    void theCutDiffFindsWhatTheFullWalkFinds() throws Exception {
        ObjectId base = base();
        for (int round = 0; round < 150; round++) {
            CommitWriter w = TestRepos.on(repo).parent(base);
            int changes = 1 + random.nextInt(round % 10 == 0 ? 40 : 3);
            for (int i = 0; i < changes; i++) {
                String n = any();
                switch (random.nextInt(5)) {
                    case 0 -> w.put("SERVICES/" + n + "/SPEC.md", "changed " + round + " " + i);
                    case 1 -> w.remove("SERVICES/" + n);
                    case 2 -> w.put("SERVICES/" + n + "x/SPEC.md", "new " + round);
                    case 3 -> w.remove("SERVICES/" + n).put("SERVICES/" + n + "-moved/SPEC.md", "spec of " + n).put("SERVICES/" + n + "-moved/README.md", "# " + n + "\n");
                    default -> w.put("SERVICES/" + (random.nextBoolean() ? "a" : "svc-299") + "/BUILD/x.py", "edge " + round);
                }
            }
            ObjectId next = w.commit("round " + round);
            assertThat(shortcutDiff(base, next)).as("round %d", round).isEqualTo(fullDiff(base, next));
            assertThat(shortcutDiff(next, base)).as("round %d backwards", round).isEqualTo(fullDiff(next, base));
        }
    }

    @Test
    void aSplicedEditIsTheTreeGitWouldWriteAndLeavesTheReadBytesAlone() throws Exception {
        ObjectId base = base();
        ObjectId baseServices;
        try (ObjectReader r = repo.newObjectReader()) {
            baseServices = git.folderAt(r, base, "SERVICES");
        }
        for (int round = 0; round < 60; round++) {
            TreeEdit edit = new TreeEdit();
            Map<String, String> files = new TreeMap<>();
            for (int i = 0; i < 1 + random.nextInt(4); i++) {
                String n = any();
                files.put("SERVICES/" + n + "/README.md", "Status: " + round + " <!-- assembly-line -->\n# " + n + "\n");
            }
            if (round % 7 == 0) {
                files.put("SERVICES/" + any() + "/NEW.md", "a new file: the general path"); // a name not there yet
            }
            files.put("SERVICE_REGISTRY.json", "{\"round\": " + round + "}\n");
            files.forEach((p, c) -> edit.put(p, c.getBytes(StandardCharsets.UTF_8)));
            ObjectId commit = edit.commit(repo, base, new PersonIdent("bot", "bot@localhost"), "round " + round);
            try (ObjectReader r = repo.newObjectReader(); RevWalk rw = new RevWalk(r)) {
                assertThat(rw.parseCommit(commit).getTree().getId()).as("round %d", round).isEqualTo(gitsTree(r, base, files));
                assertThat(new ObjectInserter.Formatter().idFor(Constants.OBJ_TREE, RawTree.read(r, baseServices)))
                        .as("the kept bytes of the base listing are unchanged").isEqualTo(baseServices);
            }
        }
    }

    /** The tree of {@code base} with {@code files} written, as JGit's index would make it. */
    ObjectId gitsTree(ObjectReader r, ObjectId base, Map<String, String> files) throws Exception {
        try (RevWalk rw = new RevWalk(r)) {
            return TreeMergeTest.tree(repo, rw.parseCommit(base).getTree(), files);
        }
    }

    @Test
    void aFewServicesAreFoundAsTheFullListingHasThem() throws Exception {
        ObjectId base = base();
        ServiceTrees trees = new ServiceTrees(git, "SERVICES");
        List<ServiceEntry> all = trees.entries(base);
        for (int round = 0; round < 50; round++) {
            Set<String> wanted = new TreeSet<>();
            for (int i = 0; i < 1 + random.nextInt(5); i++) {
                wanted.add(random.nextInt(4) == 0 ? "absent-" + i : any());
            }
            wanted.add("notes.txt");
            List<ServiceEntry> expected = all.stream().filter(x -> wanted.contains(x.name())).toList();
            assertThat(trees.entries(base, wanted)).as("%s", wanted).isEqualTo(expected);
        }
    }
}
