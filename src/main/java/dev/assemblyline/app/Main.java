package dev.assemblyline.app;

import dev.assemblyline.git.GitException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code assembly} command line. */
@Command(name = "assembly",
        mixinStandardHelpOptions = true,
        version = "assembly-line 0.1.0",
        description = "Keeps a monorepo's services moving from spec to production.",
        subcommands = {
                ServeCommand.class,
                DemoCommand.class,
                ScanCommand.class,
                ChangedCommand.class,
                BenchCommand.class,
                CommandLine.HelpCommand.class
        })
public final class Main implements Runnable {
    /** Exit code for bad input: a missing branch, a bad option, a repository that is not one. */
    public static final int EXIT_USAGE = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line and returns its exit code; errors become one line on stderr. */
    public static int execute(String... args) {
        return newCommandLine().execute(args);
    }

    public static CommandLine newCommandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            PrintWriter err = cmd.getErr();
            if (e instanceof GitException || e instanceof IllegalArgumentException || e instanceof UserException) {
                err.println("assembly: " + e.getMessage());
                err.flush();
                return EXIT_USAGE;
            }
            err.println("assembly: " + cmd.getCommandName() + " failed: " + e);
            err.flush();
            return 1;
        });
        return cl;
    }

    /** A mistake of the user's, reported as one line with exit code 2. */
    public static final class UserException extends RuntimeException {
        public UserException(String message) {
            super(message);
        }
    }
}
