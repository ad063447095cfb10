package dev.assemblyline.pipeline;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A counter that moves whenever the line records something (a phase change, an offer, a claim: every
 * event-log entry), for those who wait for news instead of asking again and again: a session's long poll
 * for its next offer ({@code GET /api/tickets?assignee=…&state=offered&wait=N}, README).
 */
public final class ChangeSignal {
    private long version;

    /** Where the counter stands now: pass it to {@link #await} after looking. */
    public synchronized long version() {
        return version;
    }

    public synchronized void changed() {
        version++;
        notifyAll();
    }

    /** Waits until the counter moves past {@code seen}, {@code timeout} at most; whether it moved. */
    public synchronized boolean await(long seen, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (version == seen) {
            long left = end - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }
}
