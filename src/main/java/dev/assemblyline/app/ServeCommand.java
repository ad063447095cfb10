package dev.assemblyline.app;

import java.time.Clock;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Run the coordinator. With no configuration: port 8900 (PORT wins), H2 under ./data,",
                "a hosted git repository at http://localhost:8900/git/services.git.",
                "Configuration is by environment variable; see .env.example."})
final class ServeCommand implements Callable<Integer> {
    @Override
    public Integer call() throws InterruptedException {
        Config config;
        try {
            config = Config.fromEnv(System.getenv());
        } catch (Config.Invalid e) {
            throw new Main.UserException("configuration: " + e.getMessage());
        }
        Wiring w = new Wiring(config, Clock.systemUTC(), true);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            w.close();
            stopped.countDown();
        }, "shutdown"));
        System.err.println();
        if (config.followMode()) {
            System.err.println("Next: push a SERVICES/<name>/SPEC.md to the followed repository; its webhook (docs/webhooks-github.md)"
                    + " or the resync every " + config.resyncEvery().toSeconds() + " s brings it here");
            System.err.println("      curl http://localhost:" + w.port() + "/api/services");
            stopped.await();
            return 0;
        }
        String token = config.adminToken() != null ? "$ASSEMBLY_ADMIN_TOKEN" : "$(cat " + config.dataDir().resolve("admin-token") + ")";
        System.err.println("Next (README): git clone \"http://admin:" + token + "@localhost:" + w.port() + "/git/services.git\" && cd services");
        System.err.println("      mkdir -p SERVICES/hello && cp ../templates/SPEC.md SERVICES/hello/SPEC.md");
        System.err.println("      git add . && git commit -m 'hello spec' && git push origin HEAD:main");
        System.err.println("      curl http://localhost:" + w.port() + "/api/services/hello");
        stopped.await();
        return 0;
    }
}
