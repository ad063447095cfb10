package dev.assemblyline.pipeline;

import dev.assemblyline.assign.Matching;
import dev.assemblyline.model.LogEntry;
import dev.assemblyline.model.Phase;
import dev.assemblyline.model.ServiceState;
import dev.assemblyline.model.Session;
import dev.assemblyline.model.Ticket;
import dev.assemblyline.store.Store;
import dev.assemblyline.store.SessionStore;
import dev.assemblyline.store.TicketStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tickets: opened and superseded from the phases, offered to the best free session, taken back when
 * offers lapse or holders go quiet, and acted on (claim, release, done, progress) from whatever channel.
 * Every action is one conditional write, so REST, the command line and Slack can race safely.
 */
public final class TicketDesk {
    private static final Logger LOG = LoggerFactory.getLogger(TicketDesk.class);
    private static final DateTimeFormatter HM = DateTimeFormatter.ofPattern("HH:mm").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter DAY_HM = DateTimeFormatter.ofPattern("MMM d HH:mm").withZone(ZoneOffset.UTC);

    /** Lease, deadline and offer durations; autoclaim turns offers straight into claims. */
    public record Timing(Duration lease, Duration deadline, Duration offer, boolean autoclaim) {
        public static final Timing DEFAULT = new Timing(Duration.ofMinutes(30), Duration.ofHours(24), Duration.ofMinutes(15), false);
    }

    /** The answer to an action: an HTTP-like status and a sentence. */
    public record Outcome(int status, String message, Ticket ticket) {
        public boolean ok() {
            return status == 200;
        }
    }

    private final TicketStore tickets;
    private final SessionStore sessions;
    private final Store store;
    private final Notifier notifier;
    private final Clock clock;
    private final Timing timing;
    private final Wakeup wakeup;
    private final Links links;

    /**
     * What the desk reads from the rest of the line: a service's current phase (for announcements), a
     * running suite's progress (for the why of a service in TESTING), and whether the configured deploy
     * command handles a tree (then no deploy ticket is opened unless it failed).
     */
    public record Links(java.util.function.Function<String, Phase> phaseOf, java.util.function.Function<String, String> testProgress,
                        java.util.function.BiPredicate<String, String> deployByCommand) {
        public static final Links NONE = new Links(s -> null, s -> null, (service, tree) -> false);
    }

    /** Tells the notifier a ticket changed; never lets a notifier problem undo the change. */
    void announce(long id, String line) {
        if (!notifier.listensToTickets()) {
            return; // nobody announces tickets (console only): no need to read it back
        }
        try {
            tickets.ticket(id).ifPresent(t -> notifier.ticketChanged(t, links.phaseOf().apply(t.service()), line));
        } catch (RuntimeException e) {
            LOG.warn("announcing ticket #{} failed: {}", id, e.getMessage());
        }
    }

    private final LeaseKeeper leases = new LeaseKeeper(this);

    /** @param wakeup told of a service whose facts changed (a build claimed, released or done), so it is looked at again */
    public TicketDesk(TicketStore tickets, SessionStore sessions, Store store, Notifier notifier, Clock clock, Timing timing, Wakeup wakeup, Links links) {
        this.wakeup = wakeup;
        this.links = links;
        this.tickets = tickets;
        this.sessions = sessions;
        this.store = store;
        this.notifier = notifier;
        this.clock = clock;
        this.timing = timing;
    }

    /** A reopened ticket is announced by the next assign pass (offered, or why it waits). */
    void announceWhenAssigned(long ticketId) {
        pendingAnnouncement.add(ticketId);
    }

    Clock clock() {
        return clock;
    }

    Notifier notifier() {
        return notifier;
    }

    Store store() {
        return store;
    }

    Wakeup wakeup() {
        return wakeup;
    }

    Links links() {
        return links;
    }

    public TicketStore tickets() {
        return tickets;
    }

    public SessionStore sessions() {
        return sessions;
    }

    public Timing timing() {
        return timing;
    }

    /**
     * Makes the open tickets match the phases: the ticket a phase asks for is opened when missing, tickets
     * of an old phase are superseded, services that are gone lose theirs. Idempotent.
     */
    public void sync(Map<String, ServiceState> states) {
        Instant now = clock.instant();
        Map<String, List<Ticket>> open = new HashMap<>();
        for (Ticket t : tickets.openTickets()) {
            open.computeIfAbsent(t.service(), k -> new ArrayList<>()).add(t);
        }
        List<LogEntry> log = new ArrayList<>();
        List<Long> opened = new ArrayList<>();
        List<TicketStore.Opening> openings = new ArrayList<>();
        Map<String, Phase> phases = new HashMap<>();
        boolean more = false;
        Map<String, TicketStore.DoneWork> done = tickets.doneFor(now.minus(Duration.ofDays(30)));
        for (ServiceState s : states.values()) {
            Ticket.Kind kind = Ticket.Kind.forPhase(s.phase());
            Ticket.Kind want = kind == Ticket.Kind.DEPLOY && links.deployByCommand().test(s.service(), s.tree()) ? null : kind;
            List<Ticket> have = open.getOrDefault(s.service(), List.of());
            // a README marker says someone builds outside the coordinator: no build ticket to hand out for it
            boolean outsideBuild = s.phase() == Phase.BUILD_IN_PROGRESS
                    && have.stream().noneMatch(t -> t.kind() == Ticket.Kind.BUILD && t.state() == Ticket.State.CLAIMED);
            for (Ticket t : have) {
                if (t.kind() != want || outsideBuild) {
                    if (tickets.supersede(t.id(), outsideBuild ? "README.md says the build is in progress outside the coordinator"
                            : "service moved to " + s.phase(), now)) {
                        log.add(entry(now, t.service(), "ticket", t.kind().label() + " ticket #" + t.id() + " superseded: " + s.service()
                                + " is " + s.phase()));
                        announce(t.id(), t.kind().label() + " ticket #" + t.id() + " is no longer needed: " + s.service() + " is " + s.phase());
                        if (t.assignee() != null) {
                            notifier.tell(t.assignee(), t.service(), t.kind().label() + " ticket #" + t.id() + " is no longer needed: "
                                    + s.service() + " moved to " + s.phase());
                        }
                    }
                }
            }
            // work already done for this exact tree waits for a push, not for a second person
            boolean doneForTree = want != null && done.containsKey(s.service() + "/" + want.label() + "/" + s.tree());
            if (want != null && !outsideBuild && !doneForTree && have.stream().noneMatch(t -> t.kind() == want)) {
                if (openings.size() < SYNC_SLICE) {
                    // a fix ticket's note names the failing tests
                    openings.add(new TicketStore.Opening(s.service(), want, s.tree(), want == Ticket.Kind.FIX ? String.join("; ", s.reasons()) : null));
                    phases.put(s.service(), s.phase());
                } else {
                    more = true; // the rest on the next turn: the loop drains pushes and checks leases in between
                }
            }
        }
        try {
            for (Ticket t : tickets.openAll(openings, now)) {
                log.add(entry(now, t.service(), "ticket", t.kind().label() + " ticket #" + t.id() + " opened: " + phases.get(t.service())));
                opened.add(t.id());
            }
        } finally {
            store.log(log, now); // what was superseded is logged even if opening failed
            log.clear();
        }
        syncPending = more;
        for (Map.Entry<String, List<Ticket>> e : open.entrySet()) {
            if (!states.containsKey(e.getKey())) {
                for (Ticket t : e.getValue()) {
                    if (tickets.supersede(t.id(), "service removed", now)) {
                        log.add(entry(now, t.service(), "ticket", t.kind().label() + " ticket #" + t.id() + " superseded: the service is gone"));
                    }
                }
            }
        }
        store.log(log, now);
        // tickets nobody can take now are announced as waiting; the others are announced when offered
        pendingAnnouncement.addAll(opened);
    }

    /** New tickets opened per {@link #sync}: a bulk change is worked through in slices, not in one long turn. */
    static final int SYNC_SLICE = 1000;
    /** Waiting announcements made per assign pass, for the same reason. */
    static final int ANNOUNCE_SLICE = 500;
    private volatile boolean syncPending;

    /** Whether the last sync left tickets to open (a bulk change): the loop comes back for them at once. */
    public boolean syncPending() {
        return syncPending;
    }

    /** Opened tickets not yet announced: announced by the next assign pass, offered or waiting. */
    private final java.util.Set<Long> pendingAnnouncement = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** Who the next assign pass would offer a queued ticket to, as things stand (for answers that say so). */
    Matching.Result nextHolder(Ticket t) {
        Map<String, Integer> wip = new HashMap<>();
        for (Ticket o : tickets.openTickets()) {
            if (o.assignee() != null) {
                wip.merge(o.assignee(), 1, Integer::sum);
            }
        }
        return Matching.choose(t.kind(), AssignHistory.of(tickets, clock.instant()).candidates(t, sessions.sessions(), wip), t.skip());
    }

    /** Offers every queued ticket it can, oldest first; records why the others wait. Returns offers made. */
    public int assign() {
        return assign(tickets.openTickets());
    }

    private int assign(List<Ticket> open) {
        Instant now = clock.instant();
        List<Ticket> queued = open.stream().filter(t -> t.state() == Ticket.State.QUEUED).toList();
        if (queued.isEmpty()) {
            return 0;
        }
        Map<String, Session> sessions = new HashMap<>();
        for (Session s : this.sessions.sessions()) {
            sessions.put(s.id(), s);
        }
        Map<String, Integer> wip = new HashMap<>();
        for (Ticket t : open) {
            if (t.assignee() != null) {
                wip.merge(t.assignee(), 1, Integer::sum);
            }
        }
        AssignHistory history = AssignHistory.of(tickets, now);
        List<LogEntry> log = new ArrayList<>();
        int offers = 0;
        // WIP only grows during a pass: once a kind finds no one, later tickets of that kind wait for the same reason
        Map<Ticket.Kind, String> exhausted = new java.util.EnumMap<>(Ticket.Kind.class);
        List<TicketStore.Offer> planned = new ArrayList<>();
        List<Ticket> plannedTickets = new ArrayList<>();
        Map<Long, String> waiting = new HashMap<>();
        Map<Long, String> waits = new java.util.LinkedHashMap<>(); // announced after the reasons are stored, so they show
        java.util.Set<Long> queuedIds = new java.util.HashSet<>();
        queued.forEach(t -> queuedIds.add(t.id()));
        pendingAnnouncement.retainAll(queuedIds); // superseded, claimed or closed meanwhile: nothing to announce
        for (Ticket t : queued) {
            String known = exhausted.get(t.kind());
            if (known != null) {
                if (!known.equals(t.waiting())) {
                    waiting.put(t.id(), known);
                }
                if (waits.size() < ANNOUNCE_SLICE && pendingAnnouncement.remove(t.id())) {
                    waits.put(t.id(), t.kind().label() + " ticket #" + t.id() + " waits: " + known);
                }
                continue;
            }
            Matching.Result r = Matching.choose(t.kind(), history.candidates(t, sessions.values(), wip), t.skip());
            if (r.chosen() == null) {
                exhausted.put(t.kind(), r.waiting());
                if (!r.waiting().equals(t.waiting())) {
                    waiting.put(t.id(), r.waiting());
                }
                if (waits.size() < ANNOUNCE_SLICE && pendingAnnouncement.remove(t.id())) {
                    waits.put(t.id(), t.kind().label() + " ticket #" + t.id() + " waits: " + r.waiting());
                }
                continue;
            }
            Session s = r.chosen();
            if (timing.autoclaim()) {
                if (!tickets.claim(t.id(), s.id(), now, now.plus(timing.lease()), now.plus(timing.deadline()), false)) {
                    continue; // claimed meanwhile by someone's own action
                }
                String what = t.kind().label() + " ticket #" + t.id() + " for " + t.service();
                log.add(entry(now, t.service(), "ticket", what + " assigned to " + s.name() + ": start now"));
                notifier.tell(s.id(), t.service(), what + " is yours: start now (deadline " + at(now.plus(timing.deadline())) + ")");
                pendingAnnouncement.remove(t.id());
                announce(t.id(), what + " assigned to " + s.name() + ": start now");
                if (t.kind() == Ticket.Kind.BUILD) {
                    wakeup.recheck(t.service());
                }
                offers++;
            } else {
                planned.add(new TicketStore.Offer(t.id(), s.id()));
                plannedTickets.add(t);
            }
            wip.merge(s.id(), 1, Integer::sum);
            sessions.put(s.id(), new Session(s.id(), s.name(), s.capabilities(), s.status(), s.currentWork(), s.slackUser(), s.wipLimit(),
                    s.origin(), s.lastHeartbeat(), now));
        }
        tickets.setWaitingAll(waiting);
        waits.forEach(this::announce);
        boolean[] made = tickets.offerAll(planned, now, now.plus(timing.offer()));
        for (int i = 0; i < made.length; i++) {
            if (!made[i]) {
                continue; // claimed meanwhile by someone's own action
            }
            Ticket t = plannedTickets.get(i);
            Session s = sessions.get(planned.get(i).session());
            String what = t.kind().label() + " ticket #" + t.id() + " for " + t.service();
            log.add(entry(now, t.service(), "ticket", what + " offered to " + s.name() + " until " + at(now.plus(timing.offer()))));
            notifier.tell(s.id(), t.service(), what + " is offered to you until " + at(now.plus(timing.offer())) + ": claim it");
            pendingAnnouncement.remove(t.id());
            announce(t.id(), what + " offered to " + s.name() + " until " + at(now.plus(timing.offer())));
            offers++;
        }
        store.log(log, now);
        return offers;
    }

    /** Lapsed offers go to the next session; claims whose holder went quiet or ran past the deadline are taken back. */
    public void tick() {
        List<Ticket> current = leases.run();
        if (current == null) {
            assign();
        } else {
            assign(current);
        }
    }

    /** "10:17" today (UTC), "Nov 24 10:17" on another day. */
    String at(Instant i) {
        if (i == null) {
            return "?";
        }
        boolean today = i.atZone(ZoneOffset.UTC).toLocalDate().equals(clock.instant().atZone(ZoneOffset.UTC).toLocalDate());
        return (today ? HM : DAY_HM).format(i);
    }

    static LogEntry entry(Instant at, String service, String kind, String message) {
        return new LogEntry(0, at, service, kind, message);
    }

}
