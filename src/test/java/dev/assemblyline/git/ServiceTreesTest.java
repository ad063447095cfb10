package dev.assemblyline.git;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.assemblyline.TestRepos;
import dev.assemblyline.model.Detection;
import dev.assemblyline.model.Phase;
import dev.assemblyline.model.ServiceSnapshot;
import dev.assemblyline.phase.PhaseDetector;
import dev.assemblyline.phase.SpecRules;
import dev.assemblyline.pipeline.Scanner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServiceTreesTest {
    @TempDir
    Path tmp;

    private Map<String, Detection> scan(Repository r, ObjectId commit, String root) {
        try (ServiceTrees trees = new ServiceTrees(GitRepo.wrap(r), root)) {
            return new Scanner(trees, new PhaseDetector(SpecRules.bundled())).scan(commit).stream()
                    .collect(Collectors.toMap(Detection::service, d -> d));
        }
    }

    @Test
    void readsGitObjectsNeverTheWorkTree() throws Exception {
        Repository r = TestRepos.bare(tmp.resolve("repo.git"));
        ObjectId c = TestRepos.on(r).put("SERVICES/a/SPEC.md", TestRepos.completeSpec()).commit("a");
        Map<String, Detection> got = scan(r, c, "SERVICES");
        assertThat(got.get("a").phase()).isEqualTo(Phase.READY_FOR_BUILD);
        assertThat(got.get("a").tree()).isEqualTo(new ServiceTrees(GitRepo.wrap(r), "SERVICES").snapshot(c, "a").treeId());
    }

    @Test
    void entriesThatAreNotServicesAreSkippedWithAReason() throws Exception {
        Repository r = TestRepos.bare(tmp.resolve("repo.git"));
        ObjectId c = TestRepos.on(r)
                .put("SERVICES/good/SPEC.md", TestRepos.completeSpec())
                .put("SERVICES/.hidden/SPEC.md", "x")
                .put("SERVICES/with space/SPEC.md", "x")
                .put("SERVICES/-dash/SPEC.md", "x")
                .put("SERVICES/notes.txt", "a file")
                .symlink("SERVICES/linked", "good")
                .commit("mixed");
        Map<String, Detection> got = scan(r, c, "SERVICES/");
        assertThat(got.get("good").phase()).isEqualTo(Phase.READY_FOR_BUILD);
        assertThat(got.get(".hidden").reasons()).containsExactly("not a service: hidden folder");
        assertThat(got.get("with space").phase()).isEqualTo(Phase.SKIPPED);
        assertThat(got.get("-dash").phase()).isEqualTo(Phase.SKIPPED);
        assertThat(got.get("notes.txt").reasons()).containsExactly("not a service: file, not a folder");
        assertThat(got.get("linked").reasons()).containsExactly("not a service: symbolic link, not a folder");
    }

    @Test
    void aSymlinkedSpecIsNotASpecAndASymlinkedBuildIsNoBuild() throws Exception {
        Repository r = TestRepos.bare(tmp.resolve("repo.git"));
        ObjectId c = TestRepos.on(r)
                .put("SERVICES/real/SPEC.md", TestRepos.completeSpec())
                .symlink("SERVICES/link/SPEC.md", "../real/SPEC.md")
                .put("SERVICES/b/SPEC.md", TestRepos.completeSpec())
                .symlink("SERVICES/b/BUILD", "../real")
                .commit("links");
        Map<String, Detection> got = scan(r, c, "SERVICES");
        assertThat(got.get("link").phase()).isEqualTo(Phase.NEEDS_SPEC);
        assertThat(got.get("b").phase()).isEqualTo(Phase.READY_FOR_BUILD);
    }

    @Test
    void aFiftyMegabyteSpecIsReadOnlyUpToTheLimit() throws Exception {
        Repository r = TestRepos.bare(tmp.resolve("repo.git"));
        byte[] huge = new byte[50 << 20];
        Arrays.fill(huge, (byte) 'a');
        byte[] head = TestRepos.completeSpec().getBytes();
        System.arraycopy(head, 0, huge, 0, head.length);
        ObjectId c = TestRepos.on(r).put("SERVICES/big/SPEC.md", huge).commit("big");
        try (ServiceTrees trees = new ServiceTrees(GitRepo.wrap(r), "SERVICES")) {
            ServiceSnapshot s = trees.snapshot(c, "big");
            assertThat(s.spec().size()).isEqualTo(50L << 20);
            assertThat(s.spec().content()).hasSize(ServiceTrees.DEFAULT_CONTENT_LIMIT);
        }
        Detection d = scan(r, c, "SERVICES").get("big");
        assertThat(d.phase()).isEqualTo(Phase.READY_FOR_BUILD);
        assertThat(d.reasons()).anyMatch(x -> x.contains("only the first 1048576 were read"));
    }

    @Test
    void binaryAndNonUtf8SpecsNeverCrash() throws Exception {
        Repository r = TestRepos.bare(tmp.resolve("repo.git"));
        ObjectId c = TestRepos.on(r)
                .put("SERVICES/bin/SPEC.md", new byte[] {0, 1, 2, 3, (byte) 0xff})
                .put("SERVICES/latin/SPEC.md", TestRepos.completeSpec().replace("Says", "Qu\u00e9").getBytes("ISO-8859-1"))
                .commit("odd");
        Map<String, Detection> got = scan(r, c, "SERVICES");
        assertThat(got.get("bin").phase()).isEqualTo(Phase.SPEC_INCOMPLETE);
        assertThat(got.get("latin").phase()).isEqualTo(Phase.READY_FOR_BUILD);
    }

    @Test
    void aMissingRootOrAnotherRootIsHandled() throws Exception {
        Repository r = TestRepos.bare(tmp.resolve("repo.git"));
        ObjectId c = TestRepos.on(r).put("apps/services/x/README.md", "# x").put("README.md", "hi").commit("c");
        assertThat(scan(r, c, "SERVICES")).isEmpty();
        assertThat(scan(r, c, "apps/services").get("x").phase()).isEqualTo(Phase.NEEDS_SPEC);
        assertThatThrownBy(() -> ServiceTrees.normaliseRoot("../etc")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ServiceTrees.normaliseRoot("/abs")).isInstanceOf(IllegalArgumentException.class);
        assertThat(ServiceTrees.normaliseRoot("./SERVICES//")).isEqualTo("SERVICES");
    }

    @Test
    void anEmptyRepositoryAndAMissingBranchAreToldApart() throws Exception {
        Path dir = tmp.resolve("empty.git");
        TestRepos.bare(dir).close();
        try (GitRepo git = GitRepo.open(dir)) {
            assertThat(git.isEmpty()).isTrue();
            assertThatThrownBy(() -> git.resolveCommit("main")).isInstanceOf(GitException.class)
                    .hasMessageContaining("no branch or commit 'main'");
        }
        assertThatThrownBy(() -> GitRepo.open(Files.createDirectory(tmp.resolve("plain"))))
                .isInstanceOf(GitException.class).hasMessageStartingWith("not a git repository");
    }

    @Test
    void manyServicesAreReadInParallelInOrder() throws Exception {
        Repository r = TestRepos.bare(tmp.resolve("repo.git"));
        CommitWriter w = TestRepos.on(r);
        for (int i = 0; i < 1000; i++) {
            w.put(String.format("SERVICES/s%04d/SPEC.md", i), i % 2 == 0 ? TestRepos.completeSpec() : "# nothing\n");
        }
        ObjectId c = w.commit("many");
        try (ServiceTrees trees = new ServiceTrees(GitRepo.wrap(r), "SERVICES", 1 << 20, 4)) {
            List<Detection> all = new Scanner(trees, new PhaseDetector(SpecRules.bundled())).scan(c);
            assertThat(all).hasSize(1000);
            for (int i = 0; i < 1000; i++) {
                assertThat(all.get(i).service()).isEqualTo(String.format("s%04d", i));
                assertThat(all.get(i).phase()).isEqualTo(i % 2 == 0 ? Phase.READY_FOR_BUILD : Phase.SPEC_INCOMPLETE);
            }
        }
    }
}
