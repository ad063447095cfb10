package dev.assemblyline.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.assemblyline.model.LogEntry;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The database refuses writes of a replica whose epoch is no longer the leader's (docs/SCALING.md, "Fencing"). */
class FenceTest {
    static void raise(String url, long epoch) throws Exception {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            s.executeUpdate("UPDATE leader_fence SET epoch = " + epoch + " WHERE id = 1");
        }
    }

    static LogEntry entry(String message) {
        return new LogEntry(0, Instant.parse("2026-11-25T00:00:00Z"), "billing", "phase", message);
    }

    @Test
    void aWriteAtAnOldEpochIsRefusedAndOneThatDoesNotLeadIsNot() throws Exception {
        String url = Postgres.get().newDatabase();
        try (Database old = Database.open(url, null, null, "old"); Database follower = Database.open(url, null, null, "follower")) {
            Store oldStore = new Store(old.jdbc());
            oldStore.epoch(old.fence()::epoch);
            raise(url, 1);
            old.fence().set(1);
            oldStore.log(List.of(entry("decided at epoch 1")), Instant.now());
            raise(url, 2); // another replica took over
            assertThatThrownBy(() -> oldStore.log(List.of(entry("decided by a leader that was paused")), Instant.now()))
                    .satisfies(e -> assertThat(Fence.fenced(e)).as("refused as fenced: %s", e).isTrue());
            assertThat(oldStore.latestEvents("billing", 10)).as("reads are not fenced").hasSize(1);
            // a replica that does not lead writes what every replica may (a webhook, a claim)
            new Store(follower.jdbc()).log(List.of(entry("a follower's write")), Instant.now());
            old.fence().set(0); // the old leader has stopped its work and follows
            oldStore.log(List.of(entry("now as a follower")), Instant.now());
            assertThat(new Store(follower.jdbc()).latestEvents("billing", 10)).extracting(LogEntry::message)
                    .containsExactly("decided at epoch 1", "a follower's write", "now as a follower");
        }
    }
}
