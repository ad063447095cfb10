package dev.assemblyline.git;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import org.eclipse.jgit.internal.storage.file.ObjectDirectory;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.transport.PackParser;

/**
 * Writes the objects of a commit the coordinator makes itself (the status write-back's README lines and
 * registry, docs/status-board.md). Small ones (under {@link LandingInserter#SMALL} bytes: README lines,
 * service folders, the commit) go into one pack at {@link #flush()}, which fetches send as it is (see
 * {@link LandingInserter}). Large ones (the registry, the services folder's listing at scale) are loose
 * objects, as git writes them, so that fetches send them as deltas; their ids come from the JDK's
 * SHA-1, which the CPU computes (about 1 ms for a 10,000-service registry against 8 ms for JGit's
 * collision-detecting SHA-1). Collision detection guards a repository against crafted objects that
 * others send; it stays on for everything received (pushes, fetches), and only the coordinator's own
 * large objects are hashed here. A large object already in the repository is not written again.
 * <p>
 * Each object goes to a temporary file in the objects folder and is moved into place atomically, so a
 * reader never sees half an object; the compression is the repository's {@code core.looseCompression}
 * (or {@code core.compression}), and {@code core.fsyncObjectFiles} is honoured.
 */
public final class OwnObjects extends ObjectInserter {
    private final Repository repository;
    private final ObjectDirectory objects;
    private final int level;
    private final boolean fsync;
    private final MessageDigest sha1;
    private final org.eclipse.jgit.internal.storage.file.PackInserter small;
    private Deflater deflater;

    private OwnObjects(Repository repository, ObjectDirectory objects) {
        this.repository = repository;
        this.objects = objects;
        var config = repository.getConfig();
        this.level = config.getInt("core", "looseCompression", config.getInt("core", "compression", Deflater.DEFAULT_COMPRESSION));
        this.fsync = config.getBoolean("core", "fsyncObjectFiles", false);
        this.small = LandingInserter.smallObjectPack(objects);
        try {
            this.sha1 = MessageDigest.getInstance("SHA-1");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-1", e);
        }
    }

    /** An inserter for the coordinator's own objects: this one for a repository on disk, JGit's own otherwise. */
    public static ObjectInserter of(Repository repository) {
        return repository.getObjectDatabase() instanceof ObjectDirectory od ? new OwnObjects(repository, od) : repository.newObjectInserter();
    }

    @Override
    public ObjectId insert(int type, byte[] data, int off, int len) throws IOException {
        if (len < LandingInserter.SMALL) {
            return small.insert(type, data, off, len);
        }
        byte[] header = (Constants.typeString(type) + " " + len + "\0").getBytes(StandardCharsets.US_ASCII);
        sha1.reset();
        sha1.update(header);
        sha1.update(data, off, len);
        ObjectId id = ObjectId.fromRaw(sha1.digest());
        if (objects.has(id) && fresh(id)) {
            return id;
        }
        // one open: created here, never there before (a name of 64 random bits)
        Path tmp = objects.getDirectory().toPath().resolve("own_" + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
        boolean moved = false;
        try {
            if (deflater == null) {
                deflater = new Deflater(level);
            }
            deflater.reset();
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                DeflaterOutputStream z = new DeflaterOutputStream(Channels.newOutputStream(ch), deflater, 64 * 1024);
                z.write(header);
                z.write(data, off, len);
                z.finish();
                z.flush();
                if (fsync) {
                    ch.force(true);
                }
            }
            tmp.toFile().setReadOnly(); // as git leaves its objects
            Path dst = objects.fileFor(id).toPath();
            try {
                Files.move(tmp, dst, StandardCopyOption.ATOMIC_MOVE); // rename(2): a reader sees the whole object or none
            } catch (NoSuchFileException e) { // its fan-out folder is not there (yet, or pruned by a repack)
                Files.createDirectories(dst.getParent());
                Files.move(tmp, dst, StandardCopyOption.ATOMIC_MOVE);
            }
            moved = true;
        } finally {
            if (!moved) {
                Files.deleteIfExists(tmp);
            }
        }
        return id;
    }

    /**
     * An object that is there already: a loose one is touched, as git does, so that a repack's prune of old
     * unreachable objects (an earlier status commit that was never published may have left it) does not take
     * it away before the commit that names it again is published. False when it went meanwhile: written again.
     */
    private boolean fresh(ObjectId id) throws IOException {
        Path loose = objects.fileFor(id).toPath();
        try {
            Files.setLastModifiedTime(loose, java.nio.file.attribute.FileTime.from(java.time.Instant.now()));
            return true;
        } catch (NoSuchFileException e) {
            return objects.has(id); // packed, or pruned just now (written again)
        }
    }

    @Override
    public ObjectId insert(int type, long length, InputStream in) throws IOException {
        if (length > Integer.MAX_VALUE - 64) {
            try (ObjectInserter jgit = repository.newObjectInserter()) {
                ObjectId id = jgit.insert(type, length, in);
                jgit.flush();
                return id;
            }
        }
        ByteArrayOutputStream buf = new ByteArrayOutputStream((int) length);
        in.transferTo(buf);
        if (buf.size() != length) {
            throw new IOException("expected " + length + " bytes, read " + buf.size());
        }
        byte[] data = buf.toByteArray();
        return insert(type, data, 0, data.length);
    }

    @Override
    public PackParser newPackParser(InputStream in) {
        throw new UnsupportedOperationException("the coordinator's own objects are written one by one");
    }

    /** Reads what was inserted, the small objects before {@link #flush()} too. */
    @Override
    public ObjectReader newReader() {
        return small.newReader();
    }

    /** Writes the small objects' pack (when there are any); large objects are in place when insert returns. */
    @Override
    public void flush() throws IOException {
        small.flush();
    }

    @Override
    public void close() {
        try {
            small.close();
        } finally {
            if (deflater != null) {
                deflater.end();
                deflater = null;
            }
        }
    }
}
