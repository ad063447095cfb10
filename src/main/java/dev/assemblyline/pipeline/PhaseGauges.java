package dev.assemblyline.pipeline;

import dev.assemblyline.model.Phase;
import dev.assemblyline.model.ServiceState;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Collection;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/** {@code assembly_services{phase=…}}: how many services are in each phase, as the loop holds them. */
final class PhaseGauges {
    private final Map<Phase, AtomicInteger> perPhase = new EnumMap<>(Phase.class);

    PhaseGauges(MeterRegistry metrics) {
        for (Phase p : Phase.values()) {
            AtomicInteger n = new AtomicInteger();
            perPhase.put(p, n);
            Gauge.builder("assembly_services", n, AtomicInteger::get).description("services by phase").tag("phase", p.name()).register(metrics);
        }
    }

    void count(Collection<ServiceState> states) {
        Map<Phase, Integer> counts = new EnumMap<>(Phase.class);
        states.forEach(s -> counts.merge(s.phase(), 1, Integer::sum));
        perPhase.forEach((p, n) -> n.set(counts.getOrDefault(p, 0)));
    }
}
