package dev.assemblyline.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The parts of the simulation that are plain logic; the whole of it runs in SimulateIT. */
class SimulationTest {
    @Test
    void everyTeamHasTwoBuildersAndOneOfEachOtherKind() {
        for (int n : new int[] {1, 5, 6, 40}) {
            List<String> roles = Arrays.asList(Simulation.roles(n));
            assertThat(roles).hasSize(Math.max(5, n));
            assertThat(roles.stream().filter("builder"::equals).count()).isGreaterThanOrEqualTo(2);
            assertThat(roles).contains("architect", "tester", "devops");
        }
        List<String> forty = Arrays.asList(Simulation.roles(40));
        assertThat(forty.stream().filter("builder"::equals).count()).isEqualTo(11);
        assertThat(forty.stream().filter("devops"::equals).count()).isEqualTo(9);
    }

    @Test
    void theTestsFailOnlyWhenAskedAndTheSpecIsIncompleteOnlyWhenAsked() {
        assertThat(SimFiles.testPy(true, 0, 1)).contains("assert status == 201").doesNotContain("time.sleep");
        assertThat(SimFiles.testPy(false, 4, 1)).contains("assert status == 200").contains("time.sleep(4.0)");
        assertThat(SimFiles.spec("a", 8000, true)).doesNotContain("## Success Criteria").contains("Port: 8000");
        assertThat(SimFiles.spec("a", 8000, false)).contains("## Success Criteria");
    }

    @Test
    void theCoordinatorRunsWithTheJvmOptionsTheReadmeTheLauncherAndTheProcfileGive() throws Exception {
        String options = String.join(" ", Simulation.COORDINATOR_JVM);
        assertThat(options).contains("-XX:TieredStopAtLevel=1");
        assertThat(Files.readString(Path.of("README.md")).lines().limit(6))
                .anyMatch(l -> l.contains("java " + options + " -jar target/assembly-line.jar serve"));
        assertThat(Files.readString(Path.of("bin/assembly"))).contains("serve) exec java ${JAVA_OPTS:-" + options + "} -jar");
        assertThat(Files.readString(Path.of("Procfile"))).contains("java ${JAVA_OPTS:-" + options + "} -jar target/assembly-line.jar serve");
    }
}
