package dev.assemblyline.git;

import org.eclipse.jgit.lib.ObjectId;

/**
 * The repository the coordinator watches: hosted by itself, or a mirror of an outside one. The
 * reconciler asks it to refresh (fetch) and for the tracked branch's head; it never needs to know which.
 */
public interface RepoSource extends AutoCloseable {
    GitRepo repo();

    String trackedBranch();

    /**
     * Held from writing a commit's objects until the branch names it (or the commit is dropped): the hosted
     * repository's repack waits meanwhile, since it deletes the packs it merged and would take a pack whose
     * commit no ref names yet. Nothing for a followed repository.
     */
    default Hold holdNewObjects() {
        return () -> { };
    }

    /** A {@link #holdNewObjects()}, released by close. */
    interface Hold extends AutoCloseable {
        @Override
        void close();
    }

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

    /** What became of a commit offered to the tracked branch. */
    enum Outcome {
        /** The branch is at the commit now. */
        PUBLISHED,
        /** The branch moved on from the base meanwhile (someone pushed): nothing changed; build on the new head. */
        BEHIND,
        /** The repository will not take it (a protected branch, a read-only token): trying again will not help. */
        REFUSED,
        /** It could not be tried (the network): try again later. */
        FAILED
    }

    record Publication(Outcome outcome, String detail) {
    }

    /**
     * Moves the tracked branch from {@code base} to {@code commit} (a child of it), never forcing: if the
     * branch is no longer at {@code base}, nothing happens and the answer is {@link Outcome#BEHIND}.
     */
    Publication publish(ObjectId base, ObjectId commit);

    /** One line for the start-up log. */
    String describe();

    @Override
    void close();
}
