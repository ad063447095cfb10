package dev.assemblyline.pipeline;

import dev.assemblyline.model.LogEntry;
import dev.assemblyline.model.ServiceState;
import dev.assemblyline.model.Session;
import dev.assemblyline.model.Ticket;
import dev.assemblyline.store.OpsStore;
import dev.assemblyline.store.ResultStore;
import dev.assemblyline.store.SessionStore;
import dev.assemblyline.store.Store;
import dev.assemblyline.store.TicketStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * What the line looks like, for those who show it (the REST API, Slack, the dashboard): phases, the
 * event log, sessions, tickets, test runs and health. Read-only; the web and Slack layers ask here
 * instead of reaching into the stores. See docs/ARCHITECTURE.md.
 */
public final class Board {
    private final Store store;
    private final TicketStore tickets;
    private final SessionStore sessions;
    private final ResultStore results;
    private final OpsStore ops;
    private final Supplier<Map<String, ServiceState>> states;
    private final Clock clock;

    /** @param states the phases as the loop holds them now (fresher than the stored ones) */
    public Board(Store store, TicketStore tickets, SessionStore sessions, ResultStore results, OpsStore ops,
                 Supplier<Map<String, ServiceState>> states, Clock clock) {
        this.store = store;
        this.tickets = tickets;
        this.sessions = sessions;
        this.results = results;
        this.ops = ops;
        this.states = states;
        this.clock = clock;
    }

    /** Every service's phase, as the loop holds it now. */
    public Map<String, ServiceState> services() {
        return states.get();
    }

    /** One service: as the loop holds it, else as stored (a loop still starting). */
    public Optional<ServiceState> service(String name) {
        ServiceState s = states.get().get(name);
        return s != null ? Optional.of(s) : store.service(name);
    }

    public List<LogEntry> latestEvents(String service, int limit) {
        return store.latestEvents(service, limit);
    }

    public List<LogEntry> events(long afterId, String service, int limit) {
        return store.events(afterId, service, limit);
    }

    /** Entries before an id, newest first. */
    public List<LogEntry> eventsBefore(long beforeId, int limit) {
        return store.eventsBefore(beforeId, limit);
    }

    public List<LogEntry> eventsSince(Instant since, int limit) {
        return store.eventsSince(since, limit);
    }

    /** The newest event id (0 for an empty log): where a live stream starts. */
    public long lastEventId() {
        return store.lastEventId();
    }

    public int inboxDepth() {
        return store.inboxDepth();
    }

    public List<Session> sessions() {
        return sessions.sessions();
    }

    public Optional<Session> session(String id) {
        return sessions.session(id);
    }

    public Optional<Session> sessionBySlackUser(String slackUser) {
        return sessions.sessionBySlackUser(slackUser);
    }

    public Optional<Ticket> ticket(long id) {
        return tickets.ticket(id);
    }

    /** Tickets matching the filters that are set (null: any), newest first. */
    public List<Ticket> tickets(String service, Ticket.State state, String assignee, int limit) {
        return tickets.find(service, state, assignee, limit);
    }

    public List<Ticket> openTickets() {
        return tickets.openTickets();
    }

    public List<Ticket> openTickets(String service) {
        return tickets.openTickets(service);
    }

    /** Open tickets per holder: each session's work in progress. */
    public Map<String, Integer> wip() {
        return tickets.wip();
    }

    /** The newest test runs of a service, newest first, each with the tail of its output. */
    public List<Map<String, Object>> testRuns(String service, int limit, int tailLines) {
        return results.recent(service, limit, tailLines);
    }

    /** A production service's checks: uptime over a day and a week (percent, null without checks), the newest ten. */
    public record Health(Double uptime24h, Double uptime7d, List<Boolean> recentChecks) {
    }

    public Health health(String service) {
        Instant now = clock.instant();
        return new Health(ops.uptime(service, now.minus(Duration.ofHours(24))), ops.uptime(service, now.minus(Duration.ofDays(7))),
                ops.recentChecks(service, 10));
    }
}
