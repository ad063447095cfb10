package dev.assemblyline.pipeline;

import dev.assemblyline.model.LogEntry;
import dev.assemblyline.model.Phase;
import dev.assemblyline.model.ServiceState;
import dev.assemblyline.model.Session;
import dev.assemblyline.model.Ticket;
import dev.assemblyline.store.OpsStore;
import dev.assemblyline.store.ResultStore;
import dev.assemblyline.store.Store;
import dev.assemblyline.store.TicketStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The dashboard's read model: the pipeline as cards in four columns, one service's whole story, and the
 * sessions with what they hold and how fast they finish. Everything a page shows is read here in a few
 * queries (all open tickets at once, not one query per card), so a board of thousands of services costs
 * the same handful of reads as a board of ten. See docs/dashboard.md.
 */
public final class Dashboard {
    /** The board's columns and the phases under each. */
    public enum Column {
        SPECS(Phase.NEEDS_SPEC, Phase.SPEC_INCOMPLETE),
        BUILD(Phase.READY_FOR_BUILD, Phase.BUILD_IN_PROGRESS),
        TEST(Phase.NEEDS_TESTS, Phase.TESTING, Phase.TESTS_FAILING, Phase.READY_FOR_DEPLOY),
        PRODUCTION(Phase.PRODUCTION, Phase.UNHEALTHY);

        private final List<Phase> phases;

        Column(Phase... phases) {
            this.phases = List.of(phases);
        }

        public List<Phase> phases() {
            return phases;
        }

        /** The column of a phase; null for SKIPPED (not a service). */
        public static Column of(Phase p) {
            for (Column c : values()) {
                if (c.phases.contains(p)) {
                    return c;
                }
            }
            return null;
        }
    }

    /**
     * One service on the board. {@code stuck} says why it stands out (null when it does not): past its
     * deadline, its holder silent, waiting for a free session, tests failing, unhealthy.
     */
    public record Card(String service, Phase phase, Column column, String holder, String holding, Long ticket, String ticketKind,
                       Instant since, Integer percent, String tests, boolean testsRunning, Double uptime, String stuck, String why) {
    }

    /** What the viewer asked to see: each null or blank means any. */
    public record Filter(String phase, String holder, String name) {
        boolean matches(Card c) {
            return (blank(phase) || c.phase().name().equalsIgnoreCase(phase))
                    && (blank(holder) || holder.equals(c.holder()))
                    && (blank(name) || c.service().toLowerCase(Locale.ROOT).contains(name.toLowerCase(Locale.ROOT)));
        }

        private static boolean blank(String s) {
            return s == null || s.isBlank();
        }
    }

    /** One column: its counts per phase (all services), how many match the filter, and one page of them. */
    public record ColumnView(Column column, Map<Phase, Integer> counts, int matching, int offset, List<Card> cards) {
    }

    /** The board at one moment: {@code lastEventId} is where a live stream picks up. */
    public record View(List<ColumnView> columns, int stuck, List<String> holders, long lastEventId, Instant at) {
    }

    private final Board board;
    private final Why why;
    private final Store store;
    private final TicketStore tickets;
    private final ResultStore results;
    private final OpsStore ops;
    private final Function<String, String> testProgress;
    private final Function<String, byte[]> specAtHead;
    private final Duration silentAfter;
    private final Duration deadline;
    private final Clock clock;

    /**
     * @param testProgress a running suite's progress ("12 passed, 0 failed so far (80%)"), null when none runs
     * @param specAtHead   a service's SPEC.md at the last processed head, null when it has none
     * @param silentAfter  a holder whose last heartbeat is older than this counts as silent (half the lease)
     * @param deadline     a ticket's deadline: a service whose work has waited longer than this in its phase is past it
     */
    public Dashboard(Board board, Why why, Store store, TicketStore tickets, ResultStore results, OpsStore ops,
                     Function<String, String> testProgress, Function<String, byte[]> specAtHead, Duration silentAfter, Duration deadline,
                     Clock clock) {
        this.deadline = deadline;
        this.board = board;
        this.why = why;
        this.store = store;
        this.tickets = tickets;
        this.results = results;
        this.ops = ops;
        this.testProgress = testProgress;
        this.specAtHead = specAtHead;
        this.silentAfter = silentAfter;
        this.clock = clock;
    }

    /** What one card is made from before its details (tests, uptime, why) are read: cheap for every service. */
    private record Draft(ServiceState state, Ticket ticket, String stuck) {
    }

    /**
     * The board: per column the counts, and a page of the cards that match the filter, the stuck first,
     * then the most recently moved. {@code only} pages one column from {@code offset}; null pages all from 0.
     */
    public View board(Filter filter, int perColumn, Column only, int offset) {
        long lastEvent = store.lastEventId(); // read first: a change after it reaches the page through the stream
        Instant now = clock.instant();
        Why.Context ctx = why.context();
        Map<Column, List<Draft>> byColumn = new EnumMap<>(Column.class);
        Map<Column, Map<Phase, Integer>> counts = new EnumMap<>(Column.class);
        TreeSet<String> holders = new TreeSet<>();
        int stuck = 0;
        for (Column c : Column.values()) {
            byColumn.put(c, new ArrayList<>());
            Map<Phase, Integer> m = new LinkedHashMap<>();
            c.phases().forEach(p -> m.put(p, 0));
            counts.put(c, m);
        }
        for (ServiceState s : board.services().values()) {
            Column c = Column.of(s.phase());
            if (c == null) {
                continue;
            }
            counts.get(c).merge(s.phase(), 1, Integer::sum);
            Draft d = draft(s, ctx, now);
            if (d.ticket() != null && d.ticket().assignee() != null) {
                holders.add(d.ticket().assignee());
            }
            if (d.stuck() != null) {
                stuck++;
            }
            if (filter.matches(new Card(s.service(), s.phase(), c, holder(d), null, null, null, s.since(), null, null, false, null, d.stuck(), null))) {
                byColumn.get(c).add(d);
            }
        }
        Comparator<Draft> order = Comparator.<Draft>comparingInt(d -> d.stuck() == null ? 1 : 0)
                .thenComparing(d -> d.state().since(), Comparator.reverseOrder())
                .thenComparing(d -> d.state().service());
        Map<Column, List<Draft>> pages = new EnumMap<>(Column.class);
        for (Column c : Column.values()) {
            List<Draft> all = byColumn.get(c);
            all.sort(order);
            int from = only == c ? Math.min(offset, all.size()) : 0;
            pages.put(c, only != null && only != c ? List.of() : all.subList(from, Math.min(all.size(), from + perColumn)));
        }
        Details details = details(pages.values().stream().mapToInt(List::size).sum());
        List<ColumnView> views = new ArrayList<>();
        for (Column c : Column.values()) {
            List<Card> cards = pages.get(c).stream().map(d -> card(d, ctx, details)).toList();
            views.add(new ColumnView(c, counts.get(c), byColumn.get(c).size(), only == c ? offset : 0, cards));
        }
        return new View(views, stuck, List.copyOf(holders), lastEvent, now);
    }

    /**
     * Counts per phase of every service, as stored: the live stream sends them with each change. Stored
     * states are committed with the log entries that announce them, so they never lag the event that
     * woke the stream (the loop's own copy is updated a moment after the commit).
     */
    public Map<Phase, Integer> counts() {
        return store.phaseCounts();
    }

    /** The cards of some services (those a change touched), from their stored states; a service that is gone is absent. */
    public List<Card> cards(Collection<String> services) {
        Instant now = clock.instant();
        Why.Context ctx = why.context();
        Map<String, ServiceState> stored = services.size() > 50 ? store.services() : null;
        List<Draft> drafts = new ArrayList<>();
        for (String name : services) {
            ServiceState s = stored != null ? stored.get(name) : store.service(name).orElse(null);
            if (s != null && Column.of(s.phase()) != null) {
                drafts.add(draft(s, ctx, now));
            }
        }
        Details details = details(drafts.size());
        return drafts.stream().map(d -> card(d, ctx, details)).toList();
    }

    /** The latest test counts and uptimes, read once for a page of cards (nothing read for none). */
    private record Details(Map<String, ResultStore.Counts> tests, Map<String, Double> uptime) {
    }

    private Details details(int cards) {
        if (cards == 0) {
            return new Details(Map.of(), Map.of());
        }
        return new Details(results.latestCounts(), ops.uptimes(clock.instant().minus(Duration.ofHours(24))));
    }

    private Draft draft(ServiceState s, Why.Context ctx, Instant now) {
        Ticket.Kind want = Ticket.Kind.forPhase(s.phase());
        List<Ticket> open = ctx.open(s.service());
        Ticket t = open.stream().filter(x -> x.kind() == want).findFirst()
                .orElse(open.stream().filter(x -> x.assignee() != null).findFirst().orElse(null));
        return new Draft(s, t, stuck(s, t, ctx, now));
    }

    /**
     * Why a card stands out, or null: the first that applies of failing tests, unhealthy, past deadline (its
     * work has outlasted a ticket deadline), holder silent (no heartbeat for half a lease), waiting for a session.
     */
    String stuck(ServiceState s, Ticket t, Why.Context ctx, Instant now) {
        if (s.phase() == Phase.TESTS_FAILING) {
            return "tests failing";
        }
        if (s.phase() == Phase.UNHEALTHY) {
            return "unhealthy";
        }
        if (t == null) {
            return null;
        }
        // the holder's own deadline, or the phase's work outlasting one deadline whoever held it (a ticket past its
        // deadline is taken back and reopened, so the service's time in its phase is what keeps the lateness visible)
        if ((t.state() == Ticket.State.CLAIMED && t.deadline() != null && t.deadline().isBefore(now)) || s.since().plus(deadline).isBefore(now)) {
            return "past deadline";
        }
        if (t.state() == Ticket.State.CLAIMED) {
            Session holder = ctx.session(t.assignee());
            Instant beat = holder == null ? null : holder.lastHeartbeat();
            if (beat == null || beat.plus(silentAfter).isBefore(now)) {
                return "holder silent";
            }
        }
        if (t.state() == Ticket.State.QUEUED && t.waiting() != null) {
            return "waiting for a free session";
        }
        return null;
    }

    private static String holder(Draft d) {
        return d.ticket() == null ? null : d.ticket().assignee();
    }

    private Card card(Draft d, Why.Context ctx, Details details) {
        ServiceState s = d.state();
        Ticket t = d.ticket();
        String running = testProgress.apply(s.service());
        String tests;
        if (running != null) {
            tests = running;
        } else {
            ResultStore.Counts c = details.tests().get(s.service());
            tests = c == null || c.tests() == 0 ? null : c.passing() + "/" + c.tests() + " passing"
                    + (s.tree() != null && !s.tree().equals(c.tree()) ? " (an older tree)" : "");
        }
        Double uptime = Column.of(s.phase()) == Column.PRODUCTION ? details.uptime().get(s.service()) : null;
        return new Card(s.service(), s.phase(), Column.of(s.phase()), holder(d), t == null || t.assignee() == null ? null : t.state().label(),
                t == null ? null : t.id(), t == null ? null : t.kind().label(), s.since(),
                t != null && t.state() == Ticket.State.CLAIMED ? t.percent() : null, tests, running != null, uptime, d.stuck(), why.of(s, ctx));
    }

    /** One service's whole story, for its page. Empty when there is no such service. */
    public record ServicePage(Card card, ServiceState state, List<LogEntry> events, List<Ticket> tickets, List<Map<String, Object>> runs,
                              List<OpsStore.Deployment> deploys, List<OpsStore.Check> checks, Board.Health health, String spec) {
    }

    public Optional<ServicePage> service(String name) {
        Optional<ServiceState> s = board.service(name);
        if (s.isEmpty()) {
            return Optional.empty();
        }
        List<Card> card = cards(List.of(name));  // as stored: the page then follows the stream
        byte[] spec = specAtHead.apply(name);
        return Optional.of(new ServicePage(card.isEmpty() ? null : card.get(0), s.get(), store.latestEvents(name, 300),
                tickets.find(name, null, null, 100), board.testRuns(name, 10, dev.assemblyline.model.TestRun.TAIL_LINES),
                ops.deployments(name, 20), ops.checks(name, 50), board.health(name),
                spec == null ? null : new String(spec, java.nio.charset.StandardCharsets.UTF_8)));
    }

    /** A session as the sessions page shows it. */
    public record SessionRow(Session session, List<Ticket> holds, Long heartbeatAgeSeconds, int doneLast7Days,
                             double donePerWeek, Map<String, Long> medianSecondsByKind) {
    }

    /** Every session: what it holds, when it was last heard from, how much it finished and how fast (over 30 days). */
    public List<SessionRow> sessions() {
        Instant now = clock.instant();
        Map<String, List<Ticket>> holds = new HashMap<>();
        for (Ticket t : tickets.openTickets()) {
            if (t.assignee() != null) {
                holds.computeIfAbsent(t.assignee(), k -> new ArrayList<>()).add(t);
            }
        }
        Map<String, List<TicketStore.Finished>> done = new HashMap<>();
        for (TicketStore.Finished f : tickets.finished(now.minus(Duration.ofDays(30)))) {
            if (f.assignee() != null) {
                done.computeIfAbsent(f.assignee(), k -> new ArrayList<>()).add(f);
            }
        }
        List<SessionRow> out = new ArrayList<>();
        for (Session s : board.sessions()) {
            List<TicketStore.Finished> mine = done.getOrDefault(s.id(), List.of());
            int week = (int) mine.stream().filter(f -> f.closedAt().isAfter(now.minus(Duration.ofDays(7)))).count();
            Map<String, List<Long>> secs = new java.util.TreeMap<>();
            for (TicketStore.Finished f : mine) {
                if (f.claimedAt() != null) {
                    secs.computeIfAbsent(f.kind().label(), k -> new ArrayList<>()).add(Duration.between(f.claimedAt(), f.closedAt()).toSeconds());
                }
            }
            Map<String, Long> medians = new LinkedHashMap<>();
            secs.forEach((k, v) -> medians.put(k, FlowMetrics.percentile(v, 50)));
            out.add(new SessionRow(s, holds.getOrDefault(s.id(), List.of()),
                    s.lastHeartbeat() == null ? null : Math.max(0, Duration.between(s.lastHeartbeat(), now).toSeconds()),
                    week, Math.round(mine.size() * 7.0 / 30 * 10) / 10.0, medians));
        }
        out.sort(Comparator.comparing(r -> r.session().id()));
        return out;
    }

}
