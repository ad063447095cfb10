package dev.assemblyline.pipeline;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * How the parts tell the reconcile loop that something changed, without holding the loop: made first,
 * given to whoever has news (sessions, tickets, test runs, operations, the API, Slack, pushes) and to the
 * loop, which waits on it (docs/ARCHITECTURE.md, "Threads").
 */
public final class Wakeup {
    private final Semaphore wake = new Semaphore(0);
    private final Set<String> recheck = ConcurrentHashMap.newKeySet();
    private volatile boolean choresDue = true;

    /** A session or ticket changed: tickets, tests and operations are looked at on the next turn. */
    public void changed() {
        choresDue = true;
        wake.release();
    }

    /** Something new is in the inbox: the next turn drains it (and does the rest only if that changed a phase). */
    public void inbox() {
        wake.release();
    }

    /** Looks at a service again on the next turn (its facts changed: a test run finished, a build was claimed). */
    public void recheck(String service) {
        recheck.add(service);
        changed();
    }

    // ---- the loop's side ----------------------------------------------------------------------------

    /** Waits up to {@code nanos} for news; true when woken (further wake-ups until now are folded in). */
    boolean await(long nanos) throws InterruptedException {
        if (wake.tryAcquire(nanos, TimeUnit.NANOSECONDS)) {
            wake.drainPermits();
            return true;
        }
        return false;
    }

    /** Waits the whole back-off after a failed turn; only {@link #inbox()}-like wake-ups (close) cut it short. */
    void backOff(long nanos) throws InterruptedException {
        wake.tryAcquire(nanos, TimeUnit.NANOSECONDS);
    }

    boolean choresDue() {
        return choresDue;
    }

    void choresDue(boolean due) {
        choresDue = due;
    }

    /** The services to look at again, taken (a failed recheck gives them back with {@link #giveBack}). */
    Set<String> takeRechecks() {
        Set<String> batch = new HashSet<>(recheck);
        recheck.removeAll(batch);
        return batch;
    }

    boolean rechecksPending() {
        return !recheck.isEmpty();
    }

    void giveBack(Set<String> services) {
        recheck.addAll(services);
    }
}
