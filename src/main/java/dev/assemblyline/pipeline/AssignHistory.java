package dev.assemblyline.pipeline;

import dev.assemblyline.assign.Matching;
import dev.assemblyline.model.Session;
import dev.assemblyline.model.Ticket;
import dev.assemblyline.store.TicketStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What matching weighs besides capability and WIP: each session's median claim-to-done per kind of
 * ticket, and who built each service (its fix goes to the same builder), over the last 30 days.
 */
record AssignHistory(Map<String, Map<Ticket.Kind, Duration>> medians, Map<String, String> builders) {
    Duration median(String session, Ticket.Kind kind) {
        Map<Ticket.Kind, Duration> m = medians.get(session);
        return m == null ? null : m.get(kind);
    }

    /** The sessions that can do {@code t}, with what matching weighs for each. */
    List<Matching.Candidate> candidates(Ticket t, Collection<Session> sessions, Map<String, Integer> wip) {
        List<Matching.Candidate> out = new ArrayList<>();
        String builder = builders.get(t.service());
        for (Session s : sessions) {
            if (s.can(t.kind().capability())) {
                out.add(new Matching.Candidate(s, wip.getOrDefault(s.id(), 0), median(s.id(), t.kind()), s.id().equals(builder)));
            }
        }
        return out;
    }

    static AssignHistory of(TicketStore tickets, Instant now) {
        Map<String, Map<Ticket.Kind, List<Duration>>> durations = new HashMap<>();
        Map<String, String> builders = new HashMap<>();
        for (TicketStore.Finished f : tickets.finished(now.minus(Duration.ofDays(30)))) {
            if (f.claimedAt() != null && f.closedAt() != null) {
                durations.computeIfAbsent(f.assignee(), k -> new EnumMap<>(Ticket.Kind.class))
                        .computeIfAbsent(f.kind(), k -> new ArrayList<>()).add(Duration.between(f.claimedAt(), f.closedAt()));
            }
            if (f.kind() == Ticket.Kind.BUILD) {
                builders.put(f.service(), f.assignee());
            }
        }
        Map<String, Map<Ticket.Kind, Duration>> medians = new HashMap<>();
        durations.forEach((session, byKind) -> {
            Map<Ticket.Kind, Duration> m = new EnumMap<>(Ticket.Kind.class);
            byKind.forEach((kind, list) -> m.put(kind, Matching.median(list)));
            medians.put(session, m);
        });
        return new AssignHistory(medians, builders);
    }
}
