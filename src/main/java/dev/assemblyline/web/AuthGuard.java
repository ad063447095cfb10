package dev.assemblyline.web;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Failed token checks, per client address: counted in {@code /metrics}
 * ({@code assembly_auth_failures_total}) and, past {@link #LIMIT} in a minute from one address, answered
 * 429 before any token is looked at. Shared by the REST API and the hosted git repository.
 */
public final class AuthGuard {
    public static final int LIMIT = 20;
    private static final long WINDOW_MS = 60_000;
    private static final int MAX_ADDRESSES = 10_000;

    private final Clock clock;
    private final MeterRegistry metrics;
    private final Map<String, Deque<Long>> failures = new ConcurrentHashMap<>();
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();

    public AuthGuard(Clock clock, MeterRegistry metrics) {
        this.clock = clock;
        this.metrics = metrics;
    }

    /** Whether {@code address} has failed {@link #LIMIT} times in the last minute: answer 429 without checking. */
    public boolean blocked(String address) {
        Deque<Long> d = failures.get(address);
        if (d == null) {
            return false;
        }
        synchronized (d) {
            prune(d, clock.millis());
            return d.size() >= LIMIT;
        }
    }

    /** Records a failed check of a presented token ({@code via}: api, git). */
    public void failed(String address, String via) {
        counters.computeIfAbsent(via, v -> Counter.builder("assembly_auth_failures").description("failed token checks")
                .tag("via", v).register(metrics)).increment();
        long now = clock.millis();
        if (failures.size() > MAX_ADDRESSES) {
            forgetQuiet(now);
        }
        Deque<Long> d = failures.computeIfAbsent(address, a -> new ArrayDeque<>());
        synchronized (d) {
            prune(d, now);
            if (d.size() < LIMIT * 2) {
                d.addLast(now);
            }
        }
    }

    private void forgetQuiet(long now) {
        for (Iterator<Map.Entry<String, Deque<Long>>> it = failures.entrySet().iterator(); it.hasNext(); ) {
            Deque<Long> d = it.next().getValue();
            synchronized (d) {
                prune(d, now);
                if (d.isEmpty()) {
                    it.remove();
                }
            }
        }
    }

    private static void prune(Deque<Long> d, long now) {
        while (!d.isEmpty() && d.peekFirst() <= now - WINDOW_MS) {
            d.removeFirst();
        }
    }
}
