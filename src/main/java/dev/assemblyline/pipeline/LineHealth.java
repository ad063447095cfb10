package dev.assemblyline.pipeline;

import dev.assemblyline.git.RepoSource;
import dev.assemblyline.store.OutboxStore;
import dev.assemblyline.store.Store;
import dev.assemblyline.verify.Sandbox;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What {@code /health} says, part by part: the database, git, the reconcile loop (how long since it last
 * finished a pass), the outbox (how old the oldest unsent message is), the tracked branch, the sandbox.
 * Unhealthy (503) when the database or git cannot be read, when the loop has not finished a pass for
 * {@code stuckAfter} (ASSEMBLY_LOOP_STUCK_AFTER, 30 s: thirty of its one-second turns), or when the
 * tracked branch is gone. See
 * docs/reliability.md.
 */
public final class LineHealth {

    private final Store store;
    private final RepoSource source;
    private final ReconcileLoop loop;
    private final OutboxStore outbox;
    private final Sandbox sandbox;
    private final Clock clock;
    private final Duration stuckAfter;

    private final java.util.function.Supplier<String> writeBack;

    /** @param writeBack what the status write-back is doing ("on", "off: …"); it never makes the line unhealthy */
    public LineHealth(Store store, RepoSource source, ReconcileLoop loop, OutboxStore outbox, Sandbox sandbox, Clock clock, Duration stuckAfter,
                      java.util.function.Supplier<String> writeBack) {
        this.writeBack = writeBack;
        this.stuckAfter = stuckAfter;
        this.store = store;
        this.source = source;
        this.loop = loop;
        this.outbox = outbox;
        this.sandbox = sandbox;
        this.clock = clock;
    }

    private Leadership replicas;

    /** Says which replica leads, and skips the loop's age on a replica that follows (it runs no loop). */
    public LineHealth withReplicas(Leadership leadership) {
        this.replicas = leadership;
        return this;
    }

    /** The answer: each part's state, and whether the whole is healthy. */
    public record Report(Map<String, Object> body, boolean ok) {
    }

    private static String lease(Leadership l) {
        return l.lease().replica();
    }

    public Report check() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", "ok");
        boolean ok = true;
        boolean db = store.ping();
        boolean writes = db && store.writable(clock.instant());
        body.put("database", !db ? "unreachable" : writes ? "ok" : "read-only: writes fail (a full disk?)");
        ok &= writes;
        boolean git;
        String branch;
        try {
            git = source.repo().repository().getObjectDatabase().exists();
            boolean present = source.head() != null;
            boolean wasThere;
            try {
                wasThere = db && store.branchSeen(source.trackedBranch());
            } catch (RuntimeException dbFailed) {
                wasThere = false; // the database part says so; git is not to blame
            }
            branch = present ? "present" : wasThere ? "gone" : "not pushed yet";
            ok &= present || !wasThere;
        } catch (RuntimeException e) {
            git = false;
            branch = "unreadable";
        }
        body.put("git", git ? "ok" : "unreadable");
        body.put("tracked_branch", source.trackedBranch() + ": " + branch);
        ok &= git;
        long last = loop.lastPassMillis();
        Leadership l = replicas;
        if (l != null) {
            Leadership.Lease lease = l.lease();
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("this", l.replica());
            r.put("leads", l.leads());
            r.put("leader", lease.replica());
            r.put("epoch", lease.epoch());
            if (!l.leads() && lease.replica() != null) {
                r.put("leader_renewed_s_ago", Math.round(lease.ageSeconds() * 10) / 10.0);
            }
            body.put("replica", r);
        }
        if (l != null && !l.leads()) {
            Leadership.Lease lease = l.lease();
            // the lease as last read: a leader that stopped renewing long ago means nobody runs the line
            boolean leaderless = lease.replica() != null && lease.ageSeconds() * 1000 > stuckAfter.toMillis();
            body.put("reconcile_loop", leaderless ? "follows, but no replica has led for " + Math.round(lease.ageSeconds()) + " s"
                    : "follows: " + (lease(l) == null ? "no leader yet" : lease(l) + " runs it"));
            ok &= !leaderless;
        } else if (last == 0) {
            body.put("reconcile_loop", "not started");
        } else {
            long age = Math.max(0, clock.millis() - last);
            long turnAge = Math.max(0, clock.millis() - loop.lastTurnMillis());
            boolean stuck = turnAge > stuckAfter.toMillis();
            boolean failingLong = age > stuckAfter.toMillis();
            String step = loop.failingStep();
            body.put("reconcile_loop", stuck ? "stuck: no pass finished for " + age / 1000 + " s"
                    : failingLong ? "failing for " + age / 1000 + " s: " + (step == null ? "a step" : step) : "ok");
            body.put("reconcile_loop_age_ms", age);
            ok &= !stuck && !failingLong;
        }
        if (db) {
            try {
                Instant oldest = outbox.oldestPending();
                body.put("outbox_oldest_unsent_s", oldest == null ? 0 : Math.max(0, Duration.between(oldest, clock.instant()).toSeconds()));
            } catch (RuntimeException e) {
                body.put("outbox_oldest_unsent_s", null);
            }
        }
        // a coordinator that cannot sandbox still serves, but says so: its tests and deploys are refused (or unsandboxed)
        body.put("writeback", writeBack.get());
        body.put("sandbox", sandbox.sandboxed() ? "bubblewrap" : sandbox.describe());
        body.put("status", ok ? "ok" : "failing");
        return new Report(body, ok);
    }
}
