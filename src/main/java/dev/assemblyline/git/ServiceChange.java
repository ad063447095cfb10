package dev.assemblyline.git;

/**
 * A service whose tree differs between two commits. For a rename, {@code service} is the new name and
 * {@code previousName} the old one; the old name is not reported separately.
 */
public record ServiceChange(String service, Kind kind, String previousName, String before, String after) {
    public enum Kind { ADDED, MODIFIED, DELETED, RENAMED }
}
