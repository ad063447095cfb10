package dev.assemblyline.pipeline;

import dev.assemblyline.store.Store;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a replica that follows shows (docs/SCALING.md): each second, when the leader has logged something
 * new or processed a new head, the states, head and layout it stored are taken into this process's
 * {@link Reconciler}, which the API, Slack and the dashboard read. Runs only while the loop does not.
 */
public final class ReplicaView extends Worker {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicaView.class);

    private final Reconciler reconciler;
    private final Store store;
    private final String branch;
    private long lastEvent = -1;
    private String lastHead;

    public ReplicaView(Reconciler reconciler, Store store, String branch) {
        super("replica-view", Duration.ofSeconds(5));
        this.reconciler = reconciler;
        this.store = store;
        this.branch = branch;
    }

    @Override
    protected void starting() {
        lastEvent = -1;
        lastHead = null;
    }

    @Override
    protected long round() {
        try {
            long event = store.lastEventId();
            String head = store.head(branch).orElse(null);
            if (event != lastEvent || !Objects.equals(head, lastHead)) {
                reconciler.follow();
                lastEvent = event;
                lastHead = head;
            }
        } catch (RuntimeException e) {
            LOG.warn("could not read what the leader stored: {}", e.getMessage());
        }
        return TimeUnit.SECONDS.toNanos(1);
    }
}
