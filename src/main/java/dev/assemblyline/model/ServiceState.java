package dev.assemblyline.model;

import java.time.Instant;
import java.util.List;

/** A service's phase as last reconciled, and since when it has been in it. */
public record ServiceState(String service, Phase phase, List<String> reasons, String tree, Instant since) {
    public ServiceState {
        reasons = List.copyOf(reasons);
    }
}
