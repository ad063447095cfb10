package dev.assemblyline.slack;

import com.slack.api.SlackConfig;
import com.slack.api.methods.MethodsClient;
import com.slack.api.methods.SlackApiException;
import com.slack.api.methods.SlackApiTextResponse;
import com.slack.api.methods.response.chat.ChatPostMessageResponse;
import com.slack.api.methods.response.conversations.ConversationsHistoryResponse;
import com.slack.api.model.Message;
import dev.assemblyline.store.OutboxStore;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the outbox to Slack, one message at a time per channel, in order: at most one post per second
 * per channel (Slack's limit), a 429 waits its Retry-After, 5xx and timeouts back off and retry, and a
 * post whose answer was lost is looked up by its metadata before it is sent again, so it never lands
 * twice. Slack being down never blocks anyone: messages wait in the database.
 */
public final class OutboxWorker extends dev.assemblyline.pipeline.Worker {
    private static final Logger LOG = LoggerFactory.getLogger(OutboxWorker.class);
    static final String EVENT_TYPE = "assembly_outbox";
    private static final Set<String> PERMANENT = Set.of("channel_not_found", "not_in_channel", "is_archived", "invalid_auth",
            "account_inactive", "token_revoked", "no_permission", "missing_scope", "invalid_blocks", "msg_too_long", "message_not_found",
            "cant_update_message", "user_not_found");

    private final OutboxStore outbox;
    private final MethodsClient slack;
    private final Clock clock;
    private final Duration perChannel;
    private final Map<String, Instant> nextPost = new HashMap<>();

    public OutboxWorker(OutboxStore outbox, String botToken, String apiUrl, Clock clock, Duration perChannel) {
        this(outbox, botToken, apiUrl, clock, perChannel, Duration.ofSeconds(15));
    }

    /** @param callTimeout how long a call may go unanswered before it counts as lost (looked up, then retried) */
    public OutboxWorker(OutboxStore outbox, String botToken, String apiUrl, Clock clock, Duration perChannel, Duration callTimeout) {
        super("slack-outbox", Duration.ofSeconds(3));
        this.outbox = outbox;
        SlackConfig config = new SlackConfig();
        config.setStatsEnabled(false); // the SDK's stats call auth.test on the side: not wanted, and it eats rate limit
        config.setHttpClientCallTimeoutMillis((int) callTimeout.toMillis()); // no answer: looked up, then retried
        if (apiUrl != null) {
            config.setMethodsEndpointUrlPrefix(apiUrl.endsWith("/") ? apiUrl : apiUrl + "/");
        }
        // OkHttp silently sends a POST again when a connection fails after the request went out: Slack may
        // then have the message twice, with one attempt recorded. Off: a failed call is looked up, then retried
        okhttp3.OkHttpClient ok = com.slack.api.util.http.SlackHttpClient.buildOkHttpClient(config).newBuilder()
                .retryOnConnectionFailure(false).build();
        com.slack.api.util.http.SlackHttpClient http = new com.slack.api.util.http.SlackHttpClient(ok);
        http.setConfig(config);
        this.slack = new ParsedOnce(config, http, botToken);
        this.clock = clock;
        this.perChannel = perChannel;
    }

    private volatile java.util.function.BooleanSupplier mayAct = () -> true;

    /**
     * Posts only while {@code check} says so (a replica that leads and is sure of it, docs/SCALING.md): a
     * leader that was paused past its lease wakes up and posts nothing a new leader may post too.
     */
    public OutboxWorker onlyWhile(java.util.function.BooleanSupplier check) {
        this.mayAct = check;
        return this;
    }

    /** A new run (a replica leading again): every channel's last attempts are looked up again first. */
    @Override
    protected void starting() {
        checkedSinceStart.clear();
        nextPost.clear();
        queues = null;
        scanFrom = 0;
        lastTop = 0;
    }

    /**
     * Each channel's next pending messages, oldest first, as last read: a batch of {@link #BATCH} per read, so
     * a backlog of thousands costs one read per batch, not one per message sent. What is queued meanwhile is
     * found by id (above {@link #scanFrom}) when something is queued here and once a second; every
     * {@link #FULL_READ_NANOS} each channel's oldest pending message is checked against its queue (a message
     * whose id was given before a later one's but committed after it).
     */
    private Map<String, java.util.ArrayDeque<OutboxStore.Message>> queues;
    private long scanFrom;
    private long lastTop;
    private long fullReadAt;
    private long newReadAt;
    private volatile boolean queued;
    static final int BATCH = 100;
    static final long FULL_READ_NANOS = TimeUnit.SECONDS.toNanos(5);
    static final long NEW_READ_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** Something was queued: the next round looks for it (a channel with nothing pending has no queue). */
    @Override
    public void signal() {
        queued = true;
        super.signal();
    }

    @Override
    protected long round() {
        if (!mayAct.getAsBoolean()) {
            return TimeUnit.MILLISECONDS.toNanos(200);
        }
        long wait = 1000;
        try {
            wait = drainOnce();
        } catch (RuntimeException | Error e) {
            queues = null; // read everything again: a failed round may have left a queue out of date
            LOG.warn("the Slack outbox failed a round; retrying: {}", e.getMessage());
        }
        return TimeUnit.MILLISECONDS.toNanos(Math.max(10, wait));
    }

    /** Sends what may be sent now; returns milliseconds until something else may be. */
    long drainOnce() {
        Instant now = clock.instant();
        long next = 1000;
        boolean full = queues == null || System.nanoTime() - fullReadAt >= FULL_READ_NANOS;
        if (full || queued || System.nanoTime() - newReadAt >= NEW_READ_NANOS) { // another replica's messages come unannounced
            queued = false;
            newReadAt = System.nanoTime();
            long top = outbox.lastId();
            if (full) {
                fullReadAt = newReadAt;
                queues = queues == null ? new java.util.LinkedHashMap<>() : queues;
                List<OutboxStore.Message> oldest = outbox.pending(500); // each channel's oldest: nothing overtakes it
                for (OutboxStore.Message m : oldest) {
                    java.util.ArrayDeque<OutboxStore.Message> q = queues.get(m.channel());
                    if (q == null || q.peekFirst().id() != m.id()) { // new, or a message committed after its queue was read
                        reload(m.channel());
                    }
                }
                if (oldest.size() < 500) { // nothing pending there any more (another replica sent it)
                    queues.keySet().retainAll(oldest.stream().map(OutboxStore.Message::channel).collect(java.util.stream.Collectors.toSet()));
                }
            } else {
                for (OutboxStore.Message m : outbox.pendingAfter(scanFrom, 500)) {
                    if (!queues.containsKey(m.channel())) { // a channel with a queue reads what is behind it when the queue runs out
                        reload(m.channel());
                    }
                }
            }
            // the next look starts below what this one saw: an id given before this read may commit after it
            scanFrom = lastTop;
            lastTop = top;
        }
        for (String ch : new java.util.ArrayList<>(queues.keySet())) {
            OutboxStore.Message m = queues.get(ch).peekFirst();
            if (checkedSinceStart.add(ch) && !"ephemeral".equals(m.op()) && !"update".equals(m.op())) {
                settleLanded(ch, now);
                reload(ch);
                next = 0; // look at this channel again with what is left
                continue;
            }
            if (m.nextAttempt() != null && m.nextAttempt().isAfter(now)) {
                next = Math.min(next, Duration.between(now, m.nextAttempt()).toMillis());
                continue;
            }
            Instant allowed = nextPost.getOrDefault(ch, Instant.MIN);
            if (allowed.isAfter(now)) {
                next = Math.min(next, Duration.between(now, allowed).toMillis());
                continue;
            }
            if ("update".equals(m.op()) && outbox.newerUpdate(m)) {
                outbox.superseded(m.id()); // a newer text for the same message is queued: Slack needs only that one
                advance(ch, m);
                next = 0; // no call made: the channel's next message may go now
                continue;
            }
            send(m, now);
            advance(ch, m); // sent, retried later or given up
            nextPost.put(ch, now.plus(perChannel));
            next = Math.min(next, perChannel.toMillis());
        }
        return next;
    }

    /** Reads a channel's next batch; a channel with nothing pending has no queue. */
    private void reload(String channel) {
        List<OutboxStore.Message> batch = outbox.next(channel, BATCH);
        if (batch.isEmpty()) {
            queues.remove(channel);
            return;
        }
        queues.put(channel, new java.util.ArrayDeque<>(batch));
    }

    /** After {@code m} was handled: its row again if it is still pending (a retry), else the channel's next message. */
    private void advance(String channel, OutboxStore.Message m) {
        java.util.ArrayDeque<OutboxStore.Message> q = queues.get(channel);
        q.pollFirst();
        Optional<OutboxStore.Message> again = outbox.get(m.id()).filter(r -> "pending".equals(r.state()));
        if (again.isPresent()) {
            q.addFirst(again.get());
        } else if (q.isEmpty()) {
            reload(channel);
        }
    }

    /** Tries a message gets before it is given up (and logged) when Slack keeps refusing it for an unknown reason. */
    static final int MAX_ATTEMPTS = 12;

    private void send(OutboxStore.Message m, Instant now) {
        OutboxStore.Message parent = null;
        if (m.parentId() != null) {
            parent = outbox.get(m.parentId()).orElse(null);
            if (parent == null || "failed".equals(parent.state())) {
                outbox.failed(m.id(), "its announcement could not be posted");
                return;
            }
            if (parent.ts() == null) {
                outbox.retry(m.id(), now.plusSeconds(1), "waiting for its announcement to be posted");
                return;
            }
        }
        boolean posts = !"update".equals(m.op()) && !"ephemeral".equals(m.op());
        if (m.attempts() > 0 && posts && landed(m, parent, now)) {
            return; // an earlier try got through (its answer was lost, or we stopped before recording it)
        }
        if (m.attempts() >= MAX_ATTEMPTS) {
            LOG.warn("message {} to {} gave up after {} attempts: {}", m.id(), m.channel(), m.attempts(), m.lastError());
            outbox.failed(m.id(), "gave up after " + m.attempts() + " attempts: " + m.lastError());
            return;
        }
        if (!mayAct.getAsBoolean()) {
            return; // no longer sure to lead: the next leader sends it
        }
        outbox.attempting(m.id());
        try {
            SlackApiTextResponse r;
            String ts;
            switch (m.op()) {
                case "ephemeral" -> {
                    r = slack.chatPostEphemeral(b -> b.channel(m.channel()).user(m.recipient()).text(m.text()));
                    ts = null;
                }
                case "update" -> {
                    OutboxStore.Message p = parent;
                    r = slack.chatUpdate(b -> b.channel(p.channel()).ts(p.ts()).text(m.text()).blocksAsString(m.blocks()));
                    ts = p.ts();
                }
                default -> {
                    String threadTs = "thread".equals(m.op()) ? parent.ts() : null;
                    ChatPostMessageResponse post = slack.chatPostMessage(b -> {
                        b.channel(m.channel()).text(m.text()).unfurlLinks(false).threadTs(threadTs)
                                .metadata(Message.Metadata.builder().eventType(EVENT_TYPE).eventPayload(Map.of("outbox_id", m.id())).build());
                        if (m.blocks() != null) {
                            b.blocksAsString(m.blocks());
                        }
                        return b;
                    });
                    r = post;
                    ts = post.getTs();
                }
            }
            if (r.isOk()) {
                outbox.sent(m.id(), ts, now);
            } else if (PERMANENT.contains(r.getError())) {
                LOG.warn("Slack refused message {} to {}: {}; it will not be retried", m.id(), m.channel(), r.getError());
                outbox.failed(m.id(), r.getError());
            } else {
                outbox.retry(m.id(), now.plus(backoff(m.attempts() + 1)), String.valueOf(r.getError()));
            }
        } catch (SlackApiException e) {
            int code = e.getResponse().code();
            if (code == 429) {
                long seconds = retryAfter(e.getResponse().header("Retry-After"));
                LOG.info("Slack rate-limited message {}; waiting {} s as asked", m.id(), seconds);
                // counted from when the refusal arrived, not from when the round began
                outbox.retry(m.id(), clock.instant().plusSeconds(seconds), "429, Retry-After " + seconds);
            } else {
                outbox.retry(m.id(), now.plus(backoff(m.attempts() + 1)), "HTTP " + code); // the next try looks first: it may have landed
            }
        } catch (IOException e) {
            if ("ephemeral".equals(m.op())) {
                outbox.failed(m.id(), "no answer; an ephemeral note is not sent twice"); // it cannot be looked up
                return;
            }
            // the post may have landed with its answer lost: the next try looks before posting again
            outbox.retry(m.id(), now.plus(backoff(m.attempts() + 1)), "no answer: " + e.getMessage());
        }
    }

    /** Channels whose recent history was read since this process started. */
    private final java.util.Set<String> checkedSinceStart = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * After a start (a crash, say), what is pending may have been posted already: the process may have
     * died after the post and before recording it, or the database may have lost the record. So the
     * channel's recent history is read once, and every pending message found there (by the outbox id in
     * its metadata) is marked sent instead of being posted again: the "did it land?" lookup decides.
     */
    private void settleLanded(String channel, Instant now) {
        try {
            ConversationsHistoryResponse h = slack.conversationsHistory(b -> b.channel(channel).limit(200).includeAllMetadata(true));
            if (!h.isOk() || h.getMessages() == null) {
                return;
            }
            int settled = 0;
            for (Message msg : h.getMessages()) {
                Message.Metadata md = msg.getMetadata();
                if (md == null || !EVENT_TYPE.equals(md.getEventType()) || md.getEventPayload() == null) {
                    continue;
                }
                String raw = String.valueOf(md.getEventPayload().get("outbox_id")).replaceAll("\\.0$", "");
                if (!raw.matches("\\d{1,18}")) {
                    continue;
                }
                Optional<OutboxStore.Message> row = outbox.get(Long.parseLong(raw));
                if (row.isPresent() && "pending".equals(row.get().state()) && channel.equals(row.get().channel())) {
                    outbox.sent(row.get().id(), msg.getTs(), now);
                    settled++;
                }
            }
            if (settled > 0) {
                LOG.info("{} message(s) to {} had landed before the restart: not posted again", settled, channel);
            }
        } catch (IOException | SlackApiException | RuntimeException e) {
            LOG.debug("could not read the recent history of {}: {}", channel, e.getMessage());
        }
    }

    private boolean landed(OutboxStore.Message m, OutboxStore.Message parent, Instant now) {
        try {
            List<Message> recent;
            if ("thread".equals(m.op())) {
                var h = slack.conversationsReplies(b -> b.channel(parent.channel()).ts(parent.ts()).limit(100).includeAllMetadata(true));
                recent = h.isOk() ? h.getMessages() : null;
            } else {
                ConversationsHistoryResponse h = slack.conversationsHistory(b -> b.channel(m.channel()).limit(50).includeAllMetadata(true));
                recent = h.isOk() ? h.getMessages() : null;
            }
            if (recent != null) {
                for (Message msg : recent) {
                    Message.Metadata md = msg.getMetadata();
                    if (md != null && EVENT_TYPE.equals(md.getEventType()) && md.getEventPayload() != null
                            && String.valueOf(m.id()).equals(String.valueOf(md.getEventPayload().get("outbox_id")).replaceAll("\\.0$", ""))) {
                        outbox.sent(m.id(), msg.getTs(), now);
                        return true;
                    }
                }
            }
        } catch (IOException | SlackApiException e) {
            LOG.debug("could not check whether message {} landed: {}", m.id(), e.getMessage());
        }
        return false;
    }

    static Duration backoff(int attempts) {
        return Duration.ofMillis(Math.min(60_000, 500L << Math.min(attempts, 7)));
    }

    static long retryAfter(String header) {
        try {
            return Math.max(1, Math.min(3600, Long.parseLong(header == null ? "1" : header.strip())));
        } catch (NumberFormatException e) {
            return 30;
        }
    }
}
