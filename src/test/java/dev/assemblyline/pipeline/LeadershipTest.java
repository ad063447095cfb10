package dev.assemblyline.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.assemblyline.store.Database;
import dev.assemblyline.store.Postgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** Leadership on a real PostgreSQL (docs/SCALING.md): one leader, and a leader that loses the database stops leading at once. */
class LeadershipTest {
    static final class Recorder implements Leadership.Role {
        final List<String> calls = new CopyOnWriteArrayList<>();
        volatile long followedAt;

        @Override
        public void lead(long epoch) {
            calls.add("lead " + epoch);
        }

        @Override
        public boolean follow(String why) {
            followedAt = System.nanoTime();
            calls.add("follow: " + why);
            return true;
        }
    }

    @Test
    void oneReplicaLeadsAndALeaderThatLosesTheDatabaseStopsLeadingAtOnce() throws Exception {
        String url = Postgres.get().newDatabase();
        Recorder ra = new Recorder();
        Recorder rb = new Recorder();
        try (Database a = Database.open(url, null, null, "a"); Database b = Database.open(url, null, null, "b");
             Leadership la = new Leadership(a, "a", Duration.ofSeconds(5), ra, n -> { });
             Leadership lb = new Leadership(b, "b", Duration.ofSeconds(5), rb, n -> { })) {
            la.start();
            await().atMost(Duration.ofSeconds(10)).until(la::leads);
            lb.start();
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4)).until(() -> !lb.leads());
            assertThat(lb.lease().replica()).as("the follower sees who leads").isEqualTo("a");
            assertThat(la.sure()).isTrue();

            // the database drops every session of a (as a restart or a cut network would): a stops leading at once
            long cut;
            try (Connection admin = DriverManager.getConnection(url); Statement s = admin.createStatement()) {
                cut = System.nanoTime();
                try (ResultSet rs = s.executeQuery("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = '"
                        + Database.applicationName("a") + "'")) {
                    rs.next();
                    assertThat(rs.getLong(1)).isPositive();
                }
            }
            await().atMost(Duration.ofSeconds(3)).until(() -> ra.followedAt != 0);
            long stepDownMs = (ra.followedAt - cut) / 1_000_000;
            System.out.printf("leadership: a stepped down %d ms after losing its database sessions%n", stepDownMs);
            assertThat(stepDownMs).as("stops leading at once, not after the lease").isLessThan(1500);
            assertThat(ra.calls).anySatisfy(c -> assertThat(c).startsWith("follow: the connection holding the lock failed"));
            // the lock went with a's connection: one of the two leads again, at a higher epoch
            await().atMost(Duration.ofSeconds(10)).until(() -> la.leads() || lb.leads());
            assertThat(la.leads() && lb.leads()).as("never two leaders").isFalse();
            assertThat(Math.max(la.epoch(), lb.epoch())).isGreaterThan(1);
        }
    }
}
