package dev.assemblyline.app;

import dev.assemblyline.git.HostedRepo;
import dev.assemblyline.git.Mirror;
import dev.assemblyline.git.RepoSource;
import dev.assemblyline.ingest.Webhooks;
import dev.assemblyline.phase.PhaseDetector;
import dev.assemblyline.phase.SpecRules;
import dev.assemblyline.pipeline.ConsoleNotifier;
import dev.assemblyline.pipeline.Notifiers;
import dev.assemblyline.slack.Messages;
import dev.assemblyline.slack.OutboxWorker;
import dev.assemblyline.slack.SlackCommands;
import dev.assemblyline.slack.SlackGateway;
import dev.assemblyline.slack.SlackNotifier;
import dev.assemblyline.slack.SocketModeLink;
import dev.assemblyline.store.OutboxStore;
import dev.assemblyline.web.SlackRoutes;
import java.time.Duration;
import dev.assemblyline.pipeline.Notifier;
import dev.assemblyline.pipeline.ReconcileLoop;
import dev.assemblyline.pipeline.Board;
import dev.assemblyline.pipeline.Intake;
import dev.assemblyline.pipeline.SessionRegistry;
import dev.assemblyline.pipeline.Operations;
import dev.assemblyline.pipeline.TestScheduler;
import dev.assemblyline.store.OpsStore;
import dev.assemblyline.store.ResultStore;
import dev.assemblyline.pipeline.TicketActions;
import dev.assemblyline.pipeline.TicketDesk;
import dev.assemblyline.pipeline.Wakeup;
import dev.assemblyline.store.SessionStore;
import dev.assemblyline.store.TicketStore;
import dev.assemblyline.web.ApiRoutes;
import dev.assemblyline.web.AuthGuard;
import dev.assemblyline.web.GitGate;
import dev.assemblyline.pipeline.Reconciler;
import dev.assemblyline.store.Database;
import dev.assemblyline.store.Store;
import dev.assemblyline.web.Server;
import io.javalin.Javalin;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import jakarta.servlet.http.HttpServlet;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Builds the running coordinator from a {@link Config}, in one place, and takes it down again. */
public final class Wiring implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Wiring.class);

    public final Config config;
    public final Database database;
    public final Store store;
    public final RepoSource source;
    public final Reconciler reconciler;
    public final TicketDesk desk;
    public final SessionRegistry sessions;
    public final TestScheduler tests;
    public final Operations operations;
    public final dev.assemblyline.verify.Sandbox sandbox;
    public final OutboxStore outbox;
    public final OutboxWorker outboxWorker;
    public final SlackGateway slack;
    public final SocketModeLink socketMode;
    public final ReconcileLoop loop;
    public final Server server;
    /** What the line looks like, as the API, Slack and the dashboard read it. */
    public final Board board;
    /** The dashboard's read model, its flow figures and its live stream. */
    public final dev.assemblyline.pipeline.Dashboard dashboard;
    public final dev.assemblyline.pipeline.FlowMetrics flow;
    public final dev.assemblyline.web.LiveFeed liveFeed;
    /** What wakes a session's long poll for offers, and how many wait now. */
    public final dev.assemblyline.pipeline.ChangeSignal offerWaits;
    public final Javalin app;
    private final Wakeup wakeup;
    /** Sends commit statuses to the forges; null when no forge token is set. */
    public final dev.assemblyline.forge.StatusWorker forgeStatuses;
    private final DataDirLock dataLock;
    private final dev.assemblyline.store.StoreMetrics storeMetrics;
    private final io.micrometer.core.instrument.binder.jvm.JvmGcMetrics gcMetrics;
    private final dev.assemblyline.mcp.OfferNotices mcpNotices;
    /** The status board written back to the repository; null when off. */
    public final dev.assemblyline.writeback.WriteBack writeBack;
    private final io.modelcontextprotocol.server.McpSyncServer mcp;
    /** Which replica leads, with PostgreSQL and a followed repository (docs/SCALING.md); null for one process. */
    public final dev.assemblyline.pipeline.Leadership leadership;
    private final dev.assemblyline.pipeline.ReplicaView replicaView;
    /** The hosted repository on PostgreSQL holds the database's lock for good: one process only. */
    private final java.sql.Connection exclusive;

    /**
     * @param startLoop false leaves accepted events in the inbox, unprocessed (a server that "crashes"
     *                  between accepting and processing, for the restart test)
     */
    public Wiring(Config config, Clock clock, boolean startLoop) {
        this(config, clock, startLoop, null);
    }

    /** @param extra a notifier to tell as well as the console (and Slack when configured); tests pass a recorder */
    public Wiring(Config config, Clock baseClock, boolean startLoop, Notifier extra) {
        // instants are made at the precision the databases keep (microseconds), so an answer about the same
        // state is the same before and after a restart, on H2 and on PostgreSQL
        Clock clock = dev.assemblyline.model.MicrosClock.of(baseClock);
        this.config = config;
        this.dataLock = DataDirLock.acquire(config.dataDir(), config.port());
        String replica = config.replicas() ? config.replicaId() : null;
        this.database = Database.open(config.effectiveDbUrl(), config.dbUser(), config.dbPassword(), replica);
        this.store = new Store(database.jdbc());
        store.epoch(database.fence()::epoch);
        // the hosted repository lives in this process's data folder: a second process on the same database would
        // decide from another repository. Refused at start, saying so (docs/SCALING.md)
        this.exclusive = database.isPostgres() && !config.followMode() ? exclusiveOrClose(database) : null;
        this.source = config.followMode()
                ? Mirror.open(config.dataDir().resolve("repos/mirror.git"), config.repoUrl(), config.gitToken(), config.branch())
                : HostedRepo.open(config.dataDir().resolve("repos/" + HostedRepo.NAME), config.branch() == null ? "main" : config.branch());
        PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics().bindTo(metrics);
        this.gcMetrics = new io.micrometer.core.instrument.binder.jvm.JvmGcMetrics();
        gcMetrics.bindTo(metrics);
        new io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics().bindTo(metrics);
        new io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics().bindTo(metrics);
        new io.micrometer.core.instrument.binder.system.ProcessorMetrics().bindTo(metrics);
        new io.micrometer.core.instrument.binder.system.UptimeMetrics().bindTo(metrics);
        new io.micrometer.core.instrument.binder.system.FileDescriptorMetrics().bindTo(metrics);
        // kept: Micrometer holds a counter's object weakly, and a collected one reads NaN
        this.storeMetrics = new dev.assemblyline.store.StoreMetrics(database.jdbc(), clock, metrics);
        TicketStore ticketStore = new TicketStore(database.jdbc());
        SessionStore sessionStore = new SessionStore(database.jdbc());
        ResultStore results = new ResultStore(database.jdbc());
        OpsStore opsStore = new OpsStore(database.jdbc());
        this.outbox = new OutboxStore(database.jdbc());
        List<Notifier> notifiers = new ArrayList<>(List.of(new ConsoleNotifier()));
        if (extra != null) {
            notifiers.add(extra);
        }
        String base = config.publicUrl() != null ? config.publicUrl().replaceAll("/+$", "") : "http://localhost:" + config.port();
        if (config.slackBotToken() != null) {
            this.outboxWorker = new OutboxWorker(outbox, config.slackBotToken(), config.slackApiUrl(), clock, config.slackChannelInterval());
            outbox.onQueued(outboxWorker::signal); // a message queued anywhere wakes the sender: alone,
            store.onQueued(outboxWorker::signal); // or with the change it announces
            notifiers.add(new SlackNotifier(outbox, sessionStore, Messages.bundled(), config.slackChannel(), base + "/services/{service}",
                    clock));
        } else {
            this.outboxWorker = null;
        }
        this.mcpNotices = new dev.assemblyline.mcp.OfferNotices();
        notifiers.add(mcpNotices);
        this.offerWaits = new dev.assemblyline.pipeline.ChangeSignal(); // wakes a session's long poll for offers
        notifiers.add(offerWaits);
        Notifier notifier = Notifiers.of(notifiers);
        Wakeup wakeup = new Wakeup(); // how everything below tells the loop that something changed
        this.wakeup = wakeup;
        this.sandbox = config.sandbox();
        Reconciler[] built = new Reconciler[1]; // made next; deploys only run once the loop does
        this.operations = new Operations(source.repo(), () -> built[0].trees().layout(), opsStore, store, clock, config.healthInterval(),
                config.environment(), wakeup::recheck, sandbox, config.healthHosts(),
                (service, identity) -> built[0].gitTree(service, identity));
        this.reconciler = new Reconciler(store, source, config.servicesRoot(), new PhaseDetector(SpecRules.bundled()), clock, metrics,
                notifier, config.slackDigest(), new dev.assemblyline.pipeline.FactSources(ticketStore::buildClaims, results::latest,
                () -> opsStore.health(clock.instant()), operations::deployedTrees));
        built[0] = reconciler;
        this.tests = new TestScheduler(reconciler.trees(), results, config.testParallelism(), clock, wakeup::recheck, sandbox,
                e -> store.log(List.of(e), e.at()));
        this.desk = new TicketDesk(ticketStore, sessionStore, store, notifier, clock,
                new TicketDesk.Timing(config.lease(), config.ticketDeadline(), config.offerTimeout(), config.autoclaim()), wakeup,
                new TicketDesk.Links(name -> {
                    var s = reconciler.states().get(name);
                    return s == null ? null : s.phase();
                }, name -> tests.runningProgress().get(name), (service, tree) -> operations.deployByCommand(reconciler.config(), service, tree)));
        TicketActions actions = new TicketActions(desk);
        dev.assemblyline.pipeline.Why why = new dev.assemblyline.pipeline.Why(desk);
        String adminToken = config.effectiveAdminToken();
        this.sessions = new SessionRegistry(sessionStore, actions, config.sessionsFile(), config.dataDir().resolve("tokens"),
                adminToken, clock, wakeup::changed);
        // ASSEMBLY_TEST_PARALLELISM=0: the coordinator runs no tests (an outside CI, or a benchmark)
        this.loop = new ReconcileLoop(reconciler, desk, sessions, config.testParallelism() > 0 ? tests : null, operations, wakeup,
                config.resyncEvery());
        sessions.reloadIfChanged(); // sessions are there before the first request, not a tick later
        if (replica != null) {
            this.replicaView = new dev.assemblyline.pipeline.ReplicaView(reconciler, store, source.trackedBranch());
            this.leadership = new dev.assemblyline.pipeline.Leadership(database, replica, config.leaderLease(), new LeaderRole(), wakeup::heard);
            wakeup.relay(news -> {
                if (!leadership.leads()) { // news for the leader's loop: NOTIFY reaches it wherever it runs
                    try {
                        database.jdbc().first("telling the leader", "SELECT pg_notify(?, ?)", rs -> 1,
                                dev.assemblyline.pipeline.Leadership.CHANNEL, news);
                    } catch (RuntimeException e) {
                        LOG.debug("could not tell the leader ({}); it looks each second anyway", e.getMessage());
                    }
                }
            });
            io.micrometer.core.instrument.Gauge.builder("assembly_leader", leadership, l -> l.leads() ? 1 : 0)
                    .description("1 on the replica that leads (runs the loop, the outbox, tests and health checks), 0 on the others")
                    .tag("replica", replica).register(metrics);
            io.micrometer.core.instrument.Gauge.builder("assembly_leader_epoch", leadership, l -> l.lease().epoch())
                    .description("the fencing number of the leader, as this replica last read it").register(metrics);
        } else {
            this.replicaView = null;
            this.leadership = null;
        }
        Webhooks webhooks = new Webhooks(new Webhooks.Secrets(config.githubSecret(), config.gitlabSecret(), config.giteaSecret(),
                config.hookSecret(), config.insecureWebhooks()), source::trackedBranch, clock, config.followMode());
        // commit statuses back to the forge (docs/ci.md): drafted with each change, sent from the outbox by the leader
        List<dev.assemblyline.forge.Forge> forges = config.forges();
        this.forgeStatuses = forges.isEmpty() ? null : new dev.assemblyline.forge.StatusWorker(outbox, forges, clock);
        if (!forges.isEmpty()) {
            reconciler.reportTo(new dev.assemblyline.forge.ForgeStatuses(forges, base + "/services/{service}"));
        }
        dev.assemblyline.store.CiStore ciStore = new dev.assemblyline.store.CiStore(database.jdbc());
        loop.withCi(new dev.assemblyline.pipeline.CiVerdicts(ciStore, results, reconciler.trees(), clock, wakeup::recheck));
        Intake intake = new Intake(store, wakeup::inbox, metrics).withVerdicts(ciStore, wakeup::changed);
        this.board = new Board(store, ticketStore, sessionStore, results, opsStore, reconciler::states, clock);
        AuthGuard guard = new AuthGuard(clock, metrics);
        HttpServlet git = source instanceof HostedRepo hosted
                ? new GitGate(hosted.servlet(e -> intake.acceptPush(e, loop.running() ? java.time.Duration.ofSeconds(10) : java.time.Duration.ZERO), clock), sessions, guard, config.publicRead()) : null;
        SlackGateway gateway = config.slackSigningSecret() == null && config.slackAppToken() == null ? null
                : new SlackGateway(config.slackSigningSecret(), new SlackCommands(board, actions, why, sessions, Messages.bundled(), wakeup::changed,
                config.slackJoinCapabilities(), config.publicUrl()), intake, outbox, Messages.bundled(), clock);
        this.slack = gateway;
        this.socketMode = config.slackAppToken() == null ? null : new SocketModeLink(gateway, config.slackAppToken(), config.slackApiUrl());
        this.dashboard = new dev.assemblyline.pipeline.Dashboard(board, why, store, ticketStore, results, opsStore, name -> tests.runningProgress().get(name),
                name -> reconciler.trees().specAt(reconciler.head(), name, 256 * 1024),
                config.lease().dividedBy(2), config.ticketDeadline(), clock);
        this.flow = new dev.assemblyline.pipeline.FlowMetrics(store, ticketStore, reconciler::states, clock, metrics);
        this.liveFeed = new dev.assemblyline.web.LiveFeed(board, dashboard, tests::runningProgress);
        // the status board in the repository (docs/status-board.md): woken by every change the event log records
        this.writeBack = !config.writeBack() ? null : new dev.assemblyline.writeback.WriteBack(source, reconciler.trees()::root,
                reconciler::settledHead, reconciler::states, // a large change is written once wholly looked at, not slice by slice
                ticketStore::openTickets, new dev.assemblyline.writeback.WriteBack.Details() {
                    @Override
                    public java.util.Map<String, dev.assemblyline.writeback.Registry.Tests> tests() {
                        java.util.Map<String, dev.assemblyline.writeback.Registry.Tests> out = new java.util.HashMap<>();
                        results.latestCounts().forEach((s, c) -> out.put(s, new dev.assemblyline.writeback.Registry.Tests(c.tree(), c.passed(), c.tests(),
                                c.failed(), c.errors(), c.skipped())));
                        return out;
                    }

                    @Override
                    public java.util.Map<String, dev.assemblyline.writeback.Registry.Deploy> deploys() {
                        java.util.Map<String, dev.assemblyline.writeback.Registry.Deploy> out = new java.util.HashMap<>();
                        opsStore.latestDeployments().forEach((s, d) -> out.put(s, new dev.assemblyline.writeback.Registry.Deploy(d.tree(), d.ok(),
                                String.valueOf(d.byWhat()), d.at().toString())));
                        return out;
                    }

                    @Override
                    public java.util.Map<String, String> health() {
                        java.util.Map<String, String> out = new java.util.HashMap<>();
                        opsStore.health(clock.instant()).forEach((s, h) -> out.put(s, h.name()));
                        return out;
                    }
                }, intake::accept, e -> store.log(List.of(e), e.at()), clock,
                new dev.assemblyline.writeback.WriteBack.Settings(config.bot(), Duration.ofSeconds(1), config.writeBackQuiet(), Duration.ofSeconds(30)));
        var wb = writeBack;
        if (leadership != null) {
            if (outboxWorker != null) {
                outboxWorker.onlyWhile(leadership::sure);
            }
            if (forgeStatuses != null) {
                forgeStatuses.onlyWhile(leadership::sure);
            }
            if (writeBack != null) {
                writeBack.onlyWhile(leadership::sure);
            }
            loop.onlyActWhile(leadership::sure);
        }
        store.onLogged(() -> {
            liveFeed.signal();
            if (wb != null) {
                wb.signal();
            }
        });
        dev.assemblyline.web.DashboardAuth dashAuth = new dev.assemblyline.web.DashboardAuth(config.dashboardToken(), adminToken, sessions,
                board::session, clock, base.startsWith("https:"));
        // MCP (docs/agents.md): the same tools in the process at /mcp and over REST for the stdio bridge
        // the hosted repository's address needs the port the server got (PORT=0 picks one at start)
        java.util.function.Supplier<String> gitUrl = () -> source instanceof HostedRepo
                ? (config.publicUrl() != null ? base : "http://localhost:" + port()) + "/git/" + HostedRepo.NAME
                : config.repoUrl() == null ? "(the repository)" : config.repoUrl().replaceFirst("://[^@/]*@", "://");
        dev.assemblyline.mcp.AgentDesk agentDesk = new dev.assemblyline.mcp.AgentDesk(board, actions, why, SpecRules.bundled(),
                name -> reconciler.trees().specAt(reconciler.head(), name, 256 * 1024), gitUrl,
                reconciler.trees()::layout, source.trackedBranch(), source instanceof HostedRepo, wakeup::changed);
        var mcpTransport = io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider.builder()
                .jsonMapper(dev.assemblyline.mcp.AssemblyMcp.JSON).mcpEndpoint("/mcp")
                .contextExtractor(req -> io.modelcontextprotocol.common.McpTransportContext.create(
                        java.util.Map.of(dev.assemblyline.mcp.McpGate.SESSION, req.getAttribute(dev.assemblyline.mcp.McpGate.SESSION))))
                .build();
        this.mcp = dev.assemblyline.mcp.AssemblyMcp.server(mcpNotices.tap(mcpTransport), exchange -> {
            var s = (dev.assemblyline.model.Session) exchange.transportContext().get(dev.assemblyline.mcp.McpGate.SESSION);
            mcpNotices.seen(s.id(), exchange.sessionId());
            return agentDesk.as(s);
        }, Main.VERSION);
        this.server = new Server(webhooks, intake, board, metrics, git,
                new ApiRoutes(actions, why, sessions, board, wakeup::changed, guard, dashAuth::actingSession).withAgents(agentDesk).withChanges(offerWaits),
                new SlackRoutes(slack),
                new dev.assemblyline.web.DashboardRoutes(dashboard, flow, board, liveFeed, dashAuth, guard),
                new dev.assemblyline.pipeline.LineHealth(store, source, loop, outbox, sandbox, clock, config.loopStuckAfter(),
                        () -> wb == null ? "off (ASSEMBLY_WRITEBACK)" : wb.off() == null ? "on: " + wb.commits() + " status commits" : "off: " + wb.off())
                        .withReplicas(leadership),
                config.maxConnectionsPerAddress()).withMcp(new dev.assemblyline.mcp.McpGate(mcpTransport, sessions, guard));
        this.app = server.create();
        app.start(config.port());
        liveFeed.start();
        if (leadership != null) {
            // one of possibly many: the loop, the outbox and the write-back run while this replica leads
            replicaView.start();
            if (startLoop) {
                leadership.start();
            }
        } else {
            if (startLoop) {
                loop.start();
            }
            if (outboxWorker != null) {
                outboxWorker.start();
            }
            if (forgeStatuses != null) {
                forgeStatuses.start();
            }
            if (writeBack != null && startLoop) {
                writeBack.start();
            }
        }
        if (socketMode != null) {
            socketMode.start();
        }
        LOG.info("Slack: {}", config.slackBotToken() == null ? "off (console messages only; set SLACK_BOT_TOKEN and ASSEMBLY_SLACK_CHANNEL)"
                : "announcing in " + config.slackChannel() + (config.slackSigningSecret() == null ? "" : "; /slack/* on")
                + (socketMode == null ? "" : "; Socket Mode on") + (slack == null ? "; requests off (set SLACK_SIGNING_SECRET or SLACK_APP_TOKEN)" : ""));
        LOG.info("Assembly Line on http://localhost:{} ({})", app.port(), Database.redact(config.effectiveDbUrl()));
        LOG.info("watching the {}", source.describe());
        if (leadership != null) {
            LOG.info("replica {} of possibly many on this PostgreSQL database: it answers requests, and runs the loop, the outbox,"
                    + " tests and health checks while it leads (lease {} s; docs/SCALING.md)", replica, config.leaderLease().toSeconds());
        } else if (database.isPostgres()) {
            LOG.info("the only coordinator on this PostgreSQL database: the hosted repository is a single-process feature"
                    + " (replicas need a followed repository, ASSEMBLY_REPO_URL; docs/SCALING.md)");
        }
        if (source instanceof HostedRepo) {
            LOG.info("hosted repository: push with a session's id and token, or as admin with {} (HTTP Basic);"
                    + " fetch {}; only admin may force-push or delete {}",
                    config.adminToken() != null ? "ASSEMBLY_ADMIN_TOKEN" : "the token in " + config.dataDir().resolve("admin-token"),
                    config.publicRead() ? "open to anyone (ASSEMBLY_PUBLIC_READ=1)" : "needs the same credentials (ASSEMBLY_PUBLIC_READ=1 opens it)",
                    source.trackedBranch());
        } else {
            LOG.info("followed repository: who may push is the forge's business; {}", writeBack == null
                    ? "the coordinator only reads (ASSEMBLY_WRITEBACK=1 writes the status board back)"
                    : "the coordinator pushes its status commits with ASSEMBLY_GIT_TOKEN (ASSEMBLY_WRITEBACK=1)");
        }
        if (writeBack != null) {
            LOG.info("status board: each change of phase or holder is committed to README.md status lines and {} as {} (ASSEMBLY_WRITEBACK=0 turns it off)",
                    dev.assemblyline.writeback.Registry.PATH, config.bot().getName() + " <" + config.bot().getEmailAddress() + ">");
        }
        if (!forges.isEmpty()) {
            LOG.info("commit statuses assembly/<service> go to {} (docs/ci.md)", forges);
        } else if (!config.followMode() && (config.environment().containsKey("ASSEMBLY_GITHUB_TOKEN")
                || config.environment().containsKey("ASSEMBLY_GITLAB_TOKEN") || config.environment().containsKey("ASSEMBLY_GITEA_TOKEN"))) {
            LOG.warn("a forge token is set, but this coordinator hosts its own repository: commit statuses go only to a followed one (ASSEMBLY_REPO_URL)");
        }
        if (sandbox.sandboxed()) {
            LOG.info("repository commands (tests, deploys, restarts) run in {}", sandbox.describe());
        } else {
            LOG.warn("sandbox {}", sandbox.describe());
        }
        List<String> on = new ArrayList<>();
        for (String p : List.of("github", "gitlab", "gitea", "git")) {
            if (webhooks.secrets().enabled(p)) {
                on.add("/webhooks/" + p + (webhooks.secrets().of(p) == null ? " (UNVERIFIED: ASSEMBLY_INSECURE_WEBHOOKS=1)" : ""));
            }
        }
        LOG.info("sessions from {}{}", config.sessionsFile().toAbsolutePath(), sessions.adminConfigured() ? " and POST /api/sessions"
                : " only: POST /api/sessions is off (set ASSEMBLY_ADMIN_TOKEN to register sessions over the API)");
        if (on.isEmpty()) {
            LOG.info("webhooks: none on ({})", config.followMode() ? "set ASSEMBLY_GITHUB_SECRET, _GITLAB_, _GITEA_ or _HOOK_SECRET; docs/webhooks-github.md"
                    : "pushes come to the hosted repository; forge webhooks act only in follow mode, ASSEMBLY_REPO_URL");
        } else if (config.followMode()) {
            LOG.info("webhooks on: {} (pushes to {} of the followed repository are processed)", String.join(", ", on), source.trackedBranch());
        } else {
            LOG.warn("webhooks on: {}, but they cannot act: this coordinator hosts its own repository, so a forge's push is answered 409;"
                    + " set ASSEMBLY_REPO_URL to follow the forge's repository instead", String.join(", ", on));
        }
    }

    public int port() {
        return app.port();
    }

    /** Takes the database's lock for good, or closes the database and says why it cannot. */
    private static java.sql.Connection exclusiveOrClose(Database database) {
        try {
            return dev.assemblyline.pipeline.Leadership.exclusive(database);
        } catch (RuntimeException e) {
            database.close();
            throw e;
        }
    }

    /** What this process starts and stops as it leads and follows (docs/SCALING.md). */
    private final class LeaderRole implements dev.assemblyline.pipeline.Leadership.Role {
        @Override
        public void lead(long epoch) {
            database.fence().set(epoch); // before anything it decides is written
            replicaView.close();
            while (replicaView.alive()) { // its follow() and the loop must never change the reconciler at once
                LOG.warn("the replica view is still reading what the last leader stored; leading once it has stopped");
                replicaView.close();
            }
            reconciler.follow(); // where the last leader left it; the loop's first turn looks at everything
            loop.start();
            if (outboxWorker != null) {
                outboxWorker.start();
            }
            if (forgeStatuses != null) {
                forgeStatuses.start();
            }
            if (writeBack != null) {
                writeBack.start();
            }
            wakeup.changed();
        }

        @Override
        public boolean follow(String why) {
            loop.close();
            if (outboxWorker != null) {
                outboxWorker.close();
            }
            if (writeBack != null) {
                writeBack.close();
            }
            if (forgeStatuses != null) {
                forgeStatuses.close();
            }
            tests.cancelAll();
            // deploys, health checks and test runs already under way finish (or end, cancelled) at the old epoch
            boolean stopped = !loop.alive() && (outboxWorker == null || !outboxWorker.alive()) && (writeBack == null || !writeBack.alive())
                    && (forgeStatuses == null || !forgeStatuses.alive()) && operations.idle() && tests.idle();
            if (!stopped) {
                LOG.warn("leader work is still stopping; this replica keeps its old epoch meanwhile, so the database refuses its writes");
                return false;
            }
            database.fence().set(0);
            if (!replicaView.alive()) {
                replicaView.start();
            }
            return true;
        }
    }

    @Override
    public void close() {
        if (leadership != null) {
            leadership.close(); // stops the loop, the outbox and the write-back if it led
            replicaView.close();
        }
        mcp.closeGracefully();
        liveFeed.close();
        if (socketMode != null) {
            socketMode.close();
        }
        if (outboxWorker != null) {
            outboxWorker.close();
        }
        if (forgeStatuses != null) {
            forgeStatuses.close();
        }
        loop.close();
        if (writeBack != null) {
            writeBack.close();
        }
        mcpNotices.close(); // after the loop: nothing tells an agent anything any more
        tests.close();
        operations.close();
        app.stop();
        source.close();
        if (exclusive != null) {
            try {
                exclusive.close();
            } catch (java.sql.SQLException ignored) {
                // the lock goes with the connection either way
            }
        }
        database.close();
        gcMetrics.close();
        dataLock.close();
    }
}
