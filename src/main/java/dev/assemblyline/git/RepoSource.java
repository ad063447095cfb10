package dev.assemblyline.git;

import org.eclipse.jgit.lib.ObjectId;

/**
 * The repository the coordinator watches: hosted by itself, or a mirror of an outside one. The
 * reconciler asks it to refresh (fetch) and for the tracked branch's head; it never needs to know which.
 */
public interface RepoSource extends AutoCloseable {
    GitRepo repo();

    String trackedBranch();

    /** Brings the local copy up to date (a fetch in follow mode; nothing for the hosted repository). */
    void refresh();

    /** The tracked branch's commit, or null when the branch does not exist (yet). */
    default ObjectId head() {
        try {
            var ref = repo().repository().exactRef("refs/heads/" + trackedBranch());
            return ref == null ? null : ref.getObjectId();
        } catch (java.io.IOException e) {
            throw new GitException("reading refs/heads/" + trackedBranch() + " in " + repo().location(), e);
        }
    }

    /** One line for the start-up log. */
    String describe();

    @Override
    void close();
}
