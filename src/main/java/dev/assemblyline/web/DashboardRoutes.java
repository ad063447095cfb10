package dev.assemblyline.web;

import dev.assemblyline.model.LogEntry;
import dev.assemblyline.model.ServiceName;
import dev.assemblyline.model.Ticket;
import dev.assemblyline.pipeline.Board;
import dev.assemblyline.pipeline.Dashboard;
import dev.assemblyline.pipeline.FlowMetrics;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import io.javalin.http.sse.SseHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.commonmark.parser.Parser;
import org.commonmark.renderer.html.HtmlRenderer;

/**
 * The dashboard: three pages (the pipeline, a service, the sessions) that are one HTML shell and one
 * script served from the jar, the JSON they read, the live stream, and signing in. Nothing is loaded from
 * elsewhere (a strict Content-Security-Policy says so to the browser), and text from repositories and
 * people reaches the page as JSON placed with {@code textContent}; the one HTML the server makes is a
 * SPEC.md rendered by commonmark with raw HTML escaped and unsafe links dropped. See docs/dashboard.md.
 */
public final class DashboardRoutes {
    private static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
            + " connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
    private static final int PER_COLUMN = 25;
    private static final int MAX_SPEC = 256 * 1024;

    /** A file of the page, read once from the jar, with its ETag. */
    private record Asset(byte[] body, String type, String etag) {
    }

    private final Dashboard dashboard;
    private final FlowMetrics flow;
    private final Board board;
    private final LiveFeed feed;
    private final DashboardAuth auth;
    private final AuthGuard guard;
    private final Map<String, Asset> assets = new LinkedHashMap<>();
    private final Parser markdown = Parser.builder().build();
    private final HtmlRenderer html = HtmlRenderer.builder().escapeHtml(true).sanitizeUrls(true).build();

    public DashboardRoutes(Dashboard dashboard, FlowMetrics flow, Board board, LiveFeed feed, DashboardAuth auth, AuthGuard guard) {
        this.dashboard = dashboard;
        this.flow = flow;
        this.board = board;
        this.feed = feed;
        this.auth = auth;
        this.guard = guard;
        for (String[] a : List.of(new String[] {"index.html", "text/html; charset=utf-8"}, new String[] {"signin.html", "text/html; charset=utf-8"},
                new String[] {"app.js", "text/javascript; charset=utf-8"}, new String[] {"app.css", "text/css; charset=utf-8"})) {
            assets.put(a[0], load(a[0], a[1]));
        }
    }

    private static Asset load(String name, String type) {
        try (InputStream in = DashboardRoutes.class.getResourceAsStream("/dashboard/" + name)) {
            if (in == null) {
                throw new IllegalStateException("the jar has no /dashboard/" + name);
            }
            byte[] body = in.readAllBytes();
            String etag = "\"" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body), 0, 8) + "\"";
            return new Asset(body, type, etag);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    void register(RoutesConfig r) {
        // reads need a sign-in when ASSEMBLY_DASHBOARD_TOKEN is set (writes check their own tokens)
        r.before("/api/*", ctx -> {
            if (!("GET".equals(ctx.method().name()) || "HEAD".equals(ctx.method().name())) || !auth.required()) {
                return;
            }
            if (guard.blocked(ctx.ip())) {
                ctx.header("Retry-After", "60");
                Server.json(ctx, 429, Map.of("error", "too many failed token checks from this address; wait a minute"));
                ctx.skipRemainingHandlers();
                return;
            }
            if (!allowed(ctx)) {
                if (ctx.header("Authorization") != null) {
                    guard.failed(ctx.ip(), "dashboard"); // a wrong bearer token counts like any other failed check
                }
                Server.json(ctx, 401, Map.of("error", "sign in first: this dashboard needs ASSEMBLY_DASHBOARD_TOKEN, an admin token"
                        + " or a session's token (Authorization: Bearer …, or the sign-in page)"));
                ctx.skipRemainingHandlers();
            }
        });
        r.get("/", this::page);
        r.get("/sessions", this::page);
        r.get("/services/{name}", this::page);
        r.get("/signin", ctx -> asset(ctx, "signin.html"));
        r.post("/signin", this::signIn);
        r.post("/signout", ctx -> {
            auth.signOut(ctx);
            ctx.redirect("/", HttpStatus.SEE_OTHER);
        });
        r.get("/assets/app.js", ctx -> asset(ctx, "app.js"));
        r.get("/assets/app.css", ctx -> asset(ctx, "app.css"));
        r.get("/api/board", this::board);
        r.get("/api/metrics/flow", ctx -> Server.json(ctx, 200, flowView(flow.snapshot())));
        r.get("/api/dashboard/me", this::me);
        r.get("/api/dashboard/services/{name}", this::service);
        r.get("/api/dashboard/sessions", ctx -> Server.json(ctx, 200, dashboard.sessions().stream().map(DashboardRoutes::sessionView).toList()));
        r.get("/api/dashboard/messages", this::messages);
        r.get("/api/stream", new SseHandler(client -> {
            client.keepAlive();
            feed.join(client, after(client.ctx()));
        }));
    }

    private boolean allowed(Context ctx) {
        return !auth.required() || auth.viewer(ctx).signedIn();
    }

    private void page(Context ctx) {
        if (!allowed(ctx)) {
            ctx.redirect("/signin?next=" + URLEncoder.encode(ctx.path(), StandardCharsets.UTF_8), HttpStatus.SEE_OTHER);
            return;
        }
        asset(ctx, "index.html");
    }

    private void asset(Context ctx, String name) {
        Asset a = assets.get(name);
        ctx.header("Content-Security-Policy", CSP);
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.header("Referrer-Policy", "same-origin");
        ctx.header("Cache-Control", "no-cache");
        ctx.header("ETag", a.etag());
        if (a.etag().equals(ctx.header("If-None-Match"))) {
            ctx.status(304);
            return;
        }
        ctx.contentType(a.type()).result(a.body());
    }

    private void signIn(Context ctx) {
        String next = ctx.formParam("next");
        if (next == null || !next.matches("/(?![/\\\\])[A-Za-z0-9/_.~?=&%+-]*")) {
            next = "/"; // only a path on this server: never an open redirect
        }
        if (guard.blocked(ctx.ip())) {
            ctx.header("Retry-After", "60");
            ctx.redirect("/signin?error=blocked&next=" + URLEncoder.encode(next, StandardCharsets.UTF_8), HttpStatus.SEE_OTHER);
            return;
        }
        var viewer = auth.byToken(ctx.formParam("token"));
        if (viewer.isEmpty()) {
            guard.failed(ctx.ip(), "dashboard");
            ctx.redirect("/signin?error=token&next=" + URLEncoder.encode(next, StandardCharsets.UTF_8), HttpStatus.SEE_OTHER);
            return;
        }
        auth.signIn(ctx, viewer.get());
        ctx.redirect(next, HttpStatus.SEE_OTHER);
    }

    private void me(Context ctx) {
        DashboardAuth.Viewer v = auth.viewer(ctx);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("signed_in", v.signedIn());
        m.put("as", v.kind());
        m.put("session", v.session() == null ? null : v.session().id());
        m.put("session_name", v.session() == null ? null : v.session().name());
        m.put("sign_in_required", auth.required());
        m.put("live_clients", feed.clients());
        Server.json(ctx, 200, m);
    }

    private static long after(Context ctx) {
        String id = ctx.header("Last-Event-ID");
        if (id == null || id.isBlank()) {
            id = ctx.queryParam("after");
        }
        try {
            return id == null ? -1 : Long.parseLong(id.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private void board(Context ctx) {
        Dashboard.Column only = null;
        String column = ctx.queryParam("column");
        if (column != null && !column.isBlank()) {
            try {
                only = Dashboard.Column.valueOf(column.toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                Server.json(ctx, 400, Map.of("error", "column is one of SPECS, BUILD, TEST, PRODUCTION"));
                return;
            }
        }
        int offset = intParam(ctx, "offset", 0, 0, Integer.MAX_VALUE);
        int limit = intParam(ctx, "limit", PER_COLUMN, 1, 500);
        Dashboard.View v = dashboard.board(new Dashboard.Filter(ctx.queryParam("phase"), ctx.queryParam("holder"), ctx.queryParam("name")),
                limit, only, offset);
        Map<String, Object> m = new LinkedHashMap<>();
        List<Map<String, Object>> cols = new ArrayList<>();
        for (Dashboard.ColumnView c : v.columns()) {
            Map<String, Object> col = new LinkedHashMap<>();
            col.put("column", c.column().name());
            Map<String, Integer> counts = new LinkedHashMap<>();
            c.counts().forEach((p, n) -> counts.put(p.name(), n));
            col.put("counts", counts);
            col.put("matching", c.matching());
            col.put("offset", c.offset());
            col.put("cards", c.cards().stream().map(Views::of).toList());
            cols.add(col);
        }
        m.put("columns", cols);
        m.put("stuck", v.stuck());
        m.put("holders", v.holders());
        m.put("last_event_id", v.lastEventId());
        m.put("at", v.at().toString());
        Server.json(ctx, 200, m);
    }

    private static int intParam(Context ctx, String name, int dflt, int min, int max) {
        String s = ctx.queryParam(name);
        if (s == null || !s.matches("\\d{1,9}")) {
            return dflt;
        }
        return Math.max(min, Math.min(max, Integer.parseInt(s)));
    }

    private void service(Context ctx) {
        String name = ctx.pathParam("name");
        if (!ServiceName.isValid(name)) {
            Server.json(ctx, 400, Map.of("error", "not a service name: " + ServiceName.printable(name)));
            return;
        }
        var page = dashboard.service(name);
        if (page.isEmpty()) {
            Server.json(ctx, 404, Map.of("error", "no service " + name));
            return;
        }
        Dashboard.ServicePage p = page.get();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("state", Views.of(p.state()));
        m.put("card", p.card() == null ? null : Views.of(p.card()));
        m.put("events", p.events().stream().map(Views::of).toList());
        m.put("timeline", timeline(p.events()));
        m.put("tickets", p.tickets().stream().map(DashboardRoutes::ticketView).toList());
        m.put("runs", p.runs());
        m.put("deploys", p.deploys().stream().map(d -> {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("tree", d.tree());
            x.put("ok", d.ok());
            x.put("by", d.byWhat());
            x.put("at", d.at().toString());
            return x;
        }).toList());
        m.put("checks", p.checks().stream().map(c -> {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("ok", c.ok());
            x.put("detail", c.detail());
            x.put("at", c.at().toString());
            return x;
        }).toList());
        m.put("uptime_24h", p.health().uptime24h());
        m.put("uptime_7d", p.health().uptime7d());
        m.put("spec_html", p.spec() == null ? null : html.render(markdown.parse(p.spec().length() > MAX_SPEC ? p.spec().substring(0, MAX_SPEC) : p.spec())));
        Server.json(ctx, 200, m);
    }

    /** The phase changes of a service, oldest first, each with how long it stayed (null for the current one). */
    private static List<Map<String, Object>> timeline(List<LogEntry> events) {
        List<LogEntry> phases = events.stream().filter(e -> "phase".equals(e.kind())).toList();
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < phases.size(); i++) {
            LogEntry e = phases.get(i);
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("at", e.at().toString());
            x.put("message", e.message());
            x.put("seconds", i + 1 < phases.size() ? java.time.Duration.between(e.at(), phases.get(i + 1).at()).toSeconds() : null);
            out.add(x);
        }
        return out;
    }

    static Map<String, Object> ticketView(Ticket t) {
        Map<String, Object> m = Views.of(t);
        m.put("claimed_at", t.claimedAt() == null ? null : t.claimedAt().toString());
        Long secs = t.claimedAt() == null ? null
                : java.time.Duration.between(t.claimedAt(), t.closedAt() != null ? t.closedAt() : java.time.Instant.now()).toSeconds();
        m.put("held_seconds", secs);
        return m;
    }

    private static Map<String, Object> sessionView(Dashboard.SessionRow r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("session_id", r.session().id());
        m.put("name", r.session().name());
        m.put("capabilities", r.session().capabilities());
        m.put("status", r.session().status());
        m.put("wip_limit", r.session().wipLimit());
        m.put("holds", r.holds().stream().map(t -> Map.of("id", t.id(), "service", t.service(), "kind", t.kind().label(),
                "state", t.state().label())).toList());
        m.put("heartbeat_age_s", r.heartbeatAgeSeconds());
        m.put("done_7d", r.doneLast7Days());
        m.put("done_per_week", r.donePerWeek());
        m.put("median_s_by_kind", r.medianSecondsByKind());
        return m;
    }

    /** What the line said, newest first: the event log, which the console and Slack messages are made from. */
    private void messages(Context ctx) {
        String before = ctx.queryParam("before");
        int limit = intParam(ctx, "limit", 50, 1, 500);
        List<Map<String, Object>> v;
        if (before != null && before.matches("\\d{1,18}")) {
            v = board.eventsBefore(Long.parseLong(before), limit).stream().map(Views::of).toList();
        } else {
            v = new ArrayList<>(board.latestEvents(null, limit).stream().map(Views::of).toList());
            java.util.Collections.reverse(v);
        }
        Server.json(ctx, 200, v);
    }

    static Map<String, Object> flowView(FlowMetrics.Snapshot s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("at", s.at().toString());
        m.put("cycle_time_median_s", s.cycleMedianS());
        m.put("cycle_time_p90_s", s.cycleP90S());
        m.put("cycles_30d", s.cycles());
        m.put("assignments_today", s.assignmentsToday());
        m.put("deploys_this_week", s.deploysThisWeek());
        m.put("work_in_progress", s.workInProgress());
        m.put("waiting_for_a_session", s.waiting());
        m.put("change_failure_rate", s.changeFailureRate());
        m.put("deploys_30d", s.deploys30d());
        m.put("time_to_restore_median_s", s.restoreMedianS());
        m.put("restores_30d", s.restores());
        m.put("throughput_14d", s.throughput());
        m.put("cumulative_flow_14d", s.flow());
        return m;
    }
}
