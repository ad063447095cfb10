package dev.assemblyline.pipeline;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one reconcile thread: drains the inbox whenever it is signalled, and looks at everything once at
 * start and every {@code resyncEvery}, so what happened while the server was down, or a lost webhook,
 * is caught up from git.
 */
public final class ReconcileLoop implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ReconcileLoop.class);

    private final Reconciler reconciler;
    private final Duration resyncEvery;
    private final Semaphore wake = new Semaphore(0);
    private final Thread thread;
    private volatile boolean running = true;

    public ReconcileLoop(Reconciler reconciler, Duration resyncEvery) {
        this.reconciler = reconciler;
        this.resyncEvery = resyncEvery;
        this.thread = new Thread(this::run, "reconcile");
        this.thread.setDaemon(true);
    }

    public ReconcileLoop start() {
        thread.start();
        return this;
    }

    /** Something new is in the inbox. */
    public void signal() {
        wake.release();
    }

    private void run() {
        long nextResync = System.nanoTime();
        while (running) {
            boolean failed = false;
            try {
                reconciler.drain();
            } catch (Throwable e) {
                failed = true;
                LOG.error("processing the inbox failed; the events stay pending and are retried: {}", e.getMessage(), e);
            }
            if (System.nanoTime() - nextResync >= 0) {
                try {
                    LOG.debug("resync: {}", reconciler.resync());
                } catch (Throwable e) {
                    LOG.error("resync failed; retrying at the next one: {}", e.getMessage(), e);
                }
                nextResync = System.nanoTime() + resyncEvery.toNanos();
            }
            try {
                long untilResync = Math.max(1, nextResync - System.nanoTime());
                if (failed) {
                    // back off a second before retrying, whatever arrives meanwhile
                    TimeUnit.NANOSECONDS.sleep(Math.min(untilResync, TimeUnit.SECONDS.toNanos(1)));
                } else if (wake.tryAcquire(untilResync, TimeUnit.NANOSECONDS)) {
                    wake.drainPermits();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
