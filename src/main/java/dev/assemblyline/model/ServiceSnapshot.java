package dev.assemblyline.model;

/**
 * What git says about one service folder at one commit: everything phase detection needs and nothing
 * from the work tree. {@code spec} and {@code readme} are null when the file is absent.
 */
public record ServiceSnapshot(
        String name,
        String treeId,
        FileEntry spec,
        FileEntry readme,
        boolean hasBuild,
        boolean hasTests,
        boolean hasProduction) {
}
