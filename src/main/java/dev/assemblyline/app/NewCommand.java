package dev.assemblyline.app;

import dev.assemblyline.model.ServiceName;
import dev.assemblyline.phase.SpecRules;
import dev.assemblyline.model.Layout;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "new", mixinStandardHelpOptions = true,
        description = {"Start a service: write <root>/<service>/SPEC.md from the template and a README.md, in a work tree.",
                "With --check, list what the service's SPEC.md still lacks, by the coordinator's own rule (exit 1 while it lacks something).",
                "",
                "The root is assembly.yml's root: when the repository has one, else SERVICES. The template is the repository's",
                "templates/SPEC.md when it has one, else the bundled one. Nothing is committed or pushed."},
        footer = {"", "Examples:", "  assembly new billing", "  assembly new --check billing", "  assembly new billing --repo ~/src/monorepo"})
final class NewCommand implements Callable<Integer> {
    @Parameters(paramLabel = "SERVICE", description = "The service's name: letters, digits, '.', '_' and '-', starting with a letter or digit.")
    String service;

    @Option(names = "--repo", paramLabel = "DIR", defaultValue = ".", description = "The work tree to write in (default: the current folder).")
    Path repo;

    @Option(names = "--check", description = "Do not write: list the sections the service's SPEC.md still lacks.")
    boolean check;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        String problem = ServiceName.problem(service);
        if (problem != null) {
            throw new Main.UserException("'" + ServiceName.printable(service) + "' cannot be a service name: " + problem);
        }
        if (!Files.isDirectory(repo)) {
            throw new Main.UserException(repo + " is not a folder");
        }
        Path top = top(repo);
        Layout layout = layoutOf(top);
        Path folder = top.resolve(layout.root().isEmpty() ? service : layout.root() + "/" + service);
        String where = top.relativize(folder).toString().replace('\\', '/') + "/";
        inside(top, folder);
        if (check) {
            return check(out, folder, where, layout);
        }
        for (String name : layout.spec()) {
            if (Files.exists(folder.resolve(name))) {
                throw new Main.UserException(where + name + " already exists; `assembly new --check " + service + "` says what it still lacks");
            }
        }
        Path specFile = folder.resolve(layout.spec().get(0));
        Files.createDirectories(folder);
        Files.writeString(specFile, template(repo).replace("<service-name>", service), StandardCharsets.UTF_8);
        Path readme = folder.resolve("README.md");
        boolean wroteReadme = !Files.exists(readme);
        if (wroteReadme) {
            Files.writeString(readme, "# " + service + "\n\nWhat " + service + " is: see SPEC.md.\n", StandardCharsets.UTF_8);
        }
        out.println("Wrote " + where + layout.spec().get(0) + (wroteReadme ? " and " + where + "README.md" : "") + ".");
        out.println();
        out.println("Next:");
        out.println("  1. Fill in every section of " + where + layout.spec().get(0) + "; `assembly new --check " + service + "` lists what is left.");
        out.println("  2. git add " + where + " && git commit -m \"" + service + ": spec\" && git push");
        out.println("  3. The coordinator sees the push: a complete spec is READY_FOR_BUILD and its build ticket goes to a builder.");
        out.flush();
        return 0;
    }

    private int check(PrintWriter out, Path folder, String where, Layout layout) throws IOException {
        Path specFile = null;
        for (String name : layout.spec()) {
            if (Files.isRegularFile(folder.resolve(name))) {
                specFile = folder.resolve(name);
                break;
            }
        }
        if (specFile == null) {
            throw new Main.UserException("no " + where + String.join(" or ", layout.spec()) + "; `assembly new " + service + "` writes one");
        }
        String text = new String(Files.readAllBytes(specFile), StandardCharsets.UTF_8); // as the coordinator reads it: bad bytes become \uFFFD
        List<String> problems = SpecRules.bundled().problems(text);
        String name = where + specFile.getFileName();
        if (problems.isEmpty()) {
            out.println(name + " is complete: every required section has content. Push it and the service is READY_FOR_BUILD.");
            out.flush();
            return 0;
        }
        out.println(name + " is not complete yet (SPEC_INCOMPLETE until it is):");
        for (String p : problems) {
            out.println("  - " + p);
        }
        out.flush();
        return 1;
    }

    /** The work tree's top folder: {@code dir} or the nearest folder above it holding .git (a folder, or a file in a worktree). */
    static Path top(Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        for (Path p = abs; p != null; p = p.getParent()) {
            if (Files.exists(p.resolve(".git"))) {
                return p;
            }
        }
        throw new Main.UserException(abs + " is not in a git work tree (git init, or --repo names the repository's folder)");
    }

    /** Refuses a service folder that would end up outside the work tree (a root that is a symbolic link out of it). */
    private static void inside(Path top, Path folder) throws IOException {
        Path existing = folder;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null || !existing.toRealPath().startsWith(top.toRealPath())) {
            throw new Main.UserException(folder + " is outside the work tree " + top);
        }
    }

    /** The layout in the work tree's assembly.yml (the default when there is none or it is broken). */
    static Layout layoutOf(Path repo) throws IOException {
        Path yml = repo.resolve("assembly.yml");
        if (!Files.isRegularFile(yml)) {
            return Layout.DEFAULT;
        }
        var config = dev.assemblyline.verify.RepoConfig.parse(Files.readAllBytes(yml));
        if (config.problem() != null) {
            throw new Main.UserException(config.problem());
        }
        return config.layout("SERVICES");
    }

    private static String template(Path repo) throws IOException {
        Path own = repo.resolve("templates/SPEC.md");
        if (Files.isRegularFile(own)) {
            return Files.readString(own, StandardCharsets.UTF_8);
        }
        try (InputStream in = NewCommand.class.getResourceAsStream("/templates/SPEC.md")) {
            if (in == null) {
                throw new IllegalStateException("templates/SPEC.md is missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
