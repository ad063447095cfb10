package dev.assemblyline.verify;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Where repository commands run (tests, deploys, restarts): whoever can push writes them, so they run
 * under bubblewrap, never as the coordinator. Inside: their own PID, IPC and UTS namespaces (the
 * coordinator's processes and their {@code /proc/<pid>/environ} are not there), no network unless asked
 * for, the system directories read-only, only the checkout, the reports folder and a private
 * {@code /tmp} writable; the coordinator's data directory, its home and everything else on the disk
 * are simply not mounted. The environment is an allow-list ({@link #environment}), never the
 * coordinator's own minus a few names. See docs/security.md.
 *
 * <p>Where bubblewrap cannot run, {@link #check} says why; repository commands are then refused unless
 * the operator set {@code ASSEMBLY_UNSANDBOXED=1}, in which case they run in their own process group
 * with the same allow-listed environment.
 */
public final class Sandbox {
    /** System directories mounted read-only (those that exist); symbolic links among them are recreated as links. */
    static final List<String> SYSTEM = List.of("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt");
    /** Variables a command may see from the coordinator's environment, by name. Nothing else passes. */
    public static final List<String> ALLOWED = List.of("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TERM", "JAVA_HOME", "MAVEN_HOME",
            "M2_HOME", "GOROOT", "GOFLAGS", "GOPROXY", "NODE_PATH", "NODE_OPTIONS", "PYTHONPATH");
    /** The HOME a command sees: inside its private /tmp. */
    public static final String HOME = "/tmp/home";

    /** Refused: no sandbox, and the operator did not allow running without one. */
    public static final class Unavailable extends IOException {
        public Unavailable(String message) {
            super(message);
        }
    }

    private final String bwrap;
    private final String problem;
    private final boolean allowUnsandboxed;
    private final List<Path> readOnly;
    private final List<Path> hidden;
    private final Map<String, String> env;

    private Sandbox(String bwrap, String problem, boolean allowUnsandboxed, List<Path> readOnly, List<Path> hidden, Map<String, String> env) {
        this.bwrap = bwrap;
        this.problem = problem;
        this.allowUnsandboxed = allowUnsandboxed;
        this.readOnly = readOnly;
        this.hidden = hidden;
        this.env = env;
    }

    /**
     * Finds bubblewrap and checks that it can make the namespaces it needs (a user namespace when not root).
     *
     * @param env              the coordinator's environment: only {@link #ALLOWED} names are taken from it
     * @param allowUnsandboxed ASSEMBLY_UNSANDBOXED=1: run without a sandbox where bubblewrap cannot run
     * @param extraReadOnly    ASSEMBLY_SANDBOX_READONLY: more folders to mount read-only (a toolchain, a Maven repository)
     * @param hidden           never visible, even under an extra folder: the data directory, the sessions file
     */
    public static Sandbox check(Map<String, String> env, boolean allowUnsandboxed, List<Path> extraReadOnly, List<Path> hidden) {
        String bwrap = null;
        for (String dir : List.of("/usr/bin", "/bin", "/usr/local/bin")) {
            if (Files.isExecutable(Path.of(dir, "bwrap"))) {
                bwrap = dir + "/bwrap";
                break;
            }
        }
        String problem = null;
        if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) {
            problem = "bubblewrap needs Linux, this is " + System.getProperty("os.name");
        } else if (bwrap == null) {
            problem = "bubblewrap (bwrap) is not installed: apt-get install bubblewrap";
        } else {
            problem = probe(bwrap);
        }
        List<Path> hide = new ArrayList<>();
        for (Path h : hidden) {
            Path given = h.toAbsolutePath().normalize();
            hide.add(given);
            try {
                Path real = given.toRealPath(); // a link to a mounted folder must not show it
                if (!real.equals(given)) {
                    hide.add(real);
                }
            } catch (IOException missing) {
                // not there (yet): nothing to show
            }
        }
        return new Sandbox(problem == null ? bwrap : null, problem, allowUnsandboxed, List.copyOf(extraReadOnly), hide, allowed(env));
    }

    /** For tests and benchmarks: no sandbox, commands allowed (the process-group runner alone). */
    public static Sandbox none(Map<String, String> env) {
        return without("switched off", true, env);
    }

    /** What {@link #check} gives where bubblewrap cannot run, for {@code why}. */
    public static Sandbox without(String why, boolean allowUnsandboxed, Map<String, String> env) {
        return new Sandbox(null, why, allowUnsandboxed, List.of(), List.of(), allowed(env));
    }

    private static Map<String, String> allowed(Map<String, String> env) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String name : ALLOWED) {
            String v = env.get(name);
            if (v != null) {
                out.put(name, v);
            }
        }
        out.putIfAbsent("PATH", "/usr/local/bin:/usr/bin:/bin");
        out.putIfAbsent("LANG", "C.UTF-8");
        return out;
    }

    private static String probe(String bwrap) {
        try {
            Process p = new ProcessBuilder(bwrap, "--ro-bind", "/", "/", "--cap-drop", "ALL", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-net",
                    "--proc", "/proc", "--dev", "/dev", "--die-with-parent", "true").redirectErrorStream(true).start();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "bubblewrap did not start in 10 s";
            }
            String out = new String(p.getInputStream().readAllBytes()).strip();
            return p.exitValue() == 0 ? null : "bubblewrap cannot make its namespaces here (" + (out.isEmpty() ? "exit " + p.exitValue()
                    : out.lines().findFirst().orElse("")) + "); user namespaces may be off (sysctl kernel.unprivileged_userns_clone)";
        } catch (IOException e) {
            return "bubblewrap could not be started: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted while checking bubblewrap";
        }
    }

    /** Whether commands run inside bubblewrap. */
    public boolean sandboxed() {
        return bwrap != null;
    }

    /** Whether repository commands may run at all: sandboxed, or explicitly allowed without. */
    public boolean runs() {
        return bwrap != null || allowUnsandboxed;
    }

    /** One line for the start-up log and {@code /health}. */
    public String describe() {
        if (bwrap != null) {
            return "bubblewrap (" + bwrap + "): own PID/IPC/UTS namespaces, no network unless assembly.yml says network: true,"
                    + " system read-only" + (readOnly.isEmpty() ? "" : " plus " + readOnly);
        }
        return allowUnsandboxed ? "OFF: " + problem + "; repository commands run unsandboxed (ASSEMBLY_UNSANDBOXED=1)"
                : "unavailable: " + problem + "; repository commands are refused (set ASSEMBLY_UNSANDBOXED=1 to run them without a sandbox)";
    }

    /**
     * The environment of a command: the allowed names, HOME in the sandbox, and {@code extra} (the stack's
     * own settings, a deploy's secrets by name).
     */
    public Map<String, String> environment(Map<String, String> extra) {
        Map<String, String> out = new LinkedHashMap<>(env);
        if (bwrap != null) {
            out.put("HOME", HOME); // unsandboxed, the runner gives each run a HOME of its own
            out.put("TMPDIR", "/tmp");
        }
        out.putAll(extra);
        if (bwrap != null) {
            out.put("PATH", visiblePath(out.get("PATH")));
        }
        return out;
    }

    /** PATH without the folders the sandbox does not mount (a shim under the coordinator's home would only fail). */
    private String visiblePath(String path) {
        List<String> keep = new ArrayList<>();
        for (String dir : path.split(":")) {
            if (!dir.isBlank() && visible(Path.of(dir))) {
                keep.add(dir);
            }
        }
        return keep.isEmpty() ? "/usr/local/bin:/usr/bin:/bin" : String.join(":", keep);
    }

    private boolean visible(Path p) {
        Path a = p.toAbsolutePath().normalize();
        return hidden.stream().noneMatch(a::startsWith) && mounted(a);
    }

    private boolean mounted(Path a) {
        return SYSTEM.stream().anyMatch(s -> a.startsWith(s)) || readOnly.stream().anyMatch(a::startsWith)
                || readOnly.stream().anyMatch(r -> {
                    try {
                        return a.startsWith(r.toRealPath());
                    } catch (IOException e) {
                        return false;
                    }
                });
    }

    /**
     * The command line that runs {@code shell} in {@code dir}: inside bubblewrap with {@code writable}
     * (the checkout, a reports folder) mounted read-write at their own paths, or {@code sh -c} alone
     * when running unsandboxed. Throws {@link Unavailable} when commands are refused.
     */
    public List<String> command(String shell, Path dir, List<Path> writable, boolean network) throws Unavailable {
        if (bwrap == null) {
            if (!allowUnsandboxed) {
                throw new Unavailable("no sandbox (" + problem + "); set ASSEMBLY_UNSANDBOXED=1 to run repository commands"
                        + " without one");
            }
            return List.of("sh", "-c", shell);
        }
        // no capabilities, even when the coordinator runs as root: nothing inside can remount, mknod or unhide
        List<String> a = new ArrayList<>(List.of(bwrap, "--die-with-parent", "--cap-drop", "ALL", "--unshare-pid", "--unshare-ipc",
                "--unshare-uts", "--hostname", "sandbox"));
        if (!network) {
            a.add("--unshare-net");
        }
        for (String s : SYSTEM) {
            Path p = Path.of(s);
            if (Files.isSymbolicLink(p)) {
                try {
                    a.addAll(List.of("--symlink", Files.readSymbolicLink(p).toString(), s));
                } catch (IOException e) {
                    // unreadable link: leave it out
                }
            } else if (Files.isDirectory(p)) {
                a.addAll(List.of("--ro-bind", s, s));
            }
        }
        for (Path p : readOnly) {
            if (Files.exists(p)) {
                a.addAll(List.of("--ro-bind", p.toString(), p.toString()));
            }
        }
        a.addAll(List.of("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--dir", HOME, "--tmpfs", "/run"));
        for (Path h : hidden) {
            // only where an allowed folder would show it: a tmpfs (or an empty file) over it
            if (mounted(h)) {
                if (Files.isDirectory(h)) {
                    a.addAll(List.of("--tmpfs", h.toString()));
                } else if (Files.exists(h)) {
                    a.addAll(List.of("--ro-bind", "/dev/null", h.toString()));
                }
            }
        }
        for (Path w : writable) {
            String p = w.toAbsolutePath().normalize().toString();
            a.addAll(List.of("--bind", p, p));
        }
        a.addAll(List.of("--chdir", dir.toAbsolutePath().normalize().toString(), "--", "sh", "-c", shell));
        return a;
    }
}
