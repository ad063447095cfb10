package dev.assemblyline.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.assemblyline.model.Facts;
import dev.assemblyline.model.Session;
import dev.assemblyline.model.TestRun;
import dev.assemblyline.model.Ticket;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Sessions, tickets, the outbox, operations and test results: the same tests on H2 and on a real PostgreSQL. */
class StoresTest {
    static final Instant T0 = Instant.parse("2026-11-24T10:00:00Z");
    @org.junit.jupiter.api.io.TempDir
    static java.nio.file.Path tmp;

    static Database open(String kind) {
        return Postgres.open(kind, tmp);
    }

    static Session session(String id, String slackUser, int wip) {
        return new Session(id, "Name " + id, List.of("builder"), "active", null, slackUser, wip, "api", null, null);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"h2", "postgres"})
    void aCommitStatusWithANewerOneForTheSameCommitIsOutOfDateAndACheckUpdatedMeanwhileStaysToApply(String kind) {
        try (Database db = open(kind)) {
            OutboxStore outbox = new OutboxStore(db.jdbc());
            String sha = "c".repeat(40);
            outbox.add("github", "status", "status/github/" + sha + "/pay_1/TESTING/1", null, "pay_1", null, "t", "{}", T0);
            outbox.add("github", "status", "status/github/" + sha + "/pay_1/TESTS_FAILING/2", null, "pay_1", null, "t", "{}", T0);
            outbox.add("github", "status", "status/github/" + sha + "/pay_10/TESTING/3", null, "pay_10", null, "t", "{}", T0);
            outbox.add("github", "status", "status/github/" + "d".repeat(40) + "/pay_1/TESTING/4", null, "pay_1", null, "t", "{}", T0);
            List<OutboxStore.Message> all = outbox.pendingStatuses(T0, 10);
            assertThat(all).hasSize(4);
            assertThat(outbox.newerStatus(all.get(0), dev.assemblyline.forge.ForgeStatuses.placeOf(all.get(0).dedupKey()))).as("a later phase of pay_1 on that commit waits").isTrue();
            assertThat(outbox.newerStatus(all.get(1), dev.assemblyline.forge.ForgeStatuses.placeOf(all.get(1).dedupKey()))).isFalse();
            assertThat(outbox.newerStatus(all.get(2), dev.assemblyline.forge.ForgeStatuses.placeOf(all.get(2).dedupKey()))).as("pay_10 is another service; '_' matches itself only").isFalse();
            assertThat(outbox.newerStatus(all.get(3), dev.assemblyline.forge.ForgeStatuses.placeOf(all.get(3).dedupKey()))).as("another commit").isFalse();

            CiStore ci = new CiStore(db.jdbc());
            ci.record(List.of(new dev.assemblyline.model.CiVerdict("github", sha, "unit", "pending", null, null, null, null, null, null)), T0);
            CiStore.Check read = ci.pending(10).get(0);
            ci.record(List.of(new dev.assemblyline.model.CiVerdict("github", sha, "unit", "success", null, null, 3, 0, 0, null)), T0.plusSeconds(1));
            ci.applied(read, T0.plusSeconds(2));
            assertThat(ci.pending(10)).as("the newer state, stored between the read and the settling, is still to apply")
                    .singleElement().satisfies(c -> assertThat(c.verdict().state()).isEqualTo("success"));
            ci.applied(ci.pending(10).get(0), T0.plusSeconds(3));
            assertThat(ci.pending(10)).isEmpty();
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"h2", "postgres"})
    void aSessionIsOneUpsertThatKeepsItsTokenAndItsSlackUserIsItsOwn(String kind) {
        try (Database db = open(kind)) {
            SessionStore sessions = new SessionStore(db.jdbc());
            sessions.saveSession(session("b1", "U1", 1), "hash-1", T0);
            assertThat(sessions.sessionByToken("hash-1")).map(Session::id).contains("b1");
            sessions.saveSession(new Session("b1", "Renamed", List.of("builder", "tester"), "away", "x", "U1", 2, "api", null, null), null, T0);
            Session b1 = sessions.session("b1").orElseThrow();
            assertThat(b1.name()).isEqualTo("Renamed");
            assertThat(b1.capabilities()).containsExactly("builder", "tester");
            assertThat(b1.wipLimit()).isEqualTo(2);
            assertThat(sessions.hasToken("b1")).as("a null token keeps the one it has").isTrue();
            assertThat(sessions.sessionByToken("hash-1")).isPresent();
            sessions.saveSession(b1, "hash-2", T0);
            assertThat(sessions.sessionByToken("hash-1")).isEmpty();
            assertThat(sessions.sessionByToken("hash-2")).map(Session::id).contains("b1");
            assertThatThrownBy(() -> sessions.saveSession(session("b2", "U1", 1), null, T0)).hasMessageContaining("already session b1's");
            assertThat(sessions.sessions()).extracting(Session::id).containsExactly("b1");
            assertThat(sessions.sessionBySlackUser("U1")).map(Session::id).contains("b1");
            assertThat(sessions.deleteSession("b1")).isTrue();
            assertThat(sessions.deleteSession("b1")).isFalse();
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"h2", "postgres"})
    void ofTwentyConcurrentClaimsExactlyOneWinsAndAHeartbeatExtendsOnlyClaimedLeases(String kind) throws Exception {
        try (Database db = open(kind)) {
            SessionStore sessions = new SessionStore(db.jdbc());
            TicketStore tickets = new TicketStore(db.jdbc());
            for (int i = 0; i < 20; i++) {
                sessions.saveSession(session("s" + i, null, 1), null, T0);
            }
            List<Ticket> opened = tickets.openAll(List.of(new TicketStore.Opening("billing", Ticket.Kind.BUILD, "t1", null),
                    new TicketStore.Opening("billing", Ticket.Kind.BUILD, "t1", null)), T0);
            assertThat(opened).as("one open ticket per (service, kind)").hasSize(1);
            assertThat(tickets.openAll(List.of(new TicketStore.Opening("billing", Ticket.Kind.BUILD, "t2", null)), T0)).isEmpty();
            long id = opened.get(0).id();
            ExecutorService pool = Executors.newFixedThreadPool(20);
            List<Future<Boolean>> claims = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                String s = "s" + i;
                claims.add(pool.submit(() -> tickets.claim(id, s, T0, T0.plusSeconds(60), T0.plusSeconds(3600), true)));
            }
            int won = 0;
            for (Future<Boolean> f : claims) {
                won += f.get() ? 1 : 0;
            }
            pool.shutdown();
            assertThat(won).isEqualTo(1);
            Ticket t = tickets.ticket(id).orElseThrow();
            assertThat(t.state()).isEqualTo(Ticket.State.CLAIMED);
            assertThat(sessions.heartbeat(t.assignee(), T0.plusSeconds(30), T0.plusSeconds(90))).isEqualTo(1);
            assertThat(tickets.ticket(id).orElseThrow().leaseExpires()).isEqualTo(T0.plusSeconds(90));
            assertThat(sessions.session(t.assignee()).orElseThrow().lastHeartbeat()).isEqualTo(T0.plusSeconds(30));
            assertThat(tickets.wip()).isEqualTo(Map.of(t.assignee(), 1));

            Ticket next = tickets.takeBack(id, t.assignee(), java.util.EnumSet.of(Ticket.State.CLAIMED), Ticket.State.RELEASED, "released",
                    T0.plusSeconds(40)).orElseThrow();
            assertThat(next.id()).isNotEqualTo(id);
            assertThat(next.skip()).containsExactly(t.assignee());
            assertThat(tickets.ticket(id).orElseThrow().state()).isEqualTo(Ticket.State.RELEASED);
            assertThat(tickets.progress(next.id(), "s0", "note", 50, T0, T0)).as("not claimed: no progress").isFalse();
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"h2", "postgres"})
    void theOutboxKeepsOrderPerChannelAndQueuesAKeyOnce(String kind) {
        try (Database db = open(kind)) {
            OutboxStore outbox = new OutboxStore(db.jdbc());
            assertThat(outbox.add("C1", "announce", "billing/READY/t1", null, "billing", null, "first", null, T0)).isTrue();
            assertThat(outbox.add("C1", "announce", "billing/READY/t1", null, "billing", null, "again", null, T0)).isFalse();
            assertThat(outbox.add("C1", "post", null, null, null, 7L, "second", null, T0)).isTrue();
            outbox.addEphemeral("C2", "U9", "x".repeat(5000), T0.plusSeconds(1));
            assertThat(outbox.depth()).isEqualTo(3);
            assertThat(outbox.oldestPending()).isEqualTo(T0);
            List<OutboxStore.Message> pending = outbox.pending(10);
            assertThat(pending).extracting(OutboxStore.Message::text).as("one per channel, oldest first")
                    .containsExactly("first", "x".repeat(3999) + "…");
            long first = pending.get(0).id();
            outbox.attempting(first);
            outbox.retry(first, T0.plusSeconds(5), "e".repeat(2000));
            OutboxStore.Message m = outbox.get(first).orElseThrow();
            assertThat(m.attempts()).isEqualTo(1);
            assertThat(m.nextAttempt()).isEqualTo(T0.plusSeconds(5));
            assertThat(m.lastError()).hasSize(1000);
            outbox.sent(first, "1700000000.000100", T0.plusSeconds(6));
            assertThat(outbox.byTs("C1", "1700000000.000100")).map(OutboxStore.Message::id).contains(first);
            assertThat(outbox.latestAnnouncement("billing")).map(OutboxStore.Message::state).contains("sent");
            assertThat(outbox.pending(10)).extracting(OutboxStore.Message::text).contains("second");
            outbox.failed(pending.get(1).id(), "gone");
            assertThat(outbox.depth()).isEqualTo(1);

            // one change's messages in one transaction: in order, a key queued before left out
            int added = outbox.addAll(List.of(new OutboxStore.Draft("C3", "update", null, first, "billing", 7L, "u", "[]"),
                    new OutboxStore.Draft("C3", "announce", "billing/READY/t1", null, "billing", null, "dup", null),
                    new OutboxStore.Draft("C3", "thread", null, first, "billing", 7L, "t", null)), T0.plusSeconds(7));
            assertThat(added).isEqualTo(2);
            assertThat(outbox.depth()).isEqualTo(3);
            OutboxStore.Message u = outbox.pending(10).stream().filter(x -> x.channel().equals("C3")).findFirst().orElseThrow();
            assertThat(u.text()).as("the first of the change comes first").isEqualTo("u");
            outbox.sent(u.id(), "1700000000.000200", T0.plusSeconds(8));
            assertThat(outbox.pending(10)).extracting(OutboxStore.Message::text).contains("t");
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"h2", "postgres"})
    void healthIsTwoChecksInARowAndUptimeIsTheShareThatPassed(String kind) {
        try (Database db = open(kind)) {
            OpsStore ops = new OpsStore(db.jdbc());
            ops.deployed("web", "t1", false, "command", "y".repeat(200_000), T0);
            ops.deployed("web", "t2", true, "command", "ok", T0.plusSeconds(1));
            assertThat(ops.latestDeployments().get("web").tree()).isEqualTo("t2");
            assertThat(ops.uptime("web", T0)).isNull();
            ops.checked("web", true, "200", T0.plusSeconds(2));
            assertThat(ops.health(T0.plusSeconds(3)).get("web")).as("one pass alone decides nothing but healthy")
                    .isEqualTo(Facts.Health.HEALTHY);
            ops.checked("web", false, "x".repeat(900), T0.plusSeconds(3));
            assertThat(ops.health(T0.plusSeconds(4)).get("web")).as("a pass then a failure: undecided").isEqualTo(Facts.Health.UNKNOWN);
            ops.checked("web", false, "503", T0.plusSeconds(4));
            assertThat(ops.health(T0.plusSeconds(5)).get("web")).isEqualTo(Facts.Health.UNHEALTHY);
            assertThat(ops.recentChecks("web", 2)).containsExactly(false, false);
            assertThat(ops.uptime("web", T0)).isEqualTo(33.33);
            assertThat(ops.health(T0.plus(java.time.Duration.ofDays(8)))).as("a week on, old checks say nothing").isEmpty();
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"h2", "postgres"})
    void theKeptVerdictIsTheVerdictOfAllTheChecksAndIsFilledInForOldChecks(String kind) {
        try (Database db = open(kind)) {
            OpsStore ops = new OpsStore(db.jdbc());
            java.util.Random random = new java.util.Random(7);
            List<Boolean> newestFirst = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                // long runs and flapping both: a pass rate that changes every 20 checks
                boolean ok = random.nextDouble() < (i / 20 == 1 ? 0.2 : 0.7);
                Facts.Health before = ops.health(T0.plusSeconds(i)).get("web");
                OpsStore.Transition t = ops.checked("web", ok, null, T0.plusSeconds(i));
                newestFirst.add(0, ok);
                assertThat(t.before()).as("check %d: before", i).isEqualTo(before);
                assertThat(t.after()).as("check %d: %s", i, newestFirst).isEqualTo(OpsStore.verdict(newestFirst));
                assertThat(ops.health(T0.plusSeconds(i)).get("web")).isEqualTo(t.after());
            }
            // checks recorded before the verdict table existed (it is empty then): a new store fills their verdicts in
            db.jdbc().update("test", "DELETE FROM health_verdicts");
            db.jdbc().update("test", "INSERT INTO health_checks (service, ok, detail, at) VALUES (?,?,?,?)", "api", false, null, T0);
            db.jdbc().update("test", "INSERT INTO health_checks (service, ok, detail, at) VALUES (?,?,?,?)", "api", false, null, T0);
            db.jdbc().update("test", "INSERT INTO health_checks (service, ok, detail, at) VALUES (?,?,?,?)", "api", true, null, T0);
            OpsStore reopened = new OpsStore(db.jdbc());
            assertThat(reopened.health(T0).get("api")).as("newest pass after two failures: still unhealthy").isEqualTo(Facts.Health.UNHEALTHY);
            assertThat(reopened.checked("api", true, null, T0.plusSeconds(1)).after()).isEqualTo(Facts.Health.HEALTHY);
            assertThat(reopened.health(T0.plusSeconds(59)).get("web")).as("and the services checked since").isEqualTo(OpsStore.verdict(newestFirst));
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"h2", "postgres"})
    void aRoundOfChecksRecordedTogetherGivesWhatTheChecksOneByOneGive(String kind) {
        try (Database db = open(kind)) {
            OpsStore together = new OpsStore(db.jdbc());
            java.util.Random random = new java.util.Random(3);
            List<String> services = List.of("a", "b", "c");
            Map<String, List<Boolean>> newestFirst = new java.util.HashMap<>();
            for (int round = 0; round < 30; round++) {
                List<OpsStore.NewCheck> checks = new ArrayList<>();
                for (String s : services) {
                    boolean ok = random.nextDouble() < 0.6;
                    checks.add(new OpsStore.NewCheck(s, ok, ok ? "200" : "503"));
                    newestFirst.computeIfAbsent(s, k -> new ArrayList<>()).add(0, ok);
                }
                Map<String, Facts.Health> before = together.health(T0.plusSeconds(round));
                Map<String, OpsStore.Transition> t = together.checkedAll(checks, T0.plusSeconds(round));
                for (String s : services) {
                    assertThat(t.get(s).before()).as("round %d, %s: before", round, s).isEqualTo(before.get(s));
                    assertThat(t.get(s).after()).as("round %d, %s: %s", round, s, newestFirst.get(s)).isEqualTo(OpsStore.verdict(newestFirst.get(s)));
                }
            }
            assertThat(together.recentChecks("b", 30)).isEqualTo(newestFirst.get("b"));
            assertThat(together.checkedAll(List.of(), T0)).isEmpty();
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"h2", "postgres"})
    void aTestResultIsKeptPerTreeWithTheTailOfItsOutput(String kind) {
        try (Database db = open(kind)) {
            ResultStore results = new ResultStore(db.jdbc());
            StringBuilder out = new StringBuilder();
            for (int i = 0; i < 100; i++) {
                out.append("line ").append(i).append('\n');
            }
            results.save(new TestRun("calc", "t1", false, 2, 1, 0, 0, null, List.of("test_calc.test_bad"), 1, false, "1 failed",
                    out.toString()), T0);
            results.save(new TestRun("calc", "t2", true, 2, 0, 0, 0, 91.5, List.of(), 0, false, "2 passed", "ok"), T0.plusSeconds(1));
            assertThat(results.has("calc", "t1")).isTrue();
            assertThat(results.has("calc", "t3")).isFalse();
            assertThat(results.runs("calc")).isEqualTo(2);
            assertThat(results.latest().get("calc").treeId()).isEqualTo("t2");
            List<Map<String, Object>> recent = results.recent("calc", 10, 5);
            assertThat(recent).extracting(m -> m.get("tree")).containsExactly("t2", "t1");
            assertThat(recent.get(1).get("failing")).isEqualTo(List.of("test_calc.test_bad"));
            assertThat((String) recent.get(1).get("output_tail")).contains("line 99").doesNotContain("line 90\n");
            assertThat(recent.get(0).get("coverage")).isEqualTo(91.5);
            assertThat(results.recent("calc", 1, 5)).hasSize(1);
        }
    }
}
