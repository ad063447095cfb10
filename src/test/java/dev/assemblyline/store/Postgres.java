package dev.assemblyline.store;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real PostgreSQL server for the tests, started once per test JVM from the binaries on the machine
 * ({@code initdb} / {@code pg_ctl}, found on PATH or under /usr/lib/postgresql/&lt;version&gt;/bin) in a
 * temporary folder on a free port. As root it runs as the {@code postgres} user, which initdb demands.
 * If it cannot start, the test fails saying why; it never skips.
 */
public final class Postgres {
    private static Postgres instance;
    private static final AtomicInteger DATABASES = new AtomicInteger();

    private final Path dir;
    private final int port;
    private final String bin;
    private final boolean asPostgres;

    private Postgres(Path dir, int port, String bin, boolean asPostgres) {
        this.dir = dir;
        this.port = port;
        this.bin = bin;
        this.asPostgres = asPostgres;
    }

    public static synchronized Postgres get() {
        if (instance == null) {
            instance = start();
            Runtime.getRuntime().addShutdownHook(new Thread(instance::stop));
        }
        return instance;
    }

    /**
     * What a coordinator's environment needs to run on {@code kind}: "h2" adds nothing (the embedded
     * default), "postgres" a new database on the shared server. For tests parameterised on both.
     */
    public static java.util.Map<String, String> env(String kind) {
        return switch (kind) {
            case "h2" -> java.util.Map.of();
            case "postgres" -> java.util.Map.of("ASSEMBLY_DB_URL", get().newDatabase());
            default -> throw new IllegalArgumentException("no database " + kind);
        };
    }

    /** A new, empty store on {@code kind}: H2 in a new folder under {@code dir}, or a new database on the shared server. */
    public static Database open(String kind, java.nio.file.Path dir) {
        return switch (kind) {
            case "h2" -> Database.open(Database.h2Url(dir.resolve("h2-" + System.nanoTime())), null, null);
            case "postgres" -> Database.open(get().newDatabase(), null, null);
            default -> throw new IllegalArgumentException("no database " + kind);
        };
    }

    /** A new, empty database on the shared server: its JDBC URL. */
    public String newDatabase() {
        String name = "t" + ProcessHandle.current().pid() + "_" + DATABASES.incrementAndGet();
        try (Connection c = DriverManager.getConnection(url("postgres"), "postgres", "");
             Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (Exception e) {
            throw new AssertionError("creating database " + name + " on PostgreSQL at port " + port + ": " + e.getMessage(), e);
        }
        return url(name);
    }

    public String url(String db) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + db + "?user=postgres";
    }

    private static Postgres start() {
        String bin = findBin();
        boolean root = "root".equals(System.getProperty("user.name"));
        try {
            Path dir = Files.createTempDirectory("assembly-pg");
            Path data = dir.resolve("data");
            if (root) {
                run(List.of("chown", "-R", "postgres", dir.toString()), dir);
                dir.toFile().setExecutable(true, false);
                dir.getParent().toFile().setExecutable(true, false);
            }
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            Postgres pg = new Postgres(dir, port, bin, root);
            pg.asUser(List.of(bin + "/initdb", "-D", data.toString(), "-A", "trust", "-U", "postgres", "--no-sync"));
            pg.asUser(List.of(bin + "/pg_ctl", "-D", data.toString(), "-w", "-t", "60", "-l", dir.resolve("log").toString(),
                    "-o", "-p " + port + " -k " + dir + " -h 127.0.0.1 -F", "start"));
            return pg;
        } catch (IOException | InterruptedException e) {
            throw new AssertionError("PostgreSQL could not be started from " + bin + ": " + e.getMessage(), e);
        }
    }

    private static String findBin() {
        List<String> candidates = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            for (String p : path.split(File.pathSeparator)) {
                candidates.add(p);
            }
        }
        File lib = new File("/usr/lib/postgresql");
        String[] versions = lib.list();
        if (versions != null) {
            java.util.Arrays.sort(versions);
            for (int i = versions.length - 1; i >= 0; i--) {
                candidates.add(lib + "/" + versions[i] + "/bin");
            }
        }
        for (String c : candidates) {
            if (new File(c, "initdb").canExecute() && new File(c, "pg_ctl").canExecute()) {
                return new File(c, "initdb").toPath().toAbsolutePath().getParent().toString();
            }
        }
        throw new AssertionError("PostgreSQL server binaries (initdb, pg_ctl) are needed for the store tests and were not found"
                + " on PATH or under /usr/lib/postgresql/*/bin; install PostgreSQL 15 (apt-get install postgresql)");
    }

    private void asUser(List<String> command) throws IOException, InterruptedException {
        List<String> full = new ArrayList<>();
        if (asPostgres) {
            full.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        full.addAll(command);
        run(full, dir);
    }

    private static void run(List<String> command, Path dir) throws IOException, InterruptedException {
        Path out = Files.createTempFile("pg", ".out");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", command) + " did not finish in 120 s");
        }
        if (p.exitValue() != 0) {
            String log = Files.readString(out);
            Path serverLog = dir.resolve("log");
            if (Files.exists(serverLog)) {
                log += "\nserver log:\n" + Files.readString(serverLog);
            }
            throw new IOException(String.join(" ", command) + " exited " + p.exitValue() + ":\n" + log);
        }
    }

    private void stop() {
        try {
            asUser(List.of(bin + "/pg_ctl", "-D", dir.resolve("data").toString(), "-m", "immediate", "stop"));
        } catch (Exception ignored) {
            // the JVM is exiting
        }
    }
}
