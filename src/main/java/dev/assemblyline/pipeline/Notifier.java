package dev.assemblyline.pipeline;

import dev.assemblyline.model.Phase;
import dev.assemblyline.model.Ticket;
import dev.assemblyline.store.OutboxStore;
import java.util.List;

/**
 * Where the coordinator says things. The console implementation logs; the Slack one announces in a
 * channel through the outbox. Implementations never block the caller on the network.
 */
public interface Notifier {
    /** A message to one session (a direct message when it has a Slack user). */
    void tell(String session, String service, String text);

    /**
     * The outbox rows that announce a phase change: the reconciler writes them in the same transaction as
     * the change itself, so a crash neither loses nor doubles one. {@link #advanced} follows the commit.
     */
    default List<OutboxStore.Draft> announcement(String service, Phase from, Phase to, String tree, List<String> reasons) {
        return List.of();
    }

    /** One phase change, for a digest. */
    record Change(String service, Phase from, Phase to, String tree) {
    }

    /**
     * The outbox rows that announce many phase changes of one reconcile at once (more than the digest
     * threshold): one message, not one each. Stored in the same transaction as the changes.
     */
    default List<OutboxStore.Draft> digest(List<Change> changes) {
        return List.of();
    }

    /** A service changed phase ({@code from} null for a new service), after the change was stored. */
    default void advanced(String service, Phase from, Phase to, String tree, List<String> reasons) {
    }

    /** Whether {@link #ticketChanged} does anything: if not, the desk need not load tickets to announce them. */
    default boolean listensToTickets() {
        return false;
    }

    /** A ticket changed: offered, claimed, released, expired, done, superseded. {@code line} says what happened. */
    default void ticketChanged(Ticket ticket, Phase phase, String line) {
    }

    /** Its holder reported progress on a ticket (frequent: Slack leaves these to the dashboard and the API). */
    default void progressed(Ticket ticket, String line) {
    }
}
