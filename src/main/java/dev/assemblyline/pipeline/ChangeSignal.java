package dev.assemblyline.pipeline;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A counter per session that moves whenever the line tells that session something (an offer, a claim, an
 * offer that lapsed, a ticket taken back), for a session that waits for news instead of asking again and
 * again: its long poll for the next offer ({@code GET /api/tickets?assignee=…&state=offered&wait=N},
 * README). Only the waiting session told is woken to look: forty sessions waiting cost nothing while
 * other sessions are being offered work.
 */
public final class ChangeSignal implements Notifier {
    private final Map<String, Long> versions = new HashMap<>();
    private final Map<String, Integer> waiting = new HashMap<>();

    /** How many waits of this session are under way now (a test sees a long poll waiting by it). */
    public synchronized int waiting(String session) {
        return waiting.getOrDefault(session, 0);
    }

    /** Where the session's counter stands now: pass it to {@link #await} after looking. */
    public synchronized long version(String session) {
        return versions.getOrDefault(session, 0L);
    }

    public synchronized void changed(String session) {
        versions.merge(session, 1L, Long::sum);
        notifyAll();
    }

    /** Waits until the session's counter moves past {@code seen}, {@code timeout} at most; whether it moved. */
    public synchronized boolean await(String session, long seen, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        waiting.merge(session, 1, Integer::sum);
        try {
            while (versions.getOrDefault(session, 0L) == seen) {
                long left = end - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
            return true;
        } finally {
            waiting.merge(session, -1, (a, b) -> a + b == 0 ? null : a + b);
        }
    }

    /** Told after the desk stored what it tells (an offer is in the database before its session wakes). */
    @Override
    public void tell(String session, String service, String text) {
        changed(session);
    }
}
