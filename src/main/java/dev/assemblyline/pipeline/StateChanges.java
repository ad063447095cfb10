package dev.assemblyline.pipeline;

import dev.assemblyline.model.Detection;
import dev.assemblyline.model.LogEntry;
import dev.assemblyline.model.ServiceState;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/** What a detection changes: a new state to store (and a log line when the phase moved), or nothing. */
final class StateChanges {
    private StateChanges() {
    }

    /** Records a detection when it differs from what is stored; logs phase changes with their reasons. */
    static void compare(ServiceState old, Detection d, Instant now, String why, List<ServiceState> upserts, List<LogEntry> log) {
        List<String> reasons = Reasons.bounded(d.reasons());
        if (old != null && old.phase() == d.phase() && old.reasons().equals(reasons) && Objects.equals(old.tree(), d.tree())) {
            return;
        }
        boolean moved = old == null || old.phase() != d.phase();
        upserts.add(new ServiceState(d.service(), d.phase(), reasons, d.tree(), moved ? now : old.since()));
        if (moved) {
            String from = old == null ? "new" : old.phase().name();
            log.add(new LogEntry(0, now, d.service(), "phase",
                    from + " → " + d.phase() + ": " + String.join("; ", reasons) + " (" + why + ")"));
        }
    }

}
