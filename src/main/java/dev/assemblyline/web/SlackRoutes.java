package dev.assemblyline.web;

import dev.assemblyline.slack.SlackGateway;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.Function;

/**
 * {@code /slack/commands}, {@code /slack/interactions}, {@code /slack/events}: the body is read (bounded),
 * the signature checked before anything is parsed (401 otherwise), then the gateway answers. Off (404)
 * without SLACK_SIGNING_SECRET.
 */
public final class SlackRoutes {
    private static final int MAX_BODY = 1024 * 1024;
    private final SlackGateway gateway;

    public SlackRoutes(SlackGateway gateway) {
        this.gateway = gateway;
    }

    void register(RoutesConfig r) {
        r.post("/slack/commands", ctx -> handle(ctx, gateway == null ? null : gateway::command));
        r.post("/slack/interactions", ctx -> handle(ctx, gateway == null ? null : gateway::interaction));
        r.post("/slack/events", ctx -> handle(ctx, gateway == null ? null : gateway::event));
    }

    private void handle(Context ctx, Function<String, SlackGateway.Answer> action) throws IOException {
        if (action == null || !gateway.httpEnabled()) {
            Server.json(ctx, 404, Map.of("error", "Slack requests are off: SLACK_SIGNING_SECRET is not set"));
            return;
        }
        byte[] raw = Bodies.read(ctx, MAX_BODY);
        if (raw == null) {
            return;
        }
        String body = new String(raw, StandardCharsets.UTF_8);
        if (!gateway.verified(ctx.header("X-Slack-Request-Timestamp"), ctx.header("X-Slack-Signature"), body)) {
            Server.json(ctx, 401, Map.of("error", "Slack signature missing, wrong or stale"));
            return;
        }
        SlackGateway.Answer a = action.apply(body);
        if (a.body() == null) {
            ctx.status(a.status());
        } else {
            Server.json(ctx, a.status(), a.body());
        }
    }
}
