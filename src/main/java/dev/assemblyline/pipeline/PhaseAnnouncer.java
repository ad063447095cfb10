package dev.assemblyline.pipeline;

import dev.assemblyline.model.Phase;
import dev.assemblyline.model.ServiceState;
import dev.assemblyline.store.OutboxStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The announcements of one reconcile's phase changes: drafts stored in the same transaction as the change
 * (the transactional outbox), then the notifiers told after the commit. More changes than
 * {@code digestOver} are one digest, not one message each. A notifier that fails never undoes a change.
 */
final class PhaseAnnouncer {
    private static final Logger LOG = LoggerFactory.getLogger(PhaseAnnouncer.class);

    private final Notifier notifier;
    private final int digestOver;

    /** @param digestOver more phase changes than this in one reconcile are announced as one digest (ASSEMBLY_SLACK_DIGEST) */
    PhaseAnnouncer(Notifier notifier, int digestOver) {
        this.notifier = notifier;
        this.digestOver = digestOver;
    }

    /** The drafts to store with the change: one per moved service, or one digest. */
    List<OutboxStore.Draft> drafts(List<ServiceState> upserts, Map<String, Phase> before) {
        List<ServiceState> moved = moved(upserts, before);
        if (moved.size() > digestOver) {
            try {
                return notifier.digest(moved.stream().map(s -> new Notifier.Change(s.service(), before.get(s.service()), s.phase(), s.tree()))
                        .toList());
            } catch (RuntimeException e) {
                LOG.warn("announcing {} phase changes failed: {}", moved.size(), e.getMessage());
                return List.of();
            }
        }
        List<OutboxStore.Draft> out = new ArrayList<>();
        for (ServiceState s : moved) {
            try {
                out.addAll(notifier.announcement(s.service(), before.get(s.service()), s.phase(), s.tree(), s.reasons()));
            } catch (RuntimeException e) {
                LOG.warn("announcing {} failed: {}", s.service(), e.getMessage()); // the phase change is stored all the same
            }
        }
        return out;
    }

    /** After the commit: the notifiers hear of each change (the console logs it; Slack's wakes its outbox), once for a digest. */
    void tell(List<ServiceState> upserts, Map<String, Phase> before) {
        List<ServiceState> moved = moved(upserts, before);
        if (moved.size() > digestOver) {
            LOG.info("{} services changed phase in one reconcile: announced as one digest", moved.size());
        }
        for (ServiceState s : moved.size() > digestOver ? moved.subList(0, 1) : moved) {
            try {
                notifier.advanced(s.service(), before.get(s.service()), s.phase(), s.tree(), s.reasons());
            } catch (RuntimeException e) {
                LOG.warn("announcing {} failed: {}", s.service(), e.getMessage());
            }
        }
    }

    private static List<ServiceState> moved(List<ServiceState> upserts, Map<String, Phase> before) {
        return upserts.stream().filter(s -> before.get(s.service()) != s.phase()).toList();
    }
}
