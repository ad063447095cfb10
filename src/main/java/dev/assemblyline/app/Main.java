package dev.assemblyline.app;

import dev.assemblyline.git.GitException;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code assembly} command line. */
@Command(name = "assembly",
        mixinStandardHelpOptions = true,
        version = "assembly-line " + Main.VERSION,
        description = "Keeps a monorepo's services moving from spec to production.")
public final class Main implements Runnable {
    /** The release, for --version and what servers say of themselves (MCP's serverInfo). */
    public static final String VERSION = "0.1.0";

    /** Exit code for bad input: a missing branch, a bad option, a repository that is not one. */
    public static final int EXIT_USAGE = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        // with two CPUs the common pool's parallelism is 1, and CompletableFuture's default executor is then a new
        // thread per task: the JDK's HttpClient completes every request there (a thread per health check).
        // Set before anything starts the pool; a value given on the command line stays
        if (System.getProperty("java.util.concurrent.ForkJoinPool.common.parallelism") == null
                && Runtime.getRuntime().availableProcessors() <= 2) {
            System.setProperty("java.util.concurrent.ForkJoinPool.common.parallelism", "2");
        }
        System.exit(execute(args));
    }

    /** Runs the command line and returns its exit code; errors become one line on stderr. */
    public static int execute(String... args) {
        return newCommandLine(args).execute(args);
    }

    /** Every subcommand, in the order --help lists them. */
    private static final Map<String, Supplier<Object>> COMMANDS = new LinkedHashMap<>();

    static {
        COMMANDS.put("serve", ServeCommand::new);
        COMMANDS.put("demo", DemoCommand::new);
        COMMANDS.put("new", NewCommand::new);
        COMMANDS.put("init", InitCommand::new);
        COMMANDS.put("scan", ScanCommand::new);
        COMMANDS.put("changed", ChangedCommand::new);
        COMMANDS.put("verify", VerifyCommand::new);
        COMMANDS.put("hooks", HooksCommand::new);
        COMMANDS.put("claim", TicketCommands.Claim::new);
        COMMANDS.put("release", TicketCommands.Release::new);
        COMMANDS.put("done", TicketCommands.Done::new);
        COMMANDS.put("progress", TicketCommands.Progress::new);
        COMMANDS.put("bench", BenchCommand::new);
        COMMANDS.put("simulate", SimulateCommand::new);
        COMMANDS.put("mcp", McpCommand::new);
        COMMANDS.put("help", CommandLine.HelpCommand::new);
    }

    public static CommandLine newCommandLine() {
        return newCommandLine(new String[0]);
    }

    /**
     * The command line for these arguments. Only the subcommand being run is introspected (picocli's
     * reflection over every command costs a short command a fifth of its time); help gets them all.
     */
    public static CommandLine newCommandLine(String... args) {
        CommandLine cl = new CommandLine(new Main());
        String first = args.length > 0 ? args[0] : "";
        LogSetup.quiet = !first.equals("serve");
        if (COMMANDS.containsKey(first) && !first.equals("help")) {
            cl.addSubcommand(first, COMMANDS.get(first).get());
        } else {
            COMMANDS.forEach((name, make) -> cl.addSubcommand(name, make.get()));
        }
        cl.setParameterExceptionHandler((ex, given) -> {
            // a bad option or a missing argument: one line saying what and where to look, not the whole usage
            CommandLine cmd = ex.getCommandLine();
            PrintWriter err = cmd.getErr();
            err.println("assembly: " + oneLine(ex.getMessage()) + " (see: assembly " + (cmd.getCommandName().equals("assembly") ? ""
                    : cmd.getCommandSpec().qualifiedName(" ").replaceFirst("^assembly ", "") + " ") + "--help)");
            err.flush();
            return EXIT_USAGE;
        });
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            PrintWriter err = cmd.getErr();
            if (e instanceof GitException || e instanceof IllegalArgumentException || e instanceof UserException) {
                err.println("assembly: " + oneLine(e.getMessage()));
                err.flush();
                return EXIT_USAGE;
            }
            if (e instanceof java.nio.file.FileSystemException f) {
                err.println("assembly: cannot use " + f.getFile() + ": " + reason(f));
                err.flush();
                return EXIT_USAGE;
            }
            // one line, in words: the Java class of what failed is for the log (ASSEMBLY_DEBUG=1 prints the trace)
            err.println("assembly: " + cmd.getCommandName() + " failed: " + describe(e));
            if (System.getenv("ASSEMBLY_DEBUG") != null) {
                e.printStackTrace(err);
            }
            err.flush();
            return 1;
        });
        return cl;
    }

    /** What went wrong, as the chain of messages without Java class names, on one line. */
    static String describe(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = e; t != null && sb.length() < 600; t = t.getCause() == t ? null : t.getCause()) {
            String m = t instanceof java.nio.file.FileSystemException f ? "cannot use " + f.getFile() + ": " + reason(f) : t.getMessage();
            if (m == null || m.isBlank() || sb.indexOf(m) >= 0) {
                continue;
            }
            sb.append(sb.length() == 0 ? "" : ": ").append(m);
        }
        return sb.length() == 0 ? "unexpected error (ASSEMBLY_DEBUG=1 shows where)" : oneLine(sb.toString());
    }

    static String reason(java.nio.file.FileSystemException f) {
        if (f instanceof java.nio.file.NoSuchFileException) {
            return "no such file or folder";
        }
        if (f instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        if (f instanceof java.nio.file.FileAlreadyExistsException) {
            return "it already exists";
        }
        if (f instanceof java.nio.file.NotDirectoryException) {
            return "not a folder";
        }
        return f.getReason() != null ? f.getReason() : "file system error";
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s*\\R\\s*", " ").strip();
    }

    /** A mistake of the user's, reported as one line with exit code 2. */
    public static final class UserException extends RuntimeException {
        public UserException(String message) {
            super(message);
        }
    }
}
