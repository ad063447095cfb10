package dev.assemblyline.git;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.treewalk.TreeWalk;

/**
 * Writes exactly one tree (a service at one commit) into a folder, straight from git objects: no shared
 * work tree, no checkout of anything else. Symbolic links and submodules are not written (a link could
 * point out of the folder); every path stays inside the target.
 */
public final class Checkout {
    private Checkout() {
    }

    public static void write(GitRepo repo, String treeId, Path target) {
        try (ObjectReader reader = repo.repository().newObjectReader(); TreeWalk tw = new TreeWalk(reader)) {
            tw.addTree(ObjectId.fromString(treeId));
            tw.setRecursive(true);
            Path root = target.toAbsolutePath().normalize();
            while (tw.next()) {
                FileMode mode = tw.getFileMode(0);
                if (mode != FileMode.REGULAR_FILE && mode != FileMode.EXECUTABLE_FILE) {
                    continue;
                }
                Path file = root.resolve(tw.getPathString()).normalize();
                if (!file.startsWith(root)) {
                    continue;
                }
                Files.createDirectories(file.getParent());
                try (InputStream in = reader.open(tw.getObjectId(0)).openStream(); OutputStream out = Files.newOutputStream(file)) {
                    in.transferTo(out);
                }
                if (mode == FileMode.EXECUTABLE_FILE) {
                    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
                }
            }
        } catch (IOException e) {
            throw new GitException("writing tree " + treeId + " to " + target + ": " + e.getMessage(), e);
        }
    }
}
