package dev.assemblyline.pipeline;

import dev.assemblyline.model.ServiceState;
import dev.assemblyline.model.Session;
import dev.assemblyline.model.Ticket;
import dev.assemblyline.store.TicketStore;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

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

    /** One sentence: what the service waits for, and on whom. */
    public String of(ServiceState s) {
        String head = s.phase() + " since " + desk.at(s.since()) + ": ";
        Ticket.Kind want = Ticket.Kind.forPhase(s.phase());
        List<Ticket> open = tickets.openTickets(s.service());
        Ticket t = open.stream().filter(x -> x.kind() == want).findFirst().orElse(null);
        if (t == null && want != null) {
            TicketStore.DoneWork w = tickets.doneFor(clock.instant().minus(Duration.ofDays(30))).get(s.service() + "/" + want.label() + "/" + s.tree());
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
            case OFFERED -> ticket + " offered to " + t.assignee() + wip(t.assignee()) + ", offer ends " + desk.at(t.offerExpires());
            case CLAIMED -> ticket + " claimed by " + t.assignee() + wip(t.assignee()) + (t.percent() == null ? "" : ", " + t.percent() + "% done")
                    + ", lease ends " + desk.at(t.leaseExpires()) + ", deadline " + desk.at(t.deadline());
            default -> ticket + " is " + t.state().label();
        };
    }

    private String wip(String session) {
        Optional<Session> s = desk.sessions().session(session);
        int held = tickets.wip().getOrDefault(session, 0);
        return s.map(x -> " (" + held + " of " + x.wipLimit() + " WIP)").orElse("");
    }
}
