package dev.assemblyline.pipeline;

import dev.assemblyline.model.Durations;
import dev.assemblyline.model.LogEntry;
import dev.assemblyline.model.Ticket;
import dev.assemblyline.store.TicketStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The clock side of the ticket lifecycle, run by {@link TicketDesk#tick()}: offers that lapsed unclaimed
 * go back to the queue (passing over the session that let them lapse), and claims whose holder sent no
 * heartbeat within the lease or ran past the deadline are taken back and reopened for someone else.
 */
final class LeaseKeeper {
    private static final Logger LOG = LoggerFactory.getLogger(LeaseKeeper.class);

    private final TicketDesk desk;

    /** Reads the desk's parts when it runs, not here: it is made while the desk is. */
    LeaseKeeper(TicketDesk desk) {
        this.desk = desk;
    }

    /**
     * Lapses and takes back what is due; returns the open tickets as they now stand, or null when more
     * than the lapsed offers moved and they must be read again.
     */
    List<Ticket> run() {
        TicketStore tickets = desk.tickets();
        Notifier notifier = desk.notifier();
        Duration lease = desk.timing().lease();
        Instant now = desk.clock().instant();
        List<LogEntry> log = new ArrayList<>();
        List<Ticket> open = tickets.openTickets();
        List<Ticket> lapsed = open.stream().filter(t -> t.state() == Ticket.State.OFFERED && t.offerExpires() != null
                && !now.isBefore(t.offerExpires())).toList();
        boolean[] gone;
        try {
            gone = tickets.lapseAll(lapsed, now);
        } catch (RuntimeException e) {
            LOG.warn("lapsing {} offers failed; trying one by one: {}", lapsed.size(), e.getMessage());
            gone = new boolean[lapsed.size()];
            for (int i = 0; i < gone.length; i++) {
                try {
                    gone[i] = tickets.lapse(lapsed.get(i), now);
                } catch (RuntimeException one) {
                    LOG.warn("ticket #{}: the lapsed offer could not be requeued: {}", lapsed.get(i).id(), one.getMessage());
                }
            }
        }
        boolean reread = false;
        for (int i = 0; i < gone.length; i++) {
            Ticket t = lapsed.get(i);
            reread |= !gone[i];
            if (gone[i]) {
                log.add(TicketDesk.entry(now, t.service(), "ticket", t.kind().label() + " ticket #" + t.id() + ": the offer to " + t.assignee()
                        + " lapsed unclaimed; offering it to the next session"));
                notifier.tell(t.assignee(), t.service(), "the offer of " + t.kind().label() + " ticket #" + t.id() + " lapsed");
                desk.announce(t.id(), "the offer to " + t.assignee() + " lapsed unclaimed");
            }
        }
        for (Ticket t : open) {
            if (t.state() == Ticket.State.CLAIMED) {
                String why = null;
                if (t.deadline() != null && !now.isBefore(t.deadline())) {
                    why = t.assignee() + " passed the deadline of " + desk.at(t.deadline());
                } else if (t.leaseExpires() != null && !now.isBefore(t.leaseExpires())) {
                    why = t.assignee() + " sent no heartbeat since " + desk.at(t.leaseExpires().minus(lease))
                            + " (lease " + Durations.format(lease) + ")";
                }
                if (why != null) {
                    reread = true;
                    Optional<Ticket> next;
                    try {
                        next = tickets.takeBack(t.id(), t.assignee(), EnumSet.of(Ticket.State.CLAIMED), Ticket.State.EXPIRED, why, now, true);
                    } catch (RuntimeException e) {
                        LOG.warn("ticket #{} could not be taken back: {}", t.id(), e.getMessage());
                        continue;
                    }
                    if (next.isPresent()) {
                        log.add(TicketDesk.entry(now, t.service(), "lease", t.kind().label() + " ticket #" + t.id() + " taken back: " + why
                                + "; reopened as #" + next.get().id()));
                        notifier.tell(t.assignee(), t.service(), t.kind().label() + " ticket #" + t.id() + " was taken back: " + why);
                        desk.announce(t.id(), ":hourglass: taken back from " + t.assignee() + ": " + why);
                        desk.announceWhenAssigned(next.get().id());
                        if (t.kind() == Ticket.Kind.BUILD) {
                            desk.wakeup().recheck(t.service());
                        }
                    }
                }
            }
        }
        desk.store().log(log, now);
        if (reread) {
            return null;
        }
        // nothing else moved: the list read above, with the lapsed offers queued again, is current
        Map<Long, Ticket> requeued = new HashMap<>();
        for (Ticket t : lapsed) {
            List<String> skip = new ArrayList<>(t.skip());
            if (!skip.contains(t.assignee())) {
                skip.add(t.assignee());
            }
            requeued.put(t.id(), new Ticket(t.id(), t.service(), t.kind(), t.tree(), Ticket.State.QUEUED, null, skip, t.waiting(), t.note(),
                    t.percent(), t.createdAt(), null, null, t.claimedAt(), t.leaseExpires(), t.deadline(), null, null));
        }
        return open.stream().map(t -> requeued.getOrDefault(t.id(), t)).toList();
    }
}
