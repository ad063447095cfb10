package dev.assemblyline.git;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.eclipse.jgit.lib.StoredConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hosted repository's settings and repack cadence, and what a landing's refusal may print on the pusher's terminal. */
class HostedRepoTest {
    @TempDir
    Path tmp;

    @Test
    void theRepositoryIsRepackedOnlyByItsOwnCadence() throws Exception {
        try (HostedRepo hosted = HostedRepo.open(tmp.resolve("services.git"), "main")) {
            StoredConfig c = hosted.repo().repository().getConfig();
            // a push leaves a pack and a landing another: JGit's automatic gc after a push would repack behind the cadence
            assertThat(c.getBoolean("receive", null, "autogc", true)).isFalse();
            assertThat(c.getInt("pack", null, "threads", 0)).isEqualTo(1);
        }
        try (HostedRepo again = HostedRepo.open(tmp.resolve("services.git"), "main")) { // opened again: the settings stay
            assertThat(again.repo().repository().getConfig().getBoolean("receive", null, "autogc", true)).isFalse();
        }
    }

    @Test
    void aRepackWaitsWhileACommitsObjectsAreWrittenButNotYetNamedByTheBranch() throws Exception {
        try (HostedRepo hosted = HostedRepo.open(tmp.resolve("services.git"), "main")) {
            Thread repack;
            try (RepoSource.Hold hold = hosted.holdNewObjects()) {
                repack = new Thread(hosted::repack);
                repack.start();
                org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(hosted::repackWaiting);
                assertThat(repack.isAlive()).as("it deletes the packs it merged: not while a new one is unnamed").isTrue();
            }
            repack.join(10_000);
            assertThat(repack.isAlive()).isFalse();
            assertThat(hosted.repackWaiting()).isFalse();
        }
    }

    @Test
    void repacksComeSoonerWhileTheyAreCheap() {
        assertThat(HostedRepo.pushesPerRepack(0)).isEqualTo(10);
        assertThat(HostedRepo.pushesPerRepack(25)).isEqualTo(10);
        assertThat(HostedRepo.pushesPerRepack(100)).as("the 200-service simulation's repacks").isEqualTo(20);
        assertThat(HostedRepo.pushesPerRepack(225)).isEqualTo(30);
        assertThat(HostedRepo.pushesPerRepack(400)).isEqualTo(40);
        assertThat(HostedRepo.pushesPerRepack(60_000)).as("never rarer than before: loose objects are stored uncompressed").isEqualTo(40);
    }

    @Test
    void aRefusalCarriesNoControlOrFormatCharactersAndIsBounded() {
        String path = "SERVICES/a\u001b[2Jb/\u009b31mc/\u202etxt.md\n";
        assertThat(HostedRepo.printable("conflicts with main in " + path)).isEqualTo("conflicts with main in SERVICES/a?[2Jb/?31mc/?txt.md?");
        assertThat(HostedRepo.printable("x".repeat(1000))).hasSize(301).endsWith("…");
    }
}
