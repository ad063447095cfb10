package dev.assemblyline.app;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.assemblyline.git.GitRepo;
import dev.assemblyline.git.ServiceTrees;
import dev.assemblyline.model.Detection;
import dev.assemblyline.model.Layout;
import dev.assemblyline.model.Phase;
import dev.assemblyline.model.ServiceName;
import dev.assemblyline.pipeline.Scanner;
import dev.assemblyline.pipeline.Verification;
import dev.assemblyline.verify.RepoConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.treewalk.CanonicalTreeParser;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "init", mixinStandardHelpOptions = true,
        description = {"Look at an existing repository and propose the assembly.yml layout that fits it (docs/layouts.md):",
                "services are the folders holding a Dockerfile, pom.xml, build.gradle, package.json, go.mod, pyproject.toml or *.csproj;",
                "the root is the folder most of them are in; tests and production evidence are what the services have.",
                "Prints the proposal and each service's phase under it; --write saves it to assembly.yml in the work tree",
                "(other keys of an existing assembly.yml are kept). Nothing is committed."},
        footer = {"", "Examples:", "  assembly init", "  assembly init --repo ~/src/monorepo --write", "  assembly init --json"})
final class InitCommand implements Callable<Integer> {
    @Option(names = "--repo", paramLabel = "DIR", defaultValue = ".", description = "The repository (default: the current folder).")
    Path repo;

    @Option(names = "--ref", paramLabel = "REF", description = "Branch, tag or commit to look at (default: main, else HEAD).")
    String ref;

    @Option(names = "--write", description = "Write the proposal to assembly.yml in the work tree.")
    boolean write;

    @Option(names = "--json", description = "Print one JSON object: the layout, the services with their phases, what was left out.")
    boolean json;

    @Spec
    CommandSpec spec;

    /** Folders never searched for services: dependencies, tooling, hidden folders. */
    static final Set<String> NOT_SERVICES = Set.of("node_modules", "vendor", "third_party", "testdata", "target", "build", "dist", "bin", "obj",
            "docs", "examples", "fixtures", "__pycache__");
    /** How deep below the top a service folder may be. */
    static final int DEPTH = 5;
    /** Test evidence, in the order a proposal lists it; each kept when some service has it. */
    static final List<String> TESTS = List.of("tests/", "test/", "src/test/", "__tests__/", "*_test.go", "test_*.py", "*_test.py", "*.test.js",
            "*.test.ts", "*.spec.ts", "*Tests.csproj");
    static final List<String> PRODUCTION = List.of("PRODUCTION/", "deploy.json", "k8s/", "helm/", "fly.toml");

    /** What was found: the layout, the service folders under its root, and folders elsewhere that look like services. */
    record Proposal(Layout layout, List<String> services, List<String> elsewhere, List<String> invalid) {
    }

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (GitRepo git = GitRepo.open(repo)) {
            ObjectId commit = RepoOptions.commit(git, ref);
            if (commit == null) {
                throw new Main.UserException(repo + " has no commits yet: nothing to look at");
            }
            Look look = look(git, commit);
            Proposal p = look.proposal();
            if (p.services().isEmpty()) {
                err.println("assembly: no services found: no folder holds a Dockerfile, pom.xml, build.gradle, package.json, go.mod,"
                        + " pyproject.toml or *.csproj (the default layout, SERVICES/<name>/SPEC.md, needs no assembly.yml)");
                err.flush();
                return 1;
            }
            String yaml = look.yaml();
            List<Detection> phases = look.phases();
            if (json) {
                writeJson(out, p, phases);
            } else {
                writeText(out, p, yaml, phases);
            }
            if (write) {
                if (git.repository().isBare()) {
                    throw new Main.UserException(repo + " is a bare repository: no work tree to write assembly.yml in (run init in a clone)");
                }
                Path top = git.repository().getWorkTree().toPath();
                Path file = top.resolve("assembly.yml");
                String merged = merge(Files.isRegularFile(file) ? Files.readString(file, StandardCharsets.UTF_8) : null, yaml);
                Path tmp = top.resolve("assembly.yml.tmp");
                Files.writeString(tmp, merged, StandardCharsets.UTF_8);
                Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                (json ? err : out).println("Wrote assembly.yml. Next: git add assembly.yml && git commit -m \"assembly: layout\" && git push");
            } else if (!json) {
                out.println("Nothing written. `assembly init --write` saves it to assembly.yml.");
            }
            out.flush();
            err.flush();
            return 0;
        }
    }

    /** A proposal, as assembly.yml lines, and every service's phase under it. */
    record Look(Proposal proposal, String yaml, List<Detection> phases) {
    }

    /** Proposes a layout for the repository at a commit and reads every service's phase under it (what `init` prints). */
    static Look look(GitRepo git, ObjectId commit) throws IOException {
        // the spec rules (a Markdown parser) load while the repository is searched: a cold start is most of a short command
        java.util.concurrent.CompletableFuture<dev.assemblyline.phase.PhaseDetector> detector = java.util.concurrent.CompletableFuture.supplyAsync(
                () -> new dev.assemblyline.phase.PhaseDetector(dev.assemblyline.phase.SpecRules.bundled()));
        Proposal p = propose(git, commit);
        String yaml = yaml(p.layout());
        if (p.services().isEmpty()) {
            return new Look(p, yaml, List.of());
        }
        // what parsing the proposal gives (AdoptTest checks that the file written parses to it): no YAML parser needed here
        RepoConfig config = RepoConfig.DEFAULT.withLayout(p.layout());
        try (ServiceTrees trees = new ServiceTrees(git, p.layout().root())) {
            trees.layout(p.layout());
            return new Look(p, yaml, new Scanner(trees, detector.join()).scan(commit, name -> Verification.facts(config, name)));
        }
    }

    /** Finds the service folders and the layout that fits them. */
    static Proposal propose(GitRepo git, ObjectId commit) throws IOException {
        Map<String, String> found = new LinkedHashMap<>(); // service folder → the file that made it one
        Map<String, ObjectId> folderTrees = new HashMap<>();
        boolean[] ownLayout = {false};
        try (ObjectReader reader = git.repository().newObjectReader(); RevWalk rw = new RevWalk(reader)) {
            search(reader, rw.parseCommit(commit).getTree(), "", 0, found, folderTrees, ownLayout);
        }
        Map<String, List<String>> byParent = new TreeMap<>();
        for (String folder : found.keySet()) {
            int slash = folder.lastIndexOf('/');
            byParent.computeIfAbsent(slash < 0 ? "" : folder.substring(0, slash), k -> new ArrayList<>()).add(folder);
        }
        String root = null;
        for (Map.Entry<String, List<String>> e : byParent.entrySet()) {
            if (root == null || e.getValue().size() > byParent.get(root).size()) {
                root = e.getKey();
            }
        }
        List<String> services = new ArrayList<>();
        List<String> elsewhere = new ArrayList<>();
        List<String> invalid = new ArrayList<>();
        for (String folder : found.keySet()) {
            String parent = folder.lastIndexOf('/') < 0 ? "" : folder.substring(0, folder.lastIndexOf('/'));
            String name = folder.substring(folder.lastIndexOf('/') + 1);
            if (!parent.equals(root)) {
                elsewhere.add(folder + " (" + found.get(folder) + ")");
            } else if (!ServiceName.isValid(name)) {
                invalid.add(folder + " (" + ServiceName.problem(name) + ")");
            } else {
                services.add(name);
            }
        }
        String r = root == null ? "SERVICES" : root;
        String build = ownLayout[0] ? "BUILD" : "";
        // the evidence the services have, looked for by the layout's own rules (so the proposal and the phases agree)
        Set<String> tests = new LinkedHashSet<>();
        Set<String> production = new LinkedHashSet<>();
        try (ObjectReader reader = git.repository().newObjectReader()) {
            for (String name : services) {
                ObjectId folder = folderTrees.get(r.isEmpty() ? name : r + "/" + name);
                ObjectId code = build.isEmpty() ? folder : ServiceTrees.folderIn(reader, folder, build);
                if (code != null) {
                    tests.addAll(ServiceTrees.matching(reader, code, TESTS));
                }
                production.addAll(ServiceTrees.matching(reader, folder, PRODUCTION));
            }
        }
        // in the proposal's order, not the order they were first seen
        Set<String> orderedTests = new LinkedHashSet<>(TESTS);
        orderedTests.retainAll(tests);
        tests = orderedTests;
        Set<String> orderedProduction = new LinkedHashSet<>(PRODUCTION);
        orderedProduction.retainAll(production);
        production = orderedProduction;
        if (tests.isEmpty()) {
            tests.add("tests/");
        }
        if (production.isEmpty()) {
            production.add("PRODUCTION/");
        }
        return new Proposal(new Layout(r, List.of("SPEC.md"), build, List.copyOf(tests), List.copyOf(production)), services, elsewhere, invalid);
    }

    /** Depth-first: a folder holding a build file is a service (not searched further); BUILD/ holding one makes its parent one. */
    private static void search(ObjectReader reader, ObjectId tree, String path, int depth, Map<String, String> found,
                               Map<String, ObjectId> trees, boolean[] ownLayout) throws IOException {
        List<String[]> folders = new ArrayList<>();
        String marker = null;
        ObjectId buildFolder = null;
        CanonicalTreeParser p = new CanonicalTreeParser(null, reader, tree);
        for (; !p.eof(); p.next()) {
            String name = p.getEntryPathString();
            FileMode mode = p.getEntryFileMode();
            if (mode == FileMode.TREE) {
                if (name.equals("BUILD")) {
                    buildFolder = p.getEntryObjectId().copy();
                }
                if (!name.startsWith(".") && !NOT_SERVICES.contains(name)) {
                    folders.add(new String[] {name, p.getEntryObjectId().name()});
                }
            } else if (marker == null && ServiceTrees.isBuildMarker(name) && !path.isEmpty()) {
                marker = name;
            }
        }
        if (buildFolder != null && !path.isEmpty() && hasMarker(reader, buildFolder)) {
            found.put(path, "BUILD/");
            trees.put(path, tree.copy());
            ownLayout[0] = true;
            return;
        }
        if (marker != null) {
            found.put(path, marker);
            trees.put(path, tree.copy());
            return;
        }
        if (depth >= DEPTH) {
            return;
        }
        for (String[] f : folders) {
            search(reader, ObjectId.fromString(f[1]), path.isEmpty() ? f[0] : path + "/" + f[0], depth + 1, found, trees, ownLayout);
        }
    }

    private static boolean hasMarker(ObjectReader reader, ObjectId tree) throws IOException {
        CanonicalTreeParser p = new CanonicalTreeParser(null, reader, tree);
        for (; !p.eof(); p.next()) {
            if (p.getEntryFileMode() != FileMode.TREE && ServiceTrees.isBuildMarker(p.getEntryPathString())) {
                return true;
            }
        }
        return false;
    }

    /** The layout as assembly.yml lines. */
    static String yaml(Layout l) {
        return "# where services live and what counts as each phase's evidence (docs/layouts.md); written by `assembly init`\n"
                + "root: " + quote(l.root().isEmpty() ? "." : l.root()) + "\n"
                + "spec: " + String.join(" | ", l.spec()) + "\n"
                + "build: " + quote(l.build().isEmpty() ? "." : l.build()) + "\n"
                + "tests: [" + String.join(", ", l.tests().stream().map(InitCommand::quote).toList()) + "]\n"
                + "production: [" + String.join(", ", l.production().stream().map(InitCommand::quote).toList()) + "]\n";
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    /** An existing assembly.yml with its layout keys replaced by the proposal's (every other line kept as it was). */
    static String merge(String existing, String layout) {
        if (existing == null || existing.isBlank()) {
            return layout;
        }
        StringBuilder kept = new StringBuilder();
        boolean skipping = false;
        for (String line : existing.split("\n", -1)) {
            boolean top = !line.isEmpty() && !Character.isWhitespace(line.charAt(0)) && !line.startsWith("#") && !line.startsWith("-");
            if (top) {
                skipping = line.matches("(root|spec|build|tests|production)\\s*:.*");
            } else if (skipping && !line.isBlank() && !Character.isWhitespace(line.charAt(0)) && !line.startsWith("-")) {
                skipping = false;
            }
            if (!skipping && !line.startsWith("# where services live and what counts")) {
                kept.append(line).append('\n');
            }
        }
        String rest = kept.toString().replaceAll("\n+$", "\n");
        return layout + (rest.isBlank() ? "" : "\n" + rest);
    }

    private static void writeText(PrintWriter out, Proposal p, String yaml, List<Detection> phases) {
        Layout l = p.layout();
        out.println("Found " + p.services().size() + " services under " + (l.root().isEmpty() ? "the top folder" : l.root() + "/")
                + (l.buildFolder() ? " (the coordinator's own layout, code in BUILD/)" : " (code in each service's folder)") + ".");
        out.println();
        out.println("Proposed assembly.yml:");
        out.println();
        yaml.lines().forEach(line -> out.println("  " + line));
        out.println();
        out.println("Phases under it:");
        out.println();
        ScanCommand.writeTable(out, phases);
        if (!p.elsewhere().isEmpty()) {
            out.println();
            out.println("Not under " + (l.root().isEmpty() ? "the top folder" : l.root() + "/") + ", so not services under this layout (one root per"
                    + " repository): " + String.join(", ", p.elsewhere().subList(0, Math.min(20, p.elsewhere().size())))
                    + (p.elsewhere().size() > 20 ? " and " + (p.elsewhere().size() - 20) + " more" : ""));
        }
        if (!p.invalid().isEmpty()) {
            out.println();
            out.println("Names that cannot be services: " + String.join(", ", p.invalid()));
        }
        Map<Phase, Integer> counts = new EnumMap<>(Phase.class);
        phases.forEach(d -> counts.merge(d.phase(), 1, Integer::sum));
        if (counts.getOrDefault(Phase.NEEDS_SPEC, 0) > 0) {
            out.println();
            out.println("Services with no SPEC.md are NEEDS_SPEC: `assembly new <service>` writes one from the template.");
        }
        out.println();
    }

    private static void writeJson(PrintWriter out, Proposal p, List<Detection> phases) throws IOException {
        try (JsonGenerator g = ScanCommand.JSON.createGenerator(out)) {
            g.configure(JsonGenerator.Feature.AUTO_CLOSE_TARGET, false);
            g.writeStartObject();
            g.writeObjectFieldStart("layout");
            g.writeStringField("root", p.layout().root().isEmpty() ? "." : p.layout().root());
            g.writeArrayFieldStart("spec");
            for (String s : p.layout().spec()) {
                g.writeString(s);
            }
            g.writeEndArray();
            g.writeStringField("build", p.layout().build().isEmpty() ? "." : p.layout().build());
            g.writeArrayFieldStart("tests");
            for (String s : p.layout().tests()) {
                g.writeString(s);
            }
            g.writeEndArray();
            g.writeArrayFieldStart("production");
            for (String s : p.layout().production()) {
                g.writeString(s);
            }
            g.writeEndArray();
            g.writeEndObject();
            g.writeArrayFieldStart("services");
            for (Detection d : phases) {
                g.writeStartObject();
                g.writeStringField("service", d.service());
                g.writeStringField("phase", d.phase().name());
                g.writeStringField("why", d.reasons().isEmpty() ? "" : d.reasons().get(0));
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeArrayFieldStart("elsewhere");
            for (String s : p.elsewhere()) {
                g.writeString(s);
            }
            g.writeEndArray();
            g.writeArrayFieldStart("invalid");
            for (String s : p.invalid()) {
                g.writeString(s);
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        out.println();
    }
}
