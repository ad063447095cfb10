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

    @Option(names = "--root", paramLabel = "FOLDER",
            description = "Folder holding one sub-folder per service (default: assembly.yml's root, else SERVICES).")
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
        return new ServiceTrees(git, root == null ? "SERVICES" : root);
    }

    /** The layout at a commit (docs/layouts.md): assembly.yml's, with --root winning over its root when given. */
    dev.assemblyline.model.Layout layout(GitRepo git, ObjectId commit) {
        dev.assemblyline.model.Layout l = commit == null ? dev.assemblyline.model.Layout.DEFAULT
                : dev.assemblyline.pipeline.Verification.config(git, commit).layout("SERVICES");
        return root == null ? l : l.withRoot(ServiceTrees.normaliseRoot(root));
    }

    /** Reads services by the layout at the commit. */
    void layOut(ServiceTrees trees, GitRepo git, ObjectId commit) {
        trees.layout(layout(git, commit));
    }

    /** The services root at a commit. */
    String rootAt(GitRepo git, ObjectId commit) {
        return layout(git, commit).root();
    }
}
