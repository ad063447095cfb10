package dev.assemblyline.git;

import static org.assertj.core.api.Assertions.assertThat;

import dev.assemblyline.TestRepos;
import java.nio.file.Path;
import java.util.List;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChangedServicesTest {
    @TempDir
    Path tmp;
    Repository repo;
    ChangedServices changed;
    ObjectId base;

    @BeforeEach
    void setUp() throws Exception {
        repo = TestRepos.bare(tmp.resolve("r.git"));
        changed = new ChangedServices(GitRepo.wrap(repo), "SERVICES");
        base = TestRepos.on(repo)
                .put("SERVICES/a/SPEC.md", "a").put("SERVICES/b/SPEC.md", "b").put("SERVICES/c/BUILD/x.py", "c")
                .put("README.md", "top").commit("base");
    }

    private static List<String> names(List<ServiceChange> changes) {
        return changes.stream().map(c -> c.kind() + " " + c.service() + (c.previousName() == null ? "" : " from " + c.previousName())).toList();
    }

    @Test
    void aChangeDeepInsideAServiceNamesThatServiceOnly() throws Exception {
        ObjectId next = TestRepos.on(repo).put("SERVICES/c/BUILD/x.py", "changed").commit("c");
        assertThat(names(changed.between(base, next))).containsExactly("MODIFIED c");
    }

    @Test
    void changesOutsideTheRootNameNothing() throws Exception {
        ObjectId next = TestRepos.on(repo).put("README.md", "new").put("docs/x.md", "x").commit("docs");
        assertThat(changed.between(base, next)).isEmpty();
    }

    @Test
    void addedDeletedAndRenamedServices() throws Exception {
        ObjectId next = TestRepos.on(repo)
                .put("SERVICES/d/SPEC.md", "d")
                .remove("SERVICES/a")
                .remove("SERVICES/b").put("SERVICES/b2/SPEC.md", "b")
                .commit("add, delete, rename");
        assertThat(names(changed.between(base, next))).containsExactly("DELETED a", "RENAMED b2 from b", "ADDED d");
    }

    @Test
    void anAllZeroBeforeMeansEveryService() {
        assertThat(names(changed.between(ObjectId.zeroId(), base))).containsExactly("ADDED a", "ADDED b", "ADDED c");
    }

    @Test
    void anAllZeroAfterMeansEveryServiceIsGone() {
        assertThat(names(changed.between(base, ObjectId.zeroId()))).containsExactly("DELETED a", "DELETED b", "DELETED c");
    }

    @Test
    void aForcedPushComparesTreesNotHistory() throws Exception {
        ObjectId ahead = TestRepos.on(repo).put("SERVICES/a/SPEC.md", "a2").commit("a2");
        ObjectId rewritten = TestRepos.on(repo).parent(base).put("SERVICES/b/SPEC.md", "b2").commit("rewritten");
        assertThat(names(changed.between(ahead, rewritten))).containsExactly("MODIFIED a", "MODIFIED b");
        ObjectId orphan = TestRepos.on(repo).orphan().put("SERVICES/z/SPEC.md", "z").commit("unrelated");
        assertThat(names(changed.between(base, orphan))).containsExactly("DELETED a", "DELETED b", "DELETED c", "ADDED z");
    }

    @Test
    void theSameCommitOrAnInvalidNameChangesNothing() throws Exception {
        assertThat(changed.between(base, base)).isEmpty();
        ObjectId next = TestRepos.on(repo).put("SERVICES/.hidden/x", "x").put("SERVICES/file.txt", "f").commit("junk");
        assertThat(changed.between(base, next)).isEmpty();
    }
}
