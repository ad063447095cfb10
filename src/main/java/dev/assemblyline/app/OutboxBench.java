package dev.assemblyline.app;

import dev.assemblyline.slack.OutboxWorker;
import dev.assemblyline.store.Database;
import dev.assemblyline.store.OutboxStore;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "outbox", mixinStandardHelpOptions = true,
        description = {"A burst of announcements to one channel through the Slack outbox: queues them at once, then times the",
                "drain against --slack-api-url (bench/fake-slack.py enforces Slack's one message per second per channel)."})
final class OutboxBench implements Callable<Integer> {
    @Option(names = "--slack-api-url", required = true, paramLabel = "URL", description = "e.g. http://127.0.0.1:9911/api/")
    String apiUrl;

    @Option(names = "--messages", defaultValue = "100")
    int messages;

    @Option(names = "--data", required = true, paramLabel = "DIR", description = "Scratch folder for the database.")
    Path data;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        try (Database db = Database.open(Database.h2Url(data), null, null)) {
            OutboxStore outbox = new OutboxStore(db.jdbc());
            Clock clock = Clock.systemUTC();
            for (int i = 0; i < messages; i++) {
                outbox.add("CBURST", "announce", "burst/" + System.nanoTime() + "/" + i, null, "svc-" + i, null, "burst message " + i, null,
                        clock.instant());
            }
            long t0 = System.nanoTime();
            try (OutboxWorker worker = new OutboxWorker(outbox, "xoxb-bench", apiUrl, clock, Duration.ofSeconds(1))) {
                worker.start();
                while (outbox.depth() > 0 && System.nanoTime() - t0 < Duration.ofMinutes(15).toNanos()) {
                    Thread.sleep(200);
                }
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("bench", "outbox");
            line.put("messages", messages);
            line.put("left_unsent", outbox.depth());
            line.put("drain_s", Math.round(seconds * 10) / 10.0);
            line.put("per_second", Math.round(messages / seconds * 100) / 100.0);
            spec.commandLine().getOut().println(line);
            spec.commandLine().getOut().flush();
            return 0;
        }
    }
}
