package dev.assemblyline;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs outside programs from tests; a missing program fails the test with a message, never skips it. */
public final class Tools {
    private Tools() {
    }

    public record Result(int exit, String out, String err) {
    }

    public static Result run(Path dir, List<String> command) throws IOException, InterruptedException {
        Path out = Files.createTempFile("out", ".txt");
        Path err = Files.createTempFile("err", ".txt");
        Process p;
        try {
            p = new ProcessBuilder(command).directory(dir == null ? null : dir.toFile())
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        } catch (IOException e) {
            throw new AssertionError("cannot start " + command.get(0) + ": it must be installed for this test ("
                    + e.getMessage() + ")", e);
        }
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError(command + " did not finish in 10 minutes");
        }
        try {
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** Runs and demands exit code 0, returning stdout. */
    public static String ok(Path dir, String... command) throws IOException, InterruptedException {
        Result r = run(dir, List.of(command));
        if (r.exit() != 0) {
            throw new AssertionError(String.join(" ", command) + " exited " + r.exit() + ":\n" + r.err() + r.out());
        }
        return r.out();
    }

    /** The hosted repository's URL with the admin's credentials in it (the URL form the README shows). */
    public static String gitUrl(dev.assemblyline.app.Wiring server) {
        return "http://admin:" + server.config.effectiveAdminToken() + "@127.0.0.1:" + server.port() + "/git/services.git";
    }

    /** The project's top folder (where pom.xml is). */
    public static Path projectDir() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("pom.xml"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new AssertionError("tests must run inside the project (no pom.xml above " + Path.of("").toAbsolutePath() + ")");
        }
        return p;
    }

    /** One figure of a running coordinator's /metrics (the first line that starts with {@code name}), or NaN when it is not there. */
    public static double metric(int port, String name) {
        try {
            String body = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://127.0.0.1:" + port + "/metrics")).build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            return body.lines().filter(l -> l.startsWith(name + " ")).map(l -> Double.parseDouble(l.substring(name.length() + 1).strip()))
                    .findFirst().orElse(Double.NaN);
        } catch (java.io.IOException e) {
            return Double.NaN;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Double.NaN;
        }
    }
}
