package dev.assemblyline.model;

import java.time.Instant;

/** One line of the event log: what happened to a service (or to the coordinator) and why. */
public record LogEntry(long id, Instant at, String service, String kind, String message) {
}
