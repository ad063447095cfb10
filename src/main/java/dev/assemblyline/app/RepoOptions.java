package dev.assemblyline.app;

import dev.assemblyline.git.GitRepo;
import dev.assemblyline.git.ServiceTrees;
import dev.assemblyline.phase.PhaseDetector;
import dev.assemblyline.phase.SpecRules;
import java.io.IOException;
import java.nio.file.Path;
import org.eclipse.jgit.lib.ObjectId;
import picocli.CommandLine.Option;

/** The options every repository-reading command shares. */
final class RepoOptions {
    @Option(names = "--repo", required = true, paramLabel = "DIR",
            description = "Git repository to read (a work tree or a bare repository); only git objects are read.")
    Path repo;

    @Option(names = "--root", defaultValue = "SERVICES", paramLabel = "FOLDER",
            description = "Folder holding one sub-folder per service (default: ${DEFAULT-VALUE}).")
    String root;

    @Option(names = "--template", paramLabel = "FILE",
            description = "SPEC.md template whose ## headings are the required sections (default: the bundled templates/SPEC.md).")
    Path template;

    GitRepo open() {
        return GitRepo.open(repo);
    }

    /**
     * The commit to read: {@code ref} when given; otherwise {@code main}, or HEAD's branch when there is
     * no main. Null only for a repository with no commits at all.
     */
    static ObjectId commit(GitRepo git, String ref) {
        if (ref != null) {
            return git.resolveCommit(ref);
        }
        if (git.isEmpty()) {
            return null;
        }
        try {
            return git.resolveCommit("main");
        } catch (RuntimeException noMain) {
            return git.resolveCommit("HEAD");
        }
    }

    PhaseDetector detector() {
        try {
            SpecRules rules = template == null ? SpecRules.bundled() : SpecRules.fromFile(template);
            return new PhaseDetector(rules);
        } catch (IOException e) {
            throw new Main.UserException("cannot read the template " + template + ": " + e.getMessage());
        }
    }

    ServiceTrees trees(GitRepo git) {
        return new ServiceTrees(git, root);
    }
}
