package dev.assemblyline.pipeline;

import java.time.Duration;
import java.util.Set;
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
public final class ReconcileLoop extends Worker {
    private static final Logger LOG = LoggerFactory.getLogger(ReconcileLoop.class);
    private static final long TICK = TimeUnit.SECONDS.toNanos(1);

    private final Reconciler reconciler;
    private final TicketDesk desk;
    private final SessionRegistry sessions;
    private final TestScheduler tests;
    private final Operations operations;
    private final Wakeup wakeup;
    private final Duration resyncEvery;

    /**
     * @param tests      test runs for services in TESTING, scheduled each turn; null when the coordinator runs
     *                   no tests (an outside CI, or a benchmark)
     * @param operations deploys and health checks each turn; null for none
     * @param wakeup     what the parts signal through (made before them, see {@link Wakeup})
     */
    public ReconcileLoop(Reconciler reconciler, TicketDesk desk, SessionRegistry sessions, TestScheduler tests, Operations operations,
                         Wakeup wakeup, Duration resyncEvery) {
        super("reconcile", Duration.ofSeconds(5));
        this.reconciler = reconciler;
        this.desk = desk;
        this.sessions = sessions;
        this.tests = tests;
        this.operations = operations;
        this.wakeup = wakeup;
        this.resyncEvery = resyncEvery;
    }

    private final java.util.concurrent.atomic.AtomicLong chores = new java.util.concurrent.atomic.AtomicLong();

    /**
     * How many times the loop has started its chores (tickets, test scheduling, operations, leases): two
     * more than a moment ago means everything due at that moment was looked at.
     */
    public long choresStarted() {
        return chores.get();
    }

    /** Whether the loop thread runs (tests may build a coordinator without it). */
    public boolean running() {
        return alive();
    }

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

    private long nextResync = System.nanoTime();
    /** Whether the last turn failed a step: the wait is then a back-off that only close cuts short. */
    private boolean failed;

    /** A new run (the first, or a replica leading again): a pass counts from now, and everything is looked at first. */
    @Override
    protected void starting() {
        lastPass = 0;
        lastTurn = 0;
        failing = null;
        failed = false;
        nextResync = System.nanoTime();
        wakeup.changed();
    }

    @Override
    protected long round() {
        if (lastPass == 0) {
            lastPass = System.currentTimeMillis();
            lastTurn = lastPass;
        }
        failedStep = null;
        boolean resyncNow = System.nanoTime() - nextResync >= 0;
        failed = !turn(resyncNow);
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
        long wait = Math.min(wakeup.choresDue() ? CHORES_MIN_GAP : TICK, Math.max(1, nextResync - System.nanoTime()));
        return !failed && reconciler.busy() ? 1 : wait; // the next slice of a large change at once (new events are drained before it)
    }

    @Override
    protected void pause(long nanos) throws InterruptedException {
        if (failed) {
            wakeup.backOff(nanos); // back off before retrying
        } else {
            wakeup.await(nanos);
        }
    }

    /** The loop waits on {@link Wakeup}, which every part signals through. */
    @Override
    public void signal() {
        wakeup.inbox();
    }

    /** One turn of the loop; false when a step failed (its work stays for the next turn). */
    boolean turn(boolean resync) {
        boolean ok = step("reloading sessions.json", sessions::reloadIfChanged);
        int[] drained = {0};
        ok &= step("processing the inbox (events stay pending and are retried)", () -> drained[0] = reconciler.drain());
        boolean busy = reconciler.busy();
        if (busy) {
            ok &= step("looking at the next slice of a large change", reconciler::continueBulk);
            ok &= drainAgain(drained); // a push made during the slice goes before the chores the slice brought
        }
        boolean due = wakeup.choresDue() || drained[0] > 0 || wakeup.rechecksPending() || resync || busy;
        if (wakeup.rechecksPending()) {
            Set<String> batch = wakeup.takeRechecks();
            if (!step("rechecking " + batch, () -> reconciler.recheck(batch))) {
                wakeup.giveBack(batch);
                ok = false;
            }
        }
        if (resync) {
            ok &= step("resync", reconciler::resync);
        }
        long sinceChores = System.nanoTime() - lastChores;
        if (!(due && sinceChores >= CHORES_MIN_GAP || sinceChores >= TICK)) {
            if (due) {
                wakeup.choresDue(true); // throttled: the next turn (within 200 ms) does them
            }
            return ok;
        }
        wakeup.choresDue(false);
        lastChores = System.nanoTime();
        chores.incrementAndGet();
        ok &= step("syncing tickets with phases", () -> desk.sync(reconciler.states()));
        if (desk.syncPending()) {
            ok &= drainAgain(drained); // between slices of a bulk change's tickets, as between its slices of services
        }
        // test runs, deploys, restarts and health checks act outside the database: only while sure to lead
        boolean mayAct = this.mayAct.getAsBoolean();
        TestScheduler t = tests;
        if (t != null && mayAct) {
            ok &= step("scheduling test runs", () -> t.schedule(reconciler.states(), reconciler.head(), reconciler.config()));
        }
        Operations o = operations;
        if (o != null && mayAct) {
            ok &= step("deploys and health checks", () -> o.turn(reconciler.states(), reconciler.head(), reconciler.config()));
        }
        CiVerdicts ci = this.ci;
        if (ci != null) {
            ok &= step("applying CI verdicts", () -> ci.apply(reconciler.states(), reconciler.config()));
        }
        ok &= step("leases and offers", desk::tick);
        if (desk.syncPending() || reconciler.busy()) {
            wakeup.choresDue(true); // a bulk change: the next slice of tickets after the inbox has been looked at again
        }
        return ok;
    }

    /** The inbox once more, in a long turn: what came meanwhile (one query when nothing did). */
    private boolean drainAgain(int[] drained) {
        return step("processing the inbox (events stay pending and are retried)", () -> drained[0] += reconciler.drain());
    }

    private volatile java.util.function.BooleanSupplier mayAct = () -> true;

    /** Starts test runs and operations only while {@code check} holds (a replica sure it leads: docs/SCALING.md). */
    public ReconcileLoop onlyActWhile(java.util.function.BooleanSupplier check) {
        this.mayAct = check;
        return this;
    }

    private String failedStep;
    private volatile CiVerdicts ci;

    /** Applies the team's CI verdicts each turn (docs/ci.md). */
    public ReconcileLoop withCi(CiVerdicts verdicts) {
        this.ci = verdicts;
        return this;
    }

    private boolean step(String what, Runnable r) {
        try {
            long started = System.nanoTime();
            r.run();
            long ms = (System.nanoTime() - started) / 1_000_000;
            if (ms >= 500) { // what held the loop (a push waits for it): visible without a profiler
                LOG.info("{} took {} ms", what.length() > 120 ? what.substring(0, 119) + "…" : what, ms);
            }
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
}
