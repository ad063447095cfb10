package dev.assemblyline.model;

import java.time.Instant;
import java.util.List;

/**
 * A worker, person or agent: what it can do ({@code architect}, {@code builder}, {@code tester},
 * {@code devops}), whether it is around, and how much it may hold at once.
 */
public record Session(String id, String name, List<String> capabilities, String status, String currentWork,
                      String slackUser, int wipLimit, String origin, Instant lastHeartbeat, Instant lastAssigned) {

    public static final List<String> CAPABILITIES = List.of("architect", "builder", "tester", "devops");

    public Session {
        capabilities = List.copyOf(capabilities);
    }

    public boolean active() {
        return "active".equals(status);
    }

    public boolean can(String capability) {
        return capabilities.contains(capability);
    }
}
