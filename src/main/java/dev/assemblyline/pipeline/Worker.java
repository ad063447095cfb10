package dev.assemblyline.pipeline;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The one way a long-lived worker thread lives here (the reconcile loop, the Slack outbox): a named
 * daemon thread that runs rounds until closed, each round saying how long to wait before the next; a
 * signal cuts the wait short; {@link #close} wakes it and joins it, never interrupting it, because an
 * interrupt during a database write closes H2's file channel under the writer. See docs/ARCHITECTURE.md,
 * "Threads".
 */
public abstract class Worker implements AutoCloseable {
    private final String name;
    private final Duration joinFor;
    private final Semaphore wake = new Semaphore(0);
    private volatile Thread thread;
    private volatile boolean running;

    /** @param joinFor how long {@link #close} waits for the round in progress to finish */
    protected Worker(String name, Duration joinFor) {
        this.name = name;
        this.joinFor = joinFor;
    }

    /**
     * Starts the thread; a closed worker may be started again (a replica that leads again, see
     * docs/SCALING.md), once its last thread has ended.
     */
    public final synchronized void start() {
        if (thread != null && thread.isAlive()) {
            throw new IllegalStateException(name + " is still running");
        }
        starting();
        running = true;
        wake.drainPermits();
        Thread t = new Thread(this::run, name);
        t.setDaemon(true);
        thread = t;
        t.start();
    }

    /** Called on the starting thread before each start (state of a previous run is reset here). */
    protected void starting() {
    }

    /** Ends the current wait: something may be ready. */
    public void signal() {
        wake.release();
    }

    /** Whether the thread runs (a coordinator may be built without starting it). */
    public final boolean alive() {
        Thread t = thread;
        return t != null && t.isAlive();
    }

    /** One round; returns nanoseconds to wait before the next (a signal may cut it short). */
    protected abstract long round();

    /** Waits up to {@code nanos} for a signal (further signals until now are folded in). */
    protected void pause(long nanos) throws InterruptedException {
        if (wake.tryAcquire(nanos, TimeUnit.NANOSECONDS)) {
            wake.drainPermits();
        }
    }

    private void run() {
        while (running) {
            long wait = round();
            if (!running) {
                return;
            }
            try {
                pause(Math.max(1, wait));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Override
    public void close() {
        running = false;
        signal();
        Thread t = thread;
        if (t == null) {
            return;
        }
        try {
            t.join(joinFor.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
