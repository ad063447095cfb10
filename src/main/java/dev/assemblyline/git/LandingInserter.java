package dev.assemblyline.git;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import org.eclipse.jgit.internal.storage.file.ObjectDirectory;
import org.eclipse.jgit.internal.storage.file.PackInserter;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.transport.PackParser;

/**
 * Where a landing's merge puts what it makes (docs/agents.md, "Landing"): objects under {@value #SMALL}
 * bytes (the merge commit, its trees, small merged files) into one small pack at {@link #flush()}, larger
 * ones as loose objects.
 *
 * <p>Why: a fetch looks for deltas for every loose object it sends, on every fetch until the next repack,
 * and forty sessions fetch the same new objects. An object in a pack counts as already tried: it is sent as
 * it is, with no search. Sent whole, a small object costs at most {@value #SMALL} bytes; a large one (the
 * services folder's listing past a few hundred services, a large merged file) stays loose so that fetches
 * send it as a delta of the version the session has. Both are hashed by JGit, with its collision check.
 */
final class LandingInserter extends ObjectInserter {
    /** Objects smaller than this go into the landing's pack. */
    static final int SMALL = 16 * 1024;

    private final ObjectInserter loose;
    private final PackInserter packed;

    LandingInserter(ObjectDirectory objects) {
        this.loose = objects.newInserter();
        this.packed = smallObjectPack(objects);
    }

    /**
     * A pack for small objects the coordinator makes (a landing's, a status write-back's): compressed,
     * although the repository's loose objects are not ({@code core.compression} 0), since fetches copy them
     * as they are; and written even when the object is there already, so a repack that drops it as
     * unreachable meanwhile cannot take it from under the commit about to name it.
     */
    static PackInserter smallObjectPack(ObjectDirectory objects) {
        PackInserter p = objects.newPackInserter();
        p.setCompressionLevel(java.util.zip.Deflater.DEFAULT_COMPRESSION);
        p.checkExisting(false);
        return p;
    }

    @Override
    public ObjectId insert(int type, byte[] data, int off, int len) throws IOException {
        return len < SMALL ? packed.insert(type, data, off, len) : loose.insert(type, data, off, len);
    }

    @Override
    public ObjectId insert(int type, long length, InputStream in) throws IOException {
        if (length >= SMALL) {
            return loose.insert(type, length, in);
        }
        ByteArrayOutputStream buf = new ByteArrayOutputStream((int) length);
        in.transferTo(buf);
        byte[] data = buf.toByteArray();
        if (data.length != length) {
            throw new IOException("expected " + length + " bytes of a new object, read " + data.length);
        }
        return packed.insert(type, data, 0, data.length);
    }

    @Override
    public PackParser newPackParser(InputStream in) throws IOException {
        return loose.newPackParser(in);
    }

    /** Reads what was inserted, the pack's objects before {@link #flush()} too (a merge reads back its own trees). */
    @Override
    public ObjectReader newReader() {
        return packed.newReader();
    }

    /** Writes the pack (when anything went into it); loose objects are in place as they are inserted. */
    @Override
    public void flush() throws IOException {
        loose.flush();
        packed.flush();
    }

    @Override
    public void close() {
        try {
            packed.close();
        } finally {
            loose.close();
        }
    }
}
