package dev.assemblyline.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.assemblyline.MutableClock;
import dev.assemblyline.model.Phase;
import dev.assemblyline.model.ServiceState;
import dev.assemblyline.model.Session;
import dev.assemblyline.model.Ticket;
import dev.assemblyline.store.Database;
import dev.assemblyline.store.Postgres;
import dev.assemblyline.store.Store;
import dev.assemblyline.store.TicketStore;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Offers, leases and deadlines on a real H2 store, with a clock moved by hand: nothing sleeps. */
class TicketDeskTest {
    static final Instant T0 = Instant.parse("2026-11-23T10:00:00Z");

    /** Records what the coordinator told whom. */
    static final class FakeNotifier implements Notifier {
        final List<String> said = new ArrayList<>();

        @Override
        public synchronized void tell(String session, String service, String text) {
            said.add((session == null ? "team" : session) + ": " + text);
        }

        synchronized List<String> to(String session) {
            return said.stream().filter(s -> s.startsWith(session + ": ")).toList();
        }
    }

    @TempDir
    Path tmp;
    Database db;
    TicketStore tickets;
    dev.assemblyline.store.SessionStore sessions;
    Store store;
    FakeNotifier told = new FakeNotifier();
    MutableClock clock = new MutableClock(T0);
    TicketDesk desk;
    TicketActions actions;

    @BeforeEach
    void setUp() {
        open(Database.h2Url(tmp.resolve("h2")), TicketDesk.Timing.DEFAULT);
    }

    void open(String url, TicketDesk.Timing timing) {
        if (db != null) {
            db.close();
        }
        db = Database.open(url, null, null);
        tickets = new TicketStore(db.jdbc());
        sessions = new dev.assemblyline.store.SessionStore(db.jdbc());
        store = new Store(db.jdbc());
        desk = new TicketDesk(tickets, sessions, store, told, clock, timing, new Wakeup(), TicketDesk.Links.NONE);
        actions = new TicketActions(desk);
    }

    @AfterEach
    void tearDown() {
        db.close();
    }

    Session session(String id, String caps, int wip) {
        Session s = new Session(id, id, List.of(caps.split(",")), "active", null, null, wip, "api", null, null);
        sessions.saveSession(s, null, clock.instant());
        return sessions.session(id).orElseThrow();
    }

    void phases(Map<String, Phase> phases) {
        Map<String, ServiceState> states = new java.util.HashMap<>();
        phases.forEach((name, p) -> states.put(name, new ServiceState(name, p, List.of("because"), "tree-" + name, clock.instant())));
        desk.sync(states);
    }

    Ticket only(String service) {
        List<Ticket> open = tickets.openTickets(service);
        assertThat(open).hasSize(1);
        return open.get(0);
    }

    @Test
    void aPhaseThatNeedsWorkGetsExactlyOneTicketOfferedToTheBestFreeSession() {
        session("b1", "builder", 1);
        phases(Map.of("billing", Phase.READY_FOR_BUILD));
        phases(Map.of("billing", Phase.READY_FOR_BUILD));
        assertThat(desk.assign()).isEqualTo(1);
        Ticket t = only("billing");
        assertThat(t.kind()).isEqualTo(Ticket.Kind.BUILD);
        assertThat(t.state()).isEqualTo(Ticket.State.OFFERED);
        assertThat(t.assignee()).isEqualTo("b1");
        assertThat(t.offerExpires()).isEqualTo(T0.plus(Duration.ofMinutes(15)));
        assertThat(told.to("b1")).hasSize(1);
        assertThat(desk.assign()).as("a second pass offers nothing new").isZero();
    }

    @Test
    void anOfferNotClaimedInTimeMovesToTheNextSession() {
        session("b1", "builder", 1);
        session("b2", "builder", 1);
        phases(Map.of("billing", Phase.READY_FOR_BUILD));
        desk.assign();
        assertThat(only("billing").assignee()).isEqualTo("b1");
        clock.advance(Duration.ofMinutes(14));
        desk.tick();
        assertThat(only("billing").assignee()).isEqualTo("b1");
        clock.advance(Duration.ofMinutes(1));
        desk.tick();
        assertThat(only("billing").assignee()).isEqualTo("b2");
        assertThat(only("billing").state()).isEqualTo(Ticket.State.OFFERED);
        assertThat(told.to("b1")).last().asString().contains("lapsed");
    }

    @Test
    void aSilentHolderLosesTheTicketToAnotherCapableSessionAndBothAreTold() {
        Session b1 = session("b1", "builder", 1);
        session("b2", "builder", 1);
        phases(Map.of("billing", Phase.READY_FOR_BUILD));
        desk.assign();
        long id = only("billing").id();
        assertThat(actions.claim(id, b1).status()).isEqualTo(200);
        clock.advance(Duration.ofMinutes(20));
        assertThat(actions.heartbeat(b1)).isEqualTo(1);
        clock.advance(Duration.ofMinutes(29));
        desk.tick();
        assertThat(only("billing").state()).as("the heartbeat renewed the lease").isEqualTo(Ticket.State.CLAIMED);
        clock.advance(Duration.ofMinutes(2));
        desk.tick();
        Ticket next = only("billing");
        assertThat(next.id()).isNotEqualTo(id);
        assertThat(next.assignee()).isEqualTo("b2");
        assertThat(tickets.ticket(id).orElseThrow().state()).isEqualTo(Ticket.State.EXPIRED);
        assertThat(tickets.ticket(id).orElseThrow().closeReason()).contains("b1 sent no heartbeat since");
        assertThat(told.to("b1")).anyMatch(m -> m.contains("taken back"));
        assertThat(told.to("b2")).anyMatch(m -> m.contains("offered to you"));
        assertThat(store.events(0, "billing", 100)).anyMatch(e -> e.kind().equals("lease") && e.message().contains("taken back"));
    }

    @Test
    void theSilentOneGetsItBackOnlyWhenNoOneElseCan() {
        Session b1 = session("b1", "builder", 1);
        phases(Map.of("billing", Phase.READY_FOR_BUILD));
        desk.assign();
        actions.claim(only("billing").id(), b1);
        clock.advance(Duration.ofMinutes(31));
        desk.tick();
        assertThat(only("billing").assignee()).isEqualTo("b1");
        assertThat(only("billing").state()).isEqualTo(Ticket.State.OFFERED);
    }

    @Test
    void aClaimPastItsDeadlineIsTakenBackEvenWithHeartbeats() {
        Session b1 = session("b1", "builder", 1);
        session("b2", "builder", 1);
        phases(Map.of("billing", Phase.READY_FOR_BUILD));
        desk.assign();
        actions.claim(only("billing").id(), b1);
        for (int i = 0; i < 50; i++) { // 50 × 29 min passes the 24 h deadline
            clock.advance(Duration.ofMinutes(29));
            actions.heartbeat(b1);
            desk.tick();
        }
        assertThat(only("billing").assignee()).isEqualTo("b2");
        assertThat(tickets.find("billing", Ticket.State.EXPIRED, null, 10).get(0).closeReason()).contains("passed the deadline");
    }

    @Test
    void aQueuedTicketSaysWhyAndGoesToTheSessionThatFreesUp() {
        Session b1 = session("b1", "builder", 1);
        phases(Map.of("a", Phase.READY_FOR_BUILD, "b", Phase.READY_FOR_BUILD));
        desk.assign();
        Ticket a = only("a");
        Ticket b = only("b");
        Ticket offered = a.state() == Ticket.State.OFFERED ? a : b;
        Ticket waiting = offered == a ? b : a;
        assertThat(offered.id()).isLessThan(waiting.id());
        assertThat(tickets.ticket(waiting.id()).orElseThrow().waiting()).isEqualTo("every active builder is at its WIP limit (b1 1 of 1)");
        assertThat(new Why(desk).of(new ServiceState(waiting.service(), Phase.READY_FOR_BUILD, List.of(), "t", T0)))
                .isEqualTo("READY_FOR_BUILD since 10:00: build ticket #" + waiting.id() + " waits: every active builder is at its WIP limit (b1 1 of 1)");
        actions.claim(offered.id(), b1);
        actions.done(offered.id(), b1);
        desk.assign();
        assertThat(tickets.ticket(waiting.id()).orElseThrow().assignee()).isEqualTo("b1");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"h2", "postgres"})
    void releaseGivesTheTicketToSomeoneElseAndDoneClosesIt(String kind) {
        if (kind.equals("postgres")) {
            open(Postgres.get().newDatabase(), TicketDesk.Timing.DEFAULT);
        }
        Session b1 = session("b1", "builder", 1);
        Session b2 = session("b2", "builder", 1);
        phases(Map.of("billing", Phase.READY_FOR_BUILD));
        desk.assign();
        long first = only("billing").id();
        assertThat(actions.release(first, b2).status()).as("only the holder releases").isEqualTo(409);
        TicketDesk.Outcome released = actions.release(first, b1);
        assertThat(released.status()).isEqualTo(200);
        assertThat(released.message()).endsWith(": it goes to " + b2.name());
        desk.assign();
        Ticket second = only("billing");
        assertThat(second.assignee()).isEqualTo("b2");
        assertThat(actions.done(second.id(), b1).status()).isEqualTo(409);
        assertThat(actions.claim(second.id(), b2).status()).isEqualTo(200);
        assertThat(actions.progress(second.id(), b2, "half way", 50).status()).isEqualTo(200);
        assertThat(actions.progress(second.id(), b2, null, null).status()).isEqualTo(200);
        assertThat(actions.heartbeat(b2)).isEqualTo(1);
        assertThat(actions.done(second.id(), b2).status()).isEqualTo(200);
        assertThat(tickets.openTickets("billing")).isEmpty();
    }

    @Test
    void aReleaseComesBackToTheReleaserOnlyWhenNoOneElseCanTakeItAndTheAnswerSaysSo() {
        Session b1 = session("b1", "builder", 1);
        phases(Map.of("billing", Phase.READY_FOR_BUILD));
        desk.assign();
        TicketDesk.Outcome released = actions.release(only("billing").id(), b1);
        assertThat(released.message()).endsWith("no other builder can take it now, so it is offered back to you");
        desk.assign();
        assertThat(only("billing").assignee()).isEqualTo("b1");

        Session b2 = session("b2", "builder", 1);
        released = actions.release(only("billing").id(), b1);
        desk.assign();
        assertThat(only("billing").assignee()).as("with a second builder free, not back to b1").isEqualTo("b2");
        assertThat(released.message()).endsWith("it goes to " + b2.name());
    }

    @Test
    void theConsoleTellsEveryTicketChangeClaimsReleasesProgressAndDone() {
        ch.qos.logback.classic.Logger log = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("assembly.messages");
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> seen = new ch.qos.logback.core.read.ListAppender<>();
        seen.start();
        log.addAppender(seen);
        try {
            desk = new TicketDesk(tickets, sessions, store, new ConsoleNotifier(), clock, TicketDesk.Timing.DEFAULT, new Wakeup(), TicketDesk.Links.NONE);
            actions = new TicketActions(desk);
            Session b1 = session("b1", "builder", 1);
            session("b2", "builder", 1);
            phases(Map.of("billing", Phase.READY_FOR_BUILD));
            desk.assign();
            long id = only("billing").id();
            actions.claim(id, b1);
            actions.progress(id, b1, "routes done", 45);
            actions.release(id, b1);
            desk.assign();
            Ticket next = only("billing");
            Session b2 = sessions.session(next.assignee()).orElseThrow();
            actions.claim(next.id(), b2);
            actions.done(next.id(), b2);
            List<String> lines = seen.list.stream().map(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage).toList();
            assertThat(lines).anyMatch(l -> l.startsWith("billing: ") && l.contains("#" + id) && l.contains("offered to b1"))
                    .anyMatch(l -> l.startsWith("billing: ") && l.contains("#" + id) && l.contains("claimed by b1"))
                    .anyMatch(l -> l.equals("billing: build ticket #" + id + ": progress from b1: 45%, routes done"))
                    .anyMatch(l -> l.startsWith("billing: ") && l.contains("#" + id) && l.contains("released by b1"))
                    .anyMatch(l -> l.startsWith("billing: ") && l.contains("#" + next.id()) && l.contains("done by b2"));
        } finally {
            log.detachAppender(seen);
        }
    }

    @Test
    void whenTheServiceMovesOnTheOldTicketIsSupersededAndTheNextOneOpened() {
        session("b1", "builder", 1);
        session("t1", "tester", 1);
        phases(Map.of("billing", Phase.READY_FOR_BUILD));
        desk.assign();
        long build = only("billing").id();
        phases(Map.of("billing", Phase.NEEDS_TESTS));
        assertThat(tickets.ticket(build).orElseThrow().state()).isEqualTo(Ticket.State.SUPERSEDED);
        desk.assign();
        assertThat(only("billing").kind()).isEqualTo(Ticket.Kind.TESTS);
        assertThat(only("billing").assignee()).isEqualTo("t1");
        phases(Map.of());
        assertThat(tickets.openTickets("billing")).as("a removed service keeps no tickets").isEmpty();
    }

    @Test
    void workDoneForATreeIsNotHandedOutAgainUntilAPushChangesIt() {
        Session b1 = session("b1", "builder", 1);
        session("b2", "builder", 1);
        phases(Map.of("billing", Phase.READY_FOR_BUILD));
        desk.assign();
        Ticket t = only("billing");
        actions.claim(t.id(), b1);
        actions.done(t.id(), b1);
        phases(Map.of("billing", Phase.READY_FOR_BUILD));
        assertThat(tickets.openTickets("billing")).as("same tree, done: nothing to hand out").isEmpty();
        assertThat(new Why(desk).of(new ServiceState("billing", Phase.READY_FOR_BUILD, List.of(), "tree-billing", T0)))
                .contains("build ticket #" + t.id() + " was done by b1").contains("waits for a push");
        desk.sync(Map.of("billing", new ServiceState("billing", Phase.READY_FOR_BUILD, List.of(), "tree-2", T0)));
        assertThat(only("billing").kind()).as("a new tree needs building again").isEqualTo(Ticket.Kind.BUILD);
    }

    @Test
    void anOfferBelongsToItsSessionAndAReadmeMarkerTakesQueuedBuildsOffTheTable() {
        session("b1", "builder", 1);
        Session b2 = session("b2", "builder", 1);
        phases(Map.of("billing", Phase.READY_FOR_BUILD));
        desk.assign();
        TicketDesk.Outcome o = actions.claim(only("billing").id(), b2);
        assertThat(o.status()).isEqualTo(409);
        assertThat(o.message()).contains("offered to b1");
        phases(Map.of("billing", Phase.BUILD_IN_PROGRESS));
        assertThat(tickets.openTickets("billing")).as("built outside the coordinator: the offer is withdrawn").isEmpty();
        assertThat(told.to("b1")).last().asString().contains("no longer needed");
    }

    @Test
    void aClaimedBuildIsAFactAndTestingOrProductionOpenNoTicket() {
        Session b1 = session("b1", "builder", 1);
        phases(Map.of("billing", Phase.READY_FOR_BUILD, "search", Phase.TESTING, "feed", Phase.PRODUCTION));
        desk.assign();
        assertThat(tickets.openTickets()).hasSize(1);
        actions.claim(only("billing").id(), b1);
        assertThat(tickets.buildClaims()).containsEntry("billing", "b1");
        phases(Map.of("billing", Phase.BUILD_IN_PROGRESS));
        assertThat(only("billing").state()).as("the claimed build ticket is not superseded by the phase it causes")
                .isEqualTo(Ticket.State.CLAIMED);
    }

    @Test
    void autoclaimTurnsOffersIntoClaims() {
        open(Database.h2Url(tmp.resolve("auto")), new TicketDesk.Timing(Duration.ofSeconds(5), Duration.ofHours(24), Duration.ofMinutes(15), true));
        session("b1", "builder", 1);
        phases(Map.of("billing", Phase.READY_FOR_BUILD));
        desk.assign();
        assertThat(only("billing").state()).isEqualTo(Ticket.State.CLAIMED);
        assertThat(told.to("b1")).last().asString().contains("start now");
        clock.advance(Duration.ofSeconds(6));
        desk.tick();
        assertThat(tickets.find("billing", Ticket.State.EXPIRED, null, 10)).as("a five-second lease works").hasSize(1);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"h2", "postgres"})
    void ofFiftySimultaneousClaimsExactlyOneWins(String kind) throws Exception {
        if (kind.equals("postgres")) {
            open(Postgres.get().newDatabase(), TicketDesk.Timing.DEFAULT);
        }
        List<Session> builders = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            builders.add(session("b" + i, "builder", 1));
        }
        phases(Map.of("billing", Phase.READY_FOR_BUILD));
        long id = only("billing").id();
        ExecutorService pool = Executors.newFixedThreadPool(50);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<TicketDesk.Outcome>> results = new ArrayList<>();
        for (Session s : builders) {
            results.add(pool.submit(() -> {
                go.await();
                return actions.claim(id, s);
            }));
        }
        go.countDown();
        List<TicketDesk.Outcome> outcomes = new ArrayList<>();
        for (Future<TicketDesk.Outcome> f : results) {
            outcomes.add(f.get());
        }
        pool.shutdown();
        List<TicketDesk.Outcome> won = outcomes.stream().filter(TicketDesk.Outcome::ok).toList();
        assertThat(won).hasSize(1);
        String holder = only("billing").assignee();
        assertThat(outcomes.stream().filter(o -> !o.ok())).hasSize(49)
                .allMatch(o -> o.status() == 409 && o.message().contains("claimed by " + holder));
    }
}
