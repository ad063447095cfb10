package dev.assemblyline.model;

import java.util.List;

/**
 * What git says about one service folder at one commit: everything phase detection needs and nothing
 * from the work tree. {@code spec} and {@code readme} are null when the file is absent; {@code buildFiles}
 * lists BUILD/ two levels deep ({@code Dockerfile}, {@code src/main.py}; folders end in {@code /}).
 */
public record ServiceSnapshot(
        String name,
        String treeId,
        FileEntry spec,
        FileEntry readme,
        boolean hasBuild,
        boolean hasTests,
        boolean hasProduction,
        List<String> buildFiles) {

    public ServiceSnapshot {
        buildFiles = buildFiles == null ? List.of() : List.copyOf(buildFiles);
    }

    /** A snapshot without a listing of BUILD/ (tests of the phase table). */
    public ServiceSnapshot(String name, String treeId, FileEntry spec, FileEntry readme, boolean hasBuild, boolean hasTests,
                           boolean hasProduction) {
        this(name, treeId, spec, readme, hasBuild, hasTests, hasProduction, null);
    }
}
