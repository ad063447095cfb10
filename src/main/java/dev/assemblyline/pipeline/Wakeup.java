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
    private volatile java.util.function.Consumer<String> relay;

    /**
     * Where news goes when the loop that needs it runs in another process (a replica that follows passes it
     * to the leader, docs/SCALING.md): "inbox", "changed" or "recheck:" and a service; null for none.
     */
    public void relay(java.util.function.Consumer<String> to) {
        this.relay = to;
    }

    /** A session or ticket changed: tickets, tests and operations are looked at on the next turn. */
    public void changed() {
        choresDue = true;
        wake.release();
        tell("changed");
    }

    /** Something new is in the inbox: the next turn drains it (and does the rest only if that changed a phase). */
    public void inbox() {
        wake.release();
        tell("inbox");
    }

    /** Looks at a service again on the next turn (its facts changed: a test run finished, a build was claimed). */
    public void recheck(String service) {
        recheck.add(service);
        choresDue = true;
        wake.release();
        tell("recheck:" + service);
    }

    /** News from another replica (see {@link #relay}), acted on here and not passed on again. */
    public void heard(String news) {
        if (news == null) {
            return;
        }
        if (news.startsWith("recheck:")) {
            recheck.add(news.substring("recheck:".length()));
        }
        if (!news.equals("inbox")) {
            choresDue = true;
        }
        wake.release();
    }

    private void tell(String news) {
        var r = relay;
        if (r != null) {
            r.accept(news);
        }
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
