package dev.assemblyline.model;

import java.util.List;

/**
 * What git says about one service folder at one commit: everything phase detection needs and nothing
 * from the work tree. {@code spec} and {@code readme} are null when the file is absent; {@code buildFiles}
 * lists BUILD/ two levels deep ({@code Dockerfile}, {@code src/main.py}; folders end in {@code /}).
 * {@code treeId} is the service's identity, what test results and deploys are tied to: the folder's git
 * tree as it would be without the coordinator's status line in README.md ({@link StatusLine}); {@code
 * gitTree} is the folder's real tree, what is checked out. They are equal when there is no status line.
 * {@code layout} says where the build, tests and production evidence were looked for (docs/layouts.md).
 */
public record ServiceSnapshot(
        String name,
        String treeId,
        FileEntry spec,
        FileEntry readme,
        boolean hasBuild,
        boolean hasTests,
        boolean hasProduction,
        List<String> buildFiles,
        String gitTree,
        Layout layout) {

    public ServiceSnapshot {
        buildFiles = buildFiles == null ? List.of() : List.copyOf(buildFiles);
        gitTree = gitTree == null ? treeId : gitTree;
        layout = layout == null ? Layout.DEFAULT : layout;
    }

    /** A snapshot whose identity is its git tree (no status line in its README.md). */
    public ServiceSnapshot(String name, String treeId, FileEntry spec, FileEntry readme, boolean hasBuild, boolean hasTests,
                           boolean hasProduction, List<String> buildFiles) {
        this(name, treeId, spec, readme, hasBuild, hasTests, hasProduction, buildFiles, null, null);
    }

    /** A snapshot without a listing of BUILD/ (tests of the phase table). */
    public ServiceSnapshot(String name, String treeId, FileEntry spec, FileEntry readme, boolean hasBuild, boolean hasTests,
                           boolean hasProduction) {
        this(name, treeId, spec, readme, hasBuild, hasTests, hasProduction, null);
    }
}
