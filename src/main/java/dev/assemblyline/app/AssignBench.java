package dev.assemblyline.app;

import dev.assemblyline.model.Phase;
import dev.assemblyline.model.ServiceState;
import dev.assemblyline.model.Session;
import dev.assemblyline.model.Ticket;
import dev.assemblyline.pipeline.TicketDesk;
import dev.assemblyline.store.Database;
import dev.assemblyline.store.Store;
import dev.assemblyline.store.TicketStore;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "assign", mixinStandardHelpOptions = true,
        description = {"Sessions and tickets at scale on a throw-away database: the time of a reconcile that offers tickets",
                "(every offer lapses, the pass offers them to the next sessions) and of single claims."})
final class AssignBench implements Callable<Integer> {
    @Option(names = "--sessions", defaultValue = "200")
    int sessions;

    @Option(names = "--tickets", defaultValue = "5000")
    int tickets;

    @Option(names = "--iterations", defaultValue = "20")
    int iterations;

    @Option(names = "--data", required = true, paramLabel = "DIR", description = "Scratch folder for the database.")
    Path data;

    @Option(names = "--db", paramLabel = "JDBC_URL", description = "Database (default: H2 under --data).")
    String url;

    @Spec
    CommandSpec spec;

    /** Moved by hand, so offers lapse without waiting. */
    static final class Hand extends Clock {
        Instant now = Instant.parse("2026-11-23T10:00:00Z");

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @Override
    public Integer call() {
        Hand clock = new Hand();
        try (Database db = Database.open(url != null ? url : Database.h2Url(data), null, null)) {
            TicketStore ts = new TicketStore(db.jdbc());
            dev.assemblyline.store.SessionStore ss = new dev.assemblyline.store.SessionStore(db.jdbc());
            TicketDesk desk = new TicketDesk(ts, ss, new Store(db.jdbc()), (s, svc, text) -> { }, clock, TicketDesk.Timing.DEFAULT,
                    new dev.assemblyline.pipeline.Wakeup(), TicketDesk.Links.NONE);
            dev.assemblyline.pipeline.TicketActions actions = new dev.assemblyline.pipeline.TicketActions(desk);
            String[] caps = {"architect", "builder", "tester", "devops"};
            for (int i = 0; i < sessions; i++) {
                ss.saveSession(new Session(String.format("s%03d", i), "session " + i, List.of(caps[i % 4], caps[(i + 1) % 4]), "active",
                        null, null, 1 + i % 3, "api", null, null), null, clock.now);
            }
            Phase[] needing = {Phase.NEEDS_SPEC, Phase.READY_FOR_BUILD, Phase.NEEDS_TESTS, Phase.TESTS_FAILING, Phase.READY_FOR_DEPLOY};
            Map<String, ServiceState> states = new HashMap<>();
            for (int i = 0; i < tickets; i++) {
                String name = String.format("svc-%05d", i);
                states.put(name, new ServiceState(name, needing[i % needing.length], List.of("bench"), "t" + i, clock.now));
            }
            desk.sync(states);
            desk.assign();
            double[] reconcile = new double[iterations];
            int offered = 0;
            for (int i = 0; i < iterations; i++) {
                clock.now = clock.now.plus(Duration.ofMinutes(16));
                long t0 = System.nanoTime();
                desk.sync(states);
                desk.tick(); // every offer lapsed: take them back and offer to the next sessions
                reconcile[i] = (System.nanoTime() - t0) / 1e6;
                offered = (int) ts.openTickets().stream().filter(t -> t.state() == Ticket.State.OFFERED).count();
            }
            // the usual case: ten sessions finish a ticket each, and the next reconcile reopens and offers work
            double[] typical = new double[iterations];
            int typicalOffers = 0;
            Map<String, Session> byId = new HashMap<>();
            ss.sessions().forEach(s -> byId.put(s.id(), s));
            for (int i = 0; i < iterations; i++) {
                List<Ticket> held = ts.openTickets().stream().filter(t -> t.state() == Ticket.State.OFFERED).limit(10).toList();
                for (Ticket t : held) {
                    actions.done(t.id(), byId.get(t.assignee()));
                }
                long t0 = System.nanoTime();
                desk.sync(states);
                typicalOffers = desk.assign();
                typical[i] = (System.nanoTime() - t0) / 1e6;
            }
            Arrays.sort(typical);
            // claims as sessions make them: each offered ticket claimed by the session it was offered to
            List<Ticket> offeredNow = ts.openTickets().stream().filter(t -> t.state() == Ticket.State.OFFERED).toList();
            List<Double> claims = new ArrayList<>();
            int claimed = 0;
            for (Ticket t : offeredNow) {
                Session who = byId.get(t.assignee());
                long t0 = System.nanoTime();
                TicketDesk.Outcome o = actions.claim(t.id(), who);
                claims.add((System.nanoTime() - t0) / 1e6);
                claimed += o.ok() ? 1 : 0;
            }
            Arrays.sort(reconcile);
            double[] c = claims.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("bench", "assign");
            line.put("sessions", sessions);
            line.put("open_tickets", ts.openTickets().size());
            line.put("worst_offers_per_pass", offered);
            line.put("worst_reconcile_median_ms", Math.round(BenchCommand.Timing.median(reconcile) * 1000) / 1000.0);
            line.put("worst_reconcile_max_ms", Math.round(reconcile[reconcile.length - 1] * 1000) / 1000.0);
            line.put("typical_offers", typicalOffers);
            line.put("typical_reconcile_median_ms", Math.round(BenchCommand.Timing.median(typical) * 1000) / 1000.0);
            line.put("claims", claimed);
            line.put("claim_median_ms", c.length == 0 ? null : Math.round(BenchCommand.Timing.median(c) * 1000) / 1000.0);
            PrintWriter out = spec.commandLine().getOut();
            out.println(line);
            out.flush();
            return 0;
        }
    }
}
