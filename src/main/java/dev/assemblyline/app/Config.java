package dev.assemblyline.app;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Everything {@code serve} reads from the environment, checked once: a bad value stops the start with a
 * message naming the variable. Secrets are held here and nowhere else; {@link #toString} hides them.
 */
public record Config(
        int port,
        Path dataDir,
        String dbUrl,
        String dbUser,
        String dbPassword,
        String repoUrl,
        String gitToken,
        String branch,
        String servicesRoot,
        String githubSecret,
        String gitlabSecret,
        String giteaSecret,
        String hookSecret,
        boolean insecureWebhooks,
        Duration resyncEvery,
        String adminToken,
        Path sessionsFile,
        Duration lease,
        Duration ticketDeadline,
        Duration offerTimeout,
        boolean autoclaim,
        String slackBotToken,
        String slackSigningSecret,
        String slackChannel,
        String slackApiUrl,
        String slackAppToken,
        String publicUrl,
        Duration slackChannelInterval,
        int testParallelism,
        Duration healthInterval,
        boolean publicRead,
        boolean unsandboxed,
        List<Path> sandboxReadOnly,
        List<String> healthHosts,
        List<String> slackJoinCapabilities,
        Duration loopStuckAfter,
        int maxConnectionsPerAddress,
        int slackDigest,
        String dashboardToken,
        Map<String, String> environment) {


    /** A configuration error, naming the variable. */
    public static final class Invalid extends RuntimeException {
        public Invalid(String message) {
            super(message);
        }
    }

    public static Config fromEnv(Map<String, String> env) {
        List<String> errors = new ArrayList<>();
        int port = 8900;
        String p = blank(env.get("PORT"));
        if (p != null) {
            try {
                port = Integer.parseInt(p);
                if (port < 0 || port > 65535) {
                    errors.add("PORT must be 0..65535, not " + p);
                }
            } catch (NumberFormatException e) {
                errors.add("PORT must be a number, not '" + p + "'");
            }
        }
        Duration resync = Duration.ofSeconds(60);
        String r = blank(env.get("ASSEMBLY_RESYNC_SECONDS"));
        if (r != null) {
            try {
                resync = duration(r);
                if (resync.isZero() || resync.isNegative()) {
                    errors.add("ASSEMBLY_RESYNC_SECONDS must be positive");
                }
                if (resync.compareTo(Duration.ofDays(365)) > 0) {
                    errors.add("ASSEMBLY_RESYNC_SECONDS must be at most a year");
                }
            } catch (IllegalArgumentException | ArithmeticException e) {
                errors.add("ASSEMBLY_RESYNC_SECONDS: " + e.getMessage());
            }
        }
        String db = blank(env.get("ASSEMBLY_DB_URL"));
        if (db != null && !db.startsWith("jdbc:postgresql:") && !db.startsWith("jdbc:h2:")) {
            errors.add("ASSEMBLY_DB_URL must start with jdbc:postgresql: or jdbc:h2:");
        }
        String root = env.getOrDefault("ASSEMBLY_SERVICES_ROOT", "SERVICES");
        String branch = blank(env.get("ASSEMBLY_BRANCH"));
        if (branch != null && !branch.matches("[A-Za-z0-9._/-]+")) {
            errors.add("ASSEMBLY_BRANCH is not a branch name: '" + branch + "'");
        }
        Duration lease = durationVar(env, "ASSEMBLY_LEASE", Duration.ofMinutes(30), errors);
        Duration deadline = durationVar(env, "ASSEMBLY_TICKET_DEADLINE", Duration.ofHours(24), errors);
        Duration offer = durationVar(env, "ASSEMBLY_OFFER_TIMEOUT", Duration.ofMinutes(15), errors);
        String admin = blank(env.get("ASSEMBLY_ADMIN_TOKEN"));
        if (admin != null && admin.length() < 16) {
            errors.add("ASSEMBLY_ADMIN_TOKEN must be at least 16 characters");
        }
        int parallelism = 2;
        String par = blank(env.get("ASSEMBLY_TEST_PARALLELISM"));
        if (par != null) {
            if (!par.matches("\\d{1,2}")) {
                errors.add("ASSEMBLY_TEST_PARALLELISM must be a number from 0 (no automatic test runs) to 99");
            } else {
                parallelism = Integer.parseInt(par);
            }
        }
        Duration healthInterval = durationVar(env, "ASSEMBLY_HEALTH_INTERVAL", Duration.ofSeconds(30), errors);
        Duration stuckAfter = durationVar(env, "ASSEMBLY_LOOP_STUCK_AFTER", Duration.ofSeconds(30), errors);
        int digest = 20;
        String dg = blank(env.get("ASSEMBLY_SLACK_DIGEST"));
        if (dg != null) {
            if (!dg.matches("\\d{1,6}")) {
                errors.add("ASSEMBLY_SLACK_DIGEST must be a number of phase changes");
            } else {
                digest = Integer.parseInt(dg);
            }
        }
        int perAddress = 100;
        String pa = blank(env.get("ASSEMBLY_MAX_CONNECTIONS_PER_ADDRESS"));
        if (pa != null) {
            if (!pa.matches("\\d{1,6}")) {
                errors.add("ASSEMBLY_MAX_CONNECTIONS_PER_ADDRESS must be a number (0: no limit)");
            } else {
                perAddress = Integer.parseInt(pa);
            }
        }
        Duration slackInterval = durationVar(env, "ASSEMBLY_SLACK_CHANNEL_INTERVAL", Duration.ofSeconds(1), errors);
        String slackToken = blank(env.get("SLACK_BOT_TOKEN"));
        String slackChannel = blank(env.get("ASSEMBLY_SLACK_CHANNEL"));
        if (slackToken != null && slackChannel == null) {
            errors.add("SLACK_BOT_TOKEN is set but ASSEMBLY_SLACK_CHANNEL (the channel id to announce in) is not");
        }
        String appToken = blank(env.get("SLACK_APP_TOKEN"));
        if (appToken != null && !appToken.startsWith("xapp-")) {
            errors.add("SLACK_APP_TOKEN must be an app-level token (xapp-…)");
        }
        List<Path> readOnly = new ArrayList<>();
        String ro = blank(env.get("ASSEMBLY_SANDBOX_READONLY"));
        if (ro != null) {
            for (String part : ro.split(":")) {
                if (part.isBlank()) {
                    continue;
                }
                Path path = Path.of(part.strip());
                if (!path.isAbsolute()) {
                    errors.add("ASSEMBLY_SANDBOX_READONLY holds absolute paths separated by ':', not '" + part + "'");
                } else {
                    readOnly.add(path.normalize());
                }
            }
        }
        List<String> healthHosts = new ArrayList<>();
        String hh = blank(env.get("ASSEMBLY_HEALTH_HOSTS"));
        if (hh != null) {
            for (String h : hh.split("[,\\s]+")) {
                if (!h.isBlank()) {
                    healthHosts.add(h.strip().toLowerCase(java.util.Locale.ROOT));
                }
            }
        }
        String join = blank(env.get("ASSEMBLY_SLACK_JOIN_CAPABILITIES"));
        List<String> joinCaps = join == null ? null : java.util.Arrays.stream(join.split("[,\\s]+")).filter(c -> !c.isBlank())
                .map(c -> c.toLowerCase(java.util.Locale.ROOT)).toList();
        String wq = blank(env.get("ASSEMBLY_WRITEBACK_QUIET"));
        if (wq != null && !wq.equals("0")) {
            durationVar(env, "ASSEMBLY_WRITEBACK_QUIET", Duration.ofSeconds(5), errors);
        }
        String wb = blank(env.get("ASSEMBLY_WRITEBACK"));
        if (wb != null && !wb.equals("0") && !wb.equals("1")) {
            errors.add("ASSEMBLY_WRITEBACK must be 0 (off) or 1 (on), not '" + wb + "'");
        }
        dev.assemblyline.forge.Forge.fromEnv(env, blank(env.get("ASSEMBLY_REPO_URL")), errors);
        String replica = blank(env.get("ASSEMBLY_REPLICA_ID"));
        if (replica != null && !replica.matches("[A-Za-z0-9._:-]{1,50}")) {
            errors.add("ASSEMBLY_REPLICA_ID must be 1 to 50 letters, digits, '.', '_', ':' or '-'");
        }
        String leaderLease = blank(env.get("ASSEMBLY_LEADER_LEASE"));
        if (leaderLease != null) {
            try {
                Duration d = duration(leaderLease);
                if (d.compareTo(Duration.ofSeconds(2)) < 0 || d.compareTo(Duration.ofMinutes(1)) > 0) {
                    errors.add("ASSEMBLY_LEADER_LEASE must be from 2 s to 60 s");
                }
            } catch (IllegalArgumentException | ArithmeticException e) {
                errors.add("ASSEMBLY_LEADER_LEASE: " + e.getMessage());
            }
        }
        if (!errors.isEmpty()) {
            throw new Invalid(String.join("; ", errors));
        }
        return new Config(port, Path.of(env.getOrDefault("ASSEMBLY_DATA_DIR", "data")), db,
                blank(env.get("ASSEMBLY_DB_USER")), blank(env.get("ASSEMBLY_DB_PASSWORD")),
                blank(env.get("ASSEMBLY_REPO_URL")), blank(env.get("ASSEMBLY_GIT_TOKEN")), branch, root,
                blank(env.get("ASSEMBLY_GITHUB_SECRET")), blank(env.get("ASSEMBLY_GITLAB_SECRET")),
                blank(env.get("ASSEMBLY_GITEA_SECRET")), blank(env.get("ASSEMBLY_HOOK_SECRET")),
                "1".equals(env.get("ASSEMBLY_INSECURE_WEBHOOKS")), resync, admin,
                Path.of(env.getOrDefault("ASSEMBLY_SESSIONS_FILE", "sessions.json")), lease, deadline, offer,
                "1".equals(env.get("ASSEMBLY_AUTOCLAIM")), slackToken, blank(env.get("SLACK_SIGNING_SECRET")), slackChannel,
                blank(env.get("ASSEMBLY_SLACK_API_URL")), appToken, blank(env.get("ASSEMBLY_PUBLIC_URL")), slackInterval, parallelism, healthInterval,
                "1".equals(env.get("ASSEMBLY_PUBLIC_READ")), "1".equals(env.get("ASSEMBLY_UNSANDBOXED")), List.copyOf(readOnly),
                List.copyOf(healthHosts), joinCaps, stuckAfter, perAddress, digest, blank(env.get("ASSEMBLY_DASHBOARD_TOKEN")), Map.copyOf(env));
    }

    private static Duration durationVar(Map<String, String> env, String name, Duration fallback, List<String> errors) {
        String v = blank(env.get(name));
        if (v == null) {
            return fallback;
        }
        try {
            Duration d = duration(v);
            if (d.isNegative() || d.isZero()) {
                errors.add(name + " must be positive");
            }
            return d;
        } catch (IllegalArgumentException | ArithmeticException e) {
            errors.add(name + ": " + e.getMessage());
            return fallback;
        }
    }

    /** See {@link dev.assemblyline.model.Durations}: the same format as assembly.yml. */
    public static Duration duration(String text) {
        return dev.assemblyline.model.Durations.parse(text);
    }

    /**
     * The admin token: ASSEMBLY_ADMIN_TOKEN, or else one made on the first start and kept in
     * {@code <data>/admin-token} (mode 600), so a first run can push without setting anything.
     */
    public String effectiveAdminToken() {
        if (adminToken != null) {
            return adminToken;
        }
        return dev.assemblyline.pipeline.Tokens.adminTokenFile(dataDir.resolve("admin-token"));
    }

    /** The sandbox repository commands run in; the data directory and the sessions file are never visible in it. */
    public dev.assemblyline.verify.Sandbox sandbox() {
        return dev.assemblyline.verify.Sandbox.check(environment, unsandboxed, sandboxReadOnly, List.of(dataDir, sessionsFile));
    }

    /**
     * Whether the coordinator writes the status board back to the repository (docs/status-board.md): on
     * for the hosted repository unless ASSEMBLY_WRITEBACK=0, off for a followed one unless ASSEMBLY_WRITEBACK=1
     * (it then pushes with ASSEMBLY_GIT_TOKEN).
     */
    public boolean writeBack() {
        String w = environment.get("ASSEMBLY_WRITEBACK");
        return followMode() ? "1".equals(w) : !"0".equals(w);
    }

    /** How long the branch must be still before a status commit (ASSEMBLY_WRITEBACK_QUIET, default 5 s; 0 for none). */
    public Duration writeBackQuiet() {
        String q = blank(environment.get("ASSEMBLY_WRITEBACK_QUIET"));
        return q == null ? Duration.ofSeconds(5) : q.equals("0") ? Duration.ZERO : duration(q);
    }

    /** The author of write-back commits (ASSEMBLY_BOT_NAME, ASSEMBLY_BOT_EMAIL). */
    public org.eclipse.jgit.lib.PersonIdent bot() {
        String name = blank(environment.get("ASSEMBLY_BOT_NAME"));
        String email = blank(environment.get("ASSEMBLY_BOT_EMAIL"));
        return new org.eclipse.jgit.lib.PersonIdent(name == null ? "Assembly Line" : name, email == null ? "assembly-line@localhost" : email);
    }

    public boolean followMode() {
        return repoUrl != null;
    }

    /**
     * Whether this process is one of possibly many replicas (docs/SCALING.md): PostgreSQL and a followed
     * repository. The leader among them runs the loop; every one answers requests.
     */
    public boolean replicas() {
        return followMode() && dbUrl != null && dbUrl.startsWith("jdbc:postgresql:");
    }

    /** The forges commit statuses are reported to (ASSEMBLY_GITHUB_TOKEN, _GITLAB_, _GITEA_; docs/ci.md); none in hosted mode. */
    public List<dev.assemblyline.forge.Forge> forges() {
        return followMode() ? dev.assemblyline.forge.Forge.fromEnv(environment, repoUrl, new ArrayList<>()) : List.of();
    }

    /** This replica's name (ASSEMBLY_REPLICA_ID; the host name and process id by default). */
    public String replicaId() {
        String id = blank(environment.get("ASSEMBLY_REPLICA_ID"));
        if (id != null) {
            return id;
        }
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            host = "localhost";
        }
        host = host.replaceAll("[^A-Za-z0-9._-]", "-");
        return (host.length() > 40 ? host.substring(0, 40) : host) + "-" + ProcessHandle.current().pid();
    }

    /** How long a leader may go without renewing before a follower takes over (ASSEMBLY_LEADER_LEASE, 5 s). */
    public Duration leaderLease() {
        String l = blank(environment.get("ASSEMBLY_LEADER_LEASE"));
        return l == null ? Duration.ofSeconds(5) : duration(l);
    }

    public String effectiveDbUrl() {
        return dbUrl != null ? dbUrl : dev.assemblyline.store.Database.h2Url(dataDir);
    }

    private static String blank(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }

    @Override
    public String toString() {
        return "Config[port=" + port + ", dataDir=" + dataDir + ", db=" + dev.assemblyline.store.Database.redact(effectiveDbUrl())
                + ", repo=" + (repoUrl == null ? "hosted" : repoUrl.replaceAll("//[^/@]+@", "//***@")) + ", branch=" + branch
                + ", root=" + servicesRoot + ", resync=" + resyncEvery + "]";
    }
}
