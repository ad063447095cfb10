package dev.assemblyline.pipeline;

import dev.assemblyline.ingest.Hmac;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tokens of sessions and of the admin: made from 24 random bytes ({@code as_<48 hex>}), stored only as
 * their SHA-256, and when written to a file, to one only its owner can read (mode 600).
 */
public final class Tokens {
    private static final Logger LOG = LoggerFactory.getLogger(Tokens.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private Tokens() {
    }

    static String newToken() {
        byte[] b = new byte[24];
        RANDOM.nextBytes(b);
        return "as_" + HexFormat.of().formatHex(b);
    }

    /** What is stored of a token: its SHA-256, in hex. */
    static String hash(String token) {
        return Hmac.sha256(token.getBytes(StandardCharsets.UTF_8));
    }

    /** The token in {@code file} when it holds one (16 characters or more); null otherwise. */
    static String read(Path file) {
        try {
            if (Files.isRegularFile(file)) {
                String t = Files.readString(file).strip();
                return t.length() >= 16 ? t : null;
            }
        } catch (IOException e) {
            LOG.warn("could not read the token in {}: {}", file, e.getMessage());
        }
        return null;
    }

    /** The token kept in {@code file}, made (mode 600) the first time; null when it can be neither read nor written. */
    public static String adminTokenFile(Path file) {
        String kept = read(file);
        if (kept != null) {
            return kept;
        }
        if (Files.exists(file)) {
            // there but unreadable or too short: never replaced behind the operator's back
            LOG.warn("no admin token: {} holds none that can be read (16 characters or more); fix or remove it", file);
            return null;
        }
        try {
            String token = newToken();
            writePrivate(file, token);
            return token;
        } catch (IOException e) {
            LOG.warn("no admin token: {} could not be read or written ({})", file, e.getMessage());
            return null;
        }
    }

    /** Writes a token to a file only its owner can read (mode 600, made so before the token is in it). */
    static void writePrivate(Path file, String token) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.deleteIfExists(file);
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException notPosix) {
            Files.createFile(file);
        }
        Files.writeString(file, token + "\n");
    }
}
