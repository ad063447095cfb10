package dev.assemblyline.sim;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One session's clone of the hosted repository, worked with the git command line and the session's own
 * credentials, as a person or an agent would. A push that loses a race re-applies its files on the new
 * head and pushes again; nothing is ever forced.
 */
final class Workspace {
    private final Path dir;
    private final String url;

    private Workspace(Path dir, String url) {
        this.dir = dir;
        this.url = url;
    }

    /** Clones the repository at {@code url} (credentials in it) into {@code dir}. */
    static Workspace clone(Path dir, String url) throws IOException, InterruptedException {
        Files.createDirectories(dir.getParent());
        for (int attempt = 1; ; attempt++) {
            Result r = run(dir.getParent(), "clone", "-q", url, dir.toString());
            if (r.exit() == 0) {
                return new Workspace(dir, url);
            }
            if (attempt == 5) {
                throw new IOException("git clone failed 5 times: " + r.output().lines().findFirst().orElse(""));
            }
            deleteTree(dir); // a clone cut off half way (a busy server): start again
            Thread.sleep(500L * attempt);
        }
    }

    Path dir() {
        return dir;
    }

    /** Brings the clone to the newest head of main (nothing of its own to keep). */
    void sync() throws IOException, InterruptedException {
        git(dir, "fetch", "-q", "origin", "main");
        git(dir, "reset", "-q", "--hard", "origin/main");
    }

    /** Writes the files (path → content; null deletes), commits them and pushes to main; returns the commit. */
    String commit(Map<String, String> files, String message) throws IOException, InterruptedException {
        long giveUp = System.nanoTime() + java.time.Duration.ofMinutes(3).toNanos();
        for (int attempt = 1; ; attempt++) {
            if (!run(dir, "ls-remote", "--exit-code", "origin", "refs/heads/main").output().isBlank()) {
                sync(); // an empty repository (the first push) has nothing to start from
            }
            for (Map.Entry<String, String> f : files.entrySet()) {
                Path p = dir.resolve(f.getKey());
                if (f.getValue() == null) {
                    Files.deleteIfExists(p);
                } else {
                    Files.createDirectories(p.getParent());
                    Files.writeString(p, f.getValue(), StandardCharsets.UTF_8);
                }
            }
            git(dir, "add", "-A");
            git(dir, "commit", "-q", "--allow-empty", "-m", message);
            Result r = run(dir, "push", "-q", "origin", "HEAD:main");
            if (r.exit() == 0) {
                return git(dir, "rev-parse", "HEAD").strip();
            }
            if (System.nanoTime() > giveUp) {
                throw new IOException("push refused " + attempt + " times in 3 minutes: " + r.output().lines().findFirst().orElse(""));
            }
            // someone else pushed first: take the new head and apply again, after a random pause (no herd)
            Thread.sleep(50 + java.util.concurrent.ThreadLocalRandom.current().nextLong(Math.min(3000, 100L * attempt)));
        }
    }

    /** The service folder's tree at a commit without its PRODUCTION/ entry: the tree its tests ran on. */
    String treeWithoutProduction(String commit, String folder) throws IOException, InterruptedException {
        String listing = git(dir, "ls-tree", commit + ":" + folder);
        List<String> kept = new ArrayList<>();
        for (String line : listing.split("\n")) {
            if (!line.isBlank() && !line.endsWith("\tPRODUCTION")) {
                kept.add(line);
            }
        }
        ProcessBuilder pb = new ProcessBuilder("git", "mktree").directory(dir.toFile()).redirectErrorStream(true);
        Process p = pb.start();
        p.getOutputStream().write((String.join("\n", kept) + "\n").getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        p.waitFor(30, TimeUnit.SECONDS);
        return out;
    }

    private static void deleteTree(Path p) throws IOException {
        if (Files.exists(p)) {
            try (var walk = Files.walk(p)) {
                for (Path x : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(x);
                }
            }
        }
    }

    record Result(int exit, String output) {
    }

    static String git(Path dir, String... args) throws IOException, InterruptedException {
        Result r = run(dir, args);
        if (r.exit() != 0) {
            throw new IOException("git " + String.join(" ", args).replaceAll("://[^@/]*@", "://") + " failed: " + r.output());
        }
        return r.output();
    }

    private static Result run(Path dir, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("git", "-c", "user.name=simulated session", "-c", "user.email=session@simulation.invalid"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().put("GIT_TERMINAL_PROMPT", "0");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Result(-1, "timed out");
        }
        return new Result(p.exitValue(), out);
    }
}
