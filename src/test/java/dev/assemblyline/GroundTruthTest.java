package dev.assemblyline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assemblyline.git.GitRepo;
import dev.assemblyline.git.ServiceTrees;
import dev.assemblyline.model.Detection;
import dev.assemblyline.phase.PhaseDetector;
import dev.assemblyline.phase.SpecRules;
import dev.assemblyline.pipeline.Scanner;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bench/gen-monorepo.py} writes the phase of every service it makes; scan must agree. */
class GroundTruthTest {
    @TempDir
    Path tmp;

    @Test
    void scanAgreesWithTheGeneratorOnTwoThousandServices() throws Exception {
        Path repo = tmp.resolve("mono");
        Tools.ok(null, "python3", Tools.projectDir().resolve("bench/gen-monorepo.py").toString(),
                "--services", "2000", "--out", repo.toString());
        Map<String, String> expected = new ObjectMapper().readValue(repo.resolve("expected.json").toFile(), new TypeReference<>() { });
        Map<String, String> got = new TreeMap<>();
        try (GitRepo git = GitRepo.open(repo); ServiceTrees trees = new ServiceTrees(git, "SERVICES")) {
            for (Detection d : new Scanner(trees, new PhaseDetector(SpecRules.bundled())).scan(git.resolveCommit("main"))) {
                got.put(d.service(), d.phase().name());
            }
        }
        assertThat(expected).hasSize(2000);
        assertThat(got).isEqualTo(new TreeMap<>(expected));
    }
}
