package dev.assemblyline.app;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.Callable;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.StoredConfig;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code assembly hooks install}: the git hooks, installed where they are run, with absolute paths. */
@Command(name = "hooks", mixinStandardHelpOptions = true, subcommands = HooksCommand.Install.class,
        description = "The git hooks (see docs/hooks.md): 'assembly hooks install --pre-push' in a developer's clone,"
                + " 'assembly hooks install --post-receive --url URL' in a bare repository on a git server.")
final class HooksCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "install", mixinStandardHelpOptions = true,
            description = {"Installs hooks into the git repository of the current folder (or --repo).",
                    "--pre-push: before a push leaves the clone, the specs it changes are checked with this jar",
                    "(its path and java's are recorded in git config assembly.jar / assembly.java; a check that cannot run says so,",
                    "and refuses the push with ASSEMBLY_PREPUSH_STRICT=1).",
                    "--post-receive: a bare repository on a git server reports each push to the coordinator at --url,",
                    "signed with ASSEMBLY_HOOK_SECRET from the environment (kept in git config assembly.secret)."},
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {"0:installed", "2:bad input (not a git repository, an existing hook of someone else's, a missing option)"})
    static final class Install implements Callable<Integer> {
        @Option(names = "--pre-push", description = "Install the pre-push spec check (in a developer's clone).")
        boolean prePush;

        @Option(names = "--post-receive", description = "Install the push report (in a bare repository on the git server); needs --url.")
        boolean postReceive;

        @Option(names = "--url", paramLabel = "URL", description = "The coordinator's address, e.g. http://assembly.internal:8900 (for --post-receive).")
        String url;

        @Option(names = "--repo", paramLabel = "DIR", defaultValue = ".", description = "The repository (default: the current folder).")
        Path repo;

        @Option(names = "--force", description = "Replace a hook of the same name that is not Assembly Line's.")
        boolean force;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            if (!prePush && !postReceive) {
                throw new Main.UserException("say which hook: --pre-push (in a clone) or --post-receive --url URL (in a bare repository on the server)");
            }
            if (postReceive && (url == null || !url.matches("https?://[^\\s]+"))) {
                throw new Main.UserException("--post-receive needs --url http(s)://HOST:PORT, the coordinator's address");
            }
            FileRepositoryBuilder b = new FileRepositoryBuilder().readEnvironment().findGitDir(repo.toAbsolutePath().toFile());
            if (b.getGitDir() == null) {
                throw new Main.UserException(repo.toAbsolutePath() + " is not inside a git repository");
            }
            PrintWriter out = spec.commandLine().getOut();
            try (Repository r = b.build()) {
                Path hooks = hooksDir(r);
                Files.createDirectories(hooks);
                StoredConfig config = r.getConfig();
                if (prePush) {
                    Path jar = runningJar();
                    write(hooks.resolve("pre-push"), "pre-push");
                    config.setString("assembly", null, "jar", jar.toString());
                    config.setString("assembly", null, "java", Path.of(System.getProperty("java.home"), "bin", "java").toString());
                    config.save();
                    out.println("installed " + hooks.resolve("pre-push") + " (checks with " + jar + ")");
                    out.println("  a push with an incomplete spec is warned about; ASSEMBLY_PREPUSH_STRICT=1 refuses it");
                }
                if (postReceive) {
                    if (!r.isBare()) {
                        out.println("note: " + r.getDirectory() + " is not bare: post-receive runs where pushes arrive, on the git server");
                    }
                    write(hooks.resolve("post-receive"), "post-receive");
                    config.setString("assembly", null, "url", url.replaceAll("/+$", ""));
                    String secret = System.getenv("ASSEMBLY_HOOK_SECRET");
                    if (secret != null && !secret.isBlank()) {
                        config.setString("assembly", null, "secret", secret);
                    }
                    config.save();
                    out.println("installed " + hooks.resolve("post-receive") + " (reports pushes to " + url + "/webhooks/git"
                            + (secret == null || secret.isBlank()
                            ? "; UNSIGNED: set ASSEMBLY_HOOK_SECRET, the coordinator's secret, and install again)" : ", signed)"));
                }
            }
            out.flush();
            return 0;
        }

        /** core.hooksPath when set (relative to the work tree), else {@code <git dir>/hooks}. */
        private static Path hooksDir(Repository r) {
            String custom = r.getConfig().getString("core", null, "hooksPath");
            if (custom == null || custom.isBlank()) {
                return r.getDirectory().toPath().resolve("hooks");
            }
            Path p = Path.of(custom);
            if (p.isAbsolute()) {
                return p;
            }
            // relative: to the work tree, as git reads it; a bare repository has only its own folder
            return (r.isBare() ? r.getDirectory() : r.getWorkTree()).toPath().resolve(p);
        }

        private void write(Path target, String name) throws IOException {
            String text;
            try (InputStream in = HooksCommand.class.getResourceAsStream("/hooks/" + name)) {
                if (in == null) {
                    throw new IllegalStateException("hooks/" + name + " is missing from the jar");
                }
                text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            if (Files.exists(target) && !force && !Files.readString(target, StandardCharsets.ISO_8859_1).contains("assembly")) {
                throw new Main.UserException(target + " exists and is not Assembly Line's; --force replaces it");
            }
            Path tmp = target.resolveSibling("." + name + ".assembly-tmp");
            Files.writeString(tmp, text);
            try {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
            } catch (UnsupportedOperationException e) {
                tmp.toFile().setExecutable(true);
            }
            Files.move(tmp, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }

        /** The jar this command runs from (absolute), so the hook finds it from any folder. */
        static Path runningJar() {
            try {
                Path p = Path.of(HooksCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toAbsolutePath();
                if (!p.toString().endsWith(".jar")) {
                    throw new Main.UserException("hooks install runs from the packaged jar (java -jar target/assembly-line.jar hooks install …), not from "
                            + p);
                }
                return p;
            } catch (URISyntaxException e) {
                throw new Main.UserException("cannot tell where this jar is: " + e.getMessage());
            }
        }
    }
}
