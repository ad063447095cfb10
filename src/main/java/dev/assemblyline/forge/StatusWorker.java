package dev.assemblyline.forge;

import com.fasterxml.jackson.databind.JsonNode;
import dev.assemblyline.pipeline.Worker;
import dev.assemblyline.store.OutboxStore;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the commit statuses waiting in the outbox to their forges (docs/ci.md), one at a time per forge.
 * A rate-limit answer (403 or 429 with {@code x-ratelimit-remaining: 0}, {@code Retry-After} or a reset
 * time) holds that forge until the time it names; 5xx and network failures back off and try again; any
 * other refusal (a token without the right, an unknown commit) gives the status up, logged. A status posted
 * twice only repeats itself on the forge, so a lost answer is simply sent again.
 */
public final class StatusWorker extends Worker {
    private static final Logger LOG = LoggerFactory.getLogger(StatusWorker.class);
    static final int MAX_ATTEMPTS = 12;
    private static final Duration LONGEST_HOLD = Duration.ofHours(1);

    private final OutboxStore outbox;
    private final Map<String, Forge> forges = new LinkedHashMap<>();
    private final Clock clock;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final Map<String, Instant> heldUntil = new HashMap<>();
    private volatile BooleanSupplier mayAct = () -> true;
    private volatile long sent;

    public StatusWorker(OutboxStore outbox, List<Forge> forges, Clock clock) {
        super("forge-statuses", Duration.ofSeconds(15));
        this.outbox = outbox;
        forges.forEach(f -> this.forges.put(f.channel(), f));
        this.clock = clock;
    }

    /** Sends only while {@code check} says so (a replica sure that it leads, docs/SCALING.md). */
    public StatusWorker onlyWhile(BooleanSupplier check) {
        this.mayAct = check;
        return this;
    }

    /** Statuses the forges accepted since start. */
    public long sent() {
        return sent;
    }

    @Override
    protected void starting() {
        heldUntil.clear();
    }

    @Override
    protected long round() {
        if (!mayAct.getAsBoolean()) {
            return TimeUnit.MILLISECONDS.toNanos(200);
        }
        try {
            Instant now = clock.instant();
            long next = 1000;
            for (OutboxStore.Message m : outbox.pendingStatuses(now, 100)) {
                Instant held = heldUntil.get(m.channel());
                if (held != null && held.isAfter(now)) {
                    next = Math.min(next, Duration.between(now, held).toMillis());
                    continue;
                }
                if (!mayAct.getAsBoolean()) {
                    break;
                }
                send(m);
                now = clock.instant();
            }
            return TimeUnit.MILLISECONDS.toNanos(Math.max(20, next));
        } catch (RuntimeException e) {
            LOG.warn("the forge status outbox failed a round; retrying: {}", e.getMessage());
            return TimeUnit.SECONDS.toNanos(2);
        }
    }

    private void send(OutboxStore.Message m) {
        Forge f = forges.get(m.channel());
        if (f == null) {
            outbox.failed(m.id(), "no token for " + m.channel() + " any more");
            return;
        }
        JsonNode status;
        try {
            status = ForgeStatuses.JSON.readTree(m.blocks());
        } catch (IOException e) {
            outbox.failed(m.id(), "unreadable status: " + e.getMessage());
            return;
        }
        if (outbox.newerStatus(m, ForgeStatuses.placeOf(m.dedupKey()))) { // a retry after a newer status went or waits: it would show an old phase
            outbox.superseded(m.id());
            return;
        }
        outbox.attempting(m.id());
        Instant now = clock.instant();
        HttpResponse<String> r;
        try {
            r = http.send(request(f, status), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            retry(m, now, f + ": " + e.getMessage());
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        int code = r.statusCode();
        if (code / 100 == 2) {
            outbox.sent(m.id(), null, now);
            sent++;
            return;
        }
        Optional<Instant> until = rateLimitedUntil(r, now);
        if (until.isPresent()) {
            Instant u = until.get().isAfter(now.plus(LONGEST_HOLD)) ? now.plus(LONGEST_HOLD) : until.get();
            heldUntil.put(m.channel(), u);
            outbox.retry(m.id(), u, f.kind() + " rate limit: waiting until " + u);
            LOG.info("{} rate-limited the commit statuses (HTTP {}); waiting until {}", f.kind(), code, u);
            return;
        }
        String body = r.body() == null ? "" : r.body().replaceAll("\\s+", " ");
        String why = f.kind() + " answered HTTP " + code + ": " + (body.length() > 200 ? body.substring(0, 200) : body);
        if (code >= 500 || code == 408) {
            retry(m, now, why);
        } else {
            LOG.warn("commit status {} of {} on {} given up: {}", status.path("context").asText(), m.service(), f, why);
            outbox.failed(m.id(), why);
        }
    }

    private void retry(OutboxStore.Message m, Instant now, String why) {
        if (m.attempts() + 1 >= MAX_ATTEMPTS) {
            LOG.warn("commit status of {} gave up after {} attempts: {}", m.service(), m.attempts() + 1, why);
            outbox.failed(m.id(), "gave up after " + (m.attempts() + 1) + " attempts: " + why);
            return;
        }
        long backoff = Math.min(300, 1L << Math.min(8, m.attempts()));
        outbox.retry(m.id(), now.plusSeconds(backoff), why);
    }

    /**
     * When a rate-limit answer says to come back: GitHub's 403/429 with {@code x-ratelimit-remaining: 0} and
     * {@code x-ratelimit-reset} (epoch seconds) or {@code retry-after}; GitLab's and Gitea's 429 with
     * {@code Retry-After} or {@code RateLimit-Reset}. Empty for any other answer.
     */
    static Optional<Instant> rateLimitedUntil(HttpResponse<?> r, Instant now) {
        int code = r.statusCode();
        if (code != 403 && code != 429) {
            return Optional.empty();
        }
        var h = r.headers();
        Optional<String> retryAfter = h.firstValue("retry-after");
        if (retryAfter.isPresent() && retryAfter.get().strip().matches("\\d{1,6}")) {
            return Optional.of(now.plusSeconds(Long.parseLong(retryAfter.get().strip())));
        }
        boolean exhausted = h.firstValue("x-ratelimit-remaining").map(v -> v.strip().equals("0")).orElse(false)
                || h.firstValue("ratelimit-remaining").map(v -> v.strip().equals("0")).orElse(false);
        Optional<String> reset = h.firstValue("x-ratelimit-reset").or(() -> h.firstValue("ratelimit-reset"));
        if ((exhausted || code == 429) && reset.isPresent() && reset.get().strip().matches("\\d{1,12}")) {
            return Optional.of(Instant.ofEpochSecond(Long.parseLong(reset.get().strip())));
        }
        if (code == 429) {
            return Optional.of(now.plusSeconds(60)); // limited, with no time given: a minute
        }
        return exhausted ? Optional.of(now.plusSeconds(60)) : Optional.empty(); // a plain 403 is a refusal
    }

    static HttpRequest request(Forge f, JsonNode status) {
        Map<String, String> body = new LinkedHashMap<>();
        String state = status.path("state").asText();
        if (f.kind().equals("gitlab")) {
            body.put("state", state.equals("failure") ? "failed" : state);
            body.put("name", status.path("context").asText());
        } else {
            body.put("state", state);
            body.put("context", status.path("context").asText());
        }
        body.put("description", status.path("description").asText());
        body.put("target_url", status.path("target_url").asText());
        String json;
        try {
            json = ForgeStatuses.JSON.writeValueAsString(body);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(f.statusUri(status.path("sha").asText())).timeout(Duration.ofSeconds(20))
                .header("Content-Type", "application/json").header("User-Agent", "assembly-line")
                .POST(HttpRequest.BodyPublishers.ofString(json));
        switch (f.kind()) {
            case "github" -> b.header("Authorization", "Bearer " + f.token()).header("Accept", "application/vnd.github+json")
                    .header("X-GitHub-Api-Version", "2022-11-28");
            case "gitlab" -> b.header("PRIVATE-TOKEN", f.token());
            default -> b.header("Authorization", "token " + f.token());
        }
        return b.build();
    }
}
