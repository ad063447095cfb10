package dev.assemblyline.model;

/**
 * One file of a service as read from git: what kind of entry it is and, for regular files, its first
 * bytes. Content is bounded: {@code size} is the blob's real size, {@code content} at most the reader's
 * limit, so a 50 MB SPEC.md costs the limit and no more.
 */
public record FileEntry(Kind kind, long size, byte[] content) {

    /** The git entry type; only {@link #REGULAR} files are ever read. */
    public enum Kind { REGULAR, SYMLINK, FOLDER, OTHER }

    public static FileEntry of(Kind kind) {
        return new FileEntry(kind, 0, new byte[0]);
    }

    public boolean isRegular() {
        return kind == Kind.REGULAR;
    }

    public boolean truncated() {
        return content.length < size;
    }
}
