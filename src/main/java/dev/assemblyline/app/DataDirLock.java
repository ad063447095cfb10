package dev.assemblyline.app;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One {@code serve} per data directory: an OS lock on {@code <data>/serve.lock}, which names the process
 * holding it. The OS drops the lock when the process dies, kill -9 included, so a crash leaves nothing to
 * clean up. A second {@code serve} on the same folder stops at once with one line naming the first,
 * instead of H2's "Database may be already in use".
 */
final class DataDirLock implements AutoCloseable {
    private final FileChannel channel;
    private final FileLock lock;

    private DataDirLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    static DataDirLock acquire(Path dataDir, int port) {
        Path file = dataDir.resolve("serve.lock");
        FileChannel ch = null;
        try {
            Files.createDirectories(dataDir);
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException sameProcess) {
                lock = null;
            }
            if (lock == null) {
                String holder = new String(Files.readAllBytes(file), StandardCharsets.UTF_8).strip();
                ch.close();
                throw new Main.UserException("another assembly serve" + (holder.isEmpty() ? "" : " (" + holder + ")") + " is using " + dataDir.toAbsolutePath()
                        + "; stop it, or give this one its own ASSEMBLY_DATA_DIR");
            }
            ch.truncate(0);
            ch.write(ByteBuffer.wrap(("pid " + ProcessHandle.current().pid() + ", port " + port + "\n").getBytes(StandardCharsets.UTF_8)), 0);
            return new DataDirLock(ch, lock);
        } catch (IOException e) {
            try {
                if (ch != null) {
                    ch.close();
                }
            } catch (IOException ignored) {
                // reporting the first failure
            }
            throw new Main.UserException("cannot use the data directory " + dataDir.toAbsolutePath() + ": " + e.getMessage());
        }
    }

    @Override
    public void close() {
        try {
            lock.release();
            channel.close();
        } catch (IOException e) {
            // the OS drops the lock with the process anyway
        }
    }
}
