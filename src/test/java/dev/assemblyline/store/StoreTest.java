package dev.assemblyline.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.assemblyline.model.InboxEvent;
import dev.assemblyline.model.LogEntry;
import dev.assemblyline.model.Phase;
import dev.assemblyline.model.ServiceState;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The same store tests on H2 (the embedded default) and on a real PostgreSQL. */
class StoreTest {
    @TempDir
    static Path tmp;

    static Database open(String kind) {
        return Postgres.open(kind, tmp);
    }

    static final Instant T0 = Instant.parse("2026-11-23T10:00:00Z");

    @org.junit.jupiter.api.Test
    void theEmbeddedDatabaseKeepsEnoughParsedStatementsPerConnection() throws Exception {
        try (Database db = open("h2"); java.sql.Connection c = db.dataSource().getConnection();
             java.sql.ResultSet rs = c.createStatement().executeQuery(
                     "SELECT SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS WHERE SETTING_NAME = 'QUERY_CACHE_SIZE'")) {
            assertThat(rs.next()).isTrue();
            assertThat(Integer.parseInt(rs.getString(1))).isEqualTo(Database.H2_QUERY_CACHE).isGreaterThanOrEqualTo(100);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"h2", "postgres"})
    void aDeliveryIsStoredOnceAndPendingInOrder(String kind) {
        try (Database db = open(kind)) {
            Store store = new Store(db.jdbc());
            Store.Accepted a = store.accept(InboxEvent.push("github", "d-1", "refs/heads/main", "a".repeat(40), "b".repeat(40), T0));
            Store.Accepted b = store.accept(InboxEvent.push("github", "d-2", "refs/heads/main", "b".repeat(40), "c".repeat(40), T0));
            assertThat(a.duplicate()).isFalse();
            assertThat(store.accept(InboxEvent.push("github", "d-1", "refs/heads/main", "x".repeat(40), "y".repeat(40), T0)).duplicate()).isTrue();
            assertThat(store.accept(InboxEvent.push("gitlab", "d-1", "refs/heads/main", "x".repeat(40), "y".repeat(40), T0)).duplicate())
                    .as("dedup is per source").isFalse();
            List<InboxEvent> pending = store.pending(10);
            assertThat(pending).extracting(InboxEvent::id).containsExactly(a.id(), b.id(), pending.get(2).id());
            assertThat(pending.get(0).after()).isEqualTo("b".repeat(40));
            assertThat(pending.get(0).receivedAt()).isEqualTo(T0);
            assertThat(store.inboxDepth()).isEqualTo(3);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"h2", "postgres"})
    void aBatchSettlesStatesLogHeadAndEventsTogether(String kind) {
        try (Database db = open(kind)) {
            Store store = new Store(db.jdbc());
            long id = store.accept(InboxEvent.push("hosted", "h-1", "refs/heads/main", "0".repeat(40), "1".repeat(40), T0)).id();
            ServiceState s = new ServiceState("billing", Phase.READY_FOR_BUILD, List.of("spec complete, no BUILD/ yet"), "t1", T0);
            store.apply(new Store.Batch(List.of(s), List.of(), List.of(new LogEntry(0, T0, "billing", "phase", "new → READY_FOR_BUILD")),
                    "main", "1".repeat(40), List.of(id), "1 updated"), T0);
            assertThat(store.services()).containsEntry("billing", s);
            assertThat(store.head("main")).contains("1".repeat(40));
            assertThat(store.pending(10)).isEmpty();
            assertThat(store.outcome("hosted", "h-1")).contains("1 updated");
            ServiceState moved = new ServiceState("billing", Phase.NEEDS_TESTS, List.of("BUILD/ exists"), "t2", T0.plusSeconds(5));
            store.apply(new Store.Batch(List.of(moved), List.of(), List.of(), "main", "2".repeat(40), List.of(), "x"), T0.plusSeconds(5));
            assertThat(store.service("billing")).contains(moved);
            assertThat(store.head("main")).contains("2".repeat(40));
            store.apply(new Store.Batch(List.of(), List.of("billing"), List.of(), null, null, List.of(), "x"), T0);
            assertThat(store.services()).isEmpty();
            List<LogEntry> log = store.events(0, "billing", 10);
            assertThat(log).hasSize(1);
            assertThat(log.get(0).message()).isEqualTo("new → READY_FOR_BUILD");
            assertThat(store.events(log.get(0).id(), null, 10)).isEmpty();
            assertThat(store.eventsSince(T0.minusSeconds(1), 10)).hasSize(1);
            assertThat(store.ping()).isTrue();
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"h2", "postgres"})
    void concurrentDeliveriesOfOneIdStoreExactlyOne(String kind) throws Exception {
        try (Database db = open(kind)) {
            Store store = new Store(db.jdbc());
            ExecutorService pool = Executors.newFixedThreadPool(8);
            List<Future<Store.Accepted>> results = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                results.add(pool.submit(() -> store.accept(InboxEvent.push("github", "same", "refs/heads/main", "a".repeat(40), "b".repeat(40), T0))));
            }
            long accepted = 0;
            for (Future<Store.Accepted> f : results) {
                accepted += f.get().duplicate() ? 0 : 1;
            }
            pool.shutdown();
            assertThat(accepted).isEqualTo(1);
            assertThat(store.inboxDepth()).isEqualTo(1);
        }
    }

    static Stream<String> kinds() {
        return Stream.of("h2", "postgres");
    }
}
