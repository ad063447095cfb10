package dev.assemblyline.git;

import org.eclipse.jgit.lib.ObjectId;

/**
 * One entry directly under the services root at a commit: a service folder, or something that is not
 * one ({@code skipReason} set).
 */
public record ServiceEntry(String name, ObjectId id, boolean folder, String skipReason) {
    public boolean isService() {
        return skipReason == null;
    }
}
