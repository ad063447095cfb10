package dev.assemblyline.verify;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Runs a shell command for a service (its tests, its deploy) in a {@link Sandbox} and its own process
 * group ({@code setsid}), with an allow-listed environment, a timeout after which the whole group is
 * killed, and only the last {@link #OUTPUT_LIMIT} bytes of output kept. Children left behind when the
 * command ends are killed too.
 */
public final class ProcessRunner {
    public static final int OUTPUT_LIMIT = 1 << 20;

    /** How it ended. */
    public record Result(int exitCode, boolean timedOut, boolean cancelled, String output, Duration took) {
    }

    private ProcessRunner() {
    }

    /** Variables that belong to the coordinator itself: never handed to a service's command, even named in deploy_secrets. */
    public static boolean coordinatorOwned(String name) {
        String u = name.toUpperCase(Locale.ROOT);
        return u.startsWith("SLACK_") || u.startsWith("ASSEMBLY_") || u.contains("DATABASE_URL") || u.startsWith("JDBC")
                || u.startsWith("PG") && u.length() <= 12 || u.equals("JAVA_OPTS") || u.equals("JAVA_TOOL_OPTIONS");
    }

    /** What to run and how. */
    public record Job(String command, Path dir, List<Path> writable, boolean network, Map<String, String> extraEnv, Duration timeout) {
    }

    public static Result run(Sandbox sandbox, Job job, BooleanSupplier cancelled) throws IOException, InterruptedException {
        return run(sandbox, job, cancelled, tail -> { });
    }

    /**
     * Runs {@code job} in {@code sandbox}, in its own process group; {@code watch} sees the last few KB of
     * output whenever it grew, while the command runs. Throws {@link Sandbox.Unavailable} when the
     * sandbox refuses to run commands at all.
     */
    public static Result run(Sandbox sandbox, Job job, BooleanSupplier cancelled, java.util.function.Consumer<String> watch)
            throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(List.of("setsid"));
        argv.addAll(sandbox.command(job.command(), job.dir(), job.writable(), job.network()));
        Map<String, String> env = sandbox.environment(job.extraEnv());
        Path home = null;
        if (!sandbox.sandboxed()) {
            home = Files.createTempDirectory("assembly-home-");
            env.put("HOME", home.toString());
        }
        try {
            return exec(argv, job.dir(), env, job.timeout(), cancelled, watch);
        } finally {
            if (home != null) {
                deleteTree(home);
            }
        }
    }

    /** Deletes a folder and everything in it; a leftover temporary folder is not worth failing a run for. */
    public static void deleteTree(Path dir) {
        try (java.util.stream.Stream<Path> s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // gone already, or not ours to delete
        }
    }

    private static Result exec(List<String> argv, Path dir, Map<String, String> env, Duration timeout, BooleanSupplier cancelled,
                               java.util.function.Consumer<String> watch) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(argv).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().clear();
        pb.environment().putAll(env);
        long limit = Math.min(Math.max(timeout.toMillis(), 1), Duration.ofDays(1).toMillis()); // no overflow, no forever
        long t0 = System.nanoTime();
        long deadline = t0 + TimeUnit.MILLISECONDS.toNanos(limit);
        Process p = pb.start();
        long group = p.pid();
        Tail tail = new Tail(OUTPUT_LIMIT);
        Thread reader = new Thread(() -> tail.drain(p.getInputStream()), "output-" + group);
        reader.setDaemon(true);
        reader.start();
        boolean timedOut = false;
        boolean wasCancelled = false;
        try {
            long seen = 0;
            long wait = 5; // short waits first: a quick command is not held up by the polling
            while (!p.waitFor(wait, TimeUnit.MILLISECONDS)) {
                wait = Math.min(200, wait * 2);
                long now = tail.written();
                if (now != seen) {
                    seen = now;
                    try {
                        watch.accept(tail.last(4096));
                    } catch (RuntimeException ignored) {
                        // a listener's problem is not the suite's
                    }
                }
                if (cancelled.getAsBoolean()) {
                    wasCancelled = true;
                    break;
                }
                if (System.nanoTime() > deadline) {
                    timedOut = true;
                    break;
                }
            }
        } finally {
            killGroup(group); // at the timeout, on cancel, on an interrupt and after a normal end: nothing it started outlives it
        }
        p.waitFor(5, TimeUnit.SECONDS);
        reader.join(5000);
        try {
            watch.accept(tail.last(4096)); // the last lines too: a listener hears how it ended
        } catch (RuntimeException ignored) {
            // a listener's problem is not the suite's
        }
        int exit = p.isAlive() ? -1 : p.exitValue();
        String out = tail.text();
        if (timedOut) {
            out += "\n[assembly] killed after " + timeout.toSeconds() + " s (the whole process group)\n";
        }
        return new Result(exit, timedOut, wasCancelled, out, Duration.ofNanos(System.nanoTime() - t0));
    }

    static void killGroup(long pgid) {
        try {
            Process k = new ProcessBuilder("kill", "-KILL", "--", "-" + pgid).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            k.waitFor(5, TimeUnit.SECONDS);
        } catch (IOException | InterruptedException e) {
            // the group is already gone, or we are shutting down
        }
    }

    /** Keeps the last {@code limit} bytes of a stream. */
    static final class Tail {
        private final byte[] ring;
        private long written;

        Tail(int limit) {
            this.ring = new byte[limit];
        }

        void drain(InputStream in) {
            byte[] buf = new byte[8192];
            try (in) {
                int n;
                while ((n = in.read(buf)) > 0) {
                    synchronized (this) {
                        for (int i = 0; i < n; i++) {
                            ring[(int) (written++ % ring.length)] = buf[i];
                        }
                    }
                }
            } catch (IOException e) {
                // the process is gone
            }
        }

        synchronized long written() {
            return written;
        }

        /** The last {@code n} bytes (or fewer) as text. */
        synchronized String last(int n) {
            int len = (int) Math.min(n, Math.min(written, ring.length));
            byte[] out = new byte[len];
            for (int i = 0; i < len; i++) {
                out[i] = ring[(int) ((written - len + i) % ring.length)];
            }
            return new String(out, StandardCharsets.UTF_8);
        }

        synchronized String text() {
            if (written <= ring.length) {
                return new String(ring, 0, (int) written, StandardCharsets.UTF_8);
            }
            int start = (int) (written % ring.length);
            byte[] out = new byte[ring.length];
            System.arraycopy(ring, start, out, 0, ring.length - start);
            System.arraycopy(ring, 0, out, ring.length - start, start);
            return "[assembly] output cut to its last " + ring.length + " bytes\n" + new String(out, StandardCharsets.UTF_8);
        }
    }
}
