package dev.assemblyline.web;

import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

/**
 * The one size check for request bodies (each route has its own limit: webhooks 25 MB, Slack 1 MB, the
 * REST API 64 KB): a declared length over the limit is refused from the headers, and a body that turns
 * out longer than the limit after reading one byte past it. A refused body of at most {@link #DRAIN}
 * bytes is first read to its end and thrown away: a client still sending would otherwise see the
 * connection reset under it and never read the 413 (TCP resets a socket closed with unread data).
 * Anything larger is refused unread and the connection closed (docs/security.md, "Request bodies").
 */
final class Bodies {
    /** Refused bodies up to this size are drained so the client reads the 413. */
    static final int DRAIN = 1024 * 1024;

    private Bodies() {
    }

    /** The body, or null when the answer (413) has been given. */
    static byte[] read(Context ctx, int limit) throws IOException {
        long declared = ctx.req().getContentLengthLong();
        if (declared > limit) {
            if (declared <= DRAIN) {
                drain(ctx, 0);
            }
            tooLarge(ctx, limit);
            return null;
        }
        byte[] body;
        try (InputStream in = ctx.req().getInputStream()) {
            body = in.readNBytes(limit + 1);
            if (body.length > limit) {
                drain(ctx, body.length);
                tooLarge(ctx, limit);
                return null;
            }
        }
        return body;
    }

    /**
     * Reads and discards the rest of the body, stopping once {@link #DRAIN} bytes have come in all. A client
     * that asked to hear first ({@code Expect: 100-continue}) is not asked for a body that will be refused;
     * a client that stops sending or goes away still gets (or misses) its 413, not a server error.
     */
    private static void drain(Context ctx, long alreadyRead) {
        String expect = ctx.req().getHeader("Expect");
        if (expect != null && expect.equalsIgnoreCase("100-continue")) {
            return;
        }
        try {
            InputStream in = ctx.req().getInputStream();
            long left = DRAIN - alreadyRead;
            while (left > 0) {
                long skipped = in.skip(left);
                if (skipped <= 0) {
                    if (in.read() < 0) {
                        return;
                    }
                    skipped = 1;
                }
                left -= skipped;
            }
        } catch (IOException e) {
            // the client stopped sending (or timed out): the answer is the 413 all the same
        }
    }

    private static void tooLarge(Context ctx, int limit) {
        Server.json(ctx, 413, Map.of("error", "body over " + limit + " bytes"));
    }
}
