package dev.assemblyline.pipeline;

import dev.assemblyline.model.InboxEvent;
import dev.assemblyline.model.LogEntry;
import dev.assemblyline.store.Store;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where events come in: webhook deliveries (through the web server), pushes to the hosted repository
 * (from inside the push) and Slack events (recorded so a retry is never acted on twice). Stores them in
 * the inbox, counts them ({@code assembly_events_total}) and wakes the loop. Made before the server and
 * the git servlet, which both use it.
 */
public final class Intake {
    private final Store store;
    private final Runnable onAccepted;
    private final MeterRegistry metrics;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();

    /** @param onAccepted wakes the loop for a new inbox event */
    public Intake(Store store, Runnable onAccepted, MeterRegistry metrics) {
        this.store = store;
        this.onAccepted = onAccepted;
        this.metrics = metrics;
        store.onSettled(() -> settled.changed(SETTLED));
    }

    /** Moves each time the loop settles inbox events in this process: a push waiting for its outcome looks again. */
    private final ChangeSignal settled = new ChangeSignal();
    private static final String SETTLED = "inbox";

    /** Counts a delivery by source and what became of it (refused ones too: "unauthorized", "too_large", …). */
    public void count(String source, String outcome) {
        counters.computeIfAbsent(source + "/" + outcome, k -> Counter.builder("assembly_events")
                .description("webhook deliveries and hosted pushes, by source and what became of them").tag("source", source)
                .tag("outcome", outcome).register(metrics)).increment();
    }

    /** Stores an event made inside the coordinator (a hosted push), counted and de-duplicated like a delivery. */
    public Store.Accepted accept(InboxEvent e) {
        return accept(e.source(), e);
    }

    /** Stores a verified delivery, counted under {@code countAs} (the webhook's provider), and wakes the loop. */
    public Store.Accepted accept(String countAs, InboxEvent e) {
        Store.Accepted a = store.accept(e);
        count(countAs, a.duplicate() ? "duplicate" : "accepted");
        if (!a.duplicate()) {
            onAccepted.run();
        }
        return a;
    }

    private dev.assemblyline.store.CiStore ci;
    private Runnable onVerdict = () -> { };

    /** Where CI verdicts are kept (docs/ci.md), and what wakes the leader to apply them. */
    public Intake withVerdicts(dev.assemblyline.store.CiStore ci, Runnable onVerdict) {
        this.ci = ci;
        this.onVerdict = onVerdict;
        return this;
    }

    /** Stores verified CI verdicts (a check, a status, a pipeline) durably, then wakes the leader. */
    public void acceptVerdicts(String countAs, List<dev.assemblyline.model.CiVerdict> verdicts, java.time.Instant now) {
        ci.record(verdicts, now);
        count(countAs, "verdict");
        onVerdict.run();
    }

    /** Records an event handled on the spot (a Slack event); a duplicate means it was acted on before. */
    public Store.Accepted acceptHandled(InboxEvent e) {
        return store.acceptHandled(e, "accepted");
    }

    /** What became of an event handled on the spot, on its inbox row. */
    public void settle(String source, String deliveryId, String outcome) {
        store.settle(source, deliveryId, outcome);
    }

    /**
     * A push to the hosted repository, from inside the push: stored, then (when {@code wait} is not zero)
     * waited for until the loop has processed it, so the pusher's {@code git push} ends with the phases
     * it changed ("remote: assembly: hello: new → READY_FOR_BUILD …") and a request made right after it
     * sees them. Bounded: a busy loop answers "still being processed" after {@code wait}.
     */
    public List<String> acceptPush(InboxEvent e, Duration wait) {
        long mark = store.latestEvents(null, 1).stream().mapToLong(LogEntry::id).max().orElse(0);
        Store.Accepted a = accept(e);
        if (a.duplicate() || wait.isZero()) {
            return List.of();
        }
        long until = System.nanoTime() + wait.toNanos();
        Optional<String> outcome = Optional.empty();
        try {
            // looked at again each time the loop settles events here; at least every 250 ms (another replica may settle it)
            for (long seen = settled.version(SETTLED); (outcome = store.outcome(e.source(), e.deliveryId())).isEmpty() && System.nanoTime() < until;
                 seen = settled.version(SETTLED)) {
                settled.await(SETTLED, seen, Duration.ofNanos(Math.min(Duration.ofMillis(250).toNanos(), until - System.nanoTime())));
            }
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
        if (outcome.isEmpty()) {
            return List.of("assembly: accepted; still being processed (the coordinator is busy): GET /api/services shows the phases");
        }
        List<String> lines = new ArrayList<>();
        int more = 0;
        List<LogEntry> since = store.events(mark, null, 1000);
        for (LogEntry l : since) {
            if (l.kind().equals("phase") && l.service() != null) {
                if (lines.size() < 20) {
                    lines.add("assembly: " + l.service() + ": " + printable(l.message()));
                } else {
                    more++;
                }
            }
        }
        if (more > 0) {
            lines.add("assembly: and " + (since.size() == 1000 ? "at least " : "") + more + " more phase changes: GET /api/services");
        }
        if (lines.isEmpty()) {
            lines.add("assembly: no phase changed (" + printable(outcome.get()) + ")");
        }
        return lines;
    }

    /** One line for a git client's sideband: no control characters, bounded. */
    private static String printable(String s) {
        String one = s.replaceAll("\\p{Cntrl}", " ");
        return one.length() <= 400 ? one : one.substring(0, 399) + "…";
    }
}
