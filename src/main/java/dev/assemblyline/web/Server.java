package dev.assemblyline.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.assemblyline.ingest.Webhooks;
import dev.assemblyline.model.LogEntry;
import dev.assemblyline.model.ServiceName;
import dev.assemblyline.model.ServiceState;
import dev.assemblyline.pipeline.Board;
import dev.assemblyline.pipeline.Intake;
import dev.assemblyline.store.Store;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import jakarta.servlet.http.HttpServlet;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP face of the coordinator: webhooks (verified, stored, answered; the work happens after), the
 * read API, the dashboard, health, metrics and the hosted git repository.
 */
public final class Server {
    /** GitHub never sends more; anything bigger is refused before it is read. */
    public static final int MAX_BODY = 25 * 1024 * 1024;
    private static final Logger LOG = LoggerFactory.getLogger(Server.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Webhooks webhooks;
    private final Intake intake;
    private final Board board;
    private final PrometheusMeterRegistry metrics;
    private final HttpServlet gitServlet;
    private HttpServlet mcpServlet;
    private final ApiRoutes api;
    private final SlackRoutes slackRoutes;
    private final DashboardRoutes dashboard;
    private final dev.assemblyline.pipeline.LineHealth health;
    private final int maxConnectionsPerAddress;

    public Server(Webhooks webhooks, Intake intake, Board board,
                  PrometheusMeterRegistry metrics, HttpServlet gitServlet, ApiRoutes api, SlackRoutes slackRoutes,
                  DashboardRoutes dashboard, dev.assemblyline.pipeline.LineHealth health, int maxConnectionsPerAddress) {
        this.dashboard = dashboard;
        this.health = health;
        this.maxConnectionsPerAddress = maxConnectionsPerAddress;
        this.api = api;
        this.slackRoutes = slackRoutes;
        this.webhooks = webhooks;
        this.intake = intake;
        this.board = board;
        this.metrics = metrics;
        this.gitServlet = gitServlet;
        io.micrometer.core.instrument.Gauge.builder("assembly_inbox_depth", board, Board::inboxDepth).strongReference(true)
                .description("pushes stored and not yet processed").register(metrics);
    }

    /** The MCP endpoint, mounted at {@code /mcp} beside the git servlet (docs/agents.md). */
    public Server withMcp(HttpServlet mcp) {
        this.mcpServlet = mcp;
        return this;
    }

    public Javalin create() {
        return Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.http.maxRequestSize = MAX_BODY;
            // slow clients cannot hold threads: a request body (or a response) moving slower than 1 KB/s is
            // cut off, an idle connection closed after 30 s, and one address keeps at most perAddress open
            config.jetty.modifyHttpConfiguration(http -> {
                http.setIdleTimeout(30_000); // long enough for receive-pack's checks of a large push
                http.setMinRequestDataRate(1024);
                http.setMinResponseDataRate(1024);
            });
            if (maxConnectionsPerAddress > 0) {
                config.jetty.modifyServer(server -> server.addBean(new ConnectionCap(server, maxConnectionsPerAddress)));
            }
            // every request's CPU time, by kind, in /metrics (docs/simulate.md)
            config.jetty.modifyServletContextHandler(h -> h.addFilter(new org.eclipse.jetty.ee10.servlet.FilterHolder(new RequestCpu(metrics)), "/*",
                    java.util.EnumSet.of(jakarta.servlet.DispatcherType.REQUEST)));
            if (gitServlet != null) {
                config.jetty.modifyServletContextHandler(h -> h.addServlet(new ServletHolder(gitServlet), "/git/*"));
            }
            if (mcpServlet != null) {
                HttpServlet mcp = mcpServlet;
                config.jetty.modifyServletContextHandler(h -> {
                    ServletHolder holder = new ServletHolder(mcp);
                    holder.setAsyncSupported(true); // the transport answers with server-sent events
                    h.addServlet(holder, "/mcp");
                });
            }
            dashboard.register(config.routes);
            config.routes.post("/webhooks/{provider}", this::webhook);
            config.routes.get("/api/services", this::services);
            config.routes.get("/api/services/{name}", this::service);
            api.register(config.routes);
            slackRoutes.register(config.routes);
            config.routes.get("/api/events", this::events);
            config.routes.get("/health", this::health);
            config.routes.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4").result(metrics.scrape()));
            config.routes.exception(dev.assemblyline.store.StoreException.class, (e, ctx) -> {
                // the database (or the disk under it) failed: nothing was acknowledged; try again when /health says ok
                // (a store can fail after its commit, so "may": a retried claim answers "already yours")
                LOG.warn("{} {}: {}", ctx.method(), ctx.path(), e.getMessage());
                ctx.header("Retry-After", "10");
                json(ctx, 503, Map.of("error", "the database is not available: the request may not have been stored; try again"));
            });
            config.routes.exception(Exception.class, (e, ctx) -> {
                LOG.error("{} {} failed", ctx.method(), ctx.path(), e);
                json(ctx, 500, Map.of("error", "internal error: " + e.getClass().getSimpleName()));
            });
        });
    }

    /** Accepts an event from inside the server (the hosted repository's receive hook). */
    private void webhook(Context ctx) throws IOException {
        String provider = ctx.pathParam("provider");
        if (!List.of("github", "gitlab", "gitea", "git").contains(provider)) {
            json(ctx, 404, Map.of("error", "no webhook endpoint " + ServiceName.printable(provider)));
            return;
        }
        if (!webhooks.secrets().enabled(provider)) {
            intake.count(provider, "disabled");
            json(ctx, 404, Map.of("error", "the " + provider + " webhook is off: its secret is not set"));
            return;
        }
        byte[] body = Bodies.read(ctx, MAX_BODY);
        if (body == null) {
            intake.count(provider, "too_large");
            return;
        }
        Webhooks.Outcome o = webhooks.handle(provider, ctx::header, body);
        if (!o.verdicts().isEmpty()) {
            intake.acceptVerdicts(provider, o.verdicts(), java.time.Instant.now());
            json(ctx, 202, o.body());
            return;
        }
        if (o.event() == null) {
            intake.count(provider, switch (o.status()) {
                case 401 -> "unauthorized";
                case 400 -> "malformed";
                case 404 -> "disabled";
                case 409 -> "hosted_mode";
                case 200 -> "ping";
                default -> "ignored";
            });
            json(ctx, o.status(), o.body());
            return;
        }
        Store.Accepted a = intake.accept(provider, o.event());
        if (a.duplicate()) {
            json(ctx, 200, Map.of("duplicate", true));
            return;
        }
        json(ctx, 202, Map.of("accepted", true, "id", a.id()));
    }

    private void services(Context ctx) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (ServiceState s : board.services().values().stream().sorted((a, b) -> a.service().compareTo(b.service())).toList()) {
            out.add(Views.of(s));
        }
        json(ctx, 200, out);
    }

    private void service(Context ctx) {
        String name = ctx.pathParam("name");
        if (!ServiceName.isValid(name)) {
            json(ctx, 400, Map.of("error", "not a service name: " + ServiceName.printable(name)));
            return;
        }
        ServiceState s = board.service(name).orElse(null);
        if (s == null) {
            json(ctx, 404, Map.of("error", "no service " + name));
            return;
        }
        Map<String, Object> v = Views.of(s);
        v.put("events", board.latestEvents(name, 500).stream().map(Views::of).toList());
        json(ctx, 200, v);
    }

    private void events(Context ctx) {
        String since = ctx.queryParam("since");
        List<LogEntry> entries;
        if (since == null || since.isBlank()) {
            entries = board.latestEvents(null, 1000);
        } else if (since.matches("\\d{1,18}")) {
            entries = board.events(Long.parseLong(since), null, 1000);
        } else {
            try {
                entries = board.eventsSince(Instant.parse(since), 1000);
            } catch (DateTimeParseException e) {
                json(ctx, 400, Map.of("error", "since must be an event id or an ISO-8601 time"));
                return;
            }
        }
        json(ctx, 200, entries.stream().map(Views::of).toList());
    }

    private void health(Context ctx) {
        dev.assemblyline.pipeline.LineHealth.Report r = health.check();
        json(ctx, r.ok() ? 200 : 503, r.body());
    }

    static void json(Context ctx, int status, Object body) {
        try {
            ctx.status(status).contentType("application/json").result(JSON.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
