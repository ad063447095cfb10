package dev.assemblyline.git;

import java.util.Arrays;
import org.eclipse.jgit.lib.ObjectId;

/**
 * A git tree object read as its bytes: entries of {@code <mode> SP <name> NUL <20-byte id>}, in git's order.
 * Looking up a few names in a folder of thousands, or changing the id of one entry, costs a scan and a copy
 * of the bytes instead of an object per entry (docs/status-board.md: the write-back's cost).
 */
final class RawTree {
    static final int ID = 20;

    /** Large listings read or written lately, by id (a tree's bytes never change): at most this many bytes. */
    private static final long CACHE_BYTES = 32L << 20;
    private static final int CACHE_FROM = 64 << 10;
    private static final java.util.LinkedHashMap<ObjectId, byte[]> RECENT = new java.util.LinkedHashMap<>(16, 0.75f, true);
    private static long cached;

    private RawTree() {
    }

    /**
     * The bytes of tree {@code id}, not to be changed. A large folder (the services root of a big
     * repository) is kept for the next reads: one push is diffed by the loop, read by the status
     * write-back and diffed again for the bot's commit, and each would otherwise inflate it anew.
     */
    static byte[] read(org.eclipse.jgit.lib.ObjectReader reader, ObjectId id) throws java.io.IOException {
        synchronized (RECENT) {
            byte[] hit = RECENT.get(id);
            if (hit != null) {
                return hit;
            }
        }
        byte[] raw = reader.open(id, org.eclipse.jgit.lib.Constants.OBJ_TREE).getCachedBytes();
        remember(id, raw);
        return raw;
    }

    /** Keeps a large tree just written (its bytes must not change afterwards). */
    static void remember(ObjectId id, byte[] raw) {
        if (raw.length < CACHE_FROM || raw.length > CACHE_BYTES / 4) {
            return;
        }
        synchronized (RECENT) {
            if (RECENT.put(id.copy(), raw) == null) {
                cached += raw.length;
            }
            for (var it = RECENT.values().iterator(); cached > CACHE_BYTES && it.hasNext(); ) {
                cached -= it.next().length;
                it.remove();
            }
        }
    }

    /** The offset just past the entry that starts at {@code p}. */
    static int next(byte[] raw, int p) {
        while (raw[p] != ' ') {
            p++;
        }
        p++;
        while (raw[p] != 0) {
            p++;
        }
        return p + 1 + ID;
    }

    /** The offset of the entry named {@code name}, or -1 when there is none. */
    static int find(byte[] raw, byte[] name) {
        int p = 0;
        while (p < raw.length) {
            int n = p;
            while (raw[n] != ' ') {
                n++;
            }
            n++;
            int end = n;
            while (raw[end] != 0) {
                end++;
            }
            if (end - n == name.length && Arrays.equals(raw, n, end, name, 0, name.length)) {
                return p;
            }
            p = end + 1 + ID;
        }
        return -1;
    }

    /** Whether the entry at {@code p} is a folder (mode 40000). */
    static boolean isTree(byte[] raw, int p) {
        return raw[p] == '4';
    }

    /** Whether the entry at {@code p} is a regular or executable file (100644, 100755), not a link or submodule. */
    static boolean isPlainFile(byte[] raw, int p) {
        return raw[p] == '1' && raw[p + 1] == '0' && raw[p + 2] == '0';
    }

    /** The mode of the entry at {@code p}. */
    static org.eclipse.jgit.lib.FileMode mode(byte[] raw, int p) {
        int bits = 0;
        while (raw[p] != ' ') {
            bits = (bits << 3) + (raw[p++] - '0');
        }
        return org.eclipse.jgit.lib.FileMode.fromBits(bits);
    }

    /** The id of the entry at {@code p}. */
    static ObjectId id(byte[] raw, int p) {
        return ObjectId.fromRaw(raw, next(raw, p) - ID);
    }

    /** Puts {@code id} as the id of the entry at {@code p} (in place). */
    static void setId(byte[] raw, int p, ObjectId id) {
        id.copyRawTo(raw, next(raw, p) - ID);
    }
}
