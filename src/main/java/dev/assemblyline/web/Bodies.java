package dev.assemblyline.web;

import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

/**
 * The one size check for request bodies: a declared length over the limit is refused from the headers,
 * unread; a body that turns out longer than the limit is refused after reading one byte past it. Each
 * route has its own limit (webhooks 25 MB, Slack 1 MB, the REST API 64 KB).
 */
final class Bodies {
    private Bodies() {
    }

    /** The body, or null when the answer (413) has been given. */
    static byte[] read(Context ctx, int limit) throws IOException {
        if (ctx.req().getContentLengthLong() > limit) {
            tooLarge(ctx, limit);
            return null;
        }
        byte[] body;
        try (InputStream in = ctx.req().getInputStream()) {
            body = in.readNBytes(limit + 1);
        }
        if (body.length > limit) {
            tooLarge(ctx, limit);
            return null;
        }
        return body;
    }

    private static void tooLarge(Context ctx, int limit) {
        Server.json(ctx, 413, Map.of("error", "body over " + limit + " bytes"));
    }
}
