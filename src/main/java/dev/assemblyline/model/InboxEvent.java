package dev.assemblyline.model;

import java.time.Instant;

/**
 * One accepted event. {@code id} is 0 until stored. For a push, {@code ref}, {@code before} and
 * {@code after} are the pusher's claims: hints only, the reconciler reads git itself.
 */
public record InboxEvent(long id, String source, String deliveryId, String kind, String ref, String before,
                         String after, Instant receivedAt) {

    public static InboxEvent push(String source, String deliveryId, String ref, String before, String after, Instant at) {
        return new InboxEvent(0, source, deliveryId, "push", ref, before, after, at);
    }
}
