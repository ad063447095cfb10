package dev.assemblyline.assign;

import dev.assemblyline.model.Session;
import dev.assemblyline.model.Ticket;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * Who should get a ticket, as a pure function (docs/ARCHITECTURE.md, "Where things are decided"): capability first; then free
 * capacity (WIP below the limit); then affinity (who built a service fixes it); then measured speed for
 * that kind of work (a session with no history counts as the team median); then least recently
 * assigned; then the session id, so the answer is stable. Sessions in the ticket's skip list (they let
 * an offer lapse, released it, or went quiet) are chosen only when no one else can take it.
 */
public final class Matching {
    private Matching() {
    }

    /**
     * A session as matching sees it for one ticket.
     *
     * @param wip     tickets it holds now (offered or claimed)
     * @param median  median time from claim to done of its finished tickets of this kind; null if none
     * @param builtIt it built the ticket's service (affinity, for fix tickets)
     */
    public record Candidate(Session session, int wip, Duration median, boolean builtIt) {
    }

    /** The chosen session, or null with the sentence that says why the ticket waits. */
    public record Result(Session chosen, String waiting) {
    }

    public static Result choose(Ticket.Kind kind, List<Candidate> candidates, Collection<String> skip) {
        String capability = kind.capability();
        List<Candidate> capable = new ArrayList<>();
        int away = 0;
        for (Candidate c : candidates) {
            if (c.session().can(capability)) {
                if (c.session().active()) {
                    capable.add(c);
                } else {
                    away++;
                }
            }
        }
        if (capable.isEmpty()) {
            return new Result(null, away == 0 ? "no session can do " + capability + " work"
                    : "every " + capability + " is away (" + away + ")");
        }
        List<Candidate> free = capable.stream().filter(c -> c.wip() < c.session().wipLimit()).toList();
        if (free.isEmpty()) {
            StringBuilder full = new StringBuilder();
            for (Candidate c : capable.subList(0, Math.min(3, capable.size()))) {
                full.append(full.length() == 0 ? "" : ", ").append(c.session().name()).append(' ')
                        .append(c.wip()).append(" of ").append(c.session().wipLimit());
            }
            return new Result(null, "every active " + capability + " is at its WIP limit (" + full
                    + (capable.size() > 3 ? ", …" : "") + ")");
        }
        List<Candidate> fresh = free.stream().filter(c -> !skip.contains(c.session().id())).toList();
        List<Candidate> pool = fresh.isEmpty() ? free : fresh;
        Duration team = teamMedian(capable);
        Comparator<Candidate> order = Comparator
                .comparing((Candidate c) -> kind == Ticket.Kind.FIX && c.builtIt() ? 0 : 1)
                .thenComparing(c -> c.median() != null ? c.median() : team)
                .thenComparing(c -> c.session().lastAssigned() == null ? Instant.MIN : c.session().lastAssigned())
                .thenComparing(c -> c.session().id());
        return new Result(pool.stream().min(order).orElseThrow().session(), null);
    }

    /** The median of the known medians; zero when no one has history (then speed decides nothing). */
    static Duration teamMedian(List<Candidate> capable) {
        Duration m = median(capable.stream().map(Candidate::median).filter(d -> d != null).toList());
        return m == null ? Duration.ZERO : m;
    }

    /** The median of durations, or null for none. */
    public static Duration median(List<Duration> durations) {
        if (durations.isEmpty()) {
            return null;
        }
        List<Duration> s = durations.stream().sorted().toList();
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : s.get(n / 2 - 1).plus(s.get(n / 2)).dividedBy(2);
    }
}
