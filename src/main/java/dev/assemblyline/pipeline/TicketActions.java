package dev.assemblyline.pipeline;

import dev.assemblyline.assign.Matching;
import dev.assemblyline.model.Session;
import dev.assemblyline.model.Ticket;
import dev.assemblyline.store.Store;
import dev.assemblyline.store.TicketStore;
import java.time.Clock;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;

/**
 * What a session does to its tickets: claim, release, done, progress, heartbeat, leave. One code path for
 * REST, the command line, Slack (and agents). Each change is one transaction in {@link TicketStore} before
 * the answer; the loop's side of tickets (opening, offering, taking back) is {@link TicketDesk}.
 */
public final class TicketActions {
    private final TicketDesk desk;
    private final TicketStore tickets;
    private final Store store;
    private final Notifier notifier;
    private final Clock clock;
    private final TicketDesk.Timing timing;
    private final Wakeup wakeup;

    public TicketActions(TicketDesk desk) {
        this.desk = desk;
        this.tickets = desk.tickets();
        this.store = desk.store();
        this.notifier = desk.notifier();
        this.clock = desk.clock();
        this.timing = desk.timing();
        this.wakeup = desk.wakeup();
    }

    public TicketDesk.Outcome claim(long id, Session s) {
        return withTicket(id, t -> claim(t, s));
    }

    private TicketDesk.Outcome claim(Ticket t, Session s) {
        long id = t.id();
        if (!s.can(t.kind().capability())) {
            return new TicketDesk.Outcome(403, s.name() + " cannot claim a " + t.kind().label() + " ticket: it needs " + t.kind().capability(), t);
        }
        Instant now = clock.instant();
        if (t.state() == Ticket.State.CLAIMED && s.id().equals(t.assignee())) {
            heartbeat(s);
            return new TicketDesk.Outcome(200, "ticket #" + id + " is already yours; lease renewed", tickets.ticket(id).orElse(t));
        }
        if (!tickets.claim(id, s.id(), now, now.plus(timing.lease()), now.plus(timing.deadline()), true)) {
            Ticket current = tickets.ticket(id).orElse(t);
            String message = switch (current.state()) {
                case CLAIMED -> "ticket #" + id + " is already claimed by " + current.assignee();
                case OFFERED -> "ticket #" + id + " is offered to " + current.assignee() + " until " + desk.at(current.offerExpires());
                case QUEUED -> s.name() + " is at its WIP limit (" + tickets.wip().getOrDefault(s.id(), 0) + " of " + s.wipLimit() + ")";
                default -> "ticket #" + id + " is " + current.state().label();
            };
            return new TicketDesk.Outcome(409, message, current);
        }
        record(now, t, "claimed by " + s.name(), "claimed by " + s.name(), false);
        return new TicketDesk.Outcome(200, "claimed " + t.kind().label() + " ticket #" + id + " for " + t.service() + "; lease "
                + dev.assemblyline.model.Durations.format(timing.lease()) + ", deadline " + desk.at(now.plus(timing.deadline())), tickets.ticket(id).orElse(t));
    }

    public TicketDesk.Outcome release(long id, Session s) {
        return withTicket(id, t -> release(t, s));
    }

    private TicketDesk.Outcome release(Ticket t, Session s) {
        long id = t.id();
        Instant now = clock.instant();
        Optional<Ticket> next = tickets.takeBack(id, s.id(), EnumSet.of(Ticket.State.OFFERED, Ticket.State.CLAIMED), Ticket.State.RELEASED,
                "released by " + s.name(), now);
        if (next.isEmpty()) {
            return new TicketDesk.Outcome(409, "ticket #" + id + " is not held by " + s.name(), t);
        }
        record(now, t, "released by " + s.name() + "; reopened as #" + next.get().id(), "released by " + s.name(), false);
        desk.announceWhenAssigned(next.get().id());
        Matching.Result who = desk.nextHolder(next.get());
        String to;
        if (who.chosen() == null) {
            to = "it waits: " + who.waiting();
        } else if (who.chosen().id().equals(s.id())) {
            to = "no other " + t.kind().capability() + " can take it now, so it is offered back to you";
        } else {
            to = "it goes to " + who.chosen().name();
        }
        return new TicketDesk.Outcome(200, "released ticket #" + id + "; reopened as #" + next.get().id() + ": " + to, next.get());
    }

    public TicketDesk.Outcome done(long id, Session s) {
        return withTicket(id, t -> done(t, s));
    }

    private TicketDesk.Outcome done(Ticket t, Session s) {
        long id = t.id();
        Instant now = clock.instant();
        if (!tickets.done(id, s.id(), now)) {
            return new TicketDesk.Outcome(409, "ticket #" + id + " is not held by " + s.name() + " (it is " + t.state().label()
                    + (t.assignee() == null ? "" : " by " + t.assignee()) + ")", t);
        }
        record(now, t, "done by " + s.name(), ":white_check_mark: done by " + s.name(), true);
        return new TicketDesk.Outcome(200, "done: " + t.kind().label() + " ticket #" + id + " for " + t.service(), tickets.ticket(id).orElse(t));
    }

    /** {@code act} on the ticket, or 404 when there is no such ticket. */
    private TicketDesk.Outcome withTicket(long id, java.util.function.Function<Ticket, TicketDesk.Outcome> act) {
        return tickets.ticket(id).map(act).orElseGet(() -> new TicketDesk.Outcome(404, "no ticket #" + id, null));
    }

    /** What a session did to a ticket: logged, announced, and a build's service looked at again (its phase depends on the claim). */
    private void record(Instant now, Ticket t, String what, String announcement, boolean recheckAnyKind) {
        store.log(List.of(TicketDesk.entry(now, t.service(), "ticket", t.kind().label() + " ticket #" + t.id() + " " + what)), now);
        desk.announce(t.id(), announcement);
        if (recheckAnyKind || t.kind() == Ticket.Kind.BUILD) {
            wakeup.recheck(t.service());
        }
    }

    public TicketDesk.Outcome progress(long id, Session s, String note, Integer percent) {
        if (percent != null && (percent < 0 || percent > 100)) {
            return new TicketDesk.Outcome(400, "percent must be 0..100", null);
        }
        Instant now = clock.instant();
        String clean = note == null ? null : note.length() > 2000 ? note.substring(0, 2000) : note;
        if (!tickets.progress(id, s.id(), clean, percent, now, now.plus(timing.lease()))) {
            return new TicketDesk.Outcome(409, "ticket #" + id + " is not claimed by " + s.name(), tickets.ticket(id).orElse(null));
        }
        Ticket t = tickets.ticket(id).orElse(null);
        if (t != null) {
            String line = "progress from " + s.name() + ": " + (percent == null ? "" : percent + "%")
                    + (clean == null || clean.isBlank() ? "" : (percent == null ? "" : ", ") + clean.replaceAll("\\p{Cntrl}", " "));
            // logged as well: the dashboard's cards follow the event log
            store.log(List.of(TicketDesk.entry(now, t.service(), "progress", t.kind().label() + " ticket #" + id + " " + line)), now);
            notifier.progressed(t, line);
        }
        return new TicketDesk.Outcome(200, "progress noted on ticket #" + id, t);
    }

    public int heartbeat(Session s) {
        Instant now = clock.instant();
        return desk.sessions().heartbeat(s.id(), now, now.plus(timing.lease()));
    }

    /** A session left (deleted, or gone from sessions.json): everything it held is taken back. */
    public void leave(String sessionId, String why) {
        Instant now = clock.instant();
        for (Ticket t : tickets.openTickets()) {
            if (sessionId.equals(t.assignee())) {
                tickets.takeBack(t.id(), sessionId, EnumSet.of(Ticket.State.OFFERED, Ticket.State.CLAIMED), Ticket.State.EXPIRED,
                        sessionId + " left: " + why, now).ifPresent(next -> store.log(List.of(TicketDesk.entry(now, t.service(), "lease",
                        t.kind().label() + " ticket #" + t.id() + " taken back: " + sessionId + " left (" + why + "); reopened as #" + next.id())), now));
                desk.announce(t.id(), "taken back: " + sessionId + " left (" + why + ")");
                if (t.kind() == Ticket.Kind.BUILD) {
                    wakeup.recheck(t.service());
                }
            }
        }
    }
}
