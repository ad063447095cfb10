package dev.assemblyline.pipeline;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one reconcile thread. Each turn: settle the inbox, look again at services whose tickets changed,
 * look at everything when the resync is due (at start, then every {@code resyncEvery}, so what happened
 * while the server was down or a lost webhook is caught up from git), bring tickets in line with the
 * phases, take back lapsed offers and silent claims, offer what waits, re-read sessions.json. It sleeps
 * until signalled or a second passes.
 */
public final class ReconcileLoop implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ReconcileLoop.class);
    private static final long TICK = TimeUnit.SECONDS.toNanos(1);

    private final Reconciler reconciler;
    private final TicketDesk desk;
    private final SessionRegistry sessions;
    private final Duration resyncEvery;
    private final Semaphore wake = new Semaphore(0);
    private final Set<String> recheck = ConcurrentHashMap.newKeySet();
    private final Thread thread;
    private volatile boolean running = true;

    private volatile TestScheduler tests;
    private volatile Operations operations;

    /** Deploys and health checks, each turn. */
    public void operateWith(Operations ops) {
        this.operations = ops;
    }

    /** Test runs for services in TESTING, scheduled each turn. */
    public void runTestsWith(TestScheduler scheduler) {
        this.tests = scheduler;
    }

    /** Looks at a service again on the next turn (its facts changed: a test run finished). */
    public void recheck(String service) {
        recheck.add(service);
        signal();
    }

    public ReconcileLoop(Reconciler reconciler, TicketDesk desk, SessionRegistry sessions, Duration resyncEvery) {
        this.reconciler = reconciler;
        this.desk = desk;
        this.sessions = sessions;
        this.resyncEvery = resyncEvery;
        this.thread = new Thread(this::run, "reconcile");
        this.thread.setDaemon(true);
        desk.onServiceChanged(s -> {
            recheck.add(s);
            signal();
        });
    }

    public ReconcileLoop start() {
        thread.start();
        return this;
    }

    /** Whether the loop thread runs (tests may build a coordinator without it). */
    public boolean running() {
        return thread.isAlive();
    }

    /** A session or ticket changed: tickets, tests and operations are looked at on the next turn. */
    public void signal() {
        choresDue = true;
        wake.release();
    }

    /** Something new is in the inbox: the next turn drains it (and does the rest only if the inbox changed a phase). */
    public void inboxSignal() {
        wake.release();
    }

    private volatile boolean choresDue = true;
    private long lastChores = System.nanoTime() - TICK;
    /** Tickets, tests and operations at least once a second, at most five times a second under a burst of events. */
    private static final long CHORES_MIN_GAP = TimeUnit.MILLISECONDS.toNanos(200);

    private volatile long lastPass;
    private volatile long lastTurn;
    private volatile String failing;

    /** When the loop last finished a whole turn without a failed step (its start counts); 0 before it started. */
    public long lastPassMillis() {
        return lastPass;
    }

    /** When the loop last finished a turn, failed steps or not; 0 before it started. */
    public long lastTurnMillis() {
        return lastTurn;
    }

    /** The step that failed in the last turn, or null. */
    public String failingStep() {
        return failing;
    }

    private void run() {
        long nextResync = System.nanoTime();
        lastPass = System.currentTimeMillis();
        lastTurn = lastPass;
        while (running) {
            failedStep = null;
            boolean resyncNow = System.nanoTime() - nextResync >= 0;
            boolean failed = !turn(resyncNow);
            lastTurn = System.currentTimeMillis();
            failing = failedStep;
            if (resyncNow) {
                nextResync = System.nanoTime() + resyncEvery.toNanos();
            }
            if (!failed) {
                lastPass = lastTurn;
            } else {
                // the store or git failed: a push may have landed with its event lost (the hosted repository's
                // hook could not queue it), so the first turn that works again looks at everything
                nextResync = System.nanoTime();
            }
            try {
                long wait = Math.min(choresDue ? CHORES_MIN_GAP : TICK, Math.max(1, nextResync - System.nanoTime()));
                if (!failed && reconciler.busy()) {
                    wait = 1; // the next slice of a large change at once (new events are drained before it)
                }
                if (failed) {
                    wake.tryAcquire(wait, TimeUnit.NANOSECONDS); // back off before retrying; only close() cuts it short
                } else if (wake.tryAcquire(wait, TimeUnit.NANOSECONDS)) {
                    wake.drainPermits();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** One turn of the loop; false when a step failed (its work stays for the next turn). */
    boolean turn(boolean resync) {
        boolean ok = step("reloading sessions.json", sessions::reloadIfChanged);
        int[] drained = {0};
        ok &= step("processing the inbox (events stay pending and are retried)", () -> drained[0] = reconciler.drain());
        boolean busy = reconciler.busy();
        if (busy) {
            ok &= step("looking at the next slice of a large change", reconciler::continueBulk);
        }
        boolean due = choresDue || drained[0] > 0 || !recheck.isEmpty() || resync || busy;
        if (!recheck.isEmpty()) {
            Set<String> batch = new HashSet<>(recheck);
            recheck.removeAll(batch);
            if (!step("rechecking " + batch, () -> reconciler.recheck(batch))) {
                recheck.addAll(batch);
                ok = false;
            }
        }
        if (resync) {
            ok &= step("resync", reconciler::resync);
        }
        long sinceChores = System.nanoTime() - lastChores;
        if (!(due && sinceChores >= CHORES_MIN_GAP || sinceChores >= TICK)) {
            if (due) {
                choresDue = true; // throttled: the next turn (within 200 ms) does them
            }
            return ok;
        }
        choresDue = false;
        lastChores = System.nanoTime();
        ok &= step("syncing tickets with phases", () -> desk.sync(reconciler.states()));
        TestScheduler t = tests;
        if (t != null) {
            ok &= step("scheduling test runs", () -> t.schedule(reconciler.states(), reconciler.head(), reconciler.config()));
        }
        Operations o = operations;
        if (o != null) {
            ok &= step("deploys and health checks", () -> o.turn(reconciler.states(), reconciler.head(), reconciler.config()));
        }
        ok &= step("leases and offers", desk::tick);
        if (desk.syncPending() || reconciler.busy()) {
            choresDue = true; // a bulk change: the next slice of tickets after the inbox has been looked at again
        }
        return ok;
    }

    private String failedStep;

    private boolean step(String what, Runnable r) {
        try {
            r.run();
            return true;
        } catch (Throwable e) {
            LOG.error("{} failed: {}", what, e.getMessage(), e);
            failedStep = failedStep == null ? what : failedStep;
            return false;
        }
    }

    private boolean step(String what, java.util.function.Supplier<?> r) {
        return step(what, (Runnable) r::get);
    }

    @Override
    public void close() {
        running = false;
        // woken, not interrupted: an interrupt during a database write closes H2's file channel under it
        wake.release();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
