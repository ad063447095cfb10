package dev.assemblyline.app;

import dev.assemblyline.model.LogEntry;
import dev.assemblyline.model.Phase;
import dev.assemblyline.model.ServiceState;
import dev.assemblyline.store.Database;
import dev.assemblyline.store.OutboxStore;
import dev.assemblyline.store.Store;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "fencing", mixinStandardHelpOptions = true,
        description = {"What the fencing check (docs/SCALING.md) adds to storing a reconcile on PostgreSQL: the same reconcile",
                "(changed services' states, their log entries and announcements, the new head) stored with this process",
                "leading at an epoch (every write checked) and not leading (unchecked), in alternating rounds; medians in ms.",
                "Needs an empty PostgreSQL database (the bench creates its tables): e.g. sh bench/chaos/pg.sh start /tmp/pg 55432."})
final class FencingBench implements Callable<Integer> {
    @Option(names = "--db-url", required = true, paramLabel = "URL", description = "jdbc:postgresql://… of a database to write into")
    String url;

    @Option(names = "--services", defaultValue = "1", description = "Services changed in each reconcile (default ${DEFAULT-VALUE}).")
    int services;

    @Option(names = "--rounds", defaultValue = "400", description = "Reconciles stored per mode (default ${DEFAULT-VALUE}).")
    int rounds;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (!url.startsWith("jdbc:postgresql:")) {
            throw new Main.UserException("--db-url must be a PostgreSQL URL: fencing is PostgreSQL's (H2 runs one process)");
        }
        try (Database db = Database.open(url, null, null, "fencing-bench")) {
            Store store = new Store(db.jdbc());
            store.epoch(db.fence()::epoch);
            long epoch = db.jdbc().first("raising the epoch", "UPDATE leader_fence SET epoch = epoch + 1 WHERE id = 1 RETURNING epoch",
                    rs -> rs.getLong(1)).orElseThrow();
            long[] on = new long[rounds];
            long[] off = new long[rounds];
            for (int warm = 0; warm < 50; warm++) {
                store.apply(batch(warm), Instant.now());
            }
            for (int i = 0; i < rounds; i++) {
                // alternating, so a slower minute of a shared machine weighs on both
                db.fence().set(epoch);
                long t0 = System.nanoTime();
                store.apply(batch(2 * i), Instant.now());
                on[i] = System.nanoTime() - t0;
                db.fence().set(0);
                t0 = System.nanoTime();
                store.apply(batch(2 * i + 1), Instant.now());
                off[i] = System.nanoTime() - t0;
            }
            double medOn = median(on);
            double medOff = median(off);
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("bench", "fencing");
            line.put("services_per_reconcile", services);
            line.put("rounds", rounds);
            line.put("fenced_median_ms", Math.round(medOn * 1000) / 1000.0);
            line.put("unfenced_median_ms", Math.round(medOff * 1000) / 1000.0);
            line.put("added_ms", Math.round((medOn - medOff) * 1000) / 1000.0);
            spec.commandLine().getOut().println(new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(line));
            spec.commandLine().getOut().flush();
            return 0;
        }
    }

    private Store.Batch batch(int round) {
        Instant now = Instant.now();
        List<ServiceState> upserts = new ArrayList<>();
        List<LogEntry> log = new ArrayList<>();
        List<OutboxStore.Draft> drafts = new ArrayList<>();
        String head = String.format("%040x", round);
        for (int s = 0; s < services; s++) {
            String name = "svc-" + s;
            Phase phase = round % 2 == 0 ? Phase.READY_FOR_BUILD : Phase.SPEC_INCOMPLETE;
            upserts.add(new ServiceState(name, phase, List.of("round " + round), head, now));
            log.add(new LogEntry(0, now, name, "phase", name + " → " + phase));
            drafts.add(new OutboxStore.Draft("CBENCH", "announce", "bench/" + name + "/" + round, null, name, null, name + " → " + phase, null));
        }
        return new Store.Batch(upserts, List.of(), log, "main", head, List.of(), "bench round " + round, drafts);
    }

    private static double median(long[] nanos) {
        long[] s = nanos.clone();
        Arrays.sort(s);
        return s[s.length / 2] / 1e6;
    }
}
