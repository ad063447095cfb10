package dev.assemblyline.pipeline;

import dev.assemblyline.model.ServiceState;
import dev.assemblyline.model.Session;
import dev.assemblyline.model.Ticket;
import dev.assemblyline.store.TicketStore;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The why sentence: what a service waits for and on whom ("TESTING since 14:02: tests running: 12
 * passed, 0 failed so far"), read from its state and its tickets. The same sentence for the API, Slack,
 * the console and agents.
 */
public final class Why {
    private final TicketDesk desk;
    private final TicketStore tickets;
    private final Clock clock;

    public Why(TicketDesk desk) {
        this.desk = desk;
        this.tickets = desk.tickets();
        this.clock = desk.clock();
    }

    /**
     * What many sentences need, read once: open tickets by service, work done in the last 30 days (read
     * when first needed), WIP per session and the sessions. The dashboard writes a page of sentences from one.
     */
    public final class Context {
        private final Map<String, List<Ticket>> open = new HashMap<>();
        private final Map<String, Integer> wip;
        private final Map<String, Session> sessions = new HashMap<>();
        private Map<String, TicketStore.DoneWork> done;

        private Context(List<Ticket> openTickets, Map<String, Integer> wip, List<Session> all) {
            openTickets.forEach(t -> open.computeIfAbsent(t.service(), k -> new ArrayList<>()).add(t));
            this.wip = wip;
            all.forEach(x -> sessions.put(x.id(), x));
        }

        /** The open tickets of a service. */
        public List<Ticket> open(String service) {
            return open.getOrDefault(service, List.of());
        }

        public Map<String, Integer> wip() {
            return wip;
        }

        public Session session(String id) {
            return id == null ? null : sessions.get(id);
        }

        private TicketStore.DoneWork done(String key) {
            if (done == null) {
                done = tickets.doneFor(clock.instant().minus(Duration.ofDays(30)));
            }
            return done.get(key);
        }
    }

    /** Reads what {@link #of(ServiceState, Context)} needs for any number of services. */
    public Context context() {
        List<Ticket> open = tickets.openTickets();
        Map<String, Integer> wip = new HashMap<>();
        open.stream().filter(t -> t.assignee() != null).forEach(t -> wip.merge(t.assignee(), 1, Integer::sum));
        return new Context(open, wip, desk.sessions().sessions());
    }

    /** One sentence: what the service waits for, and on whom. */
    public String of(ServiceState s) {
        Context one = new Context(tickets.openTickets(s.service()), tickets.wip(), List.of());
        return of(s, one, id -> desk.sessions().session(id).orElse(null));
    }

    /** The sentence from a context read once (the dashboard's many cards). */
    public String of(ServiceState s, Context c) {
        return of(s, c, c::session);
    }

    private String of(ServiceState s, Context c, java.util.function.Function<String, Session> sessionOf) {
        String head = s.phase() + " since " + desk.at(s.since()) + ": ";
        Ticket.Kind want = Ticket.Kind.forPhase(s.phase());
        List<Ticket> open = c.open(s.service());
        Ticket t = open.stream().filter(x -> x.kind() == want).findFirst().orElse(null);
        if (t == null && want != null) {
            TicketStore.DoneWork w = c.done(s.service() + "/" + want.label() + "/" + s.tree());
            if (w != null) {
                return head + want.label() + " ticket #" + w.id() + " was done by " + w.assignee() + " at " + desk.at(w.closedAt())
                        + ", but nothing has been pushed since: waits for a push that changes " + s.service();
            }
        }
        if (t == null) {
            return head + switch (s.phase()) {
                case TESTING -> desk.links().testProgress().apply(s.service()) != null ? "tests running: " + desk.links().testProgress().apply(s.service())
                        : "waits for its tests to run (" + String.join("; ", s.reasons()) + ")";
                case PRODUCTION -> "nothing to do; " + String.join("; ", s.reasons());
                case BUILD_IN_PROGRESS -> String.join("; ", s.reasons()) + " (outside the coordinator: no ticket)";
                default -> "no open " + (want == null ? "" : want.label() + " ") + "ticket yet; the next reconcile opens one";
            };
        }
        String ticket = t.kind().label() + " ticket #" + t.id();
        return head + switch (t.state()) {
            case QUEUED -> ticket + " waits: " + (t.waiting() == null ? "not offered yet" : t.waiting());
            case OFFERED -> ticket + " offered to " + t.assignee() + wip(t.assignee(), c, sessionOf) + ", offer ends " + desk.at(t.offerExpires());
            case CLAIMED -> ticket + " claimed by " + t.assignee() + wip(t.assignee(), c, sessionOf) + (t.percent() == null ? "" : ", " + t.percent() + "% done")
                    + ", lease ends " + desk.at(t.leaseExpires()) + ", deadline " + desk.at(t.deadline());
            default -> ticket + " is " + t.state().label();
        };
    }

    private static String wip(String session, Context c, java.util.function.Function<String, Session> sessionOf) {
        Session s = sessionOf.apply(session);
        int held = c.wip().getOrDefault(session, 0);
        return s == null ? "" : " (" + held + " of " + s.wipLimit() + " WIP)";
    }
}
