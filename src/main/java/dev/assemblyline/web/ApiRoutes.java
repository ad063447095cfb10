package dev.assemblyline.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assemblyline.model.ServiceName;
import dev.assemblyline.model.ServiceState;
import dev.assemblyline.model.Session;
import dev.assemblyline.model.Ticket;
import dev.assemblyline.pipeline.Board;
import dev.assemblyline.pipeline.SessionRegistry;
import dev.assemblyline.pipeline.TicketActions;
import dev.assemblyline.pipeline.TicketDesk;
import dev.assemblyline.pipeline.Why;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;

/**
 * The REST face of sessions and tickets. Admin calls carry {@code Authorization: Bearer
 * $ASSEMBLY_ADMIN_TOKEN}; a session's own calls carry its token. Actions go through {@link TicketDesk},
 * the same code the command line and Slack use.
 */
public final class ApiRoutes {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_BODY = 64 * 1024;

    private final TicketActions actions;
    private final Why why;
    private final SessionRegistry sessions;
    private final Board board;
    private final Runnable changed;
    private final AuthGuard guard;
    private final java.util.function.Function<Context, Optional<Session>> pageSession;
    private dev.assemblyline.mcp.AgentDesk agents;

    /** @param pageSession the session a dashboard page acts for (its sign-in cookie), when the request has no bearer token */
    public ApiRoutes(TicketActions actions, Why why, SessionRegistry sessions, Board board, Runnable changed, AuthGuard guard,
                     java.util.function.Function<Context, Optional<Session>> pageSession) {
        this.pageSession = pageSession;
        this.actions = actions;
        this.why = why;
        this.sessions = sessions;
        this.board = board;
        this.changed = changed;
        this.guard = guard;
    }

    private dev.assemblyline.pipeline.ChangeSignal changes;
    /** The newest long poll of each session waiting for an offer (a count): only that one waits, so a session holds one thread at most. */
    private final java.util.concurrent.ConcurrentHashMap<String, Long> turns = new java.util.concurrent.ConcurrentHashMap<>();

    /** The longest a session may wait for an offer in one request (under the server's 30 s idle timeout). */
    static final int MAX_WAIT_S = 25;

    /** What a long poll for offers waits on (without it, {@code wait} is refused). */
    public ApiRoutes withChanges(dev.assemblyline.pipeline.ChangeSignal changes) {
        this.changes = changes;
        return this;
    }

    /** The desk behind {@code /api/agent/…}: the MCP tools over REST, for {@code assembly mcp} (docs/agents.md). */
    public ApiRoutes withAgents(dev.assemblyline.mcp.AgentDesk agents) {
        this.agents = agents;
        return this;
    }

    void register(RoutesConfig r) {
        if (agents != null) {
            r.post("/api/agent/tools/{tool}", this::agentTool);
            r.get("/api/agent/resources", this::agentResource);
        }
        r.get("/api/sessions", ctx -> {
            Map<String, Integer> wip = board.wip();
            Server.json(ctx, 200, board.sessions().stream().map(s -> Views.of(s, wip)).toList());
        });
        r.post("/api/sessions", this::registerSession);
        r.post("/api/sessions/{id}/heartbeat", this::heartbeat);
        r.delete("/api/sessions/{id}", this::deleteSession);
        r.get("/api/tickets", this::tickets);
        r.get("/api/tickets/{id}", this::ticket);
        r.post("/api/tickets/{id}/{action}", this::action);
        r.get("/api/services/{name}/why", this::why);
        r.get("/api/services/{name}/health", this::health);
        r.get("/api/services/{name}/tests", this::tests);
    }

    /** The service named in the path, or null when the answer (404) is given. */
    private ServiceState known(Context ctx, String name) {
        ServiceState s = ServiceName.isValid(name) ? board.services().get(name) : null;
        if (s == null) {
            Server.json(ctx, 404, Map.of("error", "no service " + ServiceName.printable(name)));
        }
        return s;
    }

    /** Answers about one known service: its name, then what {@code fill} adds; 404 for an unknown one. */
    private void aboutService(Context ctx, BiConsumer<ServiceState, Map<String, Object>> fill) {
        String name = ctx.pathParam("name");
        ServiceState known = known(ctx, name);
        if (known != null) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("service", name);
            fill.accept(known, m);
            Server.json(ctx, 200, m);
        }
    }

    private void tests(Context ctx) {
        aboutService(ctx, (s, m) -> {
            m.put("tree", s.tree());
            m.put("runs", board.testRuns(s.service(), 10, dev.assemblyline.model.TestRun.TAIL_LINES));
        });
    }

    /** The answer to a token that was given but matches no session (nor the admin's). */
    static final String INVALID = "token not valid for any session";

    /** Who calls: the admin, a session, or nobody; null when the answer (429) is already given. */
    private record Caller(boolean admin, Optional<Session> session, String bearer) {
    }

    private Caller caller(Context ctx) {
        String address = ctx.ip();
        if (guard.blocked(address)) {
            ctx.header("Retry-After", "60");
            Server.json(ctx, 429, Map.of("error", "too many failed token checks from this address; wait a minute"));
            return null;
        }
        String bearer = bearer(ctx);
        if (bearer == null) {
            Optional<Session> page = pageSession.apply(ctx);
            if (page.isPresent()) {
                return new Caller(false, page, null);
            }
        }
        boolean admin = sessions.isAdmin(bearer);
        Optional<Session> s = admin ? Optional.empty() : sessions.authenticate(bearer);
        if (bearer != null && !admin && s.isEmpty()) {
            guard.failed(address, "api");
        }
        return new Caller(admin, s, bearer);
    }

    /** The calling session by its own token ({@code what} is not done with the admin's); null when the answer (401, 429) is given. */
    private Session own(Context ctx, String what) {
        Caller who = caller(ctx);
        if (who == null) {
            return null;
        }
        if (who.session().isEmpty()) {
            Server.json(ctx, 401, Map.of("error", who.admin() ? what + " needs the session's own token, not the admin's"
                    : who.bearer() != null ? INVALID : "the session's token is required (Authorization: Bearer …)"));
            return null;
        }
        return who.session().get();
    }

    private void registerSession(Context ctx) throws IOException {
        Caller who = caller(ctx);
        if (who == null) {
            return;
        }
        String bearer = who.bearer();
        boolean admin = who.admin();
        Optional<Session> self = who.session();
        if (!admin && self.isEmpty()) {
            if (!sessions.adminConfigured() && bearer == null) {
                Server.json(ctx, 403, Map.of("error", "registration over the API is off: no ASSEMBLY_ADMIN_TOKEN is set;"
                        + " add the session to sessions.json"));
            } else {
                Server.json(ctx, 401, Map.of("error", bearer != null ? INVALID : "an admin token or the session's own token is required"));
            }
            return;
        }
        JsonNode body = body(ctx);
        if (body == null) {
            return;
        }
        try {
            SessionRegistry.Registered reg = sessions.register(body, admin, self.orElse(null));
            Map<String, Object> v = Views.of(reg.session(), board.wip());
            if (reg.token() != null) {
                v.put("token", reg.token()); // shown once; a session updating itself keeps the token it used
            }
            Server.json(ctx, 200, v);
        } catch (SecurityException e) {
            Server.json(ctx, 403, Map.of("error", e.getMessage()));
        } catch (IllegalArgumentException e) {
            Server.json(ctx, 400, Map.of("error", e.getMessage()));
        }
    }

    private void heartbeat(Context ctx) {
        // only the holder's own heartbeat counts as activity: not even the admin keeps a silent session's leases
        Optional<Session> own = Optional.ofNullable(own(ctx, "a heartbeat"));
        if (own.isEmpty()) {
            return;
        }
        if (!own.get().id().equals(ctx.pathParam("id"))) {
            Server.json(ctx, 403, Map.of("error", "a session may only send its own heartbeat"));
            return;
        }
        Session s = own.get();
        int leases = actions.heartbeat(s);
        Server.json(ctx, 200, Map.of("session_id", s.id(), "leases_extended", leases));
    }

    private void deleteSession(Context ctx) {
        String id = ctx.pathParam("id");
        Session s = self(ctx, id);
        if (s == null) {
            return;
        }
        sessions.remove(id);
        Server.json(ctx, 200, Map.of("session_id", id, "removed", true));
    }

    /** The session a call acts for: its own token, or the admin's for any session. Answers 401/403/404 itself. */
    private Session self(Context ctx, String id) {
        Caller who = caller(ctx);
        if (who == null) {
            return null;
        }
        boolean admin = who.admin();
        Optional<Session> byToken = who.session();
        if (!admin && byToken.isEmpty()) {
            Server.json(ctx, 401, Map.of("error", who.bearer() != null ? INVALID : "the session's token is required"));
            return null;
        }
        if (!admin && !byToken.get().id().equals(id)) {
            Server.json(ctx, 403, Map.of("error", "a session may only act for itself"));
            return null;
        }
        Optional<Session> s = admin ? board.session(id) : byToken;
        if (s.isEmpty()) {
            Server.json(ctx, 404, Map.of("error", "no session " + ServiceName.printable(id)));
            return null;
        }
        return s.get();
    }

    private void tickets(Context ctx) {
        Ticket.State state = null;
        String st = ctx.queryParam("state");
        if (st != null && !st.isBlank()) {
            try {
                state = Ticket.State.parse(st);
            } catch (IllegalArgumentException e) {
                Server.json(ctx, 400, Map.of("error", "unknown state " + ServiceName.printable(st)));
                return;
            }
        }
        String service = blank(ctx.queryParam("service"));
        String assignee = blank(ctx.queryParam("assignee"));
        String wait = blank(ctx.queryParam("wait"));
        if (wait != null) {
            waitForOffers(ctx, service, state, assignee, wait);
            return;
        }
        Server.json(ctx, 200, board.tickets(service, state, assignee, 1000).stream().map(Views::of).toList());
    }

    /**
     * A session's long poll for its offers: answers at once when one is there, else when one comes (whatever
     * the line tells the session is a reason to look again), else after {@code wait} seconds with an empty list.
     * Instead of asking every second, a worker asks again as soon as it has an answer.
     */
    private void waitForOffers(Context ctx, String service, Ticket.State state, String assignee, String wait) {
        int seconds;
        try {
            seconds = Integer.parseInt(wait);
        } catch (NumberFormatException e) {
            seconds = -1;
        }
        if (seconds < 0 || seconds > MAX_WAIT_S) {
            Server.json(ctx, 400, Map.of("error", "wait is a number of seconds from 0 to " + MAX_WAIT_S));
            return;
        }
        if (state != Ticket.State.OFFERED || assignee == null || changes == null) {
            Server.json(ctx, 400, Map.of("error", "wait is for a session's own offers: /api/tickets?assignee=<your id>&state=offered&wait=N"));
            return;
        }
        Session s = own(ctx, "waiting for an offer");
        if (s == null) {
            return;
        }
        if (!s.id().equals(assignee)) {
            Server.json(ctx, 403, Map.of("error", "a session may only wait for its own offers"));
            return;
        }
        // one wait per session: a new one (the client gave up on the last, or restarted) answers the older at once
        // and waits in its place, so a session never holds two threads and a client that asks again never spins
        long turn = turns.merge(s.id(), 1L, Long::sum);
        changes.changed(s.id());
        try {
            long end = System.nanoTime() + java.time.Duration.ofSeconds(seconds).toNanos();
            while (true) {
                long seen = changes.version(s.id());
                List<Ticket> found = board.tickets(service, state, assignee, 1000);
                long left = end - System.nanoTime();
                if (!found.isEmpty() || left <= 0 || turns.getOrDefault(s.id(), turn) != turn) {
                    Server.json(ctx, 200, found.stream().map(Views::of).toList());
                    return;
                }
                if (!changes.await(s.id(), seen, java.time.Duration.ofNanos(left))) { // nothing told meanwhile: a last look
                    Server.json(ctx, 200, board.tickets(service, state, assignee, 1000).stream().map(Views::of).toList());
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            Server.json(ctx, 503, Map.of("error", "the coordinator is stopping"));
        } finally {
            turns.remove(s.id(), turn);
        }
    }

    private void ticket(Context ctx) {
        Long id = ticketId(ctx);
        if (id == null) {
            return;
        }
        Optional<Ticket> t = board.ticket(id);
        if (t.isEmpty()) {
            Server.json(ctx, 404, Map.of("error", "no ticket #" + id));
        } else {
            Server.json(ctx, 200, Views.of(t.get()));
        }
    }

    private void action(Context ctx) throws IOException {
        Long id = ticketId(ctx);
        if (id == null) {
            return;
        }
        String action = ctx.pathParam("action");
        if (!List.of("claim", "release", "done", "progress").contains(action)) {
            Server.json(ctx, 404, Map.of("error", "no action " + ServiceName.printable(action) + "; use claim, release, done or progress"));
            return;
        }
        Optional<Session> s = Optional.ofNullable(own(ctx, "a ticket action"));
        if (s.isEmpty()) {
            return;
        }
        TicketDesk.Outcome o;
        switch (action) {
            case "claim" -> o = actions.claim(id, s.get());
            case "release" -> o = actions.release(id, s.get());
            case "done" -> o = actions.done(id, s.get());
            default -> {
                JsonNode body = ctx.req().getContentLengthLong() == 0 ? JSON.createObjectNode() : body(ctx);
                if (body == null) {
                    return;
                }
                JsonNode pct = body.get("percent");
                o = actions.progress(id, s.get(), body.hasNonNull("note") ? body.get("note").asText() : null,
                        pct == null || pct.isNull() ? null : pct.asInt(-1));
            }
        }
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put(o.ok() ? "message" : "error", o.message());
        if (o.ticket() != null) {
            answer.put("ticket", Views.of(o.ticket()));
        }
        Server.json(ctx, o.status(), answer);
        if (o.ok()) {
            changed.run();
        }
    }

    /** An MCP tool's answer over REST: 200 with {@code error}, {@code text} and {@code data}, refusals included. */
    private void agentTool(Context ctx) throws IOException {
        Session s = own(ctx, "an agent's tool call");
        if (s == null) {
            return;
        }
        JsonNode body = ctx.req().getContentLengthLong() == 0 ? JSON.createObjectNode() : body(ctx);
        if (body == null) {
            return;
        }
        if (!body.isObject()) {
            Server.json(ctx, 400, Map.of("error", "the body is the tool's arguments: a JSON object"));
            return;
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> args = JSON.convertValue(body, Map.class);
        dev.assemblyline.mcp.AgentDesk.Reply r = agents.call(s, ctx.pathParam("tool"), args);
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("error", r.error());
        answer.put("text", r.text());
        answer.put("data", r.data());
        Server.json(ctx, 200, answer);
    }

    private void agentResource(Context ctx) {
        Session s = own(ctx, "an agent's resource read");
        if (s == null) {
            return;
        }
        String uri = ctx.queryParam("uri");
        dev.assemblyline.mcp.AgentDesk.Content c = agents.read(s, uri);
        if (c == null) {
            Server.json(ctx, 404, Map.of("error", "no resource " + ServiceName.printable(String.valueOf(uri))));
        } else {
            Server.json(ctx, 200, Map.of("uri", c.uri(), "mimeType", c.mimeType(), "text", c.text()));
        }
    }

    private void why(Context ctx) {
        aboutService(ctx, (s, m) -> {
            m.put("phase", s.phase().name());
            m.put("why", why.of(s));
        });
    }

    private void health(Context ctx) {
        aboutService(ctx, (s, m) -> {
            Board.Health h = board.health(s.service());
            m.put("phase", s.phase().name());
            m.put("uptime_24h", h.uptime24h());
            m.put("uptime_7d", h.uptime7d());
            m.put("recent_checks", h.recentChecks());
        });
    }

    private static Long ticketId(Context ctx) {
        String raw = ctx.pathParam("id").replaceFirst("^#", "");
        if (!raw.matches("\\d{1,18}")) {
            Server.json(ctx, 400, Map.of("error", "a ticket id is a number"));
            return null;
        }
        return Long.parseLong(raw);
    }

    private static JsonNode body(Context ctx) throws IOException {
        byte[] b = Bodies.read(ctx, MAX_BODY);
        if (b == null) {
            return null;
        }
        try {
            JsonNode n = JSON.readTree(b);
            if (n == null || !n.isObject()) {
                throw new IOException("not an object");
            }
            return n;
        } catch (IOException e) {
            Server.json(ctx, 400, Map.of("error", "body must be a JSON object"));
            return null;
        }
    }

    private static String bearer(Context ctx) {
        String h = ctx.header("Authorization");
        return h != null && h.regionMatches(true, 0, "Bearer ", 0, 7) ? h.substring(7).strip() : null;
    }

    private static String blank(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
